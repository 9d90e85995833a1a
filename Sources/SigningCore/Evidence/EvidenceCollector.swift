import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// The signed document given to a verification.
public enum DocumentInput: Sendable {
    /// A file, streamed from disk.
    case file(path: String)
    /// Bytes already in memory.
    case bytes(name: String?, [UInt8])
    /// Only the document's digest (the document never leaves the caller).
    case digest(name: String?, algorithm: DigestAlgorithm, value: [UInt8], size: UInt64?)
    /// The document was streamed and hashed by the caller (the HTTP service) with these algorithms.
    case hashed(name: String?, size: UInt64, digests: [DigestAlgorithm: [UInt8]])
}

/// What a verification is given besides the signature and the signed data: trust, extra certificates and revocation
/// data, the time, fetching and the caps. A container or a signed PDF is verified signature by signature with these,
/// each as a detached signature.
public struct VerificationSettings: Sendable {
    public var trust: TrustStore
    public var certificates: [X509Certificate]
    public var crls: [CertificateRevocationList]
    public var validationTime: Date?
    public var ocspResponses: [[UInt8]]
    public var revocation: RevocationPolicy
    /// What each signature (and timestamp) may carry, checked before it is parsed.
    public var limits: SignatureLimits = .standard

    public init(trust: TrustStore, certificates: [X509Certificate] = [], crls: [CertificateRevocationList] = [],
                validationTime: Date? = nil, ocspResponses: [[UInt8]] = [], revocation: RevocationPolicy = .offline,
                limits: SignatureLimits = .standard) {
        self.limits = limits
        self.trust = trust
        self.certificates = certificates
        self.crls = crls
        self.validationTime = validationTime
        self.ocspResponses = ocspResponses
        self.revocation = revocation
    }
}

/// Everything a verification is given: the signature, the signed data, and the ``VerificationSettings`` (trust,
/// extra certificates and revocation data, the time, fetching, the caps), whose fields read and write through the
/// request itself (`request.trust`).
@dynamicMemberLookup
public struct VerificationRequest: Sendable {
    public var signature: [UInt8]
    public var signatureName: String?
    public var document: DocumentInput?
    public var settings: VerificationSettings

    public init(signature: [UInt8], signatureName: String? = nil, document: DocumentInput? = nil, settings: VerificationSettings) {
        self.signature = signature
        self.signatureName = signatureName
        self.document = document
        self.settings = settings
    }

    public init(
        signature: [UInt8], signatureName: String? = nil, document: DocumentInput? = nil, trust: TrustStore,
        certificates: [X509Certificate] = [], crls: [CertificateRevocationList] = [], validationTime: Date? = nil,
        ocspResponses: [[UInt8]] = [], revocation: RevocationPolicy = .offline, limits: SignatureLimits = .standard
    ) {
        self.init(signature: signature, signatureName: signatureName, document: document, settings: VerificationSettings(
            trust: trust, certificates: certificates, crls: crls, validationTime: validationTime, ocspResponses: ocspResponses,
            revocation: revocation, limits: limits))
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<VerificationSettings, T>) -> T {
        get { settings[keyPath: keyPath] }
        set { settings[keyPath: keyPath] = newValue }
    }
}

/// Gathers policy-free evidence about a signature: parses it, identifies each signer, checks digests and
/// signature values, evaluates certificate paths and revocation. It never decides validity.
public enum EvidenceCollector {
    /// At most this many counter-signatures per signer, nested at most ``maxCounterSignatureDepth`` deep.
    static let maxCounterSignatures = 16
    static let maxCounterSignatureDepth = 3

    /// Collects evidence. Input that is not a signature is not an error here: it yields evidence whose
    /// `format.parsed` is false. Errors are thrown only for a named document that cannot be read.
    public static func collect(_ request: VerificationRequest) throws -> Evidence {
        CryptoLibrary.initialize()
        let now = Date().wholeSeconds
        let validationTime = (request.validationTime ?? now).wholeSeconds
        let signatureSHA256 = SHA256.hex(request.signature)
        var evidence = Evidence(
            producer: "podpis \(CryptoLibrary.podpisVersion) (\(CryptoLibrary.openSSLVersion))",
            gatheredAt: now, validationTime: validationTime, document: nil,
            signatureFile: SignatureFileEvidence(name: request.signatureName, size: UInt64(request.signature.count),
                                                 sha256: signatureSHA256, encoding: nil),
            format: FormatEvidence(parsed: false))
        evidence.trustAnchors = request.trust.anchors.map(\.fingerprint)

        let cms: CMSMessage
        let originalDER: [UInt8]
        do {
            let (der, encoding) = try SignatureDecoder.decode(request.signature, subject: nil)
            evidence.signatureFile.encoding = encoding.rawValue
            try request.limits.check(der, subject: request.signatureName)  // counted before anything is parsed
            cms = try CMSMessage.parse(der: der, subject: nil)
            originalDER = der
        } catch let error as PodpisError where error.key != SignatureLimits.errorKey {
            evidence.format = FormatEvidence(parsed: false, error: error.message)
            evidence.document = try hashDocument(request.document, algorithms: [.sha256], attached: nil)?.evidence
            return evidence
        }
        if OBJ_obj2nid(CMS_get0_eContentType(cms.pointer)) == NID_id_smime_ct_TSTInfo {
            return try collectStandaloneToken(originalDER, request: request, evidence: evidence, validationTime: validationTime)
        }
        let attached = cms.attachedContent
        evidence.format = FormatEvidence(parsed: true, content: attached == nil ? "detached" : "attached",
                                         contentType: cms.eContentTypeOID)

        let signerInfos = cms.signerInfos
        var algorithms: Set<DigestAlgorithm> = [.sha256]
        for si in signerInfos { if let alg = Signer.signerDigest(si) { algorithms.insert(alg) } }
        // Timestamps are checked against the signature's bytes as they are (an archive timestamp's hash index names
        // them); a BER signature is read through its DER re-encoding, as EN 319 122-1 and DSS compute the imprints.
        let archiveLayout = ArchiveTimestamps.Layout.make(originalDER)
        for signer in archiveLayout?.signers ?? [] {
            for token in signer.unsigned.filter({ $0.oid == OID.archiveTimeStampV3 }).flatMap(\.values) {
                if let alg = (try? TimestampToken.parse(Array(token)))?.imprintAlgorithm { algorithms.insert(alg) }
            }
        }
        let document = try hashDocument(request.document, algorithms: algorithms, attached: attached)
        evidence.document = document.map { $0.evidence }

        // Every certificate the signature carries, by where it was found: SignedData.certificates, the signers'
        // certificate-values attributes (CAdES-X Long), and the timestamp tokens inside (a TSA certificate is often
        // only in a sibling timestamp, or only in certificate-values).
        let embeddedCerts = cms.certificates
        var valueCerts: [X509Certificate] = []
        var tokenCerts: [X509Certificate] = []
        var embeddedCRLs = cms.crls
        let der = (try? cms.der()) ?? []
        var embeddedOCSP = EmbeddedRevocation.ocspResponses(inSignedData: der)
        for si in signerInfos {
            let attributes = SignerAttributes(signerInfo: si)
            for attribute in attributes.unsigned(NID_id_smime_aa_ets_revocationValues) {
                for value in attribute.valuesDER {
                    let (crls, ocsp) = EmbeddedRevocation.revocationValues(value)
                    embeddedCRLs += crls
                    embeddedOCSP += ocsp
                }
            }
            for attribute in attributes.unsigned(NID_id_smime_aa_ets_certValues) {
                for value in attribute.valuesDER { valueCerts += LegacyLongTerm.certificateValues(value) }
            }
            for nid in [NID_id_smime_aa_timeStampToken, NID_id_smime_aa_ets_escTimeStamp, NID_id_smime_aa_ets_certCRLTimestamp] {
                for attribute in attributes.unsigned(nid) {
                    for value in attribute.valuesDER { tokenCerts += (try? TimestampToken.parse(value))?.cms.certificates ?? [] }
                }
            }
            for attribute in attributes.signed(NID_id_smime_aa_ets_contentTimestamp) {
                for value in attribute.valuesDER { tokenCerts += (try? TimestampToken.parse(value))?.cms.certificates ?? [] }
            }
        }
        let archiveTypes: Set<String> = [OID.archiveTimeStampV3, ArchiveTimestamps.archiveV2OID, ArchiveTimestamps.archiveV1OID]
        for signer in archiveLayout?.signers ?? [] {
            for token in signer.unsigned.filter({ archiveTypes.contains($0.oid) }).flatMap(\.values) {
                tokenCerts += (try? TimestampToken.parse(Array(token)))?.cms.certificates ?? []
            }
        }
        var sources: [String: CertificateOrigin] = [:]
        for cert in request.certificates { sources[cert.fingerprint] = .supplied }
        for cert in tokenCerts { sources[cert.fingerprint] = .timestamp }
        for cert in valueCerts { sources[cert.fingerprint] = .certificateValues }
        for cert in embeddedCerts { sources[cert.fingerprint] = .signedData }
        for (origin, crls) in [(RevocationOrigin.signedData, embeddedCRLs), (.supplied, request.crls)] {
            for crl in crls {
                evidence.revocationSources.append(RevocationSource(kind: .crl, origin: origin, issuer: crl.issuer,
                                                                   thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, sha256: crl.fingerprint))
            }
        }
        for (origin, responses) in [(RevocationOrigin.signedData, embeddedOCSP), (.supplied, request.ocspResponses)] {
            for response in responses {
                evidence.revocationSources.append(RevocationSource(kind: .ocsp, origin: origin, issuer: "", thisUpdate: nil, nextUpdate: nil,
                                                                   sha256: SHA256.hex(response)))
            }
        }
        var validator = ChainValidator(trust: request.trust, untrusted: embeddedCerts + valueCerts + tokenCerts + request.certificates,
                                       crls: embeddedCRLs + request.crls, sources: sources)
        validator.ocspResponses = embeddedOCSP + request.ocspResponses
        let hasRevocationData = !embeddedCRLs.isEmpty || !embeddedOCSP.isEmpty

        func examineAll(_ validator: ChainValidator) -> ([SignerEvidence], [String: X509Certificate]) {
            let environment = Environment(
                cms: cms, embedded: [(.signedData, embeddedCerts), (.certificateValues, valueCerts), (.timestamp, tokenCerts)],
                supplied: request.certificates, trust: request.trust, document: document, validator: validator,
                validationTime: validationTime, hasRevocationData: hasRevocationData, layout: archiveLayout,
                alternative: AlternativeLayout(originalDER, primary: archiveLayout),
                crls: embeddedCRLs + request.crls, ocspResponses: embeddedOCSP + request.ocspResponses, documentInput: request.document)
            var referenced: [String: X509Certificate] = [:]
            for anchor in request.trust.anchors { referenced[anchor.fingerprint] = anchor }
            var signers: [SignerEvidence] = []
            for (index, si) in signerInfos.enumerated() {
                let signer = examineSigner(si, id: "S\(index)", cms: cms, environment: environment,
                                           position: archiveLayout.flatMap { index < $0.signers.count ? index : nil })
                signers.append(signer.evidence)
                for cert in signer.certificates { referenced[cert.fingerprint] = cert }
            }
            return (signers, referenced)
        }
        var (signers, referenced) = examineAll(validator)

        // Online: fetch what the certificates advertise for every path element whose status is still unknown,
        // then look again with it.
        if request.revocation.online {
            let pairs = unknownRevocation(in: signers, certificates: referenced)
            if !pairs.isEmpty {
                let fetched = fetch(pairs, policy: request.revocation, into: &validator, evidence: &evidence)
                if fetched { (signers, referenced) = examineAll(validator) }
            }
            RevocationFetcher.noteUntrusted(&signers, certificates: referenced)
        }
        evidence.signers = signers
        evidence.certificates = referenced.mapValues { $0.info() }
        return evidence
    }

