import EvidenceModel
import Foundation
import GRDB
import PolicyEngine
@testable import PodpisJournal
import Testing
@testable import SigningCore

/// Issue #21: the journal stores certificates once (by the SHA-256 of their text) and the rest of an entry's evidence
/// compressed, and still gives back, byte for byte, the evidence that was appended: the chain's hashes, the audit
/// and `policy impact --journal` see what they saw before.
@Suite("Journal size: certificates once, the rest compressed", .serialized)
struct JournalSizeTests {
    /// Evidence of typical CAdES-LT signatures (RSA, a CA under a root, a signature timestamp, OCSP answers for the
    /// signer and the TSA by a delegated responder, the root's CRL), each by a signer of its own.
    static func ltEvidence(count: Int) throws -> [(evidence: String, indication: Indication)] {
        let h = Hierarchy.rsa
        let (authority, tsa) = try h.authority()
        let responder = try PKIProfiles.ocspResponder(key: .rsa(bits: 2048), issuer: h.ca)
        let encoder = JSONEncoder.podpis(pretty: false)
        return try (0..<count).map { n in
            let signer = try h.signer()
            let document = Array("Документ № \(n)\n".utf8)
            let stamped = try h.timestampedSignature(signer, authority: authority, document: document)
            let answers = [try h.ocspAnswer(for: signer.certificate, status: .good, signer: responder),
                           try h.ocspAnswer(for: tsa.certificate, status: .good, signer: responder)]
            let lt = try LongTermExtender.extend(signature: stamped, subject: nil, trust: h.trust, certificates: [responder.certificate],
                                                 crls: [try h.crl(by: h.root)], ocspResponses: answers, revocation: .offline)
            let (evidence, report) = try judge(lt.bytes, document: document, hierarchy: h, crls: [])
            #expect(report.signatures.first?.format == "CAdES-BASELINE-LT")
            return (String(decoding: try encoder.encode(evidence), as: UTF8.self), report.indication)
        }
    }

    static func record(_ n: Int, evidence: String, indication: Indication = .totalPassed) -> JournalRecord {
        JournalRecord(requestID: "req-\(n)", documentDigest: String(repeating: "a", count: 64), signatureDigest: String(repeating: "b", count: 64),
                      signers: ["CN=Иванова Мария Петровна"], policyID: "default", policyVersion: "1.0", indication: indication,
                      subIndication: nil, evidence: evidence)
    }

    @Test("packing: what is not a certificate object stays in the skeleton; odd or hostile evidence is stored as it is; every form reads back exactly")
    func packing() throws {
        // Evidence that already holds the marker: nothing is cut out (a marker in a skeleton is always packing's own).
        let marked = #"{"a":{"$blob":"\#(String(repeating: "0", count: 64))"},"c":{"der":"AA","issuer":"x","serial":"01","sha256":"y","subject":"z"}}"#
        let plain = EvidencePacking.pack(marked)
        #expect(plain.blobs.isEmpty)
        #expect(plain.packed.first == 0)
        #expect(EvidencePacking.unpack(plain.packed, blobs: [:]) == marked)
        // Not well-nested JSON: stored as it is.
        for broken in [#"{"der":"x","sha256":"y","subject":"z","issuer":"i","serial":"s""#, #"]{"#, #"{"a":"unterminated"#, ""] {
            let packed = EvidencePacking.pack(broken)
            #expect(packed.blobs.isEmpty)
            #expect(EvidencePacking.unpack(packed.packed, blobs: [:]) == broken)
        }
        // Certificate keys inside strings, escaped quotes and a certificate-like object missing a key are not cut out.
        let tricky = #"{"note":"{\"der\":\"AA\",\"issuer\":\"x\",\"serial\":\"1\",\"sha256\":\"y\",\"subject\":\"z\"}","partial":{"der":"AA","sha256":"y","subject":"z","issuer":"x"},"list":[{"der":"AA","issuer":"Иван \"Ц\"","serial":"1","sha256":"y","subject":"s\\"}]}"#
        let packed = EvidencePacking.pack(tricky)
        #expect(packed.blobs.count == 1)
        #expect(packed.blobs.first.map { String(decoding: $0.text, as: UTF8.self) } == #"{"der":"AA","issuer":"Иван \"Ц\"","serial":"1","sha256":"y","subject":"s\\"}"#)
        let blobs = Dictionary(uniqueKeysWithValues: packed.blobs.map { ($0.digest, $0.text) })
        #expect(EvidencePacking.unpack(packed.packed, blobs: blobs) == tricky)
        // A missing blob leaves the reference: the text differs from what was appended (and the entry's hash fails).
        #expect(EvidencePacking.unpack(packed.packed, blobs: [:]) != tricky)
        // Damaged packed data reads as nothing.
        #expect(EvidencePacking.unpack([1, 0x78, 0x9c, 1, 2, 3], blobs: blobs) == nil)
        #expect(EvidencePacking.unpack([7] + Array(packed.packed.dropFirst()), blobs: blobs) == nil)
    }

