import EvidenceModel
import PolicyEngine

/// The command line's own words, in both languages: what its commands report (`cli.*`, `audit.*`, `demo.*`,
/// `inspect.*`, `policy explain`/`lint`/`test`), ArgumentParser's words in Russian (`argument.*`), where defaults come
/// from (`defaults.*`), `version`, and every command's help (`help.*`, `Catalogue+help-*.swift`). The CLI adds them to
/// the engine's catalogue (`Catalogue.cli(_:)`).
enum CLITexts: MessageTable {
    static func entries(_ language: Language) -> [String: String] {
        language == .ru ? russianCLI.merging(russianHelp) { first, _ in first } : englishCLI.merging(englishHelp) { first, _ in first }
    }
}

extension Catalogue {
    /// The engine's catalogue with the command line's words (``CLITexts``).
    static func cli(_ language: Language) -> Catalogue { Catalogue(language, adding: [CLITexts.self]) }
}
