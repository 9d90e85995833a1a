import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
@testable import SigningCore

/// The key algorithms the negative matrix runs over.
enum Algorithm: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case rsa, ec, gost

    var kind: PrivateKey.Kind {
        switch self {
        case .rsa: .rsa(bits: 2048)
        case .ec: .ec(curve: "P-256")
        case .gost: .gost2012_256
        }
    }

    var testDescription: String { rawValue }

    /// The algorithms this machine can test: GOST only where OpenSSL's GOST engine loads (the GOST-only tests carry
    /// `.needsGOST` and say why they are skipped).
    static var testable: [Algorithm] { allCases.filter { $0 != .gost || CryptoLibrary.gostAvailable } }
}

import Testing

/// A two-level hierarchy (root → issuing CA) per algorithm, built once per test process.
struct Hierarchy: Sendable {
    let algorithm: Algorithm
    let root: IssuedCertificate
    let ca: IssuedCertificate

    static let rsa = try! Hierarchy(.rsa)
    static let ec = try! Hierarchy(.ec)
    static let gost = try! Hierarchy(.gost)

    static func of(_ algorithm: Algorithm) -> Hierarchy {
        switch algorithm {
        case .rsa: rsa
        case .ec: ec
        case .gost: gost
        }
    }

    init(_ algorithm: Algorithm) throws {
        self.algorithm = algorithm
        root = try PKIProfiles.root(name: "Test \(algorithm.rawValue) root", key: algorithm.kind)
        ca = try PKIProfiles.intermediate(name: "Test \(algorithm.rawValue) CA", key: algorithm.kind, issuer: root)
    }

    var trust: TrustStore { TrustStore(anchors: [root.certificate]) }

    /// A fresh signer with the defaults of a qualified official's certificate, overridable.
    func signer(
        notBefore: Date = Date().addingTimeInterval(-10 * 86_400), notAfter: Date? = nil,
        keyUsage: [String] = ["digitalSignature", "nonRepudiation"], crlURL: String? = nil,
        digest: DigestAlgorithm? = nil, key: PrivateKey.Kind? = nil, serial: [UInt8]? = nil,
        extraExtensions: [(oid: String, critical: Bool, der: [UInt8])] = []
    ) throws -> IssuedCertificate {
        try PKIProfiles.signer(key: key ?? algorithm.kind, issuer: ca, notBefore: notBefore, notAfter: notAfter,
                               keyUsage: keyUsage, crlURL: crlURL, digest: digest, serial: serial,
                               extraExtensions: extraExtensions)
    }

    func crl(revoking: [RevokedCertificate] = [], by issuer: IssuedCertificate? = nil, thisUpdate: Date = Date().addingTimeInterval(-3600),
             nextUpdate: Date = Date().addingTimeInterval(7 * 86_400)) throws -> CertificateRevocationList {
        let issuer = issuer ?? ca
        return try PKIBuilder.issueCRL(issuer: issuer.certificate, key: issuer.key, thisUpdate: thisUpdate,
                                       nextUpdate: nextUpdate, revoked: revoking, number: 1)
    }
}

let sampleDocument = Array("ПРИКАЗ № 123 — образец документа для проверки подписи\n".utf8)

/// Signs `document` and verifies under the default policy; returns evidence and report.
func signAndJudge(
    _ signer: IssuedCertificate, hierarchy: Hierarchy, document: [UInt8] = sampleDocument,
    verifyDocument: [UInt8]?? = .none, options: SignatureOptions = SignatureOptions(),
    chain: [X509Certificate]? = nil, trust: TrustStore? = nil, crls: [CertificateRevocationList]? = nil,
    at: Date? = nil, language: Language = .en, mutate: (([UInt8]) throws -> [UInt8])? = nil
) throws -> (Evidence, Report) {
    var options = options
    options.chain = chain ?? [hierarchy.ca.certificate]
    var signature = try Signer.sign(.bytes(document), identity: signer.identity, options: options)
    if let mutate { signature = try mutate(signature) }
    return try judge(signature, document: verifyDocument ?? document, hierarchy: hierarchy, trust: trust, crls: crls, at: at,
                     language: language)
}

func judge(
    _ signature: [UInt8], document: [UInt8]?, hierarchy: Hierarchy, trust: TrustStore? = nil,
    crls: [CertificateRevocationList]? = nil, certificates: [X509Certificate] = [], at: Date? = nil,
    policy: Policy = BuiltinPolicies.default, language: Language = .en
) throws -> (Evidence, Report) {
    let defaultCRLs = [try hierarchy.crl(), try hierarchy.crl(by: hierarchy.root)]
    let job = VerificationInput(
        signature: signature, signatureName: "test.sig", document: document.map { .bytes(name: "document.txt", $0) },
        trust: trust ?? hierarchy.trust, certificates: certificates, crls: crls ?? defaultCRLs, validationTime: at,
        policy: policy, options: JudgementOptions(language: language))
    return try Verifier.verify(job)
}

/// A fresh temporary folder, removed by the caller with `cleanup`.
struct TemporaryFolder {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "podpis-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    func write(_ name: String, _ bytes: [UInt8], mode: Int = 0o644) throws -> String {
        let target = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        chmod(target, mode_t(mode))
        return target
    }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

extension Hierarchy {
    /// A timestamping authority under this hierarchy's CA, with an adjustable clock.
    func authority(clock: @escaping @Sendable () -> Date = { Date() }, critical: Bool = true,
                   notBefore: Date = Date().addingTimeInterval(-10 * 86_400)) throws -> (TimestampAuthority, IssuedCertificate) {
        let tsa = try PKIProfiles.tsa(key: algorithm == .gost ? .gost2012_256 : .rsa(bits: 2048), issuer: ca, critical: critical, notBefore: notBefore)
        let authority = try TimestampAuthority(
            key: tsa.key, certificate: tsa.certificate, chain: [ca.certificate],
            configuration: TimestampAuthority.Configuration(clock: clock), serials: SerialNumberSource(path: nil))
        return (authority, tsa)
    }

    /// Signs `document` and adds a signature-time-stamp from `authority`.
    func timestampedSignature(_ signer: IssuedCertificate, authority: TimestampAuthority, document: [UInt8] = sampleDocument,
                              options: SignatureOptions = SignatureOptions()) throws -> [UInt8] {
        var options = options
        options.chain = [ca.certificate]
        let signature = try Signer.sign(.bytes(document), identity: signer.identity, options: options)
        return try Timestamper.addSignatureTimestamps(to: signature, subject: nil,
                                                      client: TimestampClient(source: LocalTimestampSource(authority))).bytes
    }
}

extension Hierarchy {
    /// An OCSP answer for `certificate` from a responder of this hierarchy's CA.
    func ocspAnswer(for certificate: X509Certificate, status: OCSPResponder.CertificateStatus, signer: IssuedCertificate? = nil,
                    at time: Date = Date(), validity: TimeInterval = 3600) throws -> [UInt8] {
        let responder = signer ?? ca
        let ocsp = OCSPResponder(ca: ca.certificate, signer: responder.certificate, key: responder.key, validity: validity,
                                 clock: { time }, lookup: { _ in status })
        return try ocsp.respond(to: try OCSP.request(for: certificate, issuer: ca.certificate))
    }
}
