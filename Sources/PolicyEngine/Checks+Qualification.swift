import EvidenceModel
import Foundation

// Checks on what the certificates say about their holder and issuer: accreditation, the holder's details, the
// organisation, the dated rules of the 2019 amendments, and the certificate profiles (RFC 5280 §4, приказ ФСБ № 795).

struct AccreditedCACheck: SignatureCheck {
    static let name = "accredited-ca"
    static let buildingBlock = BuildingBlock.qualification
    static let subIndication = SubIndication.chainConstraintsFailure
    static let title = LocalizedText(ru: "Аккредитация УЦ", en: "CA accreditation")
    static let summary = LocalizedText(ru: "сертификат выдан аккредитованным удостоверяющим центром (аккредитация действовала в нужный день)",
                                       en: "the certificate was issued by an accredited CA (accreditation in force on the relevant day)")
    static let parameters: [ParameterInfo] = [
        ParameterInfo("trustList", "text: a trust list the policy declares", required: true), .choice("at", AccreditationMoment.self, default: .issue),
        ParameterInfo("continuedPast", "date"),
    ]
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "trust-list.missing", "accredited-ca.unknown", "accredited-ca.failed-issue", "accredited-ca.failed-signing",
                              "accredited-ca.not-reaccredited", "accredited-ca.reaccredited", "accredited-ca.passed-signing", "accredited-ca.passed-issue"]

    var trustList: String
    var at: AccreditationMoment = .issue
    /// The 2019 amendments (Федеральный закон № 476-ФЗ): from this day a certificate stays qualified only if the
    /// accreditation it was issued under went on past it.
    var continuedPast: Date?

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case trustList, at, continuedPast }

    init(trustList: String, at: AccreditationMoment = .issue, continuedPast: Date? = nil) {
        self.trustList = trustList
        self.at = at
        self.continuedPast = continuedPast
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trustList = try c.decode(String.self, forKey: .trustList)
        at = try c.decodeIfPresent(AccreditationMoment.self, forKey: .at) ?? .issue
        continuedPast = try c.decodeIfPresent(Date.self, forKey: .continuedPast)
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        guard let list = c.trustLists[trustList] else { return .fail(.policyProcessingError, Message("trust-list.missing", ["list": trustList])) }
        let issuer = c.pathCertificates.count > 1 ? c.pathCertificates[1].info : nil
        guard let authority = list.authority(certificate: issuer?.sha256, keyIdentifier: cert.authorityKeyIdentifier) else {
            return .fail(.chainConstraintsFailure, Message("accredited-ca.unknown", ["issuer": SubjectText.render(cert.issuer, language: c.language), "list": trustList]))
        }
        let atSigning = at == .signing
        let date = atSigning ? c.bestSignatureTime : cert.notBefore
        let args = ["ca": authority.name, "date": Format.day(date),
                    "periods": authority.accreditation.map { "\(Format.day($0.from))–\($0.until.map(Format.day) ?? "…")" }.joined(separator: ", ")]
        if let cutoff = continuedPast {
            guard let period = authority.period(at: date) else {
                return .fail(.chainConstraintsFailure, Message("accredited-ca.failed-issue", args))
            }
            if let until = period.until, until <= cutoff {
                return .fail(.chainConstraintsFailure, Message("accredited-ca.not-reaccredited", args.merging(["until": Format.day(until), "cutoff": Format.day(cutoff)]) { a, _ in a }))
            }
            return .pass(Message("accredited-ca.reaccredited", args.merging(["cutoff": Format.day(cutoff)]) { a, _ in a }))
        }
        if authority.isAccredited(at: date) {
            return .pass(Message(atSigning ? "accredited-ca.passed-signing" : "accredited-ca.passed-issue", args))
        }
        return .fail(.chainConstraintsFailure, Message(atSigning ? "accredited-ca.failed-signing" : "accredited-ca.failed-issue", args))
    }
}

