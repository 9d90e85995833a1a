import COpenSSL
import EvidenceModel
import Foundation

/// Whether a certificate may be used now: the check `sign` and `cosign` make on the signer's certificate before
/// signing, and the timestamping client on the TSA's certificate. A certificate that is expired, not yet valid
/// or revoked makes signatures that will never verify as valid, so podpis refuses it unless told otherwise.
public enum CertificateCheck {
    /// What speaks against the certificate.
    public enum Finding: Sendable, Equatable {
        case expired(Date)
        case notYetValid(Date)
        /// Revoked at that time (nil when the data does not say), for that reason.
        case revoked(Date?, RevocationReason?)
    }

    /// Whose certificate it is, for the error line.
    public enum Role: String, Sendable {
        case signer, tsa
    }

    /// `certificate` at `time`: its validity period, then revocation by the data at hand — the CRLs and OCSP
    /// responses given, and what `revocation` allows fetching from the addresses in the certificate. The issuer is
    /// looked for among `candidates` (the chain given with the key, trust anchors). Nil when nothing speaks
    /// against it (no revocation data is not a finding: it is checked where the data is).
    public static func finding(
        for certificate: X509Certificate, at time: Date = Date(), candidates: [X509Certificate] = [],
        crls: [CertificateRevocationList] = [], ocspResponses: [[UInt8]] = [], revocation: RevocationPolicy = .offline
    ) -> Finding? {
        if let notBefore = certificate.notBefore, time < notBefore { return .notYetValid(notBefore) }
        if let notAfter = certificate.notAfter, time > notAfter { return .expired(notAfter) }
        guard let issuer = candidates.first(where: { X509_check_issued($0.pointer, certificate.pointer) == X509_V_OK && $0 != certificate })
        else {
            clearOpenSSLErrors()
            return nil
        }
        clearOpenSSLErrors()
        var allCRLs = crls
        var allOCSP = ocspResponses
        if revocation.online {
            let fetched = RevocationFetcher(policy: revocation).fetch(pairs: [(certificate, issuer)])
            allCRLs += fetched.crls.map(\.0)
            allOCSP += fetched.ocsp.map(\.bytes)
        }
        guard !allCRLs.isEmpty || !allOCSP.isEmpty else { return nil }
        let validator = ChainValidator(trust: TrustStore(anchors: [issuer]), untrusted: candidates, crls: allCRLs, sources: [:],
                                       ocspResponses: allOCSP)
        let facts = validator.revocationFacts(for: certificate, issuer: issuer, anchor: issuer, at: time)
        guard facts.status == .revoked else { return nil }
        if let when = facts.revocationTime, when > time { return nil }
        return .revoked(facts.revocationTime, facts.reason)
    }

    /// The one-line refusal (exit 65), naming the certificate, what is wrong and how to go on anyway.
    public static func error(_ finding: Finding, role: Role, subject: String?) -> PodpisError {
        let signer = role == .signer
        let (key, values): (ErrorMessage, [String: String]) = switch finding {
        case .expired(let date):
            (signer ? .certExpiredSigner : .certExpiredTsa, ["date": MoscowTime.format(date)])
        case .notYetValid(let date):
            (signer ? .certNotYetValidSigner : .certNotYetValidTsa, ["date": MoscowTime.format(date)])
        case .revoked(let date, let reason):
            (signer ? .certRevokedSigner : .certRevokedTsa, ["date": date.map { MoscowTime.format($0) } ?? "?", "reason": reason?.rawValue ?? "—"])
        }
        let flag = signer ? "--allow-invalid-cert" : "--allow-invalid-tsa-cert"
        return PodpisError(.dataFormat, key, values.merging(["flag": flag]) { first, _ in first }, subject: subject)
    }
}

