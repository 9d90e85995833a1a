#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One certificate path evaluation (RFC 5280 as OpenSSL does it) at a given time.
public struct ChainEvidence: Codable, Sendable, Equatable {
    /// The time the path was evaluated at.
    public var at: Date
    /// Why this time: ``ChainPurpose/validationTime``, ``ChainPurpose/timestamp`` (a TSA certificate at its token's
    /// time), ``ChainPurpose/crlIssuer``, ``ChainPurpose/listSignature``.
    public var purpose: ChainPurpose
    /// `valid` when a path to a trust anchor was built with no issue; `invalid` otherwise;
    /// `notChecked` when there was no certificate to start from.
    public var outcome: CheckOutcome
    /// Whether a path to a trust anchor exists at all (even with other issues).
    public var reachesTrustAnchor: Bool
    /// The path, leaf first, trust anchor last (as far as it could be built).
    public var path: [ChainElement]
    /// Every problem OpenSSL reported, with the depth it was found at (0 is the leaf).
    public var issues: [ChainIssue]

    public init(
        at: Date, purpose: ChainPurpose, outcome: CheckOutcome, reachesTrustAnchor: Bool, path: [ChainElement],
        issues: [ChainIssue]
    ) {
        self.at = at
        self.purpose = purpose
        self.outcome = outcome
        self.reachesTrustAnchor = reachesTrustAnchor
        self.path = path
        self.issues = issues
    }

    /// Issues at one depth.
    public func issues(atDepth depth: Int) -> [ChainIssue] { issues.filter { $0.depth == depth } }
}

public struct ChainElement: Codable, Sendable, Equatable {
    /// Fingerprint into ``Evidence/certificates``.
    public var certificate: String
    /// `signedData`, `supplied`, `trustStore`.
    public var source: CertificateOrigin
    public var revocation: RevocationEvidence

    public init(certificate: String, source: CertificateOrigin, revocation: RevocationEvidence) {
        self.certificate = certificate
        self.source = source
        self.revocation = revocation
    }
}

/// A path-validation problem, with a stable code and OpenSSL's own code and text.
public struct ChainIssue: Codable, Sendable, Equatable {
    public var depth: Int
    /// Stable podpis code (``ChainIssueCode``): `noPathToTrustAnchor`, `expired`, `notYetValid`, `revoked`,
    /// `signatureInvalid`, `caConstraints`, `pathLength`, `keyUsage`, `nameConstraints`, `policy`,
    /// `unknownCriticalExtension`, `weakKey`, `weakAlgorithm`, `malformed`, `revocationData`, `other`.
    public var code: ChainIssueCode
    public var openSSLCode: Int
    public var message: String

    public init(depth: Int, code: ChainIssueCode, openSSLCode: Int, message: String) {
        self.depth = depth
        self.code = code
        self.openSSLCode = openSSLCode
        self.message = message
    }
}

/// What is known about one certificate's revocation, independent of any time of judgement.
public struct RevocationEvidence: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Covered by revocation data that does not list it.
        case good
        /// Listed as revoked at ``revocationTime``.
        case revoked
        /// No usable revocation data.
        case unknown
        /// Not applicable (a trust anchor).
        case notApplicable
    }

    public var status: Status
    /// `crl` or `ocsp`.
    public var source: RevocationKind?
    public var revocationTime: Date?
    /// Why it was revoked, as the CRL or OCSP answer states it.
    public var reason: RevocationReason?
    /// The revocation data's own time (CRL thisUpdate / OCSP thisUpdate) and its next update.
    public var thisUpdate: Date?
    public var nextUpdate: Date?
    /// OCSP producedAt, when from OCSP.
    public var producedAt: Date?
    /// Who signed the revocation data.
    public var issuer: String?
    /// Problems with revocation data that was found but could not be used, in plain English.
    public var problems: [String]
    /// The fetches that failed for this certificate, as data (each also a line of ``problems``). Absent when none
    /// failed, and in older evidence.
    public var fetchFailures: [FetchFailure]?
    /// The reasons no usable CRL covers (RFC 5280 §6.3.3: a status is known only once all-reasons are covered), when
    /// that is why the status is unknown. Absent otherwise, and in older evidence (where ``problems`` says it).
    public var uncoveredReasons: [RevocationReason]?
    /// Every revocation object (CRL, delta CRL, OCSP response) that was about this certificate, and what became of
    /// it: used, rejected (with the reason), or not needed. Absent in older evidence and when none was at hand.
    public var considered: [RevocationObjectUse]?

    public init(
        status: Status, source: RevocationKind? = nil, revocationTime: Date? = nil, reason: RevocationReason? = nil,
        thisUpdate: Date? = nil, nextUpdate: Date? = nil, producedAt: Date? = nil, issuer: String? = nil,
        problems: [String] = []
    ) {
        self.status = status
        self.source = source
        self.revocationTime = revocationTime
        self.reason = reason
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.producedAt = producedAt
        self.issuer = issuer
        self.problems = problems
    }

    public static let notApplicable = RevocationEvidence(status: .notApplicable)
}

