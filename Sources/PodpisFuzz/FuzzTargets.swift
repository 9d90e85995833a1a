import EvidenceModel
import Foundation
import Hummingbird
import PodpisContainer
import PodpisPDF
import PodpisServer
import PodpisService
import PolicyEngine
import SigningCore

/// The parsers that take input from outside, each as a fuzz target: bytes in, no crash, no hang, bounded memory.
///
/// Built two ways from the same code:
/// - normally (`swift build --product podpis-fuzz`): a replayer, `podpis-fuzz TARGET FILE|DIR…` runs inputs once
///   (regression cases, crash reproducers) and `podpis-fuzz seeds DIR` writes the seed corpora;
/// - with libFuzzer (`Tests/Fuzz/run.sh`: `-sanitize=fuzzer,address -D PODPIS_LIBFUZZER`): `LLVMFuzzerTestOneInput`
///   runs the target named by `PODPIS_FUZZ_TARGET`.
enum FuzzTarget: String, CaseIterable {
    case signature, tsaRequest = "tsa-request", tsaResponse = "tsa-response", ocsp, policy, trustList = "trust-list"
    case httpJSON = "http-json", httpMultipart = "http-multipart", asic, poa, pdf

    func run(_ data: [UInt8]) {
        switch self {
        case .signature:
            let fixture = Fixture.shared
            // Detached over the fixture's document, then as if attached (no document).
            _ = try? Verifier.verify(VerificationInput(signature: data, signatureName: nil, document: .bytes(name: nil, fixture.document),
                                     trust: fixture.trust, policy: BuiltinPolicies.default))
            _ = try? Verifier.verify(VerificationInput(signature: data, signatureName: nil, document: nil, trust: fixture.trust,
                                     policy: BuiltinPolicies.default))
        case .tsaRequest:
            _ = try? Fixture.shared.authority.respond(to: data)
        case .tsaResponse:
            let client = TimestampClient(source: Canned(answer: data))
            _ = try? client.token(over: Fixture.shared.document, digest: .sha256)
            _ = try? TimestampResponseStatus.parse(data)
        case .ocsp:
            let fixture = Fixture.shared
            _ = OCSP.evidence(from: data, certificate: fixture.signer.certificate, issuer: fixture.ca.certificate,
                              trust: fixture.trust, untrusted: [])
            _ = EmbeddedRevocation.revocationValues(data)
            _ = EmbeddedRevocation.ocspResponses(inSignedData: data)
        case .policy:
            let text = String(decoding: data, as: UTF8.self)
            let (document, diagnostics) = PolicyRegistry.read(text: text, file: "fuzz.yaml")
            _ = (document, diagnostics.count)
        case .trustList:
            // The list as import-ru reads it, then its own XML signature (the canonicaliser over the same bytes).
            _ = try? RussianTrustList.parse(data, subject: "fuzz.xml")
            _ = try? ListSignature.verify(data, trust: Fixture.shared.trust, subject: "fuzz.xml")
        case .poa:
            // A machine-readable power of attorney (EMCHD_1 XML) as it reaches the check: read into evidence (with a
            // fuzzed signature over it too), then judged under a policy that requires it.
            let fixture = Fixture.shared
            let input = PowerOfAttorneyReader.Input(name: "fuzz.xml", xml: data, signatures: [fixture.detachedSignature])
            // The same bytes as a registry answer (JSON or XML) about it.
            _ = try? RegistryAnswer.parse(data, name: "status.json")
            guard let powers = try? PowerOfAttorneyReader.gather([input], trust: fixture.trust, certificates: [], crls: [],
                                                                 ocspResponses: [], revocation: .offline, validationTime: nil),
                  var evidence = try? Verifier.verify(VerificationInput(signature: fixture.detachedSignature, signatureName: nil,
                                                      document: .bytes(name: nil, fixture.document), trust: fixture.trust)).evidence
            else { return }
            evidence.powersOfAttorney = powers
            _ = PolicyEngine().judge(evidence, policy: fixture.poaPolicy, options: JudgementOptions(documentType: "letter"))
        case .asic:
            // The input as a container file (the guarded ZIP reader, the ASiC rules, manifests, evidence) and as a
            // manifest on its own. A smaller archive cap than the CLI's keeps each run quick.
            _ = try? ASiCManifest.parse(data)
            let path = Fixture.shared.scratch + "/input.asice"
            guard FileManager.default.createFile(atPath: path, contents: Data(data)),
                  let container = try? ASiCContainer(path: path, limits: ZIPLimits(maxTotalUncompressed: 64 << 20)) else { return }
            _ = try? container.collectEvidence(ASiCContainer.VerificationSettings(trust: Fixture.shared.trust))
            for entry in container.zip.entries { try? container.zip.read(entry) { _ in } }
        case .pdf:
            // A PDF as `verify X.pdf` reads it (structure, qpdf, fields, byte ranges, changes, DSS, evidence, judgement),
            // and as `sign --pades` and `stamp` would update it (the writer reads the same objects to edit them).
            let fixture = Fixture.shared
            if let pdf = try? SignedPDF(bytes: data, name: "fuzz.pdf"),
               let evidence = try? pdf.collectEvidence(SignedPDF.VerificationSettings(trust: fixture.trust)) {
                _ = PolicyEngine().judge(evidence, policy: BuiltinPolicies.default)
            }
            _ = try? PDFSigning.sign(pdf: data, name: "fuzz.pdf", options: PDFSigning.Options(reserve: 64)) { _ in [0x30, 0x00] }
        case .httpJSON:
            _ = try? JSONRequestDecoder.decode(Data(data))
        case .httpMultipart:
            // The first byte picks the chunk size, so the fuzzer also explores chunk boundaries.
            guard let first = data.first else { return }
            let body = data.dropFirst()
            let chunk = Int(first % 64) + 1
            guard let decoder = try? MultipartRequestDecoder(contentType: "multipart/form-data; boundary=fuzz",
                                                              limits: Fixture.shared.limits) else { return }
            var offset = body.startIndex
            do {
                while offset < body.endIndex {
                    let end = min(offset + chunk, body.endIndex)
                    try decoder.feed(ByteBuffer(bytes: body[offset..<end]))
                    offset = end
                }
                _ = try decoder.finish()
            } catch {}
        }
    }
}

