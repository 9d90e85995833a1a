import EvidenceModel
import Foundation
import PodpisContainer
import PodpisPDF
import PolicyEngine
import SigningCore

/// The verification workflow shared by the CLI and the HTTP service: read inputs, gather evidence with the
/// signing core, judge it with the policy engine. The request's fields (the signature, the document and the
/// settings) read and write through the job itself (`job.trust`).
@dynamicMemberLookup
public struct VerificationJob: Sendable {
    public var request: VerificationRequest
    public var policy: Policy
    public var options: JudgementOptions
    /// Machine-readable powers of attorney (МЧД) the signers act under, with their signatures.
    public var powersOfAttorney: [PowerOfAttorneyReader.Input] = []
    /// Answers of the ФНС registry about those powers of attorney (`--poa-status`).
    public var powerOfAttorneyStatuses: [PowerOfAttorneyReader.StatusInput] = []

    public init(request: VerificationRequest, policy: Policy = BuiltinPolicies.default, options: JudgementOptions = JudgementOptions()) {
        self.request = request
        self.policy = policy
        self.options = options
    }

    public init(
        signature: [UInt8], signatureName: String?, document: DocumentInput?, trust: TrustStore,
        certificates: [X509Certificate] = [], crls: [CertificateRevocationList] = [], validationTime: Date? = nil,
        ocspResponses: [[UInt8]] = [], revocation: RevocationPolicy = .offline,
        policy: Policy = BuiltinPolicies.default, options: JudgementOptions = JudgementOptions()
    ) {
        self.init(request: VerificationRequest(
            signature: signature, signatureName: signatureName, document: document, trust: trust, certificates: certificates,
            crls: crls, validationTime: validationTime, ocspResponses: ocspResponses, revocation: revocation),
                  policy: policy, options: options)
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<VerificationRequest, T>) -> T {
        get { request[keyPath: keyPath] }
        set { request[keyPath: keyPath] = newValue }
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<VerificationSettings, T>) -> T {
        get { request.settings[keyPath: keyPath] }
        set { request.settings[keyPath: keyPath] = newValue }
    }

    /// Gathers evidence, then judges it.
    public func run() throws -> (evidence: Evidence, report: Report) {
        var evidence = try EvidenceCollector.collect(request)
        if let powers = try PowerOfAttorneyReader.gather(powersOfAttorney, statuses: powerOfAttorneyStatuses, settings: request.settings) {
            evidence.powersOfAttorney = powers
        }
        let report = PolicyEngine().judge(evidence, policy: policy, options: options)
        return (evidence, report)
    }
}

/// What a file given alone (no signature named for it) is verified as: one rule for `verify FILE` and for each item
/// of a batch.
public enum SignedFileKind: Sendable, Equatable {
    /// An ASiC container: recognised by content (``ASiCContainer/recognises(path:)``), or — with no detached
    /// signature beside it — any ZIP or a file named as a container, which then gets the container reader's precise
    /// error rather than "not a signature".
    case container
    /// A PDF that holds a signature (`%PDF-` and a `/ByteRange`), with no detached signature beside it.
    case signedPDF
    /// Anything else: a CMS signature (attached), or a document whose detached signature lies beside it.
    case signature

    /// - Parameter detachedSignatureBeside: whether a detached signature for `path` lies beside it (`X.sig`, …):
    ///   then only a file that is a container by content is read as one.
    public static func of(path: String, detachedSignatureBeside: Bool) -> SignedFileKind {
        if ASiCContainer.recognises(path: path) { return .container }
        guard !detachedSignatureBeside else { return .signature }
        let ext = (path as NSString).pathExtension.lowercased()
        if SignatureLookup.containerExtensions.contains(ext) || GuardedZIP.looksLikeZIP(path: path) { return .container }
        if SignedPDF.looksLikeSignedPDF(path: path) { return .signedPDF }
        return .signature
    }

    /// `verify FILE` with no signature named: a detached signature beside the file counts.
    public static func of(path: String) -> SignedFileKind {
        of(path: path, detachedSignatureBeside: SignatureLookup.find(for: path) != nil)
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
