import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// Something that answers RFC 3161 requests: a TSA over HTTP, or the built-in authority in process.
public protocol TimestampSource: Sendable {
    func exchange(_ request: [UInt8]) throws -> [UInt8]
    var name: String { get }
}

/// A TSA reached over HTTP(S) with libcurl (RFC 3161, 3.4).
public struct HTTPTimestampSource: TimestampSource {
    public var url: String
    public var options: HTTPOptions
    public init(url: String, options: HTTPOptions = HTTPOptions()) {
        self.url = url
        self.options = options
    }
    public var name: String { url }

    public func exchange(_ request: [UInt8]) throws -> [UInt8] {
        let response = try HTTPFetcher.post(url, body: request, contentType: "application/timestamp-query", options: options)
        guard response.status == 200 else {
            throw PodpisError(.unavailable, .tsaHttp, ["status": "\(response.status)"], subject: url)
        }
        if let type = response.contentType?.lowercased(), !type.hasPrefix("application/timestamp-reply") {
            throw PodpisError(.unavailable, "the TSA answered «\(type)», not application/timestamp-reply", subject: url)
        }
        return response.body
    }
}

/// The built-in authority used in process (the demo, tests).
public struct LocalTimestampSource: TimestampSource {
    public let authority: TimestampAuthority
    public init(_ authority: TimestampAuthority) { self.authority = authority }
    public var name: String { "built-in TSA" }
    public func exchange(_ request: [UInt8]) throws -> [UInt8] { try authority.respond(to: request) }
}

/// A parsed RFC 3161 token (a CMS SignedData over a TSTInfo).
package struct TimestampToken {
    let der: [UInt8]
    let cms: CMSMessage
    let genTime: Date
    let accuracy: Double?
    let serial: String
    let policy: String?
    let imprintOID: String
    let imprint: [UInt8]
    let nonce: String?
    package let tstInfo: [UInt8]

    package static func parse(_ der: [UInt8]) throws -> TimestampToken {
        let cms = try CMSMessage.parse(der: der, subject: "timestamp token")
        guard OBJ_obj2nid(CMS_get0_eContentType(cms.pointer)) == NID_id_smime_ct_TSTInfo, let content = cms.attachedContent else {
            throw PodpisError(.dataFormat, "not an RFC 3161 token (no TSTInfo inside)")
        }
        clearOpenSSLErrors()
        guard let owner = OpenSSLHandle(taking: decodeDER(content, d2i_TS_TST_INFO, keepingErrors: true), free: TS_TST_INFO_free) else {
            throw PodpisError.openSSL(.dataFormat, "damaged TSTInfo in a timestamp token")
        }
        let info = owner.pointer
        guard let time = date(fromASN1: TS_TST_INFO_get_time(info)) else {
            throw PodpisError(.dataFormat, "a timestamp token without a readable genTime")
        }
        var accuracy: Double? = nil
        if let acc = TS_TST_INFO_get_accuracy(info) {
            let seconds = TS_ACCURACY_get_seconds(acc).map { Double(ASN1_INTEGER_get($0)) } ?? 0
            let millis = TS_ACCURACY_get_millis(acc).map { Double(ASN1_INTEGER_get($0)) } ?? 0
            let micros = TS_ACCURACY_get_micros(acc).map { Double(ASN1_INTEGER_get($0)) } ?? 0
            accuracy = seconds + millis / 1000 + micros / 1_000_000
        }
        let imprint = TS_TST_INFO_get_msg_imprint(info)
        var algorithmObject: OpaquePointer? = nil
        X509_ALGOR_get0(&algorithmObject, nil, nil, TS_MSG_IMPRINT_get_algo(imprint))
        let nonce = TS_TST_INFO_get_nonce(info).map { hexInteger($0) }
        return TimestampToken(
            der: der, cms: cms, genTime: time, accuracy: accuracy, serial: hexInteger(TS_TST_INFO_get_serial(info)),
            policy: TS_TST_INFO_get_policy_id(info).map { oidText($0) }, imprintOID: oidText(algorithmObject),
            imprint: bytes(of: TS_MSG_IMPRINT_get_msg(imprint)), nonce: nonce, tstInfo: content)
    }

    var imprintAlgorithm: DigestAlgorithm? { DigestAlgorithm.allCases.first { $0.oid == imprintOID } }

    /// The TSA's certificate, when the token carries it (RFC 3161 `certReq`).
    var signerCertificate: X509Certificate? {
        guard let si = cms.signerInfos.first else { return nil }
        return cms.certificates.first { CMS_SignerInfo_cert_cmp(si.pointer, $0.pointer) == 0 }
    }

    /// The token's own signature over its TSTInfo, without judging the TSA's certificate path.
    func signatureVerifies(extraCertificates: [X509Certificate] = []) -> Bool {
        let stack = certificateStack(extraCertificates)
        let ok = CMS_verify(cms.pointer, stack?.pointer, nil, nil, nil, UInt32(CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY)) == 1
        clearOpenSSLErrors()
        return ok
    }
}

