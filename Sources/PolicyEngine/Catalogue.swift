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

    /// Each language's catalogue with its topic files merged in (`Catalogue+pdf.swift`, ...).

    /// The text for `key` with `{placeholders}` filled in; an unknown key renders as itself (and a test keeps
    /// both catalogues complete).
    public func text(_ key: String, _ args: [String: String] = [:]) -> String {
        let template = entries[key] ?? key
        guard !args.isEmpty else { return template }
        let filled = Catalogue.fill(template, args)
        // Times in messages are Moscow time; the zone's name follows the language (`Format.date`).
        guard filled.contains(Format.moscowMarker) else { return filled }
        return filled.replacingOccurrences(of: Format.moscowMarker, with: language == .ru ? " МСК" : " MSK")
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

    /// The base catalogue with its companions (the law's own keys, `Catalogue+Law.swift`; PDFs', `Catalogue+pdf.swift`).
    /// A key defined twice is a mistake a test catches (`Catalogue.duplicates`).
    static let companionsRussian = [lawRussian, pdfRussian, checksRussian]
    static let companionsEnglish = [lawEnglish, pdfEnglish, checksEnglish]
    static let allRussian = companionsRussian.reduce(russian) { $0.merging($1) { base, _ in base } }
    static let allEnglish = companionsEnglish.reduce(english) { $0.merging($1) { base, _ in base } }

    /// Keys defined more than once across the base catalogue and its companions.
    public static var duplicates: Set<String> {
        func repeated(_ tables: [[String: String]]) -> Set<String> {
            var seen = Set<String>()
            var twice = Set<String>()
            for key in tables.flatMap(\.keys) where !seen.insert(key).inserted { twice.insert(key) }
            return twice
        }
        return repeated([russian] + companionsRussian).union(repeated([english] + companionsEnglish))
    }

    /// Every key of a language's catalogue (for completeness tests).
    public static func keys(_ language: Language) -> Set<String> {
        Set((language == .ru ? allRussian : allEnglish).keys)
    }
}
