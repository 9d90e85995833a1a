import EvidenceModel
import Foundation

/// The `power-of-attorney` check (63-ФЗ ст. 17.2, 17.5; ГК РФ ст. 185–189; format EMCHD_1, приказ Минцифры России
/// № 857). Whether a power of attorney is needed follows from who the certificate names (``SignerRole``):
///
/// - an official of a state or municipal body signing with a certificate of УЦ Федерального казначейства needs none
///   (ч. 3 ст. 17.2); nor does the person acting for an organisation without a power of attorney (a certificate of
///   УЦ ФНС naming the organisation and its head), nor a certificate that names only an organisation;
/// - a person with a personal certificate signing for an organisation (a document type with a `powerCode`, or
///   `required: true`) needs one; so does the holder of an organisation's certificate naming an employee from
///   `employeeCertificatesUntil` (2023-09-01).
///
/// A power of attorney, when needed, must
/// 1. name the signer as representative (by СНИЛС or ИНН, never by name), and be issued by the organisation the
///    signer's certificate names, if it names one;
/// 2. be in force at the signature's proven time (`ДатаВыдДовер` ≤ time ≤ `СрокДейст`, Moscow days);
/// 3. carry the signature of the person acting for the principal, judged under the same policy **at the power of
///    attorney's issue**: its own timestamp, else the issue day (a claimed time, and the report says so); that
///    person's certificate must name the principal organisation and, when issued from 2022-01-01, come from
///    `headIssuers` (УЦ ФНС; for state bodies УЦ Казначейства; for the financial market УЦ Банка России);
/// 4. grant the power code the document type requires (`СвПолн/МашПолн/@КодПолн`);
/// 5. for a re-delegation (`Передов`): derive from a parent that allows it (`ПрПередов` 2 or 3; 2 only once), no
///    longer than the parent (ГК РФ ст. 187), issued while the parent was in force, passing on only powers the parent
///    grants, by the parent's representative — recursively; and a representative who re-delegated a power of attorney
///    that says the powers are lost on re-delegation (`ПрУтрПолн="1"`) no longer holds them;
/// 6. not be revoked in the ФНС registry before the signing time, when the registry's answer is supplied
///    (`requireRegistryStatus: true` makes that answer mandatory; podpis does not query the registry itself).
enum PowerOfAttorneyCheck {
    typealias Person = PowerOfAttorneyEvidence.Person

    typealias Parameters = PowerOfAttorneyRequirement