/// One revocation object considered for a certificate (RFC 5280 §6.3.3 for CRLs, RFC 6960 for OCSP).
public struct RevocationObjectUse: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        /// It established (or contributed to) the certificate's status.
        case used
        /// It is about the certificate but cannot be used; ``reason`` says why.
        case rejected
        /// It is usable, but others already answered (a newer CRL, reasons already covered).
        case unneeded
    }

    /// `crl`, `delta-crl` or `ocsp`.
    public var kind: RevocationKind
    /// The object's SHA-256 (as in ``Evidence/revocationSources``).
    public var sha256: String
    /// Who issued it: the CRL's issuer or the OCSP responder.
    public var issuer: String
    public var outcome: Outcome
    /// Why it was rejected or not needed, as a stable code (``RevocationRejection``).
    public var reason: RevocationRejection?
    /// The same in plain English, with the names involved.
    public var detail: String?

    public init(kind: RevocationKind, sha256: String, issuer: String, outcome: Outcome, reason: RevocationRejection? = nil,
                detail: String? = nil) {
        self.kind = kind
        self.sha256 = sha256
        self.issuer = issuer
        self.outcome = outcome
        self.reason = reason
        self.detail = detail
    }
}

/// A piece of revocation data the core saw.
public struct RevocationSource: Codable, Sendable, Equatable {
    /// `crl` or `ocsp`.
    public var kind: RevocationKind
    /// `signedData`, `supplied`, `fetched`.
    public var origin: RevocationOrigin
    public var issuer: String
    public var thisUpdate: Date?
    public var nextUpdate: Date?
    /// Where it was fetched from, if it was.
    public var url: String?
    public var sha256: String

    public init(
        kind: RevocationKind, origin: RevocationOrigin, issuer: String, thisUpdate: Date?, nextUpdate: Date?, url: String? = nil,
        sha256: String
    ) {
        self.kind = kind
        self.origin = origin
        self.issuer = issuer
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.url = url
        self.sha256 = sha256
    }
}

/// An RFC 3161 timestamp over a signature (or its content), validated on its own.
public struct TimestampEvidence: Codable, Sendable, Equatable {
    /// `signature` (signature-time-stamp), `content` (content-time-stamp), `archive` (archive-time-stamp-v3),
    /// `cades-c` (CAdES-C-time-stamp, id-aa-ets-escTimeStamp: over the signature, its timestamps and the complete
    /// references, TS 101 733 §6.3.5), `refs` (time-stamped-certs-crls-references, id-aa-ets-certCRLTimestamp: over
    /// the complete references only), `standalone` (a bare token given alone).
    public var type: TimestampType
    public var genTime: Date
    /// Accuracy in seconds, when given.
    public var accuracy: Double?
    public var serial: String
    public var policy: String?
    /// The hash algorithm of the message imprint.
    public var imprintAlgorithm: String
    /// Imprint against the data the timestamp must cover.
    public var imprint: CryptoCheck
    /// The token's own CMS signature.
    public var signatureValue: CryptoCheck
    /// The TSA certificate's fingerprint, when found.
    public var tsaCertificate: String?
    /// Where the TSA certificate was found: `token` (the token's own certificates), `signedData`,
    /// `certificateValues` (the signer's certificate-values attribute), `timestamp` (another timestamp in the same
    /// signature), `supplied` (`--cert`), `trustStore`. Absent when not found, and in older evidence.
    public var tsaCertificateSource: CertificateOrigin?
    /// The message imprint as the token states it, lower-case hex (what it stamps). Absent in older evidence.
    public var imprintValue: String?
    /// Whether the TSA certificate carries the timeStamping EKU, and critically.
    public var timeStampingEKU: CheckOutcome
    /// The TSA certificate path evaluated at the timestamp's generation time and at the validation time.
    public var chains: [ChainEvidence]
    /// The token's own signature algorithms (digest, signature, the TSA's key), judged against the policy's
    /// cryptographic constraints at the time something proves the token existed. Absent in older evidence.
    public var algorithms: AlgorithmEvidence?
    /// For an archive timestamp: the positions, in the signer's `timestamps`, of the timestamps it covers (its
    /// ats-hash-index-v3 lists them, or they are signed attributes). Absent for other types and older evidence.
    public var covers: [Int]?

    public init(
        type: TimestampType, genTime: Date, accuracy: Double?, serial: String, policy: String?, imprintAlgorithm: String,
        imprint: CryptoCheck, signatureValue: CryptoCheck, tsaCertificate: String?, timeStampingEKU: CheckOutcome,
        chains: [ChainEvidence], algorithms: AlgorithmEvidence? = nil, covers: [Int]? = nil
    ) {
        self.algorithms = algorithms
        self.covers = covers
        self.type = type
        self.genTime = genTime
        self.accuracy = accuracy
        self.serial = serial
        self.policy = policy
        self.imprintAlgorithm = imprintAlgorithm
        self.imprint = imprint
        self.signatureValue = signatureValue
        self.tsaCertificate = tsaCertificate
        self.timeStampingEKU = timeStampingEKU
        self.chains = chains
    }
}

/// Revocation data that could not be fetched for a certificate, and why (``RevocationEvidence/fetchFailures``): the
/// same as a line of ``RevocationEvidence/problems`` (``problem``), as data, for a report in the reader's language.
public struct FetchFailure: Codable, Sendable, Equatable {
    /// `crl` or `ocsp`.
    public var kind: RevocationKind
    /// The address asked (from the certificate's CRL distribution points or AIA).
    public var url: String
    /// Why, as an error key (`error.unreachable`, `error.fetch-budget-spent`, …) with its values; nil when the
    /// failure has no key (then only ``problem`` says it).
    public var reasonKey: String?
    public var values: [String: String]?
    /// The line of ``RevocationEvidence/problems`` this failure is.
    public var problem: String

    public init(kind: RevocationKind, url: String, reasonKey: String? = nil, values: [String: String]? = nil, problem: String) {
        self.kind = kind
        self.url = url
        self.reasonKey = reasonKey
        self.values = values
        self.problem = problem
    }
}
