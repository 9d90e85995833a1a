import ArgumentParser
import EvidenceModel
import Foundation
import PodpisContainer
import PolicyEngine
import SigningCore

/// `podpis container list|extract`: look into an ASiC container and take its files out.
struct ContainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container",
        abstract: helpString("container.abstract"),
        subcommands: [ContainerListCommand.self, ContainerExtractCommand.self])
}

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

struct ContainerExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: helpString("container-extract.abstract"),
        discussion: helpString("container-extract.discussion"))

    @Argument(help: help("container.container"))
    var container: String

    @Option(name: .long, help: help("container-extract.to"))
    var to: String?

    @Flag(name: .long, help: help("container-extract.force"))
    var force = false

    @OptionGroup var languageOptions: LanguageOptions

    func run() async throws {
        let opened = try ASiCContainer(path: container)
        var folder = to ?? (container as NSString).deletingPathExtension
        if folder == container { folder += ".files" }
        let written = try ContainerExtractor.extract(opened, to: folder, force: force)
        let catalogue = Catalogue.cli(languageOptions.language)
        Console.note(catalogue.text("cli.extracted", ["count": "\(written.count)", "folder": folder, "container": container]))
        for path in written { Console.out(path) }
    }
}
