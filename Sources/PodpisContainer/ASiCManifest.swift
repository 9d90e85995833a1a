import EvidenceModel
import Foundation
import PodpisXML
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

    /// Parses a manifest from outside, through ``BoundedXML`` (UTF-8 only, no DOCTYPE or ENTITY declaration, no
    /// processing instruction but the XML declaration, at most 100 000 elements nested at most 16 deep) after a
    /// 1 MiB cap. Errors are plain-English reasons, kept in the evidence.
    public static func parse(_ data: [UInt8]) throws(ManifestError) -> ASiCManifest {
        guard data.count <= 1 << 20 else { throw ManifestError("larger than 1 MiB") }
        let root: BoundedXML.Node
        do {
            root = try BoundedXML.parse(data, limits: BoundedXML.Limits(elements: 100_000, depth: 16), allowDoctype: false)
        } catch {
            switch error {
            case .notUTF8, .encoding: throw ManifestError("not UTF-8")
            case .doctype: throw ManifestError("it holds a DOCTYPE or ENTITY declaration")
            case .processingInstruction: throw ManifestError("it holds an XML processing instruction")
            case .tooLarge: throw ManifestError("too large or too deeply nested")
            case .malformed(_, let line): throw ManifestError("not well-formed XML (line \(line))")
            case .unclosed, .empty: throw ManifestError("not well-formed XML")
            }
        }
        guard root.local == "ASiCManifest", root.namespaceURI == namespace else {
            throw ManifestError("the root element is «\(root.local)», not ASiCManifest in \(namespace)")
        }
        var signatureReference: String?
        var references: [Reference] = []
        // Extensions (ASiCManifestExtensions, ...) and anything else in other namespaces are ignored.
        for element in root.elements where element.namespaceURI == namespace {
            switch element.local {
            case "SigReference":
                guard signatureReference == nil else { throw ManifestError("more than one SigReference") }
                guard let uri = element.attribute("URI") else { throw ManifestError("SigReference without URI") }
                signatureReference = uri.removingPercentEncoding ?? uri
            case "DataObjectReference":
                guard let written = element.attribute("URI") else { throw ManifestError("DataObjectReference without URI") }
                let uri = written.removingPercentEncoding ?? written
                var method: String?
                var value: String?
                for part in element.elements where part.namespaceURI == dsNamespace {
                    switch part.local {
                    case "DigestMethod":
                        guard method == nil else { throw ManifestError("a DataObjectReference with two DigestMethods") }
                        method = part.attribute("Algorithm") ?? ""
                    case "DigestValue":
                        guard value == nil else { throw ManifestError("a DataObjectReference with two DigestValues") }
                        value = String(part.textContent.utf8.prefix(4096)) ?? ""
                    default:
                        break
                    }
                }
                guard let method, let value else {
                    throw ManifestError("DataObjectReference «\(uri)» lacks DigestMethod or DigestValue")
                }
                references.append(Reference(uri: uri, mimeType: element.attribute("MimeType"), digestMethod: method,
                                            digestValue: Data(base64Encoded: value.filter { !$0.isWhitespace }).map(Array.init)))
            default:
                break
            }
        }
        return ASiCManifest(signatureReference: signatureReference, references: references)
    }

    public struct ManifestError: Error, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
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
