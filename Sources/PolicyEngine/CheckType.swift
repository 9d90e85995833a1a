import EvidenceModel
import Foundation

/// The building blocks of ETSI EN 319 102-1 a check belongs to (the DSS names in brackets), plus the two places
/// podpis's vocabulary goes beyond them: the legal qualification (ETSI TS 119 172-4, the laws) and the document-level
/// rules of a signature policy.
public enum BuildingBlock: String, Sendable, Codable, CaseIterable {
    /// 5.2.2 Format checking (FC).
    case formatChecking = "FC"
    /// 5.2.3 Identification of the signing certificate (ISC).
    case identificationOfSigningCertificate = "ISC"
    /// 5.2.4 Validation context initialization (VCI).
    case validationContextInitialization = "VCI"
    /// 5.2.6 X.509 certificate validation (XCV), with 5.2.5 revocation freshness.
    case x509CertificateValidation = "XCV"
    /// 5.2.7 Cryptographic verification (CV).
    case cryptographicVerification = "CV"
    /// 5.2.8 Signature acceptance validation (SAV).
    case signatureAcceptanceValidation = "SAV"
    /// 5.4 Time-stamp validation.
    case timestampValidation = "TSV"
    /// The legal kind of signature and certificate: accredited / qualified issuers, powers of attorney.
    case qualification = "QUAL"
    /// Rules about the document as a whole (several signatures, document types).
    case documentRules = "DOC"

    public var title: LocalizedText {
        switch self {
        case .formatChecking: LocalizedText(ru: "проверка формата (ETSI EN 319 102-1, п. 5.2.2)", en: "format checking (ETSI EN 319 102-1, cl. 5.2.2)")
        case .identificationOfSigningCertificate:
            LocalizedText(ru: "идентификация сертификата подписанта (п. 5.2.3)", en: "identification of the signing certificate (cl. 5.2.3)")
        case .validationContextInitialization:
            LocalizedText(ru: "подготовка контекста проверки (п. 5.2.4)", en: "validation context initialisation (cl. 5.2.4)")
        case .x509CertificateValidation:
            LocalizedText(ru: "проверка сертификатов X.509 (п. 5.2.5, 5.2.6)", en: "X.509 certificate validation (cl. 5.2.5, 5.2.6)")
        case .cryptographicVerification: LocalizedText(ru: "криптографическая проверка (п. 5.2.7)", en: "cryptographic verification (cl. 5.2.7)")
        case .signatureAcceptanceValidation:
            LocalizedText(ru: "проверка допустимости подписи (п. 5.2.8)", en: "signature acceptance validation (cl. 5.2.8)")
        case .timestampValidation: LocalizedText(ru: "проверка штампов времени (п. 5.4)", en: "time-stamp validation (cl. 5.4)")
        case .qualification:
            LocalizedText(ru: "юридическая квалификация (63-ФЗ, eIDAS; ETSI TS 119 172-4)", en: "legal qualification (63-FZ, eIDAS; ETSI TS 119 172-4)")
        case .documentRules: LocalizedText(ru: "правила для документа в целом", en: "rules for the document as a whole")
        }
    }
}

/// Whether a check judges one signature or the document.
public enum CheckScope: String, Sendable, Codable {
    case signature, document
}

/// One parameter a check accepts, for `policy explain`, `/v1/policies` and the vocabulary in the docs.
public struct ParameterInfo: Sendable, Equatable, Codable {
    public var name: String
    /// What it takes: `text`, `true/false`, `number 1…100`, `date`, `duration`, `one of: …`, `list of: …`.
    public var type: String
    public var defaultValue: String?
    /// The closed set of values, when there is one.
    public var allowed: [String]?
    public var required: Bool

    init(_ name: String, _ type: String, default defaultValue: String? = nil, allowed: [String]? = nil, required: Bool = false) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.allowed = allowed
        self.required = required
    }

    /// What the parameter takes, in the reader's language.
    public func typeText(_ language: Language) -> String {
        guard language == .ru else { return type }
        var text = type
        for (english, russian) in Catalogue.parameterTypesRussian { text = text.replacingOccurrences(of: english, with: russian) }
        return text
    }

    static func choice<T: ClosedSet>(_ name: String, _ type: T.Type, default value: T? = nil) -> ParameterInfo {
        ParameterInfo(name, "one of", default: value?.rawValue, allowed: T.writable.map(\.rawValue))
    }

    static func choices<T: ClosedSet>(_ name: String, _ type: T.Type, default values: [T]? = nil) -> ParameterInfo {
        ParameterInfo(name, "list of", default: values.map { "[" + $0.map(\.rawValue).joined(separator: ", ") + "]" }, allowed: T.writable.map(\.rawValue))
    }
}

