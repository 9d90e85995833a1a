#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a certificate says, decoded once by the core. Names are UTF-8 RFC 2253 strings.
public struct CertificateInfo: Codable, Sendable, Equatable {
    public var sha256: String
    public var subject: String
    public var issuer: String
    /// Serial number, upper-case hex without separators.
    public var serial: String
    public var notBefore: Date
    public var notAfter: Date
    /// The certificate's own signature algorithm, by podpis name (`sha256-rsa`, `streebog256-gost2012-256`, ...).
    public var signatureAlgorithm: String
    /// The digest used in the certificate's signature (`sha1`, `sha256`, `streebog256`, ...), when known.
    public var signatureDigest: String?
    public var keyType: KeyType
    public var keyBits: Int
    public var curve: String?
    public var isCA: Bool
    public var pathLength: Int?
    public var selfIssued: Bool
    /// Key usage bits by RFC 5280 name (`digitalSignature`, `nonRepudiation`, `keyCertSign`, ...); `nil` when absent.
    public var keyUsage: [String]?
    /// Extended key usage OIDs; `nil` when absent.
    public var extendedKeyUsage: [String]?
    public var extendedKeyUsageCritical: Bool
    /// Certificate policy OIDs (the КС1/КС2/... classes live here).
    public var policies: [String]
    public var subjectKeyIdentifier: String?
    public var authorityKeyIdentifier: String?
    public var crlDistributionPoints: [String]
    public var ocspResponders: [String]
    public var caIssuers: [String]
    /// Subject attributes by OID (dotted) → values, for everything a policy may ask about
    /// (CN 2.5.4.3, O 2.5.4.10, title 2.5.4.12, ИНН 1.2.643.3.131.1.1, СНИЛС 1.2.643.100.3, ОГРН 1.2.643.100.1, ...).
    public var subjectAttributes: [String: [String]]
    /// Extension OIDs present, with criticality.
    public var extensions: [ExtensionInfo]
    /// Text of the subjectSignTool extension (1.2.643.100.111), when present.
    public var subjectSignTool: String?
    /// qcStatements (1.3.6.1.5.5.7.1.3) statement OIDs, when present (eIDAS qualified certificates).
    public var qcStatements: [String]?
    /// The certificate itself, Base64 DER, so evidence can be re-checked and shown without the original files.
    public var der: String

    public init(
        sha256: String, subject: String, issuer: String, serial: String, notBefore: Date, notAfter: Date,
        signatureAlgorithm: String, signatureDigest: String?, keyType: KeyType, keyBits: Int, curve: String?,
        isCA: Bool, pathLength: Int?, selfIssued: Bool, keyUsage: [String]?, extendedKeyUsage: [String]?,
        extendedKeyUsageCritical: Bool, policies: [String], subjectKeyIdentifier: String?,
        authorityKeyIdentifier: String?, crlDistributionPoints: [String], ocspResponders: [String],
        caIssuers: [String], subjectAttributes: [String: [String]], extensions: [ExtensionInfo],
        subjectSignTool: String?, qcStatements: [String]?, der: String
    ) {
        self.sha256 = sha256
        self.subject = subject
        self.issuer = issuer
        self.serial = serial
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.signatureAlgorithm = signatureAlgorithm
        self.signatureDigest = signatureDigest
        self.keyType = keyType
        self.keyBits = keyBits
        self.curve = curve
        self.isCA = isCA
        self.pathLength = pathLength
        self.selfIssued = selfIssued
        self.keyUsage = keyUsage
        self.extendedKeyUsage = extendedKeyUsage
        self.extendedKeyUsageCritical = extendedKeyUsageCritical
        self.policies = policies
        self.subjectKeyIdentifier = subjectKeyIdentifier
        self.authorityKeyIdentifier = authorityKeyIdentifier
        self.crlDistributionPoints = crlDistributionPoints
        self.ocspResponders = ocspResponders
        self.caIssuers = caIssuers
        self.subjectAttributes = subjectAttributes
        self.extensions = extensions
        self.subjectSignTool = subjectSignTool
        self.qcStatements = qcStatements
        self.der = der
    }

