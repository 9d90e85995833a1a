import EvidenceModel
import Foundation
import PolicyEngine
import SigningCore

/// Keeps an archive of signatures provable: walks a folder and renews every signature whose proof would otherwise run
/// out — no archive timestamp yet, the newest one older than ``maxAgeDays``, or one whose hash or key the policy
/// forbids within ``sunsetMarginDays``. Each renewal raises the signature to LTA with the ``Extender``: it embeds the
/// validation data of the earlier timestamps and adds a new archive-time-stamp-v3 over everything. Every decision is
/// a ``Record``; ``appendLog(_:to:)`` keeps them as the archive's own JSON Lines log (`archive refresh`).
public struct ArchiveRenewal {
    /// What was done with one signature file.
    public enum Action: String, Codable, Sendable {
        /// Its newest archive timestamp is recent enough and its algorithms stay allowed.
        case current
        /// It needs renewing (a dry run only says so).
        case due
        case renewed
        case failed
    }

    /// Why a signature is due.
    public enum Reason: String, Codable, Sendable {
        /// No archive timestamp yet (`none` in the log).
        case noArchiveTimestamp = "none"
        /// The newest archive timestamp is older than the maximum age.
        case age
        /// The policy forbids the newest archive timestamp's hash or key within the sunset margin.
        case sunset
    }

    /// One line of the archive log.
    public struct Record: Codable, Sendable {
        public var time: Date
        public var file: String
        public var action: Action
        public var reasonCode: Reason?
        /// ``reasonCode`` as a sentence in the renewal's language, times in Moscow time.
        public var reason: String?
        public var newestArchiveTimestamp: Date?
        public var newArchiveTimestamp: Date?
        public var error: String?

        public init(time: Date = Date(), file: String, action: Action, reasonCode: Reason? = nil, reason: String? = nil,
                    newestArchiveTimestamp: Date? = nil, newArchiveTimestamp: Date? = nil, error: String? = nil) {
            self.time = time
            self.file = file
            self.action = action
            self.reasonCode = reasonCode
            self.reason = reason
            self.newestArchiveTimestamp = newestArchiveTimestamp
            self.newArchiveTimestamp = newArchiveTimestamp
            self.error = error
        }
    }

    /// The policy whose algorithm sunsets count.
    public var policy: Policy
    /// Trust anchors, extra certificates and CRLs for reading each signature's evidence.
    public var settings: VerificationSettings
    /// What raises a due signature to LTA; nil is a dry run (due signatures are only reported).
    public var extender: Extender?
    public var maxAgeDays: Int
    public var sunsetMarginDays: Int
    /// "Now": the time the ages and sunsets are judged at.
    public var now: Date
    /// The language of the reasons.
    public var language: Language

    public init(policy: Policy, settings: VerificationSettings, extender: Extender?, maxAgeDays: Int = 730,
                sunsetMarginDays: Int = 365, now: Date = Date(), language: Language = .ru) {
        self.policy = policy
        self.settings = settings
        self.extender = extender
        self.maxAgeDays = maxAgeDays
        self.sunsetMarginDays = sunsetMarginDays
        self.now = now
        self.language = language
    }

    /// Checks, and unless this is a dry run renews, every signature file in `directory` (sorted, subfolders
    /// included); `onRecord` sees each decision as it is made.
    public func run(directory: String, onRecord: (Record) -> Void = { _ in }) throws -> [Record] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PodpisError(.noInput, "not a folder", subject: directory)
        }
        return Self.signatureFiles(in: directory).map { file in
            let record = renew(file: file)
            onRecord(record)
            return record
        }
    }

    /// The decision for one signature file (a detached one's document is found beside it).
    public func renew(file: String) -> Record {
        let document = SignatureLookup.document(for: file).map { DocumentInput.file(path: $0) }
        do {
            let bytes = try FileInput.readSignature(path: file)
            var settings = self.settings
            settings.validationTime = now
            let evidence = try EvidenceCollector.collect(VerificationRequest(
                signature: bytes, signatureName: file, document: document, settings: settings))
            guard evidence.format.parsed else { throw PodpisError(.dataFormat, evidence.format.error ?? "not a signature", subject: file) }
            let (code, reason, newest) = due(evidence)
            guard let code else { return Record(file: file, action: .current, newestArchiveTimestamp: newest) }
            guard let extender else {
                return Record(file: file, action: .due, reasonCode: code, reason: reason, newestArchiveTimestamp: newest)
            }
            let renewed = try extender.raise(bytes, name: file, to: .LTA, document: document)
            try FileInput.writeAtomically(renewed, to: file)
            return Record(file: file, action: .renewed, reasonCode: code, reason: reason, newestArchiveTimestamp: newest,
                          newArchiveTimestamp: ArchiveTimestamps.archiveTimes(in: renewed).max())
        } catch let error as PodpisError {
            return Record(file: file, action: .failed, error: error.message)
        } catch {
            return Record(file: file, action: .failed, error: ErrorText.describe(error))
        }
    }

    /// Why a signature needs a new archive timestamp now (nil: it does not), and its newest archive timestamp.
    public func due(_ evidence: Evidence) -> (code: Reason?, text: String?, newest: Date?) {
        let catalogue = Catalogue(language)
        let archives = evidence.signers.flatMap(\.timestamps).filter { $0.type == .archive }
        guard let newest = archives.max(by: { $0.genTime < $1.genTime }) else {
            return (.noArchiveTimestamp, catalogue.text("archive.reason.none"), nil)
        }
        if now.timeIntervalSince(newest.genTime) > Double(maxAgeDays) * 86_400 {
            return (.age, catalogue.text("archive.reason.age", ["time": moscow(newest.genTime), "days": "\(maxAgeDays)"]), newest.genTime)
        }
        if let banned = policy.forbiddenAlgorithm(for: newest, in: evidence, at: now.addingTimeInterval(Double(sunsetMarginDays) * 86_400)) {
            let from = banned.from.map { MoscowTime.isoDay($0) } ?? "—"
            return (.sunset, catalogue.text("archive.reason.sunset", ["what": banned.what, "from": from]), newest.genTime)
        }
        return (nil, nil, newest.genTime)
    }

    /// A time as a person reads it: Moscow time, `2026-11-25 15:00:00 МСК` (`MSK` in English).
    public func moscow(_ date: Date) -> String {
        MoscowTime.text(date, russian: language == .ru)
    }

    /// The signature files under `directory`: detached (`.sig`, `.p7s`, `.sgn`) and attached (`.p7m`), sorted.
    public static func signatureFiles(in directory: String) -> [String] {
        let suffixes = SignatureLookup.suffixes + [".p7m"]
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            guard suffixes.contains(where: { relative.lowercased().hasSuffix($0) }) else { continue }
            let path = (directory as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(path) }
        }
        return files.sorted()
    }

    /// Appends the records as JSON Lines (one write, then fsync: the log is the archive's own record).
    public static func appendLog(_ records: [Record], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes: [UInt8] = []
        for record in records {
            bytes += try encoder.encode(record)
            bytes.append(0x0A)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PodpisError(.cannotCreate, "cannot open the archive log: \(String(cString: strerror(errno)))", subject: path) }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else { throw PodpisError(.ioError, "cannot write the archive log", subject: path) }
    }
}
