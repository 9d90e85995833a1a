import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// An owned OpenSSL `EVP_PKEY` holding a private key. Never printed, never logged, never encoded into evidence.
public final class PrivateKey: @unchecked Sendable {
    package let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    /// `rsa`, `rsa-pss`, `ec`, `gost2012-256`, `gost2012-512`, ...
    public var keyType: KeyType { KeyDescription(key: pointer).type }
    public var bits: Int { KeyDescription(key: pointer).bits }

    /// Fresh keys, for the demo and test PKI.
    public enum Kind: Sendable, Hashable {
        case rsa(bits: Int)
        case ec(curve: String)  // "P-256", "P-384"
        case gost2012_256
        case gost2012_512
        /// GOST R 34.10-2001: only to build historical test cases (not acceptable for new signatures since 2019).
        case gost2001
    }

    public static func generate(_ kind: Kind) throws -> PrivateKey {
        clearOpenSSLErrors()
        let key: OpaquePointer?
        switch kind {
        case .rsa(let bits): key = podpis_rsa_gen(UInt32(bits))
        case .ec(let curve): key = podpis_ec_gen(curve)
        case .gost2012_256:
            guard CryptoLibrary.initialize() else { throw gostMissing() }
            key = podpis_gost2012_gen(256, "A")
        case .gost2012_512:
            guard CryptoLibrary.initialize() else { throw gostMissing() }
            key = podpis_gost2012_gen(512, "A")
        case .gost2001:
            guard CryptoLibrary.initialize() else { throw gostMissing() }
            key = podpis_gost2012_gen(2001, "A")
        }
        guard let key else { throw PodpisError.openSSL(.software, "key generation failed for \(kind)") }
        return PrivateKey(taking: key)
    }

    /// The digest podpis signs with by default for this key.
    public var defaultDigest: DigestAlgorithm {
        switch keyType {
        case .gost2012_256: return .streebog256
        case .gost2012_512: return .streebog512
        case .gost2001: return .gostr341194
        case .ec: return bits >= 384 ? (bits >= 521 ? .sha512 : .sha384) : .sha256
        default: return .sha256
        }
    }

    /// Unencrypted PKCS#8 PEM, or encrypted with AES-256-CBC when a passphrase is given (for the demo PKI).
    public func pem(passphrase: [UInt8]? = nil) throws -> [UInt8] {
        try collectBIO { bio in
            var pass = passphrase ?? []
            defer { wipe(&pass) }
            let ok: Int32 = pass.isEmpty
                ? PEM_write_bio_PKCS8PrivateKey(bio, pointer, nil, nil, 0, nil, nil)
                : pass.withUnsafeMutableBufferPointer { buffer in
                    buffer.withMemoryRebound(to: CChar.self) { chars in
                        PEM_write_bio_PKCS8PrivateKey(
                            bio, pointer, EVP_aes_256_cbc(), chars.baseAddress, Int32(chars.count), nil, nil)
                    }
                }
            guard ok == 1 else { throw PodpisError.openSSL(.software, "cannot encode the private key") }
        }
    }

    /// The matching public key in PEM.
    public func publicKeyPEM() throws -> [UInt8] {
        try collectBIO { bio in
            guard PEM_write_bio_PUBKEY(bio, pointer) == 1 else {
                throw PodpisError.openSSL(.software, "cannot encode the public key")
            }
        }
    }

    public func matches(_ certificate: X509Certificate) -> Bool {
        let ok = X509_check_private_key(certificate.pointer, pointer) == 1
        clearOpenSSLErrors()
        return ok
    }
}

private func gostMissing() -> PodpisError {
    PodpisError(.configuration, .gostMissing)
}

/// A key and its certificate as loaded from files or a PKCS#12 bundle.
public struct SigningIdentity: Sendable {
    public let key: PrivateKey
    public let certificate: X509Certificate
    /// Extra certificates that came with the key (PKCS#12 CA certificates).
    public let chain: [X509Certificate]

