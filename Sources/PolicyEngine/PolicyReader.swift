import EvidenceModel
import Foundation

/// A policy file as written, before `extends` and earlier versions are merged in.
package struct PolicyDocument: Sendable {
    var id: String
    var idMark: SourceMark
    var title: LocalizedText
    var description: LocalizedText?
    var extends: String?
    var extendsMark: SourceMark?
    var legal: LegalProfile?
    var trustLists: [String: String]
    var versions: [VersionDocument]
    var file: String?
}

struct VersionDocument: Sendable {
    var version: String
    var effective: Effective
    var mark: SourceMark
    /// Where `effective.from` and `effective.until` are written (a version overlap points at them).
    var fromMark: SourceMark?
    var untilMark: SourceMark?
    var rules: [Rule]
    var ruleMarks: [String: SourceMark]
    var remove: [String]
    var documentTypes: [DocumentType]?
}

/// Reads policy YAML into typed values, collecting every problem with its position (it does not stop at the first).
struct PolicyReader {
    var diagnostics: [PolicyDiagnostic] = []
    let file: String?

    init(file: String?) { self.file = file }

    mutating func error(_ mark: SourceMark, _ key: MessageKey, _ args: [String: String] = [:]) {
        diagnostics.append(PolicyDiagnostic(mark, Message(key, args), file: file))
    }

    mutating func warning(_ mark: SourceMark, _ key: MessageKey, _ args: [String: String] = [:]) {
        diagnostics.append(PolicyDiagnostic(mark, Message(key, args), file: file, warning: true))
    }

    // MARK: typed access

    /// The entries of a mapping, reporting keys outside `allowed` (with a suggestion) and missing `required` ones.
    mutating func mapping(_ value: YAMLValue, allowed: [String], required: [String] = [], what: String) -> [String: YAMLValue]? {
        guard case .mapping(let entries, let mark) = value else {
            error(value.mark, "lint.expected-mapping", ["what": what, "found": value.kindName])
            return nil
        }
        var result: [String: YAMLValue] = [:]
        for entry in entries {
            if allowed.contains(entry.key) {
                result[entry.key] = entry.value
            } else {
                var args = ["key": entry.key, "what": what]
                if let suggestion = Suggest.closest(entry.key, in: allowed) {
                    args["suggestion"] = suggestion
                    error(entry.keyMark, "lint.unknown-key-suggest", args)
                } else {
                    args["allowed"] = allowed.joined(separator: ", ")
                    error(entry.keyMark, "lint.unknown-key", args)
                }
            }
        }
        for key in required where result[key] == nil {
            error(mark, "lint.missing-key", ["key": key, "what": what])
        }
        return result
    }

    mutating func string(_ value: YAMLValue?, what: String) -> String? {
        guard let value else { return nil }
        guard case .scalar(let text, _, _) = value else {
            error(value.mark, "lint.expected-text", ["what": what, "found": value.kindName])
            return nil
        }
        if text.trimmingCharacters(in: .whitespaces).isEmpty {
            error(value.mark, "lint.empty", ["what": what])
            return nil
        }
        return text
    }

    mutating func int(_ value: YAMLValue?, what: String) -> Int? {
        guard let value else { return nil }
        guard case .scalar(let text, let quoted, _) = value, !quoted, let number = Int(text) else {
            error(value.mark, "lint.expected-int", ["what": what])
            return nil
        }
        return number
    }

    mutating func bool(_ value: YAMLValue?, what: String) -> Bool? {
        guard let value else { return nil }
        guard case .scalar(let text, let quoted, _) = value, !quoted, text == "true" || text == "false" else {
            error(value.mark, "lint.expected-bool", ["what": what])
            return nil
        }
        return text == "true"
    }

