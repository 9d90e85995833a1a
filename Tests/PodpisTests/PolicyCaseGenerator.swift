import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// Writes the evidence that `policies/tests/` cases judge (run with PODPIS_WRITE_POLICY_CASES=1, then commit the files).
/// Every date is fixed, so the evidence judges the same way forever; the cases never need the cryptography again.
@Suite("Policy case evidence generator", .enabled(if: ProcessInfo.processInfo.environment["PODPIS_WRITE_POLICY_CASES"] != nil))
struct PolicyCaseGenerator {
    static func day(_ text: String) -> Date { PolicyDates.parse(text)! }

    @Test func write() throws {
        let out = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("policies/tests/evidence").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let validation = Self.day("2026-06-01")
        let since = Self.day("2015-01-01")
        let longCRL = (this: Self.day("2026-05-31"), next: Self.day("2045-01-01"))

        // GOST: a root and the three kinds of CA 63-ФЗ tells apart, each naming its operator (УЦ Казначейства for
        // officials of state bodies, УЦ ФНС for organisations and their heads, a commercial CA for persons).
        let gostRoot = try PKIProfiles.root(name: "Архивный головной УЦ ГОСТ", key: .gost2012_256, notBefore: since, years: 30)
        func gostCA(_ name: String, _ organisation: String, _ inn: String, _ ogrn: String) throws -> IssuedCertificate {
            try PKIProfiles.intermediate(name: name, key: .gost2012_256, issuer: gostRoot, notBefore: since, years: 30,
                                         policies: [OID.classKC1, OID.classKC2],
                                         subject: PKIProfiles.operatorCASubject(name: name, organization: organisation, innLE: inn, ogrn: ogrn))
        }
        let treasury = try gostCA("Архивный УЦ Казначейства", "Федеральное казначейство (архивный тест)", "7710568760", "1047797019830")
        let fns = try gostCA("Архивный УЦ ФНС", "ФНС России (архивный тест)", "7707329152", "1047707030513")
        let commercial = try gostCA("Архивный коммерческий УЦ", "ООО «Архивный УЦ»", "7811000001", "1157800000001")
        let gostTSA = try PKIProfiles.tsa(key: .gost2012_256, issuer: commercial, notBefore: since, years: 30)
        let rsaRoot = try PKIProfiles.root(name: "Архивный корневой УЦ RSA", key: .rsa(bits: 2048), notBefore: since, years: 30)
        let rsaCA = try PKIProfiles.intermediate(name: "Архивный УЦ RSA", key: .rsa(bits: 2048), issuer: rsaRoot, notBefore: since, years: 30,
                                                 policies: [OID.classKC1, OID.classKC2])
        let rsaTSA = try PKIProfiles.tsa(key: .rsa(bits: 2048), issuer: rsaCA, notBefore: since, years: 30)

        func write(_ name: String, signer: IssuedCertificate, ca: IssuedCertificate, root: IssuedCertificate, tsa: IssuedCertificate,
                   timestamp: Date?, digest: DigestAlgorithm? = nil) throws {
            let signingTime = (timestamp ?? validation).addingTimeInterval(-300)
            var signature = try Signer.sign(.bytes(sampleDocument), identity: signer.identity,
                                            options: SignatureOptions(digest: digest, chain: [ca.certificate], allowWeakAlgorithms: true, signingTime: signingTime))
            if let timestamp {
                let tsaCA = [commercial, rsaCA].first { $0.certificate.subject == tsa.certificate.issuer }!
                let authority = try TimestampAuthority(key: tsa.key, certificate: tsa.certificate, chain: [tsaCA.certificate],
                                                       configuration: .init(clock: { timestamp }), serials: SerialNumberSource(path: nil))
                signature = try Timestamper.addSignatureTimestamps(to: signature, subject: nil,
                                                                   client: TimestampClient(source: LocalTimestampSource(authority))).bytes
            }
            let crls = try [root, treasury, fns, commercial, rsaCA].map {
                try PKIBuilder.issueCRL(issuer: $0.certificate, key: $0.key, thisUpdate: longCRL.this, nextUpdate: longCRL.next, revoked: [], number: 1)
            }
            let evidence = try EvidenceCollector.collect(VerificationRequest(
                signature: signature, signatureName: "\(name).sig", document: .bytes(name: "prikaz-123.txt", sampleDocument),
                trust: TrustStore(anchors: [root.certificate]), certificates: [commercial.certificate, rsaCA.certificate], crls: crls,
                validationTime: validation))
            let data = try JSONEncoder.podpis().encode(evidence)
            try data.write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("\(name).json")))
        }
        func gost(_ name: String, _ subject: [(String, String)], from ca: IssuedCertificate, key: PrivateKey.Kind = .gost2012_256,
                  timestamp: Date?, digest: DigestAlgorithm? = nil) throws {
            let signer = try PKIProfiles.signer(subject: subject, key: key, issuer: ca, notBefore: Self.day("2016-01-01"), notAfter: Self.day("2045-01-01"))
            try write(name, signer: signer, ca: ca, root: gostRoot, tsa: gostTSA, timestamp: timestamp, digest: digest)
        }
        let stamp = Self.day("2026-05-31T10:00:00Z")
        // An official of the administration (a state body) with a Treasury certificate: no power of attorney needed.
        try gost("gost-qualified-t", PKIProfiles.officialSubject(), from: treasury, timestamp: stamp)
        try gost("gost-qualified-b", PKIProfiles.officialSubject(), from: treasury, timestamp: nil)
        // A person's own certificate (ст. 17 ч. 2: ФИО, СНИЛС, ИНН), and one without СНИЛС.
        let person = PKIProfiles.personSubject(surname: "Кузнецова", givenNames: "Ольга Николаевна", inn: "780500000005", snils: "55555555555")
        try gost("gost-personal-t", person, from: commercial, timestamp: stamp)
        try gost("gost-no-snils-t", person.filter { $0.0 != "SNILS" }, from: commercial, timestamp: stamp)
        // A certificate naming only the organisation (ст. 14 ч. 3): no person, no СНИЛС — qualified all the same.
        try gost("gost-organisation-only-t", PKIProfiles.organisationSubject(organization: "Администрация Ленинградской области",
                                                                             ogrn: "1027809244561", innLE: "7842012345"), from: fns, timestamp: stamp)
        // An organisation's certificate naming an employee, from a commercial CA, used in 2026.
        try gost("gost-employee-org-t", PKIProfiles.officialSubject(surname: "Петров", givenNames: "Сергей Иванович", title: "Главный специалист",
                                                                    inn: "780200000002", snils: "22222222222"), from: commercial, timestamp: stamp)
        try gost("gost2001-2018", person, from: commercial, key: .gost2001, timestamp: Self.day("2018-06-01T10:00:00Z"), digest: .gostr341194)
        try gost("gost2001-2020", person, from: commercial, key: .gost2001, timestamp: Self.day("2020-06-01T10:00:00Z"), digest: .gostr341194)

        let european = [("C", "DE"), ("O", "Example GmbH"), ("SN", "Muster"), ("GN", "Erika"), ("CN", "Erika Muster")]
        let employee = try PKIProfiles.signer(subject: european, key: .rsa(bits: 2048), issuer: rsaCA, notBefore: Self.day("2016-01-01"),
                                              notAfter: Self.day("2045-01-01"))
        try write("rsa-advanced-t", signer: employee, ca: rsaCA, root: rsaRoot, tsa: rsaTSA, timestamp: stamp)
        func qcStatements(_ type: String) throws -> [UInt8] {
            DEREncoder.sequence([
                DEREncoder.sequence([try DEREncoder.oid(OID.qcCompliance)]), DEREncoder.sequence([try DEREncoder.oid(OID.qcSSCD)]),
                DEREncoder.sequence([try DEREncoder.oid("0.4.0.1862.1.6"), DEREncoder.sequence([try DEREncoder.oid(type)])]),
            ])
        }
        for (name, type) in [("eu-qualified-t", OID.qcTypeESign), ("eu-seal-t", "0.4.0.1862.1.6.2")] {
            let qualified = try PKIProfiles.signer(
                subject: european, key: .rsa(bits: 2048), issuer: rsaCA, notBefore: Self.day("2016-01-01"), notAfter: Self.day("2045-01-01"),
                extraExtensions: [(oid: "1.3.6.1.5.5.7.1.3", critical: false, der: try qcStatements(type))])
            try write(name, signer: qualified, ca: rsaCA, root: rsaRoot, tsa: rsaTSA, timestamp: stamp)
        }

        func list(_ name: String, root: IssuedCertificate, cas: [IssuedCertificate], periods: [(String, String?)]) throws {
            let authorities = cas.map { ca -> AccreditedAuthority in
                let info = ca.certificate.info()
                return AccreditedAuthority(name: info.subject, inn: info.attribute(OID.innLE), ogrn: info.attribute(OID.ogrn), registryNumber: "001",
                                           certificates: [info.sha256], keyIdentifiers: [info.subjectKeyIdentifier ?? ""],
                                           accreditation: periods.map { AccreditationPeriod(from: Self.day($0.0), until: $0.1.map(Self.day), status: "Действует") })
            }
            let trust = TrustList(name: name, anchors: [root.certificate.fingerprint], authorities: authorities)
            try JSONEncoder.podpis().encode(trust).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("\(name).json")))
        }
        try list("ru-accredited", root: gostRoot, cas: [treasury, fns, commercial], periods: [("2015-01-01", nil)])
        try list("ru-accredited-late", root: gostRoot, cas: [treasury, fns, commercial], periods: [("2020-01-01", nil)])
        try list("ru-not-reaccredited", root: gostRoot, cas: [treasury, fns, commercial], periods: [("2015-01-01", "2022-01-01")])
        try list("eu-trusted", root: rsaRoot, cas: [rsaCA], periods: [("2015-01-01", nil)])
    }
}
