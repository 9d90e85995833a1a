import Foundation
import SigningCore

/// `podpis audit verify` with anchors: the hash chains alone find an edited, deleted, reordered or moved entry
/// inside the journal, but not a cut tail, a deleted chain, nor an entry edited with every later hash recomputed.
/// Signed checkpoints (files outside the database, and copies in it) and receipts (kept by clients) anchor them:
/// every chain an attestation names must exist, reach every attested entry and agree with its hash. A checkpoint
/// attests its writer's head and every other node's (``JournalStatement/heads``).
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
        /// `node`'s chain is shorter than an attested entry: entries after `last` were removed.
        case truncated(source: String, node: String, seq: Int64, last: Int64, receipt: Bool)
        /// The entry at `seq` of `node`'s chain is not the one attested (edited, and the chain recomputed after it).
        case rewritten(source: String, node: String, seq: Int64, attested: String, found: String, receipt: Bool)
        /// The statement attests entries of `node`'s chain up to `seq`, and the journal has no entry of that node:
        /// the whole chain was deleted.
        case nodeMissing(source: String, node: String, seq: Int64, receipt: Bool)
        /// A statement that cannot be opened (damaged, not signed, not a statement).
        case unreadable(source: String, reason: String)
        /// Signed by another certificate than the journal's.
        case otherSigner(source: String, subject: String)
        /// The checkpoint files are signed by more than one certificate, and none was pinned.
        case severalSigners(subjects: [String])
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
        /// Per node, the last entry a checkpoint attests: a cut at or before it is detectable, later entries only by
        /// receipts.
        public var checkpointed: [String: Int64] {
            var last: [String: Int64] = [:]
            for head in checkpoints.flatMap(\.statement.attested) { last[head.node] = max(last[head.node] ?? 0, head.seq) }
            return last
        }
        /// The last entry a checkpoint attests, over all nodes (for a single-chain journal: its chain's).
        public var lastCheckpoint: Int64? { checkpointed.values.max() }
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
    public static func run(journal: any AuditJournal, checkpointDirectory: String?,
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
            accepted.append(attestation)
        }
        // What each chain must hold: node → seq → (who says so, which hash).
        var expected: [String: [Int64: [(source: String, hash: String, receipt: Bool)]]] = [:]
        for attestation in accepted {
            for head in attestation.statement.attested {
                expected[head.node, default: [:]][head.seq, default: []].append((attestation.source, head.hash, attestation.isReceipt))
            }
        }

        // Each chain walked from genesis, comparing attested entries on the way (memory: the attestations only):
        // the chains the journal has, and those only an attestation names (they must have been deleted).
        var nodes = Set(try await journal.heads().map(\.node))
        nodes.formUnion(expected.keys)
        var total = ChainVerification(entries: 0, firstBroken: nil)
        for node in nodes.sorted() {
            var check = ChainCheck(node: node)
            let attested = expected[node] ?? [:]
            while true {
                let page = try await journal.entries(node: node, after: check.last, limit: 1000)
                if page.isEmpty { break }
                for entry in page {
                    check.add(entry)
                    for claim in attested[entry.seq] ?? [] where claim.hash != entry.hash {
                        findings.append(.rewritten(source: claim.source, node: node, seq: entry.seq, attested: claim.hash, found: entry.hash,
                                                   receipt: claim.receipt))
                    }
                }
                if page.count < 1000 { break }
            }
            for (seq, claims) in attested.sorted(by: { $0.key < $1.key }) where seq > check.last {
                for claim in claims {
                    findings.append(check.count == 0
                        ? .nodeMissing(source: claim.source, node: node, seq: seq, receipt: claim.receipt)
                        : .truncated(source: claim.source, node: node, seq: seq, last: check.last, receipt: claim.receipt))
                }
            }
            total.entries += check.count
            total.nodes[node] = check.count
            if total.firstBroken == nil { total.firstBroken = check.broken }
        }
        let chain = total
        return Result(chain: chain, checkpoints: accepted.filter { !$0.isReceipt }, receipts: accepted.filter(\.isReceipt),
                      findings: findings, signer: signer)
    }
}
