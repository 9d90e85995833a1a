#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A minimal, bounded DER reader for the few places podpis looks at raw ASN.1 itself
/// (sniffing input, reading small extension values). Everything else goes through OpenSSL.
package enum DER {
    package struct Node {
        package var tag: UInt8
        package var contentRange: Range<Int>
        package var end: Int
        var constructed: Bool { tag & 0x20 != 0 }
    }

    /// Reads one TLV at `offset`. Only definite lengths up to 2^32; returns nil on anything malformed.
    package static func node(in bytes: [UInt8], at offset: Int) -> Node? {
        guard offset + 2 <= bytes.count else { return nil }
        let tag = bytes[offset]
        guard tag & 0x1f != 0x1f else { return nil }  // high tag numbers are not needed here
        var cursor = offset + 1
        let first = bytes[cursor]
        cursor += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7f)
            guard count >= 1, count <= 4, cursor + count <= bytes.count else { return nil }
            for _ in 0..<count {
                length = (length << 8) | Int(bytes[cursor])
                cursor += 1
            }
        }
        guard cursor + length <= bytes.count else { return nil }
        return Node(tag: tag, contentRange: cursor..<(cursor + length), end: cursor + length)
    }

    /// The children of a constructed node.
    package static func children(of parent: Node, in bytes: [UInt8]) -> [Node] {
        var result: [Node] = []
        var offset = parent.contentRange.lowerBound
        while offset < parent.contentRange.upperBound, result.count < 1024 {
            guard let child = node(in: bytes, at: offset), child.end <= parent.contentRange.upperBound else { break }
            result.append(child)
            offset = child.end
        }
        return result
    }

    /// The text of a DER string value (UTF8String, PrintableString, IA5String, ...) at the top level.
    static func firstString(_ bytes: [UInt8]) -> String? {
        guard let node = node(in: bytes, at: 0) else { return nil }
        switch node.tag {
        case 0x0C, 0x13, 0x16, 0x12, 0x14:
            return String(decoding: bytes[node.contentRange], as: UTF8.self)
        case 0x1E:  // BMPString
            var units: [UInt16] = []
            var index = node.contentRange.lowerBound
            while index + 1 < node.contentRange.upperBound {
                units.append(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
                index += 2
            }
            return String(decoding: units, as: UTF16.self)
        default:
            return nil
        }
    }

    /// Decodes a dotted OID from the contents of an OBJECT IDENTIFIER.
    static func oid(_ content: ArraySlice<UInt8>) -> String? {
        guard !content.isEmpty else { return nil }
        var parts: [UInt64] = []
        var value: UInt64 = 0
        for byte in content {
            guard value < (1 << 56) else { return nil }
            value = (value << 7) | UInt64(byte & 0x7f)
            if byte & 0x80 == 0 {
                parts.append(value)
                value = 0
            }
        }
        guard let first = parts.first else { return nil }
        let head: [UInt64] = first < 80 ? [first / 40, first % 40] : [2, first - 80]
        return (head + parts.dropFirst()).map(String.init).joined(separator: ".")
    }

    /// The statement OIDs of a qcStatements extension value (SEQUENCE OF SEQUENCE { OID, ANY }), followed for a
    /// QcType statement (0.4.0.1862.1.6, ETSI EN 319 412-5) by the type OIDs it lists (esign, eseal, web).
    static func qcStatementOIDs(_ bytes: [UInt8]) -> [String] {
        guard let outer = node(in: bytes, at: 0), outer.tag == 0x30 else { return [] }
        return children(of: outer, in: bytes).flatMap { statement -> [String] in
            let parts = statement.tag == 0x30 ? children(of: statement, in: bytes) : []
            guard let first = parts.first, first.tag == 0x06, let id = oid(bytes[first.contentRange]) else { return [] }
            guard id == "0.4.0.1862.1.6", parts.count > 1, parts[1].tag == 0x30 else { return [id] }
            return [id] + children(of: parts[1], in: bytes).filter { $0.tag == 0x06 }.compactMap { oid(bytes[$0.contentRange]) }
        }
    }
}

enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    /// Strict decoding: whitespace is allowed between characters, anything else outside the alphabet is not.
    static func decodeStrict(_ bytes: [UInt8]) -> [UInt8]? {
        var compact: [UInt8] = []
        compact.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
                compact.append(byte)
            case UInt8(ascii: "-"): compact.append(UInt8(ascii: "+"))  // base64url
            case UInt8(ascii: "_"): compact.append(UInt8(ascii: "/"))
            default: return nil
            }
        }
        while compact.count % 4 != 0 { compact.append(UInt8(ascii: "=")) }
        guard let data = Data(base64Encoded: Data(compact)) else { return nil }
        return [UInt8](data)
    }
}
