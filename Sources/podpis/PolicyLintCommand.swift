import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

struct PolicyLintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint", abstract: helpString("policy-lint.abstract"))
    @Argument(help: help("policy-lint.files")) var files: [String] = []
    @OptionGroup var options: CatalogOptions

    func run() async throws {
        let catalog = try options.catalog()
        let diagnostics: [PolicyDiagnostic]
        let count: Int
        if files.isEmpty, catalog.policiesDirectory == nil {
            // The embedded policies, as they were read.
            diagnostics = catalog.registry.diagnostics
            count = EmbeddedDefaults.files(in: "policies").filter { $0.name.hasSuffix(".yaml") }.count
        } else {
            let targets = files.isEmpty
                ? try FileManager.default.contentsOfDirectory(atPath: catalog.policiesDirectory!)
                    .filter { $0.hasSuffix(".yaml") }.sorted().map { (catalog.policiesDirectory! as NSString).appendingPathComponent($0) }
                : files
            for file in targets { _ = try FileInput.regularFileSize(path: file) }
            diagnostics = PolicyRegistry.lint(files: targets, directory: catalog.policiesDirectory,
                                              certsDirectory: catalog.certsDirectory ?? PolicyCatalog.embeddedCerts)
            count = targets.count
        }
        for diagnostic in diagnostics.sorted(by: { ($0.file ?? "", $0.mark.line, $0.mark.column) < ($1.file ?? "", $1.mark.line, $1.mark.column) }) {
            Console.out(diagnostic.rendered(options.language))
        }
        let errors = diagnostics.filter { !$0.isWarning }.count
        Console.note(Catalogue.cli(options.language).text("lint.summary", ["files": "\(count)", "errors": "\(errors)"]))
        if errors > 0 { throw ExitCode(ExitCodes.dataFormat) }
    }
}
