import Foundation
import Testing
@testable import SigningCore

/// Issue #14, item 8: the passphrase file is guarded like the key, and a signing run that is interrupted leaves no
/// hidden temporary behind (and one left by a harder kill is swept later).
@Suite("CLI hardening", .serialized)
struct CLIHardeningTests {
    @Test("a --pass-file readable by group or others is refused like a key file (77, the same override)")
    func passFilePermissions() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        let signer = try Hierarchy.rsa.signer()
        let passphrase = "correct horse battery staple"
        let key = try folder.write("enc.key", try signer.key.pem(passphrase: Array(passphrase.utf8)), mode: 0o600)
        let cert = try folder.write("cert.pem", try CertificateFiles.pem([signer.certificate]))
        let passFile = try folder.write("pass.txt", Array((passphrase + "\n").utf8), mode: 0o644)
        let base = ["sign", document, "--key", key, "--cert", cert, "--force", "--pass-file", passFile]
        let refused = try CLI.run(base)
        #expect(refused.status == 77, "\(refused.stderr)")
        #expect(refused.stderr.contains("passphrase file is accessible by group or others (mode 644)") && refused.stderr.contains("chmod 600 \(passFile)"),
                "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(!refused.stderr.contains(passphrase))
        #expect(!FileManager.default.fileExists(atPath: document + ".sig"))
        let russian = try CLI.run(base, environment: ["LANG": "ru_RU.UTF-8"])
        #expect(russian.status == 77)
        #expect(russian.stderr.contains("файл с паролем доступен группе"), "\(russian.stderr)")
        chmod(passFile, 0o640)
        #expect(try CLI.run(base).status == 77)
        let overridden = try CLI.run(base + ["--allow-insecure-key"])
        #expect(overridden.status == 0, "\(overridden.stderr)")
        chmod(passFile, 0o600)
        #expect(try CLI.run(base).status == 0)
    }

    /// Starts `podpis sign BIG --attached` and returns once its hidden temporary exists and has grown.
    static func signingUnderway(_ folder: TemporaryFolder, big: String, key: String, cert: String) throws -> (Process, String?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["sign", big, "--key", key, "--cert", cert, "--attached", "--out", folder.file("big.p7m")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            if let temporary = names.first(where: { $0.hasPrefix(".big.p7m.podpis-") }) {
                var info = stat()
                if stat(folder.file(temporary), &info) == 0, info.st_size > 1 << 20 { return (process, temporary) }
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return (process, nil)
    }

    @Test("sign --attached killed mid-way by SIGINT or SIGTERM removes its hidden temporary and writes nothing")
    func interruptedSigning() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let signer = try Hierarchy.ec.signer()
        let key = try folder.write("me.key", try signer.key.pem(), mode: 0o600)
        let cert = try folder.write("me.pem", try CertificateFiles.pem([signer.certificate]))
        // 4 GiB of zeros (sparse): long enough to be interrupted in the middle.
        let big = folder.file("big.bin")
        _ = FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: 4 << 30)
        try handle.close()
        for signal in [SIGINT, SIGTERM] {
            let (process, temporary) = try Self.signingUnderway(folder, big: big, key: key, cert: cert)
            #expect(temporary != nil, "the signing run finished or never wrote its temporary")
            kill(process.processIdentifier, signal)
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
            #expect(!process.isRunning, "still running \(signal == SIGINT ? "after SIGINT" : "after SIGTERM")")
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                while process.isRunning { Thread.sleep(forTimeInterval: 0.02) }
                continue
            }
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal,
                    "ended with \(process.terminationReason) \(process.terminationStatus)")
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".podpis-") || $0 == "big.p7m" }
            #expect(left.isEmpty, "left behind after signal \(signal): \(left)")
        }
    }

    @Test("stale temporaries older than a day beside the output are removed on the next run; fresh ones and other files stay")
    func staleTemporaries() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        let signer = try Hierarchy.ec.signer()
        let key = try folder.write("me.key", try signer.key.pem(), mode: 0o600)
        let cert = try folder.write("me.pem", try CertificateFiles.pem([signer.certificate]))
        let old = [".order.txt.sig.podpis-Ab3dE9", ".other.pdf.p7m.podpis-zz9Q1x", ".a.asice.podpis-\(UUID().uuidString)", ".podpis-extract-QwErTy"]
        let fresh = ".order.txt.sig.podpis-FrEsH1"
        let unrelated = [".order.txt.sig.podpis-toolongname", "notes.podpis-Ab3dE9", ".hidden-file"]
        for name in old + [fresh] + unrelated { _ = try folder.write(name, [1, 2, 3]) }
        let twoDaysAgo = Date().addingTimeInterval(-2 * 86_400)
        for name in old + unrelated {
            try FileManager.default.setAttributes([.modificationDate: twoDaysAgo], ofItemAtPath: folder.file(name))
        }
        let signed = try CLI.run(["sign", document, "--key", key, "--cert", cert])
        #expect(signed.status == 0, "\(signed.stderr)")
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
        for name in old { #expect(!names.contains(name), "\(name) should have been removed") }
        #expect(names.contains(fresh))
        for name in unrelated { #expect(names.contains(name), "\(name) is not a podpis temporary") }
        #expect(names.contains("order.txt.sig"))
    }
}
