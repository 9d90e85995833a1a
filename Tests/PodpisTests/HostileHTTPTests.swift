import Foundation
import Testing

/// Runs Tests/Hostile/run.sh against a live `podpis serve`: schemathesis over /openapi.yaml (when installed) and
/// hostile clients (nested and huge ASN.1, 20 000 multipart parts, gigabytes of Base64, a trickled body, 2000
/// connections, a burst over the concurrency limit), each answered politely in bounded time and memory.
@Suite("Hostile HTTP")
struct HostileHTTPTests {
    @Test("no hostile request gets a 5xx, a hang or unbounded memory")
    func hostile() throws {
        let script = (Repository.root as NSString).appendingPathComponent("Tests/Hostile/run.sh")
        let result = try runTool("bash", [script], environment: ["PODPIS_BIN": CLI.binary, "PODPIS_SCHEMATHESIS_EXAMPLES": "25"])
        #expect(result.status == 0, "\(result.stdout.suffix(3000))\n\(result.stderr.suffix(2000))")
        #expect(result.stdout.contains("0 failures"), "\(result.stdout.suffix(3000))")
        for line in result.stdout.split(separator: "\n") where line.hasPrefix("FAIL") {
            Issue.record("\(line)")
        }
    }
}
