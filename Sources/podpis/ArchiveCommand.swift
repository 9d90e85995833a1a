import ArgumentParser
import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import SigningCore

struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: helpString("archive.abstract"),
        subcommands: [ArchiveRefreshCommand.self])
}

/// Walks an archive folder and renews every signature whose proof would otherwise run out: no archive timestamp yet,
/// the newest one older than `--max-age-days`, or one whose hash or key the policy forbids within
/// `--sunset-margin-days`. Each renewal embeds the validation data of the earlier timestamps and adds a new
/// archive-time-stamp-v3 over everything. Every decision is appended to a JSON Lines log.
struct ArchiveRefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: helpString("archive-refresh.abstract"),
        discussion: helpString("archive-refresh.discussion"))

    @Argument(help: help("archive-refresh.directory"))
    var directory: String

    @Option(name: .customLong("max-age-days"), help: help("archive-refresh.max-age-days"))
    var maxAgeDays: Int = 730

    @Option(name: .customLong("sunset-margin-days"), help: help("archive-refresh.sunset-margin-days"))
    var sunsetMarginDays: Int = 365

    @Option(name: .long, help: help("archive-refresh.policy"))
    var policy: String?

    @OptionGroup var folders: PolicyFolderOptions

    @Option(name: .long, help: help("archive-refresh.log"))
    var log: String?

    @Flag(name: .customLong("dry-run"), help: help("archive-refresh.dry-run"))
    var dryRun = false

    @Option(name: .long, help: help("archive-refresh.at"))
    var at: String?

    @OptionGroup var languageOptions: LanguageOptions

    @OptionGroup(title: helpString("group.timestamp")) var tsa: TSAOptions
    @OptionGroup(title: helpString("group.paths")) var paths: PathOptions

    /// One line of the archive log.
    struct Record: Codable {
        var time: Date
        var file: String
        /// `current`, `due` (dry run), `renewed` or `failed`.
        var action: String
        /// Why it was due: `none` (no archive timestamp), `age` or `sunset`; the text is in `reason`.
        var reasonCode: String?
        var reason: String?
        var newestArchiveTimestamp: Date?
        var newArchiveTimestamp: Date?
        var error: String?
    }

    func run() async throws {
        let catalogue = Catalogue(languageOptions.language)
        let now = try at.map(TimeArgument.parse) ?? Date()
        let policy = try folders.catalog().policy(self.policy)
        guard dryRun || tsa.tsa != nil else { throw PodpisError(.usage, "renewing needs a timestamping authority: give --tsa URL (or --dry-run)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PodpisError(.noInput, "not a folder", subject: directory)
        }
        let logPath = log ?? (directory as NSString).appendingPathComponent("podpis-archive.jsonl")
        let trust = try paths.revocation.trustStore()
        let certificates = try paths.certificates()
        let crls = try paths.revocation.crls()

        var records: [Record] = []
        for file in Self.signatureFiles(in: directory) {
            let document = SignatureLookup.document(for: file)
            do {
                let bytes = try FileInput.readSignature(path: file)
                let evidence = try EvidenceCollector.collect(VerificationRequest(
                    signature: bytes, signatureName: file, document: document.map { .file(path: $0) }, trust: trust,
                    certificates: certificates, crls: crls, validationTime: now))
                guard evidence.format.parsed else { throw PodpisError(.dataFormat, evidence.format.error ?? "not a signature", subject: file) }
                let (code, reason, newest) = due(evidence, policy: policy, now: now, catalogue: catalogue)
                guard let reason else {
                    records.append(Record(time: Date(), file: file, action: "current", newestArchiveTimestamp: newest))
                    continue
                }
                if dryRun {
                    records.append(Record(time: Date(), file: file, action: "due", reasonCode: code, reason: reason, newestArchiveTimestamp: newest))
                    Console.out(catalogue.text("cli.archive-due", ["file": file, "reason": reason]))
                    continue
                }
                let renewed = try raise(bytes, name: file, to: .LTA, tsa: tsa, paths: paths.revocation, certificates: certificates,
                                        document: document.map { .file(path: $0) })
                try FileInput.writeAtomically(renewed, to: file)
                let added = ArchiveTimestamps.archiveTimes(in: renewed).max()
                records.append(Record(time: Date(), file: file, action: "renewed", reasonCode: code, reason: reason, newestArchiveTimestamp: newest,
                                      newArchiveTimestamp: added))
                Console.out(catalogue.text("cli.archive-refreshed", ["file": file, "reason": reason, "time": added.map { Self.moscow($0, catalogue.language) } ?? "?"]))
            } catch let error as PodpisError {
                records.append(Record(time: Date(), file: file, action: "failed", error: error.message))
                Console.out(catalogue.text("cli.archive-failed", ["file": file, "error": error.message]))
            }
        }
        try append(records, to: logPath)
        let count = { (action: String) in "\(records.filter { $0.action == action }.count)" }
        Console.out(catalogue.text("cli.archive-summary", [
            "dir": directory, "checked": "\(records.count)", "refreshed": count("renewed"), "due": count("due"),
            "failed": count("failed"), "log": logPath,
        ]))
        if records.contains(where: { $0.action == "failed" }) { throw ExitCode(ExitCodes.unavailable) }
    }

    /// Why a signature needs a new archive timestamp now (nil: it does not), and its newest archive timestamp.
    func due(_ evidence: Evidence, policy: Policy, now: Date, catalogue: Catalogue) -> (code: String?, text: String?, newest: Date?) {
        let archives = evidence.signers.flatMap(\.timestamps).filter { $0.type == .archive }
        guard let newest = archives.max(by: { $0.genTime < $1.genTime }) else {
            return ("none", catalogue.text("archive.reason.none"), nil)
        }
        if now.timeIntervalSince(newest.genTime) > Double(maxAgeDays) * 86_400 {
            return ("age", catalogue.text("archive.reason.age", ["time": Self.moscow(newest.genTime, catalogue.language), "days": "\(maxAgeDays)"]), newest.genTime)
        }
        if let banned = policy.forbiddenAlgorithm(for: newest, in: evidence, at: now.addingTimeInterval(Double(sunsetMarginDays) * 86_400)) {
            let from = banned.from.map { String(Self.moscow($0, catalogue.language).prefix(10)) } ?? "—"
            return ("sunset", catalogue.text("archive.reason.sunset", ["what": banned.what, "from": from]), newest.genTime)
        }
        return (nil, nil, newest.genTime)
    }

    static func signatureFiles(in directory: String) -> [String] {
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

    /// A time as a person reads it: Moscow time, `2026-11-25 15:00:00 МСК` (`MSK` in English).
    static func moscow(_ date: Date, _ language: Language) -> String {
        MoscowTime.text(date, russian: language == .ru)
    }

    /// Appends the records as JSON Lines (one write, then fsync: the log is the archive's own record).
    func append(_ records: [Record], to path: String) throws {
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
