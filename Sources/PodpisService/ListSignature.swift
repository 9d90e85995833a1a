import EvidenceModel
import Foundation
import PodpisXML
#if canImport(FoundationXML)
import FoundationXML
#endif
import PolicyEngine
import SigningCore

/// The Минцифры list of accredited CAs (`TSL.xml`) carries its own enveloped XML signature (XMLDSig): exclusive
/// canonicalisation, ГОСТ Р 34.11-2012 digest, ГОСТ Р 34.10-2012 signature, the signer's certificate in `KeyInfo`.
/// `trust import-ru` imports a signed list only when that signature verifies and the certificate chains to the
/// anchors given; a list without a signature is reported as such.
public enum ListSignature {
    public enum Outcome: Sendable, Equatable {
        case unsigned
        /// The signer's certificate subject.
        case valid(String)
    }

    static let dsig = "http://www.w3.org/2000/09/xmldsig#"
    static let exclusive = "http://www.w3.org/2001/10/xml-exc-c14n#"
    static let enveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    static let signatureMethods: [String: DigestAlgorithm] = [
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256": .streebog256,
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-512": .streebog512,
    ]
    static let digestMethods: [String: DigestAlgorithm] = [
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256": .streebog256,
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512": .streebog512,
    ]

    static func failure(_ key: ErrorMessage, _ values: [String: String] = [:], subject: String?) -> PodpisError {
        PodpisError(.dataFormat, key, values, subject: subject)
    }

    /// Checks the list's enveloped signature (a `Signature` element of the XMLDSig namespace, a child of the root).
    public static func verify(_ data: [UInt8], trust: TrustStore, at time: Date = Date(), subject: String?) throws -> Outcome {
        let document = try CanonicalXML.parse(data, subject: subject)
        guard let signature = document.root.children.first(where: { $0.isElement && $0.local == "Signature" && document.uri(of: $0) == dsig }) else {
            return .unsigned
        }
        func child(_ node: CanonicalXML.Node, _ name: String) -> CanonicalXML.Node? {
            node.children.first { $0.isElement && $0.local == name && document.uri(of: $0) == dsig }
        }
        func algorithm(_ node: CanonicalXML.Node?) -> String? { node?.attributes.first { $0.name == "Algorithm" }?.value }
        func base64(_ node: CanonicalXML.Node?) -> [UInt8]? {
            guard let text = node?.textContent else { return nil }
            return Data(base64Encoded: text.filter { !$0.isWhitespace }).map { [UInt8]($0) }
        }
        guard let signedInfo = child(signature, "SignedInfo"),
              let reference = child(signedInfo, "Reference"),
              let signatureValue = base64(child(signature, "SignatureValue")),
              let certificateDER = base64(child(signature, "KeyInfo").flatMap { child($0, "X509Data") }.flatMap { child($0, "X509Certificate") })
        else {
            throw failure(.tslSignatureStructure, subject: subject)
        }
        let canonicalization = algorithm(child(signedInfo, "CanonicalizationMethod")) ?? ""
        guard canonicalization == exclusive else {
            throw failure(.tslSignatureAlgorithm, ["algorithm": canonicalization], subject: subject)
        }
        let method = algorithm(child(signedInfo, "SignatureMethod")) ?? ""
        let digestMethod = algorithm(child(reference, "DigestMethod")) ?? ""
        guard let signatureDigest = signatureMethods[method], let digest = digestMethods[digestMethod] else {
            throw failure(.tslSignatureAlgorithm, ["algorithm": signatureMethods[method] == nil ? method : digestMethod], subject: subject)
        }
        // The reference is the whole document with the signature taken out (enveloped), canonicalised exclusively.
        let uri = reference.attributes.first { $0.name == "URI" }?.value
        let transforms = child(reference, "Transforms").map { $0.children.filter(\.isElement).compactMap { algorithm($0) } } ?? []
        guard uri == "", transforms.allSatisfy({ $0 == enveloped || $0 == exclusive }), transforms.contains(enveloped) else {
            throw failure(.tslSignatureStructure, subject: subject)
        }
        guard let expected = base64(child(reference, "DigestValue")),
              let actual = try? MultiDigest.digest(digest, Array(document.canonical(document.root, excluding: signature).utf8)),
              expected == actual
        else {
            throw failure(.tslSignatureDigest, subject: subject)
        }
        let certificate: X509Certificate
        do { certificate = try X509Certificate(der: certificateDER) } catch {
            throw failure(.tslSignatureStructure, subject: subject)
        }
        guard RawSignature.verify(signatureValue, over: Array(document.canonical(signedInfo).utf8), certificate: certificate, digest: signatureDigest) else {
            throw failure(.tslSignatureValue, subject: subject)
        }
        let (trusted, issues) = RawSignature.chain(certificate, trust: trust, at: time)
        guard trusted else {
            let reason = issues.first ?? "no path to a trust anchor"
            throw failure(.tslSignatureUntrusted, ["signer": certificate.subject, "reason": reason], subject: subject)
        }
        return .valid(SubjectText.render(certificate.subject, language: .ru))
    }
}

