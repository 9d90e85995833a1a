import EvidenceModel
import Foundation
import PolicyEngine
import Testing
@testable import SigningCore
import SigningCoreTestSupport

/// CAdES-LTA: archive-time-stamp-v3 keeps a signature provable after its algorithms, certificates and CAs age out.
@Suite("CAdES-LTA")
struct ArchiveTests {
    static let day: TimeInterval = 86_400

    /// T → LT → LTA with the hierarchy's own TSA; `archiveClock` dates the archive timestamp.
    func archived(
        _ h: Hierarchy, signer: IssuedCertificate, signatureAuthority: TimestampAuthority,
        archiveAuthority: TimestampAuthority? = nil, options: SignatureOptions = SignatureOptions()
    ) throws -> (lt: [UInt8], lta: [UInt8]) {
        let stamped = try h.timestampedSignature(signer, authority: signatureAuthority, options: options)
        let lt = try LongTermExtender.extend(signature: stamped, subject: nil, trust: h.trust, crls: [try h.crl(), try h.crl(by: h.root)],
                                             revocation: .offline).bytes
        let archiveClient = TimestampClient(source: LocalTimestampSource(try archiveAuthority ?? h.authority().0))
        let lta = try ArchiveTimestamps.add(to: lt, subject: nil, document: .bytes(name: nil, sampleDocument), client: archiveClient).bytes
        return (lt, lta)
    }

    @Test("an LTA signature verifies: the archive timestamp's imprint is recomputed and it covers the signature timestamp",
          arguments: Algorithm.testable)
    func archiveTimestampVerifies(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let (authority, _) = try h.authority()
        let (_, lta) = try archived(h, signer: try h.signer(), signatureAuthority: authority)
        let (evidence, report) = try judge(lta, document: sampleDocument, hierarchy: h)
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        #expect(report.signatures[0].format == "CAdES-BASELINE-LTA")
        let archive = try #require(evidence.signers[0].timestamps.first { $0.type == .archive })
        #expect(archive.imprint.outcome == .valid, "\(archive.imprint.detail ?? "")")
        let signatureStamp = try #require(evidence.signers[0].timestamps.firstIndex { $0.type == .signature })
        #expect(archive.covers == [signatureStamp])
        #expect(report.signatures[0].timestamps.map(\.indication) == [.passed, .passed])
        // The evidence survives a round trip through JSON (stored evidence is re-judged later).
        let decoded = try JSONDecoder.podpis().decode(Evidence.self, from: JSONEncoder.podpis().encode(evidence))
        #expect(decoded.signers[0].timestamps.last?.covers == archive.covers)
    }

    @Test("a renewal adds a second archive timestamp over the first; both stay valid")
    func renewalChain() throws {
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let (_, lta) = try archived(h, signer: try h.signer(), signatureAuthority: authority)
        // Renewal: LT again (embeds what the first archive timestamp needs), then a new archive timestamp.
        let relt = try LongTermExtender.extend(signature: lta, subject: nil, trust: h.trust, crls: [try h.crl(), try h.crl(by: h.root)],
                                               revocation: .offline).bytes
        let renewed = try ArchiveTimestamps.add(to: relt, subject: nil, document: .bytes(name: nil, sampleDocument),
                                                client: TimestampClient(source: LocalTimestampSource(authority))).bytes
        let (evidence, report) = try judge(renewed, document: sampleDocument, hierarchy: h)
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        let archives = evidence.signers[0].timestamps.enumerated().filter { $0.element.type == .archive }
        #expect(archives.count == 2)
        #expect(archives.allSatisfy { $0.element.imprint.outcome == .valid })
        // The second covers the signature timestamp and the first archive timestamp.
        #expect(archives[1].element.covers?.contains(archives[0].offset) == true)
        #expect(ArchiveTimestamps.archiveTimes(in: renewed).count == 2)
    }