    mutating func date(_ value: YAMLValue?, what: String) -> Date? {
        guard let value else { return nil }
        guard case .scalar(let text, _, _) = value else {
            error(value.mark, "lint.expected-date", ["what": what])
            return nil
        }
        switch PolicyDates.check(text) {
        case .success(let date): return date
        case .failure(let problem):
            error(value.mark, problem.key, problem.args.merging(["what": what]) { a, _ in a })
            return nil
        }
    }

    mutating func strings(_ value: YAMLValue?, what: String) -> [String]? {
        guard let value else { return nil }
        guard case .sequence(let items, _) = value else {
            if case .scalar(let text, _, _) = value { return [text] }
            error(value.mark, "lint.expected-list", ["what": what])
            return nil
        }
        return items.compactMap { string($0, what: what) }
    }

    mutating func localized(_ value: YAMLValue?, what: String) -> LocalizedText? {
        guard let value else { return nil }
        guard let map = mapping(value, allowed: ["ru", "en"], required: ["ru", "en"], what: what) else { return nil }
        guard let ru = string(map["ru"], what: what + ".ru"), let en = string(map["en"], what: what + ".en") else { return nil }
        return LocalizedText(ru: ru, en: en)
    }

    mutating func effective(_ value: YAMLValue?, what: String, requireFrom: Bool) -> Effective? {
        guard let value else { return nil }
        guard let map = mapping(value, allowed: ["from", "until"], required: requireFrom ? ["from"] : [], what: what) else { return nil }
        let result = Effective(from: date(map["from"], what: what + ".from"), until: date(map["until"], what: what + ".until"))
        if let from = result.from, let until = result.until, until <= from {
            error(value.mark, "lint.until-before-from", ["what": what])
        }
        return result
    }

    // MARK: the document

    mutating func read(_ root: YAMLValue) -> PolicyDocument? {
        guard let top = mapping(root, allowed: ["id", "title", "description", "extends", "legal", "trustLists", "versions"],
                                required: ["id", "title", "versions"], what: "policy") else { return nil }
        let id = string(top["id"], what: "id") ?? ""
        if !id.isEmpty && id.range(of: "^[a-z0-9][a-z0-9-]{0,63}$", options: .regularExpression) == nil {
            error(top["id"]!.mark, "lint.bad-id", ["id": id])
        }
        let title = localized(top["title"], what: "title")
        let description = localized(top["description"], what: "description")
        let extends = string(top["extends"], what: "extends")
        // Trust lists: free names → a folder under certs/ (checked by the registry, which knows where certs/ is).
        var trustLists: [String: String] = [:]
        if let lists = top["trustLists"] {
            if case .mapping(let entries, _) = lists {
                for entry in entries { trustLists[entry.key] = string(entry.value, what: "trustLists.\(entry.key)") ?? "" }
            } else {
                error(lists.mark, "lint.expected-mapping", ["what": "trustLists", "found": lists.kindName])
            }
        }
        let legal = top["legal"].flatMap { readLegal($0) }
        var versions: [VersionDocument] = []
        if let value = top["versions"] {
            if case .sequence(let items, _) = value {
                for item in items { if let version = readVersion(item) { versions.append(version) } }
                if items.isEmpty { error(value.mark, "lint.no-versions") }
            } else {
                error(value.mark, "lint.expected-list", ["what": "versions"])
            }
        }
        // Versions must not overlap in time.
        // An overlap points at the token to change: the earlier version's `until` (or the later one's `from`).
        for (i, a) in versions.enumerated() {
            for b in versions[(i + 1)...] where a.effective.overlaps(b.effective) {
                let (earlier, later) = (a.effective.from ?? .distantPast) <= (b.effective.from ?? .distantPast) ? (a, b) : (b, a)
                error(earlier.untilMark ?? later.fromMark ?? later.mark, "lint.versions-overlap", ["a": earlier.version, "b": later.version])
            }
        }
        guard let title else { return nil }
        return PolicyDocument(id: id, idMark: top["id"]?.mark ?? root.mark, title: title, description: description, extends: extends,
                              extendsMark: top["extends"]?.mark, legal: legal, trustLists: trustLists, versions: versions, file: file)
    }

