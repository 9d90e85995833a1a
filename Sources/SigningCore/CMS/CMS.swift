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

    /// Whether the first bytes of a file start a CMS SignedData or an RFC 3161 TimeStampResp, in DER, PEM or bare
    /// Base64 (only the start is decoded).
    public static func looksLikeSignature(_ head: [UInt8]) -> Bool {
        func binary(_ bytes: [UInt8]) -> Bool { looksLikeSignedData(bytes.prefix(32)) || looksLikeTimestampResponse(bytes) }
        guard let first = head.first else { return false }
        if first == 0x30 { return binary(head) }
        let text = String(decoding: head, as: UTF8.self)
        var body: Substring = text[...]
        if let begin = text.range(of: "-----BEGIN ") {
            guard let lineEnd = text[begin.upperBound...].firstIndex(of: "\n") else { return false }
            body = text[text.index(after: lineEnd)...]
        }
        // The first 64 Base64 characters (whitespace skipped) decode to 48 bytes: enough to see the structure.
        let alphabet = body.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }.prefix(64)
        guard alphabet.count == 64, let decoded = Base64.decodeStrict(Array(String(String.UnicodeScalarView(alphabet)).utf8)) else {
            return false
        }
        return binary(decoded)
    }

    /// Whether `bytes` start an RFC 3161 TimeStampResp: SEQUENCE { PKIStatusInfo SEQUENCE { INTEGER status (0–5),
    /// ... }, ContentInfo of a SignedData }.
    static func looksLikeTimestampResponse(_ bytes: [UInt8]) -> Bool {
        func header(_ offset: Int) -> (tag: UInt8, contentStart: Int, length: Int)? {
            guard offset + 2 <= bytes.count else { return nil }
            let lengthByte = bytes[offset + 1]
            if lengthByte < 0x80 { return (bytes[offset], offset + 2, Int(lengthByte)) }
            let count = Int(lengthByte & 0x7F)
            guard count >= 1, count <= 4, offset + 2 + count <= bytes.count else { return nil }
            let length = bytes[(offset + 2)..<(offset + 2 + count)].reduce(0) { $0 << 8 | Int($1) }
            return (bytes[offset], offset + 2 + count, length)
        }
        guard let outer = header(0), outer.tag == 0x30, let status = header(outer.contentStart), status.tag == 0x30,
              let integer = header(status.contentStart), integer.tag == 0x02, integer.length == 1,
              integer.contentStart < bytes.count, bytes[integer.contentStart] <= 5
        else { return false }
        let tokenStart = status.contentStart + status.length
        guard tokenStart < bytes.count else { return false }
        return looksLikeSignedData(bytes[tokenStart...].prefix(32))
    }

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

    /// DER of a CMS SignedData from the bytes of a file: DER, PEM or bare Base64. An RFC 3161 TimeStampResp (a
    /// `.tsr` file) is accepted too and yields the token inside it (a SignedData over a TSTInfo).
    public static func decode(_ bytes: [UInt8], subject: String?) throws -> (der: [UInt8], encoding: SignatureEncoding) {
        if bytes.isEmpty { throw PodpisError(.dataFormat, "empty file; " + notCMS, subject: subject) }
        if bytes[0] == 0x30 {
            return (try signedData(bytes, what: "DER data", subject: subject), .der)
        }
        if looksLikePEM(bytes) {
            guard let body = pemBody(bytes) else {
                throw PodpisError(.dataFormat, "damaged PEM (no matching END line or bad Base64)", subject: subject)
            }
            return (try signedData(body, what: "PEM", subject: subject), .pem)
        }
        // Bare Base64: only the alphabet and whitespace allowed.
        guard let decoded = Base64.decodeStrict(bytes), !decoded.isEmpty else {
            throw PodpisError(.dataFormat, notCMS, subject: subject)
        }
        return (try signedData(decoded, what: "Base64", subject: subject), .base64)
    }

    /// `der` itself when it starts like a SignedData ContentInfo, or the token of a TimeStampResp.
    static func signedData(_ der: [UInt8], what: String, subject: String?) throws -> [UInt8] {
        if looksLikeSignedData(der.prefix(32)) { return der }
        switch timestampResponse(der) {
        case .token(let token)?: return token
        case .rejected(let status)?:
            throw PodpisError(.dataFormat, "an RFC 3161 timestamp response without a token (status \(status))", subject: subject)
        case nil:
            throw PodpisError(.dataFormat, what == "DER data" ? "DER data that is not CMS SignedData" : "\(what) that does not hold a CMS signature",
                              subject: subject)
        }
    }

    enum TimestampResponse {
        case token([UInt8])
        case rejected(Int)
    }

    /// Reads an RFC 3161 TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }.
    static func timestampResponse(_ der: [UInt8]) -> TimestampResponse? {
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30 else { return nil }
        let parts = DER.children(of: outer, in: der)
        guard (1...2).contains(parts.count), parts[0].tag == 0x30, let status = DER.children(of: parts[0], in: der).first,
              status.tag == 0x02, status.contentRange.count == 1
        else { return nil }
        guard parts.count == 2 else { return .rejected(Int(der[status.contentRange.lowerBound])) }
        let token = Array(der[EmbeddedRevocation.start(of: parts[1], in: der)..<parts[1].end])
        return looksLikeSignedData(token.prefix(32)) ? .token(token) : nil
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
package final class CMSMessage {
    package let pointer: OpaquePointer

    package init(taking pointer: OpaquePointer) { self.pointer = pointer }
    deinit { CMS_ContentInfo_free(pointer) }

    /// Parses DER (or BER) bytes.
    package static func parse(der: [UInt8], subject: String?) throws -> CMSMessage {
        clearOpenSSLErrors()
        let parsed: OpaquePointer? = decodeDER(der, d2i_CMS_ContentInfo, keepingErrors: true)
        guard let parsed else {
            throw PodpisError.openSSL(.dataFormat, "damaged CMS structure (ASN.1 does not parse)", subject: subject)
        }
        let message = CMSMessage(taking: parsed)
        guard OBJ_obj2nid(CMS_get0_type(parsed)) == NID_pkcs7_signed else {
            throw PodpisError(.dataFormat, "CMS content is not SignedData", subject: subject)
        }
        return message
    }

    /// The SignerInfos, each holding this message alive.
    package var signerInfos: [SignerInfo] {
        guard let stack = CMS_get0_SignerInfos(pointer) else { return [] }
        return (0..<podpis_sk_signerinfo_num(stack)).compactMap { index in
            podpis_sk_signerinfo_value(stack, index).map { SignerInfo(message: self, pointer: $0) }
        }
    }

    /// Certificates carried in SignedData.certificates.
    var certificates: [X509Certificate] {
        guard let stack = OpenSSLHandle(taking: CMS_get1_certs(pointer), free: podpis_sk_x509_pop_free) else { clearOpenSSLErrors(); return [] }
        return (0..<podpis_sk_x509_num(stack.pointer)).compactMap { index in
            podpis_sk_x509_value(stack.pointer, index).map { X509Certificate(borrowing: $0) }
        }
    }

    /// CRLs carried in SignedData.crls.
    var crls: [CertificateRevocationList] {
        guard let stack = OpenSSLHandle(taking: CMS_get1_crls(pointer), free: podpis_sk_crl_pop_free) else { clearOpenSSLErrors(); return [] }
        return (0..<podpis_sk_crl_num(stack.pointer)).compactMap { index in
            podpis_sk_crl_value(stack.pointer, index).map { CertificateRevocationList(borrowing: $0) }
        }
    }

    /// The encapsulated content, when the signature is attached (enveloping).
    var attachedContent: [UInt8]? {
        guard let slot = CMS_get0_content(pointer), let content = slot.pointee else { return nil }
        return bytes(of: content)
    }

    var isDetached: Bool { CMS_is_detached(pointer) == 1 }

    var eContentTypeOID: String { oidText(CMS_get0_eContentType(pointer)) }

    package func der() throws -> [UInt8] {
        guard let bytes = encodeDER(pointer, i2d_CMS_ContentInfo) else {
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

/// One SignerInfo of a CMS message. A `CMS_SignerInfo` lives inside its `CMS_ContentInfo` and is freed with it, so
/// this value holds the message with the borrowed pointer: no code can reach a SignerInfo whose message is gone.
/// Pass the value, not its `pointer`, to whatever keeps or uses it beyond one OpenSSL call.
package struct SignerInfo {
    /// The message the SignerInfo belongs to, kept alive by this value.
    package let message: CMSMessage
    /// The `CMS_SignerInfo`, borrowed from `message`.
    package let pointer: OpaquePointer

    /// `pointer` must be a SignerInfo inside `message` (from `CMS_get0_SignerInfos` or `CMS_add1_signer`).
    init(message: CMSMessage, pointer: OpaquePointer) {
        self.message = message
        self.pointer = pointer
    }
}

/// Reads the signed or unsigned attributes of a SignerInfo.
package struct SignerAttributes {
    /// The SignerInfo (and with it its message), alive as long as these attributes are read.
    let owner: SignerInfo
    var signerInfo: OpaquePointer { owner.pointer }

    package init(signerInfo: SignerInfo) { self.owner = signerInfo }

    var signedCount: Int { Int(max(CMS_signed_get_attr_count(signerInfo), 0)) }
    var unsignedCount: Int { Int(max(CMS_unsigned_get_attr_count(signerInfo), 0)) }

    /// Every signed attribute, in the order stored.
    func allSigned() -> [SignerAttribute] {
        (0..<Int32(signedCount)).compactMap { CMS_signed_get_attr(signerInfo, $0).map(attribute) }
    }

    /// Every unsigned attribute, in the order stored.
    func allUnsigned() -> [SignerAttribute] {
        (0..<Int32(unsignedCount)).compactMap { CMS_unsigned_get_attr(signerInfo, $0).map(attribute) }
    }

    func signedOIDs() -> [String] { allSigned().map(\.oid) }
    func unsignedOIDs() -> [String] { allUnsigned().map(\.oid) }

    /// The DER of every signed attribute in the order stored; nil if one cannot be encoded.
    package func signedDER() -> [[UInt8]]? {
        var encoded: [[UInt8]] = []
        for attribute in allSigned() {
            guard let der = attribute.der else { return nil }
            encoded.append(der)
        }
        return encoded
    }

    private func attribute(_ pointer: OpaquePointer) -> SignerAttribute { SignerAttribute(owner: owner, pointer: pointer) }

    /// Every signed attribute with this NID (at most 64).
    func signed(_ nid: Int32) -> [SignerAttribute] {
        all(nid, find: { CMS_signed_get_attr_by_NID($0, $1, $2) }, get: { CMS_signed_get_attr($0, $1) })
    }

    /// Every unsigned attribute with this NID (at most 64).
    package func unsigned(_ nid: Int32) -> [SignerAttribute] {
        all(nid, find: { CMS_unsigned_get_attr_by_NID($0, $1, $2) }, get: { CMS_unsigned_get_attr($0, $1) })
    }

    /// The attributes with `nid`, found one after the other (OpenSSL's `…_get_attr_by_NID` from the last position).
    private func all(_ nid: Int32, find: (OpaquePointer, Int32, Int32) -> Int32, get: (OpaquePointer, Int32) -> OpaquePointer?) -> [SignerAttribute] {
        var result: [SignerAttribute] = []
        var last: Int32 = -1
        while result.count < 64 {
            last = find(signerInfo, nid, last)
            guard last >= 0, let found = get(signerInfo, last) else { break }
            result.append(attribute(found))
        }
        return result
    }

    /// Every unsigned attribute with this OID (for attributes OpenSSL has no NID for; at most 64).
    func unsigned(oid: String) -> [SignerAttribute] {
        Array(allUnsigned().filter { $0.oid == oid }.prefix(64))
    }
}

/// One attribute of a SignerInfo. It keeps the SignerInfo (and so its message) alive and hands out values only:
/// no OpenSSL pointer leaves it. Read it before the SignerInfo's attributes are changed (PAdES signing deletes one).
package struct SignerAttribute {
    let owner: SignerInfo
    private let pointer: OpaquePointer

    init(owner: SignerInfo, pointer: OpaquePointer) {
        self.owner = owner
        self.pointer = pointer
    }

    private func read<T>(_ body: (OpaquePointer) -> T) -> T { withExtendedLifetime(owner) { body(pointer) } }

    /// The attribute type, dotted.
    var oid: String { read { oidText(X509_ATTRIBUTE_get0_object($0)) } }

    /// How many values the attribute's SET holds.
    var count: Int { read { Int(max(X509_ATTRIBUTE_count($0), 0)) } }

    /// The DER of the whole attribute (type and values).
    var der: [UInt8]? { read { encodeDER($0, i2d_X509_ATTRIBUTE) } }

    /// The DER of each value.
    package var valuesDER: [[UInt8]] {
        read { attribute in
            (0..<X509_ATTRIBUTE_count(attribute)).compactMap { index in
                guard let type = X509_ATTRIBUTE_get0_type(attribute, index) else { return nil }
                return encodeDER(UnsafePointer(type), i2d_ASN1_TYPE)
            }
        }
    }

    /// The first value's ASN.1 type, read while the attribute is alive.
    private func first<T>(_ body: (UnsafeMutablePointer<ASN1_TYPE>) -> T?) -> T? {
        read { attribute in
            guard X509_ATTRIBUTE_count(attribute) >= 1, let type = X509_ATTRIBUTE_get0_type(attribute, 0) else { return nil }
            return body(type)
        }
    }

    /// A time value (UTCTime or GeneralizedTime).
    var time: Date? {
        first { type in
            let kind = type.pointee.type
            guard kind == V_ASN1_UTCTIME || kind == V_ASN1_GENERALIZEDTIME else { return nil }
            return date(fromASN1: type.pointee.value.utctime)
        }
    }

    /// An OCTET STRING value.
    var octets: [UInt8]? {
        first { type in type.pointee.type == V_ASN1_OCTET_STRING ? bytes(of: type.pointee.value.octet_string) : nil }
    }

    /// An OBJECT IDENTIFIER value, dotted.
    var object: String? {
        first { type in type.pointee.type == V_ASN1_OBJECT ? oidText(type.pointee.value.object) : nil }
    }
}
