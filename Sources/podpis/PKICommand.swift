import ArgumentParser
import Foundation
import PolicyEngine
import SigningCore

struct PKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "A demo PKI for trying podpis: certificate authorities, officials' certificates, a TSA, CRLs.",
        subcommands: [PKIDemoCommand.self, PKIServeCommand.self, PKIRevokeCommand.self])
}

struct PKIDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Create a demo PKI (RSA and GOST 2012 hierarchies) in DIR.")

    @Argument(help: "The folder to create it in.")
    var directory: String

    @Option(name: .long, help: "Base URL for the CRL distribution points and OCSP responders in the certificates.")
    var baseURL: String = DemoPKI.defaultBaseURL

    func run() async throws {
        let layout = try DemoPKI.create(in: directory, baseURL: baseURL)
        let catalogue = Catalogue(Console.language)
        Console.note(catalogue.text("cli.pki-created", ["dir": layout.directory]))
        Console.out(String(decoding: try FileInput.readSmallFile(path: layout.path("README.txt"), limit: 1 << 20), as: UTF8.self))
    }
}