    mutating func readLegal(_ value: YAMLValue) -> LegalProfile? {
        guard let map = mapping(value, allowed: ["kind", "fallback", "qualificationRules", "basis", "valid", "invalid", "indeterminate", "unattested"],
                                required: ["kind", "valid", "invalid", "indeterminate"], what: "legal") else { return nil }
        let kind = kindValue(map["kind"], what: "legal.kind")
        let fallback = map["fallback"].flatMap { kindValue($0, what: "legal.fallback") }
        guard let kind, let valid = localized(map["valid"], what: "legal.valid"), let invalid = localized(map["invalid"], what: "legal.invalid"),
            let indeterminate = localized(map["indeterminate"], what: "legal.indeterminate")
        else { return nil }
        return LegalProfile(kind: kind, fallbackKind: fallback, qualificationRules: strings(map["qualificationRules"], what: "legal.qualificationRules") ?? [],
                            validConclusion: valid, invalidConclusion: invalid, indeterminateConclusion: indeterminate,
                            unattestedConclusion: localized(map["unattested"], what: "legal.unattested"),
                            basis: localized(map["basis"], what: "legal.basis"))
    }

    mutating func kindValue(_ value: YAMLValue?, what: String) -> SignatureKind? {
        guard let text = string(value, what: what) else { return nil }
        guard let kind = SignatureKind(rawValue: text), SignatureKind.writable.contains(kind) else {
            choiceError(value!.mark, what: what, value: text, allowed: SignatureKind.writable.map(\.rawValue))
            return nil
        }
        return kind
    }

    mutating func readVersion(_ value: YAMLValue) -> VersionDocument? {
        guard let map = mapping(value, allowed: ["version", "effective", "rules", "remove", "documentTypes", "attestations"],
                                required: ["version", "effective"], what: "version") else { return nil }
        let version = string(map["version"], what: "version") ?? "?"
        let effective = effective(map["effective"], what: "effective", requireFrom: true) ?? Effective()
        var rules: [Rule] = []
        var marks: [String: SourceMark] = [:]
        if let list = map["rules"] {
            if case .sequence(let items, _) = list {
                for item in items {
                    if let rule = readRule(item) {
                        if marks[rule.id] != nil { error(item.mark, "lint.duplicate-rule", ["id": rule.id]) }
                        marks[rule.id] = item.mark
                        rules.append(rule)
                    }
                }
            } else {
                error(list.mark, "lint.expected-list", ["what": "rules"])
            }
        }
        var types: [DocumentType]? = nil
        if let list = map["documentTypes"] {
            if case .sequence(let items, _) = list {
                types = items.compactMap { readDocumentType($0) }
            } else {
                error(list.mark, "lint.expected-list", ["what": "documentTypes"])
            }
        }
        // Attestations are operational facts (which certified tool the operator checks with): they live in the
        // operator's configuration (`serve` config `attestations:`, `verify --attest ID=VALUE`), never in a policy.
        if let attested = map["attestations"] {
            error(attested.mark, "lint.attestations-in-policy")
        }
        var fromMark: SourceMark? = nil
        var untilMark: SourceMark? = nil
        if case .mapping(let entries, _)? = map["effective"] {
            fromMark = entries.first { $0.key == "from" }?.value.mark
            untilMark = entries.first { $0.key == "until" }?.value.mark
        }
        return VersionDocument(version: version, effective: effective, mark: value.mark, fromMark: fromMark, untilMark: untilMark,
                               rules: rules, ruleMarks: marks,
                               remove: strings(map["remove"], what: "remove") ?? [], documentTypes: types)
    }