    static func run(_ parameters: Parameters, _ c: SignerContext) -> CheckVerdict {
        if c.nested { return .notApplicable(Message("poa.none")) }
        let all = c.evidence.powersOfAttorney ?? []
        let time = c.bestSignatureTime
        guard let certificate = c.certificate, let role = c.signerRole else { return .notApplicable(Message("chain.no-certificate")) }

        // Who needs no power of attorney at all.
        if role.holder == .organisationPerson, role.issuedBy(parameters.stateIssuers) {
            return .notApplicable(Message("poa.state-official", ["organisation": certificate.attribute(OID.organization) ?? role.organisationINNLE ?? "—"]))
        }
        if role.holder == .organisationPerson, role.issuedBy(parameters.headIssuers) {
            return .notApplicable(Message("poa.head", ["organisation": certificate.attribute(OID.organization) ?? role.organisationINNLE ?? "—"]))
        }
        if role.holder == .organisation {
            return .notApplicable(Message("poa.organisation-only", ["organisation": certificate.attribute(OID.organization) ?? role.organisationINNLE ?? "—"]))
        }
        let actsForOrganisation = parameters.required || c.documentType?.powerCode != nil
        let needed: Bool
        switch role.holder {
        case .person: needed = actsForOrganisation
        case .organisationPerson: needed = parameters.required || (actsForOrganisation && time >= parameters.employeeCertificatesUntil)
        case .entrepreneur, .organisation: needed = parameters.required
        }
        if all.isEmpty {
            return needed ? .fail(.sigConstraintsFailure, Message("poa.missing")) : .notApplicable(Message("poa.none"))
        }
        if let bad = all.first(where: { !$0.parsed }) {
            return .fail(.formatFailure, Message("poa.unreadable", ["name": bad.name ?? "—", "error": bad.error ?? ""]))
        }
        let signer = person(certificate)
        guard let main = all.first(where: { power in power.allRepresentatives.contains { same($0, signer) } }) else {
            guard needed else { return .notApplicable(Message("poa.none")) }
            return .fail(.sigConstraintsFailure, Message("poa.representative", [
                "snils": signer.snils.map(formatSNILS) ?? "—", "inn": signer.inn ?? "—",
                "names": all.flatMap { $0.allRepresentatives.map(describe) }.joined(separator: "; "),
            ]))
        }
        // The organisation the signer's certificate names must be the principal.
        if let mismatch = organisationMismatch(role, main) {
            return .fail(.sigConstraintsFailure, Message("poa.organisation", mismatch))
        }

        var current = main
        var numbers: [String] = []
        var notes: [Message] = []
        var child: PowerOfAttorneyEvidence? = nil
        while true {
            let number = current.number ?? "—"
            guard !numbers.contains(number), numbers.count < 10 else {
                return .fail(.sigConstraintsFailure, Message("poa.cycle", ["number": number]))
            }
            numbers.append(number)
            if let issued = current.issued, time < issued {
                return .fail(.sigConstraintsFailure, Message("poa.not-yet", ["number": number, "from": Format.day(issued), "time": Format.date(time)]))
            }
            if let until = current.validUntil, time > until {
                return .fail(.sigConstraintsFailure, Message("poa.expired", ["number": number, "until": Format.day(until), "time": Format.date(time)]))
            }
            if let verdict = registry(current, time: time, parameters: parameters, notes: &notes) { return verdict }
            // The signatures over the power of attorney: each judged at its issue; the right person (or, for joint
            // powers, every one of them) must have signed.
            guard !current.signatures.isEmpty else {
                return .fail(.sigConstraintsFailure, Message("poa.unsigned", ["number": number]))
            }
            var signedBy: [(person: Person, problem: CheckVerdict?)] = []
            for signature in current.signatures {
                switch judgeSignature(signature, of: current, c, parameters: parameters) {
                case .failure(let verdict): return verdict
                case .success(let who, let note, let problem):
                    signedBy.append((who, problem))
                    if let note { notes.append(note) }
                }
            }
            let expected = current.signersForPrincipal
            let byExpected = signedBy.filter { who in expected.contains { same($0, who.person) } }
            if current.jointSigners == true {
                if let missing = expected.first(where: { person in !signedBy.contains { same($0.person, person) } }) {
                    return .fail(.sigConstraintsFailure, Message("poa.joint", ["number": number, "missing": describe(missing)]))
                }
            } else if byExpected.isEmpty {
                return .fail(.sigConstraintsFailure, Message("poa.principal", [
                    "number": number, "expected": expected.map(describe).joined(separator: "; "),
                    "actual": signedBy.map { describe($0.person) }.joined(separator: "; "),
                ]))
            }
            // The person who signed for the organisation did so with a certificate fit for it.
            if let problem = byExpected.compactMap(\.problem).first { return problem }
            if current.number == main.number, let code = c.documentType?.powerCode, !current.powerCodes.contains(code) {
                return .fail(.sigConstraintsFailure, Message(current.powerCodes.isEmpty ? "poa.power-text-only" : "poa.power", [
                    "number": number, "code": code, "codes": current.powerCodes.isEmpty ? "—" : current.powerCodes.joined(separator: ", "),
                ]))
            }
            // ПрУтрПолн: a representative who passed the powers on under a power of attorney saying they are then
            // lost no longer holds them (only the re-delegations given here are known).
            if current.number == main.number, current.powersLostOnRedelegation == true,
               let passedOn = all.first(where: { $0.parentNumber == current.number && $0.number != current.number
                   && ($0.issued.map { $0 <= time } ?? false) && $0.signersForPrincipal.contains { same($0, signer) } }) {
                return .fail(.sigConstraintsFailure, Message("poa.powers-lost", [
                    "number": number, "child": passedOn.number ?? "—", "date": passedOn.issued.map(Format.day) ?? "—",
                ]))
            }
            guard let parentNumber = current.parentNumber else { break }
            guard let parent = all.first(where: { $0.number?.lowercased() == parentNumber.lowercased() }) else {
                return .fail(.sigConstraintsFailure, Message("poa.parent-missing", ["number": number, "parent": parentNumber]))
            }
            if let verdict = redelegationRules(current, parent: parent, grandchild: child) { return verdict }
            child = current
            current = parent
        }
        if !notes.contains(where: { $0.key.rawValue.hasPrefix("poa.registry") }) { notes.append(Message("poa.registry-not-queried")) }
        return .pass(Message("poa.passed", parts: ["notes": notes], [
            "numbers": numbers.joined(separator: " ← "),
            "principal": main.principalOrganization ?? main.signersForPrincipal.first.map(describe) ?? "—",
            "time": Format.date(time), "codes": main.powerCodes.isEmpty ? "—" : main.powerCodes.joined(separator: ", "),
        ]))
    }

