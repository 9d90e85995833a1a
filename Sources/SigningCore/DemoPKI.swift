import EvidenceModel
import Foundation

/// A certificate with its private key.
public struct IssuedCertificate: Sendable {
    public let certificate: X509Certificate
    public let key: PrivateKey
    public var identity: SigningIdentity { SigningIdentity(key: key, certificate: certificate) }
    public init(certificate: X509Certificate, key: PrivateKey) {
        self.certificate = certificate
        self.key = key
    }
}

/// Ready-made certificate profiles for the demo PKI and the test suite.
public enum PKIProfiles {
    public static let day: TimeInterval = 86_400

    /// A self-signed root CA.
    public static func root(
        name: String, key: PrivateKey.Kind, notBefore: Date = Date().addingTimeInterval(-30 * day),
        years: Double = 10, digest: DigestAlgorithm? = nil
    ) throws -> IssuedCertificate {
        let privateKey = try PrivateKey.generate(key)
        let template = CertificateTemplate(
            subject: [("C", "RU"), ("O", "podpis demo"), ("CN", name)], notBefore: notBefore,
            notAfter: notBefore.addingTimeInterval(years * 365 * day), isCA: true,
            keyUsage: ["keyCertSign", "cRLSign"], signatureDigest: digest)
        return IssuedCertificate(certificate: try PKIBuilder.issue(template, subjectKey: privateKey, issuer: nil), key: privateKey)
    }

    /// An issuing CA under `issuer`.
    public static func intermediate(
        name: String, key: PrivateKey.Kind, issuer: IssuedCertificate, notBefore: Date = Date().addingTimeInterval(-20 * day),
        years: Double = 5, pathLength: Int? = 0, crlURL: String? = nil, digest: DigestAlgorithm? = nil,
        policies: [String] = []
    ) throws -> IssuedCertificate {
        let privateKey = try PrivateKey.generate(key)
        let template = CertificateTemplate(
            subject: [("C", "RU"), ("O", "podpis demo"), ("CN", name)], notBefore: notBefore,
            notAfter: notBefore.addingTimeInterval(years * 365 * day), isCA: true, pathLength: pathLength,
            keyUsage: ["keyCertSign", "cRLSign"], policies: policies,
            crlDistributionPoints: crlURL.map { [$0] } ?? [], signatureDigest: digest)
        return IssuedCertificate(
            certificate: try PKIBuilder.issue(template, subjectKey: privateKey, issuer: (issuer.certificate, issuer.key)),
            key: privateKey)
    }

    /// The subject of a Russian official's qualified certificate (Приказ ФСБ № 795 attributes).
    public static func officialSubject(
        surname: String = "Иванова", givenNames: String = "Мария Петровна", title: String = "Начальник отдела делопроизводства",
        organization: String = "Администрация Ленинградской области", inn: String = "784512345678",
        snils: String = "12345678901", ogrn: String = "1027809244561", innLE: String = "7842012345"
    ) -> [(String, String)] {
        [
            ("C", "RU"), ("ST", "47 Ленинградская область"), ("L", "Санкт-Петербург"), ("O", organization),
            ("title", title), ("SN", surname), ("GN", givenNames), ("CN", "\(surname) \(givenNames)"),
            ("INN", inn), ("SNILS", snils), ("OGRN", ogrn), (OID.innLE, innLE),
        ]
    }

