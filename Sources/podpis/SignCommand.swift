import ArgumentParser
import Foundation
import PolicyEngine
import SigningCore

struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a document: a detached CAdES-B signature by default.")

    @Argument(help: "The document to sign.")
    var document: String

    @OptionGroup var signer: SignerOptions

    @Option(name: .long, help: "Where to write the signature (default: DOCUMENT.sig, or DOCUMENT.p7m with --attached).")
    var out: String?

    @Flag(name: .long, help: "Enveloping signature: the document goes inside the signature file.")
    var attached = false

    @Flag(name: .long, help: "Write PEM instead of DER.")
    var pem = false

    @Flag(name: .long, help: "Replace an existing output file.")
    var force = false

    @Option(name: .long, help: "Language of messages: ru or en (default: from LANG).")
    var lang: String?

    @Option(name: .long, help: "CAdES level: B, T (needs --tsa), LT or LTA (need --tsa and --trust). Default: T with --tsa, else B.")
    var level: SignatureLevel?

    @OptionGroup(title: "Timestamp") var tsa: TSAOptions
    @OptionGroup(title: "Trust and revocation (for LT)") var paths: RevocationOptions

    func run() async throws {
        let output = out ?? document + (attached ? ".p7m" : ".sig")
        try checkOutput(output, force: force)
        _ = try FileInput.regularFileSize(path: document)
        let target = level ?? (tsa.tsa != nil ? .T : .B)
        if target != .B && tsa.tsa == nil { throw PodpisError(.usage, "level \(target.rawValue) needs a timestamp: give --tsa URL") }
        let (identity, chain) = try signer.loadIdentity()
        let options = SignatureOptions(
            digest: try signer.digestAlgorithm(), attached: attached, pem: pem, rsaPSS: signer.pss, chain: chain)
        if target == .B {
            _ = try Signer.sign(.file(document), identity: identity, options: options, output: output)
        } else {
            // The signature is finished in memory and written only once the TSA (and LT data) succeeded.
            let signed = try Signer.sign(.file(document), identity: identity, options: options)
            let raised = try raise(signed, name: output, to: target, tsa: tsa, paths: paths, certificates: chain, document: .file(path: document))
            try FileInput.writeAtomically(raised, to: output)
        }
        let catalogue = Catalogue(lang.map { Language(parsing: $0) } ?? Console.language)
        Console.note(catalogue.text("cli.signed", [
            "document": document, "signature": output, "signer": identity.certificate.info().displayName,
            "key": identity.key.keyType, "level": target.rawValue,
        ]))
    }
}

struct CosignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cosign",
        abstract: "Add a parallel signature to an existing one, leaving the other signers untouched.")

    @Argument(help: "The signed document (omit for an attached signature: give only SIG).")
    var document: String

    @Argument(help: "The existing signature.")
    var signature: String?

    @OptionGroup var signer: SignerOptions

    @Option(name: .long, help: "Where to write the result (default: replace SIG, atomically).")
    var out: String?

    @Flag(name: .long, help: "Write PEM instead of DER.")
    var pem = false

    @Option(name: .long, help: "Language of messages: ru or en.")
    var lang: String?

    func run() async throws {
        // `cosign SIG.p7m` (attached) or `cosign DOCUMENT SIG`.
        let (documentPath, signaturePath): (String?, String) = signature.map { (document, $0) } ?? (nil, document)
        let existing = try FileInput.readSmallFile(path: signaturePath, limit: 1 << 30)
        if let documentPath { _ = try FileInput.regularFileSize(path: documentPath) }
        let (identity, chain) = try signer.loadIdentity()
        let options = SignatureOptions(digest: try signer.digestAlgorithm(), pem: pem, rsaPSS: signer.pss, chain: chain)
        let output = out ?? signaturePath
        _ = try Signer.cosign(
            signature: existing, signatureName: signaturePath, content: documentPath.map { .file($0) }, identity: identity,
            options: options, output: output)
        let catalogue = Catalogue(lang.map { Language(parsing: $0) } ?? Console.language)
        Console.note(catalogue.text("cli.cosigned", ["signature": output, "signer": identity.certificate.info().displayName]))
    }
}