/// Whether the certificate names its holder with the attributes asked for. `person` and `organisation` follow
/// 63-ФЗ ст. 17 ч. 2: a certificate naming a person must carry the person's list (ФИО, СНИЛС, ИНН), one naming an
/// organisation the organisation's (наименование, место нахождения, ОГРН, ИНН ЮЛ) — both when it names both; a
/// certificate naming only an organisation (ст. 14 ч. 3) has no person and needs no СНИЛС.
struct SubjectAttributesCheck: SignatureCheck {
    static let name = "subject-attributes"
    static let buildingBlock = BuildingBlock.qualification
    static let subIndication = SubIndication.chainConstraintsFailure
    static let title = LocalizedText(ru: "Реквизиты владельца сертификата", en: "Certificate holder's details")
    static let summary = LocalizedText(ru: "в сертификате есть обязательные реквизиты владельца (ИНН, СНИЛС, ОГРН и др.)",
                                       en: "the certificate names its holder with the required attributes (ИНН, СНИЛС, ОГРН, ...)")
    static let knownNames = (Array(CheckVocabulary.attributeNames.keys) + Array(CheckVocabulary.compositeAttributes)).sorted()
    static let parameters = ["required", "anyOf", "person", "organisation"].map {
        ParameterInfo($0, "list of: an attribute name or a dotted OID", allowed: knownNames)
    }
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "attributes.missing", "attributes.missing.person", "attributes.missing.organisation",
                              "attributes.missing.organisation-person", "attributes.malformed", "attributes.none-of", "attributes.passed",
                              "attributes.passed.person", "attributes.passed.organisation", "attributes.passed.organisation-person"]

    var required: [String] = []
    var anyOf: [String] = []
    var person: [String]?
    var organisation: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case required, anyOf, person, organisation }

    init(required: [String] = [], anyOf: [String] = [], person: [String]? = nil, organisation: [String]? = nil) {
        self.required = required
        self.anyOf = anyOf
        self.person = person
        self.organisation = organisation
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        required = try c.decodeNames(forKey: .required, known: Self.knownNames) ?? []
        anyOf = try c.decodeNames(forKey: .anyOf, known: Self.knownNames) ?? []
        person = try c.decodeNames(forKey: .person, known: Self.knownNames)
        organisation = try c.decodeNames(forKey: .organisation, known: Self.knownNames)
    }

    /// Digit-count rules of the Russian identifiers (Приказ ФСБ № 795).
    static let identifierLengths: [String: [Int]] = ["inn": [12], "snils": [11], "ogrn": [13], "ogrnip": [15], "innLE": [10]]

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate, let role = c.signerRole else { return .notApplicable(Message("chain.no-certificate")) }
        func value(_ name: String) -> String? {
            switch name {
            case "fullName":
                if let surname = cert.attribute(OID.surname), let given = cert.attribute(OID.givenName), !surname.isEmpty, !given.isEmpty {
                    return "\(surname) \(given)"
                }
                return cert.attribute(OID.commonName).flatMap { $0.isEmpty ? nil : $0 }
            case "location":
                return [cert.attribute("2.5.4.8"), cert.attribute(OID.locality)].compactMap { $0 }.first { !$0.isEmpty }
            default:
                guard let oid = CheckVocabulary.attributeNames[name] ?? (name.contains(".") ? name : nil) else { return nil }
                return cert.attribute(oid).flatMap { $0.isEmpty ? nil : $0 }
            }
        }
        var wanted = required
        // The messages name whose attributes are asked for when the role says whose they must be.
        var missing: MessageKey = "attributes.missing", passed: MessageKey = "attributes.passed"
        if let person, let organisation {
            switch role.holder {
            case .person, .entrepreneur:
                wanted += person
                (missing, passed) = ("attributes.missing.person", "attributes.passed.person")
            case .organisation:
                wanted += organisation
                (missing, passed) = ("attributes.missing.organisation", "attributes.passed.organisation")
            case .organisationPerson:
                wanted += organisation + person
                (missing, passed) = ("attributes.missing.organisation-person", "attributes.passed.organisation-person")
            }
        } else {
            wanted += person ?? []
            wanted += organisation ?? []
        }
        for name in wanted {
            guard let found = value(name) else {
                return .fail(.chainConstraintsFailure, Message(missing,
                                                               ["attribute": Self.attributeLabel(name)]))
            }
            if let lengths = Self.identifierLengths[name], !(lengths.contains(found.count) && found.allSatisfy(\.isNumber)) {
                return .fail(.chainConstraintsFailure, Message("attributes.malformed", ["attribute": Self.attributeLabel(name), "value": found]))
            }
        }
        if !anyOf.isEmpty && !anyOf.contains(where: { value($0) != nil }) {
            return .fail(.chainConstraintsFailure, Message("attributes.none-of", ["attributes": anyOf.map(Self.attributeLabel).joined(separator: ", ")]))
        }
        let listed = (wanted + anyOf.filter { value($0) != nil }).map(Self.attributeLabel).joined(separator: ", ")
        return .pass(Message(passed, ["attributes": listed]))
    }

    static func attributeLabel(_ name: String) -> String {
        ["inn": "ИНН", "snils": "СНИЛС", "ogrn": "ОГРН", "ogrnip": "ОГРНИП", "innLE": "ИНН ЮЛ", "fullName": "ФИО",
         "location": "место нахождения", "organization": "наименование организации", "commonName": "CN", "locality": "населённый пункт",
         "stateOrProvince": "субъект РФ", "street": "адрес"][name] ?? name
    }
}

