import ArgumentParser
import Foundation
import Logging
import PodpisJournal
import PodpisServer
import PolicyEngine
import SigningCore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: helpString("serve.abstract"),
        discussion: helpString("serve.discussion"))

    @Option(name: .long, help: help("serve.config")) var config: String?
    @Option(name: .long, help: help("common.host")) var host: String?
    @Option(name: .long, help: help("serve.port")) var port: Int?
    @Option(name: .long, help: help("serve.trust")) var trust: [String] = []
    @OptionGroup var folders: PolicyFolderOptions
    @Option(name: .long, help: help("serve.database")) var database: String?
    @Option(name: .long, help: help("serve.node")) var node: String?
    @Option(name: .customLong("default-policy"), help: help("serve.default-policy")) var defaultPolicy: String?
    @Option(name: .customLong("max-concurrent"), help: help("serve.max-concurrent")) var maxConcurrent: Int?
    @Option(name: .customLong("max-uploads"), help: help("serve.max-uploads")) var maxUploads: Int?
    @Option(name: .customLong("fetch-allow"), help: help("serve.fetch-allow")) var fetchAllow: [String] = []
    @Option(name: .customLong("journal-key"), help: help("serve.journal-key")) var journalKey: String?
    @Option(name: .customLong("journal-cert"), help: help("serve.journal-cert")) var journalCert: String?
    @Option(name: .long, help: help("serve.checkpoints")) var checkpoints: String?
    @Option(name: .long, help: help("serve.tsa")) var tsa: String?
    @Flag(name: .long, help: help("serve.offline")) var offline = false
    @Option(name: .long, help: help("serve.crl")) var crl: [String] = []
    @Option(name: .long, help: help("serve.cert")) var cert: [String] = []
    @Option(name: .customLong("ocsp-response"), help: help("serve.ocsp-response")) var ocspResponse: [String] = []
    @Option(name: .customLong("tls-cert"), help: help("serve.tls-cert")) var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: help("serve.tls-key")) var tlsKey: String?
    @Flag(name: .customLong("hash-key"), help: help("serve.hash-key"))
    var hashKey = false

    func run() async throws {
        if hashKey {
            guard let key = readLine(strippingNewline: true), !key.isEmpty else { throw PodpisError(.usage, "no key on standard input") }
            Console.out(ServiceConfiguration.hash(key: key))
            return
        }
        var configuration = try ServiceConfiguration.load(file: config)
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if !trust.isEmpty { configuration.trust = trust }
        if let policies = folders.policies { configuration.policies = policies }
        if let certs = folders.certs { configuration.certs = certs }
        if let database { configuration.database = database }
        if let node { configuration.node = node }
        if let defaultPolicy { configuration.defaultPolicy = defaultPolicy }
        if let maxConcurrent { configuration.maxConcurrent = maxConcurrent }
        if let maxUploads { configuration.maxUploads = maxUploads }
        if !fetchAllow.isEmpty {
            configuration.fetchAllow = fetchAllow
            _ = try configuration.fetchDestinations()
        }
        if let journalKey { configuration.journalKey = journalKey }
        if let journalCert { configuration.journalCert = journalCert }
        if let checkpoints { configuration.checkpoints = checkpoints }
        if let tsa { configuration.journalTSA = tsa }
        if offline { configuration.offline = true }
        if !crl.isEmpty { configuration.crls = crl }
        if !cert.isEmpty { configuration.certificates = cert }
        if !ocspResponse.isEmpty { configuration.ocspResponses = ocspResponse }
        if let tlsCert { configuration.tlsCert = tlsCert }
        if let tlsKey { configuration.tlsKey = tlsKey }
        LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        let logger = Logger(label: "podpis")
        try await ListenError.probe(host: configuration.host, port: configuration.port)
        let (notary, notice) = try JournalSetup.notary(for: configuration)
        let journal = try await AuditJournals.open(configuration.database, node: configuration.node, timeout: configuration.journalTimeout)
        let state = try ServiceState(configuration: configuration, journal: journal, notary: notary)
        if let notice { Console.note(notice) }
        try await HTTPService.run(state: state, metrics: ServiceMetrics(), logger: logger)
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: helpString("audit.abstract"), subcommands: [AuditVerifyCommand.self, AuditExportCommand.self])
}

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

struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: helpString("audit-export.abstract"))
    @Option(name: .long, help: help("audit.database")) var database: String
    @Option(name: .long, help: help("audit-export.since")) var since: String?
    @Option(name: .long, help: help("audit-export.format")) var format: String = "jsonl"

    func run() async throws {
        guard format == "jsonl" else { throw PodpisError(.usage, "only --format jsonl is supported") }
        let sinceDate = try since.map(TimeArgument.parse)
        let journal = try await AuditJournals.open(database)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try await journal.export(since: sinceDate) { entry in
            FileHandle.standardOutput.write(try encoder.encode(entry) + Data([0x0A]))
        }
        try await journal.close()
    }
}
