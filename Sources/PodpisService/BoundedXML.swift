import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SigningCore

/// Untrusted XML, read once into a bounded tree behind the guards every XML document podpis reads shares: UTF-8 only,
/// no processing instruction (only the XML declaration), optionally no DOCTYPE, never an external entity, at most
/// 2 000 000 elements nested at most 64 deep. The accredited-CA list, its enveloped signature (exclusive
/// canonicalisation needs the whole tree: namespace declarations, attributes, mixed text) and the МЧД reader all
/// read through it.
public enum BoundedXML {
    /// An element, or a run of character data (text or CDATA) inside one.
    public final class Node {
        let isElement: Bool
        /// The name as written (`ds:Signature`), its prefix (nil for none) and local part.
        let name: String
        let prefix: String?
        let local: String
        /// Namespace declarations on this element (`""` for the default namespace).
        var declarations: [(prefix: String, uri: String)] = []
        var attributes: [(name: String, value: String)] = []
        var children: [Node] = []
        var text = ""
        /// Character data from a CDATA section (kept apart: the trust-list and МЧД readers take plain text only).
        let isCDATA: Bool
        weak var parent: Node?

        init(element name: String) {
            isElement = true
            isCDATA = false
            self.name = name
            if let colon = name.firstIndex(of: ":") {
                prefix = String(name[..<colon])
                local = String(name[name.index(after: colon)...])
            } else {
                prefix = nil
                local = name
            }
        }

        init(text: String, cdata: Bool = false) {
            isElement = false
            isCDATA = cdata
            name = ""
            prefix = nil
            local = ""
            self.text = text
        }

        var textContent: String { isElement ? children.map(\.textContent).joined() : text }
    }

    static let elementLimit = 2_000_000
    static let depthLimit = 64

    final class Builder: NSObject, XMLParserDelegate {
        var stack: [Node] = []
        var root: Node?
        var count = 0
        var failure: String?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            count += 1
            if count > elementLimit || stack.count > depthLimit {
                failure = "the list is too large or too deeply nested"
                parser.abortParsing()
                return
            }
            let node = Node(element: elementName)
            for (key, value) in attributes {
                if key == "xmlns" { node.declarations.append(("", value)) }
                else if key.hasPrefix("xmlns:") { node.declarations.append((String(key.dropFirst(6)), value)) }
                else { node.attributes.append((key, value)) }
            }
            node.parent = stack.last
            stack.last?.children.append(node)
            if root == nil { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { append(string, cdata: false) }
        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) { append(String(decoding: CDATABlock, as: UTF8.self), cdata: true) }

        func append(_ string: String, cdata: Bool) {
            guard let top = stack.last else { return }
            if let last = top.children.last, !last.isElement, last.isCDATA == cdata { last.text += string } else {
                let node = Node(text: string, cdata: cdata)
                node.parent = top
                top.children.append(node)
            }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
    }

    /// The Russian name of each document kind ``read(_:what:subject:allowDoctype:)`` reads, for errors said in Russian.
    static let russianNames = ["accredited-CA list": "перечень аккредитованных УЦ", "power of attorney": "доверенность",
                               "registry answer": "ответ реестра доверенностей"]

    /// Parses untrusted UTF-8 XML into a bounded tree; `what` names the document in errors.
    static func read(_ data: [UInt8], what: String, subject: String?, allowDoctype: Bool = true) throws -> Node {
        let names = ["what": what, "whatRU": russianNames[what] ?? what]
        // Published in UTF-8. Anything else is refused before the XML parser sees it: Foundation's
        // XMLParser traps on element names that are not valid UTF-8 (found by the trust-list fuzz target).
        guard String(validating: data, as: UTF8.self) != nil else {
            throw PodpisError(.dataFormat, .xmlNotUtf8, names, subject: subject)
        }
        if let declaration = declaredEncoding(data), declaration.lowercased() != "utf-8", declaration.lowercased() != "utf8" {
            throw PodpisError(.dataFormat, .xmlEncoding, names.merging(["encoding": declaration]) { a, _ in a }, subject: subject)
        }
        // Nor may it hold processing instructions (only the XML declaration): Foundation's XMLParser dereferences a
        // null pointer on one without data, such as `<?x?>` (found by the same fuzz target).
        if hasProcessingInstruction(data) {
            throw PodpisError(.dataFormat, .xmlInstruction, names, subject: subject)
        }
        if !allowDoctype, data.firstRange(of: Array("<!DOCTYPE".utf8)) != nil {
            throw PodpisError(.dataFormat, .xmlDoctype, names, subject: subject)
        }
        let parser = XMLParser(data: Data(data))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        let builder = Builder()
        parser.delegate = builder
        guard parser.parse(), builder.stack.isEmpty, let root = builder.root else {
            let reason = builder.failure ?? parser.parserError.map { "\($0.localizedDescription) (line \(parser.lineNumber))" }
                ?? (builder.stack.isEmpty ? "not XML" : "the file ends inside <\(builder.stack.last!.name)>")
            throw PodpisError(.dataFormat, .xmlUnreadable, names.merging(["reason": reason]) { a, _ in a }, subject: subject)
        }
        return root
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
}
