import EvidenceModel
import Foundation

// The closed sets of values check parameters take. Each is an enum, or a struct over the evidence identifier it
// restricts: a value outside it is a lint error that lists the allowed ones and the closest.

/// When revocation data must be at hand for a certificate of the path (the trust anchor aside).
public enum RevocationRequirement: String, ClosedSet {
    /// For every certificate (the qualified profiles; DSS's default for the signer and its CAs).
    case always
    /// When the CA publishes it: its certificate names a CRL distribution point or an OCSP responder, or a CRL or OCSP
    /// response it issued is at hand (embedded, supplied or fetched).
    case advertised
    /// Never required; data at hand is still used (a revocation it proves still fails the signature).
    case never
}

/// A revocation reason as a policy writes it: one of the RFC 5280 §5.3.1 names (``RevocationReason/known``), or its
/// code (0–6, 8–10). Anything else is a lint error: a policy never names a reason the evidence cannot carry.
public struct PolicyRevocationReason: ClosedSet {
    public let reason: RevocationReason

    public init?(rawValue: String) {
        let reason = RevocationReason(rawValue: rawValue)
        guard RevocationReason.known.contains(reason) else { return nil }
        self.reason = reason
    }

    public var rawValue: String { reason.rawValue }

    public static var allCases: [Self] { RevocationReason.known.compactMap { Self(rawValue: $0.rawValue) } }

    public static func alias(_ text: String) -> Self? {
        guard let code = Int(text), String(code) == text, (0...10).contains(code), code != 7 else { return nil }
        return Self(rawValue: RevocationReason(code: code).rawValue)
    }
}

/// RFC 5280 §4.2.1.3 key usage bits.
public enum KeyUsageBit: String, ClosedSet {
    case digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign, encipherOnly, decipherOnly

    public static func alias(_ text: String) -> KeyUsageBit? { text == "contentCommitment" ? .nonRepudiation : nil }
}

/// Algorithm names a cryptographic constraint may name (digests and signature schemes, by podpis name).
public enum AlgorithmName: String, ClosedSet {
    case md5, sha1, sha224, sha256, sha384, sha512
    case sha512_224 = "sha512-224", sha512_256 = "sha512-256"
    case sha3_224 = "sha3-224", sha3_256 = "sha3-256", sha3_384 = "sha3-384", sha3_512 = "sha3-512"
    case streebog256, streebog512
    case gostr3411_94 = "gostr3411-94"
    case rsaPKCS1 = "rsa-pkcs1", rsaPSS = "rsa-pss", ecdsa, ed25519, ed448
    case gost2012_256 = "gost2012-256", gost2012_512 = "gost2012-512", gost2001, dsa
}

/// Key types a constraint may name; a family covers its sizes (`gost2012` covers `gost2012-256` and `-512`, `rsa`
/// covers `rsa-pss` keys).
public enum KeyFamily: String, ClosedSet {
    case rsa, rsaPSS = "rsa-pss", ec, dsa, ed25519, ed448
    case gost2012, gost2012_256 = "gost2012-256", gost2012_512 = "gost2012-512", gost2001
}

/// The day an accreditation (or a trust-list entry) must have been in force: the certificate's issue, or the
/// signature's proven time.
public enum AccreditationMoment: String, ClosedSet {
    case issue, signing
}

/// CAdES baseline levels (ETSI EN 319 122-1), in order: B < T < LT < LTA — the one ``SignatureLevel`` of
/// EvidenceModel, read from a policy as a closed set.
public typealias CAdESLevel = SignatureLevel

extension SignatureLevel: ClosedSet {}

/// The certificate profiles the `certificate-profile` check knows.
public enum CertificateProfileName: String, ClosedSet {
    /// RFC 5280 §4: what a conforming CA puts in certificates (critical basicConstraints and keyUsage in CA
    /// certificates, key identifiers, …).
    case rfc5280
    /// Приказ ФСБ России № 795: the form of a qualified certificate (subjectSignTool, issuerSignTool, keyUsage, …)
    /// — applied to the signer's certificate.
    case fsb795
}

/// Named OIDs (certificate policies, EKUs, qcStatements) or dotted OIDs.
enum OIDNames {
    /// Whether text is a dotted OID.
    static func isDotted(_ text: String) -> Bool { text.range(of: "^[0-2](\\.[0-9]+)+$", options: .regularExpression) != nil }
}

extension KeyedDecodingContainer {
    /// A list of names from `known`, or dotted OIDs: anything else is a lint error with the closest name.
    func decodeNames(forKey key: Key, known: [String], allowOIDs: Bool = true) throws -> [String]? {
        guard let values = try decodeIfPresent([String].self, forKey: key) else { return nil }
        for (index, value) in values.enumerated() where !known.contains(value) && !(allowOIDs && OIDNames.isDotted(value)) {
            guard let decoder = try itemDecoder(forKey: key, index) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "«\(value)» is not a known name")
            }
            var problem = decoder.badChoice(value, allowed: known.sorted() + (allowOIDs ? ["1.2.643…"] : []), orOID: allowOIDs)
            if allowOIDs { problem.message.args["allowed"] = known.sorted().joined(separator: ", ") }
            throw problem
        }
        return values
    }
}

/// The forms of Russian registration numbers parameters carry.
/// Each names its pattern and the catalogue key (`lint.form.<key>`) that says it in words.
enum NumberForm {
    static let innLE = ("[0-9]{10}", "innLE")
    static let ogrn = ("[0-9]{13}", "ogrn")
    static let identifier = ("[a-z0-9][a-z0-9-]{0,63}", "identifier")
}
