import ArgumentParser
import EvidenceModel
import Foundation
import PodpisContainer
import PolicyEngine
import SigningCore

/// `podpis container list|extract`: look into an ASiC container and take its files out.
struct ContainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container",
        abstract: helpString("container.abstract"),
        subcommands: [ContainerListCommand.self, ContainerExtractCommand.self])
}
