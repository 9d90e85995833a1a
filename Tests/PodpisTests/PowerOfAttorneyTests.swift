import EvidenceModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PodpisContainer
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// Machine-readable powers of attorney (МЧД) in the real ФНС format EMCHD_1: an employee signs for an organisation
/// with a personal certificate and a power of attorney signed by the head (63-ФЗ ст. 17.2, 17.5; ГК РФ ст. 185–189).
/// Every power of attorney here is written in the schema's structure and validated against the ФНС schema.
@Suite("Power of attorney (МЧД)")
struct PowerOfAttorneyTests {
    /// The head (УЦ ФНС certificate naming the organisation), two employees with personal certificates, an outsider.
    struct People {
        let pki = LawPKI.rsa
        let head: IssuedCertificate
        let deputy: IssuedCertificate
        let clerk: IssuedCertificate
        let official: IssuedCertificate

        init() throws {
            head = try pki.head()
            deputy = try pki.person(surname: "Петров", given: "Сергей Иванович", inn: "780200000002", snils: "22222222222")
            clerk = try pki.person(surname: "Сидорова", given: "Анна Павловна", inn: "780300000003", snils: "33333333333")
            official = try pki.head(surname: "Орлова", given: "Вера Андреевна", inn: "780600000006", snils: "66666666666", issuer: pki.treasury)
        }
    }

    static let people = try! People()

    /// The power of attorney as XML and the signatures over it (the head's, unless `by` says otherwise).
    static func signed(_ draft: PowerOfAttorneyWriter.Draft, by who: IssuedCertificate, stamp: TimestampAuthority? = nil,
                       signingTime: Date? = nil) throws -> PowerOfAttorneyReader.Input {
        let xml = PowerOfAttorneyWriter.xml(draft)
        let pki = LawPKI.rsa
        var options = SignatureOptions(chain: pki.chain(for: who))
        options.signingTime = signingTime
        var signature = try Signer.sign(.bytes(xml), identity: who.identity, options: options)
        if let stamp {
            signature = try Timestamper.addSignatureTimestamps(to: signature, subject: nil, client: TimestampClient(source: LocalTimestampSource(stamp))).bytes
        }
        return PowerOfAttorneyReader.Input(name: "mchd-\(draft.internalNumber).xml", xml: xml, signatures: [signature])
    }

    /// The default policy plus the `power-of-attorney` rule (with the law's defaults) and a document type signed for
    /// the organisation (power 02.03.01).
    static func policyText(params: String = "") -> String {
        """
        id: poa-test
        extends: default
        title: {ru: Проверка МЧД, en: МЧД check}
        versions:
          - version: "1"
            effective: {from: 2020-01-01}
            rules:
              - id: power-of-attorney
                check: power-of-attorney
        \(params.isEmpty ? "" : "        params: \(params)\n")        basis: {ru: "63-ФЗ, ст. 17.2, 17.5; приказ Минцифры России № 857", en: "Federal Law 63-FZ, arts. 17.2, 17.5; Order No. 857"}
                explain: {ru: Подписант действует по МЧД., en: The signer acts under a МЧД.}
            documentTypes:
              - id: letter
                name: {ru: письмо в муниципалитет, en: letter to a municipality}
                kind: advanced
                minSignatures: 1
                powerCode: "02.03.01"

        """
    }

    static func policy(params: String = "") throws -> Policy {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        _ = try folder.write("poa-test.yaml", Array(policyText(params: params).utf8))
        let registry = PolicyRegistry.load(directory: folder.path)
        #expect(registry.errors.isEmpty, "\(registry.errors.map { $0.rendered(.en) })")
        return try #require(registry.policies["poa-test"])
    }

    static let standardPolicy = try! policy()

    /// Signs the sample document as `signer` (timestamped: its time is proven), then verifies it with the powers of
    /// attorney and registry answers given.
    func verify(as signer: IssuedCertificate, powers: [PowerOfAttorneyReader.Input], statuses: [PowerOfAttorneyReader.StatusInput] = [],
                type: String? = "letter", policy: Policy = Self.standardPolicy) throws -> (Evidence, Report) {
        let pki = Self.people.pki
        let signature = try pki.sign(sampleDocument, by: signer, stamp: try pki.authority())
        var job = VerificationInput(
            signature: signature, signatureName: "letter.sig", document: .bytes(name: "letter.txt", sampleDocument), trust: pki.trust,
            crls: try pki.crls(), policy: policy, options: JudgementOptions(documentType: type))
        job.powersOfAttorney = powers
        job.powerOfAttorneyStatuses = statuses
        return try Verifier.verify(job)
    }

    func check(_ report: Report) -> CheckResult? { report.signatures.first?.checks.first { $0.id == "power-of-attorney" } }

