import EvidenceModel
import Foundation

// Rules about the document as a whole: how many valid signatures, whose, of what kind, and whether the regional act
// still asks for a paper copy.

struct SignatureCountCheck: DocumentCheck {
    static let name = "signature-count"
    static let buildingBlock = BuildingBlock.documentRules
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Число подписей", en: "Number of signatures")
    static let summary = LocalizedText(ru: "документ подписан не менее чем нужным числом подписей", en: "the document carries enough signatures")
    static let parameters = [ParameterInfo("min", "number 1…1000", default: "1")]
    static let messageKeys: [MessageKey] = ["signature-count.passed", "signature-count.failed"]

    var min = 1

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case min }

    init(min: Int = 1) { self.min = min }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        min = try c.decodeIfPresent(Int.self, forKey: .min, in: 1...1000) ?? 1
    }

    func evaluate(_ c: DocumentContext) -> CheckVerdict {
        let valid = c.signatures.filter { $0.indication == .totalPassed }
        let minimum = Swift.max(min, c.documentType?.minSignatures ?? 1)
        if valid.count >= minimum { return .pass(Message("signature-count.passed", ["count": "\(valid.count)"])) }
        return .fail(.sigConstraintsFailure, Message("signature-count.failed", ["count": "\(valid.count)", "min": "\(minimum)"]))
    }
}

struct RequiredRolesCheck: DocumentCheck {
    static let name = "required-roles"
    static let buildingBlock = BuildingBlock.documentRules
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Обязательные подписанты", en: "Required signers")
    static let summary = LocalizedText(ru: "документ подписан всеми нужными должностными лицами", en: "every required official signed the document")
    static let parameters = [ParameterInfo("roles", "list of: text (matched in the signer's title)")]
    static let messageKeys: [MessageKey] = ["required-roles.none", "required-roles.passed", "required-roles.failed"]

    var roles: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case roles }

    init(roles: [String] = []) { self.roles = roles }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        roles = try c.decodeIfPresent([String].self, forKey: .roles) ?? []
    }

    func evaluate(_ c: DocumentContext) -> CheckVerdict {
        let valid = c.signatures.filter { $0.indication == .totalPassed }
        let wanted = roles + (c.documentType?.requiredRoles ?? [])
        if wanted.isEmpty { return .notApplicable(Message("required-roles.none")) }
        let titles = valid.compactMap { $0.signer?.title?.lowercased() }
        let missing = wanted.filter { role in !titles.contains { $0.contains(role.lowercased()) } }
        if missing.isEmpty { return .pass(Message("required-roles.passed", ["roles": wanted.joined(separator: ", ")])) }
        return .fail(.sigConstraintsFailure, Message("required-roles.failed", ["roles": missing.joined(separator: ", ")]))
    }
}

struct DocumentKindCheck: DocumentCheck, ParameterlessCheck {
    static let name = "document-kind"
    static let buildingBlock = BuildingBlock.documentRules
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Вид подписи для типа документа", en: "Signature kind for the document type")
    static let summary = LocalizedText(ru: "подписи имеют вид, нужный для этого типа документа", en: "the signatures are of the kind this document type needs")
    static let messageKeys: [MessageKey] = ["document-type.none", "document-kind.unattested", "document-kind.passed", "document-kind.failed"]

    func evaluate(_ c: DocumentContext) -> CheckVerdict {
        guard let documentType = c.documentType else { return .notApplicable(Message("document-type.none")) }
        let valid = c.signatures.filter { $0.indication == .totalPassed }
        let enough = valid.filter { (SignatureKind(rawValue: $0.legal.kind) ?? .none).rank >= documentType.kind.rank }
        let args = ["type": documentType.name.text(c.language), "kind": Catalogue(c.language).text(.signatureKind(documentType.kind))]
        if enough.count >= Swift.max(1, documentType.minSignatures) {
            if documentType.kind == .qualified, enough.contains(where: { $0.legal.kind == SignatureKind.qualifiedUnattested.rawValue }) {
                return .warn(Message("document-kind.unattested", args))
            }
            return .pass(Message("document-kind.passed", args))
        }
        return .fail(.sigConstraintsFailure, Message("document-kind.failed", args))
    }
}

struct ElectronicOriginalCheck: DocumentCheck, ParameterlessCheck {
    static let name = "electronic-original"
    static let buildingBlock = BuildingBlock.documentRules
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Бумажный экземпляр", en: "Paper copy")
    static let summary = LocalizedText(ru: "с какой даты региональный акт не требует хранить бумажный экземпляр (поэтапный отказ от бумаги)",
                                       en: "from which date the regional act no longer requires a paper copy (the phased move off paper)")
    static let messageKeys: [MessageKey] = ["electronic-original.none", "electronic-original.sufficient", "electronic-original.paper-required"]

    func evaluate(_ c: DocumentContext) -> CheckVerdict {
        guard let documentType = c.documentType, let from = documentType.electronicOriginalFrom else {
            return .notApplicable(Message("electronic-original.none"))
        }
        let proven = c.signatures.map(\.bestSignatureTime).min() ?? Date()
        let args = ["type": documentType.name.text(c.language), "from": Format.day(from), "time": Format.date(proven)]
        // A records-keeping rule of the region, not a condition of validity: which applies is stated, not warned.
        return .pass(Message(proven >= from ? "electronic-original.sufficient" : "electronic-original.paper-required", args))
    }
}