struct SignerOrganizationCheck: SignatureCheck {
    static let name = "signer-organization"
    static let buildingBlock = BuildingBlock.qualification
    static let subIndication = SubIndication.chainConstraintsFailure
    static let title = LocalizedText(ru: "Организация подписанта", en: "Signer's organisation")
    static let summary = LocalizedText(ru: "подписант принадлежит разрешённой организации (по ОГРН / ИНН ЮЛ)",
                                       en: "the signer belongs to an allowed organisation (by ОГРН / ИНН ЮЛ)")
    static let parameters = [ParameterInfo("ogrn", "list of: ОГРН (13 digits)"), ParameterInfo("innLE", "list of: ИНН ЮЛ (10 digits)")]
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "organization.passed", "organization.by-power-of-attorney", "organization.failed"]

    var ogrn: [String] = []
    var innLE: [String] = []

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case ogrn, innLE }

    init(ogrn: [String] = [], innLE: [String] = []) {
        self.ogrn = ogrn
        self.innLE = innLE
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ogrn = try c.decodeIfPresent([String].self, forKey: .ogrn, matching: NumberForm.ogrn.0, form: NumberForm.ogrn.1) ?? []
        innLE = try c.decodeIfPresent([String].self, forKey: .innLE, matching: NumberForm.innLE.0, form: NumberForm.innLE.1) ?? []
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let ogrn = cert.attribute(OID.ogrn)
        let inn = cert.attribute(OID.innLE)
        if (ogrn.map { self.ogrn.contains($0) } ?? false) || (inn.map { innLE.contains($0) } ?? false) {
            return .pass(Message("organization.passed", ["organization": cert.attribute(OID.organization) ?? ogrn ?? inn ?? ""]))
        }
        // A person with a personal certificate acts for the organisation under its power of attorney (whose validity
        // the power-of-attorney rule judges).
        if ogrn == nil, inn == nil {
            let signer = PowerOfAttorneyCheck.person(cert)
            if let power = (c.evidence.powersOfAttorney ?? []).first(where: { power in
                power.allRepresentatives.contains { PowerOfAttorneyCheck.same($0, signer) }
                    && ((power.principalOGRN.map { self.ogrn.contains($0) } ?? false) || (power.principalINNLE.map { innLE.contains($0) } ?? false))
            }) {
                return .pass(Message("organization.by-power-of-attorney", ["organization": power.principalOrganization ?? power.principalOGRN ?? "—",
                                                                         "number": power.number ?? "—"]))
            }
        }
        return .fail(.chainConstraintsFailure, Message("organization.failed", ["ogrn": ogrn ?? "—", "inn": inn ?? "—"]))
    }
}

