import COpenSSL
import NIOConcurrencyHelpers
import CPodpis
import EvidenceModel
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An owned OpenSSL `X509`. Immutable after creation; OpenSSL documents concurrent reads of an `X509` as safe.
public final class X509Certificate: @unchecked Sendable, Hashable {
    package let pointer: OpaquePointer
    /// SHA-256 of the DER encoding, lower-case hex.
    public let fingerprint: String

    /// Takes ownership of `pointer`.
    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
        self.fingerprint = Self.computeFingerprint(pointer)
    }

    /// Shares `pointer` (takes a new reference).
    convenience init(borrowing pointer: OpaquePointer) {
        X509_up_ref(pointer)
        self.init(taking: pointer)
    }

    deinit { X509_free(pointer) }

    public static func == (lhs: X509Certificate, rhs: X509Certificate) -> Bool { lhs.fingerprint == rhs.fingerprint }
    public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }

    private static func computeFingerprint(_ pointer: OpaquePointer) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(pointer, EVP_sha256(), &digest, &length) == 1 else { return "" }
        return hex(digest.prefix(Int(length)))
    }

    /// Parses one DER certificate.
    public convenience init(der: [UInt8]) throws {
        clearOpenSSLErrors()
        let parsed: OpaquePointer? = decodeDER(der, d2i_X509, keepingErrors: true)
        guard let parsed else { throw PodpisError.openSSL(.dataFormat, "not a DER X.509 certificate") }
        self.init(taking: parsed)
    }

    /// Every certificate in a PEM file (any number of `CERTIFICATE` blocks, with any text between them, as
    /// `openssl x509 -text` or `openssl … -print_certs` write it) or one DER certificate.
    public static func parseAll(_ bytes: [UInt8], subject: String? = nil) throws -> [X509Certificate] {
        if looksLikePEM(bytes) || containsPEMBlock(bytes) {
            var result: [X509Certificate] = []
            try withReadBIO(bytes) { bio in
                while true {
                    guard let cert = PEM_read_bio_X509(bio, nil, nil, nil) else { break }
                    result.append(X509Certificate(taking: cert))
                }
            }
            // The loop ends on "no start line" at end of input; anything else was damage.
            let err = ERR_peek_last_error()
            clearOpenSSLErrors()
            if result.isEmpty {
                throw PodpisError(.dataFormat, "no PEM certificate found", subject: subject)
            }
            _ = err
            return result
        }
        do {
            return [try X509Certificate(der: bytes)]
        } catch {
            throw PodpisError(.dataFormat, "not a certificate (PEM or DER expected)", subject: subject)
        }
    }

    public var der: [UInt8] { encodeDER(pointer, i2d_X509) ?? [] }

    public var subject: String { nameText(X509_get_subject_name(pointer)) }
    public var issuer: String { nameText(X509_get_issuer_name(pointer)) }
    public var serialHex: String { hexInteger(X509_get0_serialNumber(pointer)) }
    public var notBefore: Date? { date(fromASN1: X509_get0_notBefore(pointer)) }
    public var notAfter: Date? { date(fromASN1: X509_get0_notAfter(pointer)) }
    public var subjectAttributes: [String: [String]] { nameAttributes(X509_get_subject_name(pointer)) }
    public var isSelfIssued: Bool { X509_check_issued(pointer, pointer) == X509_V_OK }

    /// Whether `issuer` issued this certificate (name chaining, key identifiers and signature).
    func isIssued(by issuer: X509Certificate) -> Bool {
        guard X509_check_issued(issuer.pointer, pointer) == X509_V_OK else { return false }
        guard let key = X509_get0_pubkey(issuer.pointer) else { return false }
        let ok = X509_verify(pointer, key) == 1
        if !ok { clearOpenSSLErrors() }
        return ok
    }

    /// The decoded view recorded in evidence. A certificate's view depends on its bytes only, so it is decoded once
    /// per process and then served from ``CertificateInfoCache`` by its SHA-256 fingerprint (CA certificates and
    /// anchors recur in every verification; signer certificates recur across a batch).
    public func info() -> CertificateInfo {
        if let cached = CertificateInfoCache.shared.lookup(fingerprint) { return cached }
        let decoded = decodeInfo()
        CertificateInfoCache.shared.store(decoded)
        return decoded
    }

    private func decodeInfo() -> CertificateInfo {
        // Touch the cached extension state first (X509_check_ca computes it).
        let caFlag = X509_check_ca(pointer)
        let key = X509_get0_pubkey(pointer)
        let keyDescription = key.map(KeyDescription.init(key:))
        var sigNID: Int32 = 0
        var digestNID: Int32 = 0
        var pkNID: Int32 = 0
        var signatureDigest: String? = nil
        sigNID = X509_get_signature_nid(pointer)
        if OBJ_find_sigid_algs(sigNID, &digestNID, &pkNID) == 1 {
            signatureDigest = DigestAlgorithm(nid: digestNID)?.name ?? shortName(digestNID)
        }
        let kuBits = X509_get_key_usage(pointer)
        var keyUsage: [String]? = nil
        if X509_get_extension_flags(pointer) & UInt32(EXFLAG_KUSAGE) != 0 {
            keyUsage = KeyUsage.names(bits: kuBits)
        }
        var eku: [String]? = nil
        if X509_get_extension_flags(pointer) & UInt32(EXFLAG_XKUSAGE) != 0 {
            eku = lines(podpis_x509_eku_oids(pointer))
        }
        var pathLength: Int? = nil
        let pl = X509_get_pathlen(pointer)
        if pl >= 0 { pathLength = Int(pl) }

        var extensions: [ExtensionInfo] = []
        var signTool: String? = nil
        var qcStatements: [String]? = nil
        for index in 0..<X509_get_ext_count(pointer) {
            guard let ext = X509_get_ext(pointer, index) else { continue }
            let oid = oidText(X509_EXTENSION_get_object(ext))
            extensions.append(ExtensionInfo(oid: oid, critical: X509_EXTENSION_get_critical(ext) == 1))
            let value = bytes(of: X509_EXTENSION_get_data(ext))
            if oid == OID.subjectSignTool {
                signTool = DER.firstString(value)
            } else if oid == "1.3.6.1.5.5.7.1.3" {
                qcStatements = DER.qcStatementOIDs(value)
            }
        }
        let ski = X509_get0_subject_key_id(pointer).map { hex(bytes(of: $0)) }
        let aki = X509_get0_authority_key_id(pointer).map { hex(bytes(of: $0)) }

        return CertificateInfo(
            sha256: fingerprint,
            subject: subject,
            issuer: issuer,
            serial: serialHex,
            notBefore: notBefore ?? .distantPast,
            notAfter: notAfter ?? .distantPast,
            signatureAlgorithm: shortName(sigNID),
            signatureDigest: signatureDigest,
            keyType: keyDescription?.type ?? .unknown,
            keyBits: keyDescription?.bits ?? 0,
            curve: keyDescription?.curve,
            isCA: caFlag == 1 || (caFlag != 0 && X509_get_extension_flags(pointer) & UInt32(EXFLAG_CA) != 0),
            pathLength: pathLength,
            selfIssued: isSelfIssued,
            keyUsage: keyUsage,
            extendedKeyUsage: eku,
            extendedKeyUsageCritical: podpis_x509_ext_critical(pointer, NID_ext_key_usage) == 1,
            policies: lines(podpis_x509_policy_oids(pointer)),
            subjectKeyIdentifier: ski,
            authorityKeyIdentifier: aki,
            crlDistributionPoints: lines(podpis_x509_crl_urls(pointer)),
            ocspResponders: lines(podpis_x509_aia_urls(pointer, 1)),
            caIssuers: lines(podpis_x509_aia_urls(pointer, 0)),
            subjectAttributes: subjectAttributes,
            extensions: extensions,
            subjectSignTool: signTool,
            qcStatements: qcStatements,
            der: Base64.encode(der)
        )
    }
}

