import EvidenceModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PodpisJournal
import PodpisPDF
import PodpisServer
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// Issue #14, item 1 and 7: nothing a client sends names a file, and the request's framing is parsed strictly.
@Suite("HTTP requests name no file; strict parsing")
struct RequestExposureTests {
    typealias Fixture = HTTPServiceTests.Fixture

    static func object(_ buffer: ByteBuffer) -> [String: Any] { HTTPServiceTests.object(buffer) }

    @Test("the policy field is an id from the catalogue, never a path: files on the server are neither read nor echoed")
    func policyIsNeverAPath() async throws {
        let f = try await Fixture()
        defer { f.folder.cleanup() }
        // A file the attacker wants: its first line was echoed in the problem text before.
        let secret = try f.folder.write("secret.yaml", Array("SECRET-FIRST-LINE: do not show\n".utf8))
        // A valid policy outside the catalogue: the service used to load and apply it.
        let foreign = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent("default.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "id: default", with: "id: planted")
        let planted = try f.folder.write("planted.yaml", Array(foreign.utf8))
        let passwd = (try? String(contentsOfFile: "/etc/passwd", encoding: .utf8))?.split(separator: "\n").first.map(String.init) ?? "root:x:0:0"
        try await f.app.test(.router) { client in
            for value in [secret, planted, "/etc/passwd", "/etc/shadow", "../../etc/passwd", "x.yaml", "default.yaml", "policies/default.yaml",
                          "default/../../etc/passwd", "DEFAULT", String(repeating: "a", count: 70)] {
                for json in [false, true] {
                    let (body, headers) = json
                        ? f.json(["signature": Data(f.signature).base64EncodedString(), "document": Data(sampleDocument).base64EncodedString(), "policy": value])
                        : f.multipart([("signature", f.signature, nil), ("document", sampleDocument, nil), ("policy", Array(value.utf8), nil)])
                    try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                        let text = String(buffer: response.body)
                        #expect(response.status == .badRequest, "\(value): \(response.status) \(text.prefix(300))")
                        #expect(Self.object(response.body)["type"] as? String == "urn:podpis:problem:unknown-policy", "\(value)")
                        #expect(!text.contains("SECRET-FIRST-LINE") && !text.contains(passwd) && !text.contains("planted"), "\(value): \(text)")
                        // A value that is not an id is not repeated either.
                        if value.contains("/") { #expect(!text.contains(value), "\(value): \(text)") }
                    }
                }
            }
            // An id of the catalogue still works, by either encoding.
            let (good, headers) = f.multipart([("signature", f.signature, nil), ("document", sampleDocument, nil), ("policy", Array("default".utf8), nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: good) { #expect($0.status == .ok) }
        }
    }

    @Test("lang, type, file names and МЧД parts reach no file: a path in any of them changes nothing but the text")
    func otherFieldsReachNoFile() async throws {
        let f = try await Fixture()
        defer { f.folder.cleanup() }
        let marker = try f.folder.write("marker.txt", Array("MARKER-CONTENT-77\n".utf8))
        try await f.app.test(.router) { client in
            let (body, headers) = f.multipart([
                ("signature", f.signature, marker), ("document", sampleDocument, "../../..\(marker)"),
                ("lang", Array(marker.utf8), nil), ("type", Array(marker.utf8), nil),
            ])
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                let text = String(buffer: response.body)
                #expect(response.status == .ok, "\(text.prefix(300))")
                #expect(!text.contains("MARKER-CONTENT-77"))
                // The document's name is its last component only.
                #expect((Self.object(response.body)["document"] as? [String: Any])?["name"] as? String == "marker.txt")
            }
            let (poa, poaHeaders) = f.multipart([("signature", f.signature, nil), ("document", sampleDocument, nil),
                                                 ("poa", Array(marker.utf8), marker)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: poaHeaders, body: poa) { response in
                #expect(!String(buffer: response.body).contains("MARKER-CONTENT-77"))
            }
        }
    }

    @Test("a repeated document, signature or container part is a 400 (the last one was hashed while the sizes added up)")
    func repeatedParts() async throws {
        let f = try await Fixture()
        defer { f.folder.cleanup() }
        try await f.app.test(.router) { client in
            let cases: [[(String, [UInt8], String?)]] = [
                [("signature", f.signature, nil), ("document", Array("forged".utf8), nil), ("document", sampleDocument, nil)],
                [("signature", Array("junk".utf8), nil), ("signature", f.signature, nil), ("document", sampleDocument, nil)],
                [("container", Array("PK".utf8), nil), ("container", Array("PK".utf8), nil)],
                [("signature", f.signature, nil), ("document", sampleDocument, nil), ("policy", Array("default".utf8), nil), ("policy", Array("default".utf8), nil)],
            ]
            for parts in cases {
                let (body, headers) = f.multipart(parts)
                try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .badRequest, "\(parts.map(\.0)): \(String(buffer: response.body))")
                    #expect(Self.object(response.body)["type"] as? String == "urn:podpis:problem:duplicate-part")
                }
            }
        }
        #expect(try await f.state.journal.entries(after: 0, limit: 10).isEmpty)
    }

    @Test("content types are matched exactly, not by prefix; 401 names its scheme (WWW-Authenticate)")
    func contentTypesAndAuthenticate() async throws {
        let f = try await Fixture(apiKeys: ["k"])
        defer { f.folder.cleanup() }
        let json = Array(try JSONSerialization.data(withJSONObject: ["signature": Data(f.signature).base64EncodedString(),
                                                                      "document": Data(sampleDocument).base64EncodedString()]))
        try await f.app.test(.router) { client in
            for type in ["application/jsonp-evil", "application/json-patch+json", "application/jsonx; charset=utf-8", "multipart/form-dataz; boundary=x",
                         "text/plain; application/json"] {
                try await client.execute(uri: "/v1/verify", method: .post, headers: [.contentType: type, .authorization: "Bearer k"],
                                         body: ByteBuffer(bytes: json)) { response in
                    #expect(response.status == .unsupportedMediaType, "\(type): \(response.status)")
                }
            }
            for type in ["application/json", "Application/JSON; charset=utf-8", "application/json ;charset=UTF-8"] {
                try await client.execute(uri: "/v1/verify", method: .post, headers: [.contentType: type, .authorization: "Bearer k"],
                                         body: ByteBuffer(bytes: json)) { response in
                    #expect(response.status == .ok, "\(type): \(response.status)")
                }
            }
            try await client.execute(uri: "/v1/verify", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: json)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="podpis""#)
            }
            try await client.execute(uri: "/v1/admin/reload", method: .post) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
        }
    }

    @Test("only 200 answers are journaled and carry X-Journal-*; /metrics counts every status and problem type")
    func onlyVerificationsAreJournaled() async throws {
        let f = try await Fixture()
        defer { f.folder.cleanup() }
        try await f.app.test(.router) { client in
            for _ in 0..<3 {
                let (garbage, headers) = f.multipart([("signature", Array("not a signature at all".utf8), nil), ("document", sampleDocument, nil)])
                try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: garbage) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(response.headers[HTTPField.Name("X-Journal-Entry")!] == nil)
                    #expect(response.headers[HTTPField.Name("X-Journal-Receipt")!] == nil)
                }
                try await client.execute(uri: "/v1/verify", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "x")) {
                    #expect($0.status == .unsupportedMediaType)
                }
            }
            let (good, headers) = f.multipart([("signature", f.signature, nil), ("document", sampleDocument, nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: good) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-Journal-Entry")!] == "1")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"status="422""#), "\(text)")
                #expect(text.contains(#"status="415""#))
                #expect(text.contains(#"podpis_problems_total{type="urn:podpis:problem:not-a-signature"} 3"#), "\(text)")
                #expect(text.contains(#"podpis_problems_total{type="urn:podpis:problem:unsupported-media-type"} 3"#), "\(text)")
            }
        }
        let entries = try await f.state.journal.entries(after: 0, limit: 10)
        #expect(entries.count == 1)
        #expect(entries.first?.indication.value == .totalPassed)
    }

    @Test("the SQLite journal file is created readable by its owner only (it holds СНИЛС)")
    func journalFileMode() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("new.sqlite")
        let journal = try SQLiteJournal(path: path)
        _ = try await journal.append(JournalTests.record(1))
        try await journal.close()
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            var info = stat()
            stat(file, &info)
            #expect(info.st_mode & 0o077 == 0, "\(file): mode \(String(info.st_mode & 0o777, radix: 8))")
        }
    }

    @Test("HTTP: a CMS with 100 000 certificates is refused with 422 too-complex, not parsed; nothing is journaled")
    func hundredThousandCertificates() async throws {
        let f = try await Fixture()
        defer { f.folder.cleanup() }
        let small = try PKIProfiles.root(name: "x", key: .ec(curve: "P-256")).certificate.der
        let hostile = try CMSSurgery.addCertificates(f.signature, small, count: 100_000)
        try await f.app.test(.router) { client in
            // JSON (Base64, 52 MiB, under the 64 MiB in-memory limit): the debug build's multipart parser would
            // dominate the time here, which is not what this test is about.
            let (body, headers) = f.json(["signature": Data(hostile).base64EncodedString(), "document": Data(sampleDocument).base64EncodedString()])
            let started = ContinuousClock.now
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .unprocessableContent)
                let problem = HTTPServiceTests.object(response.body)
                #expect(problem["type"] as? String == "urn:podpis:problem:too-complex")
                #expect((problem["detail"] as? String)?.contains("100") == true && (problem["detail"] as? String)?.contains("limits.certificates") == true)
            }
            print("100 000-certificate CMS (\(hostile.count >> 20) MiB) refused in \(ContinuousClock.now - started) (in-process, debug build)")
        }
        #expect(try await f.state.journal.entries(after: 0, limit: 10).isEmpty)
    }

    @Test("HTTP: a signed PDF whose CMS carries more certificates than the cap is 422 too-complex (as a container's is), not «not a signed PDF»; nothing is journaled")
    func pdfOverCap() async throws {
        let f = try await Fixture()
        defer { f.folder.cleanup() }
        let signer = try f.h.signer()
        let extra = f.h.ca.certificate.der
        var options = PDFSigning.Options()
        options.reserve = 700 * (extra.count + 16)
        let pdf = try PDFSigning.sign(pdf: TestPDF.make(pages: 1), name: "order.pdf", options: options) { covered in
            // A CMS one over the certificate cap (the signer, its CA and 500 more): refused before it is parsed.
            try CMSSurgery.addCertificates(try Signer.sign(.bytes(covered), identity: signer.identity, options: SignatureOptions(chain: [f.h.ca.certificate])),
                                           extra, count: 500)
        }
        try await f.app.test(.router) { client in
            let (body, headers) = f.json(["pdf": Data(pdf).base64EncodedString(), "documentName": "order.pdf"])
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .unprocessableContent)
                let problem = HTTPServiceTests.object(response.body)
                #expect(problem["type"] as? String == "urn:podpis:problem:too-complex", "\(problem)")
                #expect((problem["detail"] as? String)?.contains("limits.certificates") == true, "\(problem)")
            }
        }
        #expect(try await f.state.journal.entries(after: 0, limit: 10).isEmpty)
    }
}
