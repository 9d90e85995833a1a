import ArgumentParser
import EvidenceModel
import Foundation
import PodpisServer
import PolicyEngine
import SigningCore

struct PKIRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: helpString("pki-revoke.abstract"))

    @Argument(help: help("pki-revoke.directory"))
    var directory: String
    @Argument(help: help("pki-revoke.certificate"))
    var certificate: String
    @Option(name: .long, help: help("pki-revoke.date"))
    var date: String?
    @Option(name: .long, help: help("pki-revoke.reason"))
    var reason: String = "keyCompromise"

    func run() async throws {
        let cert = try X509Certificate.parseAll(FileInput.readSmallFile(path: certificate, limit: 1 << 20), subject: certificate)[0]
        guard let why = RevocationReason.known.first(where: { $0.rawValue == reason }) else {
            throw PodpisError(.usage, "unknown reason «\(reason)» (\(RevocationReason.known.map(\.rawValue).joined(separator: ", ")))")
        }
        let time = try date.map(TimeArgument.parse) ?? Date()
        try DemoPKIService.revoke(directory: directory, certificate: cert, at: time, reason: why)
        Console.note(Catalogue.cli(Console.language).text("pki.revoked", [
            "certificate": certificate, "serial": cert.serialHex, "time": MoscowTime.format(time), "reason": why.rawValue,
        ]))
    }
}