    /// An end-entity signing certificate. Defaults: a qualified-style official's certificate valid for a year.
    public static func signer(
        subject: [(String, String)] = officialSubject(), key: PrivateKey.Kind, issuer: IssuedCertificate,
        notBefore: Date = Date().addingTimeInterval(-10 * day), notAfter: Date? = nil,
        keyUsage: [String] = ["digitalSignature", "nonRepudiation"],
        extendedKeyUsage: [String] = [OID.ekuEmailProtection, OID.ekuClientAuth],
        policies: [String] = [OID.classKC1, OID.classKC2], crlURL: String? = nil, ocspURL: String? = nil,
        digest: DigestAlgorithm? = nil, serial: [UInt8]? = nil, extraExtensions: [(oid: String, critical: Bool, der: [UInt8])] = [],
        omitKeyIdentifiers: Bool = false
    ) throws -> IssuedCertificate {
        let privateKey = try PrivateKey.generate(key)
        let template = CertificateTemplate(
            subject: subject, serial: serial, notBefore: notBefore, notAfter: notAfter ?? notBefore.addingTimeInterval(365 * day),
            keyUsage: keyUsage, extendedKeyUsage: extendedKeyUsage, policies: policies,
            crlDistributionPoints: crlURL.map { [$0] } ?? [], ocspURL: ocspURL,
            subjectSignTool: "СКЗИ «КриптоПро CSP» (версия 5.0)",
            issuerSignTool: ["ПАКМ «КриптоПро HSM» версии 2.0", "ПАК «КриптоПро УЦ» версии 2.0",
                             "Сертификат соответствия № СФ/124-3966", "Сертификат соответствия № СФ/128-4272"],
            extraExtensions: extraExtensions, signatureDigest: digest, omitKeyIdentifiers: omitKeyIdentifiers)
        return IssuedCertificate(
            certificate: try PKIBuilder.issue(template, subjectKey: privateKey, issuer: (issuer.certificate, issuer.key)),
            key: privateKey)
    }

    /// A timestamping certificate (critical timeStamping EKU).
    public static func tsa(
        name: String = "podpis demo TSA", key: PrivateKey.Kind, issuer: IssuedCertificate, critical: Bool = true,
        eku: [String] = [OID.ekuTimeStamping], notBefore: Date = Date().addingTimeInterval(-10 * day), years: Double = 3,
        crlURL: String? = nil
    ) throws -> IssuedCertificate {
        let privateKey = try PrivateKey.generate(key)
        let template = CertificateTemplate(
            subject: [("C", "RU"), ("O", "podpis demo"), ("CN", name)], notBefore: notBefore,
            notAfter: notBefore.addingTimeInterval(years * 365 * day), keyUsage: ["digitalSignature", "nonRepudiation"],
            extendedKeyUsage: eku, extendedKeyUsageCritical: critical, crlDistributionPoints: crlURL.map { [$0] } ?? [])
        return IssuedCertificate(
            certificate: try PKIBuilder.issue(template, subjectKey: privateKey, issuer: (issuer.certificate, issuer.key)),
            key: privateKey)
    }

    /// An OCSP responder certificate (OCSPSigning EKU, id-pkix-ocsp-nocheck).
    public static func ocspResponder(
        name: String = "podpis demo OCSP", key: PrivateKey.Kind, issuer: IssuedCertificate,
        notBefore: Date = Date().addingTimeInterval(-10 * day), years: Double = 1
    ) throws -> IssuedCertificate {
        let privateKey = try PrivateKey.generate(key)
        let template = CertificateTemplate(
            subject: [("C", "RU"), ("O", "podpis demo"), ("CN", name)], notBefore: notBefore,
            notAfter: notBefore.addingTimeInterval(years * 365 * day), keyUsage: ["digitalSignature"],
            extendedKeyUsage: [OID.ekuOCSPSigning],
            extraExtensions: [(oid: "1.3.6.1.5.5.7.48.1.5", critical: false, der: [0x05, 0x00])])
        return IssuedCertificate(
            certificate: try PKIBuilder.issue(template, subjectKey: privateKey, issuer: (issuer.certificate, issuer.key)),
            key: privateKey)
    }
}

/// `podpis pki demo DIR`: a complete demo PKI on disk — RSA and GOST hierarchies, officials' qualified-style
/// certificates, a TSA and an OCSP responder certificate, and CRLs.
public enum DemoPKI {
    public struct Layout: Sendable {
        public let directory: String
        public func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        public var trustDirectory: String { path("trust") }
    }

    /// The base URL the demo's CRL distribution points and OCSP AIA point at (served by `podpis pki serve`).
    public static let defaultBaseURL = "http://127.0.0.1:8790"

