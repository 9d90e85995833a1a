import ArgumentParser
import Foundation
import PodpisReport
import PodpisService
import PolicyEngine
import SigningCore

/// `podpis version [--verbose]`: the version, and with --verbose which policies, trust-list folders and report
/// templates are in use and where each came from (embedded in the binary, or a folder that replaces them).
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: helpString("version.abstract"))

    @Flag(name: .long, help: help("version.verbose")) var verbose = false
    @OptionGroup var options: CatalogOptions

    func run() async throws {
        Console.out("podpis \(CryptoLibrary.podpisVersion)")
        guard verbose else { return }
        let language = options.language
        let text = Catalogue.cli(language)
        let catalog = try options.catalog()
        var lines: [String] = []
        lines.append(text.text("version.openssl", [
            "version": CryptoLibrary.openSSLVersion,
            "gost": text.text(CryptoLibrary.gostAvailable ? "version.gost-yes" : "version.gost-no"),
        ]))
        let now = Date()
        lines.append(text.text("version.policies", ["source": DefaultsText.describe(catalog.policiesSource, language),
                                                    "count": "\(catalog.registry.policies.count)"]))
        for policy in catalog.registry.policies.values.sorted(by: { $0.id < $1.id }) {
            lines.append("  \(policy.id) \(policy.version(at: now).version)\t\(policy.source ?? "")")
        }
        for error in catalog.registry.errors { lines.append("  ✗ " + error.rendered(language)) }
        lines.append(text.text("version.trust-lists", ["source": DefaultsText.describe(catalog.certsSource, language)]))
        var lists: [String: String] = [:]
        for policy in catalog.registry.policies.values {
            for (name, folder) in policy.trustLists { lists[name] = folder }
        }
        for (name, folder) in lists.sorted(by: { $0.key < $1.key }) {
            let (list, anchors) = try TrustListStore.load(name: name, folder: folder)
            lines.append("  " + text.text("version.trust-list", [
                "name": name, "folder": folder, "anchors": "\(anchors.count)", "authorities": "\(list.authorities.count)",
            ]))
        }
        let templates: String
        do {
            let found = try ReportTemplates.shipped()
            templates = found.isEmbedded ? text.text("defaults.embedded") : found.directory
        } catch {
            templates = "✗ \(error)"
        }
        lines.append(text.text("version.templates", ["source": templates]))
        Console.out(lines.joined(separator: "\n"))
    }
}
