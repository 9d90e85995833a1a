import EvidenceModel
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PodpisReport
import PodpisService
import PolicyEngine
import Testing
@testable import PodpisPDF
@testable import SigningCore

/// Signed PDFs against an independent implementation (pyHanko, both ways), and as a user meets them: the CLI
/// (`sign --pades`, `verify`, `stamp`), the HTTP service and the printed protocol.
@Suite("Signed PDFs: pyHanko, CLI, HTTP, stamp")
struct PDFInteropTests {
    /// Key, certificate, chain and root of a fresh signer as files.
    struct Files {
        let folder: TemporaryFolder
        let key: String
        let cert: String
        let chain: String
        let root: String
        let signer: IssuedCertificate
        let hierarchy: Hierarchy

        init(_ hierarchy: Hierarchy) throws {
            folder = try TemporaryFolder()
            self.hierarchy = hierarchy
            signer = try hierarchy.signer()
            key = try folder.write("key.pem", try signer.key.pem(), mode: 0o600)
            cert = try folder.write("cert.pem", try CertificateFiles.pem([signer.certificate]))
            chain = try folder.write("chain.pem", try CertificateFiles.pem([hierarchy.ca.certificate]))
            root = try folder.write("root.pem", try CertificateFiles.pem([hierarchy.root.certificate]))
        }

        var signerName: String { signer.certificate.info().displayName }
    }

    // MARK: pyHanko

    /// Signs with pyHanko: `certify` as a certification with form filling allowed; `fill` then fills the first text
    /// field in a further incremental update, as a form-filling program would.
    static let pyHankoSign = """
        import sys
        from pyhanko.sign import signers, fields
        from pyhanko.sign.fields import MDPPerm
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.pdf_utils import generic
        key, cert, chain, source, target, mode = sys.argv[1:7]
        if mode == 'fill':
            with open(source, 'rb') as f:
                w = IncrementalPdfFileWriter(f)
                field = w.root['/AcroForm']['/Fields'][0].get_object()
                field['/V'] = generic.TextStringObject('42')
                w.update_container(field)
                with open(target, 'wb') as out:
                    w.write(out)
            sys.exit(0)
        signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,))
        with open(source, 'rb') as f:
            w = IncrementalPdfFileWriter(f)
            meta = signers.PdfSignatureMetadata(field_name='PyHanko', certify=(mode == 'certify'),
                                                docmdp_permissions=MDPPerm.FILL_FORMS, subfilter=fields.SigSeedSubFilter.PADES)
            with open(target, 'wb') as out:
                signers.sign_pdf(w, meta, signer=signer, output=out)
        """

    /// Validates every signature with pyHanko against one root; prints one line per signature.
    static let pyHankoValidate = """
        import sys
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext
        from pyhanko.keys import load_cert_from_pemder
        context = ValidationContext(trust_roots=[load_cert_from_pemder(sys.argv[2])], allow_fetching=False, revocation_mode='soft-fail')
        with open(sys.argv[1], 'rb') as f:
            for signature in PdfFileReader(f).embedded_signatures:
                status = validate_pdf_signature(signature, context)
                print(signature.field_name, status.intact, status.valid, status.trusted, status.docmdp_ok, status.coverage.name)
        """

    static func python(_ script: String, _ arguments: [String], in folder: TemporaryFolder) throws -> CLIResult {
        let path = try folder.write("script-\(UUID().uuidString).py", Array(script.utf8))
        return try runTool("python3", [path] + arguments)
    }

