import EvidenceModel
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SigningCore

/// The ASiC manifest of an ASiC-E container with CAdES (ETSI EN 319 162-1 §A.4, `ASiCManifest`): the signature it
/// belongs to and, for every signed data file, a digest of that file.
public struct ASiCManifest: Sendable, Equatable {
    public static let namespace = "http://uri.etsi.org/02918/v1.2.1#"
    static let dsNamespace = "http://www.w3.org/2000/09/xmldsig#"

    public struct Reference: Sendable, Equatable {
        /// The entry name (percent-decoded `URI`).
        public var uri: String
        public var mimeType: String?
        /// The `ds:DigestMethod` `Algorithm` URI.
        public var digestMethod: String
        /// The decoded `ds:DigestValue`; `nil` when it is not Base64.
        public var digestValue: [UInt8]?

        public init(uri: String, mimeType: String? = nil, digestMethod: String, digestValue: [UInt8]?) {
            self.uri = uri
            self.mimeType = mimeType
            self.digestMethod = digestMethod
            self.digestValue = digestValue
        }
    }

    /// The `SigReference` `URI`: the signature file this manifest is signed by.
    public var signatureReference: String?
    public var references: [Reference]

    public init(signatureReference: String?, references: [Reference]) {
        self.signatureReference = signatureReference
        self.references = references
    }

    // MARK: Digest algorithm URIs

    /// Digest algorithm URIs: XML Signature / xmlenc / xmldsig-more for SHA-2 and SHA-3 (RFC 6931), and the
    /// CryptoPro `cpxmlsec` URNs for GOST R 34.11-2012 (RFC 9215 uses the same names).
    static let digestURIs: [(DigestAlgorithm, String)] = [
        (.sha256, "http://www.w3.org/2001/04/xmlenc#sha256"),
        (.sha384, "http://www.w3.org/2001/04/xmldsig-more#sha384"),
        (.sha512, "http://www.w3.org/2001/04/xmlenc#sha512"),
        (.sha224, "http://www.w3.org/2001/04/xmldsig-more#sha224"),
        (.sha3_256, "http://www.w3.org/2007/05/xmldsig-more#sha3-256"),
        (.sha3_384, "http://www.w3.org/2007/05/xmldsig-more#sha3-384"),
        (.sha3_512, "http://www.w3.org/2007/05/xmldsig-more#sha3-512"),
        (.streebog256, "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"),
        (.streebog512, "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512"),
    ]

    /// The URI to write for `algorithm`, or `nil` when it has none here (MD5, SHA-1 and GOST R 34.11-94 are not
    /// written into new manifests, nor accepted from them).
    public static func uri(for algorithm: DigestAlgorithm) -> String? {
        digestURIs.first { $0.0 == algorithm }?.1
    }

    public static func algorithm(forURI uri: String) -> DigestAlgorithm? {
        digestURIs.first { $0.1 == uri }?.0
    }

    // MARK: Writing

