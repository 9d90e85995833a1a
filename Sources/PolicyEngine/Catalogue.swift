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
        return Catalogue.fill(template, args)
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

    func render(_ message: Message) -> String { text(message.key, message.args) }

    /// Every key of a language's catalogue (for completeness tests).
    public static func keys(_ language: Language) -> Set<String> {
        Set((language == .ru ? allRussian : allEnglish).keys)
    }

    /// Each language's catalogue with its friends (the CLI's own words in `Catalogue+cli-*.swift`, its help in
    /// `Catalogue+help-*.swift`), merged once.
    static let allRussian = russian.merging(russianCLI) { first, _ in first }.merging(russianHelp) { first, _ in first }
    static let allEnglish = english.merging(englishCLI) { first, _ in first }.merging(englishHelp) { first, _ in first }

    /// Keys that two of a language's files define (a mistake: one of the texts is never shown).
    public static func duplicateKeys(_ language: Language) -> Set<String> {
        let parts = language == .ru ? [russian, russianCLI, russianHelp] : [english, englishCLI, englishHelp]
        var seen = Set<String>()
        var duplicates = Set<String>()
        for part in parts { for key in part.keys where !seen.insert(key).inserted { duplicates.insert(key) } }
        return duplicates
    }
}
