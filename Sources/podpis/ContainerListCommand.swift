import ArgumentParser
import EvidenceModel
import Foundation
import PodpisContainer
import PolicyEngine
import SigningCore

struct ContainerListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: helpString("container-list.abstract"))

    @Argument(help: help("container.container"))
    var container: String

    @OptionGroup var languageOptions: LanguageOptions

    func run() async throws {
        let opened = try ASiCContainer(path: container)
        let catalogue = Catalogue.cli(languageOptions.language)
        Console.out(catalogue.text("container.heading", ["type": opened.kind.rawValue, "name": container]))
        for file in opened.dataFiles {
            Console.out("  \(file.name)\t\(file.uncompressedSize)")
        }
        for signature in opened.signatures {
            let names = opened.coveredFiles(signature)
            let key: MessageKey = names.isEmpty ? "container.covers-nothing" : "container.covers"
            Console.out(catalogue.text(key, [
                "signature": signature.signature.name, "file": signature.manifest?.name ?? "—",
                "files": names.joined(separator: ", "),
            ]))
        }
    }
}
