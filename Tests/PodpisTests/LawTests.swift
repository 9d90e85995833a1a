import EvidenceModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PodpisReport
import PodpisServer
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// 63-ФЗ as it is applied in 2026 (issue #17): who may sign with what certificate, the dated rules of the 2019
/// amendments, annulment, the certified-tools condition and the conclusions a court would accept, said in Russian
/// with Moscow time and the Russian names of certificate attributes.
@Suite("63-ФЗ as applied", .needsGOST)
struct LawTests {
    static let pki = LawPKI.gost

    /// ru-63fz-qualified with an accredited-CA list holding the three CAs of ``LawPKI/gost``, accredited since 2015.
    static let qualified: (Policy, [String: TrustList]) = {
        let policy = try! PolicyCatalog.standard(policies: Repository.policies, certs: Repository.certs).registry.policy("ru-63fz-qualified")!
        let authorities = [pki.fns, pki.treasury, pki.commercial].map { ca -> AccreditedAuthority in
            let info = ca.certificate.info()
            return AccreditedAuthority(name: info.attribute(OID.organization) ?? info.subject, certificates: [info.sha256],
                                       keyIdentifiers: [info.subjectKeyIdentifier ?? ""],
                                       accreditation: [AccreditationPeriod(from: PolicyDates.parse("2015-01-01")!, until: nil, status: "Действует")])
        }
        return (policy, ["ru-accredited": TrustList(name: "ru-accredited", anchors: [], authorities: authorities)])
    }()

    /// Signs the sample document as `signer` (timestamped unless `at` judges it on another day) and judges it.
    static func judge(_ signer: IssuedCertificate, at: Date? = nil, language: Language = .en, attest: String? = nil,
                      policy: Policy? = nil, crls: [CertificateRevocationList]? = nil, stampAt: Date? = nil) throws -> (Evidence, Report) {
        let stamp = at == nil ? try pki.authority(clock: { stampAt ?? Date() }) : nil
        let signature = try pki.sign(sampleDocument, by: signer, stamp: stamp)
        let revocation = try crls ?? pki.crls()
        let job = VerificationInput(
            signature: signature, signatureName: "d.sig", document: .bytes(name: "d.txt", sampleDocument), trust: pki.trust,
            crls: revocation, validationTime: at, policy: policy ?? qualified.0,
            options: JudgementOptions(language: language, attestations: attest.map { ["certified-crypto-tool": $0] } ?? [:],
                                      trustLists: qualified.1))
        return try Verifier.verify(job)
    }

    /// A policy from its text (in a folder of its own, extending the built-in default).
    static func policy(_ text: String) throws -> Policy {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        _ = try folder.write("policy.yaml", Array(text.utf8))
        let registry = PolicyRegistry.load(directory: folder.path)
        #expect(registry.errors.isEmpty, "\(registry.errors.map { $0.rendered(.en) })")
        return try #require(registry.policies.values.first { $0.id != "default" })
    }

    static func check(_ report: Report, _ id: String) -> CheckResult? { report.signatures.first?.checks.first { $0.id == id } }

