import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// Issue #14, item 2: revocation data is fetched only for certificates on a path to a configured trust anchor,
/// within a per-verification budget, on an executor of its own, and (in the service) only from allowed
/// destinations; what was not fetched is said in the report.
@Suite("Fetch safety", .serialized)
struct FetchSafetyTests {
    /// A PKI whose signer certificate points its OCSP responder and CRL distribution points at `urls`.
    struct FetchingPKI {
        let folder: TemporaryFolder
        let trust: String
        let document: String
        let signature: String
        /// A signature whose certificates advertise nothing (verifies without any fetch).
        let quietSignature: String

        init(urls: [String], trusted: Bool = true) throws {
            folder = try TemporaryFolder()
            let root = try PKIProfiles.root(name: "Fetch test root", key: .ec(curve: "P-256"))
            let ca = try PKIProfiles.intermediate(name: "Fetch test CA", key: .ec(curve: "P-256"), issuer: root)
            let now = Date()
            let template = CertificateTemplate(
                subject: PKIProfiles.officialSubject(), notBefore: now.addingTimeInterval(-86_400), notAfter: now.addingTimeInterval(300 * 86_400),
                keyUsage: ["digitalSignature", "nonRepudiation"], crlDistributionPoints: Array(urls.dropFirst()), ocspURL: urls.first)
            let key = try PrivateKey.generate(.ec(curve: "P-256"))
            let certificate = try PKIBuilder.issue(template, subjectKey: key, issuer: (ca.certificate, ca.key))
            let quiet = try PKIProfiles.signer(key: .ec(curve: "P-256"), issuer: ca)
            // Trusted: the root is the anchor. Untrusted: the anchor is another root, so the chain reaches nothing.
            let anchor = trusted ? root.certificate : try PKIProfiles.root(name: "Some other root", key: .ec(curve: "P-256")).certificate
            trust = try folder.write("trust.pem", try CertificateFiles.pem([anchor]))
            document = try folder.write("order.txt", sampleDocument)
            signature = try folder.write("order.txt.sig", try Signer.sign(
                .bytes(sampleDocument), identity: SigningIdentity(key: key, certificate: certificate), options: SignatureOptions(chain: [ca.certificate])))
            quietSignature = try folder.write("quiet.sig", try Signer.sign(.bytes(sampleDocument), identity: quiet.identity,
                                                                           options: SignatureOptions(chain: [ca.certificate])))
        }

        func serve(_ extra: [String] = [], environment: [String: String] = [:]) throws -> BackgroundServer {
            try BackgroundServer(CLI.binary, ["serve", "--port", "0", "--database", "sqlite:" + folder.file("journal.sqlite"), "--trust", trust,
                                              "--policies", Repository.policies, "--certs", Repository.certs] + extra, environment: environment)
        }

        /// Posts the signature (or `signature`) with the document; returns status and body.
        func verify(_ server: BackgroundServer, signature: String? = nil, maxTime: Int = 40) throws -> (status: String, body: String) {
            let body = folder.file("answer-\(UUID().uuidString).json")
            let result = try runTool("curl", ["-sS", "--max-time", "\(maxTime)", "-o", body, "-w", "%{http_code}",
                                              "-F", "document=@\(document)", "-F", "signature=@\(signature ?? self.signature)", "\(server.url)/v1/verify"])
            return (result.stdout, (try? String(contentsOfFile: body, encoding: .utf8)) ?? result.stderr)
        }
    }

    static func tenURLs(_ hole: BlackHole) -> [String] {
        [hole.url + "/ocsp"] + (1...9).map { hole.url + "/crl/\($0).crl" }
    }

