import ArgumentParser
import EvidenceModel
import Foundation
import PodpisContainer
import PolicyEngine
import SigningCore

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
