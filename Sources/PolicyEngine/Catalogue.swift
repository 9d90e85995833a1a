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
    static let allRussian = russian.merging(pdfRussian) { first, _ in first }
    static let allEnglish = english.merging(pdfEnglish) { first, _ in first }

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
}
