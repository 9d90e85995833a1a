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

/// Everything a verification is given.
public struct VerificationRequest: Sendable {
    public var signature: [UInt8]
    public var signatureName: String?
    public var document: DocumentInput?
    public var trust: TrustStore
    /// Extra untrusted certificates (`--cert`).
    public var certificates: [X509Certificate]
    /// Extra revocation data (`--crl`).
    public var crls: [CertificateRevocationList]
    /// When to evaluate certificate paths; nil means now.
    public var validationTime: Date?
    /// Extra OCSP responses (`--ocsp-response`), DER.
    public var ocspResponses: [[UInt8]]
    /// Whether revocation data may be fetched from the network.
    public var revocation: RevocationPolicy
    /// What the signature may carry (counted before it is parsed); ``SignatureLimits/unlimited`` for forensic work.
    public var limits: SignatureLimits

    public init(
        signature: [UInt8], signatureName: String? = nil, document: DocumentInput? = nil, trust: TrustStore,
        certificates: [X509Certificate] = [], crls: [CertificateRevocationList] = [], validationTime: Date? = nil,
        ocspResponses: [[UInt8]] = [], revocation: RevocationPolicy = .offline, limits: SignatureLimits = .standard
    ) {
        self.limits = limits
        self.ocspResponses = ocspResponses
        self.revocation = revocation
        self.signature = signature
        self.signatureName = signatureName
        self.document = document
        self.trust = trust
        self.certificates = certificates
        self.crls = crls
        self.validationTime = validationTime
    }
}

