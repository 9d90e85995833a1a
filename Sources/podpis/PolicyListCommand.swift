import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

struct PolicyListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: helpString("policy-list.abstract"))
    @OptionGroup var options: CatalogOptions

    func run() async throws {
        let catalog = try options.catalog()
        Console.note(Catalogue.cli(options.language).text("cli.policies-from", ["source": DefaultsText.describe(catalog.policiesSource, options.language)]))
        for policy in catalog.registry.policies.values.sorted(by: { $0.id < $1.id }) {
            let version = policy.version(at: Date())
            Console.out("\(policy.id)\t\(version.version)\t\(policy.title.text(options.language))\t\(policy.source ?? "")")
        }
        if let first = catalog.registry.errors.first {
            Console.error(first.rendered(options.language))
        }
    }
}
