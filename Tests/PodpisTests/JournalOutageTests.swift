import Foundation
import PodpisJournal
import Testing

/// Issue #14, item 6: PostgreSQL goes away under a running node (simulated by a TCP proxy the test controls, in front
/// of the one PostgreSQL server the tests share): verification answers 503 journal-unavailable with Retry-After, never
/// a hang or a 500; /readyz answers 503 promptly; the node recovers by itself when the database returns.
@Suite("Journal outage", .serialized)
struct JournalOutageTests {
    @Test("PostgreSQL down: 503 journal-unavailable within the journal timeout, /readyz 503, recovery after it returns; nothing answered 200 is lost",
          .enabled(if: TestPostgres.available, "PODPIS_TEST_POSTGRES is not set: no PostgreSQL server to test against"))
    func outage() async throws {
        let s = try ServiceProcessTests.Setup()
        defer { s.folder.cleanup() }
        let url = try #require(URLComponents(string: TestPostgres.url(table: "journal_outage_test")))
        let cleaner = try await PostgresJournal(url: url.string!)
        try await cleaner.execute("DROP TABLE IF EXISTS journal")
        try await cleaner.execute("DROP TABLE IF EXISTS journal_checkpoints")
        try await cleaner.close()
        try await offCooperativePool { try Self.exercise(s, url: url) }
    }

    /// The outage itself, with blocking waits: on a thread of its own.
    static func exercise(_ s: ServiceProcessTests.Setup, url: URLComponents) throws {
        let proxy = try ControlledProxy(folder: s.folder, targetHost: url.host ?? "127.0.0.1", targetPort: url.port ?? 5432)
        defer { proxy.stop() }
        var proxied = url
        proxied.host = "127.0.0.1"
        proxied.port = proxy.port
        let server = try BackgroundServer(CLI.binary, [
            "serve", "--port", "0", "--database", proxied.string!, "--trust", s.layout.trustDirectory, "--offline",
            "--policies", Repository.policies, "--certs", Repository.certs,
        ], environment: ["PODPIS_JOURNAL_TIMEOUT": "4"])
        defer { server.stop() }

        func verify(_ id: String) throws -> (status: String, headers: String, seconds: Double) {
            let headers = s.folder.file("h-\(id).txt")
            let started = Date()
            // --max-time is a hang guard, far above the 4 s journal timeout.
            let result = try runTool("curl", ["-sS", "--max-time", "30", "-D", headers, "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Request-ID: \(id)",
                                              "-F", "document=@\(s.document)", "-F", "signature=@\(s.signature)", "\(server.url)/v1/verify"])
            return (result.stdout, (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "", Date().timeIntervalSince(started))
        }
        func ready() throws -> String {
            try runTool("curl", ["-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}", "\(server.url)/readyz"]).stdout
        }

        var answered: [String] = []
        for n in 0..<3 {
            let result = try verify("before-\(n)")
            #expect(result.status == "200")
            if result.status == "200" { answered.append("before-\(n)") }
        }
        #expect(try ready() == "200")

        proxy.down()
        let during = try verify("during")
        #expect(during.status == "503", "\(during.status) \(during.headers)")
        #expect(during.headers.lowercased().contains("retry-after:"), "\(during.headers)")
        #expect(during.seconds < 25, "answered after \(during.seconds) s")
        if during.status == "200" { answered.append("during") }
        let readyStarted = Date()
        let readyDuring = try ready()
        #expect(readyDuring == "503")
        print("outage: verification answered \(during.status) after \(String(format: "%.1f", during.seconds)) s, readyz \(readyDuring) after \(String(format: "%.1f", Date().timeIntervalSince(readyStarted))) s")

        proxy.up()
        let back = Date()
        var recovered = false
        while Date().timeIntervalSince(back) < 20 {
            if try ready() == "200" { recovered = true; break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(recovered, "the node did not recover within 20 s of the database's return")
        print("outage: ready again \(String(format: "%.1f", Date().timeIntervalSince(back))) s after the database returned")
        let after = try verify("after")
        #expect(after.status == "200")
        if after.status == "200" { answered.append("after") }

        // Every request answered 200 is in the journal, and the chain is whole.
        let audit = try CLI.run(["audit", "verify", "--database", url.string!])
        #expect(audit.status == 0, "\(audit.stdout) \(audit.stderr)")
        let export = try CLI.run(["audit", "export", "--database", url.string!])
        for id in answered { #expect(export.stdout.contains("\"requestID\":\"\(id)\""), "\(id) answered 200 but not journaled") }
    }
}
