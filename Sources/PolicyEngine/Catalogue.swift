import Foundation

/// User-facing text by key, one catalogue per language (`Catalogue+ru.swift`, `Catalogue+en.swift`).
/// Templates use `{name}` placeholders.
public struct Catalogue: Sendable {
    public let language: Language
    let entries: [String: String]

    public init(_ language: Language) {
        self.language = language
        self.entries = language == .ru ? Catalogue.allRussian : Catalogue.allEnglish
    }

    /// The text for `key` with `{placeholders}` filled in; an unknown key renders as itself (and a test keeps
    /// both catalogues complete).
    public func text(_ key: String, _ args: [String: String] = [:]) -> String {
        let template = entries[key] ?? key
        guard !args.isEmpty else { return template }
        let filled = Catalogue.fill(template, args)
        // Times in messages are Moscow time; the zone's name follows the language (`Format.date`).
        return Catalogue.zoneNamed(filled, language: language)
    }

    /// `Format.moscowMarker` (U+E000, UTF-8 EE 80 80) replaced by the zone's name. Found in the UTF-8 bytes: Foundation's
    /// `contains` and `replacingOccurrences` (a Unicode-aware search through NSString) were about a twentieth of a
    /// verification's time in a profile, for every message, most of which have no time in them. The bytes give the
    /// same answer: U+E000 has no canonical equivalent, and a marker followed by ASCII (or nothing) is a character of
    /// its own; anything else (a combining mark after it) goes the old way.
    static func zoneNamed(_ text: String, language: Language) -> String {
        let marker: [UInt8] = [0xEE, 0x80, 0x80]
        var utf8 = Array(text.utf8)
        var positions: [Int] = []
        var index = 0
        while index + 3 <= utf8.count {
            if utf8[index] == marker[0], utf8[index + 1] == marker[1], utf8[index + 2] == marker[2] {
                guard index + 3 == utf8.count || utf8[index + 3] < 0x80 else {
                    return text.replacingOccurrences(of: Format.moscowMarker, with: language == .ru ? " МСК" : " MSK")
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

    /// One pass over the template: `{name}` becomes `args[name]`; unknown names and lone braces stay as written.
    /// (Judgement renders a message per rule per signature, so this is on the hot path of every verification.)
    static func fill(_ template: String, _ args: [String: String]) -> String {
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

    func render(_ message: Message) -> String {
        guard !message.parts.isEmpty else { return text(message.key, message.args) }
        var args = message.args
        for (name, parts) in message.parts { args[name] = parts.map(render).joined(separator: "; ") }
        return text(message.key, args)
    }

    /// The base catalogue with its companions (the law's own keys, `Catalogue+Law.swift`; PDFs', `Catalogue+pdf.swift`;
    /// the checks' titles and parameters, `Catalogue+Checks.swift`; the CLI's own words, `Catalogue+cli-*.swift`, and its
    /// help, `Catalogue+help-*.swift`), merged once.
    /// A key defined twice is a mistake a test catches (`Catalogue.duplicates`).
    static let companionsRussian = [lawRussian, pdfRussian, checksRussian, russianCLI, russianHelp]
    static let companionsEnglish = [lawEnglish, pdfEnglish, checksEnglish, englishCLI, englishHelp]
    static let allRussian = companionsRussian.reduce(russian) { $0.merging($1) { base, _ in base } }
    static let allEnglish = companionsEnglish.reduce(english) { $0.merging($1) { base, _ in base } }

    /// Keys defined more than once across the base catalogue and its companions.
    public static var duplicates: Set<String> {
        return duplicateKeys(.ru).union(duplicateKeys(.en))
    }

    /// Keys that two of a language's files define (a mistake: one of the texts is never shown).
    public static func duplicateKeys(_ language: Language) -> Set<String> {
        var seen = Set<String>()
        var twice = Set<String>()
        let tables = language == .ru ? [russian] + companionsRussian : [english] + companionsEnglish
        for key in tables.flatMap(\.keys) where !seen.insert(key).inserted { twice.insert(key) }
        return twice
    }

    /// Every key of a language's catalogue (for completeness tests).
    public static func keys(_ language: Language) -> Set<String> {
        Set((language == .ru ? allRussian : allEnglish).keys)
    }
}
