import Foundation
import PodpisJournal
import Testing
@testable import SigningCore

/// Issue #14, item 5: the hash chain alone cannot see its tail cut off, nor an entry edited with every later hash
/// recomputed. Signed checkpoints (files outside the database) and receipts (kept by clients) can.
@Suite("Journal anchors: checkpoints and receipts", .serialized)
struct JournalAnchorTests {
    /// A journal of `count` entries, checkpoints at `checkpointAt`, and the receipts of every entry.
    struct Setup {
        let folder: TemporaryFolder
        let journal: SQLiteJournal
        let notary: JournalNotary
        let directory: String
        var receipts: [Int64: [UInt8]] = [:]

        init(count: Int, checkpointAt: [Int]) async throws {
            folder = try TemporaryFolder()
            journal = try SQLiteJournal(path: folder.file("journal.sqlite"))
            directory = folder.file("checkpoints")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let (identity, _, _, created) = try JournalNotary.localIdentity(besideDatabase: folder.file("journal.sqlite"))
            #expect(created)
            notary = JournalNotary(identity: identity, directory: directory, every: 1_000_000)
            for n in 1...count {
                let entry = try await journal.append(JournalTests.record(n))
                receipts[entry.seq] = Array(Data(try notary.receipt(for: entry)).base64EncodedString().utf8)
                if checkpointAt.contains(n) { _ = try await notary.writeCheckpoint(journal: journal) }
            }
        }

        func audit(checkpoints: Bool = true, receipts seqs: [Int64] = [], pinned: X509Certificate? = nil) async throws -> JournalAudit.Result {
            try await JournalAudit.run(journal: journal, checkpointDirectory: checkpoints ? directory : nil,
                                       receipts: seqs.map { (name: "receipt-\($0)", bytes: receipts[$0]!) }, pinned: pinned)
        }

        /// What an intruder with write access to the database does after editing entry `seq`: recomputes that
        /// entry's hash and every later one, so that the chain verifies again.
        func rechain(from seq: Int64) async throws {
            var previous = try await journal.entries(after: seq - 2, limit: 1).first?.hash ?? JournalEntry.genesis
            if seq == 1 { previous = JournalEntry.genesis }
            for entry in try await journal.entries(after: seq - 1, limit: 100_000) {
                var fixed = entry
                fixed.previousHash = previous
                fixed.hash = fixed.computedHash()
                try await journal.execute("UPDATE journal SET previous_hash = '\(fixed.previousHash)', hash = '\(fixed.hash)' WHERE seq = \(entry.seq)")
                previous = fixed.hash
            }
        }

        /// Removes the database's own copies of the checkpoints too (the intruder has the database, not the folder).
        func dropStoredCheckpoints() async throws { try await journal.execute("DELETE FROM checkpoints") }
    }

    @Test("checkpoints are DER CMS SignedData over canonical JSON, the journal certificate inside, files named by node and seq; OpenSSL reads them")
    func format() async throws {
        let s = try await Setup(count: 12, checkpointAt: [5, 12])
        defer { s.folder.cleanup() }
        let files = try JournalAudit.checkpointFiles(in: s.directory).map { ($0 as NSString).lastPathComponent }
        #expect(files == ["checkpoint-0-00000000000000000005.p7m", "checkpoint-0-00000000000000000012.p7m"])
        let path = (s.directory as NSString).appendingPathComponent(files[1])
        var info = stat()
        stat(path, &info)
        #expect(info.st_mode & 0o222 == 0, "checkpoint files are read-only")
        // An independent reader: openssl cms prints the signed statement.
        let out = try runTool("openssl", ["cms", "-verify", "-noverify", "-inform", "DER", "-in", path, "-binary"])
        #expect(out.status == 0, "\(out.stderr)")
        let head = try #require(try await s.journal.head())
        #expect(out.stdout.hasPrefix("{\"hash\":\"\(head.hash)\",\"node\":\"0\",\"seq\":12,\"time\":\""), "\(out.stdout)")
        // The receipt the same way (Base64 of DER).
        let receipt = try #require(Data(base64Encoded: String(decoding: s.receipts[7]!, as: UTF8.self)))
        let receiptFile = try s.folder.write("r.der", Array(receipt))
        let opened = try runTool("openssl", ["cms", "-verify", "-noverify", "-inform", "DER", "-in", receiptFile, "-binary"])
        let seventh = try await s.journal.entries(after: 6, limit: 1)[0]
        #expect(opened.stdout == "{\"hash\":\"\(seventh.hash)\",\"node\":\"0\",\"seq\":7,\"time\":\"\(seventh.time)\"}", "\(opened.stdout)")
        // The signer is an EC P-256 key; the key file beside the database is readable by its owner only.
        #expect(s.notary.identity.key.keyType.rawValue == "ec")
        stat(s.folder.file("journal.sqlite") + ".journal-key.pem", &info)
        #expect(info.st_mode & 0o077 == 0)
        // Intact: the audit agrees with every checkpoint and receipt.
        let result = try await s.audit(receipts: [1, 7, 12])
        #expect(result.intact, "\(result.findings)")
        #expect(result.lastCheckpoint == 12)
        #expect(result.receipts.count == 3)
    }

