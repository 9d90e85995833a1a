import ArgumentParser
import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import SigningCore

struct ExtendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extend",
        abstract: helpString("extend.abstract"),
        discussion: helpString("extend.discussion"))

    @Argument(help: help("extend.signature"))
    var signature: String

    @Option(name: .long, help: help("extend.level"))
    var level: SignatureLevel = .LT

    @Option(name: .long, help: help("extend.document"))
    var document: String?

    @OptionGroup(title: helpString("group.timestamp")) var tsa: TSAOptions
    @OptionGroup(title: helpString("group.paths")) var paths: PathOptions

    @Option(name: .long, help: help("common.out-replace"))
    var out: String?

    func run() async throws {
        let bytes = try FileInput.readSignature(path: signature)
        let content = (document ?? SignatureLookup.document(for: signature)).map { DocumentInput.file(path: $0) }
        let result = try raise(bytes, name: signature, to: level, tsa: tsa, paths: paths.revocation, certificates: try paths.certificates(),
                               document: content)
        try FileInput.writeAtomically(result, to: out ?? signature)
        let levels = (try Inspector.inspect(result, subject: signature)).signers.map(\.level.rawValue).joined(separator: ", ")
        Console.note(Catalogue.cli(Console.language).text("cli.extended", ["signature": out ?? signature, "level": levels]))
    }
}
