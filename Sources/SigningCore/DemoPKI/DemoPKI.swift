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
        policies: [String] = [], subject: [(String, String)]? = nil
    ) throws -> IssuedCertificate {
        let privateKey = try PrivateKey.generate(key)
        let template = CertificateTemplate(
            subject: subject ?? [("C", "RU"), ("O", "podpis demo"), ("CN", name)], notBefore: notBefore,
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

    /// The subject of a CA certificate naming the organisation that operates the CA by its ИНН ЮЛ and ОГРН, as the
    /// CA certificates of УЦ ФНС, УЦ Федерального казначейства and commercial accredited CAs do. 63-ФЗ rules that
    /// depend on who issued a certificate (ст. 17.2) read the operator from here.
    public static func operatorCASubject(name: String, organization: String, innLE: String, ogrn: String) -> [(String, String)] {
        [("C", "RU"), ("ST", "77 Москва"), ("L", "Москва"), ("O", organization), ("CN", name), ("OGRN", ogrn), (OID.innLE, innLE)]
    }

    /// A natural person's qualified certificate (63-ФЗ ст. 17 ч. 2): full name, СНИЛС and ИНН; no organisation.
    public static func personSubject(surname: String, givenNames: String, inn: String, snils: String) -> [(String, String)] {
        [("C", "RU"), ("ST", "78 Санкт-Петербург"), ("L", "Санкт-Петербург"), ("SN", surname), ("GN", givenNames),
         ("CN", "\(surname) \(givenNames)"), ("INN", inn), ("SNILS", snils)]
    }

    /// A certificate naming only an organisation (63-ФЗ ст. 14 ч. 3, e.g. for automatic signing): name, location,
    /// ОГРН and ИНН ЮЛ; no natural person, no СНИЛС.
    public static func organisationSubject(organization: String, ogrn: String, innLE: String) -> [(String, String)] {
        [("C", "RU"), ("ST", "47 Ленинградская область"), ("L", "Санкт-Петербург"), ("street", "Суворовский пр., д. 67"),
         ("O", organization), ("CN", organization), ("OGRN", ogrn), (OID.innLE, innLE)]
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

    /// The demo's stand-in for УЦ Федерального казначейства: the operator's real ИНН ЮЛ and ОГРН, so that 63-ФЗ's
    /// rules about who issued a certificate apply to it as to the real one; its name says it is a demonstration.
    public static func treasuryCASubject(name: String) -> [(String, String)] {
        PKIProfiles.operatorCASubject(name: name, organization: "Федеральное казначейство (демонстрационный УЦ podpis)",
                                      innLE: "7710568760", ogrn: "1047797019830")
    }

    /// A commercial accredited CA of the demo (invented identifiers).
    public static let commercialCASubject = PKIProfiles.operatorCASubject(
        name: "podpis demo ГОСТ accredited CA", organization: "ООО «Демо УЦ» (демонстрационный УЦ podpis)",
        innLE: "7811000001", ogrn: "1157800000001")

    /// The administration's head, acting for it without a power of attorney (invented person).
    public static let headSubject = PKIProfiles.officialSubject(
        surname: "Смирнов", givenNames: "Алексей Викторович", title: "Руководитель администрации", inn: "780400000004", snils: "44444444444")

    /// An employee with a personal certificate (invented person).
    public static let employeeSubject = PKIProfiles.personSubject(
        surname: "Кузнецова", givenNames: "Ольга Николаевна", inn: "780500000005", snils: "55555555555")

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
            // The GOST issuing CA plays the Federal Treasury's CA: officials of state bodies get their certificates
            // there and sign without a power of attorney (63-ФЗ ч. 3 ст. 17.2). Its subject names the operator.
            let ca = try PKIProfiles.intermediate(
                name: "podpis demo \(label) issuing CA", key: kind, issuer: root,
                crlURL: "\(baseURL)/crl/\(prefix)-root.crl", policies: [OID.classKC1, OID.classKC2],
                subject: prefix == "gost" ? Self.treasuryCASubject(name: "podpis demo \(label) issuing CA") : nil)
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
            if prefix == "gost" {
                // For the power-of-attorney path: the administration's head (acts without a power of attorney, a
                // certificate of the state CA), and an employee with a personal certificate from a commercial
                // accredited CA, who signs letters for the administration under the head's МЧД (63-ФЗ ст. 17.2).
                let head = try PKIProfiles.signer(
                    subject: Self.headSubject, key: kind, issuer: ca, notBefore: now.addingTimeInterval(-PKIProfiles.day),
                    crlURL: "\(baseURL)/crl/gost-ca.crl", ocspURL: "\(baseURL)/ocsp/gost-ca")
                try save(head, "head-gost")
                let personal = try PKIProfiles.intermediate(
                    name: "podpis demo ГОСТ accredited CA", key: kind, issuer: root, crlURL: "\(baseURL)/crl/gost-root.crl",
                    policies: [OID.classKC1, OID.classKC2], subject: Self.commercialCASubject)
                let employee = try PKIProfiles.signer(
                    subject: Self.employeeSubject, key: kind, issuer: personal, notBefore: now.addingTimeInterval(-PKIProfiles.day),
                    crlURL: "\(baseURL)/crl/gost-ca-personal.crl", ocspURL: "\(baseURL)/ocsp/gost-ca-personal")
                try save(personal, "gost-ca-personal")
                try save(employee, "employee-gost")
                // A GOST timestamping authority: a qualified signature's timestamps use GOST too (ru-63fz-qualified).
                try save(try PKIProfiles.tsa(name: "podpis demo ГОСТ TSA", key: kind, issuer: personal,
                                             crlURL: "\(baseURL)/crl/gost-ca-personal.crl"), "tsa-gost")
                try FileInput.writeAtomically(try CertificateFiles.pem([personal.certificate]), to: layout.path("gost-personal-chain.pem"))
                try saveCRL(try PKIBuilder.issueCRL(issuer: personal.certificate, key: personal.key, thisUpdate: now,
                                                    nextUpdate: now.addingTimeInterval(7 * PKIProfiles.day), revoked: [], number: 1),
                            "gost-ca-personal")
            }
        }
        let readme = """
            podpis demo PKI — made \(ISO8601DateFormatter().string(from: now)); for demonstrations and tests only.

            trust/              trust anchors (the roots): pass with --trust \(layout.trustDirectory)
            rsa-root.*          RSA root CA (certificate .pem, key .key)
            rsa-ca.*            RSA issuing CA; rsa-chain.pem holds it for --chain
            official-rsa.*      an official's signing certificate and key (RSA-2048)
            gost-root.*, gost-ca.*, official-gost.*, gost-chain.pem   the same with GOST R 34.10-2012 (256); gost-ca plays
                                the Federal Treasury's CA (officials of state bodies)
            head-gost.*         the administration's head (signs powers of attorney)
            tsa-gost.*          a GOST timestamping authority (for qualified signatures)
            gost-ca-personal.*, employee-gost.*, gost-personal-chain.pem   a commercial accredited CA and an employee's
                                personal certificate (signs for the administration under a МЧД)
            tsa.*               timestamping authority (critical timeStamping EKU)
            ocsp.*              OCSP responder
            *.crl               CRLs of each CA (empty; valid 7 days for issuing CAs)

            """
        try FileInput.writeAtomically(Array(readme.utf8), to: layout.path("README.txt"))
        return layout
    }
}

