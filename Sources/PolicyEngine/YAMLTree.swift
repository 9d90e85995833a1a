import Foundation
import Yams

/// A position in a policy file (1-based line and column).
public struct SourceMark: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// A YAML document as plain, Sendable values with source positions. Scalars stay strings (no `yes`/`NO`/date
/// guessing); the policy reader types them itself and reports the position of every mistake.
indirect enum YAMLValue: Sendable {
    case scalar(String, quoted: Bool, SourceMark)
    case mapping([(key: String, keyMark: SourceMark, value: YAMLValue)], SourceMark)
    case sequence([YAMLValue], SourceMark)

    var mark: SourceMark {
        switch self {
        case .scalar(_, _, let mark), .mapping(_, let mark), .sequence(_, let mark): mark
        }
    }

    var kindName: String {
        switch self {
        case .scalar: "scalar"
        case .mapping: "mapping"
        case .sequence: "list"
        }
    }

    /// Parses YAML text. Syntax errors come back as a diagnostic with line and column.
    static func parse(_ text: String) throws(PolicyDiagnostic) -> YAMLValue? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            throw PolicyDiagnostic.fromYAML(error)
        } catch {
            throw PolicyDiagnostic(SourceMark(line: 1, column: 1), Message("lint.yaml", ["problem": "\(error)"]))
        }
        guard let root else { return nil }
        var budget = 200_000  // nodes: bounds aliases expanded into huge trees
        return try convert(root, depth: 0, budget: &budget)
    }

    private static func convert(_ node: Node, depth: Int, budget: inout Int) throws(PolicyDiagnostic) -> YAMLValue {
        budget -= 1
        let mark = node.mark.map { SourceMark(line: $0.line, column: $0.column) } ?? SourceMark(line: 1, column: 1)
        guard depth < 64, budget > 0 else { throw PolicyDiagnostic(mark, Message("lint.too-deep")) }
        switch node {
        case .scalar(let scalar):
            let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
            return .scalar(scalar.string, quoted: quoted, mark)
        case .mapping(let mapping):
            var entries: [(key: String, keyMark: SourceMark, value: YAMLValue)] = []
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw PolicyDiagnostic(mark, Message("lint.key-not-scalar"))
                }
                let keyMark = key.mark.map { SourceMark(line: $0.line, column: $0.column) } ?? mark
                entries.append((keyScalar.string, keyMark, try convert(value, depth: depth + 1, budget: &budget)))
            }
            return .mapping(entries, mark)
        case .sequence(let sequence):
            var items: [YAMLValue] = []
            for item in sequence { items.append(try convert(item, depth: depth + 1, budget: &budget)) }
            return .sequence(items, mark)
        case .alias:
            throw PolicyDiagnostic(mark, Message("lint.alias"))
        }
    }
}

/// One problem found in a policy file.
public struct PolicyDiagnostic: Error, Sendable {
    public var file: String?
    public var mark: SourceMark
    var message: Message
    /// `error` stops the policy from loading; `warning` does not.
    public var isWarning: Bool

    init(_ mark: SourceMark, _ message: Message, file: String? = nil, warning: Bool = false) {
        self.mark = mark
        self.message = message
        self.file = file
        self.isWarning = warning
    }

    /// `file:line:column: message` in the chosen language.
    public func rendered(_ language: Language) -> String {
        let catalogue = Catalogue(language)
        let prefix = isWarning ? catalogue.text("lint.warning-prefix") : ""
        let text = catalogue.render(language == .ru ? LintRussian.localize(message) : message)
        return "\(file ?? "-"):\(mark.line):\(mark.column): \(prefix)\(text)"
    }

    static func fromYAML(_ error: YamlError) -> PolicyDiagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PolicyDiagnostic(SourceMark(line: mark.line, column: mark.column), Message("lint.yaml", ["problem": problem]))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return PolicyDiagnostic(SourceMark(line: context.mark.line, column: context.mark.column),
                                    Message("lint.duplicate-key", ["key": duplicates.joined(separator: ", ")]))
        case .reader(let problem, _, _, _):
            return PolicyDiagnostic(SourceMark(line: 1, column: 1), Message("lint.yaml", ["problem": problem]))
        default:
            return PolicyDiagnostic(SourceMark(line: 1, column: 1), Message("lint.yaml", ["problem": "\(error)"]))
        }
    }
}
