import ArgumentParser
import Foundation
import PolicyEngine
import SigningCore

struct PKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: helpString("pki.abstract"),
        subcommands: [PKIDemoCommand.self, PKIServeCommand.self, PKIRevokeCommand.self])
}
