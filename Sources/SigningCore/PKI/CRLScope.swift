import COpenSSL
import CPodpis
import EvidenceModel
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The parts of RFC 5280 that say which CRL covers which certificate (§4.2.1.13 CRL distribution points, §5.2.5
// issuing distribution point, §5.3.3 certificate issuer, §6.3.3 the scope checks), read from DER with podpis's own
// bounded reader. Names are compared the way OpenSSL compares them (X509_NAME_cmp over the canonical encoding:
// case and inner white space folded, RFC 5280 §7.1).

/// RFC 5280 ReasonFlags as a bit set: bit 1 keyCompromise … bit 8 aACompromise (bit 0, `unused`, is never set).
struct ReasonSet: OptionSet, Sendable, Hashable {
    let rawValue: UInt16
    /// Every reason a CRL can cover (RFC 5280 §6.3.3: "all-reasons").
    static let all = ReasonSet(rawValue: 0x1FE)

    /// From the contents of a BIT STRING (first byte: unused bits).
    init?(bitString content: ArraySlice<UInt8>) {
        guard let unused = content.first, unused < 8 else { return nil }
        var value: UInt16 = 0
        for (index, byte) in content.dropFirst().prefix(2).enumerated() {
            for bit in 0..<8 where byte & (0x80 >> bit) != 0 {
                let number = index * 8 + bit
                if number >= 1 && number <= 8 { value |= 1 << number }
            }
        }
        self.rawValue = value
    }

    init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The reasons in the set. ReasonFlags number them as CRLReason does (keyCompromise 1 … certificateHold 6), except
    /// that privilegeWithdrawn and aACompromise are bits 7 and 8 (codes 9 and 10).
    var reasons: [RevocationReason] {
        (1...8).filter { rawValue & (1 << $0) != 0 }.map { RevocationReason(code: $0 <= 6 ? $0 : $0 + 2) }
    }
}

/// One GeneralName, as its tag and content (a directoryName holds the DER of its Name).
struct GeneralName: Sendable, Equatable {
    /// The context tag as written: 0xA4 directoryName, 0x86 URI, 0x82 dNSName, 0x81 rfc822Name, …
    var tag: UInt8
    var content: [UInt8]

    static func directoryName(_ nameDER: [UInt8]) -> GeneralName { GeneralName(tag: 0xA4, content: nameDER) }

    var isDirectoryName: Bool { tag == 0xA4 }

    /// RFC 5280 §7: directory names compared as names; URIs and other forms as written.
    func matches(_ other: GeneralName) -> Bool {
        guard tag == other.tag else { return false }
        if isDirectoryName { return NameComparison.equal(content, other.content) }
        if tag == 0x86 { return String(decoding: content, as: UTF8.self).lowercased() == String(decoding: other.content, as: UTF8.self).lowercased() }
        return content == other.content
    }

    /// For messages.
    var text: String {
        switch tag {
        case 0xA4: return NameComparison.text(content)
        case 0x86, 0x82, 0x81: return String(decoding: content, as: UTF8.self)
        default: return "[\(tag & 0x1F)] \(hex(content))"
        }
    }

    /// A GeneralNames SEQUENCE's items (or the items of an implicitly tagged GeneralNames).
    static func list(of node: DER.Node, in der: [UInt8]) -> [GeneralName] {
        DER.children(of: node, in: der).compactMap { item in
            if item.tag == 0xA4 {
                // directoryName [4] EXPLICIT Name: the Name is the only child.
                guard let name = DER.children(of: item, in: der).first, name.tag == 0x30 else { return nil }
                return .directoryName(Array(der[derStart(of: name, in: der)..<name.end]))
            }
            return GeneralName(tag: item.tag, content: Array(der[item.contentRange]))
        }
    }
}

/// DistributionPointName ::= CHOICE { fullName [0] GeneralNames, nameRelativeToCRLIssuer [1] RelativeDistinguishedName }.
struct DistributionPointName: Sendable, Equatable {
    var fullName: [GeneralName]
    /// The DER contents of the relative name's SET (its AttributeTypeAndValue items), when that form is used.
    var relativeToIssuer: [UInt8]?

    /// The names this distribution point stands for: the full names, or the CRL issuer's name with the relative
    /// name appended as its last RDN.
    func names(crlIssuer: [GeneralName]) -> [GeneralName] {
        guard let relative = relativeToIssuer else { return fullName }
        return crlIssuer.filter(\.isDirectoryName).compactMap { issuer -> GeneralName? in
            guard let outer = DER.node(in: issuer.content, at: 0), outer.tag == 0x30 else { return nil }
            let rdns = Array(issuer.content[outer.contentRange])
            return .directoryName(DEREncoder.tlv(0x30, rdns + DEREncoder.tlv(0x31, relative)))
        }
    }

    /// From the node holding the CHOICE (the explicit [0] of a DistributionPoint or an IssuingDistributionPoint).
    static func parse(_ wrapper: DER.Node, in der: [UInt8]) -> DistributionPointName? {
        guard let choice = DER.children(of: wrapper, in: der).first else { return nil }
        switch choice.tag {
        case 0xA0: return DistributionPointName(fullName: GeneralName.list(of: choice, in: der), relativeToIssuer: nil)
        case 0xA1: return DistributionPointName(fullName: [], relativeToIssuer: Array(der[choice.contentRange]))
        default: return nil
        }
    }
}

/// One entry of a certificate's CRL distribution points extension (RFC 5280 §4.2.1.13).
struct DistributionPoint: Sendable, Equatable {
    var name: DistributionPointName?
    var reasons: ReasonSet?
    /// The indirect CRL issuer, when the CRL is issued by someone other than the certificate's issuer.
    var crlIssuer: [GeneralName]?

    /// The distribution points of a `cRLDistributionPoints` extension value; nil when it does not parse.
    static func list(_ der: [UInt8]) -> [DistributionPoint]? {
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30 else { return nil }
        var points: [DistributionPoint] = []
        for item in DER.children(of: outer, in: der) {
            guard item.tag == 0x30 else { return nil }
            var point = DistributionPoint(name: nil, reasons: nil, crlIssuer: nil)
            for field in DER.children(of: item, in: der) {
                switch field.tag {
                case 0xA0: point.name = DistributionPointName.parse(field, in: der)
                case 0x81: point.reasons = ReasonSet(bitString: der[field.contentRange])
                case 0xA2: point.crlIssuer = GeneralName.list(of: field, in: der)
                default: return nil
                }
            }
            points.append(point)
        }
        return points
    }
}

/// A CRL's issuing distribution point extension (RFC 5280 §5.2.5).
struct IssuingDistributionPoint: Sendable, Equatable {
    var name: DistributionPointName?
    var onlyUserCertificates = false
    var onlyCACertificates = false
    var onlySomeReasons: ReasonSet?
    var indirect = false
    var onlyAttributeCertificates = false
    /// The extension value as written (a delta CRL's must equal its complete CRL's, §6.3.3 (c)(2)).
    var der: [UInt8]

    static func parse(_ der: [UInt8]) -> IssuingDistributionPoint? {
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30 else { return nil }
        var result = IssuingDistributionPoint(der: der)
        func flag(_ node: DER.Node) -> Bool { der[node.contentRange].last.map { $0 != 0 } ?? false }
        for field in DER.children(of: outer, in: der) {
            switch field.tag {
            case 0xA0: result.name = DistributionPointName.parse(field, in: der)
            case 0x81: result.onlyUserCertificates = flag(field)
            case 0x82: result.onlyCACertificates = flag(field)
            case 0x83: result.onlySomeReasons = ReasonSet(bitString: der[field.contentRange])
            case 0x84: result.indirect = flag(field)
            case 0x85: result.onlyAttributeCertificates = flag(field)
            default: return nil
            }
        }
        return result
    }
}

/// Distinguished names as OpenSSL compares them.
enum NameComparison {
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        if a == b { return true }
        guard let left = parse(a), let right = parse(b) else { return false }
        return X509_NAME_cmp(left.pointer, right.pointer) == 0
    }

    static func text(_ der: [UInt8]) -> String {
        guard let name = parse(der) else { return hex(der) }
        return nameText(name.pointer)
    }

    /// An owned `X509_NAME` parsed from DER; nil (and a clean error queue) when it does not parse.
    static func parse(_ der: [UInt8]) -> OpenSSLHandle<OpaquePointer>? {
        OpenSSLHandle(der: der, d2i_X509_NAME, free: X509_NAME_free)
    }

    /// The DER of an OpenSSL name.
    static func der(_ name: OpaquePointer?) -> [UInt8] {
        guard let name else { return [] }
        return encodeDER(name, i2d_X509_NAME) ?? []
    }
}

