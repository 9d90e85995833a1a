import Foundation
import PolicyEngine
import Testing
@testable import SigningCore

/// Builds hostile-but-parseable signatures by rewriting a real one's DER: what an attacker sends to make the
/// service parse, hold and walk far more than any signing tool produces.
enum CMSSurgery {
    /// The SignedData fields of a ContentInfo, rebuilt by `change`, wrapped again.
    static func rewrite(_ der: [UInt8], _ change: ([(tag: UInt8, bytes: [UInt8])]) throws -> [(tag: UInt8, bytes: [UInt8])]) throws -> [UInt8] {
        let (der, _) = try SignatureDecoder.decode(der, subject: nil)
        guard let outer = DER.node(in: der, at: 0), let (_, fields) = EmbeddedRevocation.signedDataFields(der) else {
            throw PodpisError(.dataFormat, "not SignedData")
        }
        let contentType = DER.children(of: outer, in: der)[0]
        let original = fields.map { (tag: $0.tag, bytes: Array(der[EmbeddedRevocation.start(of: $0, in: der)..<$0.end])) }
        let rebuilt = try change(original).flatMap(\.bytes)
        return DEREncoder.tlv(0x30, Array(der[EmbeddedRevocation.start(of: contentType, in: der)..<contentType.end])
                              + DEREncoder.tlv(0xA0, DEREncoder.tlv(0x30, rebuilt)))
    }

    /// The content of a TLV (its value), for a field taken whole.
    static func content(_ tlv: [UInt8]) -> [UInt8] {
        guard let node = DER.node(in: tlv, at: 0) else { return [] }
        return Array(tlv[node.contentRange])
    }

    /// `count` more certificates (copies of `certificate`) in SignedData.certificates.
    static func addCertificates(_ der: [UInt8], _ certificate: [UInt8], count: Int) throws -> [UInt8] {
        try rewrite(der) { fields in
            var extra = [UInt8]()
            extra.reserveCapacity(certificate.count * count)
            for _ in 0..<count { extra += certificate }
            return fields.map { $0.tag == 0xA0 ? (0xA0, DEREncoder.tlv(0xA0, content($0.bytes) + extra)) : $0 }
        }
    }

    /// `count` copies of `crl` in SignedData.crls (placed before the SignerInfos).
    static func addCRLs(_ der: [UInt8], _ crl: [UInt8], count: Int) throws -> [UInt8] {
        try rewrite(der) { fields in
            let list = DEREncoder.tlv(0xA1, (0..<count).flatMap { _ in crl })
            var result = fields.filter { $0.tag != 0xA1 }
            result.insert((0xA1, list), at: result.count - 1)
            return result
        }
    }

    /// The SignerInfos, replaced by `change` of the list.
    static func rewriteSigners(_ der: [UInt8], _ change: ([[UInt8]]) throws -> [[UInt8]]) throws -> [UInt8] {
        try rewrite(der) { fields in
            let set = fields[fields.count - 1].bytes
            guard let node = DER.node(in: set, at: 0) else { return fields }
            let infos = DER.children(of: node, in: set).map { Array(set[EmbeddedRevocation.start(of: $0, in: set)..<$0.end]) }
            var result = fields
            result[result.count - 1] = (0x31, DEREncoder.tlv(0x31, try change(infos).flatMap { $0 }))
            return result
        }
    }

    /// A SignerInfo with one more unsigned attribute (`oid`, these values).
    static func addUnsigned(_ info: [UInt8], oid: String, values: [[UInt8]]) throws -> [UInt8] {
        guard let node = DER.node(in: info, at: 0) else { return info }
        var parts = DER.children(of: node, in: info).map { Array(info[EmbeddedRevocation.start(of: $0, in: info)..<$0.end]) }
        let attribute = DEREncoder.sequence([try DEREncoder.oid(oid), DEREncoder.tlv(0x31, values.flatMap { $0 })])
        if let last = parts.last, last.first == 0xA1 {
            parts[parts.count - 1] = DEREncoder.tlv(0xA1, content(last) + attribute)
        } else {
            parts.append(DEREncoder.tlv(0xA1, attribute))
        }
        return DEREncoder.tlv(0x30, parts.flatMap { $0 })
    }

    /// A chain of `depth` signed objects each inside the previous one's unsigned signature-time-stamp attribute,
    /// the innermost being `innermost` (structurally what nested timestamp tokens look like).
    static func nestedTokens(depth: Int, innermost: [UInt8]) throws -> [UInt8] {
        var token = innermost
        for _ in 0..<depth {
            let info = try addUnsigned(DEREncoder.sequence([[0x02, 0x01, 0x01]]), oid: "1.2.840.113549.1.9.16.2.14", values: [token])
            let signedData = DEREncoder.sequence([[0x02, 0x01, 0x03], DEREncoder.tlv(0x31, []),
                                                  DEREncoder.sequence([try DEREncoder.oid("1.2.840.113549.1.9.16.1.4")]),
                                                  DEREncoder.tlv(0x31, info)])
            token = DEREncoder.sequence([try DEREncoder.oid("1.2.840.113549.1.7.2"), DEREncoder.tlv(0xA0, signedData)])
        }
        return token
    }
}

