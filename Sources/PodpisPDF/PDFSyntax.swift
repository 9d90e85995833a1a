import EvidenceModel
import Foundation

/// A PDF object as podpis's own small reader sees it. It reads only what qpdf cannot tell through its C API: the
/// cross-reference sections of each revision (which objects each incremental update defines) and the dictionaries
/// of the streams qpdf would inflate on its own, so that their size is checked first. Everything else about objects
/// comes from qpdf.
indirect enum PDFValue: Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case real(Double)
    case name(String)
    case string([UInt8])
    case array([PDFValue])
    case dictionary([String: PDFValue])
    case reference(Int, Int)

    subscript(key: String) -> PDFValue? {
        if case .dictionary(let entries) = self { return entries[key] }
        return nil
    }

    var int: Int64? { if case .int(let value) = self { return value }; return nil }
    var name: String? { if case .name(let value) = self { return value }; return nil }
    var array: [PDFValue]? { if case .array(let value) = self { return value }; return nil }
    var dictionary: [String: PDFValue]? { if case .dictionary(let value) = self { return value }; return nil }
    var reference: (Int, Int)? { if case .reference(let number, let generation) = self { return (number, generation) }; return nil }
}

/// Reads PDF tokens from a byte buffer, bounded in nesting and in the size of what it collects.
struct PDFLexer {
    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    /// Objects nest at most this deep (arrays and dictionaries).
    static let maxDepth = 32
    /// A dictionary or array holds at most this many entries here (xref and stream dictionaries are small).
    static let maxEntries = 4096