    @Test("CAdES-LT: every certificate of the evidence is a blob, stored once; the evidence reads back byte for byte and re-judges the same")
    func certificatesOnce() async throws {
        let samples = try Self.ltEvidence(count: 3)
        let packed = samples.map { EvidencePacking.pack($0.evidence) }
        let evidence = try JSONDecoder.podpis().decode(Evidence.self, from: Data(samples[0].evidence.utf8))
        // Signer, CA, TSA, OCSP responder, ...: every certificate the evidence describes is cut out, none left behind.
        let described = samples[0].evidence.components(separatedBy: #""der":""#).count - 1
        #expect(packed[0].blobs.count >= 4)
        #expect(described >= packed[0].blobs.count)
        let skeleton = String(decoding: try EvidencePacking.inflate(packed[0].packed.dropFirst()), as: UTF8.self)
        #expect(!skeleton.contains(#""der":""#))
        #expect(skeleton.components(separatedBy: #"{"$blob":""#).count - 1 == described)
        #expect(Set(packed[0].blobs.map(\.kind)) == ["certificate"])
        #expect(evidence.signers.count == 1)
        // The shared certificates have the same address in every entry; the signers' differ.
        let shared = Set(packed[0].blobs.map(\.digest)).intersection(packed[1].blobs.map(\.digest))
        #expect(shared.count == packed[0].blobs.count - 1)

        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let journal = try SQLiteJournal(path: folder.file("j.sqlite"))
        for (n, sample) in samples.enumerated() { _ = try await journal.append(Self.record(n, evidence: sample.evidence)) }
        let sizes = try await journal.storedSizes()
        #expect(sizes.blobCount == packed[0].blobs.count + 2)
        try await journal.close()
        // A fresh process's view (no cache): the same text, which decodes and re-judges to the same indication.
        let reopened = try SQLiteJournal(path: folder.file("j.sqlite"))
        let entries = try await reopened.entries(after: 0, limit: 10)
        #expect(entries.map(\.evidence) == samples.map(\.evidence))
        #expect(try await reopened.verifyChain().intact)
        let rejudged = PolicyEngine().judge(try JSONDecoder.podpis().decode(Evidence.self, from: Data(entries[2].evidence.utf8)),
                                            policy: BuiltinPolicies.default, options: JudgementOptions())
        #expect(rejudged.indication == samples[2].indication)
        try await reopened.close()
    }

    @Test("CAdES-LT entries take under 4 KB of their row, a third of format 2 or less, with the chain intact")
    func size() async throws {
        let samples = try Self.ltEvidence(count: 9)
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let journal = try SQLiteJournal(path: folder.file("j.sqlite"))
        for (n, sample) in samples.enumerated() { _ = try await journal.append(Self.record(n, evidence: sample.evidence)) }
        let sizes = try await journal.storedSizes()
        // Format 2 kept the evidence text in the row and nothing else: the same row with the text instead of `packed`.
        let packedSizes = samples.map { EvidencePacking.pack($0.evidence).packed.count }
        let before = zip(sizes.entries, zip(samples, packedSizes)).map { row, sample in row - sample.1 + sample.0.evidence.utf8.count }
        let median = sizes.entries.sorted()[sizes.entries.count / 2]
        let medianBefore = before.sorted()[before.count / 2]
        #expect(median <= 4096, "median row \(median) bytes")
        #expect(median * 3 <= medianBefore, "\(median) vs \(medianBefore)")
        // Counting every blob against the entries too (each signer's certificate is new), still well under format 2.
        let amortised = (sizes.entries.reduce(0, +) + sizes.blobs) / sizes.entries.count
        #expect(amortised * 2 <= medianBefore, "\(amortised) vs \(medianBefore)")
        #expect(try await journal.verifyChain().intact)
        try await journal.close()
    }

    @Test("a changed, deleted or swapped certificate blob, or damaged packed evidence, breaks the entries that use it")
    func tampering() async throws {
        let samples = try Self.ltEvidence(count: 3)
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("j.sqlite")
        let journal = try SQLiteJournal(path: path)
        for (n, sample) in samples.enumerated() { _ = try await journal.append(Self.record(n + 1, evidence: sample.evidence)) }
        try await journal.close()
        // The signer's certificate of entry 2 is its own blob; the root's is shared by all three.
        let signerBlob = EvidencePacking.pack(samples[1].evidence).blobs.map(\.digest)
            .first { !EvidencePacking.pack(samples[0].evidence).blobs.map(\.digest).contains($0) }!
        let otherSigner = EvidencePacking.pack(samples[2].evidence).blobs.map(\.digest)
            .first { !EvidencePacking.pack(samples[0].evidence).blobs.map(\.digest).contains($0) }!

        func audit(_ sql: String, restore: String? = nil) async throws -> Int64? {
            let writer = try SQLiteJournal(path: path)
            try await writer.execute(sql)
            try await writer.close()
            let auditor = try SQLiteJournal(path: path)  // a fresh reader, as `audit verify` is
            let broken = try await auditor.verifyChain().firstBroken?.seq
            if let restore { try await auditor.execute(restore) }
            try await auditor.close()
            return broken
        }
        let saved = try await DatabaseQueue(path: path).read { db in
            try Data.fetchOne(db, sql: "SELECT content FROM journal_blobs WHERE digest = ?", arguments: [signerBlob])!
        }
        let changed = Data(EvidencePacking.deflate(Array(#"{"der":"AAAA","issuer":"CN=Forged","serial":"01","sha256":"00","subject":"CN=Forged"}"#.utf8)))
        #expect(try await audit("UPDATE journal_blobs SET content = x'\(changed.hex)' WHERE digest = '\(signerBlob)'",
                                restore: "UPDATE journal_blobs SET content = x'\(saved.hex)' WHERE digest = '\(signerBlob)'") == 2)
        #expect(try await audit("UPDATE journal_blobs SET content = (SELECT content FROM journal_blobs WHERE digest = '\(otherSigner)') WHERE digest = '\(signerBlob)'",
                                restore: "UPDATE journal_blobs SET content = x'\(saved.hex)' WHERE digest = '\(signerBlob)'") == 2)
        #expect(try await audit("DELETE FROM journal_blobs WHERE digest = '\(signerBlob)'",
                                restore: "INSERT INTO journal_blobs (digest, kind, content) VALUES ('\(signerBlob)', 'certificate', x'\(saved.hex)')") == 2)
        #expect(try await audit("UPDATE journal SET packed = (SELECT packed FROM journal WHERE seq = 3) WHERE seq = 1") == 1)
        #expect(try await audit("UPDATE journal SET packed = x'01789c' WHERE seq = 1") == 1)
    }

    @Test("a journal written before format 3 opens, keeps its entries as they are, takes packed ones and verifies as one chain")
    func migration() async throws {
        let samples = try Self.ltEvidence(count: 2)
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("old.sqlite")
        // Format 2 exactly as the previous release made it: its migrations, its table, its rows.
        let old = try DatabaseQueue(path: path)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE journal (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, request_id TEXT NOT NULL, document_digest TEXT,
                    signature_digest TEXT NOT NULL, signers TEXT NOT NULL, policy_id TEXT NOT NULL, policy_version TEXT NOT NULL,
                    indication TEXT NOT NULL, sub_indication TEXT, evidence TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE);
                CREATE INDEX journal_time ON journal(time);
                """)
        }
        migrator.registerMigration("v2-checkpoints") { db in
            try db.execute(sql: "CREATE TABLE checkpoints (node TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, time TEXT NOT NULL, signed_data BLOB NOT NULL, PRIMARY KEY (node, seq))")
        }
        try migrator.migrate(old)
        let first = JournalEntry.make(seq: 1, record: Self.record(1, evidence: samples[0].evidence), previousHash: JournalEntry.genesis)
        try await old.write { db in
            try db.execute(sql: """
                INSERT INTO journal (seq, time, request_id, document_digest, signature_digest, signers, policy_id, policy_version, indication,
                                     sub_indication, evidence, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [first.seq, first.time, first.requestID, first.documentDigest, first.signatureDigest, "[\"CN=Иванова Мария Петровна\"]",
                                 first.policyID, first.policyVersion, first.indication.rawValue, first.subIndication?.rawValue, first.evidence, first.previousHash, first.hash])
        }
        try old.close()

        let journal = try SQLiteJournal(path: path)
        #expect(try await journal.verifyChain().intact)
        let second = try await journal.append(Self.record(2, evidence: samples[1].evidence))
        #expect(second.previousHash == first.hash)
        try await journal.close()
        let reopened = try SQLiteJournal(path: path)
        let entries = try await reopened.entries(after: 0, limit: 10)
        #expect(entries == [first, second])
        #expect(try await reopened.verifyChain().intact)
        try await reopened.close()
        // The old row is untouched (its text in `evidence`); the new one is packed.
        let rows = try await DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT length(CAST(evidence AS BLOB)) AS text, packed IS NULL AS plain FROM journal ORDER BY seq").map { ($0["text"] as Int, $0["plain"] as Bool) }
        }
        #expect(rows.count == 2)
        #expect(rows[0] == (samples[0].evidence.utf8.count, true))
        #expect(rows[1] == (0, false))
    }

    @Test("PostgreSQL: certificates once, evidence back byte for byte, a format-2 table migrates, a changed blob is found",
          .enabled(if: TestPostgres.available, "PODPIS_TEST_POSTGRES is not set (or empty): no PostgreSQL server to test against"))
    func postgres() async throws {
        let samples = try Self.ltEvidence(count: 3)
        let url = TestPostgres.url(table: "journal_size_test")
        let cleaner = try await TestPostgres.journal(url)
        try await cleaner.execute("DROP TABLE IF EXISTS journal")
        try await cleaner.execute("DROP TABLE IF EXISTS journal_blobs")
        // A format-2 table with one entry, as the previous release left it.
        try await cleaner.execute("""
            CREATE TABLE journal (seq BIGINT PRIMARY KEY, time TEXT NOT NULL, request_id TEXT NOT NULL, document_digest TEXT,
                signature_digest TEXT NOT NULL, signers TEXT NOT NULL, policy_id TEXT NOT NULL, policy_version TEXT NOT NULL,
                indication TEXT NOT NULL, sub_indication TEXT, evidence TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)
            """)
        let first = JournalEntry.make(seq: 1, record: Self.record(1, evidence: samples[0].evidence), previousHash: JournalEntry.genesis)
        try await cleaner.execute("""
            INSERT INTO journal VALUES (1, '\(first.time)', '\(first.requestID)', '\(first.documentDigest!)', '\(first.signatureDigest)',
                '["CN=Иванова Мария Петровна"]', 'default', '1.0', 'TOTAL-PASSED', NULL, '\(first.evidence.replacingOccurrences(of: "'", with: "''"))',
                '\(first.previousHash)', '\(first.hash)')
            """)
        try await cleaner.close()

        let journal = try await TestPostgres.journal(url)
        for n in 2...3 { _ = try await journal.append(Self.record(n, evidence: samples[n - 1].evidence)) }
        let sizes = try await journal.storedSizes()
        #expect(sizes.entries.count == 3)
        #expect(sizes.entries[1] * 3 <= sizes.entries[0], "\(sizes.entries)")
        try await journal.close()
        let reader = try await TestPostgres.journal(url)
        #expect(try await reader.entries(after: 0, limit: 10).map(\.evidence) == samples.map(\.evidence))
        #expect(try await reader.verifyChain().intact)
        let signerBlob = EvidencePacking.pack(samples[2].evidence).blobs.map(\.digest)
            .first { !EvidencePacking.pack(samples[1].evidence).blobs.map(\.digest).contains($0) }!
        try await reader.execute("DELETE FROM journal_blobs WHERE digest = '\(signerBlob)'")
        try await reader.close()
        let auditor = try await TestPostgres.journal(url)
        #expect(try await auditor.verifyChain().firstBroken?.seq == 3)
        try await auditor.close()
    }
}

extension Data {
    fileprivate var hex: String { map { String(format: "%02x", $0) }.joined() }
}