/// A check of the fixed vocabulary, as a type (the idea of swift-certificates' `VerifierPolicy` and of DSS's
/// building-block classes). A value of the type is a configured check: its stored properties are the rule's
/// parameters, decoded once when the policy loads, through `Decodable`, with closed sets as enums and ranges
/// validated — a typo is a lint error at its line and column, never a silently weaker rule. The static members say
/// what the check is: its name in policies, its ETSI building block, the sub-indication it yields by default, its
/// title and summary in both languages, its parameters and the message keys it may produce.
///
/// Evaluation lives in ``SignatureCheck`` / ``DocumentCheck`` (internal: they see the engine's context).
public protocol PolicyCheck: Codable, Sendable, Equatable {
    static var name: String { get }
    static var buildingBlock: BuildingBlock { get }
    static var subIndication: SubIndication { get }
    static var scope: CheckScope { get }
    static var title: LocalizedText { get }
    static var summary: LocalizedText { get }
    static var parameters: [ParameterInfo] { get }
    /// The catalogue keys of the messages the check may produce (each present in both languages; a test checks).
    static var messageKeys: [MessageKey] { get }
}

extension PolicyCheck {
    public static var scope: CheckScope { .signature }
    public static var parameters: [ParameterInfo] { [] }

    func isEqual(to other: any PolicyCheck) -> Bool {
        guard let other = other as? Self else { return false }
        return self == other
    }

    /// The parameters in effect, as JSON-like text (`{"require":"always"}`), for explanations.
    var parametersJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(String(date.formatted(.iso8601).prefix(10)))
        }
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// A check without parameters: any key under its `params` is a typo.
protocol ParameterlessCheck: PolicyCheck {
    init()
}

extension ParameterlessCheck {
    init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: NoParameters.self)
        self.init()
    }

    func encode(to encoder: any Encoder) throws { _ = encoder.container(keyedBy: NoParameters.self) }
}

/// The keys of a check without parameters: none.
enum NoParameters: CodingKey, ClosedKeys {
    static var names: [String] { [] }
    var stringValue: String { switch self {} }
    var intValue: Int? { nil }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { nil }
}

/// A check that judges one signature.
protocol SignatureCheck: PolicyCheck {
    func evaluate(_ context: SignerContext) -> CheckVerdict
}

/// A check that judges the document: its signatures as a whole, its type.
protocol DocumentCheck: PolicyCheck {
    func evaluate(_ context: DocumentContext) -> CheckVerdict
}

extension DocumentCheck {
    public static var scope: CheckScope { .document }
}

/// What document-level checks look at.
struct DocumentContext {
    let signatures: [SignatureReport]
    let documentType: DocumentType?
    let language: Language
}

/// The vocabulary: every check type, in the order the built-in policies use them. The one place check names are
/// mapped to behaviour — lint, `policy explain`, `/v1/policies` and judgement all read it.
public enum CheckRegistry {
    public static let all: [any PolicyCheck.Type] = [
        FormatCheck.self, SignerCertificateCheck.self, SignedDataCheck.self, IntegrityCheck.self, SignatureValueCheck.self,
        ChainCheck.self, CertificateValidityCheck.self, RevocationCheck.self, CertificateProfileCheck.self, KeyUsageCheck.self,
        AlgorithmsCheck.self, TimestampsCheck.self, TrustedTimeCheck.self, AccreditedCACheck.self, ExtendedKeyUsageCheck.self, CertificatePoliciesCheck.self,
        SubjectAttributesCheck.self, SignerOrganizationCheck.self, QCStatementsCheck.self, SigningTimeCheck.self,
        TimestampRequiredCheck.self, TimestampDelayCheck.self, SignatureLevelCheck.self, AttestationCheck.self,
        OrganisationCertificateCheck.self, PowerOfAttorneyRequirement.self, SignatureCountCheck.self, RequiredRolesCheck.self,
        DocumentKindCheck.self, ElectronicOriginalCheck.self,
    ]

    public static let byName: [String: any PolicyCheck.Type] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static var names: [String] { all.map { $0.name } }

    /// Decodes a check's parameters from its rule's `params` node (an empty mapping when the rule has none),
    /// reporting every mistake: after one, the parameter it is in is left out and the rest decoded again, so one
    /// run names every wrong parameter.
    static func decode(_ type: any PolicyCheck.Type, params: YAMLValue, checkName: String, report: (ParameterProblem) -> Void) -> (any PolicyCheck)? {
        func open<T: PolicyCheck>(_ type: T.Type) -> (any PolicyCheck)? { decodeTyped(type, params: params, checkName: checkName, report: report) }
        return open(type)
    }

