import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import Testing
@testable import PodpisPDF
@testable import SigningCore

/// Signed PDFs (ISO 32000, PAdES: ETSI EN 319 142-1): what a regional СЭД receives from outside and what its officials
/// sign. Documents are made at test time (``TestPDF``); changes after signing are appended by hand, as another
/// program would.
@Suite("Signed PDFs")
struct PDFTests {
    // MARK: Helpers

    static func sign(_ pdf: [UInt8], hierarchy: Hierarchy = .rsa, signer: IssuedCertificate? = nil, level: PAdESSigner.Level = .B,
                     certify: Int? = nil, field: String? = nil, authority: TimestampAuthority? = nil) throws -> [UInt8] {
        let signer = try signer ?? hierarchy.signer()
        let settings = PAdESSigner.Settings(
            level: level, options: SignatureOptions(chain: [hierarchy.ca.certificate]),
            pdf: PDFSigning.Options(fieldName: field, certify: certify),
            timestamps: authority.map { TimestampClient(source: LocalTimestampSource($0)) }, trust: hierarchy.trust,
            crls: [try hierarchy.crl(), try hierarchy.crl(by: hierarchy.root)], revocation: .offline)
        return try PAdESSigner.sign(pdf: pdf, name: "order.pdf", identity: signer.identity, settings: settings)
    }

    static func verify(_ pdf: [UInt8], hierarchies: [Hierarchy] = [.rsa], at time: Date? = nil) throws -> (Evidence, Report) {
        var crls: [CertificateRevocationList] = []
        for hierarchy in hierarchies { crls += [try hierarchy.crl(), try hierarchy.crl(by: hierarchy.root)] }
        let evidence = try SignedPDF(bytes: pdf, name: "order.pdf").collectEvidence(SignedPDF.VerificationSettings(
            trust: TrustStore(anchors: hierarchies.map(\.root.certificate)), crls: crls, validationTime: time))
        return (evidence, PolicyEngine().judge(evidence, policy: BuiltinPolicies.default))
    }

    static func check(_ report: Report, _ id: String, signature: Int = 0) -> CheckResult? {
        report.signatures[signature].checks.first { $0.id == id }
    }

    // MARK: Signing and verifying

