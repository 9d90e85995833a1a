import Foundation
import PodpisJournal
import SigningCore

/// The journal key that signs receipts and checkpoints, as `serve` sets it up.
public enum JournalSetup {
    /// - `--journal-key` (a file, or a token key with its PIN from `journal.pin-file` or `PODPIS_JOURNAL_PIN`);
    /// - else, for SQLite, a key and self-signed certificate beside the database, made once (the notice says so);
    /// - else (PostgreSQL) none: refused (exit 78) when `--checkpoints` asks for checkpoints, since every node must
    ///   sign with the one key an auditor pins.
    /// Returns the notary and a line for the operator.
    public static func notary(for configuration: ServiceConfiguration) throws -> (JournalNotary?, String?) {
        let identity: SigningIdentity
        var notice: String? = nil
        if let key = configuration.journalKey {
            identity = try JournalNotary.loadIdentity(key: key, certificate: configuration.journalCert) { try pin(configuration) }
        } else if !AuditJournals.isPostgres(configuration.database) {
            let local = try JournalNotary.localIdentity(besideDatabase: AuditJournals.sqlitePath(configuration.database))
            identity = local.identity
            notice = local.created
                ? "journal key created: \(local.key) (EC P-256, mode 600) with the self-signed certificate \(local.certificate); receipts and checkpoints are signed with it — keep a copy of the certificate to pin it (audit verify --journal-cert)"
                : "journal key: \(local.key) (certificate \(local.certificate))"
        } else {
            if configuration.checkpoints != nil {
                throw PodpisError(.configuration, "checkpoints need the journal key every node signs with: give --journal-key (and --journal-cert)", subject: "checkpoints")
            }
            return (nil, "no journal key (--journal-key): answers carry no X-Journal-Receipt and no checkpoints are written")
        }
        var timestamps: TimestampClient? = nil
        if let url = configuration.journalTSA { timestamps = TimestampClient(source: HTTPTimestampSource(url: url)) }
        if let directory = configuration.checkpoints {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
                do {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw PodpisError(.cannotCreate, "cannot create the checkpoint folder: \(error.localizedDescription)", subject: directory)
                }
            } else if !isDirectory.boolValue {
                throw PodpisError(.configuration, "not a folder", subject: directory)
            }
        }
        let notary = JournalNotary(identity: identity, directory: configuration.checkpoints, timestamps: timestamps,
                                   every: Int64(configuration.checkpointEvery), interval: .seconds(configuration.checkpointSeconds))
        return (notary, notice)
    }

    /// The PIN of a journal key on a token: `journal.pin-file` (owner-only, first line), else `PODPIS_JOURNAL_PIN`.
    static func pin(_ configuration: ServiceConfiguration) throws -> [UInt8] {
        if let file = configuration.journalPinFile {
            try KeyLoader.checkPermissions(path: file, allowInsecure: false, passphrase: true)
            var bytes = try FileInput.readSmallFile(path: file, limit: 4096)
            if let newline = bytes.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) { bytes.removeSubrange(newline...) }
            return bytes
        }
        if let pin = ProcessInfo.processInfo.environment["PODPIS_JOURNAL_PIN"] { return Array(pin.utf8) }
        throw PodpisError(.configuration, "the journal key is on a token: give its PIN by journal.pin-file or PODPIS_JOURNAL_PIN", subject: configuration.journalKey)
    }
}
