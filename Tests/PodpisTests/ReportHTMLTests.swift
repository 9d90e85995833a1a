import EvidenceModel
import Foundation
import PodpisDefaults
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PodpisReport
import PodpisServer
import PolicyEngine
import Testing
@testable import SigningCore

/// The verification protocol (HTML) people read: content in both languages, escaping of hostile certificate
/// fields, the self-hash scheme, and the CLI and HTTP front ends that produce it.
@Suite("HTML verification protocol")
struct ReportHTMLTests {
    let day: TimeInterval = 86_400

    /// The same evidence judged in Russian and in English, rendered.
    static func pages(_ evidence: Evidence) throws -> [(language: Language, report: Report, html: String)] {
        try Language.allCases.map { language in
            let report = PolicyEngine().judge(evidence, policy: BuiltinPolicies.default, options: JudgementOptions(language: language))
            return (language, report, try VerificationProtocol.render(report: report, evidence: evidence).html)
        }
    }

    /// What every page must be: one self-contained document with no active or external content.
    static func expectSelfContained(_ html: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(html.hasPrefix("<!DOCTYPE html>"), sourceLocation: sourceLocation)
        #expect(html.contains("<svg"), sourceLocation: sourceLocation)
        #expect(html.contains("<style>"), sourceLocation: sourceLocation)
        let lower = html.lowercased()
        for forbidden in ["<script", "<link", "<img", "<iframe", "<object", "<embed", " src=", " href=", "url(", "@import", "http://", "https://"] {
            #expect(!lower.contains(forbidden), "the page contains \(forbidden)", sourceLocation: sourceLocation)
        }
        #expect(html.contains("@page"), sourceLocation: sourceLocation)
        #expect(html.contains("break-inside: avoid"), sourceLocation: sourceLocation)
        #expect(VerificationProtocol.verify(html), "the printed hash does not match", sourceLocation: sourceLocation)
    }

    @Test("a valid signature: verdict, signer, ИНН/СНИЛС/ОГРН, check basis, chain and timeline, in Russian and English")
    func valid() throws {
        let h = Hierarchy.rsa
        let (evidence, _) = try signAndJudge(try h.signer(), hierarchy: h)
        for (language, report, html) in try Self.pages(evidence) {
            #expect(report.indication == .totalPassed)
            Self.expectSelfContained(html)
            #expect(html.contains("<html lang=\"\(language.rawValue)\">"))
            #expect(html.contains(language == .ru ? "Протокол проверки электронной подписи" : "Electronic signature verification report"))
            #expect(html.contains(language == .ru ? "Подпись действительна" : "The signature is valid"))
            #expect(html.contains("Иванова Мария Петровна"))
            #expect(html.contains("Начальник отдела делопроизводства"))
            #expect(html.contains("784512345678") && html.contains("12345678901") && html.contains("1027809244561"))
            #expect(html.contains(language == .ru ? "Основание" : "Basis"))
            let basis = try #require(report.signatures[0].checks.compactMap(\.basis).first)
            #expect(html.contains(Self.escaped(basis)))
            #expect(html.contains(Self.escaped(report.signatures[0].legal.conclusion)))
            #expect(html.contains(report.signatures[0].signer?.serial ?? "no serial"))
            #expect(html.contains(report.policy.id) && html.contains(report.policy.version))
            #expect(html.contains(Self.escaped(report.producer)))
            #expect(html.contains(try #require(evidence.document?.digests["sha256"])))
            #expect(html.contains("document.txt"))
            #expect(html.contains("class=\"picture chain\"") && html.contains("class=\"picture timeline\""))
            #expect(html.contains("Test rsa CA") && html.contains("Test rsa root"))
            #expect(html.contains(language == .ru ? "Удостоверяющий центр" : "Certification authority"))
            // A stored report alone (no evidence) still renders: the signer from the report, no chain beyond it.
            let alone = try VerificationProtocol.render(report: report).html
            Self.expectSelfContained(alone)
            #expect(alone.contains("Иванова Мария Петровна"))
            #expect(alone.components(separatedBy: "<g class=\"node ").count == 2, "one box: the signer")
            #expect(html.components(separatedBy: "<g class=\"node ").count == 4, "signer, CA, root")
        }
    }

