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

struct PolicyExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: helpString("policy-explain.abstract"))
    @Argument(help: help("policy-explain.id")) var id: String?
    @Option(name: .long, help: help("policy-explain.at"))
    var at: String?
    @Flag(name: .long, help: help("policy-explain.checks"))
    var checks = false
    @OptionGroup var options: CatalogOptions

    func validate() throws {
        if id == nil && !checks { throw ValidationError(helpString("usage.explain-what")) }
    }

    func run() async throws {
        let language = options.language
        let text = Catalogue.cli(language)
        if checks {
            Console.out(Self.vocabulary(language))
            if id == nil { return }
            Console.out("")
        }
        guard let id else { return }
        let policy = try options.catalog().policy(id)
        var lines = ["\(policy.title.text(language)) [\(policy.id)]"]
        if let description = policy.description { lines.append(description.text(language)) }
        if let base = policy.extends { lines.append(text.text("explain.extends", ["base": base])) }
        let versions = try at.map { [policy.version(at: try TimeArgument.parse($0))] } ?? policy.versions
        for version in versions {
            let from = version.effective.from.map { String($0.formatted(.iso8601).prefix(10)) } ?? "—"
            let until = version.effective.until.map { String($0.formatted(.iso8601).prefix(10)) } ?? "…"
            lines.append("")
            lines.append(text.text("explain.version", ["version": version.version, "from": from, "until": until]))
            for (index, rule) in version.rules.enumerated() {
                let level = text.text(.ruleLevel(rule.level))
                let check = type(of: rule.configuration)
                let what = rule.explanation?.text(language) ?? check.summary.text(language)
                lines.append("  \(index + 1). «\(rule.name?.text(language) ?? check.title.text(language))»: \(what)")
                let sub = rule.subIndication ?? check.subIndication
                lines.append("     \(text.text("explain.rule", ["id": rule.id, "check": rule.check, "level": level, "sub": sub.rawValue]))")
                lines.append("     \(text.text("explain.block", ["block": check.buildingBlock.title.text(language), "sub": check.subIndication.rawValue]))")
                if !check.parameters.isEmpty { lines.append("     \(text.text("explain.params", ["params": rule.parameterSummary]))") }
                if let basis = rule.basis { lines.append("     \(text.text("explain.basis", ["basis": basis.text(language)]))") }
            }
            if !version.documentTypes.isEmpty {
                lines.append(text.text("explain.types"))
                for type in version.documentTypes {
                    let original = type.electronicOriginalFrom.map { String($0.formatted(.iso8601).prefix(10)) } ?? "—"
                    lines.append("  • \(type.name.text(language)) [\(type.id)]: " + text.text("explain.type", [
                        "kind": text.text(.signatureKind(type.kind)), "level": type.level?.rawValue ?? "B", "count": "\(type.minSignatures)",
                        "roles": type.requiredRoles.isEmpty ? "—" : type.requiredRoles.joined(separator: ", "), "original": original]))
                }
            }
            let legal = version.legal
            lines.append(text.text("explain.legal", ["kind": text.text(.signatureKind(legal.kind)), "basis": legal.basis?.text(language) ?? "—"]))
        }
        Console.out(lines.joined(separator: "\n"))
    }

    /// The vocabulary, from the registry of check types.
    static func vocabulary(_ language: Language) -> String {
        let text = Catalogue.cli(language)
        var lines = [text.text("explain.vocabulary", ["count": "\(CheckRegistry.all.count)"])]
        for check in CheckRegistry.all {
            lines.append("")
            lines.append(text.text("explain.check", ["name": check.name, "summary": check.summary.text(language)]))
            lines.append(text.text("explain.check-block", ["block": check.buildingBlock.title.text(language), "sub": check.subIndication.rawValue,
                                                           "keys": check.messageKeys.count.description]))
            for parameter in check.parameters {
                let allowed = parameter.allowed.map { text.text("explain.allowed", ["values": $0.joined(separator: ", ")]) } ?? ""
                var tail = parameter.defaultValue.map { text.text("explain.default", ["value": $0]) } ?? ""
                if parameter.required { tail += text.text("explain.required") }
                lines.append(text.text("explain.check-param", ["param": parameter.name, "type": parameter.typeText(language), "allowed": allowed, "default": tail]))
            }
        }
        return lines.joined(separator: "\n")
    }
}

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

