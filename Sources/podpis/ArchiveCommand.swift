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
