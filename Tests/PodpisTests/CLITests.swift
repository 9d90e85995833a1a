import Foundation
import PolicyEngine
import Testing
@testable import SigningCore

/// The CLI as an official and a script use it: sign in one command, verify with exit codes and one-line errors.
@Suite("CLI", .serialized)
struct CLITests {
    /// A demo PKI on disk, shared by the CLI tests.
    static let pki: (folder: TemporaryFolder, layout: DemoPKI.Layout) = {
        let folder = try! TemporaryFolder()
        let layout = try! DemoPKI.create(in: folder.file("pki"))
        return (folder, layout)
    }()

    var layout: DemoPKI.Layout { Self.pki.layout }
    var crlArguments: [String] {
        // The demo PKI has a GOST hierarchy only where the GOST engine loads.
        ["rsa", "gost"].filter { FileManager.default.fileExists(atPath: layout.path("\($0)-ca.crl")) }
            .flatMap { ["--crl", layout.path("\($0)-ca.crl"), "--crl", layout.path("\($0)-root.crl")] }
    }

    func signArguments(_ who: String) -> [String] {
        ["--key", layout.path("official-\(who).key"), "--cert", layout.path("official-\(who).pem"),
         "--chain", layout.path("\(who)-chain.pem")]
    }

    /// Signs `document` in process with `who`'s demo key, as `podpis sign DOCUMENT` writes it (`DOCUMENT.sig`).
    func signInProcess(_ document: String, _ who: String) throws {
        let (identity, options) = try layout.signing(who)
        try FileInput.writeAtomically(try Signer.sign(.file(document), identity: identity, options: options), to: document + ".sig")
    }

    /// What the signatures verify as is asked of the service (`--trust` the demo's folder, its CRLs).
    var verifyOptions: VerifyOptions {
        VerifyOptions(trust: [layout.trustDirectory], crls: ["rsa", "gost"].filter { FileManager.default.fileExists(atPath: layout.path("\($0)-ca.crl")) }
            .flatMap { [layout.path("\($0)-ca.crl"), layout.path("\($0)-root.crl")] })
    }