    @Test("a tampered document: invalid, HASH_FAILURE, the integrity check's message, in both languages")
    func invalid() throws {
        let h = Hierarchy.ec
        let (evidence, _) = try signAndJudge(try h.signer(), hierarchy: h, verifyDocument: sampleDocument + [0x20])
        for (language, report, html) in try Self.pages(evidence) {
            #expect(report.subIndication == .hashFailure)
            Self.expectSelfContained(html)
            #expect(html.contains(language == .ru ? "Подпись недействительна" : "The signature is invalid"))
            #expect(html.contains("TOTAL-FAILED / HASH_FAILURE</span> — " + (language == .ru ? "документ изменён после подписания" : "the document was changed after signing")))
            #expect(html.contains(language == .ru ? "Документ изменён после подписания" : "changed"))
            #expect(html.contains("class=\"verdict invalid\""))
        }
    }

    @Test("no trust anchor: cannot be determined, and the chain picture shows the missing root, in both languages")
    func indeterminate() throws {
        let h = Hierarchy.rsa
        let (evidence, _) = try signAndJudge(try h.signer(), hierarchy: h, trust: TrustStore(anchors: []))
        for (language, report, html) in try Self.pages(evidence) {
            #expect(report.indication == .indeterminate)
            Self.expectSelfContained(html)
            #expect(html.contains(language == .ru ? "Не удалось установить действительность подписи" : "The validity of the signature could not be established"))
            #expect(html.contains(language == .ru ? "Доверенный корневой сертификат не найден" : "No trusted root certificate was found"))
            #expect(html.contains("class=\"node missing\""))
        }
    }

    @Test("not a signature at all: the page still states the verdict and the format failure, in both languages")
    func notASignature() throws {
        let h = Hierarchy.rsa
        let (evidence, _) = try judge(Array("not a CMS signature".utf8), document: sampleDocument, hierarchy: h)
        #expect(!evidence.format.parsed)
        for (language, report, html) in try Self.pages(evidence) {
            #expect(report.signatures.isEmpty)
            #expect(html.hasPrefix("<!DOCTYPE html>") && !html.lowercased().contains("<script"))
            #expect(html.contains(Self.escaped(report.indication.rawValue)))
            #expect(html.contains(language == .ru ? "В файле не найдено ни одной подписи" : "No signature was found in the file"))
            #expect(VerificationProtocol.verify(html))
        }
    }

    @Test("revoked after the timestamp: the timeline puts the revocation after the timestamp, the time is proven")
    func revokedAfterTimestamp() throws {
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let signer = try h.signer()
        let revoked = [RevokedCertificate(serial: signer.certificate.serialHex, date: Date().addingTimeInterval(5 * day))]
        let crls = [try h.crl(revoking: revoked, thisUpdate: Date().addingTimeInterval(6 * day), nextUpdate: Date().addingTimeInterval(13 * day)),
                    try h.crl(by: h.root)]
        let stamped = try h.timestampedSignature(signer, authority: authority)
        let (evidence, _) = try judge(stamped, document: sampleDocument, hierarchy: h, crls: crls, at: Date().addingTimeInterval(10 * day))
        let pages = try Self.pages(evidence)
        for (language, report, html) in pages {
            #expect(report.indication == .totalPassed)
            Self.expectSelfContained(html)
            #expect(html.contains(language == .ru ? "Существование подписи на этот момент доказано штампом времени" : "The signing time is proven by a timestamp"))
            #expect(html.contains("class=\"bar-revoked\""))
            // Events are laid out in time order: the timestamp's lane comes before the revocation's.
            let stamp = try #require(html.range(of: "class=\"event timestamp\""))
            let revocation = try #require(html.range(of: "class=\"event revoked\""))
            #expect(stamp.lowerBound < revocation.lowerBound)
            #expect(html.contains(language == .ru ? "ОТОЗВАН" : "REVOKED"))
        }
    }

