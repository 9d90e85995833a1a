import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
@testable import SigningCore
import SigningCoreTestSupport

/// DER pieces for building the shapes other producers write, independently of podpis's own readers.
enum TestDER {
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { DEREncoder.tlv(tag, content) }
    static func sequence(_ items: [[UInt8]]) -> [UInt8] { DEREncoder.sequence(items) }
    static func set(_ items: [[UInt8]]) -> [UInt8] { tlv(0x31, items.flatMap { $0 }) }
    static func oid(_ dotted: String) -> [UInt8] { try! DEREncoder.oid(dotted) }
    static func octets(_ bytes: [UInt8]) -> [UInt8] { tlv(0x04, bytes) }
    static func generalizedTime(_ date: Date) -> [UInt8] {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        let text = String(format: "%04d%02d%02d%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        return tlv(0x18, Array(text.utf8))
    }

    /// The fields of a certificate's tbsCertificate, as DER (version, serial, signature, issuer, validity, subject, ...).
    static func tbsFields(_ certificate: X509Certificate) -> [[UInt8]] {
        let der = certificate.der
        guard let outer = DER.node(in: der, at: 0), let tbs = DER.children(of: outer, in: der).first else { return [] }
        var start = tbs.contentRange.lowerBound
        return DER.children(of: tbs, in: der).map { child in
            defer { start = child.end }
            return Array(der[start..<child.end])
        }
    }

    /// serialNumber, issuer and subject of a certificate (v3: version [0] comes first).
    static func serial(_ c: X509Certificate) -> [UInt8] { tbsFields(c)[1] }
    static func issuer(_ c: X509Certificate) -> [UInt8] { tbsFields(c)[3] }
    static func subject(_ c: X509Certificate) -> [UInt8] { tbsFields(c)[5] }

    /// OtherHash: `sha1Hash` (a bare OCTET STRING) for SHA-1, else OtherHashAlgAndValue.
    static func otherHash(_ algorithm: DigestAlgorithm, of bytes: [UInt8]) -> [UInt8] {
        let value = octets(try! MultiDigest.digest(algorithm, bytes))
        return algorithm == .sha1 ? value : sequence([sequence([oid(algorithm.oid)]), value])
    }

    /// An attribute's type and SET of one value, as they are hashed by the CAdES-C timestamps (TS 101 733 §6.3.5).
    static func typeAndSet(_ type: String, _ value: [UInt8]) -> [UInt8] { oid(type) + set([value]) }
}

/// A CryptoPro-shaped CAdES-X Long Type 1, built with the GOST test PKI the way CryptoPro CSP writes it: a
/// CAdES-BES (signer certificate only in SignedData), a signature-time-stamp, complete-certificate-references,
/// complete-revocation-references, a CAdES-C-time-stamp (id-aa-ets-escTimeStamp) over them, certificate-values
/// and revocation-values (OCSP answers whose CertIDs are hashed with Streebog, a CRL of the root for the CA).
struct CryptoProLongTerm {
    /// Where the TSA certificate travels.
    enum TSAPlacement: String, CaseIterable, Sendable {
        /// In the timestamp tokens themselves (certReq true).
        case token
        /// Only in certificate-values (the tokens carry no certificate).
        case certificateValues
        /// Only in the CAdES-C timestamp token beside the signature timestamp.
        case cadesCTimestamp
        /// Nowhere in the signature (the reference names it, no value carries it).
        case nowhere
    }

    let hierarchy = Hierarchy.gost
    let signer: IssuedCertificate
    let tsa: IssuedCertificate
    let authority: TimestampAuthority
    let document: [UInt8]
    let signature: [UInt8]
    /// When the signer's certificate expires (verify after it).
    let signerNotAfter: Date

    var root: X509Certificate { hierarchy.root.certificate }

