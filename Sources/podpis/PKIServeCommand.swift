import ArgumentParser
import EvidenceModel
import Foundation
import PodpisServer
import PolicyEngine
import SigningCore

struct PKIServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: helpString("pki-serve.abstract"))

    @Argument(help: help("pki-serve.directory"))
    var directory: String
    @Option(name: .long, help: help("common.host"))
    var host: String = "127.0.0.1"
    @Option(name: .long, help: help("pki-serve.port"))
    var port: Int = 8790

    func run() async throws {
        let service = try DemoPKIService(directory: directory)
        let router = ServerRunner.makeRouter()
        PKIRevocationEndpoint(pki: service).register(on: router)
        try await ServerRunner.run(router: router, host: host, port: port, name: "podpis-pki")
    }
}
