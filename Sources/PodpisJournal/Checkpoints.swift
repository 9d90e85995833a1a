import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import SigningCore

/// What a checkpoint or a receipt states: the chain of `node` held, at `seq`, the entry whose hash is `hash`.
/// Signed as canonical JSON (keys sorted, no spaces): `{"hash":"…","node":"0","seq":12,"time":"…"}`.
///
/// `node` names a chain: each `serve` node of a shared journal keeps its own (``JournalEntry/node``); a single-node
/// journal has one, `"0"`. A checkpoint written while the journal has other chains also states their heads
/// (`heads`, in order of node, never the writer's own): every checkpoint then anchors the whole journal, so a
/// chain cut short or deleted after any checkpoint that listed it is found, whichever node wrote it. A receipt
/// never has `heads`; neither does a checkpoint of a single-chain journal, which reads exactly as before nodes.
public struct JournalStatement: Codable, Sendable, Equatable {
    public var node: String
    public var seq: Int64
    public var hash: String
    /// RFC 3339 UTC: the entry's time in a receipt, the moment of signing in a checkpoint.
    public var time: String
    /// The other chains' heads when the checkpoint was signed (nil: none, or a receipt).
    public var heads: [Head]?

    /// Where another node's chain ended.
    public struct Head: Codable, Sendable, Equatable {
        public var node: String
        public var seq: Int64
        public var hash: String
        public init(node: String, seq: Int64, hash: String) {
            self.node = node
            self.seq = seq
            self.hash = hash
        }
    }

    public init(node: String, seq: Int64, hash: String, time: String, heads: [Head]? = nil) {
        self.node = node
        self.seq = seq
        self.hash = hash
        self.time = time
        self.heads = heads
    }

    /// Every chain position this statement attests: its own, then `heads`.
    public var attested: [Head] { [Head(node: node, seq: seq, hash: hash)] + (heads ?? []) }

    public var canonicalJSON: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// Reads a statement; anything but exactly these four well-formed fields (and, in a checkpoint, `heads` naming
    /// other nodes once each) is refused.
    public static func parse(_ bytes: [UInt8]) throws -> JournalStatement {
        func valid(_ node: String, _ seq: Int64, _ hash: String) -> Bool {
            seq > 0 && hash.count == 64 && hash.allSatisfy(\.isHexDigit) && JournalNodes.isValid(node)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              Set(object.keys) == ["node", "seq", "hash", "time"] || Set(object.keys) == ["node", "seq", "hash", "time", "heads"],
              let statement = try? JSONDecoder().decode(JournalStatement.self, from: Data(bytes)),
              valid(statement.node, statement.seq, statement.hash)
        else { throw PodpisError(.dataFormat, "not a journal statement ({node, seq, hash, time} expected)") }
        if let heads = statement.heads {
            let rows = object["heads"] as? [[String: Any]] ?? []
            guard !heads.isEmpty, rows.count == heads.count, rows.allSatisfy({ Set($0.keys) == ["node", "seq", "hash"] }),
                  heads.allSatisfy({ valid($0.node, $0.seq, $0.hash) }),
                  Set(heads.map(\.node) + [statement.node]).count == heads.count + 1
            else { throw PodpisError(.dataFormat, "not a journal statement (heads: {node, seq, hash} of other nodes, each once)") }
        }
        return statement
    }
}

/// Signs the journal's receipts and checkpoints with the journal key, and writes checkpoints (every `every`
/// entries, every `interval`, and at shutdown) to the journal and to an append-only folder outside the database.
public final class JournalNotary: Sendable {
    public let identity: SigningIdentity
    /// `--checkpoints DIR`: files `checkpoint-<node>-<seq, 20 digits>.p7m`, created exclusively, never rewritten.
    public let directory: String?
    /// Checkpoints are timestamped too when a TSA is given (`serve --tsa URL`).
    public let timestamps: TimestampClient?
    public let every: Int64
    public let interval: Duration
    let logger = Logger(label: "podpis.journal")

