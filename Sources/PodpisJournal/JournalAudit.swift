import Foundation
import SigningCore

/// `podpis audit verify` with anchors: the hash chain alone finds an edited, deleted or reordered entry inside the
/// journal, but not a cut tail, nor an entry edited with every later hash recomputed. Signed checkpoints (files
/// outside the database, and copies in it) and receipts (kept by clients) anchor it: the recomputed chain must
/// reach every attested entry and agree with its hash.
public enum JournalAudit {
    /// A signed statement found somewhere, opened.
    public struct Attestation: Sendable {
        /// `checkpoint-0-…p7m`, `journal checkpoint 1000` or the receipt's file name.
        public var source: String
        public var isReceipt: Bool
        public var statement: JournalStatement
        public var signer: X509Certificate
        public var timestamp: Date?
    }

    /// What is wrong; each names the statement and what it found.
    public enum Finding: Sendable, Equatable {
        /// The chain is shorter than an attested entry: entries after `last` were removed.
        case truncated(source: String, seq: Int64, last: Int64, receipt: Bool)
        /// The entry at `seq` is not the one attested (edited, and the chain recomputed after it).
        case rewritten(source: String, seq: Int64, attested: String, found: String, receipt: Bool)
        /// A statement that cannot be opened (damaged, not signed, not a statement).
        case unreadable(source: String, reason: String)
        /// Signed by another certificate than the journal's.
        case otherSigner(source: String, subject: String)
        /// The checkpoint files are signed by more than one certificate, and none was pinned.
        case severalSigners(subjects: [String])
        /// About another chain than this journal's.
        case otherNode(source: String, node: String)
        /// A file name that does not match its content (`checkpoint-<node>-<seq>.p7m`).
        case misnamed(source: String)
    }

    public struct Result: Sendable {
        public var chain: ChainVerification
        public var checkpoints: [Attestation]
        public var receipts: [Attestation]
        public var findings: [Finding]
        /// The certificate the statements were checked against (pinned, or the one that signs the checkpoint files).
        public var signer: X509Certificate?
        public var intact: Bool { chain.intact && findings.isEmpty }
        /// The last entry a checkpoint attests: a cut at or before it is detectable, later entries only by receipts.
        public var lastCheckpoint: Int64? { checkpoints.map(\.statement.seq).max() }
    }

    /// The checkpoint files of a folder, by name (`checkpoint-<node>-<20 digits>.p7m`), in order.
    public static func checkpointFiles(in directory: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PodpisError(.noInput, "no such folder", subject: directory)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        return names.filter { $0.range(of: #"^checkpoint-.+-[0-9]{20}\.p7m$"#, options: .regularExpression) != nil }.sorted()
            .map { (directory as NSString).appendingPathComponent($0) }
    }

    /// Audits `journal` against the checkpoints in `directory` and in the journal, and against `receipts`
    /// (name, contents: the `X-Journal-Receipt` value, Base64, or the DER).
    public static func run(journal: any AuditJournal, node: String = "0", checkpointDirectory: String?,
                           receipts: [(name: String, bytes: [UInt8])], pinned: X509Certificate?) async throws -> Result {
        var findings: [Finding] = []
        func open(_ bytes: [UInt8], source: String, receipt: Bool) -> Attestation? {
            do {
                let opened = try SignedPayload.open(bytes, subject: source)
                let statement = try JournalStatement.parse(opened.content)
                return Attestation(source: source, isReceipt: receipt, statement: statement, signer: opened.signer, timestamp: opened.timestamp)
            } catch let error as PodpisError {
                findings.append(.unreadable(source: source, reason: error.message))
            } catch {
                findings.append(.unreadable(source: source, reason: "\(error)"))
            }
            return nil
        }

        var files: [Attestation] = []
        if let checkpointDirectory {
            for path in try checkpointFiles(in: checkpointDirectory) {
                let name = (path as NSString).lastPathComponent
                guard let attestation = open(try FileInput.readSmallFile(path: path, limit: 1 << 20), source: name, receipt: false) else { continue }
                if name != JournalNotary.fileName(node: attestation.statement.node, seq: attestation.statement.seq) {
                    findings.append(.misnamed(source: name))
                }
                files.append(attestation)
            }
        }
        var stored: [Attestation] = []
        for checkpoint in try await journal.checkpoints() {
            if let attestation = open(checkpoint.signedData, source: "journal checkpoint \(checkpoint.node)/\(checkpoint.seq)", receipt: false) {
                stored.append(attestation)
            }
        }
        var receiptAttestations: [Attestation] = []
        for receipt in receipts {
            let text = String(decoding: receipt.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let bytes = Data(base64Encoded: text).map { [UInt8]($0) } ?? receipt.bytes
            if let attestation = open(bytes, source: receipt.name, receipt: true) { receiptAttestations.append(attestation) }
        }

        // Whose signature counts: the pinned certificate, else the one that signs the checkpoint files (the folder is
        // outside the database), else the receipts', else the journal's own copies.
        var signer = pinned
        if signer == nil {
            let fileSigners = Array(Set(files.map(\.signer)))
            if fileSigners.count > 1 {
                findings.append(.severalSigners(subjects: fileSigners.map { $0.info().subject }.sorted()))
            }
            signer = fileSigners.count == 1 ? fileSigners[0] : (receiptAttestations.first ?? stored.first)?.signer
        }
        var accepted: [Attestation] = []
        for attestation in files + stored + receiptAttestations {
            if let signer, attestation.signer != signer {
                findings.append(.otherSigner(source: attestation.source, subject: attestation.signer.info().subject))
                continue
            }
            if attestation.statement.node != node {
                findings.append(.otherNode(source: attestation.source, node: attestation.statement.node))
                continue
            }
            accepted.append(attestation)
        }
        var expected: [Int64: [Attestation]] = [:]
        for attestation in accepted { expected[attestation.statement.seq, default: []].append(attestation) }

        // The chain walk of `verifyChain`, comparing attested entries on the way (memory: the attestations only).
        var previous = JournalEntry.genesis
        var last: Int64 = 0
        var count: Int64 = 0
        var broken: (seq: Int64, reason: String)? = nil
        walk: while true {
            let page = try await journal.entries(after: last, limit: 1000)
            if page.isEmpty { break }
            for entry in page {
                count += 1
                if broken == nil {
                    if entry.seq != last + 1 {
                        broken = (entry.seq, "sequence gap after \(last)")
                    } else if entry.previousHash != previous {
                        broken = (entry.seq, "does not link to entry \(last)")
                    } else if !entry.hashMatches {
                        broken = (entry.seq, "its content was changed (hash mismatch)")
                    }
                }
                for attestation in expected[entry.seq] ?? [] where attestation.statement.hash != entry.hash {
                    findings.append(.rewritten(source: attestation.source, seq: entry.seq, attested: attestation.statement.hash,
                                               found: entry.hash, receipt: attestation.isReceipt))
                }
                previous = entry.hash
                last = entry.seq
            }
            if page.count < 1000 { break walk }
        }
        for (seq, attestations) in expected.sorted(by: { $0.key < $1.key }) where seq > last {
            for attestation in attestations {
                findings.append(.truncated(source: attestation.source, seq: seq, last: last, receipt: attestation.isReceipt))
            }
        }
        let chain = ChainVerification(entries: count, firstBroken: broken)
        return Result(chain: chain, checkpoints: accepted.filter { !$0.isReceipt }, receipts: accepted.filter(\.isReceipt),
                      findings: findings, signer: signer)
    }
}