    /// Fetches revocation data for `pairs` into the validator, recording where it came from. Whether anything came.
    static func fetch(_ pairs: [(certificate: X509Certificate, issuer: X509Certificate)], policy: RevocationPolicy,
                      into validator: inout ChainValidator, evidence: inout Evidence) -> Bool {
        let fetched = RevocationFetcher(policy: policy).fetch(pairs: pairs)
        validator.crls += fetched.crls.map(\.0)
        validator.ocspResponses += fetched.ocsp.map(\.bytes)
        validator.fetchFailures = fetched.failures
        for (crl, url) in fetched.crls {
            evidence.revocationSources.append(RevocationSource(kind: .crl, origin: .fetched, issuer: crl.issuer, thisUpdate: crl.thisUpdate,
                                                               nextUpdate: crl.nextUpdate, url: url, sha256: crl.fingerprint))
        }
        for (response, url) in fetched.ocsp {
            evidence.revocationSources.append(RevocationSource(kind: .ocsp, origin: .fetched, issuer: "", thisUpdate: nil, nextUpdate: nil, url: url,
                                                               sha256: SHA256.hex(response)))
        }
        return !fetched.crls.isEmpty || !fetched.ocsp.isEmpty || !fetched.failures.isEmpty
    }

    /// A bare RFC 3161 token given alone (`.tst`, or the token of a `.tsr` response): examined as a timestamp —
    /// its imprint against the document when one was given — and reported as nobody's signature.
    static func collectStandaloneToken(_ der: [UInt8], request: VerificationRequest, evidence: Evidence, validationTime: Date) throws -> Evidence {
        var evidence = evidence
        evidence.format = FormatEvidence(parsed: true, content: "timestamp", contentType: OID.tstInfo)
        let token = try? TimestampToken.parse(der)
        var algorithms: Set<DigestAlgorithm> = [.sha256]
        if let algorithm = token?.imprintAlgorithm { algorithms.insert(algorithm) }
        let document = try hashDocument(request.document, algorithms: algorithms, attached: nil)
        evidence.document = document?.evidence
        let tokenCerts = token?.cms.certificates ?? []
        var sources: [String: CertificateOrigin] = [:]
        for cert in request.certificates { sources[cert.fingerprint] = .supplied }
        var validator = ChainValidator(trust: request.trust, untrusted: tokenCerts + request.certificates, crls: request.crls, sources: sources)
        validator.ocspResponses = request.ocspResponses
        for crl in request.crls {
            evidence.revocationSources.append(RevocationSource(kind: .crl, origin: .supplied, issuer: crl.issuer,
                                                               thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, sha256: crl.fingerprint))
        }
        func examine(_ validator: ChainValidator) -> (evidence: TimestampEvidence, certificates: [X509Certificate], parsed: Bool) {
            let environment = Environment(
                cms: nil, embedded: [], supplied: request.certificates, trust: request.trust, document: document,
                validator: validator, validationTime: validationTime, hasRevocationData: false, layout: nil,
                alternative: AlternativeLayout(nil, primary: nil), crls: request.crls, ocspResponses: request.ocspResponses)
            let covering: Covered = document.map { .digests($0.digests) }
                ?? .checked(CryptoCheck(.notChecked, "the signed content is not available: no document was given"))
            return examineTimestamp(der, type: .standalone, covering: covering, environment: environment)
        }
        var examined = examine(validator)
        if request.revocation.online {
            var referenced: [String: X509Certificate] = [:]
            for cert in examined.certificates + request.trust.anchors { referenced[cert.fingerprint] = cert }
            let holder = SignerEvidence(id: "TS", identification: IdentificationEvidence(signerIdentifier: "", signerIdentifierValue: "", foundIn: nil,
                                                                                         signingCertificateAttribute: .absent, binding: .absent),
                                        algorithms: AlgorithmEvidence(digest: "", digestOID: "", signature: "", signatureOID: ""),
                                        messageDigest: CryptoCheck(.notChecked), signatureValue: CryptoCheck(.notChecked),
                                        timestamps: [examined.evidence])
            let pairs = unknownRevocation(in: [holder], certificates: referenced)
            if !pairs.isEmpty, fetch(pairs, policy: request.revocation, into: &validator, evidence: &evidence) {
                examined = examine(validator)
            }
        }
        evidence.timestamps = [examined.evidence]
        var referenced: [String: X509Certificate] = [:]
        for cert in examined.certificates + request.trust.anchors { referenced[cert.fingerprint] = cert }
        evidence.certificates = referenced.mapValues { $0.info() }
        return evidence
    }

    /// (certificate, issuer) pairs on any path (signers', counter-signers' and TSAs') that reaches a configured trust
    /// anchor, whose revocation status is unknown. A path only the submitter vouches for is never fetched for.
    static func unknownRevocation(in signers: [SignerEvidence], certificates: [String: X509Certificate]) -> [(certificate: X509Certificate, issuer: X509Certificate)] {
        var pairs: [(certificate: X509Certificate, issuer: X509Certificate)] = []
        var seen = Set<String>()
        func allSigners(_ list: [SignerEvidence]) -> [SignerEvidence] { list.flatMap { [$0] + allSigners($0.counterSignatures ?? []) } }
        let chains = allSigners(signers).flatMap { $0.chains + $0.timestamps.flatMap(\.chains) }
        for chain in chains where chain.reachesTrustAnchor {
            for (index, element) in chain.path.enumerated() where element.revocation.status == .unknown && index + 1 < chain.path.count {
                guard let cert = certificates[element.certificate], let issuer = certificates[chain.path[index + 1].certificate],
                    seen.insert(element.certificate).inserted
                else { continue }
                pairs.append((cert, issuer))
            }
        }
        return pairs
    }

    // MARK: - document

