import Foundation
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// `policy lint`: every mistake reported as file:line:column with a clear message, in Russian and English.
@Suite("Policy lint")
struct PolicyLintTests {
    /// A valid minimal policy; each case breaks one thing at a known place.
    static let valid = """
        id: broken
        extends: default
        title: {ru: Тест, en: Test}
        versions:
          - version: "1"
            effective: {from: 2025-01-01}
            rules:
              - id: ts
                check: timestamp-required
                level: warn
                explain: {ru: Метка времени, en: A timestamp}
        """

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let text: String
        let line: Int
        let column: Int
        let english: String
        let russian: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "YAML syntax", text: valid.replacingOccurrences(of: "title: {ru: Тест, en: Test}", with: "title: {ru: Тест, en: Test"),
             line: 4, column: 9, english: "YAML syntax error", russian: "синтаксическая ошибка YAML"),
        Case(name: "unknown key with suggestion", text: valid.replacingOccurrences(of: "        level: warn", with: "        levle: warn"),
             line: 10, column: 9, english: "did you mean «level»", russian: "возможно, имелся в виду «level»"),
        Case(name: "unknown check", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: timestamp-requried"),
             line: 9, column: 16, english: "unknown check «timestamp-requried»; did you mean «timestamp-required»", russian: "неизвестная проверка"),
        Case(name: "bad level", text: valid.replacingOccurrences(of: "level: warn", with: "level: maybe"),
             line: 10, column: 16, english: "is not one of: fail, warn, inform, ignore", russian: "не одно из"),
        Case(name: "bad date", text: valid.replacingOccurrences(of: "from: 2025-01-01", with: "from: 2025-13-45"),
             line: 6, column: 23, english: "must be a date", russian: "ключ «from» раздела effective: ожидается дата"),
        Case(name: "missing translation", text: valid.replacingOccurrences(of: "explain: {ru: Метка времени, en: A timestamp}", with: "explain: {ru: Метка времени}"),
             line: 11, column: 18, english: "lacks the required key «en»", russian: "нет обязательного ключа «en»"),
        Case(name: "wrong type", text: valid.components(separatedBy: "\n").prefix(6).joined(separator: "\n") + "\n    rules: many\n",
             line: 7, column: 12, english: "must be a list", russian: "список правил: ожидается список"),
        Case(name: "unknown extends", text: valid.replacingOccurrences(of: "extends: default", with: "extends: nowhere"),
             line: 2, column: 10, english: "extends an unknown policy «nowhere»", russian: "неизвестную политику"),
        Case(name: "overlapping versions", text: valid + """

              - version: "2"
                effective: {from: 2025-06-01}
            """,
             line: 13, column: 23, english: "versions 1 and 2 are in force at the same time", russian: "действуют одновременно"),
        // An overlap points at the token to change: the earlier version's `until`.
        Case(name: "overlap at until", text: valid.replacingOccurrences(of: "effective: {from: 2025-01-01}", with: "effective: {from: 2025-01-01, until: 2026-01-01}") + """

              - version: "2"
                effective: {from: 2025-06-01}
            """,
             line: 6, column: 42, english: "versions 1 and 2 are in force at the same time", russian: "здесь кончается 1"),
        Case(name: "attestations in a policy", text: valid.replacingOccurrences(of: "    rules:", with: "    attestations: {certified-crypto-tool: true}\n    rules:"),
             line: 7, column: 19, english: "do not belong in a policy", russian: "в политике не допускаются"),
        Case(name: "undeclared trust list", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: chain\n        params: {trustList: nowhere}"),
             line: 8, column: 9, english: "does not declare under trustLists", russian: "не объявлен в trustLists"),
        Case(name: "bad parameter type", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: timestamp-delay\n        params: {maxDelay: soon}"),
             line: 10, column: 28, english: "must be a duration", russian: "параметр «maxDelay»: ожидается длительность"),
        Case(name: "unknown parameter", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: timestamp-delay\n        params: {maxDelays: 1h}"),
             line: 10, column: 18, english: "did you mean «maxDelay»", russian: "maxDelay"),
        Case(name: "duplicate key", text: valid.replacingOccurrences(of: "id: broken\n", with: "id: broken\nid: again\n"),
             line: 1, column: 1, english: "appears twice", russian: "встречается дважды"),
        Case(name: "bad id", text: valid.replacingOccurrences(of: "id: broken", with: "id: Broken Policy"),
             line: 1, column: 5, english: "must be lower-case letters", russian: "строчные латинские буквы"),
        // Issue #16: typos that used to weaken a policy silently.
        Case(name: "require: alway", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: revocation\n        params: {require: alway}"),
             line: 10, column: 27, english: "«alway» is not one of: always, advertised, never; did you mean «always»?", russian: "возможно, имелось в виду «always»"),
        Case(name: "annulmentReasons: a misspelt reason", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: revocation\n        params: {annulmentReasons: [keyCompromize]}"),
             line: 10, column: 37, english: "«keyCompromize» is not one of: unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, removeFromCRL, privilegeWithdrawn, aACompromise; did you mean «keyCompromise»?",
             russian: "возможно, имелось в виду «keyCompromise»"),
        Case(name: "annulmentReasons: code 7, which RFC 5280 leaves unused", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: revocation\n        params: {annulmentReasons: [7]}"),
             line: 10, column: 37, english: "«7» is not one of: unspecified, keyCompromise", russian: "не одно из допустимых значений"),
        Case(name: "min: lta (wrong case)", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: signature-level\n        params: {min: lta}"),
             line: 10, column: 23, english: "«lta» is not one of: B, T, LT, LTA; did you mean «LTA»?", russian: "возможно, имелось в виду «LTA»"),
        Case(name: "min: XL (unknown level)", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: signature-level\n        params: {min: XL}"),
             line: 10, column: 23, english: "«XL» is not one of: B, T, LT, LTA", russian: "не одно из допустимых значений: B, T, LT, LTA"),
        Case(name: "2026-02-30 in a parameter", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: organisation-certificate\n        params: {issuedFrom: 2026-02-30}"),
             line: 10, column: 30, english: "2026-02-30 does not exist", russian: "даты 2026-02-30 не существует"),
        Case(name: "2026-02-30 as a version's start", text: valid.replacingOccurrences(of: "from: 2025-01-01", with: "from: 2026-02-30"),
             line: 6, column: 23, english: "2026-02-30", russian: "2026-02-30"),
        Case(name: "a number out of its range", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: signature-count\n        params: {min: 0}"),
             line: 10, column: 23, english: "params.min is 0, outside the allowed range 1…1000", russian: "вне допустимых пределов 1…1000"),
        Case(name: "a quoted number is text, not a number", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: signature-count\n        params: {min: \"2\"}"),
             line: 10, column: 23, english: "params.min must be a whole number", russian: "параметр «min»: ожидается целое число"),
        Case(name: "a wrong ОГРН in a list, at the item", text: valid.replacingOccurrences(of: "check: timestamp-required", with: "check: signer-organization\n        params: {ogrn: [\"1027809244561\", \"12345\"]}"),
             line: 10, column: 42, english: "«12345» is not an ОГРН (13 digits)", russian: "«12345» — не ОГРН (13 цифр)"),
        Case(name: "document type level: lta", text: valid + """

                documentTypes:
                  - {id: memo, name: {ru: Записка, en: Memo}, kind: advanced, level: lta}
            """,
             line: 13, column: 74, english: "«lta» is not one of: B, T, LT, LTA; did you mean «LTA»?", russian: "возможно, имелось в виду «LTA»"),
    ]

    @Test("each broken file is reported at its line and column, in English and Russian", arguments: cases)
    func broken(_ c: Case) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let file = try folder.write("broken.yaml", Array(c.text.utf8))
        let diagnostics = PolicyRegistry.lint(files: [file], directory: Repository.policies, certsDirectory: Repository.certs)
        let errors = diagnostics.filter { !$0.isWarning }
        let match = errors.first { $0.rendered(.en).contains(c.english) }
        #expect(match != nil, "\(c.name): \(errors.map { $0.rendered(.en) })")
        if let match {
            #expect(match.mark.line == c.line && match.mark.column == c.column, "\(c.name): at \(match.mark), expected \(c.line):\(c.column)")
            #expect(match.rendered(.en).hasPrefix("\(file):\(c.line):\(c.column): "))
            #expect(match.rendered(.ru).contains(c.russian), "\(match.rendered(.ru))")
            // Wholly in Russian: no English structural words, no English YAML-parser sentence.
            let russian = match.rendered(.ru).replacingOccurrences(of: file, with: "")
            for english in ["rule", "policy", "version", "params of", "document type", "mapping", "scalar", "must be", "expected", "could not", "found"] {
                #expect(!russian.contains(english), "\(c.name): «\(english)» in \(russian)")
            }
        }
    }

    /// One case per closed-set parameter of every check type: a value just off one of the allowed ones.
    struct ChoiceCase: Sendable, CustomTestStringConvertible {
        let check: String
        let parameter: String
        let list: Bool
        let allowed: [String]
        let required: [String]
        var testDescription: String { "\(check).\(parameter)" }

        /// The allowed value the typo is made from, and the typo: the longest value with its last letter lost, or a
        /// short one in the wrong case.
        var intended: String { allowed.max { $0.count < $1.count }! }
        var typo: String {
            intended.count >= 4 ? String(intended.dropLast()) : (intended.lowercased() != intended ? intended.lowercased() : intended.uppercased())
        }
    }

    static let choiceCases: [ChoiceCase] = CheckRegistry.all.flatMap { type in
        type.parameters.compactMap { parameter in
            parameter.allowed.map {
                ChoiceCase(check: type.name, parameter: parameter.name, list: parameter.type.hasPrefix("list"), allowed: $0,
                           required: type.parameters.filter { $0.required && $0.name != parameter.name }.map(\.name))
            }
        }
    }

    @Test("every closed-set parameter: a wrong value is a lint error at its place, with the allowed values and a «did you mean»",
          arguments: choiceCases)
    func closedSets(_ c: ChoiceCase) throws {
        #expect(!Self.choiceCases.isEmpty)
        let value = c.list ? "[\(c.typo)]" : c.typo
        let others = c.required.map { ", \($0): x" }.joined()
        let line = "        params: {\(c.parameter): \(value)\(others)}"
        let text = Self.valid.replacingOccurrences(of: "check: timestamp-required", with: "check: \(c.check)\n" + line)
        let column = line.distance(from: line.startIndex, to: line.range(of: c.typo)!.lowerBound) + 1
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let file = try folder.write("broken.yaml", Array(text.utf8))
        let errors = PolicyRegistry.lint(files: [file], directory: Repository.policies, certsDirectory: Repository.certs).filter { !$0.isWarning }
        let match = try #require(errors.first { $0.rendered(.en).contains("«\(c.typo)»") }, "\(c): \(errors.map { $0.rendered(.en) })")
        #expect(match.mark.line == 10 && match.mark.column == column, "\(c): at \(match.mark), expected 10:\(column)")
        let english = match.rendered(.en)
        for allowed in c.allowed { #expect(english.contains(allowed), "\(english)") }
        #expect(english.contains("did you mean «\(c.intended)»"), "\(english)")
        let russian = match.rendered(.ru)
        #expect(russian.contains("возможно, имелось в виду «\(c.intended)»"), "\(russian)")
        for word in ["rule", "policy", "params of", "is not one of", "did you mean"] {
            #expect(!russian.replacingOccurrences(of: file, with: "").contains(word), "«\(word)» in \(russian)")
        }
        // A policy with the typo is refused whole: it is not in the registry at all.
        let registry = PolicyRegistry.load(directory: Repository.policies, certsDirectory: Repository.certs, extraFiles: [file])
        #expect(registry.policy("broken") == nil)
    }

    @Test("extends cycles are found")
    func cycle() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        for (id, base) in [("a", "b"), ("b", "a")] {
            _ = try folder.write("\(id).yaml", Array(Self.valid.replacingOccurrences(of: "id: broken", with: "id: \(id)")
                .replacingOccurrences(of: "extends: default", with: "extends: \(base)").utf8))
        }
        let registry = PolicyRegistry.load(directory: folder.path)
        #expect(registry.errors.contains { $0.rendered(.en).contains("makes a cycle") })
    }

    @Test("verify under a policy that does not load is refused (and so is a policy extending it), with the error's place, in Russian too")
    func refusedPolicy() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        for name in ["ru-63fz-qualified.yaml", "lenobl-sed.yaml"] {
            var text = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent(name), encoding: .utf8)
            if name.hasPrefix("ru-63fz") { text = text.replacingOccurrences(of: "require: always", with: "require: alway") }
            _ = try folder.write(name, Array(text.utf8))
        }
        // The catalogue refuses both, in the language asked.
        let catalog = try PolicyCatalog.standard(policies: folder.path)
        for id in ["ru-63fz-qualified", "lenobl-sed"] {
            let error = #expect(throws: PodpisError.self) { _ = try catalog.policy(id, language: .ru) }
            #expect(error?.kind == .configuration)
            let message = error?.message ?? ""
            #expect(message.contains("политика «\(id)» не загружается"), "\(message)")
            #expect(message.contains("ru-63fz-qualified.yaml:") || message.contains("основана на политике"), "\(message)")
        }
        let english = #expect(throws: PodpisError.self) { _ = try catalog.policy("ru-63fz-qualified", language: .en) }
        #expect(english?.message.contains("«alway»") == true && english?.message.contains("did you mean «always»") == true, "\(String(describing: english))")
        // verify says it in one line and exits 78: nothing is judged under it.
        let document = try folder.write("order.txt", Array("order".utf8))
        let result = try CLI.run(["verify", document, "--policy", "lenobl-sed", "--policies", folder.path, "--lang", "ru"])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("политика «lenobl-sed» не загружается") && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }

    @Test("policy explain --checks: the vocabulary from the registry, each check with its building block, sub-indication and parameters, in Russian and English")
    func vocabulary() throws {
        let english = try CLI.run(["policy", "explain", "--checks", "--lang", "en"])
        #expect(english.status == 0, "\(english.stderr)")
        for check in CheckRegistry.names { #expect(english.stdout.contains("\n\(check) — "), "\(check) missing") }
        #expect(english.stdout.contains("parameter require: one of; values: always, advertised, never; default advertised"), "\(english.stdout)")
        let russian = try CLI.run(["policy", "explain", "--checks", "--lang", "ru"])
        #expect(russian.status == 0)
        #expect(russian.stdout.contains("параметр require: одно из; значения: always, advertised, never; по умолчанию advertised"), "\(russian.stdout)")
        for word in ["list of", "one of", "digits", "text:", "number", " date", "parameter", "block:", "default"] {
            #expect(!russian.stdout.contains(word), "«\(word)» in the Russian vocabulary")
        }
    }

    @Test("the CLI: lint exits 65 on errors, prints file:line:column; 0 on the shipped policies")
    func cli() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let file = try folder.write("broken.yaml", Array(Self.cases[1].text.utf8))
        let bad = try CLI.run(["policy", "lint", file, "--policies", Repository.policies, "--lang", "ru"])
        #expect(bad.status == 65)
        #expect(bad.stdout.contains("\(file):10:9: "))
        #expect(bad.stdout.contains("возможно, имелся в виду «level»"))
        let good = try CLI.run(["policy", "lint", "--policies", Repository.policies, "--certs", Repository.certs])
        #expect(good.status == 0, "\(good.stdout)")
    }
}

