import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PodpisJournal
import PodpisServer
import Testing
@testable import SigningCore

/// The verification page officials use (`GET /`, the form posting to `POST /`) and the service's operational side
/// an integrator meets: revocation data handed to `serve`, one JSON log line per request, a taken port.
@Suite("Verification page and service operation", .serialized)
struct VerificationPageTests {
    @Test("GET / is a Russian page without scripts (English with ?lang=en); POST / answers the protocol, journaled, or a page saying what went wrong")
    func pageInProcess() async throws {
        let f = try await HTTPServiceTests.Fixture()
        defer { f.folder.cleanup() }
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'none'") == true)
                let html = String(buffer: response.body)
                #expect(html.contains("<html lang=\"ru\">") && html.contains("Проверка электронной подписи"))
                #expect(!html.lowercased().contains("<script") && !html.contains("onclick=") && !html.contains("onsubmit="), "the page needs no script")
                for part in ["name=\"signature\"", "name=\"document\"", "name=\"container\"", "enctype=\"multipart/form-data\"", "value=\"ru-63fz-qualified\""] {
                    #expect(html.contains(part), "\(part)")
                }
                #expect(html.contains("href=\"/?lang=en\""))
            }
            try await client.execute(uri: "/?lang=en", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<html lang=\"en\">") && html.contains("Verification of an electronic signature") && html.contains("action=\"/?lang=en\""))
            }
            // The form's fields, as a browser sends them (signature first).
            let (body, headers) = f.multipart([("signature", f.signature, "order.txt.sig"), ("document", sampleDocument, "order.txt"),
                                               ("lang", Array("ru".utf8), nil), ("policy", Array("default".utf8), nil)])
            try await client.execute(uri: "/", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[HTTPField.Name("X-Journal-Entry")!] != nil)
                let html = String(buffer: response.body)
                #expect(html.contains("Протокол проверки электронной подписи") && html.contains("order.txt"))
            }
            let (missing, missingHeaders) = f.multipart([("document", sampleDocument, "order.txt"), ("lang", Array("ru".utf8), nil)])
            try await client.execute(uri: "/", method: .post, headers: missingHeaders, body: missing) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: response.body).contains("Не выбран файл подписи"))
            }
            let (english, englishHeaders) = f.multipart([("container", Array("not a zip".utf8), "x.asice")])
            try await client.execute(uri: "/?lang=en", method: .post, headers: englishHeaders, body: english) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("The file is not a readable ASiC container."))
            }
        }
        // The page's verification is in the same journal as the API's.
        let journal = try await AuditJournals.open(f.state.configuration.database)
        let check = try await journal.verifyChain()
        try await journal.close()
        #expect(check.entries == 1 && check.firstBroken == nil)
    }

    /// `podpis serve` as a process, with its stderr (the JSON log) kept.
    final class Service: @unchecked Sendable {
        let process = Process()
        let url: String
        let log: String

        init(_ arguments: [String], folder: TemporaryFolder) throws {
            log = folder.file("serve.log")
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["serve", "--port", "0", "--database", "sqlite:" + folder.file("journal.sqlite")] + arguments
            process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
            let out = Pipe()
            process.standardOutput = out
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            try process.run()
            var buffer = Data()
            let deadline = Date().addingTimeInterval(60)
            var found: String?
            while found == nil, Date() < deadline, process.isRunning {
                buffer.append(out.fileHandleForReading.availableData)
                let text = String(decoding: buffer, as: UTF8.self)
                if let range = text.range(of: "listening on "), let end = text[range.upperBound...].firstIndex(of: "\n") {
                    found = String(text[range.upperBound..<end])
                }
            }
            guard let found else {
                process.terminate()
                throw BackgroundServer.ServerError.didNotStart(arguments)
            }
            url = found
        }

        func stop() {
            guard process.isRunning else { return }
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }

        var logLines: [[String: Any]] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    static var curlAvailable: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") }

    @Test("serve --crl/--cert/--ocsp-response judge with the revocation data given (air-gapped), and log one JSON line per request",
          .enabled(if: curlAvailable, "curl is not installed: the service is not driven over the network"))
    func serveWithRevocationData() async throws {
        // The blocking work runs off the cooperative pool; its observations are checked here, in the test's task.
        let (good, refused, requests, loaded) = try await offCooperativePool { () -> ([String: String], [String: String], [[String: String]], [String: String]) in
            let folder = try TemporaryFolder()
            defer { folder.cleanup() }
            let h = Hierarchy.rsa
            let good = try h.signer()
            let revoked = try h.signer()
            let document = try folder.write("order.txt", sampleDocument)
            for (name, signer) in [("good", good), ("revoked", revoked)] {
                // Signatures without the CA certificate inside: the service must take it from --cert.
                _ = try folder.write("\(name).sig", try Signer.sign(.file(document), identity: signer.identity))
            }
            try FileManager.default.createDirectory(atPath: folder.file("crls"), withIntermediateDirectories: true)
            _ = try folder.write("crls/ca.crl", try h.crl(revoking: [RevokedCertificate(serial: revoked.certificate.serialHex,
                                                                                      date: Date().addingTimeInterval(-3600))]).pem())
            _ = try folder.write("crls/root.crl", try h.crl(by: h.root).pem())
            let anchor = try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate]))
            let intermediate = try folder.write("ca.pem", try CertificateFiles.pem([h.ca.certificate]))
            let ocsp = try folder.write("good.ocsp", try h.ocspAnswer(for: good.certificate, status: .good))
            let service = try Service(["--trust", anchor, "--crl", folder.file("crls"), "--cert", intermediate, "--ocsp-response", ocsp, "--offline"],
                                      folder: folder)
            defer { service.stop() }
            func verify(_ name: String) throws -> [String: String] {
                let answer = try runTool("curl", ["-s", "-H", "X-Request-ID: req-\(name)", "-F", "signature=@\(folder.file("\(name).sig"))",
                                                  "-F", "document=@\(document)", service.url + "/v1/verify"])
                let object = (try? JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any]) ?? [:]
                return object.compactMapValues { $0 as? String }
            }
            let goodAnswer = try verify("good")
            let revokedAnswer = try verify("revoked")
            _ = try runTool("curl", ["-s", "-o", "/dev/null", service.url + "/healthz"])
            service.stop()
            let lines = service.logLines.map { $0.compactMapValues { $0 as? String } }
            return (goodAnswer, revokedAnswer, lines.filter { $0["message"] == "request" }, lines.first { $0["message"] == "policies loaded" } ?? [:])
        }
        #expect(good["indication"] == "TOTAL-PASSED", "\(good)")
        // Revoked before the (unproven) signing time: the CRL given to the service says so.
        #expect(refused["indication"] == "INDETERMINATE" && refused["subIndication"] == "REVOKED_NO_POE", "\(refused)")
        #expect(requests.count == 3, "\(requests)")
        for line in requests {
            for field in ["method", "path", "status", "duration_ms", "request_id", "time"] { #expect(line[field] != nil, "\(field) in \(line)") }
        }
        #expect(requests.contains { $0["request_id"] == "req-good" && $0["indication"] == "TOTAL-PASSED" && $0["path"] == "/v1/verify"
            && $0["method"] == "POST" && $0["status"] == "200" }, "\(requests)")
        #expect(requests.contains { $0["request_id"] == "req-revoked" && $0["indication"] == "INDETERMINATE" }, "\(requests)")
        #expect(requests.contains { $0["path"] == "/healthz" && $0["indication"] == nil }, "\(requests)")
        #expect(loaded["crls"] == "2" && loaded["ocsp_responses"] == "1", "\(loaded)")
    }

    @Test("the README's digest-only requests, run as written: a GOST signature with a Streebog digest and an RSA one with SHA-256",
          .enabled(if: curlAvailable && CryptoLibrary.gostAvailable, "curl or the GOST engine is missing: the README's digest-only commands are not run"))
    func readmeDigestOnly() async throws {
        let answers = try await offCooperativePool { () -> [(String, String)] in
            let folder = try TemporaryFolder()
            defer { folder.cleanup() }
            let pki = try DemoPKI.create(in: folder.file("pki"))
            let readme = try String(contentsOfFile: (Repository.root as NSString).appendingPathComponent("README.md"), encoding: .utf8)
            // Each README command: a `curl … /v1/verify \` line and the `-d …` line after it.
            let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var commands: [String] = []
            for (index, line) in lines.enumerated() where line.hasPrefix("curl -H 'Content-Type: application/json'") && index + 1 < lines.count
                && lines[index + 1].contains("documentDigest") {
                commands.append(line.replacingOccurrences(of: "\\", with: "") + " " + lines[index + 1].trimmingCharacters(in: .whitespaces))
            }
            var answers: [(String, String)] = []
            for (who, command) in zip(["gost", "rsa"], commands) {
                let work = folder.file(who)
                try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
                let document = try folder.write("\(who)/order.pdf", Array("%PDF-1.4 приказ № 123 (\(who))\n".utf8))
                let signed = try CLI.run(["sign", document, "--key", pki.path("official-\(who).key"), "--cert", pki.path("official-\(who).pem"),
                                          "--chain", pki.path("\(who)-chain.pem")])
                guard signed.status == 0 else { return [(who, "sign failed: \(signed.stderr)")] }
                let service = try Service(["--trust", pki.trustDirectory, "--crl", pki.directory, "--offline"], folder: folder)
                defer { service.stop() }
                let shell = "cd '\(work)' && " + command.replacingOccurrences(of: "http://127.0.0.1:8780", with: service.url)
                answers.append((who + ": " + command, try runTool("bash", ["-c", shell]).stdout))
                service.stop()
            }
            return answers
        }
        #expect(answers.count == 2, "the README has a digest-only example for GOST and one for SHA-256: \(answers)")
        #expect(answers.first?.0.contains("streebog256") == true, "the first example is the GOST one")
        for (command, answer) in answers {
            let report = (try? JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any]) ?? [:]
            #expect(report["indication"] as? String == "TOTAL-PASSED", "\(command)\n\(answer.prefix(600))")
        }
    }

    @Test("a taken port: every server command says so in one line naming the port, exit 69")
    func takenPort() async throws {
        let (port, results) = try await offCooperativePool { () -> (String, [(command: [String], result: CLIResult)]) in
            let folder = try TemporaryFolder()
            defer { folder.cleanup() }
            // A listener of our own holds the port.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            _ = listen(fd, 1)
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            let port = "\(UInt16(bigEndian: address.sin_port))"
            let pki = try DemoPKI.create(in: folder.file("pki"), includeGOST: false)
            let commands: [[String]] = [
                ["serve", "--port", port, "--database", "sqlite:" + folder.file("j.sqlite")],
                ["tsa", "serve", "--key", pki.path("tsa.key"), "--cert", pki.path("tsa.pem"), "--port", port],
                ["pki", "serve", pki.directory, "--port", port],
                ["pki", "serve", pki.directory, "--port", port, "--lang", "ru"],
            ]
            return (port, try commands.map { ($0, try CLI.run($0, timeout: 60)) })
        }
        for (command, result) in results {
            #expect(result.status == 69, "\(command): \(result.status) \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            let expected = command.contains("ru") ? "порт \(port) уже занят" : "port \(port) is already in use"
            #expect(lines.count == 1 && lines[0].hasPrefix("podpis: 127.0.0.1:\(port): \(expected)"), "\(command): \(result.stderr)")
        }
    }

    @Test("in a real browser (headless Chromium, JavaScript off) an official chooses a document and its signature, submits, and reads the verdict",
          .enabled(if: HeadlessChromium.executable != nil, "chromium is not installed: the page is not tested in a browser"))
    func pageInBrowser() async throws {
        struct Seen: Sendable {
            var signed: CLIResult
            var page = ""
            var screenshot: [UInt8] = []
            var verdict = ""
            var failed = ""
            var audit: CLIResult? = nil
        }
        let seen = try await offCooperativePool { () -> Seen in
            let folder = try TemporaryFolder()
            defer { folder.cleanup() }
            let pki = try DemoPKI.create(in: folder.file("pki"))
            let document = try folder.write("prikaz-123.txt", Array("ПРИКАЗ № 123\nО переходе на электронный документооборот\n".utf8))
            var seen = Seen(signed: try CLI.run(["sign", document, "--key", pki.path("official-rsa.key"), "--cert", pki.path("official-rsa.pem"),
                                                 "--chain", pki.path("rsa-chain.pem")]))
            let tampered = try folder.write("prikaz-123-copy.txt", Array("ПРИКАЗ № 124\nО переходе на электронный документооборот\n".utf8))
            let service = try Service(["--trust", pki.trustDirectory, "--crl", pki.directory, "--offline"], folder: folder)
            defer { service.stop() }

            let browser = try HeadlessChromium()
            defer { browser.quit() }
            let page = try browser.openPage(javaScript: false)
            try browser.navigate(service.url + "/", session: page)
            seen.page = try browser.html(session: page)
            try browser.chooseFiles("#signature", [document + ".sig"], session: page)
            try browser.chooseFiles("#document", [document], session: page)
            seen.screenshot = try browser.screenshot(session: page)
            try browser.click("#detached button", session: page)
            seen.verdict = try browser.html(session: page)

            // In English, a changed copy.
            try browser.navigate(service.url + "/?lang=en", session: page)
            try browser.chooseFiles("#signature", [document + ".sig"], session: page)
            try browser.chooseFiles("#document", [tampered], session: page)
            try browser.click("#detached button", session: page)
            seen.failed = try browser.html(session: page)
            browser.quit()
            service.stop()
            seen.audit = try CLI.run(["audit", "verify", "--database", "sqlite:" + folder.file("journal.sqlite")])
            return seen
        }
        #expect(seen.signed.status == 0, "\(seen.signed.stderr)")
        #expect(seen.page.contains("Проверка электронной подписи"))
        #expect(seen.screenshot.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
        if let directory = ProcessInfo.processInfo.environment["PODPIS_SCREENSHOTS"] {
            try Data(seen.screenshot).write(to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("verification-page-ru.png")))
        }
        // The official reads the verdict on the protocol the browser shows.
        #expect(seen.verdict.contains("Протокол проверки электронной подписи"), "\(seen.verdict.prefix(400))")
        #expect(seen.verdict.contains("Подпись действительна") && seen.verdict.contains("TOTAL-PASSED"))
        #expect(seen.verdict.contains("Петров Сергей Иванович"))
        #expect(seen.failed.contains("The signature is invalid") && seen.failed.contains("HASH_FAILURE"), "\(seen.failed.prefix(400))")
        // Both verifications are in the service's journal.
        #expect(seen.audit?.status == 0 && seen.audit?.stdout.contains("2 entries") == true, "\(seen.audit?.stdout ?? "")")
    }
}

/// The service's JSON log line writes its time with a shared format style instead of a new ISO8601DateFormatter per
/// line (one line per request); the text must stay what the formatter wrote.
@Suite("Log line time")
struct LogLineTimeTests {
    @Test("the same text as ISO8601DateFormatter's default")
    func sameTextAsTheFormatter() {
        let formatter = ISO8601DateFormatter()
        for seconds in [0, 951_782_400.5, 1_764_102_503.999, 4_102_444_799, 1_700_000_000, Date().timeIntervalSince1970] as [TimeInterval] {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(JSONLogHandler.utcTimestamp(date) == formatter.string(from: date))
        }
    }
}
