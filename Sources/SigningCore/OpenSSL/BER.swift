/// Re-encodes BER as DER, for the timestamps whose message imprint is defined over DER encodings (ETSI EN 319 122-1
/// archive-time-stamp-v3 and the TS 101 733 CAdES-C and certs-crls timestamps: each covered field is taken in its
/// DER form, as the EU DSS library computes them) when the signature itself came BER-encoded — streamed output with
/// indefinite lengths, constructed strings, unsorted sets.
///
/// What changes: indefinite lengths become definite, lengths become minimal, constructed universal strings become
/// primitive (their segments concatenated), and the elements of every SET (tag 0x31) are sorted by their encodings
/// (X.690 §11.6). Implicitly tagged sets cannot be recognised by tag; the caller sorts those it knows about
/// (``sortedSet(_:)``). Bounded: at most ``maxDepth`` levels and ``maxNodes`` nodes, else nil.
enum BER {
    static let maxDepth = 64
    static let maxNodes = 200_000

    /// The DER re-encoding of one BER value occupying all of `bytes`, or nil when it is not well-formed BER.
    static func normalized(_ bytes: [UInt8]) -> [UInt8]? {
        var parser = Parser(bytes: bytes)
        guard let (encoded, end) = parser.value(at: 0, depth: 0), end == bytes.count else { return nil }
        return encoded
    }

    /// Whether `bytes` uses any BER-only feature (so that its DER re-encoding differs): cheap check by comparison.
    static func isDER(_ bytes: [UInt8]) -> Bool { normalized(bytes) == bytes }

    /// A SET re-encoded with its elements (already DER) sorted by their encodings, keeping `tag`.
    static func sortedSet(tag: UInt8, elements: [[UInt8]]) -> [UInt8] {
        DEREncoder.tlv(tag, elements.sorted { $0.lexicographicallyPrecedes($1) }.flatMap { $0 })
    }

    /// The ranges of the children of the value at `offset` (its tag and length included in each range), in BER as
    /// it is: definite or indefinite lengths. nil when malformed.
    static func childRanges(_ bytes: [UInt8], of offset: Int) -> [Range<Int>]? {
        guard let (contentStart, contentEnd, indefinite) = header(bytes, at: offset) else { return nil }
        var ranges: [Range<Int>] = []
        var cursor = contentStart
        while ranges.count < 4096 {
            if indefinite {
                guard cursor + 1 < bytes.count else { return nil }
                if bytes[cursor] == 0, bytes[cursor + 1] == 0 { return ranges }
            } else if cursor >= contentEnd {
                return ranges
            }
            guard let end = valueEnd(bytes, at: cursor, depth: 0) else { return nil }
            ranges.append(cursor..<end)
            cursor = end
        }
        return nil
    }

    /// Where a value's content starts and (for definite lengths) ends, and whether its length is indefinite.
    static func header(_ bytes: [UInt8], at offset: Int) -> (Int, Int, Bool)? {
        guard offset + 2 <= bytes.count, bytes[offset] & 0x1F != 0x1F else { return nil }
        let lengthByte = bytes[offset + 1]
        if lengthByte == 0x80 { return (offset + 2, bytes.count, true) }
        if lengthByte < 0x80 { return offset + 2 + Int(lengthByte) <= bytes.count ? (offset + 2, offset + 2 + Int(lengthByte), false) : nil }
        let count = Int(lengthByte & 0x7F)
        guard count >= 1, count <= 4, offset + 2 + count <= bytes.count else { return nil }
        let length = bytes[(offset + 2)..<(offset + 2 + count)].reduce(0) { $0 << 8 | Int($1) }
        let start = offset + 2 + count
        guard length <= bytes.count - start else { return nil }
        return (start, start + length, false)
    }

    /// Where the value at `offset` ends (after its end-of-contents octets when indefinite).
    static func valueEnd(_ bytes: [UInt8], at offset: Int, depth: Int) -> Int? {
        guard depth < maxDepth, let (contentStart, contentEnd, indefinite) = header(bytes, at: offset) else { return nil }
        guard indefinite else { return contentEnd }
        var cursor = contentStart
        while true {
            guard cursor + 1 < bytes.count else { return nil }
            if bytes[cursor] == 0, bytes[cursor + 1] == 0 { return cursor + 2 }
            guard let end = valueEnd(bytes, at: cursor, depth: depth + 1) else { return nil }
            cursor = end
        }
    }