/// `podpis pki serve DIR`: the revocation services of a demo PKI folder — a fresh CRL per request and an OCSP
/// responder for each CA, both reading the folder's `revoked.txt` (written by `podpis pki revoke`).
public final class DemoPKIService: Sendable {
    struct Authority: Sendable {
        let name: String
        let issued: IssuedCertificate
        let responder: IssuedCertificate
        let serials: Set<String>
    }
    let directory: String
    let authorities: [String: Authority]

    public static let authorityNames = ["rsa-root", "rsa-ca", "gost-root", "gost-ca", "gost-ca-personal"]

    public init(directory: String) throws {
        CryptoLibrary.initialize()
        self.directory = directory
        func load(_ name: String) throws -> IssuedCertificate? {
            let certPath = (directory as NSString).appendingPathComponent("\(name).pem")
            let keyPath = (directory as NSString).appendingPathComponent("\(name).key")
            guard FileManager.default.fileExists(atPath: certPath), FileManager.default.fileExists(atPath: keyPath) else { return nil }
            let cert = try X509Certificate.parseAll(FileInput.readSmallFile(path: certPath, limit: 1 << 20), subject: certPath)[0]
            let key = try KeyLoader.load(path: keyPath) { throw PodpisError(.configuration, "demo keys are not encrypted", subject: keyPath) }.key
            return IssuedCertificate(certificate: cert, key: key)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".pem") }
        let all = names.compactMap { try? X509Certificate.parseAll(FileInput.readSmallFile(path: (directory as NSString).appendingPathComponent($0), limit: 1 << 20)) }.flatMap { $0 }
        let ocsp = try load("ocsp")
        var authorities: [String: Authority] = [:]
        for name in Self.authorityNames {
            guard let ca = try load(name) else { continue }
            let serials = Set(all.filter { $0.issuer == ca.certificate.subject && $0 != ca.certificate }.map(\.serialHex))
            let responder = (ocsp != nil && ocsp!.certificate.issuer == ca.certificate.subject) ? ocsp! : ca
            authorities[name] = Authority(name: name, issued: ca, responder: responder, serials: serials)
        }
        guard !authorities.isEmpty else { throw PodpisError(.configuration, "no demo CA found (made by `podpis pki demo`)", subject: directory) }
        self.authorities = authorities
    }

    var revocationFile: String { (directory as NSString).appendingPathComponent("revoked.txt") }

    /// Revocations of one CA: serial → (date, reason).
    func revocations(of name: String) -> [String: (Date, RevocationReason?)] {
        guard let text = try? String(contentsOfFile: revocationFile, encoding: .utf8) else { return [:] }
        var result: [String: (Date, RevocationReason?)] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ").map(String.init)
            guard parts.count >= 3, parts[0] == name, let date = ISO8601DateFormatter().date(from: parts[2]) else { continue }
            let reason = parts.count > 3 ? RevocationReason.known.first { $0.rawValue == parts[3] } : nil
            result[parts[1].uppercased()] = (date, reason)
        }
        return result
    }

    /// A fresh DER CRL for `rsa-ca.crl` and the like.
    public func crl(named file: String) throws -> [UInt8]? {
        let name = file.hasSuffix(".crl") ? String(file.dropLast(4)) : file
        guard let authority = authorities[name] else { return nil }
        let now = Date().wholeSeconds
        let revoked = revocations(of: name).map { RevokedCertificate(serial: $0.key, date: $0.value.0, reason: $0.value.1) }
        let crl = try PKIBuilder.issueCRL(issuer: authority.issued.certificate, key: authority.issued.key, thisUpdate: now.addingTimeInterval(-60),
                                          nextUpdate: now.addingTimeInterval(86_400), revoked: revoked, number: Int(now.timeIntervalSince1970))
        return crl.der
    }

    /// An OCSP answer from CA `name`'s responder.
    public func ocsp(ca name: String, request: [UInt8]) throws -> [UInt8]? {
        guard let authority = authorities[name] else { return nil }
        let revoked = revocations(of: name)
        let responder = OCSPResponder(ca: authority.issued.certificate, signer: authority.responder.certificate, key: authority.responder.key,
                                      validity: 3600) { serial in
            if let (date, reason) = revoked[serial] { return .revoked(date, reason) }
            return authority.serials.contains(serial) ? .good : .unknown
        }
        return try responder.respond(to: request)
    }

    /// Records a revocation in the folder's `revoked.txt`.
    public static func revoke(directory: String, certificate: X509Certificate, at date: Date, reason: RevocationReason) throws {
        let service = try DemoPKIService(directory: directory)
        guard let authority = service.authorities.values.first(where: { $0.issued.certificate.subject == certificate.issuer }) else {
            throw PodpisError(.usage, "the certificate was not issued by a CA of this demo PKI", subject: directory)
        }
        let line = "\(authority.name) \(certificate.serialHex) \(ISO8601DateFormatter().string(from: date)) \(reason.rawValue)\n"
        let path = service.revocationFile
        let existing = (try? FileInput.readSmallFile(path: path, limit: 16 << 20)) ?? []
        try FileInput.writeAtomically(existing + Array(line.utf8), to: path)
    }
}