    @Test("hostile certificate fields are escaped in HTML and SVG text; no raw <script")
    func hostileSubject() throws {
        let h = Hierarchy.rsa
        let hostile = try PKIProfiles.signer(
            subject: [("C", "RU"), ("O", "Evil \"quoted\" & <b>bold</b> 'org'"), ("title", "<img src=x onerror=alert(2)>"),
                      ("CN", "<script>alert(1)</script>"), ("L", "\u{202E}gro.live\u{202C} city\u{200B}")],
            key: h.algorithm.kind, issuer: h.ca)
        let (evidence, _) = try signAndJudge(hostile, hierarchy: h)
        for (_, _, html) in try Self.pages(evidence) {
            #expect(!html.lowercased().contains("<script"))
            #expect(!html.contains("<b>bold"))
            #expect(!html.contains("<img"))
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(html.contains("&quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; &#39;org&#39;"))
            // The name is in the chain picture's SVG text as well, escaped there too.
            #expect(html.contains("<text class=\"name\" x=\"22\" y=\"48\">&lt;script&gt;alert(1)&lt;/script&gt;</text>"))
            // Invisible characters that would change what a reader sees are shown, not obeyed.
            #expect(!html.unicodeScalars.contains { [0x202E, 0x202C, 0x200B].contains($0.value) })
            #expect(html.contains("[U+202E]gro.live[U+202C] city[U+200B]"))
            #expect(VerificationProtocol.verify(html))
        }
    }