/// Issue #14, item 4: caps on what one signature may carry, counted before anything is parsed.
@Suite("Caps on what a signature carries")
struct SignatureCapsTests {
    static let h = Hierarchy.ec

    static func signed() throws -> [UInt8] {
        try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity, options: SignatureOptions(chain: [h.ca.certificate]))
    }

    @Test("every cap, one over its default: refused naming the cap; at the cap: verified")
    func eachCap() throws {
        let signature = try Self.signed()
        let crl = try Self.h.crl().der
        let certificate = Self.h.ca.certificate.der
        // One over each default, and exactly at it (which must still verify normally).
        let over: [(String, [UInt8])] = [
            ("certificates", try CMSSurgery.addCertificates(signature, certificate, count: 500)),  // + signer + CA = 502
            ("revocationObjects", try CMSSurgery.addCRLs(signature, crl, count: 201)),
            ("signers", try CMSSurgery.rewriteSigners(signature) { infos in Array(repeating: infos[0], count: 65) }),
            ("unsignedAttributes", try CMSSurgery.rewriteSigners(signature) { infos in
                [try CMSSurgery.addUnsigned(infos[0], oid: "1.2.3.4.5", values: Array(repeating: [0x05, 0x00], count: 65))] }),
            ("nestedTimestamps", try CMSSurgery.rewriteSigners(signature) { infos in
                [try CMSSurgery.addUnsigned(infos[0], oid: "1.2.840.113549.1.9.16.2.14",
                                            values: [try CMSSurgery.nestedTokens(depth: 17, innermost: try Self.signed())])] }),
        ]
        for (name, bytes) in over {
            #expect(throws: PodpisError.self, "\(name)") { try SignatureLimits.standard.check(bytes) }
            do {
                try SignatureLimits.standard.check(bytes)
            } catch let error as PodpisError {
                #expect(error.key == SignatureLimits.errorKey)
                #expect(error.message.contains("limits.\(name)"), "\(name): \(error.message)")
            }
            // The same through the whole verification: an error, not evidence (the front ends map it).
            #expect(throws: PodpisError.self) { _ = try judge(bytes, document: sampleDocument, hierarchy: Self.h) }
            // Unlimited: the core goes on as before (forensic use).
            try SignatureLimits.unlimited.check(bytes)
        }
        let atCaps: [[UInt8]] = [
            try CMSSurgery.addCertificates(signature, certificate, count: 498),
            try CMSSurgery.addCRLs(signature, crl, count: 200),
            try CMSSurgery.rewriteSigners(signature) { infos in
                [try CMSSurgery.addUnsigned(infos[0], oid: "1.2.3.4.5", values: Array(repeating: [0x05, 0x00], count: 64))] },
            try CMSSurgery.rewriteSigners(signature) { infos in
                [try CMSSurgery.addUnsigned(infos[0], oid: "1.2.840.113549.1.9.16.2.14",
                                            values: [try CMSSurgery.nestedTokens(depth: 15, innermost: try Self.signed())])] },
        ]
        for bytes in atCaps {
            try SignatureLimits.standard.check(bytes)
            let (_, report) = try judge(bytes, document: sampleDocument, hierarchy: Self.h)
            #expect(report.signatures.first?.checks.first { $0.id == "integrity" }?.status == .passed)
        }
    }

    @Test("streamed (BER, indefinite-length) signatures are counted too")
    func berCounted() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let signer = try Self.h.signer()
        let document = try folder.write("doc.txt", sampleDocument)
        let output = folder.file("doc.p7m")
        _ = try Signer.sign(.file(document), identity: signer.identity, options: SignatureOptions(attached: true, chain: [Self.h.ca.certificate]), output: output)
        let ber = try FileInput.readSmallFile(path: output, limit: 1 << 20)
        #expect(ber[1] == 0x80, "expected an indefinite length from the streaming signer")
        try SignatureLimits.standard.check(ber)
        var tight = SignatureLimits.standard
        tight.certificates = 1
        #expect(throws: PodpisError.self) { try tight.check(ber) }
        tight = .standard
        tight.signers = 0
        #expect(throws: PodpisError.self) { try tight.check(ber) }
    }

    @Test("CLI: exit 65 with one line naming the cap; --no-limits verifies it anyway")
    func cli() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let signer = try Self.h.signer()
        let signature = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [Self.h.ca.certificate]))
        let hostile = try CMSSurgery.addCertificates(signature, Self.h.ca.certificate.der, count: 600)
        let document = try folder.write("order.txt", sampleDocument)
        let sig = try folder.write("order.txt.sig", hostile)
        let trust = try folder.write("root.pem", try CertificateFiles.pem([Self.h.root.certificate]))
        let refused = try CLI.run(["verify", document, sig, "--trust", trust])
        #expect(refused.status == 65, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("limits.certificates") && refused.stderr.contains("602"), "\(refused.stderr)")
        let russian = try CLI.run(["verify", document, sig, "--trust", trust, "--lang", "ru"])
        #expect(russian.status == 65)
        #expect(russian.stderr.contains("слишком сложна"), "\(russian.stderr)")
        let forensic = try CLI.run(["verify", document, sig, "--trust", trust, "--no-limits", "--json"])
        #expect(forensic.status != 65, "\(forensic.stderr)")
        #expect(forensic.stdout.contains("\"indication\""), "\(forensic.stdout.prefix(300))")
    }
}
