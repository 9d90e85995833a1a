import ArgumentParser
import Foundation
import PodpisServer
import PolicyEngine
import SigningCore

struct TSACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsa", abstract: "The built-in RFC 3161 timestamping authority.", subcommands: [TSAServeCommand.self])
}

struct TSAServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer application/timestamp-query with application/timestamp-reply (POST / and /v1/timestamp).")

    @Option(name: .long, help: "The TSA's private key: a file others cannot read, or a token key pkcs11:token=…;object=… (PIN by --pass-*).")
    var key: String
    @Option(name: .long, help: "The TSA certificate: it must carry the critical timeStamping extended key usage.")
    var cert: String
    @Option(name: .long, help: "Certificates to put into tokens besides the TSA's (PEM).")
    var chain: [String] = []
    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"
    @Option(name: .long, help: "Port (0: any free port; the address is printed).")
    var port: Int = 3180
    @Option(name: .long, help: "The TSA policy OID put into every token.")
    var policy: String = "1.2.643.2.2.38.4"
    @Option(name: .long, help: "Accuracy in seconds.")
    var accuracy: Int = 1
    @Option(name: .customLong("serial-file"), help: "Where serial numbers are persisted (default: KEY.serial, or CERT.serial for a token key).")
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

struct PKIServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a demo PKI's CRLs (GET /crl/NAME.crl) and OCSP responders (POST /ocsp/NAME) on loopback.")

    @Argument(help: "The folder made by `podpis pki demo`.")
    var directory: String
    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"
    @Option(name: .long, help: "Port (the demo certificates point at 8790; 0: any free port).")
    var port: Int = 8790

    func run() async throws {
        let service = try DemoPKIService(directory: directory)
        let router = ServerRunner.makeRouter()
        PKIRevocationEndpoint(pki: service).register(on: router)
        try await ServerRunner.run(router: router, host: host, port: port, name: "podpis-pki")
    }
}

struct PKIRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Revoke a certificate of a demo PKI (seen by `pki serve` at once).")

    @Argument(help: "The demo PKI folder.")
    var directory: String
    @Argument(help: "The certificate to revoke (PEM or DER).")
    var certificate: String
    @Option(name: .long, help: "Revocation time, RFC 3339 (default: now).")
    var date: String?
    @Option(name: .long, help: "Reason: keyCompromise, superseded, cessationOfOperation, ...")
    var reason: String = "keyCompromise"

    func run() async throws {
        let cert = try X509Certificate.parseAll(FileInput.readSmallFile(path: certificate, limit: 1 << 20), subject: certificate)[0]
        guard let why = CRLReason.allCases.first(where: { $0.name == reason }) else {
            throw PodpisError(.usage, "unknown reason «\(reason)»")
        }
        try DemoPKIService.revoke(directory: directory, certificate: cert, at: try date.map(TimeArgument.parse) ?? Date(), reason: why)
    }
}
