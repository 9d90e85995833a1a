import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// How a signature file was encoded.
public enum SignatureEncoding: String, Sendable {
    case der, pem, base64
}

/// Turns the bytes of a signature file (DER, PEM or bare Base64, as CryptoPro writes) into DER,
/// refusing anything that does not start like a CMS SignedData.
public enum SignatureDecoder {
    /// The DER prefix of ContentInfo's contentType for SignedData: OID 1.2.840.113549.1.7.2.
    static let signedDataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]

    static let notCMS = "not a CMS signature (DER, PEM or Base64 expected)"

    /// Whether `prefix` (the first bytes of a file) can start a DER/BER ContentInfo holding SignedData.
    public static func looksLikeSignedData(_ prefix: ArraySlice<UInt8>) -> Bool {
        let bytes = Array(prefix)
        guard bytes.count >= 2 + signedDataOID.count, bytes[0] == 0x30 else { return false }
        var offset = 1
        let first = bytes[offset]
        offset += 1
        if first == 0x80 {
            // BER indefinite length (streamed output).
        } else if first & 0x80 != 0 {
            let count = Int(first & 0x7f)
            guard count >= 1, count <= 4 else { return false }
            offset += count
        }
        guard bytes.count >= offset + signedDataOID.count else { return false }
        return Array(bytes[offset..<(offset + signedDataOID.count)]) == signedDataOID
    }

    public static func decode(_ bytes: [UInt8], subject: String?) throws -> (der: [UInt8], encoding: SignatureEncoding) {
        if bytes.isEmpty { throw PodpisError(.dataFormat, "empty file; " + notCMS, subject: subject) }
        if bytes[0] == 0x30 {
            guard looksLikeSignedData(bytes.prefix(32)) else {
                throw PodpisError(.dataFormat, "DER data that is not CMS SignedData", subject: subject)
            }
            return (bytes, .der)
        }
        if looksLikePEM(bytes) {
            guard let body = pemBody(bytes) else {
                throw PodpisError(.dataFormat, "damaged PEM (no matching END line or bad Base64)", subject: subject)
            }
            guard looksLikeSignedData(body.prefix(32)) else {
                throw PodpisError(.dataFormat, "PEM that does not hold a CMS signature", subject: subject)
            }
            return (body, .pem)
        }
        // Bare Base64: only the alphabet and whitespace allowed.
        guard let decoded = Base64.decodeStrict(bytes), !decoded.isEmpty else {
            throw PodpisError(.dataFormat, notCMS, subject: subject)
        }
        guard looksLikeSignedData(decoded.prefix(32)) else {
            throw PodpisError(.dataFormat, "Base64 that does not hold a CMS signature", subject: subject)
        }
        return (decoded, .base64)
    }

    /// The Base64 body of the first PEM block, strictly decoded. Headers (`Proc-Type:`) are not allowed here.
    static func pemBody(_ bytes: [UInt8]) -> [UInt8]? {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" })
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") }) else { return nil }
        let label = lines[begin].dropFirst("-----BEGIN ".count)
        guard label.hasSuffix("-----") else { return nil }
        let endLine = "-----END " + label
        guard let end = lines[(begin + 1)...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == endLine }) else {
            return nil
        }
        let body = lines[(begin + 1)..<end].joined(separator: "\n")
        return Base64.decodeStrict(Array(body.utf8))
    }
}

