import EvidenceModel
import Foundation
import PodpisDefaults

/// The policies of a folder (the repository's `policies/`), read, checked and resolved: `extends` merged in,
/// each version built on the one before it. The built-in `default` is always there unless the folder overrides it.
public struct PolicyRegistry: Sendable {
    public private(set) var policies: [String: Policy]
    /// Every problem found, errors and warnings, with file, line and column.
    public private(set) var diagnostics: [PolicyDiagnostic]

    public var errors: [PolicyDiagnostic] { diagnostics.filter { !$0.isWarning } }
    /// Policies that did not load, by id → the file that defines them. A policy with any error is refused whole (and
    /// so is every policy that extends it): never used with a rule left out or a parameter defaulted.
    public private(set) var refused: [String: String] = [:]

    /// Reads every `*.yaml` / `*.yml` directly in `directory` (not in sub-folders such as `tests/`).
    /// - Parameter certsDirectory: where trust-list folders are resolved (checked for existence when given).
    public static func load(directory: String?, certsDirectory: String? = nil, extraFiles: [String] = []) -> PolicyRegistry {
        var files: [String] = []
        if let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { (directory as NSString).appendingPathComponent($0) }
        }
        let standardizedExtras = Set(extraFiles.map { ($0 as NSString).standardizingPath })
        files.removeAll { standardizedExtras.contains(($0 as NSString).standardizingPath) }
        return load(folder: files.map { ($0, nil) }, certsDirectory: certsDirectory, extraFiles: extraFiles)
    }

    /// The policies compiled into podpis (the repository's `policies/*.yaml` at build time), named
    /// `<embedded>/policies/ID.yaml`, with `extraFiles` read from disk as ``load(directory:certsDirectory:extraFiles:)``
    /// does.
    public static func loadEmbedded(certsDirectory: String? = nil, extraFiles: [String] = []) -> PolicyRegistry {
        let embedded = EmbeddedDefaults.files(in: "policies").filter { $0.name.hasSuffix(".yaml") || $0.name.hasSuffix(".yml") }
        return load(folder: embedded.map { (EmbeddedDefaults.prefix + "policies/" + $0.name, String(decoding: $0.bytes, as: UTF8.self)) },
                    certsDirectory: certsDirectory, extraFiles: extraFiles)
    }

    /// Reads a folder's files (`text` given, or read from `file` when nil) and the files named explicitly.
    static func load(folder: [(file: String, text: String?)], certsDirectory: String?, extraFiles: [String]) -> PolicyRegistry {
        // A file named explicitly replaces the folder's file that defines the same policy.
        var documents: [PolicyDocument] = []
        var diagnostics: [PolicyDiagnostic] = []
        var extra: [PolicyDocument] = []
        var refused: [String: String] = [:]
        let sources = folder.map { (file: $0.file, text: $0.text, isExtra: false) }
            + extraFiles.map { (file: $0, text: String?.none, isExtra: true) }
        for source in sources {
            let (document, problems) = source.text.map { read(text: $0, file: source.file) } ?? read(file: source.file)
            diagnostics += problems
            guard let document else {
                if let id = declaredID(text: source.text, file: source.file) { refused[id] = source.file }
                continue
            }
            if source.isExtra { extra.append(document) } else { documents.append(document) }
        }
        for document in extra {
            documents.removeAll { $0.id == document.id }
            documents.append(document)
        }
        var registry = PolicyRegistry(policies: ["default": BuiltinPolicies.default], diagnostics: diagnostics)
        registry.refused = refused.filter { id, _ in !documents.contains { $0.id == id } }
        registry.resolve(documents, certsDirectory: certsDirectory)
        return registry
    }

    /// The `id:` a refused file declares, when it can still be read (for "policy X does not load").
    static func declaredID(text: String?, file: String) -> String? {
        guard let text = text ?? FileManager.default.contents(atPath: file).flatMap({ $0.count < 4 << 20 ? String(decoding: $0, as: UTF8.self) : nil }),
            case .mapping(let entries, _)? = try? YAMLValue.parse(text),
            case .scalar(let id, _, _)? = entries.first(where: { $0.key == "id" })?.value,
            id.range(of: "^[a-z0-9][a-z0-9-]{0,63}$", options: .regularExpression) != nil
        else { return nil }
        return id
    }

    /// Parses and reads one file.
    static func read(file: String) -> (PolicyDocument?, [PolicyDiagnostic]) {
        guard let data = FileManager.default.contents(atPath: file), data.count < 4 << 20 else {
            return (nil, [PolicyDiagnostic(SourceMark(line: 1, column: 1), Message("lint.empty-file"), file: file)])
        }
        let text = String(decoding: data, as: UTF8.self)
        return read(text: text, file: file)
    }

    package static func read(text: String, file: String?) -> (PolicyDocument?, [PolicyDiagnostic]) {
        do {
            guard let root = try YAMLValue.parse(text) else {
                return (nil, [PolicyDiagnostic(SourceMark(line: 1, column: 1), Message("lint.empty-file"), file: file)])
            }
            var reader = PolicyReader(file: file)
            let document = reader.read(root)
            return (reader.diagnostics.contains { !$0.isWarning } ? nil : document, reader.diagnostics)
        } catch {
            var diagnostic = error
            diagnostic.file = file
            return (nil, [diagnostic])
        }
    }

    /// Checks files as `policy lint` does: each on its own, and against the folder's other policies.
    public static func lint(files: [String], directory: String?, certsDirectory: String?) -> [PolicyDiagnostic] {
        let registry = load(directory: directory, certsDirectory: certsDirectory, extraFiles: files)
        let fileSet = Set(files)
        return registry.diagnostics.filter { $0.file.map(fileSet.contains) ?? true }
    }

    /// A policy by id.
    public func policy(_ id: String) -> Policy? { policies[id] }

    // MARK: resolution

    mutating func resolve(_ documents: [PolicyDocument], certsDirectory: String?) {
        var byID: [String: PolicyDocument] = [:]
        for document in documents {
            if let other = byID[document.id] {
                diagnostics.append(PolicyDiagnostic(document.idMark, Message("lint.duplicate-policy", ["id": document.id, "other": other.file ?? "?"]), file: document.file))
                continue
            }
            byID[document.id] = document
        }
        var resolved: [String: Policy] = policies
        var visiting: [String] = []
        var resolvedIDs = Set<String>()
        func resolveOne(_ id: String) -> Policy? {
            if resolvedIDs.contains(id) { return resolved[id] }
            guard let document = byID[id] else { return resolved[id] }  // built-in
            if visiting.contains(id) {
                diagnostics.append(PolicyDiagnostic(document.extendsMark ?? document.idMark,
                                                    Message("lint.extends-cycle", ["cycle": (visiting + [id]).joined(separator: " → ")]), file: document.file))
                return nil
            }
            visiting.append(id)
            defer { visiting.removeLast() }
            var base: Policy? = nil
            if let parent = document.extends {
                if let file = refused[parent] {
                    diagnostics.append(PolicyDiagnostic(document.extendsMark ?? document.idMark, Message("lint.extends-refused", ["id": parent, "other": file]), file: document.file))
                    refused[id] = document.file ?? "?"
                    return nil
                }
                if byID[parent] == nil && resolved[parent] == nil {
                    diagnostics.append(PolicyDiagnostic(document.extendsMark ?? document.idMark, Message("lint.extends-unknown", ["id": parent]), file: document.file))
                    refused[id] = document.file ?? "?"
                    return nil
                }
                base = resolveOne(parent)
                if base == nil {
                    if refused[id] == nil {
                        diagnostics.append(PolicyDiagnostic(document.extendsMark ?? document.idMark, Message("lint.extends-refused", ["id": parent, "other": refused[parent] ?? "?"]), file: document.file))
                        refused[id] = document.file ?? "?"
                    }
                    return nil
                }
            }
            // Any error in the policy's text found while building (an undeclared trust list, a rule removed that
            // does not exist, …) refuses the policy whole. A trust-list folder missing on this machine is not one:
            // the list is then empty and every check on it fails (closed), and lint still reports it.
            func textErrors() -> Int { diagnostics.filter { !$0.isWarning && $0.message.key != "lint.trust-list-folder" }.count }
            let before = textErrors()
            let policy = build(document, base: base, certsDirectory: certsDirectory)
            guard let policy, textErrors() == before else {
                refused[id] = document.file ?? "?"
                return nil
            }
            resolved[id] = policy
            resolvedIDs.insert(id)
            return policy
        }
        for id in byID.keys.sorted() { _ = resolveOne(id) }
        policies = resolved
    }

    /// A trust-list folder on disk, or one of the embedded defaults (`<embedded>/certs/NAME`).
    static func folderExists(_ path: String) -> Bool {
        if path.hasPrefix(EmbeddedDefaults.prefix) { return EmbeddedDefaults.hasFolder(String(path.dropFirst(EmbeddedDefaults.prefix.count))) }
        return FileManager.default.fileExists(atPath: path)
    }

    mutating func build(_ document: PolicyDocument, base: Policy?, certsDirectory: String?) -> Policy? {
        func error(_ mark: SourceMark, _ key: MessageKey, _ args: [String: String]) {
            diagnostics.append(PolicyDiagnostic(mark, Message(key, args), file: document.file))
        }
        var trustLists = base?.trustLists ?? [:]
        for (name, path) in document.trustLists {
            let resolvedPath = path.hasPrefix("/") ? path : ((certsDirectory ?? "certs") as NSString).appendingPathComponent(
                path.hasPrefix("certs/") ? String(path.dropFirst(6)) : path)
            trustLists[name] = resolvedPath
            if certsDirectory != nil && !Self.folderExists(resolvedPath) {
                error(document.idMark, "lint.trust-list-folder", ["list": name, "path": path])
            }
        }
        guard let legal = document.legal ?? base?.versions.last?.legal else {
            error(document.idMark, "lint.no-legal", [:])
            return nil
        }
        var versions: [PolicyVersion] = []
        let sorted = document.versions.sorted { ($0.effective.from ?? .distantPast) < ($1.effective.from ?? .distantPast) }
        for (index, version) in sorted.enumerated() {
            let start = version.effective.from ?? .distantPast
            let prior: PolicyVersion? = index > 0 ? versions[index - 1] : base.map { $0.version(at: start) }
            var rules = prior?.rules ?? []
            for id in version.remove {
                if !rules.contains(where: { $0.id == id }) { error(version.mark, "lint.remove-unknown", ["id": id]) }
                rules.removeAll { $0.id == id }
            }
            for rule in version.rules {
                if let position = rules.firstIndex(where: { $0.id == rule.id }) { rules[position] = rule } else { rules.append(rule) }
                let mark = version.ruleMarks[rule.id] ?? version.mark
                if let list = (rule.configuration as? any NamesTrustList)?.trustListName, trustLists[list] == nil {
                    error(mark, "lint.trust-list-unknown", ["list": list])
                }
            }
            let ruleIDs = Set(rules.map(\.id))
            for id in legal.qualificationRules where !ruleIDs.contains(id) {
                error(version.mark, "lint.qualification-unknown", ["id": id])
            }
            versions.append(PolicyVersion(version: version.version, effective: version.effective, rules: rules,
                                          documentTypes: version.documentTypes ?? prior?.documentTypes ?? [], legal: legal))
        }
        guard !versions.isEmpty else { return nil }
        return Policy(id: document.id, title: document.title, description: document.description, extends: document.extends,
                      versions: versions, source: document.file, trustLists: trustLists)
    }
}
