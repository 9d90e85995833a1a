import Foundation
import PodpisJournal
import Testing
@testable import SigningCore

/// Issue #14 against `podpis serve` as a process, on loopback, with no API key (open verification): what an
/// attacker tried, and the safe outcome.
@Suite("Service exposure", .serialized)
struct ServiceExposureTests {
    // MARK: item 3 — slots held by slow uploads

    @Test("slow uploaders hold upload slots, not verification slots: a normal request gets 200; beyond maxUploads 429 too-many-uploads; the slow ones get 408")
    func slowUploads() throws {
        let s = try ServiceProcessTests.Setup()
        defer { s.folder.cleanup() }
        let server = try BackgroundServer(CLI.binary, [
            "serve", "--port", "0", "--database", "sqlite:" + s.folder.file("journal.sqlite"), "--trust", s.layout.trustDirectory, "--offline",
            "--policies", Repository.policies, "--certs", Repository.certs, "--max-concurrent", "1",
        ], environment: ["PODPIS_UPLOAD_GRACE": "6"])
        defer { server.stop() }
        // The issue's attacker: connections sending a multipart body at 1.2 KB/s (120 bytes every 0.1 s), each
        // printing the status it finally gets.
        let script = try s.folder.write("slow.py", Array("""
            import socket, sys, threading, time
            host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            def one(i):
                s = socket.create_connection((host, port), timeout=60)
                s.sendall(b"POST /v1/verify HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: multipart/form-data; boundary=b\\r\\nContent-Length: 400000\\r\\n\\r\\n"
                          b"--b\\r\\nContent-Disposition: form-data; name=\\"document\\"\\r\\n\\r\\n")
                s.setblocking(False)
                answer = b""
                for _ in range(600):
                    try: s.send(b"A" * 120)
                    except OSError: pass
                    time.sleep(0.1)
                    try:
                        data = s.recv(4096)
                        if not data: break
                        answer += data
                        if b"\\r\\n" in answer: break
                    except BlockingIOError:
                        pass
                print(answer.split(b" ")[1].decode() if answer.startswith(b"HTTP/") else "closed", flush=True)
            threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
            for t in threads: t.start()
            for t in threads: t.join()
            """.utf8))
        let port = server.url.split(separator: ":").last.map(String.init) ?? ""
        var slow: [(Process, Pipe)] = []
        func startSlow(_ count: Int) throws {
            let process = Process()
            let out = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script, "127.0.0.1", port, "\(count)"]
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            slow.append((process, out))
        }
        try startSlow(3)
        Thread.sleep(forTimeInterval: 1.5)
        // Three slow uploads and one verification slot: the real request is verified.
        let normal = try runTool("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-F", "signature=@\(s.signature)",
                                          "-F", "document=@\(s.document)", "\(server.url)/v1/verify"])
        #expect(normal.stdout == "200", "\(normal.stdout) \(normal.stderr)")
        // A fourth slow one fills the upload slots (4 × maxConcurrent): the next request is refused at once.
        try startSlow(1)
        Thread.sleep(forTimeInterval: 1)
        let refused = try runTool("curl", ["-sS", "-o", "/dev/stderr", "-w", "%{http_code}", "-F", "signature=@\(s.signature)",
                                           "-F", "document=@\(s.document)", "\(server.url)/v1/verify"])
        #expect(refused.stdout == "429", "\(refused.stdout)")
        #expect(refused.stderr.contains("urn:podpis:problem:too-many-uploads"), "\(refused.stderr)")
        // Below 16 KiB/s after the grace period: 408, connection closed.
        let deadline = Date().addingTimeInterval(30)
        while slow.contains(where: { $0.0.isRunning }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        var codes: [String] = []
        for (process, out) in slow {
            if process.isRunning { process.terminate() }
            codes += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        }
        #expect(codes == ["408", "408", "408", "408"], "the slow uploads ended with \(codes)")
        let metrics = try runTool("curl", ["-sS", "\(server.url)/metrics"])
        #expect(metrics.stdout.contains(#"podpis_problems_total{type="urn:podpis:problem:too-slow"}"#), "\(metrics.stdout)")
        #expect(metrics.stdout.contains(#"status="429""#))
    }

    // MARK: item 5 — receipts and checkpoints through serve

    @Test("serve: every 200 carries a receipt; checkpoints land in --checkpoints DIR (and at shutdown); audit verify finds a cut tail by them and by receipts")
    func receiptsAndCheckpoints() async throws {
        let s = try ServiceProcessTests.Setup()
        defer { s.folder.cleanup() }
        let database = s.folder.file("journal.sqlite")
        let directory = s.folder.file("checkpoints")
        let server = try s.serve(database: "sqlite:" + database, extra: ["--checkpoints", directory])
        var receipts: [String] = []
        for n in 1...6 {
            let headers = s.folder.file("headers-\(n).txt")
            let result = try runTool("curl", ["-sS", "-D", headers, "-o", "/dev/null", "-w", "%{http_code}", "-F", "document=@\(s.document)",
                                              "-F", "signature=@\(s.signature)", "\(server.url)/v1/verify"])
            #expect(result.stdout == "200")
            let lines = try String(contentsOfFile: headers, encoding: .utf8).split(whereSeparator: \.isNewline)
            let receipt = lines.first { $0.lowercased().hasPrefix("x-journal-receipt:") }.map { String($0.dropFirst("x-journal-receipt:".count)).trimmingCharacters(in: .whitespaces) }
            #expect(receipt != nil)
            receipts.append(try s.folder.write("receipt-\(n).txt", Array((receipt ?? "").utf8)))
        }
        // A request that is not a signature: 422, no entry, no receipt.
        let garbage = try s.folder.write("garbage.sig", Array("garbage".utf8))
        let refused = try runTool("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-F", "document=@\(s.document)", "-F", "signature=@\(garbage)",
                                           "\(server.url)/v1/verify"])
        #expect(refused.stdout == "422")
        server.stop()
        // The key was made beside the database, readable by its owner only; so is the database.
        for file in [database, database + ".journal-key.pem"] {
            var info = stat()
            #expect(stat(file, &info) == 0)
            #expect(info.st_mode & 0o077 == 0, "\(file)")
        }
        let files = try JournalAudit.checkpointFiles(in: directory).map { ($0 as NSString).lastPathComponent }
        #expect(files.last == "checkpoint-0-00000000000000000006.p7m", "\(files)")
        let certificate = database + ".journal-cert.pem"
        let intact = try CLI.run(["audit", "verify", "--database", "sqlite:" + database, "--checkpoints", directory, "--journal-cert", certificate]
                                 + receipts.flatMap { ["--receipt", $0] })
        #expect(intact.status == 0, "\(intact.stdout) \(intact.stderr)")
        #expect(intact.stdout.contains("6 entries") && intact.stdout.contains("entry 6") && intact.stdout.contains("6 receipt"), "\(intact.stdout)")
        // Without checkpoints, audit verify says plainly what it cannot see.
        let journal = try SQLiteJournal(path: database)
        try await journal.execute("DELETE FROM checkpoints")
        let blind = try CLI.run(["audit", "verify", "--database", "sqlite:" + database])
        #expect(blind.status == 0)
        #expect(blind.stdout.contains("cannot be detected"), "\(blind.stdout)")
        // Cut the tail: the chain still verifies, the checkpoint and the receipt do not.
        try await journal.execute("DELETE FROM journal WHERE seq > 4")
        try await journal.close()
        let chainOnly = try await auditJournal("sqlite:" + database)
        #expect(chainOnly.intact, "the chain alone cannot see a cut tail")
        let byCheckpoint = try await auditJournal("sqlite:" + database, checkpoints: directory)
        #expect(!byCheckpoint.intact)
        let truncated = byCheckpoint.findings.compactMap { finding -> Int64? in
            if case .truncated(_, _, _, let last, _) = finding { last } else { nil }
        }
        #expect(!truncated.isEmpty && truncated.allSatisfy { $0 == 4 }, "entries after 4 were removed: \(byCheckpoint.findings)")
        let byReceipt = try CLI.run(["audit", "verify", "--database", "sqlite:" + database, "--receipt", receipts[5]],
                                    environment: ["PODPIS_LANG": "ru"])
        #expect(byReceipt.status == 1, "\(byReceipt.stdout)")
        #expect(byReceipt.stdout.contains("удалены"), "\(byReceipt.stdout)")
    }

    @Test("PostgreSQL: --checkpoints without --journal-key refuses to start (78)",
          .enabled(if: TestPostgres.available, "PODPIS_TEST_POSTGRES is not set: no PostgreSQL server to test against"))
    func postgresNeedsKey() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let result = try CLI.run(["serve", "--port", "0", "--database", TestPostgres.url(table: "journal_key_test"), "--checkpoints", folder.file("cp"),
                                  "--policies", Repository.policies, "--certs", Repository.certs])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("--journal-key"), "\(result.stderr)")
    }
}
