import EvidenceModel
import Foundation
import PodpisContainer
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// Signatures made by other systems (EU DSS, SiVa), read from `../shared/testdata/real-world` beside the project.
/// The folder is not part of the project; without it this suite skips itself.
enum RealWorld {
    static let folder: String = {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("../shared/testdata/real-world").standardized.path
    }()
    static var available: Bool { FileManager.default.fileExists(atPath: folder) }

    static func path(_ relative: String) -> String { (folder as NSString).appendingPathComponent(relative) }

    static func allFiles() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path(name), isDirectory: &isDirectory)
            return exists && !isDirectory.boolValue && !name.hasSuffix("README.md")
        }.sorted()
    }

    static func judge(_ relative: String, document: [UInt8]? = nil, certificates: [X509Certificate] = [], trust: [X509Certificate] = []) throws -> (Evidence, Report) {
        let job = VerificationInput(
            signature: try FileInput.readSmallFile(path: path(relative), limit: 64 << 20), signatureName: relative,
            document: document.map { .bytes(name: "document", $0) }, trust: TrustStore(anchors: trust), certificates: certificates)
        return try Verifier.verify(job)
    }
}

@Suite("Real-world signatures (EU DSS, SiVa)", .enabled(if: RealWorld.available, "../shared/testdata/real-world is absent: skipped"))
struct RealWorldTests {
    @Test("every file: verify and inspect end with a contract exit code and at most one error line")
    func everyFileIsHandled() throws {
        let files = RealWorld.allFiles()
        #expect(files.count > 100)
        let allowed: Set<Int32> = [0, 1, 2, 65]
        // Each file is checked in its own podpis processes; four run at a time (process start-up dominates, and
        // under the sanitizers it is slow). Findings are gathered, then asserted on the test's own task.
        let problems = LockedBox<[String]>([])
        let next = LockedBox(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            while true {
                let index = next.withLock { value -> Int in defer { value += 1 }; return value }
                guard index < files.count else { return }
                let file = files[index]
                let path = RealWorld.path(file)
                // As a detached signature over some document, and alone (attached) where the name says signature.
                var runs = [["verify", RealWorld.path("README.md"), path, "--offline"]]
                if SignatureLookup.signatureExtensions.contains((file as NSString).pathExtension.lowercased()) {
                    runs.append(["verify", path, "--offline"])
                }
                var found: [String] = []
                do {
                    for arguments in runs {
                        let verify = try CLI.run(arguments, timeout: 120)
                        if !allowed.contains(verify.status) { found.append("verify \(file): exit \(verify.status) \(verify.stderr)") }
                        if verify.stderr.split(separator: "\n").count > 1 { found.append("verify \(file): more than one error line: \(verify.stderr)") }
                    }
                    let inspect = try CLI.run(["inspect", path], timeout: 120)
                    if ![0, 65].contains(inspect.status) { found.append("inspect \(file): exit \(inspect.status) \(inspect.stderr)") }
                } catch {
                    found.append("\(file): \(error)")
                }
                if !found.isEmpty { problems.withLock { $0 += found } }
            }
        }
        let all = problems.value
        #expect(all.isEmpty, "\(all.count) problems:\n\(all.joined(separator: "\n"))")
    }

    @Test("DSS: detached with Hello World is intact; with Bye World HASH_FAILURE; without document SIGNED_DATA_NOT_FOUND")
    func dss2011Detached() throws {
        let (good, _) = try RealWorld.judge("dss-cades/dss-2011/cades-detached.pkcs7", document: Array("Hello World".utf8))
        #expect(good.signers[0].messageDigest.outcome == .valid)
        #expect(good.signers[0].signatureValue.outcome == .valid)
        #expect(good.signers[0].level == .b)
        let (_, bye) = try RealWorld.judge("dss-cades/dss-2011/cades-detached.pkcs7", document: Array("Bye World".utf8))
        #expect(bye.indication == .totalFailed)
        #expect(bye.subIndication == .hashFailure)
        let (_, none) = try RealWorld.judge("dss-cades/dss-2011/cades-detached.pkcs7")
        #expect(none.indication == .indeterminate)
        #expect(none.subIndication == .signedDataNotFound)
    }

