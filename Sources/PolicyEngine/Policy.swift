import EvidenceModel
import Foundation

/// Text in both of podpis's languages.
public struct LocalizedText: Sendable, Equatable, Codable {
    public var ru: String
    public var en: String
    public init(ru: String, en: String) {
        self.ru = ru
        self.en = en
    }
    public func text(_ language: Language) -> String { language == .ru ? ru : en }
}

/// What a rule's failure does to the verdict (as DSS's constraint levels).
public enum RuleLevel: String, Sendable, Codable, CaseIterable {
    /// The failure decides the verdict with the rule's sub-indication.
    case fail
    /// Reported as a warning; the verdict is unchanged.
    case warn
    /// Reported as information.
    case inform
    /// Not evaluated.
    case ignore
}

/// A period in which something applies: `from` inclusive, `until` exclusive; open ends allowed.
public struct Effective: Sendable, Equatable {
    public var from: Date?
    public var until: Date?
    public init(from: Date? = nil, until: Date? = nil) {
        self.from = from
        self.until = until
    }
    public func contains(_ date: Date) -> Bool {
        if let from, date < from { return false }
        if let until, date >= until { return false }
        return true
    }
    public func overlaps(_ other: Effective) -> Bool {
        let start = max(from ?? .distantPast, other.from ?? .distantPast)
        let end = min(until ?? .distantFuture, other.until ?? .distantFuture)
        return start < end
    }
}

/// One rule: a configured check from the fixed vocabulary (its parameters decoded when the policy loaded), its
/// level, the sub-indication it yields when it fails, its legal basis and its explanation.
public struct Rule: Sendable, Equatable {
    public var id: String
    /// The check with its parameters.
    public var configuration: any PolicyCheck
    public var level: RuleLevel
    /// Overrides the check's natural sub-indication when the rule fails.
    public var subIndication: SubIndication?
    public var basis: LocalizedText?
    public var explanation: LocalizedText?
    /// The rule applies only to signatures whose best-signature-time falls in this period.
    public var effective: Effective?
    /// What a report calls the rule (`name:` in the policy); the check's title when absent.
    public var name: LocalizedText?

    /// The check's name in the vocabulary (`revocation`, `chain`, …).
    public var check: String { type(of: configuration).name }

    public init(
        id: String, _ configuration: any PolicyCheck, level: RuleLevel = .fail,
        subIndication: SubIndication? = nil, basis: LocalizedText? = nil, explanation: LocalizedText? = nil,
        effective: Effective? = nil, name: LocalizedText? = nil
    ) {
        self.name = name
        self.id = id
        self.configuration = configuration
        self.level = level
        self.subIndication = subIndication
        self.basis = basis
        self.explanation = explanation
        self.effective = effective
    }

    public static func == (a: Rule, b: Rule) -> Bool {
        a.id == b.id && a.configuration.isEqual(to: b.configuration) && a.level == b.level && a.subIndication == b.subIndication
            && a.basis == b.basis && a.explanation == b.explanation && a.effective == b.effective && a.name == b.name
    }
}

/// The kinds of electronic signature (63-ФЗ art. 5; eIDAS art. 3).
///
/// `qualified-unattested` is what podpis concludes when every condition of 63-ФЗ ст. 11 it can check holds but the
/// operator has not stated that a certified tool did the check (ст. 11 п. 3, ст. 12): software cannot prove that
/// part, so it does not claim a qualified signature. It is a conclusion, never a kind a policy asks for.
public enum SignatureKind: String, Sendable, Codable, CaseIterable {
    case qualified, qualifiedUnattested = "qualified-unattested", advanced, simple, none

    var rank: Int {
        switch self {
        case .none: 0
        case .simple: 1
        case .advanced: 2
        case .qualified, .qualifiedUnattested: 3
        }
    }

    /// The kinds a policy may name (`legal.kind`, `fallback`, a document type's `kind`).
    public static let writable: [SignatureKind] = [.qualified, .advanced, .simple, .none]
}