    @Test("ст. 17 ч. 2: a person's certificate needs ФИО, СНИЛС, ИНН; an organisation's needs наименование, место нахождения, ОГРН, ИНН ЮЛ — and no СНИЛС")
    func holderDetails() throws {
        let pki = Self.pki
        let person = try pki.person(surname: "Кузнецова", given: "Ольга Николаевна", inn: "780500000005", snils: "55555555555")
        let (_, personal) = try Self.judge(person, attest: "КриптоПро CSP 5.0")
        #expect(personal.signatures[0].legal.kind == "qualified", "\(personal.signatures[0].checks.filter { $0.status == .failed }.map(\.message))")
        #expect(Self.check(personal, "qualified-attributes")?.message.contains("natural person") == true)

        let seal = try PKIProfiles.signer(subject: PKIProfiles.organisationSubject(organization: "ФНС России (тест)", ogrn: "1047707030513", innLE: "7707329152"),
                                          key: pki.kind, issuer: pki.fns)
        let (_, organisation) = try Self.judge(seal, attest: "КриптоПро CSP 5.0")
        #expect(organisation.signatures[0].legal.kind == "qualified", "\(organisation.signatures[0].checks.filter { $0.status == .failed }.map(\.message))")
        #expect(Self.check(organisation, "qualified-attributes")?.message.contains("no СНИЛС is needed") == true)

        // An organisation's certificate without its ОГРН, or a person's without СНИЛС: not qualified.
        var noOGRN = PKIProfiles.organisationSubject(organization: "ФНС России (тест)", ogrn: "1047707030513", innLE: "7707329152")
        noOGRN.removeAll { $0.0 == "OGRN" }
        let (_, lacking) = try Self.judge(try PKIProfiles.signer(subject: noOGRN, key: pki.kind, issuer: pki.fns))
        #expect(lacking.signatures[0].legal.kind == "advanced")
        #expect(Self.check(lacking, "qualified-attributes")?.message.contains("certificate of an organisation lacks the ОГРН") == true,
                "\(Self.check(lacking, "qualified-attributes")?.message ?? "")")
    }

    @Test("the dated rules of the 2019 amendments: an employee's organisation certificate from a commercial CA serves until 2023-09-01, not after; it is never a head's")
    func datedRules() throws {
        let pki = Self.pki
        let employee = try PKIProfiles.signer(
            subject: PKIProfiles.officialSubject(surname: "Петров", givenNames: "Сергей Иванович", title: "Главный специалист", inn: "780200000002", snils: "22222222222"),
            key: pki.kind, issuer: pki.commercial, notBefore: PolicyDates.parse("2022-03-01")!, notAfter: Date().addingTimeInterval(365 * 86_400))
        let (_, now) = try Self.judge(employee)
        #expect(now.signatures[0].legal.kind == "advanced")
        #expect(Self.check(now, "employee-certificates")?.status == .failed)
        #expect(Self.check(now, "employee-certificates")?.message.contains("does not serve to sign for the organisation") == true)
        let (_, before) = try Self.judge(employee, at: PolicyDates.parse("2023-06-01")!)
        #expect(Self.check(before, "employee-certificates")?.status == .passed, "\(Self.check(before, "employee-certificates")?.message ?? "")")
        #expect(Self.check(before, "head-certificates")?.status == .info)
        #expect(Self.check(before, "head-certificates")?.message.contains("its holder is not such a person") == true)
        // An official of a state body with the Treasury's certificate: lawful, no power of attorney.
        let official = try pki.head(surname: "Орлова", given: "Вера Андреевна", inn: "780600000006", snils: "66666666666", issuer: pki.treasury)
        let (_, state) = try Self.judge(official)
        #expect(Self.check(state, "employee-certificates")?.status == .passed)
        #expect(Self.check(state, "power-of-attorney")?.status == .skipped)
        #expect(state.indication == .totalPassed)
    }

    @Test("ст. 2: a timestamp is a «метка доверенного времени» only from an accredited ДТС, at its time; otherwise a plain «штамп времени», and the rule decides nothing")
    func trustedTime() throws {
        let (evidence, unlisted) = try Self.judge(try Self.pki.head(surname: "Орлова", given: "Вера Андреевна", inn: "780600000006", snils: "66666666666", issuer: Self.pki.treasury))
        // The shipped policy names the list; with it absent, the rule says so without deciding anything.
        #expect(unlisted.indication == .totalPassed, "\(unlisted.signatures[0].reason)")
        let stamp = try #require(evidence.signers[0].timestamps.first { $0.type == .signature })
        let tsa = try #require(stamp.tsaCertificate.flatMap { evidence.certificates[$0] })
        func judged(_ list: TrustList, _ language: Language = .ru) -> (Report, CheckResult?) {
            let report = PolicyEngine().judge(evidence, policy: Self.qualified.0, options: JudgementOptions(
                language: language, trustLists: Self.qualified.1.merging(["ru-dts": list]) { a, _ in a }))
            return (report, Self.check(report, "trusted-time"))
        }
        func dts(_ from: String, _ until: String?) -> TrustList {
            TrustList(name: "ru-dts", anchors: [], authorities: [AccreditedAuthority(
                name: "ДТС «Точное время»", certificates: [], keyIdentifiers: [tsa.subjectKeyIdentifier ?? "-"],
                accreditation: [AccreditationPeriod(from: PolicyDates.parse(from)!, until: until.flatMap(PolicyDates.parse), status: "Действует")])])
        }
        // An empty list: a plain timestamp, said in those words; the verdict is unchanged.
        let (plain, plainCheck) = judged(TrustList(name: "ru-dts", anchors: []))
        #expect(plain.indication == .totalPassed)
        #expect(plainCheck?.status == .info, "\(String(describing: plainCheck))")
        #expect(plainCheck?.message.contains("это штамп времени") == true, "\(plainCheck?.message ?? "")")
        #expect(plainCheck?.message.contains("МСК") == true)
        // The TSA's certificate in the list (by its own key identifier), accredited at the token's time.
        let (trusted, trustedCheck) = judged(dts("2015-01-01", nil))
        #expect(trustedCheck?.status == .passed, "\(trustedCheck?.message ?? "")")
        #expect(trustedCheck?.message.contains("меткой доверенного времени") == true)
        #expect(trustedCheck?.message.contains("ДТС «Точное время»") == true)
        #expect(trusted.indication == .totalPassed)
        // Listed, but its accreditation ended before the token: not trusted time.
        let (_, lapsedCheck) = judged(dts("2015-01-01", "2020-01-01"), .en)
        #expect(lapsedCheck?.status == .info)
        #expect(lapsedCheck?.message.contains("accreditation was not in force") == true, "\(lapsedCheck?.message ?? "")")
        // By the certificate's fingerprint in a PEM-only list as well.
        let (_, byAnchor) = judged(TrustList(name: "ru-dts", anchors: [tsa.sha256]))
        #expect(byAnchor?.status == .passed)
    }

    @Test("revoked after signing stays valid (прекращение); a reason the CA uses for annulment fails the signature whatever the date")
    func annulment() throws {
        let h = Hierarchy.rsa
        let policy = try Self.policy("""
            id: annul
            extends: default
            title: {ru: Аннулирование, en: Annulment}
            versions:
              - version: "1"
                effective: {from: 2020-01-01}
                rules:
                  - id: revocation
                    check: revocation
                    params: {require: advertised, annulmentReasons: [privilegeWithdrawn, "10"]}
                    explain: {ru: Отзыв и аннулирование., en: Revocation and annulment.}
            """)
        let (authority, _) = try h.authority()
        for (reason, kept) in [(RevocationReason.superseded, true), (RevocationReason.privilegeWithdrawn, false), (RevocationReason.aACompromise, false)] {
            let signer = try h.signer()
            let stamped = try h.timestampedSignature(signer, authority: authority)
            let revoked = [RevokedCertificate(serial: signer.certificate.serialHex, date: Date().addingTimeInterval(3600), reason: reason)]
            let crls = [try h.crl(revoking: revoked, thisUpdate: Date().addingTimeInterval(2 * 3600), nextUpdate: Date().addingTimeInterval(9 * 86_400)),
                        try h.crl(by: h.root)]
            let (_, report) = try PodpisTests.judge(stamped, document: sampleDocument, hierarchy: h, crls: crls, at: Date().addingTimeInterval(3 * 3600), policy: policy)
            let result = report.signatures[0].checks.first { $0.id == "revocation" }
            if kept {
                #expect(report.indication == .totalPassed, "\(reason): \(result?.message ?? "")")
                #expect(result?.message.contains("does not affect a signature made before it") == true, "\(result?.message ?? "")")
            } else {
                #expect(report.indication != .totalPassed, "\(reason)")
                #expect(result?.message.contains("annulled") == true, "\(reason): \(result?.message ?? "")")
            }
        }
    }

    @Test("ст. 11 п. 3: without the operator's statement the kind is qualified-unattested and says so; with it, the full conclusion with the court and ч. 1 ст. 6")
    func certifiedTools() throws {
        let pki = Self.pki
        let person = try pki.person(surname: "Кузнецова", given: "Ольга Николаевна", inn: "780500000005", snils: "55555555555")
        let (_, pending) = try Self.judge(person, language: .ru)
        #expect(pending.indication == .totalPassed)
        #expect(pending.signatures[0].legal.kind == "qualified-unattested")
        #expect(pending.signatures[0].legal.conclusion.contains("п. 1, 2 и 4, выполнены; условие п. 3"), "\(pending.signatures[0].legal.conclusion)")
        #expect(Self.check(pending, "certified-tool")?.status == .info)
        let (_, attested) = try Self.judge(person, language: .ru, attest: "КриптоПро CSP 5.0 R3, сертификат СФ/124-0000")
        #expect(attested.signatures[0].legal.kind == "qualified")
        let conclusion = attested.signatures[0].legal.conclusion
        #expect(conclusion.contains("пока решением суда не установлено иное") && conclusion.contains("исключительно на бумажном носителе"), "\(conclusion)")
        #expect(Self.check(attested, "certified-tool")?.message.contains("СФ/124-0000") == true)
        // The JSON contract names the kind exactly.
        let json = String(decoding: try JSONEncoder.podpis().encode(pending), as: UTF8.self)
        #expect(json.contains("\"kind\" : \"qualified-unattested\""))
        // A policy may not name it as a kind it asks for.
        let diagnostics = PolicyRegistry.read(text: "id: x\ntitle: {ru: x, en: x}\nlegal: {kind: qualified-unattested, valid: {ru: a, en: a}, invalid: {ru: a, en: a}, indeterminate: {ru: a, en: a}}\nversions: []\n", file: "x.yaml").1
        #expect(diagnostics.contains { $0.rendered(.en).contains("qualified-unattested") && !$0.isWarning })
    }

    @Test("what a person reads: Moscow time in every message (machine fields stay UTC), subjects with Russian attribute names, checks named in words")
    func readable() throws {
        let pki = Self.pki
        let official = try pki.head(surname: "Орлова", given: "Вера Андреевна", inn: "780600000006", snils: "66666666666", issuer: pki.treasury)
        let stamp = try #require(PolicyDates.parse("2026-03-15T21:30:00Z"))
        let (evidence, ru) = try Self.judge(official, language: .ru, stampAt: stamp)
        let messages = ru.signatures[0].checks.map(\.message) + [ru.signatures[0].reason]
        #expect(messages.contains { $0.contains("2026-03-16 00:30:00 МСК") }, "the next Moscow day: \(messages)")
        #expect(!messages.contains { $0.contains("UTC") })
        let json = String(decoding: try JSONEncoder.podpis().encode(ru), as: UTF8.self)
        #expect(json.contains("\"bestSignatureTime\" : \"2026-03-15T21:30:00Z\""), "machine fields stay UTC")
        let (_, en) = try Self.judge(official, language: .en, stampAt: stamp)
        #expect(en.signatures[0].reason.contains("2026-03-16 00:30:00 MSK"), "\(en.signatures[0].reason)")
        // The subject: ИНН ЮЛ and ОГРН by name (OpenSSL knows no name for 1.2.643.100.4), СНИЛС formatted.
        let subject = try #require(ru.signatures[0].signer?.subject)
        #expect(subject.contains("ИНН ЮЛ=7842012345") && subject.contains("ОГРН=1027809244561") && subject.contains("СНИЛС=666-666-666 66"), "\(subject)")
        #expect(!subject.contains("1.2.643.100.4") && !subject.contains("#12"), "\(subject)")
        #expect(en.signatures[0].signer?.subject.contains("INNLE=7842012345") == true)
        #expect(ru.signatures[0].signer?.issuer.contains("ИНН ЮЛ=7710568760") == true)
        // Checks carry their names in the report's language; the protocol shows the names, not the ids.
        #expect(Self.check(ru, "accredited-ca")?.name == "Аккредитация УЦ")
        #expect(Self.check(ru, "power-of-attorney")?.name == "Машиночитаемая доверенность")
        let page = try VerificationProtocol.render(report: ru, evidence: evidence).html
        #expect(page.contains(">Аккредитация УЦ<") && !page.contains(">accredited-ca<"))
        #expect(page.contains("МСК") && !page.contains(" UTC"))
    }

    @Test("operator attestations: verify --attest ID=STATEMENT and serve's attestations; shipped policies attest nothing")
    func attestations() async throws {
        let pki = Self.pki
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let person = try pki.person(surname: "Кузнецова", given: "Ольга Николаевна", inn: "780500000005", snils: "55555555555")
        let document = try folder.write("d.txt", sampleDocument)
        _ = try folder.write("d.txt.sig", try pki.sign(sampleDocument, by: person))
        let root = try folder.write("root.pem", try CertificateFiles.pem([pki.root.certificate]))
        let crls = try pki.crls().enumerated().flatMap { ["--crl", try folder.write("c\($0.offset).crl", try $0.element.pem())] }
        // The accredited list, as import-ru writes it.
        let certs = folder.file("certs")
        try TrustListStore.write(folder: (certs as NSString).appendingPathComponent("ru-accredited"), certificates: [],
                                 authorities: Self.qualified.1["ru-accredited"]!.authorities)
        let verify = ["verify", document, "--trust", root, "--policy", "ru-63fz-qualified", "--policies", Repository.policies,
                      "--certs", certs, "--json"] + crls
        let pending = try VerifyOptions(trust: [root], crls: crls.filter { $0 != "--crl" }, policy: "ru-63fz-qualified",
                                        policies: Repository.policies, certs: certs).verify(document).report
        #expect(pending.jsonText.contains("\"kind\" : \"qualified-unattested\""), "\(pending.signatures.map(\.reason))")
        let attested = try CLI.run(verify + ["--attest", "certified-crypto-tool=КриптоПро CSP 5.0 R3"])
        #expect(attested.stdout.contains("\"kind\" : \"qualified\""), "\(attested.stdout)\(attested.stderr)")
        #expect(try CLI.run(verify + ["--attest", "certified-crypto-tool="]).status == 64)
        #expect(try CLI.run(verify + ["--attest", "nonsense"]).status == 64)
        for file in try FileManager.default.contentsOfDirectory(atPath: Repository.policies) where file.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent(file), encoding: .utf8)
            #expect(!text.contains("\nattestations:") && !text.contains("    attestations:"), "\(file) attests")
        }
        // serve: the configuration states it for every verification; a bare true/false is refused.
        let configured = try folder.write("podpis.yaml", Array("attestations: {certified-crypto-tool: \"КриптоПро CSP 5.0 R3\"}\n".utf8))
        #expect(try ServiceConfiguration.load(file: configured, environment: [:]).attestations["certified-crypto-tool"] == "КриптоПро CSP 5.0 R3")
        let bare = try folder.write("bare.yaml", Array("attestations: {certified-crypto-tool: true}\n".utf8))
        #expect(throws: PodpisError.self) { _ = try ServiceConfiguration.load(file: bare, environment: [:]) }

        // Over HTTP the service's attestations reach the verdict.
        let policies = try TemporaryFolder()
        defer { policies.cleanup() }
        _ = try policies.write("attested.yaml", Array("""
            id: attested
            extends: default
            title: {ru: Заявление оператора, en: Operator statement}
            legal:
              kind: qualified
              valid: {ru: Действительна., en: Valid.}
              invalid: {ru: Недействительна., en: Not valid.}
              indeterminate: {ru: Не подтверждена., en: Not confirmed.}
            versions:
              - version: "1"
                effective: {from: 2020-01-01}
                rules:
                  - id: certified-tool
                    check: attestation
                    level: inform
                    params: {id: certified-crypto-tool}
                    explain: {ru: Сертифицированное средство., en: A certified tool.}

            """.utf8))
        for (statements, kind) in [([String: String](), "qualified-unattested"), (["certified-crypto-tool": "КриптоПро CSP 5.0 R3"], "qualified")] {
            let f = try await HTTPServiceTests.Fixture(policies: policies.path, attestations: statements)
            defer { f.folder.cleanup() }
            try await f.app.test(.router) { client in
                let (body, headers) = f.multipart([("signature", f.signature, nil), ("document", sampleDocument, "d.txt"),
                                                   ("policy", Array("attested".utf8), nil)])
                try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                    let signatures = HTTPServiceTests.object(response.body)["signatures"] as? [[String: Any]]
                    #expect((signatures?.first?["legal"] as? [String: Any])?["kind"] as? String == kind, "\(String(buffer: response.body))")
                }
            }
        }
    }

    @Test("podpis demo reaches the legal verdict: an order of an official, a letter under a МЧД signed by the head, both qualified-unattested")
    func demo() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let result = try CLI.run(["demo", folder.file("demo"), "--lang", "ru"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        guard CryptoLibrary.gostAvailable else { return }
        #expect(result.stdout.contains("Условия ст. 11 63-ФЗ, п. 1, 2 и 4, выполнены"), "\(result.stdout)")
        #expect(result.stdout.contains("✓ Кузнецова Ольга Николаевна: действительна"), "\(result.stdout)")
        for name in ["prikaz-124-report.html", "pismo-456-report.html", "mchd-017.xml", "mchd-017.xml.sig", "pki/ru-accredited-demo.xml"] {
            #expect(FileManager.default.fileExists(atPath: folder.file("demo/\(name)")), "the demo writes \(name)")
        }
        let poa = try FileInput.readSmallFile(path: folder.file("demo/mchd-017.xml"), limit: 1 << 20)
        #expect(PowerOfAttorneyReader.read(poa, name: "mchd-017.xml").powerCodes == ["02.03.01"])
        if EMCHDSchema.unavailable == nil {
            #expect(try EMCHDSchema.validate([poa]) == [[]], "the demo's МЧД is valid against the ФНС schema")
        }
    }
}
