import EvidenceModel
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// Machine-readable powers of attorney (МЧД, EMCHD_1): a representative signs for an organisation (63-ФЗ ст. 17.3).
@Suite("Power of attorney (МЧД)")
struct PowerOfAttorneyTests {
    /// The organisation's head (acts without a power of attorney), a representative, and the representative's
    /// own representative (a re-delegation), each with a certificate naming their СНИЛС and ИНН.
    struct People {
        let h = Hierarchy.rsa
        let head: IssuedCertificate
        let deputy: IssuedCertificate
        let clerk: IssuedCertificate

        init() throws {
            func person(_ surname: String, _ given: String, inn: String, snils: String) throws -> IssuedCertificate {
                try PKIProfiles.signer(subject: PKIProfiles.officialSubject(surname: surname, givenNames: given, inn: inn, snils: snils),
                                       key: .rsa(bits: 2048), issuer: Hierarchy.rsa.ca)
            }
            head = try person("Дрозденко", "Александр Юрьевич", inn: "780100000001", snils: "11111111111")
            deputy = try person("Петров", "Сергей Иванович", inn: "780200000002", snils: "22222222222")
            clerk = try person("Сидорова", "Анна Павловна", inn: "780300000003", snils: "33333333333")
        }
    }

    static let people = try! People()

    /// An EMCHD_1 power of attorney from `principal` to `representative`.
    static func xml(
        number: String, parent: String? = nil, issued: Date = Date().addingTimeInterval(-30 * 86_400),
        until: Date = Date().addingTimeInterval(335 * 86_400), principal: IssuedCertificate, representative: IssuedCertificate,
        codes: [String] = ["02.03.01"]
    ) -> [UInt8] {
        func day(_ date: Date) -> String { String(date.formatted(Date.ISO8601FormatStyle()).prefix(10)) }
        func person(_ tag: String, _ who: IssuedCertificate) -> String {
            let info = who.certificate.info()
            let snils = info.attribute(OID.snils) ?? ""
            let formatted = "\(snils.prefix(3))-\(snils.dropFirst(3).prefix(3))-\(snils.dropFirst(6).prefix(3)) \(snils.suffix(2))"
            let surname = info.attribute("2.5.4.4") ?? ""
            return "<\(tag) СНИЛС=\"\(formatted)\" ИННФЛ=\"\(info.attribute(OID.inn) ?? "")\"><ФИО Фамилия=\"\(surname)\" Имя=\"—\"/></\(tag)>"
        }
        let powers = codes.map { "<МашПолн КодПолн=\"\($0)\" НаимПолн=\"Подписание исходящей корреспонденции\"/>" }.joined()
        return Array("""
            <?xml version="1.0" encoding="UTF-8"?>
            <Доверенность xmlns="urn://x-artefacts/EMCHD_1" ВерсФорм="EMCHD_1">
              <Документ ВидДовер="\(parent == nil ? 1 : 2)">
                <СвДов НомДовер="\(number)" ДатаВыдДовер="\(day(issued))" СрокДейст="\(day(until))"\(parent.map { " НомДоверПерв=\"\($0)\"" } ?? "")/>
                <Доверит>
                  <РосОргДовер>
                    <СвРосОрг НаимОрг="Администрация Ленинградской области" ИННЮЛ="7842012345" ОГРН="1027809244561"/>
                    <ЛицоБезДов>\(person("СвФЛ", principal))</ЛицоБезДов>
                  </РосОргДовер>
                </Доверит>
                <Пред><СвПред ТипПред="1">\(person("СведФизЛ", representative))</СвПред></Пред>
                <Полн ТипПолн="0">\(powers)<ТекстПолн>Подписывать письма в муниципальные районы</ТекстПолн></Полн>
              </Документ>
            </Доверенность>
            """.utf8)
    }

    static func signed(_ xml: [UInt8], by who: IssuedCertificate) throws -> PowerOfAttorneyReader.Input {
        let signature = try Signer.sign(.bytes(xml), identity: who.identity, options: SignatureOptions(chain: [Hierarchy.rsa.ca.certificate]))
        return PowerOfAttorneyReader.Input(name: "poa.xml", xml: xml, signatures: [signature])
    }

    /// The default policy plus the `power-of-attorney` rule and a document type needing power 02.03.01.
    static let policyText = """
        id: poa-test
        extends: default
        title: {ru: Проверка МЧД, en: МЧД check}
        versions:
          - version: "1"
            effective: {from: 2020-01-01}
            rules:
              - id: power-of-attorney
                check: power-of-attorney
                basis: {ru: "63-ФЗ, ст. 17.3", en: "Federal Law 63-FZ, art. 17.3"}
                explain: {ru: Подписант действует по МЧД., en: The signer acts under a МЧД.}
            documentTypes:
              - id: letter
                name: {ru: письмо в муниципалитет, en: letter to a municipality}
                kind: advanced
                minSignatures: 1
                powerCode: "02.03.01"

        """