    @discardableResult
    public static func create(in directory: String, baseURL: String = defaultBaseURL, includeGOST: Bool = CryptoLibrary.gostAvailable) throws -> Layout {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let layout = Layout(directory: directory)
        try manager.createDirectory(atPath: layout.trustDirectory, withIntermediateDirectories: true)
        let now = Date().wholeSeconds

        func save(_ issued: IssuedCertificate, _ name: String) throws {
            try FileInput.writeAtomically(try CertificateFiles.pem([issued.certificate]), to: layout.path("\(name).pem"))
            try FileInput.writeAtomically(try issued.key.pem(), to: layout.path("\(name).key"), mode: 0o600)
        }
        func saveCRL(_ crl: CertificateRevocationList, _ name: String) throws {
            try FileInput.writeAtomically(try crl.pem(), to: layout.path("\(name).crl"))
        }

        var hierarchies: [(prefix: String, key: PrivateKey.Kind, label: String)] = [("rsa", .rsa(bits: 2048), "RSA")]
        if includeGOST { hierarchies.append(("gost", .gost2012_256, "ГОСТ")) }
        for (prefix, kind, label) in hierarchies {
            let root = try PKIProfiles.root(name: "podpis demo \(label) root CA", key: kind, notBefore: now.addingTimeInterval(-30 * PKIProfiles.day))
            let ca = try PKIProfiles.intermediate(
                name: "podpis demo \(label) issuing CA", key: kind, issuer: root,
                crlURL: "\(baseURL)/crl/\(prefix)-root.crl", policies: [OID.classKC1, OID.classKC2])
            // Two officials: the GOST one signs orders, the RSA one (a deputy head) co-signs.
            let subject = prefix == "gost" ? PKIProfiles.officialSubject() : PKIProfiles.officialSubject(
                surname: "Петров", givenNames: "Сергей Иванович", title: "Заместитель Председателя Правительства",
                inn: "780123456789", snils: "98765432109")
            let official = try PKIProfiles.signer(
                subject: subject, key: kind, issuer: ca, notBefore: now.addingTimeInterval(-PKIProfiles.day),
                crlURL: "\(baseURL)/crl/\(prefix)-ca.crl", ocspURL: "\(baseURL)/ocsp/\(prefix)-ca")
            try save(root, "\(prefix)-root")
            try save(ca, "\(prefix)-ca")
            try save(official, "official-\(prefix)")
            try FileInput.writeAtomically(try CertificateFiles.pem([root.certificate]), to: (layout.trustDirectory as NSString).appendingPathComponent("\(prefix)-root.pem"))
            try FileInput.writeAtomically(try CertificateFiles.pem([ca.certificate]), to: layout.path("\(prefix)-chain.pem"))
            let rootCRL = try PKIBuilder.issueCRL(issuer: root.certificate, key: root.key, thisUpdate: now,
                                                  nextUpdate: now.addingTimeInterval(30 * PKIProfiles.day), revoked: [], number: 1)
            let caCRL = try PKIBuilder.issueCRL(issuer: ca.certificate, key: ca.key, thisUpdate: now,
                                                nextUpdate: now.addingTimeInterval(7 * PKIProfiles.day), revoked: [], number: 1)
            try saveCRL(rootCRL, "\(prefix)-root")
            try saveCRL(caCRL, "\(prefix)-ca")
            if prefix == "rsa" {
                try save(try PKIProfiles.tsa(key: .rsa(bits: 2048), issuer: ca, crlURL: "\(baseURL)/crl/rsa-ca.crl"), "tsa")
                try save(try PKIProfiles.ocspResponder(key: .rsa(bits: 2048), issuer: ca), "ocsp")
            }
        }
        let readme = """
            podpis demo PKI — made \(ISO8601DateFormatter().string(from: now)); for demonstrations and tests only.

            trust/              trust anchors (the roots): pass with --trust \(layout.trustDirectory)
            rsa-root.*          RSA root CA (certificate .pem, key .key)
            rsa-ca.*            RSA issuing CA; rsa-chain.pem holds it for --chain
            official-rsa.*      an official's signing certificate and key (RSA-2048)
            gost-root.*, gost-ca.*, official-gost.*, gost-chain.pem   the same with GOST R 34.10-2012 (256)
            tsa.*               timestamping authority (critical timeStamping EKU)
            ocsp.*              OCSP responder
            *.crl               CRLs of each CA (empty; valid 7 days for issuing CAs)

            """
        try FileInput.writeAtomically(Array(readme.utf8), to: layout.path("README.txt"))
        return layout
    }
}