    @Test("removing an item the archive timestamp covers, or changing the document, breaks it: HASH_FAILURE, and it proves nothing")
    func tamperedArchive() throws {
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let (_, lta) = try archived(h, signer: try h.signer(), signatureAuthority: authority)
        // The root certificate was embedded at LT; the path does not need it (the anchor is configured), the
        // archive timestamp's hash index does.
        let cms = try CMSMessage.parse(der: try SignatureDecoder.decode(lta, subject: nil).der, subject: nil)
        let withoutRoot = cms.certificates.filter { $0.fingerprint != h.root.certificate.fingerprint }
        #expect(withoutRoot.count == cms.certificates.count - 1)
        let stripped = try Tampering.replaceCertificates(lta, with: withoutRoot)
        let (evidence, report) = try judge(stripped, document: sampleDocument, hierarchy: h)
        let archive = try #require(evidence.signers[0].timestamps.first { $0.type == .archive })
        #expect(archive.imprint.outcome == .invalid)
        #expect(archive.imprint.detail?.contains("certificate") == true, "\(archive.imprint.detail ?? "")")
        #expect(report.signatures[0].timestamps.last?.indication == .failed)
        #expect(report.signatures[0].timestamps.last?.subIndication == .hashFailure)
        // The broken archive timestamp is never used as proof; the policy's timestamps rule reports it (as a
        // warning in the default policy: the signature itself still validates at the validation time).
        let timestampsCheck = report.signatures[0].checks.first { $0.id == "timestamps" }
        #expect(timestampsCheck?.status == .warning)
        #expect(timestampsCheck?.subIndication == .hashFailure)

        // A detached LTA signature checked against another document: the archive imprint fails with the signature.
        var other = sampleDocument
        other[0] ^= 0x01
        let (otherEvidence, otherReport) = try judge(lta, document: other, hierarchy: h)
        #expect(otherEvidence.signers[0].timestamps.first { $0.type == .archive }?.imprint.outcome == .invalid)
        #expect(otherReport.subIndication == .hashFailure)
    }

