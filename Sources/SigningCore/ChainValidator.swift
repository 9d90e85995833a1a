import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// Builds and checks certificate paths with OpenSSL (RFC 5280: strict X.509, policy processing, name
/// constraints, extended CRL support with distribution points and delta CRLs), and records what it found
/// without judging it.
struct ChainValidator {
    let trust: TrustStore
    /// Untrusted certificates that may complete a path (SignedData certificates, `--cert`).
    var untrusted: [X509Certificate]
    var crls: [CertificateRevocationList]
    /// Where each known certificate came from, by fingerprint.
    let sources: [String: String]
    /// OCSP responses available (supplied, embedded or fetched), matched to certificates by CertID.
    var ocspResponses: [[UInt8]] = []
    /// Why fetching revocation data failed, by certificate fingerprint.
    var fetchProblems: [String: [String]] = [:]

    func evaluate(_ leaf: X509Certificate, at time: Date, purpose: String) -> (ChainEvidence, [X509Certificate]) {
        clearOpenSSLErrors()
        guard let ctx = X509_STORE_CTX_new() else {
            return (ChainEvidence(at: time, purpose: purpose, outcome: .notChecked, reachesTrustAnchor: false, path: [], issues: []), [])
        }
        defer { X509_STORE_CTX_free(ctx) }
        let untrustedStack = podpis_sk_x509_new()
        defer { podpis_sk_x509_pop_free(untrustedStack) }
        for cert in untrusted {
            X509_up_ref(cert.pointer)
            podpis_sk_x509_push(untrustedStack, cert.pointer)
        }
        let crlStack = podpis_sk_crl_new()
        defer { podpis_sk_crl_pop_free(crlStack) }
        for crl in crls {
            X509_CRL_up_ref(crl.pointer)
            podpis_sk_crl_push(crlStack, crl.pointer)
        }
        guard X509_STORE_CTX_init(ctx, trust.store, leaf.pointer, untrustedStack) == 1 else {
            return (ChainEvidence(at: time, purpose: purpose, outcome: .notChecked, reachesTrustAnchor: false, path: [],
                                  issues: [ChainIssue(depth: 0, code: "other", openSSLCode: 0, message: drainOpenSSLErrors() ?? "cannot start path validation")]), [])
        }
        let param = X509_STORE_CTX_get0_param(ctx)
        var flags = UInt(X509_V_FLAG_X509_STRICT | X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_POLICY_CHECK)
        if !crls.isEmpty {
            flags |= UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_EXTENDED_CRL_SUPPORT | X509_V_FLAG_USE_DELTAS)
            X509_STORE_CTX_set0_crls(ctx, crlStack)
        }
        X509_VERIFY_PARAM_set_flags(param, flags)
        X509_VERIFY_PARAM_set_time(param, time_t(time.timeIntervalSince1970))

        var log = podpis_verify_log()
        podpis_store_ctx_collect(ctx, &log)
        let result = X509_verify_cert(ctx)
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
        if let chain = X509_STORE_CTX_get1_chain(ctx) {
            for index in 0..<podpis_sk_x509_num(chain) {
                if let cert = podpis_sk_x509_value(chain, index) { chainCerts.append(X509Certificate(borrowing: cert)) }
            }
            podpis_sk_x509_pop_free(chain)
        }
        if chainCerts.isEmpty { chainCerts = [leaf] }

        // Issues, with OpenSSL's revocation-related ones kept apart: revocation is judged from the facts below.
        var issues: [ChainIssue] = []
        var revokedDepths = Set<Int>()
        var crlProblems: [Int: [String]] = [:]
        var seen = Set<String>()
        for (depth, code) in rawIssues {
            let stable = Self.stableCode(code)
            let message = String(cString: X509_verify_cert_error_string(Int(code)))
            guard seen.insert("\(depth):\(code)").inserted else { continue }
            switch stable {
            case "revoked": revokedDepths.insert(depth)
            case "revocationData":
                if code != X509_V_ERR_UNABLE_TO_GET_CRL { crlProblems[depth, default: []].append(message) }
                continue
            default: break
            }
            issues.append(ChainIssue(depth: depth, code: stable, openSSLCode: Int(code), message: message))
        }

