import Foundation
import PodpisDefaults
import PolicyEngine
import SigningCore
import Testing
@testable import SigningCore

/// The product an official installs and an integrator meets: a binary that carries its defaults, a demo that
/// never destroys, help and errors in Russian, signing that warns, and the small things a newcomer trips over.
@Suite("Product", .serialized)
struct ProductTests {
    /// The policy ids the repository ships (read from the files, so policies added later are covered too).
    static var shippedPolicyIDs: Set<String> {
        let folder = Repository.policies
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") }
        return Set(files.compactMap { file -> String? in
            let text = (try? String(contentsOfFile: (folder as NSString).appendingPathComponent(file), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").first { $0.hasPrefix("id:") }.map { $0.dropFirst(3).trimmingCharacters(in: .whitespaces) }
        })
    }

    /// Runs `binary` in `directory` with the defaults' environment variables removed (as on a fresh machine).
    static func run(_ binary: String, _ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> CLIResult {
        try CLI.run(arguments, environment: environment, directory: directory, binary: binary,
                    removing: ["PODPIS_POLICIES", "PODPIS_CERTS", "PODPIS_TEMPLATES", "PODPIS_TRUST", "PODPIS_LANG",
                               "LC_ALL", "LC_MESSAGES"])
    }

    // MARK: embedded defaults

    @Test("the binary carries the repository's policies, test cases, trust-list folders and report templates byte for byte, and no key")
    func embeddedDefaults() throws {
        for (folder, name) in [(Repository.policies, "policies"), (Repository.certs, "certs"),
                               ((Repository.root as NSString).appendingPathComponent("Sources/PodpisReport/Templates"), "templates")] {
            let walker = try #require(FileManager.default.enumerator(atPath: folder))
            var count = 0
            for case let relative as String in walker {
                let path = (folder as NSString).appendingPathComponent(relative)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                      !(relative as NSString).lastPathComponent.hasPrefix(".") else { continue }
                count += 1
                if relative.hasSuffix(".key") {
                    #expect(EmbeddedDefaults.files["\(name)/\(relative)"] == nil, "a private key was embedded: \(relative)")
                } else {
                    #expect(EmbeddedDefaults.files["\(name)/\(relative)"] == Array(try Data(contentsOf: URL(fileURLWithPath: path))),
                            "\(name)/\(relative) is not embedded as it is in the repository")
                }
            }
            #expect(count > 0)
        }
        #expect(!EmbeddedDefaults.files.keys.contains { $0.hasSuffix(".key") || $0.hasSuffix(".p12") })
        // The built-in default policy is the file.
        #expect(BuiltinPolicies.defaultYAML == (try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent("default.yaml"), encoding: .utf8)))
    }

    @Test("a binary copied alone into an empty folder lists every shipped policy, runs the demo with its HTML reports, and says where its defaults come from",
          .enabled(if: !FileManager.default.fileExists(atPath: "/etc/podpis"), "/etc/podpis exists here: it would replace the embedded defaults"))
    func lonelyBinary() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        try FileManager.default.createDirectory(atPath: folder.file("bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder.file("work"), withIntermediateDirectories: true)
        let binary = folder.file("bin/podpis")
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: binary)
        let work = folder.file("work")

        let list = try Self.run(binary, ["policy", "list"], in: work)
        #expect(list.status == 0, "\(list.stderr)")
        let listed = Set(list.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) })
        #expect(listed == Self.shippedPolicyIDs.union(["default"]), "\(list.stdout)")
        #expect(listed.count >= 6)
        #expect(list.stderr.contains("embedded in the binary"), "\(list.stderr)")
        let listRU = try Self.run(binary, ["policy", "list", "--lang", "ru"], in: work)
        #expect(listRU.stderr.contains("встроены в программу"), "\(listRU.stderr)")

        let version = try Self.run(binary, ["version", "--verbose"], in: work)
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("podpis "))
        for heading in ["Policies (", "Trust lists: embedded in the binary", "Report templates: embedded in the binary"] {
            #expect(version.stdout.contains(heading), "\(version.stdout)")
        }
        #expect(try Self.run(binary, ["version"], in: work).stdout.split(separator: "\n").count == 1)