    public init(key: PrivateKey, certificate: X509Certificate, chain: [X509Certificate] = []) {
        self.key = key
        self.certificate = certificate
        self.chain = chain
    }
}

/// Reads private keys from files, refusing files other users can read.
public enum KeyLoader {
    /// The outcome of an attempt that needs a passphrase the caller has not supplied.
    public struct PassphraseNeeded: Error {}

    /// Refuses a key file that is readable or writable by group or others.
    public static func checkPermissions(path: String, allowInsecure: Bool, passphrase: Bool = false) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw PodpisError(.noInput, .noSuchFile, subject: path)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw PodpisError(.noInput, .notARegularFile, subject: path)
        }
        let loose = info.st_mode & 0o077
        if loose != 0 && !allowInsecure {
            let mode = String(info.st_mode & 0o777, radix: 8)
            // A passphrase or PIN file opens the key: it is refused the same way (and overridden the same way).
            throw PodpisError(.noPermission, passphrase ? .passPermissions : .keyPermissions, ["mode": mode, "path": path], subject: path)
        }
    }

    /// Loads a private key (PEM, encrypted PEM, DER PKCS#8), a PKCS#12 bundle, or a key on a PKCS#11 token when
    /// `path` is a `pkcs11:` URI (see ``TokenKeyURI``).
    ///
    /// - Parameter passphrase: called at most once, only if the file turns out to be encrypted, or for the token's
    ///   PIN. It returns the bytes (which this function wipes after use) or throws.
    public static func load(
        path: String, allowInsecure: Bool = false, passphrase: () throws -> [UInt8]
    ) throws -> (key: PrivateKey, certificate: X509Certificate?, chain: [X509Certificate]) {
        if TokenKeyURI.isTokenURI(path) {
            return try loadFromToken(TokenKeyURI(path), pin: passphrase)
        }
        CryptoLibrary.initialize()
        try checkPermissions(path: path, allowInsecure: allowInsecure)
        var bytes = try FileInput.readSmallFile(path: path, limit: 1 << 20)
        defer { wipe(&bytes) }
        let lower = path.lowercased()
        if lower.hasSuffix(".p12") || lower.hasSuffix(".pfx") || (!looksLikePEM(bytes) && isPKCS12(bytes)) {
            return try loadPKCS12(bytes, path: path, passphrase: passphrase)
        }
        // First try without a passphrase; the callback records whether one was needed.
        if let key = try decodeKey(bytes, pass: nil, path: path) {
            return (key, nil, [])
        }
        var pass = try passphrase()
        defer { wipe(&pass) }
        guard let key = try decodeKey(bytes, pass: pass, path: path) else {
            throw PodpisError(.noPermission, .wrongPassphrase, subject: path)
        }
        return (key, nil, [])
    }

    /// Returns nil when the key is encrypted and `pass` was nil or wrong.
    private static func decodeKey(_ bytes: [UInt8], pass: [UInt8]?, path: String) throws -> PrivateKey? {
        clearOpenSSLErrors()
        var asked: Int32 = 0
        let key: OpaquePointer? = try withReadBIO(bytes) { bio in
            (pass ?? []).withUnsafeBufferPointer { passBuffer in
                passBuffer.withMemoryRebound(to: CChar.self) { chars in
                    var source = podpis_pass(pass: chars.baseAddress, len: Int32(chars.count), asked: 0)
                    defer { asked = source.asked }
                    if looksLikePEM(bytes) {
                        return PEM_read_bio_PrivateKey(bio, nil, podpis_pem_pass_cb, &source)
                    }
                    // DER: PKCS#8 (possibly encrypted) or traditional.
                    if let p8 = d2i_PKCS8PrivateKey_bio(bio, nil, podpis_pem_pass_cb, &source) { return p8 }
                    return decodeDER(bytes, d2i_AutoPrivateKey, keepingErrors: true)
                }
            }
        }
        if let key { clearOpenSSLErrors(); return PrivateKey(taking: key) }
        let detail = drainOpenSSLErrors()
        if asked != 0 { return nil }
        throw PodpisError(.dataFormat, .notAKey, subject: path, detail: detail)
    }

    private static func isPKCS12(_ bytes: [UInt8]) -> Bool {
        (try? withReadBIO(bytes) { bio -> Bool in
            guard pkcs12Handle(d2i_PKCS12_bio(bio, nil)) != nil else { clearOpenSSLErrors(); return false }
            return true
        }) ?? false
    }

    /// An owned `PKCS12`. The free function is called inside a closure, never passed as a function value: swift-nio-ssl
    /// passes its BoringSSL `PKCS12_free` as a value too, and Swift names the thunk of an imported C function by the C
    /// name alone (`$sSo11PKCS12_free…FTO`), so the linker keeps one thunk for both — BoringSSL's, which crashed here
    /// freeing an OpenSSL object.
    private static func pkcs12Handle(_ p12: OpaquePointer?) -> OpenSSLHandle<OpaquePointer>? {
        OpenSSLHandle(taking: p12, free: { PKCS12_free($0) })
    }

    private static func loadPKCS12(
        _ bytes: [UInt8], path: String, passphrase: () throws -> [UInt8]
    ) throws -> (key: PrivateKey, certificate: X509Certificate?, chain: [X509Certificate]) {
        clearOpenSSLErrors()
        let owner = try withReadBIO(bytes) { pkcs12Handle(d2i_PKCS12_bio($0, nil)) }
        guard let owner else { throw PodpisError.openSSL(.dataFormat, "not a PKCS#12 file", subject: path) }
        let p12 = owner.pointer
        // A PKCS#12 without a password is rare but valid: try the empty password first.
        var pass: [UInt8] = []
        let hasMAC = PKCS12_mac_present(p12) == 1
        if hasMAC && PKCS12_verify_mac(p12, "", 0) != 1 && PKCS12_verify_mac(p12, nil, 0) != 1 {
            clearOpenSSLErrors()
            pass = try passphrase()
            // The MAC (HMAC-SHA1 even in legacy files) decides whether the passphrase is right.
            let verified = pass.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { PKCS12_verify_mac(p12, $0.baseAddress, Int32($0.count)) == 1 }
            }
            guard verified else {
                clearOpenSSLErrors()
                wipe(&pass)
                throw PodpisError(.noPermission, .wrongPassphrase, subject: path)
            }
        }
        defer { wipe(&pass) }
        if let parsed = parsePKCS12(p12, pass: pass) { return parsed }
        if !hasMAC && pass.isEmpty {
            // No MAC to tell: the contents may simply be encrypted.
            clearOpenSSLErrors()
            pass = try passphrase()
            if let parsed = parsePKCS12(p12, pass: pass) { return parsed }
        }
        // The passphrase is right but the contents did not open: a legacy file (RC2-40, 3DES; `openssl pkcs12 -legacy`,
        // CryptoPro and Windows exports) needs OpenSSL's legacy provider. It is loaded into a library context of its
        // own, made the default for this thread only while the file is parsed, so no other operation can use
        // legacy algorithms.
        let firstFailure = drainOpenSSLErrors()
        if let legacy = LegacyPKCS12Context.shared, let parsed = legacy.whileDefault({ parsePKCS12(p12, pass: pass) }) {
            return try reloadInDefaultContext(parsed, path: path)
        }
        let detail = drainOpenSSLErrors() ?? firstFailure
        if !hasMAC {
            throw PodpisError(.dataFormat, .pkcs12Unreadable, subject: path, detail: detail)
        }
        throw PodpisError(.dataFormat, .pkcs12Damaged, ["reason": openSSLReason(detail)], subject: path, detail: detail)
    }

    /// A key and certificates parsed in the legacy library context, encoded and read again in the default one, so
    /// that signing never runs in the legacy context. The key's encoding is wiped.
    private static func reloadInDefaultContext(
        _ parsed: (key: PrivateKey, certificate: X509Certificate?, chain: [X509Certificate]), path: String
    ) throws -> (key: PrivateKey, certificate: X509Certificate?, chain: [X509Certificate]) {
        let length = i2d_PrivateKey(parsed.key.pointer, nil)
        guard length > 0 else { throw PodpisError.openSSL(.dataFormat, "cannot read the key of the legacy PKCS#12 file", subject: path) }
        var encoded = [UInt8](repeating: 0, count: Int(length))
        defer { wipe(&encoded) }
        let written = encoded.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PrivateKey(parsed.key.pointer, &cursor)
        }
        let key: OpaquePointer? = written == length ? decodeDER(encoded, d2i_AutoPrivateKey, keepingErrors: true) : nil
        guard let key else { throw PodpisError.openSSL(.dataFormat, "cannot read the key of the legacy PKCS#12 file", subject: path) }
        func again(_ certificate: X509Certificate) throws -> X509Certificate {
            try X509Certificate.parseAll(certificate.der, subject: path)[0]
        }
        return (PrivateKey(taking: key), try parsed.certificate.map(again), try parsed.chain.map(again))
    }

    /// `PKCS12_parse` with `pass`; nil when it fails (the error queue is left for the caller).
    private static func parsePKCS12(_ p12: OpaquePointer, pass: [UInt8]) -> (key: PrivateKey, certificate: X509Certificate?, chain: [X509Certificate])? {
        var key: OpaquePointer? = nil
        var cert: OpaquePointer? = nil
        var ca: OpaquePointer? = nil
        let ok: Int32 = pass.withUnsafeBufferPointer { buffer in
            var withNul = Array(buffer) + [0]
            defer { wipe(&withNul) }
            return withNul.withUnsafeBufferPointer { nul in
                nul.withMemoryRebound(to: CChar.self) { PKCS12_parse(p12, $0.baseAddress, &key, &cert, &ca) }
            }
        }
        // Whatever PKCS12_parse handed out is owned from here, on failure too.
        let caStack = OpenSSLHandle(taking: ca, free: podpis_sk_x509_pop_free)
        let certificate = cert.map { X509Certificate(taking: $0) }
        guard let privateKey = key.map({ PrivateKey(taking: $0) }), ok == 1 else { return nil }
        var chain: [X509Certificate] = []
        if let caStack {
            for index in 0..<podpis_sk_x509_num(caStack.pointer) {
                if let item = podpis_sk_x509_value(caStack.pointer, index) { chain.append(X509Certificate(borrowing: item)) }
            }
        }
        return (privateKey, certificate, chain)
    }
}

