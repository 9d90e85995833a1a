import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

struct PolicyShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: helpString("policy-show.abstract"))
    @Argument var id: String
    @OptionGroup var options: CatalogOptions

    func run() async throws {
        let policy = try options.catalog().policy(id)
        if let source = policy.source, source.hasPrefix(EmbeddedDefaults.prefix),
           let text = EmbeddedDefaults.text(String(source.dropFirst(EmbeddedDefaults.prefix.count))) {
            Console.out(text)
        } else if let source = policy.source, source != "built-in" {
            Console.out(String(decoding: try FileInput.readSmallFile(path: source, limit: 4 << 20), as: UTF8.self))
        } else {
            Console.out(BuiltinPolicies.defaultYAML)
        }
    }
}
