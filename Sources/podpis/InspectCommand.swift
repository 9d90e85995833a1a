import ArgumentParser
import EvidenceModel
import Foundation
import SigningCore

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a signature file contains: signers, attributes, certificates, CRLs.")

    @Argument(help: "The signature (DER, PEM or Base64).")
    var signature: String

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() async throws {
        let bytes = try FileInput.readSignature(path: signature)
        let inspection = try Inspector.inspect(bytes, subject: signature)
        if json {
            Console.out(String(decoding: try JSONEncoder.podpis().encode(inspection), as: UTF8.self))
            return
        }
        var lines: [String] = []
        lines.append("\(signature): CMS SignedData, \(inspection.encoding.uppercased()), \(inspection.content)"
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
        Console.out(lines.joined(separator: "\n"))
    }
}
