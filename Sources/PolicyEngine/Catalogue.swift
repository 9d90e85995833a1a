import EvidenceModel
import Foundation
import NIOConcurrencyHelpers

/// The languages of user-facing text (EvidenceModel's, so that every layer's messages share them).
public typealias Language = EvidenceModel.Language

/// User-facing text by key, one catalogue per language (`Catalogue+ru.swift`, `Catalogue+en.swift`).
/// Templates use `{name}` placeholders (`MessageTemplate`). The errors' words (`error.*`) are EvidenceModel's
/// `ErrorMessage`, merged in here so that one catalogue answers every key. The engine's tables hold what the
/// judgement says (verdicts, checks, the law, policies); a layer above keeps its own words in a ``MessageTable``
/// and adds it (`Catalogue(language, adding:)`): the protocol's in PodpisReport, the web page's in PodpisServer,
/// the command line's and its help in podpis.
public struct Catalogue: Sendable {
    public let language: Language
    let entries: [String: String]

    public init(_ language: Language) {
        self.language = language
        self.entries = language == .ru ? Catalogue.allRussian : Catalogue.allEnglish
    }

    /// The engine's catalogue with the texts of the layers that say them (PodpisReport's `ReportTexts`, the server's
    /// page, the command line's words and help). Each combination is merged once and kept (`merged`). A key an added
    /// table defines again is a mistake (`duplicateKeys(_:adding:)`); the engine's text wins.
    public init(_ language: Language, adding tables: [any MessageTable.Type]) {
        self.language = language
        let key = MergedKey(language: language, tables: tables.map { ObjectIdentifier($0) })
        self.entries = Catalogue.merged.withLockedValue { merged in
            if let entries = merged[key] { return entries }
            let base = language == .ru ? Catalogue.allRussian : Catalogue.allEnglish
            let entries = tables.reduce(base) { $0.merging($1.entries(language)) { base, _ in base } }
            merged[key] = entries
            return entries
        }
    }

    /// The catalogues merged with layers' tables so far, by language and tables.
    private static let merged = NIOLockedValueBox<[MergedKey: [String: String]]>([:])

    private struct MergedKey: Hashable {
        let language: Language
        let tables: [ObjectIdentifier]
    }

    /// The text for `key` with `{placeholders}` filled in; an unknown key renders as itself (and a test keeps
    /// both catalogues complete).
    public func text(_ key: MessageKey, _ args: [String: String] = [:]) -> String {
        let template = entries[key.rawValue] ?? key.rawValue
        guard !args.isEmpty else { return template }
        // Times in messages are Moscow time; the zone's name follows the language (`Format.date`).
        return MessageTemplate.zoneNamed(MessageTemplate.fill(template, args), language: language)
    }

    func render(_ message: Message) -> String { text(message.key, values(message)) }

    /// `message`'s text and the values that filled its template as the text shows them (notes inside it rendered,
    /// times named in the catalogue's language): a check's `message` and `messageArgs` (nil when it takes none).
    func rendered(_ message: Message) -> (text: String, arguments: [String: String]?) {
        let values = values(message)
        let text = text(message.key, values)
        guard !values.isEmpty else { return (text, nil) }
        return (text, values.mapValues { MessageTemplate.zoneNamed($0, language: language) })
    }

    /// The message's values with the notes inside it rendered in this language.
    private func values(_ message: Message) -> [String: String] {
        guard !message.parts.isEmpty else { return message.args }
        var args = message.args
        for (name, parts) in message.parts { args[name] = parts.map(render).joined(separator: "; ") }
        return args
    }

    /// The base catalogue with its companions (the law's own keys, `Catalogue+Law.swift`; PDFs', `Catalogue+pdf.swift`;
    /// the checks' titles and parameters, `Catalogue+Checks.swift`), merged once.
    /// A key defined twice is a mistake a test catches (`Catalogue.duplicates(adding:)`).
    static let companionsRussian = [lawRussian, pdfRussian, checksRussian]
    static let companionsEnglish = [lawEnglish, pdfEnglish, checksEnglish]
    static let allRussian = (companionsRussian + [errors(.ru)]).reduce(russian) { $0.merging($1) { base, _ in base } }
    static let allEnglish = (companionsEnglish + [errors(.en)]).reduce(english) { $0.merging($1) { base, _ in base } }

    /// The errors' texts in `language`, by key.
    static func errors(_ language: Language) -> [String: String] {
        Dictionary(uniqueKeysWithValues: ErrorMessage.allCases.map { ($0.rawValue, $0.template(language)) })
    }

    /// Keys defined more than once across the base catalogue, its companions and the layers' `tables`.
    public static func duplicates(adding tables: [any MessageTable.Type] = []) -> Set<String> {
        return duplicateKeys(.ru, adding: tables).union(duplicateKeys(.en, adding: tables))
    }

    /// Keys that two of a language's files define (a mistake: one of the texts is never shown).
    public static func duplicateKeys(_ language: Language, adding added: [any MessageTable.Type] = []) -> Set<String> {
        var seen = Set<String>()
        var twice = Set<String>()
        let tables = (language == .ru ? [russian] + companionsRussian : [english] + companionsEnglish) + [errors(language)]
            + added.map { $0.entries(language) }
        for key in tables.flatMap(\.keys) where !seen.insert(key).inserted { twice.insert(key) }
        return twice
    }

    /// Every key of a language's catalogue with the layers' `tables` (for completeness tests).
    public static func keys(_ language: Language, adding tables: [any MessageTable.Type] = []) -> Set<String> {
        Set((language == .ru ? allRussian : allEnglish).keys).union(tables.flatMap { $0.entries(language).keys })
    }
}

/// A layer's own words, by key, in both languages: what only that layer says (the protocol's labels, the web page,
/// the command line and its help), kept with it and added to the engine's catalogue (`Catalogue(_:adding:)`).
/// The two-way catalogue test takes every table.
public protocol MessageTable {
    /// The table's templates in `language`, by key (both languages have the same keys; a test checks).
    static func entries(_ language: Language) -> [String: String]
}
