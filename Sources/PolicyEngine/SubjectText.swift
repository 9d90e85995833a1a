import EvidenceModel
import Foundation
import NIOConcurrencyHelpers

/// A certificate's subject or issuer as a person reads it: the Russian qualified-certificate attributes by their
/// names (ИНН ЮЛ, ОГРН, СНИЛС … in Russian; INNLE, OGRN, SNILS … in English), never as `1.2.643.100.4=#120A…`,
/// СНИЛС written `123-456-789 01`.
///
/// The input is the RFC 2253 text the core records (most specific first, UTF-8, types OpenSSL does not know as a
/// dotted OID with the value's DER in hex); the output keeps the order and the well-known short names (CN, O, L …).
public enum SubjectText {
    static let russianNames: [String: (ru: String, en: String)] = [
        "INN": ("ИНН", "INN"), "1.2.643.3.131.1.1": ("ИНН", "INN"),
        "SNILS": ("СНИЛС", "SNILS"), "1.2.643.100.3": ("СНИЛС", "SNILS"),
        "OGRN": ("ОГРН", "OGRN"), "1.2.643.100.1": ("ОГРН", "OGRN"),
        "OGRNIP": ("ОГРНИП", "OGRNIP"), "1.2.643.100.5": ("ОГРНИП", "OGRNIP"),
        "1.2.643.100.4": ("ИНН ЮЛ", "INNLE"), "INNLE": ("ИНН ЮЛ", "INNLE"),
        "1.2.643.100.114": ("вид идентификации", "identification kind"),
        "2.5.4.12": ("T", "T"), "title": ("T", "T"),
        "emailAddress": ("E", "E"), "1.2.840.113549.1.9.1": ("E", "E"),
        "street": ("STREET", "STREET"), "streetAddress": ("STREET", "STREET"), "2.5.4.9": ("STREET", "STREET"),
        "GN": ("G", "G"), "givenName": ("G", "G"),
    ]

    /// Renders `name` for `language`. A pure function of the two, and the same few names (the signer's, its CA's,
    /// the TSA's) recur in every verification of a batch or a service: judging a signature rendered each of them
    /// anew, character by character, about a third of the judgement's time in a profile of the in-process verify
    /// row. So the text is kept, bounded, for the process.
    public static func render(_ name: String, language: Language) -> String {
        guard name.utf8.count <= RenderedNames.maxNameBytes else { return uncachedRender(name, language: language) }
        if let known = RenderedNames.shared.lookup(name, language) { return known }
        let rendered = uncachedRender(name, language: language)
        RenderedNames.shared.store(name, language, rendered)
        return rendered
    }

    static func uncachedRender(_ name: String, language: Language) -> String {
        split(name).map { part in
            let (type, value) = part
            let label = russianNames[type].map { language == .ru ? $0.ru : $0.en } ?? type
            var text = value.hasPrefix("#") ? (decodeHex(String(value.dropFirst())) ?? value) : value
            if label == "СНИЛС" || label == "SNILS" { text = formatSNILS(text) }
            return "\(label)=\(text)"
        }.joined(separator: ", ")
    }

    /// `type=value` pairs of an RFC 2253 string (multi-valued RDNs flattened), escapes removed.
    static func split(_ name: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var type = ""
        var value = ""
        var inValue = false
        var escaped = false
        // Only ASCII spaces around a separator are layout; every other character (invisible ones included) is data
        // the reader must see.
        func trimmed(_ text: String) -> String {
            guard let first = text.firstIndex(where: { $0 != " " }), let last = text.lastIndex(where: { $0 != " " }) else { return "" }
            return String(text[first...last])
        }
        func flush() {
            let key = trimmed(type)
            if !key.isEmpty { pairs.append((key, trimmed(value))) }
            type = ""
            value = ""
            inValue = false
        }
        for character in name {
            if escaped {
                if inValue { value.append(character) } else { type.append(character) }
                escaped = false
                continue
            }
            switch character {
            case "\\": escaped = true
            case "=" where !inValue: inValue = true
            case ",", "+": flush()
            default: if inValue { value.append(character) } else { type.append(character) }
            }
        }
        flush()
        return pairs
    }

    /// The text of a DER string (NumericString, PrintableString, UTF8String, IA5String, BMPString) given in hex.
    static func decodeHex(_ hex: String) -> String? {
        guard let bytes = Hex.decode(hex), bytes.count >= 2 else { return nil }
        var length = Int(bytes[1])
        var start = 2
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count <= 2, bytes.count >= 2 + count else { return nil }
            length = bytes[2..<(2 + count)].reduce(0) { $0 << 8 | Int($1) }
            start = 2 + count
        }
        guard bytes.count >= start + length else { return nil }
        let content = Array(bytes[start..<(start + length)])
        switch bytes[0] {
        case 0x12, 0x13, 0x16, 0x0C: return String(decoding: content, as: UTF8.self)
        case 0x1E:
            var units: [UInt16] = []
            for index in stride(from: 0, to: content.count - 1, by: 2) { units.append(UInt16(content[index]) << 8 | UInt16(content[index + 1])) }
            return String(decoding: units, as: UTF16.self)
        default: return nil
        }
    }

    /// `12345678901` → `123-456-789 01`; anything else unchanged.
    static func formatSNILS(_ text: String) -> String {
        let digits = Array(text.filter(\.isNumber))
        guard digits.count == 11, text.allSatisfy({ $0.isNumber || $0 == "-" || $0 == " " }) else { return text }
        return "\(String(digits[0..<3]))-\(String(digits[3..<6]))-\(String(digits[6..<9])) \(String(digits[9..<11]))"
    }
}

/// Rendered names by (name, language): bounded (emptied when full, as ``CertificateInfoCache`` in the core), shared by
/// every thread under a lock.
final class RenderedNames: Sendable {
    static let shared = RenderedNames(capacity: 2048)
    /// Longer names are rendered every time (a hostile certificate must not fill the memory through the keys).
    static let maxNameBytes = 4096

    /// The name by its bytes: Swift's `String` equality is canonical equivalence, and two names that differ only in
    /// their normalisation must not share a rendering (the report keeps the certificate's own characters).
    struct Key: Hashable {
        var name: String
        var russian: Bool

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.russian == rhs.russian && lhs.name.utf8.elementsEqual(rhs.name.utf8) }

        func hash(into hasher: inout Hasher) {
            hasher.combine(russian)
            hasher.combine(name.utf8.count)
            if name.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
                for byte in name.utf8 { hasher.combine(byte) }
            }
        }
    }

    private let entries = NIOLockedValueBox<[Key: String]>([:])
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ name: String, _ language: Language) -> String? {
        let key = Key(name: name, russian: language == .ru)
        return entries.withLockedValue { $0[key] }
    }

    func store(_ name: String, _ language: Language, _ rendered: String) {
        let key = Key(name: name, russian: language == .ru)
        entries.withLockedValue { map in
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }
            map[key] = rendered
        }
    }
}
