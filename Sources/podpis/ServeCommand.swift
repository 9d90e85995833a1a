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
        abstract: "The verification service: POST /v1/verify, /v1/timestamp, policies, health, metrics, OpenAPI; every verification journaled.",
        discussion: "Settings come from --config FILE (YAML), then PODPIS_* environment variables, then these flags.")

    @Option(name: .long, help: "Configuration file (YAML).") var config: String?
    @Option(name: .long, help: "Address to listen on.") var host: String?
    @Option(name: .long, help: "Port (0: any free port; the address is printed).") var port: Int?
    @Option(name: .long, help: "Trust anchors (file or folder, repeatable).") var trust: [String] = []
    @Option(name: .long, help: "Policies folder.") var policies: String?
    @Option(name: .customLong("certs"), help: "Trust-lists folder.") var certs: String?
    @Option(name: .long, help: "Journal: sqlite:PATH or postgres://user:pass@host/db.") var database: String?
    @Option(name: .customLong("default-policy"), help: "Policy used when a request names none.") var defaultPolicy: String?
    @Option(name: .customLong("max-concurrent"), help: "Verifications at once; more get 429.") var maxConcurrent: Int?
    @Option(name: .customLong("max-uploads"), help: "Request bodies received at once (default 4 × --max-concurrent); more get 429.")
    var maxUploads: Int?
    @Option(name: .customLong("fetch-allow"), help: "Fetch revocation data only from this network (CIDR) or host (repeatable). Without it, loopback, link-local and private addresses are refused.")
    var fetchAllow: [String] = []
    @Option(name: .customLong("journal-key"), help: "The key that signs receipts and checkpoints: a file (mode 600) or pkcs11:… (PIN: journal.pin-file or PODPIS_JOURNAL_PIN). SQLite without it: made beside the database.")
    var journalKey: String?
    @Option(name: .customLong("journal-cert"), help: "The journal key's certificate (PEM), unless the key file or the token carries it.")
    var journalCert: String?
    @Option(name: .long, help: "Write signed checkpoints also into this folder (append-only storage outside the database).")
    var checkpoints: String?
    @Option(name: .long, help: "Timestamp checkpoints with this RFC 3161 service.")
    var tsa: String?
    @Flag(name: .long, help: "Never fetch revocation data.") var offline = false
    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this PEM certificate (chain).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "The TLS private key (PEM, unencrypted, mode 600).") var tlsKey: String?
    @Flag(name: .customLong("hash-key"), help: "Read an API key from stdin and print the hash to put in the configuration.")
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
        if let policies { configuration.policies = policies }
        if let certs { configuration.certs = certs }
        if let database { configuration.database = database }
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
        if let tlsCert { configuration.tlsCert = tlsCert }
        if let tlsKey { configuration.tlsKey = tlsKey }
        LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        let logger = Logger(label: "podpis")
        let (notary, notice) = try JournalSetup.notary(for: configuration)
        let journal = try await AuditJournals.open(configuration.database)
        let state = try ServiceState(configuration: configuration, journal: journal, notary: notary)
        if let notice { Console.note(notice) }
        try await HTTPService.run(state: state, metrics: ServiceMetrics(), logger: logger)
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The verification journal.", subcommands: [AuditVerifyCommand.self, AuditExportCommand.self])
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Walk the journal's hash chain and compare it to the signed checkpoints and receipts. Exit 1 if anything is broken, missing or changed.",
        discussion: """
            The chain alone finds an edited, deleted or reordered entry. A journal cut short at its end, or an entry edited \
            with every later hash recomputed, is found only against signed checkpoints (--checkpoints DIR, and the copies in \
            the journal) — down to the last checkpoint — and against receipts (the X-Journal-Receipt values clients kept).
            """)
    @Option(name: .long, help: "sqlite:PATH or postgres://…") var database: String
    @Option(name: .long, help: "The folder of checkpoint files (serve --checkpoints).") var checkpoints: String?
    @Option(name: .customLong("receipt"), help: "A file holding an X-Journal-Receipt value (repeatable).") var receipts: [String] = []
    @Option(name: .customLong("journal-cert"), help: "The journal's certificate (PEM): only statements it signed count. Default: the one certificate that signs the checkpoint files.")
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
        let text = Catalogue(Console.language)
        if let broken = result.chain.firstBroken {
            Console.out(text.text("audit.broken", ["seq": "\(broken.seq)", "reason": broken.reason, "count": "\(result.chain.entries)"]))
        } else {
            Console.out(text.text("audit.intact", ["count": "\(result.chain.entries)"]))
        }
        for finding in result.findings { Console.out(Self.line(finding, text)) }
        if let last = result.lastCheckpoint {
            let subject = result.signer.map { $0.info().displayName } ?? "?"
            Console.out(text.text("audit.checkpoints", ["count": "\(result.checkpoints.count)", "seq": "\(last)", "subject": subject]))
        } else {
            Console.out(text.text("audit.no-checkpoints"))
        }
        if !result.receipts.isEmpty { Console.out(text.text("audit.receipts", ["count": "\(result.receipts.count)"])) }
        if !result.findings.isEmpty { Console.out(text.text("audit.failed", ["count": "\(result.findings.count)"])) }
        if !result.intact { throw ExitCode(ExitCodes.failed) }
    }

    static func line(_ finding: JournalAudit.Finding, _ text: Catalogue) -> String {
        switch finding {
        case .truncated(let source, let seq, let last, _):
            text.text("audit.truncated", ["source": source, "seq": "\(seq)", "last": "\(last)"])
        case .rewritten(let source, let seq, let attested, let found, _):
            text.text("audit.rewritten", ["source": source, "seq": "\(seq)", "attested": String(attested.prefix(16)) + "…", "found": String(found.prefix(16)) + "…"])
        case .unreadable(let source, let reason):
            text.text("audit.unreadable", ["source": source, "reason": reason])
        case .otherSigner(let source, let subject):
            text.text("audit.other-signer", ["source": source, "subject": subject])
        case .severalSigners(let subjects):
            text.text("audit.several-signers", ["subjects": subjects.joined(separator: "; ")])
        case .otherNode(let source, let node):
            text.text("audit.other-node", ["source": source, "node": node])
        case .misnamed(let source):
            text.text("audit.misnamed", ["source": source])
        }
    }
}

struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export journal entries as JSON Lines.")
    @Option(name: .long, help: "sqlite:PATH or postgres://…") var database: String
    @Option(name: .long, help: "Only entries from this time (RFC 3339).") var since: String?
    @Option(name: .long, help: "Output format (jsonl).") var format: String = "jsonl"

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
