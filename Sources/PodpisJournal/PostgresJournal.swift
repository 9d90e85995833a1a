import Foundation
import Logging
import PostgresNIO
import SigningCore

/// The shared journal for several `podpis serve` nodes: PostgreSQL, with appends serialised by a transaction-scoped
/// advisory lock so that every node extends one chain. A commit is durable before the node answers.
public final class PostgresJournal: AuditJournal {
    let client: PostgresClient
    let runner: Task<Void, Never>
    let logger = Logger(label: "podpis.journal")
    /// The table (default `journal`; `?table=name` in the URL picks another, e.g. one per environment).
    let table: String
    /// The advisory lock that serialises appends: one per table, so journals in separate tables never wait on each other.
    var lockKey: Int64 {
        // FNV-1a over "podpis:" + table, stable across processes and nodes.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ("podpis:" + table).utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int64(bitPattern: hash)
    }

    /// - Parameter url: `postgres://user:password@host:port/database`
    public init(url: String) async throws {
        guard let components = URLComponents(string: url), let host = components.host, let user = components.user else {
            throw PodpisError(.configuration, "expected postgres://user:password@host:port/database", subject: "database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let table = components.queryItems?.first { $0.name == "table" }?.value ?? "journal"
        guard table.range(of: "^[a-z_][a-z0-9_]{0,40}$", options: .regularExpression) != nil else {
            throw PodpisError(.configuration, "the journal table name must be lower-case letters, digits and _", subject: "database")
        }
        self.table = table
        let configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: .disable)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let client = self.client
        runner = Task { await client.run() }
        do {
            try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(self.lockKey))", logger: self.logger)
                _ = try await connection.query("""
                    CREATE TABLE IF NOT EXISTS \(unescaped: table) (
                        seq BIGINT PRIMARY KEY,
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
                    )
                    """, logger: self.logger)
            }
        } catch {
            runner.cancel()
            throw PodpisError(.configuration, "cannot open the PostgreSQL journal: \(String(reflecting: error).prefix(300))", subject: host)
        }
    }

    public func append(_ record: JournalRecord) async throws -> JournalEntry {
        try await client.withTransaction(logger: logger) { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(self.lockKey))", logger: self.logger)
            var seq: Int64 = 0
            var previous = JournalEntry.genesis
            for try await (lastSeq, lastHash) in try await connection.query("SELECT seq, hash FROM \(unescaped: self.table) ORDER BY seq DESC LIMIT 1", logger: self.logger).decode((Int64, String).self) {
                seq = lastSeq
                previous = lastHash
            }
            let entry = JournalEntry.make(seq: seq + 1, record: record, previousHash: previous)
            let signers = String(decoding: try JSONEncoder().encode(entry.signers), as: UTF8.self)
            _ = try await connection.query("""
                INSERT INTO \(unescaped: self.table) (seq, time, request_id, document_digest, signature_digest, signers, policy_id, policy_version,
                                     indication, sub_indication, evidence, previous_hash, hash)
                VALUES (\(entry.seq), \(entry.time), \(entry.requestID), \(entry.documentDigest), \(entry.signatureDigest), \(signers),
                        \(entry.policyID), \(entry.policyVersion), \(entry.indication), \(entry.subIndication), \(entry.evidence),
                        \(entry.previousHash), \(entry.hash))
                """, logger: self.logger)
            return entry
        }
    }

    public func entries(after: Int64, limit: Int) async throws -> [JournalEntry] {
        let rows = try await client.query("""
            SELECT seq, time, request_id, document_digest, signature_digest, signers, policy_id, policy_version, indication,
                   sub_indication, evidence, previous_hash, hash FROM \(unescaped: table) WHERE seq > \(after) ORDER BY seq LIMIT \(limit)
            """, logger: logger)
        var result: [JournalEntry] = []
        for try await row in rows {
            let all = try row.decode((Int64, String, String, String?, String, String, String, String, String, String?, String, String, String).self)
            result.append(JournalEntry(
                seq: all.0, time: all.1, requestID: all.2, documentDigest: all.3, signatureDigest: all.4,
                signers: (try? JSONDecoder().decode([String].self, from: Data(all.5.utf8))) ?? [], policyID: all.6,
                policyVersion: all.7, indication: all.8, subIndication: all.9, evidence: all.10, previousHash: all.11, hash: all.12))
        }
        return result
    }

    public func close() async throws { runner.cancel() }

    /// Direct SQL (tests tamper with a row).
    public func execute(_ sql: String) async throws {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql.replacingOccurrences(of: "journal", with: table)), logger: logger)
        for try await _ in rows {}  // drain: the statement is complete once its result is
    }
}