    struct HashedDocument {
        var evidence: DocumentEvidence
        var digests: [DigestAlgorithm: [UInt8]]
        /// When both a document and an attached signature were given and they differ.
        var mismatchWithAttached: Bool
    }

    static func hashDocument(_ input: DocumentInput?, algorithms: Set<DigestAlgorithm>, attached: [UInt8]?) throws -> HashedDocument? {
        func evidence(name: String?, size: UInt64?, digests: [DigestAlgorithm: [UInt8]], source: DocumentEvidence.Source) -> DocumentEvidence {
            var named: [String: String] = [:]
            for (alg, value) in digests { named[alg.name] = hex(value) }
            return DocumentEvidence(name: name, size: size, digests: named, source: source)
        }
        var given: HashedDocument? = nil
        switch input {
        case .none: break
        case .file(let path):
            let (size, digests) = try MultiDigest.digestFile(path: path, algorithms: algorithms)
            given = HashedDocument(evidence: evidence(name: (path as NSString).lastPathComponent, size: size, digests: digests, source: .detached),
                                   digests: digests, mismatchWithAttached: false)
        case .bytes(let name, let bytes):
            let multi = try MultiDigest(algorithms)
            multi.update(bytes)
            let digests = multi.finish()
            given = HashedDocument(evidence: evidence(name: name, size: UInt64(bytes.count), digests: digests, source: .detached),
                                   digests: digests, mismatchWithAttached: false)
        case .digest(let name, let algorithm, let value, let size):
            given = HashedDocument(evidence: evidence(name: name, size: size, digests: [algorithm: value], source: .digest),
                                   digests: [algorithm: value], mismatchWithAttached: false)
        case .hashed(let name, let size, let digests):
            given = HashedDocument(evidence: evidence(name: name, size: size, digests: digests, source: .detached),
                                   digests: digests, mismatchWithAttached: false)
        }
        guard let attached else { return given }
        let multi = try MultiDigest(algorithms)
        multi.update(attached)
        let digests = multi.finish()
        var inside = HashedDocument(evidence: evidence(name: given?.evidence.name, size: UInt64(attached.count), digests: digests, source: .attached),
                                    digests: digests, mismatchWithAttached: false)
        if let given {
            inside.mismatchWithAttached = given.digests.contains { alg, value in digests[alg].map { $0 != value } ?? false }
        }
        return inside
    }

    // MARK: - one signer

    struct ExaminedSigner {
        var evidence: SignerEvidence
        var certificates: [X509Certificate]
    }

    /// The DER re-encoding of a signature, made only when a timestamp's imprint does not match the bytes as they are.
    final class AlternativeLayout {
        private let der: [UInt8]?
        private let primary: ArchiveTimestamps.Layout?
        private var made = false
        private var cached: ArchiveTimestamps.Layout?

        init(_ der: [UInt8]?, primary: ArchiveTimestamps.Layout?) {
            self.der = der
            self.primary = primary
        }

        /// nil when the primary layout already is the re-encoding, or the input does not re-encode.
        var layout: ArchiveTimestamps.Layout? {
            if made { return cached }
            made = true
            guard let der, let primary, !primary.normalized, let reencoded = BER.normalized(der) else { return nil }
            cached = ArchiveTimestamps.Layout(reencoded, sortSignedAttributes: true)
            return cached
        }
    }

    /// What every signer of one signature file is examined against.
    struct Environment {
        /// The signature (nil for a bare timestamp token).
        let cms: CMSMessage?
        /// Certificates the signature carries, in search order, each group named by where it was found.
        let embedded: [(source: CertificateOrigin, certificates: [X509Certificate])]
        let supplied: [X509Certificate]
        let trust: TrustStore
        let document: HashedDocument?
        let validator: ChainValidator
        let validationTime: Date
        let hasRevocationData: Bool
        /// The signature's layout (nil when it cannot be read), and its DER re-encoding on demand.
        let layout: ArchiveTimestamps.Layout?
        let alternative: AlternativeLayout
        /// Every CRL and OCSP response available (embedded and supplied), for matching revocation references.
        let crls: [CertificateRevocationList]
        let ocspResponses: [[UInt8]]
        /// The document as given, to stream it again where a timestamp covers its bytes (archive-time-stamp-v2).
        var documentInput: DocumentInput? = nil

        var embeddedCertificates: [X509Certificate] { embedded.flatMap(\.certificates) }

        /// Where to look for a signer's certificate: what the signature carries, then `--cert`, then the anchors.
        var searchOrder: [(CertificateOrigin, [X509Certificate])] {
            embedded.map { ($0.source, $0.certificates) } + [(.supplied, supplied), (.trustStore, trust.anchors)]
        }
    }

    /// What kind of SignerInfo is examined.
    enum Role {
        /// A signer of the signature file (position: its index in the archive layout, when readable).
        case signer(position: Int?)
        /// A counter-signature over another signer's signature value, `depth` levels down.
        case counterSignature(depth: Int)
        /// The SignerInfo of a timestamp token: only its own signature and certificate are examined.
        case timestampToken
    }

    static func examineSigner(
        _ si: SignerInfo, id: String, cms: CMSMessage, environment: Environment, position: Int?
    ) -> ExaminedSigner {
        examineSigner(si, id: id, cms: cms, searchOrder: environment.searchOrder, document: environment.document,
                      environment: environment, role: .signer(position: position))
    }

    /// One SignerInfo under examination and what it is examined against: what every part of the examination reads.
    struct SignerInput {
        let si: SignerInfo
        let id: String
        let cms: CMSMessage
        /// Where to look for the signer's certificate, in order, each group named by where it was found.
        let searchOrder: [(CertificateOrigin, [X509Certificate])]
        /// What it signs, hashed (for a counter-signature: the countersigned signature value).
        let document: HashedDocument?
        let environment: Environment
        let role: Role
        let attributes: SignerAttributes

        var hasSignedAttributes: Bool { attributes.signedCount > 0 }
        var isCounterSignature: Bool {
            if case .counterSignature = role { return true }
            return false
        }
        /// The signer's index in the archive layout (signers of the signature file only).
        var position: Int? {
            if case .signer(let position) = role { return position }
            return nil
        }
        /// How many counter-signatures down this one is (0 for everything else).
        var depth: Int {
            if case .counterSignature(let depth) = role { return depth }
            return 0
        }
    }

    static func examineSigner(
        _ si: SignerInfo, id: String, cms: CMSMessage, searchOrder: [(CertificateOrigin, [X509Certificate])], document: HashedDocument?,
        environment: Environment, role: Role
    ) -> ExaminedSigner {
        clearOpenSSLErrors()
        let input = SignerInput(si: si, id: id, cms: cms, searchOrder: searchOrder, document: document, environment: environment,
                                role: role, attributes: SignerAttributes(signerInfo: si))
        let attributes = input.attributes
        let findings = formatFindings(input)
        let formatIssues = findings.map(\.english)
        let identified = identifySigner(input)
        let signerCert = identified.certificate
        var referenced: [X509Certificate] = identified.rejected.map { [$0] } ?? []
        if let signerCert, X509_get0_pubkey(signerCert.pointer) != nil { referenced.append(signerCert) }
        let algorithms = signerAlgorithms(input, certificate: signerCert)
        var messageDigest = messageDigestCheck(input, algorithms: algorithms)
        let signatureValue = signatureValueCheck(input, certificate: signerCert, algorithms: algorithms, messageDigest: &messageDigest)

        // Certificate path at the validation time.
        var chains: [ChainEvidence] = []
        if let signerCert {
            let (chain, path) = environment.validator.evaluate(signerCert, at: environment.validationTime, purpose: .validationTime)
            chains.append(chain)
            referenced += path
        }

        var evidence = SignerEvidence(
            id: id, formatIssues: formatIssues, identification: identified.evidence, signerCertificate: signerCert?.fingerprint,
            algorithms: algorithms.evidence, messageDigest: messageDigest, signatureValue: signatureValue,
            signedAttributes: attributes.signedOIDs(), unsignedAttributes: attributes.unsignedOIDs(),
            claimedSigningTime: attributes.signed(NID_pkcs9_signingTime).first.flatMap(\.time), chains: chains,
            timestamps: [], level: .cms)
        if !findings.isEmpty { evidence.formatFindings = findings }
        if case .timestampToken = role { return ExaminedSigner(evidence: evidence, certificates: referenced) }

        // Timestamps over this signature (and over its content), each examined as a signature of its own; then the
        // TS 101 733 long-term forms (CAdES-C, -X, -X Long: references, values and their timestamps); then the archive
        // timestamps.
        let signatureBytes = CMS_SignerInfo_get0_signature(si.pointer).map { bytes(of: $0) } ?? []
        var stamps = SignerTimestamps()
        examineSignatureTimestamps(input, signatureBytes: signatureBytes, into: &stamps)
        evidence.longTerm = longTermEvidence(input, referenced: referenced + stamps.certificates)
        examineLongTermTimestamps(input, into: &stamps)
        examineArchiveTimestamps(input, into: &stamps)
        evidence.timestamps = stamps.evidence
        referenced += stamps.certificates

        let counter = examineCounterSignatures(input, signatureBytes: signatureBytes)
        referenced += counter.certificates
        evidence.counterSignatures = counter.evidence.isEmpty ? nil : counter.evidence
        evidence.level = level(input, formatIssues: formatIssues, ess: identified.essAttribute, timestamps: stamps)
        return ExaminedSigner(evidence: evidence, certificates: referenced)
    }