    @Test("every power of attorney the tests and the demo write is valid against the ФНС schema; a broken one is not",
          .enabled(if: EMCHDSchema.unavailable == nil, "\(EMCHDSchema.unavailable ?? "")"))
    func schema() throws {
        let p = Self.people
        let original = MCHD.draft(1, signer: p.head, representative: p.deputy, redelegation: .repeated, lost: true)
        let once = MCHD.draft(2, signer: p.deputy, representative: p.clerk, redelegation: .once, parent: MCHD.parent(of: original))
        let twice = MCHD.draft(3, signer: p.clerk, representative: p.deputy, parent: MCHD.parent(of: once, original: original))
        let textOnly = MCHD.draft(4, signer: p.head, representative: p.deputy, codes: [])
        let documents = [original, once, twice, textOnly].map(PowerOfAttorneyWriter.xml)
        // The real structure, not an invented one: the powers under СвПолн/МашПолн, a re-delegation under Передов.
        let broken = Array(String(decoding: documents[0], as: UTF8.self).replacingOccurrences(of: "СвПолн", with: "Полн").utf8)
        let verdicts = try EMCHDSchema.validate(documents + [broken])
        for (index, complaints) in verdicts.dropLast().enumerated() {
            #expect(complaints.isEmpty, "document \(index): \(complaints)")
        }
        #expect(!verdicts.last!.isEmpty, "a power of attorney without СвПолн must not validate")
    }

    @Test("the reader takes the real structure: power codes from СвПолн/МашПолн, ПрПередов, ПрУтрПолн, a re-delegation's parent from Передов")
    func reader() throws {
        let p = Self.people
        let original = MCHD.draft(1, signer: p.head, representative: p.deputy, redelegation: .once, codes: ["02.03.01", "2_FNS28"], lost: true)
        let read = PowerOfAttorneyReader.read(PowerOfAttorneyWriter.xml(original), name: "a.xml")
        #expect(read.parsed, "\(read.error ?? "")")
        #expect(read.kind == .original)
        #expect(read.number == MCHD.number(1))
        #expect(read.powerCodes == ["02.03.01", "2_FNS28"])
        #expect(read.powers?.first?.name == "Подписание исходящей корреспонденции (02.03.01)")
        #expect(read.powerTexts == ["Подписывать письма в муниципальные районы"])
        #expect(read.redelegation == "2")
        #expect(read.powersLostOnRedelegation == true)
        #expect(read.principalINNLE == "7842012345" && read.principalOGRN == "1027809244561")
        #expect(read.principalSigner.snils == "44444444444" && read.principalSigner.position == "Руководитель")
        #expect(read.representative.snils == "22222222222" && read.representative.inn == "780200000002")

        let child = MCHD.draft(2, signer: p.deputy, representative: p.clerk, parent: MCHD.parent(of: original))
        let readChild = PowerOfAttorneyReader.read(PowerOfAttorneyWriter.xml(child), name: "b.xml")
        #expect(readChild.kind == .redelegation)
        #expect(readChild.number == MCHD.number(2))
        #expect(readChild.parentNumber == MCHD.number(1) && readChild.originalNumber == MCHD.number(1))
        #expect(readChild.principalINNLE == "7842012345", "the original principal, from СвПервДовер")
        #expect(readChild.principalSigner.snils == "22222222222", "who passes the powers on: СвПередПолн/ФЛПерПолн")
        #expect(readChild.representative.snils == "33333333333", "who receives them: СвПолучПолн")
        let grandchild = MCHD.draft(3, signer: p.clerk, representative: p.deputy, parent: MCHD.parent(of: child, original: original))
        let readGrandchild = PowerOfAttorneyReader.read(PowerOfAttorneyWriter.xml(grandchild), name: "c.xml")
        #expect(readGrandchild.parentNumber == MCHD.number(2) && readGrandchild.originalNumber == MCHD.number(1))
    }

