import ArgumentParser
import EvidenceModel
import Foundation
import PodpisContainer
import PolicyEngine
import PodpisService
import SigningCore

struct CosignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cosign",
        abstract: helpString("cosign.abstract"))

    @Argument(help: help("cosign.document"))
    var document: String

    @Argument(help: help("cosign.signature"))
    var signature: String?

    @OptionGroup var signer: SignerOptions

    @Option(name: .long, help: help("common.out-replace"))
    var out: String?

    @Flag(name: .long, help: help("common.pem"))
    var pem = false

    @OptionGroup var languageOptions: LanguageOptions

    @OptionGroup(title: helpString("group.revocation")) var paths: RevocationOptions

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
        try signer.checkCertificate(identity, chain: chain, paths: paths, online: false)
        let options = SignatureOptions(digest: try signer.digestAlgorithm(), pem: pem, rsaPSS: signer.pss, chain: chain)
        let output = out ?? signaturePath
        _ = try Signer.cosign(
            signature: existing, signatureName: signaturePath, content: documentPath.map { .file($0) }, identity: identity,
            options: options, output: output)
        let catalogue = Catalogue.cli(languageOptions.language)
        Console.note(catalogue.text("cli.cosigned", ["signature": output, "signer": identity.certificate.info().displayName]))
    }
}

extension CosignCommand {
    /// `cosign X.asice`: a new manifest and signature beside the existing ones (ASiC-E), or a parallel signer in
    /// the one signature file (ASiC-S). The container is replaced atomically unless --out names another file.
    func cosignContainer() throws {
        let container = try ASiCContainer(path: document)
        let (identity, chain) = try signer.loadIdentity()
        try signer.checkCertificate(identity, chain: chain, paths: paths, online: false)
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
        let catalogue = Catalogue.cli(languageOptions.language)
        Console.note(catalogue.text("cli.cosigned", ["signature": output + " (" + added + ")", "signer": identity.certificate.info().displayName]))
    }
}
