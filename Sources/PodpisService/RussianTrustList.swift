import Foundation
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
    }

    final class TreeBuilder: NSObject, XMLParserDelegate {
        var stack: [Element] = []
        var root: Element?
        var count = 0
        var failure: String?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            count += 1
            if count > 2_000_000 || stack.count > 64 {
                failure = "the list is too large or too deeply nested"
                parser.abortParsing()
                return
            }
            let element = Element(name: elementName)
            for (key, value) in attributes {
                let attribute = Element(name: key)
                attribute.text = value
                element.children.append(attribute)
            }
            stack.last?.children.append(element)
            if root == nil { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard let top = stack.last, top.text.utf8.count < 8 << 20 else { return }
            top.text += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
    }

    public struct Imported: Sendable {
        public var authorities: [AccreditedAuthority]
        public var certificates: [X509Certificate]
        public var version: String?
        public var date: String?
    }

    /// Whether `<?` appears anywhere but as the XML declaration at the very start.
    static func hasProcessingInstruction(_ data: [UInt8]) -> Bool {
        let start = data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var index = data.startIndex
        while index + 1 < data.endIndex {
            if data[index] == 0x3C, data[index + 1] == 0x3F {  // "<?"
                let isDeclaration = index == start && data[index...].starts(with: Array("<?xml".utf8))
                    && index + 5 < data.endIndex && [0x20, 0x09, 0x0A, 0x0D].contains(data[index + 5])
                if !isDeclaration { return true }
            }
            index += 1
        }
        return false
    }

    /// The `encoding` of the XML declaration, if the file starts with one.
    static func declaredEncoding(_ data: [UInt8]) -> String? {
        let head = String(decoding: data.prefix(200), as: UTF8.self)
        guard head.hasPrefix("<?xml") || head.hasPrefix("\u{FEFF}<?xml"), let end = head.range(of: "?>") else { return nil }
        let declaration = head[..<end.lowerBound]
        guard let key = declaration.range(of: "encoding=") else { return nil }
        let rest = declaration[key.upperBound...]
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return String(rest) }
        return String(rest.dropFirst().prefix { $0 != quote })
    }

    /// Parses untrusted UTF-8 XML into a bounded element tree (attributes become child elements). `what` names the
    /// document in errors. Shared by the accredited-CA list and the МЧД reader.
    /// The Russian name of each document kind `tree` reads, for errors said in Russian.
    static let russianNames = ["accredited-CA list": "перечень аккредитованных УЦ", "power of attorney": "доверенность",
                               "registry answer": "ответ реестра доверенностей"]

    static func tree(_ data: [UInt8], what: String, subject: String?, allowDoctype: Bool = true) throws -> Element {
        let names = ["what": what, "whatRU": russianNames[what] ?? what]
        // Published in UTF-8. Anything else is refused before the XML parser sees it: Foundation's
        // XMLParser traps on element names that are not valid UTF-8 (found by the trust-list fuzz target).
        guard String(validating: data, as: UTF8.self) != nil else {
            throw PodpisError(.dataFormat, "not a readable \(what): the file is not valid UTF-8", subject: subject)
                .localized("error.xml-not-utf8", names)
        }
        if let declaration = declaredEncoding(data), declaration.lowercased() != "utf-8", declaration.lowercased() != "utf8" {
            throw PodpisError(.dataFormat, "not a readable \(what): encoding «\(declaration)» (UTF-8 expected)", subject: subject)
                .localized("error.xml-encoding", names.merging(["encoding": declaration]) { a, _ in a })
        }
        // Nor may it hold processing instructions (only the XML declaration): Foundation's XMLParser dereferences a
        // null pointer on one without data, such as `<?x?>` (found by the same fuzz target).
        if hasProcessingInstruction(data) {
            throw PodpisError(.dataFormat, "not a readable \(what): it holds an XML processing instruction", subject: subject)
                .localized("error.xml-instruction", names)
        }
        if !allowDoctype, data.firstRange(of: Array("<!DOCTYPE".utf8)) != nil {
            throw PodpisError(.dataFormat, "not a readable \(what): it declares a DOCTYPE (entities are not accepted)", subject: subject)
                .localized("error.xml-doctype", names)
        }
        let parser = XMLParser(data: Data(data))
        parser.shouldResolveExternalEntities = false
        let builder = TreeBuilder()
        parser.delegate = builder
        guard parser.parse(), builder.stack.isEmpty, let root = builder.root else {
            let reason = builder.failure ?? parser.parserError.map { "\($0.localizedDescription) (line \(parser.lineNumber))" }
                ?? (builder.stack.isEmpty ? "not XML" : "the file ends inside <\(builder.stack.last!.name)>")
            throw PodpisError(.dataFormat, "not a readable \(what): \(reason)", subject: subject)
                .localized("error.xml-unreadable", names.merging(["reason": reason]) { a, _ in a })
        }
        return root
    }

    public static func parse(_ data: [UInt8], subject: String?) throws -> Imported {
        let root = try tree(data, what: "accredited-CA list", subject: subject)
        guard root.name == "АккредитованныеУдостоверяющиеЦентры" else {
            throw PodpisError(.dataFormat, "not the accredited-CA list format (root element «\(root.name)»)", subject: subject)
                .localized("error.tsl-root", ["root": root.name])
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
