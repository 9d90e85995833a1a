import EvidenceModel
import Foundation

/// A mistake in a rule's `params`, at the node where it is (line and column), as a lint message.
struct ParameterProblem: Error {
    var mark: SourceMark
    var message: Message
    /// The parameter path from the rule's `params` down (`["forbidden", "2", "key"]`); its first element is the
    /// top-level parameter the problem is in.
    var path: [String]
}

/// Decodes a check's parameters (its `Decodable` init) straight from the policy's YAML nodes, so that every
/// mistake carries its line and column: a value outside a closed set, out of its range, of the wrong type, a
/// calendar date that does not exist, an unknown key (with a "did you mean"), a missing required one.
///
/// Scalars are typed here, never guessed by the YAML library: `yes` is not a boolean, `"12"` (quoted) is not a
/// number, `2026-02-30` is not a date.
struct ParameterDecoder: Decoder {
    let node: YAMLValue
    let path: [String]
    /// Where a missing key is reported (the enclosing mapping, or the rule's `check` for a rule without params).
    var codingPath: [any CodingKey] { path.map { AnyKey($0) } }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: YAMLValue, path: [String] = []) {
        self.node = node
        self.path = path
    }

    var mark: SourceMark { node.mark }
    /// How a message names this value: `params.maxDelay`, `params.forbidden.key`.
    var what: String { (["params"] + path.filter { Int($0) == nil }).joined(separator: ".") }

    func problem(_ key: MessageKey, _ args: [String: String] = [:]) -> ParameterProblem {
        var args = args
        args["what"] = args["what"] ?? what
        return ParameterProblem(mark: mark, message: Message(key, args), path: path)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .mapping(let entries, let mark) = node else {
            throw problem("lint.expected-mapping", ["found": node.kindName])
        }
        // Keys the type declares (CodingKeys that are CaseIterable): anything else is a typo, reported with the
        // closest allowed key.
        if let closed = Key.self as? any ClosedKeys.Type {
            let allowed = closed.names
            for entry in entries where !allowed.contains(entry.key) {
                var args = ["key": entry.key, "what": path.isEmpty ? "params" : what]
                let key: MessageKey
                if let suggestion = Suggest.closest(entry.key, in: allowed) {
                    args["suggestion"] = suggestion
                    key = "lint.unknown-key-suggest"
                } else {
                    args["allowed"] = allowed.isEmpty ? "—" : allowed.joined(separator: ", ")
                    key = "lint.unknown-key"
                }
                throw ParameterProblem(mark: entry.keyMark, message: Message(key, args), path: path + [entry.key])
            }
        }
        return KeyedDecodingContainer(MappingContainer<Key>(entries: entries, mark: mark, path: path))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch node {
        case .sequence(let items, _): return SequenceContainer(items: items, path: path)
        case .scalar: return SequenceContainer(items: [node], path: path)  // a single value stands for a list of one
        case .mapping: throw problem("lint.expected-list")
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { ScalarContainer(decoder: self) }

    /// Decodes `T` from this node: the scalar types (text, whole numbers, booleans, dates) are read here, the rest
    /// through their own `init(from:)`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == String.self { return try text() as! T }
        if T.self == Int.self { return try integer() as! T }
        if T.self == Bool.self { return try boolean() as! T }
        if T.self == Date.self { return try date() as! T }
        return try T(from: self)
    }

    func scalar() throws -> (text: String, quoted: Bool) {
        guard case .scalar(let text, let quoted, _) = node else { throw problem("lint.expected-text", ["found": node.kindName]) }
        return (text, quoted)
    }

    func text() throws -> String {
        let (text, _) = try scalar()
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw problem("lint.empty") }
        return text
    }

    func integer() throws -> Int {
        guard case .scalar(let text, let quoted, _) = node, !quoted, let value = Int(text) else { throw problem("lint.expected-int") }
        return value
    }

    func boolean() throws -> Bool {
        guard case .scalar(let text, let quoted, _) = node, !quoted, text == "true" || text == "false" else { throw problem("lint.expected-bool") }
        return text == "true"
    }

    func date() throws -> Date {
        guard case .scalar(let text, _, _) = node else { throw problem("lint.expected-date") }
        switch PolicyDates.check(text) {
        case .success(let date): return date
        case .failure(let problem): throw self.problem(problem.key, problem.args)
        }
    }

    /// Whether the node is an explicit null (`~`, `null`), which counts as absent.
    var isNull: Bool {
        if case .scalar(let text, let quoted, _) = node, !quoted, ["~", "null", "Null", "NULL"].contains(text) { return true }
        return false
    }
}