    @Test("an employee signs for the organisation under a МЧД signed by the head: the check passes, names the powers and the basis")
    func validPowerOfAttorney() throws {
        let p = Self.people
        let poa = try Self.signed(MCHD.draft(1, signer: p.head, representative: p.deputy), by: p.head, stamp: try p.pki.authority())
        let (evidence, report) = try verify(as: p.deputy, powers: [poa])
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "")")
        let result = try #require(check(report))
        #expect(result.status == .passed, "\(result.message)")
        #expect(result.message.contains(MCHD.number(1)) && result.message.contains("02.03.01"))
        #expect(result.message.contains("was not queried"), "\(result.message)")
        #expect(result.basis?.contains("17.2") == true && result.basis?.contains("857") == true)
        let read = try #require(evidence.powersOfAttorney?.first)
        #expect(read.signatures.count == 1)
        // Without a МЧД the employee, who acts for the organisation with a personal certificate, is refused…
        let (_, none) = try verify(as: p.deputy, powers: [])
        #expect(check(none)?.status == .failed)
        #expect(check(none)?.message.contains("must present a machine-readable power of attorney") == true, "\(check(none)?.message ?? "")")
        // …but signing in their own name (no document type signed for the organisation), they need none.
        let (_, own) = try verify(as: p.deputy, powers: [], type: nil)
        #expect(check(own)?.status == .skipped)
    }

    @Test("who needs no МЧД: an official with a Treasury certificate (ч. 3 ст. 17.2), the head with an УЦ ФНС certificate, a certificate of the organisation alone")
    func exemptions() throws {
        let p = Self.people
        let (_, official) = try verify(as: p.official, powers: [])
        #expect(check(official)?.status == .skipped)
        #expect(check(official)?.message.contains("Federal Treasury") == true, "\(check(official)?.message ?? "")")
        #expect(official.indication == .totalPassed, "\(official.signatures.first?.reason ?? "")")
        let (_, head) = try verify(as: p.head, powers: [])
        #expect(check(head)?.status == .skipped)
        #expect(check(head)?.message.contains("without one") == true, "\(check(head)?.message ?? "")")
        let seal = try PKIProfiles.signer(subject: PKIProfiles.organisationSubject(organization: "Администрация Тестовой области",
                                                                                  ogrn: "1027809244561", innLE: "7842012345"),
                                          key: p.pki.kind, issuer: p.pki.fns)
        let (_, organisation) = try verify(as: seal, powers: [])
        #expect(check(organisation)?.status == .skipped)
        #expect(check(organisation)?.message.contains("only an organisation") == true, "\(check(organisation)?.message ?? "")")
    }

    @Test("each failure of a МЧД fails the signature with its own sentence", arguments: [
        "expired", "not-yet", "other-representative", "signed-by-another", "tampered", "missing-power", "text-only", "unsigned",
        "doctype", "other-organisation", "head-other-organisation", "head-no-organisation", "head-commercial-ca",
    ])
    func failures(_ scenario: String) throws {
        let p = Self.people
        let now = Date()
        var poa: PowerOfAttorneyReader.Input
        var signer = p.deputy
        var expected: String
        var sub = SubIndication.sigConstraintsFailure
        switch scenario {
        case "expired":
            poa = try Self.signed(MCHD.draft(10, signer: p.head, representative: p.deputy, issued: now.addingTimeInterval(-300 * 86_400),
                                             until: now.addingTimeInterval(-2 * 86_400)), by: p.head)
            expected = "expired after"
        case "not-yet":
            poa = try Self.signed(MCHD.draft(11, signer: p.head, representative: p.deputy, issued: now.addingTimeInterval(3 * 86_400)), by: p.head)
            expected = "after the signing time"
        case "other-representative":
            poa = try Self.signed(MCHD.draft(12, signer: p.head, representative: p.deputy), by: p.head)
            signer = p.clerk
            expected = "no power of attorney names the signer"
        case "signed-by-another":
            poa = try Self.signed(MCHD.draft(13, signer: p.head, representative: p.deputy), by: p.clerk)
            expected = "not by the person acting for the principal"
        case "tampered":
            poa = try Self.signed(MCHD.draft(14, signer: p.head, representative: p.deputy), by: p.head)
            poa.xml = PowerOfAttorneyWriter.xml(MCHD.draft(14, signer: p.head, representative: p.deputy, codes: ["02.03.01", "99.99.99"]))
            expected = "is not valid"
            sub = .hashFailure
        case "missing-power":
            poa = try Self.signed(MCHD.draft(15, signer: p.head, representative: p.deputy, codes: ["01.01.01"]), by: p.head)
            expected = "does not grant the power 02.03.01"
        case "text-only":
            poa = try Self.signed(MCHD.draft(16, signer: p.head, representative: p.deputy, codes: []), by: p.head)
            expected = "only in words"
        case "unsigned":
            poa = PowerOfAttorneyReader.Input(name: "poa.xml", xml: PowerOfAttorneyWriter.xml(MCHD.draft(17, signer: p.head, representative: p.deputy)), signatures: [])
            expected = "without the principal's signature"
        case "doctype":  // a DOCTYPE (entity expansion) is refused before parsing
            var xml = PowerOfAttorneyWriter.xml(MCHD.draft(18, signer: p.head, representative: p.deputy))
            let declaration = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>".utf8)
            xml.replaceSubrange(0..<declaration.count, with: declaration + Array("<!DOCTYPE x [<!ENTITY a \"aaaa\">]>".utf8))
            poa = PowerOfAttorneyReader.Input(name: "poa.xml", xml: xml, signatures: [try p.pki.sign(xml, by: p.head)])
            expected = "cannot be read"
            sub = .formatFailure
        case "other-organisation":
            // The signer's certificate names another organisation than the principal.
            signer = try PKIProfiles.signer(subject: PKIProfiles.officialSubject(surname: "Петров", givenNames: "Сергей Иванович",
                                                                                  organization: "ООО «Другое»", inn: "780200000002",
                                                                                  snils: "22222222222", ogrn: "1157800000099", innLE: "7811000099"),
                                            key: p.pki.kind, issuer: p.pki.commercial)
            poa = try Self.signed(MCHD.draft(19, signer: p.head, representative: p.deputy), by: p.head)
            expected = "issued to one organisation (ИНН ЮЛ 7811000099)"
        case "head-other-organisation":
            let otherHead = try p.pki.head(innLE: "7811000099")
            poa = try Self.signed(MCHD.draft(20, signer: otherHead, representative: p.deputy), by: otherHead)
            expected = "signed with a certificate of the organisation with ИНН ЮЛ 7811000099"
        case "head-no-organisation":
            let headPersonally = try p.pki.person(surname: "Смирнов", given: "Алексей Викторович", inn: "780400000004", snils: "44444444444")
            poa = try Self.signed(MCHD.draft(21, signer: p.head, representative: p.deputy), by: headPersonally)
            expected = "a certificate that names no organisation"
        default:  // since 2022-01-01 a head's certificate comes only from УЦ ФНС (state bodies: Treasury)
            let commercialHead = try p.pki.head(issuer: p.pki.commercial, notBefore: now.addingTimeInterval(-100 * 86_400))
            poa = try Self.signed(MCHD.draft(22, signer: commercialHead, representative: p.deputy), by: commercialHead)
            expected = "by a CA other than the FNS CA"
        }
        let (_, report) = try verify(as: signer, powers: [poa])
        let result = try #require(check(report))
        #expect(result.status == .failed, "\(scenario): \(result.message)")
        #expect(result.message.contains(expected), "\(scenario): \(result.message)")
        #expect(result.subIndication == sub, "\(scenario)")
        #expect(report.indication != .totalPassed)
    }

    @Test("the head's signature on the МЧД is judged at the МЧД's issue: by its timestamp, else by ДатаВыдДовер with the time stated as claimed")
    func judgedAtIssue() throws {
        let p = Self.people
        let now = Date()
        let issued = now.addingTimeInterval(-60 * 86_400)
        // The head's 15-month certificate has since expired; the МЧД stays in force for the year it was given for.
        let formerHead = try p.pki.head(notBefore: now.addingTimeInterval(-400 * 86_400), notAfter: now.addingTimeInterval(-5 * 86_400))
        let draft = MCHD.draft(30, signer: formerHead, representative: p.deputy, issued: issued)
        let stamped = try Self.signed(draft, by: formerHead, stamp: try p.pki.authority(clock: { issued.addingTimeInterval(3600) }),
                                      signingTime: issued.addingTimeInterval(3000))
        let (_, proven) = try verify(as: p.deputy, powers: [stamped])
        #expect(check(proven)?.status == .passed, "\(check(proven)?.message ?? "")")
        #expect(check(proven)?.message.contains("claimed") == false, "\(check(proven)?.message ?? "")")
        let claimed = try Self.signed(draft, by: formerHead, signingTime: issued.addingTimeInterval(3000))
        let (_, byDate) = try verify(as: p.deputy, powers: [claimed])
        #expect(check(byDate)?.status == .passed, "\(check(byDate)?.message ?? "")")
        #expect(check(byDate)?.message.contains("by the issue date the power of attorney states (a claimed time") == true, "\(check(byDate)?.message ?? "")")
        // A head whose certificate began after the issue date could not have signed it then.
        let laterHead = try p.pki.head(notBefore: now.addingTimeInterval(-10 * 86_400))
        let early = try Self.signed(MCHD.draft(31, signer: laterHead, representative: p.deputy, issued: issued), by: laterHead)
        let (_, refused) = try verify(as: p.deputy, powers: [early])
        #expect(check(refused)?.status == .failed)
        #expect(check(refused)?.message.contains("the signature on power of attorney \(MCHD.number(31)) is not valid") == true, "\(check(refused)?.message ?? "")")
    }

    @Test("re-delegation (Передов): allowed by the parent, no longer than it, powers it grants, by its representative; each breach its own sentence")
    func reDelegation() throws {
        let p = Self.people
        let now = Date()
        let stamp = try p.pki.authority()
        let parentDraft = MCHD.draft(40, signer: p.head, representative: p.deputy, redelegation: .repeated, codes: ["02.03.01", "02.03.02"])
        let parent = try Self.signed(parentDraft, by: p.head, stamp: stamp)
        let childDraft = MCHD.draft(41, signer: p.deputy, representative: p.clerk, issued: now.addingTimeInterval(-10 * 86_400),
                                    until: now.addingTimeInterval(100 * 86_400), parent: MCHD.parent(of: parentDraft))
        let child = try Self.signed(childDraft, by: p.deputy, stamp: stamp)
        let (_, chain) = try verify(as: p.clerk, powers: [child, parent])
        #expect(check(chain)?.status == .passed, "\(check(chain)?.message ?? "")")
        #expect(check(chain)?.message.contains("\(MCHD.number(41)) ← \(MCHD.number(40))") == true)
        #expect(chain.indication == .totalPassed)

        func refused(_ powers: [PowerOfAttorneyReader.Input], _ expected: String, as signer: IssuedCertificate? = nil) throws {
            let (_, report) = try verify(as: signer ?? p.clerk, powers: powers)
            #expect(check(report)?.status == .failed, "\(expected): \(check(report)?.message ?? "")")
            #expect(check(report)?.message.contains(expected) == true, "\(check(report)?.message ?? "")")
        }
        try refused([child], "\(MCHD.number(40)), which was not given")
        // The parent forbids re-delegation.
        let closedDraft = MCHD.draft(42, signer: p.head, representative: p.deputy, redelegation: .forbidden)
        let closed = try Self.signed(closedDraft, by: p.head, stamp: stamp)
        try refused([try Self.signed(MCHD.draft(43, signer: p.deputy, representative: p.clerk, until: now.addingTimeInterval(100 * 86_400),
                                                parent: MCHD.parent(of: closedDraft)), by: p.deputy, stamp: stamp), closed],
                    "forbids re-delegation")
        // Longer than the parent (ГК РФ ст. 187).
        try refused([try Self.signed(MCHD.draft(44, signer: p.deputy, representative: p.clerk, until: now.addingTimeInterval(900 * 86_400),
                                                parent: MCHD.parent(of: parentDraft)), by: p.deputy, stamp: stamp), parent],
                    "outlasts \(MCHD.number(40))")
        // A power the parent does not grant.
        try refused([try Self.signed(MCHD.draft(45, signer: p.deputy, representative: p.clerk, until: now.addingTimeInterval(100 * 86_400),
                                                codes: ["02.03.01", "09.09.09"], parent: MCHD.parent(of: parentDraft)), by: p.deputy, stamp: stamp), parent],
                    "passes on the power 09.09.09")
        // Someone the parent does not empower passes the powers on.
        try refused([try Self.signed(MCHD.draft(46, signer: p.head, representative: p.clerk, until: now.addingTimeInterval(100 * 86_400),
                                                parent: MCHD.parent(of: parentDraft)), by: p.head, stamp: stamp), parent],
                    "re-delegated by someone")
        // A once-only power of attorney re-delegated twice.
        let onceDraft = MCHD.draft(47, signer: p.head, representative: p.deputy, redelegation: .once)
        let firstDraft = MCHD.draft(48, signer: p.deputy, representative: p.clerk, until: now.addingTimeInterval(200 * 86_400),
                                    redelegation: .repeated, parent: MCHD.parent(of: onceDraft))
        let secondDraft = MCHD.draft(49, signer: p.clerk, representative: p.deputy, until: now.addingTimeInterval(100 * 86_400),
                                     parent: MCHD.parent(of: firstDraft, original: onceDraft))
        try refused([try Self.signed(secondDraft, by: p.clerk, stamp: stamp), try Self.signed(firstDraft, by: p.deputy, stamp: stamp),
                     try Self.signed(onceDraft, by: p.head, stamp: stamp)],
                    "allows a single re-delegation", as: p.deputy)
        // ПрУтрПолн="1": having passed the powers on, the deputy no longer holds them.
        let losingDraft = MCHD.draft(50, signer: p.head, representative: p.deputy, redelegation: .once, lost: true)
        let losing = try Self.signed(losingDraft, by: p.head, stamp: stamp)
        let passed = try Self.signed(MCHD.draft(51, signer: p.deputy, representative: p.clerk, issued: now.addingTimeInterval(-5 * 86_400),
                                                until: now.addingTimeInterval(100 * 86_400), parent: MCHD.parent(of: losingDraft)), by: p.deputy, stamp: stamp)
        try refused([losing, passed], "the powers are lost on re-delegation", as: p.deputy)
        let (_, kept) = try verify(as: p.clerk, powers: [passed, losing])
        #expect(check(kept)?.status == .passed, "the new representative holds them: \(check(kept)?.message ?? "")")
    }

    @Test("the ФНС registry's answer, when supplied (--poa-status): revoked before signing fails, after passes; a policy can require it")
    func registry() throws {
        let p = Self.people
        let poa = try Self.signed(MCHD.draft(60, signer: p.head, representative: p.deputy), by: p.head, stamp: try p.pki.authority())
        func answer(_ json: String) -> PowerOfAttorneyReader.StatusInput {
            PowerOfAttorneyReader.StatusInput(name: "status.json", bytes: Array(json.utf8))
        }
        let number = MCHD.number(60)
        let past = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-3 * 86_400))
        let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(600))
        let (_, revoked) = try verify(as: p.deputy, powers: [poa], statuses: [answer(#"{"number": "\#(number)", "status": "Отозвана", "revokedAt": "\#(past)", "checkedAt": "\#(later)"}"#)])
        #expect(check(revoked)?.status == .failed)
        #expect(check(revoked)?.message.contains("was revoked on") == true, "\(check(revoked)?.message ?? "")")
        let (_, active) = try verify(as: p.deputy, powers: [poa], statuses: [answer(#"{"number": "\#(number)", "status": "Действует", "checkedAt": "\#(later)"}"#)])
        #expect(check(active)?.status == .passed)
        #expect(check(active)?.message.contains("was not revoked") == true, "\(check(active)?.message ?? "")")
        // An XML answer works the same way.
        let xml = PowerOfAttorneyReader.StatusInput(name: "status.xml", bytes: Array("<Ответ><НомДовер>\(number)</НомДовер><Статус>Действует</Статус><ДатаПроверки>\(later)</ДатаПроверки></Ответ>".utf8))
        let (_, fromXML) = try verify(as: p.deputy, powers: [poa], statuses: [xml])
        #expect(check(fromXML)?.message.contains("was not revoked") == true, "\(check(fromXML)?.message ?? "")")

        let strict = try Self.policy(params: "{requireRegistryStatus: true}")
        let (_, missing) = try verify(as: p.deputy, powers: [poa], policy: strict)
        #expect(check(missing)?.status == .failed)
        #expect(check(missing)?.subIndication == .tryLater)
        #expect(missing.indication == .indeterminate)
        // An answer about another power of attorney is an input error, not evidence.
        #expect(throws: PodpisError.self) {
            _ = try verify(as: p.deputy, powers: [poa], statuses: [answer(#"{"number": "\#(MCHD.number(99))", "status": "Действует"}"#)])
        }
    }

    @Test("a policy that requires a МЧД fails a signer without one; a re-delegation loop is refused")
    func requiredAndCycle() throws {
        let p = Self.people
        let required = try Self.policy(params: "{required: true}")
        let (_, report) = try verify(as: p.deputy, powers: [], type: nil, policy: required)
        #expect(check(report)?.status == .failed)
        #expect(report.subIndication == .sigConstraintsFailure)
        // A names B as its parent and B names A.
        func reference(_ tag: Int) -> PowerOfAttorneyWriter.Parent {
            PowerOfAttorneyWriter.Parent(originalNumber: MCHD.number(tag), originalIssued: MCHD.day(Date().addingTimeInterval(-40 * 86_400)),
                                         originalUntil: MCHD.day(Date().addingTimeInterval(400 * 86_400)))
        }
        let a = MCHD.draft(70, signer: p.clerk, representative: p.deputy, redelegation: .repeated, parent: reference(71))
        let b = MCHD.draft(71, signer: p.deputy, representative: p.clerk, redelegation: .repeated, parent: reference(70))
        let (_, loop) = try verify(as: p.deputy, powers: [try Self.signed(a, by: p.clerk), try Self.signed(b, by: p.deputy)])
        #expect(check(loop)?.status == .failed)
        #expect(check(loop)?.message.contains("loops") == true, "\(check(loop)?.message ?? "")")
    }

    /// The `power-of-attorney` check of the first signature in a JSON report.
    static func poaCheck(_ body: ByteBuffer) -> [String: Any]? {
        let signatures = HTTPServiceTests.object(body)["signatures"] as? [[String: Any]]
        return (signatures?.first?["checks"] as? [[String: Any]])?.first { $0["id"] as? String == "power-of-attorney" }
    }

    @Test("HTTP: «poa» and «poa-signature» parts, or JSON «powersOfAttorney», reach the check; a stray signature part or nine МЧД are 400, one over 4 MiB is 413")
    func http() async throws {
        let p = Self.people
        let policies = try TemporaryFolder()
        defer { policies.cleanup() }
        _ = try policies.write("poa-test.yaml", Array(Self.policyText().utf8))
        let f = try await HTTPServiceTests.Fixture(policies: policies.path, trust: [p.pki.root.certificate])
        defer { f.folder.cleanup() }
        let signature = try p.pki.sign(sampleDocument, by: p.deputy)
        let issuedToDeputy = try Self.signed(MCHD.draft(90, signer: p.head, representative: p.deputy), by: p.head)
        let issuedToClerk = try Self.signed(MCHD.draft(91, signer: p.head, representative: p.clerk), by: p.head)
        try await f.app.test(.router) { client in
            for (power, expected) in [(issuedToDeputy, "passed"), (issuedToClerk, "failed")] {
                let (body, headers) = f.multipart([
                    ("signature", signature, nil), ("document", sampleDocument, "letter.txt"),
                    ("poa", power.xml, "dover.xml"), ("poa-signature", power.signatures[0], "dover.xml.sig"),
                    ("policy", Array("poa-test".utf8), nil), ("type", Array("letter".utf8), nil), ("lang", Array("en".utf8), nil),
                ])
                try await client.execute(uri: "/v1/verify", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .ok, "\(String(buffer: response.body))")
                    let check = Self.poaCheck(response.body)
                    #expect(check?["status"] as? String == expected, "\(String(buffer: response.body))")
                    #expect((check?["basis"] as? String)?.contains("17.2") == true)
                }
            }
            // JSON: each entry carries its XML and the principal's signature.
            let json: [String: Any] = [
                "signature": Data(signature).base64EncodedString(), "document": Data(sampleDocument).base64EncodedString(),
                "policy": "poa-test", "type": "letter",
                "powersOfAttorney": [["xml": Data(issuedToDeputy.xml).base64EncodedString(),
                                      "signature": Data(issuedToDeputy.signatures[0]).base64EncodedString()]],
            ]
            let jsonBody = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            try await client.execute(uri: "/v1/verify", method: .post, headers: [.contentType: "application/json"], body: jsonBody) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                #expect(Self.poaCheck(response.body)?["status"] as? String == "passed", "\(String(buffer: response.body))")
            }
            // A signature part with no power of attorney to go with it: refused before any work, as a problem.
            let (stray, strayHeaders) = f.multipart([("signature", signature, nil), ("poa-signature", issuedToDeputy.signatures[0], nil)])
            try await client.execute(uri: "/v1/verify", method: .post, headers: strayHeaders, body: stray) { response in
                #expect(response.status == .badRequest)
                #expect(HTTPServiceTests.object(response.body)["type"] as? String == "urn:podpis:problem:poa-signature-without-poa")
            }
            // More powers of attorney than any chain needs: 400, in multipart and in JSON.
            let nine = (0..<9).map { _ in ("poa", issuedToDeputy.xml, Optional("d.xml")) }
            let (many, manyHeaders) = f.multipart([("signature", signature, nil)] + nine)
            try await client.execute(uri: "/v1/verify", method: .post, headers: manyHeaders, body: many) { response in
                #expect(response.status == .badRequest)
                #expect(HTTPServiceTests.object(response.body)["type"] as? String == "urn:podpis:problem:too-many-poa")
            }
            let manyJSON = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: [
                "signature": Data(signature).base64EncodedString(),
                "powersOfAttorney": (0..<9).map { _ in ["xml": Data(issuedToDeputy.xml).base64EncodedString()] },
            ] as [String: Any]))
            try await client.execute(uri: "/v1/verify", method: .post, headers: [.contentType: "application/json"], body: manyJSON) { response in
                #expect(response.status == .badRequest)
                #expect(HTTPServiceTests.object(response.body)["type"] as? String == "urn:podpis:problem:too-many-poa")
            }
            // A power of attorney over 4 MiB: 413, in multipart (while it streams) and in JSON.
            let huge = [UInt8](repeating: 0x20, count: (4 << 20) + 1)
            let (big, bigHeaders) = f.multipart([("signature", signature, nil), ("poa", huge, "huge.xml")])
            try await client.execute(uri: "/v1/verify", method: .post, headers: bigHeaders, body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(HTTPServiceTests.object(response.body)["type"] as? String == "urn:podpis:problem:too-large")
            }
            let bigJSON = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: [
                "signature": Data(signature).base64EncodedString(), "powersOfAttorney": [["xml": Data(huge).base64EncodedString()]],
            ] as [String: Any]))
            try await client.execute(uri: "/v1/verify", method: .post, headers: [.contentType: "application/json"], body: bigJSON) { response in
                #expect(response.status == .contentTooLarge)
                #expect((HTTPServiceTests.object(response.body)["detail"] as? String)?.contains("powersOfAttorney[0].xml") == true)
            }
            // Bad Base64 in JSON: 400 naming the field.
            let badJSON = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: [
                "signature": Data(signature).base64EncodedString(), "powersOfAttorney": [["xml": "%%%"]],
            ] as [String: Any]))
            try await client.execute(uri: "/v1/verify", method: .post, headers: [.contentType: "application/json"], body: badJSON) { response in
                #expect(response.status == .badRequest)
                #expect((HTTPServiceTests.object(response.body)["detail"] as? String)?.contains("powersOfAttorney[0].xml") == true)
            }
        }
    }

    @Test("CLI: verify --poa --poa-sig --poa-status --type in Russian with the article; inspect lists the power codes of a МЧД in the real structure")
    func commandLine() throws {
        let p = Self.people
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let root = try folder.write("root.pem", try CertificateFiles.pem([p.pki.root.certificate]))
        let crls = try p.pki.crls().enumerated().map { try folder.write("ca\($0.offset).crl", try $0.element.pem()) }
        let policy = try folder.write("poa-test.yaml", Array(Self.policyText().utf8))
        let poa = try Self.signed(MCHD.draft(77, signer: p.head, representative: p.deputy, codes: ["02.03.01", "2_FNS28"]), by: p.head)
        let xml = try folder.write("dover.xml", poa.xml)
        _ = try folder.write("dover.xml.sig", poa.signatures[0])
        let document = try folder.write("letter.txt", sampleDocument)
        let options = SignatureOptions(chain: [p.pki.commercial.certificate, p.pki.fns.certificate])
        _ = try folder.write("letter.txt.sig", try Signer.sign(.file(document), identity: p.deputy.identity, options: options))
        let verify = ["verify", document, "--trust", root, "--policy", policy, "--type", "letter", "--lang", "ru"]
            + crls.flatMap { ["--crl", $0] }
        // The verdict and its texts, asked of the service; the options as the CLI reads them, below.
        var inProcess = VerifyOptions(trust: [root], crls: crls, policy: policy, type: "letter", language: .ru, powersOfAttorney: [xml])
        let judged = try inProcess.verify(document).report
        #expect(judged.indication == .totalPassed, "\(judged.signatures.map(\.reason))")
        let json = judged.jsonText
        #expect(json.contains(MCHD.number(77)) && json.contains("17.2"), "\(json)")
        #expect(json.contains("доверенности") && json.contains("реестр доверенностей ФНС не запрашивался"), "\(json)")
        // A registry answer saying it was revoked yesterday.
        let status = try folder.write("status.json", Array(#"{"number": "\#(MCHD.number(77))", "status": "Отозвана", "revokedAt": "\#(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-86_400)))"}"#.utf8))
        inProcess.powerOfAttorneyStatuses = [status]
        let revokedReport = try inProcess.verify(document).report
        #expect(revokedReport.indication != .totalPassed)
        #expect(revokedReport.jsonText.contains("отменена"), "\(revokedReport.jsonText)")

        // The CLI: --poa with its signature found beside it; --poa-sig and --poa-status read from files; a missing file.
        let result = try CLI.run(verify + ["--poa", xml])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let revoked = try CLI.run(verify + ["--poa", xml, "--poa-sig", xml + ".sig", "--poa-status", status, "--json"])
        #expect(revoked.status != 0, "\(revoked.stdout)")
        #expect(revoked.stdout.contains("отменена") && revoked.stdout.contains(MCHD.number(77)), "\(revoked.stdout)")
        let missing = try CLI.run(verify + ["--poa", folder.file("none.xml")])
        #expect(missing.status == 66, "\(missing.stderr)")

        // inspect shows what the МЧД says (nothing verified): number, dates, both parties, the powers with codes.
        let shown = try CLI.run(["inspect", xml, "--lang", "ru"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("доверенность \(MCHD.number(77))") && shown.stdout.contains("представитель: Петров")
                && shown.stdout.contains("СНИЛС 222-222-222 22") && shown.stdout.contains("полномочия (коды): 02.03.01, 2_FNS28")
                && shown.stdout.contains("передоверие: запрещено"), "\(shown.stdout)")
        let shownJSON = try CLI.run(["inspect", xml, "--json"])
        let decoded = try JSONSerialization.jsonObject(with: Data(shownJSON.stdout.utf8)) as? [String: Any]
        #expect(decoded?["number"] as? String == MCHD.number(77))
        #expect(decoded?["powerCodes"] as? [String] == ["02.03.01", "2_FNS28"])
        #expect(shown.stdout.contains("действует с \(MCHD.day(Date().addingTimeInterval(-30 * 86_400)))"), "the issue day as written in the XML: \(shown.stdout)")
        #expect((decoded?["representative"] as? [String: Any])?["inn"] as? String == "780200000002")
        let notPower = try folder.write("not-a-power.xml", Array("<?xml version=\"1.0\"?><EMCHD/>".utf8))
        let refusedInspect = try CLI.run(["inspect", notPower])
        #expect(refusedInspect.status == 65, "\(refusedInspect.stdout) \(refusedInspect.stderr)")
        #expect(refusedInspect.stderr.split(separator: "\n").count == 1)

        // The same document in an ASiC-E container: the МЧД is judged for the container's signer too.
        let container = folder.file("letter.asice")
        try ContainerWriter.writeASiCE(files: [ContainerWriter.Input(path: document)],
                                       digest: try Signer.digest(for: p.deputy.identity, options: options), to: container, force: false) {
            try Signer.sign(.bytes($0), identity: p.deputy.identity, options: options)
        }
        var inContainer = VerifyOptions(trust: [root], crls: crls, policy: policy, type: "letter", powersOfAttorney: [xml])
        let good = try inContainer.verify(container).report
        #expect(good.indication == .totalPassed, "\(good.signatures.map(\.reason))")
        let other = try Self.signed(MCHD.draft(78, signer: p.head, representative: p.clerk), by: p.head)
        let otherXML = try folder.write("other.xml", other.xml)
        _ = try folder.write("other.xml.sig", other.signatures[0])
        inContainer.powersOfAttorney = [otherXML]
        let refused = try inContainer.verify(container).report
        #expect(refused.indication != .totalPassed)
        #expect(refused.jsonText.contains("no power of attorney names the signer"), "\(refused.jsonText)")
    }
}
