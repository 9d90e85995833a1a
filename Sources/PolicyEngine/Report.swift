import EvidenceModel
import Foundation

/// The verification report: the public JSON contract of `verify --json` and `POST /v1/verify`.
/// Field names are fixed; fields may be added.
public struct Report: Codable, Sendable, Equatable {
    public var indication: Indication
    public var subIndication: SubIndication?
    public var validationTime: Date
    public var document: ReportDocument?
    public var policy: ReportPolicy
    public var signatures: [SignatureReport]
    /// Document-level checks (number of signatures, required signers, document type).
    public var documentChecks: [CheckResult]
    /// The language of the messages.
    public var lang: String
    /// Why the signature file could not be processed, when it could not.
    public var formatError: String?
    public var producer: String
    /// The ASiC container the signature came from, with what each signature covers; `nil` (and left out of the
    /// JSON) for a plain signature.
    public var container: ReportContainer? = nil
    /// A bare RFC 3161 timestamp token given alone (no signature): what it stamps, when, by whom, and its verdict —
    /// the same objects as `signatures[].timestamps`. `nil` (and left out of the JSON) otherwise.
    public var timestamps: [TimestampSummary]? = nil
    /// The PDF the signatures came from: revisions, the revision each signature covers and what changed after it;
    /// `nil` (and left out of the JSON) otherwise.
    public var pdf: ReportPDF? = nil

    public init(
        indication: Indication, subIndication: SubIndication?, validationTime: Date, document: ReportDocument?,
        policy: ReportPolicy, signatures: [SignatureReport], documentChecks: [CheckResult] = [], lang: String,
        formatError: String? = nil, producer: String
    ) {
        self.indication = indication
        self.subIndication = subIndication
        self.validationTime = validationTime
        self.document = document
        self.policy = policy
        self.signatures = signatures
        self.documentChecks = documentChecks
        self.lang = lang
        self.formatError = formatError
        self.producer = producer
    }
}

public struct ReportDocument: Codable, Sendable, Equatable {
    public var name: String?
    public var size: UInt64?
    public var digests: [String: String]
    public var source: String
}

public struct ReportPolicy: Codable, Sendable, Equatable {
    public var id: String
    public var version: String
    public var title: String
}

public struct SignatureReport: Codable, Sendable, Equatable {
    public var id: String
    public var indication: Indication
    public var subIndication: SubIndication?
    /// `CAdES-BASELINE-B`, `-T`, `-LT`, `-LTA`, or `CMS`.
    public var format: String
    public var signer: SignerSummary?
    public var algorithms: AlgorithmSummary
    public var claimedSigningTime: Date?
    public var bestSignatureTime: Date
    public var timestamps: [TimestampSummary]
    public var checks: [CheckResult]
    public var legal: LegalConclusion
    /// One plain sentence: why this verdict.
    public var reason: String
    /// The legacy form the signature is written in (ETSI TS 101 733: `CAdES-X Long Type 1`, `CAdES-C`, ...), beside
    /// the baseline `format`; `nil` (and left out of the JSON) for a baseline signature.
    public var profile: String? = nil
    /// Counter-signatures over this signature (RFC 5652 §11.4), each with its own verdict, signer and times; they do
    /// not change this signature's verdict. `nil` (and left out of the JSON) when there are none.
    public var counterSignatures: [SignatureReport]? = nil
}

public struct SignerSummary: Codable, Sendable, Equatable {
    public var subject: String
    public var issuer: String
    public var serial: String
    /// The person's name (surname and given names, or the common name).
    public var name: String
    public var title: String?
    public var organization: String?
    public var inn: String?
    public var snils: String?
    public var ogrn: String?
    public var innLE: String?
    public var notBefore: Date
    public var notAfter: Date
    public var certificateSHA256: String
}

public struct AlgorithmSummary: Codable, Sendable, Equatable {
    public var digest: String
    public var signature: String
    public var keyBits: Int?
}

public struct TimestampSummary: Codable, Sendable, Equatable {
    public var type: TimestampType
    public var genTime: Date
    public var tsa: String?
    /// `PASSED`, `FAILED` or `INDETERMINATE`, with the sub-indication when not passed.
    public var indication: TimestampIndication
    public var subIndication: SubIndication?
    /// Why the timestamp is not PASSED, in the report's language.
    public var reason: String? = nil
    /// What it stamps: the message imprint's hash algorithm and value (lower-case hex).
    public var imprintAlgorithm: String? = nil
    public var imprint: String? = nil
    /// The token's serial number (hex) and TSA policy OID.
    public var serial: String? = nil
    public var policy: String? = nil
}

/// The result of one rule.
public struct CheckResult: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case passed, failed, warning, info, skipped
    }
    public var id: String
    /// The rule's name in the report's language (the rule's `name:`, else its check's title): what a person reads
    /// instead of the id.
    public var name: String?
    public var status: Status
    public var subIndication: SubIndication?
    public var message: String
    public var basis: String?
    /// The vocabulary check the rule runs (`revocation`, `chain`, …); nil for the report's intrinsic checks.
    public var check: String? = nil
    /// The catalogue key of the message (`revocation.unusable`): what a program can test instead of the words.
    public var messageKey: String? = nil
    /// The values the message's template was filled with (`{"issuer": "…"}`), as the text shows them; absent when
    /// the message takes none. With ``messageKey`` a client can say the message its own way.
    public var messageArgs: [String: String]? = nil

    public init(id: String, status: Status, subIndication: SubIndication? = nil, message: String, basis: String? = nil, name: String? = nil) {
        self.id = id
        self.name = name
        self.status = status
        self.subIndication = subIndication
        self.message = message
        self.basis = basis
    }
}

public struct LegalConclusion: Codable, Sendable, Equatable {
    /// `qualified`, `advanced`, `simple` or `none`: the kind of signature the policy found.
    public var kind: String
    public var conclusion: String
    public var basis: String?
}
