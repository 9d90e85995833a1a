import COpenSSL
import CPodpis
import EvidenceModel
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

// Small conversions between OpenSSL values and Swift values. Nothing here keeps OpenSSL objects alive beyond a call.

/// A read-only memory BIO over `bytes`, alive for the duration of `body`.
package func withReadBIO<R>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> R) throws -> R {
    try bytes.withUnsafeBytes { raw in
        guard let bio = OpenSSLHandle(taking: BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)), free: BIO_free) else {
            throw PodpisError.openSSL(.software, "cannot allocate a memory BIO")
        }
        return try body(bio.pointer)
    }
}

/// A writable memory BIO; `body` fills it and the bytes are returned.
func collectBIO(_ body: (OpaquePointer) throws -> Void) throws -> [UInt8] {
    guard let bio = OpenSSLHandle(taking: BIO_new(BIO_s_mem()), free: BIO_free) else {
        throw PodpisError.openSSL(.software, "cannot allocate a memory BIO")
    }
    try body(bio.pointer)
    return bioBytes(bio.pointer)
}

func bioBytes(_ bio: OpaquePointer) -> [UInt8] {
    var pointer: UnsafeMutablePointer<CChar>? = nil
    let length = podpis_bio_get_mem_data(bio, &pointer)
    guard length > 0, let pointer else { return [] }
    return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
}

/// Takes ownership of an OpenSSL-allocated C string and returns it as a Swift string.
func takeCString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
    guard let pointer else { return nil }
    defer { podpis_openssl_free(pointer) }
    return String(cString: pointer)
}

func lines(_ pointer: UnsafeMutablePointer<CChar>?) -> [String] {
    guard let text = takeCString(pointer) else { return [] }
    return text.split(separator: "\n").map(String.init)
}

extension Date {
    /// Truncated to whole seconds, as every time in certificates, CRLs and reports is.
    var wholeSeconds: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}

func date(fromASN1 time: UnsafePointer<ASN1_TIME>?) -> Date? {
    guard let time else { return nil }
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else {
        ERR_clear_error()
        return nil
    }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
}

/// An owned ASN1_TIME for `date`: UTCTime until 2049, then GeneralizedTime.
package func asn1Time(_ date: Date) -> OpenSSLHandle<UnsafeMutablePointer<ASN1_TIME>>? {
    OpenSSLHandle(taking: ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970.rounded(.down))), free: ASN1_TIME_free)
}

/// SHA-256 in one call (EVP_Digest): the digest every module uses for content hashes, fingerprints and cache keys.
public enum SHA256 {
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { EVP_Digest(input.baseAddress, input.count, $0.baseAddress, &length, EVP_sha256(), nil) }
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return out
    }

    /// The digest as lower-case hex.
    public static func hex(_ bytes: [UInt8]) -> String { Hex.encode(digest(bytes)) }
}

/// SigningCore's short spelling of ``Hex/encode(_:uppercase:)``.
func hex(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String { Hex.encode(bytes, uppercase: uppercase) }

package func bytes(of string: UnsafePointer<ASN1_STRING>?) -> [UInt8] {
    guard let string, let data = ASN1_STRING_get0_data(string) else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(string))))
}

/// Serial numbers and other integers as upper-case hex (no sign handling needed for valid serials).
func hexInteger(_ integer: UnsafePointer<ASN1_INTEGER>?) -> String {
    guard let integer, let bn = OpenSSLHandle(taking: ASN1_INTEGER_to_BN(integer, nil), free: BN_free) else { return "" }
    return takeCString(BN_bn2hex(bn.pointer)) ?? ""
}

/// The text of a NUL-terminated C buffer (up to its first NUL, or all of it), decoded as UTF-8.
func string(fromNulTerminated buffer: [CChar]) -> String {
    let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Dotted OID text.
func oidText(_ object: OpaquePointer?) -> String {
    guard let object else { return "" }
    var buffer = [CChar](repeating: 0, count: 128)
    let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
    guard length > 0, Int(length) < buffer.count else { return "" }
    return string(fromNulTerminated: buffer)
}

/// A distinguished name as a UTF-8 RFC 2253 string (Cyrillic prints as Cyrillic).
func nameText(_ name: OpaquePointer?) -> String {
    guard let name else { return "" }
    let bytes = (try? collectBIO { bio in
        _ = X509_NAME_print_ex(bio, name, 0, podpis_name_flags_rfc2253_utf8())
    }) ?? []
    return String(decoding: bytes, as: UTF8.self)
}

/// Subject attributes of a name, by dotted OID, values as UTF-8.
func nameAttributes(_ name: OpaquePointer?) -> [String: [String]] {
    guard let name else { return [:] }
    var result: [String: [String]] = [:]
    for index in 0..<X509_NAME_entry_count(name) {
        guard let entry = X509_NAME_get_entry(name, index) else { continue }
        let oid = oidText(X509_NAME_ENTRY_get_object(entry))
        var utf8: UnsafeMutablePointer<UInt8>? = nil
        let length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry))
        guard length >= 0, let utf8 else {
            ERR_clear_error()
            continue
        }
        let value = String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
        podpis_openssl_free(utf8)
        result[oid, default: []].append(value)
    }
    return result
}

/// Secure wipe for secrets held in Swift arrays.
func wipe(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress { OPENSSL_cleanse(base, raw.count) }
    }
}