    struct State {
        var lastSeq: Int64 = 0
        var writing = false
    }

    private let state = NIOLockedValueBox(State())

    public init(identity: SigningIdentity, directory: String? = nil, timestamps: TimestampClient? = nil,
                every: Int64 = 1000, interval: Duration = .seconds(60)) {
        self.identity = identity
        self.directory = directory
        self.timestamps = timestamps
        self.every = max(1, every)
        self.interval = interval
    }

    public static func fileName(node: String, seq: Int64) -> String {
        "checkpoint-\(node)-" + String(repeating: "0", count: max(0, 20 - String(seq).count)) + String(seq) + ".p7m"
    }

    /// The receipt of an entry: a SignedData over the entry's statement (its node, its own time). Not
    /// timestamped: it is made for every answer.
    public func receipt(for entry: JournalEntry) throws -> [UInt8] {
        try SignedPayload.sign(JournalStatement(node: entry.node, seq: entry.seq, hash: entry.hash, time: entry.time).canonicalJSON,
                               identity: identity)
    }

    /// Called after each append: a checkpoint is written in the background once `every` entries have passed.
    public func appended(_ entry: JournalEntry, journal: any AuditJournal) {
        let due = state.withLockedValue { state -> Bool in
            guard !state.writing, entry.seq - state.lastSeq >= every else { return false }
            state.writing = true
            return true
        }
        guard due else { return }
        Task {
            defer { state.withLockedValue { $0.writing = false } }
            do {
                _ = try await writeCheckpoint(journal: journal)
            } catch {
                logger.error("cannot write a journal checkpoint", metadata: ["reason": "\(error)"])
            }
        }
    }

    /// Writes checkpoints every `interval` while there are new entries, until cancelled; then one last time.
    public func run(journal: any AuditJournal) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            do {
                _ = try await writeCheckpoint(journal: journal)
            } catch {
                logger.error("cannot write a journal checkpoint", metadata: ["reason": "\(error)"])
            }
        }
    }

    /// Signs the head of the journal's own chain (if it moved since the last checkpoint), with every other node's
    /// head beside it, and keeps the checkpoint in the journal and the folder. Returns it, or nil when there was
    /// nothing new. Any node's checkpoint anchors every chain: one query reads all heads (in one snapshot).
    @discardableResult
    public func writeCheckpoint(journal: any AuditJournal) async throws -> StoredCheckpoint? {
        let heads = try await journal.heads()
        guard let head = heads.first(where: { $0.node == journal.node }) else { return nil }
        guard head.seq > state.withLockedValue({ $0.lastSeq }) else { return nil }
        let others = heads.filter { $0.node != journal.node }.map { JournalStatement.Head(node: $0.node, seq: $0.seq, hash: $0.hash) }
        let statement = JournalStatement(node: head.node, seq: head.seq, hash: head.hash,
                                         time: Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
                                         heads: others.isEmpty ? nil : others)
        let identity = self.identity
        let timestamps = self.timestamps
        let directory = self.directory
        // Signing (and the TSA's answer, over libcurl) blocks: not on the cooperative pool.
        let signed = try await NIOThreadPool.singleton.runIfActive {
            let signed = try SignedPayload.sign(statement.canonicalJSON, identity: identity, timestamps: timestamps)
            if let directory {
                try Self.writeExclusively(signed, directory: directory, name: Self.fileName(node: statement.node, seq: statement.seq))
            }
            return signed
        }
        let checkpoint = StoredCheckpoint(node: statement.node, seq: statement.seq, hash: statement.hash, time: statement.time, signedData: signed)
        try await journal.saveCheckpoint(checkpoint)
        state.withLockedValue { $0.lastSeq = max($0.lastSeq, statement.seq) }
        return checkpoint
    }

    /// Creates `directory/name` holding `bytes`, read-only, durable, and only if no such file exists: written to a
    /// temporary, then hard-linked to its name (link(2) never replaces), so a reader never sees half a file and an
    /// existing checkpoint is never rewritten (another node may have written the same one: that is fine).
    static func writeExclusively(_ bytes: [UInt8], directory: String, name: String) throws {
        let target = (directory as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: target) { return }
        var template = Array(((directory as NSString).appendingPathComponent(".\(name).podpis-XXXXXX")).utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw PodpisError(.cannotCreate, "cannot create a checkpoint: \(String(cString: strerror(errno)))", subject: directory)
        }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(temporary) }
        if let failure = FileInput.writeDurably(bytes, to: fd, mode: 0o444) {
            throw PodpisError(.ioError, "cannot write a checkpoint: \(String(cString: strerror(failure)))", subject: target)
        }
        if link(temporary, target) != 0 {
            if errno == EEXIST { return }
            throw PodpisError(.cannotCreate, "cannot create a checkpoint: \(String(cString: strerror(errno)))", subject: target)
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}

