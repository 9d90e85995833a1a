import COpenSSL
import CPodpis
import EvidenceModel
import Foundation
import NIOConcurrencyHelpers

/// OCSP (RFC 6960): building requests, checking responses as evidence, and answering requests (the demo responder).
public enum OCSP {
    /// A request for `certificate` issued by `issuer`, with a fresh nonce. Returns the DER and the nonce-bearing
    /// request object's DER (kept to check the answer's nonce).
    /// `certificateIDHash`: the hash of the CertID (SHA-1 unless asked; Russian responders also answer Streebog ones).
    package static func request(for certificate: X509Certificate, issuer: X509Certificate, certificateIDHash: DigestAlgorithm = .sha1) throws -> [UInt8] {
        guard let id = OCSP_cert_to_id(certificateIDHash.evpMD(), certificate.pointer, issuer.pointer),
              let request = OpenSSLHandle(taking: OCSP_REQUEST_new(), free: OCSP_REQUEST_free)
        else { throw PodpisError.openSSL(.software, "cannot build an OCSP request") }
        // add0: the request owns the CertID from here on.
        guard OCSP_request_add0_id(request.pointer, id) != nil, OCSP_request_add1_nonce(request.pointer, nil, 0) == 1,
              let der = request.der(i2d_OCSP_REQUEST)
        else { throw PodpisError.openSSL(.software, "cannot build an OCSP request") }
        return der
    }

    /// Asks `url` about `certificate`, checking the answer's nonce. Returns the raw OCSPResponse.
    static func fetch(url: String, certificate: X509Certificate, issuer: X509Certificate, options: HTTPOptions) throws -> [UInt8] {
        let requestDER = try request(for: certificate, issuer: issuer)
        let response = try HTTPFetcher.post(url, body: requestDER, contentType: "application/ocsp-request", options: options)
        guard response.status == 200 else { throw PodpisError(.unavailable, "the OCSP responder answered HTTP \(response.status)", subject: url) }
        // Nonce: a responder that echoes it must echo ours.
        try withOpenSSLErrorScope {
            let request = OpenSSLHandle(taking: decodeDER(requestDER, d2i_OCSP_REQUEST, keepingErrors: true), free: OCSP_REQUEST_free)
            let parsed = OpenSSLHandle(taking: decodeDER(response.body, d2i_OCSP_RESPONSE, keepingErrors: true), free: OCSP_RESPONSE_free)
            guard let request, let parsed else { throw PodpisError.openSSL(.unavailable, "the OCSP answer does not parse", subject: url) }
            if OCSP_response_status(parsed.pointer) == OCSP_RESPONSE_STATUS_SUCCESSFUL,
               let basic = OpenSSLHandle(taking: OCSP_response_get1_basic(parsed.pointer), free: OCSP_BASICRESP_free),
               OCSP_check_nonce(request.pointer, basic.pointer) == 0 {
                throw PodpisError(.unavailable, "the OCSP answer's nonce does not match the request", subject: url)
            }
        }
        return response.body
    }

    /// What an OCSP response says about `certificate`, after checking it: the responder is the issuer or a
    /// delegated responder (OCSPSigning EKU, issued by the issuer), the signature verifies, the path is valid at
    /// producedAt. Returns nil when the response is not about this certificate.
    ///
    /// The answer depends on its inputs only (the responder's path is judged at producedAt, never at the clock), so it
    /// is memoised in ``OCSPVerdictCache``: a service that re-checks the same cached response for every request
    /// decodes and verifies it once.
    package static func evidence(from der: [UInt8], certificate: X509Certificate, issuer: X509Certificate, trust: TrustStore,
                         untrusted: [X509Certificate]) -> RevocationEvidence? {
        let key = OCSPVerdictCache.Key(response: der, certificate: certificate, issuer: issuer, trust: trust, untrusted: untrusted)
        if let known = OCSPVerdictCache.shared.lookup(key) { return known.evidence }
        let evidence = verifiedEvidence(from: der, certificate: certificate, issuer: issuer, trust: trust, untrusted: untrusted)
        OCSPVerdictCache.shared.store(key, evidence)
        return evidence
    }