/// RFC 3161 client: asks a TSA for a token over some data and checks that the answer matches the question.
public struct TimestampClient: Sendable {
    public var source: any TimestampSource
    public var policy: String?
    /// Called with the TSA's certificate and the token's time before a token is accepted; throws to refuse it
    /// (the CLI refuses an expired, not yet valid or revoked TSA certificate with ``CertificateCheck``).
    public var certificateCheck: (@Sendable (_ certificate: X509Certificate, _ tokenCertificates: [X509Certificate], _ time: Date) throws -> Void)? = nil

    public init(source: any TimestampSource, policy: String? = nil) {
        self.source = source
        self.policy = policy
    }

    /// A token over `data`'s digest. The token's imprint, nonce and signature are checked before it is returned.
    public func token(over data: [UInt8], digest: DigestAlgorithm) throws -> [UInt8] {
        CryptoLibrary.initialize()
        let hash = try MultiDigest.digest(digest, data)
        var nonceBytes = [UInt8](repeating: 0, count: 8)
        _ = RAND_bytes(&nonceBytes, 8)
        nonceBytes[0] &= 0x7f
        let request = try buildRequest(digest: digest, hash: hash, nonce: nonceBytes)
        let answer = try source.exchange(request)

        clearOpenSSLErrors()
        guard let owner = OpenSSLHandle(taking: decodeDER(answer, d2i_TS_RESP, keepingErrors: true), free: TS_RESP_free) else {
            throw PodpisError.openSSL(.unavailable, "the TSA's answer is not an RFC 3161 response", subject: source.name)
        }
        let response = owner.pointer
        let status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(response)))
        guard status == 0 || status == 1, let tokenPointer = TS_RESP_get_token(response) else {
            throw PodpisError(.unavailable, "the TSA refused the request (status \(status)\(Self.statusText(response)))", subject: source.name)
        }
        guard let tokenDER = encodeDER(UnsafePointer(tokenPointer), i2d_PKCS7) else {
            throw PodpisError.openSSL(.unavailable, "cannot encode the TSA's token", subject: source.name)
        }
        let token = try TimestampToken.parse(tokenDER)
        guard token.imprintOID == digest.oid, token.imprint == hash else {
            throw PodpisError(.unavailable, "the TSA's token covers other data than the request (message imprint differs)", subject: source.name)
        }
        let expectedNonce = hex(nonceBytes, uppercase: true)
        guard token.nonce.map({ $0.trimmingLeadingZeros == expectedNonce.trimmingLeadingZeros }) ?? false else {
            throw PodpisError(.unavailable, "the TSA's token does not answer this request (nonce differs)", subject: source.name)
        }
        if let policy, token.policy != policy {
            throw PodpisError(.unavailable, "the TSA used policy \(token.policy ?? "none"), not the requested \(policy)", subject: source.name)
        }
        guard token.signatureVerifies() else {
            throw PodpisError(.unavailable, "the TSA's token signature does not verify", subject: source.name)
        }
        if let certificateCheck, let signer = token.signerCertificate {
            try certificateCheck(signer, token.cms.certificates, token.genTime)
        }
        return tokenDER
    }

    func buildRequest(digest: DigestAlgorithm, hash: [UInt8], nonce: [UInt8]) throws -> [UInt8] {
        // The setters below copy what they are given: each object keeps its own owner.
        guard let request = OpenSSLHandle(taking: TS_REQ_new(), free: TS_REQ_free),
              let imprint = OpenSSLHandle(taking: TS_MSG_IMPRINT_new(), free: TS_MSG_IMPRINT_free),
              let algorithm = OpenSSLHandle(taking: X509_ALGOR_new(), free: X509_ALGOR_free)
        else {
            throw PodpisError.openSSL(.software, "cannot build a timestamp request")
        }
        TS_REQ_set_version(request.pointer, 1)
        X509_ALGOR_set0(algorithm.pointer, OBJ_nid2obj(digest.nid), V_ASN1_NULL, nil)
        TS_MSG_IMPRINT_set_algo(imprint.pointer, algorithm.pointer)
        // OpenSSL copies the bytes; the pointer must stay valid for the duration of the call only.
        hash.withUnsafeBufferPointer { buffer in
            _ = TS_MSG_IMPRINT_set_msg(imprint.pointer, UnsafeMutablePointer(mutating: buffer.baseAddress), Int32(buffer.count))
        }
        TS_REQ_set_msg_imprint(request.pointer, imprint.pointer)
        try PKIBuilder.withASN1Integer(nonce) { TS_REQ_set_nonce(request.pointer, $0) }
        TS_REQ_set_cert_req(request.pointer, 1)
        if let policy {
            guard let object = asn1Object(policy) else { throw PodpisError(.usage, "«\(policy)» is not a policy OID") }
            TS_REQ_set_policy_id(request.pointer, object.pointer)
        }
        guard let der = request.der(i2d_TS_REQ) else { throw PodpisError.openSSL(.software, "cannot encode the request") }
        return der
    }

    static func statusText(_ response: OpaquePointer) -> String {
        guard let texts = TS_STATUS_INFO_get0_text(TS_RESP_get_status_info(response)) else { return "" }
        let stack = OpaquePointer(UnsafeRawPointer(texts))
        var parts: [String] = []
        for index in 0..<OPENSSL_sk_num(stack) {
            if let item = OPENSSL_sk_value(stack, index) {
                parts.append(String(decoding: bytes(of: item.assumingMemoryBound(to: ASN1_STRING.self)), as: UTF8.self))
            }
        }
        return parts.isEmpty ? "" : ": " + parts.joined(separator: "; ")
    }
}

