import EvidenceModel
import Foundation

/// Options of one judgement that do not come from the evidence.
public struct JudgementOptions: Sendable {
    /// The document type (`verify --type`), by id or by name in either language.
    public var documentType: String?
    public var language: Language
    /// Overrides the evidence's validation time (re-judging stored evidence "as of" another day).
    public var validationTime: Date?
    /// Operator attestations (`serve` configuration `attestations:`, `verify --attest ID=VALUE`): what the operator
    /// states, by id — e.g. `certified-crypto-tool: "КриптоПро CSP 5.0 R3, сертификат СФ/124-4520"`. They are
    /// operational facts, not part of a policy; an empty statement attests nothing.
    public var attestations: [String: String]
    /// The trust lists the policy names, loaded by the caller.
    public var trustLists: [String: TrustList]
    /// Judging the signature of a power of attorney (its own `power-of-attorney` rule does not apply).
    var nested = false

    public init(documentType: String? = nil, language: Language = .en, validationTime: Date? = nil,
                attestations: [String: String] = [:], trustLists: [String: TrustList] = [:]) {
        self.documentType = documentType
        self.language = language
        self.validationTime = validationTime
        self.attestations = attestations
        self.trustLists = trustLists
    }
}

/// A timestamp as judged: whether it may serve as proof of existence.
struct JudgedTimestamp {
    var evidence: TimestampEvidence
    var indication: TimestampIndication
    var subIndication: SubIndication?
    var reason: Message?
    var usable: Bool { indication == .passed }
}

/// Everything the checks look at for one signature.
struct SignerContext {
    let evidence: Evidence
    let signer: SignerEvidence
    let certificate: CertificateInfo?
    /// The signer's path evaluated at the validation time.
    let chain: ChainEvidence?
    let validationTime: Date
    /// The earliest time a valid timestamp proves the signature existed; the validation time without one.
    let bestSignatureTime: Date
    /// Whether ``bestSignatureTime`` is proven by a timestamp (proof of existence) rather than defaulted.
    let hasPOE: Bool
    let timestamps: [JudgedTimestamp]
    let documentType: DocumentType?
    let attestations: [String: String]
    let trustLists: [String: TrustList]
    /// The policy being applied and the report's language (a power of attorney's signature is judged under the
    /// same policy, its reasons shown in the same language).
    let policy: Policy
    let language: Language
    let nested: Bool

    func certificate(_ fingerprint: String) -> CertificateInfo? { evidence.certificates[fingerprint] }

    /// Path elements with their certificates, leaf first, trust anchor last.
    var pathCertificates: [(element: ChainElement, info: CertificateInfo)] {
        (chain?.path ?? []).compactMap { element in certificate(element.certificate).map { (element, $0) } }
    }

    /// Whether element `index` is the path's trust anchor.
    func isAnchor(_ index: Int) -> Bool {
        guard let chain, chain.reachesTrustAnchor else { return false }
        return index == chain.path.count - 1
    }
}

/// A message key with arguments, rendered through the catalogue of the chosen language. `parts` are messages
/// rendered in the same language and joined with «; » into the argument of their name (notes inside a sentence).
struct Message: Sendable {
    var key: MessageKey
    var args: [String: String]
    var parts: [String: [Message]]
    init(_ key: MessageKey, _ args: [String: String] = [:]) {
        self.key = key
        self.args = args
        self.parts = [:]
    }
    init(_ key: MessageKey, parts: [String: [Message]], _ args: [String: String] = [:]) {
        self.key = key
        self.args = args
        self.parts = parts
    }
}

/// What a check concluded.
enum CheckVerdict {
    case pass(Message)
    case fail(SubIndication, Message)
    /// Holds, but with a caveat the reader should see (reported as a warning whatever the rule's level).
    case warn(Message)
    /// The check does not apply (its inputs are absent); reported as skipped.
    case notApplicable(Message)

    /// What the verdict says.
    var message: Message {
        switch self {
        case .pass(let message), .fail(_, let message), .warn(let message), .notApplicable(let message): message
        }
    }
}
