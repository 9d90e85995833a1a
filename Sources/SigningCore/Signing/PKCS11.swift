import COpenSSL
import CPodpis
import Foundation

/// A key on a PKCS#11 token (a smart card, a USB token, an HSM, SoftHSM2), named by an RFC 7512 URI such as
/// `pkcs11:token=Official;object=signing;type=private`.
///
/// The key never leaves the token: OpenSSL reaches it through libp11's `pkcs11` engine
/// (Debian: `libengine-pkcs11-openssl`), so every signature — CMS, timestamp token — is computed by the token.
/// The PIN comes from the same sources as a key file's passphrase (file, environment, standard input, a no-echo
/// prompt). A URI that carries the PIN itself (`pin-value`) is refused: it would put the PIN on the command line.
public struct TokenKeyURI: Sendable, Hashable, CustomStringConvertible {
    /// The URI as given, without a `module-path` query attribute.
    public let uri: String
    /// The PKCS#11 module named by the URI's `module-path` query attribute, if any.
    public let modulePath: String?

    /// Whether a `--key` argument names a token rather than a file.
    public static func isTokenURI(_ text: String) -> Bool {
        text.lowercased().hasPrefix("pkcs11:")
    }

    public init(_ text: String) throws {
        guard Self.isTokenURI(text) else {
            throw PodpisError(.usage, "not a PKCS#11 URI (pkcs11:token=…;object=…)", subject: text)
        }
        let body = text.dropFirst("pkcs11:".count)
        let (pathPart, queryPart) = body.firstIndex(of: "?").map { (body[..<$0], body[body.index(after: $0)...]) }
            ?? (body[...], "")
        var module: String?
        var keptQuery: [Substring] = []
        for attribute in queryPart.split(separator: "&", omittingEmptySubsequences: true) {
            let name = attribute.split(separator: "=", maxSplits: 1).first.map { $0.lowercased() } ?? ""
            switch name {
            case "pin-value":
                throw PodpisError(
                    .usage,
                    "the PKCS#11 URI carries the PIN (pin-value): give it by --pass-file, --pass-env or --pass-stdin instead",
                    subject: "pkcs11:")
            case "module-path":
                module = attribute.split(separator: "=", maxSplits: 1).dropFirst().first.map { Self.percentDecoded($0) }
            default:
                keptQuery.append(attribute)
            }
        }
        guard !pathPart.isEmpty else {
            throw PodpisError(.usage, "the PKCS#11 URI names no token or object (pkcs11:token=…;object=…)", subject: text)
        }
        self.uri = "pkcs11:" + pathPart + (keptQuery.isEmpty ? "" : "?" + keptQuery.joined(separator: "&"))
        self.modulePath = module
    }

    /// The same object as a certificate (`type=cert`), for reading the signer's certificate from the token.
    public var certificateURI: String {
        let body = uri.dropFirst("pkcs11:".count)
        let pathPart = body.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let kept = pathPart.split(separator: ";").filter { !$0.lowercased().hasPrefix("type=") }
        return "pkcs11:" + (kept + ["type=cert"]).joined(separator: ";")
    }

    public var description: String { uri }

    private static func percentDecoded(_ text: Substring) -> String {
        String(text).removingPercentEncoding ?? String(text)
    }
}

extension KeyLoader {
    /// The PKCS#11 module used when neither the URI nor the caller names one: `PODPIS_PKCS11_MODULE`, else libp11's
    /// default (p11-kit's proxy, which loads the modules registered on the system).
    public static var defaultPKCS11Module: String? {
        ProcessInfo.processInfo.environment["PODPIS_PKCS11_MODULE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Loads a private key that stays on a PKCS#11 token, and the certificate stored beside it when there is one.
    ///
    /// - Parameters:
    ///   - module: the PKCS#11 module (`.so`); the URI's `module-path` wins, then this, then
    ///     ``defaultPKCS11Module``. One module per process.
    ///   - pin: called once; returns the PIN bytes, which this function wipes after use.
    public static func loadFromToken(
        _ uri: TokenKeyURI, module: String? = nil, pin: () throws -> [UInt8]
    ) throws -> (key: PrivateKey, certificate: X509Certificate?, chain: [X509Certificate]) {
        CryptoLibrary.initialize()
        var pinBytes = try pin()
        defer { wipe(&pinBytes) }
        guard !pinBytes.contains(0) else {
            throw PodpisError(.usage, "the PIN contains a NUL byte", subject: uri.uri)
        }
        pinBytes.append(0)
        let modulePath = uri.modulePath ?? module ?? defaultPKCS11Module
        // libp11 loads the module lazily and reports a missing one as "not found" (on stderr besides): check first.
        if let modulePath, !FileManager.default.isReadableFile(atPath: modulePath) {
            throw PodpisError(
                .unavailable,
                "the PKCS#11 module \(modulePath) does not load (no such file); name it with PODPIS_PKCS11_MODULE or ?module-path=",
                subject: uri.uri)
        }
        clearOpenSSLErrors()
        var key: OpaquePointer?
        var certificate: OpaquePointer?
        let status = pinBytes.withUnsafeBufferPointer { pinBuffer in
            pinBuffer.withMemoryRebound(to: CChar.self) { pinChars in
                podpis_pkcs11_load(modulePath, uri.uri, uri.certificateURI, pinChars.baseAddress, &key, &certificate)
            }
        }
        let detail = drainOpenSSLErrors()
        let subject = uri.uri
        switch Int(status) {
        case PODPIS_P11_OK:
            guard let key else { throw PodpisError(.software, "the token returned no key", subject: subject) }
            return (PrivateKey(taking: key), certificate.map { X509Certificate(taking: $0) }, [])
        case PODPIS_P11_NO_ENGINE:
            throw PodpisError(
                .unavailable, "PKCS#11 tokens need libp11's OpenSSL engine: install libengine-pkcs11-openssl",
                subject: subject, detail: detail)
        case PODPIS_P11_NO_MODULE:
            throw PodpisError(
                .unavailable,
                "the PKCS#11 module \(modulePath ?? "(p11-kit proxy)") does not load; name it with PODPIS_PKCS11_MODULE or ?module-path=",
                subject: subject, detail: detail)
        case PODPIS_P11_OTHER_MODULE:
            throw PodpisError(.configuration, "another PKCS#11 module is already in use in this process", subject: subject)
        case PODPIS_P11_PIN_REFUSED:
            throw PodpisError(.noPermission, .wrongPin, subject: subject, detail: detail)
        case PODPIS_P11_NOT_FOUND:
            throw PodpisError(.noInput, .noTokenKey, subject: subject, detail: detail)
        default:
            throw PodpisError(.software, "the PKCS#11 engine failed", subject: subject, detail: detail)
        }
    }
}