    private static func verifiedEvidence(from der: [UInt8], certificate: X509Certificate, issuer: X509Certificate,
                                         trust: TrustStore, untrusted: [X509Certificate]) -> RevocationEvidence? {
        withOpenSSLErrorScope {
            guard let response = OpenSSLHandle(der: der, d2i_OCSP_RESPONSE, free: OCSP_RESPONSE_free) else { return nil }
            let status = OCSP_response_status(response.pointer)
            guard status == OCSP_RESPONSE_STATUS_SUCCESSFUL,
                  let basic = OpenSSLHandle(taking: OCSP_response_get1_basic(response.pointer), free: OCSP_BASICRESP_free)
            else {
                return RevocationEvidence(status: .unknown, source: .ocsp, problems: ["the OCSP responder answered «\(String(cString: OCSP_response_status_str(Int(status))))»"])
            }
            return evidence(from: basic.pointer, certificate: certificate, issuer: issuer, trust: trust, untrusted: untrusted)
        }
    }

    /// ``verifiedEvidence(from:certificate:issuer:trust:untrusted:)`` for a successful response's BasicOCSPResponse.
    private static func evidence(from basic: OpaquePointer, certificate: X509Certificate, issuer: X509Certificate,
                                 trust: TrustStore, untrusted: [X509Certificate]) -> RevocationEvidence? {
        // Find this certificate's entry. Each SingleResponse names the hash its CertID was made with: SHA-1 is
        // usual, but CryptoPro and the Russian CAs' responders answer with Streebog-256/512 (or GOST R 34.11-94)
        // CertIDs, others with SHA-256/384/512. Rebuild the CertID with that very hash and compare.
        var found: (Int32, Int32, Date?, Date?, Date?)? = nil
        for index in 0..<max(OCSP_resp_count(basic), 0) where found == nil {
            guard let single = OCSP_resp_get0(basic, index), let singleID = OCSP_SINGLERESP_get0_id(single) else { continue }
            var hashObject: OpaquePointer? = nil
            guard OCSP_id_get0_info(nil, &hashObject, nil, nil, singleID) == 1, let hashObject else { continue }
            let md = DigestAlgorithm(nid: OBJ_obj2nid(hashObject))?.evpMD() ?? EVP_get_digestbyname(OBJ_nid2sn(OBJ_obj2nid(hashObject)))
            guard let md, let id = OpenSSLHandle(taking: OCSP_cert_to_id(md, certificate.pointer, issuer.pointer), free: OCSP_CERTID_free)
            else { clearOpenSSLErrors(); continue }
            guard OCSP_id_cmp(id.pointer, singleID) == 0 else { continue }
            var reason: Int32 = -1
            var revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
            var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
            var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
            let certStatus = OCSP_single_get0_status(single, &reason, &revoked, &thisUpdate, &nextUpdate)
            found = (certStatus, reason, date(fromASN1: revoked), date(fromASN1: thisUpdate), date(fromASN1: nextUpdate))
        }
        clearOpenSSLErrors()
        guard let (certStatus, reason, revokedAt, thisUpdate, nextUpdate) = found else { return nil }
        let producedAt = date(fromASN1: OCSP_resp_get0_produced_at(basic))
        var signerSubject: String? = nil
        var signer: OpaquePointer? = nil
        if OCSP_resp_get0_signer(basic, &signer, nil) == 1, let signer { signerSubject = nameText(X509_get_subject_name(signer)) }
        clearOpenSSLErrors()

        // Verify signature, responder authorisation and the responder's path at producedAt.
        guard let store = OpenSSLHandle(taking: X509_STORE_new(), free: X509_STORE_free) else { return nil }
        for anchor in trust.anchors { X509_STORE_add_cert(store.pointer, anchor.pointer) }
        X509_VERIFY_PARAM_set_flags(X509_STORE_get0_param(store.pointer), UInt(X509_V_FLAG_PARTIAL_CHAIN))
        if let producedAt { X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.pointer), time_t(producedAt.timeIntervalSince1970)) }
        let stack = certificateStack([issuer] + untrusted)
        let verified = OCSP_basic_verify(basic, stack?.pointer, store.pointer, 0) == 1
        let detail = drainOpenSSLErrors()
        guard verified else {
            return RevocationEvidence(status: .unknown, source: .ocsp, producedAt: producedAt, issuer: signerSubject,
                                      problems: ["the OCSP response is not trustworthy: \(detail ?? "signature or responder authorisation failed")"])
        }
        switch certStatus {
        case V_OCSP_CERTSTATUS_GOOD:
            return RevocationEvidence(status: .good, source: .ocsp, thisUpdate: thisUpdate, nextUpdate: nextUpdate, producedAt: producedAt, issuer: signerSubject)
        case V_OCSP_CERTSTATUS_REVOKED:
            return RevocationEvidence(status: .revoked, source: .ocsp, revocationTime: revokedAt, reason: reason >= 0 ? RevocationReason(code: Int(reason)) : nil,
                                      thisUpdate: thisUpdate, nextUpdate: nextUpdate, producedAt: producedAt, issuer: signerSubject)
        default:
            return RevocationEvidence(status: .unknown, source: .ocsp, thisUpdate: thisUpdate, nextUpdate: nextUpdate, producedAt: producedAt,
                                      issuer: signerSubject, problems: ["the OCSP responder does not know this certificate"])
        }
    }
}