/// Gathers policy-free evidence about a signature: parses it, identifies each signer, checks digests and
/// signature values, evaluates certificate paths and revocation. It never decides validity.
public enum EvidenceCollector {
    /// Collects evidence. Input that is not a signature is not an error here: it yields evidence whose
    /// `format.parsed` is false. Errors are thrown only for a named document that cannot be read.
    public static func collect(_ request: VerificationRequest) throws -> Evidence {
        CryptoLibrary.initialize()
        let now = Date().wholeSeconds
        let validationTime = (request.validationTime ?? now).wholeSeconds
        let signatureSHA256 = hex((try? MultiDigest.digest(.sha256, request.signature)) ?? [])
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
        let attached = cms.attachedContent
        evidence.format = FormatEvidence(parsed: true, content: attached == nil ? "detached" : "attached",
                                         contentType: cms.eContentTypeOID)

        let signerInfos = cms.signerInfos
        var algorithms: Set<DigestAlgorithm> = [.sha256]
        for si in signerInfos { if let alg = Signer.signerDigest(si) { algorithms.insert(alg) } }
        // Archive timestamps are checked against the signature's bytes as they are (their hash index names them).
        let archiveLayout = ArchiveTimestamps.Layout(originalDER)
        for signer in archiveLayout?.signers ?? [] {
            for token in signer.unsigned.filter({ $0.oid == OID.archiveTimeStampV3 }).flatMap(\.values) {
                if let alg = (try? TimestampToken.parse(Array(token)))?.imprintAlgorithm { algorithms.insert(alg) }
            }
        }
        let document = try hashDocument(request.document, algorithms: algorithms, attached: attached)
        evidence.document = document.map { $0.evidence }

        let embeddedCerts = cms.certificates
        var embeddedCRLs = cms.crls
        let der = (try? cms.der()) ?? []
        var embeddedOCSP = EmbeddedRevocation.ocspResponses(inSignedData: der)
        for si in signerInfos {
            for attribute in SignerAttributes(signerInfo: si).unsigned(NID_id_smime_aa_ets_revocationValues) {
                for value in SignerAttributes.valuesDER(attribute) {
                    let (crls, ocsp) = EmbeddedRevocation.revocationValues(value)
                    embeddedCRLs += crls
                    embeddedOCSP += ocsp
                }
            }
        }
        var sources: [String: String] = [:]
        for cert in request.certificates { sources[cert.fingerprint] = "supplied" }
        for cert in embeddedCerts { sources[cert.fingerprint] = "signedData" }
        for (origin, crls) in [("signedData", embeddedCRLs), ("supplied", request.crls)] {
            for crl in crls {
                evidence.revocationSources.append(RevocationSource(kind: "crl", origin: origin, issuer: crl.issuer,
                                                                   thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, sha256: crl.fingerprint))
            }
        }
        for (origin, responses) in [("signedData", embeddedOCSP), ("supplied", request.ocspResponses)] {
            for response in responses {
                evidence.revocationSources.append(RevocationSource(kind: "ocsp", origin: origin, issuer: "", thisUpdate: nil, nextUpdate: nil,
                                                                   sha256: hex((try? MultiDigest.digest(.sha256, response)) ?? [])))
            }
        }
        var validator = ChainValidator(trust: request.trust, untrusted: embeddedCerts + request.certificates,
                                       crls: embeddedCRLs + request.crls, sources: sources)
        validator.ocspResponses = embeddedOCSP + request.ocspResponses
        let hasRevocationData = !embeddedCRLs.isEmpty || !embeddedOCSP.isEmpty

        func examineAll(_ validator: ChainValidator) -> ([SignerEvidence], [String: X509Certificate]) {
            var referenced: [String: X509Certificate] = [:]
            for anchor in request.trust.anchors { referenced[anchor.fingerprint] = anchor }
            var signers: [SignerEvidence] = []
            for (index, si) in signerInfos.enumerated() {
                let signer = examineSigner(
                    si, id: "S\(index)", cms: cms, candidates: embeddedCerts, supplied: request.certificates,
                    trust: request.trust, document: document, validator: validator, validationTime: validationTime,
                    hasRevocationData: hasRevocationData,
                    archive: archiveLayout.flatMap { index < $0.signers.count ? ($0, index) : nil })
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
                let fetched = RevocationFetcher(policy: request.revocation).fetch(pairs: pairs)
                validator.crls += fetched.crls.map(\.0)
                validator.ocspResponses += fetched.ocsp.map(\.bytes)
                validator.fetchProblems = fetched.problems
                for (crl, url) in fetched.crls {
                    evidence.revocationSources.append(RevocationSource(kind: "crl", origin: "fetched", issuer: crl.issuer, thisUpdate: crl.thisUpdate,
                                                                       nextUpdate: crl.nextUpdate, url: url, sha256: crl.fingerprint))
                }
                for (response, url) in fetched.ocsp {
                    evidence.revocationSources.append(RevocationSource(kind: "ocsp", origin: "fetched", issuer: "", thisUpdate: nil, nextUpdate: nil, url: url,
                                                                       sha256: hex((try? MultiDigest.digest(.sha256, response)) ?? [])))
                }
                (signers, referenced) = examineAll(validator)
            }
            RevocationFetcher.noteUntrusted(&signers, certificates: referenced)
        }
        evidence.signers = signers
        evidence.certificates = referenced.mapValues { $0.info() }
        return evidence
    }

    /// (certificate, issuer) pairs on any path (signers' and TSAs') that reaches a configured trust anchor, whose
    /// revocation status is unknown. A path only the submitter vouches for is never fetched for.
    static func unknownRevocation(in signers: [SignerEvidence], certificates: [String: X509Certificate]) -> [(certificate: X509Certificate, issuer: X509Certificate)] {
        var pairs: [(certificate: X509Certificate, issuer: X509Certificate)] = []
        var seen = Set<String>()
        let chains = signers.flatMap { $0.chains + $0.timestamps.flatMap(\.chains) }
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
        struct Timestamp {
            var evidence: TimestampEvidence
            var certificates: [X509Certificate]
        }
    }

