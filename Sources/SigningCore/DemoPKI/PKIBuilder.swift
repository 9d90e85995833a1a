import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// What a new certificate should say. Used by `podpis pki demo` and by the tests, which build every
/// certificate they need at run time (so nothing in the repository expires).
public struct CertificateTemplate: Sendable {
    /// Subject attributes in order: short names (`CN`, `O`, `C`, `SN`, `GN`, `title`, `INN`, `SNILS`, `OGRN`)
    /// or dotted OIDs.
    public var subject: [(String, String)]
    public var serial: [UInt8]?
    public var notBefore: Date
    public var notAfter: Date
    public var isCA: Bool
    public var pathLength: Int?
    /// RFC 5280 names: `digitalSignature`, `nonRepudiation`, `keyCertSign`, `cRLSign`, `keyEncipherment`, ...
    public var keyUsage: [String]
    public var extendedKeyUsage: [String]
    public var extendedKeyUsageCritical: Bool
    public var policies: [String]
    public var crlDistributionPoints: [String]
    public var ocspURL: String?
    public var caIssuersURL: String?
    public var subjectSignTool: String?
    public var issuerSignTool: [String]?
    /// `permitted;DNS:example.org`-style name constraints, as OpenSSL's configuration syntax.
    public var nameConstraints: String?
    /// Extra raw extensions: OID, critical, DER value.
    public var extraExtensions: [(oid: String, critical: Bool, der: [UInt8])]
    /// The digest the issuer signs with; nil picks the key's default.
    public var signatureDigest: DigestAlgorithm?
    /// Omit subject/authority key identifiers (to test identification by issuer and serial alone).
    public var omitKeyIdentifiers: Bool

    public init(
        subject: [(String, String)], serial: [UInt8]? = nil, notBefore: Date, notAfter: Date, isCA: Bool = false,
        pathLength: Int? = nil, keyUsage: [String] = [], extendedKeyUsage: [String] = [],
        extendedKeyUsageCritical: Bool = false, policies: [String] = [], crlDistributionPoints: [String] = [],
        ocspURL: String? = nil, caIssuersURL: String? = nil, subjectSignTool: String? = nil,
        issuerSignTool: [String]? = nil, nameConstraints: String? = nil,
        extraExtensions: [(oid: String, critical: Bool, der: [UInt8])] = [], signatureDigest: DigestAlgorithm? = nil,
        omitKeyIdentifiers: Bool = false
    ) {
        self.subject = subject
        self.serial = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.isCA = isCA
        self.pathLength = pathLength
        self.keyUsage = keyUsage
        self.extendedKeyUsage = extendedKeyUsage
        self.extendedKeyUsageCritical = extendedKeyUsageCritical
        self.policies = policies
        self.crlDistributionPoints = crlDistributionPoints
        self.ocspURL = ocspURL
        self.caIssuersURL = caIssuersURL
        self.subjectSignTool = subjectSignTool
        self.issuerSignTool = issuerSignTool
        self.nameConstraints = nameConstraints
        self.extraExtensions = extraExtensions
        self.signatureDigest = signatureDigest
        self.omitKeyIdentifiers = omitKeyIdentifiers
    }
}

/// One revoked entry for a new CRL.
public struct RevokedCertificate: Sendable {
    public var serial: String  // hex
    public var date: Date
    public var reason: RevocationReason?
    public init(serial: String, date: Date, reason: RevocationReason? = .keyCompromise) {
        self.serial = serial
        self.date = date
        self.reason = reason
    }
}

