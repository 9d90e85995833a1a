import ArgumentParser
import Foundation
import PodpisContainer
import PolicyEngine
import SigningCore

/// `podpis container list|extract`: look into an ASiC container and take its files out.
struct ContainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container",
        abstract: "Look into an ASiC-E/ASiC-S container and extract its files (to verify it: podpis verify X.asice).",
        subcommands: [ContainerListCommand.self, ContainerExtractCommand.self])
}

struct ContainerListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List a container's files and which files each signature's manifest names (nothing is verified).")

    @Argument(help: "The container (.asice, .asics).")
    var container: String

    @Option(name: .long, help: "Language of messages: ru or en.")
    var lang: String?

    func run() async throws {
        let opened = try ASiCContainer(path: container)
        let catalogue = Catalogue(lang.map { Language(parsing: $0) } ?? Console.language)
        Console.out(catalogue.text("container.heading", ["type": opened.kind.rawValue, "name": container]))
        for file in opened.dataFiles {
            Console.out("  \(file.name)\t\(file.uncompressedSize)")
        }
        for signature in opened.signatures {
            let names = opened.coveredFiles(signature)
            let key = names.isEmpty ? "container.covers-nothing" : "container.covers"
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
        abstract: "Write a container's data files into a folder (existing files are kept unless --force).",
        discussion: "Extracting does not verify the signatures: run podpis verify on the container for that.")

    @Argument(help: "The container (.asice, .asics).")
    var container: String

    @Option(name: .long, help: "The folder to write into (default: the container's name without its extension).")
    var to: String?

    @Flag(name: .long, help: "Replace files that already exist.")
    var force = false

    @Option(name: .long, help: "Language of messages: ru or en.")
    var lang: String?

    func run() async throws {
        let opened = try ASiCContainer(path: container)
        var folder = to ?? (container as NSString).deletingPathExtension
        if folder == container { folder += ".files" }
        let written = try ContainerExtractor.extract(opened, to: folder, force: force)
        let catalogue = Catalogue(lang.map { Language(parsing: $0) } ?? Console.language)
        Console.note(catalogue.text("cli.extracted", ["count": "\(written.count)", "folder": folder, "container": container]))
        for path in written { Console.out(path) }
    }
}
