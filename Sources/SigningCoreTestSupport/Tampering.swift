import COpenSSL
import CPodpis
import EvidenceModel
import Foundation
import SigningCore

// SigningCoreTestSupport: code only the tests use, kept out of every shipped binary (no product and no executable
// depends on this target; Package.swift lets only PodpisTests import it). It is SigningCore's test twin: the one other
// module that calls OpenSSL, through SigningCore's `package` wrappers (CMSMessage, DER, SignerAttributes…).

/// Hostile variants of valid signatures, for the test suite's negative cases.
public enum Tampering {
    /// Flips one bit in signer `index`'s signature value.
    public static func flipSignatureBit(_ signature: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        guard let value = CMS_SignerInfo_get0_signature(si.pointer) else { throw PodpisError(.software, "no signature value") }
        var bytes = SigningCore.bytes(of: value)
        bytes[bytes.count / 2] ^= 0x01
        ASN1_OCTET_STRING_set(value, bytes, Int32(bytes.count))
        return try cms.der()
    }

    /// Replaces signer `index`'s signing-time attribute value (the signature then no longer covers it).
    public static func changeSigningTime(_ signature: [UInt8], signer index: Int = 0, to date: Date) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        let position = CMS_signed_get_attr_by_NID(si.pointer, NID_pkcs9_signingTime, -1)
        if position >= 0 { X509_ATTRIBUTE_free(CMS_signed_delete_attr(si.pointer, position)) }
        guard let time = asn1Time(date) else { throw PodpisError(.software, "time") }
        CMS_signed_add1_attr_by_NID(si.pointer, NID_pkcs9_signingTime, time.pointer.pointee.type, UnsafeRawPointer(time.pointer), -1)
        return try cms.der()
    }

    /// Adds a second signing-time attribute (a format violation: at most one is allowed).
    public static func duplicateSigningTime(_ signature: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        guard let time = asn1Time(Date()) else { throw PodpisError(.software, "time") }
        CMS_signed_add1_attr_by_NID(si.pointer, NID_pkcs9_signingTime, time.pointer.pointee.type, UnsafeRawPointer(time.pointer), -1)
        return try cms.der()
    }

    /// Replaces signer `index`'s content-type attribute with one naming `oid` (a format violation when it is not the
    /// encapsulated content's type; the signature no longer covers the attributes either).
    public static func changeContentTypeAttribute(_ signature: [UInt8], signer index: Int = 0, to oid: String) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        let position = CMS_signed_get_attr_by_NID(si.pointer, NID_pkcs9_contentType, -1)
        if position >= 0 { X509_ATTRIBUTE_free(CMS_signed_delete_attr(si.pointer, position)) }
        guard let object = OpenSSLHandle(taking: OBJ_txt2obj(oid, 1), free: ASN1_OBJECT_free),
              CMS_signed_add1_attr_by_NID(si.pointer, NID_pkcs9_contentType, V_ASN1_OBJECT, UnsafeRawPointer(object.pointer), -1) == 1
        else { throw PodpisError(.software, "content-type") }
        return try cms.der()
    }

    /// Deletes signer `index`'s message-digest attribute (a format violation: it is mandatory with signed attributes).
    public static func removeMessageDigest(_ signature: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        let position = CMS_signed_get_attr_by_NID(si.pointer, NID_pkcs9_messageDigest, -1)
        guard position >= 0 else { throw PodpisError(.software, "no message-digest") }
        X509_ATTRIBUTE_free(CMS_signed_delete_attr(si.pointer, position))
        return try cms.der()
    }

    /// Replaces the SignedData certificates with `certificates`.
    public static func replaceCertificates(_ signature: [UInt8], with certificates: [X509Certificate]) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        guard OpenSSLHandle(taking: CMS_get1_certs(cms.pointer), free: podpis_sk_x509_pop_free) != nil else {
            throw PodpisError(.software, "no certificates")
        }
        // Remove by rebuilding: CMS has no delete API, so start from a copy of the structure without certificates.
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
    public static func attachTimestamp(_ signature: [UInt8], token: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        CMS_unsigned_add1_attr_by_NID(si.pointer, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, token, Int32(token.count))
        return try cms.der()
    }

    /// The first signature-time-stamp token of signer `index`.
    public static func timestampToken(of signature: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let attributes = SignerAttributes(signerInfo: cms.signerInfos[index])
        guard let attribute = attributes.unsigned(NID_id_smime_aa_timeStampToken).first,
            let value = attribute.valuesDER.first
        else { throw PodpisError(.software, "no timestamp") }
        return value
    }

    /// Re-signs a genuine token's TSTInfo with another identity (as a forger with any certificate could).
    public static func resignToken(_ token: [UInt8], with identity: SigningIdentity) throws -> [UInt8] {
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

// MARK: - Shapes other producers write (for tests built with the test PKI)

extension Tampering {
    /// Adds an unsigned attribute (`value`: the DER of one attribute value) to signer `index`.
    public static func addUnsignedAttribute(_ signature: [UInt8], oid: String, value: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        let si = cms.signerInfos[index]
        guard let object = asn1Object(oid) else { throw PodpisError.openSSL(.software, "OID \(oid)") }
        guard value.first == 0x30, CMS_unsigned_add1_attr_by_OBJ(si.pointer, object.pointer, V_ASN1_SEQUENCE, value, Int32(value.count)) == 1 else {
            throw PodpisError.openSSL(.software, "cannot add the attribute")
        }
        return try cms.der()
    }

    /// The signature value's octets of signer `index`.
    public static func signatureValue(of signature: [UInt8], signer index: Int = 0) throws -> [UInt8] {
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(signature, subject: nil).der, subject: nil)
        guard let value = CMS_SignerInfo_get0_signature(cms.signerInfos[index].pointer) else { throw PodpisError(.software, "no signature value") }
        return bytes(of: value)
    }

    /// A copy of an RFC 3161 token (or any SignedData) without its certificates, as TSAs answer when certReq is
    /// false: the TSTInfo and the signature are untouched.
    public static func withoutCertificates(token: [UInt8]) throws -> [UInt8] {
        try withoutCertificates(try CMSMessage.parse(der: token, subject: nil)).der()
    }

    /// Adds a countersignature (RFC 5652 §11.4) by `identity` over signer `index`'s signature value: signed
    /// attributes message-digest, signing-time and signing-certificate-v2 (no content-type), signed over their
    /// DER, as DSS, CryptoPro and Bouncy Castle write it. `breakSignature` flips a bit of the countersignature.
    public static func addCounterSignature(_ signature: [UInt8], identity: SigningIdentity, digest: DigestAlgorithm, signingTime: Date = Date(),
                                    signer index: Int = 0, breakSignature: Bool = false) throws -> [UInt8] {
        let countersigned = try signatureValue(of: signature, signer: index)
        let certificate = identity.certificate
        func attribute(_ oid: String, _ value: [UInt8]) throws -> [UInt8] {
            DEREncoder.sequence([try DEREncoder.oid(oid), DEREncoder.tlv(0x31, value)])
        }
        func algorithm(_ oid: String, null: Bool) throws -> [UInt8] {
            DEREncoder.sequence([try DEREncoder.oid(oid)] + (null ? [[0x05, 0x00]] : []))
        }
        let time = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: signingTime)
        let utc = String(format: "%02d%02d%02d%02d%02d%02dZ", (time.year ?? 2000) % 100, time.month ?? 1, time.day ?? 1,
                         time.hour ?? 0, time.minute ?? 0, time.second ?? 0)
        let essHash = try MultiDigest.digest(digest, certificate.der)
        let essID = DEREncoder.sequence((digest == .sha256 ? [] : [try algorithm(digest.oid, null: false)]) + [DEREncoder.tlv(0x04, essHash)])
        var attributes = [
            try attribute(OID.messageDigest, DEREncoder.tlv(0x04, try MultiDigest.digest(digest, countersigned))),
            try attribute(OID.signingTime, DEREncoder.tlv(0x17, Array(utc.utf8))),
            try attribute(OID.signingCertificateV2, DEREncoder.sequence([DEREncoder.sequence([essID])])),
        ]
        attributes.sort { $0.lexicographicallyPrecedes($1) }
        let signedSet = DEREncoder.tlv(0x31, attributes.flatMap { $0 })
        // Sign the DER of the SET OF attributes.
        guard let context = OpenSSLHandle(taking: EVP_MD_CTX_new(), free: EVP_MD_CTX_free) else {
            throw PodpisError.openSSL(.software, "EVP_MD_CTX_new")
        }
        let ctx = context.pointer
        guard EVP_DigestSignInit(ctx, nil, digest.evpMD(), nil, identity.key.pointer) == 1 else {
            throw PodpisError.openSSL(.software, "EVP_DigestSignInit")
        }
        var length = 0
        guard EVP_DigestSign(ctx, nil, &length, signedSet, signedSet.count) == 1 else { throw PodpisError.openSSL(.software, "EVP_DigestSign") }
        var value = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(ctx, &value, &length, signedSet, signedSet.count) == 1 else { throw PodpisError.openSSL(.software, "EVP_DigestSign") }
        value = Array(value.prefix(length))
        if breakSignature { value[value.count / 2] ^= 0x01 }
        guard let issuer = encodeDER(X509_get_issuer_name(certificate.pointer), i2d_X509_NAME),
              let serial = encodeDER(X509_get0_serialNumber(certificate.pointer), i2d_ASN1_INTEGER)
        else { throw PodpisError.openSSL(.software, "issuer and serial") }
        let signatureAlgorithm: [UInt8]
        switch identity.key.keyType {
        case .rsa: signatureAlgorithm = try algorithm("1.2.840.113549.1.1.1", null: true)
        case .ec: signatureAlgorithm = try algorithm(digest == .sha384 ? "1.2.840.10045.4.3.3" : "1.2.840.10045.4.3.2", null: false)
        case .gost2012_256: signatureAlgorithm = try algorithm("1.2.643.7.1.1.1.1", null: false)
        case .gost2012_512: signatureAlgorithm = try algorithm("1.2.643.7.1.1.1.2", null: false)
        default: throw PodpisError(.software, "no countersignature for \(identity.key.keyType) keys here")
        }
        let signerInfo = DEREncoder.sequence([
            [0x02, 0x01, 0x01], DEREncoder.sequence([issuer, serial]), try algorithm(digest.oid, null: !digest.isGOST),
            DEREncoder.tlv(0xA0, attributes.flatMap { $0 }),
            signatureAlgorithm, DEREncoder.tlv(0x04, value),
        ])
        let added = try addUnsignedAttribute(signature, oid: OID.counterSignature, value: signerInfo, signer: index)
        // The countersigner's certificate travels in SignedData.certificates, as DSS and CryptoPro put it.
        let cms = try CMSMessage.parse(der: added, subject: nil)
        guard CMS_add1_cert(cms.pointer, certificate.pointer) == 1 else { throw PodpisError.openSSL(.software, "CMS_add1_cert") }
        return try cms.der()
    }
}
