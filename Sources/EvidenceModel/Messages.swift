import Foundation

/// The languages of user-facing text.
public enum Language: String, Sendable, Codable, CaseIterable {
    case ru, en

    /// Parses `ru`, `ru-RU`, `en-US`, an Accept-Language header, or an environment locale (`ru_RU.UTF-8`).
    public init(parsing text: String?) {
        let lower = (text ?? "").lowercased()
        let first = lower.split(whereSeparator: { $0 == "," || $0 == ";" }).first.map(String.init) ?? lower
        self = first.hasPrefix("ru") ? .ru : .en
    }
}

/// The key of a user-facing message in the catalogues (`revocation.unusable`, `error.no-such-file`): the same in
/// every language, and what a report's check carries (`messageKey`) so that a program can switch on it.
///
/// A key is written as a literal where it is used (`Message("qc.passed")`) or made by a typed function where it
/// depends on a value (`MessageKey.indication(_:)`, `ErrorMessage`'s cases); keys are never assembled from strings
/// by interpolation, so every key in the code is one a test can find (the two-way catalogue test).
public struct MessageKey: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }
    public static func < (lhs: MessageKey, rhs: MessageKey) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The template mechanics every catalogue shares: `{name}` placeholders and the Moscow-time marker.
public enum MessageTemplate {
    /// Stands for the zone's name in a message until the catalogue renders it in its language (`МСК`, `MSK`).
    public static let moscowMarker = "\u{E000}"

    /// One pass over the template: `{name}` becomes `args[name]`; unknown names and lone braces stay as written.
    /// (Judgement renders a message per rule per signature, so this is on the hot path of every verification.)
    public static func fill(_ template: String, _ args: [String: String]) -> String {
        var result = ""
        result.reserveCapacity(template.utf8.count + 32)
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "}") else {
                rest = rest[open...]  // a lone "{": the rest stays as written
                break
            }
            let name = String(rest[afterOpen..<close])
            if let value = args[name] {
                result += value
            } else {
                result += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return result
    }

    /// The names of a template's `{placeholders}` (for the test that both languages of a key ask for the same values).
    public static func placeholders(_ template: String) -> Set<String> {
        var names = Set<String>()
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "}") else { break }
            let name = rest[afterOpen..<close]
            if !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) { names.insert(String(name)) }
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    /// ``moscowMarker`` replaced by the zone's name. Found in the UTF-8 bytes: Foundation's `contains` and
    /// `replacingOccurrences` (a Unicode-aware search through NSString) were about a twentieth of a verification's time
    /// in a profile, for every message, most of which have no time in them. The bytes give the same answer: U+E000 has
    /// no canonical equivalent, and a marker followed by ASCII (or nothing) is a character of its own; anything else (a
    /// combining mark after it) goes the old way.
    public static func zoneNamed(_ text: String, language: Language) -> String {
        let marker: [UInt8] = [0xEE, 0x80, 0x80]
        var utf8 = Array(text.utf8)
        var positions: [Int] = []
        var index = 0
        while index + 3 <= utf8.count {
            if utf8[index] == marker[0], utf8[index + 1] == marker[1], utf8[index + 2] == marker[2] {
                guard index + 3 == utf8.count || utf8[index + 3] < 0x80 else {
                    return text.replacingOccurrences(of: moscowMarker, with: language == .ru ? " МСК" : " MSK")
                }
                positions.append(index)
                index += 3
            } else {
                index += 1
            }
        }
        guard !positions.isEmpty else { return text }
        let zone = Array((language == .ru ? " МСК" : " MSK").utf8)
        for position in positions.reversed() { utf8.replaceSubrange(position..<(position + 3), with: zone) }
        return String(decoding: utf8, as: UTF8.self)
    }
}