    @Test("sign and verify in one command each, RSA and GOST, detached and attached, DER and PEM", .needsGOST)
    func signAndVerify() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        for who in ["rsa", "gost"] {
            for attached in [false, true] {
                for pem in [false, true] {
                    let out = folder.file("order-\(who)-\(attached)-\(pem).\(attached ? "p7m" : "sig")")
                    var arguments = ["sign", document] + signArguments(who) + ["--out", out]
                    if attached { arguments.append("--attached") }
                    if pem { arguments.append("--pem") }
                    let signed = try CLI.run(arguments)
                    #expect(signed.status == 0, "\(signed.stderr)")
                    let (_, report) = try attached ? verifyOptions.verify(out) : verifyOptions.verify(document, signature: out)
                    #expect(report.indication == .totalPassed, "\(who) attached=\(attached) pem=\(pem): \(report.signatures.map(\.reason))")
                    #expect(report.signatures.first?.signer?.name == (who == "gost" ? "Иванова Мария Петровна" : "Петров Сергей Иванович"))
                }
            }
        }
        // verify prints the verdict and the signer.
        let printed = try CLI.run(["verify", folder.file("order-gost-true-true.p7m"), "--trust", layout.trustDirectory] + crlArguments)
        #expect(printed.status == 0, "\(printed.stdout) \(printed.stderr)")
        #expect(printed.stdout.contains("✓") && printed.stdout.contains("Иванова Мария Петровна"), "\(printed.stdout)")
    }

    @Test("verify finds DOCUMENT.sig, prints Russian with --lang ru, and JSON with the contract's fields", .needsGOST)
    func verifyLookupAndJSON() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        try signInProcess(document, "gost")
        let russian = try CLI.run(["verify", document, "--trust", layout.trustDirectory, "--lang", "ru"] + crlArguments)
        #expect(russian.status == 0)
        #expect(russian.stdout.contains("действительна"))
        let json = try CLI.run(["verify", document, "--trust", layout.trustDirectory, "--json"] + crlArguments)
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect(object["indication"] as? String == "TOTAL-PASSED")
        #expect(object.keys.contains("subIndication"))
        #expect(object["validationTime"] is String)
        let documentInfo = object["document"] as! [String: Any]
        #expect(documentInfo["name"] as? String == "order.txt")
        #expect(documentInfo["size"] as? Int == sampleDocument.count)
        let policy = object["policy"] as! [String: Any]
        #expect(policy["id"] as? String == "default")
        let signature = (object["signatures"] as! [[String: Any]])[0]
        for key in ["id", "indication", "subIndication", "format", "signer", "algorithms", "claimedSigningTime",
                    "bestSignatureTime", "timestamps", "checks", "legal"] {
            #expect(signature.keys.contains(key), "missing \(key)")
        }
        let signer = signature["signer"] as! [String: Any]
        #expect(signer["snils"] as? String == "12345678901")
        #expect(signer["inn"] as? String == "784512345678")
        #expect((signature["algorithms"] as! [String: Any])["signature"] as? String == "gost2012-256")
        let check = (signature["checks"] as! [[String: Any]])[0]
        for key in ["id", "status", "subIndication", "message", "basis"] { #expect(check.keys.contains(key)) }
    }

    @Test("exit codes: 1 for a tampered document, 2 without trust anchors, 66 for a missing file")
    func exitCodes() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        try signInProcess(document, "rsa")
        let tampered = try folder.write("order.txt", sampleDocument + [0x20])
        let failed = try CLI.run(["verify", tampered, "--trust", layout.trustDirectory] + crlArguments)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("HASH_FAILURE"))
        // Without trust anchors too, a crypto failure wins over the missing chain.
        var untrusted = verifyOptions
        untrusted.trust = []
        let (_, unanchored) = try untrusted.verify(tampered)
        #expect(unanchored.indication == .totalFailed && unanchored.subIndication == .hashFailure, "\(unanchored.signatures.map(\.reason))")
        let restored = try folder.write("order.txt", sampleDocument)
        let noTrust = try CLI.run(["verify", restored] + crlArguments)
        #expect(noTrust.status == 2)
        #expect(noTrust.stdout.contains("NO_CERTIFICATE_CHAIN_FOUND"))
        let missing = try CLI.run(["verify", folder.file("nope.txt"), folder.file("nope.sig")])
        #expect(missing.status == 66)
        #expect(missing.stderr.hasPrefix("podpis: "))
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }

    @Test("cosign adds a parallel signer and keeps the first one intact", .needsGOST)
    func cosign() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        try signInProcess(document, "gost")
        let before = try Inspector.inspect(try FileInput.readSmallFile(path: document + ".sig", limit: 1 << 20), subject: nil)
        let cosigned = try CLI.run(["cosign", document, document + ".sig"] + signArguments("rsa"))
        #expect(cosigned.status == 0, "\(cosigned.stderr)")
        let after = try Inspector.inspect(try FileInput.readSmallFile(path: document + ".sig", limit: 1 << 20), subject: nil)
        #expect(after.signers.count == 2)
        #expect(after.signers[0].signedAttributes == before.signers[0].signedAttributes)
        let (_, verified) = try verifyOptions.verify(document)
        #expect(verified.indication == .totalPassed, "\(verified.signatures.map(\.reason))")
        #expect(verified.signatures.count == 2)
        // Cosigning another document is refused and leaves the signature untouched.
        let other = try folder.write("other.txt", Array("другой документ".utf8))
        let snapshot = try FileInput.readSmallFile(path: document + ".sig", limit: 1 << 20)
        let refused = try CLI.run(["cosign", other, document + ".sig"] + signArguments("rsa"))
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("does not match"))
        #expect(try FileInput.readSmallFile(path: document + ".sig", limit: 1 << 20) == snapshot)
    }

    @Test("keys: encrypted PEM with --pass-file/--pass-env/--pass-stdin, PKCS#12, loose permissions refused")
    func keys() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        let signer = try Hierarchy.rsa.signer()
        let passphrase = "correct horse battery staple"
        let encrypted = try folder.write("enc.key", try signer.key.pem(passphrase: Array(passphrase.utf8)), mode: 0o600)
        let cert = try folder.write("cert.pem", try CertificateFiles.pem([signer.certificate]))
        let passFile = try folder.write("pass.txt", Array((passphrase + "\n").utf8), mode: 0o600)
        let base = ["sign", document, "--key", encrypted, "--cert", cert, "--force"]
        let viaFile = try CLI.run(base + ["--pass-file", passFile])
        #expect(viaFile.status == 0, "\(viaFile.stderr)")
        let viaEnv = try CLI.run(base + ["--pass-env", "PODPIS_TEST_PASS"], environment: ["PODPIS_TEST_PASS": passphrase])
        #expect(viaEnv.status == 0, "\(viaEnv.stderr)")
        let viaStdin = try CLI.run(base + ["--pass-stdin"], stdin: passphrase + "\n")
        #expect(viaStdin.status == 0, "\(viaStdin.stderr)")
        // A wrong passphrase is a refusal of access (77), as a wrong PIN is.
        let wrong = try CLI.run(base + ["--pass-env", "PODPIS_TEST_PASS"], environment: ["PODPIS_TEST_PASS": "wrong"])
        #expect(wrong.status == 77)
        #expect(!wrong.stderr.contains(passphrase))
        let noPass = try CLI.run(base)
        #expect(noPass.status == 64)
        #expect(noPass.stderr.contains("--pass-file"))
        // Loose permissions.
        chmod(encrypted, 0o644)
        let loose = try CLI.run(base + ["--pass-file", passFile])
        #expect(loose.status == 77)
        #expect(loose.stderr.contains("chmod 600"))
        // The same refusals in Russian, for an official whose locale is Russian (or who says --lang ru).
        let looseRU = try CLI.run(base + ["--pass-file", passFile], environment: ["LANG": "ru_RU.UTF-8"])
        #expect(looseRU.status == 77)
        #expect(looseRU.stderr.contains("доступен группе или другим пользователям") && looseRU.stderr.contains("chmod 600 \(encrypted)"), "\(looseRU.stderr)")
        #expect(looseRU.stderr.split(separator: "\n").count == 1)
        chmod(encrypted, 0o600)
        let wrongRU = try CLI.run(base + ["--pass-env", "PODPIS_TEST_PASS"], environment: ["PODPIS_TEST_PASS": "wrong", "PODPIS_LANG": "ru"])
        #expect(wrongRU.status == 77)
        #expect(wrongRU.stderr.contains("\(encrypted): неверный пароль закрытого ключа"), "\(wrongRU.stderr)")
        let missingRU = try CLI.run(["verify", folder.file("нет.pdf"), "--lang", "ru"])
        #expect(missingRU.status == 66)
        #expect(missingRU.stderr.contains("нет такого файла"), "\(missingRU.stderr)")
        let missingEN = try CLI.run(["verify", folder.file("none.pdf")])
        #expect(missingEN.stderr.contains("no such file"), "\(missingEN.stderr)")
        // PKCS#12 made by openssl, with its certificate inside.
        chmod(encrypted, 0o600)
        let p12 = folder.file("signer.p12")
        let made = try runTool("openssl", ["pkcs12", "-export", "-inkey", encrypted, "-in", cert, "-out", p12,
                                           "-passin", "pass:\(passphrase)", "-passout", "pass:\(passphrase)"])
        #expect(made.status == 0, "\(made.stderr)")
        chmod(p12, 0o600)
        let viaP12 = try CLI.run(["sign", document, "--key", p12, "--pass-file", passFile, "--force"])
        #expect(viaP12.status == 0, "\(viaP12.stderr)")
    }

    @Test("signing options: RSA-PSS, ECDSA P-384, GOST 512, Streebog digests, wrong digest refused", .needsGOST)
    func signingOptions() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        let cases: [(PrivateKey.Kind, [String], String)] = [
            (.rsa(bits: 2048), ["--pss"], "rsa-pss"),
            (.rsa(bits: 3072), ["--digest", "sha512"], "rsa-pkcs1"),
            (.ec(curve: "P-384"), [], "ecdsa"),
            (.gost2012_512, [], "gost2012-512"),
        ]
        for (kind, extra, scheme) in cases {
            let root = try PKIProfiles.root(name: "Options root", key: kind)
            let signer = try PKIProfiles.signer(key: kind, issuer: root)
            let key = try folder.write("k.key", try signer.key.pem(), mode: 0o600)
            let cert = try folder.write("k.pem", try CertificateFiles.pem([signer.certificate]))
            let anchor = try folder.write("root.pem", try CertificateFiles.pem([root.certificate]))
            let signed = try CLI.run(["sign", document, "--key", key, "--cert", cert, "--force"] + extra)
            #expect(signed.status == 0, "\(scheme): \(signed.stderr)")
            let (_, verified) = try VerifyOptions(trust: [anchor]).verify(document)
            #expect(verified.indication == .totalPassed, "\(scheme): \(verified.signatures.map(\.reason))")
            #expect(verified.signatures.first?.algorithms.signature == scheme)
        }
        let gost = try Hierarchy.gost.signer()
        let key = try folder.write("g.key", try gost.key.pem(), mode: 0o600)
        let cert = try folder.write("g.pem", try CertificateFiles.pem([gost.certificate]))
        let refused = try CLI.run(["sign", document, "--key", key, "--cert", cert, "--digest", "sha256", "--force"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("streebog256"))
    }

    @Test("an existing signature is not overwritten without --force")
    func noOverwrite() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        let existing = try folder.write("order.txt.sig", Array("keep me".utf8))
        let result = try CLI.run(["sign", document] + signArguments("rsa"))
        #expect(result.status == 73)
        #expect(try FileInput.readSmallFile(path: existing, limit: 100) == Array("keep me".utf8))
    }

    @Test("inspect shows signers, attributes and certificates; --json parses", .needsGOST)
    func inspect() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.txt", sampleDocument)
        try signInProcess(document, "gost")
        let text = try CLI.run(["inspect", document + ".sig"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("signing-certificate-v2"))
        #expect(text.stdout.contains("Иванова Мария Петровна"))
        #expect(text.stdout.contains("CAdES-B"))
        let json = try CLI.run(["inspect", document + ".sig", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect((object["signers"] as! [Any]).count == 1)
        #expect((object["certificates"] as! [Any]).count == 2)
    }

    @Test("demo runs end to end and reaches its verdicts")
    func demo() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let result = try CLI.run(["demo", folder.file("demo")])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("TOTAL-PASSED"))
        #expect(result.stdout.contains("HASH_FAILURE"))
        for name in ["prikaz-123-report.html", "prikaz-123-tampered-report.html"] {
            #expect(FileManager.default.fileExists(atPath: folder.file("demo/\(name)")), "the demo writes \(name)")
        }
    }
}
