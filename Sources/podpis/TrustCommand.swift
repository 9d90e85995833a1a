import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

struct TrustCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trust", abstract: helpString("trust.abstract"), subcommands: [TrustImportRUCommand.self])
}
