import EvidenceModel
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PodpisContainer
import PodpisReport
import PodpisService
import PolicyEngine
import Testing
import ZIPFoundation
@testable import SigningCore

/// ASiC-E and ASiC-S containers with CAdES (ETSI EN 319 162-1): what a municipality receives and checks.
@Suite("ASiC containers", .serialized)
struct ContainerTests {
    // MARK: Helpers

    static let files: [(String, [UInt8])] = [
        ("приказ № 5.txt", sampleDocument),
        ("annex.xml", Array("<annex><item>1</item></annex>\n".utf8)),
        ("scan.bin", (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }),
    ]

    /// Writes the sample files into `folder`; returns their paths.
    func writeFiles(_ folder: TemporaryFolder) throws -> [String] {
        try Self.files.map { try folder.write($0.0, $0.1) }
    }

    /// An ASiC-E container of the sample files signed by a fresh signer of `hierarchy`.
    func makeASiCE(_ folder: TemporaryFolder, hierarchy: Hierarchy = .rsa, name: String = "bundle.asice") throws -> String {
        let signer = try hierarchy.signer()
        let options = SignatureOptions(chain: [hierarchy.ca.certificate])
        let output = folder.file(name)
        let digest = try Signer.digest(for: signer.identity, options: options)
        try ContainerWriter.writeASiCE(
            files: try writeFiles(folder).map { ContainerWriter.Input(path: $0) }, digest: digest, to: output, force: true
        ) { manifest in
            try Signer.sign(.bytes(manifest), identity: signer.identity, options: options)
        }
        return output
    }

    /// Verifies a container as `podpis verify` does (default policy, the hierarchy's CRLs).
    func verify(_ path: String, hierarchy: Hierarchy = .rsa) throws -> (Evidence, Report) {
        let container = try ASiCContainer(path: path)
        let evidence = try container.collectEvidence(ASiCContainer.VerificationSettings(
            trust: hierarchy.trust, crls: [try hierarchy.crl(), try hierarchy.crl(by: hierarchy.root)]))
        return (evidence, PolicyEngine().judge(evidence, policy: BuiltinPolicies.default))
    }

    /// Every entry of a container, in order, as (name, bytes).
    func entries(_ path: String) throws -> [(String, [UInt8])] {
        let zip = try GuardedZIP(path: path)
        return try zip.entries.map { ($0.name, try zip.contents($0, limit: 1 << 30)) }
    }

