import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// The Russian accredited-CA list: imported from the Минцифры XML format (`TSL.xml`), then used by
/// ru-63fz-qualified's art. 11(1) and the re-accreditation rule of the 2019 amendments.
@Suite("Accredited-CA list", .needsGOST)
struct TrustListTests {
    /// A list shaped like the real `TSL.xml`, holding the commercial CA of ``LawPKI/gost`` with these statuses
    /// (oldest first; the last is the current one, repeated in the history as the real list does).
    static func list(_ statuses: [(day: String, status: String)]) -> [UInt8] {
        AccreditedListWriter.xml([
            .init(name: "ООО «Тестовый УЦ» <ГОСТ>", shortName: "Тестовый УЦ", inn: "7811000001", ogrn: "1157800000001", registryNumber: "777",
                  statuses: statuses, certificates: [LawPKI.gost.commercial.certificate], crlURL: "http://example.invalid/ca.crl"),
        ], version: 2026, date: Date())
    }

    static func day(_ text: String) -> Date { PolicyDates.parse(text)! }
    /// Midnight of a Moscow day (the list's dates are Moscow time).
    static func moscow(_ text: String) -> Date { day(text).addingTimeInterval(-3 * 3600) }

    @Test("the status history becomes periods: a repeated current status and a re-accreditation keep a currently accredited CA accredited")
    func history() throws {
        func periods(_ statuses: [(day: String, status: String)]) throws -> [AccreditationPeriod] {
            try RussianTrustList.parse(Self.list(statuses), subject: "TSL.xml").authorities[0].accreditation
        }
        // The current status repeated in the history (as the published list does): one open period, not a zero-length one.
        let repeated = try periods([("2015-01-01", "Действует")])
        #expect(repeated.count == 1 && repeated[0].until == nil, "\(repeated)")
        // Accredited again under the 2019 amendments: a new «Действует» while accredited continues the period.
        let reaccredited = try periods([("2015-01-01", "Действует"), ("2021-07-01", "Действует")])
        #expect(reaccredited.count == 1 && reaccredited[0].until == nil, "\(reaccredited)")
        #expect(reaccredited[0].from == Self.moscow("2015-01-01"))
        // A gap, then accredited again: two periods, the second open.
        let gap = try periods([("2015-01-01", "Действует"), ("2019-06-01", "Прекращена"), ("2021-01-01", "Действует")])
        #expect(gap.count == 2 && gap[0].until == Self.moscow("2019-06-01") && gap[1].until == nil, "\(gap)")
        // Not accredited again: the period ends on 2022-01-01.
        let ended = try periods([("2015-01-01", "Действует"), ("2022-01-01", "Прекращена")])
        #expect(ended.count == 1 && ended[0].until == Self.moscow("2022-01-01"))
        // Annulled the same day it was granted: no period at all.
        let annulled = try periods([("2020-01-01", "Действует"), ("2020-01-01", "Аннулирована")])
        #expect(annulled.isEmpty, "\(annulled)")
    }

    /// Imports `statuses` into a certs folder as `trust import-ru --unsigned-ok` does (in process), then judges a personal certificate issued on `issued`
    /// under ru-63fz-qualified; returns the legal kind and the failed rules.
    func judge(_ statuses: [(day: String, status: String)], issued: String, attest: Bool = false) throws -> (String, [String]) {
        let pki = LawPKI.gost
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let xml = try folder.write("TSL.xml", Self.list(statuses))
        let certs = folder.file("certs")
        let bytes = try FileInput.readSmallFile(path: xml, limit: 1 << 24)
        // As `trust import-ru --unsigned-ok` does: the test list carries no signature.
        let imported = try RussianTrustList.importList(bytes, subject: xml, anchors: [], unsignedOK: true,
                                                       into: (certs as NSString).appendingPathComponent("ru-accredited"))
        #expect(imported.signer == nil, "the test list carries no signature")
        let catalog = try PolicyCatalog.standard(policies: Repository.policies, certs: certs)
        let policy = try catalog.policy("ru-63fz-qualified")
        let (lists, _) = try catalog.trustLists(for: policy)
        let signer = try PKIProfiles.signer(subject: PKIProfiles.personSubject(surname: "Кузнецова", givenNames: "Ольга Николаевна",
                                                                              inn: "780500000005", snils: "55555555555"),
                                            key: pki.kind, issuer: pki.commercial, notBefore: Self.day(issued), notAfter: Date().addingTimeInterval(86_400 * 365))
        let signature = try pki.sign(sampleDocument, by: signer)
        let evidence = try EvidenceCollector.collect(VerificationRequest(
            signature: signature, document: .bytes(name: "d", sampleDocument), trust: pki.trust, crls: try pki.crls()))
        let report = PolicyEngine().judge(evidence, policy: policy, options: JudgementOptions(
            attestations: attest ? ["certified-crypto-tool": "КриптоПро CSP 5.0 R3"] : [:], trustLists: lists))
        return (report.signatures[0].legal.kind, report.signatures[0].checks.filter { $0.status == .failed }.map(\.id))
    }