/// An owned `CMS_ContentInfo`. Single-owner: not Sendable, confined to one task.
final class CMSMessage {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }
    deinit { CMS_ContentInfo_free(pointer) }

    /// Parses DER (or BER) bytes.
    static func parse(der: [UInt8], subject: String?) throws -> CMSMessage {
        clearOpenSSLErrors()
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_CMS_ContentInfo(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            throw PodpisError.openSSL(.dataFormat, "damaged CMS structure (ASN.1 does not parse)", subject: subject)
        }
        let message = CMSMessage(taking: parsed)
        guard OBJ_obj2nid(CMS_get0_type(parsed)) == NID_pkcs7_signed else {
            throw PodpisError(.dataFormat, "CMS content is not SignedData", subject: subject)
        }
        return message
    }

    var signerInfos: [OpaquePointer] {
        guard let stack = CMS_get0_SignerInfos(pointer) else { return [] }
        return (0..<podpis_sk_signerinfo_num(stack)).compactMap { podpis_sk_signerinfo_value(stack, $0) }
    }

    /// Certificates carried in SignedData.certificates.
    var certificates: [X509Certificate] {
        guard let stack = CMS_get1_certs(pointer) else { clearOpenSSLErrors(); return [] }
        defer { podpis_sk_x509_pop_free(stack) }
        return (0..<podpis_sk_x509_num(stack)).compactMap { index in
            podpis_sk_x509_value(stack, index).map { X509Certificate(borrowing: $0) }
        }
    }

    /// CRLs carried in SignedData.crls.
    var crls: [CertificateRevocationList] {
        guard let stack = CMS_get1_crls(pointer) else { clearOpenSSLErrors(); return [] }
        defer { podpis_sk_crl_pop_free(stack) }
        return (0..<podpis_sk_crl_num(stack)).compactMap { index in
            podpis_sk_crl_value(stack, index).map { CertificateRevocationList(borrowing: $0) }
        }
    }

    /// The encapsulated content, when the signature is attached (enveloping).
    var attachedContent: [UInt8]? {
        guard let slot = CMS_get0_content(pointer), let content = slot.pointee else { return nil }
        return bytes(of: content)
    }

    var isDetached: Bool { CMS_is_detached(pointer) == 1 }

    var eContentTypeOID: String { oidText(CMS_get0_eContentType(pointer)) }

    func der() throws -> [UInt8] {
        guard let bytes = derBytes({ i2d_CMS_ContentInfo(pointer, $0) }) else {
            throw PodpisError.openSSL(.software, "cannot encode the CMS structure")
        }
        return bytes
    }

    func pem() throws -> [UInt8] {
        try collectBIO { bio in
            guard PEM_write_bio_CMS_stream(bio, pointer, nil, 0) == 1 else { throw PodpisError.openSSL(.software, "cannot encode PEM") }
        }
    }
}

/// Reads the signed or unsigned attributes of a SignerInfo.
struct SignerAttributes {
    let signerInfo: OpaquePointer

    var signedCount: Int { Int(max(CMS_signed_get_attr_count(signerInfo), 0)) }
    var unsignedCount: Int { Int(max(CMS_unsigned_get_attr_count(signerInfo), 0)) }

    func signedOIDs() -> [String] {
        (0..<Int32(signedCount)).map { oidText(X509_ATTRIBUTE_get0_object(CMS_signed_get_attr(signerInfo, $0))) }
    }

    func unsignedOIDs() -> [String] {
        (0..<Int32(unsignedCount)).map { oidText(X509_ATTRIBUTE_get0_object(CMS_unsigned_get_attr(signerInfo, $0))) }
    }

    /// Every signed attribute with this NID.
    func signed(_ nid: Int32) -> [OpaquePointer] {
        var result: [OpaquePointer] = []
        var last: Int32 = -1
        while result.count < 64 {
            last = CMS_signed_get_attr_by_NID(signerInfo, nid, last)
            guard last >= 0, let attr = CMS_signed_get_attr(signerInfo, last) else { break }
            result.append(attr)
        }
        return result
    }

    func unsigned(_ nid: Int32) -> [OpaquePointer] {
        var result: [OpaquePointer] = []
        var last: Int32 = -1
        while result.count < 64 {
            last = CMS_unsigned_get_attr_by_NID(signerInfo, nid, last)
            guard last >= 0, let attr = CMS_unsigned_get_attr(signerInfo, last) else { break }
            result.append(attr)
        }
        return result
    }

    /// The DER of each value of an attribute.
    static func valuesDER(_ attribute: OpaquePointer) -> [[UInt8]] {
        (0..<X509_ATTRIBUTE_count(attribute)).compactMap { index in
            guard let type = X509_ATTRIBUTE_get0_type(attribute, index) else { return nil }
            return derBytes { i2d_ASN1_TYPE(type, $0) }
        }
    }

    /// A time value (UTCTime or GeneralizedTime) of an attribute.
    static func time(_ attribute: OpaquePointer) -> Date? {
        guard X509_ATTRIBUTE_count(attribute) >= 1, let type = X509_ATTRIBUTE_get0_type(attribute, 0) else { return nil }
        let kind = type.pointee.type
        guard kind == V_ASN1_UTCTIME || kind == V_ASN1_GENERALIZEDTIME else { return nil }
        return date(fromASN1: type.pointee.value.utctime)
    }

    /// An OCTET STRING value of an attribute.
    static func octets(_ attribute: OpaquePointer) -> [UInt8]? {
        guard X509_ATTRIBUTE_count(attribute) >= 1, let type = X509_ATTRIBUTE_get0_type(attribute, 0),
            type.pointee.type == V_ASN1_OCTET_STRING
        else { return nil }
        return bytes(of: type.pointee.value.octet_string)
    }

    /// An OBJECT IDENTIFIER value of an attribute.
    static func object(_ attribute: OpaquePointer) -> String? {
        guard X509_ATTRIBUTE_count(attribute) >= 1, let type = X509_ATTRIBUTE_get0_type(attribute, 0),
            type.pointee.type == V_ASN1_OBJECT
        else { return nil }
        return oidText(type.pointee.value.object)
    }
}