    /// ГК РФ ст. 187: the parent must allow re-delegation (only once for `ПрПередов="2"`), the re-delegation may not
    /// outlast it, must be issued while it is in force, may pass on only powers it grants, and must be made by the
    /// person it empowers.
    static func redelegationRules(_ current: PowerOfAttorneyEvidence, parent: PowerOfAttorneyEvidence,
                                  grandchild: PowerOfAttorneyEvidence?) -> CheckVerdict? {
        let number = current.number ?? "—"
        let parentNumber = parent.number ?? "—"
        switch parent.redelegation {
        case "2", "3": break
        case "1": return .fail(.sigConstraintsFailure, Message("poa.redelegation-forbidden", ["number": number, "parent": parentNumber]))
        default: return .fail(.sigConstraintsFailure, Message("poa.redelegation-unknown", ["number": number, "parent": parentNumber,
                                                                                            "value": parent.redelegation ?? "—"]))
        }
        // «Однократное передоверие»: what was re-delegated under a once-only power of attorney is not re-delegated again.
        if parent.redelegation == "2", grandchild != nil {
            return .fail(.sigConstraintsFailure, Message("poa.redelegation-once", ["number": grandchild?.number ?? "—", "parent": parentNumber, "child": number]))
        }
        if let until = current.validUntil, let parentUntil = parent.validUntil, until > parentUntil {
            return .fail(.sigConstraintsFailure, Message("poa.redelegation-term", [
                "number": number, "until": Format.day(until), "parent": parentNumber, "parentUntil": Format.day(parentUntil),
            ]))
        }
        if let issued = current.issued, (parent.issued.map { issued < $0 } ?? false) || (parent.validUntil.map { issued > $0 } ?? false) {
            return .fail(.sigConstraintsFailure, Message("poa.redelegation-issued", [
                "number": number, "issued": Format.day(issued), "parent": parentNumber,
                "from": parent.issued.map(Format.day) ?? "—", "until": parent.validUntil.map(Format.day) ?? "—",
            ]))
        }
        if !parent.powerCodes.isEmpty, let extra = current.powerCodes.first(where: { !parent.powerCodes.contains($0) }) {
            return .fail(.sigConstraintsFailure, Message("poa.redelegation-powers", ["number": number, "code": extra, "parent": parentNumber]))
        }
        guard current.signersForPrincipal.contains(where: { who in parent.allRepresentatives.contains { same($0, who) } }) else {
            return .fail(.sigConstraintsFailure, Message("poa.parent-representative", ["number": number, "parent": parentNumber]))
        }
        return nil
    }

    /// The registry's answer, when supplied; `nil` when nothing fails.
    static func registry(_ power: PowerOfAttorneyEvidence, time: Date, parameters: Parameters, notes: inout [Message]) -> CheckVerdict? {
        let number = power.number ?? "—"
        guard let status = power.registryStatus else {
            if parameters.requireRegistryStatus {
                return .fail(.tryLater, Message("poa.registry-missing", ["number": number]))
            }
            return nil
        }
        let checked = status.checkedAt.map(Format.date) ?? "—"
        switch status.status {
        case "revoked":
            if let revoked = status.revokedAt, revoked > time {
                notes.append(Message("poa.registry-revoked-after", ["number": number, "date": Format.date(revoked)]))
                return nil
            }
            return .fail(.sigConstraintsFailure, Message("poa.registry-revoked", [
                "number": number, "date": status.revokedAt.map(Format.date) ?? "—", "time": Format.date(time),
            ]))
        case "active", "expired":
            if let at = status.checkedAt, at >= time {
                notes.append(Message("poa.registry-active", ["number": number, "checked": checked]))
                return nil
            }
            if parameters.requireRegistryStatus {
                return .fail(.tryLater, Message("poa.registry-stale", ["number": number, "checked": checked, "time": Format.date(time)]))
            }
            notes.append(Message("poa.registry-stale-note", ["number": number, "checked": checked]))
            return nil
        default:
            if parameters.requireRegistryStatus {
                return .fail(.tryLater, Message("poa.registry-unknown", ["number": number, "status": status.statusText ?? status.status]))
            }
            notes.append(Message("poa.registry-unknown", ["number": number, "status": status.statusText ?? status.status]))
            return nil
        }
    }

    enum SignatureOutcome {
        /// Who signed, a note on the moment judged, and what is wrong with the certificate for signing on the
        /// organisation's behalf (reported only when that person is the one who had to sign).
        case success(Person, Message?, CheckVerdict?)
        case failure(CheckVerdict)
    }