    /// Writes a well-formed ZIP (ZIPFoundation; `mimetype` first and stored when present) of `entries`.
    func rewrite(_ entries: [(String, [UInt8])], to path: String) throws {
        unlink(path)
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for (name, bytes) in entries {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(bytes.count),
                                 compressionMethod: name == "mimetype" ? .none : .deflate) { position, size in
                Data(bytes[Int(position)..<min(bytes.count, Int(position) + size)])
            }
        }
    }

    func check(_ report: Report) -> CheckResult? { report.documentChecks.first { $0.id == "container" } }

    // MARK: Signing and verifying

    @Test("ASiC-E with several files, RSA and GOST: valid, every file covered, mimetype first and stored", .needsGOST)
    func asiceRoundTrip() throws {
        for hierarchy in [Hierarchy.rsa, Hierarchy.gost] {
            let folder = try TemporaryFolder()
            defer { folder.cleanup() }
            let path = try makeASiCE(folder, hierarchy: hierarchy)
            let (evidence, report) = try verify(path, hierarchy: hierarchy)
            #expect(report.indication == .totalPassed, "\(hierarchy.algorithm): \(report.signatures.map(\.reason)) \(report.documentChecks.map(\.message))")
            #expect(check(report)?.status == .passed)
            #expect(Set(report.container?.signatures.first?.covers ?? []) == Set(Self.files.map(\.0)))
            #expect(report.container?.uncovered == [])
            #expect(evidence.container?.type == "ASiC-E")

            // The bytes a reader looks at: a local header at 0 naming `mimetype`, no extra field, stored, content at 38.
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(Array(bytes[0..<4]) == [0x50, 0x4B, 0x03, 0x04])
            #expect(bytes[8] == 0 && bytes[9] == 0, "mimetype must be stored")
            #expect(bytes[28] == 0 && bytes[29] == 0, "mimetype must have no extra field")
            #expect(String(decoding: bytes[30..<38], as: UTF8.self) == "mimetype")
            #expect(String(decoding: bytes[38..<(38 + 31)], as: UTF8.self) == "application/vnd.etsi.asic-e+zip")

            // The manifest digests with the signature's algorithm.
            let manifest = String(decoding: try entries(path).first { $0.0 == "META-INF/ASiCManifest.xml" }!.1, as: UTF8.self)
            let expectedURI = hierarchy.algorithm == .gost
                ? "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256" : "http://www.w3.org/2001/04/xmlenc#sha256"
            #expect(manifest.contains("Algorithm=\"\(expectedURI)\""))
            #expect(manifest.contains("URI=\"META-INF/signature.p7s\""))
            #expect(manifest.contains("http://uri.etsi.org/02918/v1.2.1#"))
        }
    }

    @Test("ASiC-S, RSA and GOST: the signature covers the one file directly", .needsGOST)
    func asicsRoundTrip() throws {
        for hierarchy in [Hierarchy.rsa, Hierarchy.gost] {
            let folder = try TemporaryFolder()
            defer { folder.cleanup() }
            let signer = try hierarchy.signer()
            let document = try folder.write("order.txt", sampleDocument)
            let output = folder.file("order.asics")
            try ContainerWriter.writeASiCS(file: ContainerWriter.Input(path: document), to: output, force: false) {
                try Signer.sign(.file(document), identity: signer.identity, options: SignatureOptions(chain: [hierarchy.ca.certificate]))
            }
            let (evidence, report) = try verify(output, hierarchy: hierarchy)
            #expect(report.indication == .totalPassed, "\(report.signatures.map(\.reason)) \(report.documentChecks.map(\.message))")
            #expect(evidence.container?.type == "ASiC-S")
            #expect(report.container?.signatures.first?.covers == ["order.txt"])
            #expect(report.signatures.first?.checks.first { $0.id == "integrity" }?.status == .passed)

            // The data file changed: the CAdES signature itself no longer matches.
            var parts = try entries(output)
            parts[1].1 = Array("ПРИКАЗ № 124".utf8)
            try rewrite(parts, to: output)
            let (_, tampered) = try verify(output, hierarchy: hierarchy)
            #expect(tampered.signatures.first?.checks.first { $0.id == "integrity" }?.status == .failed)
            #expect(tampered.indication == .totalFailed)
            #expect(tampered.subIndication == .hashFailure)
        }
    }

    @Test("a data file changed after signing: TOTAL-FAILED/HASH_FAILURE naming the file")
    func tamperedDataFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try makeASiCE(folder)
        var parts = try entries(path)
        let index = parts.firstIndex { $0.0 == "annex.xml" }!
        parts[index].1 = Array("<annex><item>2</item></annex>\n".utf8)
        try rewrite(parts, to: path)
        let (evidence, report) = try verify(path)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .hashFailure)
        #expect(check(report)?.status == .failed)
        #expect(check(report)?.message.contains("annex.xml") == true)
        // The signature over the manifest is still intact: it is the file that changed.
        #expect(report.signatures.first?.indication == .totalPassed)
        #expect(evidence.container?.signatures.first?.references.first { $0.uri == "annex.xml" }?.outcome == .invalid)
        #expect(report.container?.signatures.first?.covers.contains("annex.xml") == false)
    }

    @Test("the manifest changed after signing: the signature fails")
    func tamperedManifest() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try makeASiCE(folder)
        var parts = try entries(path)
        let index = parts.firstIndex { $0.0 == "META-INF/ASiCManifest.xml" }!
        // Drop one file's reference (someone un-signing a file): the manifest is no longer what was signed.
        var text = String(decoding: parts[index].1, as: UTF8.self)
        let start = text.range(of: "<asic:DataObjectReference URI=\"annex.xml\"")!.lowerBound
        let end = text.range(of: "</asic:DataObjectReference>", range: start..<text.endIndex)!.upperBound
        text.removeSubrange(start..<end)
        parts[index].1 = Array(text.utf8)
        try rewrite(parts, to: path)
        let (_, report) = try verify(path)
        #expect(report.indication == .totalFailed)
        #expect(report.signatures.first?.indication == .totalFailed)
        #expect(report.signatures.first?.subIndication == .hashFailure)
        #expect(report.signatures.first?.checks.first { $0.id == "integrity" }?.status == .failed)
    }

    @Test("a file no signature covers: failed with FORMAT_FAILURE, the file named")
    func extraFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try makeASiCE(folder)
        var parts = try entries(path)
        parts.insert(("invoice-unsigned.pdf", Array("%PDF-1.4 not signed".utf8)), at: 2)
        try rewrite(parts, to: path)
        let (_, report) = try verify(path)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .formatFailure)
        #expect(report.container?.uncovered == ["invoice-unsigned.pdf"])
        #expect(check(report)?.message.contains("invoice-unsigned.pdf") == true)
        #expect(report.signatures.first?.indication == .totalPassed)

        // The verification protocol lists the container's files and says which one is not signed, in both languages.
        for (language, marker) in [(Language.ru, "НЕ подписан"), (.en, "NOT signed")] {
            let (evidence, _) = try verify(path)
            let judged = PolicyEngine().judge(evidence, policy: BuiltinPolicies.default, options: JudgementOptions(language: language))
            let html = try VerificationProtocol.render(report: judged, evidence: evidence).html
            let row = html.range(of: "<th>invoice-unsigned.pdf</th>").map { String(html[$0.upperBound...].prefix(200)) } ?? ""
            #expect(row.contains(marker), "\(language): \(row)")
            let signedRow = html.range(of: "<th>annex.xml</th>").map { String(html[$0.upperBound...].prefix(200)) } ?? ""
            #expect(signedRow.contains("S0"))
            #expect(VerificationProtocol.verify(html))
        }
    }

    @Test("ASiC-E: a file the manifest names is missing: INDETERMINATE/SIGNED_DATA_NOT_FOUND (as DSS); a changed one stays HASH_FAILURE")
    func missingFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try makeASiCE(folder)
        let original = try entries(path)
        let parts = original.filter { $0.0 != "scan.bin" }
        try rewrite(parts, to: path)
        let (evidence, report) = try verify(path)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .signedDataNotFound)
        #expect(check(report)?.status == .failed)
        #expect(check(report)?.message.contains("scan.bin") == true)
        #expect(evidence.container?.signatures.first?.references.first { $0.uri == "scan.bin" }?.outcome == .absent)
        // Missing and changed together: the change decides (TOTAL-FAILED over INDETERMINATE).
        try rewrite(original.filter { $0.0 != "scan.bin" }.map { $0.0 == "annex.xml" ? ($0.0, Array("<changed/>".utf8)) : $0 }, to: path)
        let (_, both) = try verify(path)
        #expect(both.indication == .totalFailed)
        #expect(both.subIndication == .hashFailure)
    }

    @Test("ASiC-S whose META-INF/timestamp.tst is an RFC 3161 token over the file: TOTAL-PASSED with the TSA trusted; the file changed: HASH_FAILURE; the token reported as a top-level timestamp")
    func timestampContainer() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let token = try TimestampClient(source: LocalTimestampSource(authority)).token(over: sampleDocument, digest: .sha256)
        let mimetype = RawEntry.text("mimetype", "application/vnd.etsi.asic-s+zip")
        let path = try folder.write("stamped.asics", Self.zip([mimetype, RawEntry("order.txt", sampleDocument), RawEntry("META-INF/timestamp.tst", token)]))
        let (evidence, report) = try verify(path)
        #expect(report.indication == .totalPassed, "\(report.documentChecks)")
        #expect(report.signatures.isEmpty)
        #expect(report.timestamps?.first?.indication == .passed)
        #expect(report.container?.signatures.first?.covers == ["order.txt"])
        #expect(evidence.timestamps?.count == 1)
        let changed = try folder.write("changed.asics", Self.zip([mimetype, RawEntry("order.txt", Array("другой".utf8)), RawEntry("META-INF/timestamp.tst", token)]))
        let (_, failed) = try verify(changed)
        #expect(failed.indication == .totalFailed)
        #expect(failed.subIndication == .hashFailure)
    }

    @Test("ASiC-S without its data file: TOTAL-FAILED/HASH_FAILURE, as before")
    func asicsMissingFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let signer = try Hierarchy.rsa.signer()
        let options = SignatureOptions(chain: [Hierarchy.rsa.ca.certificate])
        let path = folder.file("one.asics")
        let input = try folder.write("order.txt", sampleDocument)
        try ContainerWriter.writeASiCS(file: ContainerWriter.Input(path: input), to: path, force: true) {
            try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: options)
        }
        try rewrite(try entries(path).filter { $0.0 != "order.txt" }, to: path)
        let (_, report) = try verify(path)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .hashFailure)
    }

    @Test("mimetype not first, compressed, with an extra field, or missing: the container is read and judged; the deviation is a warning",
          arguments: ["not first", "compressed", "missing"])
    func tolerantMimetype(_ deviation: String) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try makeASiCE(folder)
        var raw: [RawEntry] = try entries(path).map { RawEntry($0.0, $0.1) }
        switch deviation {
        case "not first": raw.append(raw.removeFirst())
        case "compressed":
            let packed = try Self.deflate(raw[0].data)
            raw[0].crc = packed.crc
            raw[0].uncompressedSize = UInt32(raw[0].data.count)
            raw[0].data = packed.data
            raw[0].method = 8
        default: raw.removeFirst()
        }
        try Data(Self.zip(raw)).write(to: URL(fileURLWithPath: path))
        let (evidence, report) = try verify(path)
        #expect(report.indication == .totalPassed, "\(deviation): \(report.documentChecks)")
        #expect(check(report)?.status == .warning)
        #expect(check(report)?.message.contains("mimetype") == true)
        #expect(evidence.container?.type == "ASiC-E")
        #expect(evidence.container?.warnings?.isEmpty == false)
        // `verify FILE` recognises it by content, and it passes read from the file as from an upload.
        #expect(SignedFileKind.of(path: path) == .container)
        let settings = VerificationSettings(trust: Hierarchy.rsa.trust, crls: [try Hierarchy.rsa.crl(), try Hierarchy.rsa.crl(by: Hierarchy.rsa.root)])
        let uploaded = try Verifier.verify(VerificationInput(.container(.bytes(try FileInput.readSmallFile(path: path, limit: 1 << 24), name: "bundle.asice")),
                                                             settings: settings)).report
        #expect(uploaded.indication == .totalPassed, "\(deviation): \(uploaded.documentChecks)")
    }

    @Test("--json prints a FORMAT_FAILURE report for a container that cannot be read (exit 65)")
    func unreadableContainerJSON() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let hostile = try folder.write("evil.asice", Self.zip([.mimetype, .text("../evil.txt", "x"), .text("META-INF/signature.p7s", "x")]))
        let result = try CLI.run(["verify", hostile, "--json"])
        #expect(result.status == 65)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["indication"] as? String == "TOTAL-FAILED")
        #expect(json["subIndication"] as? String == "FORMAT_FAILURE")
        #expect((json["formatError"] as? String)?.contains("path traversal") == true)
    }

    @Test("the container section is data: it survives JSON, and evidence without it still decodes")
    func evidenceCoding() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let (evidence, report) = try verify(try makeASiCE(folder))
        let encoded = try JSONEncoder.podpis().encode(evidence)
        let decoded = try JSONDecoder.podpis().decode(Evidence.self, from: encoded)
        #expect(decoded == evidence)
        // Re-judged from the stored evidence: the same verdict.
        #expect(PolicyEngine().judge(decoded, policy: BuiltinPolicies.default, options: JudgementOptions(validationTime: report.validationTime)).indication == report.indication)
        // Evidence written before containers existed has no `container` key.
        var object = try JSONSerialization.jsonObject(with: encoded) as! [String: Any]
        object.removeValue(forKey: "container")
        let old = try JSONDecoder.podpis().decode(Evidence.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(old.container == nil)
        // A plain report has no `container` key at all.
        let (_, plain) = try signAndJudge(try Hierarchy.rsa.signer(), hierarchy: .rsa)
        let plainJSON = try JSONSerialization.jsonObject(with: try JSONEncoder.podpis().encode(plain)) as! [String: Any]
        #expect(plainJSON["container"] == nil)
        let containerJSON = try JSONSerialization.jsonObject(with: try JSONEncoder.podpis().encode(report)) as! [String: Any]
        #expect(containerJSON["container"] != nil)
    }

    @Test("extract: files written as stored, no overwrite without --force, no traversal")
    func extract() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try makeASiCE(folder)
        let target = folder.file("out")
        let written = try ContainerExtractor.extract(try ASiCContainer(path: path), to: target, force: false)
        #expect(written.count == Self.files.count)
        for (name, bytes) in Self.files {
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: target + "/" + name))) == bytes)
        }
        #expect(!FileManager.default.fileExists(atPath: target + "/META-INF"))
        try Data("mine".utf8).write(to: URL(fileURLWithPath: target + "/annex.xml"))
        #expect(throws: PodpisError.self) { try ContainerExtractor.extract(try ASiCContainer(path: path), to: target, force: false) }
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: target + "/annex.xml")), as: UTF8.self) == "mine")
        _ = try ContainerExtractor.extract(try ASiCContainer(path: path), to: target, force: true)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: target + "/annex.xml"))) == Self.files[1].1)
        // No temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: target).allSatisfy { !$0.hasPrefix(".podpis") })

        // Folders inside the container are created; one that already exists as a symbolic link is not followed.
        let signer = try Hierarchy.rsa.signer()
        let nested = folder.file("nested.asice")
        try ContainerWriter.writeASiCE(files: [ContainerWriter.Input(path: folder.file("annex.xml"), name: "sub/annex.xml")],
                                       digest: .sha256, to: nested, force: false) {
            try Signer.sign(.bytes($0), identity: signer.identity, options: SignatureOptions(chain: [Hierarchy.rsa.ca.certificate]))
        }
        _ = try ContainerExtractor.extract(try ASiCContainer(path: nested), to: folder.file("plain"), force: false)
        #expect(FileManager.default.fileExists(atPath: folder.file("plain/sub/annex.xml")))
        try FileManager.default.createDirectory(atPath: folder.file("elsewhere"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder.file("linked"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.file("linked/sub"), withDestinationPath: folder.file("elsewhere"))
        #expect(throws: PodpisError.self) { try ContainerExtractor.extract(try ASiCContainer(path: nested), to: folder.file("linked"), force: true) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("elsewhere")).isEmpty)
    }

    @Test("a second signature: ASiC-E gets ASiCManifest001.xml + signature001.p7s, ASiC-S a parallel signer", .needsGOST)
    func secondSignature() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try makeASiCE(folder)
        let deputy = try Hierarchy.gost.signer()
        let options = SignatureOptions(chain: [Hierarchy.gost.ca.certificate])
        func add(_ container: String, to output: String) throws -> String {
            try ContainerWriter.addSignature(
                to: try ASiCContainer(path: container), digest: try Signer.digest(for: deputy.identity, options: options),
                output: output,
                signManifest: { try Signer.sign(.bytes($0), identity: deputy.identity, options: options) },
                cosign: { existing, data in
                    try Signer.cosign(signature: existing, signatureName: nil, content: .file(data), identity: deputy.identity, options: options)
                })
        }
        #expect(try add(path, to: path) == "META-INF/signature001.p7s")
        let names = try entries(path).map(\.0)
        #expect(names.first == "mimetype")
        #expect(names.contains("META-INF/ASiCManifest001.xml") && names.contains("META-INF/signature.p7s"))
        // Both signers' roots are trusted; each signature covers every file.
        let container = try ASiCContainer(path: path)
        let evidence = try container.collectEvidence(ASiCContainer.VerificationSettings(
            trust: TrustStore(anchors: [Hierarchy.rsa.root.certificate, Hierarchy.gost.root.certificate]),
            crls: [try Hierarchy.rsa.crl(), try Hierarchy.rsa.crl(by: Hierarchy.rsa.root), try Hierarchy.gost.crl(),
                   try Hierarchy.gost.crl(by: Hierarchy.gost.root)]))
        let report = PolicyEngine().judge(evidence, policy: BuiltinPolicies.default)
        #expect(report.indication == .totalPassed, "\(report.signatures.map(\.reason)) \(report.documentChecks.map(\.message))")
        #expect(report.signatures.map(\.id) == ["S0", "S1"])
        #expect(report.container?.signatures.map(\.signatures) == [["S0"], ["S1"]])
        #expect(report.container?.signatures.allSatisfy { Set($0.covers) == Set(Self.files.map(\.0)) } == true)

        // A changed container is not countersigned.
        var parts = try entries(path)
        parts[parts.firstIndex { $0.0 == "annex.xml" }!].1 = Array("changed".utf8)
        let changed = folder.file("changed.asice")
        try rewrite(parts, to: changed)
        #expect(throws: PodpisError.self) { try add(changed, to: folder.file("never.asice")) }
        #expect(!FileManager.default.fileExists(atPath: folder.file("never.asice")))

        // ASiC-S: the second signer joins signature.p7s.
        let rsa = try Hierarchy.rsa.signer()
        let document = try folder.write("order.txt", sampleDocument)
        let asics = folder.file("order.asics")
        try ContainerWriter.writeASiCS(file: ContainerWriter.Input(path: document), to: asics, force: false) {
            try Signer.sign(.file(document), identity: rsa.identity, options: SignatureOptions(chain: [Hierarchy.rsa.ca.certificate]))
        }
        #expect(try add(asics, to: asics) == "META-INF/signature.p7s")
        let single = try ASiCContainer(path: asics).collectEvidence(ASiCContainer.VerificationSettings(
            trust: TrustStore(anchors: [Hierarchy.rsa.root.certificate, Hierarchy.gost.root.certificate]),
            crls: [try Hierarchy.rsa.crl(), try Hierarchy.rsa.crl(by: Hierarchy.rsa.root), try Hierarchy.gost.crl(),
                   try Hierarchy.gost.crl(by: Hierarchy.gost.root)]))
        let singleReport = PolicyEngine().judge(single, policy: BuiltinPolicies.default)
        #expect(singleReport.signatures.count == 2)
        #expect(singleReport.indication == .totalPassed, "\(singleReport.signatures.map(\.reason))")
    }

    @Test("POST /v1/verify with a «container» part: the report with its container section; bad containers are 422")
    func httpContainer() async throws {
        let f = try await HTTPServiceTests.Fixture()
        defer { f.folder.cleanup() }
        let (good, tampered) = try await offCooperativePool { () -> ([UInt8], [UInt8]) in
            let folder = try TemporaryFolder()
            defer { folder.cleanup() }
            let path = try ContainerTests().makeASiCE(folder)
            let good = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            var parts = try ContainerTests().entries(path)
            parts[parts.firstIndex { $0.0 == "annex.xml" }!].1 = Array("<annex/>".utf8)
            try ContainerTests().rewrite(parts, to: path)
            return (good, Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        try await f.app.test(.router) { client in
            let (body, headers) = f.multipart([("container", good, "bundle.asice"), ("lang", Array("ru".utf8), nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let report = HTTPServiceTests.object(response.body)
                #expect(report["indication"] as? String == "TOTAL-PASSED", "\(report)")
                let container = report["container"] as? [String: Any]
                #expect(container?["type"] as? String == "ASiC-E")
                #expect(Set((container?["files"] as? [String]) ?? []) == Set(Self.files.map(\.0)))
            }
            let (changed, changedHeaders) = f.multipart([("container", tampered, "bundle.asice")])
            try await client.execute(uri: "/v1/verify", method: .post, headers: changedHeaders, body: changed) { response in
                #expect(response.status == .ok)
                #expect(HTTPServiceTests.object(response.body)["subIndication"] as? String == "HASH_FAILURE")
            }
            let hostile = Self.zip([.mimetype, .text("../evil.txt", "x"), .text("META-INF/signature.p7s", "x")])
            let (evil, evilHeaders) = f.multipart([("container", hostile, "evil.asice")])
            try await client.execute(uri: "/v1/verify", method: .post, headers: evilHeaders, body: evil) { response in
                #expect(response.status == .unprocessableContent)
                let problem = HTTPServiceTests.object(response.body)
                #expect(problem["type"] as? String == "urn:podpis:problem:not-a-container")
                #expect((problem["detail"] as? String)?.contains("path traversal") == true)
                #expect((problem["detail"] as? String)?.contains("podpis-upload") == false, "no server paths in answers")
            }
            let (both, bothHeaders) = f.multipart([("container", good, nil), ("signature", f.signature, nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: bothHeaders, body: both) { response in
                #expect(response.status == .badRequest)
            }
        }
        let entries = try await f.state.journal.entries(after: 0, limit: 10)
        #expect(entries.map(\.indication.value) == [.totalPassed, .totalFailed])
    }

    // MARK: Hostile input

    /// One hand-made ZIP entry: what the local header and central directory say, independently of the bytes.
    struct RawEntry {
        var name: [UInt8]
        var data: [UInt8]
        var method: UInt16 = 0
        var crc: UInt32? = nil
        var uncompressedSize: UInt32? = nil
        var localExtra: [UInt8] = []
        var flags: UInt16 = 0x0800
        var external: UInt32 = 0o100644 << 16
        /// Where the central directory says the local header is (default: where it is).
        var offsetOverride: UInt32? = nil

        init(_ name: String, _ data: [UInt8], method: UInt16 = 0) {
            self.name = Array(name.utf8)
            self.data = data
            self.method = method
        }
        static func text(_ name: String, _ text: String) -> RawEntry { RawEntry(name, Array(text.utf8)) }
        static let mimetype = RawEntry.text("mimetype", "application/vnd.etsi.asic-e+zip")
    }

    /// Raw deflate of `bytes` (ZIPFoundation's compressor) and its CRC-32.
    static func deflate(_ bytes: [UInt8]) throws -> (data: [UInt8], crc: UInt32) {
        var output: [UInt8] = []
        let crc = try Data.compress(size: Int64(bytes.count), bufferSize: 64 << 10, provider: { position, size in
            Data(bytes[Int(position)..<min(bytes.count, Int(position) + size)])
        }, consumer: { output += $0 })
        return (output, crc)
    }

    /// Lays out local headers, data and a central directory exactly as the entries say.
    static func zip(_ entries: [RawEntry]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func u16(_ v: UInt16, _ to: inout [UInt8]) { to += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32, _ to: inout [UInt8]) { to += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
        for entry in entries {
            let offset = UInt32(out.count)
            let crc = entry.crc ?? Data(entry.data).crc32(checksum: 0)
            let size = entry.uncompressedSize ?? UInt32(entry.data.count)
            u32(0x0403_4B50, &out); u16(20, &out); u16(entry.flags, &out); u16(entry.method, &out); u16(0, &out); u16(0x21, &out)
            u32(crc, &out); u32(UInt32(entry.data.count), &out); u32(size, &out)
            u16(UInt16(entry.name.count), &out); u16(UInt16(entry.localExtra.count), &out)
            out += entry.name + entry.localExtra + entry.data
            u32(0x0201_4B50, &central); u16(0x031E, &central); u16(20, &central); u16(entry.flags, &central); u16(entry.method, &central)
            u16(0, &central); u16(0x21, &central); u32(crc, &central); u32(UInt32(entry.data.count), &central); u32(size, &central)
            u16(UInt16(entry.name.count), &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u32(entry.external, &central); u32(entry.offsetOverride ?? offset, &central)
            central += entry.name
        }
        let cdOffset = UInt32(out.count)
        out += central
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(UInt16(entries.count), &out); u16(UInt16(entries.count), &out)
        u32(UInt32(central.count), &out); u32(cdOffset, &out); u16(0, &out)
        return out
    }

    /// Opens `bytes` as a container; returns the refusal's message (`nil` if it opened).
    func refusal(_ bytes: [UInt8], limits: ZIPLimits = .standard) throws -> String? {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try folder.write("hostile.asice", bytes)
        do {
            let container = try ASiCContainer(path: path, limits: limits)
            for entry in container.zip.entries { try container.zip.read(entry) { _ in } }
            return nil
        } catch let error as PodpisError {
            #expect(error.kind == .dataFormat, "\(error)")
            #expect(!error.description.contains("\n"))
            return error.message
        }
    }

    @Test("hostile ZIPs are refused with one clear line, never a crash or a hang", .timeLimit(.minutes(2)))
    func hostileZIPs() throws {
        let signature = RawEntry("META-INF/signature.p7s", [0x30, 0x03, 0x02, 0x01, 0x00])
        let data = RawEntry.text("a.txt", "hello")
        func expectRefused(_ entries: [RawEntry], _ fragment: String, limits: ZIPLimits = .standard,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
            let message = try refusal(Self.zip(entries), limits: limits)
            #expect(message?.contains(fragment) == true, "expected «\(fragment)», got \(message ?? "no refusal")", sourceLocation: sourceLocation)
        }

        // The well-formed baseline opens, so each refusal below is due to the one thing changed.
        #expect(try refusal(Self.zip([.mimetype, data, signature])) == nil)

        #expect(try refusal(Array("definitely not a zip file, just some text".utf8))?.contains("not a ZIP") == true)
        #expect(try refusal([])?.contains("not a ZIP") == true)
        var truncatedArchive = Self.zip([.mimetype, data, signature])
        truncatedArchive.removeLast(10)
        #expect(try refusal(truncatedArchive)?.contains("not a ZIP") == true)

        // A misplaced, compressed, extended or missing `mimetype` (or an unknown media type beside a CAdES
        // signature) is read, the deviation recorded as a warning; without a signature in META-INF it is no container.
        func expectTolerated(_ entries: [RawEntry], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let folder = try TemporaryFolder()
            defer { folder.cleanup() }
            let container = try ASiCContainer(path: try folder.write("tolerated.asice", Self.zip(entries)))
            #expect(container.warnings.contains { $0.contains(fragment) }, "\(container.warnings)", sourceLocation: sourceLocation)
        }
        try expectTolerated([data, .mimetype, signature], "«mimetype» is not the first entry")
        try expectTolerated([data, signature], "no «mimetype» entry")
        try expectRefused([data, .text("b.txt", "x")], "no «mimetype» entry")
        var compressed = RawEntry.mimetype
        let packed = try Self.deflate(compressed.data)
        compressed.crc = packed.crc
        compressed.uncompressedSize = UInt32(compressed.data.count)
        compressed.data = packed.data
        compressed.method = 8
        try expectTolerated([compressed, data, signature], "«mimetype» is compressed")
        try expectTolerated([.text("mimetype", "application/zip"), data, signature], "unknown media type")
        try expectRefused([.text("mimetype", "application/zip"), data], "unknown media type")
        var extra = RawEntry.mimetype
        extra.localExtra = [0x55, 0x54, 0x01, 0x00, 0x00]
        try expectTolerated([extra, data, signature], "extra field")

        for name in ["../evil.txt", "docs/../../evil.txt", "/etc/passwd", "dir\\evil.txt", "a\u{0}b.txt", "C:/evil.txt", "a//b.txt"] {
            try expectRefused([.mimetype, .text(name, "x"), signature], "entry name")
        }
        try expectRefused([.mimetype, data, data, signature], "duplicate entry name")
        try expectRefused([.mimetype, data, .text("A.TXT", "y"), signature], "differ only in letter case")

        var link = RawEntry.text("link", "/etc/passwd")
        link.external = 0o120777 << 16
        try expectRefused([.mimetype, link, signature], "symbolic link")
        var encrypted = data
        encrypted.flags |= 1
        try expectRefused([.mimetype, encrypted, signature], "encrypted")
        var bzip = data
        bzip.method = 12
        try expectRefused([.mimetype, bzip, signature], "compression method 12")

        let many = [.mimetype] + (0..<1001).map { RawEntry.text("f\($0).txt", "x") } + [signature]
        try expectRefused(many, "too many entries")

        // Zip bombs: an honest header with an absurd ratio; a header that lies about the size (caught while
        // inflating); a whole-archive cap reached while streaming.
        let zeros = [UInt8](repeating: 0, count: 16 << 20)
        let bomb = try Self.deflate(zeros)
        var honest = RawEntry("bomb.bin", bomb.data, method: 8)
        honest.crc = bomb.crc
        honest.uncompressedSize = UInt32(zeros.count)
        try expectRefused([.mimetype, honest, signature], "expands more than")
        var liar = honest
        liar.uncompressedSize = 1000
        try expectRefused([.mimetype, liar, signature], "more than its header states")
        let chunk = [UInt8](repeating: 0x41, count: 2000)
        try expectRefused([.mimetype, RawEntry("1.txt", chunk), RawEntry("2.txt", chunk), RawEntry("3.txt", chunk), signature],
                          "unpacks to more than 4000 bytes", limits: ZIPLimits(maxTotalUncompressed: 4000))

        // A deflate stream cut short (ZIPFoundation's Linux inflate would wait for more input forever).
        let text = Array(String(repeating: "Протокол заседания комиссии. ", count: 4000).utf8)
        let packedText = try Self.deflate(text)
        var truncated = RawEntry("minutes.txt", Array(packedText.data.prefix(packedText.data.count / 2)), method: 8)
        truncated.crc = packedText.crc
        truncated.uncompressedSize = UInt32(text.count)
        // What zlib makes of the missing tail decides which guard fires (the stream ends early, or the zero padding
        // after the entry's last byte decodes into more than the header states); either way it is refused, in time.
        try expectRefused([.mimetype, truncated, signature], "entry «minutes.txt»")
        // Garbage instead of deflate data.
        var garbage = RawEntry("noise.bin", (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 131) }, method: 8)
        garbage.uncompressedSize = 5000
        try expectRefused([.mimetype, garbage, signature], "entry «noise.bin»")
        // A stored entry whose CRC does not match.
        var badCRC = data
        badCRC.crc = 0xDEAD_BEEF
        try expectRefused([.mimetype, badCRC, signature], "CRC-32")

        // Central-directory offsets pointing elsewhere: outside the file, or at another entry (overlap).
        var outside = data
        outside.offsetOverride = 0x00FF_FFFF
        try expectRefused([.mimetype, outside, signature], "outside the archive")
        var overlapping = RawEntry.text("b.txt", "hello")
        overlapping.offsetOverride = 0
        try expectRefused([.mimetype, data, overlapping, signature], "entry «b.txt»")

        // No CAdES signature at all; a XAdES container says so.
        try expectRefused([.mimetype, data], "no CAdES signature")
        try expectRefused([.mimetype, data, .text("META-INF/signatures.xml", "<x/>")], "XAdES")
    }

    // MARK: The command line

    static let pki: (folder: TemporaryFolder, layout: DemoPKI.Layout) = {
        let folder = try! TemporaryFolder()
        let layout = try! DemoPKI.create(in: folder.file("pki"))
        return (folder, layout)
    }()

    func signArguments(_ who: String) -> [String] {
        let layout = Self.pki.layout
        return ["--key", layout.path("official-\(who).key"), "--cert", layout.path("official-\(who).pem"),
                "--chain", layout.path("\(who)-chain.pem")]
    }

    func verifyArguments(_ who: String) -> [String] {
        let layout = Self.pki.layout
        return ["--trust", layout.trustDirectory, "--crl", layout.path("\(who)-ca.crl"),
                "--crl", layout.path("\(who)-root.crl")]
    }

    @Test("podpis sign --container, verify, container list/extract, as a user runs them", .needsGOST)
    func commandLine() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let paths = try writeFiles(folder)
        // What the files verify as is asked of the service; the printed report once, in Russian.
        func verify(_ path: String, _ who: [String]) throws -> Report {
            try VerifyOptions.demo(Self.pki.layout, who).verify(path).report
        }
        for who in ["rsa", "gost"] {
            let asice = folder.file("\(who).asice")
            let signed = try CLI.run(["sign", "--container", "asice"] + paths + ["--out", asice] + signArguments(who))
            #expect(signed.status == 0, "\(signed.stderr)")
            let report = try verify(asice, [who])
            #expect(report.indication == .totalPassed, "\(who): \(report.signatures.map(\.reason))")
            #expect(Set(report.container?.signatures.first?.covers ?? []) == Set(Self.files.map(\.0)))

            let asics = folder.file("\(who).asics")
            let single = try CLI.run(["sign", paths[0], "--container", "asics", "--out", asics] + signArguments(who))
            #expect(single.status == 0, "\(single.stderr)")
            #expect(try verify(asics, [who]).indication == .totalPassed)
        }
        let text = try CLI.run(["verify", folder.file("rsa.asice"), "--lang", "ru"] + verifyArguments("rsa"))
        #expect(text.status == 0)
        #expect(text.stdout.contains("ASiC-E"))
        #expect(text.stdout.contains("annex.xml"))
        // Refused: several files into ASiC-S; an existing output without --force.
        #expect(try CLI.run(["sign", "--container", "asics"] + paths + signArguments("rsa")).status == 64)
        let again = try CLI.run(["sign", "--container", "asice"] + paths + ["--out", folder.file("rsa.asice")] + signArguments("rsa"))
        #expect(again.status == 73)

        // A changed file: exit 1, HASH_FAILURE.
        let asice = folder.file("rsa.asice")
        var parts = try entries(asice)
        parts[parts.firstIndex { $0.0 == "scan.bin" }!].1[5] ^= 1
        let tampered = folder.file("tampered.asice")
        try rewrite(parts, to: tampered)
        let failed = try verify(tampered, ["rsa"])
        #expect(failed.indication == .totalFailed)
        #expect(failed.subIndication == .hashFailure)

        // A second signer, by cosign on the container.
        let cosigned = try CLI.run(["cosign", asice] + signArguments("gost"))
        #expect(cosigned.status == 0, "\(cosigned.stderr)")
        let both = try verify(asice, ["rsa", "gost"])
        #expect(both.indication == .totalPassed, "\(both.signatures.map(\.reason))")
        #expect(both.container?.signatures.map(\.file).contains("META-INF/signature001.p7s") == true)

        // verify --batch: containers in a folder are verified alone, beside ordinary pairs.
        let batch = folder.file("batch")
        try FileManager.default.createDirectory(atPath: batch, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: folder.file("rsa.asics"), toPath: batch + "/good.asics")
        try FileManager.default.copyItem(atPath: tampered, toPath: batch + "/tampered.asice")
        var verifier = BatchVerifier(trust: TrustStore(anchors: []), policy: BuiltinPolicies.default, workers: 1)
        verifier.settings = try VerifyOptions.demo(Self.pki.layout).settings()
        let results = try BatchPlanner.items(inFolder: batch).map(verifier.verify)
        let verdicts = Dictionary(uniqueKeysWithValues: results.map {
            (($0.item.signature as NSString).lastPathComponent, $0.report?.subIndication?.rawValue ?? $0.report?.indication.rawValue ?? "error")
        })
        #expect(verdicts == ["good.asics": "TOTAL-PASSED", "tampered.asice": "HASH_FAILURE"], "\(results.map { "\($0.item) \(String(describing: $0.error))" })")

        // list and extract.
        let listed = try CLI.run(["container", "list", asice])
        #expect(listed.status == 0)
        #expect(Self.files.allSatisfy { listed.stdout.contains($0.0) })

        // inspect: the container's files, and each signature's manifest coverage and CMS structure (nothing verified).
        let inspected = try CLI.run(["inspect", asice, "--json"])
        #expect(inspected.status == 0, "\(inspected.stderr)")
        let inspection = try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [String: Any]
        #expect(inspection?["type"] as? String == "ASiC-E")
        #expect(Set(((inspection?["files"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }) == Set(Self.files.map(\.0)))
        let inspectedSignatures = (inspection?["signatures"] as? [[String: Any]]) ?? []
        #expect(inspectedSignatures.count == 2)
        for entry in inspectedSignatures {
            #expect(Set((entry["covers"] as? [String]) ?? []) == Set(Self.files.map(\.0)))
            let signers = ((entry["cms"] as? [String: Any])?["signers"] as? [[String: Any]]) ?? []
            #expect(signers.count == 1, "\(entry)")
        }
        let inspectedText = try CLI.run(["inspect", asice, "--lang", "ru"])
        #expect(inspectedText.status == 0)
        #expect(inspectedText.stdout.contains("Контейнер ASiC-E"))
        #expect(inspectedText.stdout.contains("META-INF/signature001.p7s: CMS SignedData"))
        // A signature entry that is not CMS is shown as such, beside the container's other contents.
        let broken = try folder.write("broken.asice", Self.zip([.mimetype, .text("doc.txt", "x"), .text("META-INF/signature.p7s", "not CMS")]))
        let brokenRun = try CLI.run(["inspect", broken, "--lang", "en"])
        #expect(brokenRun.status == 0, "\(brokenRun.stderr)")
        #expect(brokenRun.stdout.contains("doc.txt"))
        #expect(brokenRun.stdout.contains("not a readable CMS signature"))
        let out = folder.file("extracted")
        let extracted = try CLI.run(["container", "extract", asice, "--to", out])
        #expect(extracted.status == 0, "\(extracted.stderr)")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: out + "/scan.bin"))) == Self.files[2].1)
        #expect(try CLI.run(["container", "extract", asice, "--to", out]).status == 73)
        #expect(try CLI.run(["container", "extract", asice, "--to", out, "--force"]).status == 0)

        // Hostile input: exit 65 and one line naming the file.
        let hostile = try folder.write("evil.asice", Self.zip([.mimetype, .text("../evil.txt", "x"), .text("META-INF/signature.p7s", "x")]))
        for command in [["verify", hostile], ["container", "extract", hostile, "--to", folder.file("evil")]] {
            let refused = try CLI.run(command)
            #expect(refused.status == 65, "\(command): \(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
            #expect(refused.stderr.contains("evil.asice"))
            #expect(refused.stderr.contains("path traversal"))
        }
        #expect(!FileManager.default.fileExists(atPath: folder.file("evil.txt")))
        let notZIP = try folder.write("noise.asice", Array("not a container".utf8))
        #expect(SignedFileKind.of(path: notZIP) == .container, "named as a container, it gets the container reader's error")
        let noise = #expect(throws: PodpisError.self) { _ = try VerifyOptions.demo(Self.pki.layout).verify(notZIP) }
        #expect(noise?.kind == .dataFormat)
        #expect(noise?.message.contains("not a ZIP container") == true, "\(String(describing: noise))")
        // A ZIP that is not ASiC, and an existing output, in Russian for a Russian-speaking official.
        let plainZIP = try folder.write("bundle.zip", Self.zip([.text("letter.txt", "x")]))
        let plain = try CLI.run(["verify", plainZIP, "--lang", "ru"])
        #expect(plain.status == 65)
        #expect(plain.stderr.contains("не контейнер ASiC: нет записи «mimetype»"), "\(plain.stderr)")
        let exists = try CLI.run(["container", "extract", asice, "--to", out, "--lang", "ru"])
        #expect(exists.status == 73)
        #expect(exists.stderr.contains("уже существует; чтобы заменить, укажите --force"), "\(exists.stderr)")
    }

    @Test("sign --container asice --tsa: CAdES-T inside the container, and LT verifies offline (built-in TSA on loopback)", .needsGOST)
    func timestampedContainer() throws {
        let f = try NetworkTests.Fixture()
        let paths = try writeFiles(f.folder)
        let stamped = f.folder.file("t.asice")
        let signed = try CLI.run(["sign", "--container", "asice"] + paths + ["--out", stamped, "--tsa", f.tsa.url] + f.signArguments("rsa"))
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stderr.contains("CAdES-T"))
        let (_, verified) = try VerifyOptions(trust: [f.layout.trustDirectory]).verify(stamped)
        #expect(verified.indication == .totalPassed, "\(verified.signatures.map(\.reason))")
        #expect(verified.signatures.map(\.format) == ["CAdES-BASELINE-T"])
        let longTerm = f.folder.file("lt.asics")
        let lt = try CLI.run(["sign", paths[0], "--container", "asics", "--out", longTerm, "--tsa", f.tsa.url, "--level", "LT",
                              "--trust", f.layout.trustDirectory] + f.signArguments("gost"))
        #expect(lt.status == 0, "\(lt.stderr)")
        let (_, offline) = try VerifyOptions(trust: [f.layout.trustDirectory], offline: true).verify(longTerm)
        #expect(offline.indication == .totalPassed, "\(offline.signatures.map(\.reason))")
        #expect(offline.signatures.map(\.format) == ["CAdES-BASELINE-LT"])
    }

    @Test("independently: python3 zipfile unpacks it, OpenSSL verifies signature.p7s over the manifest (-cades), the manifest digests are the files' SHA-256",
          .needsTools("python3", "openssl"))
    func opensslInterop() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try makeASiCE(folder)
        let out = folder.file("unpacked")
        let script = """
            import base64, hashlib, sys, zipfile
            zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
            for name in sys.argv[3:]:
                print(base64.b64encode(hashlib.sha256(open(sys.argv[2] + '/' + name, 'rb').read()).digest()).decode())
            """
        let unpacked = try runTool("python3", ["-c", script, path, out] + Self.files.map(\.0))
        #expect(unpacked.status == 0, "\(unpacked.stderr)")
        let manifest = String(decoding: try Data(contentsOf: URL(fileURLWithPath: out + "/META-INF/ASiCManifest.xml")), as: UTF8.self)
        let digests = unpacked.stdout.split(separator: "\n")
        #expect(digests.count == Self.files.count)
        for digest in digests { #expect(manifest.contains("<ds:DigestValue>\(digest)</ds:DigestValue>")) }
        let root = try folder.write("root.pem", try CertificateFiles.pem([Hierarchy.rsa.root.certificate]))
        let verified = try runTool("openssl", ["cms", "-verify", "-cades", "-binary", "-inform", "DER", "-in", out + "/META-INF/signature.p7s",
                                               "-content", out + "/META-INF/ASiCManifest.xml", "-CAfile", root, "-purpose", "any", "-out", "/dev/null"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stderr.contains("Verification successful"))
    }

    @Test("an independent reader (python3 zipfile) sees mimetype first, stored, without extra field",
          .needsTools("python3", "openssl"))
    func pythonZipfile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = try makeASiCE(folder)
        let script = """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            first = z.infolist()[0]
            print(first.filename, first.compress_type, len(first.extra), z.read(first).decode())
            print(sorted(i.filename for i in z.infolist()))
            """
        let result = try runTool("python3", ["-c", script, path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "mimetype 0 0 application/vnd.etsi.asic-e+zip")
        #expect(lines.dropFirst().first?.contains("META-INF/ASiCManifest.xml") == true)
        #expect(lines.dropFirst().first?.contains("META-INF/signature.p7s") == true)
    }
}
