import ArgumentParser
import EvidenceModel
import Foundation
import PodpisContainer
import PolicyEngine
import PodpisService
import SigningCore

struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: helpString("sign.abstract"))

    @Argument(help: help("sign.document"))
    var document: String

    @Argument(help: help("sign.more-documents"))
    var moreDocuments: [String] = []

    @Option(name: .long, help: help("sign.container"))
    var container: ContainerKind?

    @OptionGroup var signer: SignerOptions

    @Option(name: .long, help: help("sign.out"))
    var out: String?

    @Flag(name: .long, help: help("sign.attached"))
    var attached = false

    @Flag(name: .long, help: help("common.pem"))
    var pem = false

    @Flag(name: .long, help: help("sign.force"))
    var force = false

    @OptionGroup var languageOptions: LanguageOptions

    @Option(name: .long, help: help("sign.level"))
    var level: SignatureLevel?

    @OptionGroup(title: helpString("group.timestamp")) var tsa: TSAOptions
    @OptionGroup(title: helpString("group.trust-lt")) var paths: RevocationOptions

    @Flag(name: .long, help: help("sign.pades"))
    var pades = false

    @Flag(name: .long, help: help("sign.certify"))
    var certify = false

    @Option(name: .long, help: help("sign.field"))
    var field: String?

    @Option(name: .long, help: help("sign.reason"))
    var reason: String?

    func validate() throws {
        if pades, container != nil { throw ValidationError(helpString("usage.pades-container")) }
        if pades, attached || pem { throw ValidationError(helpString("usage.pades-attached")) }
        if pades, !moreDocuments.isEmpty { throw ValidationError(helpString("usage.pades-one")) }
        if !pades, certify || field != nil || reason != nil { throw ValidationError(helpString("usage.pades-only")) }
        if container == nil, !moreDocuments.isEmpty {
            throw ValidationError(helpString("usage.several-documents"))
        }
        if container == .asics, !moreDocuments.isEmpty {
            throw ValidationError(helpString("usage.asics-one"))
        }
        if container != nil, attached { throw ValidationError(helpString("usage.attached-container")) }
        if container != nil, pem { throw ValidationError(helpString("usage.pem-container")) }
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
        try signer.checkCertificate(identity, chain: chain, paths: paths, online: target == .LT || target == .LTA)
        let options = SignatureOptions(
            digest: try signer.digestAlgorithm(), attached: attached, pem: pem, rsaPSS: signer.pss, chain: chain)
        let language = languageOptions.language
        if target == .B {
            _ = try ProgressLine.reading(document, language: language) {
                try Signer.sign(.file(document), identity: identity, options: options, output: output)
            }
        } else {
            // The signature is finished in memory and written only once the TSA (and LT data) succeeded.
            let signed = try ProgressLine.reading(document, language: language) { try Signer.sign(.file(document), identity: identity, options: options) }
            let raised = try raise(signed, name: output, to: target, tsa: tsa, paths: paths, certificates: chain, document: .file(path: document))
            try FileInput.writeAtomically(raised, to: output)
        }
        let catalogue = Catalogue.cli(languageOptions.language)
        Console.note(catalogue.text("cli.signed", [
            "document": document, "signature": output, "signer": identity.certificate.info().displayName,
            "key": identity.key.keyType.rawValue, "level": target.rawValue,
        ]))
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
        try signer.checkCertificate(identity, chain: chain, paths: paths, online: target == .LT || target == .LTA)
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
        let catalogue = Catalogue.cli(languageOptions.language)
        Console.note(catalogue.text("cli.signed-container", [
            "documents": documents.joined(separator: ", "), "container": output, "type": kind == .asice ? "ASiC-E" : "ASiC-S",
            "signer": identity.certificate.info().displayName, "key": identity.key.keyType.rawValue, "level": target.rawValue,
        ]))
    }
}
