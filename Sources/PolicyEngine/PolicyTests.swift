import EvidenceModel
import Foundation

/// `podpis policy test`: cases kept beside the policies (`policies/tests/<policy-id>/*.yaml`), each naming an evidence
/// JSON (as `verify --evidence-out` writes it) and the verdict the policy must reach. Jurists write them without
/// any cryptography.
public struct PolicyTestCase: Sendable {
    public var file: String
    public var policy: String
    public var evidence: Evidence
    public var validationTime: Date?
    public var documentType: String?
    /// What the operator attests for this case (`certified-crypto-tool: "КриптоПро CSP 5.0"`), as `verify --attest` would.
    public var attestations: [String: String]
    public var trustLists: [String: TrustList]
    public var expectIndication: Indication
    public var expectSubIndication: SubIndication??
    public var expectKind: String?
    public var expectFailedRules: [String]
    public var expectPolicyVersion: String?
    public var description: String?
}

public struct PolicyTestResult: Sendable {
    public var testCase: PolicyTestCase
    public var report: Report
    /// Why the case failed, empty when it passed.
    public var mismatches: [String]
    public var passed: Bool { mismatches.isEmpty }
}

public enum PolicyTestRunner {
    /// Reads every case under `directory/<policy>/` (all policies when `policy` is nil).
    public static func cases(in directory: String, policy: String?) -> (cases: [PolicyTestCase], problems: [PolicyDiagnostic]) {
        var cases: [PolicyTestCase] = []
        var problems: [PolicyDiagnostic] = []
        let policies = policy.map { [$0] } ?? ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        for id in policies where id != "evidence" {
            let folder = (directory as NSString).appendingPathComponent(id)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for name in names.sorted() where name.hasSuffix(".yaml") {
                let file = (folder as NSString).appendingPathComponent(name)
                do {
                    cases.append(try read(file: file, policy: id))
                } catch let diagnostic as PolicyDiagnostic {
                    problems.append(diagnostic)
                } catch {
                    problems.append(PolicyDiagnostic(SourceMark(line: 1, column: 1), Message("lint.yaml", ["problem": ErrorText.describe(error)]), file: file))
                }
            }
        }
        return (cases, problems)
    }

    static func read(file: String, policy: String) throws -> PolicyTestCase {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        guard let root = try YAMLValue.parse(text) else {
            throw PolicyDiagnostic(SourceMark(line: 1, column: 1), Message("lint.empty-file"), file: file)
        }
        var reader = PolicyReader(file: file)
        let map = reader.mapping(root, allowed: ["evidence", "description", "at", "type", "attestations", "trustLists", "expect"],
                                 required: ["evidence", "expect"], what: "test case") ?? [:]
        let expect = map["expect"].flatMap {
            reader.mapping($0, allowed: ["indication", "subIndication", "kind", "failedRules", "policyVersion"], required: ["indication"], what: "expect")
        } ?? [:]
        let folder = (file as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : (folder as NSString).appendingPathComponent(path) }
        var evidence: Evidence? = nil
        if let path = reader.string(map["evidence"], what: "evidence") {
            do {
                evidence = try JSONDecoder.podpis().decode(Evidence.self, from: Data(contentsOf: URL(fileURLWithPath: resolve(path))))
            } catch {
                reader.error(map["evidence"]!.mark, "policy-test.evidence", ["path": path, "problem": ErrorText.describe(error)])
            }
        }
        var lists: [String: TrustList] = [:]
        if case .mapping(let entries, _)? = map["trustLists"] {
            for entry in entries {
                guard let path = reader.string(entry.value, what: "trustLists.\(entry.key)") else { continue }
                do {
                    var list = try JSONDecoder.podpis().decode(TrustList.self, from: Data(contentsOf: URL(fileURLWithPath: resolve(path))))
                    list.name = entry.key
                    lists[entry.key] = list
                } catch {
                    reader.error(entry.value.mark, "policy-test.evidence", ["path": path, "problem": ErrorText.describe(error)])
                }
            }
        }
        var attestations: [String: String] = [:]
        if case .mapping(let entries, _)? = map["attestations"] {
            for entry in entries { attestations[entry.key] = reader.string(entry.value, what: "attestations.\(entry.key)") }
        }
        let indicationText = reader.string(expect["indication"], what: "expect.indication") ?? ""
        let indication = Indication(rawValue: indicationText)
        if indication == nil, let value = expect["indication"] {
            reader.error(value.mark, "lint.bad-enum", ["what": "indication", "value": indicationText,
                                                      "allowed": Indication.allCases.map(\.rawValue).joined(separator: ", ")])
        }
        var sub: SubIndication?? = nil
        if let value = expect["subIndication"] {
            if case .scalar(let text, _, _) = value, text == "null" || text == "~" {
                sub = .some(nil)
            } else if let text = reader.string(value, what: "expect.subIndication") {
                if let parsed = SubIndication(rawValue: text) { sub = .some(parsed) } else {
                    reader.error(value.mark, "lint.bad-enum", ["what": "subIndication", "value": text, "allowed": "ETSI EN 319 102-1"])
                }
            }
        }
        if let first = reader.diagnostics.first(where: { !$0.isWarning }) { throw first }
        guard let evidence, let indication else {
            throw PolicyDiagnostic(root.mark, Message("lint.missing-key", ["key": "evidence", "what": "test case"]), file: file)
        }
        return PolicyTestCase(
            file: file, policy: policy, evidence: evidence, validationTime: reader.date(map["at"], what: "at"),
            documentType: reader.string(map["type"], what: "type"), attestations: attestations, trustLists: lists,
            expectIndication: indication, expectSubIndication: sub, expectKind: reader.string(expect["kind"], what: "expect.kind"),
            expectFailedRules: reader.strings(expect["failedRules"], what: "expect.failedRules") ?? [],
            expectPolicyVersion: reader.string(expect["policyVersion"], what: "expect.policyVersion"),
            description: reader.string(map["description"], what: "description"))
    }