    init(placement: TSAPlacement = .certificateValues, ocspCertIDHash: DigestAlgorithm = .streebog256,
         document: [UInt8] = sampleDocument, breakReferencesAfterStamping: Bool = false, omitOCSPForSigner: Bool = false) throws {
        let now = Date()
        signerNotAfter = now.addingTimeInterval(2 * 86_400)
        let hierarchy = Hierarchy.gost
        signer = try hierarchy.signer(notBefore: now.addingTimeInterval(-10 * 86_400), notAfter: signerNotAfter,
                                      crlURL: "http://127.0.0.1:9/gost-ca.crl")
        tsa = try PKIProfiles.tsa(name: "Тестовая служба штампов времени", key: .gost2012_256, issuer: hierarchy.ca,
                                  crlURL: "http://127.0.0.1:9/gost-ca.crl")
        authority = try TimestampAuthority(key: tsa.key, certificate: tsa.certificate, chain: [hierarchy.ca.certificate],
                                           serials: SerialNumberSource(path: nil))
        self.document = document
        let client = TimestampClient(source: LocalTimestampSource(authority))

        // CAdES-BES: only the signer's certificate inside.
        var options = SignatureOptions()
        options.chain = []
        var signature = try Signer.sign(.bytes(document), identity: signer.identity, options: options)

        // signature-time-stamp
        let signatureValue = try Tampering.signatureValue(of: signature)
        var signatureToken = try client.token(over: signatureValue, digest: .streebog256)
        if placement != .token { signatureToken = try Tampering.withoutCertificates(token: signatureToken) }
        signature = try Tampering.attachTimestamp(signature, token: signatureToken)

        // Revocation data: OCSP for the signer and the TSA from the CA (CertIDs hashed as asked), a CRL of the root
        // for the CA.
        let ca = hierarchy.ca
        let responder = OCSPResponder(ca: ca.certificate, signer: ca.certificate, key: ca.key, validity: 3600, lookup: { _ in .good })
        let signerOCSP = try responder.respond(to: OCSP.request(for: signer.certificate, issuer: ca.certificate, certificateIDHash: ocspCertIDHash))
        let tsaOCSP = try responder.respond(to: OCSP.request(for: tsa.certificate, issuer: ca.certificate, certificateIDHash: ocspCertIDHash))
        let rootCRL = try hierarchy.crl(by: hierarchy.root)
        let ocspResponses = (omitOCSPForSigner ? [] : [signerOCSP]) + [tsaOCSP]

        // complete-certificate-references: the CA, the root and the TSA (not the signer: signing-certificate-v2 names it).
        let referenced = [ca.certificate, hierarchy.root.certificate, tsa.certificate]
        let certificateRefs = TestDER.sequence(referenced.enumerated().map { index, cert in
            let issuerSerial = TestDER.sequence([TestDER.sequence([TestDER.tlv(0xA4, TestDER.issuer(cert))]), TestDER.serial(cert)])
            // One SHA-1 reference (the sha1Hash choice), the others Streebog-256, as mixed CryptoPro files have.
            return TestDER.sequence([TestDER.otherHash(index == 1 ? .sha1 : .streebog256, of: cert.der), issuerSerial])
        })
        // complete-revocation-references: OCSP references (responder by name, producedAt, hash of the response) and the
        // CRL reference.
        func ocspRef(_ response: [UInt8]) -> [UInt8] {
            let identifier = TestDER.sequence([TestDER.tlv(0xA1, TestDER.subject(ca.certificate)), TestDER.generalizedTime(Date())])
            let id = TestDER.sequence([identifier, TestDER.otherHash(.streebog256, of: response)])
            return TestDER.sequence([TestDER.tlv(0xA1, TestDER.sequence([TestDER.sequence([id])]))])
        }
        let crlRef = TestDER.sequence([TestDER.tlv(0xA0, TestDER.sequence([TestDER.sequence([
            TestDER.sequence([TestDER.otherHash(.streebog256, of: rootCRL.der)])])]))])
        let revocationRefs = TestDER.sequence(ocspResponses.map(ocspRef) + [crlRef])
        signature = try Tampering.addUnsignedAttribute(signature, oid: OID.certificateReferences, value: certificateRefs)
        signature = try Tampering.addUnsignedAttribute(signature, oid: OID.revocationReferences, value: revocationRefs)

        // The CAdES-C timestamp: over the signature value, the signature-time-stamp attribute and both references
        // (each attribute as the DER of its type and of its SET of values).
        let x1 = signatureValue + TestDER.typeAndSet(OID.signatureTimeStamp, signatureToken)
            + TestDER.typeAndSet(OID.certificateReferences, certificateRefs) + TestDER.typeAndSet(OID.revocationReferences, revocationRefs)
        var escToken = try client.token(over: x1, digest: .streebog256)
        if placement == .certificateValues || placement == .nowhere { escToken = try Tampering.withoutCertificates(token: escToken) }
        signature = try Tampering.addUnsignedAttribute(signature, oid: OID.cadesCTimestamp, value: escToken)

        // certificate-values and revocation-values.
        let values = [ca.certificate, hierarchy.root.certificate] + (placement == .certificateValues ? [tsa.certificate] : [])
        signature = try Tampering.addUnsignedAttribute(signature, oid: OID.certificateValues, value: TestDER.sequence(values.map(\.der)))
        let basics = ocspResponses.compactMap { EmbeddedRevocation.basicResponse(in: $0) }
        let revocationValues = TestDER.sequence([TestDER.tlv(0xA0, TestDER.sequence([rootCRL.der])), TestDER.tlv(0xA1, TestDER.sequence(basics))])
        signature = try Tampering.addUnsignedAttribute(signature, oid: OID.revocationValues, value: revocationValues)

        if breakReferencesAfterStamping {
            // Another complete-certificate-references beside the stamped one: what the CAdES-C timestamp covers changed.
            signature = try Tampering.addUnsignedAttribute(signature, oid: OID.certificateReferences,
                                                           value: TestDER.sequence([TestDER.sequence([TestDER.otherHash(.streebog256, of: [1, 2, 3])])]))
        }
        self.signature = signature
    }

