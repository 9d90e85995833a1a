import ArgumentParser
import Foundation
import Logging
import PodpisJournal
import PodpisServer
import PolicyEngine
import SigningCore

struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: helpString("audit-export.abstract"))
    @Option(name: .long, help: help("audit.database")) var database: String
    @Option(name: .long, help: help("audit-export.since")) var since: String?
    @Option(name: .long, help: help("audit-export.format")) var format: String = "jsonl"

    func run() async throws {
        guard format == "jsonl" else { throw PodpisError(.usage, "only --format jsonl is supported") }
        let sinceDate = try since.map(TimeArgument.parse)
        let journal = try await AuditJournals.open(database)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try await journal.export(since: sinceDate) { entry in
            FileHandle.standardOutput.write(try encoder.encode(entry) + Data([0x0A]))
        }
        try await journal.close()
    }
}