struct TrustCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trust", abstract: helpString("trust.abstract"), subcommands: [TrustImportRUCommand.self])
}

struct TrustImportRUCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-ru", abstract: helpString("trust-import-ru.abstract"), discussion: helpString("trust-import-ru.discussion"))
    @Argument(help: help("trust-import-ru.file")) var file: String?
    @Option(name: .long, help: help("trust-import-ru.url")) var url: String?
    @Option(name: .long, help: help("trust-import-ru.out")) var out: String
    @Option(name: .long, help: help("trust-import-ru.trust"))
    var trust: [String] = []
    @Flag(name: .customLong("unsigned-ok"), help: help("trust-import-ru.unsigned-ok")) var unsignedOK = false

    func validate() throws {
        if (file == nil) == (url == nil) { throw ValidationError(helpString("trust-import-ru.file-or-url")) }
    }

    func run() async throws {
        let text = Catalogue.cli(Console.language)
        let data: [UInt8]
        let name: String
        if let url {
            let response = try HTTPFetcher.get(url, options: HTTPOptions(connectTimeout: 15, timeout: 300, maxResponseBytes: 512 << 20))
            guard response.status == 200 else {
                throw PodpisError(.unavailable, .httpStatus, ["status": "\(response.status)"], subject: url)
            }
            data = response.body
            name = url
        } else {
            name = file ?? ""
            data = try FileInput.readSmallFile(path: name, limit: 512 << 20)
        }
        let imported = try RussianTrustList.parse(data, subject: name)
        let anchors = try CertificateFiles.load(paths: trust)
        switch try ListSignature.verify(data, trust: TrustStore(anchors: anchors), subject: name) {
        case .unsigned:
            guard unsignedOK else {
                throw PodpisError(.dataFormat, .tslUnsigned, subject: name)
            }
            Console.note(text.text("cli.trust-unsigned", ["file": name]))
        case .valid(let signer):
            Console.note(text.text("cli.trust-signed", ["signer": signer]))
        }
        try TrustListStore.write(folder: out, certificates: imported.certificates, authorities: imported.authorities)
        Console.note(text.text("cli.trust-imported", [
            "count": "\(imported.authorities.count)", "certs": "\(imported.certificates.count)", "out": out,
            "version": imported.version ?? "?"]))
    }
}

/// A scratch folder removed when done.
struct TemporaryDirectory {
    let root: String
    init() throws {
        root = NSTemporaryDirectory() + "podpis-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }
    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

/// The embedded files of a folder (`policies/tests`), written to a private temporary folder for code that reads
/// files by path; removed afterwards.
struct EmbeddedCopy {
    let path: String

    init(folder: String) throws {
        path = NSTemporaryDirectory() + "podpis-embedded-" + UUID().uuidString
        let start = folder + "/"
        for (name, bytes) in EmbeddedDefaults.files where name.hasPrefix(start) {
            let target = (path as NSString).appendingPathComponent(String(name.dropFirst(start.count)))
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try FileInput.writeAtomically(bytes, to: target)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Where defaults came from, said in the user's language.
enum DefaultsText {
    static func describe(_ source: DefaultsSource, _ language: Language) -> String {
        let text = Catalogue.cli(language)
        switch source {
        case .option(let path): return text.text("defaults.option", ["path": path])
        case .environment(let variable, let path): return text.text("defaults.environment", ["path": path, "variable": variable])
        case .workingDirectory(let path): return text.text("defaults.working-directory", ["path": path])
        case .system(let path): return text.text("defaults.system", ["path": path])
        case .embedded: return text.text("defaults.embedded")
        }
    }
}
