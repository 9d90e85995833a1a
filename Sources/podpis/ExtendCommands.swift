import ArgumentParser
import Foundation
import PolicyEngine
import SigningCore

struct TimestampCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timestamp",
        abstract: "Add a signature-time-stamp to every signer that lacks one (CAdES-B → CAdES-T).",
        discussion: "The signature file is replaced only when every timestamp was obtained and checked.")

    @Argument(help: "The signature to timestamp.")
    var signature: String

    @OptionGroup var tsa: TSAOptions

    @Option(name: .long, help: "Where to write the result (default: replace SIG, atomically).")
    var out: String?

    func run() async throws {
        guard let client = try tsa.client() else { throw PodpisError(.usage, "give --tsa URL") }
        let bytes = try FileInput.readSignature(path: signature)
        let (result, added) = try Timestamper.addSignatureTimestamps(to: bytes, subject: signature, client: client)
        try FileInput.writeAtomically(result, to: out ?? signature)
        Console.note(Catalogue(Console.language).text("cli.timestamped", ["signature": out ?? signature, "count": "\(added)"]))
    }
}

struct ExtendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extend",
        abstract: "Raise a signature's level: T (add timestamps) or LT (embed every certificate and revocation data).")

    @Argument(help: "The signature to extend.")
    var signature: String

    @Option(name: .long, help: "Target level: T or LT.")
    var level: SignatureLevel = .LT

    @OptionGroup(title: "Timestamp") var tsa: TSAOptions
    @OptionGroup(title: "Certificate paths and revocation") var paths: PathOptions

    @Option(name: .long, help: "Where to write the result (default: replace SIG, atomically).")
    var out: String?

    func run() async throws {
        let bytes = try FileInput.readSignature(path: signature)
        let result = try raise(bytes, name: signature, to: level, tsa: tsa, paths: paths.revocation, certificates: try paths.certificates())
        try FileInput.writeAtomically(result, to: out ?? signature)
        let levels = (try Inspector.inspect(result, subject: signature)).signers.map(\.level).joined(separator: ", ")
        Console.note(Catalogue(Console.language).text("cli.extended", ["signature": out ?? signature, "level": levels]))
    }
}