    @Test("DSS and ETSI plug-test LTA files: every archive-time-stamp-v3 imprint recomputes (both hash-index forms); a copied one without its index does not")
    func archiveTimestampsInterop() throws {
        // Attached signatures: the content is inside, so each imprint is fully recomputed.
        // Signature-C-B-LTA-10 carries an archive-time-stamp-v2 (TS 101 733) beside its v3: both recompute.
        let good = ["dss-cades/Signature-C-B-LTA-10.p7m": 2, "dss-cades/CAdESDoubleLTA.p7m": 2,
                    "dss-cades/cades_signeddata_extended_after_lta.p7m": 2, "dss-cades/cades-lta-duplicated-atst.p7m": 2]
        for (file, count) in good {
            let (evidence, _) = try RealWorld.judge(file)
            let archives = evidence.signers.flatMap(\.timestamps).filter { $0.type == .archive }
            #expect(archives.count == count, "\(file)")
            #expect(archives.allSatisfy { $0.imprint.outcome == .valid }, "\(file): \(archives.map { $0.imprint.detail ?? "" })")
            #expect(archives.allSatisfy { $0.covers?.isEmpty == false }, "\(file): every archive timestamp covers the signature timestamp")
        }
        // An archive timestamp copied from another signature (DSS expects it to fail).
        let (copied, _) = try RealWorld.judge("dss-cades/cades-lta-copied-atst.p7m")
        #expect(copied.signers.flatMap(\.timestamps).filter { $0.type == .archive }.allSatisfy { $0.imprint.outcome == .invalid })
        // A certificate the archive timestamp covers was swapped afterwards.
        let (wrongCert, _) = try RealWorld.judge("dss-cades/cades-ats-v3-wrong-cert.p7m")
        #expect(wrongCert.signers.flatMap(\.timestamps).first { $0.type == .archive }?.imprint.outcome == .invalid)
    }

    @Test("DSS: enveloping is intact; the broken one is a HASH_FAILURE")
    func dss2011Enveloping() throws {
        let (good, _) = try RealWorld.judge("dss-cades/dss-2011/cades-enveloping.pkcs7")
        #expect(good.signers[0].messageDigest.outcome == .valid)
        #expect(good.signers[0].signatureValue.outcome == .valid)
        #expect(good.signers[0].level == .b)
        let (_, broken) = try RealWorld.judge("dss-cades/dss-2011/cades-enveloping-broken.pkcs7")
        #expect(broken.indication == .totalFailed)
        #expect(broken.subIndication == .hashFailure)
    }

