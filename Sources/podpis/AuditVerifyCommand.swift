import ArgumentParser
import Foundation
import Logging
import PodpisJournal
import PodpisServer
import PolicyEngine
import SigningCore

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: helpString("audit-verify.abstract"), discussion: helpString("audit-verify.discussion"))
    @Option(name: .long, help: help("audit.database")) var database: String
    @Option(name: .long, help: help("audit-verify.checkpoints")) var checkpoints: String?
    @Option(name: .customLong("receipt"), help: help("audit-verify.receipt")) var receipts: [String] = []
    @Option(name: .customLong("journal-cert"), help: help("audit-verify.journal-cert"))
    var journalCert: String?

    func run() async throws {
        let pinned = try journalCert.map { path in
            try X509Certificate.parseAll(FileInput.readSmallFile(path: path, limit: 1 << 20), subject: path)[0]
        }
        let receiptFiles = try receipts.map { (name: ($0 as NSString).lastPathComponent, bytes: try FileInput.readSmallFile(path: $0, limit: 1 << 20)) }
        if let checkpoints { _ = try JournalAudit.checkpointFiles(in: checkpoints) }
        let journal = try await AuditJournals.open(database, create: false)
        let result: JournalAudit.Result
        do {
            result = try await JournalAudit.run(journal: journal, checkpointDirectory: checkpoints, receipts: receiptFiles, pinned: pinned)
        } catch {
            try? await journal.close()
            throw error
        }
        try await journal.close()
        let text = Catalogue.cli(Console.language)
        // A journal of one chain "0" reads as it always has; with several nodes each line names its node.
        let nodes = Set(result.chain.nodes.keys).union(result.checkpointed.keys)
        let single = nodes.isEmpty || nodes == [JournalNodes.single]
        if let broken = result.chain.firstBroken {
            Console.out(single
                ? text.text("audit.broken", ["seq": "\(broken.seq)", "reason": broken.reason, "count": "\(result.chain.entries)"])
                : text.text("audit.broken-node", ["node": broken.node, "seq": "\(broken.seq)", "reason": broken.reason, "count": "\(result.chain.entries)"]))
        } else if single {
            Console.out(text.text("audit.intact", ["count": "\(result.chain.entries)"]))
        } else {
            let chains = result.chain.nodes.sorted { $0.key < $1.key }.map { text.text("audit.node-count", ["node": $0.key, "count": "\($0.value)"]) }
            Console.out(text.text("audit.intact-nodes", ["count": "\(result.chain.entries)", "nodes": "\(result.chain.nodes.count)",
                                                         "chains": chains.joined(separator: ", ")]))
        }
        for finding in result.findings { Console.out(Self.line(finding, text, single: single)) }
        if let last = result.lastCheckpoint {
            let subject = result.signer.map { $0.info().displayName } ?? "?"
            if single {
                Console.out(text.text("audit.checkpoints", ["count": "\(result.checkpoints.count)", "seq": "\(last)", "subject": subject]))
            } else {
                let heads = result.checkpointed.sorted { $0.key < $1.key }.map { text.text("audit.node-head", ["node": $0.key, "seq": "\($0.value)"]) }
                Console.out(text.text("audit.checkpoints-nodes", ["count": "\(result.checkpoints.count)", "heads": heads.joined(separator: ", "),
                                                                  "subject": subject]))
            }
        } else {
            Console.out(text.text("audit.no-checkpoints"))
        }
        if !result.receipts.isEmpty { Console.out(text.text("audit.receipts", ["count": "\(result.receipts.count)"])) }
        if !result.findings.isEmpty { Console.out(text.text("audit.failed", ["count": "\(result.findings.count)"])) }
        if !result.intact { throw ExitCode(ExitCodes.failed) }
    }

    static func line(_ finding: JournalAudit.Finding, _ text: Catalogue, single: Bool = true) -> String {
        switch finding {
        case .truncated(let source, let node, let seq, let last, _):
            text.text(single ? "audit.truncated" : "audit.truncated-node", ["source": source, "node": node, "seq": "\(seq)", "last": "\(last)"])
        case .rewritten(let source, let node, let seq, let attested, let found, _):
            text.text(single ? "audit.rewritten" : "audit.rewritten-node",
                      ["source": source, "node": node, "seq": "\(seq)", "attested": String(attested.prefix(16)) + "…", "found": String(found.prefix(16)) + "…"])
        case .nodeMissing(let source, let node, let seq, _):
            text.text("audit.node-missing", ["source": source, "node": node, "seq": "\(seq)"])
        case .unreadable(let source, let reason):
            text.text("audit.unreadable", ["source": source, "reason": reason])
        case .otherSigner(let source, let subject):
            text.text("audit.other-signer", ["source": source, "subject": subject])
        case .severalSigners(let subjects):
            text.text("audit.several-signers", ["subjects": subjects.joined(separator: "; ")])
        case .misnamed(let source):
            text.text("audit.misnamed", ["source": source])
        }
    }
}
