import ArgumentParser
import EvidenceModel
import Foundation
import PodpisContainer
import PolicyEngine
import SigningCore

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a signature file or an ASiC container contains: signers, attributes, certificates, CRLs.",
        discussion: "Nothing is verified: run podpis verify for a verdict.")

    @Argument(help: "The signature (DER, PEM or Base64) or an ASiC-E/ASiC-S container.")
    var signature: String

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Option(name: .long, help: "Language of messages: ru or en.")
    var lang: String?

    func run() async throws {
        if ASiCContainer.looksLikeContainer(path: signature) {
            try inspectContainer()
            return
        }
        let bytes = try FileInput.readSignature(path: signature)
        let inspection = try Inspector.inspect(bytes, subject: signature)
        if json {
            Console.out(String(decoding: try JSONEncoder.podpis().encode(inspection), as: UTF8.self))
            return
        }
        Console.out(Self.lines(inspection, name: signature).joined(separator: "\n"))
    }

    private func inspectContainer() throws {
        let container = try ASiCContainer(path: signature).inspect()
        if json {
            Console.out(String(decoding: try JSONEncoder.podpis().encode(container), as: UTF8.self))
            return
        }
        let catalogue = Catalogue(lang.map { Language(parsing: $0) } ?? Console.language)
        var lines = [catalogue.text("container.heading", ["type": container.type, "name": signature])]
        lines += container.files.map { "  \($0.name)\t\($0.size)" }
        for entry in container.signatures {
            let key = entry.covers.isEmpty ? "container.covers-nothing" : "container.covers"
            lines.append(catalogue.text(key, [
                "signature": entry.name, "file": entry.manifest ?? "—", "files": entry.covers.joined(separator: ", "),
            ]))
            if let cms = entry.cms {
                lines += Self.lines(cms, name: entry.name).map { "  " + $0 }
            } else {
                lines.append("  " + catalogue.text("container.signature-unreadable", ["reason": entry.problem ?? "?"]))
            }
        }
        for manifest in container.orphanManifests {
            lines.append(catalogue.text("container.orphan-manifest", ["file": manifest]))
        }
        Console.out(lines.joined(separator: "\n"))
    }

    static func lines(_ inspection: Inspection, name: String) -> [String] {
        var lines: [String] = []
        lines.append("\(name): CMS SignedData, \(inspection.encoding.uppercased()), \(inspection.content)"
            + (inspection.contentSize.map { " (\($0) bytes inside)" } ?? ""))
        for signer in inspection.signers {
            let level = signer.level == "CMS" ? "CMS" : "CAdES-\(signer.level)"
            lines.append("signer \(signer.id): \(signer.certificate ?? signer.identifierValue)")
            lines.append("  level \(level); \(signer.signature) with \(signer.digest)")
            if let time = signer.signingTime { lines.append("  signing-time (claimed): \(ISO8601DateFormatter().string(from: time))") }
            lines.append("  signed attributes: \(signer.signedAttributes.joined(separator: ", "))")
            if !signer.unsignedAttributes.isEmpty {
                lines.append("  unsigned attributes: \(signer.unsignedAttributes.joined(separator: ", "))")
            }
        }
        for cert in inspection.certificates {
            lines.append("certificate: \(cert.subject)")
            lines.append("  issuer \(cert.issuer); serial \(cert.serial)")
            lines.append("  valid \(ISO8601DateFormatter().string(from: cert.notBefore)) – \(ISO8601DateFormatter().string(from: cert.notAfter)); \(cert.keyType) \(cert.keyBits) bits; \(cert.isCA ? "CA" : "end entity")")
        }
        for crl in inspection.crls {
            lines.append("CRL: \(crl.issuer); this update \(crl.thisUpdate.map { ISO8601DateFormatter().string(from: $0) } ?? "?")")
        }
        return lines
    }
}