    @Test("a chain that reaches no trust anchor is never fetched for, even with its addresses allowed")
    func untrustedNotFetched() throws {
        let hole = try BlackHole()
        defer { hole.stop() }
        let pki = try FetchingPKI(urls: Self.tenURLs(hole), trusted: false)
        defer { pki.folder.cleanup() }
        let server = try pki.serve(["--fetch-allow", "127.0.0.1"])
        defer { server.stop() }
        let (status, body) = try pki.verify(server)
        #expect(status == "200", "\(body.prefix(500))")
        #expect(body.contains("NO_CERTIFICATE_CHAIN_FOUND"), "\(body.prefix(500))")
        #expect(hole.connections == 0, "the service connected \(hole.connections) times on behalf of an untrusted certificate")
    }

    @Test("per verification at most 4 addresses and 5 s of fetching; what was not fetched is said (TRY_LATER with the reason)")
    func budget() throws {
        let hole = try BlackHole()
        defer { hole.stop() }
        let pki = try FetchingPKI(urls: Self.tenURLs(hole))
        defer { pki.folder.cleanup() }
        let server = try pki.serve(["--fetch-allow", "127.0.0.1"])
        defer { server.stop() }
        let started = Date()
        let (status, body) = try pki.verify(server)
        let elapsed = Date().timeIntervalSince(started)
        #expect(status == "200", "\(body.prefix(500))")
        #expect(body.contains("\"subIndication\":\"TRY_LATER\""), "\(body.prefix(800))")
        #expect(body.contains("not fetched"), "\(body.prefix(2000))")
        #expect((1...4).contains(hole.connections), "\(hole.connections) connections")
        print("ten unanswered addresses: \(hole.connections) connections, answered in \(String(format: "%.1f", elapsed)) s")
    }

