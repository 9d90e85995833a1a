import EvidenceModel
import Foundation
import PodpisContainer
import PolicyEngine
import SigningCore

/// Reads machine-readable powers of attorney (МЧД) in the ФНС format EMCHD_1 (namespace `urn://x-artefacts/EMCHD_1`)
/// and gathers the evidence of their signatures. What the power of attorney proves is for the policy to judge
/// (the `power-of-attorney` check, 63-ФЗ ст. 17.3).
///
/// The reader takes what the checks need and nothing else: number and parent number, the dates, the principal
/// (organisation and the person signing for it), the representative, and the powers (codes and texts). Element
/// names are matched without namespace prefixes; XML with a DOCTYPE or processing instructions is refused.
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

    /// Reads the XML (never throws for bad content: an unreadable power of attorney is evidence too).
    public static func read(_ xml: [UInt8], name: String?) -> PowerOfAttorneyEvidence {
        let sha256 = (try? MultiDigest.digest(.sha256, xml))?.map { String(format: "%02x", $0) }.joined() ?? ""
        guard xml.count <= 4 << 20 else {
            return PowerOfAttorneyEvidence(name: name, sha256: sha256, parsed: false, error: "the file is larger than 4 MiB")
        }
        let root: RussianTrustList.Element
        do {
            root = try RussianTrustList.tree(xml, what: "power of attorney", subject: name, allowDoctype: false)
        } catch let error as PodpisError {
            return PowerOfAttorneyEvidence(name: name, sha256: sha256, parsed: false, error: error.message)
        } catch {
            return PowerOfAttorneyEvidence(name: name, sha256: sha256, parsed: false, error: "\(error)")
        }
        guard local(root.name) == "Доверенность" else {
            return PowerOfAttorneyEvidence(name: name, sha256: sha256, parsed: false,
                                           error: "not an EMCHD_1 power of attorney (root element «\(root.name)»)")
        }
        let version = attribute(root, "ВерсФорм")
        guard version == "EMCHD_1" else {
            return PowerOfAttorneyEvidence(name: name, sha256: sha256, parsed: false,
                                           error: "unsupported power-of-attorney format «\(version ?? "none")» (EMCHD_1 expected)", formatVersion: version)
        }
        let details = first(root, "СвДов")
        let number = details.flatMap { attribute($0, "НомДовер") }
        let parent = details.flatMap { attribute($0, "НомДоверПерв") }
            ?? first(root, "СвПереДовер").flatMap { attribute($0, "НомДоверПерв") }
            ?? first(root, "СвПерв").flatMap { attribute($0, "НомДоверПерв") }
        let issued = details.flatMap { attribute($0, "ДатаВыдДовер") }.flatMap { moscowDay($0, endOfDay: false) }
        let until = details.flatMap { attribute($0, "СрокДейст") }.flatMap { moscowDay($0, endOfDay: true) }
        guard let number, let issued, let until else {
            return PowerOfAttorneyEvidence(name: name, sha256: sha256, parsed: false,
                                           error: "the power of attorney lacks НомДовер, ДатаВыдДовер or СрокДейст (or a date is not YYYY-MM-DD)",
                                           formatVersion: version, number: number)
        }
        let principal = first(root, "Доверит")
        let organization = principal.flatMap { first($0, "СвРосОрг") } ?? principal.flatMap { first($0, "СвОрг") }
        // The person signing for the principal: the head acting without a power of attorney, or (re-delegation)
        // the person the parent power of attorney empowered.
        let principalPersonNode = principal.flatMap { first($0, "ЛицоБезДов") } ?? principal.flatMap { first($0, "СвФЛ") }
            ?? principal.flatMap { first($0, "СведФизЛ") }
        let representativeNode = first(root, "Пред").flatMap { first($0, "СведФизЛ") ?? first($0, "СвФЛ") }
        let powers = first(root, "Полн")
        return PowerOfAttorneyEvidence(
            name: name, sha256: sha256, parsed: true, formatVersion: version, number: number, parentNumber: parent,
            issued: issued, validUntil: until,
            principalOrganization: organization.flatMap { attribute($0, "НаимОрг") },
            principalINNLE: organization.flatMap { attribute($0, "ИННЮЛ") },
            principalOGRN: organization.flatMap { attribute($0, "ОГРН") },
            principalSigner: person(principalPersonNode), representative: person(representativeNode),
            powerCodes: powers.map { descendants($0, "МашПолн").compactMap { attribute($0, "КодПолн") } } ?? [],
            powerTexts: powers.map { descendants($0, "ТекстПолн").compactMap { node in
                let text = node.text.trimmingCharacters(in: .whitespacesAndNewlines)
                return text.isEmpty ? nil : text
            } } ?? [])
    }

    /// Reads each power of attorney and gathers the evidence of every signature over it, with the same trust,
    /// certificates and revocation data as the document's own signatures.
    public static func gather(
        _ inputs: [Input], trust: TrustStore, certificates: [X509Certificate], crls: [CertificateRevocationList],
        ocspResponses: [[UInt8]], revocation: RevocationPolicy, validationTime: Date?, limits: SignatureLimits = .standard
    ) throws -> [PowerOfAttorneyEvidence] {
        try inputs.map { input in
            var evidence = read(input.xml, name: input.name)
            evidence.signatures = try input.signatures.map { signature in
                try EvidenceCollector.collect(VerificationRequest(
                    signature: signature, signatureName: input.name.map { $0 + ".sig" }, document: .bytes(name: input.name, input.xml),
                    trust: trust, certificates: certificates, crls: crls, validationTime: validationTime,
                    ocspResponses: ocspResponses, revocation: revocation, limits: limits))
            }
            return evidence
        }
    }

    // MARK: - XML helpers (names without namespace prefixes)

    typealias Element = RussianTrustList.Element

    static func local(_ name: String) -> String { name.split(separator: ":").last.map(String.init) ?? name }

    /// Attributes are children without their own children, as the tree builder stores them.
    static func attribute(_ element: Element, _ name: String) -> String? {
        element.children.first { local($0.name) == name && $0.children.isEmpty }
            .map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func first(_ element: Element, _ name: String) -> Element? {
        for child in element.children {
            if local(child.name) == name && !child.children.isEmpty { return child }
            if let found = first(child, name) { return found }
        }
        return nil
    }

    static func descendants(_ element: Element, _ name: String) -> [Element] {
        element.children.flatMap { (local($0.name) == name ? [$0] : []) + descendants($0, name) }
    }

    /// The element (itself or the first below it) that carries a person's СНИЛС or ИНН.
    static func holder(_ element: Element) -> Element? {
        if attribute(element, "СНИЛС") != nil || attribute(element, "ИННФЛ") != nil { return element }
        for child in element.children where !child.children.isEmpty {
            if let found = holder(child) { return found }
        }
        return nil
    }

    static func person(_ node: Element?) -> PowerOfAttorneyEvidence.Person {
        guard let node, let element = holder(node) else { return PowerOfAttorneyEvidence.Person() }
        let fio = first(element, "ФИО")
        let name = fio.map { node in
            ["Фамилия", "Имя", "Отчество"].compactMap { attribute(node, $0) }.joined(separator: " ")
        }
        return PowerOfAttorneyEvidence.Person(
            snils: attribute(element, "СНИЛС").map(digits), inn: (attribute(element, "ИННФЛ") ?? attribute(element, "ИНН")).map(digits),
            name: name.flatMap { $0.isEmpty ? nil : $0 })
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

extension ASiCContainer {
    /// The container's evidence (``collectEvidence(_:)``) with the powers of attorney its signers act under, checked
    /// against the same trust and revocation settings.
    public func collectEvidence(_ settings: VerificationSettings, powersOfAttorney: [PowerOfAttorneyReader.Input]) throws -> Evidence {
        var evidence = try collectEvidence(settings)
        if !powersOfAttorney.isEmpty {
            evidence.powersOfAttorney = try PowerOfAttorneyReader.gather(
                powersOfAttorney, trust: settings.trust, certificates: settings.certificates, crls: settings.crls,
                ocspResponses: settings.ocspResponses, revocation: settings.revocation, validationTime: settings.validationTime,
                limits: settings.limits)
        }
        return evidence
    }
}
