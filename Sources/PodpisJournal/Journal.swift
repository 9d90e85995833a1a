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
    public var indication: String
    public var subIndication: String?
    /// The evidence, as JSON (so it can be judged again later: `policy impact --journal`).
    public var evidence: String {
        didSet { packed = nil }
    }
    /// `evidence` as the journal stores it (certificates cut out, the rest compressed: ``EvidencePacking``). The
    /// service packs it on its thread pool with the rest of a verification's CPU work; a journal packs a record
    /// that comes without it.
    public var packed: EvidencePacking.Packed?

    public init(requestID: String, documentDigest: String?, signatureDigest: String, signers: [String], policyID: String,
                policyVersion: String, indication: String, subIndication: String?, evidence: String) {
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

/// One journal entry: the record, its place in the chain, and the hash that links it to the one before.
public struct JournalEntry: Codable, Sendable, Equatable {
    public var seq: Int64
    /// RFC 3339 with milliseconds, UTC.
    public var time: String
    public var requestID: String
    public var documentDigest: String?
    public var signatureDigest: String
    public var signers: [String]
    public var policyID: String
    public var policyVersion: String
    public var indication: String
    public var subIndication: String?
    public var evidence: String
    public var previousHash: String
    public var hash: String

    public static let genesis = String(repeating: "0", count: 64)

    /// The hash of everything but `hash` itself: SHA-256 over the canonical JSON (sorted keys, `hash` empty), as
    /// ``canonicalJSON`` writes it.
    public func computedHash() -> String {
        EvidencePacking.hex((try? MultiDigest.digest(.sha256, canonicalJSON())) ?? [])
    }

    /// The same hash over the entry as `JSONEncoder` (sorted keys, slashes unescaped) encodes it: the definition
    /// ``canonicalJSON()`` reproduces, kept to check it and as the audit's second opinion.
    public func encoderHash() -> String {
        var copy = self
        copy.hash = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(copy)) ?? Data()
        return EvidencePacking.hex((try? MultiDigest.digest(.sha256, [UInt8](data))) ?? [])
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
        key("indication"); string(indication)
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
        if let subIndication { key("subIndication"); string(subIndication) }
        key("time"); string(time)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// RFC 3339 with milliseconds in UTC, as ``time`` is written (`2026-11-25T20:28:23.123Z`). A format style is a
    /// value: one for the process, where a new `ISO8601DateFormatter` per entry (an ICU formatter each time) cost
    /// about 6 % of the service's CPU under load, on the journal's single writer.
    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func make(seq: Int64, record: JournalRecord, previousHash: String, now: Date = Date()) -> JournalEntry {
        var entry = JournalEntry(
            seq: seq, time: now.formatted(timeFormat), requestID: record.requestID, documentDigest: record.documentDigest,
            signatureDigest: record.signatureDigest, signers: record.signers, policyID: record.policyID,
            policyVersion: record.policyVersion, indication: record.indication, subIndication: record.subIndication,
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

/// The result of walking the chain.
public struct ChainVerification: Sendable {
    public var entries: Int64
    /// The first entry whose hash or link is wrong, and why.
    public var firstBroken: (seq: Int64, reason: String)?
    public var intact: Bool { firstBroken == nil }
}

/// An append-only, hash-chained journal of verifications. Appends are serialised across every writer (threads,
/// processes, nodes) and return only once the entry is durable.
public protocol AuditJournal: Sendable {
    func append(_ record: JournalRecord) async throws -> JournalEntry
    /// Entries in order, from `seq > after`, at most `limit`.
    func entries(after: Int64, limit: Int) async throws -> [JournalEntry]
    func close() async throws
    /// The last entry's place and hash (nil for an empty journal).
    func head() async throws -> JournalHead?
    /// Keeps a signed checkpoint beside the entries (it goes to the checkpoint folder as well; see ``JournalNotary``).
    func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws
    /// The checkpoints kept in the journal, in order.
    func checkpoints() async throws -> [StoredCheckpoint]
    /// Told by the service when an operation did not finish in time: a journal that can reconnect starts doing so.
    func noteUnavailable()
}

/// Where a chain ends: its last entry's sequence number and hash.
public struct JournalHead: Sendable, Equatable {
    public var seq: Int64
    public var hash: String
    public var time: String
    public init(seq: Int64, hash: String, time: String) {
        self.seq = seq
        self.hash = hash
        self.time = time
    }
}

/// A signed checkpoint as a journal keeps it: its statement and the CMS SignedData over it.
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

    /// Walks the whole chain in pages and names the first broken entry.
    public func verifyChain() async throws -> ChainVerification {
        var previous = JournalEntry.genesis
        var last: Int64 = 0
        var count: Int64 = 0
        while true {
            let page = try await entries(after: last, limit: 1000)
            if page.isEmpty { break }
            for entry in page {
                count += 1
                if entry.seq != last + 1 {
                    return ChainVerification(entries: count, firstBroken: (entry.seq, "sequence gap after \(last)"))
                }
                if entry.previousHash != previous {
                    return ChainVerification(entries: count, firstBroken: (entry.seq, "does not link to entry \(last)"))
                }
                if !entry.hashMatches {
                    return ChainVerification(entries: count, firstBroken: (entry.seq, "its content was changed (hash mismatch)"))
                }
                previous = entry.hash
                last = entry.seq
            }
        }
        return ChainVerification(entries: count, firstBroken: nil)
    }

    /// Entries since a time, for `audit export`.
    public func export(since: Date?, _ body: (JournalEntry) throws -> Void) async throws {
        var last: Int64 = 0
        while true {
            let page = try await entries(after: last, limit: 1000)
            if page.isEmpty { return }
            for entry in page {
                last = entry.seq
                if let since, let date = entry.date, date < since { continue }
                try body(entry)
            }
        }
    }
}

public enum AuditJournals {
    /// `sqlite:PATH` (or a plain path) opens SQLite; `postgres://user:pass@host:port/db` PostgreSQL. With `create`
    /// false a SQLite file that does not exist is an error (an audit never creates the journal it audits).
    public static func open(_ url: String, create: Bool = true) async throws -> any AuditJournal {
        if isPostgres(url) {
            return try await PostgresJournal(url: url)
        }
        let path = sqlitePath(url)
        if !create, !FileManager.default.fileExists(atPath: path) {
            throw PodpisError(.noInput, "no such journal", subject: path).localized("error.no-such-file")
        }
        return try SQLiteJournal(path: path)
    }

    public static func isPostgres(_ url: String) -> Bool { url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") }

    /// The file of a `sqlite:PATH` (or plain path) journal.
    public static func sqlitePath(_ url: String) -> String { url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url }
}
