import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

/// Options naming where policies and trust lists are.
struct CatalogOptions: ParsableArguments {
    @OptionGroup var folders: PolicyFolderOptions
    @OptionGroup var languageOptions: LanguageOptions

    var language: Language { languageOptions.language }
    func catalog(extraFiles: [String] = []) throws -> PolicyCatalog { try folders.catalog(extraFiles: extraFiles) }
}

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: helpString("policy.abstract"),
        subcommands: [PolicyListCommand.self, PolicyShowCommand.self, PolicyExplainCommand.self, PolicyLintCommand.self,
                      PolicyTestCommand.self, PolicyImpactCommand.self])
}
