import EvidenceModel
import Foundation
import PodpisXML
import PodpisContainer
import PodpisPDF
import PolicyEngine
import SigningCore

/// Reads machine-readable powers of attorney (МЧД) in the ФНС format EMCHD_1 (namespace `urn://x-artefacts/EMCHD_1`,
/// schema `ON_EMCHD_1_928_00_01_01_01`, приказ Минцифры России № 857) and gathers the evidence of their signatures.
/// What the power of attorney proves is for the policy to judge (the `power-of-attorney` check, 63-ФЗ ст. 17.2).
///
/// The reader follows the schema's paths, not a search by name (the same element names occur for the principal,
/// the representative and the original principal of a re-delegation):
///
/// - `Доверенность/Документ/Довер` — a power of attorney: `СвДов` (number, dates, `ПрПередов`),
///   `СвДоверит/Доверит` (the principal: `РосОргДовер/СвРосОрг` and its `ЛицоБезДов`, or `ИПДовер`, `ФЛДовер`,
///   `ИнОргДовер`), `СвУпПред/Пред` (the representatives), `СвПолн` (`МашПолн/@КодПолн`, `ТекстПолн`, `ПрУтрПолн`);
/// - `Доверенность/Документ/Передов` — a re-delegation: `СвПервДовер` (the first power of attorney of the chain:
///   `НомДоверПерв`, `НомДоверN`, the original principal), `СвПередов` (the parent, when it is itself a
///   re-delegation), `СвПереДовер` (this one's number and dates), `СвПередПолн` (who passes the powers on),
///   `СвПолучПолн` (who receives them), `СвПолн`.
///
/// Element names are matched without namespace prefixes; XML with a DOCTYPE or processing instructions is refused.
public enum PowerOfAttorneyReader {
    /// An XML power of attorney and the detached signatures over it.
    public struct Input: Sendable {
        public var name: String?
        public var xml: [UInt8]
        public var signatures: [[UInt8]]
        public init(name: String?, xml: [UInt8], signatures: [[UInt8]]) {
            self.name = name
            self.xml = xml
            self.signatures = signatures
        }
    }

