import EvidenceModel
import Foundation
import PodpisPDF
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// Signed PDFs made by other systems: EU DSS's PAdES validation suite (`dss-pades/src/test/resources/validation/`,
/// LGPL-2.1), read from `../shared/testdata/real-world/dss-pades` beside the project, or from `$PODPIS_PDF_CORPUS`.
/// The folder is not part of the project; without it this suite skips itself. Expectations are those DSS's own unit
/// tests assert about each file.
enum RealWorldPDF {
    static let folder: String = {
        if let explicit = ProcessInfo.processInfo.environment["PODPIS_PDF_CORPUS"], !explicit.isEmpty { return explicit }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("../shared/testdata/real-world/dss-pades").standardized.path
    }()
    static var available: Bool { FileManager.default.fileExists(atPath: folder) }

    static func path(_ relative: String) -> String { (folder as NSString).appendingPathComponent(relative) }

    /// Every PDF in the folder (Git LFS pointers, a few hundred bytes of text, left out).
    static func files() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { name in
            guard name.lowercased().hasSuffix(".pdf"),
                  let size = (try? FileManager.default.attributesOfItem(atPath: path(name)))?[.size] as? Int else { return false }
            return size > 512
        }.sorted()
    }

    static func verify(_ relative: String) throws -> (Evidence, Report) {
        let evidence = try SignedPDF(path: path(relative)).collectEvidence(SignedPDF.VerificationSettings(trust: TrustStore(anchors: [])))
        return (evidence, PolicyEngine().judge(evidence, policy: BuiltinPolicies.default))
    }

    static func status(_ report: Report, _ id: String) -> [CheckResult.Status] {
        report.signatures.compactMap { $0.checks.first { $0.id == id }?.status }
    }
}

@Suite("Real-world signed PDFs (EU DSS)", .enabled(if: RealWorldPDF.available, "../shared/testdata/real-world/dss-pades is absent: skipped"))
struct RealWorldPDFTests {
    @Test("every file: a report, or one clear dataFormat error; never a crash")
    func everyFile() throws {
        let files = RealWorldPDF.files()
        #expect(files.count > 50)
        var reports = 0
        for file in files {
            do {
                let pdf = try SignedPDF(path: RealWorldPDF.path(file))
                guard pdf.isSigned else { continue }
                let evidence = try pdf.collectEvidence(SignedPDF.VerificationSettings(trust: TrustStore(anchors: [])))
                let report = PolicyEngine().judge(evidence, policy: BuiltinPolicies.default)
                // No trust anchors are configured: nothing real-world can pass.
                #expect(report.indication != .totalPassed, "\(file)")
                reports += 1
            } catch let error as PodpisError {
                #expect(error.kind == .dataFormat, "\(file): \(error)")
                #expect(!error.message.contains("\n"), "\(file)")
            }
        }
        #expect(reports > 50)
    }

    @Test("changed after signing beyond what is allowed (pages added or removed, content hidden, a certified page drawn on)",
          arguments: ["pdf-signed-added-page.pdf", "pdf-removed-pages.pdf", "modified_after_signature.pdf", "dss-2236/hide.pdf",
                      "dss-2236/annotation-and-visible-change.pdf", "pades-spoofing-replaced-reason.pdf"])
    func forbiddenChanges(_ file: String) throws {
        let (_, report) = try RealWorldPDF.verify(file)
        #expect(RealWorldPDF.status(report, "pdf-changes").contains(.failed), "\(file)")
        #expect(report.indication == .totalFailed)
    }

    @Test("changes DSS finds harmless: a form filled, an annotation added, a signature field added with its resources",
          arguments: ["pades-signed-filled-form.pdf", "pades-signed-annot-added.pdf", "DSS-3577.pdf", "DSS-3226.pdf",
                      "Signature-P-DE_SCI-4.pdf", "pkcs7_sha1.pdf"])
    func allowedChanges(_ file: String) throws {
        let (evidence, report) = try RealWorldPDF.verify(file)
        #expect(RealWorldPDF.status(report, "pdf-changes").allSatisfy { $0 == .passed }, "\(file): \(report.signatures.map(\.checks).flatMap { $0 }.filter { $0.id == "pdf-changes" }.map(\.message))")
        #expect(evidence.pdf?.revisions.count ?? 0 > 1)
    }

    @Test("byte ranges that do not cover their revision", arguments: ["pdf-eof.pdf", "pdf-signed-out-of-byteRange.pdf"])
    func badByteRanges(_ file: String) throws {
        let (_, report) = try RealWorldPDF.verify(file)
        #expect(RealWorldPDF.status(report, "pdf-byte-range").contains(.failed))
        #expect(report.subIndication == .formatFailure)
    }

    @Test("PAdES levels as DSS names them: B, T, LT (DSS), LTA (document timestamp after the DSS)",
          arguments: [("pades-bes.pdf", "PAdES-BASELINE-B"), ("doc-firmado-T.pdf", "PAdES-BASELINE-T"),
                      ("doc-firmado-LT.pdf", "PAdES-BASELINE-LT"), ("dss-2058/dss-2058-LTA-test.pdf", "PAdES-BASELINE-LTA")])
    func levels(_ file: String, _ format: String) throws {
        let (_, report) = try RealWorldPDF.verify(file)
        #expect(report.signatures.first?.format == format, "\(file)")
    }

    @Test("adbe.pkcs7.sha1 is recognised: the SHA-1 inside matches, and SHA-1 is judged by today's constraints")
    func sha1SubFilter() throws {
        let (evidence, report) = try RealWorldPDF.verify("pkcs7_sha1.pdf")
        let record = try #require(evidence.pdf?.signatures.first { $0.subFilter == .pkcs7SHA1 })
        #expect(record.contentDigest?.outcome == .valid)
        let check = report.signatures.compactMap { $0.checks.first { $0.id == "pdf-subfilter" } }.first
        #expect(check?.subIndication == .cryptoConstraintsFailureNoPOE)
    }

    @Test("a document timestamp copied from another file proves nothing: a warning at document level, no proof for the signature")
    func copiedDocumentTimestamp() throws {
        let (_, report) = try RealWorldPDF.verify("pades-lta-copied-doctst.pdf")
        #expect(report.documentChecks.first { $0.id == "pdf-document-timestamps" }?.status == .warning)
        #expect(report.signatures.allSatisfy { !$0.timestamps.contains { $0.type == .document } })
    }

    @Test("certifications: P=1 and P=3 are read; podpis refuses to sign a document certified with no changes allowed")
    func certifications() throws {
        #expect(try RealWorldPDF.verify("dss-2554/certified-no-change-permitted.pdf").1.pdf?.certification == 1)
        #expect(try RealWorldPDF.verify("dss-2554/certified-changes-permitted.pdf").1.pdf?.certification == 3)
        let pdf = try FileInput.readSmallFile(path: RealWorldPDF.path("dss-2554/certified-no-change-permitted.pdf"), limit: 1 << 26)
        let signer = try Hierarchy.rsa.signer()
        let error = #expect(throws: PodpisError.self) {
            try PAdESSigner.sign(pdf: pdf, name: "certified.pdf", identity: signer.identity,
                                 settings: PAdESSigner.Settings(level: .B, options: SignatureOptions()))
        }
        #expect(error?.kind == .usage)
    }
}