/// CodingKeys whose full list is known: the decoder reports any other key as a typo.
protocol ClosedKeys: CodingKey {
    static var names: [String] { get }
}

extension ClosedKeys where Self: CaseIterable {
    static var names: [String] { allCases.map(\.stringValue) }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { Int(stringValue) }
    init(_ text: String) { stringValue = text }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { stringValue = "\(intValue)" }
}

struct MappingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let entries: [(key: String, keyMark: SourceMark, value: YAMLValue)]
    let mark: SourceMark
    let path: [String]
    var codingPath: [any CodingKey] { path.map { AnyKey($0) } }
    var allKeys: [Key] { entries.compactMap { Key(stringValue: $0.key) } }

    func node(_ key: Key) -> YAMLValue? { entries.first { $0.key == key.stringValue }?.value }

    func contains(_ key: Key) -> Bool { node(key) != nil }

    func decoder(_ key: Key) throws -> ParameterDecoder {
        guard let value = node(key) else {
            throw ParameterProblem(mark: mark, message: Message("lint.param-required", ["param": key.stringValue]), path: path + [key.stringValue])
        }
        return ParameterDecoder(node: value, path: path + [key.stringValue])
    }

    func decodeNil(forKey key: Key) throws -> Bool { try decoder(key).isNull }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder(key).decode(type) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = node(key) else { return nil }
        let nested = ParameterDecoder(node: value, path: path + [key.stringValue])
        return nested.isNull ? nil : try nested.decode(type)
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder(key).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try decoder(key).unkeyedContainer() }
    func superDecoder() throws -> any Decoder { ParameterDecoder(node: .mapping(entries, mark), path: path) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try decoder(key) }
}

struct SequenceContainer: UnkeyedDecodingContainer {
    let items: [YAMLValue]
    let path: [String]
    var currentIndex = 0
    var codingPath: [any CodingKey] { path.map { AnyKey($0) } }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(items: [YAMLValue], path: [String]) {
        self.items = items
        self.path = path
    }

    mutating func next() throws -> ParameterDecoder {
        guard !isAtEnd else {
            throw ParameterProblem(mark: items.last?.mark ?? SourceMark(line: 1, column: 1), message: Message("lint.expected-list", ["what": "params"]), path: path)
        }
        defer { currentIndex += 1 }
        return ParameterDecoder(node: items[currentIndex], path: path + ["\(currentIndex)"])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, ParameterDecoder(node: items[currentIndex], path: path).isNull else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decode(type) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}

struct ScalarContainer: SingleValueDecodingContainer {
    let decoder: ParameterDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    func decodeNil() -> Bool { decoder.isNull }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decode(type) }
}

// MARK: closed sets, ranges and the decoded rule

/// A parameter whose values form a closed set (an enum): any other value is a lint error naming the allowed
/// values and the closest one.
public protocol ClosedSet: RawRepresentable<String>, CaseIterable, Codable, Sendable, Hashable {
    /// Other spellings accepted for a value (RFC 5280 reason codes as numbers, …).
    static func alias(_ text: String) -> Self?
    /// The values a policy may write (all cases unless a type says otherwise).
    static var writable: [Self] { get }
}

extension ClosedSet {
    public static func alias(_ text: String) -> Self? { nil }
    public static var writable: [Self] { Array(allCases) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        if let value = Self(rawValue: text), Self.writable.contains(value) {
            self = value
            return
        }
        if let value = Self.alias(text) {
            self = value
            return
        }
        let allowed = Self.writable.map(\.rawValue)
        guard let decoder = decoder as? ParameterDecoder else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "«\(text)» is not one of \(allowed)"))
        }
        throw decoder.badChoice(text, allowed: allowed)
    }
}

