import EvidenceModel
import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import SigningCore

/// The shared journal for several `podpis serve` nodes: PostgreSQL, one hash chain per node (`serve --node NAME`).
/// A node appends only to its own chain and takes only that chain's locks: in the process, one writer at a time (the
/// appends that arrive meanwhile share its next transaction: group commit); in the database, a transaction-scoped
/// advisory lock keyed by table and node, so that two processes given the same node name (a misconfiguration)
/// still extend one chain instead of forking it. Nodes never wait on each other's appends. A commit is durable
/// before the node answers. Signed checkpoints (``JournalNotary``) state every node's head.
///
/// When the database goes away, PostgresNIO's pool retries with a growing back-off (up to a minute between
/// attempts), so a node could stay unavailable long after the database returned. Once an outage is noticed
/// (``noteUnavailable()``, or a failed statement), a probe connects directly every second and, as soon as the
/// database answers, replaces the pool with a fresh one: the node recovers within about a second of the database.
public final class PostgresJournal: AuditJournal {
    /// The pool in use and the task running it; replaced after an outage.
    struct Pool {
        var client: PostgresClient
        var runner: Task<Void, Never>
    }

    private let pool: NIOLockedValueBox<Pool>
    /// Whether a probe is running (one at a time).
    private let probing = NIOLockedValueBox(false)
    private let closed = NIOLockedValueBox(false)
    let configuration: PostgresClient.Configuration
    let logger = Logger(label: "podpis.journal")
    /// The table (default `journal`; `?table=name` in the URL picks another, e.g. one per environment).
    let table: String
    /// Signed checkpoints: `<table>_checkpoints`.
    var checkpointTable: String { table + "_checkpoints" }
    /// Certificates cut out of the entries' evidence, stored once (format 3, ``EvidencePacking``): `<table>_blobs`.
    var blobTable: String { table + "_blobs" }
    let blobCache = BlobCache()
    /// The chain this process appends to.
    public let node: String
    let batchTimeout: Duration
    /// The advisory lock taken while the tables are made or migrated: one per table.
    var lockKey: Int64 { Self.lockKey(table: table, node: JournalNodes.single) }

    /// The advisory lock that serialises appends to one node's chain: one per table and node, so journals in
    /// separate tables, and nodes of one journal, never wait on each other. FNV-1a, stable across processes and
    /// versions; chain "0" keeps the key of the single-chain format (`podpis:<table>`), so a node of an older
    /// version and a node "0" of this one still take turns on the chain they share.
    static func lockKey(table: String, node: String) -> Int64 {
        let name = node == JournalNodes.single ? "podpis:" + table : "podpis:" + table + ":node:" + node
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int64(bitPattern: hash)
    }

    var client: PostgresClient { pool.withLockedValue { $0.client } }

    /// A pool whose `run()` has begun when it is handed out. Leased before it runs, a connection only waits, but
    /// PostgresNIO warns about it at every start (and at every recovery from an outage).
    static func start(_ configuration: PostgresClient.Configuration, logger: Logger) async -> Pool {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let (started, signal) = AsyncStream<Void>.makeStream()
        let runner = Task {
            signal.finish()
            await client.run()
        }
        for await _ in started {}
        return Pool(client: client, runner: runner)
    }

