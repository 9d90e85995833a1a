import EvidenceModel
import Foundation
import PolicyEngine
import SigningCore

/// The verification workflow shared by the CLI and the HTTP service: read inputs, gather evidence with the
/// signing core, judge it with the policy engine.
public struct VerificationJob: Sendable {
    public var signature: [UInt8]
    public var signatureName: String?
    public var document: DocumentInput?
    public var trust: TrustStore
    public var certificates: [X509Certificate]
    public var crls: [CertificateRevocationList]
    public var validationTime: Date?
    public var ocspResponses: [[UInt8]]
    public var revocation: RevocationPolicy
    public var policy: Policy
    public var options: JudgementOptions
    /// Machine-readable powers of attorney (МЧД) the signers act under, with their signatures.
    public var powersOfAttorney: [PowerOfAttorneyReader.Input] = []
    /// Answers of the ФНС registry about those powers of attorney (`--poa-status`).
    public var powerOfAttorneyStatuses: [PowerOfAttorneyReader.StatusInput] = []
    /// What each signature may carry (certificates, revocation objects, signers, …), checked before it is parsed.
    public var limits: SignatureLimits = .standard

    public init(
        signature: [UInt8], signatureName: String?, document: DocumentInput?, trust: TrustStore,
        certificates: [X509Certificate] = [], crls: [CertificateRevocationList] = [], validationTime: Date? = nil,
        ocspResponses: [[UInt8]] = [], revocation: RevocationPolicy = .offline,
        policy: Policy = BuiltinPolicies.default, options: JudgementOptions = JudgementOptions()
    ) {
        self.ocspResponses = ocspResponses
        self.revocation = revocation
        self.signature = signature
        self.signatureName = signatureName
        self.document = document
        self.trust = trust
        self.certificates = certificates
        self.crls = crls
        self.validationTime = validationTime
        self.policy = policy
        self.options = options
    }

    /// Gathers evidence, then judges it.
    public func run() throws -> (evidence: Evidence, report: Report) {
        var evidence = try EvidenceCollector.collect(VerificationRequest(
            signature: signature, signatureName: signatureName, document: document, trust: trust,
            certificates: certificates, crls: crls, validationTime: validationTime, ocspResponses: ocspResponses,
            revocation: revocation, limits: limits))
        if !powersOfAttorney.isEmpty {
            evidence.powersOfAttorney = try PowerOfAttorneyReader.gather(
                powersOfAttorney, statuses: powerOfAttorneyStatuses, trust: trust, certificates: certificates, crls: crls,
                ocspResponses: ocspResponses, revocation: revocation, validationTime: validationTime, limits: limits)
        }
        let report = PolicyEngine().judge(evidence, policy: policy, options: options)
        return (evidence, report)
    }
}

/// Where `verify DOCUMENT` looks for a detached signature when none is named.
public enum SignatureLookup {
    public static let suffixes = [".sig", ".p7s", ".sgn"]
    /// File extensions that mark a file as a signature rather than a document.
    public static let signatureExtensions: Set<String> = ["sig", "p7s", "sgn", "p7m", "p7b", "p7", "cms", "pkcs7", "b64"]
    /// File extensions of ASiC containers (ETSI EN 319 162-1: `.asice`/`.sce`, `.asics`/`.scs`).
    public static let containerExtensions: Set<String> = ["asice", "asics", "sce", "scs"]

    public static func find(for document: String) -> String? {
        suffixes.map { document + $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The inverse: the document a detached signature file belongs to (`X.sig`, `X.p7s`, `X.sgn` → `X`), if it exists.
    public static func document(for signature: String) -> String? {
        suffixes.first { signature.lowercased().hasSuffix($0) }
            .map { String(signature.dropLast($0.count)) }
            .flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    }
}