extension ParameterDecoder {
    /// «value» is not one of the allowed values; with the closest one when there is one.
    /// `orOID`: the value may also be a dotted OID, and the message says so.
    func badChoice(_ value: String, allowed: [String], orOID: Bool = false) -> ParameterProblem {
        var args = ["value": value, "allowed": allowed.joined(separator: ", ")]
        if let suggestion = Suggest.closest(value, in: allowed) {
            args["suggestion"] = suggestion
            return problem(orOID ? "lint.bad-choice-suggest-or-oid" : "lint.bad-choice-suggest", args)
        }
        return problem(orOID ? "lint.bad-choice-or-oid" : "lint.bad-choice", args)
    }
}

extension KeyedDecodingContainer {
    /// A value that must fall in `range` (inclusive); outside it, a lint error at the value.
    func decodeIfPresent<T: Decodable & Comparable & CustomStringConvertible>(_ type: T.Type, forKey key: Key, in range: ClosedRange<T>) throws -> T? {
        guard let value = try decodeIfPresent(type, forKey: key) else { return nil }
        guard range.contains(value) else {
            guard let decoder = try superDecoder(forKey: key) as? ParameterDecoder else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(value) is outside \(range)")
            }
            throw decoder.problem("lint.out-of-range", ["value": "\(value)", "min": range.lowerBound.description, "max": range.upperBound.description])
        }
        return value
    }

    /// Text that must match `pattern` (a whole-string regular expression); else a lint error naming the form.
    func decodeIfPresent(_ type: String.Type, forKey key: Key, matching pattern: String, form: String) throws -> String? {
        guard let value = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard value.range(of: "^(\(pattern))$", options: .regularExpression) != nil else {
            throw try invalidText(key, value, form: form)
        }
        return value
    }

    /// A list of texts each matching `pattern`.
    func decodeIfPresent(_ type: [String].Type, forKey key: Key, matching pattern: String, form: String) throws -> [String]? {
        guard let values = try decodeIfPresent([String].self, forKey: key) else { return nil }
        for (index, value) in values.enumerated() where value.range(of: "^(\(pattern))$", options: .regularExpression) == nil {
            throw try invalidText(key, value, form: form, item: index)
        }
        return values
    }

    /// The decoder of item `index` of the list under `key` (of the value itself when it is a single scalar), so that
    /// a problem in one item is reported at that item.
    func itemDecoder(forKey key: Key, _ index: Int) throws -> ParameterDecoder? {
        guard let list = try superDecoder(forKey: key) as? ParameterDecoder else { return nil }
        guard case .sequence(let items, _) = list.node, items.indices.contains(index) else { return list }
        return ParameterDecoder(node: items[index], path: list.path + ["\(index)"])
    }

    func invalidText(_ key: Key, _ value: String, form: String, item: Int? = nil) throws -> any Error {
        guard let decoder = try item.map({ try itemDecoder(forKey: key, $0) }) ?? superDecoder(forKey: key) as? ParameterDecoder else {
            return DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "«\(value)» is not \(form)")
        }
        var problem = decoder.problem("lint.bad-form", ["value": value])
        problem.message = Message("lint.bad-form", parts: ["form": [Message(.lintForm(form))]], problem.message.args)
        return problem
    }
}

/// A duration as policies write it: `90`, `90s`, `15m`, `24h`, `7d`.
struct PolicyDuration: Codable, Sendable, Comparable, CustomStringConvertible {
    var seconds: Int

    init(seconds: Int) { self.seconds = seconds }

    init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let seconds = PolicyDates.duration(text), seconds >= 0 else {
            guard let decoder = decoder as? ParameterDecoder else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "«\(text)» is not a duration"))
            }
            throw decoder.problem("lint.expected-duration")
        }
        self.seconds = seconds
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    var description: String {
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] where seconds >= size && seconds % size == 0 { return "\(seconds / size)\(unit)" }
        return "\(seconds)s"
    }

    static func < (a: PolicyDuration, b: PolicyDuration) -> Bool { a.seconds < b.seconds }
}
