import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// A PKI shaped as 63-ФЗ sees Russian certificates: one root; an УЦ ФНС (heads of organisations), an УЦ Федерального
/// казначейства (officials of state bodies) and a commercial accredited CA (personal certificates), each CA's subject
/// naming its operator by ИНН ЮЛ as the real ones do. The people are invented.
struct LawPKI: Sendable {
    let kind: PrivateKey.Kind
    let root: IssuedCertificate
    let fns: IssuedCertificate
    let treasury: IssuedCertificate
    let commercial: IssuedCertificate

    static let rsa = try! LawPKI(.rsa(bits: 2048))
    static let gost = try! LawPKI(.gost2012_256)

    /// The principal organisation of the powers of attorney.
    static let organisation = PowerOfAttorneyWriter.Organisation(
        name: "Администрация Тестовой области", innLE: "7842012345", kpp: "784201001", ogrn: "1027809244561",
        region: "47", address: "191311, г. Санкт-Петербург, Суворовский пр., д. 67")

    init(_ kind: PrivateKey.Kind) throws {
        self.kind = kind
        let root = try PKIProfiles.root(name: "Тестовый головной УЦ", key: kind, notBefore: Date().addingTimeInterval(-3000 * 86_400), years: 20)
        self.root = root
        func ca(_ name: String, _ organisation: String, _ inn: String, _ ogrn: String) throws -> IssuedCertificate {
            try PKIProfiles.intermediate(name: name, key: kind, issuer: root, notBefore: Date().addingTimeInterval(-2900 * 86_400), years: 15,
                                         policies: [OID.classKC1, OID.classKC2],
                                         subject: PKIProfiles.operatorCASubject(name: name, organization: organisation, innLE: inn, ogrn: ogrn))
        }
        fns = try ca("Тестовый УЦ ФНС", "ФНС России (тест)", "7707329152", "1047707030513")
        treasury = try ca("Тестовый УЦ Казначейства", "Федеральное казначейство (тест)", "7710568760", "1047797019830")
        commercial = try ca("Тестовый коммерческий УЦ", "ООО «Тестовый УЦ»", "7811000001", "1157800000001")
    }

    var trust: TrustStore { TrustStore(anchors: [root.certificate]) }

    func crls() throws -> [CertificateRevocationList] {
        try [root, fns, treasury, commercial].map {
            try PKIBuilder.issueCRL(issuer: $0.certificate, key: $0.key, thisUpdate: Date().addingTimeInterval(-3600),
                                    nextUpdate: Date().addingTimeInterval(7 * 86_400), revoked: [], number: 1)
        }
    }

    /// The head of the organisation: its certificate names the organisation and the head (УЦ ФНС by default).
    func head(surname: String = "Смирнов", given: String = "Алексей Викторович", inn: String = "780400000004", snils: String = "44444444444",
              innLE: String = "7842012345", issuer: IssuedCertificate? = nil, notBefore: Date = Date().addingTimeInterval(-400 * 86_400),
              notAfter: Date? = nil) throws -> IssuedCertificate {
        try PKIProfiles.signer(subject: PKIProfiles.officialSubject(surname: surname, givenNames: given, title: "Руководитель", inn: inn,
                                                                    snils: snils, innLE: innLE),
                               key: kind, issuer: issuer ?? fns, notBefore: notBefore, notAfter: notAfter ?? notBefore.addingTimeInterval(800 * 86_400))
    }

    /// A person with a personal certificate (commercial CA).
    func person(surname: String, given: String, inn: String, snils: String, notBefore: Date = Date().addingTimeInterval(-100 * 86_400)) throws -> IssuedCertificate {
        try PKIProfiles.signer(subject: PKIProfiles.personSubject(surname: surname, givenNames: given, inn: inn, snils: snils),
                               key: kind, issuer: commercial, notBefore: notBefore, notAfter: notBefore.addingTimeInterval(450 * 86_400))
    }

    /// The chain certificates a signer's CA needs in the signature.
    func chain(for issued: IssuedCertificate) -> [X509Certificate] {
        [fns, treasury, commercial].filter { $0.certificate.subject == issued.certificate.issuer }.map(\.certificate)
    }

    /// A TSA under the commercial CA, with a clock.
    func authority(clock: @escaping @Sendable () -> Date = { Date() }) throws -> TimestampAuthority {
        let tsa = try PKIProfiles.tsa(key: kind, issuer: commercial, notBefore: Date().addingTimeInterval(-2800 * 86_400), years: 15)
        return try TimestampAuthority(key: tsa.key, certificate: tsa.certificate, chain: [commercial.certificate],
                                      configuration: TimestampAuthority.Configuration(clock: clock), serials: SerialNumberSource(path: nil))
    }

    /// A detached signature by `who` over `data`, timestamped when an authority is given.
    func sign(_ data: [UInt8], by who: IssuedCertificate, stamp: TimestampAuthority? = nil) throws -> [UInt8] {
        let signature = try Signer.sign(.bytes(data), identity: who.identity, options: SignatureOptions(chain: chain(for: who)))
        guard let stamp else { return signature }
        return try Timestamper.addSignatureTimestamps(to: signature, subject: nil, client: TimestampClient(source: LocalTimestampSource(stamp))).bytes
    }
}

