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
        // The same against an explicit revision and against a file.
        #expect(try CLI.run(impact + ["--against", "HEAD"]).stdout.contains("gost-qualified-b.json"))
        let copy = try folder.write("before.yaml", Array(original.utf8))
        let againstFile = try CLI.run(impact + ["--against", copy])
        #expect(againstFile.stdout.contains("gost-qualified-b.json") && againstFile.stderr.contains(copy), "\(againstFile.stderr)")
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
        #expect(try CLI.run(["sign", document, "--key", layout.path("official-gost.key"), "--cert", layout.path("official-gost.pem"),
                             "--chain", layout.path("gost-chain.pem")]).status == 0)
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