    static func decodeTyped<T: PolicyCheck>(_ type: T.Type, params: YAMLValue, checkName: String, report: (ParameterProblem) -> Void) -> T? {
        var node = params
        var left: Set<String> = []
        var failed = false
        while true {
            do {
                let value = try T(from: ParameterDecoder(node: node))
                return failed ? nil : value
            } catch let problem as ParameterProblem {
                // A required parameter left out after its own mistake was reported is not a second mistake.
                if problem.message.key == "lint.param-required", let name = problem.path.first, left.contains(name) { return nil }
                var message = problem.message
                message.args["check"] = checkName
                if message.args["what"] == "params" { message.args["what"] = "params of \(checkName)" }
                report(ParameterProblem(mark: problem.mark, message: message, path: problem.path))
                failed = true
                guard let name = problem.path.first, case .mapping(let entries, let mark) = node else { return nil }
                // In a list, only the faulty item is left out (the others are still checked); elsewhere the parameter.
                if problem.path.count > 1, let index = Int(problem.path[1]),
                    let entry = entries.firstIndex(where: { $0.key == name }), case .sequence(var items, let listMark) = entries[entry].value,
                    items.indices.contains(index) {
                    items.remove(at: index)
                    var rest = entries
                    rest[entry].value = .sequence(items, listMark)
                    node = .mapping(rest, mark)
                    continue
                }
                guard !left.contains(name) else { return nil }
                left.insert(name)
                node = .mapping(entries.filter { $0.key != name }, mark)
            } catch {
                report(ParameterProblem(mark: params.mark, message: Message("lint.params", ["check": checkName, "problem": "\(error)"]), path: []))
                return nil
            }
        }
    }
}

/// The old face of the vocabulary (names, titles, default sub-indications, summaries), read from the registry.
public enum CheckVocabulary {
    public struct Definition: Sendable {
        public let name: String
        public let subIndication: SubIndication
        public let documentLevel: Bool
        public let summary: LocalizedText
        public let buildingBlock: BuildingBlock
        public let parameters: [ParameterInfo]
    }

    public static let definitions: [String: Definition] = Dictionary(uniqueKeysWithValues: CheckRegistry.all.map {
        ($0.name, Definition(name: $0.name, subIndication: $0.subIndication, documentLevel: $0.scope == .document, summary: $0.summary,
                             buildingBlock: $0.buildingBlock, parameters: $0.parameters))
    })

    /// A short name for each check (and for the report's intrinsic checks), as a reader sees it.
    public static let titles: [String: LocalizedText] = Dictionary(uniqueKeysWithValues: CheckRegistry.all.map { ($0.name, $0.title) })
        .merging([
            "container": LocalizedText(ru: "Контейнер ASiC", en: "ASiC container"),
            "document-type": LocalizedText(ru: "Тип документа", en: "Document type"),
        ]) { a, _ in a }

    /// The name a rule shows: its own `name:`, else its check's title, else its id.
    static func title(of rule: Rule, _ language: Language) -> String {
        rule.name?.text(language) ?? titles[rule.check]?.text(language) ?? rule.id
    }

    /// Certificate policy and EKU names policies may use instead of OIDs.
    public static let oidNames: [String: String] = [
        "kc1": OID.classKC1, "kc2": OID.classKC2, "kc3": OID.classKC3, "kb1": OID.classKB1, "kb2": OID.classKB2, "ka1": OID.classKA1,
        "emailProtection": OID.ekuEmailProtection, "clientAuth": OID.ekuClientAuth, "timeStamping": OID.ekuTimeStamping,
        "qcCompliance": OID.qcCompliance, "qcSSCD": OID.qcSSCD, "qcTypeESign": OID.qcTypeESign,
    ]

    static func oid(_ name: String) -> String { oidNames[name] ?? name }

    /// Subject attribute names policies use, by OID.
    public static let attributeNames: [String: String] = [
        "inn": OID.inn, "snils": OID.snils, "ogrn": OID.ogrn, "ogrnip": OID.ogrnip, "innLE": OID.innLE,
        "commonName": OID.commonName, "surname": OID.surname, "givenName": OID.givenName, "organization": OID.organization,
        "title": OID.title, "country": OID.country, "email": OID.email, "locality": OID.locality,
        "stateOrProvince": "2.5.4.8", "street": "2.5.4.9",
    ]

    /// Attribute names that stand for a combination (ст. 17 ч. 2 names what, not which attribute):
    /// `fullName` — surname and given names (or the common name); `location` — region or locality (место нахождения).
    public static let compositeAttributes: Set<String> = ["fullName", "location"]
}

extension Rule {
    /// The parameters in effect (defaults included), as compact JSON: what `policy explain` and `/v1/policies` show.
    public var parameterSummary: String { configuration.parametersJSON }
}
