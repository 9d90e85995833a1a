import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// The Russian accredited-CA list: imported from the Минцифры XML format, then used by ru-63fz-qualified's art. 11(1).
@Suite("Accredited-CA list")
struct TrustListTests {
    /// A list in the Минцифры format holding `ca`, with the given status history.
    static func xml(ca: X509Certificate, history: [(String, String)]) -> String {
        let info = ca.info()
        let statuses = history.map { "<СтатусАккредитации><Статус>\($0.1)</Статус><ДействуетС>\($0.0)T00:00:00+03:00</ДействуетС></СтатусАккредитации>" }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <АккредитованныеУдостоверяющиеЦентры>
              <Версия>2025</Версия><Дата>2026-01-01T00:00:00+03:00</Дата>
              <УдостоверяющийЦентр>
                <Название>Тестовый УЦ &lt;ГОСТ&gt;</Название><ИНН>7800000000</ИНН><ОГРН>1027800000000</ОГРН><РеестровыйНомер>777</РеестровыйНомер>
                <СтатусАккредитации><Статус>\(history.last!.1)</Статус><ДействуетС>\(history.last!.0)T00:00:00+03:00</ДействуетС></СтатусАккредитации>
                <ИсторияСтатусовАккредитации>\(statuses.dropLast().joined())</ИсторияСтатусовАккредитации>
                <ПрограммноАппаратныеКомплексы><ПрограммноАппаратныйКомплекс>
                  <КлючиУполномоченныхЛиц><Ключ>
                    <ИдентификаторКлюча>\(info.subjectKeyIdentifier ?? "")</ИдентификаторКлюча>
                    <АдресаСписковОтзыва><Адрес>http://example/ca.crl</Адрес></АдресаСписковОтзыва>
                    <Сертификаты><ДанныеСертификата>
                      <Отпечаток>\(info.sha256)</Отпечаток><СерийныйНомер>\(info.serial)</СерийныйНомер>
                      <Данные>\(info.der)</Данные>
                    </ДанныеСертификата></Сертификаты>
                  </Ключ></КлючиУполномоченныхЛиц>
                </ПрограммноАппаратныйКомплекс></ПрограммноАппаратныеКомплексы>
              </УдостоверяющийЦентр>
            </АккредитованныеУдостоверяющиеЦентры>
            """
    }

    @Test("import keeps the accreditation history; art. 11(1) uses the certificate's issue day")
    func importAndJudge() throws {
        let h = Hierarchy.gost
        let history = [("2015-01-01", "Действует"), ("2019-06-01", "Прекращена"), ("2021-01-01", "Действует")]
        let imported = try RussianTrustList.parse(Array(Self.xml(ca: h.ca.certificate, history: history).utf8), subject: "list.xml")
        #expect(imported.authorities.count == 1)
        let authority = imported.authorities[0]
        #expect(authority.name == "Тестовый УЦ <ГОСТ>")
        #expect(authority.accreditation.count == 2)
        #expect(authority.isAccredited(at: PolicyDates.parse("2018-01-01")!))
        #expect(!authority.isAccredited(at: PolicyDates.parse("2020-01-01")!))
        #expect(authority.isAccredited(at: PolicyDates.parse("2025-01-01")!))
        #expect(authority.certificates == [h.ca.certificate.fingerprint])

        // Through the CLI into a certs folder, then verify under ru-63fz-qualified.
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let xml = try folder.write("list.xml", Array(Self.xml(ca: h.ca.certificate, history: history).utf8))
        let certs = folder.file("certs")
        let imported2 = try CLI.run(["trust", "import-ru", xml, "--out", (certs as NSString).appendingPathComponent("ru-accredited")])
        #expect(imported2.status == 0, "\(imported2.stderr)")
        let rootFile = try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate]))
        let catalog = try PolicyCatalog.standard(policies: Repository.policies, certs: certs)
        let policy = try catalog.policy("ru-63fz-qualified")
        let (lists, anchors) = try catalog.trustLists(for: policy)
        #expect(anchors.contains(h.ca.certificate))
        _ = rootFile
        // A signer whose certificate was issued while the CA was accredited, and one issued during the gap.
        for (notBefore, kind) in [("2018-03-01", "qualified"), ("2020-03-01", "advanced")] {
            let signer = try h.signer(notBefore: PolicyDates.parse(notBefore)!, notAfter: Date().addingTimeInterval(86_400 * 365))
            let signature = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
            let evidence = try EvidenceCollector.collect(VerificationRequest(
                signature: signature, document: .bytes(name: "d", sampleDocument), trust: TrustStore(anchors: [h.root.certificate] + anchors),
                crls: [try h.crl(), try h.crl(by: h.root)]))
            let report = PolicyEngine().judge(evidence, policy: policy, options: JudgementOptions(attestations: ["certified-crypto-tool": true], trustLists: lists))
            #expect(report.signatures[0].legal.kind == kind, "\(notBefore): \(report.signatures[0].checks.filter { $0.status == .failed }.map(\.message))")
        }
    }

    @Test("hostile XML: not the format, broken, entity tricks — a clear error")
    func hostile() throws {
        for text in ["<root/>", "<АккредитованныеУдостоверяющиеЦентры><УдостоверяющийЦентр>", "not xml at all"] {
            #expect(throws: PodpisError.self, "\(text)") { _ = try RussianTrustList.parse(Array(text.utf8), subject: "x.xml") }
        }
        // Inputs Foundation's XMLParser would crash on (found by fuzzing) are refused first, with the reason.
        let notUTF8: [UInt8] = Array("<?xml version=\"1.0\"?>\n<".utf8) + [0xD0, 0x6C] + Array("/>".utf8)
        #expect { _ = try RussianTrustList.parse(notUTF8, subject: "x.xml") } throws: { error in
            (error as? PodpisError)?.message.contains("not valid UTF-8") == true
        }
        let instruction = Array("<?xml version=\"1.0\"?>\n<?x?><АккредитованныеУдостоверяющиеЦентры/>".utf8)
        #expect { _ = try RussianTrustList.parse(instruction, subject: "x.xml") } throws: { error in
            (error as? PodpisError)?.message.contains("processing instruction") == true
        }
        // External entities are never resolved: the file's content does not reach the list.
        let entity = "<!DOCTYPE x [<!ENTITY a SYSTEM \"file:///etc/passwd\">]><АккредитованныеУдостоверяющиеЦентры><УдостоверяющийЦентр><Название>&a;</Название></УдостоверяющийЦентр></АккредитованныеУдостоверяющиеЦентры>"
        if let imported = try? RussianTrustList.parse(Array(entity.utf8), subject: "x.xml") {
            #expect(!imported.authorities.contains { $0.name.contains("root:") })
        }
    }
}
