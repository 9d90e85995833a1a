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
        if offline { configuration.offline = true }
        if let tlsCert { configuration.tlsCert = tlsCert }
        if let tlsKey { configuration.tlsKey = tlsKey }
        LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        let logger = Logger(label: "podpis")
        let journal = try await AuditJournals.open(configuration.database)
        let state = try ServiceState(configuration: configuration, journal: journal)
        try await HTTPService.run(state: state, metrics: ServiceMetrics(), logger: logger)
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The verification journal.", subcommands: [AuditVerifyCommand.self, AuditExportCommand.self])
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Walk the journal's hash chain; name the first broken entry. Exit 1 if broken.")
    @Option(name: .long, help: "sqlite:PATH or postgres://…") var database: String

    func run() async throws {
        let journal = try await AuditJournals.open(database)
        let result = try await journal.verifyChain()
        try await journal.close()
        let text = Catalogue(Console.language)
        if let broken = result.firstBroken {
            Console.out(text.text("audit.broken", ["seq": "\(broken.seq)", "reason": broken.reason, "count": "\(result.entries)"]))
            throw ExitCode(ExitCodes.failed)
        }
        Console.out(text.text("audit.intact", ["count": "\(result.entries)"]))
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