    /// - Parameter url: `postgres://user:password@host:port/database`
    /// - Parameter node: the chain this process appends to (``JournalNodes/isValid(_:)``).
    /// - Parameter batchTimeout: how long one group commit may take before its appends fail (the service's journal
    ///   timeout).
    public init(url: String, node: String = JournalNodes.single, batchTimeout: Duration = .seconds(10)) async throws {
        try JournalNodes.validate(node)
        self.node = node
        self.batchTimeout = batchTimeout
        guard let components = URLComponents(string: url), let host = components.host, let user = components.user else {
            throw PodpisError(.configuration, "expected postgres://user:password@host:port/database", subject: "database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let table = components.queryItems?.first { $0.name == "table" }?.value ?? "journal"
        guard table.range(of: "^[a-z_][a-z0-9_]{0,40}$", options: .regularExpression) != nil else {
            throw PodpisError(.configuration, "the journal table name must be lower-case letters, digits and _", subject: "database")
        }
        self.table = table
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: .disable)
        configuration.options.connectTimeout = .seconds(3)
        self.configuration = configuration
        pool = NIOLockedValueBox(await Self.start(configuration, logger: logger))
        do {
            try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(self.lockKey))", logger: self.logger)
                _ = try await connection.query("""
                    CREATE TABLE IF NOT EXISTS \(unescaped: table) (
                        node TEXT NOT NULL DEFAULT '0',
                        seq BIGINT NOT NULL,
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
                        hash TEXT NOT NULL UNIQUE,
                        PRIMARY KEY (node, seq)
                    )
                    """, logger: self.logger)
                // Format 4 (issue #21, several nodes): a chain per node, `(node, seq)` the key. A journal made before
                // it had one chain, keyed by `seq`: its rows become chain "0" (the default), whose entries hash
                // exactly as before; nothing else is rewritten. Every node must run this version before any node
                // is given another name: an older node would still number entries across the whole table.
                _ = try await connection.query("ALTER TABLE \(unescaped: table) ADD COLUMN IF NOT EXISTS node TEXT NOT NULL DEFAULT '0'", logger: self.logger)
                var primaryKey: (String, Int)? = nil
                for try await (name, columns) in try await connection.query("""
                    SELECT conname::text, cardinality(conkey)::bigint FROM pg_constraint WHERE conrelid = \(table)::regclass AND contype = 'p'
                    """, logger: self.logger).decode((String, Int64).self) {
                    primaryKey = (name, Int(columns))
                }
                if let (name, columns) = primaryKey, columns == 1 {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: """
                        ALTER TABLE \(table) DROP CONSTRAINT "\(name)", ADD PRIMARY KEY (node, seq)
                        """), logger: self.logger)
                }
                // Format 3 (issue #21), for journals made before it too: entries written from now on keep their evidence
                // packed (`packed`, `evidence` empty) and their certificates in the blob table; older rows are left
                // as they are and verify as before. Every node of a cluster must run a version that reads `packed`.
                _ = try await connection.query("ALTER TABLE \(unescaped: table) ADD COLUMN IF NOT EXISTS packed BYTEA", logger: self.logger)
                _ = try await connection.query("""
                    CREATE TABLE IF NOT EXISTS \(unescaped: self.blobTable) (
                        digest TEXT PRIMARY KEY,
                        kind TEXT NOT NULL,
                        content BYTEA NOT NULL
                    )
                    """, logger: self.logger)
                _ = try await connection.query("""
                    CREATE TABLE IF NOT EXISTS \(unescaped: self.checkpointTable) (
                        node TEXT NOT NULL,
                        seq BIGINT NOT NULL,
                        hash TEXT NOT NULL,
                        time TEXT NOT NULL,
                        signed_data BYTEA NOT NULL,
                        PRIMARY KEY (node, seq)
                    )
                    """, logger: self.logger)
            }
        } catch {
            pool.withLockedValue { $0.runner.cancel() }
            throw PodpisError(.configuration, "cannot open the PostgreSQL journal: \(String(reflecting: error).prefix(300))", subject: host)
        }
    }

    /// Runs `body`; a failure also starts the outage probe.
    func watched<T>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        do {
            return try await body(client)
        } catch {
            noteUnavailable()
            throw error
        }
    }

    /// Group commit (``GroupCommit``): the appends that arrive while a transaction is in flight share the next one,
    /// at most ``batchLimit`` at a time.
    private let group = GroupCommit(limit: PostgresJournal.batchLimit)
    static let batchLimit = 256

    /// Appends an entry to this node's chain and returns once it is committed. The appends that arrive while a
    /// transaction is in flight share the next one: one lock hand-over, one statement and one commit for all of
    /// them. Each caller resumes only after the commit that holds its own entry.
    public func append(_ record: JournalRecord) async throws -> JournalEntry {
        try await group.append(record) { records in try await self.bounded(records) }
    }

    /// A batch that did not commit in time (``batchTimeout``).
    struct BatchTimedOut: Error, CustomStringConvertible {
        var description: String { "the journal did not commit in time" }
    }

    /// Writes a batch, waiting at most ``batchTimeout``: a write stuck on a connection of a pool the outage probe has
    /// since replaced must not hold up every later append of the node (they would all time out behind it). Its
    /// callers get an error (the service answers 503: nothing is answered without its entry); should the stuck
    /// write still commit later, it does so under the chain's lock, after reading the head, like any other.
    func bounded(_ records: [JournalRecord]) async throws -> [JournalEntry] {
        let timeout = batchTimeout
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[JournalEntry], any Error>) in
            let pending = NIOLockedValueBox<CheckedContinuation<[JournalEntry], any Error>?>(continuation)
            @Sendable func finish(_ result: Result<[JournalEntry], any Error>) {
                pending.withLockedValue { waiting in
                    waiting?.resume(with: result)
                    waiting = nil
                }
            }
            let timer = Task {
                try await Task.sleep(for: timeout)
                finish(.failure(BatchTimedOut()))
                self.noteUnavailable()
            }
            Task {
                do {
                    finish(.success(try await self.write(records)))
                } catch {
                    finish(.failure(error))
                }
                timer.cancel()
            }
        }
    }

    static let entryColumns = "node, seq, time, request_id, document_digest, signature_digest, signers, policy_id, policy_version, indication, sub_indication, evidence, packed, previous_hash, hash"

    /// Writes `records` as the next entries of this node's chain, in one transaction and one statement.
    func write(_ records: [JournalRecord]) async throws -> [JournalEntry] {
        let packed = records.map(\.packedEvidence)
        return try await watched { client in
            // The entries' certificates first, in a statement of its own and outside the append's transaction and
            // its lock: a blob is content-addressed, so one stored for an append that then fails is harmless, and
            // nodes storing the same certificate at once do not wait on each other's transactions.
            var fresh: [String: EvidencePacking.Blob] = [:]
            for blob in packed.flatMap(\.blobs) where !blobCache.contains(blob.digest) { fresh[blob.digest] = blob }
            if !fresh.isEmpty {
                var binds = PostgresBindings()
                var rows: [String] = []
                for (index, blob) in fresh.values.sorted(by: { $0.digest < $1.digest }).enumerated() {
                    binds.append(blob.digest)
                    binds.append(blob.kind)
                    binds.append(ByteBuffer(bytes: EvidencePacking.storedBlob(blob)))
                    rows.append("($\(index * 3 + 1), $\(index * 3 + 2), $\(index * 3 + 3))")
                }
                let result = try await client.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(blobTable) (digest, kind, content) VALUES \(rows.joined(separator: ", ")) ON CONFLICT (digest) DO NOTHING
                    """, binds: binds), logger: logger)
                for try await _ in result {}
            }
            blobCache.remember(fresh.mapValues(\.text), verified: true)
            let node = self.node
            let lockKey = Self.lockKey(table: table, node: node)
            // The fast path: one statement, one round trip and one commit per batch. It takes the chain's advisory
            // lock, checks that the chain still ends where this writer's last commit left it, and inserts the batch.
            if let known = knownHead.withLockedValue({ $0 }) {
                var all = PostgresBindings(capacity: records.count * 15 + 3)
                all.append(lockKey)
                all.append(node)
                all.append(known.seq)
                let (written, rows) = try chain(records, packed, after: known, first: 4, into: &all)
                var inserted = 0
                do {
                    let result = try await client.query(PostgresQuery(unsafeSQL: """
                        WITH chain_lock AS (SELECT pg_advisory_xact_lock($1))
                        INSERT INTO \(table) (\(Self.entryColumns))
                        SELECT v.* FROM chain_lock, (VALUES \(rows)) AS v
                        WHERE (SELECT COALESCE(MAX(seq), 0) FROM \(table) WHERE node = $2) = $3
                        RETURNING seq
                        """, binds: all), logger: logger)
                    for try await _ in result { inserted += 1 }
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                    inserted = 0  // another writer took that place first: below
                }
                if inserted == written.count {
                    knownHead.withLockedValue { $0 = Self.head(of: written) }
                    return written
                }
                guard inserted == 0 else { throw PodpisError(.software, "the journal took part of a batch (\(inserted) of \(written.count))") }
            }
            // The chain moved under this writer (another process was given the same --node), or this is its first
            // batch: under the lock, in a transaction, the head is read and the batch chained on it. Never a fork:
            // whoever holds the lock reads the head after the last commit, and (node, seq) is the key.
            knownHead.withLockedValue { $0 = nil }
            let written = try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: self.logger)
                var head = JournalHead(node: node, seq: 0, hash: JournalEntry.genesis, time: "")
                for try await (seq, hash) in try await connection.query(
                    "SELECT seq, hash FROM \(unescaped: self.table) WHERE node = \(node) ORDER BY seq DESC LIMIT 1", logger: self.logger
                ).decode((Int64, String).self) {
                    head = JournalHead(node: node, seq: seq, hash: hash, time: "")
                }
                var binds = PostgresBindings(capacity: records.count * 15)
                let (written, rows) = try self.chain(records, packed, after: head, first: 1, into: &binds)
                let result = try await connection.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO \(self.table) (\(Self.entryColumns)) VALUES \(rows)
                    """, binds: binds), logger: self.logger)
                for try await _ in result {}
                return written
            }
            knownHead.withLockedValue { $0 = Self.head(of: written) }
            return written
        }
    }

    static func head(of written: [JournalEntry]) -> JournalHead {
        let last = written[written.count - 1]
        return JournalHead(node: last.node, seq: last.seq, hash: last.hash, time: last.time)
    }

    /// The entries of `records` chained after `head`, their binds and the VALUES rows (`$first`, `$first+1`, …).
    func chain(_ records: [JournalRecord], _ packed: [EvidencePacking.Packed], after head: JournalHead, first: Int,
               into binds: inout PostgresBindings) throws -> ([JournalEntry], String) {
        var seq = head.seq
        var previous = head.hash
        var written: [JournalEntry] = []
        var rows: [String] = []
        for (index, (record, packed)) in zip(records, packed).enumerated() {
            seq += 1
            let entry = JournalEntry.make(node: node, seq: seq, record: record, previousHash: previous)
            let signers = String(decoding: try JSONEncoder().encode(entry.signers), as: UTF8.self)
            binds.append(entry.node)
            binds.append(entry.seq)
            binds.append(entry.time)
            binds.append(entry.requestID)
            binds.append(entry.documentDigest)
            binds.append(entry.signatureDigest)
            binds.append(signers)
            binds.append(entry.policyID)
            binds.append(entry.policyVersion)
            binds.append(entry.indication.rawValue)
            binds.append(entry.subIndication?.rawValue)
            binds.append("")
            binds.append(ByteBuffer(bytes: packed.packed))
            binds.append(entry.previousHash)
            binds.append(entry.hash)
            rows.append("(" + (0..<15).map { "$\(first + index * 15 + $0)" }.joined(separator: ", ") + ")")
            previous = entry.hash
            written.append(entry)
        }
        return (written, rows.joined(separator: ", "))
    }

    /// Where this writer's chain ends, as its last commit left it (nil: read it from the database).
    private let knownHead = NIOLockedValueBox<JournalHead?>(nil)


    public func entries(node: String, after: Int64, limit: Int) async throws -> [JournalEntry] {
        try await watched { client in
            let rows = try await client.query("""
                SELECT seq, time, request_id, document_digest, signature_digest, signers, policy_id, policy_version, indication,
                       sub_indication, evidence, previous_hash, hash, packed FROM \(unescaped: table)
                WHERE node = \(node) AND seq > \(after) ORDER BY seq LIMIT \(limit)
                """, logger: logger)
            var result: [(JournalEntry, [UInt8]?)] = []
            for try await row in rows {
                let all = try row.decode((Int64, String, String, String?, String, String, String, String, String, String?, String, String, String, ByteBuffer?).self)
                result.append((JournalEntry(
                    node: node, seq: all.0, time: all.1, requestID: all.2, documentDigest: all.3, signatureDigest: all.4,
                    signers: (try? JSONDecoder().decode([String].self, from: Data(all.5.utf8))) ?? [], policyID: all.6,
                    policyVersion: all.7, indication: Recorded(rawValue: all.8), subIndication: all.9.map(Recorded.init(rawValue:)), evidence: all.10, previousHash: all.11, hash: all.12),
                    all.13.map { Array($0.readableBytesView) }))
            }
            let (cached, missing) = blobCache.lookup(result.flatMap { $0.1.map(EvidencePacking.references) ?? [] })
            var blobs = cached
            if !missing.isEmpty {
                var read: [String: [UInt8]] = [:]
                let stored = try await client.query("SELECT digest, content FROM \(unescaped: blobTable) WHERE digest = ANY(\(missing))", logger: logger)
                for try await (digest, content) in stored.decode((String, ByteBuffer).self) {
                    if let text = EvidencePacking.blobText(stored: Array(content.readableBytesView)) { read[digest] = text }
                }
                blobCache.remember(read)
                blobs.merge(read) { old, _ in old }
            }
            return result.map { entry, packed in
                var entry = entry
                entry.evidence = EvidencePacking.evidence(text: entry.evidence, packed: packed, blobs: blobs)
                return entry
            }
        }
    }

    /// What each entry takes in its row (every column's bytes, in order of `seq`), and what the blob table holds.
    public func storedSizes() async throws -> (entries: [Int], blobs: Int, blobCount: Int) {
        try await watched { client in
            let columns = ["node", "seq::text", "time", "request_id", "document_digest", "signature_digest", "signers", "policy_id", "policy_version",
                           "indication", "sub_indication", "evidence", "packed", "previous_hash", "hash"]
            let sum = columns.map { "COALESCE(octet_length(\($0)), 0)" }.joined(separator: " + ")
            var entries: [Int] = []
            let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT (\(sum))::bigint FROM \(table) ORDER BY node, seq"), logger: logger)
            for try await size in rows.decode(Int64.self) { entries.append(Int(size)) }
            var blobs = 0, count = 0
            let totals = try await client.query(PostgresQuery(unsafeSQL: """
                SELECT COALESCE(SUM(octet_length(digest) + octet_length(kind) + octet_length(content)), 0)::bigint, COUNT(*)::bigint FROM \(blobTable)
                """), logger: logger)
            for try await (bytes, n) in totals.decode((Int64, Int64).self) { (blobs, count) = (Int(bytes), Int(n)) }
            return (entries, blobs, count)
        }
    }

    public func heads() async throws -> [JournalHead] {
        try await watched { client in
            var heads: [JournalHead] = []
            // A skip scan over the (node, seq) key: one index probe per node for the next node name and one for its
            // last entry, so a checkpoint's cost grows with the number of nodes, not of entries (DISTINCT ON would
            // read the whole index).
            let rows = try await client.query("""
                WITH RECURSIVE nodes(node) AS (
                    (SELECT node FROM \(unescaped: table) ORDER BY node LIMIT 1)
                    UNION ALL
                    SELECT (SELECT t.node FROM \(unescaped: table) t WHERE t.node > nodes.node ORDER BY t.node LIMIT 1) FROM nodes WHERE nodes.node IS NOT NULL
                )
                SELECT nodes.node, last.seq, last.hash, last.time FROM nodes
                CROSS JOIN LATERAL (SELECT seq, hash, time FROM \(unescaped: table) t WHERE t.node = nodes.node ORDER BY t.seq DESC LIMIT 1) AS last
                WHERE nodes.node IS NOT NULL
                """, logger: logger)
            for try await (node, seq, hash, time) in rows.decode((String, Int64, String, String).self) {
                heads.append(JournalHead(node: node, seq: seq, hash: hash, time: time))
            }
            return heads.sorted { $0.node < $1.node }
        }
    }

    public func saveCheckpoint(_ checkpoint: StoredCheckpoint) async throws {
        try await watched { client in
            let rows = try await client.query("""
                INSERT INTO \(unescaped: checkpointTable) (node, seq, hash, time, signed_data)
                VALUES (\(checkpoint.node), \(checkpoint.seq), \(checkpoint.hash), \(checkpoint.time), \(ByteBuffer(bytes: checkpoint.signedData)))
                ON CONFLICT (node, seq) DO NOTHING
                """, logger: logger)
            for try await _ in rows {}
        }
    }

    public func checkpoints() async throws -> [StoredCheckpoint] {
        try await watched { client in
            let rows = try await client.query(
                "SELECT node, seq, hash, time, signed_data FROM \(unescaped: checkpointTable) ORDER BY node, seq", logger: logger)
            var result: [StoredCheckpoint] = []
            for try await (node, seq, hash, time, data) in rows.decode((String, Int64, String, String, ByteBuffer).self) {
                result.append(StoredCheckpoint(node: node, seq: seq, hash: hash, time: time, signedData: Array(data.readableBytesView)))
            }
            return result
        }
    }

    public func close() async throws {
        closed.withLockedValue { $0 = true }
        pool.withLockedValue { $0.runner.cancel() }
    }

    /// Starts the outage probe (once): every second it tries a direct connection, and when one succeeds the pool is
    /// replaced by a fresh one, without the back-off the old one accumulated.
    public func noteUnavailable() {
        guard probing.withLockedValue({ running in
            if running { return false }
            running = true
            return true
        }) else { return }
        let configuration = self.configuration
        let logger = self.logger
        Task {
            defer { probing.withLockedValue { $0 = false } }
            logger.warning("the PostgreSQL journal is unavailable; probing every second")
            while !closed.withLockedValue({ $0 }) {
                try? await Task.sleep(for: .seconds(1))
                if await Self.probe(configuration, logger: logger) { break }
            }
            guard !closed.withLockedValue({ $0 }) else { return }
            let fresh = await Self.start(configuration, logger: logger)
            let old = pool.withLockedValue { current in
                let old = current
                current = fresh
                return old
            }
            old.runner.cancel()
            logger.notice("the PostgreSQL journal is back; a fresh connection pool is in use")
        }
    }

    /// Whether the database accepts a connection and answers `SELECT 1` now.
    static func probe(_ configuration: PostgresClient.Configuration, logger: Logger) async -> Bool {
        guard let host = configuration.host else { return false }
        var options = PostgresConnection.Configuration(
            host: host, port: configuration.port ?? 5432, username: configuration.username, password: configuration.password,
            database: configuration.database, tls: .disable)
        options.options.connectTimeout = .seconds(1)
        do {
            let connection = try await PostgresConnection.connect(configuration: options, id: 0, logger: logger)
            defer { Task { try? await connection.close() } }
            let rows = try await connection.query("SELECT 1", logger: logger)
            for try await _ in rows {}
            return true
        } catch {
            return false
        }
    }

    /// Direct SQL (tests tamper with a row).
    public func execute(_ sql: String) async throws {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql.replacingOccurrences(of: "journal", with: table)), logger: logger)
        for try await _ in rows {}  // drain: the statement is complete once its result is
    }
}