        let lastIsAnchor = chainCerts.last.map { trust.contains($0) } ?? false
        let reaches = lastIsAnchor && !issues.contains { $0.code == "noPathToTrustAnchor" }
        var path: [ChainElement] = []
        for (depth, cert) in chainCerts.enumerated() {
            let isAnchor = depth == chainCerts.count - 1 && lastIsAnchor
            var revocation: RevocationEvidence
            if isAnchor {
                revocation = .notApplicable
            } else {
                let issuer = depth + 1 < chainCerts.count ? chainCerts[depth + 1] : nil
                revocation = revocationFacts(for: cert, issuer: issuer)
                if revokedDepths.contains(depth) && revocation.status != .revoked {
                    // OpenSSL found it revoked through data we could not date (indirect or delta CRL).
                    revocation = RevocationEvidence(status: .revoked, source: "crl", problems: ["revocation date not determined"])
                }
                revocation.problems += crlProblems[depth] ?? []
            }
            let source = isAnchor ? "trustStore" : (sources[cert.fingerprint] ?? (trust.contains(cert) ? "trustStore" : "supplied"))
            path.append(ChainElement(certificate: cert.fingerprint, source: source, revocation: revocation))
        }
        let outcome: CheckOutcome = reaches && issues.isEmpty ? .valid : .invalid
        return (ChainEvidence(at: time, purpose: purpose, outcome: outcome, reachesTrustAnchor: reaches, path: path, issues: issues), chainCerts)
    }

    /// What the CRLs (and OCSP answers) say about `cert`, independent of any judgement time.
    func revocationFacts(for cert: X509Certificate, issuer: X509Certificate?) -> RevocationEvidence {
        var facts = crlFacts(for: cert, issuer: issuer)
        var problems = fetchProblems[cert.fingerprint] ?? []
        if let issuer {
            // OCSP first: it is the fresher source when both exist.
            for response in ocspResponses {
                guard let fromOCSP = OCSP.evidence(from: response, certificate: cert, issuer: issuer, trust: trust, untrusted: untrusted) else { continue }
                if fromOCSP.status != .unknown, facts.status != .revoked || fromOCSP.status == .revoked {
                    facts = fromOCSP
                    break
                }
                problems += fromOCSP.problems
            }
        }
        facts.problems += problems
        return facts
    }

    func crlFacts(for cert: X509Certificate, issuer: X509Certificate?) -> RevocationEvidence {
        guard let issuer else { return RevocationEvidence(status: .unknown, problems: ["issuer not found"]) }
        let fromIssuer = crls.filter { $0.isSigned(by: issuer) }
        var problems: [String] = []
        if fromIssuer.isEmpty {
            if crls.contains(where: { X509_NAME_cmp(X509_CRL_get_issuer($0.pointer), X509_get_issuer_name(cert.pointer)) == 0 }) {
                problems.append("a CRL names the issuer but its signature does not verify")
            }
            return RevocationEvidence(status: .unknown, problems: problems)
        }
        let bases = fromIssuer.filter { !$0.isDelta }.sorted { ($0.thisUpdate ?? .distantPast) > ($1.thisUpdate ?? .distantPast) }
        let deltas = fromIssuer.filter(\.isDelta).sorted { ($0.thisUpdate ?? .distantPast) > ($1.thisUpdate ?? .distantPast) }
        guard let base = bases.first ?? deltas.first else { return RevocationEvidence(status: .unknown) }
        // Revocation is permanent except for holds: any verified CRL listing a non-hold revocation counts.
        for crl in fromIssuer {
            if let entry = crl.entry(for: cert), entry.reason != "certificateHold", entry.reason != "removeFromCRL" {
                return RevocationEvidence(status: .revoked, source: "crl", revocationTime: entry.date, reason: entry.reason,
                                          thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, issuer: crl.issuer)
            }
        }
        var current = base
        var entry = base.entry(for: cert)
        if let delta = deltas.first, (delta.thisUpdate ?? .distantPast) >= (base.thisUpdate ?? .distantPast) {
            if let deltaEntry = delta.entry(for: cert) { entry = deltaEntry.reason == "removeFromCRL" ? nil : deltaEntry }
            current = delta
        }
        if let entry {
            return RevocationEvidence(status: .revoked, source: "crl", revocationTime: entry.date, reason: entry.reason,
                                      thisUpdate: current.thisUpdate, nextUpdate: current.nextUpdate, issuer: current.issuer)
        }
        return RevocationEvidence(status: .good, source: "crl", thisUpdate: current.thisUpdate, nextUpdate: current.nextUpdate,
                                  issuer: current.issuer)
    }

    static func stableCode(_ code: Int32) -> String {
        switch code {
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
            X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, X509_V_ERR_CERT_UNTRUSTED, X509_V_ERR_CERT_REJECTED,
            X509_V_ERR_CERT_CHAIN_TOO_LONG:
            return "noPathToTrustAnchor"
        case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE,
            X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
            return "signatureInvalid"
        case X509_V_ERR_CERT_NOT_YET_VALID: return "notYetValid"
        case X509_V_ERR_CERT_HAS_EXPIRED: return "expired"
        case X509_V_ERR_CERT_REVOKED: return "revoked"
        case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_CRL_NOT_YET_VALID,
            X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD,
            X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER,
            X509_V_ERR_KEYUSAGE_NO_CRL_SIGN, X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION,
            X509_V_ERR_DIFFERENT_CRL_SCOPE, X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE,
            X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
            return "revocationData"
        case X509_V_ERR_INVALID_CA, X509_V_ERR_INVALID_NON_CA: return "caConstraints"
        case X509_V_ERR_PATH_LENGTH_EXCEEDED, X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED: return "pathLength"
        case X509_V_ERR_INVALID_PURPOSE, X509_V_ERR_KEYUSAGE_NO_CERTSIGN, X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE:
            return "keyUsage"
        case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION: return "unknownCriticalExtension"
        case X509_V_ERR_INVALID_POLICY_EXTENSION, X509_V_ERR_NO_EXPLICIT_POLICY: return "policy"
        case X509_V_ERR_PERMITTED_VIOLATION, X509_V_ERR_EXCLUDED_VIOLATION, X509_V_ERR_SUBTREE_MINMAX,
            X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE, X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX,
            X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
            return "nameConstraints"
        case X509_V_ERR_EE_KEY_TOO_SMALL, X509_V_ERR_CA_KEY_TOO_SMALL: return "weakKey"
        case X509_V_ERR_CA_MD_TOO_WEAK: return "weakAlgorithm"
        case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD,
            X509_V_ERR_INVALID_EXTENSION:
            return "malformed"
        default:
            // OpenSSL 3's strict-mode structure checks (missing key identifiers, bad basicConstraints, ...).
            return code >= 79 && code <= 95 ? "malformed" : "other"
        }
    }
}
