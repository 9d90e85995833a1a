import Foundation

/// A server process started for a test (the built-in TSA, the demo PKI's OCSP/CRL server, a peer TSA in Python),
/// stopped when the test ends.
final class BackgroundServer: @unchecked Sendable {
    let process: Process
    let url: String

    /// Starts `executable arguments` and waits for a line `listening on URL` on its stdout.
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 30) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let handle = out.fileHandleForReading
        var buffer = Data()
        let deadline = Date().addingTimeInterval(timeout)
        var found: String? = nil
        while Date() < deadline, found == nil {
            let chunk = handle.availableData
            if chunk.isEmpty {
                if !process.isRunning { break }
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            buffer.append(chunk)
            let text = String(decoding: buffer, as: UTF8.self)
            if let range = text.range(of: "listening on ") {
                let rest = text[range.upperBound...]
                if let end = rest.firstIndex(of: "\n") { found = String(rest[..<end]) }
            }
        }
        guard let found else {
            process.terminate()
            throw ServerError.didNotStart(arguments)
        }
        url = found
    }

    /// SIGTERM, then SIGKILL after a grace period (children of a Swift process may inherit a blocked SIGTERM).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        var deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        // Not waitUntilExit(): on Linux it can spin on an empty run loop.
        deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }

    deinit { stop() }

    enum ServerError: Error { case didNotStart([String]) }

    /// A free TCP port on loopback (bound then released).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A peer TSA: Python's http.server answering with `openssl ts -reply` (an implementation independent of podpis).
/// Modes: `valid` answers the query; `wrong-imprint` answers another query; `wrong-nonce` re-asks with a new nonce;
/// `http-error` answers 500; `rejection` answers a TSP rejection.
enum PeerTSA {
    static let script = """
        import http.server, subprocess, sys, os, re, tempfile
        mode, folder = sys.argv[1], sys.argv[2]
        cnf = os.path.join(folder, 'ts.cnf')
        def reply(query):
            p = subprocess.run(['openssl', 'ts', '-reply', '-config', cnf, '-queryfile', query], capture_output=True)
            return p.stdout
        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
                q = os.path.join(folder, 'in.tsq')
                open(q, 'wb').write(body)
                if mode == 'http-error':
                    self.send_response(500); self.end_headers(); return
                if mode == 'wrong-imprint':
                    q = os.path.join(folder, 'other.tsq')
                if mode == 'wrong-nonce':
                    text = subprocess.run(['openssl', 'ts', '-query', '-in', q, '-text'], capture_output=True, text=True).stdout
                    algo = re.search(r'Hash Algorithm: (\\S+)', text).group(1)
                    data = ''.join(re.findall(r'^\\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]?)+)', text, re.M)).replace('-', ' ').split()
                    q = os.path.join(folder, 'renonced.tsq')
                    subprocess.run(['openssl', 'ts', '-query', '-digest', ''.join(data), '-' + algo, '-cert', '-out', q], check=True)
                if mode == 'rejection':
                    q = os.path.join(folder, 'sha1.tsq')
                out = reply(q)
                self.send_response(200)
                self.send_header('Content-Type', 'application/timestamp-reply')
                self.send_header('Content-Length', str(len(out)))
                self.end_headers()
                self.wfile.write(out)
        s = http.server.HTTPServer(('127.0.0.1', 0), H)
        print('listening on http://127.0.0.1:%d/' % s.server_address[1], flush=True)
        s.serve_forever()
        """

    /// Writes the openssl TSA configuration and helper queries into `folder`, then starts the peer.
    static func start(mode: String, folder: TemporaryFolder, tsaKey: String, tsaCert: String, chain: String) throws -> BackgroundServer {
        let config = """
            [ tsa ]
            default_tsa = tsa_config
            [ tsa_config ]
            dir = \(folder.path)
            serial = $dir/tsaserial
            signer_cert = \(tsaCert)
            certs = \(chain)
            signer_key = \(tsaKey)
            signer_digest = sha256
            default_policy = 1.2.3.4.1
            digests = sha256, sha384, sha512
            accuracy = secs:1
            ess_cert_id_alg = sha256
            ess_cert_id_chain = no
            crypto_device = builtin
            """
        _ = try folder.write("ts.cnf", Array(config.utf8))
        _ = try folder.write("tsaserial", Array("01\n".utf8))
        let other = try folder.write("other.txt", Array("other data".utf8))
        _ = try runTool("openssl", ["ts", "-query", "-data", other, "-sha256", "-cert", "-out", folder.file("other.tsq")])
        _ = try runTool("openssl", ["ts", "-query", "-data", other, "-sha1", "-cert", "-out", folder.file("sha1.tsq")])
        let scriptPath = try folder.write("peer.py", Array(script.utf8))
        return try BackgroundServer("/usr/bin/env", ["python3", scriptPath, mode, folder.path])
    }
}

/// Runs blocking work (curl, process waits, sleeps) on a thread of its own, off Swift's cooperative pool: that pool
/// has as many threads as cores (2 in CI), and a test that blocks them starves every other test's async work.
func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