    /// Judges one signature over a power of attorney under the same policy, at the power of attorney's issue: at
    /// its own timestamp when it has one, else on the issue day (the signature's claimed time when it falls on that
    /// day, else the day's end) — a claimed moment, which the report says.
    static func judgeSignature(_ signature: Evidence, of power: PowerOfAttorneyEvidence, _ c: SignerContext,
                               parameters: Parameters) -> SignatureOutcome {
        let number = power.number ?? "—"
        var options = JudgementOptions(language: c.language, validationTime: c.validationTime, trustLists: c.trustLists)
        options.attestations = c.attestations
        options.nested = true
        var judged = PolicyEngine().judge(signature, policy: c.policy, options: options)
        var note: Message? = nil
        let proven = judged.signatures.first.map { report in
            report.timestamps.contains { $0.indication == .passed && ($0.type == .signature || $0.type == .archive) }
        } ?? false
        if !proven, let issued = power.issued {
            let dayEnd = issued.addingTimeInterval(86_400 - 1)
            let claimed = signature.signers.first?.claimedSigningTime.flatMap { $0 >= issued && $0 <= dayEnd ? $0 : nil }
            let moment = min(claimed ?? dayEnd, c.validationTime)
            options.validationTime = moment
            judged = PolicyEngine().judge(signature, policy: c.policy, options: options)
            note = Message("poa.claimed-moment", ["number": number, "time": Format.date(moment)])
        }
        guard judged.indication == .totalPassed else {
            return .failure(.fail(judged.subIndication ?? .sigConstraintsFailure, Message("poa.signature", [
                "number": number, "reason": judged.signatures.first?.reason ?? judged.documentChecks.first?.message ?? "",
            ])))
        }
        let signerInfo = signature.signers.first?.signerCertificate.flatMap { signature.certificates[$0] }
        let who = person(signerInfo)
        // The certificate of whoever signs for an organisation must name that organisation; a head's certificate
        // issued from 2022-01-01 comes only from the operators the law names.
        var problem: CheckVerdict? = nil
        if let info = signerInfo, power.kind != .redelegation, let principalINN = power.principalINNLE {
            let issuer = signature.certificates.values.first { $0.subject == info.issuer && $0.sha256 != info.sha256 }
            let role = SignerRole(info, issuer: issuer)
            if let inn = role.organisationINNLE {
                if inn != digits(principalINN) {
                    problem = .fail(.sigConstraintsFailure, Message("poa.head-other-organisation", ["number": number, "inn": inn, "principal": principalINN]))
                } else if info.notBefore >= parameters.headIssuersFrom, !role.issuedBy(parameters.headIssuers) {
                    problem = .fail(.sigConstraintsFailure, Message("poa.head-issuer", [
                        "number": number, "issued": Format.day(info.notBefore), "since": Format.day(parameters.headIssuersFrom),
                    ]))
                }
            } else {
                problem = .fail(.sigConstraintsFailure, Message("poa.head-no-organisation", ["number": number, "inn": principalINN]))
            }
        }
        return .success(who, note, problem)
    }

    /// The organisation named by the signer's certificate (if any) must be the principal of the power of attorney.
    static func organisationMismatch(_ role: SignerRole, _ power: PowerOfAttorneyEvidence) -> [String: String]? {
        if let inn = role.organisationINNLE, let principal = power.principalINNLE, inn != digits(principal) {
            return ["number": power.number ?? "—", "certificate": "ИНН ЮЛ \(inn)", "principal": "ИНН ЮЛ \(principal)"]
        }
        if let ogrn = role.organisationOGRN, let principal = power.principalOGRN, ogrn != digits(principal) {
            return ["number": power.number ?? "—", "certificate": "ОГРН \(ogrn)", "principal": "ОГРН \(principal)"]
        }
        return nil
    }

    static func person(_ certificate: CertificateInfo?) -> Person {
        Person(snils: certificate?.attribute(OID.snils).map(digits), inn: certificate?.attribute(OID.inn).map(digits),
               name: certificate?.displayName)
    }

    /// The same person: equal СНИЛС, or equal personal ИНН (never by name).
    static func same(_ a: Person, _ b: Person) -> Bool {
        if let x = a.snils.map(digits), let y = b.snils.map(digits), !x.isEmpty, x == y { return true }
        if let x = a.inn.map(digits), let y = b.inn.map(digits), !x.isEmpty, x == y { return true }
        return false
    }

    static func digits(_ text: String) -> String { String(text.filter(\.isNumber)) }

    static func describe(_ person: Person) -> String {
        var parts: [String] = []
        if let name = person.name { parts.append(name) }
        if let snils = person.snils { parts.append("СНИЛС \(formatSNILS(snils))") }
        if let inn = person.inn { parts.append("ИНН \(inn)") }
        return parts.isEmpty ? "—" : parts.joined(separator: ", ")
    }