    /// An answer of the ФНС registry of powers of attorney, saved to a file (`verify --poa-status FILE`).
    public struct StatusInput: Sendable {
        public var name: String?
        public var bytes: [UInt8]
        public init(name: String?, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    static func failure(_ name: String?, _ sha256: String, _ error: String, version: String? = nil, number: String? = nil) -> PowerOfAttorneyEvidence {
        PowerOfAttorneyEvidence(name: name, sha256: sha256, parsed: false, error: error, formatVersion: version, number: number)
    }

    /// Reads the XML (never throws for bad content: an unreadable power of attorney is evidence too).
    public static func read(_ xml: [UInt8], name: String?) -> PowerOfAttorneyEvidence {
        let sha256 = SHA256.hex(xml)
        guard xml.count <= 4 << 20 else { return failure(name, sha256, "the file is larger than 4 MiB") }
        let root: Element
        do {
            root = try RussianTrustList.tree(xml, what: "power of attorney", subject: name, allowDoctype: false)
        } catch let error as PodpisError {
            return failure(name, sha256, error.message)
        } catch {
            return failure(name, sha256, ErrorText.describe(error))
        }
        guard local(root.name) == "Доверенность" else {
            return failure(name, sha256, "not an EMCHD_1 power of attorney (root element «\(root.name)»)")
        }
        let version = attribute(root, "ВерсФорм")
        guard version == "EMCHD_1" else {
            return failure(name, sha256, "unsupported power-of-attorney format «\(version ?? "none")» (EMCHD_1 expected)", version: version)
        }
        guard let document = child(root, "Документ") else {
            return failure(name, sha256, "the power of attorney has no «Документ» element", version: version)
        }
        var evidence = PowerOfAttorneyEvidence(name: name, sha256: sha256, parsed: true, formatVersion: version)
        let details: Element?
        let powers: Element?
        if let original = child(document, "Довер") {
            evidence.kind = .original
            details = child(original, "СвДов")
            let principals = original.all("СвДоверит").compactMap { child($0, "Доверит") }
            readPrincipal(principals.first, into: &evidence, redelegation: false)
            var signers: [PowerOfAttorneyEvidence.Person] = []
            var joint = false
            for principal in principals { signers += principalSigners(principal, joint: &joint) }
            evidence.principalSigners = signers
            evidence.jointSigners = joint
            evidence.representatives = original.all("СвУпПред").compactMap { child($0, "Пред") }.compactMap(representative)
            powers = child(original, "СвПолн")
        } else if let redelegation = child(document, "Передов") {
            evidence.kind = .redelegation
            details = child(redelegation, "СвПереДовер")
            let first = child(redelegation, "СвПервДовер")
            let parent = child(redelegation, "СвПередов")
            evidence.originalNumber = first.flatMap { attribute($0, "НомДоверПерв") }
            evidence.parentNumber = parent.flatMap { attribute($0, "НомДоверN") } ?? first.flatMap { attribute($0, "НомДоверN") }
                ?? evidence.originalNumber
            let originalPrincipal = first?.all("СвДоверПерв").compactMap { child($0, "ДоверитПерв") }.first
            readPrincipal(originalPrincipal, into: &evidence, redelegation: true)
            var signers: [PowerOfAttorneyEvidence.Person] = []
            var joint = false
            for passing in redelegation.all("СвПередПолн").compactMap({ child($0, "ПередПолн") }) {
                if let person = child(passing, "ФЛПерПолн") {
                    signers.append(self.person(person))
                } else if let organisation = child(passing, "РосОргПерПолн") {
                    signers += principalSigners(organisation, joint: &joint, organisationOnly: true)
                } else if let entrepreneur = child(passing, "ИППерПолн") {
                    signers.append(self.person(entrepreneur))
                } else if let branch = child(passing, "ФилПерПолн"), let head = child(branch, "СвРукФил") {
                    signers.append(self.person(head))
                } else if let foreign = child(passing, "ИнПерПолн") {
                    signers += foreign.all("СвРукОП").map { self.person($0) }
                }
            }
            evidence.principalSigners = signers
            evidence.jointSigners = joint
            evidence.representatives = redelegation.all("СвПолучПолн").compactMap { child($0, "Пред") }.compactMap(representative)
            powers = child(redelegation, "СвПолн")
        } else {
            return failure(name, sha256, "the power of attorney holds neither «Довер» nor «Передов»", version: version)
        }
        evidence.number = details.flatMap { attribute($0, "НомДовер") }
        evidence.internalNumber = details.flatMap { attribute($0, "ВнНомДовер") }
        evidence.redelegation = details.flatMap { attribute($0, "ПрПередов") }
        evidence.issued = details.flatMap { attribute($0, "ДатаВыдДовер") }.flatMap { moscowDay($0, endOfDay: false) }
        evidence.validUntil = details.flatMap { attribute($0, "СрокДейст") }.flatMap { moscowDay($0, endOfDay: true) }
        guard evidence.number != nil, evidence.issued != nil, evidence.validUntil != nil else {
            return failure(name, sha256, "the power of attorney lacks НомДовер, ДатаВыдДовер or СрокДейст (or a date is not YYYY-MM-DD)",
                           version: version, number: evidence.number)
        }
        evidence.principalSigner = evidence.principalSigners?.first ?? PowerOfAttorneyEvidence.Person()
        evidence.representative = evidence.representatives?.first ?? PowerOfAttorneyEvidence.Person()
        if let powers {
            let machine = powers.all("МашПолн").compactMap { node -> PowerOfAttorneyEvidence.Power? in
                attribute(node, "КодПолн").map { PowerOfAttorneyEvidence.Power(code: $0, name: attribute(node, "НаимПолн")) }
            }
            evidence.powers = machine
            evidence.powerCodes = machine.map(\.code)
            evidence.powerTexts = powers.all("ТекстПолн").compactMap { node in
                let text = node.text.trimmingCharacters(in: .whitespacesAndNewlines)
                return text.isEmpty ? nil : text
            }
            switch attribute(powers, "ПрУтрПолн") {
            case "1": evidence.powersLostOnRedelegation = true
            case "2": evidence.powersLostOnRedelegation = false
            default: break
            }
        }
        return evidence
    }

    /// The principal's organisation (or entrepreneur, or person). In `Довер` the Russian organisation is
    /// `РосОргДовер/СвРосОрг`; in the original principal of a re-delegation `РосОргДовер` carries the attributes itself.
    static func readPrincipal(_ principal: Element?, into evidence: inout PowerOfAttorneyEvidence, redelegation: Bool) {
        guard let principal else { return }
        if let russian = child(principal, "РосОргДовер") {
            let organisation = redelegation ? russian : (child(russian, "СвРосОрг") ?? russian)
            evidence.principalOrganization = attribute(organisation, "НаимОрг")
            evidence.principalINNLE = attribute(organisation, "ИННЮЛ")
            evidence.principalOGRN = attribute(organisation, "ОГРН")
        } else if let foreign = child(principal, "ИнОргДовер") {
            let organisation = redelegation ? foreign : (child(foreign, "СвИнОрг") ?? foreign)
            evidence.principalOrganization = attribute(organisation, "НаимИО")
            evidence.principalINNLE = attribute(organisation, "ИННЮЛ")
        } else if let entrepreneur = child(principal, "ИПДовер") {
            evidence.principalOrganization = attribute(entrepreneur, "НаимИП") ?? person(entrepreneur).name
            evidence.principalOGRN = attribute(entrepreneur, "ОГРНИП")
        } else if let individual = child(principal, "ФЛДовер") {
            evidence.principalOrganization = person(individual).name
        }
    }

    /// The persons who may sign for a principal (`Доверит`, or a `РосОргДоверТип` node when `organisationOnly`).
    static func principalSigners(_ principal: Element, joint: inout Bool, organisationOnly: Bool = false) -> [PowerOfAttorneyEvidence.Person] {
        let organisation = organisationOnly ? principal : child(principal, "РосОргДовер")
        if let organisation {
            var result: [PowerOfAttorneyEvidence.Person] = []
            for head in organisation.all("ЛицоБезДов") {
                if attribute(head, "ПолнЮЛ") == "2" { joint = true }
                if let individual = child(head, "СвФЛ") { result.append(person(individual)) }
                if let company = child(head, "СВЮЛ") { result += company.all("СвФЛ").map { person($0) } }
                if let entrepreneur = child(head, "СвИП") { result.append(person(entrepreneur)) }
            }
            return result
        }
        if let foreign = child(principal, "ИнОргДовер") { return foreign.all("СвРукОП").map { person($0) } }
        if let entrepreneur = child(principal, "ИПДовер") { return [person(entrepreneur)] }
        if let individual = child(principal, "ФЛДовер") { return [person(individual)] }
        return []
    }

    /// A representative (`Пред`): a person (`СведФизЛ`) or an entrepreneur (`СведИП`); an organisation as
    /// representative names no person who could sign, so it yields an empty person.
    static func representative(_ node: Element) -> PowerOfAttorneyEvidence.Person? {
        if let individual = child(node, "СведФизЛ") { return person(individual) }
        if let entrepreneur = child(node, "СведИП") { return person(entrepreneur) }
        if let organisation = child(node, "СведОрг") ?? child(node, "СведФилиал") {
            return PowerOfAttorneyEvidence.Person(name: attribute(organisation, "НаимОрг"))
        }
        return nil
    }

    /// A person from a node of type `СвФЛТип`, `СведИПТип`, `ФЛДоверТип` or `ФЛПерПолн`: СНИЛС and ИНН are its
    /// attributes, the name is `СведФЛ/ФИО`.
    static func person(_ node: Element) -> PowerOfAttorneyEvidence.Person {
        let fio = child(node, "СведФЛ").flatMap { child($0, "ФИО") }
        let name = fio.map { fio in ["Фамилия", "Имя", "Отчество"].compactMap { attribute(fio, $0) }.joined(separator: " ") }
        return PowerOfAttorneyEvidence.Person(
            snils: attribute(node, "СНИЛС").map(digits), inn: attribute(node, "ИННФЛ").map(digits),
            name: name.flatMap { $0.isEmpty ? nil : $0 }, position: attribute(node, "Должность"))
    }

    /// Reads each power of attorney and gathers the evidence of every signature over it, with the same trust,
    /// certificates and revocation data as the document's own signatures. Registry answers are attached to the
    /// power of attorney whose number they name; one naming a power of attorney that was not given is an error.
    public static func gather(
        _ inputs: [Input], statuses: [StatusInput] = [], trust: TrustStore, certificates: [X509Certificate],
        crls: [CertificateRevocationList], ocspResponses: [[UInt8]], revocation: RevocationPolicy, validationTime: Date?,
        limits: SignatureLimits = .standard
    ) throws -> [PowerOfAttorneyEvidence] {
        var result = try inputs.map { input in
            var evidence = read(input.xml, name: input.name)
            evidence.signatures = try input.signatures.map { signature in
                try EvidenceCollector.collect(VerificationRequest(
                    signature: signature, signatureName: input.name.map { $0 + ".sig" }, document: .bytes(name: input.name, input.xml),
                    trust: trust, certificates: certificates, crls: crls, validationTime: validationTime,
                    ocspResponses: ocspResponses, revocation: revocation, limits: limits))
            }
            return evidence
        }
        for status in statuses {
            let parsed = try RegistryAnswer.parse(status.bytes, name: status.name)
            let matching = result.indices.filter { index in
                parsed.number.map { result[index].number?.lowercased() == $0.lowercased() } ?? (result.count == 1)
            }
            guard let index = matching.first else {
                throw PodpisError(.dataFormat, "the registry answer is about power of attorney «\(parsed.number ?? "?")», which was not given with --poa",
                                  subject: status.name)
            }
            result[index].registryStatus = parsed
        }
        return result
    }

    // MARK: - XML helpers (names without namespace prefixes)

    typealias Element = RussianTrustList.Element

    static func local(_ name: String) -> String { name.split(separator: ":").last.map(String.init) ?? name }

    /// Attributes are children without their own children, as the tree builder stores them.
    static func attribute(_ element: Element, _ name: String) -> String? {
        element.children.first { local($0.name) == name && $0.children.isEmpty }
            .map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The first child element (not a descendant) with this local name.
    static func child(_ element: Element, _ name: String) -> Element? {
        element.children.first { local($0.name) == name }
    }

    /// СНИЛС is written `123-456-789 01` or as 11 digits: compare digits only.
    static func digits(_ text: String) -> String { String(text.filter(\.isNumber)) }

    /// A `YYYY-MM-DD` day in Moscow time (UTC+3, no daylight saving since 2014): its start, or its last second.
    static func moscowDay(_ text: String, endOfDay: Bool) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, text.count == 10 else { return nil }
        var components = DateComponents()
        components.year = parts[0]
        components.month = parts[1]
        components.day = parts[2]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 3 * 3600)!
        guard let start = calendar.date(from: components), calendar.component(.day, from: start) == parts[2] else { return nil }
        return endOfDay ? start.addingTimeInterval(86_400 - 1) : start
    }
}

/// An answer of the ФНС registry of powers of attorney as saved by the operator (`--poa-status FILE`): JSON or XML.
///
/// podpis does not query the registry yet; this reads what the operator saved from it. Recognised fields (JSON keys
/// or XML element / attribute names, case-insensitive): the number (`number`, `guid`, `НомДовер`), the status
/// (`status`, `Статус`: `active`/`Действует`, `revoked`/`Отозвана`/`Отменена`, `expired`/`Истёк срок`), when the
/// registry was asked (`checkedAt`, `ДатаПроверки`) and when it was revoked (`revokedAt`, `ДатаОтзыва`), as RFC 3339
/// times or `YYYY-MM-DD` Moscow days.
public enum RegistryAnswer {
    static let numberKeys = ["number", "guid", "номдовер", "poanumber"]
    static let statusKeys = ["status", "статус", "state"]
    static let checkedKeys = ["checkedat", "датапроверки", "requestdate", "checked"]
    static let revokedKeys = ["revokedat", "датаотзыва", "revocationdate", "revoked"]