    static func examineSigner(
        _ si: OpaquePointer, id: String, cms: CMSMessage, candidates: [X509Certificate], supplied: [X509Certificate],
        trust: TrustStore, document: HashedDocument?, validator: ChainValidator, validationTime: Date,
        hasRevocationData: Bool, examineTimestamps: Bool = true, archive: (layout: ArchiveTimestamps.Layout, position: Int)? = nil
    ) -> ExaminedSigner {
        clearOpenSSLErrors()
        let attributes = SignerAttributes(signerInfo: si)
        let hasSignedAttributes = attributes.signedCount > 0
        var formatIssues: [String] = []
        var referenced: [X509Certificate] = []

        // Format: mandatory attributes exactly once, optional ones at most once, one value each.
        let contentTypes = attributes.signed(NID_pkcs9_contentType)
        let digests = attributes.signed(NID_pkcs9_messageDigest)
        let signingTimes = attributes.signed(NID_pkcs9_signingTime)
        let essV2 = attributes.signed(NID_id_smime_aa_signingCertificateV2)
        let essV1 = attributes.signed(NID_id_smime_aa_signingCertificate)
        if hasSignedAttributes {
            if contentTypes.count != 1 { formatIssues.append("content-type attribute present \(contentTypes.count) times (exactly once expected)") }
            if digests.count != 1 { formatIssues.append("message-digest attribute present \(digests.count) times (exactly once expected)") }
            for (name, list) in [("signing-time", signingTimes), ("signing-certificate-v2", essV2), ("signing-certificate", essV1)] where list.count > 1 {
                formatIssues.append("\(name) attribute present \(list.count) times (at most once expected)")
            }
            for attr in contentTypes + digests + signingTimes + essV2 + essV1 where X509_ATTRIBUTE_count(attr) != 1 {
                formatIssues.append("attribute \(oidText(X509_ATTRIBUTE_get0_object(attr))) has \(X509_ATTRIBUTE_count(attr)) values (one expected)")
            }
            if let ct = contentTypes.first, let value = SignerAttributes.object(ct), value != cms.eContentTypeOID {
                formatIssues.append("content-type attribute (\(value)) differs from the encapsulated content type (\(cms.eContentTypeOID))")
            }
        }

        // Algorithms.
        var digestAlgorithmPointer: UnsafeMutablePointer<X509_ALGOR>? = nil
        var signatureAlgorithmPointer: UnsafeMutablePointer<X509_ALGOR>? = nil
        CMS_SignerInfo_get0_algs(si, nil, nil, &digestAlgorithmPointer, &signatureAlgorithmPointer)
        var digestObject: OpaquePointer? = nil
        X509_ALGOR_get0(&digestObject, nil, nil, digestAlgorithmPointer)
        var signatureObject: OpaquePointer? = nil
        var parameterType: Int32 = 0
        var parameterValue: UnsafeRawPointer? = nil
        X509_ALGOR_get0(&signatureObject, &parameterType, &parameterValue, signatureAlgorithmPointer)
        let digestAlgorithm = DigestAlgorithm(nid: OBJ_obj2nid(digestObject))
        let digestOID = oidText(digestObject)
        let signatureOID = oidText(signatureObject)

        // Signer identification.
        let identifier = signerIdentifier(si)
        let essAttribute: (version: String, der: [UInt8])? =
            essV2.first.flatMap { SignerAttributes.valuesDER($0).first }.map { ("v2", $0) }
            ?? essV1.first.flatMap { SignerAttributes.valuesDER($0).first }.map { ("v1", $0) }
        let searchOrder: [(String, [X509Certificate])] = [("signedData", candidates), ("supplied", supplied), ("trustStore", trust.anchors)]
        var matches: [(String, X509Certificate)] = []
        for (source, list) in searchOrder {
            for cert in list where CMS_SignerInfo_cert_cmp(si, cert.pointer) == 0 {
                if !matches.contains(where: { $0.1 == cert }) { matches.append((source, cert)) }
            }
        }
        clearOpenSSLErrors()
        var signerCert: X509Certificate? = nil
        var foundIn: String? = nil
        var binding: CheckOutcome = .absent
        var rejected: String? = nil
        if let essAttribute {
            let bound = matches.first { ESS.binds(essAttribute.der, version: essAttribute.version, certificate: $0.1) }
            if let bound {
                signerCert = bound.1
                foundIn = bound.0
                binding = .valid
            } else if let first = matches.first {
                binding = .invalid
                rejected = first.1.fingerprint
                referenced.append(first.1)
            } else {
                binding = .notChecked
            }
        } else if let first = matches.first {
            signerCert = first.1
            foundIn = first.0
        }
        let identification = IdentificationEvidence(
            signerIdentifier: identifier.kind, signerIdentifierValue: identifier.value, foundIn: foundIn,
            signingCertificateAttribute: essAttribute?.version ?? "absent", binding: binding, rejectedCandidate: rejected)

        var keyDescription: KeyDescription? = nil
        if let signerCert, let key = X509_get0_pubkey(signerCert.pointer) {
            keyDescription = KeyDescription(key: key)
            referenced.append(signerCert)
        }
        let scheme = signatureScheme(oid: signatureOID, keyType: keyDescription?.type)
        var impliedDigest = scheme.impliedDigest
        if scheme.scheme == "rsa-pss" {
            impliedDigest = pssDigest(parameterType: parameterType, parameterValue: parameterValue)
        }
        let algorithmEvidence = AlgorithmEvidence(
            digest: digestAlgorithm?.name ?? digestOID, digestOID: digestOID, signature: scheme.scheme,
            signatureOID: signatureOID, signatureDigest: impliedDigest?.name, keyType: keyDescription?.type,
            keyBits: keyDescription?.bits, curve: keyDescription?.curve)

        // Message digest against the document.
        let claimedDigest = digests.first.flatMap(SignerAttributes.octets)
        var messageDigest: CryptoCheck
        if let document {
            if document.mismatchWithAttached {
                messageDigest = CryptoCheck(.invalid, "the document given differs from the one inside the signature")
            } else if !hasSignedAttributes {
                messageDigest = CryptoCheck(.notChecked, "no signed attributes: the signature covers the document digest directly")
            } else if let digestAlgorithm, let actual = document.digests[digestAlgorithm] {
                if let claimedDigest {
                    messageDigest = claimedDigest == actual
                        ? CryptoCheck(.valid)
                        : CryptoCheck(.invalid, "message-digest attribute \(hex(claimedDigest)) ≠ document \(digestAlgorithm.name) \(hex(actual))")
                } else {
                    messageDigest = CryptoCheck(.absent, "no message-digest attribute")
                }
            } else if document.evidence.source == .digest {
                messageDigest = CryptoCheck(.notChecked, "the document digest was given with another algorithm than the signer's \(algorithmEvidence.digest)")
            } else {
                messageDigest = CryptoCheck(.notChecked, "digest algorithm \(algorithmEvidence.digest) is not supported")
            }
        } else {
            messageDigest = CryptoCheck(.notChecked, "no document: the signature is detached and the signed data was not given")
        }

        // Signature value.
        var signatureValue: CryptoCheck
        if let signerCert {
            if hasSignedAttributes {
                CMS_SignerInfo_set1_signer_cert(si, signerCert.pointer)
                clearOpenSSLErrors()
                let result = CMS_SignerInfo_verify(si)
                signatureValue = result == 1 ? CryptoCheck(.valid) : CryptoCheck(.invalid, drainOpenSSLErrors() ?? "signature does not verify")
            } else if let digestAlgorithm, let actual = document?.digests[digestAlgorithm] {
                let ok = verifyRaw(si: si, certificate: signerCert, digest: digestAlgorithm, value: actual)
                signatureValue = ok ? CryptoCheck(.valid) : CryptoCheck(.invalid, drainOpenSSLErrors() ?? "signature does not verify over the document digest")
                if ok { messageDigest = CryptoCheck(.valid, "verified through the signature (no signed attributes)") }
            } else {
                signatureValue = CryptoCheck(.notChecked, "no signed attributes and no document: nothing to verify the signature over")
            }
        } else {
            signatureValue = CryptoCheck(.notChecked, "the signer's certificate was not identified")
        }

        // Certificate path at the validation time.
        var chains: [ChainEvidence] = []
        if let signerCert {
            let (chain, path) = validator.evaluate(signerCert, at: validationTime, purpose: "validationTime")
            chains.append(chain)
            referenced += path
        }

        // Timestamps over this signature (and over its content), each examined as a signature of its own.
        var timestamps: [TimestampEvidence] = []
        // Each timestamp's hash as an unsigned attribute value (type OID and value), for archive coverage.
        var unsignedValues: [(type: String, token: [UInt8], attribute: [UInt8]?)?] = []
        if examineTimestamps, let value = CMS_SignerInfo_get0_signature(si) {
            let signatureBytes = bytes(of: value)
            for attribute in attributes.unsigned(NID_id_smime_aa_timeStampToken) {
                for token in SignerAttributes.valuesDER(attribute) {
                    let examined = examineTimestamp(token, type: "signature", covering: .bytes(signatureBytes), outerCertificates: candidates,
                                                    supplied: supplied, trust: trust, validator: validator, validationTime: validationTime)
                    timestamps.append(examined.evidence)
                    unsignedValues.append((OID.signatureTimeStamp, token, nil))
                    referenced += examined.certificates
                }
            }
        }
        for attribute in attributes.signed(NID_id_smime_aa_ets_contentTimestamp) where examineTimestamps {
            for token in SignerAttributes.valuesDER(attribute) {
                let examined = examineTimestamp(token, type: "content", covering: .digests(document?.digests ?? [:]), outerCertificates: candidates,
                                                supplied: supplied, trust: trust, validator: validator, validationTime: validationTime)
                timestamps.append(examined.evidence)
                unsignedValues.append(nil)  // a signed attribute: every archive timestamp covers it
                referenced += examined.certificates
            }
        }
        // Archive timestamps (CAdES-LTA): the imprint is recomputed from the signature as it is now.
        if examineTimestamps, let archive {
            let signerLayout = archive.layout.signers[archive.position]
            // Whole attributes by their values, for indexes in the TS 101 733 form (one hash per attribute).
            var attributeOf: [[UInt8]: [UInt8]] = [:]
            for attribute in signerLayout.unsigned { for value in attribute.values { attributeOf[Array(value)] = Array(attribute.attributeTLV) } }
            for index in unsignedValues.indices {
                if let value = unsignedValues[index] { unsignedValues[index]?.attribute = attributeOf[value.token] }
            }
            let tokens = signerLayout.unsigned.filter { $0.oid == OID.archiveTimeStampV3 }.flatMap(\.values).map(Array.init)
            for token in tokens {
                let algorithm = (try? TimestampToken.parse(token))?.imprintAlgorithm
                let contentHash = algorithm.flatMap { alg in
                    archive.layout.eContent.map { try? MultiDigest.digest(alg, $0) } ?? document?.digests[alg]
                }
                let check = ArchiveTimestamps.verifyImprint(token: token, layout: archive.layout, signer: archive.position, contentHash: contentHash)
                let examined = examineTimestamp(token, type: "archive", covering: .checked(check), outerCertificates: candidates,
                                                supplied: supplied, trust: trust, validator: validator, validationTime: validationTime)
                timestamps.append(examined.evidence)
                unsignedValues.append((OID.archiveTimeStampV3, token, attributeOf[token]))
                referenced += examined.certificates
            }
            for (position, stamp) in timestamps.enumerated() where stamp.type == "archive" {
                guard let token = unsignedValues[position]?.token, let index = ArchiveTimestamps.coveredValueHashes(token: token) else {
                    timestamps[position].covers = []
                    continue
                }
                timestamps[position].covers = unsignedValues.indices.filter { other in
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
        }

        let signedOIDs = attributes.signedOIDs()
        let unsignedOIDs = attributes.unsignedOIDs()
        var level = "CMS"
        if !essV2.isEmpty || !essV1.isEmpty, !signingTimes.isEmpty {
            level = "B"
            if unsignedOIDs.contains(OID.signatureTimeStamp) {
                level = "T"
                if hasRevocationData { level = "LT" }
                if level == "LT" && unsignedOIDs.contains(OID.archiveTimeStampV3) { level = "LTA" }
            }
        }

        let evidence = SignerEvidence(
            id: id, formatIssues: formatIssues, identification: identification, signerCertificate: signerCert?.fingerprint,
            algorithms: algorithmEvidence, messageDigest: messageDigest, signatureValue: signatureValue,
            signedAttributes: signedOIDs, unsignedAttributes: unsignedOIDs,
            claimedSigningTime: signingTimes.first.flatMap(SignerAttributes.time), chains: chains, timestamps: timestamps,
            level: level)
        return ExaminedSigner(evidence: evidence, certificates: referenced)
    }

    /// What a timestamp must cover: exact bytes (the signature value), or a document known by its digests.
    enum Covered {
        case bytes([UInt8])
        case digests([DigestAlgorithm: [UInt8]])
        /// The imprint was checked by the caller (archive timestamps: the input is recomputed from the structure).
        case checked(CryptoCheck)
    }

    /// Examines one RFC 3161 token: its imprint against what it must cover, its own signature (and ESS binding),
    /// the TSA certificate's timeStamping EKU, and the TSA's path at the timestamp's time and at validation time.
    static func examineTimestamp(
        _ der: [UInt8], type: String, covering: Covered, outerCertificates: [X509Certificate], supplied: [X509Certificate],
        trust: TrustStore, validator: ChainValidator, validationTime: Date
    ) -> ExaminedSigner.Timestamp {
        guard let token = try? TimestampToken.parse(der) else {
            let broken = TimestampEvidence(
                type: type, genTime: .distantPast, accuracy: nil, serial: "", policy: nil, imprintAlgorithm: "unknown",
                imprint: CryptoCheck(.notChecked, "the token cannot be parsed"), signatureValue: CryptoCheck(.invalid, "the token cannot be parsed"),
                tsaCertificate: nil, timeStampingEKU: .notChecked, chains: [])
            return ExaminedSigner.Timestamp(evidence: broken, certificates: [])
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
        if let tokenSigner = token.cms.signerInfos.first, token.cms.signerInfos.count == 1 {
            let tstDocument = HashedDocument(
                evidence: DocumentEvidence(name: nil, size: UInt64(token.tstInfo.count), digests: [:], source: .attached),
                digests: tstDigests, mismatchWithAttached: false)
            let examined = examineSigner(
                tokenSigner, id: "TS", cms: token.cms, candidates: tokenCertificates + outerCertificates, supplied: supplied,
                trust: trust, document: tstDocument, validator: validator, validationTime: validationTime,
                hasRevocationData: false, examineTimestamps: false)
            let e = examined.evidence
            tokenAlgorithms = e.algorithms
            if e.identification.binding == .invalid {
                signatureValue = CryptoCheck(.invalid, "the token's signing-certificate attribute does not match the TSA certificate")
            } else if e.identification.signingCertificateAttribute == "absent" {
                signatureValue = CryptoCheck(.invalid, "the token has no signing-certificate attribute (RFC 3161, 2.4.2)")
            } else if e.messageDigest.outcome != .valid {
                signatureValue = CryptoCheck(.invalid, "the token's message digest does not match its TSTInfo")
            } else {
                signatureValue = e.signatureValue
            }
            if let fingerprint = e.signerCertificate {
                tsaCertificate = (tokenCertificates + outerCertificates + supplied + trust.anchors).first { $0.fingerprint == fingerprint }
            }
            certificates += examined.certificates
        }
        var eku: CheckOutcome = .notChecked
        var chains: [ChainEvidence] = []
        if let tsaCertificate {
            eku = X509_check_purpose(tsaCertificate.pointer, X509_PURPOSE_TIMESTAMP_SIGN, 0) == 1 ? .valid : .invalid
            clearOpenSSLErrors()
            var tsaValidator = validator
            tsaValidator.untrusted = validator.untrusted + tokenCertificates
            let (atTime, path) = tsaValidator.evaluate(tsaCertificate, at: token.genTime, purpose: "timestamp")
            let (now, _) = tsaValidator.evaluate(tsaCertificate, at: validationTime, purpose: "validationTime")
            chains = [atTime, now]
            certificates += path
        }
        let evidence = TimestampEvidence(
            type: type, genTime: token.genTime, accuracy: token.accuracy, serial: token.serial, policy: token.policy,
            imprintAlgorithm: token.imprintAlgorithm?.name ?? token.imprintOID, imprint: imprint, signatureValue: signatureValue,
            tsaCertificate: tsaCertificate?.fingerprint, timeStampingEKU: eku, chains: chains, algorithms: tokenAlgorithms)
        return ExaminedSigner.Timestamp(evidence: evidence, certificates: certificates)
    }

    static func signerIdentifier(_ si: OpaquePointer) -> (kind: String, value: String) {
        var keyID: UnsafeMutablePointer<ASN1_OCTET_STRING>? = nil
        var issuer: OpaquePointer? = nil
        var serial: UnsafeMutablePointer<ASN1_INTEGER>? = nil
        guard CMS_SignerInfo_get0_signer_id(si, &keyID, &issuer, &serial) == 1 else {
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
    static func verifyRaw(si: OpaquePointer, certificate: X509Certificate, digest: DigestAlgorithm, value: [UInt8]) -> Bool {
        guard let key = X509_get0_pubkey(certificate.pointer), let signature = CMS_SignerInfo_get0_signature(si),
            let md = digest.evpMD(), let ctx = EVP_PKEY_CTX_new(key, nil)
        else { return false }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_verify_init(ctx) == 1 else { return false }
        if !digest.isGOST { _ = EVP_PKEY_CTX_set_signature_md(ctx, md) }
        let signatureBytes = bytes(of: signature)
        return EVP_PKEY_verify(ctx, signatureBytes, signatureBytes.count, value, value.count) == 1
    }
}

/// ESS signing-certificate (RFC 2634) and signing-certificate-v2 (RFC 5035) binding checks.
enum ESS {
    /// Whether the first ESSCertID(v2) in the attribute value names `certificate`.
    static func binds(_ der: [UInt8], version: String, certificate: X509Certificate) -> Bool {
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30,
            let certs = DER.children(of: outer, in: der).first, certs.tag == 0x30,
            let first = DER.children(of: certs, in: der).first, first.tag == 0x30
        else { return false }
        var fields = DER.children(of: first, in: der)
        var algorithm: DigestAlgorithm = version == "v2" ? .sha256 : .sha1
        if version == "v2", let head = fields.first, head.tag == 0x30 {
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
            guard let certSerial = derBytes({ i2d_ASN1_INTEGER(X509_get0_serialNumber(certificate.pointer), $0) }),
                let serialNode = DER.node(in: certSerial, at: 0),
                Array(certSerial[serialNode.contentRange]) == serialContent
            else { return false }
            guard let issuerDER = derBytes({ i2d_X509_NAME(X509_get_issuer_name(certificate.pointer), $0) }) else { return false }
            let names = DER.children(of: parts[0], in: der)
            let directoryNames = names.filter { $0.tag == 0xA4 }.map { Array(der[$0.contentRange]) }
            guard directoryNames.contains(issuerDER) else { return false }
        }
        return true
    }
}