    @Test("the report hash: SHA-256 of the page with both hash slots zeroed, reproducible with sed and sha256sum")
    func reportHash() throws {
        let h = Hierarchy.rsa
        let (evidence, report) = try signAndJudge(try h.signer(), hierarchy: h)
        let rendered = try VerificationProtocol.render(report: report, evidence: evidence)
        let html = rendered.html
        #expect(rendered.sha256.count == 64)
        #expect(html.contains("<meta name=\"podpis-report-sha256\" content=\"\(rendered.sha256)\">"))
        #expect(html.contains("<code class=\"report-hash\">\(rendered.sha256)</code>"))
        #expect(VerificationProtocol.printedHash(html) == rendered.sha256)

        // The scheme by hand: zero both slots, hash the UTF-8 bytes (OpenSSL's SHA-256, not the renderer's).
        let zeros = VerificationProtocol.hashPlaceholder
        let canonical = html.replacingOccurrences(of: rendered.sha256, with: zeros)
        let digest = try MultiDigest.digest(.sha256, Array(canonical.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(digest == rendered.sha256)

        // The same as a verifier would do it in a shell, as the README and the page's footer say.
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try folder.write("report.html", Array(html.utf8))
        let script = """
            Z=$(printf '0%.0s' $(seq 1 64))
            sed -E "s/(<meta name=\\"podpis-report-sha256\\" content=\\")[0-9a-f]{64}/\\1$Z/; s/(<code class=\\"report-hash\\">)[0-9a-f]{64}/\\1$Z/" "$1" | sha256sum | cut -c1-64
            """
        let shell = try runTool("bash", ["-c", script, "verify", path])
        #expect(shell.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == rendered.sha256, "\(shell.stderr)")

        // An edited copy no longer matches.
        let edited = html.replacingOccurrences(of: "Иванова", with: "Петрова")
        #expect(!VerificationProtocol.verify(edited))
        #expect(VerificationProtocol.sha256(ofRendered: "<html></html>") == nil)
    }

    @Test("verify --report writes the protocol; exit codes as without it; an installed binary finds its templates or says why", .needsGOST)
    func cliReport() throws {
        let layout = CLITests.pki.layout
        let crls = ["rsa", "gost"].flatMap { ["--crl", layout.path("\($0)-ca.crl"), "--crl", layout.path("\($0)-root.crl")] }
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        let (identity, options) = try layout.signing("rsa")
        try FileInput.writeAtomically(try Signer.sign(.file(document), identity: identity, options: options), to: document + ".sig")
        let valid = folder.file("valid.html")
        let passed = try CLI.run(["verify", document, "--trust", layout.trustDirectory, "--lang", "ru", "--report", valid] + crls)
        #expect(passed.status == 0, "\(passed.stdout)\(passed.stderr)")
        let validHTML = try String(contentsOfFile: valid, encoding: .utf8)
        #expect(validHTML.contains("Подпись действительна"))
        #expect(VerificationProtocol.verify(validHTML))

        _ = try folder.write("order.txt", sampleDocument + [0x20])
        let invalid = folder.file("invalid.html")
        let failed = try CLI.run(["verify", document, "--trust", layout.trustDirectory, "--lang", "en", "--report", invalid, "--json"] + crls)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("\"HASH_FAILURE\""))
        let invalidHTML = try String(contentsOfFile: invalid, encoding: .utf8)
        #expect(invalidHTML.contains("The signature is invalid") && invalidHTML.contains("HASH_FAILURE"))

        // A copy of the binary alone renders with its embedded templates; PODPIS_TEMPLATES naming a folder without
        // them is a clear error (not a crash, not a silent fallback), and naming the templates' folder works.
        let lonely = folder.file("podpis")
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: lonely)
        let run = { (environment: [String: String]) throws -> CLIResult in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: lonely)
            process.arguments = ["verify", document, "--trust", layout.trustDirectory, "--report", folder.file("copy.html")] + crls
            var env = ProcessInfo.processInfo.environment
            env.removeValue(forKey: "PODPIS_TEMPLATES")
            for (key, value) in environment { env[key] = value }
            process.environment = env
            process.currentDirectoryURL = URL(fileURLWithPath: folder.path)
            let err = Pipe()
            process.standardError = err
            process.standardOutput = Pipe()
            try process.run()
            let data = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return CLIResult(status: process.terminationStatus, stdout: "", stderr: String(decoding: data, as: UTF8.self))
        }
        let embedded = try run([:])
        #expect(embedded.status == 1, "\(embedded.stderr)")
        #expect(try String(contentsOfFile: folder.file("copy.html"), encoding: .utf8).contains("HASH_FAILURE"))
        try FileManager.default.removeItem(atPath: folder.file("copy.html"))
        let missing = try run(["PODPIS_TEMPLATES": folder.file("no-templates-here")])
        #expect(missing.status == 70, "\(missing.stderr)")
        #expect(missing.stderr.contains("PODPIS_TEMPLATES") && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("copy.html")))
        let found = try run(["PODPIS_TEMPLATES": (Repository.root as NSString).appendingPathComponent("Sources/PodpisReport/Templates")])
        #expect(found.status == 1, "\(found.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.file("copy.html")))
    }

    @Test("POST /v1/verify with Accept: text/html answers with the protocol; language from lang or Accept-Language")
    func httpReport() async throws {
        let f = try await HTTPServiceTests.Fixture()
        defer { f.folder.cleanup() }
        try await f.app.test(.router) { client in
            var (body, headers) = f.multipart([("signature", f.signature, "doc.sig"), ("document", sampleDocument, "prikaz.txt"), ("lang", Array("ru".utf8), nil)])
            headers[.accept] = "text/html"
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = String(buffer: response.body)
                Self.expectSelfContained(html)
                #expect(html.contains("Подпись действительна"))
                #expect(html.contains("prikaz.txt"))
                #expect(response.headers[HTTPField.Name("X-Report-SHA256")!] == VerificationProtocol.printedHash(html))
            }
            (body, headers) = f.json(["signature": Data(f.signature).base64EncodedString(), "document": Data(sampleDocument + [0x20]).base64EncodedString()])
            headers[.accept] = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
            headers[.acceptLanguage] = "en-GB,en;q=0.9"
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = String(buffer: response.body)
                #expect(html.contains("The signature is invalid") && html.contains("HASH_FAILURE"))
            }
            // JSON stays the default.
            (body, headers) = f.json(["signature": Data(f.signature).base64EncodedString(), "document": Data(sampleDocument).base64EncodedString()])
            headers[.accept] = "application/json, text/html;q=0.5"
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            }
        }
    }

    @Test("podpis serve as a process: the README's curl with Accept: text/html and Accept-Language: ru gets the page")
    func serveProcess() throws {
        let s = try ServiceProcessTests.Setup()
        defer { s.folder.cleanup() }
        let server = try s.serve(database: "sqlite:" + s.folder.file("journal.sqlite"))
        defer { server.stop() }
        let page = s.folder.file("page.html")
        let answer = try runTool("curl", ["-sS", "-D", "-", "-o", page, "-H", "Accept: text/html", "-H", "Accept-Language: ru",
                                          "-F", "document=@\(s.document)", "-F", "signature=@\(s.signature)", "\(server.url)/v1/verify"])
        #expect(answer.stdout.lowercased().contains("content-type: text/html; charset=utf-8"), "\(answer.stdout)\(answer.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("Протокол проверки электронной подписи") && html.contains("order.txt"))
        #expect(VerificationProtocol.verify(html))
        #expect(answer.stdout.lowercased().contains("x-report-sha256: \(VerificationProtocol.printedHash(html) ?? "none")"))
    }

    @Test("the templates never insert data unescaped, and every label they use is in both catalogues")
    func templates() throws {
        let directory = (Repository.root as NSString).appendingPathComponent("Sources/PodpisReport/Templates")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".mustache") }
        #expect(files.contains("protocol.mustache") && files.count >= 5)
        // The binary carries exactly these files.
        #expect(try ReportTemplates.shipped().isEmbedded)
        #expect(Set(EmbeddedDefaults.files(in: "templates").map(\.name)) == Set(files))
        let label = try Regex("\\{\\{t\\.([A-Za-z0-9-]+)\\}\\}")
        for file in files {
            let text = try String(contentsOfFile: (directory as NSString).appendingPathComponent(file), encoding: .utf8)
            #expect(EmbeddedDefaults.text("templates/" + file) == text, "the embedded \(file) differs from the file")
            #expect(!text.contains("{{{") && !text.contains("{{&"), "\(file) inserts unescaped data")
            if file != "style.mustache" {
                #expect(text.contains("{{% CONTENT_TYPE: PODPIS_HTML}}"), "\(file) does not select the protocol's escaping")
            }
            for match in text.matches(of: label) {
                let key = "report." + (match.output[1].substring.map(String.init) ?? "")
                #expect(ReportTexts.entries(.ru)[key] != nil && ReportTexts.entries(.en)[key] != nil, "\(file): \(key) is not in the protocol's catalogue")
            }
        }
        for sub in SubIndication.allCases {
            #expect(ReportTexts.entries(.ru)["report.sub-\(sub.rawValue)"] != nil && ReportTexts.entries(.en)["report.sub-\(sub.rawValue)"] != nil, "\(sub.rawValue) has no words")
        }
    }

    @Test("signatures made by other systems (EU DSS, SiVa) render a valid self-hashed page each, in both languages",
          .enabled(if: RealWorld.available, "../shared/testdata/real-world is absent: skipped"))
    func realWorld() throws {
        for file in RealWorld.allFiles() {
            guard let (evidence, _) = try? RealWorld.judge(file) else { continue }
            for (_, report, html) in try Self.pages(evidence) {
                #expect(html.hasPrefix("<!DOCTYPE html>"), "\(file)")
                #expect(!html.lowercased().contains("<script"), "\(file)")
                #expect(VerificationProtocol.verify(html), "\(file)")
                #expect(html.contains(report.indication.rawValue), "\(file)")
            }
        }
    }

    static let renderScript = (Repository.root as NSString).appendingPathComponent("Tests/render-report.sh")
    @Test("headless Chromium renders the valid and the invalid protocol to PNG and PDF with the verdict in the text",
          .needsTools("chromium", "pdftotext", "pdfinfo", "timeout"))
    func browserRendering() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let result = try runTool("bash", [Self.renderScript, CLI.binary, folder.file("out")])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("rendered: valid") && result.stdout.contains("rendered: invalid"), "\(result.stdout)")
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