    /// Format: mandatory attributes exactly once, optional ones at most once, one value each. A countersignature
    /// has no content-type attribute (RFC 5652 §11.4): its content is the signature value it countersigns.
    static func formatFindings(_ input: SignerInput) -> [FormatFinding] {
        guard input.hasSignedAttributes else { return [] }
        let attributes = input.attributes
        let contentTypes = attributes.signed(NID_pkcs9_contentType)
        let named: [(name: String, list: [SignerAttribute])] = [
            ("content-type", input.isCounterSignature ? [] : contentTypes),
            ("message-digest", attributes.signed(NID_pkcs9_messageDigest)),
            ("signing-time", attributes.signed(NID_pkcs9_signingTime)),
            ("signing-certificate-v2", attributes.signed(NID_id_smime_aa_signingCertificateV2)),
            ("signing-certificate", attributes.signed(NID_id_smime_aa_signingCertificate)),
        ]
        var findings: [FormatFinding] = []
        for (name, list) in named {
            let mandatory = FormatFinding.mandatoryAttributes.contains(name) && !(name == "content-type" && input.isCounterSignature)
            if list.isEmpty && mandatory { findings.append(FormatFinding(code: .missing, attribute: name, count: 0)) }
            if list.count > 1 { findings.append(FormatFinding(code: .repeated, attribute: name, count: list.count)) }
        }
        // One value each: reported by OID, as the attribute is named in the signature.
        for attr in (input.isCounterSignature ? [] : contentTypes) + named.dropFirst().flatMap(\.list) where attr.count != 1 {
            findings.append(FormatFinding(code: .valueCount, attribute: attr.oid, count: attr.count))
        }
        if !input.isCounterSignature, let ct = contentTypes.first, let value = ct.object, value != input.cms.eContentTypeOID {
            findings.append(FormatFinding(code: .contentTypeMismatch, attribute: "content-type", found: value, expected: input.cms.eContentTypeOID))
        }
        return findings
    }

    /// The signer's certificate, found through its SignerIdentifier and bound by its ESS signing-certificate attribute.
    struct IdentifiedSigner {
        var evidence: IdentificationEvidence
        var certificate: X509Certificate?
        /// The ESS signing-certificate attribute (`v2` or `v1`, and its value's DER), when present.
        var essAttribute: (version: SigningCertificateAttribute, der: [UInt8])?
        /// The certificate the SignerIdentifier matched but the ESS attribute does not name (substitution).
        var rejected: X509Certificate?
    }

    static func identifySigner(_ input: SignerInput) -> IdentifiedSigner {
        let identifier = signerIdentifier(input.si)
        let essAttribute: (version: SigningCertificateAttribute, der: [UInt8])? =
            input.attributes.signed(NID_id_smime_aa_signingCertificateV2).first.flatMap { $0.valuesDER.first }.map { (.v2, $0) }
            ?? input.attributes.signed(NID_id_smime_aa_signingCertificate).first.flatMap { $0.valuesDER.first }.map { (.v1, $0) }
        var matches: [(CertificateOrigin, X509Certificate)] = []
        for (source, list) in input.searchOrder {
            for cert in list where CMS_SignerInfo_cert_cmp(input.si.pointer, cert.pointer) == 0 {
                if !matches.contains(where: { $0.1 == cert }) { matches.append((source, cert)) }
            }
        }
        clearOpenSSLErrors()
        var signerCert: X509Certificate? = nil
        var foundIn: CertificateOrigin? = nil
        var binding: CheckOutcome = .absent
        var rejected: X509Certificate? = nil
        if let essAttribute {
            let bound = matches.first { ESS.binds(essAttribute.der, version: essAttribute.version, certificate: $0.1) }
            if let bound {
                signerCert = bound.1
                foundIn = bound.0
                binding = .valid
            } else if let first = matches.first {
                binding = .invalid
                rejected = first.1
            } else {
                binding = .notChecked
            }
        } else if let first = matches.first {
            signerCert = first.1
            foundIn = first.0
        }
        let evidence = IdentificationEvidence(
            signerIdentifier: identifier.kind, signerIdentifierValue: identifier.value, foundIn: foundIn,
            signingCertificateAttribute: essAttribute?.version ?? .absent, binding: binding, rejectedCandidate: rejected?.fingerprint)
        return IdentifiedSigner(evidence: evidence, certificate: signerCert, essAttribute: essAttribute, rejected: rejected)
    }

    /// The signer's algorithms as its SignerInfo names them, with its key once the certificate is known.
    struct SignerAlgorithms {
        var evidence: AlgorithmEvidence
        var digest: DigestAlgorithm?
        /// The signature scheme's podpis name (`rsa-pss`, `gost2012-256`, …).
        var scheme: String
        /// Whether OpenSSL can process them at all: one it does not know is a constraint it cannot check, never a
        /// broken signature.
        var digestUsable: Bool
        var signatureUsable: Bool
    }

    static func signerAlgorithms(_ input: SignerInput, certificate: X509Certificate?) -> SignerAlgorithms {
        var digestAlgorithmPointer: UnsafeMutablePointer<X509_ALGOR>? = nil
        var signatureAlgorithmPointer: UnsafeMutablePointer<X509_ALGOR>? = nil
        CMS_SignerInfo_get0_algs(input.si.pointer, nil, nil, &digestAlgorithmPointer, &signatureAlgorithmPointer)
        var digestObject: OpaquePointer? = nil
        X509_ALGOR_get0(&digestObject, nil, nil, digestAlgorithmPointer)
        var signatureObject: OpaquePointer? = nil
        var parameterType: Int32 = 0
        var parameterValue: UnsafeRawPointer? = nil
        X509_ALGOR_get0(&signatureObject, &parameterType, &parameterValue, signatureAlgorithmPointer)
        let digestAlgorithm = DigestAlgorithm(nid: OBJ_obj2nid(digestObject))
        let digestOID = oidText(digestObject)
        let signatureOID = oidText(signatureObject)

        let keyDescription = certificate.flatMap { X509_get0_pubkey($0.pointer) }.map { KeyDescription(key: $0) }
        let scheme = signatureScheme(oid: signatureOID)
        var impliedDigest = scheme.impliedDigest
        if scheme.scheme == "rsa-pss" {
            impliedDigest = pssDigest(parameterType: parameterType, parameterValue: parameterValue)
        }
        let evidence = AlgorithmEvidence(
            digest: digestAlgorithm?.name ?? digestOID, digestOID: digestOID, signature: scheme.scheme,
            signatureOID: signatureOID, signatureDigest: impliedDigest?.name, keyType: keyDescription?.type,
            keyBits: keyDescription?.bits, curve: keyDescription?.curve)
        let digestUsable = digestAlgorithm?.evpMD() != nil
        clearOpenSSLErrors()
        let signatureUsable = signatureAlgorithmUsable(oid: signatureObject)
        return SignerAlgorithms(evidence: evidence, digest: digestAlgorithm, scheme: scheme.scheme, digestUsable: digestUsable,
                                signatureUsable: signatureUsable)
    }

    /// The message-digest attribute against the document.
    static func messageDigestCheck(_ input: SignerInput, algorithms: SignerAlgorithms) -> CryptoCheck {
        guard let document = input.document else {
            return CryptoCheck(.notChecked, "no document: the signature is detached and the signed data was not given")
        }
        let claimedDigest = input.attributes.signed(NID_pkcs9_messageDigest).first.flatMap(\.octets)
        if document.mismatchWithAttached {
            return CryptoCheck(.invalid, "the document given differs from the one inside the signature")
        } else if !input.hasSignedAttributes {
            return CryptoCheck(.notChecked, "no signed attributes: the signature covers the document digest directly")
        } else if let digestAlgorithm = algorithms.digest, let actual = document.digests[digestAlgorithm] {
            guard let claimedDigest else { return CryptoCheck(.absent, "no message-digest attribute") }
            return claimedDigest == actual
                ? CryptoCheck(.valid)
                : CryptoCheck(.invalid, "message-digest attribute \(hex(claimedDigest)) ≠ document \(digestAlgorithm.name) \(hex(actual))")
        } else if document.evidence.source == .digest {
            return CryptoCheck(.notChecked, "the document digest was given with another algorithm than the signer's \(algorithms.evidence.digest)")
        } else {
            return CryptoCheck(.notChecked, "digest algorithm \(algorithms.evidence.digest) cannot be processed by this OpenSSL",
                               unsupportedAlgorithm: algorithms.evidence.digest)
        }
    }

