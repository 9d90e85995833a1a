import ArgumentParser
import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import SigningCore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: helpString("demo.abstract"))

    @Argument(help: help("demo.directory"))
    var directory: String = "podpis-demo"

    @OptionGroup var languageOptions: LanguageOptions

    /// What one verification of the demo uses, and the `podpis verify` command line that reproduces it.
    struct Verification {
        var document: String
        var signature: String
        var trust: [String]
        var crls: [String]
        var policy: String? = nil
        /// Further `verify` arguments that reproduce the run (each one also applied below when it is added).
        var extraArguments: [String] = []

        var command: String {
            var words = ["podpis", "verify", document, signature]
            for path in trust { words += ["--trust", path] }
            for path in crls { words += ["--crl", path] }
            if let policy { words += ["--policy", policy] }
            words += extraArguments + ["--offline"]
            return words.map(Self.quoted).joined(separator: " ")
        }

        /// A word as a POSIX shell reads it back.
        static func quoted(_ word: String) -> String {
            let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@+,".contains($0) }
            return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
    }

    func run() async throws {
        let language = languageOptions.language
        let text = Catalogue.cli(language)
        func step(_ key: MessageKey, _ args: [String: String] = [:]) { Console.out("▸ " + text.text(key, args)) }

        let layout = try preparePKI(step: step)
        let order = (directory as NSString).appendingPathComponent("prikaz-123.txt")
        try FileInput.writeAtomically(Array(Self.sampleOrder.utf8), to: order)
        step("demo.document", ["file": order])

        let signature = order + ".sig"
        try sign(order, to: signature, layout: layout, step: step)
        try timestamp(signature, layout: layout)
        step("demo.timestamped")

        let base = Verification(document: order, signature: signature, trust: [layout.trustDirectory], crls: [layout.directory])
        let good = try verify(base, language: language, step: step)

        let tampered = (directory as NSString).appendingPathComponent("prikaz-123-tampered.txt")
        try FileInput.writeAtomically(Array(Self.sampleOrder.replacingOccurrences(of: "30 (тридцать)", with: "90 (девяносто)").utf8), to: tampered)
        step("demo.tamper", ["file": tampered])
        var forged = base
        forged.document = tampered
        let bad = try verify(forged, language: language, step: step)

        // The legal verdict (63-ФЗ): an accredited-CA list, an order of an official, a letter under a МЧД.
        let legal = try DemoLegal(directory: directory, layout: layout, language: language, trust: try TrustStore.load(paths: [layout.trustDirectory]),
                                  step: { key, args in step(key, args) }).run()

        step("demo.done", ["dir": directory])
        guard good.indication == .totalPassed, bad.indication == .totalFailed, legal else {
            throw PodpisError(.software, "the demo did not reach the expected verdicts")
        }
    }

    /// The demo PKI in DIR/pki: the one found there (its CRLs issued afresh), else a new one. Never replaced, so
    /// what was signed in an earlier run still verifies.
    func preparePKI(step: (MessageKey, [String: String]) -> Void) throws -> DemoPKI.Layout {
        let pkiDirectory = (directory as NSString).appendingPathComponent("pki")
        if DemoPKI.exists(in: pkiDirectory) {
            let layout = try DemoPKI.reuse(in: pkiDirectory)
            step("demo.pki-reused", ["dir": pkiDirectory])
            return layout
        }
        let layout = try DemoPKI.create(in: pkiDirectory)
        step("demo.pki", ["dir": pkiDirectory])
        return layout
    }

    /// The official signs (GOST when the PKI and the engine have it), the deputy co-signs with RSA.
    func sign(_ order: String, to signature: String, layout: DemoPKI.Layout, step: (MessageKey, [String: String]) -> Void) throws {
        let gost = CryptoLibrary.gostAvailable && DemoPKI.hasGOST(in: layout.directory)
        let first = try identity("official-\(gost ? "gost" : "rsa")", layout)
        _ = try Signer.sign(.file(order), identity: first, options: SignatureOptions(chain: try chain(gost ? "gost" : "rsa", layout)),
                            output: signature)
        step("demo.signed", ["signer": first.certificate.info().displayName, "algorithm": first.key.keyType.rawValue, "file": signature])
        guard gost else { return }
        let second = try identity("official-rsa", layout)
        let existing = try FileInput.readSmallFile(path: signature, limit: 1 << 26)
        _ = try Signer.cosign(signature: existing, signatureName: signature, content: .file(order), identity: second,
                              options: SignatureOptions(chain: try chain("rsa", layout)), output: signature)
        step("demo.cosigned", ["signer": second.certificate.info().displayName, "algorithm": second.key.keyType.rawValue])
    }

    /// The built-in TSA (in process) makes the signature CAdES-T.
    func timestamp(_ signature: String, layout: DemoPKI.Layout) throws {
        let tsaIdentity = try identity("tsa", layout)
        let authority = try TimestampAuthority(
            key: tsaIdentity.key, certificate: tsaIdentity.certificate, chain: try chain("rsa", layout),
            serials: SerialNumberSource(path: layout.path("tsa.serial")))
        let unstamped = try FileInput.readSmallFile(path: signature, limit: 1 << 26)
        let stamped = try Timestamper.addSignatureTimestamps(to: unstamped, subject: signature,
                                                             client: TimestampClient(source: LocalTimestampSource(authority)))
        try FileInput.writeAtomically(stamped.bytes, to: signature)
    }

    /// Verifies as `verification.command` would, prints that command and the verdict, and writes the protocol
    /// (HTML) beside the document for the jurist's reading.
    func verify(_ verification: Verification, language: Language, step: (MessageKey, [String: String]) -> Void) throws -> Report {
        step("demo.verify", ["command": verification.command])
        let catalog = try PolicyCatalog.standard()
        let policy = try catalog.policy(verification.policy)
        let (trustLists, listAnchors) = try catalog.trustLists(for: policy)
        let job = VerificationInput(
            signature: try FileInput.readSignature(path: verification.signature), signatureName: verification.signature,
            document: .file(path: verification.document),
            trust: TrustStore(anchors: try TrustStore.load(paths: verification.trust).anchors + listAnchors),
            crls: try CertificateFiles.loadCRLs(paths: verification.crls), revocation: .offline, policy: policy,
            options: JudgementOptions(language: language, trustLists: trustLists))
        let (evidence, report) = try Verifier.verify(job)
        ReportText.print(report, signatureName: verification.signature, language: language)
        let html = ((verification.document as NSString).deletingPathExtension as String) + "-report.html"
        try ProtocolFile.write(report: report, evidence: evidence, to: html)
        step("demo.report", ["file": html])
        return report
    }

    func identity(_ name: String, _ layout: DemoPKI.Layout) throws -> SigningIdentity {
        let key = try KeyLoader.load(path: layout.path("\(name).key")) { [] }.key
        let cert = try X509Certificate.parseAll(FileInput.readSmallFile(path: layout.path("\(name).pem"), limit: 1 << 20))[0]
        return SigningIdentity(key: key, certificate: cert)
    }

    func chain(_ prefix: String, _ layout: DemoPKI.Layout) throws -> [X509Certificate] {
        try X509Certificate.parseAll(FileInput.readSmallFile(path: layout.path("\(prefix)-chain.pem"), limit: 1 << 20))
    }

    static let sampleOrder = """
        АДМИНИСТРАЦИЯ ЛЕНИНГРАДСКОЙ ОБЛАСТИ
        ПРИКАЗ № 123 от 25.11.2026

        О переходе на электронный документооборот с муниципальными районами

        1. С 01.01.2027 направлять документы в муниципальные районы в электронном виде,
           подписанными усиленной квалифицированной электронной подписью.
        2. Срок исполнения — 30 (тридцать) календарных дней.

        Начальник отдела делопроизводства                    М. П. Иванова

        """
}