/// Where a node's header starts (DER lengths are minimal).
func derStart(of node: DER.Node, in der: [UInt8]) -> Int {
    node.contentRange.lowerBound - 1 - DEREncoder.length(node.contentRange.count).count
}

/// A non-negative INTEGER's value as big-endian bytes without leading zeros (for comparing CRL numbers).
func integerMagnitude(_ der: [UInt8]) -> [UInt8]? {
    guard let node = DER.node(in: der, at: 0), node.tag == 0x02 else { return nil }
    var content = Array(der[node.contentRange])
    guard let first = content.first, first & 0x80 == 0 else { return nil }  // negative CRL numbers are not valid
    while content.count > 1, content[0] == 0 { content.removeFirst() }
    return content
}

/// Compares two magnitudes from ``integerMagnitude(_:)``.
func compareMagnitudes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.count != b.count { return a.count < b.count ? -1 : 1 }
    for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
    return 0
}

/// The keyIdentifier of an AuthorityKeyIdentifier value (RFC 5280 §4.2.1.1), or of the obsolete X.509 (1993)
/// authority key identifier 2.5.29.1 that some GOST certificates still carry (same [0] field).
func authorityKeyIdentifier(_ der: [UInt8]) -> [UInt8]? {
    guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30,
        let keyID = DER.children(of: outer, in: der).first(where: { $0.tag == 0x80 })
    else { return nil }
    return Array(der[keyID.contentRange])
}
