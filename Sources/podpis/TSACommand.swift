import ArgumentParser
import EvidenceModel
import Foundation
import PodpisServer
import PolicyEngine
import SigningCore

struct TSACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsa", abstract: helpString("tsa.abstract"), subcommands: [TSAServeCommand.self])
}
