import ArgumentParser
import EvidenceModel
import Foundation
import PodpisServer
import PolicyEngine
import SigningCore

struct TSAServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: helpString("tsa-serve.abstract"))

    @Option(name: .long, help: help("tsa-serve.key"))
    var key: String
    @Option(name: .long, help: help("tsa-serve.cert"))
    var cert: String
    @Option(name: .long, help: help("tsa-serve.chain"))
    var chain: [String] = []
    @Option(name: .long, help: help("common.host"))
    var host: String = "127.0.0.1"
    @Option(name: .long, help: help("tsa-serve.port"))
    var port: Int = 3180
    @Option(name: .long, help: help("tsa-serve.policy"))
    var policy: String = "1.2.643.2.2.38.4"
    @Option(name: .long, help: help("tsa-serve.accuracy"))
    var accuracy: Int = 1
    @Option(name: .customLong("serial-file"), help: help("tsa-serve.serial-file"))
    var serialFile: String?
    @OptionGroup var pass: PassphraseOptions

    func run() async throws {
        let authority = try loadAuthority(key: key, cert: cert, chain: chain, pass: pass, policy: policy, accuracy: accuracy,
                                          serialFile: serialFile ?? (TokenKeyURI.isTokenURI(key) ? cert : key) + ".serial")
        let router = ServerRunner.makeRouter()
        TimestampEndpoint(authority: authority).register(on: router, paths: ["/", "/v1/timestamp"])
        try await ServerRunner.run(router: router, host: host, port: port, name: "podpis-tsa")
    }
}

func loadAuthority(key: String, cert: String, chain: [String], pass: PassphraseOptions, policy: String, accuracy: Int,
                   serialFile: String) throws -> TimestampAuthority {
    let loaded = try KeyLoader.load(path: key, allowInsecure: pass.allowInsecureKey) { try pass.passphrase(for: key) }
    let certificate = try X509Certificate.parseAll(FileInput.readSmallFile(path: cert, limit: 1 << 20), subject: cert)[0]
    let chainCerts = try CertificateFiles.load(paths: chain)
    return try TimestampAuthority(
        key: loaded.key, certificate: certificate, chain: chainCerts,
        configuration: TimestampAuthority.Configuration(policy: policy, accuracy: (accuracy, 0, 0)),
        serials: SerialNumberSource(path: serialFile))
}
