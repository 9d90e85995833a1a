import EvidenceModel
import Foundation
@testable import PodpisJournal
import Testing
@testable import SigningCore

/// Where PostgreSQL is for these tests: `.ci/run` installs and starts one and sets this variable.
enum TestPostgres {
    /// Set but empty counts as unset: the tests skip, saying so.
    static let url = Requirements.environment("PODPIS_TEST_POSTGRES")
    static var available: Bool { url != nil }
    /// The same server, a table of the test's own (suites run in parallel).
    static func url(table: String) -> String { url! + (url!.contains("?") ? "&" : "?") + "table=\(table)" }
    /// A journal on the shared server whose group commit may take two minutes: these tests check chains, not
    /// latency, and a CI machine running the whole suite on two cores can hold a batch past the service's 10 s
    /// (the timeout itself is tested, with the service's value, in JournalOutageTests).
    static func journal(_ url: String, node: String = JournalNodes.single) async throws -> PostgresJournal {
        try await PostgresJournal(url: url, node: node, batchTimeout: .seconds(120))
    }
}

/// The journal's chain, on SQLite and on PostgreSQL.
@Suite("Audit journal", .serialized)
struct JournalTests {
    static func record(_ n: Int) -> JournalRecord {
        JournalRecord(requestID: "req-\(n)", documentDigest: String(repeating: "a", count: 64), signatureDigest: String(repeating: "b", count: 64),
                      signers: ["CN=Иванова Мария Петровна"], policyID: "default", policyVersion: "1.0",
                      indication: n % 3 == 0 ? .totalFailed : .totalPassed, subIndication: n % 3 == 0 ? .hashFailure : nil,
                      evidence: "{\"n\":\(n)}")
    }

    func exercise(_ journal: any AuditJournal, tamper: (String) async throws -> Void) async throws {
        // Concurrent appends keep one chain with no gaps.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 1...40 { group.addTask { _ = try await journal.append(Self.record(n)) } }
            try await group.waitForAll()
        }
        let check = try await journal.verifyChain()
        #expect(check.intact)
        #expect(check.entries == 40)
        let entries = try await journal.entries(after: 0, limit: 100)
        #expect(entries.map(\.seq) == Array(1...40))
        #expect(entries[0].previousHash == JournalEntry.genesis)
        #expect(entries[1].previousHash == entries[0].hash)
        #expect(entries[0].signers == ["CN=Иванова Мария Петровна"])
        // An edited row is found, at its own entry.
        try await tamper("UPDATE journal SET policy_version = 'forged' WHERE seq = 12")
        let broken = try await journal.verifyChain()
        #expect(broken.firstBroken?.seq == 12)
        // A deleted row breaks the links.
        try await tamper("UPDATE journal SET policy_version = '1.0' WHERE seq = 12")
        try await tamper("DELETE FROM journal WHERE seq = 20")
        #expect(try await journal.verifyChain().firstBroken?.seq == 21)
    }

    @Test("SQLite: concurrent appends, one intact chain; edits and deletions are found")
    func sqlite() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let journal = try SQLiteJournal(path: folder.file("j.sqlite"))
        try await exercise(journal) { try await journal.execute($0) }
        try await journal.close()
    }

    @Test("PostgreSQL: the same", .enabled(if: TestPostgres.available, "PODPIS_TEST_POSTGRES is not set (or empty): no PostgreSQL server to test against"))
    func postgres() async throws {
        let url = TestPostgres.url(table: "journal_unit_test")
        let journal = try await TestPostgres.journal(url)
        try await journal.execute("DROP TABLE IF EXISTS journal")
        try await journal.close()
        let fresh = try await TestPostgres.journal(url)
        try await exercise(fresh) { try await fresh.execute($0) }
        try await fresh.close()
    }
}

/// `podpis serve` as a process: curl against it, SIGTERM, several nodes on one PostgreSQL journal.
@Suite("Service process", .serialized)
struct ServiceProcessTests {
    struct Setup {
        let folder: TemporaryFolder
        let layout: DemoPKI.Layout
        let document: String
        let signature: String

        init() throws {
            folder = try TemporaryFolder()
            layout = try DemoPKI.create(in: folder.file("pki"))
            document = try folder.write("order.txt", sampleDocument)
            signature = document + ".sig"
            let (identity, options) = try layout.signing("rsa")
            try FileInput.writeAtomically(try Signer.sign(.file(document), identity: identity, options: options), to: signature)
        }

        func serve(database: String, extra: [String] = []) throws -> BackgroundServer {
            try BackgroundServer(CLI.binary, ["serve", "--port", "0", "--database", database, "--trust", layout.trustDirectory, "--offline",
                                              "--policies", Repository.policies, "--certs", Repository.certs] + extra)
        }
    }

