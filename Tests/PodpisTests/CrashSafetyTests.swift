import Foundation
import PodpisJournal
import Testing

/// Nothing acknowledged is lost: the service journals a verification before it answers, so a 200 means the entry is
/// durable. These tests drive `podpis serve` with concurrent verifications, kill it with SIGKILL mid-load (no chance to
/// flush or close anything), restart it on the same journal and check with `podpis audit` that the chain is intact
/// and that every request answered 200 has its entry.
@Suite("Crash safety", .serialized)
struct CrashSafetyTests {
    /// Sends verifications from `workers` threads until `stop` is set; returns the request ids answered 200.
    static func load(url: String, setup: ServiceProcessTests.Setup, workers: Int, run: TimeInterval, server: BackgroundServer) -> (answered: [String], failed: Int) {
        let answered = LockedBox<[String]>([])
        let failed = LockedBox<Int>(0)
        let stopAt = Date().addingTimeInterval(run)
        let group = DispatchGroup()
        // One thread per worker (not concurrentPerform: it runs only as many iterations at once as there are cores).
        for worker in 0..<workers {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                var sequence = 0
                // Keep sending until the process is gone (requests after the kill fail and are not counted as answered).
                while server.process.isRunning {
                    sequence += 1
                    let id = "crash-\(worker)-\(sequence)"
                    guard let result = try? runTool("curl", ["-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                                                             "-H", "X-Request-ID: \(id)",
                                                             "-F", "document=@\(setup.document)", "-F", "signature=@\(setup.signature)",
                                                             "\(url)/v1/verify"]) else { break }
                    if result.stdout == "200" {
                        answered.withLock { $0.append(id) }
                    } else {
                        failed.withLock { $0 += 1 }
                    }
                }
            }
            thread.start()
        }
        // The killer: SIGKILL while requests are in flight.
        while Date() < stopAt { Thread.sleep(forTimeInterval: 0.01) }
        kill(server.process.processIdentifier, SIGKILL)
        group.wait()
        return (answered.value, failed.value)
    }

    func crashAndCheck(database: String, setup: ServiceProcessTests.Setup) throws {
        let server = try setup.serve(database: database)
        let (answered, _) = Self.load(url: server.url, setup: setup, workers: 6, run: 3, server: server)
        let deadline = Date().addingTimeInterval(10)
        while server.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!server.process.isRunning)
        #expect(server.process.terminationReason == .uncaughtSignal)
        #expect(answered.count >= 6, "too few answers before the kill to prove anything: \(answered.count)")

        // Restart on the same journal: it opens, and serves.
        let restarted = try setup.serve(database: database)
        defer { restarted.stop() }
        let after = try runTool("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Request-ID: after-restart",
                                         "-F", "document=@\(setup.document)", "-F", "signature=@\(setup.signature)", "\(restarted.url)/v1/verify"])
        #expect(after.stdout == "200", "\(after.stderr)")

        // The chain is intact, and every acknowledged request is in it.
        let audit = try CLI.run(["audit", "verify", "--database", database])
        #expect(audit.status == 0, "\(audit.stdout) \(audit.stderr)")
        let export = try CLI.run(["audit", "export", "--database", database])
        #expect(export.status == 0, "\(export.stderr)")
        var journaled = Set<String>()
        for line in export.stdout.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let id = object["requestID"] as? String ?? object["requestId"] as? String ?? object["request_id"] as? String
            else { continue }
            journaled.insert(id)
        }
        let lost = answered.filter { !journaled.contains($0) }
        #expect(lost.isEmpty, "answered 200 but not journaled: \(lost)")
        #expect(journaled.contains("after-restart"))
    }

    @Test("SQLite: SIGKILL under load loses no acknowledged verification and leaves the chain intact")
    func sqlite() throws {
        let setup = try ServiceProcessTests.Setup()
        defer { setup.folder.cleanup() }
        try crashAndCheck(database: "sqlite:" + setup.folder.file("journal.sqlite"), setup: setup)
    }

    @Test("PostgreSQL: the same", .enabled(if: TestPostgres.available, "PODPIS_TEST_POSTGRES is not set (or empty): no PostgreSQL server to test against"))
    func postgres() async throws {
        let setup = try ServiceProcessTests.Setup()
        defer { setup.folder.cleanup() }
        let url = TestPostgres.url(table: "journal_crash_test")
        let cleaner = try await TestPostgres.journal(url)
        try await cleaner.execute("DROP TABLE IF EXISTS journal")  // execute() names the URL's table
        try await cleaner.close()
        try await offCooperativePool { try self.crashAndCheck(database: url, setup: setup) }
    }
}

/// A value shared between threads of a test.
final class LockedBox<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R { lock.lock(); defer { lock.unlock() }; return body(&stored) }
    var value: Value { withLock { $0 } }
}
