import EvidenceModel
import Foundation

/// Using a demo PKI again instead of making a new one: every signature made with it stays verifiable.
extension DemoPKI {
    /// Whether `directory` holds a demo PKI made by ``create(in:baseURL:includeGOST:)`` (its root and official).
    public static func exists(in directory: String) -> Bool {
        let layout = Layout(directory: directory)
        return ["rsa-root.pem", "rsa-root.key", "official-rsa.pem", "official-rsa.key"].allSatisfy {
            FileManager.default.fileExists(atPath: layout.path($0))
        }
    }

    /// Whether the demo PKI in `directory` has the GOST hierarchy (made where the GOST engine was installed).
    public static func hasGOST(in directory: String) -> Bool {
        let layout = Layout(directory: directory)
        return ["official-gost.pem", "official-gost.key", "gost-chain.pem"].allSatisfy { FileManager.default.fileExists(atPath: layout.path($0)) }
    }

    /// Opens the demo PKI in `directory` for another run: its CRL files are issued afresh by its CAs (with the
    /// revocations `podpis pki revoke` recorded), so they are current; no key or certificate changes.
    ///
    /// - Throws: `cannotCreate` when the officials' or the TSA's certificates are no longer valid (a new PKI is
    ///   then needed: `podpis pki demo DIR --force`, which invalidates the earlier signatures).
    public static func reuse(in directory: String, now: Date = Date()) throws -> Layout {
        let layout = Layout(directory: directory)
        for name in ["official-rsa", "official-gost", "tsa"] where FileManager.default.fileExists(atPath: layout.path("\(name).pem")) {
            let path = layout.path("\(name).pem")
            let certificate = try X509Certificate.parseAll(FileInput.readSmallFile(path: path, limit: 1 << 20), subject: path)[0]
            if let notAfter = certificate.notAfter, notAfter <= now {
                throw PodpisError(.cannotCreate, .demoPkiExpired, ["name": "\(name).pem", "date": MoscowTime.format(notAfter), "dir": directory],
                                  subject: directory)
            }
        }
        let service = try DemoPKIService(directory: directory)
        for name in DemoPKIService.authorityNames {
            guard let der = try service.crl(named: name) else { continue }
            let crl = try CertificateRevocationList.parseAll(der, subject: name)
            try FileInput.writeAtomically(try crl[0].pem(), to: layout.path("\(name).crl"))
        }
        return layout
    }
}