    mutating func readRule(_ value: YAMLValue) -> Rule? {
        guard let map = mapping(value, allowed: ["id", "name", "check", "params", "level", "subIndication", "basis", "explain", "effective"],
                                required: ["id", "check", "explain"], what: "rule") else { return nil }
        let id = string(map["id"], what: "rule.id")
        let check = string(map["check"], what: "rule.check")
        var configuration: (any PolicyCheck)? = nil
        if let check {
            if let type = CheckRegistry.byName[check] {
                // Parameters are decoded now, once: every mistake is reported at its place, and a rule with one is
                // left out (and the policy refused), never run with a default instead.
                let params = map["params"] ?? .mapping([], map["check"]!.mark)
                configuration = CheckRegistry.decode(type, params: params, checkName: check) { problem in
                    diagnostics.append(PolicyDiagnostic(problem.mark, problem.message, file: file))
                }
            } else {
                let suggestion = Suggest.closest(check, in: CheckRegistry.names)
                error(map["check"]!.mark, suggestion == nil ? "lint.unknown-check" : "lint.unknown-check-suggest",
                      ["check": check, "suggestion": suggestion ?? "", "allowed": CheckRegistry.names.joined(separator: ", ")])
            }
        }
        var level = RuleLevel.fail
        if let text = string(map["level"], what: "rule.level") {
            if let parsed = RuleLevel(rawValue: text) { level = parsed } else {
                choiceError(map["level"]!.mark, what: "level", value: text, allowed: RuleLevel.allCases.map(\.rawValue))
            }
        }
        var sub: SubIndication? = nil
        if let text = string(map["subIndication"], what: "rule.subIndication") {
            if let parsed = SubIndication(rawValue: text) { sub = parsed } else {
                choiceError(map["subIndication"]!.mark, what: "subIndication", value: text, allowed: SubIndication.allCases.map(\.rawValue))
            }
        }
        let basis = localized(map["basis"], what: "rule.basis")
        let explanation = localized(map["explain"], what: "rule.explain")
        let effective = effective(map["effective"], what: "rule.effective", requireFrom: false)
        let name = localized(map["name"], what: "rule.name")
        guard let id, let configuration else { return nil }
        return Rule(id: id, configuration, level: level, subIndication: sub, basis: basis, explanation: explanation, effective: effective, name: name)
    }

    /// «value» is not one of the allowed values, with the closest one when there is one.
    mutating func choiceError(_ mark: SourceMark, what: String, value: String, allowed: [String]) {
        if let suggestion = Suggest.closest(value, in: allowed) {
            error(mark, "lint.bad-choice-suggest", ["what": what, "value": value, "allowed": allowed.joined(separator: ", "), "suggestion": suggestion])
        } else {
            error(mark, "lint.bad-choice", ["what": what, "value": value, "allowed": allowed.joined(separator: ", ")])
        }
    }

    mutating func readDocumentType(_ value: YAMLValue) -> DocumentType? {
        guard let map = mapping(value, allowed: ["id", "name", "kind", "level", "minSignatures", "requiredRoles", "electronicOriginalFrom", "powerCode", "basis"],
                                required: ["id", "name", "kind"], what: "document type") else { return nil }
        guard let id = string(map["id"], what: "documentType.id"), let name = localized(map["name"], what: "documentType.name"),
            let kind = kindValue(map["kind"], what: "documentType.kind")
        else { return nil }
        var level: CAdESLevel? = nil
        if let text = string(map["level"], what: "documentType.level") {
            level = CAdESLevel(rawValue: text)
            if level == nil { choiceError(map["level"]!.mark, what: "documentType.level", value: text, allowed: CAdESLevel.allCases.map(\.rawValue)) }
        }
        var minSignatures = int(map["minSignatures"], what: "minSignatures") ?? 1
        if !(1...1000).contains(minSignatures) {
            error(map["minSignatures"]!.mark, "lint.out-of-range", ["what": "minSignatures", "value": "\(minSignatures)", "min": "1", "max": "1000"])
            minSignatures = 1
        }
        return DocumentType(id: id, name: name, kind: kind, level: level, minSignatures: minSignatures,
                            requiredRoles: strings(map["requiredRoles"], what: "requiredRoles") ?? [],
                            electronicOriginalFrom: date(map["electronicOriginalFrom"], what: "electronicOriginalFrom"),
                            powerCode: string(map["powerCode"], what: "powerCode"), basis: localized(map["basis"], what: "documentType.basis"))
    }
}