    @Test("curl: multipart and digest-only; SIGTERM drains and exits; the journal is intact")
    func curl() throws {
        let s = try Setup()
        defer { s.folder.cleanup() }
        let database = "sqlite:" + s.folder.file("journal.sqlite")
        let server = try s.serve(database: database)
        let multipart = try runTool("curl", ["-sS", "-F", "document=@\(s.document)", "-F", "signature=@\(s.signature)", "-F", "lang=ru",
                                             "\(server.url)/v1/verify"])
        #expect(multipart.stdout.contains("\"indication\":\"TOTAL-PASSED\"") || multipart.stdout.contains("\"indication\":\"INDETERMINATE\""), "\(multipart.stdout)")
        let digest = try MultiDigest.digest(.sha256, sampleDocument).map { String(format: "%02x", $0) }.joined()
        let signatureBase64 = Data(try FileInput.readSmallFile(path: s.signature, limit: 1 << 20)).base64EncodedString()
        let body = try s.folder.write("req.json", Array("{\"signature\":\"\(signatureBase64)\",\"documentDigest\":\"\(digest)\",\"digestAlgorithm\":\"sha256\"}".utf8))
        let digestOnly = try runTool("curl", ["-sS", "-H", "Content-Type: application/json", "--data-binary", "@\(body)", "\(server.url)/v1/verify"])
        #expect(digestOnly.stdout.contains("\"source\":\"digest\""), "\(digestOnly.stdout)")
        let metrics = try runTool("curl", ["-sS", "\(server.url)/metrics"])
        #expect(metrics.stdout.contains("podpis_verifications_total"))
        // SIGTERM: the process ends cleanly and the journal is whole.
        server.process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while server.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!server.process.isRunning)
        #expect(server.process.terminationStatus == 0)
        let audit = try CLI.run(["audit", "verify", "--database", database])
        #expect(audit.status == 0, "\(audit.stdout)")
        #expect(audit.stdout.contains("2"))
        // Re-judging the journal's evidence under an edited policy: revocation data no longer required (offline
        // verifications were INDETERMINATE/TRY_LATER and become TOTAL-PASSED).
        let edited = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent("default.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "params: {require: advertised}", with: "params: {require: never}")
        let file = try s.folder.write("default.yaml", Array(edited.utf8))
        let impact = try CLI.run(["policy", "impact", file, "--journal", database, "--policies", Repository.policies, "--certs", Repository.certs])
        #expect(impact.status == 0, "\(impact.stderr)")
        #expect(impact.stdout.split(separator: "\n").filter { $0.hasPrefix("entry ") }.count == 2, "\(impact.stdout)")
        #expect(impact.stdout.contains("TRY_LATER") && impact.stdout.contains("→ TOTAL-PASSED"), "\(impact.stdout)")
        #expect(impact.stdout.contains("revocation"))
    }

    @Test("optional TLS: HTTPS from a PEM certificate and key")
    func tls() throws {
        let s = try Setup()
        defer { s.folder.cleanup() }
        let server = try s.serve(database: "sqlite:" + s.folder.file("journal.sqlite"),
                                 extra: ["--tls-cert", s.layout.path("official-rsa.pem"), "--tls-key", s.layout.path("official-rsa.key")])
        defer { server.stop() }
        #expect(server.url.hasPrefix("https://"))
        let health = try runTool("curl", ["-sS", "-k", "\(server.url)/healthz"])
        #expect(health.stdout == "ok\n", "\(health.stderr)")
        let plain = try runTool("curl", ["-sS", "--max-time", "5", server.url.replacingOccurrences(of: "https://", with: "http://") + "/healthz"])
        #expect(plain.stdout != "ok\n")
    }

    // «429 when the concurrency limit is hit» pinned a slow upload holding the only verification slot. Uploads now
    // have slots of their own (issue #14): `ServiceExposureTests.slowUploads` checks that a normal request gets 200
    // beside slow uploaders, and `verificationSlot` the 429 when verifications themselves fill the slots.

    /// Drops a test's PostgreSQL tables (the journal, its blobs and its checkpoints) so that it starts empty.
    static func emptyTables(_ url: String) async throws {
        let cleaner = try await TestPostgres.journal(url)
        try await cleaner.execute("DROP TABLE IF EXISTS journal, journal_blobs, journal_checkpoints")
        try await cleaner.close()
    }