    /// Judges one case under `policy` and compares with what it expects.
    public static func run(_ testCase: PolicyTestCase, policy: Policy, language: Language = .en) -> PolicyTestResult {
        let options = JudgementOptions(documentType: testCase.documentType, language: language, validationTime: testCase.validationTime,
                                       attestations: testCase.attestations, trustLists: testCase.trustLists)
        let report = PolicyEngine().judge(testCase.evidence, policy: policy, options: options)
        let text = Catalogue(language)
        var mismatches: [String] = []
        if report.indication != testCase.expectIndication {
            mismatches.append(text.text("policy-test.indication", ["actual": report.indication.rawValue, "expected": testCase.expectIndication.rawValue]))
        }
        if let expected = testCase.expectSubIndication, report.subIndication != expected {
            mismatches.append(text.text("policy-test.sub-indication", ["actual": report.subIndication?.rawValue ?? "null",
                                                                      "expected": expected?.rawValue ?? "null"]))
        }
        if let kind = testCase.expectKind, report.signatures.first?.legal.kind != kind {
            mismatches.append(text.text("policy-test.kind", ["actual": report.signatures.first?.legal.kind ?? "none", "expected": kind]))
        }
        let failedChecks = report.signatures.flatMap { $0.checks }.filter { $0.status == .failed } + report.documentChecks.filter { $0.status == .failed }
        let failed = Set(failedChecks.map(\.id))
        for rule in testCase.expectFailedRules where !failed.contains(rule) {
            let named = failedChecks.map { "«\($0.name ?? $0.id)» (\($0.id))" }
            mismatches.append(text.text("policy-test.rule", ["rule": rule, "failed": named.isEmpty ? "—" : Array(Set(named)).sorted().joined(separator: ", ")]))
        }
        if let version = testCase.expectPolicyVersion, report.policy.version != version {
            mismatches.append(text.text("policy-test.version", ["actual": report.policy.version, "expected": version]))
        }
        return PolicyTestResult(testCase: testCase, report: report, mismatches: mismatches)
    }
}

/// `podpis policy impact`: which stored verdicts an edited policy would change.
public struct ImpactChange: Sendable {
    public var name: String
    public var before: Report
    public var after: Report
    /// The rule whose outcome changed first (the one responsible), when one did.
    public var rule: String?
}

public enum PolicyImpact {
    public static func compare(_ evidence: [(name: String, evidence: Evidence)], current: Policy, edited: Policy,
                               options: JudgementOptions) -> (changes: [ImpactChange], unchanged: Int) {
        var changes: [ImpactChange] = []
        var unchanged = 0
        let engine = PolicyEngine()
        for item in evidence {
            let before = engine.judge(item.evidence, policy: current, options: options)
            let after = engine.judge(item.evidence, policy: edited, options: options)
            guard before.indication != after.indication || before.subIndication != after.subIndication
                || before.signatures.map(\.legal.kind) != after.signatures.map(\.legal.kind)
            else {
                unchanged += 1
                continue
            }
            changes.append(ImpactChange(name: item.name, before: before, after: after, rule: responsibleRule(before, after)))
        }
        return (changes, unchanged)
    }

    static func responsibleRule(_ before: Report, _ after: Report) -> String? {
        func statuses(_ report: Report) -> [String: CheckResult.Status] {
            var result: [String: CheckResult.Status] = [:]
            for check in report.signatures.flatMap(\.checks) + report.documentChecks where result[check.id] != .failed {
                result[check.id] = check.status
            }
            return result
        }
        let a = statuses(before)
        let b = statuses(after)
        let ordered = (after.signatures.first?.checks ?? []).map(\.id) + after.documentChecks.map(\.id) + a.keys.sorted()
        return ordered.first { a[$0] != b[$0] && (a[$0] == .failed || b[$0] == .failed) }
    }
}