    /// `12345678901` → `123-456-789 01`.
    static func formatSNILS(_ text: String) -> String {
        let d = Array(digits(text))
        guard d.count == 11 else { return text }
        return "\(String(d[0..<3]))-\(String(d[3..<6]))-\(String(d[6..<9])) \(String(d[9..<11]))"
    }
}

/// The `power-of-attorney` check's parameters: the law's dates and CA operators, which a policy may override.
struct PowerOfAttorneyRequirement: SignatureCheck {
    static let name = "power-of-attorney"
    static let buildingBlock = BuildingBlock.qualification
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Машиночитаемая доверенность", en: "Machine-readable power of attorney")
    static let summary = LocalizedText(
        ru: "подписант действует по машиночитаемой доверенности (МЧД): подписана доверителем, действует на момент подписания, выдана ему, содержит нужное полномочие",
        en: "the signer acts under a machine-readable power of attorney (МЧД): signed by the principal, in force at signing, issued to the signer, granting the required power")
    static let defaultHeadIssuers = [SignerRole.Operators.fns, SignerRole.Operators.treasury, SignerRole.Operators.bank]
    static let parameters = [
        ParameterInfo("required", "true/false", default: "false"),
        ParameterInfo("stateIssuers", "list of: ИНН ЮЛ (10 digits)", default: "[\(SignerRole.Operators.treasury)]"),
        ParameterInfo("headIssuers", "list of: ИНН ЮЛ (10 digits)", default: "[" + defaultHeadIssuers.joined(separator: ", ") + "]"),
        ParameterInfo("headIssuersFrom", "date", default: "2022-01-01"), ParameterInfo("employeeCertificatesUntil", "date", default: "2023-09-01"),
        ParameterInfo("requireRegistryStatus", "true/false", default: "false"),
    ]
    static let messageKeys = PowerOfAttorneyMessages.keys

    var required = false
    var stateIssuers = [SignerRole.Operators.treasury]
    var headIssuers = Self.defaultHeadIssuers
    var headIssuersFrom = PolicyDates.parse("2022-01-01")!
    var employeeCertificatesUntil = PolicyDates.parse("2023-09-01")!
    var requireRegistryStatus = false

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys {
        case required, stateIssuers, headIssuers, headIssuersFrom, employeeCertificatesUntil, requireRegistryStatus
    }

    init(required: Bool = false, requireRegistryStatus: Bool = false) {
        self.required = required
        self.requireRegistryStatus = requireRegistryStatus
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
        stateIssuers = try c.decodeIfPresent([String].self, forKey: .stateIssuers, matching: NumberForm.innLE.0, form: NumberForm.innLE.1)
            ?? [SignerRole.Operators.treasury]
        headIssuers = try c.decodeIfPresent([String].self, forKey: .headIssuers, matching: NumberForm.innLE.0, form: NumberForm.innLE.1)
            ?? Self.defaultHeadIssuers
        headIssuersFrom = try c.decodeIfPresent(Date.self, forKey: .headIssuersFrom) ?? PolicyDates.parse("2022-01-01")!
        employeeCertificatesUntil = try c.decodeIfPresent(Date.self, forKey: .employeeCertificatesUntil) ?? PolicyDates.parse("2023-09-01")!
        requireRegistryStatus = try c.decodeIfPresent(Bool.self, forKey: .requireRegistryStatus) ?? false
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict { PowerOfAttorneyCheck.run(self, c) }
}

enum PowerOfAttorneyMessages {
    static let keys: [MessageKey] = ["chain.no-certificate", "poa.claimed-moment", "poa.cycle", "poa.expired", "poa.head", "poa.head-issuer", "poa.head-no-organisation", "poa.head-other-organisation", "poa.joint", "poa.missing", "poa.none", "poa.not-yet", "poa.organisation", "poa.organisation-only", "poa.parent-missing", "poa.parent-representative", "poa.passed", "poa.powers-lost", "poa.principal", "poa.redelegation-forbidden", "poa.redelegation-issued", "poa.redelegation-once", "poa.redelegation-powers", "poa.redelegation-term", "poa.redelegation-unknown", "poa.registry-active", "poa.registry-missing", "poa.registry-not-queried", "poa.registry-revoked", "poa.registry-revoked-after", "poa.registry-stale", "poa.registry-stale-note", "poa.registry-unknown", "poa.representative", "poa.signature", "poa.state-official", "poa.unreadable", "poa.unsigned"]
}