    @Test("a PAdES-B signature made by podpis verifies: the whole file but its /Contents, revision 2 of 2, unchanged since", arguments: Algorithm.testable)
    func signsAndVerifies(_ algorithm: Algorithm) throws {
        let original = TestPDF.make()
        let hierarchy = Hierarchy.of(algorithm)
        let signed = try Self.sign(original, hierarchy: hierarchy)
        #expect(Array(signed.prefix(original.count)) == original, "the original bytes must stay untouched (an incremental update)")
        let (evidence, report) = try Self.verify(signed, hierarchies: [hierarchy])
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? report.documentChecks.description)")
        #expect(report.signatures.count == 1)
        #expect(report.signatures[0].format == "PAdES-BASELINE-B")
        #expect(Self.check(report, "pdf-byte-range")?.status == .passed)
        #expect(Self.check(report, "pdf-changes")?.status == .passed)
        let pdf = try #require(report.pdf)
        #expect(pdf.revisions == 2)
        #expect(pdf.signatures.first?.revision == 2)
        #expect(pdf.signatures.first?.changedAfter == false)
        // PAdES: the claimed time is /M, the CMS carries no signing-time attribute (EN 319 142-1, 6.3).
        #expect(!evidence.signers[0].signedAttributes.contains("1.2.840.113549.1.9.5"))
        #expect(evidence.signers[0].claimedSigningTime != nil)
        #expect(evidence.pdf?.signatures.first?.subFilter?.rawValue == "ETSI.CAdES.detached")
    }

    @Test("RSA-PSS: the CMS re-signed without signing-time keeps its PSS parameters and verifies")
    func rsaPSS() throws {
        let signer = try Hierarchy.rsa.signer()
        let settings = PAdESSigner.Settings(level: .B, options: SignatureOptions(rsaPSS: true, chain: [Hierarchy.rsa.ca.certificate]))
        let signed = try PAdESSigner.sign(pdf: TestPDF.make(), name: "order.pdf", identity: signer.identity, settings: settings)
        let (_, report) = try Self.verify(signed)
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "")")
        #expect(report.signatures.first?.algorithms.signature == "rsa-pss")
    }

    @Test("a second signer adds a second incremental update; both signatures stay valid and the first reports the later signature as allowed")
    func secondSigner() throws {
        let once = try Self.sign(TestPDF.make(), hierarchy: .rsa)
        let twice = try Self.sign(once, hierarchy: .ec)
        #expect(Array(twice.prefix(once.count)) == once)
        let (_, report) = try Self.verify(twice, hierarchies: [.rsa, .ec])
        #expect(report.indication == .totalPassed, "\(report.signatures.map(\.reason))")
        let pdf = try #require(report.pdf)
        #expect(pdf.revisions == 3)
        #expect(pdf.signatures.map(\.revision) == [2, 3])
        #expect(pdf.signatures[0].changedAfter && !pdf.signatures[1].changedAfter)
        #expect(pdf.signatures[0].changesAllowed)
        #expect(Self.check(report, "pdf-changes")?.message.contains("Signature2") == true)
    }

    @Test("a document with a cross-reference stream gets an update with a cross-reference stream, and verifies")
    func crossReferenceStream() throws {
        let signed = try Self.sign(TestPDF.make(xrefStream: true))
        let (evidence, report) = try Self.verify(signed)
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "")")
        #expect(evidence.pdf?.revisions.map(\.xref) == ["stream", "stream"])
    }

    // MARK: Changes after signing

    @Test("page content changed after signing (an incremental update): TOTAL-FAILED / FORMAT_FAILURE, the change named")
    func pageChangedAfterSigning() throws {
        let signed = try Self.sign(TestPDF.make())
        let changed = TestPDF.appendUpdate(signed, objects: [TestPDF.content(0): TestPDF.stream("BT /F1 14 Tf 72 760 Td (Prikaz No 999 - page 1) Tj ET")])
        let (_, report) = try Self.verify(changed)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .formatFailure)
        let changes = try #require(Self.check(report, "pdf-changes"))
        #expect(changes.status == .failed)
        #expect(changes.message.contains("revision 3"))
        // The signature itself is intact: it still covers revision 2 exactly.
        #expect(Self.check(report, "pdf-byte-range")?.status == .passed)
        #expect(report.pdf?.signatures.first?.changedAfter == true)
        #expect(report.pdf?.signatures.first?.changesAllowed == false)
    }

    @Test("a page pointed at new content after signing fails the same way")
    func pageReplacedAfterSigning() throws {
        let signed = try Self.sign(TestPDF.make())
        let (_, size) = TestPDF.tail(signed)
        let page = try #require(TestPDF.object(TestPDF.page(0), in: signed))
        let changed = TestPDF.appendUpdate(signed, objects: [
            size: TestPDF.stream("BT /F1 14 Tf 72 760 Td (Forged) Tj ET"),
            TestPDF.page(0): page.replacingOccurrences(of: "/Contents \(TestPDF.content(0)) 0 R", with: "/Contents \(size) 0 R"),
        ])
        let (evidence, report) = try Self.verify(changed)
        #expect(report.indication == .totalFailed)
        let check = Self.check(report, "pdf-changes")
        #expect(check?.status == .failed)
        // The page object itself changed: recorded as such, and named so in the report.
        let change = try #require(evidence.pdf?.changes(after: 2).first { $0.object == "\(TestPDF.page(0)) 0" })
        #expect(change.kind == .other && change.pageObject == true, "\(change)")
        #expect(check?.message.contains("a page's content or resources changed (object \(TestPDF.page(0)) 0") == true, "\(check?.message ?? "-")")
    }

    @Test("certified (DocMDP P=2), then a form field filled in: allowed, the signature stays valid")
    func certifiedThenFormFilled() throws {
        let certified = try Self.sign(TestPDF.make(field: true), certify: 2)
        let field = try #require(TestPDF.object(TestPDF.field(pages: 1), in: certified))
        let filled = TestPDF.appendUpdate(certified, objects: [TestPDF.field(pages: 1): field.replacingOccurrences(of: "/V (1)", with: "/V (42)")])
        let (_, report) = try Self.verify(filled)
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "")")
        #expect(report.pdf?.certification == 2)
        let changes = try #require(Self.check(report, "pdf-changes"))
        #expect(changes.status == .passed)
        #expect(changes.message.contains("Number"))
    }

    @Test("certified (DocMDP P=2), then an annotation added: not allowed (annotations need P=3); not certified, it is")
    func annotationAfterCertification() throws {
        for certify in [2, nil] as [Int?] {
            let signed = try Self.sign(TestPDF.make(), certify: certify)
            let (_, size) = TestPDF.tail(signed)
            let page = try #require(TestPDF.object(TestPDF.page(0), in: signed))
            let annotated = TestPDF.appendUpdate(signed, objects: [
                size: "<< /Type /Annot /Subtype /Text /Rect [100 100 120 120] /Contents (note) >>",
                // The signature's widget is on the page already: the note joins it.
                TestPDF.page(0): page.replacingOccurrences(of: "/Annots [", with: "/Annots [\(size) 0 R "),
            ])
            let (_, report) = try Self.verify(annotated)
            if certify == nil {
                #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "")")
            } else {
                #expect(report.indication == .totalFailed)
                #expect(Self.check(report, "pdf-changes")?.status == .failed)
            }
        }
    }

    @Test("certified with no changes allowed (P=1): podpis refuses to add a signature, and a form fill fails the certification")
    func certifiedNoChanges() throws {
        let certified = try Self.sign(TestPDF.make(field: true), certify: 1)
        #expect(throws: PodpisError.self) { try Self.sign(certified, hierarchy: .ec) }
        let field = try #require(TestPDF.object(TestPDF.field(pages: 1), in: certified))
        let filled = TestPDF.appendUpdate(certified, objects: [TestPDF.field(pages: 1): field.replacingOccurrences(of: "/V (1)", with: "/V (2)")])
        let (_, report) = try Self.verify(filled)
        #expect(report.indication == .totalFailed)
        #expect(Self.check(report, "pdf-changes")?.status == .failed)
        #expect(report.pdf?.certification == 1)
    }

    @Test("a byte of the signed revision changed: the digest no longer matches (HASH_FAILURE)")
    func tamperedBytes() throws {
        var signed = try Self.sign(TestPDF.make())
        let text = String(decoding: signed, as: UTF8.self)
        let range = try #require(text.range(of: "Prikaz No 123"))
        let offset = text.utf8.distance(from: text.utf8.startIndex, to: range.lowerBound)
        signed[offset] = UInt8(ascii: "B")
        let (_, report) = try Self.verify(signed)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .hashFailure)
    }

    @Test("a byte range that leaves a gap other than /Contents: FORMAT_FAILURE from the byte-range check")
    func byteRangeWithExtraGap() throws {
        var signed = try Self.sign(TestPDF.make())
        let text = String(decoding: signed, as: UTF8.self)
        let marker = try #require(text.range(of: "/ByteRange [0 "))
        let start = text.utf8.distance(from: text.utf8.startIndex, to: marker.upperBound)
        let digits = signed[start...].prefix { $0 >= 0x30 && $0 <= 0x39 }
        let first = try #require(Int(String(decoding: digits, as: UTF8.self)))
        var shorter = Array(String(first - 10).utf8)
        shorter += [UInt8](repeating: 0x20, count: digits.count - shorter.count)
        signed.replaceSubrange(start..<(start + digits.count), with: shorter)
        let (_, report) = try Self.verify(signed)
        #expect(report.indication == .totalFailed)
        let check = try #require(Self.check(report, "pdf-byte-range"))
        #expect(check.status == .failed)
        #expect(check.subIndication == .formatFailure)
    }

    @Test("bytes appended after the signed file without a revision: reported as a change, FORMAT_FAILURE")
    func trailingBytes() throws {
        let signed = try Self.sign(TestPDF.make())
        let (_, report) = try Self.verify(signed + Array("unsigned appendix\n".utf8))
        #expect(report.indication == .totalFailed)
        #expect(Self.check(report, "pdf-changes")?.status == .failed)
        // Blank bytes are no change.
        let (_, padded) = try Self.verify(signed + Array("\n\n  ".utf8))
        #expect(padded.indication == .totalPassed)
    }

    // MARK: Levels

    @Test("PAdES-T: the CMS carries a signature-time-stamp that proves the signing time")
    func levelT() throws {
        let (authority, _) = try Hierarchy.rsa.authority()
        let signed = try Self.sign(TestPDF.make(), level: .T, authority: authority)
        let (_, report) = try Self.verify(signed)
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "")")
        #expect(report.signatures[0].format == "PAdES-BASELINE-T")
        #expect(report.signatures[0].timestamps.map(\.type) == [.signature])
    }

    @Test("PAdES-LTA: validation data in a DSS, then a document timestamp over everything; it verifies offline years later")
    func levelLTA() throws {
        let (authority, _) = try Hierarchy.rsa.authority()
        let signed = try Self.sign(TestPDF.make(), level: .LTA, authority: authority)
        let (evidence, report) = try Self.verify(signed)
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "") \(report.documentChecks.map(\.message))")
        #expect(report.signatures[0].format == "PAdES-BASELINE-LTA")
        let pdf = try #require(evidence.pdf)
        #expect(pdf.revisions.count == 4)
        #expect(pdf.dss.map { $0.certificates > 0 && $0.crls > 0 } == true)
        #expect(pdf.signatures.map(\.kind) == [.signature, .documentTimestamp])
        #expect(report.documentChecks.first { $0.id == "pdf-document-timestamps" }?.status == .passed)
        #expect(report.signatures[0].timestamps.map(\.type.rawValue).sorted() == ["document", "signature"])
        // Changes after the signature: the DSS and the document timestamp, both allowed.
        #expect(Self.check(report, "pdf-changes")?.status == .passed)
    }

    // MARK: Input that is not a signed PDF

    @Test("an unsigned PDF has no signatures to verify; a text file is not a PDF: one clear error each")
    func notSigned() throws {
        let plain = try SignedPDF(bytes: TestPDF.make(), name: "plain.pdf")
        #expect(!plain.isSigned)
        #expect(throws: PodpisError.self) { try plain.collectEvidence(SignedPDF.VerificationSettings(trust: Hierarchy.rsa.trust)) }
        let error = #expect(throws: PodpisError.self) { try SignedPDF(bytes: Array("hello".utf8), name: "a.pdf") }
        #expect(error?.kind == .dataFormat)
    }

    /// Hostile PDFs: each must end in a `dataFormat` error (or, if readable, a report), quickly.
    static func hostile() throws -> [(String, [UInt8])] {
        let plain = TestPDF.make()
        var cases: [(String, [UInt8])] = []
        cases.append(("truncated", Array(plain.prefix(plain.count - 40))))
        // A cross-reference stream that inflates to 64 MiB while its /Index promises one entry.
        let bomb = Flate.deflate([UInt8](repeating: 0, count: 64 << 20))
        var bombFile = Array("%PDF-1.7\n".utf8)
        let at = bombFile.count
        bombFile += Array("1 0 obj\n<< /Type /XRef /Size 1 /W [1 4 2] /Filter /FlateDecode /Length \(bomb.count) >>\nstream\n".utf8) + bomb
        bombFile += Array("\nendstream\nendobj\nstartxref\n\(at)\n%%EOF\n".utf8)
        cases.append(("xref-stream bomb", bombFile))
        // Two cross-reference sections whose /Prev point at each other.
        var loop = Array(plain.prefix { _ in true })
        let (prev, size) = TestPDF.tail(plain)
        let first = loop.count
        loop += Array("xref\n0 0\ntrailer\n<< /Size \(size) /Root 1 0 R /Prev \(first + 40) >>\nstartxref\n\(prev)\n%%EOF\n".utf8)
        cases.append(("/Prev loop", loop))
        // A field whose /Kids contains itself, signed around.
        let looped = TestPDF.appendUpdate(plain, objects: [
            1: "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [20 0 R] >> >>",
            20: "<< /FT /Sig /T (Loop) /Kids [20 0 R 21 0 R] >>",
            21: "<< /T (Child) /Parent 20 0 R /Kids [20 0 R] /ByteRange [0 1 2 3] >>",
        ])
        cases.append(("field loop", looped))
        // A table that claims ten million entries.
        cases.append(("huge table", Array("%PDF-1.7\nxref\n0 9999999\n0000000000 65535 f\r\ntrailer\n<< /Size 9999999 >>\nstartxref\n9\n%%EOF\n".utf8)))
        // Dictionaries nested ten thousand deep in the trailer.
        cases.append(("deep nesting", Array("%PDF-1.7\nxref\n0 1\n0000000000 65535 f\r\ntrailer\n\(String(repeating: "<< /A ", count: 10_000))\nstartxref\n9\n%%EOF\n".utf8)))
        cases.append(("no header", Array(plain.dropFirst(1))))
        return cases
    }

    @Test("hostile PDFs (truncated, compressed bomb, /Prev loop, field loop, huge table, deep nesting): a clear error or a report, never a crash")
    func hostileInputs() throws {
        for (name, bytes) in try Self.hostile() {
            do {
                let pdf = try SignedPDF(bytes: bytes, name: name)
                if pdf.isSigned {
                    let evidence = try pdf.collectEvidence(SignedPDF.VerificationSettings(trust: Hierarchy.rsa.trust))
                    _ = PolicyEngine().judge(evidence, policy: BuiltinPolicies.default)
                }
            } catch let error as PodpisError {
                #expect(error.kind == .dataFormat, "\(name): \(error)")
                #expect(!error.message.contains("\n"), "\(name): one line")
            }
        }
    }
}