    /// POSTs the test signature over its document `count` times, to each service in turn, 8 at a time: blocking
    /// curl calls on threads of their own (not on the cooperative pool). Returns the statuses.
    static func post(_ count: Int, alternating services: [String], signature path: String) async throws -> [Int] {
        let signature = try FileInput.readSmallFile(path: path, limit: 1 << 20)
        let body = Array("{\"signature\":\"\(Data(signature).base64EncodedString())\",\"document\":\"\(Data(sampleDocument).base64EncodedString())\"}".utf8)
        let urls = (0..<count).map { services[$0 % services.count] + "/v1/verify" }
        return try await offCooperativePool {
            let results = LockedBox<[Int]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { worker in
                for url in urls.enumerated().filter({ $0.offset % 8 == worker }).map(\.element) {
                    let status = (try? HTTPFetcher.post(url, body: body, contentType: "application/json").status) ?? -1
                    results.withLock { $0.append(status) }
                }
            }
            return results.value
        }
    }

    @Test("two serve nodes on one PostgreSQL journal: a chain each, checkpoints over both heads, audit and policy impact read both",
          .enabled(if: TestPostgres.available, "PODPIS_TEST_POSTGRES is not set (or empty): no PostgreSQL server to test against"))
    func twoNodes() async throws {
        let s = try Setup()
        defer { s.folder.cleanup() }
        let url = TestPostgres.url(table: "journal_nodes_test")
        try await Self.emptyTables(url)
        // The journal key every node signs with, and one checkpoint folder (as on shared storage).
        let (_, key, cert, _) = try JournalNotary.localIdentity(besideDatabase: s.folder.file("journal"))
        let checkpoints = s.folder.file("checkpoints")
        let journalFlags = ["--journal-key", key, "--journal-cert", cert, "--checkpoints", checkpoints]
        let a = try s.serve(database: url, extra: ["--node", "a"] + journalFlags)
        let b = try s.serve(database: url, extra: ["--node", "b"] + journalFlags)
        let statuses = try await Self.post(40, alternating: [a.url, b.url], signature: s.signature)
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        // SIGTERM: each node writes its last checkpoint, stating the other's head too.
        a.stop()
        b.stop()
        let files = try JournalAudit.checkpointFiles(in: checkpoints).map { ($0 as NSString).lastPathComponent }
        #expect(files == ["checkpoint-a-00000000000000000020.p7m", "checkpoint-b-00000000000000000020.p7m"], "\(files)")
        let audit = try CLI.run(["audit", "verify", "--database", url, "--checkpoints", checkpoints, "--journal-cert", cert, "--lang", "en"])
        #expect(audit.status == 0, "\(audit.stdout)\(audit.stderr)")
        #expect(audit.stdout.contains("40 entries in 2 node chains («a»: 20, «b»: 20)"), "\(audit.stdout)")
        #expect(audit.stdout.contains("node «a» up to entry 20, node «b» up to entry 20"), "\(audit.stdout)")
        // Export names each entry's node; policy impact re-judges the entries of both nodes.
        let export = try CLI.run(["audit", "export", "--database", url])
        let nodes = export.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["node"] as? String
        }
        #expect(nodes.filter { $0 == "a" }.count == 20 && nodes.filter { $0 == "b" }.count == 20, "\(nodes)")
        let edited = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent("default.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "params: {require: advertised}", with: "params: {require: never}")
        let file = try s.folder.write("default.yaml", Array(edited.utf8))
        let impact = try CLI.run(["policy", "impact", file, "--journal", url, "--policies", Repository.policies, "--certs", Repository.certs])
        #expect(impact.status == 0, "\(impact.stderr)")
        #expect(impact.stdout.split(separator: "\n").filter { $0.hasPrefix("entry ") }.count == 40, "\(impact.stdout)")
    }

    @Test("two serve processes given the same node name take turns on one chain instead of forking it",
          .enabled(if: TestPostgres.available, "PODPIS_TEST_POSTGRES is not set (or empty): no PostgreSQL server to test against"))
    func sameNodeTwoProcesses() async throws {
        let s = try Setup()
        defer { s.folder.cleanup() }
        let url = TestPostgres.url(table: "journal_nodes_same_test")
        try await Self.emptyTables(url)
        let a = try s.serve(database: url)
        let b = try s.serve(database: url)
        defer { a.stop(); b.stop() }
        let statuses = try await Self.post(40, alternating: [a.url, b.url], signature: s.signature)
        #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
        let audit = try await auditJournal(url)
        #expect(audit.intact, "\(audit.findings) \(String(describing: audit.chain.firstBroken))")
        #expect(audit.chain.entries == 40)
    }
}

