import Foundation
import Testing
@testable import SigningCore
import PodpisService
import PolicyEngine
import EvidenceModel

/// `verify --batch`: many pairs in parallel, JSON Lines, a summary, the exit code of the worst verdict.
@Suite("Batch verification")
struct BatchTests {
    @Test("a folder by naming convention and a manifest; JSON Lines; worst verdict as exit code")
    func batch() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let h = Hierarchy.ec
        let signer = try h.signer()
        let documents = folder.file("docs")
        try FileManager.default.createDirectory(atPath: documents, withIntermediateDirectories: true)
        var manifest = ""
        for index in 0..<30 {
            let content = Array("документ № \(index)\n".utf8)
            let path = (documents as NSString).appendingPathComponent("doc-\(index).txt")
            try Data(content).write(to: URL(fileURLWithPath: path))
            let signature = try Signer.sign(.bytes(content), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
            try Data(signature).write(to: URL(fileURLWithPath: path + (index % 2 == 0 ? ".sig" : ".p7s")))
            manifest += "docs/doc-\(index).txt\tdocs/doc-\(index).txt\(index % 2 == 0 ? ".sig" : ".p7s")\n"
        }
        // One attached signature alone, and one tampered document.
        let attached = try Signer.sign(.bytes(Array("вложенный".utf8)), identity: signer.identity, options: SignatureOptions(attached: true, chain: [h.ca.certificate]))
        try Data(attached).write(to: URL(fileURLWithPath: (documents as NSString).appendingPathComponent("letter.p7m")))
        let root = try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate]))
        let passing = try CLI.run(["verify", "--batch", documents, "--trust", root, "--json", "--offline"])
        #expect(passing.status == 0, "\(passing.stderr)")
        let lines = passing.stdout.split(separator: "\n")
        #expect(lines.count == 31)
        #expect(lines.allSatisfy { $0.contains("\"indication\":\"TOTAL-PASSED\"") })
        #expect(passing.stderr.contains("31"))
        try Data("изменён".utf8).write(to: URL(fileURLWithPath: (documents as NSString).appendingPathComponent("doc-7.txt")))
        let failing = try CLI.run(["verify", "--batch", documents, "--trust", root, "--offline"])
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("doc-7.txt"))
        #expect(failing.stdout.contains("HASH_FAILURE"))
        #expect(failing.stderr.contains("TOTAL-FAILED/HASH_FAILURE"))
        let list = try folder.write("manifest.tsv", Array(("# document\tsignature\n" + manifest).utf8))
        let fromManifest = try CLI.run(["verify", "--batch", list, "--trust", root, "--json", "--offline", "--workers", "3"])
        #expect(fromManifest.status == 1)
        #expect(fromManifest.stdout.split(separator: "\n").count == 30)
        let bad = try folder.write("bad.tsv", Array("a\tb\tc\n".utf8))
        #expect(try CLI.run(["verify", "--batch", bad]).status == 65)
    }

    @Test("a signed PDF in a batch is read as one and held to the batch's caps, like a plain signature or a container")
    func pdfItemCaps() throws {
        let f = try PDFInteropTests.Files(.rsa)
        defer { f.folder.cleanup() }
        let document = try f.folder.write("order.pdf", TestPDF.make(pages: 1))
        let signed = try f.folder.write("order.signed.pdf", try PDFTests.sign(TestPDF.make(pages: 1), hierarchy: f.hierarchy, signer: f.signer))
        #expect(SignedFileKind.of(path: signed, detachedSignatureBeside: false) == .signedPDF)
        #expect(SignedFileKind.of(path: document, detachedSignatureBeside: false) == .signature, "an unsigned PDF is a document")
        var verifier = BatchVerifier(trust: TrustStore(anchors: [f.hierarchy.root.certificate]), policy: BuiltinPolicies.default,
                                     workers: 1)
        let item = BatchItem(document: nil, signature: signed)
        let standard = verifier.verify(item)
        #expect(standard.error == nil, "\(String(describing: standard.error))")
        #expect(standard.report?.pdf?.signatures.count == 1, "read as a signed PDF, not as a CMS signature")
        // The PDF's CMS carries the signer and its CA: a cap of one certificate refuses it.
        verifier.limits.certificates = 1
        let tight = verifier.verify(item)
        #expect(tight.indication != .totalPassed)
        let said = (tight.error.map { "\($0.key?.rawValue ?? "") \($0)" } ?? "")
            + String(decoding: (try? JSONEncoder().encode(tight.report)) ?? Data(), as: UTF8.self)
        #expect(said.contains("too-complex") || said.contains("limits.certificates"), "\(said.prefix(600))")
    }
}