    /// Verifies offline with only the root as trust anchor, at `at` (default: after the signer's certificate expired).
    func verify(at: Date? = nil, certificates: [X509Certificate] = [], document: [UInt8]? = nil,
                policy: Policy = BuiltinPolicies.default) throws -> (Evidence, Report) {
        let job = VerificationInput(
            signature: signature, signatureName: "order.pdf.sig", document: .bytes(name: "order.pdf", document ?? self.document),
            trust: TrustStore(anchors: [root]), certificates: certificates, crls: [],
            validationTime: at ?? signerNotAfter.addingTimeInterval(3 * 86_400), revocation: .offline, policy: policy)
        return try Verifier.verify(job)
    }
}

extension TestDER {
    /// The same CMS re-encoded as streaming producers write BER: the ContentInfo, SignedData, encapsulated content
    /// (its eContent as a constructed OCTET STRING in 512-byte segments), the certificate and SignerInfo sets, each
    /// SignerInfo and its unsigned attributes with indefinite lengths. Certificates, CRLs, signed attributes and
    /// attribute values keep their DER (their signatures cover it).
    static func berSkeleton(_ der: [UInt8]) -> [UInt8] {
        func tlvBytes(_ node: DER.Node) -> [UInt8] { Array(der[EmbeddedRevocation.start(of: node, in: der)..<node.end]) }
        func indefinite(_ tag: UInt8, _ parts: [[UInt8]]) -> [UInt8] { [tag, 0x80] + parts.flatMap { $0 } + [0x00, 0x00] }
        guard let contentInfo = DER.node(in: der, at: 0) else { return der }
        let outer = DER.children(of: contentInfo, in: der)
        let signedData = DER.children(of: outer[1], in: der)[0]
        var fields: [[UInt8]] = []
        for field in DER.children(of: signedData, in: der) {
            switch field.tag {
            case 0x30 where fields.count == 2:  // encapContentInfo
                let parts = DER.children(of: field, in: der)
                var encap = [tlvBytes(parts[0])]
                if parts.count > 1, let octets = DER.children(of: parts[1], in: der).first {
                    let content = Array(der[octets.contentRange])
                    let segments = stride(from: 0, to: content.count, by: 512).map { DEREncoder.tlv(0x04, Array(content[$0..<min($0 + 512, content.count)])) }
                    encap.append(indefinite(0xA0, [indefinite(0x24, segments)]))
                }
                fields.append(indefinite(0x30, encap))
            case 0xA0, 0xA1:
                fields.append(indefinite(field.tag, DER.children(of: field, in: der).map(tlvBytes)))
            case 0x31 where fields.count > 2:  // signerInfos
                fields.append(indefinite(0x31, DER.children(of: field, in: der).map { signerInfo in
                    indefinite(0x30, DER.children(of: signerInfo, in: der).map { part in
                        part.tag == 0xA1
                            ? indefinite(0xA1, DER.children(of: part, in: der).map { attribute in
                                indefinite(0x30, DER.children(of: attribute, in: der).map(tlvBytes))
                            })
                            : tlvBytes(part)
                    })
                }))
            default:
                fields.append(tlvBytes(field))
            }
        }
        return indefinite(0x30, [tlvBytes(outer[0]), indefinite(0xA0, [indefinite(0x30, fields)])])
    }
}
