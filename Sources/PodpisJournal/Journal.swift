import EvidenceModel
import Foundation
import SigningCore

/// What a verification adds to the journal.
public struct JournalRecord: Sendable {
    public var requestID: String
    public var documentDigest: String?
    public var signatureDigest: String
    public var signers: [String]
    public var policyID: String
    public var policyVersion: String
    public var indication: Indication
    public var subIndication: SubIndication?
    /// The evidence, as JSON (so it can be judged again later: `policy impact --journal`).
    public var evidence: String {
        didSet { packed = nil }
    }
    /// `evidence` as the journal stores it (certificates cut out, the rest compressed: ``EvidencePacking``). The
    /// service packs it on its thread pool with the rest of a verification's CPU work; a journal packs a record
    /// that comes without it.
    public var packed: EvidencePacking.Packed?

    public init(requestID: String, documentDigest: String?, signatureDigest: String, signers: [String], policyID: String,
                policyVersion: String, indication: Indication, subIndication: SubIndication?, evidence: String) {
        self.requestID = requestID
        self.documentDigest = documentDigest
        self.signatureDigest = signatureDigest
        self.signers = signers
        self.policyID = policyID
        self.policyVersion = policyVersion
        self.indication = indication
        self.subIndication = subIndication
        self.evidence = evidence
        self.packed = nil
    }

    /// Packs the evidence now (CPU work: call it where blocking work belongs, not on the cooperative pool).
    public mutating func pack() {
        if packed == nil { packed = EvidencePacking.pack(evidence) }
    }

    var packedEvidence: EvidencePacking.Packed { packed ?? EvidencePacking.pack(evidence) }
}

/// One journal entry: the record, its place in its node's chain, and the hash that links it to the one before.
public struct JournalEntry: Codable, Sendable, Equatable {
    /// The node whose chain holds the entry (``JournalNodes``). Each node chains its own entries from genesis, `seq`
    /// counting from 1 per node. The hash covers the node, so an entry cannot be moved to another chain. The one
    /// chain of a single-node journal (and of every journal written before nodes had chains) is `"0"`; its entries
    /// hash without the field, exactly as they always have.
    public var node: String = JournalNodes.single
    public var seq: Int64
    /// RFC 3339 with milliseconds, UTC.
    public var time: String
    public var requestID: String
    public var documentDigest: String?
    public var signatureDigest: String
    public var signers: [String]
    public var policyID: String
    public var policyVersion: String
    /// The verdict as recorded (a journal written by another version may hold one this version does not know).
    public var indication: Recorded<Indication>
    public var subIndication: Recorded<SubIndication>?
    public var evidence: String
    public var previousHash: String
    public var hash: String

    public static let genesis = String(repeating: "0", count: 64)

    public init(node: String = JournalNodes.single, seq: Int64, time: String, requestID: String, documentDigest: String?,
                signatureDigest: String, signers: [String], policyID: String, policyVersion: String, indication: Recorded<Indication>,
                subIndication: Recorded<SubIndication>?, evidence: String, previousHash: String, hash: String) {
        self.node = node
        self.seq = seq
        self.time = time
        self.requestID = requestID
        self.documentDigest = documentDigest
        self.signatureDigest = signatureDigest
        self.signers = signers
        self.policyID = policyID
        self.policyVersion = policyVersion
        self.indication = indication
        self.subIndication = subIndication
        self.evidence = evidence
        self.previousHash = previousHash
        self.hash = hash
    }

    enum CodingKeys: String, CodingKey {
        case node, seq, time, requestID, documentDigest, signatureDigest, signers, policyID, policyVersion, indication, subIndication,
             evidence, previousHash, hash
    }

