import Foundation
import PolicyEngine
import Testing
@testable import SigningCore

/// A SoftHSM2 token in a folder of its own, made for one test: keys are imported from PEM files, certificates
/// written beside them with OpenSC's `pkcs11-tool`. The PIN is random per token.
struct SoftHSMToken {
    static let module = "/usr/lib/softhsm/libsofthsm2.so"

    /// What is missing of SoftHSM2 (module and tool), OpenSC's `pkcs11-tool` and libp11's OpenSSL engine; empty when
    /// all are installed (`.ci/run` installs them: softhsm2, opensc, libengine-pkcs11-openssl).
    static var missing: [String] {
        var missing = Requirements.missingTools(["softhsm2-util", "pkcs11-tool", "openssl"])
        if !FileManager.default.fileExists(atPath: module) { missing.append(module) }
        if !engineDirectories.contains(where: { FileManager.default.fileExists(atPath: "\($0)/pkcs11.so") }) {
            missing.append("libp11's engine pkcs11.so in \(engineDirectories.joined(separator: " or "))")
        }
        return missing
    }

    /// Where OpenSSL looks for engines: `$OPENSSL_ENGINES` when set, else Debian's folder.
    static var engineDirectories: [String] {
        if let explicit = Requirements.environment("OPENSSL_ENGINES") { return [explicit] }
        return ["/usr/lib/x86_64-linux-gnu/engines-3", "/usr/lib/aarch64-linux-gnu/engines-3"]
    }

    let folder: TemporaryFolder
    let label: String
    let pin: String
    let pinFile: String
    /// What every process touching the token needs: SoftHSM2's configuration and the module for podpis.
    let environment: [String: String]

    init(label: String = "podpis-test") throws {
        folder = try TemporaryFolder()
        self.label = label
        pin = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12))
        try FileManager.default.createDirectory(atPath: folder.file("tokens"), withIntermediateDirectories: true)
        let configuration = try folder.write("softhsm2.conf", Array("""
            directories.tokendir = \(folder.file("tokens"))
            objectstore.backend = file
            log.level = ERROR

            """.utf8))
        environment = ["SOFTHSM2_CONF": configuration, "PODPIS_PKCS11_MODULE": Self.module]
        pinFile = try folder.write("pin.txt", Array((pin + "\n").utf8))
        chmod(pinFile, 0o600)
        let made = try runTool("softhsm2-util", ["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", pin + "so"],
                               environment: environment)
        guard made.status == 0 else { throw TokenError.setup(made.stderr) }
    }

    /// Imports an unencrypted PKCS#8 PEM key as a private key object with this label and id.
    func importKey(_ pemPath: String, label object: String, id: String) throws {
        let done = try runTool("softhsm2-util", ["--import", pemPath, "--token", label, "--label", object, "--id", id, "--pin", pin],
                               environment: environment)
        guard done.status == 0 else { throw TokenError.setup(done.stderr) }
    }

    /// Writes a certificate (PEM file) onto the token beside the key with the same label and id.
    func importCertificate(_ pemPath: String, label object: String, id: String) throws {
        let der = folder.file("\(object).der")
        guard try runTool("openssl", ["x509", "-in", pemPath, "-outform", "der", "-out", der]).status == 0 else {
            throw TokenError.setup("openssl x509")
        }
        let done = try runTool("pkcs11-tool", ["--module", Self.module, "--token-label", label, "--login", "--pin", pin,
                                               "--write-object", der, "--type", "cert", "--label", object, "--id", id],
                               environment: environment)
        guard done.status == 0 else { throw TokenError.setup(done.stderr) }
    }

    func uri(_ object: String) -> String { "pkcs11:token=\(label);object=\(object);type=private" }

    enum TokenError: Error { case setup(String) }
}

/// Keys on hardware tokens: `podpis sign`, `podpis tsa serve` and `podpis serve` sign through a PKCS#11 module
/// (libp11's engine) with the PIN from a file or the environment, tested on SoftHSM2.
@Suite("PKCS#11 tokens", .enabled(if: SoftHSMToken.missing.isEmpty, Comment(rawValue: "needs softhsm2, opensc and libengine-pkcs11-openssl; missing: \(SoftHSMToken.missing.joined(separator: ", "))")))
struct TokenTests {
    static let pki: (folder: TemporaryFolder, layout: DemoPKI.Layout) = {
        let folder = try! TemporaryFolder()
        return (folder, try! DemoPKI.create(in: folder.file("pki"), includeGOST: false))
    }()

    var layout: DemoPKI.Layout { Self.pki.layout }