    /// The signature value against the signed attributes (or, without them, the document digest) and the signer's
    /// key. Without signed attributes a signature that verifies also confirms `messageDigest`.
    static func signatureValueCheck(
        _ input: SignerInput, certificate: X509Certificate?, algorithms: SignerAlgorithms, messageDigest: inout CryptoCheck
    ) -> CryptoCheck {
        guard let signerCert = certificate else { return CryptoCheck(.notChecked, "the signer's certificate was not identified") }
        let si = input.si
        let scheme = algorithms.scheme
        let digestAlgorithm = algorithms.digest
        if !algorithms.signatureUsable || !algorithms.digestUsable {
            let which = !algorithms.signatureUsable ? scheme : algorithms.evidence.digest
            return CryptoCheck(.notChecked, "the algorithm \(which) cannot be processed by this OpenSSL", unsupportedAlgorithm: which)
        } else if input.hasSignedAttributes && input.isCounterSignature {
            // OpenSSL's signer checks insist on a content-type attribute, which a countersignature must not
            // have: verify the signature over the signed attributes' DER directly.
            let asIs = verifySignedAttributes(si, certificate: signerCert, digest: digestAlgorithm, scheme: scheme, sorted: false)
            let sorted = asIs == true ? true : verifySignedAttributes(si, certificate: signerCert, digest: digestAlgorithm, scheme: scheme, sorted: true)
            switch (asIs, sorted) {
            case (true?, _), (_, true?): return CryptoCheck(.valid)
            case (nil, nil): return CryptoCheck(.notChecked, "this countersignature's algorithm is not verified here", unsupportedAlgorithm: scheme)
            default: return CryptoCheck(.invalid, drainOpenSSLErrors() ?? "the countersignature does not verify")
            }
        } else if input.hasSignedAttributes {
            CMS_SignerInfo_set1_signer_cert(si.pointer, signerCert.pointer)
            clearOpenSSLErrors()
            if CMS_SignerInfo_verify(si.pointer) == 1 { return CryptoCheck(.valid) }
            let error = drainOpenSSLErrors() ?? "signature does not verify"
            if Self.unsupported(error) {
                // OpenSSL could not run the verification at all (an algorithm or parameter set it lacks): a
                // constraint it cannot check, not a failed signature.
                return CryptoCheck(.notChecked, "OpenSSL cannot verify this signature: \(error)", unsupportedAlgorithm: scheme)
            } else if verifySignedAttributes(si, certificate: signerCert, digest: digestAlgorithm, scheme: scheme, sorted: true) == true {
                // The signed attributes are stored out of DER order; the signature is over their DER
                // encoding (RFC 5652 §5.4: a SET OF, sorted), which is what DSS and Bouncy Castle verify.
                return CryptoCheck(.valid, "verified over the DER encoding of the signed attributes (stored out of DER order)")
            }
            return CryptoCheck(.invalid, error)
        } else if let digestAlgorithm, let actual = input.document?.digests[digestAlgorithm] {
            guard verifyRaw(si: si, certificate: signerCert, digest: digestAlgorithm, value: actual) else {
                return CryptoCheck(.invalid, drainOpenSSLErrors() ?? "signature does not verify over the document digest")
            }
            messageDigest = CryptoCheck(.valid, "verified through the signature (no signed attributes)")
            return CryptoCheck(.valid)
        }
        return CryptoCheck(.notChecked, "no signed attributes and no document: nothing to verify the signature over")
    }

    /// A signer's timestamps as they are examined, in the order the evidence lists them.
    struct SignerTimestamps {
        var evidence: [TimestampEvidence] = []
        /// Each timestamp's hash input as an unsigned attribute value (type OID, token, and the whole attribute once
        /// known), for archive coverage; nil for a signed attribute (every archive timestamp covers it).
        var unsignedValues: [(type: String, token: [UInt8], attribute: [UInt8]?)?] = []
        /// The certificates the timestamps referenced.
        var certificates: [X509Certificate] = []
        /// Signature timestamps that could be read (only they make T).
        var parsedSignatureTimestamps = 0
        /// Whether an archive timestamp was examined far enough to make LTA.
        var archiveExamined = false

        mutating func append(_ examined: (evidence: TimestampEvidence, certificates: [X509Certificate], parsed: Bool),
                             value: (type: String, token: [UInt8], attribute: [UInt8]?)?) {
            evidence.append(examined.evidence)
            unsignedValues.append(value)
            certificates += examined.certificates
        }
    }

    /// signature-time-stamp (over the signature value) and content-time-stamp (over the content).
    static func examineSignatureTimestamps(_ input: SignerInput, signatureBytes: [UInt8], into stamps: inout SignerTimestamps) {
        for attribute in input.attributes.unsigned(NID_id_smime_aa_timeStampToken) {
            for token in attribute.valuesDER {
                let examined = examineTimestamp(token, type: .signature, covering: .bytes(signatureBytes), environment: input.environment)
                if examined.parsed { stamps.parsedSignatureTimestamps += 1 }
                stamps.append(examined, value: (OID.signatureTimeStamp, token, nil))
            }
        }
        for attribute in input.attributes.signed(NID_id_smime_aa_ets_contentTimestamp) {
            for token in attribute.valuesDER {
                let examined = examineTimestamp(token, type: .content, covering: .digests(input.document?.digests ?? [:]),
                                                environment: input.environment)
                stamps.append(examined, value: nil)  // a signed attribute: every archive timestamp covers it
            }
        }
    }

    /// The TS 101 733 long-term forms: complete references matched against the values carried or at hand.
    static func longTermEvidence(_ input: SignerInput, referenced: [X509Certificate]) -> LongTermEvidence? {
        let attributes = input.attributes
        let environment = input.environment
        let certificateReferences = attributes.unsigned(NID_id_smime_aa_ets_CertificateRefs).first
            .flatMap { $0.valuesDER.first }.flatMap(LegacyLongTerm.certificateReferences)
        let revocationReferences = attributes.unsigned(NID_id_smime_aa_ets_RevocationRefs).first
            .flatMap { $0.valuesDER.first }.flatMap(LegacyLongTerm.revocationReferences)
        let valueCount = attributes.unsigned(NID_id_smime_aa_ets_certValues).flatMap(\.valuesDER)
            .map { LegacyLongTerm.certificateValues($0).count }.reduce(0, +)
        let revocationValueCount = attributes.unsigned(NID_id_smime_aa_ets_revocationValues).flatMap(\.valuesDER)
            .map { let (crls, ocsp) = EmbeddedRevocation.revocationValues($0); return crls.count + ocsp.count }.reduce(0, +)
        let pool = environment.embeddedCertificates + environment.supplied + environment.trust.anchors + referenced
        return LegacyLongTerm.evidence(
            unsigned: attributes.unsignedOIDs(), certificateReferences: certificateReferences, revocationReferences: revocationReferences,
            certificates: pool, crls: environment.crls, ocspResponses: environment.ocspResponses,
            certificateValues: valueCount, revocationValues: revocationValueCount)
    }

    /// CAdES-C-time-stamp and time-stamped-certs-crls-references: their imprints are recomputed from the signer's layout.
    static func examineLongTermTimestamps(_ input: SignerInput, into stamps: inout SignerTimestamps) {
        let environment = input.environment
        let position = input.position
        let layoutSigner = position.flatMap { environment.layout?.signers[$0] }
        for (nid, type, includeSignature, oid) in [
            (NID_id_smime_aa_ets_escTimeStamp, TimestampType.cadesC, true, LegacyLongTerm.escTimeStampOID),
            (NID_id_smime_aa_ets_certCRLTimestamp, TimestampType.refs, false, LegacyLongTerm.certCRLTimestampOID),
        ] {
            for attribute in input.attributes.unsigned(nid) {
                for token in attribute.valuesDER {
                    let covering: Covered
                    if let layoutSigner, let position {
                        let alternative = environment.alternative.layout.flatMap { position < $0.signers.count ? $0.signers[position] : nil }
                        covering = .reencodable(
                            LegacyLongTerm.imprintInput(signer: layoutSigner, includeSignature: includeSignature),
                            alternative: alternative.map { LegacyLongTerm.imprintInput(signer: $0, includeSignature: includeSignature) },
                            normalized: environment.layout?.normalized ?? false)
                    } else {
                        covering = .checked(CryptoCheck(.notChecked, "the signature's structure cannot be read to recompute what this timestamp covers"))
                    }
                    stamps.append(examineTimestamp(token, type: type, covering: covering, environment: environment), value: (oid, token, nil))
                }
            }
        }
    }

