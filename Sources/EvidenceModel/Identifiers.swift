/// Identifiers the evidence carries, as types.
///
/// Each is an *open* set in the manner of swift-certificates' extension identifiers: a struct over its string, with
/// the values podpis writes as static members. Evidence is stored (`--evidence-out`, the audit journal) and judged
/// again by later versions, so a value this version does not know (written by a newer one, or by one that has since
/// dropped it) must still decode, survive re-encoding byte for byte, and be judged as what it is: unknown, never as
/// one of the known values. The JSON is the bare string, exactly as before these types existed.
public protocol OpenIdentifier: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible
where RawValue == String {
    init(rawValue: String)
}

extension OpenIdentifier {
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Why a certificate path was evaluated at its time (``ChainEvidence/purpose``).
public struct ChainPurpose: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// At the validation time (`--at`, or when the evidence was gathered): the path the verdict is about.
    public static let validationTime = Self(rawValue: "validationTime")
    /// A TSA certificate's path at its timestamp's generation time.
    public static let timestamp = Self(rawValue: "timestamp")
    /// The path of a signed trust list's signer.
    public static let listSignature = Self(rawValue: "listSignature")
    /// A CRL issuer's own path (RFC 5280 §6.3.3 (f)).
    public static let crlIssuer = Self(rawValue: "crlIssuer")
}

/// A stable podpis code for a path-validation problem (``ChainIssue/code``), mapped from OpenSSL's many codes.
public struct ChainIssueCode: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let noPathToTrustAnchor = Self(rawValue: "noPathToTrustAnchor")
    public static let expired = Self(rawValue: "expired")
    public static let notYetValid = Self(rawValue: "notYetValid")
    public static let revoked = Self(rawValue: "revoked")
    public static let signatureInvalid = Self(rawValue: "signatureInvalid")
    public static let caConstraints = Self(rawValue: "caConstraints")
    public static let pathLength = Self(rawValue: "pathLength")
    public static let keyUsage = Self(rawValue: "keyUsage")
    public static let nameConstraints = Self(rawValue: "nameConstraints")
    public static let policy = Self(rawValue: "policy")
    public static let unknownCriticalExtension = Self(rawValue: "unknownCriticalExtension")
    public static let weakKey = Self(rawValue: "weakKey")
    public static let weakAlgorithm = Self(rawValue: "weakAlgorithm")
    public static let malformed = Self(rawValue: "malformed")
    public static let revocationData = Self(rawValue: "revocationData")
    public static let other = Self(rawValue: "other")

    /// The codes about time (a certificate's validity period, its revocation, the revocation data's): judged by
    /// the checks that weigh them against the time that counts, not as a broken path.
    public static let timeRelated: Set<ChainIssueCode> = [.expired, .notYetValid, .revoked, .revocationData]

    /// Whether the problem concerns time (see ``timeRelated``). An unknown code never does.
    public var isTimeRelated: Bool { Self.timeRelated.contains(self) }
}

/// What an RFC 3161 timestamp is over (``TimestampEvidence/type``).
public struct TimestampType: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// signature-time-stamp (id-aa-signatureTimeStampToken): over the signature value.
    public static let signature = Self(rawValue: "signature")
    /// content-time-stamp (id-aa-ets-contentTimestamp): over the signed content.
    public static let content = Self(rawValue: "content")
    /// archive-time-stamp-v3 (ETSI EN 319 122-1): over the signature and its validation data.
    public static let archive = Self(rawValue: "archive")
    /// CAdES-C-time-stamp (id-aa-ets-escTimeStamp, TS 101 733 §6.3.5).
    public static let cadesC = Self(rawValue: "cades-c")
    /// time-stamped-certs-crls-references (id-aa-ets-certCRLTimestamp): over the complete references only.
    public static let refs = Self(rawValue: "refs")
    /// A bare token given alone.
    public static let standalone = Self(rawValue: "standalone")
    /// A PDF document timestamp (ETSI EN 319 142-1, `/Type /DocTimeStamp`).
    public static let document = Self(rawValue: "document")
}

