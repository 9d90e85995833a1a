import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// A set of trust anchors, parsed once and shared by every verification (an `X509_STORE` is safe for
/// concurrent use once configured).
public final class TrustStore: @unchecked Sendable {
    public let anchors: [X509Certificate]
    let store: OpaquePointer
    let fingerprints: Set<String>
    /// The SHA-256 of the anchors' sorted fingerprints: two stores with the same anchors have the same identity
    /// (memoised verdicts are keyed by it).
    let identity: [UInt8]

    public init(anchors: [X509Certificate]) {
        var unique: [X509Certificate] = []
        var seen = Set<String>()
        for anchor in anchors where seen.insert(anchor.fingerprint).inserted { unique.append(anchor) }
        self.anchors = unique
        self.fingerprints = seen
        self.identity = SHA256.digest(Array(seen.sorted().joined(separator: ",").utf8))
        store = X509_STORE_new()!
        for anchor in unique { X509_STORE_add_cert(store, anchor.pointer) }
        clearOpenSSLErrors()
    }

    deinit { X509_STORE_free(store) }

    public static let empty = TrustStore(anchors: [])

    func contains(_ certificate: X509Certificate) -> Bool { fingerprints.contains(certificate.fingerprint) }

    /// Loads anchors from PEM/DER files and from folders of `.pem`, `.crt`, `.cer`, `.der` files.
    public static func load(paths: [String]) throws -> TrustStore {
        TrustStore(anchors: try CertificateFiles.load(paths: paths))
    }
}

/// Reading certificates from files and folders.
public enum CertificateFiles {
    static let extensions: Set<String> = ["pem", "crt", "cer", "der"]

    public static func load(paths: [String]) throws -> [X509Certificate] {
        CryptoLibrary.initialize()
        var result: [X509Certificate] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw PodpisError(.noInput, .noSuchFileOrFolder, subject: path)
            }
            if isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                for name in names where extensions.contains((name as NSString).pathExtension.lowercased()) {
                    let file = (path as NSString).appendingPathComponent(name)
                    result += try X509Certificate.parseAll(FileInput.readSmallFile(path: file, limit: 16 << 20), subject: file)
                }
            } else {
                result += try X509Certificate.parseAll(FileInput.readSmallFile(path: path, limit: 16 << 20), subject: path)
            }
        }
        return result
    }

    /// CRLs from files (PEM or DER), or from folders: every `*.crl` file in them.
    public static func loadCRLs(paths: [String]) throws -> [CertificateRevocationList] {
        var result: [CertificateRevocationList] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw PodpisError(.noInput, .noSuchFileOrFolder, subject: path)
            }
            let files = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).sorted()
                    .filter { ($0 as NSString).pathExtension.lowercased() == "crl" }.map { (path as NSString).appendingPathComponent($0) }
                : [path]
            for file in files {
                result += try CertificateRevocationList.parseAll(FileInput.readSmallFile(path: file, limit: 256 << 20), subject: file)
            }
        }
        return result
    }

    /// PEM text of certificates.
    public static func pem(_ certificates: [X509Certificate]) throws -> [UInt8] {
        try collectBIO { bio in
            for cert in certificates {
                guard PEM_write_bio_X509(bio, cert.pointer) == 1 else {
                    throw PodpisError.openSSL(.software, "cannot encode a certificate")
                }
            }
        }
    }
}
