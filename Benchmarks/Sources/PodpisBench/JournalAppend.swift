import Foundation
import PodpisJournal
import PolicyEngine

/// `PodpisBench journal-append URL SECONDS`: the journal's append path alone, two writers on one PostgreSQL. Each
/// writer is a `PostgresJournal` of its own (its own connection pool, as a `serve` process has) appending as its
/// own node, with `inFlight` appends outstanding at a time (as concurrent requests of one node). The baseline, in
/// the same run on the same server: the same rows as plain INSERTs into a table without chain, key or lock, one
/// commit each, the same number in flight. Prints one Markdown row; the chains are verified afterwards.
enum JournalAppendBench {
    static let inFlight = 32

    /// A verification's record: evidence of about the size a CAdES-B verification writes (certificates left out, as
    /// they are stored once), different per entry.
    static func record(_ n: Int) -> JournalRecord {
        var checks: [String] = []
        for index in 0..<40 {
            checks.append(#"{"id":"check-\#(index)","indication":"PASSED","detail":"entry \#(n) check \#(index) evaluated at 2026-12-06T12:00:00Z"}"#)
        }
        let evidence = #"{"request":\#(n),"signatures":[{"checks":[\#(checks.joined(separator: ","))]}]}"#
        var record = JournalRecord(
            requestID: "bench-\(n)", documentDigest: String(repeating: "a", count: 64), signatureDigest: String(repeating: "b", count: 64),
            signers: ["CN=Иванова Мария Петровна, SNILS=12345678901"], policyID: "default", policyVersion: "1.0",
            indication: .totalPassed, subIndication: nil, evidence: evidence)
        record.pack()
        return record
    }

    /// Runs `body` from `inFlight` tasks per writer until `seconds` pass; the number of completed calls and the
    /// process's CPU seconds.
    static func drive(writers: Int, seconds: Double, _ body: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> (Int, Double) {
        let deadline = Date().addingTimeInterval(seconds)
        let cpuBefore = cpuSeconds()
        let count = try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in 0..<writers {
                for lane in 0..<inFlight {
                    group.addTask {
                        var done = 0
                        var n = lane
                        while Date() < deadline {
                            try await body(writer, n)
                            done += 1
                            n += inFlight
                        }
                        return done
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        return (count, cpuSeconds() - cpuBefore)
    }

    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func run(url: String, seconds: Double) async throws -> String {
        let separator = url.contains("?") ? "&" : "?"
        let table = "bench_append"
        let chained = url + separator + "table=" + table
        let setup = try await PostgresJournal(url: chained)
        for suffix in ["", "_blobs", "_checkpoints", "_plain"] { try await setup.execute("DROP TABLE IF EXISTS journal\(suffix)") }
        try await setup.close()
        let records = (0..<4096).map(record)
        let writers = [try await PostgresJournal(url: chained, node: "a"), try await PostgresJournal(url: chained, node: "b")]
        // Warm-up (connections, the blob of the first entry, PostgreSQL's caches).
        for writer in writers { for n in 0..<50 { _ = try await writer.append(records[n]) } }
        let (entries, cpu) = try await drive(writers: 2, seconds: seconds) { writer, n in
            _ = try await writers[writer].append(records[n % records.count])
        }
        let check = try await writers[0].verifyChain()
        guard check.intact, check.nodes.count == 2 else { throw BenchError("the two writers' chains do not verify: \(String(describing: check.firstBroken))") }

        // The baseline: a table with the same columns and no chain; plain INSERTs of the same rows, one commit each.
        try await writers[0].execute("CREATE TABLE journal_plain (LIKE journal)")
        try await writers[0].execute("ALTER TABLE journal_plain DROP CONSTRAINT IF EXISTS journal_plain_pkey")
        let rows = records.map { record -> String in
            let packed = record.packed!.packed.map { String(format: "%02x", $0) }.joined()
            return """
                INSERT INTO journal_plain (node, seq, time, request_id, document_digest, signature_digest, signers, policy_id, policy_version,
                  indication, sub_indication, evidence, packed, previous_hash, hash)
                VALUES ('a', 1, '2026-12-06T12:00:00.000Z', '\(record.requestID)', '\(record.documentDigest!)', '\(record.signatureDigest)',
                  '["CN=Иванова Мария Петровна, SNILS=12345678901"]', 'default', '1.0', 'TOTAL-PASSED', NULL, '', '\\x\(packed)',
                  '\(String(repeating: "0", count: 64))', md5(random()::text) || md5(random()::text))
                """
        }
        let plainWriters = [try await PostgresJournal(url: chained, node: "a"), try await PostgresJournal(url: chained, node: "b")]
        for writer in plainWriters { for n in 0..<50 { try await writer.execute(rows[n]) } }
        let (plain, plainCPU) = try await drive(writers: 2, seconds: seconds) { writer, n in
            try await plainWriters[writer].execute(rows[n % rows.count])
        }
        for journal in writers + plainWriters { try await journal.close() }
        let rate = Double(entries) / seconds
        let plainRate = Double(plain) / seconds
        let name = "journal append path alone, two writers (nodes a and b, a connection pool each, \(inFlight) appends in flight each) on one PostgreSQL, "
            + "\(entries) entries in \(Int(seconds)) s, chains verified; podpis CPU \(String(format: "%.0f", cpu / Double(entries) * 1e6)) µs/entry "
            + "vs plain INSERT of the same rows (no chain, no lock, one commit each, same concurrency; \(String(format: "%.0f", plainCPU / Double(max(plain, 1)) * 1e6)) µs/row)"
        return "| \(name) | \(String(format: "%.0f", rate)) entries/s | \(String(format: "%.0f", plainRate)) rows/s | \(String(format: "%.2f", rate / plainRate)) | ≥ 5 000 entries/s |"
    }

    struct BenchError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