extension String {
    var trimmingLeadingZeros: Substring {
        let trimmed = drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : trimmed
    }
}

/// Adds signature-time-stamps (CAdES-T) to SignerInfos.
public enum Timestamper {
    /// Adds a signature-time-stamp to every SignerInfo that lacks one. Returns the signature in the encoding it came
    /// in (DER, PEM or Base64). Nothing is returned unless every requested token was obtained and checked.
    public static func addSignatureTimestamps(to signature: [UInt8], subject: String?, client: TimestampClient) throws -> (bytes: [UInt8], added: Int) {
        CryptoLibrary.initialize()
        let (der, encoding) = try SignatureDecoder.decode(signature, subject: subject)
        let cms = try CMSMessage.parse(der: der, subject: subject)
        var added = 0
        for si in cms.signerInfos {
            let attributes = SignerAttributes(signerInfo: si)
            guard attributes.unsigned(NID_id_smime_aa_timeStampToken).isEmpty else { continue }
            guard let value = CMS_SignerInfo_get0_signature(si.pointer) else { continue }
            let digest = imprintDigest(for: si)
            let token = try client.token(over: bytes(of: value), digest: digest)
            clearOpenSSLErrors()
            guard CMS_unsigned_add1_attr_by_NID(si.pointer, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, token, Int32(token.count)) == 1 else {
                throw PodpisError.openSSL(.software, "cannot add the timestamp to the signature", subject: subject)
            }
            added += 1
        }
        return (try encode(cms, as: encoding), added)
    }

    /// The imprint digest for a signer: its own digest when the TSAs commonly accept it, else SHA-256.
    static func imprintDigest(for si: SignerInfo) -> DigestAlgorithm {
        switch Signer.signerDigest(si) {
        case .streebog256?, .streebog512?: return .streebog256
        case .sha384?: return .sha384
        case .sha512?: return .sha512
        default: return .sha256
        }
    }

    static func encode(_ cms: CMSMessage, as encoding: SignatureEncoding) throws -> [UInt8] {
        switch encoding {
        case .der: return try cms.der()
        case .pem: return try cms.pem()
        case .base64: return Array((Base64.encode(try cms.der()) + "\n").utf8)
        }
    }
}

/// The status part of an RFC 3161 response (for clients, tests and logs).
public struct TimestampResponseStatus: Sendable {
    /// 0 granted, 1 granted with modifications, 2 rejection, 3 waiting, 4/5 revocation warning/notification.
    public var status: Int
    /// Failure bits by RFC 3161 name (`badAlg`, `badRequest`, `badDataFormat`, ...).
    public var failureInfo: [String]
    public var text: String
    public var hasToken: Bool

    static let failureNames: [(Int32, String)] = [
        (0, "badAlg"), (2, "badRequest"), (5, "badDataFormat"), (14, "timeNotAvailable"), (15, "unacceptedPolicy"),
        (16, "unacceptedExtension"), (17, "addInfoNotAvailable"), (25, "systemFailure"),
    ]

    public static func parse(_ der: [UInt8]) throws -> TimestampResponseStatus {
        clearOpenSSLErrors()
        guard let owner = OpenSSLHandle(taking: decodeDER(der, d2i_TS_RESP, keepingErrors: true), free: TS_RESP_free) else {
            throw PodpisError.openSSL(.dataFormat, "not an RFC 3161 response")
        }
        let response = owner.pointer
        let info = TS_RESP_get_status_info(response)
        let status = Int(ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(info)))
        var failures: [String] = []
        if let bits = TS_STATUS_INFO_get0_failure_info(info) {
            for (bit, name) in failureNames where ASN1_BIT_STRING_get_bit(bits, bit) == 1 { failures.append(name) }
        }
        let text = TimestampClient.statusText(response)
        return TimestampResponseStatus(status: status, failureInfo: failures, text: String(text.dropFirst(text.isEmpty ? 0 : 2)),
                                       hasToken: TS_RESP_get_token(response) != nil)
    }
}