/// A kind of revocation object: where a certificate's status came from (``RevocationEvidence/source``,
/// ``RevocationSource/kind``) and what was considered (``RevocationObjectUse/kind``).
public struct RevocationKind: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let crl = Self(rawValue: "crl")
    /// A delta CRL (RFC 5280 §5.2.4).
    public static let deltaCRL = Self(rawValue: "delta-crl")
    public static let ocsp = Self(rawValue: "ocsp")

    /// The kinds this version knows how to read. A status from any other source is not one this version can
    /// vouch for: it is judged as no status at all.
    public static let known: Set<RevocationKind> = [.crl, .deltaCRL, .ocsp]
}

/// What a complete-certificate-references or complete-revocation-references entry names (``ReferenceMatch/kind``).
public struct ReferenceKind: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let certificate = Self(rawValue: "certificate")
    public static let crl = Self(rawValue: "crl")
    public static let ocsp = Self(rawValue: "ocsp")
}

/// What a PDF signature field holds (``PDFSignatureEvidence/kind``).
public struct PDFSignatureKind: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let signature = Self(rawValue: "signature")
    /// A document timestamp (`/Type /DocTimeStamp`, ETSI.RFC3161).
    public static let documentTimestamp = Self(rawValue: "document-timestamp")
}

/// A PDF signature's `/SubFilter` (ISO 32000-2 §12.8.3, ETSI EN 319 142-1), without the name's slash
/// (``PDFSignatureEvidence/subFilter``). Others, such as a vendor's, keep their name and are judged as unknown.
public struct PDFSubFilter: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// PAdES: a detached CAdES signature (ETSI EN 319 142-1).
    public static let cadesDetached = Self(rawValue: "ETSI.CAdES.detached")
    /// A document timestamp (ETSI EN 319 142-1, PAdES-LTA).
    public static let rfc3161 = Self(rawValue: "ETSI.RFC3161")
    /// PKCS #7 detached over the byte range (ISO 32000-1 §12.8.3.3).
    public static let pkcs7Detached = Self(rawValue: "adbe.pkcs7.detached")
    /// PKCS #7 over a SHA-1 digest of the byte range (deprecated by ISO 32000-2).
    public static let pkcs7SHA1 = Self(rawValue: "adbe.pkcs7.sha1")
}

/// The baseline levels one can ask a signature to reach (ETSI EN 319 122-1 for CAdES, EN 319 142-1 for PAdES), in
/// order: B (basic) < T (with a signature timestamp) < LT (with the validation data) < LTA (with an archive timestamp).
/// A closed set: what `sign --level` and `extend --level` take, and what a policy may require.
public enum SignatureLevel: String, CaseIterable, Sendable, Comparable {
    case B, T, LT, LTA

    private var rank: Int {
        switch self {
        case .B: 1
        case .T: 2
        case .LT: 3
        case .LTA: 4
        }
    }

    public static func < (a: SignatureLevel, b: SignatureLevel) -> Bool { a.rank < b.rank }
}

/// The level a signer's structure reaches, as evidence records it (``SignerEvidence/level``): `CMS` (no CAdES
/// attributes, or a structure that breaks their rules) or one of the baseline levels.
public struct EvidenceLevel: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ level: SignatureLevel) { self.rawValue = level.rawValue }

    /// Plain CMS: below every baseline level.
    public static let cms = Self(rawValue: "CMS")
    public static let b = Self(.B)
    public static let t = Self(.T)
    public static let lt = Self(.LT)
    public static let lta = Self(.LTA)

    /// The baseline level recorded; nil for `CMS` and for a value this version does not know, which reach no level.
    public var baseline: SignatureLevel? { SignatureLevel(rawValue: rawValue) }
}

/// Which ESS signing-certificate attribute a signer included (``IdentificationEvidence/signingCertificateAttribute``).
public struct SigningCertificateAttribute: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// signing-certificate-v2 (RFC 5035): the certificate's hash with any algorithm, SHA-256 by default.
    public static let v2 = Self(rawValue: "v2")
    /// signing-certificate (RFC 2634): the certificate's SHA-1 hash.
    public static let v1 = Self(rawValue: "v1")
    /// Neither: nothing binds the signature to its certificate (plain CMS).
    public static let absent = Self(rawValue: "absent")
}