/// The journal writes entry times with a shared format style instead of a new ISO8601DateFormatter per entry; the
/// text must stay what the formatter wrote (entries are hashed as text, older entries are read back).
@Suite("Journal entry time")
struct JournalTimeTests {
    @Test("RFC 3339, milliseconds, UTC: the same text as ISO8601DateFormatter, and it reads back")
    func sameTextAsTheFormatter() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // Exactly representable fractions, so no rounding question arises between the two.
        for seconds in [0, 951_782_400.5, 1_764_102_503.25, 1_764_102_503.125, 4_102_444_799.875, 1_700_000_000] as [TimeInterval] {
            let date = Date(timeIntervalSince1970: seconds)
            let entry = JournalEntry.make(seq: 1, record: JournalTests.record(1), previousHash: JournalEntry.genesis, now: date)
            #expect(entry.time == formatter.string(from: date))
            #expect(entry.date == date)
            #expect(entry.computedHash() == entry.hash)
        }
    }
}

/// The entry hash is over the canonical JSON of the entry; the journal now writes that JSON itself instead of running
/// `JSONEncoder` over an entry whose evidence is ~18 KB of text. Its bytes must be the encoder's, for every text: an
/// entry written by an earlier version would otherwise read as changed (and outside verifiers would disagree).
@Suite("Journal entry hash")
struct JournalHashTests {
    static func encoderBytes(_ entry: JournalEntry) throws -> [UInt8] {
        var copy = entry
        copy.hash = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // As the hash is defined: chain "0" without `node` (the single-chain format), any other chain with it.
        encoder.userInfo[JournalEntry.hashingKey] = true
        return Array(try encoder.encode(copy))
    }

    @Test("a changed entry does not match its hash, whichever way it is computed")
    func changed() throws {
        let entry = JournalEntry.make(seq: 7, record: JournalTests.record(7), previousHash: JournalEntry.genesis)
        #expect(entry.hashMatches)
        var edited = entry
        edited.evidence += " "
        #expect(!edited.hashMatches)
        edited = entry
        edited.subIndication = Recorded(.hashFailure)
        #expect(!edited.hashMatches)
        edited = entry
        edited.signers = []
        #expect(!edited.hashMatches)
    }

    @Test("canonicalJSON is JSONEncoder's bytes: control characters, quotes, backslashes, slashes, any Unicode, absent optionals")
    func sameBytesAsTheEncoder() throws {
        var controls = ""
        for value in 0..<0x20 { controls.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        let texts = [
            "", controls, "\u{7f}/\\\"é\u{2028}\u{2029}😀\u{FEFF}", "a\\\\\"\\\"", "CN=Иванова \"М\", O=ООО «Ромашка»\\/", "</script>",
            "\u{0}\u{1F}\u{20}", String(repeating: "{\"der\":\"MIIB\\/+==\"}", count: 50),
        ]
        // And seeded random text over every plane (no randomness between runs: a failure reproduces).
        var generator = SeededGenerator(seed: 2126)
        var random: [String] = []
        for _ in 0..<200 {
            var text = ""
            for _ in 0..<Int.random(in: 0..<40, using: &generator) {
                let ranges: [ClosedRange<UInt32>] = [0...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
                let range = ranges.randomElement(using: &generator)!
                if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &generator)) { text.unicodeScalars.append(scalar) }
            }
            random.append(text)
        }
        for (index, text) in (texts + random).enumerated() {
            for optionals in [true, false] {
                let record = JournalRecord(
                    requestID: text, documentDigest: optionals ? text : nil, signatureDigest: text, signers: index % 3 == 0 ? [] : [text, "CN=x"],
                    policyID: text, policyVersion: text, indication: .totalPassed, subIndication: nil, evidence: text)
                var entry = JournalEntry.make(node: index % 2 == 0 ? "0" : "node-\(index % 7)", seq: Int64(index) * 1_000_003, record: record, previousHash: text, now: Date(timeIntervalSince1970: 1_764_102_503.125))
                // The recorded verdict is text too (a journal may hold one this version does not know).
                entry.indication = Recorded(rawValue: text)
                entry.subIndication = optionals ? Recorded(rawValue: text) : nil
                let expected = try Self.encoderBytes(entry)
                #expect(entry.canonicalJSON() == expected, "\(entry.node) \(text.unicodeScalars.map { String($0.value, radix: 16) })")
                #expect(entry.computedHash() == entry.encoderHash())
            }
        }
        // A real evidence text (a CAdES-LT verification).
        let lt = try JournalSizeTests.ltEvidence(count: 1)[0]
        let entry = JournalEntry.make(seq: 1, record: JournalSizeTests.record(1, evidence: lt.evidence), previousHash: JournalEntry.genesis)
        #expect(entry.canonicalJSON() == (try Self.encoderBytes(entry)))
    }
}

/// SplitMix64: reproducible pseudo-random values for generated test inputs.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
