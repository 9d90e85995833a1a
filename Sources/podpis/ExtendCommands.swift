import ArgumentParser
import Foundation
import PodpisService
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
        abstract: "Raise a signature's level: T (add timestamps), LT (embed every certificate and revocation data) or LTA (then an archive timestamp over it all).",
        discussion: "LTA on a signature that already has archive timestamps renews it: the earlier archive timestamps' validation data is embedded and a new archive timestamp covers them.")

    @Argument(help: "The signature to extend.")
    var signature: String

    @Option(name: .long, help: "Target level: T, LT or LTA.")
    var level: SignatureLevel = .LT

    @Option(name: .long, help: "The signed document, for LTA on a detached signature (default: SIG without .sig/.p7s/.sgn).")
    var document: String?

    @OptionGroup(title: "Timestamp") var tsa: TSAOptions
    @OptionGroup(title: "Certificate paths and revocation") var paths: PathOptions

    @Option(name: .long, help: "Where to write the result (default: replace SIG, atomically).")
    var out: String?

    func run() async throws {
        let bytes = try FileInput.readSignature(path: signature)
        let content = (document ?? SignatureLookup.document(for: signature)).map { DocumentInput.file(path: $0) }
        let result = try raise(bytes, name: signature, to: level, tsa: tsa, paths: paths.revocation, certificates: try paths.certificates(),
                               document: content)
        try FileInput.writeAtomically(result, to: out ?? signature)
        let levels = (try Inspector.inspect(result, subject: signature)).signers.map(\.level).joined(separator: ", ")
        Console.note(Catalogue(Console.language).text("cli.extended", ["signature": out ?? signature, "level": levels]))
    }
}
