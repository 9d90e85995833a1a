import ArgumentParser
import Foundation
import PolicyEngine
import SigningCore

struct PKIDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: helpString("pki-demo.abstract"))

    @Argument(help: help("pki-demo.directory"))
    var directory: String

    @Option(name: .long, help: help("pki-demo.base-url"))
    var baseURL: String = DemoPKI.defaultBaseURL

    @Flag(name: .long, help: help("pki-demo.force"))
    var force = false

    func run() async throws {
        // A new PKI makes every key anew: whatever was signed with the one there would no longer verify.
        if DemoPKI.exists(in: directory) && !force {
            throw PodpisError(.cannotCreate, .demoPkiExists, subject: directory)
        }
        let layout = try DemoPKI.create(in: directory, baseURL: baseURL)
        let catalogue = Catalogue.cli(Console.language)
        Console.note(catalogue.text("cli.pki-created", ["dir": layout.directory]))
        Console.out(catalogue.text("pki.files", ["trust": layout.trustDirectory, "dir": layout.directory]))
    }
}