    /// Set in an encoder's `userInfo` when it encodes an entry for its hash: node `"0"` is then left out (the
    /// hashes of entries written before nodes had chains stay what they were).
    static let hashingKey = CodingUserInfoKey(rawValue: "podpis.journal.hashing")!

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        node = try container.decodeIfPresent(String.self, forKey: .node) ?? JournalNodes.single
        seq = try container.decode(Int64.self, forKey: .seq)
        time = try container.decode(String.self, forKey: .time)
        requestID = try container.decode(String.self, forKey: .requestID)
        documentDigest = try container.decodeIfPresent(String.self, forKey: .documentDigest)
        signatureDigest = try container.decode(String.self, forKey: .signatureDigest)
        signers = try container.decode([String].self, forKey: .signers)
        policyID = try container.decode(String.self, forKey: .policyID)
        policyVersion = try container.decode(String.self, forKey: .policyVersion)
        indication = try container.decode(Recorded<Indication>.self, forKey: .indication)
        subIndication = try container.decodeIfPresent(Recorded<SubIndication>.self, forKey: .subIndication)
        evidence = try container.decode(String.self, forKey: .evidence)
        previousHash = try container.decode(String.self, forKey: .previousHash)
        hash = try container.decode(String.self, forKey: .hash)
    }

    /// Every field; `node` too (`audit export` names each entry's chain), except in the hash's encoding of chain "0".
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if node != JournalNodes.single || encoder.userInfo[Self.hashingKey] as? Bool != true {
            try container.encode(node, forKey: .node)
        }
        try container.encode(seq, forKey: .seq)
        try container.encode(time, forKey: .time)
        try container.encode(requestID, forKey: .requestID)
        try container.encodeIfPresent(documentDigest, forKey: .documentDigest)
        try container.encode(signatureDigest, forKey: .signatureDigest)
        try container.encode(signers, forKey: .signers)
        try container.encode(policyID, forKey: .policyID)
        try container.encode(policyVersion, forKey: .policyVersion)
        try container.encode(indication, forKey: .indication)
        try container.encodeIfPresent(subIndication, forKey: .subIndication)
        try container.encode(evidence, forKey: .evidence)
        try container.encode(previousHash, forKey: .previousHash)
        try container.encode(hash, forKey: .hash)
    }

    /// The hash of everything but `hash` itself: SHA-256 over the canonical JSON (sorted keys, `hash` empty), as
    /// ``canonicalJSON`` writes it.
    public func computedHash() -> String {
        SHA256.hex(canonicalJSON())
    }

    /// The same hash over the entry as `JSONEncoder` (sorted keys, slashes unescaped) encodes it: the definition
    /// ``canonicalJSON()`` reproduces, kept to check it and as the audit's second opinion.
    public func encoderHash() -> String {
        var copy = self
        copy.hash = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.userInfo[Self.hashingKey] = true
        let data = (try? encoder.encode(copy)) ?? Data()
        return SHA256.hex([UInt8](data))
    }

    /// Whether `hash` is this entry's hash. ``computedHash()`` first; should it ever disagree with the encoder's
    /// bytes for some text, the encoder's hash is asked too, so no entry written by an earlier version reads as
    /// changed.
    public var hashMatches: Bool { computedHash() == hash || encoderHash() == hash }

    /// The canonical JSON of the entry with `hash` empty, written directly, byte for byte what `JSONEncoder` with
    /// `[.sortedKeys, .withoutEscapingSlashes]` writes (`JournalHashTests` compares them): keys in order, absent
    /// optionals left out, `"` `\` and control characters escaped (`\b \t \n \f \r`, else `\u00xx`), everything
    /// else as UTF-8. Encoding the entry with `JSONEncoder` (the evidence text, ~18 KB for a CAdES-LT signature,
    /// escaped once more as a string) was 4.5 % of the service's CPU in a profile, on the journal's single writer.
    public func canonicalJSON() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(evidence.utf8.count + evidence.utf8.count / 6 + 1024)
        var first = true
        func key(_ name: StaticString) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
        }
        func string(_ value: String) {
            out.append(UInt8(ascii: "\""))
            let digits = Array("0123456789abcdef".utf8)
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(byte)
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
                case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
                case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
                case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
                case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
                case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
                case 0..<0x20:
                    out.append(contentsOf: Array("\\u00".utf8))
                    out.append(digits[Int(byte >> 4)])
                    out.append(digits[Int(byte & 15)])
                default: out.append(byte)
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        if let documentDigest { key("documentDigest"); string(documentDigest) }
        key("evidence"); string(evidence)
        key("hash"); string("")
        key("indication"); string(indication.rawValue)
        if node != JournalNodes.single { key("node"); string(node) }
        key("policyID"); string(policyID)
        key("policyVersion"); string(policyVersion)
        key("previousHash"); string(previousHash)
        key("requestID"); string(requestID)
        key("seq"); out.append(contentsOf: Array(String(seq).utf8))
        key("signatureDigest"); string(signatureDigest)
        key("signers")
        out.append(UInt8(ascii: "["))
        for (index, signer) in signers.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            string(signer)
        }
        out.append(UInt8(ascii: "]"))
        if let subIndication { key("subIndication"); string(subIndication.rawValue) }
        key("time"); string(time)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// RFC 3339 with milliseconds in UTC, as ``time`` is written (`2026-11-25T20:28:23.123Z`). A format style is a
    /// value: one for the process, where a new `ISO8601DateFormatter` per entry (an ICU formatter each time) cost
    /// about 6 % of the service's CPU under load, on the journal's single writer.
    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func make(node: String = JournalNodes.single, seq: Int64, record: JournalRecord, previousHash: String, now: Date = Date()) -> JournalEntry {
        var entry = JournalEntry(
            node: node, seq: seq, time: now.formatted(timeFormat), requestID: record.requestID, documentDigest: record.documentDigest,
            signatureDigest: record.signatureDigest, signers: record.signers, policyID: record.policyID,
            policyVersion: record.policyVersion, indication: Recorded(record.indication), subIndication: record.subIndication.map(Recorded.init),
            evidence: record.evidence, previousHash: previousHash, hash: "")
        entry.hash = entry.computedHash()
        return entry
    }

    public var date: Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: time)
    }
}