/// An XML document as the W3C data model sees it (elements with their namespace declarations and attributes, text),
/// and its exclusive canonical form (Exclusive XML Canonicalization 1.0, without comments): what an XML signature
/// signs. Only what XMLDSig over a list needs: no processing instructions, no DOCTYPE (both refused on input).
public struct CanonicalXML {
    public typealias Node = BoundedXML.Node

    let root: Node

    static func parse(_ data: [UInt8], subject: String?) throws -> CanonicalXML {
        // Read once, behind the same guards as every XML podpis reads (UTF-8 only, no processing instructions, no
        // DOCTYPE), into the full tree canonicalisation needs.
        CanonicalXML(root: try BoundedXML.read(data, what: "accredited-CA list", subject: subject, allowDoctype: false))
    }

    /// The namespace a prefix (nil: the default) stands for at `node`.
    func namespace(_ prefix: String?, at node: Node) -> String {
        var current: Node? = node
        while let element = current {
            if let declared = element.declarations.first(where: { $0.prefix == (prefix ?? "") }) { return declared.uri }
            current = element.parent
        }
        if prefix == "xml" { return "http://www.w3.org/XML/1998/namespace" }
        return ""
    }

    func uri(of node: Node) -> String { namespace(node.prefix, at: node) }

    /// The exclusive canonical form of the subtree at `apex`, leaving out `excluded` (the enveloped signature).
    func canonical(_ apex: Node, excluding excluded: Node? = nil) -> String {
        var out = ""
        render(apex, rendered: [:], excluded: excluded, into: &out)
        return out
    }

    private func render(_ node: Node, rendered: [String: String], excluded: Node?, into out: inout String) {
        if !node.isElement {
            out += Self.escape(node.text, attribute: false)
            return
        }
        if let excluded, node === excluded { return }
        // Namespaces visibly utilised by the element and its attributes, not already rendered with the same value by
        // an output ancestor (Exclusive XML Canonicalization 1.0, § 3).
        var utilised: [String] = [node.prefix ?? ""]
        for attribute in node.attributes {
            if let colon = attribute.name.firstIndex(of: ":") {
                let prefix = String(attribute.name[..<colon])
                if prefix != "xml", !utilised.contains(prefix) { utilised.append(prefix) }
            }
        }
        var scope = rendered
        var declarations: [(String, String)] = []
        for prefix in utilised.sorted() where prefix != "xml" {
            let value = namespace(prefix.isEmpty ? nil : prefix, at: node)
            if prefix.isEmpty {
                if value.isEmpty && (rendered[""] ?? "").isEmpty { continue }
            }
            if rendered[prefix] == value { continue }
            declarations.append((prefix, value))
            scope[prefix] = value
        }
        out += "<" + node.name
        for (prefix, value) in declarations {
            out += (prefix.isEmpty ? " xmlns=\"" : " xmlns:\(prefix)=\"") + Self.escape(value, attribute: true) + "\""
        }
        let attributes = node.attributes.map { attribute -> (uri: String, local: String, name: String, value: String) in
            guard let colon = attribute.name.firstIndex(of: ":") else { return ("", attribute.name, attribute.name, attribute.value) }
            let prefix = String(attribute.name[..<colon])
            return (namespace(prefix, at: node), String(attribute.name[attribute.name.index(after: colon)...]), attribute.name, attribute.value)
        }.sorted { ($0.uri, $0.local) < ($1.uri, $1.local) }
        for attribute in attributes { out += " \(attribute.name)=\"" + Self.escape(attribute.value, attribute: true) + "\"" }
        out += ">"
        for child in node.children { render(child, rendered: scope, excluded: excluded, into: &out) }
        out += "</" + node.name + ">"
    }

    /// Canonical XML's escaping (C14N 1.0 § 2.3, which exclusive C14N keeps): in text `&`, `<`, `>` and CR; in an
    /// attribute value `&`, `<`, `"`, TAB, LF and CR.
    static func escape(_ text: String, attribute: Bool) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">" where !attribute: out += "&gt;"
            case "\"" where attribute: out += "&quot;"
            case "\t" where attribute: out += "&#x9;"
            case "\n" where attribute: out += "&#xA;"
            case "\r": out += "&#xD;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
