import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// An owned OpenSSL `X509_CRL`; immutable after creation.
public final class CertificateRevocationList: @unchecked Sendable {
    let pointer: OpaquePointer
    public let fingerprint: String

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        fingerprint = X509_CRL_digest(pointer, EVP_sha256(), &digest, &length) == 1 ? hex(digest.prefix(Int(length))) : ""
    }

    convenience init(borrowing pointer: OpaquePointer) {
        X509_CRL_up_ref(pointer)
        self.init(taking: pointer)
    }

    deinit { X509_CRL_free(pointer) }

    /// Every CRL in a PEM file, or one DER CRL.
    public static func parseAll(_ bytes: [UInt8], subject: String? = nil) throws -> [CertificateRevocationList] {
        clearOpenSSLErrors()
        if looksLikePEM(bytes) || containsPEMBlock(bytes) {
            var result: [CertificateRevocationList] = []
            try withReadBIO(bytes) { bio in
                while let crl = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
                    result.append(CertificateRevocationList(taking: crl))
                }
            }
            clearOpenSSLErrors()
            guard !result.isEmpty else { throw PodpisError(.dataFormat, "no PEM CRL found", subject: subject) }
            return result
        }
        guard let crl = decodeDER(bytes, d2i_X509_CRL) else {
            throw PodpisError(.dataFormat, "not a CRL (PEM or DER expected)", subject: subject)
        }
        return [CertificateRevocationList(taking: crl)]
    }

    public var der: [UInt8] { encodeDER(pointer, i2d_X509_CRL) ?? [] }
    public func pem() throws -> [UInt8] {
        try collectBIO { bio in
            guard PEM_write_bio_X509_CRL(bio, pointer) == 1 else { throw PodpisError.openSSL(.software, "cannot encode CRL") }
        }
    }

    public var issuer: String { nameText(X509_CRL_get_issuer(pointer)) }
    public var thisUpdate: Date? { date(fromASN1: X509_CRL_get0_lastUpdate(pointer)) }
    public var nextUpdate: Date? { date(fromASN1: X509_CRL_get0_nextUpdate(pointer)) }
    var isDelta: Bool { X509_CRL_get_ext_by_NID(pointer, NID_delta_crl, -1) >= 0 }

    /// Whether `issuer` signed this CRL (names match and the signature verifies).
    func isSigned(by issuer: X509Certificate) -> Bool {
        guard X509_NAME_cmp(X509_CRL_get_issuer(pointer), X509_get_subject_name(issuer.pointer)) == 0,
            let key = X509_get0_pubkey(issuer.pointer)
        else { return false }
        let ok = X509_CRL_verify(pointer, key) == 1
        clearOpenSSLErrors()
        return ok
    }

    /// The entry for `certificate`, if listed: (revocation date, reason name). `removeFromCRL` entries
    /// (delta CRLs lifting a hold) are returned with reason `removeFromCRL`.
    func entry(for certificate: X509Certificate) -> (date: Date?, reason: RevocationReason?)? {
        var revoked: OpaquePointer? = nil
        let found = X509_CRL_get0_by_cert(pointer, &revoked, certificate.pointer)
        clearOpenSSLErrors()
        guard found != 0, let revoked else { return nil }
        let when = date(fromASN1: X509_REVOKED_get0_revocationDate(revoked))
        var reason: RevocationReason? = nil
        var critical: Int32 = 0
        let decoded = X509_REVOKED_get_ext_d2i(revoked, NID_crl_reason, &critical, nil)
        if let enumerated = OpenSSLHandle(taking: decoded?.assumingMemoryBound(to: ASN1_ENUMERATED.self), free: ASN1_ENUMERATED_free) {
            reason = RevocationReason(code: Int(ASN1_ENUMERATED_get(enumerated.pointer)))
        }
        clearOpenSSLErrors()
        return (when, reason)
    }
}

