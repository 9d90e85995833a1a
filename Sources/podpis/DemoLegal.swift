import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import SigningCore

/// The legal half of `podpis demo`: the same demo PKI judged under 63-ФЗ (`lenobl-sed`, built on
/// `ru-63fz-qualified`) — a demo list of accredited CAs in the shape of the Минцифры `TSL.xml`, an order signed by
/// an official of the administration (a state CA's certificate: no power of attorney), and a letter signed by an
/// employee with a personal certificate under a machine-readable power of attorney (EMCHD_1) signed by the head.
/// Without a certified tool stated by the operator the conclusion is «qualified-unattested» (63-ФЗ ст. 11 п. 3).
struct DemoLegal {
    let directory: String
    let layout: DemoPKI.Layout
    let language: Language
    let trust: TrustStore
    let step: (MessageKey, [String: String]) -> Void

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Runs the legal part; `true` when both documents reach TOTAL-PASSED under the policy (or when the part is
    /// skipped because GOST or the policies are not available, which it says).
    func run() throws -> Bool {
        guard CryptoLibrary.gostAvailable, FileManager.default.fileExists(atPath: layout.path("employee-gost.pem")) else {
            step("demo.legal.no-gost", [:])
            return true
        }
        // A GOST timestamping authority (in process): a qualified signature's timestamps are GOST too.
        let tsa = try identity("tsa-gost")
        let authority = try TimestampAuthority(
            key: tsa.key, certificate: tsa.certificate, chain: [try certificate("gost-ca-personal")],
            serials: SerialNumberSource(path: layout.path("tsa-gost.serial")))
        // 1. The demo accredited-CA list, imported as `trust import-ru` does.
        let listFile = layout.path("ru-accredited-demo.xml")
        let treasuryCA = try certificate("gost-ca")
        let commercialCA = try certificate("gost-ca-personal")
        let list = AccreditedListWriter.xml([
            .init(name: "Федеральное казначейство (демонстрационный УЦ podpis)", shortName: "Казначейство (демо)", inn: "7710568760",
                  ogrn: "1047797019830", registryNumber: "демо-001",
                  statuses: [("2015-06-01", "Действует"), ("2021-06-01", "Действует")], certificates: [treasuryCA],
                  crlURL: "\(DemoPKI.defaultBaseURL)/crl/gost-ca.crl"),
            .init(name: "ООО «Демо УЦ» (демонстрационный УЦ podpis)", shortName: "Демо УЦ", inn: "7811000001", ogrn: "1157800000001",
                  registryNumber: "демо-002", statuses: [("2018-03-01", "Действует"), ("2021-09-01", "Действует")],
                  certificates: [commercialCA], crlURL: "\(DemoPKI.defaultBaseURL)/crl/gost-ca-personal.crl"),
        ], version: 1, date: Date())
        try FileInput.writeAtomically(list, to: listFile)
        let imported = try RussianTrustList.parse(list, subject: listFile)
        let certs = path("certs")
        try TrustListStore.write(folder: (certs as NSString).appendingPathComponent("ru-accredited"),
                                 certificates: imported.certificates, authorities: imported.authorities)
        step("demo.legal.trust-list", ["file": listFile, "folder": (certs as NSString).appendingPathComponent("ru-accredited")])

        let catalog = try PolicyCatalog.standard(certs: certs)
        guard let policy = catalog.registry.policy("lenobl-sed") else {
            step("demo.legal.no-policies", [:])
            return true
        }
        let (lists, _) = try catalog.trustLists(for: policy)
        let crls = try CertificateFiles.loadCRLs(paths: ["gost-root", "gost-ca", "gost-ca-personal", "rsa-root", "rsa-ca"].map { layout.path("\($0).crl") })

        // 2. An order signed by an official of the administration.
        let order = path("prikaz-124.txt")
        try FileInput.writeAtomically(Array(Self.order.utf8), to: order)
        let official = try identity("official-gost")
        try signStamped(order, by: official, chain: "gost-chain.pem", authority: authority)
        step("demo.legal.order", ["file": order, "signer": official.certificate.info().displayName])
        let orderOK = try verify(order, type: "приказ", policy: policy, lists: lists, crls: crls, powers: [],
                                 command: command([order, "--policy", "lenobl-sed", "--type", "приказ", "--certs", certs,
                                                   "--trust", layout.trustDirectory, "--crl", layout.path("gost-root.crl"),
                                                   "--crl", layout.path("gost-ca.crl")]))

        // 3. A machine-readable power of attorney from the head to an employee, and a letter the employee signs.
        let head = try identity("head-gost")
        let employee = try identity("employee-gost")
        let draft = PowerOfAttorneyWriter.Draft(
            number: UUID().uuidString.lowercased(), internalNumber: "МЧД-2026-017", issued: Self.moscowDay(Date()),
            validUntil: Self.moscowDay(Date().addingTimeInterval(365 * 86_400)), redelegation: .forbidden,
            principal: .init(name: "Администрация Ленинградской области", innLE: "7842012345", kpp: "784201001", ogrn: "1027809244561",
                             region: "47", address: "191311, г. Санкт-Петербург, Суворовский пр., д. 67"),
            signer: Self.person(head.certificate.info(), position: "Руководитель администрации"),
            representative: Self.person(employee.certificate.info(), position: "Главный специалист"),
            powers: [.init(code: "02.03.01", name: "Подписание исходящей корреспонденции в муниципальные районы")],
            powersText: "Подписывать письма администрации в муниципальные районы Ленинградской области")
        let poa = path("mchd-017.xml")
        try FileInput.writeAtomically(PowerOfAttorneyWriter.xml(draft), to: poa)
        try signStamped(poa, by: head, chain: "gost-chain.pem", authority: authority)
        step("demo.legal.poa", ["file": poa, "signature": poa + ".sig", "head": head.certificate.info().displayName,
                                "employee": employee.certificate.info().displayName])
        let letter = path("pismo-456.txt")
        try FileInput.writeAtomically(Array(Self.letter.utf8), to: letter)
        try signStamped(letter, by: employee, chain: "gost-personal-chain.pem", authority: authority)
        step("demo.legal.letter", ["file": letter, "signer": employee.certificate.info().displayName])
        let powers = [PowerOfAttorneyReader.Input(name: poa, xml: try FileInput.readSmallFile(path: poa, limit: 4 << 20),
                                                  signatures: [try FileInput.readSmallFile(path: poa + ".sig", limit: 1 << 20)])]
        let letterOK = try verify(letter, type: "исходящее письмо в муниципалитет", policy: policy, lists: lists, crls: crls, powers: powers,
                                  command: command([letter, "--policy", "lenobl-sed", "--type", "исходящее письмо в муниципалитет",
                                                    "--poa", poa, "--certs", certs, "--trust", layout.trustDirectory,
                                                    "--crl", layout.path("gost-root.crl"), "--crl", layout.path("gost-ca.crl"),
                                                    "--crl", layout.path("gost-ca-personal.crl")]))
        step("demo.legal.attest", [:])
        return orderOK && letterOK
    }

    /// The `podpis verify` command line that repeats a verification, quoted as a POSIX shell reads it back.
    func command(_ arguments: [String]) -> String {
        (["podpis", "verify"] + arguments + ["--offline", "--lang", language.rawValue]).map(DemoCommand.Verification.quoted).joined(separator: " ")
    }

    func certificate(_ name: String) throws -> X509Certificate {
        try X509Certificate.parseAll(FileInput.readSmallFile(path: layout.path("\(name).pem"), limit: 1 << 20))[0]
    }

    func identity(_ name: String) throws -> SigningIdentity {
        let key = try KeyLoader.load(path: layout.path("\(name).key")) { [] }.key
        return SigningIdentity(key: key, certificate: try certificate(name))
    }

    /// A detached CAdES-T signature beside `file` (`file.sig`), timestamped by the demo's own TSA.
    func signStamped(_ file: String, by identity: SigningIdentity, chain: String, authority: TimestampAuthority) throws {
        let chain = try X509Certificate.parseAll(FileInput.readSmallFile(path: layout.path(chain), limit: 1 << 20))
        let signature = try Signer.sign(.file(file), identity: identity, options: SignatureOptions(chain: chain))
        let stamped = try Timestamper.addSignatureTimestamps(to: signature, subject: file + ".sig",
                                                             client: TimestampClient(source: LocalTimestampSource(authority)))
        try FileInput.writeAtomically(stamped.bytes, to: file + ".sig")
    }

    func verify(_ document: String, type: String, policy: Policy, lists: [String: TrustList], crls: [CertificateRevocationList],
                powers: [PowerOfAttorneyReader.Input], command: String) throws -> Bool {
        step("demo.verify", ["command": command])
        var job = VerificationInput(
            signature: try FileInput.readSmallFile(path: document + ".sig", limit: 1 << 26), signatureName: document + ".sig",
            document: .file(path: document), trust: trust, crls: crls, policy: policy,
            options: JudgementOptions(documentType: type, language: language, trustLists: lists))
        job.powersOfAttorney = powers
        let (evidence, report) = try Verifier.verify(job)
        ReportText.print(report, signatureName: document + ".sig", language: language)
        let html = ((document as NSString).deletingPathExtension as String) + "-report.html"
        try ProtocolFile.write(report: report, evidence: evidence, to: html)
        step("demo.report", ["file": html])
        return report.indication == .totalPassed
    }

    static func person(_ info: CertificateInfo, position: String) -> PowerOfAttorneyWriter.Person {
        let given = (info.attribute(OID.givenName) ?? "").split(separator: " ").map(String.init)
        return PowerOfAttorneyWriter.Person(
            surname: info.attribute(OID.surname) ?? info.displayName, givenName: given.first ?? "—",
            patronymic: given.count > 1 ? given[1] : nil, inn: info.attribute(OID.inn) ?? "", snils: info.attribute(OID.snils) ?? "",
            position: position)
    }

    /// `YYYY-MM-DD` of the Moscow calendar day (UTC+3).
    static func moscowDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 3 * 3600)!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    static let order = """
        АДМИНИСТРАЦИЯ ЛЕНИНГРАДСКОЙ ОБЛАСТИ
        ПРИКАЗ № 124

        О назначении ответственных за электронный документооборот с муниципальными районами

        1. Назначить ответственным отдел делопроизводства.

        Начальник отдела делопроизводства                    М. П. Иванова

        """

    static let letter = """
        АДМИНИСТРАЦИЯ ЛЕНИНГРАДСКОЙ ОБЛАСТИ
        Главам администраций муниципальных районов

        О переходе на электронный документооборот

        Направляем приказ № 123 о переходе на электронный документооборот с 01.01.2027.

        Главный специалист (по доверенности № МЧД-2026-017)   О. Н. Кузнецова

        """
}
