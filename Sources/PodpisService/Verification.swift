import EvidenceModel
import Foundation
import PodpisContainer
import PodpisPDF
import PolicyEngine
import SigningCore

/// What one verification examines: a CMS signature (attached, or detached with its document, the document's bytes
/// or only its digest), an ASiC container, or a signed PDF.
public enum SignedSubject: Sendable {
    /// Where a container or a PDF comes from: a file, or bytes held in memory (an upload).
    public enum Source: Sendable {
        case file(path: String)
        case bytes([UInt8], name: String?)
    }

    /// A CMS signature; `document` is nil for an attached signature (or a timestamp token alone).
    case signature([UInt8], name: String?, document: DocumentInput?)
    /// An ASiC-E or ASiC-S container: every signature in it, plus the container checks.
    case container(Source)
    /// A signed PDF: every signature and document timestamp over its byte range, plus the PDF checks.
    case pdf(Source)
}

/// Everything one verification is given, whatever it verifies: the subject, the ``VerificationSettings`` (trust,
/// extra certificates and revocation data, the time, fetching, the caps: their fields read and write through the
/// input itself, `input.trust`), the powers of attorney (МЧД) the signers act under, the policy and how to judge.
/// Every front end (the CLI's `verify`, `verify --batch`, `stamp` and `demo`, the HTTP service) builds one and calls
/// ``Verifier/verify(_:)``.
@dynamicMemberLookup
public struct VerificationInput: Sendable {
    public var subject: SignedSubject
    public var settings: VerificationSettings
    public var policy: Policy
    public var options: JudgementOptions
    /// Machine-readable powers of attorney (МЧД) the signers act under, with their signatures.
    public var powersOfAttorney: [PowerOfAttorneyReader.Input] = []
    /// Answers of the ФНС registry about those powers of attorney (`--poa-status`).
    public var powerOfAttorneyStatuses: [PowerOfAttorneyReader.StatusInput] = []

    public init(_ subject: SignedSubject, settings: VerificationSettings, policy: Policy = BuiltinPolicies.default,
                options: JudgementOptions = JudgementOptions()) {
        self.subject = subject
        self.settings = settings
        self.policy = policy
        self.options = options
    }

    /// A CMS signature with the settings given one by one.
    public init(
        signature: [UInt8], signatureName: String?, document: DocumentInput?, trust: TrustStore,
        certificates: [X509Certificate] = [], crls: [CertificateRevocationList] = [], validationTime: Date? = nil,
        ocspResponses: [[UInt8]] = [], revocation: RevocationPolicy = .offline,
        policy: Policy = BuiltinPolicies.default, options: JudgementOptions = JudgementOptions()
    ) {
        self.init(.signature(signature, name: signatureName, document: document), settings: VerificationSettings(
            trust: trust, certificates: certificates, crls: crls, validationTime: validationTime, ocspResponses: ocspResponses,
            revocation: revocation), policy: policy, options: options)
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<VerificationSettings, T>) -> T {
        get { settings[keyPath: keyPath] }
        set { settings[keyPath: keyPath] = newValue }
    }
}

/// The verification workflow: read the subject, gather evidence with the signing core (the signatures, then the
/// powers of attorney with the same settings), judge it with the policy engine.
public enum Verifier {
    /// Gathers the evidence and judges it.
    ///
    /// A container or a PDF that cannot be read as one throws the reader's ``PodpisError`` (kind `.dataFormat`);
    /// a CMS signature that cannot be parsed is not an error but evidence (`format.parsed == false`), judged
    /// FORMAT_FAILURE.
    public static func verify(_ input: VerificationInput) throws -> (evidence: Evidence, report: Report) {
        let evidence = try collect(input)
        return (evidence, PolicyEngine().judge(evidence, policy: input.policy, options: input.options))
    }

    /// The evidence alone, policy-free: what ``verify(_:)`` judges.
    public static func collect(_ input: VerificationInput) throws -> Evidence {
        var evidence: Evidence
        switch input.subject {
        case .signature(let signature, let name, let document):
            evidence = try EvidenceCollector.collect(VerificationRequest(
                signature: signature, signatureName: name, document: document, settings: input.settings))
        case .container(.file(let path)):
            evidence = try ASiCContainer(path: path).collectEvidence(input.settings)
        case .container(.bytes(let bytes, _)):
            // The guarded ZIP reader works on files: a private temporary one, removed at once.
            let path = NSTemporaryDirectory() + "podpis-upload-" + UUID().uuidString + ".asice"
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
                throw PodpisError(.cannotCreate, "no room for a temporary file", subject: NSTemporaryDirectory())
            }
            defer { unlink(path) }
            evidence = try ASiCContainer(path: path).collectEvidence(input.settings)
        case .pdf(.file(let path)):
            evidence = try SignedPDF(path: path).collectEvidence(input.settings)
        case .pdf(.bytes(let bytes, let name)):
            evidence = try SignedPDF(bytes: bytes, name: name ?? "document.pdf").collectEvidence(input.settings)
        }
        if let powers = try PowerOfAttorneyReader.gather(input.powersOfAttorney, statuses: input.powerOfAttorneyStatuses,
                                                         settings: input.settings) {
            evidence.powersOfAttorney = powers
        }
        return evidence
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
