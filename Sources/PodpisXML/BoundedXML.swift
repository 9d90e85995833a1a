import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SigningCore

/// Untrusted XML, read once into a bounded tree behind the guards every XML document podpis reads shares: UTF-8 only,
/// no processing instruction (only the XML declaration), optionally no DOCTYPE, never an external entity, at most
/// so many elements nested at most so deep (``Limits``). ASiC manifests, the accredited-CA list, its enveloped
/// signature (exclusive canonicalisation needs the whole tree: namespace declarations, attributes, mixed text), the
/// МЧД reader and the registry's answers all read through it.
public enum BoundedXML {
    /// How many elements, nested how deep, a document may have.
    package struct Limits: Sendable {
        package var elements: Int
        package var depth: Int
        package init(elements: Int, depth: Int) {
            self.elements = elements
            self.depth = depth
        }
        /// For the large documents (the accredited-CA list): 2 000 000 elements, 64 deep.
        package static let standard = Limits(elements: 2_000_000, depth: 64)
    }

    /// Why a document was refused, in plain English (a caller words it for its own errors).
    package enum Failure: Error, Equatable {
        case notUTF8
        /// The XML declaration names another encoding.
        case encoding(String)
        case processingInstruction
        case doctype
        case tooLarge
        /// Not well-formed: the parser's reason, and the line.
        case malformed(reason: String?, line: Int)
        /// The file ends inside this element.
        case unclosed(String)
        case empty
    }

    /// An element, or a run of character data (text or CDATA) inside one.
    public final class Node {
        package let isElement: Bool
        /// The name as written (`ds:Signature`), its prefix (nil for none) and local part.
        package let name: String
        package let prefix: String?
        package let local: String
        /// Namespace declarations on this element (`""` for the default namespace).
        package var declarations: [(prefix: String, uri: String)] = []
        package var attributes: [(name: String, value: String)] = []
        package var children: [Node] = []
        package var text = ""
        /// Character data from a CDATA section (kept apart: the trust-list and МЧД readers take plain text only).
        package let isCDATA: Bool
        package weak var parent: Node?

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

        package var textContent: String { isElement ? children.map(\.textContent).joined() : text }

        /// The namespace a prefix (nil: the default namespace) stands for here: the nearest declaration on this
        /// element or an ancestor.
        package func namespace(of prefix: String?) -> String? {
            var node: Node? = self
            while let current = node {
                if let found = current.declarations.first(where: { $0.prefix == (prefix ?? "") }) { return found.uri }
                node = current.parent
            }
            return nil
        }

        /// This element's namespace.
        package var namespaceURI: String? { namespace(of: prefix) }

        /// The value of the attribute written `name`.
        package func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }

        /// The child elements.
        package var elements: [Node] { children.filter(\.isElement) }
    }

    final class Builder: NSObject, XMLParserDelegate {
        let limits: Limits
        var stack: [Node] = []
        var root: Node?
        var count = 0
        var tooLarge = false

        init(limits: Limits) { self.limits = limits }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            count += 1
            if count > limits.elements || stack.count >= limits.depth {
                tooLarge = true
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

    /// Parses untrusted UTF-8 XML into a bounded tree, or says why not.
    package static func parse(_ data: [UInt8], limits: Limits = .standard, allowDoctype: Bool = true) throws(Failure) -> Node {
        // Anything but UTF-8 is refused before the XML parser sees it: Foundation's XMLParser traps on element names
        // that are not valid UTF-8 (found by the trust-list fuzz target).
        guard String(validating: data, as: UTF8.self) != nil else { throw .notUTF8 }
        if let declaration = declaredEncoding(data), declaration.lowercased() != "utf-8", declaration.lowercased() != "utf8" {
            throw .encoding(declaration)
        }
        // Nor may it hold processing instructions (only the XML declaration): Foundation's XMLParser dereferences a
        // null pointer on one without data, such as `<?x?>` (found by the same fuzz target).
        if hasProcessingInstruction(data) { throw .processingInstruction }
        if !allowDoctype, data.firstRange(of: Array("<!DOCTYPE".utf8)) != nil || data.firstRange(of: Array("<!ENTITY".utf8)) != nil {
            throw .doctype
        }
        let parser = XMLParser(data: Data(data))
        parser.shouldResolveExternalEntities = false
        parser.shouldProcessNamespaces = false
        let builder = Builder(limits: limits)
        parser.delegate = builder
        let parsed = parser.parse()
        if builder.tooLarge { throw .tooLarge }
        guard parsed else { throw .malformed(reason: parser.parserError?.localizedDescription, line: parser.lineNumber) }
        if let open = builder.stack.last { throw .unclosed(open.name) }
        guard let root = builder.root else { throw .empty }
        return root
    }

    /// The Russian name of each document kind ``read(_:what:subject:allowDoctype:)`` reads, for errors said in Russian.
    static let russianNames = ["accredited-CA list": "перечень аккредитованных УЦ", "power of attorney": "доверенность",
                               "registry answer": "ответ реестра доверенностей"]

    /// Parses untrusted UTF-8 XML into a bounded tree (``parse(_:limits:allowDoctype:)``); `what` names the document
    /// in the error.
    package static func read(_ data: [UInt8], what: String, subject: String?, allowDoctype: Bool = true) throws -> Node {
        let names = ["what": what, "whatRU": russianNames[what] ?? what]
        do {
            return try parse(data, allowDoctype: allowDoctype)
        } catch .notUTF8 {
            throw PodpisError(.dataFormat, .xmlNotUtf8, names, subject: subject)
        } catch .encoding(let declaration) {
            throw PodpisError(.dataFormat, .xmlEncoding, names.merging(["encoding": declaration]) { a, _ in a }, subject: subject)
        } catch .processingInstruction {
            throw PodpisError(.dataFormat, .xmlInstruction, names, subject: subject)
        } catch .doctype {
            throw PodpisError(.dataFormat, .xmlDoctype, names, subject: subject)
        } catch {
            let reason: String
            switch error {
            case .tooLarge: reason = "the list is too large or too deeply nested"
            case .malformed(let text, let line): reason = text.map { "\($0) (line \(line))" } ?? "not XML"
            case .unclosed(let name): reason = "the file ends inside <\(name)>"
            default: reason = "not XML"
            }
            throw PodpisError(.dataFormat, .xmlUnreadable, names.merging(["reason": reason]) { a, _ in a }, subject: subject)
        }
    }

    /// Whether `<?` appears anywhere but as the XML declaration at the very start.
    package static func hasProcessingInstruction(_ data: [UInt8]) -> Bool {
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
    package static func declaredEncoding(_ data: [UInt8]) -> String? {
        let head = String(decoding: data.prefix(200), as: UTF8.self)
        guard head.hasPrefix("<?xml") || head.hasPrefix("\u{FEFF}<?xml"), let end = head.range(of: "?>") else { return nil }
        let declaration = head[..<end.lowerBound]
        guard let key = declaration.range(of: "encoding=") else { return nil }
        let rest = declaration[key.upperBound...]
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return String(rest) }
        return String(rest.dropFirst().prefix { $0 != quote })
    }
}
