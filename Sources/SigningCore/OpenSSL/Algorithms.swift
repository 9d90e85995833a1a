import COpenSSL
import CPodpis
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EvidenceModel

/// Digest algorithms podpis names, with their OpenSSL NIDs.
public enum DigestAlgorithm: String, CaseIterable, Sendable, Codable {
    case md5
    case sha1
    case sha224
    case sha256
    case sha384
    case sha512
    case sha512_224 = "sha512-224"
    case sha512_256 = "sha512-256"
    case sha3_224 = "sha3-224"
    case sha3_256 = "sha3-256"
    case sha3_384 = "sha3-384"
    case sha3_512 = "sha3-512"
    case streebog256
    case streebog512
    case gostr341194 = "gostr3411-94"

    public var name: String { rawValue }

    var nid: Int32 {
        switch self {
        case .md5: NID_md5
        case .sha1: NID_sha1
        case .sha224: NID_sha224
        case .sha256: NID_sha256
        case .sha384: NID_sha384
        case .sha512: NID_sha512
        case .sha512_224: NID_sha512_224
        case .sha512_256: NID_sha512_256
        case .sha3_224: NID_sha3_224
        case .sha3_256: NID_sha3_256
        case .sha3_384: NID_sha3_384
        case .sha3_512: NID_sha3_512
        case .streebog256: NID_id_GostR3411_2012_256
        case .streebog512: NID_id_GostR3411_2012_512
        case .gostr341194: NID_id_GostR3411_94
        }
    }

    public var oid: String { oidText(OBJ_nid2obj(nid)) }

    /// Output size in bytes.
    public var size: Int {
        switch self {
        case .md5: 16
        case .sha1: 20
        case .sha224, .sha512_224, .sha3_224: 28
        case .sha256, .sha512_256, .sha3_256, .streebog256, .gostr341194: 32
        case .sha384, .sha3_384: 48
        case .sha512, .sha3_512, .streebog512: 64
        }
    }

    public var isGOST: Bool { self == .streebog256 || self == .streebog512 || self == .gostr341194 }

    init?(nid: Int32) {
        guard let found = Self.allCases.first(where: { $0.nid == nid }) else { return nil }
        self = found
    }

    /// The algorithm with this dotted OID, if podpis knows it.
    init?(oid: String) {
        guard let found = Self.allCases.first(where: { $0.oid == oid }) else { return nil }
        self = found
    }

    /// Parses CLI and API names, accepting common spellings (`SHA-256`, `sha256`, `streebog-256`, `gost12-256`).
    public init?(parsing text: String) {
        let key = String(text.lowercased().map { $0 == "_" ? "-" : $0 })
        let aliases: [String: DigestAlgorithm] = [
            "sha-1": .sha1, "sha-224": .sha224, "sha-256": .sha256, "sha-384": .sha384, "sha-512": .sha512,
            "sha3224": .sha3_224, "sha3256": .sha3_256, "sha3384": .sha3_384, "sha3512": .sha3_512,
            "sha-512/224": .sha512_224, "sha-512/256": .sha512_256, "sha512/224": .sha512_224, "sha512/256": .sha512_256,
            "streebog-256": .streebog256, "streebog-512": .streebog512, "gost12-256": .streebog256,
            "gost12-512": .streebog512, "md-gost12-256": .streebog256, "md-gost12-512": .streebog512,
            "gostr3411-2012-256": .streebog256, "gostr3411-2012-512": .streebog512, "md-gost94": .gostr341194,
        ]
        if let value = DigestAlgorithm(rawValue: key) ?? aliases[key] {
            self = value
        } else {
            return nil
        }
    }

    /// The OpenSSL digest, loading the GOST engine first for Streebog.
    package func evpMD() -> OpaquePointer? {
        if isGOST { CryptoLibrary.initialize() }
        return EVP_get_digestbyname(OBJ_nid2sn(nid))
    }
}

/// Describes a public key for evidence: type, size, curve.
struct KeyDescription {
    var type: KeyType
    var bits: Int
    var curve: String?

    init(key: OpaquePointer) {
        bits = Int(EVP_PKEY_get_bits(key))
        let id = EVP_PKEY_get_base_id(key)
        switch id {
        case EVP_PKEY_RSA: type = .rsa
        case EVP_PKEY_RSA_PSS: type = .rsaPSS
        case EVP_PKEY_EC: type = .ec
        case EVP_PKEY_ED25519: type = .ed25519
        case EVP_PKEY_ED448: type = .ed448
        case EVP_PKEY_DSA: type = .dsa
        case NID_id_GostR3410_2012_256: type = .gost2012_256
        case NID_id_GostR3410_2012_512: type = .gost2012_512
        case NID_id_GostR3410_2001: type = .gost2001
        default: type = id == NID_undef ? .unknown : KeyType(rawValue: shortName(id))
        }
        curve = nil
        if id == EVP_PKEY_EC {
            var buffer = [CChar](repeating: 0, count: 80)
            var length = 0
            if EVP_PKEY_get_utf8_string_param(key, "group", &buffer, buffer.count, &length) == 1 {
                curve = string(fromNulTerminated: buffer)
            } else {
                clearOpenSSLErrors()
            }
        } else if type.isGOST {
            curve = Self.gostParameterSet(key)
        }
    }