/// What a machine-readable power of attorney is (``PowerOfAttorneyEvidence/kind``).
public struct PowerOfAttorneyKind: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Given by the principal (`Довер`).
    public static let original = Self(rawValue: "original")
    /// Given onwards under an earlier power of attorney (`Передов`).
    public static let redelegation = Self(rawValue: "redelegation")
}

/// Where a certificate was found (``ChainElement/source``, ``IdentificationEvidence/foundIn``,
/// ``TimestampEvidence/tsaCertificateSource``).
public struct CertificateOrigin: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The SignedData's `certificates` field.
    public static let signedData = Self(rawValue: "signedData")
    /// The certificate-values attribute (CAdES-LT / CAdES-X Long).
    public static let certificateValues = Self(rawValue: "certificateValues")
    /// A timestamp token's own certificates, met in a signature that carries the token.
    public static let timestamp = Self(rawValue: "timestamp")
    /// The certificates of the timestamp token being examined.
    public static let token = Self(rawValue: "token")
    /// Given by the user (`--cert`).
    public static let supplied = Self(rawValue: "supplied")
    /// A trust anchor.
    public static let trustStore = Self(rawValue: "trustStore")
}

/// Where a piece of revocation data came from (``RevocationSource/origin``).
public struct RevocationOrigin: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Carried by the signature (the SignedData's `crls` field, revocation-values).
    public static let signedData = Self(rawValue: "signedData")
    /// Given by the user (`--crl`, `--ocsp-response`).
    public static let supplied = Self(rawValue: "supplied")
    /// Fetched from the CA's distribution point or OCSP responder.
    public static let fetched = Self(rawValue: "fetched")
}

/// A value of a closed vocabulary (``Indication``, ``SubIndication``) as it was recorded: what the audit journal
/// stores and reads back. A journal outlives the version that wrote it, so a value this version does not know still
/// reads, keeps its exact text (the entry's hash covers it), and says so: ``value`` is `nil`.
public struct Recorded<Value: RawRepresentable>: OpenIdentifier where Value.RawValue == String {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ value: Value) { self.rawValue = value.rawValue }

    /// The value, when this version knows it.
    public var value: Value? { Value(rawValue: rawValue) }

    public static func == (recorded: Self, value: Value) -> Bool { recorded.rawValue == value.rawValue }
    public static func != (recorded: Self, value: Value) -> Bool { recorded.rawValue != value.rawValue }
}

/// A public key's type (``CertificateInfo/keyType``, ``SignatureAlgorithms/keyType``), named as OpenSSL names it. A
/// type OpenSSL knows and podpis does not list keeps OpenSSL's short name.
public struct KeyType: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let rsa = Self(rawValue: "rsa")
    /// RSA restricted to RSASSA-PSS (RFC 4055).
    public static let rsaPSS = Self(rawValue: "rsa-pss")
    public static let ec = Self(rawValue: "ec")
    public static let ed25519 = Self(rawValue: "ed25519")
    public static let ed448 = Self(rawValue: "ed448")
    public static let dsa = Self(rawValue: "dsa")
    /// GOST R 34.10-2012 with a 256-bit key.
    public static let gost2012_256 = Self(rawValue: "gost2012-256")
    /// GOST R 34.10-2012 with a 512-bit key.
    public static let gost2012_512 = Self(rawValue: "gost2012-512")
    /// GOST R 34.10-2001 (withdrawn for new signatures in Russia since 2019).
    public static let gost2001 = Self(rawValue: "gost2001")
    /// A key OpenSSL could not name.
    public static let unknown = Self(rawValue: "unknown")

    /// A GOST R 34.10 key of any generation.
    public var isGOST: Bool { rawValue.hasPrefix("gost") }
}

