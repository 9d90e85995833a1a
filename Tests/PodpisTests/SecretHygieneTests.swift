import Foundation
import SigningCore
import Testing

/// Private keys and passphrases never reach output: a full run (sign with the passphrase from env, file and stdin, a
/// wrong passphrase, a TSA with an encrypted key, verify with evidence, inspect) is searched for the passphrase and
/// for every line of the key's PEM, in everything it printed and every file it wrote.
@Suite("Secret hygiene")
struct SecretHygieneTests {
    @Test("no passphrase or key bytes in stdout, stderr, signatures, reports, evidence or logs")
    func noSecretsAnywhere() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let layout = try DemoPKI.create(in: folder.file("pki"))
        let passphrase = "tajna-\(UUID().uuidString.prefix(12))-пароль"
        let plainKey = try FileInput.readSmallFile(path: layout.path("official-rsa.key"), limit: 1 << 20)
        let loaded = try KeyLoader.load(path: layout.path("official-rsa.key")) { [] }
        let encrypted = try loaded.key.pem(passphrase: Array(passphrase.utf8))
        let keyPath = try folder.write("official.key", encrypted)
        chmod(keyPath, 0o600)
        let tsaLoaded = try KeyLoader.load(path: layout.path("tsa.key")) { [] }
        let tsaKeyPath = try folder.write("tsa.key", try tsaLoaded.key.pem(passphrase: Array(passphrase.utf8)))
        chmod(tsaKeyPath, 0o600)
        let passFile = try folder.write("pass.txt", Array((passphrase + "\n").utf8))
        chmod(passFile, 0o600)
        let wrongFile = try folder.write("wrong.txt", Array("not-the-passphrase\n".utf8))
        chmod(wrongFile, 0o600)
        let document = try folder.write("order.txt", sampleDocument)
        let common = ["--key", keyPath, "--cert", layout.path("official-rsa.pem"), "--chain", layout.path("rsa-chain.pem"), "--force"]

        var outputs: [String] = []
        func record(_ result: CLIResult) { outputs.append(result.stdout); outputs.append(result.stderr) }

        let fromEnv = try CLI.run(["sign", document, "--pass-env", "PODPIS_TEST_SECRET", "--out", folder.file("env.sig")] + common,
                                  environment: ["PODPIS_TEST_SECRET": passphrase])
        #expect(fromEnv.status == 0, "\(fromEnv.stderr)")
        record(fromEnv)
        let fromFile = try CLI.run(["sign", document, "--pass-file", passFile, "--out", folder.file("file.sig"), "--attached", "--pem"] + common)
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        record(fromFile)
        let fromStdin = try CLI.run(["sign", document, "--pass-stdin", "--out", folder.file("stdin.sig")] + common, stdin: passphrase + "\n")
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        record(fromStdin)
        let wrong = try CLI.run(["sign", document, "--pass-file", wrongFile, "--out", folder.file("wrong.sig")] + common)
        #expect(wrong.status != 0)
        #expect(!wrong.stderr.isEmpty)
        record(wrong)

        // A TSA whose key is encrypted, used by a signing run.
        let tsa = try BackgroundServer(CLI.binary, ["tsa", "serve", "--key", tsaKeyPath, "--cert", layout.path("tsa.pem"),
                                                    "--chain", layout.path("rsa-chain.pem"), "--port", "0", "--pass-file", passFile,
                                                    "--serial-file", folder.file("serial")])
        let stamped = try CLI.run(["sign", document, "--pass-env", "PODPIS_TEST_SECRET", "--tsa", tsa.url, "--out", folder.file("t.sig")] + common,
                                  environment: ["PODPIS_TEST_SECRET": passphrase])
        tsa.stop()
        #expect(stamped.status == 0, "\(stamped.stderr)")
        record(stamped)

        let verify = try CLI.run(["verify", document, folder.file("t.sig"), "--trust", layout.trustDirectory, "--offline", "--json",
                                  "--evidence-out", folder.file("evidence.json")])
        record(verify)
        #expect(verify.stdout.contains("\"indication\""))
        let inspect = try CLI.run(["inspect", folder.file("t.sig")])
        record(inspect)

        // Every file the run wrote, except the key files and the passphrase files themselves.
        let secrets: Set<String> = [keyPath, tsaKeyPath, passFile, wrongFile]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let path = folder.file(name)
            var isDirectory: ObjCBool = false
            guard !secrets.contains(path), FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            outputs.append(String(decoding: try FileInput.readSmallFile(path: path, limit: 64 << 20), as: UTF8.self))
        }

        // The needles: the passphrase, and every base64 line of the key in both encodings (plain and encrypted).
        var needles = [passphrase]
        for pem in [plainKey, encrypted] {
            needles += String(decoding: pem, as: UTF8.self).split(separator: "\n").map(String.init)
                .filter { $0.count >= 40 && !$0.hasPrefix("-----") }
        }
        #expect(needles.count > 10)
        let everything = outputs.joined(separator: "\n")
        for needle in needles {
            #expect(!everything.contains(needle), "a secret leaked into output: \(needle.prefix(8))…")
        }
    }

    @Test("no option takes a passphrase or key bytes on the command line")
    func nothingSecretInArgv() throws {
        for command in [["sign"], ["cosign"], ["tsa", "serve"], ["serve"]] {
            let help = try CLI.run(command + ["--help"])
            #expect(help.status == 0)
            for forbidden in ["--pass ", "--passphrase ", "--password", "--pin "] {
                #expect(!help.stdout.contains(forbidden), "\(command) offers \(forbidden)")
            }
        }
    }

    @Test("a key file others can read is refused unless --allow-insecure-key")
    func looseKeyRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let layout = try DemoPKI.create(in: folder.file("pki"))
        chmod(layout.path("official-rsa.key"), 0o644)
        let document = try folder.write("order.txt", sampleDocument)
        let refused = try CLI.run(["sign", document, "--key", layout.path("official-rsa.key"), "--cert", layout.path("official-rsa.pem")])
        #expect(refused.status == 77)  // EX_NOPERM
        #expect(refused.stderr.contains("chmod 600"))
        let allowed = try CLI.run(["sign", document, "--key", layout.path("official-rsa.key"), "--cert", layout.path("official-rsa.pem"),
                                   "--allow-insecure-key"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
    }
}