/// A TSA answer fixed in advance (the fuzz input).
struct Canned: TimestampSource {
    let answer: [UInt8]
    var name: String { "fuzz" }
    func exchange(_ request: [UInt8]) throws -> [UInt8] { answer }
}

/// A small test PKI made once per process: anchors, a signer, a TSA and the limits the service uses.
final class Fixture: @unchecked Sendable {
    static let shared = Fixture()
    let document = Array("Приказ № 1 о переходе на электронный документооборот\n".utf8)
    let root: IssuedCertificate
    let ca: IssuedCertificate
    let signer: IssuedCertificate
    let trust: TrustStore
    let authority: TimestampAuthority
    let limits: ServiceConfiguration
    /// The signer's detached signature over ``document``.
    let detachedSignature: [UInt8]
    /// The default policy plus a `power-of-attorney` rule and a document type (`letter`) that needs power 02.03.01.
    let poaPolicy: Policy
    /// A private folder for targets that need their input as a file.
    let scratch = NSTemporaryDirectory() + "podpis-fuzz-\(getpid())"

    private init() {
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        CryptoLibrary.initialize()
        do {
            root = try PKIProfiles.root(name: "Fuzz root", key: .ec(curve: "P-256"))
            ca = try PKIProfiles.intermediate(name: "Fuzz CA", key: .ec(curve: "P-256"), issuer: root)
            signer = try PKIProfiles.signer(key: .ec(curve: "P-256"), issuer: ca)
            let tsa = try PKIProfiles.tsa(key: .ec(curve: "P-256"), issuer: ca)
            trust = TrustStore(anchors: [root.certificate])
            authority = try TimestampAuthority(key: tsa.identity.key, certificate: tsa.certificate, chain: [ca.certificate],
                                               serials: SerialNumberSource(path: nil))
            detachedSignature = try Signer.sign(.bytes(document), identity: signer.identity, options: SignatureOptions(chain: [ca.certificate]))
            let policyFolder = scratch + "/policies"
            try FileManager.default.createDirectory(atPath: policyFolder, withIntermediateDirectories: true)
            try Data(Self.poaPolicyText.utf8).write(to: URL(fileURLWithPath: policyFolder + "/poa-fuzz.yaml"))
            guard let policy = PolicyRegistry.load(directory: policyFolder).policies["poa-fuzz"] else {
                throw PodpisError(.software, "the fuzz МЧД policy does not load")
            }
            poaPolicy = policy
        } catch {
            fatalError("fuzz fixture: \(error)")
        }
        _ = BuiltinPolicies.default  // parsed once here, not inside the first input
        var limits = ServiceConfiguration()
        limits.maxBodyBytes = 1 << 20
        limits.maxInMemoryBytes = 1 << 20
        self.limits = limits
    }