    @Test("DSS: no signing certificate → NO_SIGNING_CERTIFICATE_FOUND")
    func noSignCert() throws {
        let (_, report) = try RealWorld.judge("dss-cades/cms-no-sign-cert.p7m")
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .noSigningCertificateFound)
    }

    @Test("DSS: no-key-info-cert with signCert as an extra certificate → NO_CERTIFICATE_CHAIN_FOUND; as trust anchor → passes the chain")
    func noKeyInfoCert() throws {
        let signCert = try X509Certificate.parseAll(FileInput.readSmallFile(path: RealWorld.path("dss-cades/signCert.cer"), limit: 1 << 20))
        let (_, extra) = try RealWorld.judge("dss-cades/no-key-info-cert.pkcs7", certificates: signCert)
        #expect(extra.indication == .indeterminate)
        #expect(extra.subIndication == .noCertificateChainFound)
        let (evidence, anchored) = try RealWorld.judge("dss-cades/no-key-info-cert.pkcs7", trust: signCert)
        #expect(evidence.signers[0].chains.first?.reachesTrustAnchor == true)
        #expect(anchored.signatures[0].checks.first { $0.id == "chain" }?.status == .passed)
    }

    @Test("DSS: double signing-time: the main signer is CAdES-B and intact (its counter-signature is recorded)")
    func doubleSigningTime() throws {
        let (evidence, _) = try RealWorld.judge("dss-cades/cades-double-signing-time.p7m")
        #expect(evidence.signers[0].level == .b)
        #expect(evidence.signers[0].messageDigest.outcome == .valid)
        #expect(evidence.signers[0].signatureValue.outcome == .valid)
        #expect(evidence.signers[0].unsignedAttributes.contains("1.2.840.113549.1.9.6"))
    }

    @Test("SiVa ASiC-S with RFC 3161 timestamp tokens (and DSS's ASiC-E ones): the verdict the file name states (no trust anchor for the Estonian TSA: a valid token is INDETERMINATE, never FAILED)",
          arguments: ["siva-asics-tst/1xTST-valid-bdoc-data-file-hash-failure-in-tst.asics", "siva-asics-tst/1xTST-valid-bdoc-data-file-invalid-signature-in-tst.asics",
                      "siva-asics-tst/1xTST-valid-bdoc-data-file.asics", "siva-asics-tst/2xTST-text-data-file-1st-tst-invalid-2nd-tst-no-coverage.asics",
                      "siva-asics-tst/2xTST-text-data-file-expired-tst-and-valid-tst.asics", "siva-asics-tst/2xTST-valid-bdoc-data-file.asics",
                      "siva-asics-tst/3xTST-text-data-file.asics", "siva-asics-tst/testtimestamp.asics", "siva-asics-tst/timestamptoken-datafile-changed.asics",
                      "siva-asics-tst/timestamptoken-ddoc.asics", "siva-asics-tst/timestamptoken-invalid.asics", "siva-asics-tst/timestamptoken-two-data-files.asics",
                      "dss-asic-cades/tstNoMimeType.asice", "dss-asic-cades/tstWithEmptyCertSource.asice"])
    func timestampContainers(_ file: String) throws {
        let evidence: Evidence
        do {
            evidence = try ASiCContainer(path: RealWorld.path(file)).collectEvidence(ASiCContainer.VerificationSettings(trust: TrustStore(anchors: [])))
        } catch let error as PodpisError {
            // An unreadable token entry: refused as a format error, which is what «invalid» means here.
            #expect(file.hasSuffix("timestamptoken-invalid.asics"), "\(file): \(error.message)")
            return
        }
        let report = PolicyEngine().judge(evidence, policy: BuiltinPolicies.default)
        let name = (file as NSString).lastPathComponent
        if name.contains("hash-failure") || name.contains("datafile-changed") {
            #expect(report.indication == .totalFailed && report.subIndication == .hashFailure, "\(file): \(report.indication) \(String(describing: report.subIndication))")
        } else if name.contains("invalid-signature") {
            #expect(report.indication == .totalFailed && report.subIndication == .sigCryptoFailure, "\(file)")
        } else if name.contains("1st-tst-invalid") || name.contains("timestamptoken-invalid") || name.contains("two-data-files") {
            #expect(report.indication == .totalFailed, "\(file): \(report.indication)")
        } else if name.contains("EmptyCertSource") {
            #expect(report.indication == .indeterminate && report.subIndication == .noSigningCertificateFound, "\(file)")
        } else {
            #expect(report.indication == .indeterminate, "\(file): \(report.indication)")
            #expect(report.subIndication == .noCertificateChainFound, "\(file)")
            let stamps = evidence.timestamps ?? []
            #expect(!stamps.isEmpty && stamps.allSatisfy { $0.imprint.outcome == .valid && $0.signatureValue.outcome == .valid }, "\(file)")
        }
        #expect(report.signatures.isEmpty)
        #expect(report.timestamps?.isEmpty == false || name.contains("invalid"), "\(file)")
    }

    @Test("d-trust.tsr, a bare RFC 3161 token of a German qualified TSA: reported as a timestamp (no signatures), alone INDETERMINATE/SIGNED_DATA_NOT_FOUND")
    func standaloneToken() throws {
        let (evidence, report) = try RealWorld.judge("dss-cades/d-trust.tsr")
        #expect(report.signatures.isEmpty)
        #expect(evidence.signers.isEmpty)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .signedDataNotFound)
        let stamp = try #require(report.timestamps?.first)
        #expect(stamp.tsa?.contains("D-TRUST TSU") == true)
        #expect(stamp.genTime == ISO8601DateFormatter().date(from: "2018-05-23T13:18:29Z"))
        #expect(stamp.imprintAlgorithm == "sha256")
        // The token's own signature verifies: only the comparison with a document is missing.
        #expect(evidence.timestamps?.first?.signatureValue.outcome == .valid)
    }

    @Test("DSS: SHA3-256 with RSA verifies; mismatched digest/signature pairs fail (RFC 8933)")
    func dss1419() throws {
        let (good, _) = try RealWorld.judge("dss-cades/dss-1419/CAdES-BpB-att-SHA3_256-SHA3_256withRSA.p7m")
        #expect(good.signers[0].messageDigest.outcome == .valid)
        #expect(good.signers[0].signatureValue.outcome == .valid)
        let (_, mismatched) = try RealWorld.judge("dss-cades/dss-1419/CAdES-BpB-att-SHA3_256-SHA256withRSA.p7m")
        #expect(mismatched.indication == .totalFailed)
        #expect(mismatched.signatures[0].checks.contains { $0.id == "signature-value" && $0.status == .failed })
    }
}

