import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

struct PolicyImpactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "impact",
        abstract: helpString("policy-impact.abstract"))
    @Argument(help: help("policy-impact.file")) var file: String
    @Option(name: .long, help: help("policy-impact.evidence"))
    var evidence: String?
    @Option(name: .long, help: help("policy-impact.journal"))
    var journal: String?
    @Option(name: .long, help: help("policy-impact.at"))
    var at: String?
    @Option(name: .long, help: help("policy-impact.type"))
    var type: String?
    @Option(name: .long, help: help("policy-impact.against"))
    var against: String?
    @OptionGroup var options: CatalogOptions

    func run() async throws {
        _ = try FileInput.regularFileSize(path: file)
        // Inputs first: nothing is said about the comparison before they are known to be there.
        if let evidence {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: evidence, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw PodpisError(.noInput, .noSuchFolder, subject: evidence)
            }
        }
        let edited = try options.catalog(extraFiles: [file])
        if let error = edited.registry.errors.first(where: { $0.file == file }) {
            throw PodpisError(.dataFormat, error.rendered(options.language))
        }
        let editedPolicy = try edited.policy(file)
        let text = Catalogue.cli(options.language)
        // What the edit is weighed against: a file, a git revision, the committed version, or the catalog's policy.
        let current: PolicyCatalog
        let currentPolicy: Policy
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        if let against, FileManager.default.fileExists(atPath: against) {
            current = try options.catalog(extraFiles: [against])
            currentPolicy = try current.policy(against)
            Console.note(text.text("impact.against-file", ["file": against]))
        } else if let revision = against ?? (GitFile.isTracked(file) ? "HEAD" : nil) {
            let committed: String
            do {
                committed = try GitFile.show(file, revision: revision)
            } catch let error as PodpisError {
                throw PodpisError(.noInput, text.text("impact.no-git", ["file": file, "revision": revision, "reason": error.message]))
            }
            let copy = scratch.path((file as NSString).lastPathComponent)
            try FileInput.writeAtomically(Array(committed.utf8), to: copy)
            current = try options.catalog(extraFiles: [copy])
            if let error = current.registry.errors.first(where: { $0.file == copy }) {
                throw PodpisError(.dataFormat, error.rendered(options.language))
            }
            currentPolicy = try current.policy(copy)
            Console.note(text.text("impact.against-head", ["file": file, "revision": revision]))
        } else {
            current = try options.catalog()
            currentPolicy = current.registry.policy(editedPolicy.id) ?? BuiltinPolicies.default
            Console.note(text.text("impact.against-catalog", ["policy": currentPolicy.id, "file": currentPolicy.source ?? "built-in"]))
        }
        var items: [(name: String, evidence: Evidence)] = []
        if let evidence {
            let names = try FileManager.default.contentsOfDirectory(atPath: evidence).filter { $0.hasSuffix(".json") }.sorted()
            for name in names {
                let path = (evidence as NSString).appendingPathComponent(name)
                if let value = try? JSONDecoder.podpis().decode(Evidence.self, from: Data(FileInput.readSmallFile(path: path, limit: 64 << 20))) {
                    items.append((name, value))
                }
            }
        } else if let journal {
            let store = try await AuditJournals.open(journal)
            try await store.export(since: nil) { entry in
                if let value = try? JSONDecoder.podpis().decode(Evidence.self, from: Data(entry.evidence.utf8)) {
                    items.append(("entry \(entry.seq) (\(entry.time), request \(entry.requestID))", value))
                }
            }
            try await store.close()
        } else {
            throw PodpisError(.usage, "give --evidence DIR or --journal DB")
        }
        let (lists, _) = try current.trustLists(for: currentPolicy)
        let judgement = JudgementOptions(documentType: type, language: options.language, validationTime: try at.map(TimeArgument.parse),
                                         trustLists: lists)
        let (changes, unchanged) = PolicyImpact.compare(items, current: currentPolicy, edited: editedPolicy, options: judgement)
        for change in changes {
            func verdict(_ report: Report) -> String {
                report.indication.rawValue + (report.subIndication.map { "/\($0.rawValue)" } ?? "") + " (\(report.signatures.first?.legal.kind ?? "none"))"
            }
            // The rule in words, as the reports name it (its id beside, for the policy file).
            let rule = change.rule.map { id -> String in
                let checks = (change.after.signatures + change.before.signatures).flatMap(\.checks) + change.after.documentChecks + change.before.documentChecks
                let name = checks.first { $0.id == id }?.name ?? id
                return text.text("impact.responsible", ["name": name, "id": id])
            }
            Console.out("\(change.name): \(verdict(change.before)) → \(verdict(change.after))" + (rule.map { "  [\($0)]" } ?? ""))
        }
        Console.note(text.text("impact.summary", ["changed": "\(changes.count)", "unchanged": "\(unchanged)", "policy": editedPolicy.id]))
    }
}
