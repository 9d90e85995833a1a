import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// Builds and checks certificate paths and records what it found without judging it.
///
/// Path validation follows RFC 5280 §6.1: OpenSSL builds the path and checks signatures, name chaining, basic
/// constraints, path length, key usage for certificate signing, name constraints, critical extensions and the
/// certificate-policy tree (user-initial-policy-set any-policy, nothing explicit required by the relying party), but
/// not its X509_STRICT profile checks: RFC 5280 §4 profile rules (a CA whose basicConstraints is not critical, a CA
/// certificate without keyUsage, a missing authority key identifier, …) are not §6 failures, and the policy judges
/// them as a check of their own (`certificate-profile`). A trust anchor is taken as its name and key (§6.1.1 (d)):
/// its own extensions are not held against the path.
///
/// Revocation follows RFC 5280 §6.3 in podpis itself (``revocationFacts(for:issuer:anchor:at:)``): distribution
/// points and issuing distribution points, indirect CRLs, delta CRLs, reason coverage, the CRL issuer's own path and
/// cRLSign, every CRL and OCSP response recorded with what became of it.
struct ChainValidator {
    let trust: TrustStore
    /// Untrusted certificates that may complete a path (SignedData certificates, `--cert`).
    var untrusted: [X509Certificate]
    var crls: [CertificateRevocationList]
    /// Where each known certificate came from, by fingerprint.
    let sources: [String: CertificateOrigin]
    /// OCSP responses available (supplied, embedded or fetched), matched to certificates by CertID.
    var ocspResponses: [[UInt8]] = []
    /// Why fetching revocation data failed, by certificate fingerprint.
    var fetchFailures: [String: [FetchFailure]] = [:]
    /// The CRL issuers whose own paths are being validated (a CRL issuer's status may not depend on itself).
    var crlIssuerStack: [String] = []

    /// OpenSSL errors that concern the trust anchor's own extensions, which RFC 5280 §6.1.1 (d) does not process
    /// (an anchor without basicConstraints or keyUsage, as the TC26 sample root has).
    static let anchorProfileErrors: Set<Int32> = [X509_V_ERR_INVALID_CA, X509_V_ERR_KEYUSAGE_NO_CERTSIGN, X509_V_ERR_INVALID_PURPOSE]

