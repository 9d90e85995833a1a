import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

struct PolicyTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: helpString("policy-test.abstract"))
    @Argument(help: help("policy-test.id")) var id: String?
    @OptionGroup var options: CatalogOptions

    func run() async throws {
        let catalog = try options.catalog()
        // The embedded cases are read from a private copy (they name their evidence by relative paths).
        let embeddedCopy = catalog.policiesDirectory == nil ? try EmbeddedCopy(folder: "policies/tests") : nil
        defer { embeddedCopy?.remove() }
        let directory = embeddedCopy?.path ?? (catalog.policiesDirectory! as NSString).appendingPathComponent("tests")
        let (cases, problems) = PolicyTestRunner.cases(in: directory, policy: id)
        // Embedded cases are named as the binary knows them, not by the private copy they were read from.
        func shown(_ text: String) -> String {
            guard let embeddedCopy else { return text }
            return text.replacingOccurrences(of: embeddedCopy.path, with: EmbeddedDefaults.prefix + "policies/tests")
        }
        for problem in problems { Console.out(shown(problem.rendered(options.language))) }
        var failed = problems.count
        for testCase in cases {
            guard let policy = catalog.registry.policy(testCase.policy) else {
                Console.out("✗ \(shown(testCase.file)): " + Catalogue.cli(options.language).text("policy-test.unknown-policy", ["policy": testCase.policy]))
                failed += 1
                continue
            }
            let result = PolicyTestRunner.run(testCase, policy: policy, language: options.language)
            let name = (testCase.file as NSString).lastPathComponent
            if result.passed {
                Console.out("✓ \(testCase.policy)/\(name): \(result.report.indication.rawValue)\(result.report.subIndication.map { "/\($0.rawValue)" } ?? "")")
            } else {
                failed += 1
                Console.out("✗ \(testCase.policy)/\(name): \(result.mismatches.joined(separator: "; "))")
            }
        }
        Console.note(Catalogue.cli(options.language).text("policy-test.summary", ["count": "\(cases.count)", "failed": "\(failed)"]))
        if cases.isEmpty && problems.isEmpty {
            throw PodpisError(.noInput, .noTestCases, subject: embeddedCopy == nil ? directory : EmbeddedDefaults.prefix + "policies/tests")
        }
        if failed > 0 { throw ExitCode(ExitCodes.failed) }
    }
}