    /// Archive timestamps (CAdES-LTA, and TS 101 733's v2 and v1): the imprint is recomputed from the signature as
    /// it is now, and each records which of the signer's other timestamps it covers.
    static func examineArchiveTimestamps(_ input: SignerInput, into stamps: inout SignerTimestamps) {
        let environment = input.environment
        guard let position = input.position, let layout = environment.layout else {
            guard input.attributes.unsignedOIDs().contains(OID.archiveTimeStampV3) else { return }
            // The signature's structure cannot be read (not even through a DER re-encoding): the archive
            // timestamps are reported, unverified, never skipped.
            for attribute in input.attributes.unsigned(oid: OID.archiveTimeStampV3) {
                for token in attribute.valuesDER {
                    let examined = examineTimestamp(token, type: .archive, covering: .checked(CryptoCheck(
                        .notChecked, "the signature's structure cannot be read to recompute what this archive timestamp covers")),
                        environment: environment)
                    stamps.evidence.append(examined.evidence)
                    stamps.certificates += examined.certificates
                }
            }
            return
        }
        let signerLayout = layout.signers[position]
        // Whole attributes by their values, for indexes in the TS 101 733 form (one hash per attribute).
        var attributeOf: [[UInt8]: [UInt8]] = [:]
        for attribute in signerLayout.unsigned { for value in attribute.values { attributeOf[Array(value)] = Array(attribute.attributeTLV) } }
        for index in stamps.unsignedValues.indices {
            if let value = stamps.unsignedValues[index] { stamps.unsignedValues[index]?.attribute = attributeOf[value.token] }
        }
        let tokens = signerLayout.unsigned.filter { $0.oid == OID.archiveTimeStampV3 }.flatMap(\.values).map(Array.init)
        for token in tokens {
            let algorithm = (try? TimestampToken.parse(token))?.imprintAlgorithm
            let contentHash = algorithm.flatMap { alg in
                layout.eContent.map { try? MultiDigest.digest(alg, $0) } ?? environment.document?.digests[alg]
            }
            let check = ArchiveTimestamps.verifyImprint(token: token, layout: layout, alternative: environment.alternative.layout,
                                                        signer: position, contentHash: contentHash)
            let examined = examineTimestamp(token, type: .archive, covering: .checked(check), environment: environment)
            // An archive timestamp counts for the level only when its imprint was decided (or could only not be
            // for want of the detached document, like the signature itself).
            if examined.parsed, check.outcome != .notChecked || contentHash == nil { stamps.archiveExamined = true }
            stamps.append(examined, value: (OID.archiveTimeStampV3, token, attributeOf[token]))
        }
        // Archive timestamps of TS 101 733 (v2 and the older v1): over the whole SignedData as it was.
        var olderArchives: [(index: Int, genTime: Date)] = []
        for attribute in signerLayout.unsigned where attribute.oid == ArchiveTimestamps.archiveV2OID || attribute.oid == ArchiveTimestamps.archiveV1OID {
            for value in attribute.values {
                let token = Array(value)
                let check = ArchiveTimestamps.verifyImprintV2(token: token, layout: layout, signer: position,
                                                              detached: Self.documentStreamer(environment.documentInput))
                let examined = examineTimestamp(token, type: .archive, covering: .checked(check), environment: environment)
                olderArchives.append((stamps.evidence.count, examined.evidence.genTime))
                stamps.append(examined, value: (attribute.oid, token, Array(attribute.attributeTLV)))
            }
        }
        for (position, stamp) in stamps.evidence.enumerated() where stamp.type == .archive {
            stamps.evidence[position].covers = covered(by: position, in: stamps, olderArchives: olderArchives)
        }
    }

    /// The positions of the timestamps the archive timestamp at `position` covers: for a TS 101 733 one, every
    /// earlier timestamp; for archive-time-stamp-v3, those its ats-hash-index-v3 lists (and every signed attribute).
    static func covered(by position: Int, in stamps: SignerTimestamps, olderArchives: [(index: Int, genTime: Date)]) -> [Int] {
        let timestamps = stamps.evidence
        let unsignedValues = stamps.unsignedValues
        if let older = olderArchives.first(where: { $0.index == position }) {
            // It covers everything the signature carried before it: every earlier timestamp.
            return timestamps.indices.filter { $0 != position && timestamps[$0].genTime < older.genTime }
        }
        guard let token = unsignedValues[position]?.token, let index = ArchiveTimestamps.coveredValueHashes(token: token) else {
            return []
        }
        return unsignedValues.indices.filter { other in
            guard other != position else { return false }
            guard let value = unsignedValues[other] else { return true }
            let input: [UInt8]?
            if index.legacy {
                input = value.attribute
            } else {
                input = (try? DEREncoder.oid(value.type)).map { $0 + value.token }
            }
            guard let input, let hash = try? MultiDigest.digest(index.algorithm, input) else { return false }
            return index.hashes.contains(hash)
        }
    }

    /// Counter-signatures: each a signature of its own over this signer's signature value (nested ones inside).
    static func examineCounterSignatures(
        _ input: SignerInput, signatureBytes: [UInt8]
    ) -> (evidence: [SignerEvidence], certificates: [X509Certificate]) {
        guard input.depth < maxCounterSignatureDepth else { return ([], []) }
        var counterSignatures: [SignerEvidence] = []
        var referenced: [X509Certificate] = []
        let values = input.attributes.unsigned(NID_pkcs9_countersignature).flatMap(\.valuesDER).prefix(maxCounterSignatures)
        for (index, value) in values.enumerated() {
            let counterID = "\(input.id)-C\(index)"
            guard let synthetic = counterSignatureMessage(signerInfo: value, countersigned: signatureBytes),
                  let counterSI = synthetic.signerInfos.first
            else {
                counterSignatures.append(unreadableCounterSignature(id: counterID))
                continue
            }
            var wanted: Set<DigestAlgorithm> = [.sha256]
            if let alg = Signer.signerDigest(counterSI) { wanted.insert(alg) }
            let countersigned = (try? hashDocument(.bytes(name: nil, signatureBytes), algorithms: wanted, attached: nil)) ?? nil
            let examined = examineSigner(counterSI, id: counterID, cms: synthetic, searchOrder: input.environment.searchOrder,
                                         document: countersigned, environment: input.environment,
                                         role: .counterSignature(depth: input.depth + 1))
            counterSignatures.append(examined.evidence)
            referenced += examined.certificates
        }
        return (counterSignatures, referenced)
    }

    /// The CAdES level the structure reaches: only what was examined counts.
    static func level(
        _ input: SignerInput, formatIssues: [String], ess: (version: SigningCertificateAttribute, der: [UInt8])?, timestamps: SignerTimestamps
    ) -> EvidenceLevel {
        let attributes = input.attributes
        let hasESS = !attributes.signed(NID_id_smime_aa_signingCertificateV2).isEmpty || !attributes.signed(NID_id_smime_aa_signingCertificate).isEmpty
        // A signer whose structure breaks the CAdES rules (duplicated attributes, a signing-certificate-v2 made with
        // SHA-1, which is what the v1 attribute is for) is plain CMS, not CAdES (DSS: CMS_NOT_ETSI).
        let essV2WithSHA1 = ess.map { $0.version == .v2 && ESS.hashAlgorithm($0.der) == .sha1 } ?? false
        guard formatIssues.isEmpty, !essV2WithSHA1, hasESS, !attributes.signed(NID_pkcs9_signingTime).isEmpty else { return .cms }
        // Only a timestamp that could be read makes T; only an archive timestamp that was checked makes LTA.
        guard timestamps.parsedSignatureTimestamps > 0 else { return .b }
        guard input.environment.hasRevocationData else { return .t }
        return timestamps.archiveExamined ? .lta : .lt
    }

    /// Feeds the document's bytes into a digest again (a detached signature's archive-time-stamp-v2 covers them
    /// whole); nil when only its digest is known.
    static func documentStreamer(_ input: DocumentInput?) -> ((MultiDigest) throws -> Void)? {
        switch input {
        case .file(let path)?: return { multi in try FileInput.stream(path: path) { multi.update($0) } }
        case .bytes(_, let bytes)?: return { multi in multi.update(bytes) }
        default: return nil
        }
    }