    func evaluate(_ leaf: X509Certificate, at time: Date, purpose: ChainPurpose) -> (ChainEvidence, [X509Certificate]) {
        clearOpenSSLErrors()
        // Declared before the context, so it outlives it: the context borrows the stack until it is freed.
        let untrustedStack = certificateStack(untrusted)
        defer { withExtendedLifetime(untrustedStack) {} }
        guard let context = OpenSSLHandle(taking: X509_STORE_CTX_new(), free: X509_STORE_CTX_free) else {
            return (ChainEvidence(at: time, purpose: purpose, outcome: .notChecked, reachesTrustAnchor: false, path: [], issues: []), [])
        }
        let ctx = context.pointer
        guard X509_STORE_CTX_init(ctx, trust.store, leaf.pointer, untrustedStack?.pointer) == 1 else {
            return (ChainEvidence(at: time, purpose: purpose, outcome: .notChecked, reachesTrustAnchor: false, path: [],
                                  issues: [ChainIssue(depth: 0, code: .other, openSSLCode: 0, message: drainOpenSSLErrors() ?? "cannot start path validation")]), [])
        }
        let param = X509_STORE_CTX_get0_param(ctx)
        X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_POLICY_CHECK))
        // RFC 5280 §6.1.1 (c): user-initial-policy-set = {anyPolicy} (without it OpenSSL's policy check demands an
        // explicit policy from every path).
        if let anyPolicy = OBJ_nid2obj(NID_any_policy), let copy = OpenSSLHandle(taking: OBJ_dup(anyPolicy), free: ASN1_OBJECT_free),
           X509_VERIFY_PARAM_add0_policy(param, copy.pointer) == 1 {
            _ = copy.release()  // the parameters own it now
        }
        X509_VERIFY_PARAM_set_time(param, time_t(time.timeIntervalSince1970))

        // The context keeps the log's address for its verify callback: pass one that stays valid for the whole
        // verification (`&log` as an argument is valid for that one call only), and take it back afterwards.
        var log = podpis_verify_log()
        let result = withUnsafeMutablePointer(to: &log) { logPointer in
            podpis_store_ctx_collect(ctx, logPointer)
            defer { X509_STORE_CTX_set_ex_data(ctx, 0, nil) }
            return X509_verify_cert(ctx)
        }
        let finalError = X509_STORE_CTX_get_error(ctx)
        clearOpenSSLErrors()

        var rawIssues: [(Int, Int32)] = []
        withUnsafeBytes(of: &log.depth) { depths in
            withUnsafeBytes(of: &log.error) { errors in
                let d = depths.bindMemory(to: Int32.self)
                let e = errors.bindMemory(to: Int32.self)
                for index in 0..<Int(log.count) { rawIssues.append((Int(d[index]), e[index])) }
            }
        }
        if result != 1 && rawIssues.isEmpty {
            rawIssues.append((Int(X509_STORE_CTX_get_error_depth(ctx)), finalError))
        }

        var chainCerts: [X509Certificate] = []
        if let chain = OpenSSLHandle(taking: X509_STORE_CTX_get1_chain(ctx), free: podpis_sk_x509_pop_free) {
            for index in 0..<podpis_sk_x509_num(chain.pointer) {
                if let cert = podpis_sk_x509_value(chain.pointer, index) { chainCerts.append(X509Certificate(borrowing: cert)) }
            }
        }
        if chainCerts.isEmpty { chainCerts = [leaf] }
        let lastIsAnchor = chainCerts.last.map { trust.contains($0) } ?? false
        let anchorDepth = lastIsAnchor ? chainCerts.count - 1 : -1

        var issues: [ChainIssue] = []
        var seen = Set<String>()
        for (depth, code) in rawIssues {
            guard seen.insert("\(depth):\(code)").inserted else { continue }
            if depth == anchorDepth, Self.anchorProfileErrors.contains(code) { continue }
            let message = String(cString: X509_verify_cert_error_string(Int(code)))
            issues.append(ChainIssue(depth: depth, code: Self.stableCode(code), openSSLCode: Int(code), message: message))
        }

        let reaches = lastIsAnchor && !issues.contains { $0.code == .noPathToTrustAnchor }
        let anchor = lastIsAnchor ? chainCerts.last : nil
        var path: [ChainElement] = []
        for (depth, cert) in chainCerts.enumerated() {
            let isAnchor = depth == anchorDepth
            let revocation: RevocationEvidence = isAnchor
                ? .notApplicable
                : revocationFacts(for: cert, issuer: depth + 1 < chainCerts.count ? chainCerts[depth + 1] : nil, anchor: anchor, at: time)
            let source: CertificateOrigin = isAnchor ? .trustStore : (sources[cert.fingerprint] ?? (trust.contains(cert) ? .trustStore : .supplied))
            path.append(ChainElement(certificate: cert.fingerprint, source: source, revocation: revocation))
        }
        let outcome: CheckOutcome = reaches && issues.isEmpty ? .valid : .invalid
        return (ChainEvidence(at: time, purpose: purpose, outcome: outcome, reachesTrustAnchor: reaches, path: path, issues: issues), chainCerts)
    }

    static func stableCode(_ code: Int32) -> ChainIssueCode {
        switch code {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
            X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_CERT_UNTRUSTED, X509_V_ERR_CERT_REJECTED,
            X509_V_ERR_CERT_CHAIN_TOO_LONG:
            return .noPathToTrustAnchor
        case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE,
            X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
            return .signatureInvalid
        case X509_V_ERR_CERT_NOT_YET_VALID: return .notYetValid
        case X509_V_ERR_CERT_HAS_EXPIRED: return .expired
        case X509_V_ERR_CERT_REVOKED: return .revoked
        case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_CRL_NOT_YET_VALID,
            X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD,
            X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER,
            X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION,
            X509_V_ERR_DIFFERENT_CRL_SCOPE, X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE,
            X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
            return .revocationData
        case X509_V_ERR_INVALID_CA, X509_V_ERR_INVALID_NON_CA: return .caConstraints
        case X509_V_ERR_PATH_LENGTH_EXCEEDED, X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED: return .pathLength
        case X509_V_ERR_INVALID_PURPOSE, X509_V_ERR_KEYUSAGE_NO_CERTSIGN, X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
            return .keyUsage
        case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION: return .unknownCriticalExtension
        case X509_V_ERR_INVALID_POLICY_EXTENSION, X509_V_ERR_NO_EXPLICIT_POLICY: return .policy
        case X509_V_ERR_PERMITTED_VIOLATION, X509_V_ERR_EXCLUDED_VIOLATION, X509_V_ERR_SUBTREE_MINMAX,
            X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE, X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX,
            X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
            return .nameConstraints
        case X509_V_ERR_EE_KEY_TOO_SMALL, X509_V_ERR_CA_KEY_TOO_SMALL: return .weakKey
        case X509_V_ERR_CA_MD_TOO_WEAK: return .weakAlgorithm
        case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD,
            X509_V_ERR_INVALID_EXTENSION:
            return .malformed
        default:
            // OpenSSL 3's strict-mode structure checks (missing key identifiers, bad basicConstraints, ...).
            return code >= 79 && code <= 95 ? .malformed : .other
        }
    }
}
