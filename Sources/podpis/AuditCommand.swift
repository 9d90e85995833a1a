import ArgumentParser
import Foundation
import Logging
import PodpisJournal
import PodpisServer
import PolicyEngine
import SigningCore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: helpString("audit.abstract"), subcommands: [AuditVerifyCommand.self, AuditExportCommand.self])
}