    struct SyntaxError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    init(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) {
        self.bytes = bytes
        self.position = position
    }

    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 || byte == 0x0C || byte == 0x00 }
    static func isDelimiter(_ byte: UInt8) -> Bool { "()<>[]{}/%".utf8.contains(byte) }
    static func isRegular(_ byte: UInt8) -> Bool { !isWhitespace(byte) && !isDelimiter(byte) }

    var atEnd: Bool { position >= bytes.count }

    /// Skips whitespace and comments.
    mutating func skipSpace() {
        while position < bytes.count {
            let byte = bytes[position]
            if Self.isWhitespace(byte) {
                position += 1
            } else if byte == 0x25 {  // %
                while position < bytes.count, bytes[position] != 0x0A, bytes[position] != 0x0D { position += 1 }
            } else {
                return
            }
        }
    }

    /// Whether the next token is exactly `keyword` (a run of regular characters), consuming it if so.
    mutating func keyword(_ keyword: String) -> Bool {
        skipSpace()
        let word = Array(keyword.utf8)
        guard position + word.count <= bytes.count else { return false }
        for (index, byte) in word.enumerated() where bytes[position + index] != byte { return false }
        let after = position + word.count
        if after < bytes.count, Self.isRegular(bytes[after]) { return false }
        position = after
        return true
    }

    /// An unsigned decimal integer token, if the next token is one.
    mutating func unsigned() -> Int64? {
        skipSpace()
        var value: Int64 = 0
        var digits = 0
        var cursor = position
        while cursor < bytes.count, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39 {
            guard digits < 18 else { return nil }
            value = value * 10 + Int64(bytes[cursor] - 0x30)
            digits += 1
            cursor += 1
        }
        guard digits > 0, cursor >= bytes.count || !Self.isRegular(bytes[cursor]) || bytes[cursor] == 0x2E else { return nil }
        if cursor < bytes.count, bytes[cursor] == 0x2E { return nil }  // a real number
        position = cursor
        return value
    }

    /// Reads one object. `N G R` references are recognised; `N G obj` is left to the caller.
    mutating func value(depth: Int = 0) throws -> PDFValue {
        guard depth < Self.maxDepth else { throw SyntaxError("objects nested deeper than \(Self.maxDepth)") }
        skipSpace()
        guard position < bytes.count else { throw SyntaxError("unexpected end of data") }
        let byte = bytes[position]
        switch byte {
        case 0x2F:  // /
            return .name(readName())
        case 0x28:  // (
            return .string(try readLiteralString())
        case 0x3C:  // <
            if position + 1 < bytes.count, bytes[position + 1] == 0x3C {
                position += 2
                var entries: [String: PDFValue] = [:]
                while true {
                    skipSpace()
                    guard position < bytes.count else { throw SyntaxError("unterminated dictionary") }
                    if bytes[position] == 0x3E {
                        guard position + 1 < bytes.count, bytes[position + 1] == 0x3E else { throw SyntaxError("malformed dictionary end") }
                        position += 2
                        return .dictionary(entries)
                    }
                    guard bytes[position] == 0x2F else { throw SyntaxError("a dictionary key is not a name") }
                    let key = readName()
                    let item = try value(depth: depth + 1)
                    entries[key] = item
                    guard entries.count <= Self.maxEntries else { throw SyntaxError("dictionary too large") }
                }
            }
            return .string(try readHexString())
        case 0x5B:  // [
            position += 1
            var items: [PDFValue] = []
            while true {
                skipSpace()
                guard position < bytes.count else { throw SyntaxError("unterminated array") }
                if bytes[position] == 0x5D {
                    position += 1
                    return .array(items)
                }
                items.append(try value(depth: depth + 1))
                guard items.count <= Self.maxEntries else { throw SyntaxError("array too large") }
            }
        default:
            let save = position
            if let number = unsigned() {
                // `N G R`?
                let afterFirst = position
                if let generation = unsigned(), keyword("R") {
                    guard number <= Int64(Int32.max), generation <= 65535 else { throw SyntaxError("object number out of range") }
                    return .reference(Int(number), Int(generation))
                }
                position = afterFirst
                return .int(number)
            }
            position = save
            let word = readRegular()
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default:
                if let integer = Int64(word) { return .int(integer) }
                if let real = Double(word), word.allSatisfy({ "+-.0123456789".contains($0) }) { return .real(real) }
                throw SyntaxError("unexpected token «\(word.prefix(20))»")
            }
        }
    }

    mutating func readRegular() -> String {
        let start = position
        while position < bytes.count, Self.isRegular(bytes[position]), position - start < 256 { position += 1 }
        if position == start { position += 1 }  // a stray delimiter: step over it
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    mutating func readName() -> String {
        position += 1  // "/"
        var name: [UInt8] = [0x2F]
        while position < bytes.count, Self.isRegular(bytes[position]), name.count < 256 {
            let byte = bytes[position]
            if byte == 0x23, position + 2 < bytes.count, let high = Hex.nibble(bytes[position + 1]), let low = Hex.nibble(bytes[position + 2]) {
                name.append(high << 4 | low)
                position += 3
            } else {
                name.append(byte)
                position += 1
            }
        }
        return String(decoding: name, as: UTF8.self)
    }

    mutating func readLiteralString() throws -> [UInt8] {
        position += 1
        var depth = 1
        var result: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case 0x5C:  // backslash (ISO 32000-1, 7.3.4.2)
                guard position < bytes.count else { break }
                let next = bytes[position]
                position += 1
                switch next {
                case 0x6E: result.append(0x0A)  // \n
                case 0x72: result.append(0x0D)  // \r
                case 0x74: result.append(0x09)  // \t
                case 0x62: result.append(0x08)  // \b
                case 0x66: result.append(0x0C)  // \f
                case 0x0D:  // line continuation
                    if position < bytes.count, bytes[position] == 0x0A { position += 1 }
                case 0x0A: break
                case 0x30...0x37:
                    var value = Int(next - 0x30)
                    for _ in 0..<2 {
                        guard position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x37 else { break }
                        value = value * 8 + Int(bytes[position] - 0x30)
                        position += 1
                    }
                    result.append(UInt8(truncatingIfNeeded: value))
                default: result.append(next)  // \( \) \\ and unknown escapes: the character itself
                }
            case 0x28:
                depth += 1
                result.append(byte)
            case 0x29:
                depth -= 1
                if depth == 0 { return result }
                result.append(byte)
            default:
                result.append(byte)
            }
            guard result.count <= 1 << 20 else { throw SyntaxError("string too long") }
        }
        throw SyntaxError("unterminated string")
    }

    mutating func readHexString() throws -> [UInt8] {
        position += 1
        var result: [UInt8] = []
        var pending: UInt8? = nil
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == 0x3E {
                if let pending { result.append(pending << 4) }
                return result
            }
            if Self.isWhitespace(byte) { continue }
            guard let nibble = Hex.nibble(byte) else { throw SyntaxError("bad hex string") }
            if let high = pending {
                result.append(high << 4 | nibble)
                pending = nil
            } else {
                pending = nibble
            }
            guard result.count <= 1 << 16 else { throw SyntaxError("hex string too long") }
        }
        throw SyntaxError("unterminated hex string")
    }
}