/// Issues certificates and CRLs through OpenSSL.
public enum PKIBuilder {
    /// Issues a certificate for `subjectKey`'s public key, signed by `issuer` (or self-signed when nil).
    public static func issue(
        _ template: CertificateTemplate, subjectKey: PrivateKey, issuer: (certificate: X509Certificate, key: PrivateKey)?
    ) throws -> X509Certificate {
        clearOpenSSLErrors()
        guard let owner = OpenSSLHandle(taking: X509_new(), free: X509_free) else { throw PodpisError.openSSL(.software, "X509_new failed") }
        let cert = owner.pointer

        X509_set_version(cert, 2)
        let serial = template.serial ?? randomSerial()
        try withASN1Integer(serial) { X509_set_serialNumber(cert, $0) }

        guard let name = OpenSSLHandle(taking: X509_NAME_new(), free: X509_NAME_free) else {
            throw PodpisError.openSSL(.software, "X509_NAME_new failed")
        }
        for (field, value) in template.subject { try addNameEntry(name.pointer, field: field, value: value) }
        X509_set_subject_name(cert, name.pointer)
        X509_set_issuer_name(cert, issuer.map { X509_get_subject_name($0.certificate.pointer) } ?? name.pointer)

        guard let nb = asn1Time(template.notBefore), let na = asn1Time(template.notAfter) else {
            throw PodpisError.openSSL(.software, "bad validity dates")
        }
        X509_set1_notBefore(cert, nb.pointer)
        X509_set1_notAfter(cert, na.pointer)
        X509_set_pubkey(cert, subjectKey.pointer)

        var ctx = X509V3_CTX()
        X509V3_set_ctx(&ctx, issuer?.certificate.pointer ?? cert, cert, nil, nil, 0)
        func add(_ name: String, _ value: String) throws {
            guard let ext = OpenSSLHandle(taking: X509V3_EXT_nconf(nil, &ctx, name, value), free: X509_EXTENSION_free) else {
                throw PodpisError.openSSL(.software, "cannot build extension \(name)=\(value)")
            }
            X509_add_ext(cert, ext.pointer, -1)
        }
        if template.isCA {
            try add("basicConstraints", "critical,CA:TRUE" + (template.pathLength.map { ",pathlen:\($0)" } ?? ""))
        } else {
            try add("basicConstraints", "critical,CA:FALSE")
        }
        if !template.keyUsage.isEmpty { try add("keyUsage", "critical," + template.keyUsage.joined(separator: ",")) }
        if !template.extendedKeyUsage.isEmpty {
            try add("extendedKeyUsage", (template.extendedKeyUsageCritical ? "critical," : "") + template.extendedKeyUsage.joined(separator: ","))
        }
        if !template.omitKeyIdentifiers {
            try add("subjectKeyIdentifier", "hash")
            if issuer != nil { try add("authorityKeyIdentifier", "keyid:always") }
        }
        if !template.policies.isEmpty {
            // The textual form needs an OpenSSL config database; the DER form does not.
            let infos = try template.policies.map { DEREncoder.sequence([try DEREncoder.oid($0)]) }
            try add("certificatePolicies", "DER:" + hex(DEREncoder.sequence(infos)))
        }
        if !template.crlDistributionPoints.isEmpty {
            try add("crlDistributionPoints", template.crlDistributionPoints.map { "URI:\($0)" }.joined(separator: ","))
        }
        var aia: [String] = []
        if let ocsp = template.ocspURL { aia.append("OCSP;URI:\(ocsp)") }
        if let ca = template.caIssuersURL { aia.append("caIssuers;URI:\(ca)") }
        if !aia.isEmpty { try add("authorityInfoAccess", aia.joined(separator: ",")) }
        if let constraints = template.nameConstraints { try add("nameConstraints", constraints) }
        if let tool = template.subjectSignTool {
            try add(OID.subjectSignTool, "DER:" + hex(DEREncoder.utf8String(tool)))
        }
        if let tools = template.issuerSignTool {
            try add(OID.issuerSignTool, "DER:" + hex(DEREncoder.sequence(tools.map(DEREncoder.utf8String))))
        }
        for extra in template.extraExtensions {
            try add(extra.oid, (extra.critical ? "critical," : "") + "DER:" + hex(extra.der))
        }

        let signer = issuer?.key ?? subjectKey
        let digest = template.signatureDigest ?? signer.defaultDigest
        guard let md = digest.evpMD() else { throw PodpisError.openSSL(.configuration, "\(digest.name) unavailable") }
        guard X509_sign(cert, signer.pointer, md) > 0 else {
            throw PodpisError.openSSL(.software, "cannot sign the certificate")
        }
        return X509Certificate(taking: owner.release())
    }

