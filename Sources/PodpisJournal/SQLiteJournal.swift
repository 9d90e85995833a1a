import EvidenceModel
import Foundation
import GRDB
import NIOConcurrencyHelpers
import SigningCore

/// The embedded journal: SQLite in WAL mode with `synchronous = FULL`, so a committed entry survives a crash.
/// Appends run in IMMEDIATE transactions, which SQLite serialises across processes sharing the file. One node: every
/// entry is in chain `"0"` (the table has no `node` column; several nodes share a PostgreSQL journal).
public final class SQLiteJournal: AuditJournal {
    let pool: DatabasePool
    public var node: String { JournalNodes.single }

    public init(path: String) throws {
        // The journal holds names, СНИЛС and ИНН of signers: a new file is readable by its owner only (SQLite gives
        // its -wal and -shm files the database file's mode).
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.execute(sql: """
                    CREATE TABLE journal (
                        seq INTEGER PRIMARY KEY,
                        time TEXT NOT NULL,
                        request_id TEXT NOT NULL,
                        document_digest TEXT,
                        signature_digest TEXT NOT NULL,
                        signers TEXT NOT NULL,
                        policy_id TEXT NOT NULL,
                        policy_version TEXT NOT NULL,
                        indication TEXT NOT NULL,
                        sub_indication TEXT,
                        evidence TEXT NOT NULL,
                        previous_hash TEXT NOT NULL,
                        hash TEXT NOT NULL UNIQUE
                    );
                    CREATE INDEX journal_time ON journal(time);
                    """)
            }
            migrator.registerMigration("v2-checkpoints") { db in
                // Signed checkpoints (node, seq, hash, time) with their CMS: `audit verify` compares the chain to them.
                try db.execute(sql: """
                    CREATE TABLE checkpoints (
                        node TEXT NOT NULL,
                        seq INTEGER NOT NULL,
                        hash TEXT NOT NULL,
                        time TEXT NOT NULL,
                        signed_data BLOB NOT NULL,
                        PRIMARY KEY (node, seq)
                    );
                    """)
            }
            migrator.registerMigration("v3-packed") { db in
                // Format 3 (issue #21): certificates stored once, by the SHA-256 of their text, in `journal_blobs`;
                // the rest of an entry's evidence compressed in `packed` (then `evidence` is empty). Entries written
                // before keep their `evidence` text and `packed` NULL: nothing is rewritten, and their hashes, like
                // every later one, are over the same canonical entry (see ``EvidencePacking``).
                try db.execute(sql: """
                    ALTER TABLE journal ADD COLUMN packed BLOB;
                    CREATE TABLE journal_blobs (
                        digest TEXT PRIMARY KEY,
                        kind TEXT NOT NULL,
                        content BLOB NOT NULL
                    ) WITHOUT ROWID;
                    """)
            }
            let fixed = migrator
            try fixed.migrate(pool)
        } catch {
            throw PodpisError(.configuration, "cannot open the journal: \(ErrorText.describe(error))", subject: path)
        }
    }

    let blobCache = BlobCache()

    /// Concurrent appends share one transaction and one fsync (``GroupCommit``).
    private let group = GroupCommit()

    /// Appends an entry and returns once it is durable. Concurrent appends share one transaction and one fsync
    /// (group commit): each caller still resumes only after the commit that holds its own entry.
    public func append(_ record: JournalRecord) async throws -> JournalEntry {
        try await group.append(record) { records in try await self.write(records) }
    }

    /// Writes `records` as the next entries of the chain, in one transaction.
    private func write(_ records: [JournalRecord]) async throws -> [JournalEntry] {
        let blobCache = self.blobCache
        let (entries, newBlobs) = try await pool.write { db in
            var newBlobs: [String: [UInt8]] = [:]
            let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")
            var seq: Int64 = (last?["seq"] as Int64?) ?? 0
            var previous: String = (last?["hash"] as String?) ?? JournalEntry.genesis
            var written: [JournalEntry] = []
            for record in records {
                seq += 1
                let entry = JournalEntry.make(seq: seq, record: record, previousHash: previous)
                let signers = String(decoding: try JSONEncoder().encode(entry.signers), as: UTF8.self)
                let packed = record.packedEvidence
                for blob in packed.blobs where newBlobs[blob.digest] == nil && !blobCache.contains(blob.digest) {
                    try db.execute(sql: "INSERT OR IGNORE INTO journal_blobs (digest, kind, content) VALUES (?, ?, ?)",
                                   arguments: [blob.digest, blob.kind, Data(EvidencePacking.storedBlob(blob))])
                    newBlobs[blob.digest] = blob.text
                }
                try db.execute(sql: """
                    INSERT INTO journal (seq, time, request_id, document_digest, signature_digest, signers, policy_id, policy_version,
                                         indication, sub_indication, evidence, packed, previous_hash, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?)
                    """, arguments: [entry.seq, entry.time, entry.requestID, entry.documentDigest, entry.signatureDigest, signers,
                                     entry.policyID, entry.policyVersion, entry.indication.rawValue, entry.subIndication?.rawValue, Data(packed.packed),
                                     entry.previousHash, entry.hash])
                previous = entry.hash
                written.append(entry)
            }
            return (written, newBlobs)
        }
        blobCache.remember(newBlobs, verified: true)
        return entries
    }

    public func entries(node: String, after: Int64, limit: Int) async throws -> [JournalEntry] {
        guard node == JournalNodes.single else { return [] }
        let blobCache = self.blobCache
        return try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM journal WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [after, limit])
            let packed = rows.map { ($0["packed"] as Data?).map { [UInt8]($0) } }
            let (cached, missing) = blobCache.lookup(packed.flatMap { $0.map(EvidencePacking.references) ?? [] })
            var blobs = cached
            var read: [String: [UInt8]] = [:]
            for digest in missing {
                if let stored = try Data.fetchOne(db, sql: "SELECT content FROM journal_blobs WHERE digest = ?", arguments: [digest]),
                   let text = EvidencePacking.blobText(stored: [UInt8](stored)) {
                    read[digest] = text
                }
            }
            blobCache.remember(read)
            blobs.merge(read) { old, _ in old }
            return zip(rows, packed).map { row, packed in
                let signers = (try? JSONDecoder().decode([String].self, from: Data((row["signers"] as String? ?? "[]").utf8))) ?? []
                return JournalEntry(
                    seq: row["seq"], time: row["time"], requestID: row["request_id"], documentDigest: row["document_digest"],
                    signatureDigest: row["signature_digest"], signers: signers, policyID: row["policy_id"],
                    policyVersion: row["policy_version"], indication: Recorded(rawValue: row["indication"]), subIndication: (row["sub_indication"] as String?).map(Recorded.init(rawValue:)),
                    evidence: EvidencePacking.evidence(text: row["evidence"], packed: packed, blobs: blobs),
                    previousHash: row["previous_hash"], hash: row["hash"])
            }
        }
    }

    /// What each entry takes in its row (every column's bytes, in order of `seq`), and what the blob table holds in
    /// all: for the benchmarks' journal-size row and its test.
    public func storedSizes() async throws -> (entries: [Int], blobs: Int, blobCount: Int) {
        try await pool.read { db in
            let columns = ["seq", "time", "request_id", "document_digest", "signature_digest", "signers", "policy_id", "policy_version",
                           "indication", "sub_indication", "evidence", "packed", "previous_hash", "hash"]
            let sum = columns.map { "IFNULL(length(CAST(\($0) AS BLOB)), 0)" }.joined(separator: " + ")
            let entries = try Int.fetchAll(db, sql: "SELECT \(sum) FROM journal ORDER BY seq")
            let blobs = try Row.fetchOne(db, sql: "SELECT IFNULL(SUM(length(digest) + length(kind) + length(content)), 0) AS bytes, COUNT(*) AS n FROM journal_blobs")
            return (entries, blobs?["bytes"] ?? 0, blobs?["n"] ?? 0)
        }
    }

    public func close() async throws { try pool.close() }

    public func heads() async throws -> [JournalHead] {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT seq, hash, time FROM journal ORDER BY seq DESC LIMIT 1").map {
                [JournalHead(seq: $0["seq"], hash: $0["hash"], time: $0["time"])]
            } ?? []
        }
    }

    public func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO checkpoints (node, seq, hash, time, signed_data) VALUES (?, ?, ?, ?, ?)",
                           arguments: [checkpoint.node, checkpoint.seq, checkpoint.hash, checkpoint.time, Data(checkpoint.signedData)])
        }
    }

    public func checkpoints() async throws -> [StoredCheckpoint] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT node, seq, hash, time, signed_data FROM checkpoints ORDER BY node, seq").map { row in
                StoredCheckpoint(node: row["node"], seq: row["seq"], hash: row["hash"], time: row["time"],
                                 signedData: [UInt8]((row["signed_data"] as Data?) ?? Data()))
            }
        }
    }

    /// Direct SQL (tests use it to tamper with a row, as an intruder with file access could).
    public func execute(_ sql: String) async throws {
        try await pool.write { db in try db.execute(sql: sql) }
    }
}
