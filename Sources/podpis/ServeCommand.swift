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
