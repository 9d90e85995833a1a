import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// What signed PDFs (PAdES, ETSI EN 319 142-1) need from the signing core beyond detached CAdES: document timestamps
/// examined over a byte range, the SHA-1 digest inside `adbe.pkcs7.sha1` signatures, CMS without the signing-time
/// attribute (PAdES puts the claimed time into the signature dictionary), and the validation data a document
/// security store holds. The PDF itself is read elsewhere (PodpisPDF); nothing here knows PDF syntax.
public enum PAdESSupport {
    /// A document timestamp (`/SubFilter /ETSI.RFC3161`) as evidence, with every certificate it names.
    public struct DocumentTimestamp: Sendable {
        public var evidence: TimestampEvidence
        public var certificates: [String: CertificateInfo]
        public var revocationSources: [RevocationSource]
    }

    /// Examines a document timestamp token: its imprint against the covered bytes' digests, its signature and
    /// signing-certificate binding, the TSA certificate's EKU and its path (at the token's time and at validation
    /// time), exactly as a signature-time-stamp is examined.
    public static func examineDocumentTimestamp(
        _ token: [UInt8], covered digests: [DigestAlgorithm: [UInt8]], trust: TrustStore, certificates: [X509Certificate] = [],
        crls: [CertificateRevocationList] = [], ocspResponses: [[UInt8]] = [], validationTime: Date? = nil,
        revocation: RevocationPolicy = .offline, limits: SignatureLimits = .standard
    ) -> DocumentTimestamp {
        // A document timestamp is a bare RFC 3161 token over the covered bytes: the evidence collector examines it as
        // it examines any token given alone (the same TSA lookup, path, revocation and fetch rules).
        let request = VerificationRequest(
            signature: token, document: .hashed(name: nil, size: 0, digests: digests), trust: trust, certificates: certificates,
            crls: crls, validationTime: validationTime, ocspResponses: ocspResponses, revocation: revocation, limits: limits)
        guard let evidence = try? EvidenceCollector.collect(request), var stamp = evidence.timestamps?.first else {
            let broken = TimestampEvidence(
                type: .document, genTime: .distantPast, accuracy: nil, serial: "", policy: nil, imprintAlgorithm: "unknown",
                imprint: CryptoCheck(.notChecked, "the token cannot be parsed"), signatureValue: CryptoCheck(.invalid, "the token cannot be parsed"),
                tsaCertificate: nil, timeStampingEKU: .notChecked, chains: [])
            return DocumentTimestamp(evidence: broken, certificates: [:], revocationSources: [])
        }
        stamp.type = .document
        return DocumentTimestamp(evidence: stamp, certificates: evidence.certificates,
                                 revocationSources: evidence.revocationSources.filter { $0.origin != .supplied })
    }

    /// The encapsulated content of an attached CMS signature (for `adbe.pkcs7.sha1`: the SHA-1 of the covered bytes).
    public static func encapsulatedContent(_ der: [UInt8]) -> [UInt8]? {
        CryptoLibrary.initialize()
        return (try? CMSMessage.parse(der: der, subject: nil))?.attachedContent
    }

    /// The digest algorithms the signers of a CMS signature use (the covered bytes are hashed with these).
    public static func digestAlgorithms(_ der: [UInt8]) -> Set<DigestAlgorithm> {
        CryptoLibrary.initialize()
        guard let cms = try? CMSMessage.parse(der: der, subject: nil) else { return [] }
        return Set(cms.signerInfos.compactMap(Signer.signerDigest))
    }

    /// Re-signs a freshly made one-signer CMS without its signing-time attribute: PAdES baseline signatures carry the
    /// claimed time in the signature dictionary's `/M` and must not have it in the CMS (ETSI EN 319 142-1, 6.3).
    /// OpenSSL always adds signing-time when it signs, so the signed attributes are encoded and signed here.
    public static func removingSigningTime(_ der: [UInt8], identity: SigningIdentity, rsaPSS: Bool) throws -> [UInt8] {
        CryptoLibrary.initialize()
        let cms = try CMSMessage.parse(der: der, subject: nil)
        guard cms.signerInfos.count == 1, let si = cms.signerInfos.first else {
            throw PodpisError(.software, "a PAdES signature has exactly one signer")
        }
        clearOpenSSLErrors()
        let index = CMS_signed_get_attr_by_NID(si.pointer, NID_pkcs9_signingTime, -1)
        if index >= 0 { X509_ATTRIBUTE_free(CMS_signed_delete_attr(si.pointer, index)) }
        // DER SET OF: the encoded attributes in ascending byte order (shorter first on a common prefix).
        guard var encoded = SignerAttributes(signerInfo: si).signedDER() else {
            throw PodpisError.openSSL(.software, "cannot encode a signed attribute")
        }
        encoded.sort { $0.lexicographicallyPrecedes($1) }
        let content = encoded.flatMap { $0 }
        let signedAttributes = DEREncoder.tlv(0x31, content)
        guard let digest = Signer.signerDigest(si), let md = digest.evpMD() else {
            throw PodpisError(.software, "unknown digest in the signer")
        }
        guard let owner = OpenSSLHandle(taking: EVP_MD_CTX_new(), free: EVP_MD_CTX_free) else { throw PodpisError.openSSL(.software, "cannot sign") }
        let context = owner.pointer
        var pctx: OpaquePointer? = nil
        guard EVP_DigestSignInit(context, &pctx, md, nil, identity.key.pointer) == 1 else {
            throw PodpisError.openSSL(.software, "cannot start signing")
        }
        if rsaPSS && identity.key.keyType == .rsa, let pctx {
            guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 else {
                throw PodpisError.openSSL(.software, "cannot set RSA-PSS parameters")
            }
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, signedAttributes, signedAttributes.count) == 1 else {
            throw PodpisError.openSSL(.software, "signing failed")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, signedAttributes, signedAttributes.count) == 1,
              let value = CMS_SignerInfo_get0_signature(si.pointer), ASN1_STRING_set(value, signature, Int32(length)) == 1 else {
            throw PodpisError.openSSL(.software, "signing failed")
        }
        return try cms.der()
    }

    /// The validation data a PAdES-LT document security store holds for a signature: every certificate of the
    /// signer's and its timestamps' paths and the CRLs and OCSP responses for them (gathered as for CAdES-LT).
    public static func validationData(
        signature: [UInt8], trust: TrustStore, certificates: [X509Certificate] = [], crls: [CertificateRevocationList] = [],
        ocspResponses: [[UInt8]] = [], revocation: RevocationPolicy = RevocationPolicy()
    ) throws -> (certificates: [[UInt8]], crls: [[UInt8]], ocspResponses: [[UInt8]]) {
        let extended = try LongTermExtender.extend(signature: signature, subject: nil, trust: trust, certificates: certificates,
                                                   crls: crls, ocspResponses: ocspResponses, revocation: revocation).bytes
        let cms = try CMSMessage.parse(der: extended, subject: nil)
        return (cms.certificates.map(\.der), cms.crls.map(\.der), EmbeddedRevocation.ocspResponses(inSignedData: extended))
    }
}