/// OpenSSL's legacy provider in a library context of its own, for reading legacy PKCS#12 files only.
///
/// `@unchecked Sendable`: the context is created once and never changed; OpenSSL library contexts are thread-safe
/// for fetching and parsing (OpenSSL 3 threading model). Making it a thread's default lasts for one call.
final class LegacyPKCS12Context: @unchecked Sendable {
    let context: OpaquePointer

    /// Nil when the legacy provider is not installed.
    static let shared: LegacyPKCS12Context? = {
        guard let context = OSSL_LIB_CTX_new() else { return nil }
        let owner = LegacyPKCS12Context(context: context)
        guard OSSL_PROVIDER_load(context, "default") != nil, OSSL_PROVIDER_load(context, "legacy") != nil else {
            clearOpenSSLErrors()
            return nil
        }
        return owner
    }()

    private init(context: OpaquePointer) { self.context = context }
    /// Runs only when the providers did not load (the shared context lives as long as the process).
    deinit { OSSL_LIB_CTX_free(context) }

    /// Runs `body` with this context as the calling thread's default library context.
    func whileDefault<T>(_ body: () -> T) -> T {
        let previous = OSSL_LIB_CTX_set0_default(context)
        defer { OSSL_LIB_CTX_set0_default(previous) }
        return body()
    }
}
