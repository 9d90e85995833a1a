import EvidenceModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PodpisJournal
import PodpisServer
import PolicyEngine
import Testing
import Yams
@testable import SigningCore

/// The verification service through HummingbirdTesting: every endpoint with good and bad input.
@Suite("HTTP service")
struct HTTPServiceTests {
    struct Fixture {
        let folder: TemporaryFolder
        let state: ServiceState
        let metrics = ServiceMetrics()
        let signature: [UInt8]
        let journalPath: String
        let h = Hierarchy.rsa

        init(apiKeys: [String] = [], adminKeys: [String] = [], maxInMemory: Int = 64 << 20, maxBody: Int = 4 << 30,
             policies: String = Repository.policies, trust: [X509Certificate] = [], attestations: [String: String] = [:]) async throws {
            folder = try TemporaryFolder()
            let anchor = try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate] + trust))
            let (_, tsa) = try h.authority()
            let tsaKey = try folder.write("tsa.key", try tsa.key.pem(), mode: 0o600)
            let tsaCert = try folder.write("tsa.pem", try CertificateFiles.pem([tsa.certificate]))
            var configuration = ServiceConfiguration()
            configuration.trust = [anchor]
            configuration.policies = policies
            configuration.certs = Repository.certs
            configuration.offline = true
            configuration.attestations = attestations
            journalPath = folder.file("journal.sqlite")
            configuration.database = "sqlite:" + journalPath
            configuration.apiKeyHashes = apiKeys.map(ServiceConfiguration.hash)
            configuration.adminKeyHashes = adminKeys.map(ServiceConfiguration.hash)
            configuration.maxInMemoryBytes = maxInMemory
            configuration.maxBodyBytes = maxBody
            // In process, the journal shares a cooperative pool that blocking tests starve for seconds at a time; the
            // journal and readiness timeouts (503) are exercised against a real outage in JournalOutageTests.
            configuration.journalTimeout = 120
            configuration.readyTimeout = 120
            configuration.tsaKey = tsaKey
            configuration.tsaCert = tsaCert
            state = try ServiceState(configuration: configuration, journal: try await AuditJournals.open(configuration.database))
            signature = try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity, options: SignatureOptions(chain: [h.ca.certificate]))
        }

        var app: some ApplicationProtocol { Application(router: HTTPService.makeRouter(state: state, metrics: metrics)) }

        func multipart(_ parts: [(String, [UInt8], String?)], boundary: String = "XyZ-boundary-42") -> (ByteBuffer, HTTPFields) {
            var body = [UInt8]()
            for (name, bytes, file) in parts {
                body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\(file.map { "; filename=\"\($0)\"" } ?? "")\r\n\r\n".utf8)
                body += bytes + Array("\r\n".utf8)
            }
            body += Array("--\(boundary)--\r\n".utf8)
            return (ByteBuffer(bytes: body), [.contentType: "multipart/form-data; boundary=\(boundary)"])
        }

        func json(_ object: [String: String]) -> (ByteBuffer, HTTPFields) {
            (ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object)), [.contentType: "application/json"])
        }
    }

    static func object(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    @Test("a bare RFC 3161 token sent as the signature: signatures [] and a top-level timestamp; over its document TOTAL-PASSED, over another HASH_FAILURE, alone SIGNED_DATA_NOT_FOUND")
    func bareTimestampToken() async throws {
        let f = try await Fixture()
        defer { f.folder.cleanup() }
        let (authority, _) = try f.h.authority()
        let token = try TimestampClient(source: LocalTimestampSource(authority)).token(over: sampleDocument, digest: .sha256)
        try await f.app.test(.router) { client in
            for (document, indication, subIndication) in [(Optional(sampleDocument), "TOTAL-PASSED", nil),
                                                          (Optional(sampleDocument + [0x21]), "TOTAL-FAILED", "HASH_FAILURE"),
                                                          (nil, "INDETERMINATE", "SIGNED_DATA_NOT_FOUND")] {
                let parts = [("signature", token, Optional("order.tst"))] + (document.map { [("document", $0, Optional("order.txt"))] } ?? [])
                let (body, headers) = f.multipart(parts)
                try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    let report = Self.object(response.body)
                    #expect(report["indication"] as? String == indication, "\(report)")
                    #expect(report["subIndication"] as? String == subIndication, "\(report)")
                    #expect((report["signatures"] as? [Any])?.isEmpty == true)
                    let stamp = (report["timestamps"] as? [[String: Any]])?.first
                    #expect(stamp?["type"] as? String == "standalone", "\(report)")
                    #expect(stamp?["imprintAlgorithm"] as? String == "sha256")
                }
            }
        }
    }

    @Test("multipart, JSON with Base64, and digest-only requests all verify; each is journaled")
    func verifyForms() async throws {
        let f = try await Fixture()
        defer { f.folder.cleanup() }
        try await f.app.test(.router) { client in
            let (multipart, headers) = f.multipart([("signature", f.signature, "doc.sig"), ("document", sampleDocument, "prikaz.txt"), ("lang", Array("ru".utf8), nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: multipart) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let report = Self.object(response.body)
                #expect(report["indication"] as? String == "TOTAL-PASSED", "\(report)")
                #expect(report["lang"] as? String == "ru")
                #expect((report["document"] as? [String: Any])?["name"] as? String == "prikaz.txt")
                #expect(response.headers[HTTPField.Name("X-Journal-Entry")!] == "1")
                #expect(response.headers[HTTPField.Name("X-Journal-Node")!] == "0")
                #expect(response.headers[HTTPField.Name("X-Request-ID")!] != nil)
            }
            // Document first, then signature: hashed with every usual algorithm.
            let (reversed, reversedHeaders) = f.multipart([("document", sampleDocument, nil), ("signature", f.signature, nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: reversedHeaders, body: reversed) { response in
                #expect(Self.object(response.body)["indication"] as? String == "TOTAL-PASSED")
            }
            let (json, jsonHeaders) = f.json(["signature": Data(f.signature).base64EncodedString(), "document": Data(sampleDocument).base64EncodedString()])
            try await client.execute(uri: "/v1/verify", method: .post, headers: jsonHeaders, body: json) { response in
                #expect(Self.object(response.body)["indication"] as? String == "TOTAL-PASSED")
            }
            let digest = try MultiDigest.digest(.sha256, sampleDocument).map { String(format: "%02x", $0) }.joined()
            let (digestOnly, digestHeaders) = f.json(["signature": Data(f.signature).base64EncodedString(), "documentDigest": digest, "digestAlgorithm": "sha256"])
            try await client.execute(uri: "/v1/verify", method: .post, headers: digestHeaders, body: digestOnly) { response in
                let report = Self.object(response.body)
                #expect(report["indication"] as? String == "TOTAL-PASSED", "\(report)")
                #expect((report["document"] as? [String: Any])?["source"] as? String == "digest")
            }
            // A changed document: TOTAL-FAILED / HASH_FAILURE, still 200.
            let (bad, badHeaders) = f.multipart([("signature", f.signature, nil), ("document", sampleDocument + [0x21], nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: badHeaders, body: bad) { response in
                #expect(response.status == .ok)
                #expect(Self.object(response.body)["subIndication"] as? String == "HASH_FAILURE")
            }
        }
        let entries = try await f.state.journal.entries(after: 0, limit: 100)
        #expect(entries.count == 5)
        #expect(entries.map(\.indication.value) == [.totalPassed, .totalPassed, .totalPassed, .totalPassed, .totalFailed])
        #expect(try await f.state.journal.verifyChain().intact)
    }

    @Test("bad input gets problem+json with a stable type: 400, 413, 415, 422; never 500")
    func badInput() async throws {
        let f = try await Fixture(maxInMemory: 1 << 20, maxBody: 8 << 20)
        defer { f.folder.cleanup() }
        try await f.app.test(.router) { client in
            func expectProblem(_ uri: String, _ headers: HTTPFields, _ body: ByteBuffer?, _ status: HTTPResponse.Status, _ type: String) async throws {
                try await client.execute(uri: uri, method: .post, headers: headers, body: body) { response in
                    #expect(response.status == status, "\(type): \(String(buffer: response.body))")
                    #expect(response.headers[.contentType] == "application/problem+json", "\(type)")
                    #expect(Self.object(response.body)["type"] as? String == "urn:podpis:problem:\(type)", "\(String(buffer: response.body))")
                }
            }
            try await expectProblem("/v1/verify", [.contentType: "text/plain"], ByteBuffer(string: "x"), .unsupportedMediaType, "unsupported-media-type")
            try await expectProblem("/v1/verify", [.contentType: "application/json"], ByteBuffer(string: "{not json"), .badRequest, "malformed-json")
            let (badBase64, h1) = f.json(["signature": "!!!not base64!!!"])
            try await expectProblem("/v1/verify", h1, badBase64, .badRequest, "bad-base64")
            var truncated = f.multipart([("signature", f.signature, nil), ("document", sampleDocument, nil)])
            truncated.0 = ByteBuffer(bytes: Array(truncated.0.readableBytesView.prefix(truncated.0.readableBytes - 30)))
            try await expectProblem("/v1/verify", truncated.1, truncated.0, .badRequest, "malformed-multipart")
            try await expectProblem("/v1/verify", [.contentType: "multipart/form-data"], ByteBuffer(string: "x"), .badRequest, "malformed-multipart")
            let (oversized, h2) = f.multipart([("signature", [UInt8](repeating: 0x30, count: 2 << 20), nil)])
            try await expectProblem("/v1/verify", h2, oversized, .contentTooLarge, "too-large")
            let (unknownPolicy, h3) = f.multipart([("signature", f.signature, nil), ("document", sampleDocument, nil), ("policy", Array("nonexistent".utf8), nil)])
            try await expectProblem("/v1/verify", h3, unknownPolicy, .badRequest, "unknown-policy")
            let (traversal, h4) = f.multipart([("signature", f.signature, nil), ("policy", Array("../../etc/passwd".utf8), nil)])
            try await expectProblem("/v1/verify", h4, traversal, .badRequest, "unknown-policy")
            let (noSignature, h5) = f.multipart([("document", sampleDocument, nil)])
            try await expectProblem("/v1/verify", h5, noSignature, .badRequest, "missing-signature")
            let (digestMismatch, h6) = f.json(["signature": Data(f.signature).base64EncodedString(), "documentDigest": "abcd", "digestAlgorithm": "sha256"])
            try await expectProblem("/v1/verify", h6, digestMismatch, .badRequest, "bad-digest")
            // Not CMS: 422, with the FORMAT_FAILURE report inside the problem.
            let (garbage, h7) = f.multipart([("signature", Array("this is not a signature".utf8), nil), ("document", sampleDocument, nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: h7, body: garbage) { response in
                #expect(response.status == .unprocessableContent)
                let report = Self.object(response.body)["report"] as? [String: Any]
                #expect(report?["subIndication"] as? String == "FORMAT_FAILURE")
            }
            try await client.execute(uri: "/v1/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/v1/policies/..%2F..%2Fetc", method: .get) { response in
                #expect(response.status == .badRequest || response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test("policies, health, readiness, metrics, OpenAPI, the TSA endpoint")
    func otherEndpoints() async throws {
        let f = try await Fixture()
        defer { f.folder.cleanup() }
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/policies", method: .get, headers: [.acceptLanguage: "ru"]) { response in
                let list = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [[String: Any]] ?? []
                #expect(list.contains { $0["id"] as? String == "ru-63fz-qualified" })
                #expect(list.contains { ($0["title"] as? String)?.contains("63-ФЗ") == true })
            }
            try await client.execute(uri: "/v1/policies/lenobl-sed", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("2027.1"))
            }
            // Each rule shows what its check type says: the building block and the parameters in effect, defaults included.
            try await client.execute(uri: "/v1/policies/ru-63fz-qualified", method: .get) { response in
                let versions = Self.object(response.body)["versions"] as? [[String: Any]] ?? []
                let rules = versions.last?["rules"] as? [[String: Any]] ?? []
                let revocation = try #require(rules.first { $0["check"] as? String == "revocation" })
                #expect(revocation["buildingBlock"] as? String == "XCV")
                #expect((revocation["parameters"] as? [String: Any])?["require"] as? String == "always")
            }
            try await client.execute(uri: "/v1/policies/nope", method: .get) { #expect($0.status == .notFound) }
            let (body, headers) = f.multipart([("signature", f.signature, nil), ("document", sampleDocument, nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("podpis_verifications_total{indication=\"TOTAL-PASSED\"} 1"))
                #expect(text.contains("podpis_http_request_duration_seconds_bucket"))
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(String(buffer: response.body).hasPrefix("openapi: 3.1.0"))
            }
            let request = try TimestampClient(source: LocalTimestampSource(f.state.authority!)).buildRequest(digest: .sha256, hash: [UInt8](repeating: 7, count: 32), nonce: [1, 2])
            try await client.execute(uri: "/v1/timestamp", method: .post, headers: [.contentType: "application/timestamp-query"], body: ByteBuffer(bytes: request)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/timestamp-reply")
                let status = try TimestampResponseStatus.parse(Array(response.body.readableBytesView))
                #expect(status.status == 0)
            }
        }
    }

    @Test("API keys: verification needs one when configured; reload needs an admin key")
    func access() async throws {
        let f = try await Fixture(apiKeys: ["district-key"], adminKeys: ["admin-key"])
        defer { f.folder.cleanup() }
        try await f.app.test(.router) { client in
            let (body, headers) = f.multipart([("signature", f.signature, nil), ("document", sampleDocument, nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { #expect($0.status == .unauthorized) }
            var keyed = headers
            keyed[.authorization] = "Bearer district-key"
            try await client.execute(uri: "/v1/verify", method: .post, headers: keyed, body: body) { #expect($0.status == .ok) }
            keyed[.authorization] = "Bearer wrong"
            try await client.execute(uri: "/v1/verify", method: .post, headers: keyed, body: body) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/admin/reload", method: .post, headers: [.authorization: "Bearer district-key"]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/admin/reload", method: .post, headers: [.authorization: "Bearer admin-key"]) { #expect($0.status == .ok) }
        }
    }

    @Test("reload: a policy with a typo is refused whole, the previous catalogue stays and the answer says why")
    func reloadKeepsPreviousCatalogue() async throws {
        let policies = try TemporaryFolder()
        defer { policies.cleanup() }
        let source = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent("ru-63fz-qualified.yaml"), encoding: .utf8)
        _ = try policies.write("ru-63fz-qualified.yaml", Array(source.utf8))
        let f = try await Fixture(adminKeys: ["admin-key"], policies: policies.path)
        defer { f.folder.cleanup() }
        let admin: HTTPFields = [.authorization: "Bearer admin-key"]
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/v1/admin/reload", method: .post, headers: admin) { #expect($0.status == .ok) }
            let broken = source.replacingOccurrences(of: "require: always", with: "require: alway")
            #expect(broken != source)
            _ = try policies.write("ru-63fz-qualified.yaml", Array(broken.utf8))
            try await client.execute(uri: "/v1/admin/reload", method: .post, headers: admin) { response in
                #expect(response.status == .conflict)
                let detail = Self.object(response.body)["detail"] as? String ?? ""
                #expect(detail.contains("alway") && detail.contains("always"), "\(detail)")
                #expect(detail.contains("ru-63fz-qualified.yaml:"), "the line and column: \(detail)")
            }
            // The policy as it was before still answers, with its rule as written then.
            try await client.execute(uri: "/v1/policies/ru-63fz-qualified", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"always\""))
            }
        }
        // A fresh start with the broken file refuses to serve rather than serve a weaker policy.
        var configuration = f.state.configuration
        configuration.policies = policies.path
        #expect(throws: PodpisError.self) { _ = try ServiceState(configuration: configuration, journal: f.state.journal) }
    }

    @Test("the OpenAPI document matches the routes and the report's JSON")
    func openAPI() throws {
        let root = try #require(try Yams.load(yaml: OpenAPI.document) as? [String: Any])
        #expect(root["openapi"] as? String == "3.1.0")
        let paths = try #require(root["paths"] as? [String: [String: Any]])
        let documented = Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } })
        let routed = Set(HTTPService.routes.map { "\($0.method) \($0.path)" })
        #expect(documented == routed, "only documented: \(documented.subtracting(routed)); only routed: \(routed.subtracting(documented))")
        // Every key the report encodes is in the schema, and every required one is present.
        let schemas = try #require((root["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let evidence = try Repository.evidence("gost-qualified-t")
        let report = PolicyEngine().judge(evidence, policy: BuiltinPolicies.default)
        let json = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder.podpis().encode(report)) as? [String: Any])
        func properties(_ name: String) -> Set<String> { Set((((schemas[name] as? [String: Any])?["properties"]) as? [String: Any] ?? [:]).keys) }
        func required(_ name: String) -> Set<String> { Set(((schemas[name] as? [String: Any])?["required"] as? [String]) ?? []) }
        // Every encoded key is documented; every required one is encoded; optional keys (a counter-signature, a
        // bare timestamp's list, a legacy profile) appear only when there is something to say.
        func conforms(_ object: [String: Any], _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let keys = Set(object.keys)
            #expect(keys.isSubset(of: properties(name)), "\(name): undocumented \(keys.subtracting(properties(name)))", sourceLocation: sourceLocation)
            #expect(required(name).isSubset(of: keys), "\(name): missing \(required(name).subtracting(keys))", sourceLocation: sourceLocation)
        }
        conforms(json, "Report")
        let signature = try #require((json["signatures"] as? [[String: Any]])?.first)
        conforms(signature, "Signature")
        #expect(Set((signature["signer"] as? [String: Any] ?? [:]).keys) == properties("Signer"))
        // Each check is documented, and every documented key appears (`messageArgs` only on a message with values).
        let checks = (signature["checks"] as? [[String: Any]]) ?? []
        for check in checks { conforms(check, "CheckResult") }
        #expect(Set(checks.flatMap(\.keys)) == properties("CheckResult"))
        conforms((signature["timestamps"] as? [[String: Any]])?.first ?? [:], "Timestamp")
        // The always-present keys stay as the contract lists them.
        #expect(Set(["indication", "subIndication", "validationTime", "document", "policy", "signatures"]).isSubset(of: Set(json.keys)))
        #expect(Set(["type", "genTime", "tsa", "indication", "subIndication"]).isSubset(of: Set(((signature["timestamps"] as? [[String: Any]])?.first ?? [:]).keys)))
    }

    @Test("the journal: intact after a run, and an edited row is found")
    func journalTamper() async throws {
        let f = try await Fixture()
        defer { f.folder.cleanup() }
        try await f.app.test(.router) { client in
            for _ in 0..<3 {
                let (body, headers) = f.multipart([("signature", f.signature, nil), ("document", sampleDocument, nil)])
                try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { #expect($0.status == .ok) }
            }
        }
        try await f.state.journal.close()
        let audit = try await auditJournal("sqlite:" + f.journalPath)
        #expect(audit.intact, "\(audit.findings)")
        #expect(audit.chain.entries == 3)
        let exported = try CLI.run(["audit", "export", "--database", "sqlite:" + f.journalPath, "--format", "jsonl"])
        #expect(exported.stdout.split(separator: "\n").count == 3)
        // An intruder turns a failure into a success in entry 2.
        let journal = try SQLiteJournal(path: f.journalPath)
        try await journal.execute("UPDATE journal SET indication = 'TOTAL-PASSED', sub_indication = NULL WHERE seq = 2")
        try await journal.execute("UPDATE journal SET policy_version = 'forged' WHERE seq = 2")
        try await journal.close()
        let broken = try await auditJournal("sqlite:" + f.journalPath)
        #expect(!broken.intact)
        #expect(broken.chain.firstBroken?.seq == 2, "\(String(describing: broken.chain.firstBroken))")
    }
}
