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
    @Option(name: .long, help: help("common.policies")) var policies: String?
    @Option(name: .customLong("certs"), help: help("common.certs")) var certs: String?
    @Option(name: .long, help: help("serve.database")) var database: String?
    @Option(name: .customLong("default-policy"), help: help("serve.default-policy")) var defaultPolicy: String?
    @Option(name: .customLong("max-concurrent"), help: help("serve.max-concurrent")) var maxConcurrent: Int?
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
        if let policies { configuration.policies = policies }
        if let certs { configuration.certs = certs }
        if let database { configuration.database = database }
        if let defaultPolicy { configuration.defaultPolicy = defaultPolicy }
        if let maxConcurrent { configuration.maxConcurrent = maxConcurrent }
        if offline { configuration.offline = true }
        if !crl.isEmpty { configuration.crls = crl }
        if !cert.isEmpty { configuration.certificates = cert }
        if !ocspResponse.isEmpty { configuration.ocspResponses = ocspResponse }
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
        commandName: "audit", abstract: helpString("audit.abstract"), subcommands: [AuditVerifyCommand.self, AuditExportCommand.self])
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: helpString("audit-verify.abstract"))
    @Option(name: .long, help: help("audit.database")) var database: String

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