/// A bounded, thread-safe memo of ``OCSP/evidence(from:certificate:issuer:trust:untrusted:)``.
///
/// The key names every input of the answer: the SHA-256 of the response, the certificate and its issuer, the trust
/// store's anchors and the untrusted certificates offered for the responder's path (by their SHA-256 fingerprints).
final class OCSPVerdictCache: Sendable {
    struct Key: Hashable, Sendable {
        var response: [UInt8]
        var certificate: String
        var issuer: String
        var trust: [UInt8]
        var untrusted: [String]

        init(response der: [UInt8], certificate: X509Certificate, issuer: X509Certificate, trust: TrustStore,
             untrusted: [X509Certificate]) {
            response = SHA256.digest(der)
            self.certificate = certificate.fingerprint
            self.issuer = issuer.fingerprint
            self.trust = trust.identity
            self.untrusted = Set(untrusted.map(\.fingerprint)).sorted()
        }
    }

    /// A cached answer; `evidence` is nil when the response says nothing about the certificate.
    struct Verdict: Sendable { var evidence: RevocationEvidence? }

    static let shared = OCSPVerdictCache(capacity: 4096)
    private let entries = NIOLockedValueBox<[Key: Verdict]>([:])
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ key: Key) -> Verdict? { entries.withLockedValue { $0[key] } }

    func store(_ key: Key, _ evidence: RevocationEvidence?) {
        entries.withLockedValue { map in
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }  // simple bound: start over when full
            map[key] = Verdict(evidence: evidence)
        }
    }
}

/// An OCSP responder for one CA (the demo PKI's `pki serve`, and tests).
public final class OCSPResponder: Sendable {
    public enum CertificateStatus: Sendable {
        case good
        case revoked(Date, RevocationReason?)
        case unknown
    }

    let ca: X509Certificate
    let signer: X509Certificate
    let key: PrivateKey
    /// How long answers stay valid.
    let validity: TimeInterval
    let lookup: @Sendable (String) -> CertificateStatus
    let clock: @Sendable () -> Date

    /// - Parameters:
    ///   - signer: the CA itself or a delegated responder certificate issued by it.
    ///   - lookup: status by serial (upper-case hex).
    public init(ca: X509Certificate, signer: X509Certificate, key: PrivateKey, validity: TimeInterval = 3600,
                clock: @escaping @Sendable () -> Date = { Date() }, lookup: @escaping @Sendable (String) -> CertificateStatus) {
        self.ca = ca
        self.signer = signer
        self.key = key
        self.validity = validity
        self.clock = clock
        self.lookup = lookup
    }