    /// A CMS SignedData built around one countersignature SignerInfo, with the countersigned signature value as its
    /// content, so that the countersignature is read and verified like any signer (its message-digest attribute is
    /// the hash of that value, RFC 5652 §11.4).
    static func counterSignatureMessage(signerInfo: [UInt8], countersigned: [UInt8]) -> CMSMessage? {
        guard let node = DER.node(in: signerInfo, at: 0), node.tag == 0x30 else { return nil }
        let fields = DER.children(of: node, in: signerInfo)
        guard fields.count >= 5, fields[2].tag == 0x30,
              let signedDataOID = try? DEREncoder.oid("1.2.840.113549.1.7.2"), let dataOID = try? DEREncoder.oid("1.2.840.113549.1.7.1")
        else { return nil }
        let digestAlgorithm = Array(signerInfo[EmbeddedRevocation.start(of: fields[2], in: signerInfo)..<fields[2].end])
        let version: [UInt8] = fields[1].tag == 0x80 ? [0x02, 0x01, 0x03] : [0x02, 0x01, 0x01]
        let signedData = DEREncoder.sequence([
            version, DEREncoder.tlv(0x31, digestAlgorithm),
            DEREncoder.sequence([dataOID, DEREncoder.tlv(0xA0, DEREncoder.tlv(0x04, countersigned))]),
            DEREncoder.tlv(0x31, Array(signerInfo[EmbeddedRevocation.start(of: node, in: signerInfo)..<node.end])),
        ])
        let contentInfo = DEREncoder.sequence([signedDataOID, DEREncoder.tlv(0xA0, signedData)])
        return try? CMSMessage.parse(der: contentInfo, subject: nil)
    }

    static func unreadableCounterSignature(id: String) -> SignerEvidence {
        let finding = FormatFinding(code: .unreadable, attribute: "countersignature")
        var evidence = SignerEvidence(
            id: id, formatIssues: [finding.english],
            identification: IdentificationEvidence(signerIdentifier: "unknown", signerIdentifierValue: "", foundIn: nil,
                                                   signingCertificateAttribute: .absent, binding: .absent),
            algorithms: AlgorithmEvidence(digest: "unknown", digestOID: "", signature: "unknown", signatureOID: ""),
            messageDigest: CryptoCheck(.notChecked, "unreadable"), signatureValue: CryptoCheck(.notChecked, "unreadable"))
        evidence.formatFindings = [finding]
        return evidence
    }

    /// Whether OpenSSL knows this SignerInfo signature algorithm at all (an OID it has no name for cannot be
    /// verified). Known ones are tried; an error that says an algorithm is missing is classified afterwards.
    static func signatureAlgorithmUsable(oid object: OpaquePointer?) -> Bool {
        OBJ_obj2nid(object) != NID_undef
    }

    /// Verifies a SignerInfo's signature over the DER of its signed attributes as computed here — in the order they
    /// are stored, or `sorted` as DER orders a SET OF (X.690 §11.6). nil when this path cannot verify the key type
    /// (RSA-PSS needs its parameters; OpenSSL's own verification handles it).
    static func verifySignedAttributes(_ si: SignerInfo, certificate: X509Certificate, digest: DigestAlgorithm?, scheme: String,
                                       sorted: Bool) -> Bool? {
        guard let key = X509_get0_pubkey(certificate.pointer), let signature = CMS_SignerInfo_get0_signature(si.pointer) else { return nil }
        guard var encoded = SignerAttributes(signerInfo: si).signedDER() else { return nil }
        if sorted { encoded.sort { $0.lexicographicallyPrecedes($1) } }
        let data = DEREncoder.tlv(0x31, encoded.flatMap { $0 })
        let keyType = EVP_PKEY_get_base_id(key)
        let oneShot = keyType == EVP_PKEY_ED25519 || keyType == EVP_PKEY_ED448
        let md = oneShot ? nil : digest?.evpMD()
        guard oneShot || md != nil, let context = OpenSSLHandle(taking: EVP_MD_CTX_new(), free: EVP_MD_CTX_free) else { return nil }
        let ctx = context.pointer
        clearOpenSSLErrors()
        var pkeyContext: OpaquePointer? = nil
        guard EVP_DigestVerifyInit(ctx, &pkeyContext, md, nil, key) == 1 else {
            clearOpenSSLErrors()
            return nil
        }
        if scheme == "rsa-pss" {
            // RSASSA-PSS: MGF1 with the same hash, the salt length read from the signature (RFC 4055 defaults apart,
            // every producer uses the digest's length; AUTO accepts what the signature says).
            guard let pkeyContext, EVP_PKEY_CTX_set_rsa_padding(pkeyContext, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pkeyContext, RSA_PSS_SALTLEN_AUTO) == 1,
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pkeyContext, md) == 1
            else {
                clearOpenSSLErrors()
                return nil
            }
        }
        let signatureBytes = bytes(of: signature)
        let ok = EVP_DigestVerify(ctx, signatureBytes, signatureBytes.count, data, data.count) == 1
        clearOpenSSLErrors()
        return ok
    }

    /// Whether an OpenSSL error says an algorithm is missing rather than that a signature is wrong.
    static func unsupported(_ error: String) -> Bool {
        let text = error.lowercased()
        return text.contains("unsupported algorithm") || text.contains("unknown digest") || text.contains("unknown message digest")
            || text.contains("unsupported digest") || text.contains("unknown signature algorithm") || text.contains("no such algorithm")
            || text.contains("unsupported signature") || text.contains("unsupported public key")
    }

    /// What a timestamp must cover: exact bytes (the signature value), or a document known by its digests.
    enum Covered {
        case bytes([UInt8])
        case digests([DigestAlgorithm: [UInt8]])
        /// The imprint was checked by the caller (archive timestamps: the input is recomputed from the structure).
        case checked(CryptoCheck)
        /// An input recomputed from the signature's structure, with the same from its DER re-encoding when that
        /// differs; `normalized`: the structure could only be read re-encoded (BER input).
        case reencodable([UInt8], alternative: [UInt8]?, normalized: Bool)
    }

    /// Examines one RFC 3161 token: its imprint against what it must cover, its own signature (and ESS binding),
    /// the TSA certificate's timeStamping EKU, and the TSA's path at the timestamp's time and at validation time.
    /// The TSA certificate is looked for in the token, then everywhere the signature carries certificates
    /// (SignedData, certificate-values, the other timestamps), then `--cert` and the trust anchors.
    static func examineTimestamp(
        _ der: [UInt8], type: TimestampType, covering: Covered, environment: Environment
    ) -> (evidence: TimestampEvidence, certificates: [X509Certificate], parsed: Bool) {
        guard let token = try? TimestampToken.parse(der) else {
            let broken = TimestampEvidence(
                type: type, genTime: .distantPast, accuracy: nil, serial: "", policy: nil, imprintAlgorithm: "unknown",
                imprint: CryptoCheck(.notChecked, "the token cannot be parsed"), signatureValue: CryptoCheck(.invalid, "the token cannot be parsed"),
                tsaCertificate: nil, timeStampingEKU: .notChecked, chains: [])
            return (broken, [], false)
        }
        // Imprint.
        var imprint: CryptoCheck
        if let algorithm = token.imprintAlgorithm {
            switch covering {
            case .bytes(let data):
                let expected = (try? MultiDigest.digest(algorithm, data)) ?? []
                imprint = expected == token.imprint ? CryptoCheck(.valid) : CryptoCheck(.invalid, "the imprint is not the hash of this signature value")
            case .digests(let digests):
                if let expected = digests[algorithm] {
                    imprint = expected == token.imprint ? CryptoCheck(.valid) : CryptoCheck(.invalid, "the imprint is not the hash of the signed content")
                } else {
                    imprint = CryptoCheck(.notChecked, "the signed content is not available")
                }
            case .checked(let check):
                imprint = check
            case .reencodable(let input, let alternative, let normalized):
                if (try? MultiDigest.digest(algorithm, input)) == token.imprint {
                    imprint = CryptoCheck(.valid)
                } else if let alternative, (try? MultiDigest.digest(algorithm, alternative)) == token.imprint {
                    imprint = CryptoCheck(.valid, "the imprint matches the signature's DER re-encoding")
                } else if normalized {
                    imprint = CryptoCheck(.notChecked, "the signature is BER-encoded and its DER re-encoding does not reproduce this timestamp's imprint; what it covers cannot be decided")
                } else {
                    imprint = CryptoCheck(.invalid, "the imprint is not the hash of the signature value, its timestamps and the complete references")
                }
            }
        } else {
            imprint = CryptoCheck(.notChecked, "unsupported imprint algorithm \(token.imprintOID)")
        }
        // The token as a signature over its TSTInfo.
        let tokenCertificates = token.cms.certificates
        var tstDigests: [DigestAlgorithm: [UInt8]] = [:]
        var needed: Set<DigestAlgorithm> = [.sha256]
        for si in token.cms.signerInfos { if let alg = Signer.signerDigest(si) { needed.insert(alg) } }
        if let multi = try? MultiDigest(needed) {
            multi.update(token.tstInfo)
            tstDigests = multi.finish()
        }
        var certificates: [X509Certificate] = []
        var tokenAlgorithms: AlgorithmEvidence? = nil
        var signatureValue = CryptoCheck(.invalid, "the token has no signer")
        var tsaCertificate: X509Certificate? = nil
        var tsaSource: CertificateOrigin? = nil
        if let tokenSigner = token.cms.signerInfos.first, token.cms.signerInfos.count == 1 {
            let tstDocument = HashedDocument(
                evidence: DocumentEvidence(name: nil, size: UInt64(token.tstInfo.count), digests: [:], source: .attached),
                digests: tstDigests, mismatchWithAttached: false)
            let examined = examineSigner(
                tokenSigner, id: "TS", cms: token.cms, searchOrder: [(.token, tokenCertificates)] + environment.searchOrder,
                document: tstDocument, environment: environment, role: .timestampToken)
            let e = examined.evidence
            tokenAlgorithms = e.algorithms
            if e.identification.binding == .invalid {
                // The certificate the token's SignerIdentifier names is not the one its signing-certificate
                // attribute binds: the TSA certificate is not identified (as for a signer's certificate
                // substitution), so the token proves nothing and is not shown broken either.
                signatureValue = CryptoCheck(.notChecked, "the token's signing-certificate attribute does not name the certificate its signer identifier matches: the TSA certificate is not identified")
            } else if e.signerCertificate == nil {
                // Checked before the signature value: without the certificate nothing can be verified, and nothing
                // is proven broken either (many TSAs leave it out when certReq is false; CryptoPro keeps it in
                // certificate-values or in the CAdES-C timestamp).
                signatureValue = CryptoCheck(.notChecked, "the TSA certificate is not in the token, the signature, its certificate-values or its other timestamps (give it with --cert)")
            } else if e.identification.signingCertificateAttribute == .absent {
                signatureValue = CryptoCheck(.invalid, "the token has no signing-certificate attribute (RFC 3161, 2.4.2)")
            } else if e.messageDigest.outcome != .valid {
                signatureValue = CryptoCheck(.invalid, "the token's message digest does not match its TSTInfo")
            } else {
                signatureValue = e.signatureValue
            }
            if let fingerprint = e.signerCertificate {
                let all = tokenCertificates + environment.embeddedCertificates + environment.supplied + environment.trust.anchors
                tsaCertificate = all.first { $0.fingerprint == fingerprint }
                tsaSource = e.identification.foundIn
            }
            certificates += examined.certificates
        }
        var eku: CheckOutcome = .notChecked
        var chains: [ChainEvidence] = []
        if let tsaCertificate {
            eku = X509_check_purpose(tsaCertificate.pointer, X509_PURPOSE_TIMESTAMP_SIGN, 0) == 1 ? .valid : .invalid
            clearOpenSSLErrors()
            var tsaValidator = environment.validator
            tsaValidator.untrusted = environment.validator.untrusted + tokenCertificates
            let (atTime, path) = tsaValidator.evaluate(tsaCertificate, at: token.genTime, purpose: .timestamp)
            let (now, _) = tsaValidator.evaluate(tsaCertificate, at: environment.validationTime, purpose: .validationTime)
            chains = [atTime, now]
            certificates += path
        }
        var evidence = TimestampEvidence(
            type: type, genTime: token.genTime, accuracy: token.accuracy, serial: token.serial, policy: token.policy,
            imprintAlgorithm: token.imprintAlgorithm?.name ?? token.imprintOID, imprint: imprint, signatureValue: signatureValue,
            tsaCertificate: tsaCertificate?.fingerprint, timeStampingEKU: eku, chains: chains, algorithms: tokenAlgorithms)
        evidence.tsaCertificateSource = tsaSource
        evidence.imprintValue = hex(token.imprint)
        return (evidence, certificates, true)
    }

    static func signerIdentifier(_ si: SignerInfo) -> (kind: String, value: String) {
        var keyID: UnsafeMutablePointer<ASN1_OCTET_STRING>? = nil
        var issuer: OpaquePointer? = nil
        var serial: UnsafeMutablePointer<ASN1_INTEGER>? = nil
        guard CMS_SignerInfo_get0_signer_id(si.pointer, &keyID, &issuer, &serial) == 1 else {
            clearOpenSSLErrors()
            return ("unknown", "")
        }
        if let keyID { return ("subjectKeyIdentifier", hex(bytes(of: keyID))) }
        return ("issuerAndSerialNumber", "\(nameText(issuer)) / \(hexInteger(serial))")
    }

    /// The hash named in RSASSA-PSS parameters ([0] hashAlgorithm, SHA-1 by default).
    static func pssDigest(parameterType: Int32, parameterValue: UnsafeRawPointer?) -> DigestAlgorithm? {
        guard parameterType == V_ASN1_SEQUENCE, let parameterValue else { return .sha1 }
        let string = parameterValue.assumingMemoryBound(to: ASN1_STRING.self)
        let der = bytes(of: string)
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30 else { return nil }
        guard let first = DER.children(of: outer, in: der).first, first.tag == 0xA0 else { return .sha1 }
        guard let algorithm = DER.children(of: first, in: der).first, algorithm.tag == 0x30,
            let oidNode = DER.children(of: algorithm, in: der).first, oidNode.tag == 0x06,
            let oid = DER.oid(der[oidNode.contentRange])
        else { return nil }
        return DigestAlgorithm.allCases.first { $0.oid == oid }
    }

    /// Verifies a SignerInfo without signed attributes: the signature is over the document digest itself.
    static func verifyRaw(si: SignerInfo, certificate: X509Certificate, digest: DigestAlgorithm, value: [UInt8]) -> Bool {
        guard let signature = CMS_SignerInfo_get0_signature(si.pointer) else { return false }
        return RawSignature.verify(bytes(of: signature), overDigest: value, certificate: certificate, digest: digest)
    }
}

