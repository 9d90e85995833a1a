import ArgumentParser
import EvidenceModel
import Foundation
import PolicyEngine
import SigningCore

/// The language the command line speaks, decided before ArgumentParser sees the arguments: `--lang X` anywhere on
/// the command line (before `--`), else `PODPIS_LANG`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`).
///
/// ArgumentParser builds help from the property wrappers' `help:` values and prints help before any option is
/// parsed, so the language has to be known first: every help text is looked up in the catalogues at run time
/// (``help(_:)``), and `--lang` is taken out of the arguments and honoured by every command alike.
enum CommandLineLanguage {
    /// The languages podpis speaks, as `--lang` accepts them.
    static let accepted = Language.allCases.map(\.rawValue)

    static let current: Language = explicit ?? environmentLanguage()

    /// The language `--lang` names on this command line, when it names one (`stamp` prints its marks in Russian
    /// unless asked otherwise, whatever the locale).
    static let explicit: Language? = {
        guard let (value, _) = try? strip(Array(CommandLine.arguments.dropFirst())) else { return nil }
        return value
    }()

    /// `PODPIS_LANG`, then the POSIX locale variables in their order of precedence.
    static func environmentLanguage(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Language {
        for variable in ["PODPIS_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = environment[variable], !value.isEmpty { return Language(parsing: value) }
        }
        return .en
    }

    /// Parses a `--lang` value strictly: `ru`, `en` (or `ru-RU`, `en_US`…); nil for anything else.
    static func parse(_ value: String) -> Language? {
        let lower = value.lowercased()
        return Language.allCases.first { lower == $0.rawValue || lower.hasPrefix($0.rawValue + "-") || lower.hasPrefix($0.rawValue + "_") }
    }

    /// The arguments without `--lang X` / `--lang=X`, and the language asked for (the last one wins).
    /// - Throws: a usage error naming the value and the languages podpis speaks, for `--lang de` or a bare `--lang`.
    static func strip(_ arguments: [String]) throws -> (Language?, [String]) {
        var rest: [String] = []
        var language: Language? = nil
        var index = 0
        func check(_ value: String?) throws -> Language {
            guard let value, let parsed = parse(value) else {
                throw PodpisError(.usage, .unknownLanguage, ["value": value ?? "", "languages": accepted.joined(separator: ", ")], subject: "--lang")
            }
            return parsed
        }
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                rest += arguments[index...]
                break
            }
            if argument == "--lang" {
                language = try check(index + 1 < arguments.count ? arguments[index + 1] : nil)
                index += 2
                continue
            }
            if argument.hasPrefix("--lang=") {
                language = try check(String(argument.dropFirst("--lang=".count)))
                index += 1
                continue
            }
            rest.append(argument)
            index += 1
        }
        return (language, rest)
    }
}

/// A help text of the command line (`help.KEY` in the catalogues), in the language it speaks.
func help(_ key: String) -> ArgumentHelp {
    ArgumentHelp(helpString(key))
}

/// The same text as a plain string (abstracts, discussions, group titles, validation errors).
func helpString(_ key: String) -> String {
    Catalogue.cli(CommandLineLanguage.current).text(.help(key))
}

extension MessageKey {
    /// `help.sign.document`, …: a help text of the command line, by the name ``help(_:)`` is given.
    static func help(_ name: String) -> MessageKey { MessageKey("help." + name) }
}

/// Renders what ArgumentParser says — help pages and argument errors — in the command line's language, and
/// argument errors as one line: `podpis: sign: missing argument <document> (podpis sign --help)`.
enum ArgumentMessages {
    /// Help as ArgumentParser renders it, with its own words (headings, `(default: …)`, the built-in flags) in
    /// `language`; the commands' texts are already in it.
    static func help(_ text: String, language: Language) -> String {
        guard language == .ru else { return text }
        let words = Catalogue.cli(language)
        var result = text
        // Headings keep their width where ArgumentParser indents after them ("USAGE: " and "ВЫЗОВ: " are 7 wide).
        let replacements: [(String, String)] = [
            ("OVERVIEW:", words.text("argument.overview")), ("USAGE: ", words.text("argument.usage")),
            ("\nARGUMENTS:\n", "\n" + words.text("argument.arguments") + "\n"), ("\nOPTIONS:\n", "\n" + words.text("argument.options") + "\n"),
            ("\nSUBCOMMANDS:\n", "\n" + words.text("argument.subcommands") + "\n"),
            ("Show help information.", words.text("argument.show-help")), ("Show the version.", words.text("argument.show-version")),
            ("(default:", words.text("argument.default")), ("; default:", words.text("argument.default-after")),
            ("(values:", words.text("argument.values")), (" (default)", words.text("argument.default-subcommand")),
        ]
        if text.hasPrefix("ARGUMENTS:\n") || text.hasPrefix("OPTIONS:\n") { result = "\n" + result }
        if let range = result.range(of: #"See '([^']+) <subcommand>' for detailed help\."#, options: .regularExpression) {
            let command = String(result[range]).dropFirst("See '".count).prefix { $0 != "<" }.trimmingCharacters(in: .whitespaces)
            result.replaceSubrange(range, with: words.text("argument.see-help", ["command": command]))
        }
        for (english, translated) in replacements { result = result.replacingOccurrences(of: english, with: translated) }
        // The usage line's placeholders.
        result = result.replacingOccurrences(of: " <subcommand>", with: " " + words.text("argument.subcommand-placeholder"))
            .replacingOccurrences(of: "[<options>]", with: words.text("argument.options-placeholder"))
        return text.hasPrefix("ARGUMENTS:\n") || text.hasPrefix("OPTIONS:\n") ? String(result.dropFirst()) : result
    }

