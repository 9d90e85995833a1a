import Foundation
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore
import NIOConcurrencyHelpers
import NIOPosix

/// What the service verifies with: policies, trust, the TSA, the journal. Policies and trust can be reloaded
/// while running (admin), and every request works with one consistent snapshot.
public final class ServiceState: Sendable {
    public struct Snapshot: Sendable {
        public let catalog: PolicyCatalog
        public let trust: TrustStore
        public let trustLists: [String: [String: TrustList]]  // by policy id
        public let loadedAt: Date
        /// Revocation data and intermediates configured for every verification (`--crl`, `--ocsp-response`, `--cert`).
        public var crls: [CertificateRevocationList] = []
        public var ocspResponses: [[UInt8]] = []
        public var certificates: [X509Certificate] = []
    }

    public let configuration: ServiceConfiguration
    public let journal: any AuditJournal
    public let authority: TimestampAuthority?
    /// Signs receipts and checkpoints with the journal key (nil: neither is made).
    public let notary: JournalNotary?
    private let current: NIOLockedValueBox<Snapshot>

    public init(configuration: ServiceConfiguration, journal: any AuditJournal, notary: JournalNotary? = nil) throws {
        self.configuration = configuration
        self.journal = journal
        self.notary = notary
        current = NIOLockedValueBox(try Self.load(configuration))
        if let key = configuration.tsaKey, let cert = configuration.tsaCert {
            let loaded = try KeyLoader.load(path: key) {
                guard TokenKeyURI.isTokenURI(key) else {
                    throw PodpisError(.configuration, "the TSA key must not be encrypted in serve (use a protected file or a token)", subject: key)
                }
                return try Self.tokenPIN(configuration)
            }
            let certificate = try X509Certificate.parseAll(FileInput.readSmallFile(path: cert, limit: 1 << 20), subject: cert)[0]
            authority = try TimestampAuthority(
                key: loaded.key, certificate: certificate, chain: try CertificateFiles.load(paths: configuration.tsaChain),
                configuration: TimestampAuthority.Configuration(policy: configuration.tsaPolicy),
                serials: SerialNumberSource(path: Self.serialFile(forKey: key, configuration: configuration)))
        } else {
            authority = nil
        }
    }

    public var snapshot: Snapshot { current.withLockedValue { $0 } }

    /// Appends a verification to the journal within `journalTimeout` and signs its receipt (Base64 of the CMS).
    /// A journal that fails or does not answer in time gives 503 journal-unavailable with Retry-After: the answer is
    /// never sent without its entry, and never waits without bound.
    func record(_ record: JournalRecord) async throws -> (JournalEntry, String?) {
        let entry: JournalEntry
        do {
            let journal = self.journal
            entry = try await Deadline.run(seconds: configuration.journalTimeout) { try await journal.append(record) }
        } catch {
            journal.noteUnavailable()
            throw Self.journalUnavailable(error)
        }
        guard let notary else { return (entry, nil) }
        notary.appended(entry, journal: journal)
        let receipt = try await NIOThreadPool.singleton.runIfActive { Data(try notary.receipt(for: entry)).base64EncodedString() }
        return (entry, receipt)
    }

    static func journalUnavailable(_ error: any Error) -> Problem {
        let reason = error is Deadline.Expired ? "the journal did not answer in time" : "the journal cannot be written"
        return Problem(.serviceUnavailable, .journalUnavailable, title: "The audit journal is unavailable",
                       detail: "\(reason); nothing was recorded, retry later")
            .with(header: "Retry-After", "5")
    }

    /// The PIN of a TSA key on a token: `tsa.pin-file` (owner-only, first line), else `PODPIS_TSA_PIN`.
    static func tokenPIN(_ configuration: ServiceConfiguration) throws -> [UInt8] {
        if let file = configuration.tsaPinFile {
            try KeyLoader.checkPermissions(path: file, allowInsecure: false, passphrase: true)
            var bytes = try FileInput.readSmallFile(path: file, limit: 4096)
            if let newline = bytes.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) { bytes.removeSubrange(newline...) }
            return bytes
        }
        if let pin = ProcessInfo.processInfo.environment["PODPIS_TSA_PIN"] { return Array(pin.utf8) }
        throw PodpisError(.configuration, "the TSA key is on a token: give its PIN by tsa.pin-file or PODPIS_TSA_PIN", subject: configuration.tsaKey)
    }

    /// Serial numbers persist beside a key file; for a token key, beside the certificate.
    static func serialFile(forKey key: String, configuration: ServiceConfiguration) -> String {
        TokenKeyURI.isTokenURI(key) ? (configuration.tsaCert ?? "podpis-tsa") + ".serial" : key + ".serial"
    }

    /// Re-reads policies and trust lists; the old snapshot stays in use if the new one does not load.
    public func reload() throws -> Snapshot {
        let fresh = try Self.load(configuration)
        current.withLockedValue { $0 = fresh }
        return fresh
    }

    static func load(_ configuration: ServiceConfiguration) throws -> Snapshot {
        let catalog = try PolicyCatalog.standard(policies: configuration.policies, certs: configuration.certs)
        if let error = catalog.registry.errors.first {
            throw PodpisError(.configuration, "a policy does not load: \(error.rendered(.en))")
        }
        // The default policy is an id too: requests are answered from the catalogue only.
        do {
            _ = try catalog.policy(id: configuration.defaultPolicy)
        } catch let error as PodpisError {
            throw PodpisError(.configuration, "defaultPolicy: \(error.message)")
        }
        var anchors = try CertificateFiles.load(paths: configuration.trust)
        var lists: [String: [String: TrustList]] = [:]
        for policy in catalog.registry.policies.values {
            let (policyLists, listAnchors) = try catalog.trustLists(for: policy)
            lists[policy.id] = policyLists
            anchors += listAnchors
        }
        var snapshot = Snapshot(catalog: catalog, trust: TrustStore(anchors: anchors), trustLists: lists, loadedAt: Date())
        snapshot.crls = try CertificateFiles.loadCRLs(paths: configuration.crls)
        snapshot.certificates = try CertificateFiles.load(paths: configuration.certificates)
        snapshot.ocspResponses = try configuration.ocspResponses.map { try FileInput.readSmallFile(path: $0, limit: 16 << 20) }
        return snapshot
    }
}