/// The names of a journal's chains: one per `serve` node on a shared PostgreSQL journal (`serve --node NAME`).
public enum JournalNodes {
    /// The chain of a single-node journal, of SQLite, and of every journal written before nodes had chains.
    public static let single = "0"

    /// Whether `name` may name a node: 1–32 of `a-z 0-9 _ -`, starting with a letter or digit. It is part of
    /// checkpoint file names (`checkpoint-<node>-<seq>.p7m`) and of the advisory lock's key.
    public static func isValid(_ name: String) -> Bool {
        name.range(of: "^[a-z0-9][a-z0-9_-]{0,31}$", options: .regularExpression) != nil
    }

    /// Throws a configuration error for a name ``isValid(_:)`` refuses.
    public static func validate(_ name: String) throws {
        guard isValid(name) else {
            throw PodpisError(.configuration, "a node name is 1–32 of a-z, 0-9, _ and -, starting with a letter or digit", subject: name)
        }
    }
}

/// The result of walking every chain.
public struct ChainVerification: Sendable {
    public var entries: Int64
    /// Entries per node (every chain walked, also empty ones an attestation names).
    public var nodes: [String: Int64] = [:]
    /// The first entry whose hash or link is wrong, its node, and why.
    public var firstBroken: (node: String, seq: Int64, reason: String)?
    public var intact: Bool { firstBroken == nil }

    public init(entries: Int64, nodes: [String: Int64] = [:], firstBroken: (node: String, seq: Int64, reason: String)?) {
        self.entries = entries
        self.nodes = nodes
        self.firstBroken = firstBroken
    }
}

/// An append-only journal of verifications: one hash chain per node (``JournalEntry/node``). A journal object
/// appends to the chain of its own node (``node``); appends to one chain are serialised across every writer
/// (threads, processes) and return only once the entry is durable; chains of different nodes never wait on each other.
public protocol AuditJournal: Sendable {
    /// The node this journal object appends as.
    var node: String { get }
    func append(_ record: JournalRecord) async throws -> JournalEntry
    /// Entries of `node`'s chain in order, from `seq > after`, at most `limit`.
    func entries(node: String, after: Int64, limit: Int) async throws -> [JournalEntry]
    func close() async throws
    /// Every chain's last entry (place, hash, node), in order of node.
    func heads() async throws -> [JournalHead]
    /// Keeps a signed checkpoint beside the entries (it goes to the checkpoint folder as well; see ``JournalNotary``).
    func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws
    /// The checkpoints kept in the journal, in order.
    func checkpoints() async throws -> [StoredCheckpoint]
    /// Told by the service when an operation did not finish in time: a journal that can reconnect starts doing so.
    func noteUnavailable()
}

/// Where a chain ends: its node, its last entry's sequence number and hash.
public struct JournalHead: Sendable, Equatable {
    public var node: String
    public var seq: Int64
    public var hash: String
    public var time: String
    public init(node: String = JournalNodes.single, seq: Int64, hash: String, time: String) {
        self.node = node
        self.seq = seq
        self.hash = hash
        self.time = time
    }
}

/// A signed checkpoint as a journal keeps it: the writing node's head, and the CMS SignedData over the statement
/// (which may name the other nodes' heads too: ``JournalStatement/heads``).
public struct StoredCheckpoint: Sendable, Equatable {
    public var node: String
    public var seq: Int64
    public var hash: String
    public var time: String
    public var signedData: [UInt8]
    public init(node: String, seq: Int64, hash: String, time: String, signedData: [UInt8]) {
        self.node = node
        self.seq = seq
        self.hash = hash
        self.time = time
        self.signedData = signedData
    }
}