    @Test("an official signs with an RSA key on a token in one command; the certificate comes from the token; podpis and openssl both verify the signature")
    func signWithTokenKey() throws {
        let token = try SoftHSMToken()
        defer { token.folder.cleanup() }
        try token.importKey(layout.path("official-rsa.key"), label: "official", id: "01")
        try token.importCertificate(layout.path("official-rsa.pem"), label: "official", id: "01")
        let document = try token.folder.write("order.txt", sampleDocument)

        let signed = try CLI.run(["sign", document, "--key", token.uri("official"), "--pass-file", token.pinFile,
                                  "--chain", layout.path("rsa-chain.pem")], environment: token.environment)
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stderr.contains("Петров Сергей Иванович"), "the signer's certificate was read from the token: \(signed.stderr)")
        let (_, report) = try VerifyOptions.demo(layout).verify(document)
        #expect(report.indication == .totalPassed, "\(report.signatures.map(\.reason))")
        // An independent verifier: OpenSSL's own CLI, with the demo roots and chain.
        let openssl = try runTool("openssl", ["cms", "-verify", "-binary", "-inform", "DER", "-in", document + ".sig",
                                              "-content", document, "-CAfile", layout.trustDirectory + "/rsa-root.pem",
                                              "-certfile", layout.path("rsa-chain.pem"), "-purpose", "any", "-out", "/dev/null"])
        #expect(openssl.status == 0, "\(openssl.stderr)")
    }

    @Test("an ECDSA P-256 key on a token, the module named in the URI and the certificate given by --cert")
    func signWithECKeyAndModuleInURI() throws {
        let token = try SoftHSMToken()
        defer { token.folder.cleanup() }
        let hierarchy = Hierarchy.ec
        let signer = try hierarchy.signer()
        let keyPath = try token.folder.write("ec.key", try signer.key.pem(), mode: 0o600)
        try token.importKey(keyPath, label: "ec", id: "02")
        let certPath = try token.folder.write("ec.pem", try CertificateFiles.pem([signer.certificate]))
        let chainPath = try token.folder.write("chain.pem", try CertificateFiles.pem([hierarchy.ca.certificate]))
        let rootPath = try token.folder.write("root.pem", try CertificateFiles.pem([hierarchy.root.certificate]))
        let document = try token.folder.write("order.txt", sampleDocument)

        var environment = token.environment
        environment.removeValue(forKey: "PODPIS_PKCS11_MODULE")
        environment["PODPIS_TEST_PIN"] = token.pin
        let uri = token.uri("ec") + "?module-path=" + SoftHSMToken.module
        let signed = try CLI.run(["sign", document, "--key", uri, "--pass-env", "PODPIS_TEST_PIN", "--cert", certPath, "--chain", chainPath],
                                 environment: environment)
        #expect(signed.status == 0, "\(signed.stderr)")
        let (_, report) = try VerifyOptions(trust: [rootPath]).verify(document)
        #expect(report.indication == .totalPassed, "\(report.signatures.map(\.reason))")
        let algorithms = try #require(report.signatures.first?.algorithms)
        #expect(algorithms.signature.lowercased().contains("ecdsa"), "\(algorithms)")
    }

    @Test("a wrong PIN, an unknown object, a PIN inside the URI and a missing module each give one clear line and the right exit code; no signature is written and the PIN is never printed")
    func tokenFailures() throws {
        let token = try SoftHSMToken()
        defer { token.folder.cleanup() }
        try token.importKey(layout.path("official-rsa.key"), label: "official", id: "01")
        let document = try token.folder.write("order.txt", sampleDocument)
        let wrongPin = try token.folder.write("wrong.txt", Array("000000\n".utf8))
        chmod(wrongPin, 0o600)
        let cert = ["--cert", layout.path("official-rsa.pem")]

        let cases: [(arguments: [String], environment: [String: String], status: Int32, message: String)] = [
            (["--key", token.uri("official"), "--pass-file", wrongPin], token.environment, 77, "refused the PIN"),
            (["--key", token.uri("nobody"), "--pass-file", token.pinFile], token.environment, 66, "no token or private key"),
            (["--key", "pkcs11:token=\(token.label);object=official?pin-value=\(token.pin)"], token.environment, 64, "carries the PIN"),
            (["--key", token.uri("official"), "--pass-file", token.pinFile],
             token.environment.merging(["PODPIS_PKCS11_MODULE": token.folder.file("no-such-module.so")]) { $1 }, 69, "does not load"),
        ]
        for item in cases {
            let out = token.folder.file("order.sig")
            let result = try CLI.run(["sign", document, "--out", out] + cert + item.arguments, environment: item.environment)
            #expect(result.status == item.status, "\(item.arguments): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1, "one line: \(result.stderr)")
            #expect(result.stderr.contains(item.message), "\(result.stderr)")
            #expect(!result.stderr.contains(token.pin) && !result.stdout.contains(token.pin))
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test("the built-in TSA signs timestamps with its key on a token (tsa serve, and serve with tsa.pin-file); openssl ts -verify accepts the tokens")
    func timestampAuthorityOnToken() throws {
        let token = try SoftHSMToken()
        defer { token.folder.cleanup() }
        try token.importKey(layout.path("tsa.key"), label: "tsa", id: "03")
        let document = try token.folder.write("order.txt", sampleDocument)

        // podpis tsa serve, PIN from the environment; an official signs with --tsa and gets CAdES-T.
        let tsa = try BackgroundServer(CLI.binary, ["tsa", "serve", "--key", token.uri("tsa"), "--cert", layout.path("tsa.pem"),
                                                    "--chain", layout.path("rsa-chain.pem"), "--port", "0", "--pass-env", "PODPIS_TEST_PIN",
                                                    "--serial-file", token.folder.file("serial")],
                                       environment: token.environment.merging(["PODPIS_TEST_PIN": token.pin]) { $1 })
        defer { tsa.stop() }
        let signed = try CLI.run(["sign", document, "--tsa", tsa.url, "--key", layout.path("official-rsa.key"),
                                  "--cert", layout.path("official-rsa.pem"), "--chain", layout.path("rsa-chain.pem")])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stderr.contains("CAdES-T"), "\(signed.stderr)")
        let (_, report) = try VerifyOptions.demo(layout).verify(document)
        #expect(report.indication == .totalPassed, "\(report.signatures.map(\.reason))")
        #expect(report.signatures.first?.timestamps.isEmpty == false)
        try checkTimestampEndpoint(tsa.url + "/v1/timestamp", token: token)
        tsa.stop()

        // podpis serve with the TSA key on the token, its PIN in an owner-only file named by the configuration.
        let configuration = try token.folder.write("podpis.yaml", Array("""
            tsa:
              key: "\(token.uri("tsa"))"
              cert: \(layout.path("tsa.pem"))
              chain: [\(layout.path("rsa-chain.pem"))]
              pin-file: \(token.pinFile)

            """.utf8))
        let service = try BackgroundServer(CLI.binary, ["serve", "--config", configuration, "--port", "0", "--offline",
                                                        "--database", "sqlite:" + token.folder.file("journal.sqlite"),
                                                        "--trust", layout.trustDirectory, "--policies", Repository.policies,
                                                        "--certs", Repository.certs],
                                           environment: token.environment)
        defer { service.stop() }
        try checkTimestampEndpoint(service.url + "/v1/timestamp", token: token)

        // Without a PIN source the service refuses to start: one line, exit 78 (configuration).
        let noPin = try token.folder.write("nopin.yaml", Array("""
            tsa:
              key: "\(token.uri("tsa"))"
              cert: \(layout.path("tsa.pem"))

            """.utf8))
        var environment = token.environment
        environment.removeValue(forKey: "PODPIS_TSA_PIN")
        let refused = try CLI.run(["serve", "--config", noPin, "--port", "0", "--offline", "--database", "sqlite:" + token.folder.file("j2.sqlite"),
                                   "--trust", layout.trustDirectory, "--policies", Repository.policies, "--certs", Repository.certs],
                                  environment: environment, timeout: 60)
        #expect(refused.status == 78, "\(refused.stderr)")
        #expect(refused.stderr.contains("pin-file"), "\(refused.stderr)")
        #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
    }

    /// Asks `url` for a timestamp with `openssl ts -query` and checks the reply with `openssl ts -verify`.
    private func checkTimestampEndpoint(_ url: String, token: SoftHSMToken) throws {
        let query = token.folder.file("q-\(UUID().uuidString).tsq")
        let reply = query + ".tsr"
        let data = try token.folder.write("data-\(UUID().uuidString).txt", sampleDocument)
        #expect(try runTool("openssl", ["ts", "-query", "-data", data, "-sha256", "-cert", "-out", query]).status == 0)
        let posted = try runTool("curl", ["-sS", "--fail", "-H", "Content-Type: application/timestamp-query",
                                          "--data-binary", "@\(query)", "-o", reply, url])
        #expect(posted.status == 0, "\(posted.stderr)")
        let bundle = token.folder.file("ts-ca-\(UUID().uuidString).pem")
        let roots = try FileInput.readSmallFile(path: layout.trustDirectory + "/rsa-root.pem", limit: 1 << 20)
            + FileInput.readSmallFile(path: layout.path("rsa-chain.pem"), limit: 1 << 20)
        try FileInput.writeAtomically(roots, to: bundle)
        let checked = try runTool("openssl", ["ts", "-verify", "-queryfile", query, "-in", reply, "-CAfile", bundle])
        #expect(checked.status == 0 && checked.stdout.contains("Verification: OK"), "\(url): \(checked.stdout) \(checked.stderr)")
    }
}
