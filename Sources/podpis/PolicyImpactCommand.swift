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
        var items = try evidence.map(PolicyImpactStudy.evidence(inFolder:)) ?? []
        let text = Catalogue.cli(options.language)
        let study: PolicyImpactStudy
        do {
            study = try PolicyImpactStudy(editedFile: file, against: against, language: options.language, catalog: options.catalog(extraFiles:))
        } catch let missing as PolicyImpactStudy.NoCommittedVersion {
            throw PodpisError(.noInput, text.text("impact.no-git", ["file": missing.file, "revision": missing.revision, "reason": missing.reason]))
        }
        switch study.baseline {
        case .file(let against): Console.note(text.text("impact.against-file", ["file": against]))
        case .revision(let revision): Console.note(text.text("impact.against-head", ["file": file, "revision": revision]))
        case .catalog(let id, let source): Console.note(text.text("impact.against-catalog", ["policy": id, "file": source ?? "built-in"]))
        }
        if evidence == nil, let journal {
            let store = try await AuditJournals.open(journal)
            try await store.export(since: nil) { entry in
                if let value = try? JSONDecoder.podpis().decode(Evidence.self, from: Data(entry.evidence.utf8)) {
                    items.append(("entry \(entry.seq) (\(entry.time), request \(entry.requestID))", value))
                }
            }
            try await store.close()
        } else if evidence == nil {
            throw PodpisError(.usage, "give --evidence DIR or --journal DB")
        }
        let editedPolicy = study.edited
        let (changes, unchanged) = try study.compare(items, documentType: type, validationTime: try at.map(TimeArgument.parse),
                                                     language: options.language)
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