/// The verdicts EU DSS asserts in its own unit tests for the files of the corpus (Tests/RealWorld/dss-expectations.json;
/// `python3 Tests/RealWorld/agreement.py BINARY` measures how many of them any podpis binary shares).
@Suite("Real-world corpus: the verdicts DSS asserts", .enabled(if: RealWorld.available, "../shared/testdata/real-world is absent: skipped"))
struct DSSVerdictTests {
    struct Expectations: Decodable {
        struct Entry: Decodable {
            struct Stamps: Decodable {
                var count: Int?
                var intact: Int?
                var verdicts: [[String]]?
            }
            var file: String
            var dss: String
            var document: String?
            var certificates: [String]?
            var trust: [String]?
            var signatures: [Bool]?
            var counters: [Bool]?
            var timestamps: Stamps?
            var levels: [String]?
            var counterLevels: [String]?
            var profile: String?
            var standaloneTimestamps: Int?
            var indication: String?
            var subIndication: String?
            var container: Bool?
            var known: [String: String]?
        }
        var files: [Entry]
    }

    static let expectations: Expectations = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("RealWorld/dss-expectations.json")
        return try! JSONDecoder().decode(Expectations.self, from: Data(contentsOf: path))
    }()

    func counters(_ signatures: [SignatureReport]) -> [SignatureReport] {
        signatures.flatMap { [$0.counterSignatures ?? []].flatMap { $0 }.flatMap { [$0] + counters([$0]) } }
    }

    func valid(_ signature: SignatureReport) -> Bool {
        let status = Dictionary(signature.checks.map { ($0.id, $0.status) }, uniquingKeysWith: { first, _ in first })
        return [CheckResult.Status.passed, .warning].contains(status["format"] ?? .failed) && status["signer-certificate"] == .passed
            && status["integrity"] == .passed && status["signature-value"] == .passed
    }

    func stamps(_ evidence: Evidence) -> [TimestampEvidence] {
        func of(_ signer: SignerEvidence) -> [TimestampEvidence] { signer.timestamps + (signer.counterSignatures ?? []).flatMap(of) }
        return (evidence.timestamps ?? []) + evidence.signers.flatMap(of)
    }

    func level(_ signature: SignatureReport) -> String {
        signature.format.hasPrefix("CAdES-BASELINE-") ? String(signature.format.dropFirst("CAdES-BASELINE-".count)) : signature.format
    }

    func run(_ entry: Expectations.Entry) throws -> (Evidence, Report) {
        let certificates = try (entry.certificates ?? []).flatMap { try X509Certificate.parseAll(FileInput.readSmallFile(path: RealWorld.path($0), limit: 1 << 20)) }
        let anchors = try (entry.trust ?? []).flatMap { try X509Certificate.parseAll(FileInput.readSmallFile(path: RealWorld.path($0), limit: 1 << 20)) }
        if entry.container == true {
            let container = try ASiCContainer(path: RealWorld.path(entry.file))
            let evidence = try container.collectEvidence(ASiCContainer.VerificationSettings(trust: TrustStore(anchors: anchors), certificates: certificates))
            return (evidence, PolicyEngine().judge(evidence, policy: BuiltinPolicies.default))
        }
        var document: DocumentInput? = nil
        if let given = entry.document {
            if given.hasPrefix("text:") {
                document = .bytes(name: "document", Array(given.dropFirst(5).utf8))
            } else if given.hasPrefix("sha256:") {
                document = .digest(name: "document", algorithm: .sha256, value: Array(Data(base64Encoded: String(given.dropFirst(7)))!), size: nil)
            } else {
                document = .file(path: RealWorld.path(given))
            }
        }
        let job = VerificationInput(
            signature: try FileInput.readSmallFile(path: RealWorld.path(entry.file), limit: 64 << 20), signatureName: entry.file,
            document: document, trust: TrustStore(anchors: anchors), certificates: certificates)
        return try Verifier.verify(job)
    }

    @Test("each assertion DSS makes about a corpus file holds for podpis (apart from the documented deliberate differences)",
          arguments: DSSVerdictTests.expectations.files.map { "\($0.file) [\($0.dss)]" })
    func verdict(_ label: String) throws {
        let entry = try #require(Self.expectations.files.first { "\($0.file) [\($0.dss)]" == label })
        let (evidence, report) = try run(entry)
        let known = entry.known ?? [:]
        func check<T: Equatable>(_ name: String, _ expected: T, _ actual: T?, sourceLocation: SourceLocation = #_sourceLocation) {
            guard known[name] == nil else { return }
            #expect(Optional(expected) == actual, "\(label) \(name): DSS \(expected), podpis \(String(describing: actual))", sourceLocation: sourceLocation)
        }
        let signatures = report.signatures
        for (index, expected) in (entry.signatures ?? []).enumerated() {
            check("signature \(index) valid", expected, index < signatures.count ? valid(signatures[index]) : nil)
        }
        if entry.signatures?.isEmpty == true { check("no signatures", 0, signatures.count) }
        let counterSignatures = counters(signatures)
        for (index, expected) in (entry.counters ?? []).enumerated() {
            check("counter-signature \(index) valid", expected, index < counterSignatures.count ? valid(counterSignatures[index]) : nil)
        }
        let found = stamps(evidence)
        if let count = entry.timestamps?.count { check("timestamps found", count, found.count) }
        if let intact = entry.timestamps?.intact {
            check("timestamps intact", intact, found.filter { $0.imprint.outcome == .valid && $0.signatureValue.outcome == .valid }.count)
        }
        for (index, verdict) in (entry.timestamps?.verdicts ?? []).enumerated() {
            let summary = signatures.first.flatMap { index < $0.timestamps.count ? $0.timestamps[index] : nil }
            check("timestamp \(index) verdict", verdict, summary.map { [$0.indication.rawValue, $0.subIndication?.rawValue ?? ""] })
        }
        for (index, expected) in (entry.levels ?? []).enumerated() {
            check("signature \(index) level", expected, index < signatures.count ? level(signatures[index]) : nil)
        }
        for (index, expected) in (entry.counterLevels ?? []).enumerated() {
            check("counter-signature \(index) level", expected, index < counterSignatures.count ? level(counterSignatures[index]) : nil)
        }
        if let profile = entry.profile { check("profile", profile, signatures.first?.profile) }
        if let count = entry.standaloneTimestamps { check("bare timestamp tokens reported", count, report.timestamps?.count ?? 0) }
        if let indication = entry.indication {
            let container = entry.container == true || signatures.isEmpty
            let actualIndication = container ? report.indication.rawValue : signatures.first?.indication.rawValue
            let actualSub = container ? report.subIndication?.rawValue : signatures.first?.subIndication?.rawValue
            check("indication", [indication, entry.subIndication ?? ""], [actualIndication ?? "", actualSub ?? ""])
        }
    }
}
