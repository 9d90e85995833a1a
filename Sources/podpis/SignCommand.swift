import ArgumentParser
import Foundation
import PodpisContainer
import PolicyEngine
import SigningCore

struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a document: a detached CAdES-B signature by default.")

    @Argument(help: "The document to sign.")
    var document: String

    @Argument(help: "More documents, with --container asice (all go into one container under one signature).")
    var moreDocuments: [String] = []

    @Option(name: .long, help: "Put the documents and a CAdES signature into an ASiC container (ETSI EN 319 162-1): asice (one or more files, signed through a manifest) or asics (one file). Default output: DOCUMENT.asice / .asics.")
    var container: ContainerKind?

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

    @Flag(name: .long, help: "Sign a PDF inside the PDF (PAdES, ETSI EN 319 142-1): an incremental update with a signature field, written to --out or DOCUMENT.signed.pdf (never over the input). --level B, T, LT (validation data in the PDF) or LTA (plus a document timestamp).")
    var pades = false

    @Flag(name: .long, help: "With --pades: certify the document (DocMDP P=2: afterwards only filling in forms and further signatures are allowed).")
    var certify = false

    @Option(name: .long, help: "With --pades: the signature field's name (default: the first empty signature field, else Signature1, Signature2, ...).")
    var field: String?

    @Option(name: .long, help: "With --pades: the reason written into the signature dictionary (/Reason).")
    var reason: String?

    func validate() throws {
        if pades, container != nil { throw ValidationError("--pades signs inside the PDF; it does not combine with --container") }
        if pades, attached || pem { throw ValidationError("--pades signs inside the PDF; --attached and --pem do not apply") }
        if pades, !moreDocuments.isEmpty { throw ValidationError("--pades signs one PDF") }
        if !pades, certify || field != nil || reason != nil { throw ValidationError("--certify, --field and --reason go with --pades") }
        if container == nil, !moreDocuments.isEmpty {
            throw ValidationError("several documents go into one ASiC-E container: add --container asice (or sign them one by one)")
        }
        if container == .asics, !moreDocuments.isEmpty {
            throw ValidationError("an ASiC-S container holds exactly one document; use --container asice for several")
        }
        if container != nil, attached { throw ValidationError("--attached does not combine with --container (the container holds the documents)") }
        if container != nil, pem { throw ValidationError("--pem does not combine with --container (the container holds DER)") }
    }

    func run() async throws {
        if pades {
            try signPDF()
            return
        }
        if let container {
            try await signContainer(container)
            return
        }
        let output = out ?? document + (attached ? ".p7m" : ".sig")
        try checkOutput(output, force: force)
        _ = try FileInput.regularFileSize(path: document)
        let target = level ?? (tsa.tsa != nil ? .T : .B)
        if target != .B && tsa.tsa == nil { throw needsTimestamp(target) }
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

extension CosignCommand {
    /// `cosign X.asice`: a new manifest and signature beside the existing ones (ASiC-E), or a parallel signer in
    /// the one signature file (ASiC-S). The container is replaced atomically unless --out names another file.
    func cosignContainer() throws {
        let container = try ASiCContainer(path: document)
        let (identity, chain) = try signer.loadIdentity()
        let options = SignatureOptions(digest: try signer.digestAlgorithm(), rsaPSS: signer.pss, chain: chain)
        let output = out ?? document
        if output != document { try checkOutput(output, force: false) }
        let added = try ContainerWriter.addSignature(
            to: container, digest: try Signer.digest(for: identity, options: options), output: output,
            signManifest: { manifest in try Signer.sign(.bytes(manifest), identity: identity, options: options) },
            cosign: { existing, dataPath in
                try Signer.cosign(signature: existing, signatureName: document + "!META-INF/signature.p7s",
                                  content: .file(dataPath), identity: identity, options: options)
            })
        let catalogue = Catalogue(lang.map { Language(parsing: $0) } ?? Console.language)
        Console.note(catalogue.text("cli.cosigned", ["signature": output + " (" + added + ")", "signer": identity.certificate.info().displayName]))
    }
}

/// `sign --container asice|asics`.
enum ContainerKind: String, ExpressibleByArgument, CaseIterable {
    case asice, asics
    init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

extension SignCommand {
    /// Signs into an ASiC container: for ASiC-E a detached CAdES over the manifest (which digests every file with
    /// the signature's own digest), for ASiC-S a detached CAdES over the one file.
    func signContainer(_ kind: ContainerKind) async throws {
        let documents = [document] + moreDocuments
        let output = out ?? document + "." + kind.rawValue
        try checkOutput(output, force: force)
        for path in documents { _ = try FileInput.regularFileSize(path: path) }
        let target = level ?? (tsa.tsa != nil ? .T : .B)
        if target != .B && tsa.tsa == nil { throw needsTimestamp(target) }
        let (identity, chain) = try signer.loadIdentity()
        let options = SignatureOptions(digest: try signer.digestAlgorithm(), rsaPSS: signer.pss, chain: chain)
        let signatureName = output + "!META-INF/signature.p7s"
        func finish(_ signed: [UInt8]) throws -> [UInt8] {
            target == .B ? signed : try raise(signed, name: signatureName, to: target, tsa: tsa, paths: paths, certificates: chain)
        }
        switch kind {
        case .asice:
            let digest = try Signer.digest(for: identity, options: options)
            try ContainerWriter.writeASiCE(
                files: documents.map { ContainerWriter.Input(path: $0) }, digest: digest, to: output, force: force
            ) { manifest in
                try finish(try Signer.sign(.bytes(manifest), identity: identity, options: options))
            }
        case .asics:
            try ContainerWriter.writeASiCS(file: ContainerWriter.Input(path: document), to: output, force: force) {
                try finish(try Signer.sign(.file(document), identity: identity, options: options))
            }
        }
        let catalogue = Catalogue(lang.map { Language(parsing: $0) } ?? Console.language)
        Console.note(catalogue.text("cli.signed-container", [
            "documents": documents.joined(separator: ", "), "container": output, "type": kind == .asice ? "ASiC-E" : "ASiC-S",
            "signer": identity.certificate.info().displayName, "key": identity.key.keyType, "level": target.rawValue,
        ]))
    }
}

struct CosignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cosign",
        abstract: "Add a parallel signature to an existing one, leaving the other signers untouched (also to an ASiC container: cosign X.asice).")

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
        if signature == nil, ASiCContainer.looksLikeContainer(path: document) {
            try cosignContainer()
            return
        }
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