    /// The manifest as UTF-8 XML. Entry names are written as relative URI references, percent-encoded (RFC 3986)
    /// except for unreserved characters and `/`, so spaces and Cyrillic names survive any reader.
    public func xml() -> [UInt8] {
        var text = #"<?xml version="1.0" encoding="UTF-8" standalone="no"?>"# + "\n"
        text += #"<asic:ASiCManifest xmlns:asic="\#(Self.namespace)" xmlns:ds="\#(Self.dsNamespace)">"# + "\n"
        if let signatureReference {
            text += #"  <asic:SigReference URI="\#(Self.escape(Self.percentEncode(signatureReference)))" MimeType="application/pkcs7-signature"/>"# + "\n"
        }
        for reference in references {
            let mime = reference.mimeType.map { #" MimeType="\#(Self.escape($0))""# } ?? ""
            text += #"  <asic:DataObjectReference URI="\#(Self.escape(Self.percentEncode(reference.uri)))"\#(mime)>"# + "\n"
            text += #"    <ds:DigestMethod Algorithm="\#(Self.escape(reference.digestMethod))"/>"# + "\n"
            text += "    <ds:DigestValue>\(Data(reference.digestValue ?? []).base64EncodedString())</ds:DigestValue>\n"
            text += "  </asic:DataObjectReference>\n"
        }
        text += "</asic:ASiCManifest>\n"
        return Array(text.utf8)
    }

    static func escape(_ text: String) -> String { MarkupEscaping.escape(text, apostrophe: MarkupEscaping.xmlApostrophe) }

    static func percentEncode(_ name: String) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    // MARK: Reading

    /// Parses a manifest from outside. Refused before the XML parser sees them: more than 1 MiB, not UTF-8,
    /// a DOCTYPE (no entity expansion) or processing instructions other than the XML declaration (Foundation's
    /// XMLParser dereferences a null pointer on some). Errors are plain-English reasons, kept in the evidence.
    public static func parse(_ data: [UInt8]) throws(ManifestError) -> ASiCManifest {
        guard data.count <= 1 << 20 else { throw ManifestError("larger than 1 MiB") }
        guard String(validating: data, as: UTF8.self) != nil else { throw ManifestError("not UTF-8") }
        if containsDeclaration(data) { throw ManifestError("it holds a DOCTYPE or ENTITY declaration") }
        if hasProcessingInstruction(data) { throw ManifestError("it holds an XML processing instruction") }
        let parser = XMLParser(data: Data(data))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        let reader = Reader()
        parser.delegate = reader
        guard parser.parse(), reader.failure == nil, reader.depth == 0 else {
            throw ManifestError(reader.failure ?? "not well-formed XML (line \(parser.lineNumber))")
        }
        guard reader.sawRoot else { throw ManifestError("the root element is not ASiCManifest in \(namespace)") }
        return ASiCManifest(signatureReference: reader.sigReference, references: reader.references)
    }

    public struct ManifestError: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    static func containsDeclaration(_ data: [UInt8]) -> Bool {
        let text = String(decoding: data, as: UTF8.self)
        return text.contains("<!DOCTYPE") || text.contains("<!ENTITY")
    }

    static func hasProcessingInstruction(_ data: [UInt8]) -> Bool {
        let start = data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var index = 0
        while index + 1 < data.count {
            if data[index] == 0x3C, data[index + 1] == 0x3F {
                let isDeclaration = index == start && data[index...].starts(with: Array("<?xml".utf8))
                    && index + 5 < data.count && [0x20, 0x09, 0x0A, 0x0D].contains(data[index + 5])
                if !isDeclaration { return true }
            }
            index += 1
        }
        return false
    }

    final class Reader: NSObject, XMLParserDelegate {
        var depth = 0
        var elements = 0
        var sawRoot = false
        var failure: String?
        var sigReference: String?
        var references: [Reference] = []
        var current: (uri: String, mime: String?, method: String?, value: String?)?
        var inDigestValue = false
        var text = ""

        func stop(_ parser: XMLParser, _ reason: String) {
            if failure == nil { failure = reason }
            parser.abortParsing()
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            depth += 1
            elements += 1
            if depth > 16 || elements > 100_000 { return stop(parser, "too large or too deeply nested") }
            let ns = namespaceURI ?? ""
            if depth == 1 {
                guard name == "ASiCManifest", ns == ASiCManifest.namespace else {
                    return stop(parser, "the root element is «\(name)», not ASiCManifest in \(ASiCManifest.namespace)")
                }
                sawRoot = true
                return
            }
            switch (name, ns, depth) {
            case ("SigReference", ASiCManifest.namespace, 2):
                guard sigReference == nil else { return stop(parser, "more than one SigReference") }
                guard let uri = attributes["URI"] else { return stop(parser, "SigReference without URI") }
                sigReference = uri.removingPercentEncoding ?? uri
            case ("DataObjectReference", ASiCManifest.namespace, 2):
                guard let uri = attributes["URI"] else { return stop(parser, "DataObjectReference without URI") }
                current = (uri.removingPercentEncoding ?? uri, attributes["MimeType"], nil, nil)
            case ("DigestMethod", ASiCManifest.dsNamespace, 3) where current != nil:
                guard current?.method == nil else { return stop(parser, "a DataObjectReference with two DigestMethods") }
                current?.method = attributes["Algorithm"] ?? ""
            case ("DigestValue", ASiCManifest.dsNamespace, 3) where current != nil:
                guard current?.value == nil else { return stop(parser, "a DataObjectReference with two DigestValues") }
                inDigestValue = true
                text = ""
            default:
                break  // extensions (ASiCManifestExtensions, ...) are ignored
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inDigestValue, text.utf8.count < 4096 { text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if inDigestValue, name == "DigestValue" {
                inDigestValue = false
                current?.value = text
            }
            if depth == 2, name == "DataObjectReference", let reference = current {
                guard let method = reference.method, let value = reference.value else {
                    return stop(parser, "DataObjectReference «\(reference.uri)» lacks DigestMethod or DigestValue")
                }
                let compact = value.filter { !$0.isWhitespace }
                references.append(Reference(uri: reference.uri, mimeType: reference.mime, digestMethod: method,
                                            digestValue: Data(base64Encoded: compact).map(Array.init)))
                current = nil
            }
            depth -= 1
        }
    }
}

/// MIME types for data files in a manifest, by extension; anything else is `application/octet-stream`.
enum MimeTypes {
    static let byExtension: [String: String] = [
        "pdf": "application/pdf", "xml": "application/xml", "txt": "text/plain", "html": "text/html",
        "htm": "text/html", "json": "application/json", "csv": "text/csv", "png": "image/png", "jpg": "image/jpeg",
        "jpeg": "image/jpeg", "tif": "image/tiff", "tiff": "image/tiff", "zip": "application/zip",
        "doc": "application/msword", "xls": "application/vnd.ms-excel",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "odt": "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
        "rtf": "application/rtf", "sig": "application/pkcs7-signature", "p7s": "application/pkcs7-signature",
    ]

    static func of(_ name: String) -> String {
        byExtension[(name as NSString).pathExtension.lowercased()] ?? "application/octet-stream"
    }
}