    @Test("art. 11(1): accredited on the certificate's issue day; re-accredited CAs stay qualified, others stop on 2022-01-01")
    func accreditation() throws {
        let current: [(day: String, status: String)] = [("2015-01-01", "Действует"), ("2021-07-01", "Действует")]
        #expect(try judge(current, issued: "2025-03-01", attest: true).0 == "qualified")
        #expect(try judge(current, issued: "2025-03-01").0 == "qualified-unattested")
        // Issued during a gap in the accreditation.
        let gap: [(day: String, status: String)] = [("2015-01-01", "Действует"), ("2019-06-01", "Прекращена"), ("2021-01-01", "Действует")]
        #expect(try judge(gap, issued: "2021-03-01").0 == "qualified-unattested")
        // Issued under the first accreditation, which ended in 2019: accredited on its issue day (ст. 11 п. 1), but that
        // accreditation did not go on into 2022, so it is not qualified for a signature made now.
        let (early, earlyFailed) = try judge(gap, issued: "2018-03-01")
        #expect(early == "advanced" && earlyFailed == ["reaccredited-ca"], "\(earlyFailed)")
        let (kind, failed) = try judge(gap, issued: "2020-03-01")
        #expect(kind == "advanced" && failed.contains("accredited-ca"), "\(failed)")
        // A CA not accredited again: its certificate, issued while it was accredited, is not qualified from 2022.
        let (ended, endedFailed) = try judge([("2015-01-01", "Действует"), ("2022-01-01", "Прекращена")], issued: "2021-03-01")
        #expect(ended == "advanced" && endedFailed == ["reaccredited-ca"], "\(endedFailed)")
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

    @Test("import-ru speaks Russian under --lang ru, and fetches the list with --url (a local server)")
    func commandLine() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let out = folder.file("certs/ru-accredited")
        let notList = try folder.write("root.xml", Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?><root/>".utf8))
        let refused = try CLI.run(["trust", "import-ru", notList, "--out", out, "--lang", "ru"])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("не перечень аккредитованных УЦ"), "\(refused.stderr)")
        let missing = try CLI.run(["trust", "import-ru", folder.file("none.xml"), "--out", out, "--lang", "ru"])
        #expect(missing.status == 66 && missing.stderr.contains("нет такого файла"), "\(missing.stderr)")
        let neither = try CLI.run(["trust", "import-ru", "--out", out])
        #expect(neither.status == 64, "\(neither.stderr)")

        let served = try await StaticServer.start(files: ["/TSL.xml": Self.list([("2015-01-01", "Действует")])])
        defer { served.stop() }
        let fetched = try CLI.run(["trust", "import-ru", "--url", served.url("/TSL.xml"), "--out", out, "--lang", "ru", "--unsigned-ok"])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(fetched.stderr.contains("Импортировано УЦ: 1"), "\(fetched.stderr)")
        #expect(FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent("authorities.json")))
        let notFound = try CLI.run(["trust", "import-ru", "--url", served.url("/none.xml"), "--out", out, "--lang", "ru"])
        #expect(notFound.status == 69, "\(notFound.stderr)")
        #expect(notFound.stderr.contains("HTTP 404"), "\(notFound.stderr)")
        // From a file, unsigned, asked for: written as the in-process import in `judge` writes it.
        let file = try folder.write("TSL.xml", Self.list([("2015-01-01", "Действует"), ("2021-07-01", "Действует")]))
        let fromFile = try CLI.run(["trust", "import-ru", file, "--out", folder.file("certs/from-file"), "--unsigned-ok"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        let (list, _) = try TrustListStore.load(name: "ru-accredited", folder: folder.file("certs/from-file"))
        #expect(list.authorities == (try RussianTrustList.parse(try FileInput.readSmallFile(path: file, limit: 1 << 24), subject: file)).authorities)
    }
}

/// The list's own signature (XMLDSig, as the Минцифры TSL.xml carries it), made by independent peers: Python's lxml
/// canonicalises (exclusive C14N), the OpenSSL command line digests and signs with ГОСТ Р 34.10-2012.
@Suite("Accredited-CA list signature", .enabled(if: ListSignaturePeers.unavailable == nil, "\(ListSignaturePeers.unavailable ?? "")"))
struct ListSignatureTests {
    @Test("a list signed with GOST over its exclusive canonical form imports; changed, untrusted or unsigned, it does not")
    func signedList() throws {
        let pki = LawPKI.gost
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let ministry = try PKIProfiles.signer(subject: PKIProfiles.organisationSubject(organization: "Минцифры России (тест)", ogrn: "1047702026701",
                                                                                      innLE: "7710474375"), key: pki.kind, issuer: pki.fns)
        let key = try folder.write("ministry.key", try ministry.key.pem(), mode: 0o600)
        let signed = try ListSignaturePeers.sign(TrustListTests.list([("2015-01-01", "Действует")]), key: key,
                                                 certificate: ministry.certificate, folder: folder)
        let roots = try folder.write("roots.pem", try CertificateFiles.pem([pki.root.certificate, pki.fns.certificate]))
        let out = folder.file("certs/ru-accredited")
        let list = try folder.write("TSL.xml", signed)
        let good = try CLI.run(["trust", "import-ru", list, "--out", out, "--trust", roots, "--lang", "ru"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stderr.contains("Подпись перечня верна") && good.stderr.contains("Минцифры России (тест)"), "\(good.stderr)")

        // One letter changed in a CA's name: the digest no longer matches.
        let changed = try folder.write("changed.xml", Array(String(decoding: signed, as: UTF8.self)
            .replacingOccurrences(of: "Тестовый УЦ", with: "Тестовый УЦ!").utf8))
        let refused = try CLI.run(["trust", "import-ru", changed, "--out", out, "--trust", roots, "--lang", "ru"])
        #expect(refused.status == 65 && refused.stderr.contains("изменён после подписания"), "\(refused.stderr)")
        // Signed, but by a certificate the anchors given do not reach.
        let otherRoot = try folder.write("other.pem", try CertificateFiles.pem([LawPKI.rsa.root.certificate]))
        let untrusted = #expect(throws: PodpisError.self) {
            _ = try ListSignature.verify(signed, trust: TrustStore(anchors: try CertificateFiles.load(paths: [otherRoot])), subject: list)
        }
        #expect(untrusted?.kind == .dataFormat && untrusted?.message.contains("does not chain") == true, "\(String(describing: untrusted))")
        // Not signed at all: refused unless asked for.
        let plain = try folder.write("plain.xml", TrustListTests.list([("2015-01-01", "Действует")]))
        let unsigned = try CLI.run(["trust", "import-ru", plain, "--out", out, "--trust", roots])
        #expect(unsigned.status == 65 && unsigned.stderr.contains("no signature"), "\(unsigned.stderr)")
    }
}

enum ListSignaturePeers {
    static let unavailable: String? = {
        guard CryptoLibrary.gostAvailable else { return "the GOST engine is missing (libengine-gost-openssl)" }
        guard let python = try? runTool("python3", ["-c", "import lxml.etree"]), python.status == 0 else { return "python3 with lxml is missing (python3-lxml)" }
        guard let engine = try? runTool("openssl", ["engine", "gost"]), engine.status == 0 else { return "openssl cannot load the gost engine" }
        return nil
    }()

    /// `c14n.py IN OUT [XPATH-LOCAL-NAME]`: the exclusive canonical form of the document, or of its first element
    /// with that local name.
    static let script = """
        import sys
        from lxml import etree
        doc = etree.parse(sys.argv[1])
        node = doc if len(sys.argv) < 4 else doc.xpath('//*[local-name()=$n]', n=sys.argv[3])[0]
        open(sys.argv[2], 'wb').write(etree.tostring(node, method='c14n', exclusive=True, with_comments=False))
        """

    static func sign(_ list: [UInt8], key: String, certificate: X509Certificate, folder: TemporaryFolder) throws -> [UInt8] {
        let c14n = try folder.write("c14n.py", Array(script.utf8))
        let unsigned = try folder.write("unsigned.xml", list)
        func run(_ tool: String, _ arguments: [String]) throws {
            let result = try runTool(tool, arguments)
            guard result.status == 0 else { throw PodpisError(.software, "\(tool) \(arguments): \(result.stderr)") }
        }
        try run("python3", [c14n, unsigned, folder.file("document.c14n")])
        try run("openssl", ["dgst", "-engine", "gost", "-md_gost12_256", "-binary", "-out", folder.file("document.digest"), folder.file("document.c14n")])
        let digest = Data(try FileInput.readSmallFile(path: folder.file("document.digest"), limit: 64)).base64EncodedString()
        let signedInfo = """
            <SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>\
            <SignatureMethod Algorithm="urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"/>\
            <Reference URI=""><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>\
            <Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>\
            <DigestMethod Algorithm="urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"/>\
            <DigestValue>\(digest)</DigestValue></Reference></SignedInfo>
            """
        let certificateText = Data(certificate.der).base64EncodedString()
        func assemble(_ value: String) -> [UInt8] {
            let text = String(decoding: list, as: UTF8.self)
            let signature = "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">\(signedInfo)<SignatureValue>\(value)</SignatureValue>"
                + "<KeyInfo><X509Data><X509Certificate>\(certificateText)</X509Certificate></X509Data></KeyInfo></Signature>"
            return Array(text.replacingOccurrences(of: "</АккредитованныеУдостоверяющиеЦентры>", with: signature + "</АккредитованныеУдостоверяющиеЦентры>").utf8)
        }
        let draft = try folder.write("draft.xml", assemble(""))
        try run("python3", [c14n, draft, folder.file("signedinfo.c14n"), "SignedInfo"])
        try run("openssl", ["dgst", "-engine", "gost", "-md_gost12_256", "-sign", key, "-out", folder.file("signature.bin"), folder.file("signedinfo.c14n")])
        return assemble(Data(try FileInput.readSmallFile(path: folder.file("signature.bin"), limit: 1024)).base64EncodedString())
    }
}
