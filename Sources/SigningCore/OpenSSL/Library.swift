import COpenSSL
import CPodpis
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Process-wide OpenSSL set-up: the GOST engine is loaded once, before any key or certificate is parsed.
public enum CryptoLibrary {
    /// podpis's version, recorded in evidence and reports.
    public static let podpisVersion = "0.1.0"

    /// Loads the GOST engine if it is installed. Safe to call from any thread, any number of times.
    @discardableResult
    public static func initialize() -> Bool {
        podpis_gost_init() == 1
    }

    /// Whether GOST R 34.10-2012 / Streebog are available (Debian: `libengine-gost-openssl`).
    public static var gostAvailable: Bool { initialize() }

    /// The OpenSSL version string in use.
    public static var openSSLVersion: String { String(cString: OpenSSL_version(OPENSSL_VERSION)) }
}
