import ArgumentParser
import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import SigningCore

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

    func run() async throws {
        let catalogue = Catalogue.cli(languageOptions.language)
        let policy = try folders.catalog().policy(self.policy)
        guard dryRun || tsa.tsa != nil else { throw PodpisError(.usage, "renewing needs a timestamping authority: give --tsa URL (or --dry-run)") }
        let certificates = try paths.certificates()
        let renewal = ArchiveRenewal(
            policy: policy,
            settings: VerificationSettings(trust: try paths.revocation.trustStore(), certificates: certificates, crls: try paths.revocation.crls()),
            extender: dryRun ? nil : try extender(tsa: tsa, paths: paths.revocation, certificates: certificates),
            maxAgeDays: maxAgeDays, sunsetMarginDays: sunsetMarginDays, now: try at.map(TimeArgument.parse) ?? Date(),
            language: catalogue.language)
        let records = try renewal.run(directory: directory) { record in
            switch record.action {
            case .current: break
            case .due: Console.out(catalogue.text("cli.archive-due", ["file": record.file, "reason": record.reason ?? ""]))
            case .renewed:
                Console.out(catalogue.text("cli.archive-refreshed", [
                    "file": record.file, "reason": record.reason ?? "", "time": record.newArchiveTimestamp.map(renewal.moscow) ?? "?",
                ]))
            case .failed: Console.out(catalogue.text("cli.archive-failed", ["file": record.file, "error": record.error ?? ""]))
            }
        }
        let logPath = log ?? (directory as NSString).appendingPathComponent("podpis-archive.jsonl")
        try ArchiveRenewal.appendLog(records, to: logPath)
        let count = { (action: ArchiveRenewal.Action) in "\(records.filter { $0.action == action }.count)" }
        Console.out(catalogue.text("cli.archive-summary", [
            "dir": directory, "checked": "\(records.count)", "refreshed": count(.renewed), "due": count(.due),
            "failed": count(.failed), "log": logPath,
        ]))
        if records.contains(where: { $0.action == .failed }) { throw ExitCode(ExitCodes.unavailable) }
    }
}
