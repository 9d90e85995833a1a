import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// Real network on loopback, no mocks: the built-in TSA and the demo PKI's OCSP/CRL server run as `podpis`
/// processes; an independent TSA runs as `openssl ts -reply` behind Python's http.server.
@Suite("Network: TSA, OCSP and CRLs on loopback", .serialized)
struct NetworkTests {
    /// A demo PKI whose certificates point at a port chosen now, and its revocation server.
    final class Fixture: @unchecked Sendable {
        let folder: TemporaryFolder
        let layout: DemoPKI.Layout
        let pki: BackgroundServer
        let tsa: BackgroundServer

        init() throws {
            folder = try TemporaryFolder()
            let port = BackgroundServer.freePort()
            layout = try DemoPKI.create(in: folder.file("pki"), baseURL: "http://127.0.0.1:\(port)")
            pki = try BackgroundServer(CLI.binary, ["pki", "serve", layout.directory, "--port", "\(port)"])
            tsa = try BackgroundServer(CLI.binary, ["tsa", "serve", "--key", layout.path("tsa.key"), "--cert", layout.path("tsa.pem"),
                                                    "--chain", layout.path("rsa-chain.pem"), "--port", "0"])
        }

        /// Signs `document` in process with `who`'s demo key into `output` (default `DOCUMENT.sig`), timestamped by
        /// the TSA at `tsa` when given: what `podpis sign [--tsa URL]` writes.
        @discardableResult
        func sign(_ document: String, _ who: String = "rsa", tsa: String? = nil, output: String? = nil) throws -> [UInt8] {
            let (identity, options) = try layout.signing(who)
            var signature = try Signer.sign(.file(document), identity: identity, options: options)
            if let tsa {
                signature = try Timestamper.addSignatureTimestamps(to: signature, subject: nil,
                                                                   client: TimestampClient(source: HTTPTimestampSource(url: tsa))).bytes
            }
            try FileInput.writeAtomically(signature, to: output ?? document + ".sig")
            return signature
        }

        func signArguments(_ who: String) -> [String] {
            ["--key", layout.path("official-\(who).key"), "--cert", layout.path("official-\(who).pem"), "--chain", layout.path("\(who)-chain.pem")]
        }

        deinit {
            pki.stop()
            tsa.stop()
            folder.cleanup()
        }
    }