func shortName(_ nid: Int32) -> String {
    guard nid != NID_undef, let name = OBJ_nid2sn(nid) else { return "unknown" }
    return String(cString: name)
}

/// Whether text that does not start with a PEM block holds one further on (after `subject=`/`issuer=` lines or a
/// certificate dump). DER never starts with text, so a file starting with a SEQUENCE is not searched.
func containsPEMBlock(_ bytes: [UInt8]) -> Bool {
    guard let first = bytes.first, first != 0x30 else { return false }
    let marker = Array("-----BEGIN ".utf8)
    guard bytes.count >= marker.count else { return false }
    var index = 0
    while index + marker.count <= bytes.count {
        if bytes[index] == marker[0], bytes[index..<(index + marker.count)].elementsEqual(marker) { return true }
        index += 1
    }
    return false
}

func looksLikePEM(_ bytes: [UInt8]) -> Bool {
    let marker = Array("-----BEGIN".utf8)
    guard bytes.count >= marker.count else { return false }
    // Allow leading whitespace or a UTF-8 BOM.
    var start = 0
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
    while start < bytes.count, start < 4096, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
    return bytes[start...].starts(with: marker)
}

/// RFC 5280 key usage names by bit.
enum KeyUsage {
    static let all: [(UInt32, String)] = [
        (0x80, "digitalSignature"), (0x40, "nonRepudiation"), (0x20, "keyEncipherment"),
        (0x10, "dataEncipherment"), (0x08, "keyAgreement"), (0x04, "keyCertSign"), (0x02, "cRLSign"),
        (0x01, "encipherOnly"), (0x8000, "decipherOnly"),
    ]
    static func names(bits: UInt32) -> [String] { all.filter { bits & $0.0 != 0 }.map(\.1) }
}

/// A bounded, thread-safe map from certificate fingerprint to its decoded ``CertificateInfo``.
final class CertificateInfoCache: Sendable {
    static let shared = CertificateInfoCache(capacity: 4096)
    private let entries = NIOLockedValueBox<[String: CertificateInfo]>([:])
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ fingerprint: String) -> CertificateInfo? {
        entries.withLockedValue { $0[fingerprint] }
    }

    func store(_ info: CertificateInfo) {
        entries.withLockedValue { map in
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }  // simple bound: start over when full
            map[info.sha256] = info
        }
    }
}