    /// Issues a CRL signed by `issuer`.
    public static func issueCRL(
        issuer: X509Certificate, key: PrivateKey, thisUpdate: Date, nextUpdate: Date,
        revoked: [RevokedCertificate], number: Int, digest: DigestAlgorithm? = nil
    ) throws -> CertificateRevocationList {
        clearOpenSSLErrors()
        guard let owner = OpenSSLHandle(taking: X509_CRL_new(), free: X509_CRL_free) else {
            throw PodpisError.openSSL(.software, "X509_CRL_new failed")
        }
        let crl = owner.pointer
        X509_CRL_set_version(crl, 1)
        X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer.pointer))
        guard let tu = asn1Time(thisUpdate), let nu = asn1Time(nextUpdate) else {
            throw PodpisError.openSSL(.software, "bad CRL dates")
        }
        X509_CRL_set1_lastUpdate(crl, tu.pointer)
        X509_CRL_set1_nextUpdate(crl, nu.pointer)
        for entry in revoked {
            guard let item = OpenSSLHandle(taking: X509_REVOKED_new(), free: X509_REVOKED_free) else {
                throw PodpisError.openSSL(.software, "X509_REVOKED_new failed")
            }
            try withASN1Integer(try serialBytes(entry.serial)) { X509_REVOKED_set_serialNumber(item.pointer, $0) }
            guard let when = asn1Time(entry.date) else { throw PodpisError.openSSL(.software, "bad revocation date") }
            X509_REVOKED_set_revocationDate(item.pointer, when.pointer)
            if let code = entry.reason?.code, let enumerated = OpenSSLHandle(taking: ASN1_ENUMERATED_new(), free: ASN1_ENUMERATED_free) {
                ASN1_ENUMERATED_set(enumerated.pointer, code)
                X509_REVOKED_add1_ext_i2d(item.pointer, NID_crl_reason, enumerated.pointer, 0, 0)
            }
            X509_CRL_add0_revoked(crl, item.release())
        }
        var ctx = X509V3_CTX()
        X509V3_set_ctx(&ctx, issuer.pointer, nil, nil, crl, 0)
        guard let aki = OpenSSLHandle(taking: X509V3_EXT_nconf(nil, &ctx, "authorityKeyIdentifier", "keyid:always"), free: X509_EXTENSION_free) else {
            throw PodpisError.openSSL(.software, "cannot build the CRL's authorityKeyIdentifier")
        }
        X509_CRL_add_ext(crl, aki.pointer, -1)
        if let crlNumber = OpenSSLHandle(taking: ASN1_INTEGER_new(), free: ASN1_INTEGER_free) {
            ASN1_INTEGER_set(crlNumber.pointer, number)
            X509_CRL_add1_ext_i2d(crl, NID_crl_number, crlNumber.pointer, 0, 0)
        }
        X509_CRL_sort(crl)
        let md = (digest ?? key.defaultDigest).evpMD()
        guard X509_CRL_sign(crl, key.pointer, md) > 0 else { throw PodpisError.openSSL(.software, "cannot sign the CRL") }
        return CertificateRevocationList(taking: owner.release())
    }

    static func randomSerial() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 16)
        _ = RAND_bytes(&bytes, Int32(bytes.count))
        bytes[0] = (bytes[0] & 0x7f) | 0x40  // positive, 16 significant bytes
        return bytes
    }

    static func withASN1Integer(_ bytes: [UInt8], _ body: (UnsafeMutablePointer<ASN1_INTEGER>) -> Int32) throws {
        guard let bn = OpenSSLHandle(taking: BN_bin2bn(bytes, Int32(bytes.count), nil), free: BN_free) else {
            throw PodpisError.openSSL(.software, "BN failed")
        }
        guard let integer = OpenSSLHandle(taking: BN_to_ASN1_INTEGER(bn.pointer, nil), free: ASN1_INTEGER_free) else {
            throw PodpisError.openSSL(.software, "ASN1_INTEGER failed")
        }
        _ = body(integer.pointer)
    }

    private static func addNameEntry(_ name: OpaquePointer, field: String, value: String) throws {
        // Russian numeric identifiers are NumericString (Приказ ФСБ № 795); OpenSSL knows INN, OGRN, SNILS, OGRNIP,
        // but not ИНН ЮЛ (1.2.643.100.4), which is added by OID with an explicit type.
        let numeric: Set<String> = [OID.innLE]
        if numeric.contains(field) || field == "INNLE" {
            guard let object = asn1Object(OID.innLE) else { throw PodpisError.openSSL(.software, "bad OID") }
            let bytes = Array(value.utf8)
            guard X509_NAME_add_entry_by_OBJ(name, object.pointer, V_ASN1_NUMERICSTRING, bytes, Int32(bytes.count), -1, 0) == 1 else {
                throw PodpisError.openSSL(.dataFormat, "bad value for \(field)")
            }
            return
        }
        let bytes = Array(value.utf8)
        guard X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0) == 1 else {
            throw PodpisError.openSSL(.dataFormat, "bad subject attribute \(field)=\(value)")
        }
    }
}

/// A serial number written in hex (colons allowed; an odd number of digits is padded), as bytes.
func serialBytes(_ text: String) throws -> [UInt8] {
    var digits = text.filter { $0 != ":" }
    if digits.count % 2 == 1 { digits = "0" + digits }
    guard let bytes = Hex.decode(digits) else { throw PodpisError(.dataFormat, "not a serial number in hex: \(text)") }
    return bytes
}

/// The handful of DER encodings podpis writes itself (extension values for the demo PKI).
package enum DEREncoder {
    package static func length(_ count: Int) -> [UInt8] {
        if count < 0x80 { return [UInt8(count)] }
        var bytes: [UInt8] = []
        var value = count
        while value > 0 {
            bytes.insert(UInt8(value & 0xff), at: 0)
            value >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
    package static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] { [tag] + length(content.count) + content }
    static func utf8String(_ text: String) -> [UInt8] { tlv(0x0C, Array(text.utf8)) }
    package static func sequence(_ items: [[UInt8]]) -> [UInt8] { tlv(0x30, items.flatMap { $0 }) }
    package static func oid(_ dotted: String) throws -> [UInt8] {
        guard let object = asn1Object(dotted) else { throw PodpisError.openSSL(.usage, "not an OID: \(dotted)") }
        guard let der = object.der(i2d_ASN1_OBJECT) else { throw PodpisError.openSSL(.software, "OID encoding failed") }
        return der
    }
}