    @Test("sign --tsa makes CAdES-T through the built-in TSA; verify fetches OCSP and CRLs online", .needsGOST, arguments: ["rsa", "gost"])
    func signTimestampVerifyOnline(_ who: String) throws {
        let f = try Fixture()
        let document = try f.folder.write("order.txt", sampleDocument)
        let signed = try CLI.run(["sign", document, "--tsa", f.tsa.url] + f.signArguments(who))
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stderr.contains("CAdES-T"))
        var options = VerifyOptions(trust: [f.layout.trustDirectory])
        let (evidence, verified) = try options.verify(document)
        #expect(verified.indication == .totalPassed, "\(verified.signatures.map(\.reason))")
        #expect(verified.signatures.map(\.format) == ["CAdES-BASELINE-T"])
        #expect(evidence.signers[0].chains[0].path[0].revocation.source == .ocsp)
        #expect(evidence.revocationSources.contains { $0.origin == .fetched && $0.kind == .ocsp })
        #expect(evidence.revocationSources.contains { $0.origin == .fetched && $0.kind == .crl })
        // Offline, nothing is fetched: the CAs publish revocation data, so the verdict cannot be confirmed.
        options.offline = true
        let (_, offline) = try options.verify(document)
        #expect(offline.indication == .indeterminate)
        #expect(offline.subIndication == .tryLater, "\(offline.signatures.map(\.reason))")
    }

    @Test("a certificate revoked at the responder: REVOKED_NO_POE without a timestamp, passes when the timestamp came first")
    func revocationOnline() throws {
        let f = try Fixture()
        let document = try f.folder.write("order.txt", sampleDocument)
        let plain = f.folder.file("plain.sig")
        try f.sign(document, output: plain)
        let stamped = f.folder.file("stamped.sig")
        try f.sign(document, tsa: f.tsa.url, output: stamped)
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try CLI.run(["pki", "revoke", f.layout.directory, f.layout.path("official-rsa.pem")]).status == 0)
        let options = VerifyOptions(trust: [f.layout.trustDirectory])
        let (_, unproven) = try options.verify(document, signature: plain)
        #expect(unproven.indication == .indeterminate)
        #expect(unproven.subIndication == .revokedNoPOE, "\(unproven.signatures.map(\.reason))")
        let (_, proven) = try options.verify(document, signature: stamped)
        #expect(proven.indication == .totalPassed, "\(proven.signatures.map(\.reason))")
    }

    @Test("LT made online verifies offline twelve years later", .needsGOST)
    func longTerm() throws {
        let f = try Fixture()
        let document = try f.folder.write("order.txt", sampleDocument)
        let signed = try CLI.run(["sign", document, "--tsa", f.tsa.url, "--level", "LT", "--trust", f.layout.trustDirectory] + f.signArguments("gost"))
        #expect(signed.status == 0, "\(signed.stderr)")
        let inspected = try CLI.run(["inspect", document + ".sig"])
        #expect(inspected.stdout.contains("CAdES-LT"))
        f.pki.stop()
        f.tsa.stop()
        let later = Date().addingTimeInterval(12 * 365 * 86_400)
        let (_, verified) = try VerifyOptions(trust: [f.layout.trustDirectory], offline: true, at: later)
            .verify(document)
        #expect(verified.indication == .totalPassed, "\(verified.signatures.map(\.reason))")
        #expect(verified.signatures.map(\.format) == ["CAdES-BASELINE-LT"])
        // `extend` takes a CAdES-T to LT too.
        let t = f.folder.file("t.sig")
        let restarted = try BackgroundServer(CLI.binary, ["tsa", "serve", "--key", f.layout.path("tsa.key"), "--cert", f.layout.path("tsa.pem"), "--port", "0"])
        defer { restarted.stop() }
        try f.sign(document, tsa: restarted.url, output: t)
        let crls = ["rsa-ca", "rsa-root"].flatMap { ["--crl", f.layout.path("\($0).crl")] }
        let extended = try CLI.run(["extend", t, "--level", "LT", "--trust", f.layout.trustDirectory, "--offline"] + crls)
        #expect(extended.status == 0, "\(extended.stderr)")
        #expect(try CLI.run(["inspect", t]).stdout.contains("CAdES-LT"))
    }

    @Test("TSA down: a clear error, exit 69, and the signature file is left untouched")
    func tsaDown() throws {
        let f = try Fixture()
        let document = try f.folder.write("order.txt", sampleDocument)
        let down = "http://127.0.0.1:\(BackgroundServer.freePort())/"
        let signed = try CLI.run(["sign", document, "--tsa", down] + f.signArguments("rsa"))
        #expect(signed.status == 69)
        #expect(signed.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: document + ".sig"))
        let before = try f.sign(document)
        let stamped = try CLI.run(["timestamp", document + ".sig", "--tsa", down])
        #expect(stamped.status == 69)
        #expect(try FileInput.readSmallFile(path: document + ".sig", limit: 1 << 20) == before)
    }

    @Test("an independent TSA (openssl ts -reply) is accepted; wrong imprint, wrong nonce, HTTP errors and rejections are refused",
          arguments: ["valid", "wrong-imprint", "wrong-nonce", "http-error", "rejection"])
    func peerTSA(_ mode: String) throws {
        let f = try Fixture()
        let peerFolder = try TemporaryFolder()
        defer { peerFolder.cleanup() }
        let peer = try PeerTSA.start(mode: mode, folder: peerFolder, tsaKey: f.layout.path("tsa.key"), tsaCert: f.layout.path("tsa.pem"),
                                     chain: f.layout.path("rsa-chain.pem"))
        defer { peer.stop() }
        let document = try f.folder.write("order.txt", sampleDocument)
        let before = try f.sign(document)
        let result = try CLI.run(["timestamp", document + ".sig", "--tsa", peer.url])
        if mode == "valid" {
            #expect(result.status == 0, "valid: \(result.stderr)")
            let (_, verified) = try VerifyOptions(trust: [f.layout.trustDirectory]).verify(document)
            #expect(verified.indication == .totalPassed, "\(verified.signatures.map(\.reason))")
            #expect(verified.signatures.map(\.format) == ["CAdES-BASELINE-T"])
        } else {
            #expect(result.status == 69, "\(mode): \(result.stderr)")
            let expected = ["wrong-imprint": "imprint", "wrong-nonce": "nonce", "http-error": "HTTP 500", "rejection": "refused"][mode]!
            #expect(result.stderr.contains(expected), "\(mode): \(result.stderr)")
            #expect(try FileInput.readSmallFile(path: document + ".sig", limit: 1 << 20) == before)
        }
    }

    @Test("the TSA survives a burst of concurrent requests and gives unique serials")
    func tsaBurst() async throws {
        let f = try Fixture()
        let client = TimestampClient(source: HTTPTimestampSource(url: f.tsa.url))
        let serials = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let token = try client.token(over: Array("request \(index)".utf8), digest: .sha256)
                    return try TimestampToken.parse(token).serial
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(serials.count == 64)
        #expect(Set(serials).count == 64)
        // Malformed DER gets a TSP rejection, and a wrong content type gets 415 problem+json.
        let garbage = try HTTPFetcher.post(f.tsa.url, body: Array("garbage".utf8), contentType: "application/timestamp-query")
        #expect(garbage.status == 200)
        #expect(try TimestampResponseStatus.parse(garbage.body).failureInfo.contains("badDataFormat"))
        let wrongType = try HTTPFetcher.post(f.tsa.url, body: [1], contentType: "text/plain")
        #expect(wrongType.status == 415)
        #expect(wrongType.contentType == "application/problem+json")
    }
}
