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

    mutating func error(_ mark: SourceMark, _ key: String, _ args: [String: String] = [:]) {
        diagnostics.append(PolicyDiagnostic(mark, Message(key, args), file: file))
    }

    mutating func warning(_ mark: SourceMark, _ key: String, _ args: [String: String] = [:]) {
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
        guard case .scalar(let text, _, _) = value, let date = PolicyDates.parse(text) else {
            error(value.mark, "lint.expected-date", ["what": what])
            return nil
        }
        return date
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

    /// A parameter value, typed by the check's definition.
    mutating func parameter(_ value: YAMLValue, type: CheckVocabulary.ParamType, what: String) -> ParamValue? {
        switch type {
        case .string: return string(value, what: what).map { .string($0) }
        case .int: return int(value, what: what).map { .int($0) }
        case .bool: return bool(value, what: what).map { .bool($0) }
        case .date: return date(value, what: what).map { .date($0) }
        case .duration:
            guard case .scalar(let text, _, _) = value, let seconds = PolicyDates.duration(text) else {
                error(value.mark, "lint.expected-duration", ["what": what])
                return nil
            }
            return .int(seconds)
        case .stringList: return strings(value, what: what).map { .list($0.map { .string($0) }) }
        case .map:
            guard case .mapping(let entries, _) = value else {
                error(value.mark, "lint.expected-mapping", ["what": what, "found": value.kindName])
                return nil
            }
            var result: [String: ParamValue] = [:]
            for entry in entries {
                if case .scalar(let text, _, _) = entry.value { result[entry.key] = .string(text) }
            }
            return .map(result)
        case .constraintList:
            guard case .sequence(let items, _) = value else {
                error(value.mark, "lint.expected-list", ["what": what])
                return nil
            }
            var result: [ParamValue] = []
            for item in items {
                guard let map = mapping(item, allowed: ["algorithm", "key", "minBits", "from"], what: what) else { continue }
                var entry: [String: ParamValue] = [:]
                if let algorithm = string(map["algorithm"], what: what + ".algorithm") {
                    if !CheckVocabulary.algorithmNames.contains(algorithm) {
                        error(map["algorithm"]!.mark, "lint.unknown-algorithm", ["algorithm": algorithm,
                                                                                "suggestion": Suggest.closest(algorithm, in: Array(CheckVocabulary.algorithmNames)) ?? "-"])
                    }
                    entry["algorithm"] = .string(algorithm)
                }
                if let key = string(map["key"], what: what + ".key") { entry["key"] = .string(key) }
                if let bits = int(map["minBits"], what: what + ".minBits") { entry["minBits"] = .int(bits) }
                if let from = date(map["from"], what: what + ".from") { entry["from"] = .date(from) }
                if entry["algorithm"] == nil && entry["key"] == nil {
                    error(item.mark, "lint.constraint-empty")
                }
                result.append(.map(entry))
            }
            return .list(result)
        }
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
            error(value!.mark, "lint.bad-enum", ["what": what, "value": text, "allowed": SignatureKind.writable.map(\.rawValue).joined(separator: ", ")])
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
        guard let id = string(map["id"], what: "rule.id") else { return nil }
        guard let check = string(map["check"], what: "rule.check") else { return nil }
        let definition = CheckVocabulary.definitions[check]
        if definition == nil {
            let suggestion = Suggest.closest(check, in: Array(CheckVocabulary.definitions.keys))
            error(map["check"]!.mark, suggestion == nil ? "lint.unknown-check" : "lint.unknown-check-suggest",
                  ["check": check, "suggestion": suggestion ?? ""])
        }
        var params: [String: ParamValue] = [:]
        if let paramsValue = map["params"], let definition {
            if let entries = mapping(paramsValue, allowed: definition.params.keys.sorted(), what: "params of \(check)") {
                for (name, value) in entries {
                    if let type = definition.params[name], let parsed = parameter(value, type: type, what: "params.\(name)") {
                        params[name] = parsed
                    }
                }
            }
        }
        var level = RuleLevel.fail
        if let text = string(map["level"], what: "rule.level") {
            if let parsed = RuleLevel(rawValue: text) { level = parsed } else {
                error(map["level"]!.mark, "lint.bad-enum", ["what": "level", "value": text, "allowed": RuleLevel.allCases.map(\.rawValue).joined(separator: ", ")])
            }
        }
        var sub: SubIndication? = nil
        if let text = string(map["subIndication"], what: "rule.subIndication") {
            if let parsed = SubIndication(rawValue: text) { sub = parsed } else {
                error(map["subIndication"]!.mark, "lint.bad-enum", ["what": "subIndication", "value": text,
                                                                   "allowed": Suggest.closest(text, in: SubIndication.allCases.map(\.rawValue)) ?? "ETSI EN 319 102-1"])
            }
        }
        return Rule(id: id, check: check, params: params, level: level, subIndication: sub,
                    basis: localized(map["basis"], what: "rule.basis"), explanation: localized(map["explain"], what: "rule.explain"),
                    effective: effective(map["effective"], what: "rule.effective", requireFrom: false),
                    name: localized(map["name"], what: "rule.name"))
    }

    mutating func readDocumentType(_ value: YAMLValue) -> DocumentType? {
        guard let map = mapping(value, allowed: ["id", "name", "kind", "level", "minSignatures", "requiredRoles", "electronicOriginalFrom", "powerCode", "basis"],
                                required: ["id", "name", "kind"], what: "document type") else { return nil }
        guard let id = string(map["id"], what: "documentType.id"), let name = localized(map["name"], what: "documentType.name"),
            let kind = kindValue(map["kind"], what: "documentType.kind")
        else { return nil }
        let level = string(map["level"], what: "documentType.level")
        if let level, !["B", "T", "LT", "LTA"].contains(level) {
            error(map["level"]!.mark, "lint.bad-enum", ["what": "level", "value": level, "allowed": "B, T, LT, LTA"])
        }
        return DocumentType(id: id, name: name, kind: kind, level: level, minSignatures: int(map["minSignatures"], what: "minSignatures") ?? 1,
                            requiredRoles: strings(map["requiredRoles"], what: "requiredRoles") ?? [],
                            electronicOriginalFrom: date(map["electronicOriginalFrom"], what: "electronicOriginalFrom"),
                            powerCode: string(map["powerCode"], what: "powerCode"), basis: localized(map["basis"], what: "documentType.basis"))
    }
}

/// Dates and durations as policies write them.
public enum PolicyDates {
    /// `2019-01-01` (midnight UTC) or an RFC 3339 time.
    public static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.range(of: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", options: .regularExpression) != nil {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate]
            return formatter.date(from: trimmed)
        }
        return ISO8601DateFormatter().date(from: trimmed)
    }

    /// `90`, `90s`, `15m`, `24h`, `7d` → seconds.
    public static func duration(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let last = trimmed.last, let unit = units[last], let value = Int(trimmed.dropLast()) { return value * unit }
        return Int(trimmed)
    }
}

/// "Did you mean" suggestions.
enum Suggest {
    static func closest(_ word: String, in candidates: [String]) -> String? {
        let lower = word.lowercased()
        let scored = candidates.map { ($0, distance(lower, $0.lowercased())) }.filter { $0.1 <= max(2, word.count / 3) }
        return scored.min { $0.1 < $1.1 }?.0
    }

    static func distance(_ a: String, _ b: String) -> Int {
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