/// The policy commands end to end, as a jurist uses them.
@Suite("Policy commands")
struct PolicyCommandTests {
    @Test("list, explain in Russian, test")
    func listExplainTest() throws {
        let list = try CLI.run(["policy", "list", "--policies", Repository.policies])
        for id in ["default", "ru-63fz-qualified", "lenobl-sed", "eidas-qes"] { #expect(list.stdout.contains(id)) }
        let explain = try CLI.run(["policy", "explain", "ru-63fz-qualified", "--policies", Repository.policies, "--lang", "ru"])
        #expect(explain.status == 0)
        #expect(explain.stdout.contains("63-ФЗ, ст. 11, п. 1"))
        #expect(explain.stdout.contains("аккредитованным"))
        let test = try CLI.run(["policy", "test", "--policies", Repository.policies])
        #expect(test.status == 0, "\(test.stdout)")
        #expect(test.stdout.contains("✓ lenobl-sed/no-timestamp-2027.yaml"))
    }

    @Test("impact lists the verdicts an edited date would change, with the rule responsible")
    func impact() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let original = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent("lenobl-sed.yaml"), encoding: .utf8)
        // The jurist moves the mandatory-timestamp version a year earlier.
        let edited = original.replacingOccurrences(of: "effective: {from: 2025-01-01, until: 2027-01-01}", with: "effective: {from: 2025-01-01, until: 2026-01-01}")
            .replacingOccurrences(of: "effective: {from: 2027-01-01}", with: "effective: {from: 2026-01-01}")
        #expect(edited != original)
        let file = try folder.write("lenobl-sed.yaml", Array(edited.utf8))
        let lint = try CLI.run(["policy", "lint", file, "--policies", Repository.policies, "--certs", Repository.certs])
        #expect(lint.status == 0, "\(lint.stdout)")
        // The accredited-CA list the evidence's CA belongs to, as `trust import-ru` would have written it.
        let list = try Repository.trustList("ru-accredited", as: "ru-accredited")
        let evidence = try Repository.evidence("gost-qualified-b")
        let anchors = try list.anchors.compactMap { fingerprint in
            try evidence.certificates[fingerprint].map { try X509Certificate(der: [UInt8](Data(base64Encoded: $0.der)!)) }
        }
        let certs = folder.file("certs")
        try TrustListStore.write(folder: (certs as NSString).appendingPathComponent("ru-accredited"), certificates: anchors, authorities: list.authorities)
        try FileManager.default.createDirectory(atPath: (certs as NSString).appendingPathComponent("lenobl"), withIntermediateDirectories: true)
        let result = try CLI.run(["policy", "impact", file, "--evidence", (Repository.policies as NSString).appendingPathComponent("tests/evidence"),
                                  "--type", "приказ", "--policies", Repository.policies, "--certs", certs])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("gost-qualified-b.json"), "\(result.stdout)")
        #expect(result.stdout.contains("→ INDETERMINATE/SIG_CONSTRAINTS_FAILURE"))
        #expect(result.stdout.contains("timestamp"))
        #expect(!result.stdout.contains("gost-qualified-t.json"))  // timestamped: unchanged
    }

    @Test("impact on a policy edited in place compares with the committed version (git) or --against FILE|REV, naming rules in words; policy test speaks Russian",
          .needsTools("git"))
    func impactInPlace() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        // A copy of the policies folder under git, as a region keeps it.
        let policies = folder.file("policies")
        try FileManager.default.copyItem(atPath: Repository.policies, toPath: policies)
        for arguments in [["init", "-q"], ["add", "."], ["-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "policies"]] {
            #expect(try runTool("git", ["-C", policies] + arguments).status == 0)
        }
        let file = (policies as NSString).appendingPathComponent("lenobl-sed.yaml")
        let original = try String(contentsOfFile: file, encoding: .utf8)
        try Data(original.replacingOccurrences(of: "effective: {from: 2025-01-01, until: 2027-01-01}", with: "effective: {from: 2025-01-01, until: 2026-01-01}")
            .replacingOccurrences(of: "effective: {from: 2027-01-01}", with: "effective: {from: 2026-01-01}").utf8).write(to: URL(fileURLWithPath: file))
        let evidence = (Repository.policies as NSString).appendingPathComponent("tests/evidence")
        // The accredited-CA list the evidence's CAs belong to, as `trust import-ru` would have written it.
        let list = try Repository.trustList("ru-accredited", as: "ru-accredited")
        let certs = folder.file("certs")
        try TrustListStore.write(folder: (certs as NSString).appendingPathComponent("ru-accredited"), certificates: [], authorities: list.authorities)
        try FileManager.default.createDirectory(atPath: (certs as NSString).appendingPathComponent("lenobl"), withIntermediateDirectories: true)
        let impact = ["policy", "impact", file, "--evidence", evidence, "--type", "приказ", "--policies", policies, "--certs", certs, "--lang", "ru"]
        let committed = try CLI.run(impact)
        #expect(committed.status == 0, "\(committed.stderr)")
        #expect(committed.stderr.contains("в git (HEAD)"), "\(committed.stderr)")
        #expect(committed.stdout.contains("gost-qualified-b.json") && committed.stdout.contains("→ INDETERMINATE/SIG_CONSTRAINTS_FAILURE"), "\(committed.stdout)")
        #expect(committed.stdout.contains("[правило «Наличие штампа времени» (timestamp)]"), "\(committed.stdout)")
        // The same against an explicit revision and against a file, asked of the workflow in process.
        let catalog = { (extra: [String]) in try PolicyCatalog.standard(policies: policies, certs: certs, extraFiles: extra) }
        let items = try PolicyImpactStudy.evidence(inFolder: evidence)
        let copy = try folder.write("before.yaml", Array(original.utf8))
        for (against, baseline) in [("HEAD", PolicyImpactStudy.Baseline.revision("HEAD")), (copy, .file(copy))] {
            let study = try PolicyImpactStudy(editedFile: file, against: against, language: .ru, catalog: catalog)
            #expect(study.baseline == baseline)
            let changed = try study.compare(items, documentType: "приказ", validationTime: nil, language: .ru).changes
            #expect(changed.contains { $0.name == "gost-qualified-b.json" && $0.after.indication == .indeterminate }, "\(against)")
        }
        #expect(throws: PolicyImpactStudy.NoCommittedVersion.self) {
            _ = try PolicyImpactStudy(editedFile: file, against: "no-such-revision", language: .ru, catalog: catalog)
        }
        // A revision git does not know: the command's one line and 66.
        #expect(try CLI.run(impact + ["--against", "no-such-revision"]).status == 66)

        // policy test in Russian: a case whose expectation fails says why in Russian.
        let broken = (policies as NSString).appendingPathComponent("tests/lenobl-sed/prikaz-2026.yaml")
        try Data("evidence: ../evidence/gost-qualified-t.json\ntype: приказ\ntrustLists: {ru-accredited: ../evidence/ru-accredited.json}\nexpect: {indication: TOTAL-FAILED, kind: qualified, failedRules: [integrity]}\n".utf8)
            .write(to: URL(fileURLWithPath: broken))
        let tested = try CLI.run(["policy", "test", "lenobl-sed", "--policies", policies, "--lang", "ru"])
        #expect(tested.status == 1)
        #expect(tested.stdout.contains("итог TOTAL-PASSED, а ожидался TOTAL-FAILED") && tested.stdout.contains("вид подписи «qualified-unattested», а ожидался «qualified»")
                && tested.stdout.contains("правило «integrity» не сработало"), "\(tested.stdout)")
    }

    @Test("verify --policy ID --type with --evidence-out, and the Russian verdict", .needsGOST)
    func verifyWithPolicy() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let layout = try DemoPKI.create(in: folder.file("pki"))
        let document = try folder.write("order.txt", sampleDocument)
        let (identity, options) = try layout.signing("gost")
        _ = try folder.write("order.txt.sig", try Signer.sign(.file(document), identity: identity, options: options))
        let crls = ["gost-ca", "gost-root"].flatMap { ["--crl", layout.path("\($0).crl")] }
        let result = try CLI.run(["verify", document, "--trust", layout.trustDirectory, "--policy", "ru-63fz-qualified", "--lang", "ru",
                                  "--policies", Repository.policies, "--certs", Repository.certs, "--json", "--evidence-out", folder.file("e.json")] + crls)
        // The demo CA is not in the (empty) accredited list: valid as an advanced signature, not as a qualified one.
        #expect(result.status == 2, "\(result.stdout)")
        #expect(result.stdout.contains("\"kind\" : \"advanced\""))
        #expect(result.stdout.contains("63-ФЗ, ст. 11, п. 1"))
        #expect(FileManager.default.fileExists(atPath: folder.file("e.json")))
        let unknown = try CLI.run(["verify", document, "--trust", layout.trustDirectory, "--policy", "../../etc/passwd"])
        #expect(unknown.status == 64 || unknown.status == 66 || unknown.status == 78)
        #expect(unknown.stderr.split(separator: "\n").count == 1)
    }
}