    static let poaPolicyText = """
        id: poa-fuzz
        extends: default
        title: {ru: МЧД, en: МЧД}
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
                name: {ru: письмо, en: letter}
                kind: advanced
                minSignatures: 1
                powerCode: "02.03.01"

        """

    /// An EMCHD_1 power of attorney with a re-delegation parent, for seeds.
    static let poaSeed = Array("""
        <?xml version="1.0" encoding="UTF-8"?>
        <Доверенность xmlns="urn://x-artefacts/EMCHD_1" ВерсФорм="EMCHD_1">
          <Документ ВидДовер="2">
            <СвДов НомДовер="MCHD-2" ДатаВыдДовер="2026-01-01" СрокДейст="2027-01-01" НомДоверПерв="MCHD-1"/>
            <Доверит><РосОргДовер><СвРосОрг НаимОрг="Администрация" ИННЮЛ="7842012345" ОГРН="1027809244561"/>
              <ЛицоБезДов><СвФЛ СНИЛС="111-111-111 11" ИННФЛ="780100000001"><ФИО Фамилия="Дрозденко" Имя="А"/></СвФЛ></ЛицоБезДов>
            </РосОргДовер></Доверит>
            <Пред><СвПред ТипПред="1"><СведФизЛ СНИЛС="222-222-222 22" ИННФЛ="780200000002"><ФИО Фамилия="Петров" Имя="С"/></СведФизЛ></СвПред></Пред>
            <Полн ТипПолн="0"><МашПолн КодПолн="02.03.01" НаимПолн="Подписание"/><ТекстПолн>Подписывать письма</ТекстПолн></Полн>
          </Документ>
        </Доверенность>
        """.utf8)