/// Why a certificate was revoked (``RevocationEvidence/reason``): an RFC 5280 §5.3.1 CRLReason name, as the CRL or
/// OCSP answer states it; a code RFC 5280 does not name reads `reason<code>`.
public struct RevocationReason: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let unspecified = Self(rawValue: "unspecified")
    public static let keyCompromise = Self(rawValue: "keyCompromise")
    public static let cACompromise = Self(rawValue: "cACompromise")
    public static let affiliationChanged = Self(rawValue: "affiliationChanged")
    public static let superseded = Self(rawValue: "superseded")
    public static let cessationOfOperation = Self(rawValue: "cessationOfOperation")
    /// Suspended, not revoked: a later CRL may lift it (``removeFromCRL``).
    public static let certificateHold = Self(rawValue: "certificateHold")
    /// A delta CRL's entry that lifts a hold.
    public static let removeFromCRL = Self(rawValue: "removeFromCRL")
    public static let privilegeWithdrawn = Self(rawValue: "privilegeWithdrawn")
    public static let aACompromise = Self(rawValue: "aACompromise")

    /// The reasons RFC 5280 names, in the order of their codes (0–6, 8–10; 7 is unused).
    public static let known: [Self] = [
        .unspecified, .keyCompromise, .cACompromise, .affiliationChanged, .superseded, .cessationOfOperation,
        .certificateHold, .removeFromCRL, .privilegeWithdrawn, .aACompromise,
    ]

    /// The CRLReason code (RFC 5280 §5.3.1), for a named reason and for one read as `reason<code>`.
    public var code: Int? {
        if let index = Self.known.firstIndex(of: self) { return index < 7 ? index : index + 1 }
        guard rawValue.hasPrefix("reason"), let code = Int(rawValue.dropFirst(6)), code >= 0 else { return nil }
        return code
    }

    /// The reason for a CRLReason code; a code RFC 5280 does not name reads `reason<code>`.
    public init(code: Int) {
        let index = code < 7 ? code : code - 1
        if code >= 0, code != 7, index < Self.known.count {
            self = Self.known[index]
        } else {
            self.init(rawValue: "reason\(code)")
        }
    }
}

/// Why a revocation object (CRL, delta CRL, OCSP answer) was rejected or not needed (``RevocationObjectUse/reason``),
/// as a stable code.
public struct RevocationRejection: OpenIdentifier {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let signatureInvalid = Self(rawValue: "signatureInvalid")
    public static let issuerNotFound = Self(rawValue: "issuerNotFound")
    public static let issuerNoCRLSign = Self(rawValue: "issuerNoCRLSign")
    public static let issuerPathInvalid = Self(rawValue: "issuerPathInvalid")
    public static let issuerRevoked = Self(rawValue: "issuerRevoked")
    public static let issuerStatusUnknown = Self(rawValue: "issuerStatusUnknown")
    public static let circular = Self(rawValue: "circular")
    public static let notIndirect = Self(rawValue: "notIndirect")
    public static let scopeMismatch = Self(rawValue: "scopeMismatch")
    public static let onlyUserCertificates = Self(rawValue: "onlyUserCertificates")
    public static let onlyCACertificates = Self(rawValue: "onlyCACertificates")
    public static let onlyAttributeCertificates = Self(rawValue: "onlyAttributeCertificates")
    public static let unknownCriticalExtension = Self(rawValue: "unknownCriticalExtension")
    public static let unreadable = Self(rawValue: "unreadable")
    public static let deltaWithoutBase = Self(rawValue: "deltaWithoutBase")
    public static let deltaMismatch = Self(rawValue: "deltaMismatch")
    public static let issuerNameMismatch = Self(rawValue: "issuerNameMismatch")
    public static let reasonsCovered = Self(rawValue: "reasonsCovered")
    public static let superseded = Self(rawValue: "superseded")
    public static let ocspRefused = Self(rawValue: "ocspRefused")
    public static let ocspNotTrustworthy = Self(rawValue: "ocspNotTrustworthy")
    public static let ocspUnknown = Self(rawValue: "ocspUnknown")

    /// Every code this version writes.
    public static let known: Set<Self> = [
        .signatureInvalid, .issuerNotFound, .issuerNoCRLSign, .issuerPathInvalid, .issuerRevoked, .issuerStatusUnknown,
        .circular, .notIndirect, .scopeMismatch, .onlyUserCertificates, .onlyCACertificates, .onlyAttributeCertificates,
        .unknownCriticalExtension, .unreadable, .deltaWithoutBase, .deltaMismatch, .issuerNameMismatch, .reasonsCovered,
        .superseded, .ocspRefused, .ocspNotTrustworthy, .ocspUnknown,
    ]
}