    public static func parse(_ bytes: [UInt8], name: String?) throws -> PowerOfAttorneyEvidence.RegistryStatus {
        guard bytes.count <= 1 << 20 else { throw PodpisError(.dataFormat, "the registry answer is larger than 1 MiB", subject: name) }
        var fields: [String: String] = [:]
        let trimmed = bytes.drop { [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
        if trimmed.first == UInt8(ascii: "{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw PodpisError(.dataFormat, "not a readable registry answer: the JSON is not an object", subject: name)
            }
            func collect(_ object: [String: Any]) {
                for (key, value) in object {
                    if let text = value as? String { fields[key.lowercased()] = fields[key.lowercased()] ?? text }
                    if let nested = value as? [String: Any] { collect(nested) }
                }
            }
            collect(object)
        } else if trimmed.first == UInt8(ascii: "<") {
            let root = try RussianTrustList.tree(Array(bytes), what: "registry answer", subject: name, allowDoctype: false)
            func collect(_ element: RussianTrustList.Element) {
                let key = PowerOfAttorneyReader.local(element.name).lowercased()
                let text = element.text.trimmingCharacters(in: .whitespacesAndNewlines)
                if !text.isEmpty { fields[key] = fields[key] ?? text }
                element.children.forEach(collect)
            }
            collect(root)
        } else {
            throw PodpisError(.dataFormat, "not a readable registry answer (JSON or XML expected)", subject: name)
        }
        func value(_ keys: [String]) -> String? { keys.lazy.compactMap { fields[$0] }.first }
        guard let word = value(statusKeys) else {
            throw PodpisError(.dataFormat, "the registry answer states no status («status» or «Статус»)", subject: name)
        }
        let lower = word.lowercased()
        let status: String
        if ["active", "действует", "действительна", "valid"].contains(where: lower.contains) { status = "active" }
        else if ["revoked", "отозван", "отмен", "cancel", "прекращ"].contains(where: lower.contains) { status = "revoked" }
        else if ["expired", "истек", "истёк"].contains(where: lower.contains) { status = "expired" }
        else { status = "unknown" }
        func time(_ keys: [String]) throws -> Date? {
            guard let text = value(keys) else { return nil }
            if let date = ISO8601DateFormatter().date(from: text) { return date }
            if let day = PowerOfAttorneyReader.moscowDay(String(text.prefix(10)), endOfDay: false) { return day }
            throw PodpisError(.dataFormat, "the registry answer's time «\(text)» is not RFC 3339 or YYYY-MM-DD", subject: name)
        }
        let sha256 = SHA256.hex(bytes)
        return PowerOfAttorneyEvidence.RegistryStatus(
            number: value(numberKeys), status: status, statusText: word, checkedAt: try time(checkedKeys),
            revokedAt: try time(revokedKeys), source: name, sha256: sha256)
    }
}

extension PowerOfAttorneyReader {
    /// The powers of attorney of a container's or a PDF's signers, checked with the same settings as the signatures;
    /// nil when none was given.
    static func gather(_ inputs: [Input], statuses: [StatusInput], settings: VerificationSettings) throws -> [PowerOfAttorneyEvidence]? {
        guard !inputs.isEmpty else { return nil }
        return try gather(
            inputs, statuses: statuses, trust: settings.trust, certificates: settings.certificates, crls: settings.crls,
            ocspResponses: settings.ocspResponses, revocation: settings.revocation, validationTime: settings.validationTime,
            limits: settings.limits)
    }
}
