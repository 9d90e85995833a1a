import EvidenceModel
import Foundation
@testable import podpis
import PodpisReport
import PodpisServer
@testable import PolicyEngine
import SigningCore
import Testing

/// The catalogues checked both ways, as EU DSS's `MessageTagTest` checks its i18n bundle: every key the code can say
/// is in both languages with the same values, and every catalogue entry is something the code can say (an entry
/// nothing uses is text nobody maintains). Keys in code are found where they are written: literals shaped like a key
/// (`"revocation.unusable"`, `help("sign.document")`), the protocol's labels (`{{t.name}}`, `text["name"]`), the
/// errors' cases (`ErrorMessage`), and the families made by typed functions (`MessageKey.families`).
@Suite("Message catalogues, both ways")
struct MessageCatalogueTests {
    /// The layers' own tables, which each adds to the engine's catalogue: the protocol's (PodpisReport), the web page's
    /// (PodpisServer), the command line's and its help (podpis).
    static var tables: [any MessageTable.Type] { [ReportTexts.self, PageTexts.self, CLITexts.self] }

    static let sources = (Repository.root as NSString).appendingPathComponent("Sources")

    /// Swift files under Sources other than the catalogues themselves, by path.
    static let code: [String: String] = {
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: sources)
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".swift"), !path.contains("/Catalogue+"), !path.hasSuffix("/ErrorMessages.swift") else { continue }
            files[path] = try? String(contentsOfFile: (sources as NSString).appendingPathComponent(path), encoding: .utf8)
        }
        return files
    }()

    /// The protocol's templates.
    static let templates: [String] = {
        let directory = (sources as NSString).appendingPathComponent("PodpisReport/Templates")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".mustache") }
            .compactMap { try? String(contentsOfFile: (directory as NSString).appendingPathComponent($0), encoding: .utf8) }
    }()

    /// Keys named in the code: string literals shaped like a key (a literal ending in `-` or `.` is a family's prefix,
    /// not a key), `help("x")` as `help.x`, and the labels the protocol's templates use (`{{t.x}}` as `report.x`).
    static let named: Set<String> = {
        let label = try! Regex(#"\{\{t\.([A-Za-z0-9-]+)\}\}"#)
        var keys = Set(code.values.flatMap(keysNamed(in:)))
        for template in templates {
            for match in template.matches(of: label) { keys.insert("report." + String(match.output[1].substring ?? "")) }
        }
        return keys
    }()

    /// The keys one Swift file names: string literals shaped like a key (a literal ending in `-` or `.` is a family's
    /// prefix, not a key) and `help("x")` as `help.x`.
    static func keysNamed(in text: String) -> Set<String> {
        let literal = try! Regex(#""([a-z][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)+)""#)
        let help = try! Regex(#"\bhelp(?:String)?\("([^"\\]+)""#)
        // What a policy's reader names a field by (`what: "rule.level"`) is a path in the policy, not a key.
        let fieldPath = try! Regex(#"\bwhat: "[^"\\]+""#)
        var keys = Set<String>()
        for match in text.matches(of: help) { keys.insert("help." + String(match.output[1].substring ?? "")) }
        for match in text.replacing(help, with: "").replacing(fieldPath, with: "").matches(of: literal) {
            let key = String(match.output[1].substring ?? "")
            if !key.hasSuffix("-") && !key.hasSuffix(".") { keys.insert(key) }
        }
        return keys
    }

    /// Keys the code may use: the named ones, and the protocol's labels PodpisReport's code asks for by name
    /// (`text["role-signer"]` for `report.role-signer`).
    static let written: Set<String> = {
        let name = try! Regex(#""([a-z][a-z0-9-]*)""#)
        var keys = named
        for (path, text) in code where path.hasPrefix("PodpisReport/") {
            for match in text.matches(of: name) { keys.insert("report." + String(match.output[1].substring ?? "")) }
        }
        return keys
    }()

    /// The keys typed functions make from values the code enumerates.
    static let made: Set<String> = {
        var keys = Set(MessageKey.families.values.flatMap { $0 }.map(\.rawValue))
        // The protocol's words for indications, sub-indications and check statuses (`Labels`, `.reportVerdict(_:)`, …).
        keys.formUnion(MessageKey.reportFamilies.values.flatMap { $0 }.map(\.rawValue))
        return keys
    }()

    /// Families whose values come from evidence or requests as text (a problem type's slug, a timestamp's type, a
    /// document's source, a parameter's form, a power of attorney's redelegation code): an entry of these is used when
    /// the code makes its family.
    static let openFamilies = ["page.problem.", "report.ts-type-", "report.source-", "lint.form.",
                               "poa.inspect.redelegation-", "inspect.content."]

    /// Where a language's template may leave out a value the other uses, and why.
    static let placeholderExceptions: [String: Set<String>] = [
        // The English names what was counted ("certificates"); the Russian names the limit by its setting alone.
        "error.too-complex": ["what"],
    ]

    /// A template's placeholders; `{nameRU}` is the Russian form of `{name}` (the same value, said in Russian).
    static func placeholders(_ template: String) -> Set<String> {
        Set(MessageTemplate.placeholders(template).map { $0.hasSuffix("RU") ? String($0.dropLast(2)) : $0 })
    }

    @Test("every key the code names is in both catalogues, and both languages of every entry ask for the same values")
    func namedKeysExist() {
        let ru = Catalogue.keys(.ru, adding: Self.tables), en = Catalogue.keys(.en, adding: Self.tables)
        let catalogued = ru.union(en)
        // Literals shaped like a key whose namespace is a catalogue's (`pdf.`, `error.`, …) must be keys; other dotted
        // literals (file names, OIDs' names, JSON paths) are not messages.
        let namespaces = Set(catalogued.compactMap { $0.split(separator: ".").first.map(String.init) })
        let notMessages: Set<String> = Self.notMessages
        for key in Self.named.union(Self.made).sorted() where namespaces.contains(String(key.split(separator: ".")[0])) {
            guard !notMessages.contains(key) else { continue }
            #expect(ru.contains(key) && en.contains(key), "\(key) is named in the code but missing from \(ru.contains(key) ? "en" : "ru")")
        }
        for type in CheckRegistry.all {
            for key in type.messageKeys { #expect(ru.contains(key.rawValue) && en.contains(key.rawValue), "\(type.name): \(key)") }
        }
        let russian = Catalogue(.ru, adding: Self.tables), english = Catalogue(.en, adding: Self.tables)
        for key in catalogued.sorted() {
            let inRussian = Self.placeholders(russian.text(MessageKey(key))), inEnglish = Self.placeholders(english.text(MessageKey(key)))
            let allowed = Self.placeholderExceptions[key] ?? []
            #expect(inRussian.symmetricDifference(inEnglish).subtracting(allowed).isEmpty,
                    "\(key): ru asks for \(inRussian.sorted()), en for \(inEnglish.sorted())")
        }
    }

    @Test("a layer names only keys its own catalogue holds: the engine's, and its table (a key in another layer's table would render as itself)")
    func layersSayTheirOwnWords() {
        let own: [String: [any MessageTable.Type]] = ["podpis": [CLITexts.self], "PodpisReport": [ReportTexts.self], "PodpisServer": [PageTexts.self]]
        let everywhere = Catalogue.keys(.en, adding: Self.tables)
        for (path, text) in Self.code.sorted(by: { $0.key < $1.key }) {
            let layer = String(path.split(separator: "/")[0])
            let visible = Catalogue.keys(.en, adding: own[layer] ?? [])
            let foreign = Self.keysNamed(in: text).filter { everywhere.contains($0) && !visible.contains($0) }
            #expect(foreign.isEmpty, "\(path) names \(foreign.sorted()), which \(layer)'s catalogue does not hold")
        }
    }

    @Test("every error has both languages, its English is its message, and every error key is thrown somewhere")
    func errors() throws {
        let everything = Self.code.values.joined(separator: "\n")
        for error in ErrorMessage.allCases {
            #expect(!error.template(.ru).isEmpty && !error.template(.en).isEmpty, "\(error.rawValue)")
            #expect(error.template(.ru) != error.template(.en), "\(error.rawValue) is not translated")
            let values = Dictionary(uniqueKeysWithValues: MessageTemplate.placeholders(error.template(.en)).map { ($0, "<\($0)>") })
            let thrown = PodpisError(.dataFormat, error, values, subject: "f")
            #expect(thrown.message == error.text(.en, values) && !thrown.message.contains("{"), "\(error.rawValue): \(thrown.message)")
            #expect(thrown.description == "f: " + thrown.message)
            let name = "\(error)"
            #expect([",", ")", " ", ":", "."].contains { everything.contains("." + name + $0) },
                    "\(error.rawValue) (.\(name)) is never used")
        }
    }

    @Test("every catalogue entry is used by the code (literally, by a typed family, or as a label of the protocol)")
    func entriesAreUsed() {
        let used = Self.written.union(Self.made).union(CheckRegistry.all.flatMap { $0.messageKeys.map(\.rawValue) })
            .union(ErrorMessage.allCases.map(\.rawValue))
        let unused = Catalogue.keys(.en, adding: Self.tables).union(Catalogue.keys(.ru, adding: Self.tables)).filter { key in
            !used.contains(key) && !Self.openFamilies.contains { key.hasPrefix($0) }
        }
        #expect(unused.isEmpty, "entries no code uses: \(unused.sorted())")
    }

    @Test("a check's report carries its message key and the values of its template, as the text shows them")
    func reportCarriesKeyAndArguments() throws {
        var evidence = try Repository.evidence("gost-qualified-t")
        evidence.signers[0].messageDigest = CryptoCheck(.invalid)
        for language in Language.allCases {
            let report = PolicyEngine().judge(evidence, policy: BuiltinPolicies.default, options: JudgementOptions(language: language))
            let checks = report.signatures.flatMap(\.checks)
            #expect(!checks.isEmpty)
            for check in checks {
                let key = try #require(check.messageKey, "\(check.id) has no key")
                // The catalogue's template filled with the carried values gives the text the check shows.
                let template = Catalogue(language).text(MessageKey(key))
                let values = check.messageArgs ?? [:]
                #expect(Set(values.keys).isSuperset(of: MessageTemplate.placeholders(template)), "\(check.id): \(key) \(values)")
                #expect(MessageTemplate.fill(template, values) == check.message, "\(check.id): \(key)")
                #expect(!values.values.contains { $0.contains(MessageTemplate.moscowMarker) }, "\(check.id): a time left unnamed")
            }
            let integrity = try #require(checks.first { $0.id == "integrity" })
            #expect(integrity.status == .failed && integrity.messageKey == "integrity.failed")
            let json = String(decoding: try JSONEncoder.podpis(pretty: false).encode(report), as: UTF8.self)
            #expect(json.contains("\"messageKey\":\"integrity.failed\""))
        }
    }

    /// Dotted literals in a catalogue's namespace that are not message keys.
    static let notMessages: Set<String> = [
        // The prefix of the power-of-attorney check's registry notes (`key.rawValue.hasPrefix`).
        "poa.registry",
    ]
}