    /// One line for an argument error: ArgumentParser's message (in `language`), the command it is about, and where
    /// to read its help.
    static func errorLine(_ message: String, command: [String], language: Language) -> String {
        let words = Catalogue.cli(language)
        var text = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .joined(separator: " ")
        if language == .ru { text = translate(text, words) }
        let path = (["podpis"] + command).joined(separator: " ")
        let prefix = command.isEmpty ? "" : command.joined(separator: " ") + ": "
        return prefix + text + " " + words.text("argument.see", ["help": path + " --help"])
    }

    /// ArgumentParser's error messages (its `UsageGenerator`), in Russian; anything else is returned as it is
    /// (podpis's own validation messages are already in the user's language).
    static func translate(_ text: String, _ words: Catalogue) -> String {
        let patterns: [(String, MessageKey)] = [
            (#"^Unknown option '(.+)'\. Did you mean '(.+)'\?$"#, "argument.unknown-option-suggest"),
            (#"^Unknown option '(.+)'$"#, "argument.unknown-option"),
            (#"^Missing value for '(.+)'$"#, "argument.missing-value"),
            (#"^The option '(.+)' does not take any value, but '(.+)' was specified\.$"#, "argument.no-value"),
            (#"^Unexpected argument '(.+)'$"#, "argument.unexpected"),
            (#"^\d+ unexpected arguments: (.+)$"#, "argument.unexpected-many"),
            (#"^Missing expected argument '(.+)'$"#, "argument.missing"),
            (#"^Missing one of: (.+)$"#, "argument.missing-one-of"),
            (#"^The value '(.+)' is invalid for '(.+)'\. Please provide one of (.+)\.$"#, "argument.invalid-choice"),
            (#"^The value '(.+)' is invalid for '(.+)'(.*)$"#, "argument.invalid-value"),
            (#"^Value to be set with (.+) had already been set with (.+)$"#, "argument.duplicate"),
            (#"^Missing required subcommand\.$"#, "argument.missing-subcommand"),
            (#"^Invalid option: (.+)$"#, "argument.invalid-option"),
        ]
        for (pattern, key) in patterns {
            guard let regex = try? NSRegularExpression(pattern: pattern),
                  let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { continue }
            var values: [String: String] = [:]
            for group in 1..<match.numberOfRanges {
                if let range = Range(match.range(at: group), in: text) {
                    values["\(group)"] = String(text[range]).replacingOccurrences(of: " and ", with: ", ")
                        .replacingOccurrences(of: " or ", with: ", ").replacingOccurrences(of: ": ", with: "")
                }
            }
            return words.text(key, values)
        }
        return text
    }

    /// The subcommands named on the command line, as far as they go (`policy`, `list`).
    static func commandPath(_ arguments: [String]) -> [String] {
        var command: ParsableCommand.Type = Podpis.self
        var path: [String] = []
        for token in arguments {
            if token == "--" || token.hasPrefix("-") { break }
            guard let next = command.configuration.subcommands.first(where: { names(of: $0).contains(token) }) else { break }
            command = next
            path.append(token)
        }
        return path
    }

    /// `podpis verfy …`: an unknown subcommand of a group, with the nearest name as a suggestion. Nil when the
    /// arguments name commands that exist (ArgumentParser then reports any other problem).
    static func unknownSubcommand(_ arguments: [String], language: Language) -> String? {
        var command: ParsableCommand.Type = Podpis.self
        var path: [String] = []
        for token in arguments {
            if token == "--" || token.hasPrefix("-") { return nil }
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, command.configuration.defaultSubcommand == nil else { return nil }
            if path.isEmpty, token == "help" { return nil }
            if let next = subcommands.first(where: { names(of: $0).contains(token) }) {
                command = next
                path.append(token)
                continue
            }
            let available = subcommands.map { commandName($0) }
            let words = Catalogue.cli(language)
            let group = path.isEmpty ? "" : path.joined(separator: " ") + ": "
            var values = ["name": token, "group": group, "available": available.joined(separator: ", ")]
            if let suggestion = nearest(token, among: available) {
                values["suggestion"] = suggestion
                return words.text("argument.unknown-command-suggest", values)
            }
            return words.text("argument.unknown-command", values)
        }
        return nil
    }

    static func names(of command: ParsableCommand.Type) -> [String] {
        [commandName(command)] + command.configuration.aliases
    }

    static func commandName(_ command: ParsableCommand.Type) -> String {
        command._commandName
    }

    /// The closest name by edit distance (at most a third of the word, at least 2), or one the word starts.
    static func nearest(_ word: String, among names: [String]) -> String? {
        let lower = word.lowercased()
        let scored = names.map { ($0, Suggest.distance(lower, $0.lowercased())) }.sorted { $0.1 < $1.1 }
        if let best = scored.first, best.1 <= max(2, lower.count / 3) { return best.0 }
        return names.first { $0.hasPrefix(lower) && lower.count >= 2 }
    }
}
