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

        func hierarchy(_ kind: PrivateKey.Kind, _ label: String) throws -> (IssuedCertificate, IssuedCertificate, IssuedCertificate) {
            let root = try PKIProfiles.root(name: "Архивный корневой УЦ \(label)", key: kind, notBefore: since, years: 30)
            let ca = try PKIProfiles.intermediate(name: "Архивный УЦ \(label)", key: kind, issuer: root, notBefore: since, years: 30,
                                                  policies: [OID.classKC1, OID.classKC2])
            let tsa = try PKIProfiles.tsa(key: kind == .gost2012_256 ? .gost2012_256 : .rsa(bits: 2048), issuer: ca, notBefore: since, years: 30)
            return (root, ca, tsa)
        }
        let gost = try hierarchy(.gost2012_256, "ГОСТ")
        let rsa = try hierarchy(.rsa(bits: 2048), "RSA")

        func write(_ name: String, signer: IssuedCertificate, in h: (IssuedCertificate, IssuedCertificate, IssuedCertificate),
                   timestamp: Date?, digest: DigestAlgorithm? = nil) throws {
            let signingTime = (timestamp ?? validation).addingTimeInterval(-300)
            var signature = try Signer.sign(.bytes(sampleDocument), identity: signer.identity,
                                            options: SignatureOptions(digest: digest, chain: [h.1.certificate], allowWeakAlgorithms: true, signingTime: signingTime))
            if let timestamp {
                let authority = try TimestampAuthority(key: h.2.key, certificate: h.2.certificate, chain: [h.1.certificate],
                                                       configuration: .init(clock: { timestamp }), serials: SerialNumberSource(path: nil))
                signature = try Timestamper.addSignatureTimestamps(to: signature, subject: nil,
                                                                   client: TimestampClient(source: LocalTimestampSource(authority))).bytes
            }
            let crls = try [h.0, h.1].map {
                try PKIBuilder.issueCRL(issuer: $0.certificate, key: $0.key, thisUpdate: longCRL.this, nextUpdate: longCRL.next, revoked: [], number: 1)
            }
            let evidence = try EvidenceCollector.collect(VerificationRequest(
                signature: signature, signatureName: "\(name).sig", document: .bytes(name: "prikaz-123.txt", sampleDocument),
                trust: TrustStore(anchors: [h.0.certificate]), crls: crls, validationTime: validation))
            let data = try JSONEncoder.podpis().encode(evidence)
            try data.write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("\(name).json")))
        }

        let official = try PKIProfiles.signer(key: .gost2012_256, issuer: gost.1, notBefore: Self.day("2016-01-01"), notAfter: Self.day("2045-01-01"))
        try write("gost-qualified-t", signer: official, in: gost, timestamp: Self.day("2026-05-31T10:00:00Z"))
        try write("gost-qualified-b", signer: official, in: gost, timestamp: nil)
        var noSNILS = PKIProfiles.officialSubject()
        noSNILS.removeAll { $0.0 == "SNILS" }
        let withoutSNILS = try PKIProfiles.signer(subject: noSNILS, key: .gost2012_256, issuer: gost.1, notBefore: Self.day("2016-01-01"),
                                                  notAfter: Self.day("2045-01-01"))
        try write("gost-no-snils-t", signer: withoutSNILS, in: gost, timestamp: Self.day("2026-05-31T10:00:00Z"))
        let old = try PKIProfiles.signer(key: .gost2001, issuer: gost.1, notBefore: Self.day("2016-01-01"), notAfter: Self.day("2045-01-01"))
        try write("gost2001-2018", signer: old, in: gost, timestamp: Self.day("2018-06-01T10:00:00Z"), digest: .gostr341194)
        try write("gost2001-2020", signer: old, in: gost, timestamp: Self.day("2020-06-01T10:00:00Z"), digest: .gostr341194)
        let employee = try PKIProfiles.signer(
            subject: [("C", "DE"), ("O", "Example GmbH"), ("SN", "Muster"), ("GN", "Erika"), ("CN", "Erika Muster")], key: .rsa(bits: 2048),
            issuer: rsa.1, notBefore: Self.day("2016-01-01"), notAfter: Self.day("2045-01-01"))
        try write("rsa-advanced-t", signer: employee, in: rsa, timestamp: Self.day("2026-05-31T10:00:00Z"))
        let qcStatements = DEREncoder.sequence([
            DEREncoder.sequence([try DEREncoder.oid(OID.qcCompliance)]), DEREncoder.sequence([try DEREncoder.oid(OID.qcSSCD)]),
        ])
        let qualified = try PKIProfiles.signer(
            subject: [("C", "DE"), ("O", "Example GmbH"), ("SN", "Muster"), ("GN", "Erika"), ("CN", "Erika Muster")], key: .rsa(bits: 2048),
            issuer: rsa.1, notBefore: Self.day("2016-01-01"), notAfter: Self.day("2045-01-01"),
            extraExtensions: [(oid: "1.3.6.1.5.5.7.1.3", critical: false, der: qcStatements)])
        try write("eu-qualified-t", signer: qualified, in: rsa, timestamp: Self.day("2026-05-31T10:00:00Z"))

        func list(_ name: String, _ h: (IssuedCertificate, IssuedCertificate, IssuedCertificate), from: String) throws {
            let ca = h.1.certificate.info()
            let authority = AccreditedAuthority(name: ca.subject, inn: "7800000000", ogrn: "1027800000000", registryNumber: "001",
                                                certificates: [ca.sha256], keyIdentifiers: [ca.subjectKeyIdentifier ?? ""],
                                                accreditation: [AccreditationPeriod(from: Self.day(from), until: nil, status: "Действует")])
            let trust = TrustList(name: name, anchors: [h.0.certificate.fingerprint], authorities: [authority])
            try JSONEncoder.podpis().encode(trust).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("\(name).json")))
        }
        try list("ru-accredited", gost, from: "2015-01-01")
        try list("ru-accredited-late", gost, from: "2020-01-01")
        try list("eu-trusted", rsa, from: "2015-01-01")
    }
}
