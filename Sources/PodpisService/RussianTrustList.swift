import Foundation
import PodpisXML
#if canImport(FoundationXML)
import FoundationXML
#endif
import PolicyEngine
import SigningCore

/// Imports the Russian accredited-CA list (Минцифры XML): every CA's certificates, key identifiers and
/// accreditation history, so that 63-ФЗ ст. 11 п. 1 (accredited on the certificate's issue day) can be checked.
public enum RussianTrustList {
    /// A small XML element tree (the list is tens of megabytes at most; limits below keep hostile files bounded).
    final class Element {
        let name: String
        var text = ""
        var children: [Element] = []
        init(name: String) { self.name = name }
        func child(_ name: String) -> Element? { children.first { $0.name == name } }
        /// Child elements with this name (namespace prefixes ignored).
        func all(_ name: String) -> [Element] {
            children.filter { $0.name == name || $0.name.hasSuffix(":" + name) }
        }
        func value(_ name: String) -> String? {
            child(name).map { $0.text.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        /// Every descendant with this name.
        func descendants(_ name: String) -> [Element] {
            children.flatMap { ($0.name == name ? [$0] : []) + $0.descendants(name) }
        }

        /// The element view of a bounded tree: attributes (namespace declarations too) become child elements, and
        /// `text` is the element's own character data (CDATA aside), taken while it is under 8 MiB.
        convenience init(_ node: BoundedXML.Node) {
            self.init(name: node.name)
            func attribute(_ name: String, _ value: String) {
                let attribute = Element(name: name)
                attribute.text = value
                children.append(attribute)
            }
            for (prefix, uri) in node.declarations { attribute(prefix.isEmpty ? "xmlns" : "xmlns:" + prefix, uri) }
            for (name, value) in node.attributes { attribute(name, value) }
            for child in node.children {
                if child.isElement {
                    children.append(Element(child))
                } else if !child.isCDATA, text.utf8.count < 8 << 20 {
                    text += child.text
                }
            }
        }
    }

    public struct Imported: Sendable {
        public var authorities: [AccreditedAuthority]
        public var certificates: [X509Certificate]
        public var version: String?
        public var date: String?
    }

    /// Parses untrusted UTF-8 XML (``BoundedXML``) into the element view; `what` names the document in errors.
    /// Shared by the accredited-CA list and the МЧД reader.
    static func tree(_ data: [UInt8], what: String, subject: String?, allowDoctype: Bool = true) throws -> Element {
        Element(try BoundedXML.read(data, what: what, subject: subject, allowDoctype: allowDoctype))
    }

    public static func parse(_ data: [UInt8], subject: String?) throws -> Imported {
        let root = try tree(data, what: "accredited-CA list", subject: subject)
        guard root.name == "АккредитованныеУдостоверяющиеЦентры" else {
            throw PodpisError(.dataFormat, .tslRoot, ["root": root.name], subject: subject)
        }
        var authorities: [AccreditedAuthority] = []
        var certificates: [String: X509Certificate] = [:]
        for center in root.all("УдостоверяющийЦентр") {
            var statuses = center.child("ИсторияСтатусовАккредитации")?.all("СтатусАккредитации") ?? []
            if let current = center.child("СтатусАккредитации") { statuses.append(current) }
            let periods = accreditationPeriods(statuses.compactMap { status -> (Date, String)? in
                guard let word = status.value("Статус"), let from = status.value("ДействуетС").flatMap(parseDate) else { return nil }
                return (from, word)
            })
            var fingerprints: [String] = []
            var keyIdentifiers: [String] = []
            for key in center.descendants("Ключ") {
                if let id = key.value("ИдентификаторКлюча") { keyIdentifiers.append(id.lowercased().filter(\.isHexDigit)) }
                for data in key.descendants("ДанныеСертификата") {
                    guard let base64 = data.value("Данные"), let der = Data(base64Encoded: base64, options: .ignoreUnknownCharacters),
                        let cert = try? X509Certificate(der: [UInt8](der))
                    else { continue }
                    certificates[cert.fingerprint] = cert
                    fingerprints.append(cert.fingerprint)
                    if let ski = cert.info().subjectKeyIdentifier { keyIdentifiers.append(ski) }
                }
            }
            authorities.append(AccreditedAuthority(
                name: center.value("Название") ?? "?", inn: center.value("ИНН"), ogrn: center.value("ОГРН"),
                registryNumber: center.value("РеестровыйНомер"), certificates: fingerprints,
                keyIdentifiers: Array(Set(keyIdentifiers)).sorted(), accreditation: periods))
        }
        return Imported(authorities: authorities, certificates: Array(certificates.values), version: root.value("Версия"), date: root.value("Дата"))
    }

    /// The periods of accreditation from a CA's status points (the history, then the current status), as the list
    /// publishes them. The current status is usually repeated in the history, and a CA accredited again under the
    /// 2019 amendments gets a new «Действует» without a «Прекращена» before it: repeated points are one point, and a
    /// «Действует» while a period is open continues it. Any other status («Прекращена», «Аннулирована»,
    /// «Приостановлена») closes the open period; points of one day keep their order in the file.
    static func accreditationPeriods(_ points: [(Date, String)]) -> [AccreditationPeriod] {
        var unique: [(Date, String)] = []
        for point in points where !unique.contains(where: { $0.0 == point.0 && $0.1 == point.1 }) { unique.append(point) }
        let ordered = unique.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
        var periods: [AccreditationPeriod] = []
        var open: Date? = nil
        for (date, word) in ordered {
            let active = word.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() == "действует"
            if active {
                if open == nil { open = date }
            } else if let start = open {
                if date > start { periods.append(AccreditationPeriod(from: start, until: date, status: "Действует")) }
                open = nil
            }
        }
        if let start = open { periods.append(AccreditationPeriod(from: start, until: nil, status: "Действует")) }
        return periods
    }

    /// `2018-11-01T00:00:00+03:00`, `2018-11-01T00:00:00` (Moscow time) or `2018-11-01`.
    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.timeZone = TimeZone(secondsFromGMT: 3 * 3600)
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        if let date = formatter.date(from: String(text.prefix(19))) { return date }
        formatter.formatOptions = [.withFullDate, .withDashSeparatorInDate]
        return formatter.date(from: String(text.prefix(10)))
    }
}

extension RussianTrustList {
    /// What ``importList(_:subject:anchors:unsignedOK:into:)`` did.
    public struct ImportOutcome: Sendable {
        /// Who signed the list (its certificate's subject); nil for an unsigned list taken with `unsignedOK`.
        public var signer: String?
        public var authorities: Int
        public var certificates: Int
        /// The list's own version number, when it states one.
        public var version: String?
    }

    /// The `trust import-ru` workflow: reads the list, checks its enveloped signature against `anchors` (an unsigned
    /// list only with `unsignedOK`, a badly signed one never), and writes the CAs' certificates and accreditation
    /// history into `folder` for the policies' `trustList: ru-accredited`. Nothing is written unless every step passed.
    public static func importList(_ data: [UInt8], subject: String, anchors: [X509Certificate], unsignedOK: Bool,
                                  into folder: String) throws -> ImportOutcome {
        let imported = try parse(data, subject: subject)
        var signer: String?
        switch try ListSignature.verify(data, trust: TrustStore(anchors: anchors), subject: subject) {
        case .unsigned:
            guard unsignedOK else { throw PodpisError(.dataFormat, .tslUnsigned, subject: subject) }
        case .valid(let name):
            signer = name
        }
        try TrustListStore.write(folder: folder, certificates: imported.certificates, authorities: imported.authorities)
        return ImportOutcome(signer: signer, authorities: imported.authorities.count, certificates: imported.certificates.count,
                             version: imported.version)
    }
}