extension JournalNotary {
    /// The journal key and certificate: a key file (not encrypted; mode 600) or a token key `pkcs11:…` with its
    /// certificate from `certificate`, from a PKCS#12 file or from the token.
    public static func loadIdentity(key: String, certificate: String?, pin: () throws -> [UInt8]) throws -> SigningIdentity {
        let loaded = try KeyLoader.load(path: key) {
            guard TokenKeyURI.isTokenURI(key) else {
                throw PodpisError(.configuration, "the journal key must not be encrypted in serve (use a protected file or a token)", subject: key)
            }
            return try pin()
        }
        var certificateValue = loaded.certificate
        if let certificate {
            certificateValue = try X509Certificate.parseAll(FileInput.readSmallFile(path: certificate, limit: 1 << 20), subject: certificate).first
        }
        guard let certificateValue else {
            throw PodpisError(.configuration, "the journal key needs its certificate: give --journal-cert (or journal.cert)", subject: key)
        }
        let identity = SigningIdentity(key: loaded.key, certificate: certificateValue, chain: loaded.chain)
        guard identity.key.matches(certificateValue) else {
            throw PodpisError(.configuration, "the journal certificate does not belong to the journal key", subject: certificate ?? key)
        }
        return identity
    }

    /// The key and self-signed certificate a SQLite journal keeps beside itself when no journal key is configured:
    /// `DB.journal-key.pem` (EC P-256, mode 600) and `DB.journal-cert.pem`. Made on first use, reused afterwards.
    public static func localIdentity(besideDatabase path: String) throws -> (identity: SigningIdentity, key: String, certificate: String, created: Bool) {
        let keyPath = path + ".journal-key.pem"
        let certificatePath = path + ".journal-cert.pem"
        if FileManager.default.fileExists(atPath: keyPath), FileManager.default.fileExists(atPath: certificatePath) {
            let identity = try loadIdentity(key: keyPath, certificate: certificatePath) { [] }
            return (identity, keyPath, certificatePath, false)
        }
        let key = try PrivateKey.generate(.ec(curve: "P-256"))
        let now = Date()
        let name = ProcessInfo.processInfo.hostName.isEmpty ? "podpis" : ProcessInfo.processInfo.hostName
        let certificate = try PKIBuilder.issue(
            CertificateTemplate(subject: [("CN", "podpis audit journal (\(name))")], notBefore: now.addingTimeInterval(-3600),
                                notAfter: now.addingTimeInterval(30 * 365 * 86_400), keyUsage: ["digitalSignature", "nonRepudiation"]),
            subjectKey: key, issuer: nil)
        try FileInput.writeAtomically(try key.pem(), to: keyPath, mode: 0o600)
        try FileInput.writeAtomically(try CertificateFiles.pem([certificate]), to: certificatePath, mode: 0o644)
        return (SigningIdentity(key: key, certificate: certificate), keyPath, certificatePath, true)
    }
}