    /// A GOST key's parameter set: the first OID of its SubjectPublicKeyInfo's algorithm parameters (RFC 4491, 2.3.2;
    /// R 1323565.1.024), read from the encoded public key. (The GOST engine keeps its keys as a legacy EC_KEY, which
    /// only deprecated calls reach.)
    static func gostParameterSet(_ key: OpaquePointer) -> String? {
        guard let der = encodeDER(key, i2d_PUBKEY), let info = DER.node(in: der, at: 0),
              let algorithm = DER.children(of: info, in: der).first, algorithm.tag == 0x30,
              let parameters = DER.children(of: algorithm, in: der).dropFirst().first, parameters.tag == 0x30,
              let set = DER.children(of: parameters, in: der).first, set.tag == 0x06
        else {
            clearOpenSSLErrors()
            return nil
        }
        let encoded = Array(der[set.contentRange.lowerBound - (set.contentRange.count < 128 ? 2 : 3)..<set.end])
        guard let object = OpenSSLHandle(der: encoded, d2i_ASN1_OBJECT, free: ASN1_OBJECT_free) else { return nil }
        let nid = OBJ_obj2nid(object.pointer)
        return nid == NID_undef ? oidText(object.pointer) : shortName(nid)
    }
}

/// Maps a SignerInfo signature algorithm OID to podpis's scheme name and the digest it implies (RFC 8933).
func signatureScheme(oid: String) -> (scheme: String, impliedDigest: DigestAlgorithm?) {
    switch oid {
    case "1.2.840.113549.1.1.1": return ("rsa-pkcs1", nil)
    case "1.2.840.113549.1.1.4": return ("rsa-pkcs1", .md5)
    case "1.2.840.113549.1.1.5": return ("rsa-pkcs1", .sha1)
    case "1.2.840.113549.1.1.14": return ("rsa-pkcs1", .sha224)
    case "1.2.840.113549.1.1.11": return ("rsa-pkcs1", .sha256)
    case "1.2.840.113549.1.1.12": return ("rsa-pkcs1", .sha384)
    case "1.2.840.113549.1.1.13": return ("rsa-pkcs1", .sha512)
    case "1.2.840.113549.1.1.15": return ("rsa-pkcs1", .sha512_224)
    case "1.2.840.113549.1.1.16": return ("rsa-pkcs1", .sha512_256)
    case "2.16.840.1.101.3.4.3.13": return ("rsa-pkcs1", .sha3_224)
    case "2.16.840.1.101.3.4.3.14": return ("rsa-pkcs1", .sha3_256)
    case "2.16.840.1.101.3.4.3.15": return ("rsa-pkcs1", .sha3_384)
    case "2.16.840.1.101.3.4.3.16": return ("rsa-pkcs1", .sha3_512)
    case "1.2.840.113549.1.1.10": return ("rsa-pss", nil)  // the hash is in the parameters
    case "1.2.840.10045.2.1": return ("ecdsa", nil)
    case "1.2.840.10045.4.1": return ("ecdsa", .sha1)
    case "1.2.840.10045.4.3.1": return ("ecdsa", .sha224)
    case "1.2.840.10045.4.3.2": return ("ecdsa", .sha256)
    case "1.2.840.10045.4.3.3": return ("ecdsa", .sha384)
    case "1.2.840.10045.4.3.4": return ("ecdsa", .sha512)
    case "2.16.840.1.101.3.4.3.9": return ("ecdsa", .sha3_224)
    case "2.16.840.1.101.3.4.3.10": return ("ecdsa", .sha3_256)
    case "2.16.840.1.101.3.4.3.11": return ("ecdsa", .sha3_384)
    case "2.16.840.1.101.3.4.3.12": return ("ecdsa", .sha3_512)
    // GOST: OpenSSL and CryptoPro put the key OID here; the sign-with-digest OIDs are accepted too.
    case "1.2.643.7.1.1.1.1", "1.2.643.7.1.1.3.2": return ("gost2012-256", .streebog256)
    case "1.2.643.7.1.1.1.2", "1.2.643.7.1.1.3.3": return ("gost2012-512", .streebog512)
    case "1.2.643.2.2.19", "1.2.643.2.2.3": return ("gost2001", .gostr341194)
    case "1.3.101.112": return ("ed25519", .sha512)
    case "1.3.101.113": return ("ed448", nil)
    case "1.2.840.10040.4.1": return ("dsa", nil)
    case "1.2.840.10040.4.3": return ("dsa", .sha1)
    case "2.16.840.1.101.3.4.3.1": return ("dsa", .sha224)
    case "2.16.840.1.101.3.4.3.2": return ("dsa", .sha256)
    default: return (oid, nil)
    }
}
