import ArgumentParser
import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import SigningCore

struct TimestampCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timestamp",
        abstract: helpString("timestamp.abstract"),
        discussion: helpString("timestamp.discussion"))

    @Argument(help: help("timestamp.signature"))
    var signature: String

    @OptionGroup var tsa: TSAOptions

    @Option(name: .long, help: help("common.out-replace"))
    var out: String?

    func run() async throws {
        guard let client = try tsa.client() else { throw PodpisError(.usage, "give --tsa URL") }
        let bytes = try FileInput.readSignature(path: signature)
        let (result, added) = try Timestamper.addSignatureTimestamps(to: bytes, subject: signature, client: client)
        try FileInput.writeAtomically(result, to: out ?? signature)
        Console.note(Catalogue.cli(Console.language).text("cli.timestamped", ["signature": out ?? signature, "count": "\(added)"]))
    }
}