    @Test("what was not fetched is evidence as data (address, error key, values) and reads in Russian; its English line is unchanged")
    func failuresAsData() throws {
        let hole = try BlackHole()
        defer { hole.stop() }
        let pki = try FetchingPKI(urls: Self.tenURLs(hole))
        defer { pki.folder.cleanup() }
        var job = VerificationInput(
            signature: try FileInput.readSmallFile(path: pki.signature, limit: 1 << 20), signatureName: "order.txt.sig",
            document: .bytes(name: "order.txt", sampleDocument),
            trust: TrustStore(anchors: try X509Certificate.parseAll(try FileInput.readSmallFile(path: pki.trust, limit: 1 << 20))),
            revocation: RevocationPolicy().forOneVerification())
        job.options.language = .ru
        let (evidence, report) = try Verifier.verify(job)
        let revocation = try #require(evidence.signers.first?.chains.first?.path.first?.revocation)
        let failures = try #require(revocation.fetchFailures, "\(revocation.problems)")
        #expect(!failures.isEmpty && failures.allSatisfy { revocation.problems.contains($0.problem) })
        #expect(failures.allSatisfy { $0.url.hasPrefix(hole.url) && $0.reasonKey != nil }, "\(failures)")
        let budget = try #require(failures.first { $0.reasonKey == ErrorMessage.fetchBudgetSpent.rawValue || $0.reasonKey == ErrorMessage.fetchAddressLimit.rawValue },
                                  "\(failures)")
        #expect(budget.problem.contains(": not fetched: "))
        let check = report.signatures.first?.checks.first { $0.id == "revocation" }
        #expect(check?.subIndication == .tryLater)
        #expect(check?.message.contains("не запрашивалось") == true && check?.message.contains("not fetched") == false, "\(check?.message ?? "-")")
    }

    @Test("by default loopback, link-local and private destinations are refused, with the reason in the report; --fetch-allow narrows further")
    func denyList() throws {
        let hole = try BlackHole()
        defer { hole.stop() }
        let pki = try FetchingPKI(urls: [hole.url + "/ocsp", "http://169.254.169.254/latest/meta-data/"])
        defer { pki.folder.cleanup() }
        let server = try pki.serve()
        let (status, body) = try pki.verify(server)
        server.stop()
        #expect(status == "200")
        #expect(body.contains("TRY_LATER") && body.contains("127.0.0.1 is a loopback, link-local, private or reserved address"), "\(body.prefix(2000))")
        #expect(body.contains("169.254.169.254"), "\(body.prefix(2000))")
        #expect(hole.connections == 0)
        // An allow list that does not include loopback: refused as «not in the list».
        let narrowed = try pki.serve(["--fetch-allow", "10.0.0.0/8", "--fetch-allow", "crl.example.org"])
        defer { narrowed.stop() }
        let (_, narrowBody) = try pki.verify(narrowed)
        #expect(narrowBody.contains("not in the service's fetch-allow list"), "\(narrowBody.prefix(2000))")
        #expect(hole.connections == 0)
        // A bad entry is a configuration error at start.
        let bad = try CLI.run(["serve", "--port", "0", "--fetch-allow", "10.0.0.0/99", "--database", "sqlite:" + pki.folder.file("j2.sqlite")])
        #expect(bad.status == 78, "\(bad.stderr)")
    }

    @Test("responders that never answer hold no verification thread: a normal request is answered while they wait")
    func noStall() throws {
        let hole = try BlackHole()
        defer { hole.stop() }
        let pki = try FetchingPKI(urls: Self.tenURLs(hole))
        defer { pki.folder.cleanup() }
        let server = try pki.serve(["--fetch-allow", "127.0.0.1"])
        defer { server.stop() }
        let finished = LockedBox<[String]>([])
        let group = DispatchGroup()
        for index in 0..<4 {
            group.enter()
            Thread {
                _ = try? pki.verify(server)
                finished.withLock { $0.append("slow-\(index)") }
                group.leave()
            }.start()
        }
        Thread.sleep(forTimeInterval: 1)
        let (status, body) = try pki.verify(server, signature: pki.quietSignature)
        finished.withLock { $0.append("normal") }
        group.wait()
        #expect(status == "200", "\(body.prefix(300))")
        #expect(finished.value.first == "normal", "order of completion: \(finished.value)")
    }

    @Test("a verification waiting for its fetches still holds its verification slot: the next one gets 429 too-many-requests with Retry-After")
    func verificationSlot() throws {
        let hole = try BlackHole()
        defer { hole.stop() }
        let pki = try FetchingPKI(urls: Self.tenURLs(hole))
        defer { pki.folder.cleanup() }
        let server = try pki.serve(["--fetch-allow", "127.0.0.1", "--max-concurrent", "1"])
        defer { server.stop() }
        let slow = Thread { _ = try? pki.verify(server) }
        slow.start()
        Thread.sleep(forTimeInterval: 1.5)
        let headers = pki.folder.file("h.txt")
        let refused = try runTool("curl", ["-sS", "-D", headers, "-o", "/dev/null", "-w", "%{http_code}", "-F", "document=@\(pki.document)",
                                           "-F", "signature=@\(pki.quietSignature)", "\(server.url)/v1/verify"])
        #expect(refused.stdout == "429")
        let text = (try? String(contentsOfFile: headers, encoding: .utf8)) ?? ""
        #expect(text.lowercased().contains("retry-after:"), "\(text)")
    }

    @Test("CLI: the trust-anchor rule and the budget apply (the deny-list does not)")
    func cliBudget() throws {
        let hole = try BlackHole()
        defer { hole.stop() }
        let pki = try FetchingPKI(urls: Self.tenURLs(hole))
        defer { pki.folder.cleanup() }
        let result = try CLI.run(["verify", pki.document, pki.signature, "--trust", pki.trust, "--json"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.contains("TRY_LATER") && result.stdout.contains("not fetched"), "\(result.stdout.prefix(2000))")
        #expect((1...4).contains(hole.connections), "\(hole.connections)")
        let untrusted = try FetchingPKI(urls: Self.tenURLs(hole), trusted: false)
        defer { untrusted.folder.cleanup() }
        let before = hole.connections
        let other = try CLI.run(["verify", untrusted.document, untrusted.signature, "--trust", untrusted.trust, "--json"])
        #expect(other.stdout.contains("NO_CERTIFICATE_CHAIN_FOUND"), "\(other.stdout.prefix(500))")
        #expect(hole.connections == before)
    }

}
