import EvidenceModel
import Foundation
import PolicyEngine
import SigningCore

/// The `policy impact` workflow: an edited policy file weighed against what it replaces — another file, a git
/// revision (the committed version by default), or the catalogue's policy of the same id — by re-judging stored
/// evidence under both (``PolicyImpact/compare(_:current:edited:options:)``).
public struct PolicyImpactStudy {
    /// What the edit is weighed against.
    public enum Baseline: Sendable, Equatable {
        /// `--against FILE`.
        case file(String)
        /// The file as committed at a git revision.
        case revision(String)
        /// The loaded catalogue's policy with the edited policy's id (its file, or nil for a built-in one).
        case catalog(policyID: String, source: String?)
    }

    /// The file has no committed version at the revision asked for (or git cannot say).
    public struct NoCommittedVersion: Error, Sendable {
        public var file: String
        public var revision: String
        public var reason: String
    }

    public let edited: Policy
    public let current: Policy
    /// The catalogue `current` comes from (its trust lists judge both).
    public let currentCatalog: PolicyCatalog
    public let baseline: Baseline

    /// Loads the edited policy and its baseline. `catalog(extraFiles)` is the catalogue the front end reads (its policy
    /// and trust-list folders) with these policy files added; a file that does not lint is refused with its first error.
    public init(editedFile file: String, against: String?, language: Language,
                catalog: (_ extraFiles: [String]) throws -> PolicyCatalog) throws {
        let editedCatalog = try catalog([file])
        try Self.refuseLintErrors(editedCatalog, file: file, language: language)
        edited = try editedCatalog.policy(file)
        if let against, FileManager.default.fileExists(atPath: against) {
            currentCatalog = try catalog([against])
            current = try currentCatalog.policy(against)
            baseline = .file(against)
        } else if let revision = against ?? (GitFile.isTracked(file) ? "HEAD" : nil) {
            let committed: String
            do {
                committed = try GitFile.show(file, revision: revision)
            } catch let error as PodpisError {
                throw NoCommittedVersion(file: file, revision: revision, reason: error.message)
            }
            // The committed text under the file's own name, in a private folder removed once it is loaded.
            let scratch = NSTemporaryDirectory() + "podpis-impact-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            let copy = (scratch as NSString).appendingPathComponent((file as NSString).lastPathComponent)
            try FileInput.writeAtomically(Array(committed.utf8), to: copy)
            currentCatalog = try catalog([copy])
            try Self.refuseLintErrors(currentCatalog, file: copy, language: language)
            current = try currentCatalog.policy(copy)
            baseline = .revision(revision)
        } else {
            currentCatalog = try catalog([])
            current = currentCatalog.registry.policy(edited.id) ?? BuiltinPolicies.default
            baseline = .catalog(policyID: current.id, source: current.source)
        }
    }

    static func refuseLintErrors(_ catalog: PolicyCatalog, file: String, language: Language) throws {
        if let error = catalog.registry.errors.first(where: { $0.file == file }) {
            throw PodpisError(.dataFormat, error.rendered(language))
        }
    }

    /// The stored evidence files (`*.json`) of a folder, sorted by name; files that are not evidence are skipped.
    public static func evidence(inFolder folder: String) throws -> [(name: String, evidence: Evidence)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw PodpisError(.noInput, .noSuchFolder, subject: folder)
        }
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            let path = (folder as NSString).appendingPathComponent(name)
            return (try? JSONDecoder.podpis().decode(Evidence.self, from: Data(FileInput.readSmallFile(path: path, limit: 64 << 20))))
                .map { (name, $0) }
        }
    }

    /// Judges each item under the baseline and under the edit: the verdicts that change, and how many did not.
    public func compare(_ items: [(name: String, evidence: Evidence)], documentType: String?, validationTime: Date?,
                        language: Language) throws -> (changes: [ImpactChange], unchanged: Int) {
        let (lists, _) = try currentCatalog.trustLists(for: current)
        let options = JudgementOptions(documentType: documentType, language: language, validationTime: validationTime, trustLists: lists)
        return PolicyImpact.compare(items, current: current, edited: edited, options: options)
    }
}