/// The dated rules of the 2019 amendments about organisations' certificates that name a person: `issuedFrom` —
/// from that day such certificates of persons acting without a power of attorney come only from `issuers` (УЦ ФНС;
/// state bodies: УЦ Казначейства; the financial market: УЦ Банка России), so one issued later by another CA is not
/// a head's certificate; `signedFrom` — from that day an organisation's certificate naming an employee (one not from
/// `issuers`) no longer serves to sign for the organisation: the employee signs with a personal certificate and a
/// power of attorney.
struct OrganisationCertificateCheck: SignatureCheck {
    static let name = "organisation-certificate"
    static let buildingBlock = BuildingBlock.qualification
    static let subIndication = SubIndication.chainConstraintsFailure
    static let title = LocalizedText(ru: "Сертификат организации", en: "Organisation's certificate")
    static let summary = LocalizedText(ru: "сертификат организации, называющий человека, выдан тем УЦ, который по закону выдаёт такие сертификаты (УЦ ФНС, Казначейства, Банка России)",
                                       en: "an organisation's certificate naming a person comes from a CA the law allows to issue it (FNS, Treasury, Bank of Russia)")
    static let defaultIssuers = [SignerRole.Operators.fns, SignerRole.Operators.treasury, SignerRole.Operators.bank]
    static let parameters = [ParameterInfo("issuers", "list of: ИНН ЮЛ (10 digits)", default: "[" + defaultIssuers.joined(separator: ", ") + "]"),
                             ParameterInfo("issuedFrom", "date"), ParameterInfo("signedFrom", "date")]
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "organisation-certificate.personal", "organisation-certificate.lawful-issuer",
                              "organisation-certificate.employee", "organisation-certificate.not-head", "organisation-certificate.transitional"]

    var issuers: [String] = Self.defaultIssuers
    var issuedFrom: Date?
    var signedFrom: Date?

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case issuers, issuedFrom, signedFrom }

    init(issuers: [String] = Self.defaultIssuers, issuedFrom: Date? = nil, signedFrom: Date? = nil) {
        self.issuers = issuers
        self.issuedFrom = issuedFrom
        self.signedFrom = signedFrom
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        issuers = try c.decodeIfPresent([String].self, forKey: .issuers, matching: NumberForm.innLE.0, form: NumberForm.innLE.1) ?? Self.defaultIssuers
        issuedFrom = try c.decodeIfPresent(Date.self, forKey: .issuedFrom)
        signedFrom = try c.decodeIfPresent(Date.self, forKey: .signedFrom)
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate, let role = c.signerRole else { return .notApplicable(Message("chain.no-certificate")) }
        let organisation = cert.attribute(OID.organization) ?? role.organisationINNLE ?? "—"
        guard role.namesOrganisation else { return .notApplicable(Message("organisation-certificate.personal")) }
        if role.issuedBy(issuers) {
            return .pass(Message("organisation-certificate.lawful-issuer", ["organisation": organisation, "issuer": role.issuerINNLE ?? "—"]))
        }
        if role.holder == .organisationPerson, let from = signedFrom, c.bestSignatureTime >= from {
            return .fail(.chainConstraintsFailure, Message("organisation-certificate.employee", [
                "organisation": organisation, "since": Format.day(from), "time": Format.date(c.bestSignatureTime)]))
        }
        if let from = issuedFrom, cert.notBefore >= from {
            return .fail(.chainConstraintsFailure, Message("organisation-certificate.not-head", [
                "organisation": organisation, "issued": Format.day(cert.notBefore), "since": Format.day(from)]))
        }
        return .pass(Message("organisation-certificate.transitional", ["organisation": organisation, "issued": Format.day(cert.notBefore)]))
    }
}

