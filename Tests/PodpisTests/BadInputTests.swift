import Foundation
import Testing
@testable import SigningCore

/// Hostile and broken input: each gets its exit code and one line on stderr — never a crash, hang or huge allocation.
@Suite("Bad input")
struct BadInputTests {
    func check(_ signatureBytes: [UInt8]?, expect status: Int32, directory: Bool = false, _ note: Comment) throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("doc.txt", sampleDocument)
        var signature = folder.file("doc.txt.sig")
        if directory {
            signature = folder.file("folder.sig")
            try FileManager.default.createDirectory(atPath: signature, withIntermediateDirectories: true)
        } else if let signatureBytes {
            _ = try folder.write("doc.txt.sig", signatureBytes)
        }
        let result = try CLI.run(["verify", document, signature], timeout: 60)
        #expect(result.status == status, note)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, note)
        #expect(result.stderr.hasPrefix("podpis: "), note)
        #expect(result.stderr.contains("doc.txt.sig") || result.stderr.contains("folder.sig"), note)
    }

    @Test func empty() throws { try check([], expect: 65, "empty") }

    @Test func random() throws {
        try check((0..<8192).map { _ in UInt8.random(in: 0...255) }, expect: 65, "random")
    }

    @Test func truncated() throws {
        let signature = try Signer.sign(.bytes(sampleDocument), identity: try Hierarchy.rsa.signer().identity)
        try check(Array(signature.prefix(200)), expect: 65, "truncated")
    }

    @Test func pemWithJunk() throws {
        let signature = try Signer.sign(.bytes(sampleDocument), identity: try Hierarchy.rsa.signer().identity, options: SignatureOptions(pem: true))
        var lines = String(decoding: signature, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count > 3)
        lines.insert("%%junk%%", at: 2)
        try check(Array(lines.joined(separator: "\n").utf8), expect: 65, "PEM with junk")
    }

    @Test func base64WithJunk() throws {
        let signature = try Signer.sign(.bytes(sampleDocument), identity: try Hierarchy.rsa.signer().identity)
        let text = Data(signature).base64EncodedString() + "!!not base64!!"
        try check(Array(text.utf8), expect: 65, "Base64 with junk")
    }

    @Test func base64Accepted() throws {
        // Bare Base64 (as CryptoPro writes .sgn files) is a valid input, not an error.
        let h = Hierarchy.rsa
        let signature = try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let text = Data(signature).base64EncodedString(options: .lineLength64Characters)
        let (evidence, report) = try judge(Array(text.utf8), document: sampleDocument, hierarchy: h)
        #expect(evidence.signatureFile.encoding == "base64")
        #expect(report.indication == .totalPassed)
    }

    @Test func aDirectory() throws { try check(nil, expect: 66, directory: true, "directory") }

    @Test func missingFile() throws { try check(nil, expect: 66, "missing") }

    @Test("a 1 GiB random file as the signature is refused quickly without reading it")
    func hugeRandom() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("doc.txt", sampleDocument)
        let path = folder.file("huge.sig")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var header = [UInt8](repeating: 0, count: 1 << 16)
        for index in header.indices { header[index] = UInt8.random(in: 0...255) }
        try handle.write(contentsOf: Data(header))
        try handle.truncate(atOffset: 1 << 30)  // sparse: 1 GiB without writing it
        try handle.close()
        let started = Date()
        let result = try CLI.run(["verify", document, path], timeout: 60)
        #expect(result.status == 65)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test("a SignedData with no signers is a FORMAT_FAILURE")
    func noSigners() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let cert = try folder.write("c.pem", try CertificateFiles.pem([Hierarchy.rsa.root.certificate]))
        let p7 = folder.file("certs-only.p7s")
        #expect(try runTool("openssl", ["crl2pkcs7", "-nocrl", "-certfile", cert, "-outform", "DER", "-out", p7]).status == 0)
        let (_, report) = try judge(try FileInput.readSignature(path: p7), document: sampleDocument, hierarchy: .rsa)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .formatFailure, "\(report.signatures.map(\.reason)) \(report.formatError ?? "")")
    }

    @Test("unreadable signature with --json still prints the FORMAT_FAILURE report, exit 65")
    func formatFailureJSON() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("doc.txt", sampleDocument)
        let bad = try folder.write("doc.txt.sig", Array("garbage".utf8))
        let result = try CLI.run(["verify", document, bad, "--json"])
        #expect(result.status == 65)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        #expect(object["indication"] as? String == "TOTAL-FAILED")
        #expect(object["subIndication"] as? String == "FORMAT_FAILURE")
        #expect((object["signatures"] as! [Any]).isEmpty)
    }

    @Test("usage errors exit 64")
    func usage() throws {
        #expect(try CLI.run(["verify"]).status == 64)
        #expect(try CLI.run(["sign", "x"]).status == 64)
        let badTime = try CLI.run(["verify", "a", "b", "--at", "yesterday"])
        #expect(badTime.status == 64)
        #expect(badTime.stderr.contains("RFC 3339"))
    }
}