/// Powers of attorney in the real EMCHD_1 structure (written by ``PowerOfAttorneyWriter``, validated against the ФНС
/// schema by ``EMCHDSchema``).
enum MCHD {
    /// `YYYY-MM-DD` of the Moscow day of `date`.
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 3 * 3600)!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// A UUID-shaped number (the schema's pattern) that is easy to read in messages: `00000000-…-<tag>`.
    static func number(_ tag: Int) -> String { String(format: "c61a40df-d38f-4800-9ba4-%012d", tag) }

    static func person(_ issued: IssuedCertificate, position: String? = nil) -> PowerOfAttorneyWriter.Person {
        let info = issued.certificate.info()
        let given = (info.attribute(OID.givenName) ?? "—").split(separator: " ").map(String.init)
        return PowerOfAttorneyWriter.Person(surname: info.attribute(OID.surname) ?? "—", givenName: given.first ?? "—",
                                            patronymic: given.count > 1 ? given[1] : nil, inn: info.attribute(OID.inn) ?? "",
                                            snils: info.attribute(OID.snils) ?? "", position: position)
    }

    static func draft(
        _ tag: Int, signer: IssuedCertificate, representative: IssuedCertificate, issued: Date = Date().addingTimeInterval(-30 * 86_400),
        until: Date = Date().addingTimeInterval(335 * 86_400), redelegation: PowerOfAttorneyWriter.Redelegation = .forbidden,
        codes: [String] = ["02.03.01"], text: String? = "Подписывать письма в муниципальные районы", lost: Bool? = nil,
        parent: PowerOfAttorneyWriter.Parent? = nil, organisation: PowerOfAttorneyWriter.Organisation = LawPKI.organisation
    ) -> PowerOfAttorneyWriter.Draft {
        PowerOfAttorneyWriter.Draft(
            number: number(tag), internalNumber: "МЧД-\(tag)", issued: day(issued), validUntil: day(until), redelegation: redelegation,
            principal: organisation, signer: person(signer, position: parent == nil ? "Руководитель" : nil),
            representative: person(representative, position: "Специалист"),
            powers: codes.map { PowerOfAttorneyWriter.Power(code: $0, name: "Подписание исходящей корреспонденции (\($0))") },
            powersText: text, powersLostOnRedelegation: lost, parent: parent)
    }

    /// The parent reference of a re-delegation of `draft` (the first of the chain, or a re-delegation itself).
    static func parent(of draft: PowerOfAttorneyWriter.Draft, original: PowerOfAttorneyWriter.Draft? = nil) -> PowerOfAttorneyWriter.Parent {
        let first = original ?? draft
        return PowerOfAttorneyWriter.Parent(
            originalNumber: first.number, originalIssued: first.issued, originalUntil: first.validUntil,
            parentNumber: original == nil ? nil : draft.number, parentIssued: original == nil ? nil : draft.issued,
            parentUntil: original == nil ? nil : draft.validUntil)
    }
}

/// The ФНС schema of EMCHD_1 (`../shared/testdata/mchd`, read in place) and Python's lxml to validate against it.
enum EMCHDSchema {
    static let path: String = {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("../shared/testdata/mchd/ON_EMCHD_1_928_00_01_01_01.xsd").standardized.path
    }()

    /// Why validation cannot run here, or nil when it can.
    static let unavailable: String? = {
        guard FileManager.default.fileExists(atPath: path) else { return "../shared/testdata/mchd (the ФНС schema) is absent" }
        guard let result = try? runTool("python3", ["-c", "import lxml.etree"]), result.status == 0 else {
            return "python3 with lxml is missing (Debian: python3-lxml)"
        }
        return nil
    }()

    static let script = """
        import sys
        from lxml import etree
        schema = etree.XMLSchema(etree.parse(sys.argv[1]))
        for name in sys.argv[2:]:
            document = etree.parse(name)
            if schema.validate(document):
                print(name + "\\tVALID")
            else:
                print(name + "\\t" + " | ".join("%d: %s" % (e.line, e.message) for e in schema.error_log))
        """

    /// Validates each XML; returns file index → the schema's complaints (empty when valid).
    static func validate(_ documents: [[UInt8]]) throws -> [[String]] {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let scriptPath = try folder.write("validate.py", Array(script.utf8))
        let files = try documents.enumerated().map { try folder.write("doc-\($0.offset).xml", $0.element) }
        let result = try runTool("python3", [scriptPath, path] + files)
        guard result.status == 0 else { throw PodpisError(.software, "lxml failed: \(result.stderr)") }
        var verdicts: [String: [String]] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            verdicts[parts[0]] = parts[1] == "VALID" ? [] : [parts[1]]
        }
        return files.map { verdicts[$0] ?? ["no answer from the validator"] }
    }
}

/// A static HTTP server (Python's http.server) serving fixed files, for commands that download (`trust import-ru --url`).
struct StaticServer {
    let server: BackgroundServer
    let folder: TemporaryFolder

    static let script = """
        import http.server, sys, os
        os.chdir(sys.argv[1])
        class H(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a): pass
        s = http.server.HTTPServer(('127.0.0.1', 0), H)
        print('listening on http://127.0.0.1:%d' % s.server_address[1], flush=True)
        s.serve_forever()
        """

    static func start(files: [String: [UInt8]]) async throws -> StaticServer {
        let folder = try TemporaryFolder()
        for (path, bytes) in files { _ = try folder.write(String(path.drop { $0 == "/" }), bytes) }
        let scriptPath = try folder.write(".serve.py", Array(script.utf8))
        let server = try await offCooperativePool { try BackgroundServer("/usr/bin/env", ["python3", scriptPath, folder.path]) }
        return StaticServer(server: server, folder: folder)
    }

    func url(_ path: String) -> String { server.url + path }

    func stop() {
        server.stop()
        folder.cleanup()
    }
}
