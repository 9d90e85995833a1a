import Foundation
import Testing

/// Replays the fuzz seeds (made from a fresh test PKI) and every past finding in Tests/Fuzz/regressions through the
/// fuzz targets, built without libFuzzer: each input must be processed to the end, with no trap.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static var fuzzBinary: String { (CLI.binary as NSString).deletingLastPathComponent + "/podpis-fuzz" }
    static let targets = ["signature", "tsa-request", "tsa-response", "ocsp", "policy", "trust-list", "http-json", "http-multipart", "asic"]

    @Test("seeds and recorded findings replay cleanly through every target")
    func replay() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let seeds = try runTool(Self.fuzzBinary, ["seeds", folder.path, Repository.policies])
        #expect(seeds.status == 0, "\(seeds.stderr)")
        let regressions = (Repository.root as NSString).appendingPathComponent("Tests/Fuzz/regressions")
        for target in Self.targets {
            var inputs = [folder.file(target)]
            let recorded = (regressions as NSString).appendingPathComponent(target)
            if FileManager.default.fileExists(atPath: recorded) { inputs.append(recorded) }
            let result = try runTool(Self.fuzzBinary, [target] + inputs)
            #expect(result.status == 0, "\(target): \(result.stderr)")
            #expect(result.stdout.contains("\(target): replayed"), "\(result.stdout)")
            #expect(!result.stdout.contains("replayed 0 inputs"), "\(target) has no seeds")
        }
    }

    @Test("hostile inputs of every shape are refused, not trapped on")
    func hostileShapes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // Deeply nested ASN.1 (constructed SEQUENCEs with indefinite length), a huge claimed length, empty input,
        // and bytes that are almost JSON/multipart/YAML.
        var nested: [UInt8] = []
        for _ in 0..<50_000 { nested += [0x30, 0x80] }
        let inputs: [String: [UInt8]] = [
            "nested": nested,
            "huge-length": [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF, 0x02, 0x01, 0x00],
            "empty": [],
            "json-ish": Array("{\"signature\":\"\(String(repeating: "A", count: 100_000))".utf8),
            "yaml-anchors": Array("a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n".utf8),
            "multipart-parts": [9] + Array(String(repeating: "--fuzz\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n", count: 5000).utf8),
        ]
        for (name, bytes) in inputs { _ = try folder.write(name, bytes) }
        for target in Self.targets {
            let result = try runTool(Self.fuzzBinary, [target, folder.path])
            #expect(result.status == 0, "\(target): \(result.stderr)")
            #expect(result.stdout.contains("replayed \(inputs.count) inputs"), "\(target): \(result.stdout)")
        }
    }
}