    /// Answers a DER OCSP request; malformed requests get a malformedRequest response, other CAs' certificates
    /// an `unauthorized` one.
    public func respond(to requestDER: [UInt8]) throws -> [UInt8] {
        try withOpenSSLErrorScope {
            guard let request = OpenSSLHandle(der: requestDER, d2i_OCSP_REQUEST, free: OCSP_REQUEST_free),
                  OCSP_request_onereq_count(request.pointer) > 0
            else { return try Self.errorResponse(Int32(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST)) }
            return try answer(request.pointer)
        }
    }

    private func answer(_ request: OpaquePointer) throws -> [UInt8] {
        guard let basic = OpenSSLHandle(taking: OCSP_BASICRESP_new(), free: OCSP_BASICRESP_free) else {
            throw PodpisError.openSSL(.software, "OCSP_BASICRESP_new")
        }
        let now = clock()
        guard let thisUpdate = asn1Time(now),
              let nextUpdate = asn1Time(now.addingTimeInterval(validity))
        else { throw PodpisError(.software, "time") }
        for index in 0..<OCSP_request_onereq_count(request) {
            guard let one = OCSP_request_onereq_get0(request, index), let id = OCSP_onereq_get0_id(one) else { continue }
            var mdObject: OpaquePointer? = nil
            var serial: UnsafeMutablePointer<ASN1_INTEGER>? = nil
            OCSP_id_get0_info(nil, &mdObject, nil, &serial, id)
            let md = EVP_get_digestbyname(OBJ_nid2sn(OBJ_obj2nid(mdObject)))
            guard let caID = OpenSSLHandle(taking: OCSP_cert_to_id(md, nil, ca.pointer), free: OCSP_CERTID_free) else { continue }
            guard OCSP_id_issuer_cmp(caID.pointer, id) == 0 else {
                clearOpenSSLErrors()
                return try Self.errorResponse(Int32(OCSP_RESPONSE_STATUS_UNAUTHORIZED))
            }
            switch lookup(hexInteger(serial)) {
            case .good:
                OCSP_basic_add1_status(basic.pointer, id, V_OCSP_CERTSTATUS_GOOD, 0, nil, thisUpdate.pointer, nextUpdate.pointer)
            case .unknown:
                OCSP_basic_add1_status(basic.pointer, id, V_OCSP_CERTSTATUS_UNKNOWN, 0, nil, thisUpdate.pointer, nextUpdate.pointer)
            case .revoked(let when, let reason):
                guard let revokedAt = asn1Time(when) else { continue }
                OCSP_basic_add1_status(basic.pointer, id, V_OCSP_CERTSTATUS_REVOKED, Int32(reason?.code ?? -1), revokedAt.pointer,
                                       thisUpdate.pointer, nextUpdate.pointer)
            }
        }
        OCSP_copy_nonce(basic.pointer, request)
        let certs = certificateStack([])
        guard OCSP_basic_sign(basic.pointer, signer.pointer, key.pointer, key.defaultDigest.evpMD(), certs?.pointer, 0) == 1,
              let response = OpenSSLHandle(taking: OCSP_response_create(Int32(OCSP_RESPONSE_STATUS_SUCCESSFUL), basic.pointer), free: OCSP_RESPONSE_free)
        else { throw PodpisError.openSSL(.software, "cannot sign the OCSP response") }
        guard let der = response.der(i2d_OCSP_RESPONSE) else { throw PodpisError.openSSL(.software, "encode") }
        return der
    }

    static func errorResponse(_ status: Int32) throws -> [UInt8] {
        guard let response = OpenSSLHandle(taking: OCSP_response_create(status, nil), free: OCSP_RESPONSE_free) else {
            throw PodpisError.openSSL(.software, "OCSP_response_create")
        }
        return response.der(i2d_OCSP_RESPONSE) ?? []
    }
}