    /// The default policy with RSA keys under 2048 bits forbidden from `sunset` on.
    func policy(sunset: Date) throws -> Policy {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let text = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent("default.yaml"), encoding: .utf8)
        let day = String(sunset.formatted(Date.ISO8601FormatStyle()).prefix(10))
        let edited = text.replacingOccurrences(of: "{key: rsa, minBits: 2048, from: 2019-01-01}", with: "{key: rsa, minBits: 2048, from: \(day)}")
        #expect(edited != text)
        _ = try folder.write("default.yaml", Array(edited.utf8))
        let registry = PolicyRegistry.load(directory: folder.path)
        return try #require(registry.policies["default"])
    }

    @Test("after an algorithm's sunset, an archive timestamp made before it keeps an RSA-1024 signature valid; one made after does not")
    func sunsetWithProofOfExistence() throws {
        let h = Hierarchy.rsa
        let now = Date()
        let sunset = now.addingTimeInterval(-1 * Self.day)
        let policy = try policy(sunset: sunset)
        // Signed and timestamped five days ago with RSA-1024 (the signer's key and the TSA's).
        let weakSigner = try h.signer(key: .rsa(bits: 1024))
        let weakTSA = try PKIProfiles.tsa(name: "weak TSA", key: .rsa(bits: 1024), issuer: h.ca)
        let fiveDaysAgo = now.addingTimeInterval(-5 * Self.day)
        let weakAuthority = try TimestampAuthority(
            key: weakTSA.key, certificate: weakTSA.certificate, chain: [h.ca.certificate],
            configuration: TimestampAuthority.Configuration(clock: { fiveDaysAgo }), serials: SerialNumberSource(path: nil))
        // A strong TSA archived it three days ago, before the sunset; another one only today.
        let threeDaysAgo = now.addingTimeInterval(-3 * Self.day)
        let (early, _) = try h.authority(clock: { threeDaysAgo })
        let (late, _) = try h.authority()

        // (podpis refuses to make RSA-1024 signatures today; this one stands for a signature from before the ban.)
        let legacy = SignatureOptions(allowWeakAlgorithms: true)
        let (lt, beforeSunset) = try archived(h, signer: weakSigner, signatureAuthority: weakAuthority, archiveAuthority: early, options: legacy)
        let (_, afterSunset) = try archived(h, signer: weakSigner, signatureAuthority: weakAuthority, archiveAuthority: late, options: legacy)

        // Without an archive timestamp: the RSA-1024 timestamp proves nothing any more, and the signature fails.
        let (_, plain) = try judge(lt, document: sampleDocument, hierarchy: h, policy: policy)
        #expect(plain.indication == .indeterminate)
        #expect(plain.subIndication == .cryptoConstraintsFailureNoPOE, "\(plain.signatures[0].reason)")
        #expect(plain.signatures[0].timestamps.first?.subIndication == .cryptoConstraintsFailureNoPOE)

        // Archived before the sunset: the signature timestamp is proven to predate it, and so is the signature.
        let (_, kept) = try judge(beforeSunset, document: sampleDocument, hierarchy: h, policy: policy)
        #expect(kept.indication == .totalPassed, "\(kept.signatures[0].reason)")
        #expect(abs(kept.signatures[0].bestSignatureTime.timeIntervalSince(fiveDaysAgo)) < 2)

        // Archived after the sunset: too late.
        let (_, tooLate) = try judge(afterSunset, document: sampleDocument, hierarchy: h, policy: policy)
        #expect(tooLate.indication == .indeterminate)
        #expect(tooLate.subIndication == .cryptoConstraintsFailureNoPOE, "\(tooLate.signatures[0].reason)")
    }

    @Test("an archive timestamp over a detached signature needs the document")
    func detachedNeedsDocument() throws {
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let stamped = try h.timestampedSignature(try h.signer(), authority: authority)
        let error = #expect(throws: PodpisError.self) {
            _ = try ArchiveTimestamps.add(to: stamped, subject: "order.sig", document: nil, client: TimestampClient(source: LocalTimestampSource(authority)))
        }
        #expect(error?.kind == .usage)
        #expect(error?.message.contains("document") == true)
    }

    @Test("CLI: sign --level LTA, extend --level LTA renews, archive refresh renews what is due and logs it; failures exit 69")
    func archiveCommands() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let layout = try DemoPKI.create(in: folder.file("pki"), includeGOST: false)
        let tsa = try BackgroundServer(CLI.binary, ["tsa", "serve", "--key", layout.path("tsa.key"), "--cert", layout.path("tsa.pem"),
                                                    "--chain", layout.path("rsa-chain.pem"), "--port", "0"])
        defer { tsa.stop() }
        let archive = folder.file("archive")
        try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
        let document = try folder.write("archive/order.txt", sampleDocument)
        let other = try folder.write("archive/letter.txt", Array("письмо".utf8))
        let paths = ["--trust", layout.trustDirectory, "--crl", layout.path("rsa-ca.crl"), "--crl", layout.path("rsa-root.crl"), "--offline"]
        let key = ["--key", layout.path("official-rsa.key"), "--cert", layout.path("official-rsa.pem"), "--chain", layout.path("rsa-chain.pem")]

        let signed = try CLI.run(["sign", document, "--tsa", tsa.url, "--level", "LTA"] + key + paths)
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stderr.contains("CAdES-LTA"))
        let verified = try CLI.run(["verify", document, "--json", "--trust", layout.trustDirectory, "--crl", layout.path("rsa-ca.crl"),
                                    "--crl", layout.path("rsa-root.crl")])
        let report = try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any]
        #expect(report?["indication"] as? String == "TOTAL-PASSED", "\(verified.stdout)")
        let signature = (report?["signatures"] as? [[String: Any]])?.first
        #expect(signature?["format"] as? String == "CAdES-BASELINE-LTA")
        // A second signature at T only: refresh must archive it.
        #expect(try CLI.run(["sign", other, "--tsa", tsa.url] + key).status == 0)

        // Dry run: the T signature is due, the fresh LTA one is current; nothing changes.
        let before = try FileInput.readSmallFile(path: other + ".sig", limit: 1 << 20)
        let dry = try CLI.run(["archive", "refresh", archive, "--dry-run"] + paths)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("letter.txt.sig") && dry.stdout.contains("no archive timestamp"), "\(dry.stdout)")
        #expect(try FileInput.readSmallFile(path: other + ".sig", limit: 1 << 20) == before)

        // Renewal with a zero maximum age: both are renewed; the log says so, one JSON line per decision.
        let refreshed = try CLI.run(["archive", "refresh", archive, "--tsa", tsa.url, "--max-age-days", "0"] + paths)
        #expect(refreshed.status == 0, "\(refreshed.stdout) \(refreshed.stderr)")
        let log = try String(contentsOfFile: (archive as NSString).appendingPathComponent("podpis-archive.jsonl"), encoding: .utf8)
        let lines = log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 4)
        #expect(lines.filter { $0["action"] as? String == "renewed" }.count == 2, "\(log)")
        #expect(lines.filter { $0["action"] as? String == "due" }.count == 1)
        #expect(Set(lines.compactMap { $0["reasonCode"] as? String }) == ["none", "age"], "\(log)")
        for file in [document, other] {
            let bytes = try FileInput.readSmallFile(path: file + ".sig", limit: 1 << 20)
            #expect(ArchiveTimestamps.archiveTimes(in: bytes).count == (file == document ? 2 : 1))
            let check = try CLI.run(["verify", file, "--trust", layout.trustDirectory, "--crl", layout.path("rsa-ca.crl"),
                                     "--crl", layout.path("rsa-root.crl")])
            #expect(check.status == 0, "\(file): \(check.stdout)")
        }

        // A policy that forbids RSA keys under 4096 bits in 30 days: inside a 60-day margin both are due (sunset),
        // outside a 10-day one neither is.
        let policies = folder.file("policies")
        try FileManager.default.createDirectory(atPath: policies, withIntermediateDirectories: true)
        let defaultPolicy = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent("default.yaml"), encoding: .utf8)
        let in30Days = String(Date().addingTimeInterval(30 * Self.day).formatted(Date.ISO8601FormatStyle()).prefix(10))
        _ = try folder.write("policies/default.yaml", Array(defaultPolicy.replacingOccurrences(
            of: "{key: rsa, minBits: 2048, from: 2019-01-01}", with: "{key: rsa, minBits: 4096, from: \(in30Days)}").utf8))
        let soon = try CLI.run(["archive", "refresh", archive, "--dry-run", "--policies", policies, "--sunset-margin-days", "60",
                                "--log", folder.file("sunset.jsonl")] + paths)
        #expect(soon.status == 0, "\(soon.stderr)")
        #expect(soon.stdout.contains("forbids from \(in30Days)"), "\(soon.stdout)")
        let sunsetLog = try String(contentsOfFile: folder.file("sunset.jsonl"), encoding: .utf8)
        #expect(sunsetLog.components(separatedBy: "\"reasonCode\":\"sunset\"").count - 1 == 2, "\(sunsetLog)")
        let later = try CLI.run(["archive", "refresh", archive, "--dry-run", "--policies", policies, "--sunset-margin-days", "10"] + paths)
        #expect(later.status == 0)
        #expect(!later.stdout.contains("forbids"), "\(later.stdout)")

        // A signature whose document went missing cannot be renewed: logged as failed, exit 69, the file untouched.
        try FileManager.default.removeItem(atPath: other)
        let orphan = try FileInput.readSmallFile(path: other + ".sig", limit: 1 << 20)
        let failed = try CLI.run(["archive", "refresh", archive, "--tsa", tsa.url, "--max-age-days", "0"] + paths)
        #expect(failed.status == 69, "\(failed.stdout) \(failed.stderr)")
        #expect(failed.stdout.contains("letter.txt.sig"))
        #expect(try FileInput.readSmallFile(path: other + ".sig", limit: 1 << 20) == orphan)
        // Renewal needs a TSA.
        let noTSA = try CLI.run(["archive", "refresh", archive] + paths)
        #expect(noTSA.status == 64)
        // A folder that is not there, and LTA asked of extend without a TSA: one line each, sysexits codes.
        let noFolder = try CLI.run(["archive", "refresh", folder.file("no-such-archive"), "--dry-run"] + paths)
        #expect(noFolder.status == 66, "\(noFolder.stderr)")
        #expect(noFolder.stderr.split(separator: "\n").count == 1)
        let noTSAExtend = try CLI.run(["extend", document + ".sig", "--level", "LTA"] + paths)
        #expect(noTSAExtend.status == 64, "\(noTSAExtend.stderr)")
        #expect(noTSAExtend.stderr.contains("--tsa"))
    }
}