/// ESS signing-certificate (RFC 2634) and signing-certificate-v2 (RFC 5035) binding checks.
enum ESS {
    /// The hash algorithm of the first ESSCertIDv2 (SHA-256 when omitted, its DEFAULT).
    static func hashAlgorithm(_ der: [UInt8]) -> DigestAlgorithm? {
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30,
              let certs = DER.children(of: outer, in: der).first, certs.tag == 0x30,
              let first = DER.children(of: certs, in: der).first, first.tag == 0x30,
              let head = DER.children(of: first, in: der).first
        else { return nil }
        guard head.tag == 0x30 else { return .sha256 }
        guard let oidNode = DER.children(of: head, in: der).first, oidNode.tag == 0x06, let oid = DER.oid(der[oidNode.contentRange]) else { return nil }
        return DigestAlgorithm(oid: oid)
    }

    /// Whether the first ESSCertID(v2) in the attribute value names `certificate`.
    static func binds(_ der: [UInt8], version: SigningCertificateAttribute, certificate: X509Certificate) -> Bool {
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30,
            let certs = DER.children(of: outer, in: der).first, certs.tag == 0x30,
            let first = DER.children(of: certs, in: der).first, first.tag == 0x30
        else { return false }
        var fields = DER.children(of: first, in: der)
        var algorithm: DigestAlgorithm = version == .v2 ? .sha256 : .sha1
        if version == .v2, let head = fields.first, head.tag == 0x30 {
            guard let oidNode = DER.children(of: head, in: der).first, oidNode.tag == 0x06,
                let oid = DER.oid(der[oidNode.contentRange]),
                let named = DigestAlgorithm.allCases.first(where: { $0.oid == oid })
            else { return false }
            algorithm = named
            fields.removeFirst()
        }
        guard let hashNode = fields.first, hashNode.tag == 0x04,
            let actual = try? MultiDigest.digest(algorithm, certificate.der),
            Array(der[hashNode.contentRange]) == actual
        else { return false }
        // issuerSerial, when present, must name the same issuer and serial.
        if fields.count > 1 {
            let issuerSerial = fields[1]
            guard issuerSerial.tag == 0x30 else { return false }
            let parts = DER.children(of: issuerSerial, in: der)
            guard parts.count == 2, parts[0].tag == 0x30, parts[1].tag == 0x02 else { return false }
            let serialContent = Array(der[parts[1].contentRange])
            guard let certSerial = encodeDER(X509_get0_serialNumber(certificate.pointer), i2d_ASN1_INTEGER),
                let serialNode = DER.node(in: certSerial, at: 0),
                Array(certSerial[serialNode.contentRange]) == serialContent
            else { return false }
            // The issuer as a directory name, compared as names (X509_NAME_cmp: canonical form), not as bytes: a
            // producer may encode the same name with other string types than the certificate does.
            let names = DER.children(of: parts[0], in: der)
            let directoryNames = names.filter { $0.tag == 0xA4 }.map { Array(der[$0.contentRange]) }
            let issuer = X509_get_issuer_name(certificate.pointer)
            let matches = directoryNames.contains { encoded in
                guard let parsed = NameComparison.parse(encoded) else { return false }
                return X509_NAME_cmp(parsed.pointer, issuer) == 0
            }
            guard matches else { return false }
        }
        return true
    }
}