    @Test("a cut tail: undetected by the chain; detected by a checkpoint after the cut, and by a receipt")
    func truncation() async throws {
        let s = try await Setup(count: 30, checkpointAt: [10, 25])
        defer { s.folder.cleanup() }
        try await s.journal.execute("DELETE FROM journal WHERE seq > 20")
        // The chain alone: 20 entries, all linked — what audit verify said before.
        #expect(try await s.journal.verifyChain().intact)
        // With checkpoints (the folder, even with the database's copies gone).
        try await s.dropStoredCheckpoints()
        let withCheckpoints = try await s.audit()
        #expect(!withCheckpoints.intact)
        #expect(withCheckpoints.findings.contains(.truncated(source: "checkpoint-0-00000000000000000025.p7m", node: "0", seq: 25, last: 20, receipt: false)),
                "\(withCheckpoints.findings)")
        // With receipts only (no checkpoints at all).
        let withReceipts = try await s.audit(checkpoints: false, receipts: [5, 22])
        #expect(withReceipts.findings == [.truncated(source: "receipt-22", node: "0", seq: 22, last: 20, receipt: true)], "\(withReceipts.findings)")
    }

    @Test("a cut after the last checkpoint is found only by a receipt, and the audit says where checkpoints stop")
    func truncationAfterLastCheckpoint() async throws {
        let s = try await Setup(count: 30, checkpointAt: [10, 25])
        defer { s.folder.cleanup() }
        try await s.journal.execute("DELETE FROM journal WHERE seq > 27")
        let checkpointsOnly = try await s.audit()
        #expect(checkpointsOnly.intact)
        #expect(checkpointsOnly.lastCheckpoint == 25)
        let withReceipt = try await s.audit(receipts: [29])
        #expect(withReceipt.findings == [.truncated(source: "receipt-29", node: "0", seq: 29, last: 27, receipt: true)])
    }

    @Test("an entry edited and every later hash recomputed: undetected by the chain; detected by checkpoints, and by receipts")
    func rechainAfterEdit() async throws {
        let s = try await Setup(count: 30, checkpointAt: [10, 25])
        defer { s.folder.cleanup() }
        try await s.journal.execute("UPDATE journal SET indication = 'TOTAL-PASSED', sub_indication = NULL WHERE seq = 12")
        try await s.rechain(from: 12)
        #expect(try await s.journal.verifyChain().intact)
        try await s.dropStoredCheckpoints()
        let withCheckpoints = try await s.audit()
        #expect(withCheckpoints.findings.count == 1, "\(withCheckpoints.findings)")
        if case .rewritten(let source, _, let seq, _, _, let receipt)? = withCheckpoints.findings.first {
            #expect(source == "checkpoint-0-00000000000000000025.p7m" && seq == 25 && !receipt)
        } else {
            Issue.record("expected a rewritten finding, got \(withCheckpoints.findings)")
        }
        // The checkpoint before the edit still agrees: the edit lies between 10 and 25.
        let withReceipts = try await s.audit(checkpoints: false, receipts: [11, 12, 30])
        let rewritten: [Int64] = withReceipts.findings.map { if case .rewritten(_, _, let seq, _, _, _) = $0 { seq } else { -1 } }
        #expect(rewritten == [12, 30], "\(withReceipts.findings)")
    }

    @Test("a deleted middle entry and two swapped entries: found by the chain, and by checkpoints and receipts too")
    func middleDeleteAndSwap() async throws {
        let s = try await Setup(count: 30, checkpointAt: [10, 25])
        defer { s.folder.cleanup() }
        try await s.journal.execute("DELETE FROM journal WHERE seq = 20")
        let deleted = try await s.audit(receipts: [20])
        #expect(deleted.chain.firstBroken?.seq == 21)
        #expect(!deleted.intact)
        // Renumbered to hide the gap and rechained: the checkpoint and the receipt still see it.
        try await s.journal.execute("UPDATE journal SET seq = seq - 1 WHERE seq > 20")
        try await s.rechain(from: 20)
        #expect(try await s.journal.verifyChain().intact)
        let hidden = try await s.audit(receipts: [20, 29])
        #expect(hidden.findings.contains { if case .rewritten(_, _, 25, _, _, false) = $0 { true } else { false } }, "\(hidden.findings)")
        #expect(hidden.findings.contains { if case .rewritten(_, _, 20, _, _, true) = $0 { true } else { false } }, "\(hidden.findings)")

        let t = try await Setup(count: 30, checkpointAt: [10, 25])
        defer { t.folder.cleanup() }
        // Swap 14 and 15 (their contents), then rechain.
        try await t.journal.execute("UPDATE journal SET seq = -1 WHERE seq = 14")
        try await t.journal.execute("UPDATE journal SET seq = 14 WHERE seq = 15")
        try await t.journal.execute("UPDATE journal SET seq = 15 WHERE seq = -1")
        #expect(try await t.journal.verifyChain().firstBroken != nil)
        try await t.rechain(from: 14)
        let swapped = try await t.audit(receipts: [14])
        #expect(swapped.findings.contains { if case .rewritten(_, _, 25, _, _, false) = $0 { true } else { false } })
        #expect(swapped.findings.contains { if case .rewritten(_, _, 14, _, _, true) = $0 { true } else { false } })
    }

    @Test("with a TSA (serve --tsa), checkpoints carry an RFC 3161 timestamp over their signature, which the audit checks")
    func timestampedCheckpoints() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let journal = try SQLiteJournal(path: folder.file("journal.sqlite"))
        let directory = folder.file("checkpoints")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (authority, _) = try Hierarchy.rsa.authority()
        let identity = try JournalNotary.localIdentity(besideDatabase: folder.file("journal.sqlite")).identity
        let notary = JournalNotary(identity: identity, directory: directory,
                                   timestamps: TimestampClient(source: LocalTimestampSource(authority)))
        for n in 1...3 { _ = try await journal.append(JournalTests.record(n)) }
        let checkpoint = try #require(try await notary.writeCheckpoint(journal: journal))
        #expect(checkpoint.seq == 3)
        let result = try await JournalAudit.run(journal: journal, checkpointDirectory: directory, receipts: [], pinned: identity.certificate)
        #expect(result.intact, "\(result.findings)")
        let stamped = try #require(result.checkpoints.first { $0.source.hasSuffix(".p7m") })
        let time = try #require(stamped.timestamp)
        #expect(abs(time.timeIntervalSinceNow) < 600)
        // Nothing new since: no second checkpoint for the same head.
        #expect(try await notary.writeCheckpoint(journal: journal) == nil)
        try await journal.close()
    }

    @Test("forged or foreign statements do not count: a checkpoint signed by another key, a damaged file, a renamed file")
    func forgedStatements() async throws {
        let s = try await Setup(count: 12, checkpointAt: [12])
        defer { s.folder.cleanup() }
        // The intruder cuts the tail and writes a checkpoint of their own for the shorter journal.
        try await s.journal.execute("DELETE FROM journal WHERE seq > 8")
        try await s.dropStoredCheckpoints()
        let intruder = try PKIProfiles.root(name: "intruder", key: .ec(curve: "P-256"))
        let forger = JournalNotary(identity: SigningIdentity(key: intruder.key, certificate: intruder.certificate), directory: s.directory)
        _ = try await forger.writeCheckpoint(journal: s.journal)
        let pinned = s.notary.identity.certificate
        let result = try await s.audit(pinned: pinned)
        #expect(result.findings.contains(.truncated(source: "checkpoint-0-00000000000000000012.p7m", node: "0", seq: 12, last: 8, receipt: false)))
        #expect(result.findings.contains { if case .otherSigner("checkpoint-0-00000000000000000008.p7m", _) = $0 { true } else { false } })
        // Without a pin, two signers among the files: the audit refuses to choose.
        let unpinned = try await s.audit()
        #expect(unpinned.findings.contains { if case .severalSigners = $0 { true } else { false } })
        // A damaged checkpoint file is a finding, never silently skipped.
        let damaged = (s.directory as NSString).appendingPathComponent("checkpoint-0-00000000000000000012.p7m")
        chmod(damaged, 0o644)
        var bytes = try FileInput.readSmallFile(path: damaged, limit: 1 << 20)
        if let at = bytes.firstRange(of: Array("\"seq\":12".utf8)) { bytes.replaceSubrange(at, with: Array("\"seq\":11".utf8)) }
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let afterDamage = try await s.audit(pinned: pinned)
        #expect(afterDamage.findings.contains { if case .unreadable("checkpoint-0-00000000000000000012.p7m", _) = $0 { true } else { false } },
                "\(afterDamage.findings)")
    }
}
