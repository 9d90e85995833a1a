import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// A signature over bytes, outside CMS: what an XML signature (XMLDSig) carries in `SignatureValue`. The trust list
/// import checks the Минцифры list's own signature with it.
public enum RawSignature {
    /// Whether `signature` is a signature over `data` by the key of `certificate`, with `digest` (for GOST keys the
    /// signature value as OpenSSL's GOST engine reads it, as in CMS).
    public static func verify(_ signature: [UInt8], over data: [UInt8], certificate: X509Certificate, digest: DigestAlgorithm) -> Bool {
        clearOpenSSLErrors()
        defer { clearOpenSSLErrors() }
        guard let hash = try? MultiDigest.digest(digest, data) else { return false }
        return verify(signature, overDigest: hash, certificate: certificate, digest: digest)
    }

    /// Whether `signature` is a signature by the key of `certificate` over `hash`, a `digest` value computed
    /// elsewhere (a CMS SignerInfo without signed attributes signs the document digest itself).
    static func verify(_ signature: [UInt8], overDigest hash: [UInt8], certificate: X509Certificate, digest: DigestAlgorithm) -> Bool {
        guard let key = X509_get0_pubkey(certificate.pointer), let md = digest.evpMD(),
              let context = OpenSSLHandle(taking: EVP_PKEY_CTX_new(key, nil), free: EVP_PKEY_CTX_free)
        else { return false }
        guard EVP_PKEY_verify_init(context.pointer) == 1 else { return false }
        if !digest.isGOST { _ = EVP_PKEY_CTX_set_signature_md(context.pointer, md) }
        return EVP_PKEY_verify(context.pointer, signature, signature.count, hash, hash.count) == 1
    }

    /// Whether `certificate` chains to an anchor of `trust` at `time` (with `untrusted` to complete the path); the
    /// problems found, other than expiry, are returned as text.
    public static func chain(_ certificate: X509Certificate, trust: TrustStore, untrusted: [X509Certificate] = [],
                             at time: Date = Date()) -> (trusted: Bool, issues: [String]) {
        let validator = ChainValidator(trust: trust, untrusted: untrusted, crls: [], sources: [:])
        let (chain, _) = validator.evaluate(certificate, at: time, purpose: .listSignature)
        let issues = chain.issues.filter { $0.code != .revocationData }.map(\.message)
        return (chain.reachesTrustAnchor && issues.isEmpty, issues)
    }
}
