import EvidenceModel
import Foundation
import PodpisService
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

    /// The default policy with RSA keys under `minBits` bits (2048) forbidden from `sunset` on.
    func policy(sunset: Date, minBits: Int = 2048) throws -> Policy {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let text = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent("default.yaml"), encoding: .utf8)
        let day = String(sunset.formatted(Date.ISO8601FormatStyle()).prefix(10))
        let edited = text.replacingOccurrences(of: "{key: rsa, minBits: 2048, from: 2019-01-01}", with: "{key: rsa, minBits: \(minBits), from: \(day)}")
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

    // MARK: ArchiveRenewal, in process

    static let letterText = Array("письмо".utf8)

    /// An archive folder of the RSA hierarchy: `order.txt` with an LTA signature, `2025/letter.txt` with a CAdES-T
    /// one (no archive timestamp yet), and a text file that is no signature; the TSA that stamped them.
    struct ArchiveFolder {
        let folder: TemporaryFolder
        let h: Hierarchy
        let authority: TimestampAuthority
        /// The LTA signature, and the T one.
        let order: String
        let letter: String
        var path: String { folder.file("archive") }
        func bytes(_ file: String) throws -> [UInt8] { try FileInput.readSmallFile(path: file, limit: 1 << 20) }

        /// The renewal `archive refresh` runs over it: the hierarchy's trust and CRLs; a dry run unless `renewing`.
        func renewal(renewing: Bool, policy: Policy = BuiltinPolicies.default, maxAgeDays: Int = 730, sunsetMarginDays: Int = 365,
                     now: Date = Date(), language: Language = .en) throws -> ArchiveRenewal {
            let settings = VerificationSettings(trust: h.trust, crls: [try h.crl(), try h.crl(by: h.root)])
            let extender = renewing ? Extender(timestamps: TimestampClient(source: LocalTimestampSource(authority))) { settings } : nil
            return ArchiveRenewal(policy: policy, settings: settings, extender: extender, maxAgeDays: maxAgeDays,
                                  sunsetMarginDays: sunsetMarginDays, now: now, language: language)
        }
    }

    func archiveFolder() throws -> ArchiveFolder {
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let folder = try TemporaryFolder()
        try FileManager.default.createDirectory(atPath: folder.file("archive/2025"), withIntermediateDirectories: true)
        _ = try folder.write("archive/order.txt", sampleDocument)
        let order = try folder.write("archive/order.txt.sig", try archived(h, signer: try h.signer(), signatureAuthority: authority).lta)
        _ = try folder.write("archive/2025/letter.txt", Self.letterText)
        let letter = try folder.write("archive/2025/letter.txt.sig",
                                      try h.timestampedSignature(try h.signer(), authority: authority, document: Self.letterText))
        _ = try folder.write("archive/notes.txt", Array("not a signature".utf8))
        return ArchiveFolder(folder: folder, h: h, authority: authority, order: order, letter: letter)
    }

    @Test("archive renewal: no archive timestamp is due (none), an old one (age), one the policy forbids within the margin (sunset); a dry run changes nothing")
    func renewalReasons() throws {
        let archive = try archiveFolder()
        defer { archive.folder.cleanup() }
        let before = try [archive.letter, archive.order].map(archive.bytes)
        let newest = try #require(ArchiveTimestamps.archiveTimes(in: before[1]).max())

        // Fresh: only the T signature is due; the text file is not looked at; the decisions come in order.
        var seen: [String] = []
        let fresh = try archive.renewal(renewing: false).run(directory: archive.path) { seen.append($0.file) }
        #expect(seen == [archive.letter, archive.order])
        #expect(fresh.map(\.action) == [.due, .current], "\(fresh)")
        #expect(fresh[0].reasonCode == .noArchiveTimestamp && fresh[0].reason == "no archive timestamp yet")
        #expect(fresh[0].newestArchiveTimestamp == nil && fresh[0].newArchiveTimestamp == nil)
        #expect(fresh[1].reasonCode == nil && fresh[1].reason == nil)
        #expect(fresh[1].newestArchiveTimestamp.map { abs($0.timeIntervalSince(newest)) < 1 } == true)

        // Three days on, a two-day maximum age: the LTA one is due too, said in Russian with Moscow time.
        let aged = try archive.renewal(renewing: false, maxAgeDays: 2, now: Date().addingTimeInterval(3 * Self.day), language: .ru)
        let old = try aged.run(directory: archive.path)
        #expect(old.map(\.action) == [.due, .due], "\(old)")
        #expect(old.map(\.reasonCode) == [.noArchiveTimestamp, .age])
        let ageReason = old[1].reason ?? ""
        #expect(ageReason.contains("старше 2 дней") && ageReason.contains(aged.moscow(newest)) && ageReason.contains("МСК"), "\(ageReason)")

        // A policy that forbids RSA keys under 4096 bits in 30 days: inside a 60-day margin the archive timestamp
        // (an RSA-2048 TSA's) is due for its sunset; outside a 10-day one it is not. "None" is said before any sunset.
        let in30Days = Date().addingTimeInterval(30 * Self.day)
        let strict = try policy(sunset: in30Days, minBits: 4096)
        let soon = try archive.renewal(renewing: false, policy: strict, sunsetMarginDays: 60).run(directory: archive.path)
        #expect(soon.map(\.reasonCode) == [.noArchiveTimestamp, .sunset], "\(soon)")
        let day = String(in30Days.formatted(Date.ISO8601FormatStyle()).prefix(10))
        #expect(soon[1].reason?.contains("forbids from \(day)") == true, "\(soon[1].reason ?? "")")
        let distant = try archive.renewal(renewing: false, policy: strict, sunsetMarginDays: 10).run(directory: archive.path)
        #expect(distant.map(\.action) == [.due, .current], "\(distant)")

        // Nothing above renewed anything.
        #expect(try [archive.letter, archive.order].map(archive.bytes) == before)
        #expect(!FileManager.default.fileExists(atPath: archive.folder.file("archive/podpis-archive.jsonl")))
    }

    @Test("archive renewal adds an archive timestamp that verifies, and renews an LTA signature over its earlier archive timestamp")
    func renewalRenews() throws {
        let archive = try archiveFolder()
        defer { archive.folder.cleanup() }

        let first = try archive.renewal(renewing: true).run(directory: archive.path)
        #expect(first.map(\.action) == [.renewed, .current], "\(first)")
        #expect(first[0].reasonCode == .noArchiveTimestamp)
        let letter = try archive.bytes(archive.letter)
        let times = ArchiveTimestamps.archiveTimes(in: letter)
        #expect(times.count == 1)
        #expect(first[0].newArchiveTimestamp == times.max())
        let (evidence, report) = try judge(letter, document: Self.letterText, hierarchy: archive.h)
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        #expect(report.signatures[0].format == "CAdES-BASELINE-LTA")
        #expect(evidence.signers[0].timestamps.first { $0.type == .archive }?.imprint.outcome == .valid)

        // Two days on, a one-day maximum age: both renewed by age; each now has two valid archive timestamps.
        let again = try archive.renewal(renewing: true, maxAgeDays: 1, now: Date().addingTimeInterval(2 * Self.day)).run(directory: archive.path)
        #expect(again.map(\.action) == [.renewed, .renewed], "\(again)")
        #expect(again.map(\.reasonCode) == [.age, .age])
        for (file, document) in [(archive.letter, Self.letterText), (archive.order, sampleDocument)] {
            let bytes = try archive.bytes(file)
            #expect(ArchiveTimestamps.archiveTimes(in: bytes).count == 2, "\(file)")
            let (evidence, report) = try judge(bytes, document: document, hierarchy: archive.h)
            #expect(report.indication == .totalPassed, "\(file): \(report.signatures[0].reason)")
            let archives = evidence.signers[0].timestamps.filter { $0.type == .archive }
            #expect(archives.count == 2 && archives.allSatisfy { $0.imprint.outcome == .valid }, "\(file)")
        }
    }

    @Test("archive renewal: a signature whose document is gone, or a file that is no signature, fails alone and is left untouched; a missing folder is refused")
    func renewalFailures() throws {
        let archive = try archiveFolder()
        defer { archive.folder.cleanup() }
        try FileManager.default.removeItem(atPath: archive.folder.file("archive/2025/letter.txt"))
        let broken = try archive.folder.write("archive/broken.p7m", Array("not CMS".utf8))
        let orphan = try archive.bytes(archive.letter)

        let records = try archive.renewal(renewing: true, maxAgeDays: 1, now: Date().addingTimeInterval(2 * Self.day))
            .run(directory: archive.path)
        #expect(records.map(\.file) == [archive.letter, broken, archive.order])
        #expect(records.map(\.action) == [.failed, .failed, .renewed], "\(records)")
        #expect(records[0].error?.contains("document") == true, "\(records[0].error ?? "")")
        #expect(records[0].reasonCode == nil && records[0].newArchiveTimestamp == nil)
        #expect(records[1].error?.isEmpty == false)
        #expect(try archive.bytes(archive.letter) == orphan)
        #expect(try archive.bytes(broken) == Array("not CMS".utf8))
        #expect(ArchiveTimestamps.archiveTimes(in: try archive.bytes(archive.order)).count == 2)

        let missing = #expect(throws: PodpisError.self) {
            _ = try archive.renewal(renewing: false).run(directory: archive.folder.file("no-such-archive"))
        }
        #expect(missing?.kind == .noInput)
        let file = #expect(throws: PodpisError.self) { _ = try archive.renewal(renewing: false).run(directory: archive.order) }
        #expect(file?.kind == .noInput)
    }

    @Test("the archive log: one JSON line per decision, appended run after run, with UTC times and the reason codes")
    func renewalLog() throws {
        let archive = try archiveFolder()
        defer { archive.folder.cleanup() }
        let log = archive.folder.file("archive.jsonl")
        let dry = try archive.renewal(renewing: false).run(directory: archive.path)
        try ArchiveRenewal.appendLog(dry, to: log)
        let renewed = try archive.renewal(renewing: true).run(directory: archive.path)
        try ArchiveRenewal.appendLog(renewed, to: log)

        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 4)
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 4)
        #expect(objects.map { $0["action"] as? String } == ["due", "current", "renewed", "current"], "\(text)")
        #expect(objects.map { $0["reasonCode"] as? String } == ["none", nil, "none", nil], "\(text)")
        #expect(objects.allSatisfy { ($0["file"] as? String)?.hasPrefix(archive.path) == true })
        // Machine fields are UTC (ISO 8601, Z); the keys are sorted so that lines compare as text.
        let time = try #require(objects[2]["newArchiveTimestamp"] as? String)
        #expect(time.hasSuffix("Z"), "\(time)")
        #expect(lines.allSatisfy { $0.hasPrefix("{\"action\":") }, "\(text)")
        // Each line reads back as the record it was.
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try lines.map { try decoder.decode(ArchiveRenewal.Record.self, from: Data($0.utf8)) }
        #expect(decoded.map(\.action) == (dry + renewed).map(\.action))
        #expect(decoded[2].newArchiveTimestamp.map { abs($0.timeIntervalSince(renewed[0].newArchiveTimestamp ?? .distantPast)) < 1 } == true)
        // A log that cannot be opened is an error, not a silent loss.
        let refused = #expect(throws: PodpisError.self) { try ArchiveRenewal.appendLog(dry, to: archive.folder.file("no-such/archive.jsonl")) }
        #expect(refused?.kind == .cannotCreate)
    }

    @Test("CLI: sign --level LTA, archive refresh prints what is due and renewed, logs it beside the archive or to --log, reads --policies and --sunset-margin-days; failures exit 69")
    func archiveCommands() throws {
        // What is due and why, the renewal itself and the log's lines are ArchiveRenewal's (tested in process above);
        // here the command: its options, its lines, its log file, its exit codes.
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
        let verify = VerifyOptions.demo(layout)
        let (_, lta) = try verify.verify(document)
        #expect(lta.indication == .totalPassed, "\(lta.signatures.map(\.reason))")
        #expect(lta.signatures.first?.format == "CAdES-BASELINE-LTA")
        // A second signature at T only (made in process): refresh must archive it.
        let (identity, options) = try layout.signing("rsa")
        let plain = try Signer.sign(.file(other), identity: identity, options: options)
        let stamped = try Timestamper.addSignatureTimestamps(to: plain, subject: nil,
                                                             client: TimestampClient(source: HTTPTimestampSource(url: tsa.url))).bytes
        _ = try folder.write("archive/letter.txt.sig", stamped)

        // Dry run: a line for the due signature, nothing changed, the log beside the archive.
        let dry = try CLI.run(["archive", "refresh", archive, "--dry-run"] + paths)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("letter.txt.sig") && dry.stdout.contains("no archive timestamp"), "\(dry.stdout)")
        #expect(try FileInput.readSmallFile(path: other + ".sig", limit: 1 << 20) == stamped)

        // Renewal with a zero maximum age: both are renewed, the log beside the archive has a line per decision.
        let refreshed = try CLI.run(["archive", "refresh", archive, "--tsa", tsa.url, "--max-age-days", "0"] + paths)
        #expect(refreshed.status == 0, "\(refreshed.stdout) \(refreshed.stderr)")
        let log = try String(contentsOfFile: (archive as NSString).appendingPathComponent("podpis-archive.jsonl"), encoding: .utf8)
        let lines = log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.map { $0["action"] as? String } == ["due", "current", "renewed", "renewed"], "\(log)")
        for file in [document, other] {
            let bytes = try FileInput.readSmallFile(path: file + ".sig", limit: 1 << 20)
            #expect(ArchiveTimestamps.archiveTimes(in: bytes).count == (file == document ? 2 : 1))
            let (_, report) = try verify.verify(file)
            #expect(report.indication == .totalPassed, "\(file): \(report.signatures.map(\.reason))")
        }

        // A policy that forbids RSA keys under 4096 bits in 30 days, inside a 60-day margin: the options reach the
        // renewal, the line says the sunset, the log goes where --log says.
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

        // A signature whose document went missing cannot be renewed: a line naming it, exit 69, the file untouched.
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