extension AuditJournal {
    public func noteUnavailable() {}

    /// Entries of this journal's own chain.
    public func entries(after: Int64, limit: Int) async throws -> [JournalEntry] {
        try await entries(node: node, after: after, limit: limit)
    }

    /// The last entry of this journal's own chain (nil while it has none).
    public func head() async throws -> JournalHead? {
        try await heads().first { $0.node == node }
    }

    /// Walks one chain in pages from genesis and names its first broken entry.
    public func verifyChain(node: String) async throws -> ChainVerification {
        var check = ChainCheck(node: node)
        var last: Int64 = 0
        while true {
            let page = try await entries(node: node, after: last, limit: 1000)
            if page.isEmpty { break }
            for entry in page { check.add(entry) }
            last = page[page.count - 1].seq
            if page.count < 1000 { break }
        }
        return ChainVerification(entries: check.count, nodes: [node: check.count], firstBroken: check.broken)
    }

    /// Walks every node's chain; the first broken entry of the first broken chain (in order of node).
    public func verifyChain() async throws -> ChainVerification {
        var total = ChainVerification(entries: 0, firstBroken: nil)
        for head in try await heads() {
            let one = try await verifyChain(node: head.node)
            total.entries += one.entries
            total.nodes[head.node] = one.entries
            if total.firstBroken == nil { total.firstBroken = one.firstBroken }
        }
        return total
    }

    /// Entries since a time, for `audit export` and `policy impact --journal`: every node's chain, node by node
    /// (in order of node), each in order.
    public func export(since: Date?, _ body: (JournalEntry) throws -> Void) async throws {
        for head in try await heads() {
            var last: Int64 = 0
            while true {
                let page = try await entries(node: head.node, after: last, limit: 1000)
                if page.isEmpty { break }
                for entry in page {
                    last = entry.seq
                    if let since, let date = entry.date, date < since { continue }
                    try body(entry)
                }
            }
        }
    }
}

/// The walk of one chain, entry by entry: each must follow the one before (seq, link) and hash to its `hash`.
struct ChainCheck {
    let node: String
    var previous = JournalEntry.genesis
    var last: Int64 = 0
    var count: Int64 = 0
    var broken: (node: String, seq: Int64, reason: String)? = nil

    init(node: String) { self.node = node }

    mutating func add(_ entry: JournalEntry) {
        count += 1
        if broken == nil {
            if entry.seq != last + 1 {
                broken = (node, entry.seq, "sequence gap after \(last)")
            } else if entry.previousHash != previous {
                broken = (node, entry.seq, "does not link to entry \(last)")
            } else if entry.node != node || !entry.hashMatches {
                broken = (node, entry.seq, "its content was changed (hash mismatch)")
            }
        }
        previous = entry.hash
        last = entry.seq
    }
}

public enum AuditJournals {
    /// `sqlite:PATH` (or a plain path) opens SQLite; `postgres://user:pass@host:port/db` PostgreSQL. With `create`
    /// false a SQLite file that does not exist is an error (an audit never creates the journal it audits).
    /// `node` names the chain this process appends to (`serve --node`): PostgreSQL only; a SQLite journal is
    /// single-node (chain `"0"`).
    /// `timeout`: how long an append may wait for its commit (the service's journal timeout).
    public static func open(_ url: String, create: Bool = true, node: String = JournalNodes.single, timeout: Int = 10) async throws -> any AuditJournal {
        try JournalNodes.validate(node)
        if isPostgres(url) {
            return try await PostgresJournal(url: url, node: node, batchTimeout: .seconds(max(1, timeout)))
        }
        guard node == JournalNodes.single else {
            throw PodpisError(.configuration, "a SQLite journal has one node; --node is for a PostgreSQL journal shared by several nodes", subject: node)
        }
        let path = sqlitePath(url)
        if !create, !FileManager.default.fileExists(atPath: path) {
            throw PodpisError(.noInput, .noSuchFile, subject: path)
        }
        return try SQLiteJournal(path: path)
    }

    public static func isPostgres(_ url: String) -> Bool { url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") }

    /// The file of a `sqlite:PATH` (or plain path) journal.
    public static func sqlitePath(_ url: String) -> String { url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url }
}
