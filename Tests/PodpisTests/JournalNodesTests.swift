import EvidenceModel
import Foundation
@testable import PodpisJournal
import Testing
@testable import SigningCore

/// Issue #21, several nodes: each node of a shared PostgreSQL journal keeps its own hash chain, and signed
/// checkpoints state every node's head, so that `audit verify` still proves the whole history complete.
@Suite("Journal nodes: a chain per node, checkpoints over every head", .serialized)
struct JournalNodesTests {
    static let enabled = TestPostgres.available
    static let skip: Comment = "PODPIS_TEST_POSTGRES is not set (or empty): no PostgreSQL server to test against"

    /// A fresh table of the test's own (and its blob and checkpoint tables).
    static func freshTable(_ table: String) async throws -> String {
        let url = TestPostgres.url(table: table)
        let cleaner = try await TestPostgres.journal(url)
        try await cleaner.execute("DROP TABLE IF EXISTS journal, journal_blobs, journal_checkpoints")
        try await cleaner.close()
        return url
    }

    /// Two nodes' journals on one table, `count` entries each appended concurrently (both nodes at once).
    static func twoNodes(_ url: String, count: Int) async throws -> (PostgresJournal, PostgresJournal) {
        let a = try await TestPostgres.journal(url, node: "a")
        let b = try await TestPostgres.journal(url, node: "b")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 1...count {
                group.addTask { _ = try await a.append(JournalTests.record(n)) }
                group.addTask { _ = try await b.append(JournalTests.record(1000 + n)) }
            }
            try await group.waitForAll()
        }
        return (a, b)
    }

    /// A notary and its checkpoint folder.
    struct Notary {
        let folder: TemporaryFolder
        let notary: JournalNotary
        var directory: String { folder.file("checkpoints") }
        init() throws {
            folder = try TemporaryFolder()
            try FileManager.default.createDirectory(atPath: folder.file("checkpoints"), withIntermediateDirectories: true)
            let (identity, _, _, _) = try JournalNotary.localIdentity(besideDatabase: folder.file("key"))
            notary = JournalNotary(identity: identity, directory: folder.file("checkpoints"), every: 1_000_000)
        }
        func audit(_ journal: any AuditJournal, receipts: [(name: String, bytes: [UInt8])] = []) async throws -> JournalAudit.Result {
            try await JournalAudit.run(journal: journal, checkpointDirectory: directory, receipts: receipts, pinned: notary.identity.certificate)
        }
    }

    /// What an intruder with the database does after editing entry `seq` of `node`: recomputes that entry's hash and
    /// every later one of the chain, so that the chain verifies again.
    static func rechain(_ journal: PostgresJournal, node: String, from seq: Int64) async throws {
        var previous = seq == 1 ? JournalEntry.genesis : try await journal.entries(node: node, after: seq - 2, limit: 1)[0].hash
        for entry in try await journal.entries(node: node, after: seq - 1, limit: 100_000) {
            var fixed = entry
            fixed.previousHash = previous
            fixed.hash = fixed.computedHash()
            try await journal.execute("UPDATE journal SET previous_hash = '\(fixed.previousHash)', hash = '\(fixed.hash)' WHERE node = '\(node)' AND seq = \(entry.seq)")
            previous = fixed.hash
        }
    }

    @Test("two nodes appending at once: each chain counts from 1, links from genesis, and the audit reads both",
          .enabled(if: enabled, skip))
    func twoWriters() async throws {
        let url = try await Self.freshTable("journal_nodes_two")
        let (a, b) = try await Self.twoNodes(url, count: 150)
        defer { Task { try? await a.close(); try? await b.close() } }
        let heads = try await a.heads()
        #expect(heads.map(\.node) == ["a", "b"])
        #expect(heads.map(\.seq) == [150, 150])
        let check = try await a.verifyChain()
        #expect(check.intact, "\(String(describing: check.firstBroken))")
        #expect(check.nodes == ["a": 150, "b": 150])
        #expect(try await a.entries(node: "b", after: 0, limit: 1).first?.previousHash == JournalEntry.genesis)
        // Every entry is in exactly one chain and names it; export (and so policy impact --journal) reads all of them.
        var exported: [String: Int] = [:]
        try await a.export(since: nil) { exported[$0.node, default: 0] += 1 }
        #expect(exported == ["a": 150, "b": 150])
        // A checkpoint by node a states b's head as well; the audit against it is clean.
        let n = try Notary()
        defer { n.folder.cleanup() }
        let checkpoint = try #require(try await n.notary.writeCheckpoint(journal: a))
        let statement = try JournalStatement.parse(try SignedPayload.open(checkpoint.signedData, subject: "checkpoint").content)
        #expect(statement.node == "a" && statement.seq == 150)
        #expect(statement.heads == [JournalStatement.Head(node: "b", seq: 150, hash: heads[1].hash)])
        let audit = try await n.audit(b)
        #expect(audit.intact, "\(audit.findings)")
        #expect(audit.checkpointed == ["a": 150, "b": 150])
    }

    @Test("the same node name in two processes does not fork its chain: they take turns",
          .enabled(if: enabled, skip))
    func sameNodeTwice() async throws {
        let url = try await Self.freshTable("journal_nodes_same")
        let first = try await TestPostgres.journal(url, node: "a")
        let second = try await TestPostgres.journal(url, node: "a")
        defer { Task { try? await first.close(); try? await second.close() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 1...100 {
                group.addTask { _ = try await first.append(JournalTests.record(n)) }
                group.addTask { _ = try await second.append(JournalTests.record(500 + n)) }
            }
            try await group.waitForAll()
        }
        let check = try await first.verifyChain()
        #expect(check.intact, "\(String(describing: check.firstBroken))")
        #expect(check.nodes == ["a": 200])
        let seqs = try await first.entries(node: "a", after: 0, limit: 1000).map(\.seq)
        #expect(seqs == Array(1...200))
    }

    @Test("one node's tail cut after a checkpoint (the database's copies deleted too): found, naming the node",
          .enabled(if: enabled, skip))
    func truncatedNode() async throws {
        let url = try await Self.freshTable("journal_nodes_cut")
        let (a, b) = try await Self.twoNodes(url, count: 30)
        defer { Task { try? await a.close(); try? await b.close() } }
        let n = try Notary()
        defer { n.folder.cleanup() }
        // Node a writes the checkpoint; b's chain is anchored by it.
        _ = try await n.notary.writeCheckpoint(journal: a)
        try await a.execute("DELETE FROM journal WHERE node = 'b' AND seq > 20")
        try await a.execute("DELETE FROM journal_checkpoints")
        #expect(try await a.verifyChain().intact, "the chains alone cannot see a cut tail")
        let audit = try await n.audit(a)
        #expect(audit.findings == [.truncated(source: "checkpoint-a-00000000000000000030.p7m", node: "b", seq: 30, last: 20, receipt: false)],
                "\(audit.findings)")
        // And the CLI says so, in both languages, with the node.
        for (lang, words) in [("en", "of node «b»"), ("ru", "узла «b»")] {
            let out = try CLI.run(["audit", "verify", "--database", url, "--checkpoints", n.directory, "--lang", lang])
            #expect(out.status == 1, "\(out.stdout)\(out.stderr)")
            #expect(out.stdout.contains(words), "\(out.stdout)")
        }
    }

    @Test("an entry of one node rewritten and its chain recomputed: found by the other node's checkpoint, and by a receipt",
          .enabled(if: enabled, skip))
    func rewrittenNode() async throws {
        let url = try await Self.freshTable("journal_nodes_rewrite")
        let (a, b) = try await Self.twoNodes(url, count: 20)
        defer { Task { try? await a.close(); try? await b.close() } }
        let n = try Notary()
        defer { n.folder.cleanup() }
        _ = try await n.notary.writeCheckpoint(journal: a)
        let receipt = try n.notary.receipt(for: try await b.entries(node: "b", after: 11, limit: 1)[0])
        try await a.execute("UPDATE journal SET request_id = 'forged', indication = 'TOTAL-PASSED', sub_indication = NULL WHERE node = 'b' AND seq = 12")
        try await Self.rechain(a, node: "b", from: 12)
        try await a.execute("DELETE FROM journal_checkpoints")
        #expect(try await a.verifyChain().intact)
        let audit = try await n.audit(a, receipts: [(name: "receipt-b-12", bytes: receipt)])
        let rewritten = audit.findings.compactMap { finding -> String? in
            if case .rewritten(let source, let node, let seq, _, _, _) = finding { "\(source) \(node)/\(seq)" } else { nil }
        }
        #expect(rewritten.sorted() == ["checkpoint-a-00000000000000000020.p7m b/20", "receipt-b-12 b/12"], "\(audit.findings)")
        #expect(audit.findings.count == 2)
    }

    @Test("a whole node's chain deleted after a checkpoint that listed it: found", .enabled(if: enabled, skip))
    func deletedNode() async throws {
        let url = try await Self.freshTable("journal_nodes_gone")
        let (a, b) = try await Self.twoNodes(url, count: 10)
        defer { Task { try? await a.close(); try? await b.close() } }
        let n = try Notary()
        defer { n.folder.cleanup() }
        _ = try await n.notary.writeCheckpoint(journal: a)
        try await a.execute("DELETE FROM journal WHERE node = 'b'")
        try await a.execute("DELETE FROM journal_checkpoints")
        let check = try await a.verifyChain()
        #expect(check.intact && check.nodes == ["a": 10], "the chains left are whole: only the checkpoint knows b existed")
        let audit = try await n.audit(a)
        #expect(audit.findings == [.nodeMissing(source: "checkpoint-a-00000000000000000010.p7m", node: "b", seq: 10, receipt: false)],
                "\(audit.findings)")
        let out = try CLI.run(["audit", "verify", "--database", url, "--checkpoints", n.directory, "--lang", "en"])
        #expect(out.status == 1)
        #expect(out.stdout.contains("no entry of that node"), "\(out.stdout)")
    }

    @Test("an entry moved to another node's chain, or its node renamed, breaks the chain: the hash covers the node",
          .enabled(if: enabled, skip))
    func movedEntry() async throws {
        let url = try await Self.freshTable("journal_nodes_move")
        let (a, b) = try await Self.twoNodes(url, count: 5)
        defer { Task { try? await a.close(); try? await b.close() } }
        // b's last entry relabelled as a's sixth: its seq and link could be fixed up, its hash cannot.
        let last = try await b.entries(node: "b", after: 4, limit: 1)[0]
        let aHead = try #require(try await a.head())
        try await a.execute("UPDATE journal SET node = 'a', seq = 6, previous_hash = '\(aHead.hash)' WHERE hash = '\(last.hash)'")
        let check = try await a.verifyChain()
        #expect(check.firstBroken?.node == "a" && check.firstBroken?.seq == 6, "\(String(describing: check.firstBroken))")
        #expect(check.firstBroken?.reason.contains("hash mismatch") == true)
    }

    /// The entry hash of the single-chain format: SHA-256 over the entry's JSON without `node`, as versions before
    /// nodes wrote it.
    struct LegacyEntry: Codable {
        var seq: Int64
        var time: String
        var requestID: String
        var documentDigest: String?
        var signatureDigest: String
        var signers: [String]
        var policyID: String
        var policyVersion: String
        var indication: Recorded<Indication>
        var subIndication: Recorded<SubIndication>?
        var evidence: String
        var previousHash: String
        var hash: String
    }

    static func legacyHash(_ entry: JournalEntry) throws -> String {
        let legacy = LegacyEntry(seq: entry.seq, time: entry.time, requestID: entry.requestID, documentDigest: entry.documentDigest,
                                 signatureDigest: entry.signatureDigest, signers: entry.signers, policyID: entry.policyID,
                                 policyVersion: entry.policyVersion, indication: entry.indication, subIndication: entry.subIndication,
                                 evidence: entry.evidence, previousHash: entry.previousHash, hash: "")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try MultiDigest.digest(.sha256, [UInt8](encoder.encode(legacy))).map { String(format: "%02x", $0) }.joined()
    }

    @Test("the entry hash covers the node; chain 0 hashes exactly as the single-chain format did")
    func hashCoversNode() throws {
        let zero = JournalEntry.make(seq: 3, record: JournalTests.record(3), previousHash: String(repeating: "1", count: 64))
        #expect(zero.hash == (try Self.legacyHash(zero)))
        var a = zero
        a.node = "a"
        #expect(a.computedHash() != zero.hash)
        #expect(!a.hashMatches, "an entry relabelled to another chain no longer matches its hash")
        a.hash = a.computedHash()
        #expect(a.encoderHash() == a.hash, "the direct canonical JSON and JSONEncoder agree with a node too")
        var b = a
        b.node = "b"
        #expect(b.computedHash() != a.hash)
        // Export names the node, and reads back.
        let exported = try JSONEncoder().encode(a)
        #expect(String(decoding: exported, as: UTF8.self).contains("\"node\":\"a\""))
        #expect(try JSONDecoder().decode(JournalEntry.self, from: exported) == a)
    }

    @Test("a legacy single-chain PostgreSQL journal migrates in place: its entries become chain 0 and still verify against its checkpoint",
          .enabled(if: enabled, skip))
    func legacyMigrates() async throws {
        let url = try await Self.freshTable("journal_nodes_legacy")
        let table = "journal_nodes_legacy"
        // The format-3 schema: one chain keyed by seq, no node column.
        let raw = try await TestPostgres.journal(url)
        try await raw.execute("DROP TABLE journal")
        try await raw.execute("""
            CREATE TABLE journal (seq BIGINT PRIMARY KEY, time TEXT NOT NULL, request_id TEXT NOT NULL, document_digest TEXT,
              signature_digest TEXT NOT NULL, signers TEXT NOT NULL, policy_id TEXT NOT NULL, policy_version TEXT NOT NULL,
              indication TEXT NOT NULL, sub_indication TEXT, evidence TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
              packed BYTEA)
            """)
        var previous = JournalEntry.genesis
        var legacy: [JournalEntry] = []
        for n in 1...12 {
            let entry = JournalEntry.make(seq: Int64(n), record: JournalTests.record(n), previousHash: previous)
            #expect(entry.hash == (try Self.legacyHash(entry)))
            try await raw.execute("""
                INSERT INTO journal (seq, time, request_id, document_digest, signature_digest, signers, policy_id, policy_version, indication,
                  sub_indication, evidence, previous_hash, hash) VALUES (\(entry.seq), '\(entry.time)', '\(entry.requestID)', '\(entry.documentDigest!)',
                  '\(entry.signatureDigest)', '["CN=Иванова Мария Петровна"]', 'default', '1.0', '\(entry.indication)',
                  \(entry.subIndication.map { "'\($0)'" } ?? "NULL"), '\(entry.evidence)', '\(entry.previousHash)', '\(entry.hash)')
                """)
            previous = entry.hash
            legacy.append(entry)
        }
        try await raw.close()
        // The checkpoint an older version wrote over the single chain: a four-field statement about chain "0".
        let n = try Notary()
        defer { n.folder.cleanup() }
        let statement = JournalStatement(node: "0", seq: 12, hash: legacy[11].hash, time: legacy[11].time)
        let old = try SignedPayload.sign(statement.canonicalJSON, identity: n.notary.identity)
        try Data(old).write(to: URL(fileURLWithPath: (n.directory as NSString).appendingPathComponent(JournalNotary.fileName(node: "0", seq: 12))))

        // A node of this version opens it (migration), appends as node "a"; the legacy chain stays chain "0".
        let a = try await TestPostgres.journal(url, node: "a")
        defer { Task { try? await a.close() } }
        for n in 1...3 { _ = try await a.append(JournalTests.record(100 + n)) }
        #expect(try await a.heads().map { "\($0.node)/\($0.seq)" } == ["0/12", "a/3"])
        #expect(try await a.entries(node: "0", after: 0, limit: 100) == legacy)
        let check = try await a.verifyChain()
        #expect(check.intact && check.nodes == ["0": 12, "a": 3], "\(check.nodes) \(String(describing: check.firstBroken))")
        var audit = try await n.audit(a)
        #expect(audit.intact, "\(audit.findings)")
        // (node, seq) is the key now: chain 0 and chain a may both hold seq 1, but one chain cannot hold it twice.
        await #expect(throws: (any Error).self) {
            try await a.execute("INSERT INTO journal (node, seq, time, request_id, signature_digest, signers, policy_id, policy_version, indication, evidence, previous_hash, hash) SELECT node, seq, time, request_id, signature_digest, signers, policy_id, policy_version, indication, evidence, previous_hash, 'x' FROM journal WHERE node = 'a' AND seq = 1")
        }
        // The old checkpoint still anchors chain 0: cutting it is found.
        try await a.execute("DELETE FROM journal WHERE node = '0' AND seq > 9")
        audit = try await n.audit(a)
        #expect(audit.findings == [.truncated(source: "checkpoint-0-00000000000000000012.p7m", node: "0", seq: 12, last: 9, receipt: false)],
                "\(audit.findings)")
        // Opening it again (a second node, another restart) changes nothing more.
        let again = try await TestPostgres.journal(url, node: "b")
        try await again.close()
        _ = table
    }

    @Test("node names are strict; a SQLite journal has one node; a statement's heads are well formed")
    func refusals() async throws {
        for bad in ["", "A", "-a", "a/b", "../x", "a b", "узел", String(repeating: "a", count: 33), "a.b"] {
            #expect(!JournalNodes.isValid(bad), "\(bad)")
        }
        for good in ["0", "a", "node-1", "eu_west_2", String(repeating: "z", count: 32)] { #expect(JournalNodes.isValid(good), "\(good)") }
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        await #expect(throws: PodpisError.self) { _ = try await AuditJournals.open("sqlite:" + folder.file("j.sqlite"), node: "a") }
        await #expect(throws: PodpisError.self) { _ = try await AuditJournals.open("sqlite:" + folder.file("j.sqlite"), node: "../x") }
        let out = try CLI.run(["serve", "--port", "0", "--database", "sqlite:" + folder.file("j2.sqlite"), "--node", "a"])
        #expect(out.status == 78, "\(out.stdout)\(out.stderr)")
        let bad = try CLI.run(["serve", "--port", "0", "--database", "sqlite:" + folder.file("j3.sqlite"), "--node", "a/../b"])
        #expect(bad.status == 78, "\(bad.stdout)\(bad.stderr)")

        let hash = String(repeating: "ab", count: 32)
        func parses(_ json: String) -> Bool { (try? JournalStatement.parse(Array(json.utf8))) != nil }
        #expect(parses(#"{"hash":"\#(hash)","heads":[{"hash":"\#(hash)","node":"b","seq":2}],"node":"a","seq":1,"time":"t"}"#))
        #expect(!parses(#"{"hash":"\#(hash)","heads":[{"hash":"\#(hash)","node":"a","seq":2}],"node":"a","seq":1,"time":"t"}"#), "its own node among the heads")
        #expect(!parses(#"{"hash":"\#(hash)","heads":[{"hash":"\#(hash)","node":"b","seq":2},{"hash":"\#(hash)","node":"b","seq":3}],"node":"a","seq":1,"time":"t"}"#), "a node twice")
        #expect(!parses(#"{"hash":"\#(hash)","heads":[],"node":"a","seq":1,"time":"t"}"#), "empty heads")
        #expect(!parses(#"{"hash":"\#(hash)","heads":[{"hash":"\#(hash)","node":"b","seq":0}],"node":"a","seq":1,"time":"t"}"#), "seq 0")
        #expect(!parses(#"{"hash":"\#(hash)","heads":[{"hash":"\#(hash)","node":"b","seq":2,"x":1}],"node":"a","seq":1,"time":"t"}"#), "an extra field")
        #expect(!parses(#"{"hash":"\#(hash)","heads":[{"hash":"\#(hash)","node":"B/..","seq":2}],"node":"a","seq":1,"time":"t"}"#), "a bad node name")
    }
}