    /// The first value of a subject attribute by OID.
    public func attribute(_ oid: String) -> String? { subjectAttributes[oid]?.first }

    /// The common name, or the whole subject when there is none.
    public var displayName: String {
        if let surname = attribute(OID.surname), let given = attribute(OID.givenName) {
            return "\(surname) \(given)"
        }
        return attribute(OID.commonName) ?? subject
    }
}

public struct ExtensionInfo: Codable, Sendable, Equatable {
    public var oid: String
    public var critical: Bool
    public init(oid: String, critical: Bool) {
        self.oid = oid
        self.critical = critical
    }
}

/// Object identifiers podpis refers to by name.
public enum OID {
    public static let commonName = "2.5.4.3"
    public static let surname = "2.5.4.4"
    public static let givenName = "2.5.4.42"
    public static let organization = "2.5.4.10"
    public static let organizationalUnit = "2.5.4.11"
    public static let title = "2.5.4.12"
    public static let country = "2.5.4.6"
    public static let locality = "2.5.4.7"
    public static let email = "1.2.840.113549.1.9.1"
    // Russian qualified-certificate attributes (Приказ ФСБ № 795).
    public static let ogrn = "1.2.643.100.1"
    public static let snils = "1.2.643.100.3"
    public static let innLE = "1.2.643.100.4"
    public static let ogrnip = "1.2.643.100.5"
    public static let inn = "1.2.643.3.131.1.1"
    public static let subjectSignTool = "1.2.643.100.111"
    public static let issuerSignTool = "1.2.643.100.112"
    public static let identificationKind = "1.2.643.100.114"
    public static let classKC1 = "1.2.643.100.113.1"
    public static let classKC2 = "1.2.643.100.113.2"
    public static let classKC3 = "1.2.643.100.113.3"
    public static let classKB1 = "1.2.643.100.113.4"
    public static let classKB2 = "1.2.643.100.113.5"
    public static let classKA1 = "1.2.643.100.113.6"
    // EKUs
    public static let ekuTimeStamping = "1.3.6.1.5.5.7.3.8"
    public static let ekuOCSPSigning = "1.3.6.1.5.5.7.3.9"
    public static let ekuEmailProtection = "1.3.6.1.5.5.7.3.4"
    public static let ekuClientAuth = "1.3.6.1.5.5.7.3.2"
    // CMS attributes
    public static let contentType = "1.2.840.113549.1.9.3"
    public static let messageDigest = "1.2.840.113549.1.9.4"
    public static let signingTime = "1.2.840.113549.1.9.5"
    public static let signingCertificate = "1.2.840.113549.1.9.16.2.12"
    public static let signingCertificateV2 = "1.2.840.113549.1.9.16.2.47"
    public static let signatureTimeStamp = "1.2.840.113549.1.9.16.2.14"
    public static let contentTimeStamp = "1.2.840.113549.1.9.16.2.20"
    public static let archiveTimeStampV3 = "0.4.0.1733.2.4"
    public static let revocationValues = "1.2.840.113549.1.9.16.2.24"
    public static let certificateValues = "1.2.840.113549.1.9.16.2.23"
    public static let certificateReferences = "1.2.840.113549.1.9.16.2.21"
    public static let revocationReferences = "1.2.840.113549.1.9.16.2.22"
    /// id-aa-ets-escTimeStamp (CAdES-C-time-stamp) and id-aa-ets-certCRLTimestamp (time-stamped-certs-crls-references).
    public static let cadesCTimestamp = "1.2.840.113549.1.9.16.2.25"
    public static let certsCRLsTimestamp = "1.2.840.113549.1.9.16.2.26"
    public static let counterSignature = "1.2.840.113549.1.9.6"
    /// id-ct-TSTInfo: the content of an RFC 3161 timestamp token.
    public static let tstInfo = "1.2.840.113549.1.9.16.1.4"
    // eIDAS qualified certificate statements (ETSI EN 319 412-5)
    public static let qcCompliance = "0.4.0.1862.1.1"
    public static let qcSSCD = "0.4.0.1862.1.4"
    public static let qcTypeESign = "0.4.0.1862.1.6.1"
}
