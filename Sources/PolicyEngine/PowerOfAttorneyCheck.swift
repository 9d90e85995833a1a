import EvidenceModel
import Foundation

/// The `power-of-attorney` check (63-ФЗ ст. 17.3; Приказ ФНС ЕД-7-26/445@, format EMCHD_1): a signer acting for an
/// organisation must hold a machine-readable power of attorney that
/// 1. names the signer as representative (by СНИЛС or ИНН, never by name);
/// 2. is in force at the signature's proven time (`ДатаВыдДовер` ≤ time ≤ `СрокДейст`);
/// 3. is signed by the person acting for the principal, and that signature passes this same policy;
/// 4. grants the power code the document type requires (`powerCode` in the policy's document types);
/// 5. for a re-delegation, derives from a parent power of attorney that passes the same tests and empowers the
///    person who re-delegated.
/// The ФНС registry (revocation of a power of attorney) is not consulted: the report says so.
enum PowerOfAttorneyCheck {
    typealias Person = PowerOfAttorneyEvidence.Person

    static func run(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        let required = rule.params["required"]?.bool == true
        let all = c.evidence.powersOfAttorney ?? []
        if c.nested || all.isEmpty {
            if required && !c.nested { return .fail(.sigConstraintsFailure, Message("poa.missing")) }
            return .notApplicable(Message("poa.none"))
        }
        if let bad = all.first(where: { !$0.parsed }) {
            return .fail(.formatFailure, Message("poa.unreadable", ["name": bad.name ?? "—", "error": bad.error ?? ""]))
        }
        let signer = person(c.certificate)
        guard let main = all.first(where: { same($0.representative, signer) }) else {
            return .fail(.sigConstraintsFailure, Message("poa.representative", [
                "snils": signer.snils ?? "—", "inn": signer.inn ?? "—",
                "names": all.map { describe($0.representative) }.joined(separator: "; "),
            ]))
        }
        let time = c.bestSignatureTime
        var current = main
        var numbers: [String] = []
        while true {
            let number = current.number ?? "—"
            guard !numbers.contains(number), numbers.count < 10 else {
                return .fail(.sigConstraintsFailure, Message("poa.cycle", ["number": number]))
            }
            numbers.append(number)
            if let issued = current.issued, time < issued {
                return .fail(.sigConstraintsFailure, Message("poa.not-yet", ["number": number, "from": Format.date(issued), "time": Format.date(time)]))
            }
            if let until = current.validUntil, time > until {
                return .fail(.sigConstraintsFailure, Message("poa.expired", ["number": number, "until": Format.date(until), "time": Format.date(time)]))
            }
            guard let signature = current.signatures.first else {
                return .fail(.sigConstraintsFailure, Message("poa.unsigned", ["number": number]))
            }
            var options = JudgementOptions(language: c.language, validationTime: c.validationTime, trustLists: c.trustLists)
            options.nested = true
            let judged = PolicyEngine().judge(signature, policy: c.policy, options: options)
            guard judged.indication == .totalPassed else {
                return .fail(judged.subIndication ?? .sigConstraintsFailure, Message("poa.signature", [
                    "number": number, "reason": judged.signatures.first?.reason ?? judged.documentChecks.first?.message ?? "",
                ]))
            }
            let signedBy = person(signature.signers.first?.signerCertificate.flatMap { signature.certificates[$0] })
            guard same(current.principalSigner, signedBy) else {
                return .fail(.sigConstraintsFailure, Message("poa.principal", [
                    "number": number, "expected": describe(current.principalSigner), "actual": describe(signedBy),
                ]))
            }
            if let code = c.documentType?.powerCode, !current.powerCodes.contains(code) {
                return .fail(.sigConstraintsFailure, Message("poa.power", [
                    "number": number, "code": code, "codes": current.powerCodes.isEmpty ? "—" : current.powerCodes.joined(separator: ", "),
                ]))
            }
            guard let parentNumber = current.parentNumber else { break }
            guard let parent = all.first(where: { $0.number == parentNumber }) else {
                return .fail(.sigConstraintsFailure, Message("poa.parent-missing", ["number": number, "parent": parentNumber]))
            }
            guard same(parent.representative, current.principalSigner) else {
                return .fail(.sigConstraintsFailure, Message("poa.parent-representative", ["number": number, "parent": parentNumber]))
            }
            current = parent
        }
        return .pass(Message("poa.passed", [
            "numbers": numbers.joined(separator: " ← "), "principal": main.principalOrganization ?? describe(main.principalSigner),
            "time": Format.date(time), "codes": main.powerCodes.isEmpty ? "—" : main.powerCodes.joined(separator: ", "),
        ]))
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
        if let snils = person.snils { parts.append("СНИЛС \(snils)") }
        if let inn = person.inn { parts.append("ИНН \(inn)") }
        return parts.isEmpty ? "—" : parts.joined(separator: ", ")
    }
}
