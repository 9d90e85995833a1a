import ArgumentParser
import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import SigningCore

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole job on embedded defaults: a demo PKI, an official signs an order (GOST and RSA), "
            + "podpis verifies it, then shows what a tampered copy looks like.")

    @Argument(help: "Working folder (created; default ./podpis-demo).")
    var directory: String = "podpis-demo"

    @Option(name: .long, help: "Language: ru or en (default: from LANG).")
    var lang: String?

    func run() async throws {
        let language = lang.map { Language(parsing: $0) } ?? Console.language
        let text = Catalogue(language)
        func step(_ key: String, _ args: [String: String] = [:]) { Console.out("▸ " + text.text(key, args)) }

        let pkiDirectory = (directory as NSString).appendingPathComponent("pki")
        let layout = try DemoPKI.create(in: pkiDirectory)
        step("demo.pki", ["dir": pkiDirectory])

        let order = (directory as NSString).appendingPathComponent("prikaz-123.txt")
        try FileInput.writeAtomically(Array(Self.sampleOrder.utf8), to: order)
        step("demo.document", ["file": order])

        func identity(_ name: String) throws -> SigningIdentity {
            let key = try KeyLoader.load(path: layout.path("\(name).key")) { [] }.key
            let cert = try X509Certificate.parseAll(FileInput.readSmallFile(path: layout.path("\(name).pem"), limit: 1 << 20))[0]
            return SigningIdentity(key: key, certificate: cert)
        }
        func chain(_ prefix: String) throws -> [X509Certificate] {
            try X509Certificate.parseAll(FileInput.readSmallFile(path: layout.path("\(prefix)-chain.pem"), limit: 1 << 20))
        }
        let signature = order + ".sig"
        let gost = CryptoLibrary.gostAvailable
        let first = try identity(gost ? "official-gost" : "official-rsa")
        _ = try Signer.sign(.file(order), identity: first, options: SignatureOptions(chain: try chain(gost ? "gost" : "rsa")), output: signature)
        step("demo.signed", ["signer": first.certificate.info().displayName, "algorithm": first.key.keyType, "file": signature])
        if gost {
            let second = try identity("official-rsa")
            let existing = try FileInput.readSmallFile(path: signature, limit: 1 << 26)
            _ = try Signer.cosign(signature: existing, signatureName: signature, content: .file(order), identity: second,
                                  options: SignatureOptions(chain: try chain("rsa")), output: signature)
            step("demo.cosigned", ["signer": second.certificate.info().displayName, "algorithm": second.key.keyType])
        }

        // The built-in TSA (in process) makes the signature CAdES-T.
        let tsaIdentity = try identity("tsa")
        let authority = try TimestampAuthority(
            key: tsaIdentity.key, certificate: tsaIdentity.certificate, chain: try chain("rsa"),
            serials: SerialNumberSource(path: layout.path("tsa.serial")))
        let unstamped = try FileInput.readSmallFile(path: signature, limit: 1 << 26)
        let stamped = try Timestamper.addSignatureTimestamps(to: unstamped, subject: signature,
                                                             client: TimestampClient(source: LocalTimestampSource(authority)))
        try FileInput.writeAtomically(stamped.bytes, to: signature)
        step("demo.timestamped")

        let crls = try CertificateFiles.loadCRLs(paths: (gost ? ["rsa", "gost"] : ["rsa"]).flatMap { [layout.path("\($0)-root.crl"), layout.path("\($0)-ca.crl")] })
        let trust = try TrustStore.load(paths: [layout.trustDirectory])
        /// Verifies `document` and writes its protocol (HTML) beside it, for the jurist's reading.
        func verify(_ document: String) throws -> (report: Report, page: String) {
            let job = VerificationJob(
                signature: try FileInput.readSmallFile(path: signature, limit: 1 << 26), signatureName: signature,
                document: .file(path: document), trust: trust, crls: crls, options: JudgementOptions(language: language))
            let (evidence, report) = try job.run()
            let html = ((document as NSString).deletingPathExtension as String) + "-report.html"
            try ProtocolFile.write(report: report, evidence: evidence, to: html)
            return (report, html)
        }
        step("demo.verify", ["command": "podpis verify \(order) --trust \(layout.trustDirectory) --crl …"])
        let (good, goodProtocol) = try verify(order)
        ReportText.print(good, signatureName: signature, language: language)
        step("demo.report", ["file": goodProtocol])

        let tampered = (directory as NSString).appendingPathComponent("prikaz-123-tampered.txt")
        try FileInput.writeAtomically(Array(Self.sampleOrder.replacingOccurrences(of: "30 (тридцать)", with: "90 (девяносто)").utf8), to: tampered)
        step("demo.tamper", ["file": tampered])
        let (bad, badProtocol) = try verify(tampered)
        ReportText.print(bad, signatureName: signature, language: language)
        step("demo.report", ["file": badProtocol])

        // The legal verdict (63-ФЗ): an accredited-CA list, an order of an official, a letter under a МЧД.
        let legal = try DemoLegal(directory: directory, layout: layout, language: language, trust: trust,
                                  step: { key, args in step(key, args) }).run()

        step("demo.done", ["dir": directory])
        guard good.indication == .totalPassed, bad.indication == .totalFailed, legal else {
            throw PodpisError(.software, "the demo did not reach the expected verdicts")
        }
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