    /// Seed inputs per target, made from this PKI and the repository's policies.
    func seeds(policies: String?) throws -> [FuzzTarget: [[UInt8]]] {
        var seeds: [FuzzTarget: [[UInt8]]] = [:]
        let detached = try Signer.sign(.bytes(document), identity: signer.identity, options: SignatureOptions(chain: [ca.certificate]))
        let attached = try Signer.sign(.bytes(document), identity: signer.identity, options: SignatureOptions(attached: true, chain: [ca.certificate]))
        let pem = try Signer.sign(.bytes(document), identity: signer.identity, options: SignatureOptions(pem: true, chain: [ca.certificate]))
        let stamped = try Timestamper.addSignatureTimestamps(to: detached, subject: nil, client: TimestampClient(source: LocalTimestampSource(authority))).bytes
        seeds[.signature] = [detached, attached, pem, Array(Data(detached).base64EncodedString().utf8), stamped]

        let recorder = Recorder(authority: authority)
        _ = try TimestampClient(source: recorder).token(over: document, digest: .sha256)
        seeds[.tsaRequest] = recorder.requests.value
        seeds[.tsaResponse] = recorder.responses.value

        let responder = OCSPResponder(ca: ca.certificate, signer: ca.certificate, key: ca.identity.key, lookup: { _ in .good })
        let request = try OCSP.request(for: signer.certificate, issuer: ca.certificate)
        seeds[.ocsp] = [try responder.respond(to: request)]

        var policyTexts: [[UInt8]] = []
        if let policies, let names = try? FileManager.default.contentsOfDirectory(atPath: policies) {
            for name in names.sorted() where name.hasSuffix(".yaml") {
                if let data = FileManager.default.contents(atPath: policies + "/" + name) { policyTexts.append([UInt8](data)) }
            }
        }
        policyTexts.append(Array("id: x\ntitle: {ru: т, en: t}\nversions:\n  - effective: {from: 2020-01-01}\n    rules: []\n".utf8))
        seeds[.policy] = policyTexts

        let certificate = try CertificateFiles.pem([ca.certificate])
        let base64 = String(decoding: certificate, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        seeds[.trustList] = [Array("""
            <?xml version="1.0" encoding="utf-8"?>
            <АккредитованныеУдостоверяющиеЦентры><Версия>1</Версия><УдостоверяющийЦентр><Название>УЦ</Название>\
            <ИНН>7700000000</ИНН><ОГРН>1027700000000</ОГРН><ПрограммноАппаратныеКомплексы><ПрограммноАппаратныйКомплекс>\
            <Псевдоним>ПАК</Псевдоним><КлючиУполномоченныхЛиц><Ключ><Сертификаты><ДанныеСертификата><Данные>\(base64)</Данные>\
            </ДанныеСертификата></Сертификаты></Ключ></КлючиУполномоченныхЛиц></ПрограммноАппаратныйКомплекс>\
            </ПрограммноАппаратныеКомплексы><СтатусАккредитации><Статус>Действует</Статус><ДействуетС>2020-01-01T00:00:00</ДействуетС>\
            </СтатусАккредитации></УдостоверяющийЦентр></АккредитованныеУдостоверяющиеЦентры>
            """.utf8)]

        let digest = SHA256.hex(document)
        seeds[.httpJSON] = [
            Array("{\"signature\":\"\(Data(detached).base64EncodedString())\",\"document\":\"\(Data(document).base64EncodedString())\"}".utf8),
            Array("{\"signature\":\"\(Data(detached).base64EncodedString())\",\"documentDigest\":\"\(digest)\",\"digestAlgorithm\":\"sha256\"}".utf8),
        ]
        var multipart: [UInt8] = [7]
        multipart += Array("--fuzz\r\nContent-Disposition: form-data; name=\"document\"; filename=\"a.txt\"\r\n\r\n".utf8) + document
        multipart += Array("\r\n--fuzz\r\nContent-Disposition: form-data; name=\"signature\"\r\n\r\n".utf8) + detached
        multipart += Array("\r\n--fuzz\r\nContent-Disposition: form-data; name=\"lang\"\r\n\r\nru\r\n--fuzz--\r\n".utf8)
        var withPower: [UInt8] = [13]
        withPower += Array("--fuzz\r\nContent-Disposition: form-data; name=\"signature\"\r\n\r\n".utf8) + detached
        withPower += Array("\r\n--fuzz\r\nContent-Disposition: form-data; name=\"poa\"; filename=\"d.xml\"\r\n\r\n".utf8) + Self.poaSeed
        withPower += Array("\r\n--fuzz\r\nContent-Disposition: form-data; name=\"poa-signature\"\r\n\r\n".utf8) + detached
        withPower += Array("\r\n--fuzz--\r\n".utf8)
        seeds[.httpMultipart] = [multipart, withPower]
        seeds[.httpJSON]?.append(Array("{\"signature\":\"\(Data(detached).base64EncodedString())\",\"powersOfAttorney\":[{\"xml\":\"\(Data(Self.poaSeed).base64EncodedString())\",\"signature\":\"\(Data(detached).base64EncodedString())\"}]}".utf8))
        seeds[.poa] = [Self.poaSeed]

        let folder = scratch + "/seed-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let input = folder + "/приказ.txt"
        _ = FileManager.default.createFile(atPath: input, contents: Data(document))
        var manifest: [UInt8] = []
        try ContainerWriter.writeASiCE(files: [ContainerWriter.Input(path: input)], digest: .sha256, to: folder + "/e.asice", force: false) {
            manifest = $0
            return try Signer.sign(.bytes($0), identity: signer.identity, options: SignatureOptions(chain: [ca.certificate]))
        }
        try ContainerWriter.writeASiCS(file: ContainerWriter.Input(path: input), to: folder + "/s.asics", force: false) { detached }
        // PDFs: plain (table and stream cross-references), signed once and twice, certified then filled in, with a DSS.
        let plain = Self.samplePDF(stream: false), streamed = Self.samplePDF(stream: true)
        func signPDF(_ pdf: [UInt8], certify: Int? = nil) throws -> [UInt8] {
            try PDFSigning.sign(pdf: pdf, name: "seed.pdf", options: PDFSigning.Options(certify: certify, reserve: 2048)) { covered in
                try Signer.sign(.bytes(covered), identity: signer.identity, options: SignatureOptions(chain: [ca.certificate]))
            }
        }
        let once = try signPDF(plain)
        let twice = try signPDF(once)
        let certified = try signPDF(streamed, certify: 2)
        let withDSS = try PDFSigning.addValidationData(pdf: once, name: "seed.pdf", certificates: [ca.certificate.der], crls: [], ocspResponses: [])
        seeds[.pdf] = [plain, streamed, once, twice, certified, withDSS]
        seeds[.asic] = [
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/e.asice"))),
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/s.asics"))), manifest,
        ]
        return seeds
    }
}

extension Fixture {
    /// A one-page PDF with a text field, written out by hand: a table or a cross-reference stream.
    static func samplePDF(stream: Bool) -> [UInt8] {
        let content = "BT /F1 12 Tf 72 720 Td (Prikaz) Tj ET"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [5 0 R] >> >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Annots [5 0 R] >>",
            "<< /Length \(content.utf8.count) >>\nstream\n\(content)\nendstream",
            "<< /FT /Tx /T (Number) /V (1) /Type /Annot /Subtype /Widget /Rect [72 600 200 620] /P 3 0 R >>",
        ]
        var out = Array("%PDF-1.7\n%\u{E2}\u{E3}\n".utf8)
        var offsets: [Int] = []
        for (index, body) in objects.enumerated() {
            offsets.append(out.count)
            out += Array("\(index + 1) 0 obj\n\(body)\nendobj\n".utf8)
        }
        let start = out.count
        if stream {
            var data: [UInt8] = [0, 0, 0, 0, 0, 0xFF, 0xFF]
            for offset in offsets + [start] { data += [1, UInt8(offset >> 24 & 0xFF), UInt8(offset >> 16 & 0xFF), UInt8(offset >> 8 & 0xFF), UInt8(offset & 0xFF), 0, 0] }
            out += Array("6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length \(data.count) >>\nstream\n".utf8)
            out += data
            out += Array("\nendstream\nendobj\nstartxref\n\(start)\n%%EOF\n".utf8)
        } else {
            out += Array("xref\n0 6\n0000000000 65535 f\r\n".utf8)
            for offset in offsets { out += Array(String(format: "%010d 00000 n\r\n", offset).utf8) }
            out += Array("trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n\(start)\n%%EOF\n".utf8)
        }
        return out
    }
}

/// Records what a client asked and what the TSA answered, for seeds.
struct Recorder: TimestampSource {
    let authority: TimestampAuthority
    let requests = Box()
    let responses = Box()
    var name: String { "recorder" }
    func exchange(_ request: [UInt8]) throws -> [UInt8] {
        let answer = try authority.respond(to: request)
        requests.append(request)
        responses.append(answer)
        return answer
    }

    final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [[UInt8]] = []
        func append(_ item: [UInt8]) { lock.lock(); items.append(item); lock.unlock() }
        var value: [[UInt8]] { lock.lock(); defer { lock.unlock() }; return items }
    }
}