    /// The encapContentInfo, certificates and crls fields of a ContentInfo holding a SignedData, as they are encoded.
    static func signedDataFields(_ bytes: [UInt8]) -> (encap: ArraySlice<UInt8>, certificates: ArraySlice<UInt8>?, crls: ArraySlice<UInt8>?)? {
        guard let outer = childRanges(bytes, of: 0), outer.count == 2, let explicit = childRanges(bytes, of: outer[1].lowerBound),
              let signedData = explicit.first, let fields = childRanges(bytes, of: signedData.lowerBound), fields.count >= 4
        else { return nil }
        let tagged = fields.dropFirst(3)
        return (bytes[fields[2]], tagged.first { bytes[$0.lowerBound] == 0xA0 }.map { bytes[$0] },
                tagged.first { bytes[$0.lowerBound] == 0xA1 }.map { bytes[$0] })
    }

    struct Parser {
        let bytes: [UInt8]
        var nodes = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        /// One TLV at `offset`: its DER encoding and where it ends in the input.
        mutating func value(at offset: Int, depth: Int) -> ([UInt8], Int)? {
            nodes += 1
            guard depth < BER.maxDepth, nodes < BER.maxNodes, offset < bytes.count else { return nil }
            var cursor = offset
            // Identifier octets (high tag numbers kept as they are).
            let first = bytes[cursor]
            var identifier = [first]
            cursor += 1
            if first & 0x1F == 0x1F {
                while true {
                    guard cursor < bytes.count, identifier.count < 6 else { return nil }
                    let byte = bytes[cursor]
                    identifier.append(byte)
                    cursor += 1
                    if byte & 0x80 == 0 { break }
                }
            }
            let constructed = first & 0x20 != 0
            guard cursor < bytes.count else { return nil }
            let lengthByte = bytes[cursor]
            cursor += 1
            var children: [[UInt8]] = []
            var content: [UInt8] = []
            var end: Int
            if lengthByte == 0x80 {
                // Indefinite: constructed only, children until end-of-contents (00 00).
                guard constructed else { return nil }
                while true {
                    guard cursor + 1 < bytes.count else { return nil }
                    if bytes[cursor] == 0, bytes[cursor + 1] == 0 {
                        cursor += 2
                        break
                    }
                    guard let (child, childEnd) = value(at: cursor, depth: depth + 1) else { return nil }
                    children.append(child)
                    cursor = childEnd
                }
                end = cursor
            } else {
                var length = 0
                if lengthByte < 0x80 {
                    length = Int(lengthByte)
                } else {
                    let count = Int(lengthByte & 0x7F)
                    guard count >= 1, count <= 4, cursor + count <= bytes.count else { return nil }
                    for _ in 0..<count {
                        length = (length << 8) | Int(bytes[cursor])
                        cursor += 1
                    }
                }
                guard length <= bytes.count - cursor else { return nil }
                end = cursor + length
                if constructed {
                    var inner = cursor
                    while inner < end {
                        guard let (child, childEnd) = value(at: inner, depth: depth + 1), childEnd <= end else { return nil }
                        children.append(child)
                        inner = childEnd
                    }
                } else {
                    content = Array(bytes[cursor..<end])
                }
            }
            guard constructed else { return (identifier + DEREncoder.length(content.count) + content, end) }
            // Universal string types sent in segments: DER wants them primitive.
            let universalStrings: Set<UInt8> = [0x23, 0x24, 0x2C, 0x32, 0x33, 0x34, 0x36, 0x39, 0x3A, 0x3C, 0x3D, 0x3E, 0x3F]
            if identifier.count == 1, universalStrings.contains(first) {
                var joined: [UInt8] = []
                for child in children {
                    guard let node = DER.node(in: child, at: 0) else { return nil }
                    var part = Array(child[node.contentRange])
                    if first == 0x23, joined.count > 0 { part = Array(part.dropFirst()) }  // BIT STRING: one unused-bits octet
                    joined += part
                }
                let tag = first & ~0x20
                return ([tag] + DEREncoder.length(joined.count) + joined, end)
            }
            if identifier.count == 1, first == 0x31 { children.sort { $0.lexicographicallyPrecedes($1) } }
            let body = children.flatMap { $0 }
            return (identifier + DEREncoder.length(body.count) + body, end)
        }
    }
}
