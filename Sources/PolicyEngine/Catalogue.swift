import Foundation

/// User-facing text by key, one catalogue per language (`Catalogue+ru.swift`, `Catalogue+en.swift`).
/// Templates use `{name}` placeholders.
public struct Catalogue: Sendable {
    public let language: Language
    let entries: [String: String]

    public init(_ language: Language) {
        self.language = language
        self.entries = language == .ru ? Catalogue.russian : Catalogue.english
    }

    /// The text for `key` with `{placeholders}` filled in; an unknown key renders as itself (and a test keeps
    /// both catalogues complete).
    public func text(_ key: String, _ args: [String: String] = [:]) -> String {
        var template = entries[key] ?? key
        for (name, value) in args {
            template = template.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return template
    }

    func render(_ message: Message) -> String { text(message.key, message.args) }

    /// Every key of a language's catalogue (for completeness tests).
    public static func keys(_ language: Language) -> Set<String> {
        Set((language == .ru ? russian : english).keys)
    }
}