    static let policy: Policy = {
        let folder = try! TemporaryFolder()
        defer { folder.cleanup() }
        _ = try! folder.write("poa-test.yaml", Array(policyText.utf8))
        let registry = PolicyRegistry.load(directory: folder.path)
        return registry.policies["poa-test"]!
    }()

    /// Signs the sample document as `signer`, then verifies it with the powers of attorney given.
    func verify(as signer: IssuedCertificate, powers: [PowerOfAttorneyReader.Input], type: String? = "letter") throws -> (Evidence, Report) {
        let h = Hierarchy.rsa
        let signature = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        var job = VerificationJob(
            signature: signature, signatureName: "letter.sig", document: .bytes(name: "letter.txt", sampleDocument), trust: h.trust,
            crls: [try h.crl(), try h.crl(by: h.root)], policy: Self.policy, options: JudgementOptions(documentType: type))
        job.powersOfAttorney = powers
        return try job.run()
    }

    func check(_ report: Report) -> CheckResult? { report.signatures.first?.checks.first { $0.id == "power-of-attorney" } }

    @Test("a deputy signs for the organisation under a МЧД signed by the head: the check passes and names the basis")
    func validPowerOfAttorney() throws {
        let p = Self.people
        let poa = try Self.signed(Self.xml(number: "MCHD-1", principal: p.head, representative: p.deputy), by: p.head)
        let (evidence, report) = try verify(as: p.deputy, powers: [poa])
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "")")
        let result = try #require(check(report))
        #expect(result.status == .passed, "\(result.message)")
        #expect(result.message.contains("MCHD-1") && result.message.contains("02.03.01"))
        #expect(result.basis?.contains("17.3") == true)
        let read = try #require(evidence.powersOfAttorney?.first)
        #expect(read.representative.snils == "22222222222")
        #expect(read.principalSigner.inn == "780100000001")
        #expect(read.principalINNLE == "7842012345")
        #expect(read.powerTexts == ["Подписывать письма в муниципальные районы"])
        #expect(read.signatures.count == 1)
        // Without a МЧД the rule does not apply: the signer acts in their own name.
        let (_, plain) = try verify(as: p.deputy, powers: [])
        #expect(check(plain)?.status == .skipped)
    }

    @Test("each failure of a МЧД fails the signature with its own reason", arguments: [
        "expired", "not-yet", "other-representative", "signed-by-another", "tampered", "missing-power", "unsigned", "doctype",
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
            poa = try Self.signed(Self.xml(number: "E", issued: now.addingTimeInterval(-400 * 86_400), until: now.addingTimeInterval(-2 * 86_400),
                                           principal: p.head, representative: p.deputy), by: p.head)
            expected = "expired"
        case "not-yet":
            poa = try Self.signed(Self.xml(number: "N", issued: now.addingTimeInterval(3 * 86_400), principal: p.head, representative: p.deputy), by: p.head)
            expected = "takes effect"
        case "other-representative":
            poa = try Self.signed(Self.xml(number: "R", principal: p.head, representative: p.deputy), by: p.head)
            signer = p.clerk
            expected = "no power of attorney names the signer"
        case "signed-by-another":
            poa = try Self.signed(Self.xml(number: "S", principal: p.head, representative: p.deputy), by: p.deputy)
            expected = "not by the person acting for the principal"
        case "tampered":
            poa = try Self.signed(Self.xml(number: "T", principal: p.head, representative: p.deputy), by: p.head)
            poa.xml = Self.xml(number: "T", principal: p.head, representative: p.deputy, codes: ["02.03.01", "99.99.99"])
            expected = "is not valid"
            sub = .hashFailure
        case "missing-power":
            poa = try Self.signed(Self.xml(number: "P", principal: p.head, representative: p.deputy, codes: ["01.01.01"]), by: p.head)
            expected = "does not grant the power 02.03.01"
        case "unsigned":
            poa = PowerOfAttorneyReader.Input(name: "poa.xml", xml: Self.xml(number: "U", principal: p.head, representative: p.deputy), signatures: [])
            expected = "without the principal's signature"
        default:  // a DOCTYPE (entity expansion) is refused before parsing
            var xml = Self.xml(number: "D", principal: p.head, representative: p.deputy)
            let declaration = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>".utf8)
            xml.replaceSubrange(0..<declaration.count, with: declaration + Array("<!DOCTYPE x [<!ENTITY a \"aaaa\">]>".utf8))
            poa = try Self.signed(xml, by: p.head)
            expected = "cannot be read"
            sub = .formatFailure
        }
        let (_, report) = try verify(as: signer, powers: [poa])
        let result = try #require(check(report))
        #expect(result.status == .failed)
        #expect(result.message.contains(expected), "\(scenario): \(result.message)")
        #expect(result.subIndication == sub, "\(scenario)")
        #expect(report.indication != .totalPassed)
    }

    @Test("re-delegation: the deputy re-delegates to a clerk; the chain passes with the parent, fails without it or when the wrong person re-delegates")
    func reDelegation() throws {
        let p = Self.people
        let parent = try Self.signed(Self.xml(number: "MCHD-1", principal: p.head, representative: p.deputy), by: p.head)
        let child = try Self.signed(Self.xml(number: "MCHD-2", parent: "MCHD-1", principal: p.deputy, representative: p.clerk), by: p.deputy)
        let (_, chain) = try verify(as: p.clerk, powers: [child, parent])
        #expect(check(chain)?.status == .passed, "\(check(chain)?.message ?? "")")
        #expect(check(chain)?.message.contains("MCHD-2 ← MCHD-1") == true)
        #expect(chain.indication == .totalPassed)

        let (_, orphan) = try verify(as: p.clerk, powers: [child])
        #expect(check(orphan)?.message.contains("MCHD-1, which was not given") == true, "\(check(orphan)?.message ?? "")")

        // The head re-delegates "as" the deputy's principal: the parent does not empower the head.
        let wrong = try Self.signed(Self.xml(number: "MCHD-3", parent: "MCHD-1", principal: p.head, representative: p.clerk), by: p.head)
        let (_, refused) = try verify(as: p.clerk, powers: [wrong, parent])
        #expect(check(refused)?.message.contains("re-delegated by someone") == true, "\(check(refused)?.message ?? "")")
    }

    @Test("a policy that requires a МЧД fails a signer without one; a re-delegation loop is refused")
    func requiredAndCycle() throws {
        let p = Self.people
        let required = try #require(PolicyRegistry.load(directory: try {
            let folder = try TemporaryFolder()
            _ = try folder.write("poa-test.yaml", Array(Self.policyText.replacingOccurrences(
                of: "check: power-of-attorney", with: "check: power-of-attorney\n        params: {required: true}").utf8))
            return folder.path
        }()).policies["poa-test"])
        let h = Hierarchy.rsa
        let signature = try Signer.sign(.bytes(sampleDocument), identity: p.deputy.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let (_, report) = try VerificationJob(
            signature: signature, signatureName: "letter.sig", document: .bytes(name: "letter.txt", sampleDocument), trust: h.trust,
            crls: [try h.crl(), try h.crl(by: h.root)], policy: required, options: JudgementOptions(documentType: "letter")).run()
        #expect(check(report)?.status == .failed)
        #expect(check(report)?.message.contains("must act under a machine-readable power of attorney") == true, "\(check(report)?.message ?? "")")
        #expect(report.subIndication == .sigConstraintsFailure)

        // A names B as its parent and B names A: each link is signed and matched, the chain never ends.
        let a = try Self.signed(Self.xml(number: "A", parent: "B", principal: p.head, representative: p.clerk), by: p.head)
        let b = try Self.signed(Self.xml(number: "B", parent: "A", principal: p.clerk, representative: p.head), by: p.clerk)
        let (_, loop) = try verify(as: p.clerk, powers: [a, b])
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
        _ = try policies.write("poa-test.yaml", Array(Self.policyText.utf8))
        let f = try await HTTPServiceTests.Fixture(policies: policies.path)
        defer { f.folder.cleanup() }
        let signature = try Signer.sign(.bytes(sampleDocument), identity: p.deputy.identity, options: SignatureOptions(chain: [Hierarchy.rsa.ca.certificate]))
        let issuedToDeputy = try Self.signed(Self.xml(number: "MCHD-90", principal: p.head, representative: p.deputy), by: p.head)
        let issuedToClerk = try Self.signed(Self.xml(number: "MCHD-91", principal: p.head, representative: p.clerk), by: p.head)
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
                    #expect((check?["basis"] as? String)?.contains("17.3") == true)
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

    @Test("CLI: verify --poa --poa-sig --type, in Russian with the article; a missing --poa file is exit 66")
    func commandLine() throws {
        let p = Self.people
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let key = try folder.write("deputy.key", try p.deputy.key.pem(), mode: 0o600)
        let cert = try folder.write("deputy.pem", try CertificateFiles.pem([p.deputy.certificate]))
        let chain = try folder.write("ca.pem", try CertificateFiles.pem([Hierarchy.rsa.ca.certificate]))
        let root = try folder.write("root.pem", try CertificateFiles.pem([Hierarchy.rsa.root.certificate]))
        let crls = [try folder.write("ca.crl", try Hierarchy.rsa.crl().pem()), try folder.write("root.crl", try Hierarchy.rsa.crl(by: Hierarchy.rsa.root).pem())]
        let policy = try folder.write("poa-test.yaml", Array(Self.policyText.utf8))
        let poa = try Self.signed(Self.xml(number: "MCHD-77", principal: p.head, representative: p.deputy), by: p.head)
        let xml = try folder.write("dover.xml", poa.xml)
        _ = try folder.write("dover.xml.sig", poa.signatures[0])
        let document = try folder.write("letter.txt", sampleDocument)
        #expect(try CLI.run(["sign", document, "--key", key, "--cert", cert, "--chain", chain]).status == 0)
        let verify = ["verify", document, "--trust", root, "--policy", policy, "--type", "letter", "--lang", "ru"]
            + crls.flatMap { ["--crl", $0] }
        // The signature over the XML is found beside it (dover.xml.sig).
        let result = try CLI.run(verify + ["--poa", xml])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let json = try CLI.run(verify + ["--poa", xml, "--poa-sig", xml + ".sig", "--json"])
        #expect(json.stdout.contains("MCHD-77") && json.stdout.contains("17.3"), "\(json.stdout)")
        #expect(json.stdout.contains("доверенности"), "\(json.stdout)")
        let missing = try CLI.run(verify + ["--poa", folder.file("none.xml")])
        #expect(missing.status == 66, "\(missing.stderr)")

        // inspect shows what the МЧД says (nothing verified): number, dates, both parties, the powers.
        let shown = try CLI.run(["inspect", xml, "--lang", "ru"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("доверенность MCHD-77") && shown.stdout.contains("представитель: Петров")
                && shown.stdout.contains("СНИЛС 22222222222") && shown.stdout.contains("полномочия (коды): 02.03.01"), "\(shown.stdout)")
        let shownJSON = try CLI.run(["inspect", xml, "--json"])
        let decoded = try JSONSerialization.jsonObject(with: Data(shownJSON.stdout.utf8)) as? [String: Any]
        #expect(decoded?["number"] as? String == "MCHD-77")
        let issuedDay = String(Date().addingTimeInterval(-30 * 86_400).formatted(Date.ISO8601FormatStyle()).prefix(10))  // as xml(…) writes it
        #expect(shown.stdout.contains("действует с \(issuedDay)"), "the issue day as written in the XML: \(shown.stdout)")
        #expect((decoded?["representative"] as? [String: Any])?["inn"] as? String == "780200000002")
        // An XML that is not a power of attorney: 65 with one line.
        let notPower = try folder.write("not-a-power.xml", Array("<?xml version=\"1.0\"?><EMCHD/>".utf8))
        let refusedInspect = try CLI.run(["inspect", notPower])
        #expect(refusedInspect.status == 65, "\(refusedInspect.stdout) \(refusedInspect.stderr)")
        #expect(refusedInspect.stderr.split(separator: "\n").count == 1)

        // The same document in an ASiC-E container: the МЧД is judged for the container's signer too.
        let container = folder.file("letter.asice")
        let packed = try CLI.run(["sign", document, "--container", "asice", "--out", container, "--key", key, "--cert", cert, "--chain", chain])
        #expect(packed.status == 0, "\(packed.stderr)")
        let inContainer = ["verify", container, "--trust", root, "--policy", policy, "--type", "letter", "--json"] + crls.flatMap { ["--crl", $0] }
        let good = try CLI.run(inContainer + ["--poa", xml])
        #expect(good.status == 0, "\(good.stdout) \(good.stderr)")
        #expect(good.stdout.contains("MCHD-77") && good.stdout.contains("17.3"), "\(good.stdout)")
        // A МЧД issued to someone else does not let the deputy sign.
        let other = try Self.signed(Self.xml(number: "MCHD-78", principal: p.head, representative: p.clerk), by: p.head)
        let otherXML = try folder.write("other.xml", other.xml)
        _ = try folder.write("other.xml.sig", other.signatures[0])
        let refused = try CLI.run(inContainer + ["--poa", otherXML])
        #expect(refused.status != 0, "\(refused.stdout)")
        #expect(refused.stdout.contains("no power of attorney names the signer"), "\(refused.stdout)")
    }
}
