import COpenSSL
import CPodpis
import Foundation

/// Hostile variants of valid signatures, for the test suite's negative cases (reachable with `@testable import`).
/// They keep the OpenSSL work inside the signing core.
enum Tampering {
    /// Flips one bit in signer `index`'s signature value.
    static func flipSignatureBit(_ signature: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        guard let value = CMS_SignerInfo_get0_signature(si) else { throw PodpisError(.software, "no signature value") }
        var bytes = SigningCore.bytes(of: value)
        bytes[bytes.count / 2] ^= 0x01
        ASN1_OCTET_STRING_set(value, bytes, Int32(bytes.count))
        return try cms.der()
    }

    /// Replaces signer `index`'s signing-time attribute value (the signature then no longer covers it).
    static func changeSigningTime(_ signature: [UInt8], signer index: Int = 0, to date: Date) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        let position = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1)
        if position >= 0 { X509_ATTRIBUTE_free(CMS_signed_delete_attr(si, position)) }
        guard let time = asn1Time(date) else { throw PodpisError(.software, "time") }
        defer { ASN1_TIME_free(time) }
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, time.pointee.type, UnsafeRawPointer(time), -1)
        return try cms.der()
    }

    /// Adds a second signing-time attribute (a format violation: at most one is allowed).
    static func duplicateSigningTime(_ signature: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        guard let time = asn1Time(Date()) else { throw PodpisError(.software, "time") }
        defer { ASN1_TIME_free(time) }
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, time.pointee.type, UnsafeRawPointer(time), -1)
        return try cms.der()
    }

    /// Replaces the SignedData certificates with `certificates`.
    static func replaceCertificates(_ signature: [UInt8], with certificates: [X509Certificate]) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        guard let stack = CMS_get1_certs(cms.pointer) else { throw PodpisError(.software, "no certificates") }
        // Remove by rebuilding: CMS has no delete API, so start from a copy of the structure without certificates.
        podpis_sk_x509_pop_free(stack)
        let rebuilt = try withoutCertificates(cms)
        for cert in certificates { CMS_add1_cert(rebuilt.pointer, cert.pointer) }
        return try rebuilt.der()
    }

    /// Drops the SignedData certificates by re-encoding with an empty set (DER surgery on the outer structure).
    private static func withoutCertificates(_ cms: CMSMessage) throws -> CMSMessage {
        let der = try cms.der()
        // ContentInfo ::= SEQ { OID, [0] EXPLICIT SignedData }; SignedData ::= SEQ { version, digestAlgorithms,
        // encapContentInfo, [0] certificates OPTIONAL, [1] crls OPTIONAL, signerInfos }
        guard let outer = DER.node(in: der, at: 0), let explicit = DER.children(of: outer, in: der).last,
            let signedData = DER.children(of: explicit, in: der).first
        else { throw PodpisError(.software, "unexpected structure") }
        let fields = DER.children(of: signedData, in: der).filter { $0.tag != 0xA0 }
        let content = fields.flatMap { Array(der[($0.contentRange.lowerBound - headerLength(der, $0))..<$0.end]) }
        let newSignedData = DEREncoder.tlv(0x30, content)
        let oid = DER.children(of: outer, in: der)[0]
        let newDER = DEREncoder.tlv(0x30, Array(der[(oid.contentRange.lowerBound - headerLength(der, oid))..<oid.end]) + DEREncoder.tlv(0xA0, newSignedData))
        return try CMSMessage.parse(der: newDER, subject: nil)
    }

    private static func headerLength(_ der: [UInt8], _ node: DER.Node) -> Int {
        let length = node.contentRange.count
        return 1 + DEREncoder.length(length).count
    }
}

extension Tampering {
    /// Adds `token` as a signature-time-stamp of signer `index`, whatever it covers (a timestamp over other data).
    static func attachTimestamp(_ signature: [UInt8], token: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, token, Int32(token.count))
        return try cms.der()
    }

    /// The first signature-time-stamp token of signer `index`.
    static func timestampToken(of signature: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let attributes = SignerAttributes(signerInfo: cms.signerInfos[index])
        guard let attribute = attributes.unsigned(NID_id_smime_aa_timeStampToken).first,
            let value = SignerAttributes.valuesDER(attribute).first
        else { throw PodpisError(.software, "no timestamp") }
        return value
    }

    /// Re-signs a genuine token's TSTInfo with another identity (as a forger with any certificate could).
    static func resignToken(_ token: [UInt8], with identity: SigningIdentity) throws -> [UInt8] {
        let parsed = try TimestampToken.parse(token)
        let flags = UInt32(CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL)
        guard let raw = CMS_sign(nil, nil, nil, nil, flags) else { throw PodpisError.openSSL(.software, "CMS_sign") }
        let cms = CMSMessage(taking: raw)
        CMS_set1_eContentType(cms.pointer, OBJ_nid2obj(NID_id_smime_ct_TSTInfo))
        guard CMS_add1_signer(cms.pointer, identity.certificate.pointer, identity.key.pointer, identity.key.defaultDigest.evpMD(),
                              UInt32(CMS_BINARY | CMS_NOSMIMECAP | CMS_CADES)) != nil else {
            throw PodpisError.openSSL(.software, "add signer")
        }
        try withReadBIO(parsed.tstInfo) { bio in
            guard CMS_final(cms.pointer, bio, nil, flags) == 1 else { throw PodpisError.openSSL(.software, "final") }
        }
        return try cms.der()
    }
}