    @Test("pyHanko validates podpis's PAdES signatures as intact, valid and trusted: one, two signers, certified",
          .needsPython("pyhanko"), arguments: [Algorithm.rsa, .ec])
    func podpisSignsPyHankoValidates(_ algorithm: Algorithm) throws {
        let f = try Files(Hierarchy.of(algorithm))
        defer { f.folder.cleanup() }
        for certify in [nil, 2] as [Int?] {
            let once = try PDFTests.sign(TestPDF.make(field: true), hierarchy: f.hierarchy, signer: f.signer, certify: certify)
            let twice = try PDFTests.sign(once, hierarchy: f.hierarchy)
            let path = try f.folder.write("signed.pdf", twice)
            let result = try Self.python(Self.pyHankoValidate, [path, f.root], in: f.folder)
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 2, "\(result.stdout)")
            for line in lines {
                #expect(line.hasSuffix("True True True True ENTIRE_FILE") || line.hasSuffix("True True True True ENTIRE_REVISION"),
                        "certify \(certify.map(String.init) ?? "no"): \(line)")
            }
        }
    }

    @Test("podpis verifies pyHanko's PAdES signatures; a pyHanko certification followed by a pyHanko form fill stays valid",
          .needsPython("pyhanko"), arguments: [Algorithm.rsa, .ec])
    func pyHankoSignsPodpisVerifies(_ algorithm: Algorithm) throws {
        let f = try Files(Hierarchy.of(algorithm))
        defer { f.folder.cleanup() }
        let plain = try f.folder.write("plain.pdf", TestPDF.make(field: true))
        let signed = f.folder.file("signed.pdf")
        var result = try Self.python(Self.pyHankoSign, [f.key, f.cert, f.chain, plain, signed, "sign"], in: f.folder)
        #expect(result.status == 0, "\(result.stderr)")
        var (_, report) = try PDFTests.verify(try FileInput.readSmallFile(path: signed, limit: 1 << 24), hierarchies: [f.hierarchy])
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "")")
        #expect(report.signatures.first?.format == "PAdES-BASELINE-B")
        #expect(report.pdf?.signatures.first?.field == "PyHanko")

        let certified = f.folder.file("certified.pdf"), filled = f.folder.file("filled.pdf")
        result = try Self.python(Self.pyHankoSign, [f.key, f.cert, f.chain, plain, certified, "certify"], in: f.folder)
        #expect(result.status == 0, "\(result.stderr)")
        result = try Self.python(Self.pyHankoSign, [f.key, f.cert, f.chain, certified, filled, "fill"], in: f.folder)
        #expect(result.status == 0, "\(result.stderr)")
        (_, report) = try PDFTests.verify(try FileInput.readSmallFile(path: filled, limit: 1 << 24), hierarchies: [f.hierarchy])
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.checks.filter { $0.status != .passed }.map(\.message) ?? [])")
        #expect(report.pdf?.certification == 2)
        #expect(report.pdf?.signatures.first?.changedAfter == true)
        #expect(PDFTests.check(report, "pdf-changes")?.message.contains("Number") == true)
        // pyHanko agrees: the fill is within the certification's permissions.
        let validated = try Self.python(Self.pyHankoValidate, [filled, f.root], in: f.folder)
        #expect(validated.stdout.contains("True True True True"), "\(validated.stdout) \(validated.stderr)")
    }

    // MARK: CLI

    @Test("podpis sign --pades writes DOC.signed.pdf and never the input; verify and stamp it; hostile PDFs give one line and 65")
    func commandLine() throws {
        let f = try Files(.rsa)
        defer { f.folder.cleanup() }
        let original = TestPDF.make(pages: 2)
        let document = try f.folder.write("приказ.pdf", original)
        let signArguments = ["sign", document, "--pades", "--key", f.key, "--cert", f.cert, "--chain", f.chain]
        var result = try CLI.run(signArguments)
        #expect(result.status == 0, "\(result.stderr)")
        let signed = f.folder.file("приказ.signed.pdf")
        #expect(FileManager.default.fileExists(atPath: signed))
        #expect(try FileInput.readSmallFile(path: document, limit: 1 << 20) == original, "the input is never changed")
        result = try CLI.run(signArguments)
        #expect(result.status == 73, "an existing output needs --force")
        result = try CLI.run(signArguments + ["--out", document])
        #expect(result.status == 64, "the output is never the input: \(result.stderr)")

        result = try CLI.run(["verify", signed, "--trust", f.root, "--offline"])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("revision 2 of 2"))
        #expect(result.stdout.contains("not changed after signing"))
        let verify = VerifyOptions.offline(trust: f.root)
        let report = try verify.verify(signed).report
        #expect(report.indication == .totalPassed, "\(report.signatures.map(\.reason))")
        #expect(report.pdf?.revisions == 2)
        #expect(report.signatures.first?.format == "PAdES-BASELINE-B")

        // A second signer, certified documents and a level above B go the same way.
        result = try CLI.run(["sign", signed, "--pades", "--key", f.key, "--cert", f.cert, "--chain", f.chain, "--certify"])
        #expect(result.status == 64, "a certification must come first: \(result.stderr)")
        result = try CLI.run(["sign", signed, "--pades", "--key", f.key, "--cert", f.cert, "--chain", f.chain, "--field", "Deputy"])
        #expect(result.status == 0, "\(result.stderr)")
        let twice = f.folder.file("приказ.signed.signed.pdf")
        result = try CLI.run(["verify", twice, "--trust", f.root, "--offline", "--lang", "ru"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("редакция 2 из 3"))
        // inspect lists the fields and the CMS inside each, verifying nothing.
        result = try CLI.run(["inspect", twice, "--lang", "ru"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("полей с подписью: 2"), "\(result.stdout)")
        #expect(result.stdout.contains("поле подписи «Deputy»: ETSI.CAdES.detached"), "\(result.stdout)")
        result = try CLI.run(["inspect", twice, "--json"])
        let listing = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let fields = listing?["fields"] as? [[String: Any]]
        #expect(fields?.map { $0["name"] as? String } == ["Signature1", "Deputy"], "\(result.stdout.prefix(400))")
        #expect((fields?.first?["cms"] as? [String: Any])?["signers"] != nil)
        result = try CLI.run(["inspect", document])
        #expect(result.status == 0 && result.stdout.contains("0 signed field(s)"), "\(result.stdout) \(result.stderr)")

        // The printable copy: a new revision; the signatures stay valid.
        result = try CLI.run(["stamp", twice, "--trust", f.root, "--offline"])
        #expect(result.status == 0, "\(result.stderr)")
        let printed = f.folder.file("приказ.signed.signed.print.pdf")
        let stamped = try verify.verify(printed).report
        #expect(stamped.indication == .totalPassed, "the stamp is an annotation in a new revision: \(stamped.signatures.map(\.reason))")
        #expect(stamped.signatures.count == 2)
        result = try CLI.run(["stamp", twice, "--trust", f.root, "--offline"])
        #expect(result.status == 73)

        // A batch folder: the signed PDFs are verified alone; the unsigned one has no signature and is reported unpaired.
        let batch = try TemporaryFolder()
        defer { batch.cleanup() }
        _ = try batch.write("a.pdf", try FileInput.readSmallFile(path: twice, limit: 1 << 24))
        _ = try batch.write("b.pdf", TestPDF.appendUpdate(try FileInput.readSmallFile(path: signed, limit: 1 << 24),
                                                          objects: [TestPDF.content(0): TestPDF.stream("BT ET")]))
        _ = try batch.write("plain.pdf", original)
        var verifier = BatchVerifier(trust: TrustStore(anchors: []), policy: BuiltinPolicies.default, workers: 1)
        verifier.settings = try verify.settings()
        let items = try BatchPlanner.items(inFolder: batch.path)
        let results = Dictionary(uniqueKeysWithValues: items.map { (($0.signature as NSString).lastPathComponent, verifier.verify($0)) })
        #expect(results.keys.sorted() == ["a.pdf", "b.pdf"], "\(items)")
        #expect(results["a.pdf"]?.indication == .totalPassed, "\(String(describing: results["a.pdf"]?.report?.signatures.map(\.reason)))")
        #expect(results["b.pdf"]?.indication != .totalPassed, "one of two fails")
        #expect(BatchPlanner.unpaired(inFolder: batch.path, items: items).map { ($0 as NSString).lastPathComponent } == ["plain.pdf"])

        // A PDF that only mentions /ByteRange (in its text) is a document like any other: no signature beside it, 66.
        let mentions = try f.folder.write("spec.pdf", TestPDF.make(text: "the /ByteRange entry"))
        result = try CLI.run(["verify", mentions, "--offline"])
        #expect(result.status == 66, "\(result.stderr)")

        let text = try f.folder.write("notes.txt", Array("not a pdf".utf8))
        result = try CLI.run(["stamp", text])
        #expect(result.status == 65)
        #expect(result.stderr.contains("--report"), "points to the protocol for other documents: \(result.stderr)")

        for (name, bytes) in try PDFTests.hostile() {
            let path = try f.folder.write("hostile-\(name.replacingOccurrences(of: "/", with: "")).pdf", bytes + Array("\n/ByteRange".utf8))
            result = try CLI.run(["verify", path, "--offline"])
            // Unreadable: 65. Readable but holding no signature (the loops are cut, the header is missing): a
            // document like any other, with no detached signature beside it: 66. Never a crash.
            #expect([65, 66].contains(result.status), "\(name): \(result.status) \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(name): one line: \(result.stderr)")
        }
    }

    @Test("the printed copy shows the «отметка» (ГОСТ Р 7.0.97-2016, 5.23) as text: phrase, serial, owner, validity, verdict in МСК",
          .needsTools("qpdf", "pdftotext"))
    func stampText() throws {
        let f = try Files(.rsa)
        defer { f.folder.cleanup() }
        let signed = try f.folder.write("order.pdf", try PDFTests.sign(TestPDF.make(), hierarchy: .rsa, signer: f.signer))
        var result = try CLI.run(["stamp", signed, "--trust", f.root, "--offline", "--out", f.folder.file("print.pdf")])
        #expect(result.status == 0, "\(result.stderr)")
        // Flattened, the annotation's appearance becomes page content whose text (through ToUnicode) pdftotext reads.
        result = try runTool("qpdf", ["--flatten-annotations=all", f.folder.file("print.pdf"), f.folder.file("flat.pdf")])
        #expect(result.status == 0 || result.status == 3, "\(result.stderr)")
        result = try runTool("pdftotext", ["-layout", f.folder.file("flat.pdf"), "-"])
        let text = result.stdout
        #expect(text.contains("ДОКУМЕНТ ПОДПИСАН ЭЛЕКТРОННОЙ ПОДПИСЬЮ"), "\(text)")
        #expect(text.contains("Владелец: \(f.signerName)"), "\(text)")
        #expect(text.contains(f.signer.certificate.info().serial.uppercased().prefix(16)))
        #expect(text.contains("Проверка: действительна"))
        #expect(text.contains("МСК"))
        #expect(text.contains("Prikaz No 123"), "the page itself is still there")
    }

    // MARK: HTTP

    @Test("POST /v1/verify with a «pdf» part or JSON field: the report with its pdf section; a broken PDF is 422")
    func http() async throws {
        let f = try await HTTPServiceTests.Fixture()
        defer { f.folder.cleanup() }
        let signed = try await offCooperativePool { try PDFTests.sign(TestPDF.make()) }
        let changed = TestPDF.appendUpdate(signed, objects: [TestPDF.content(0): TestPDF.stream("BT /F1 14 Tf 72 760 Td (Forged) Tj ET")])
        try await f.app.test(.router) { client in
            let (body, headers) = f.multipart([("pdf", signed, "order.pdf"), ("lang", Array("ru".utf8), nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let report = HTTPServiceTests.object(response.body)
                #expect(report["indication"] as? String == "TOTAL-PASSED", "\(report)")
                let pdf = report["pdf"] as? [String: Any]
                #expect(pdf?["revisions"] as? Int == 2)
                #expect(pdf?["name"] as? String == "order.pdf")
            }
            let (json, jsonHeaders) = f.json(["pdf": Data(changed).base64EncodedString(), "documentName": "order.pdf"])
            try await client.execute(uri: "/v1/verify", method: .post, headers: jsonHeaders, body: json) { response in
                #expect(response.status == .ok)
                let report = HTTPServiceTests.object(response.body)
                #expect(report["subIndication"] as? String == "FORMAT_FAILURE")
            }
            let (broken, brokenHeaders) = f.multipart([("pdf", Array(signed.prefix(200)), "order.pdf")])
            try await client.execute(uri: "/v1/verify", method: .post, headers: brokenHeaders, body: broken) { response in
                #expect(response.status == .unprocessableContent)
                #expect(HTTPServiceTests.object(response.body)["type"] as? String == "urn:podpis:problem:not-a-signed-pdf")
            }
            let (both, bothHeaders) = f.multipart([("pdf", signed, nil), ("signature", f.signature, nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: bothHeaders, body: both) { response in
                #expect(response.status == .badRequest)
            }
        }
        let entries = try await f.state.journal.entries(after: 0, limit: 10)
        #expect(entries.map(\.indication.value) == [.totalPassed, .totalFailed])
    }

    // MARK: Protocol

    @Test("the HTML protocol carries the «отметка» of each signer for printing, for any document, and the PDF's revisions")
    func protocolMarks() throws {
        let h = Hierarchy.rsa
        let signer = try h.signer()
        let signature = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let (evidence, _) = try judge(signature, document: sampleDocument, hierarchy: h)
        let report = PolicyEngine().judge(evidence, policy: BuiltinPolicies.default, options: JudgementOptions(language: .ru))
        let html = try VerificationProtocol.render(report: report, evidence: evidence).html
        #expect(html.contains("Отметки об электронной подписи"))
        #expect(html.contains("Документ подписан электронной подписью"))
        #expect(html.contains("Владелец: \(signer.certificate.info().displayName)"))
        #expect(html.contains("МСК"))

        let (pdfEvidence, pdfReport) = try PDFTests.verify(try PDFTests.sign(TestPDF.make()))
        let page = try VerificationProtocol.render(report: pdfReport, evidence: pdfEvidence).html
        #expect(page.contains("Signed PDF"))
        #expect(page.contains("revision 2 of 2"))
    }
}