/// Dates and durations as policies write them.
public enum PolicyDates {
    /// Why text is not a date: a lint message key and its arguments.
    public struct Problem: Error, Sendable {
        public var key: MessageKey
        public var args: [String: String]
    }

    /// `2019-01-01` (midnight UTC) or an RFC 3339 time; nil for anything else, including dates that do not exist.
    public static func parse(_ text: String) -> Date? {
        if case .success(let date) = check(text) { return date }
        return nil
    }

    /// Like ``parse(_:)``, saying why not. A calendar date is checked, never rolled over: `2026-02-30` is not
    /// 2026-03-02, and `24:00:00` is not the next day.
    public static func check(_ text: String) -> Result<Date, Problem> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let pattern = "^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$"
        guard let match = trimmed.range(of: pattern, options: .regularExpression), match == trimmed.startIndex..<trimmed.endIndex else {
            return .failure(Problem(key: "lint.expected-date", args: ["value": text]))
        }
        let digits = trimmed.split(whereSeparator: { !$0.isNumber }).map { Int($0) ?? -1 }
        let (year, month, day) = (digits[0], digits[1], digits[2])
        guard (1...12).contains(month) else { return .failure(Problem(key: "lint.expected-date", args: ["value": text])) }
        let days = daysIn(month: month, year: year)
        guard (1...days).contains(day) else {
            return .failure(Problem(key: "lint.impossible-date", args: ["value": trimmed, "days": "\(days)", "month": String(format: "%04d-%02d", year, month)]))
        }
        var components = DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"),
                                        year: year, month: month, day: day)
        if trimmed.count > 10 {
            let (hour, minute, second) = (digits[3], digits[4], digits[5])
            guard hour <= 23, minute <= 59, second <= 59 else {
                return .failure(Problem(key: "lint.impossible-time", args: ["value": trimmed]))
            }
            components.hour = hour
            components.minute = minute
            components.second = second
            if let zone = trimmed.range(of: "[+-][0-9]{2}:[0-9]{2}$", options: .regularExpression) {
                let sign = trimmed[zone].first == "-" ? -1 : 1
                let parts = trimmed[zone].dropFirst().split(separator: ":").compactMap { Int($0) }
                guard parts[0] <= 23, parts[1] <= 59 else { return .failure(Problem(key: "lint.impossible-time", args: ["value": trimmed])) }
                components.timeZone = TimeZone(secondsFromGMT: sign * (parts[0] * 3600 + parts[1] * 60))
            }
        }
        guard var date = components.date else { return .failure(Problem(key: "lint.expected-date", args: ["value": text])) }
        if let fraction = trimmed.range(of: "\\.[0-9]{1,9}", options: .regularExpression), let value = Double("0" + trimmed[fraction]) {
            date += value
        }
        return .success(date)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `90`, `90s`, `15m`, `24h`, `7d` → seconds.
    public static func duration(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let last = trimmed.last, let unit = units[last], let value = Int(trimmed.dropLast()), value >= 0, value <= Int(Int32.max) { return value * unit }
        return Int(trimmed).flatMap { $0 >= 0 ? $0 : nil }
    }
}

/// "Did you mean" suggestions (policies' keys and values, the CLI's subcommands).
package enum Suggest {
    package static func closest(_ word: String, in candidates: [String]) -> String? {
        let lower = word.lowercased()
        let scored = candidates.map { ($0, distance(lower, $0.lowercased())) }.filter { $0.1 <= max(2, word.count / 3) }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance.
    package static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