/// A document type and what its signatures need.
public struct DocumentType: Sendable, Equatable {
    public var id: String
    public var name: LocalizedText
    public var kind: SignatureKind
    /// Minimum CAdES level.
    public var level: CAdESLevel?
    public var minSignatures: Int
    /// Signer roles that must each be present (matched against the certificate's title or a configured attribute).
    public var requiredRoles: [String]
    /// From this date the electronic original alone is legally sufficient; before it a paper copy is still required.
    public var electronicOriginalFrom: Date?
    /// The МЧД power code needed to sign this type on an organisation's behalf.
    public var powerCode: String?
    public var basis: LocalizedText?

    public init(
        id: String, name: LocalizedText, kind: SignatureKind, level: CAdESLevel? = nil, minSignatures: Int = 1,
        requiredRoles: [String] = [], electronicOriginalFrom: Date? = nil, powerCode: String? = nil,
        basis: LocalizedText? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.level = level
        self.minSignatures = minSignatures
        self.requiredRoles = requiredRoles
        self.electronicOriginalFrom = electronicOriginalFrom
        self.powerCode = powerCode
        self.basis = basis
    }
}

/// How a policy names the kind of signature a passing signature is, and the sentence it concludes with.
public struct LegalProfile: Sendable, Equatable {
    /// The kind a signature reaches when every `fail` rule passes.
    public var kind: SignatureKind
    /// The kind it still reaches when only rules marked as qualification rules fail (e.g. an advanced signature
    /// whose certificate is not qualified); `nil`: none.
    public var fallbackKind: SignatureKind?
    /// Rules whose failure only lowers the kind to `fallbackKind` instead of failing the signature.
    public var qualificationRules: [String]
    public var validConclusion: LocalizedText
    public var invalidConclusion: LocalizedText
    public var indeterminateConclusion: LocalizedText
    /// For `kind: qualified`: the conclusion when everything holds but an `attestation` rule is not attested
    /// (the kind becomes `qualified-unattested`); the catalogue's sentence when the policy gives none.
    public var unattestedConclusion: LocalizedText?
    public var basis: LocalizedText?

    public init(
        kind: SignatureKind, fallbackKind: SignatureKind? = nil, qualificationRules: [String] = [],
        validConclusion: LocalizedText, invalidConclusion: LocalizedText, indeterminateConclusion: LocalizedText,
        unattestedConclusion: LocalizedText? = nil, basis: LocalizedText? = nil
    ) {
        self.unattestedConclusion = unattestedConclusion
        self.kind = kind
        self.fallbackKind = fallbackKind
        self.qualificationRules = qualificationRules
        self.validConclusion = validConclusion
        self.invalidConclusion = invalidConclusion
        self.indeterminateConclusion = indeterminateConclusion
        self.basis = basis
    }
}

/// One dated version of a policy, fully resolved (base policy and earlier versions merged in).
public struct PolicyVersion: Sendable, Equatable {
    public var version: String
    public var effective: Effective
    public var rules: [Rule]
    public var documentTypes: [DocumentType]
    public var legal: LegalProfile

    public init(
        version: String, effective: Effective, rules: [Rule], documentTypes: [DocumentType] = [], legal: LegalProfile
    ) {
        self.version = version
        self.effective = effective
        self.rules = rules
        self.documentTypes = documentTypes
        self.legal = legal
    }
}

/// A validation policy: an id, a title, and its versions in time.
public struct Policy: Sendable, Equatable {
    public var id: String
    public var title: LocalizedText
    public var description: LocalizedText?
    public var extends: String?
    public var versions: [PolicyVersion]
    /// Where it was loaded from, for messages.
    public var source: String?
    /// Trust lists by name → folder (resolved against the certs folder), including the base policy's.
    public var trustLists: [String: String]

    public init(id: String, title: LocalizedText, description: LocalizedText? = nil, extends: String? = nil,
                versions: [PolicyVersion], source: String? = nil, trustLists: [String: String] = [:]) {
        self.id = id
        self.title = title
        self.description = description
        self.extends = extends
        self.versions = versions
        self.source = source
        self.trustLists = trustLists
    }

    /// The version in force at `date`; when none covers it, the nearest earlier one, else the first.
    public func version(at date: Date) -> PolicyVersion {
        if let exact = versions.last(where: { $0.effective.contains(date) }) { return exact }
        let earlier = versions.filter { ($0.effective.from ?? .distantPast) <= date }
        return earlier.last ?? versions[0]
    }

    /// Whether some version covers `date`.
    public func isInForce(at date: Date) -> Bool { versions.contains { $0.effective.contains(date) } }
}