        let demo = try Self.run(binary, ["demo", "d"], in: work)
        #expect(demo.status == 0, "\(demo.stdout)\(demo.stderr)")
        let report = try String(contentsOfFile: (work as NSString).appendingPathComponent("d/prikaz-123-report.html"), encoding: .utf8)
        #expect(report.hasPrefix("<!DOCTYPE html>") && report.contains("TOTAL-PASSED"))
        // `inspect` names the qualified-certificate attributes as a reader knows them, in Moscow time.
        let inspected = try Self.run(binary, ["inspect", "d/prikaz-124.txt.sig", "--lang", "ru"], in: work)
        #expect(inspected.status == 0, "\(inspected.stderr)")
        for expected in ["ИНН ЮЛ=", "ОГРН=", "СНИЛС=", "МСК"] { #expect(inspected.stdout.contains(expected), "\(inspected.stdout)") }
        for raw in ["1.2.643.100.4=", "=#12", "UTC"] { #expect(!inspected.stdout.contains(raw), "\(inspected.stdout)") }

        let cases = try Self.run(binary, ["policy", "test"], in: work)
        #expect(cases.status == 0, "\(cases.stdout)\(cases.stderr)")
        #expect(cases.stdout.contains("✓"))

        // A policies folder found on the search path replaces the embedded set as a whole.
        try FileManager.default.createDirectory(atPath: (work as NSString).appendingPathComponent("policies"), withIntermediateDirectories: true)
        let local = """
            id: local-rules
            extends: default
            title: {ru: Местные правила, en: Local rules}
            versions:
              - version: "1"
                effective: {from: 2020-01-01}
            """
        try Data(local.utf8).write(to: URL(fileURLWithPath: (work as NSString).appendingPathComponent("policies/local.yaml")))
        let replaced = try Self.run(binary, ["policy", "list"], in: work)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let replacedIDs = Set(replaced.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) })
        #expect(replacedIDs == ["default", "local-rules"], "\(replaced.stdout)")
        #expect(replaced.stderr.contains("policies (in the current folder)"), "\(replaced.stderr)")
        let byOption = try Self.run(binary, ["policy", "list", "--policies", Repository.policies], in: work)
        #expect(byOption.stderr.contains("(given by option)") && byOption.stdout.contains("ru-63fz-qualified"))
        let byVariable = try Self.run(binary, ["policy", "list"], in: work, environment: ["PODPIS_POLICIES": Repository.policies])
        #expect(byVariable.stderr.contains("$PODPIS_POLICIES") && byVariable.stdout.contains("lenobl-sed"))
        // A folder named explicitly must exist: a typo never falls back silently.
        let typo = try Self.run(binary, ["policy", "list"], in: work, environment: ["PODPIS_POLICIES": folder.file("polices")])
        #expect(typo.status == 66, "\(typo.stderr)")
        #expect(typo.stderr.contains("no such folder") && typo.stderr.split(separator: "\n").count == 1)
    }

    // MARK: Russian help and one-line errors

    /// Every command path, found by walking the English help's SUBCOMMANDS sections.
    static func commandPaths() throws -> [[String]] {
        var found: [[String]] = []
        var queue: [[String]] = [[]]
        while let path = queue.first {
            queue.removeFirst()
            found.append(path)
            let help = try CLI.run(path + ["--help"])
            guard let section = help.stdout.range(of: "SUBCOMMANDS:\n") else { continue }
            for line in help.stdout[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
                guard line.hasPrefix("  ") else { break }
                guard !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }  // a wrapped abstract
                queue.append(path + [String(name)])
            }
        }
        return found
    }

    @Test("every command's --help is in Russian under --lang ru, PODPIS_LANG=ru or a Russian locale: headings, options and ArgumentParser's own words")
    func russianHelp() throws {
        let paths = try Self.commandPaths()
        #expect(paths.count >= 30, "\(paths)")
        let cyrillic = try Regex("[а-яА-ЯёЁ]")
        for path in paths {
            let help = try CLI.run(path + ["--help", "--lang", "ru"])
            let name = (["podpis"] + path).joined(separator: " ")
            #expect(help.status == 0, "\(name): \(help.stderr)")
            #expect(help.stdout.contains("ВЫЗОВ:") && help.stdout.contains("ПАРАМЕТРЫ:"), "\(name):\n\(help.stdout)")
            for english in ["USAGE:", "OPTIONS:", "ARGUMENTS:", "SUBCOMMANDS:", "OVERVIEW:", "Show help information", "(default:", "(values:"] {
                #expect(!help.stdout.contains(english), "\(name) still says \(english)")
            }
            // Each argument's and option's description (the text after the name column) speaks Russian.
            var entries: [String] = []
            for line in help.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("  -") || line.hasPrefix("  <") {
                    entries.append(String(line))
                } else if line.hasPrefix("                        "), !entries.isEmpty {
                    entries[entries.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
                } else if !line.hasPrefix("  ") {
                    entries.append("")
                }
            }
            for entry in entries where !entry.isEmpty {
                let words = entry.split(separator: " ", omittingEmptySubsequences: true)
                let description = words.drop { $0.hasPrefix("-") || $0.hasPrefix("<") || $0.hasSuffix(",") || $0 == "..." }
                #expect(description.isEmpty || description.joined(separator: " ").contains(cyrillic), "\(name): «\(entry)» is not in Russian")
            }
        }
        for environment in [["PODPIS_LANG": "ru"], ["LANG": "ru_RU.UTF-8"], ["LC_ALL": "ru_RU.UTF-8"]] {
            let help = try CLI.run(["verify", "--help"], environment: environment)
            #expect(help.stdout.contains("ВЫЗОВ:") && help.stdout.contains("Проверить подпись"), "\(environment)")
        }
        let english = try CLI.run(["verify", "--help"])
        #expect(english.stdout.contains("USAGE:") && english.stdout.contains("Verify a signature"))
        let root = try CLI.run(["help", "sign", "--lang", "ru"])
        #expect(root.stdout.contains("Подписать документ"), "\(root.stdout)")
    }

    @Test("argument errors are one line, `podpis: …`, exit 64, in the user's language, with «did you mean» for a misspelt command; --lang de lists ru, en; no NSError text")
    func argumentErrors() throws {
        func oneLine(_ result: CLIResult, _ code: Int32, _ fragments: [String], _ label: String) {
            #expect(result.status == code, "\(label): \(result.status) \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("podpis: "), "\(label): \(result.stderr)")
            for fragment in fragments { #expect(result.stderr.contains(fragment), "\(label): \(result.stderr) lacks \(fragment)") }
            #expect(!result.stderr.contains("Error Domain") && !result.stderr.contains("Error:") && !result.stderr.contains("Usage:"), "\(label)")
            #expect(result.stdout.isEmpty, "\(label): \(result.stdout)")
        }
        oneLine(try CLI.run(["sign"]), 64, ["podpis: sign:", "<document>", "podpis sign --help"], "missing argument")
        oneLine(try CLI.run(["sign", "--lang", "ru"]), 64, ["не указан обязательный аргумент <document>", "справка: podpis sign --help"], "missing argument ru")
        oneLine(try CLI.run(["verfy", "order.pdf"]), 64, ["unknown command «verfy»", "did you mean «verify»"], "misspelt command")
        oneLine(try CLI.run(["verfy", "order.pdf"], environment: ["PODPIS_LANG": "ru"]), 64, ["неизвестная команда «verfy»", "«verify»"], "misspelt ru")
        oneLine(try CLI.run(["policy", "lst"]), 64, ["policy: unknown command «lst»", "«list»"], "misspelt subcommand")
        oneLine(try CLI.run(["verify", "x", "--trst", "roots"]), 64, ["--trst", "--trust"], "misspelt option")
        oneLine(try CLI.run(["verify", "x", "--trst", "roots", "--lang", "ru"]), 64, ["неизвестный параметр --trst", "возможно, имелся в виду --trust"], "misspelt option ru")
        oneLine(try CLI.run(["sign", "x", "--key", "k", "--container", "zip"]), 64, ["zip", "asice"], "bad value")
        oneLine(try CLI.run(["verify", "x", "--lang", "de"]), 64, ["«de»", "ru, en"], "--lang de")
        oneLine(try CLI.run(["policy", "list", "--lang"]), 64, ["--lang", "ru, en"], "bare --lang")
        oneLine(try CLI.run(["verify", "--batch", "x", "y"]), 64, ["--batch"], "validation")
        // Foundation's errors are said as one line too (it printed `Error Domain=NSCocoaErrorDomain…` and exited 1).
        let missingFolder = try CLI.run(["policy", "impact", (Repository.policies as NSString).appendingPathComponent("default.yaml"),
                                         "--evidence", "/nonexistent-evidence"])
        oneLine(missingFolder, 66, ["/nonexistent-evidence", "no such folder"], "policy impact")
        let missingFolderRU = try CLI.run(["policy", "impact", (Repository.policies as NSString).appendingPathComponent("default.yaml"),
                                           "--evidence", "/nonexistent-evidence", "--lang", "ru"])
        oneLine(missingFolderRU, 66, ["нет такой папки"], "policy impact ru")
    }

    // MARK: the demo never destroys

    /// The `podpis verify …` commands the demo printed, as argument lists.
    static func printedCommands(_ output: String) -> [[String]] {
        output.split(separator: "\n").compactMap { line -> [String]? in
            guard let range = line.range(of: "podpis verify "), line.contains("--trust") else { return nil }
            return Array(shellWords(String(line[range.lowerBound...])).dropFirst())
        }
    }

    /// Words as a POSIX shell splits them: blanks separate, '…' quotes literally, \ escapes outside quotes.
    static func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quoted = false
        var iterator = line.makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "'" { quoted = false } else { word.append(c) }
            } else if c == "'" {
                quoted = true
                inWord = true
            } else if c == "\\" {
                if let next = iterator.next() { word.append(next) }
                inWord = true
            } else if c == " " {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(c)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    @Test("the demo prints the verify commands that reproduce its verdicts, reuses its PKI when run again, and pki demo refuses to replace one")
    func demoNeverDestroys() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let first = try CLI.run(["demo", folder.file("demo")])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let commands = Self.printedCommands(first.stdout)
        // The order, its tampered copy, and — where GOST is available — the legal part's order and letter (63-ФЗ).
        let expected: [Int32] = CryptoLibrary.gostAvailable ? [0, 1, 0, 0] : [0, 1]
        #expect(commands.count == expected.count, "\(first.stdout)")
        for (command, expected) in zip(commands, expected) {
            #expect(command.contains("--trust") && command.contains("--crl"), "\(command)")
            let again = try CLI.run(command)
            #expect(again.status == expected, "\(command): \(again.stdout)\(again.stderr)")
        }
        let key = folder.file("demo/pki/rsa-root.key")
        let rootKey = try FileInput.readSmallFile(path: key, limit: 1 << 20)
        let kept = folder.file("kept.sig")
        try FileManager.default.copyItem(atPath: folder.file("demo/prikaz-123.txt.sig"), toPath: kept)

        let second = try CLI.run(["demo", folder.file("demo"), "--lang", "ru"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(second.stdout.contains("используется снова"), "\(second.stdout)")
        #expect(try FileInput.readSmallFile(path: key, limit: 1 << 20) == rootKey, "the second run made new keys")
        // What the first run signed still verifies, with the command the first run printed.
        var earlier = commands[0]
        earlier[2] = kept  // verify DOCUMENT SIGNATURE …
        #expect(try CLI.run(earlier).status == 0)

        let pki = folder.file("pki")
        #expect(try CLI.run(["pki", "demo", pki]).status == 0)
        let made = try FileInput.readSmallFile(path: pki + "/rsa-root.key", limit: 1 << 20)
        let refused = try CLI.run(["pki", "demo", pki])
        #expect(refused.status == 73, "\(refused.stderr)")
        #expect(refused.stderr.contains("--force") && refused.stderr.split(separator: "\n").count == 1)
        #expect(try FileInput.readSmallFile(path: pki + "/rsa-root.key", limit: 1 << 20) == made)
        let refusedRU = try CLI.run(["pki", "demo", pki, "--lang", "ru"])
        #expect(refusedRU.status == 73 && refusedRU.stderr.contains("уже есть"), "\(refusedRU.stderr)")
        let forced = try CLI.run(["pki", "demo", pki, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try FileInput.readSmallFile(path: pki + "/rsa-root.key", limit: 1 << 20) != made)

        // The repository ignores what the demo and the service write by default.
        let ignore = try String(contentsOfFile: (Repository.root as NSString).appendingPathComponent(".gitignore"), encoding: .utf8)
        #expect(ignore.contains("/podpis-demo/") && ignore.contains("/podpis-journal.sqlite"))
        #expect(try CLI.run(["demo", "--help"]).stdout.contains("(default: podpis-demo)"))
    }

    // MARK: signing that warns

    @Test("sign and cosign refuse an expired, not yet valid or revoked signer's certificate (65) unless --allow-invalid-cert; the TSA's certificate is checked too")
    func signingWarns() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let h = Hierarchy.rsa
        let document = try folder.write("order.txt", sampleDocument)
        let chain = try folder.write("ca.pem", try CertificateFiles.pem([h.ca.certificate]))
        let anchor = try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate]))
        func files(_ issued: IssuedCertificate, _ name: String) throws -> [String] {
            ["--key", try folder.write("\(name).key", try issued.key.pem(), mode: 0o600),
             "--cert", try folder.write("\(name).pem", try CertificateFiles.pem([issued.certificate])), "--chain", chain]
        }
        let day: TimeInterval = 86_400
        let expiredSigner = try h.signer(notBefore: Date().addingTimeInterval(-400 * day), notAfter: Date().addingTimeInterval(-day))
        let expired = try files(expiredSigner, "expired")
        let validSigner = try h.signer()
        let future = try files(try h.signer(notBefore: Date().addingTimeInterval(10 * day)), "future")
        let revokedSigner = try h.signer()
        let revoked = try files(revokedSigner, "revoked")
        let crl = try folder.write("ca.crl", try h.crl(revoking: [RevokedCertificate(serial: revokedSigner.certificate.serialHex,
                                                                                   date: Date().addingTimeInterval(-day))]).pem())
        let deputy = try files(try h.signer(), "deputy")

        for (arguments, fragment) in [(expired, "expired"), (future, "not valid before"), (revoked + ["--crl", crl], "revoked")] {
            let refused = try CLI.run(["sign", document, "--out", folder.file("x.sig"), "--force"] + arguments)
            #expect(refused.status == 65, "\(fragment): \(refused.stderr)")
            #expect(refused.stderr.contains(fragment) && refused.stderr.contains("--allow-invalid-cert"), "\(refused.stderr)")
            #expect(refused.stderr.split(separator: "\n").count == 1)
            #expect(!FileManager.default.fileExists(atPath: folder.file("x.sig")))
            let anyway = try CLI.run(["sign", document, "--out", folder.file("x.sig"), "--force", "--allow-invalid-cert"] + arguments)
            #expect(anyway.status == 0, "\(fragment): \(anyway.stderr)")
            try FileManager.default.removeItem(atPath: folder.file("x.sig"))
        }
        let russian = try CLI.run(["sign", document, "--out", folder.file("x.sig"), "--lang", "ru"] + expired)
        #expect(russian.status == 65 && russian.stderr.contains("срок действия сертификата подписанта истёк") && russian.stderr.contains("МСК"),
                "\(russian.stderr)")
        // Revocation is checked with the data at hand: without a CRL nothing says it is revoked.
        #expect(try CLI.run(["sign", document, "--out", folder.file("no-crl.sig")] + revoked).status == 0)
        // cosign checks the new signer the same way.
        _ = try folder.write("order.txt.sig", try Signer.sign(.file(document), identity: validSigner.identity,
                                                              options: SignatureOptions(chain: [h.ca.certificate])))
        let cosigned = try CLI.run(["cosign", document, document + ".sig"] + expired)
        #expect(cosigned.status == 65 && cosigned.stderr.contains("expired"), "\(cosigned.stderr)")
        let cosignedRevoked = try CLI.run(["cosign", document, document + ".sig", "--crl", crl] + revoked)
        #expect(cosignedRevoked.status == 65 && cosignedRevoked.stderr.contains("revoked"), "\(cosignedRevoked.stderr)")
        let cosignedValid = try CLI.run(["cosign", document, document + ".sig"] + deputy)
        #expect(cosignedValid.status == 0, "\(cosignedValid.stderr)")

        // A TSA whose certificate expired: timestamp and extend refuse its token; the signature is not touched.
        let tsa = try PKIProfiles.tsa(key: .rsa(bits: 2048), issuer: h.ca, notBefore: Date().addingTimeInterval(-800 * day), years: 2)
        let tsaKey = try folder.write("tsa.key", try tsa.key.pem(), mode: 0o600)
        let tsaCert = try folder.write("tsa.pem", try CertificateFiles.pem([tsa.certificate]))
        let server = try BackgroundServer(CLI.binary, ["tsa", "serve", "--key", tsaKey, "--cert", tsaCert, "--chain", chain, "--port", "0"])
        defer { server.stop() }
        let before = try FileInput.readSmallFile(path: document + ".sig", limit: 1 << 20)
        let stamped = try CLI.run(["timestamp", document + ".sig", "--tsa", server.url])
        #expect(stamped.status == 65, "\(stamped.stderr)")
        #expect(stamped.stderr.contains("the TSA's certificate expired") && stamped.stderr.contains("--allow-invalid-tsa-cert"), "\(stamped.stderr)")
        let extended = try CLI.run(["extend", document + ".sig", "--level", "T", "--tsa", server.url, "--trust", anchor])
        #expect(extended.status == 65, "\(extended.stderr)")
        #expect(try FileInput.readSmallFile(path: document + ".sig", limit: 1 << 20) == before)
        let accepted = try CLI.run(["timestamp", document + ".sig", "--tsa", server.url, "--allow-invalid-tsa-cert"])
        #expect(accepted.status == 0, "\(accepted.stderr)")

        // extend keeps working for a signature whose signer's certificate has expired since: that is what LT is for.
        let currentTSA = try PKIProfiles.tsa(key: .rsa(bits: 2048), issuer: h.ca)
        let currentServer = try BackgroundServer(CLI.binary, [
            "tsa", "serve", "--key", try folder.write("tsa2.key", try currentTSA.key.pem(), mode: 0o600),
            "--cert", try folder.write("tsa2.pem", try CertificateFiles.pem([currentTSA.certificate])), "--chain", chain, "--port", "0",
        ])
        defer { currentServer.stop() }
        let old = folder.file("old.sig")
        _ = try folder.write("old.sig", try Signer.sign(.file(document), identity: expiredSigner.identity,
                                                        options: SignatureOptions(chain: [h.ca.certificate])))
        let raised = try CLI.run(["extend", old, "--level", "T", "--tsa", currentServer.url, "--trust", anchor])
        #expect(raised.status == 0, "\(raised.stderr)")
    }

    @Test("--attached --pss signs (OpenSSL verifies it); --pss with a GOST key is an error; legacy PKCS#12 opens; a wrong passphrase is 77")
    func signingDetails() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let h = Hierarchy.rsa
        let signer = try h.signer()
        let document = try folder.write("order.txt", sampleDocument)
        let key = try folder.write("me.key", try signer.key.pem(), mode: 0o600)
        let cert = try folder.write("me.pem", try CertificateFiles.pem([signer.certificate]))
        let chain = try folder.write("ca.pem", try CertificateFiles.pem([h.ca.certificate]))
        let anchor = try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate]))
        let crls = ["--crl", try folder.write("ca.crl", try h.crl().pem()), "--crl", try folder.write("root.crl", try h.crl(by: h.root).pem())]

        // The README's combination.
        let signed = try CLI.run(["sign", document, "--key", key, "--cert", cert, "--chain", chain, "--attached", "--pem", "--pss", "--digest", "sha384"])
        #expect(signed.status == 0, "\(signed.stderr)")
        let verify = VerifyOptions(trust: [anchor], crls: crls.filter { $0 != "--crl" })
        let (_, verified) = try verify.verify(document + ".p7m")
        #expect(verified.indication == .totalPassed, "\(verified.signatures.map(\.reason))")
        #expect(verified.signatures.first?.algorithms.signature == "rsa-pss")
        let peer = try runTool("openssl", ["cms", "-verify", "-in", document + ".p7m", "-inform", "PEM", "-CAfile", anchor, "-certfile", chain,
                                           "-out", folder.file("content.txt")])
        #expect(peer.status == 0, "\(peer.stderr)")
        #expect(try FileInput.readSmallFile(path: folder.file("content.txt"), limit: 1 << 20) == sampleDocument)

        let gost = try Hierarchy.gost.signer()
        let gostKey = try folder.write("gost.key", try gost.key.pem(), mode: 0o600)
        let gostCert = try folder.write("gost.pem", try CertificateFiles.pem([gost.certificate]))
        let pss = try CLI.run(["sign", document, "--key", gostKey, "--cert", gostCert, "--pss", "--out", folder.file("g.sig")])
        #expect(pss.status == 64 && pss.stderr.contains("--pss") && pss.stderr.contains("gost2012-256"), "\(pss.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("g.sig")))

        // PKCS#12 as CryptoPro and Windows export it (RC2-40 / 3DES): `openssl pkcs12 -export -legacy`.
        let passFile = try folder.write("pass.txt", Array("секрет 2026\n".utf8), mode: 0o600)
        let wrongFile = try folder.write("wrong.txt", Array("не тот\n".utf8), mode: 0o600)
        for (name, extra) in [("legacy.p12", ["-legacy"]), ("modern.p12", [])] {
            let p12 = folder.file(name)
            let made = try runTool("openssl", ["pkcs12", "-export", "-inkey", key, "-in", cert, "-certfile", chain, "-out", p12,
                                               "-passout", "file:\(passFile)"] + extra)
            #expect(made.status == 0, "\(made.stderr)")
            chmod(p12, 0o600)
            let out = folder.file("\(name).sig")
            let opened = try CLI.run(["sign", document, "--key", p12, "--pass-file", passFile, "--out", out])
            #expect(opened.status == 0, "\(name): \(opened.stderr)")
            #expect(try verify.verify(document, signature: out).report.indication == .totalPassed, "\(name)")
            let wrong = try CLI.run(["sign", document, "--key", p12, "--pass-file", wrongFile, "--out", folder.file("\(name).wrong.sig")])
            #expect(wrong.status == 77, "\(name): \(wrong.stderr)")
            #expect(wrong.stderr.contains("wrong passphrase"), "\(wrong.stderr)")
        }
        // OpenSSL's reasons, as "signing failed" lines now carry them.
        #expect(openSSLReason("error:1C800064:Provider routines::bad decrypt; error:1C800064:Provider routines::bad decrypt")
                == "Provider routines: bad decrypt")
        #expect(openSSLReason(nil) == "OpenSSL gave no reason")
    }

    @Test("a long sign or verify on a terminal shows the bytes hashed; a pipe sees nothing of it",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "script (util-linux) is not installed: no terminal to test on"))
    func progressOnTerminal() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let h = Hierarchy.rsa
        let signer = try h.signer()
        let big = folder.file("big.bin")
        _ = FileManager.default.createFile(atPath: big, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        let block = Data(repeating: 0x5A, count: 1 << 20)
        for _ in 0..<24 { handle.write(block) }
        try handle.close()
        let key = try folder.write("me.key", try signer.key.pem(), mode: 0o600)
        let cert = try folder.write("me.pem", try CertificateFiles.pem([signer.certificate]))
        let anchor = try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate]))
        let chain = try folder.write("ca.pem", try CertificateFiles.pem([h.ca.certificate]))
        func onTerminal(_ arguments: [String]) throws -> CLIResult {
            let command = ([CLI.binary] + arguments).map { "'\($0)'" }.joined(separator: " ")
            return try runTool("script", ["-qec", command, "/dev/null"], environment: ["LANG": "C.UTF-8"])
        }
        let signed = try onTerminal(["sign", big, "--key", key, "--cert", cert, "--chain", chain])
        #expect(signed.status == 0, "\(signed.stdout)")
        #expect(signed.stdout.contains("Hashing big.bin") && signed.stdout.contains("24.0 MiB of 24.0 MiB (100 %)"), "\(signed.stdout)")
        let verified = try onTerminal(["verify", big, "--trust", anchor, "--lang", "ru"])
        #expect(verified.stdout.contains("Хэширование big.bin") && verified.stdout.contains("(100 %)"), "\(verified.stdout)")
        let piped = try CLI.run(["verify", big, "--trust", anchor])
        #expect(!piped.stderr.contains("Hashing") && !piped.stdout.contains("Hashing"))
    }

    // MARK: batch

    @Test("verify --batch reports a file without a signature as UNPAIRED (a line, a JSON line, the summary, exit 1)")
    func batchUnpaired() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let h = Hierarchy.rsa
        let inbox = folder.file("inbox")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let signed = try folder.write("inbox/signed.txt", sampleDocument)
        _ = try folder.write("inbox/signed.txt.sig", try Signer.sign(.file(signed), identity: try h.signer().identity,
                                                                     options: SignatureOptions(chain: [h.ca.certificate])))
        let lonely = try folder.write("inbox/unsigned.txt", Array("без подписи".utf8))
        let anchor = try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate]))
        let crls = ["--crl", try folder.write("ca.crl", try h.crl().pem()), "--crl", try folder.write("root.crl", try h.crl(by: h.root).pem())]

        let text = try CLI.run(["verify", "--batch", inbox, "--trust", anchor] + crls)
        #expect(text.status == 1, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.contains("? \(lonely): UNPAIRED"), "\(text.stdout)")
        #expect(text.stderr.contains("UNPAIRED") && text.stderr.contains("TOTAL-PASSED"), "\(text.stderr)")

        let json = try CLI.run(["verify", "--batch", inbox, "--trust", anchor, "--json"] + crls)
        let lines = try json.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(lines.count == 2, "\(json.stdout)")
        let unpaired = try #require(lines.first { $0["unpaired"] as? Bool == true })
        #expect(unpaired["document"] as? String == lonely && unpaired["signature"] == nil && unpaired["report"] == nil)
        #expect((unpaired["error"] as? String)?.contains(".sig") == true)
        let pair = try #require(lines.first { $0["unpaired"] == nil })
        #expect((pair["report"] as? [String: Any])?["indication"] as? String == "TOTAL-PASSED")

        // Without the unsigned file everything passed: exit 0, as before.
        try FileManager.default.removeItem(atPath: lonely)
        #expect(try CLI.run(["verify", "--batch", inbox, "--trust", anchor] + crls).status == 0)
    }

    // MARK: set-up

    @Test("the README's set-up commands run the script .ci/run runs, and it needs no sudo as root")
    func setUpCommands() throws {
        let readme = try String(contentsOfFile: (Repository.root as NSString).appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("\nscripts/install-deps.sh && swift run podpis demo\n"))
        #expect(readme.contains("\nscripts/install-deps.sh --test && swift test\n"))
        #expect(readme.contains("make install PREFIX="))
        let ci = try String(contentsOfFile: (Repository.root as NSString).appendingPathComponent(".ci/run"), encoding: .utf8)
        #expect(ci.contains("scripts/install-deps.sh --test"))
        let script = (Repository.root as NSString).appendingPathComponent("scripts/install-deps.sh")
        let dry = try runTool("bash", [script, "--test", "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("apt-get install -y --no-install-recommends libssl-dev"), "\(dry.stdout)")
        for package in ["libengine-gost-openssl", "chromium", "postgresql", "softhsm2", "cryptography"] {
            #expect(dry.stdout.contains(package), "\(package) is not installed by the script")
        }
        if getuid() == 0 { #expect(!dry.stdout.contains("sudo"), "root needs no sudo:\n\(dry.stdout)") }
        #expect(try runTool("bash", [script, "--bogus"]).status == 64)
    }
}