/// The certificate profiles, as a check of their own: what RFC 5280 §6 path validation does not look at (and
/// OpenSSL's X509_STRICT mode used to turn into path failures), and the form приказ ФСБ России № 795 prescribes for
/// a qualified certificate. A profile breach is reported — warned about by default; a policy that requires the
/// profile fails the signature (in `ru-63fz-qualified` a certificate not in the form of a qualified certificate is not
/// a qualified certificate) — never a broken path.
struct CertificateProfileCheck: SignatureCheck {
    static let name = "certificate-profile"
    static let buildingBlock = BuildingBlock.x509CertificateValidation
    static let subIndication = SubIndication.chainConstraintsFailure
    static let title = LocalizedText(ru: "Профиль сертификатов", en: "Certificate profile")
    static let summary = LocalizedText(ru: "сертификаты составлены по профилю (RFC 5280, разд. 4; для квалифицированного сертификата — по приказу ФСБ России № 795)",
                                       en: "the certificates follow their profile (RFC 5280 §4; for a qualified certificate, FSB Order No. 795)")
    static let parameters: [ParameterInfo] = [.choices("profiles", CertificateProfileName.self, default: [.rfc5280])]
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "profile.passed", "profile.failed"] + Finding.allCases.map(findingKey)

    /// `profile.finding.caWithoutKeyUsage`, …: what a profile asks and a certificate lacks.
    static func findingKey(_ finding: Finding) -> MessageKey { MessageKey("profile.finding." + finding.rawValue) }

    var profiles: [CertificateProfileName] = [.rfc5280]

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case profiles }

    init(profiles: [CertificateProfileName] = [.rfc5280]) { self.profiles = profiles }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        profiles = try c.decodeIfPresent([CertificateProfileName].self, forKey: .profiles) ?? [.rfc5280]
    }

    /// What a profile asks and a certificate lacks.
    enum Finding: String, CaseIterable {
        // RFC 5280 §4.
        case caBasicConstraintsNotCritical, caWithoutKeyUsage, caWithoutCertSign, caWithoutSubjectKeyIdentifier
        case anchorNotCA, missingAuthorityKeyIdentifier, obsoleteAuthorityKeyIdentifier, keyUsageEmpty, emptySubject
        // Приказ ФСБ России № 795 (the signer's qualified certificate).
        case noSubjectSignTool, noIssuerSignTool, noKeyUsage, noCertificatePolicies

        var profile: CertificateProfileName {
            switch self {
            case .noSubjectSignTool, .noIssuerSignTool, .noKeyUsage, .noCertificatePolicies: .fsb795
            default: .rfc5280
            }
        }
    }

    static let basicConstraints = "2.5.29.19", keyUsage = "2.5.29.15", authorityKeyID = "2.5.29.35", obsoleteAuthorityKeyID = "2.5.29.1"
    static let subjectKeyID = "2.5.29.14", issuerSignTool = "1.2.643.100.112", certificatePolicies = "2.5.29.32"

    /// The findings for one certificate of the path (`index` 0 is the signer's; `anchor` the path's trust anchor).
    static func findings(_ info: CertificateInfo, index: Int, anchor: Bool, profiles: Set<CertificateProfileName>) -> [Finding] {
        var found: [Finding] = []
        let extensions = Dictionary(info.extensions.map { ($0.oid, $0.critical) }) { a, _ in a }
        if profiles.contains(.rfc5280) {
            if anchor {
                // §6.1.1 (d) does not need them, but §4.2.1.9 asks a CA certificate to say it is one.
                if extensions[basicConstraints] == nil || !info.isCA { found.append(.anchorNotCA) }
            } else if info.isCA || index > 0 {
                if extensions[basicConstraints] == false { found.append(.caBasicConstraintsNotCritical) }
                if info.keyUsage == nil { found.append(.caWithoutKeyUsage) } else if !(info.keyUsage ?? []).contains("keyCertSign") { found.append(.caWithoutCertSign) }
                if extensions[subjectKeyID] == nil { found.append(.caWithoutSubjectKeyIdentifier) }
            }
            if !info.selfIssued || !anchor {
                if extensions[authorityKeyID] == nil {
                    found.append(extensions[obsoleteAuthorityKeyID] != nil ? .obsoleteAuthorityKeyIdentifier : .missingAuthorityKeyIdentifier)
                }
            }
            if let usage = info.keyUsage, usage.isEmpty { found.append(.keyUsageEmpty) }
            if info.subject.isEmpty { found.append(.emptySubject) }
        }
        if profiles.contains(.fsb795), index == 0 {
            if info.subjectSignTool == nil && extensions[OID.subjectSignTool] == nil { found.append(.noSubjectSignTool) }
            if extensions[issuerSignTool] == nil { found.append(.noIssuerSignTool) }
            if info.keyUsage == nil { found.append(.noKeyUsage) }
            if extensions[certificatePolicies] == nil { found.append(.noCertificatePolicies) }
        }
        return found
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard c.chain != nil else { return .notApplicable(Message("chain.no-certificate")) }
        let wanted = Set(profiles)
        var notes: [Message] = []
        for (index, item) in c.pathCertificates.enumerated() {
            for finding in Self.findings(item.info, index: index, anchor: c.isAnchor(index), profiles: wanted) {
                notes.append(Message(Self.findingKey(finding), ["subject": item.info.displayName]))
            }
        }
        let names = profiles.map { $0 == .rfc5280 ? "RFC 5280" : "приказ ФСБ № 795" }.joined(separator: ", ")
        if notes.isEmpty { return .pass(Message("profile.passed", ["profiles": names])) }
        return .fail(.chainConstraintsFailure, Message("profile.failed", parts: ["findings": notes], ["profiles": names]))
    }
}

/// A check that names a trust list the policy must declare under `trustLists`.
protocol NamesTrustList {
    var trustListName: String? { get }
}

extension ChainCheck: NamesTrustList {
    var trustListName: String? { trustList }
}

extension AccreditedCACheck: NamesTrustList {
    var trustListName: String? { trustList }
}

extension TrustedTimeCheck: NamesTrustList {
    var trustListName: String? { trustList }
}
