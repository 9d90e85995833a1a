import EvidenceModel
import Foundation
import PodpisDefaults
import PolicyEngine
import SigningCore

/// Where a set of defaults (policies, trust-list folders, report templates) was taken from.
public enum DefaultsSource: Sendable, Equatable, CustomStringConvertible {
    /// A folder named by an option (`--policies DIR`).
    case option(String)
    /// A folder named by an environment variable (`PODPIS_POLICIES`).
    case environment(variable: String, path: String)
    /// The folder of that name in the current directory (`./policies`).
    case workingDirectory(String)
    /// The system-wide folder (`/etc/podpis/policies`).
    case system(String)
    /// The set compiled into the binary.
    case embedded

    /// The folder on disk, nil for the embedded set.
    public var path: String? {
        switch self {
        case .option(let path), .environment(_, let path), .workingDirectory(let path), .system(let path): path
        case .embedded: nil
        }
    }

    /// Where it came from, in words (English; `version` and `policy list` say it in the user's language).
    public var description: String {
        switch self {
        case .option(let path): "\(path) (option)"
        case .environment(let variable, let path): "\(path) ($\(variable))"
        case .workingDirectory(let path): "\(path) (current folder)"
        case .system(let path): "\(path) (system)"
        case .embedded: "embedded in the binary"
        }
    }

    /// The first of: the option's folder, the environment variable's, `./NAME`, `/etc/podpis/NAME` — else the
    /// embedded set. A folder named by the option or the variable must exist: a typo never silently falls back.
    public static func locate(option: String?, variable: String, name: String,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DefaultsSource {
        func isFolder(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
        if let option {
            guard isFolder(option) else {
                throw PodpisError(.noInput, .noSuchFolder, subject: option)
            }
            return .option(option)
        }
        if let path = environment[variable], !path.isEmpty {
            guard isFolder(path) else {
                throw PodpisError(.noInput, .noSuchFolderEnv, ["variable": variable], subject: path)
            }
            return .environment(variable: variable, path: path)
        }
        if isFolder(name) { return .workingDirectory(name) }
        let system = "/etc/podpis/" + name
        if isFolder(system) { return .system(system) }
        return .embedded
    }
}

/// Where policies and trust lists live, and how a policy reference (`--policy ID|FILE`) is resolved.
public struct PolicyCatalog: Sendable {
    public let registry: PolicyRegistry
    /// The policies folder on disk; nil when the embedded policies are in use.
    public let policiesDirectory: String?
    /// The trust-lists folder on disk; nil when the embedded trust-list folders are in use.
    public let certsDirectory: String?
    public let policiesSource: DefaultsSource
    public let certsSource: DefaultsSource

    /// The embedded trust-list folders, as policies resolve them (`<embedded>/certs/NAME`).
    public static let embeddedCerts = EmbeddedDefaults.prefix + "certs"

    /// Policies from `policies`, `$PODPIS_POLICIES`, `./policies`, `/etc/podpis/policies`, else the embedded ones;
    /// trust lists from `certs`, `$PODPIS_CERTS`, `./certs`, `/etc/podpis/certs`, else the embedded folders. The first
    /// folder found replaces the embedded set as a whole.
    public static func standard(policies: String? = nil, certs: String? = nil, extraFiles: [String] = [],
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PolicyCatalog {
        let policiesSource = try DefaultsSource.locate(option: policies, variable: "PODPIS_POLICIES", name: "policies", environment: environment)
        let certsSource = try DefaultsSource.locate(option: certs, variable: "PODPIS_CERTS", name: "certs", environment: environment)
        return PolicyCatalog(policiesSource: policiesSource, certsSource: certsSource, extraFiles: extraFiles)
    }

    /// The catalogue of the given sources.
    public init(policiesSource: DefaultsSource, certsSource: DefaultsSource, extraFiles: [String] = []) {
        self.policiesSource = policiesSource
        self.certsSource = certsSource
        policiesDirectory = policiesSource.path
        certsDirectory = certsSource.path
        let certs = certsSource.path ?? Self.embeddedCerts
        if let directory = policiesSource.path {
            registry = PolicyRegistry.load(directory: directory, certsDirectory: certs, extraFiles: extraFiles)
        } else {
            registry = PolicyRegistry.loadEmbedded(certsDirectory: certs, extraFiles: extraFiles)
        }
    }

    /// A policy by id, or the policy defined in a file. A policy that does not load (an error in its file, or in a
    /// policy it extends) is refused with the first error, in `language`: nothing is judged under it.
    public func policy(_ reference: String?, language: Language = .en) throws -> Policy {
        guard let reference else { return registry.policy("default") ?? BuiltinPolicies.default }
        if reference.hasSuffix(".yaml") || reference.hasSuffix(".yml") || reference.contains("/") {
            let catalog = PolicyCatalog(policiesSource: policiesSource, certsSource: certsSource, extraFiles: [reference])
            let problems = catalog.registry.errors.filter { $0.file == reference }
            if let first = problems.first { throw PodpisError(.configuration, first.rendered(.en)) }
            guard let id = PolicyCatalog.declaredID(in: reference), let policy = catalog.registry.policy(id) else {
                throw PodpisError(.configuration, "no policy could be read", subject: reference)
            }
            return policy
        }
        guard PolicyCatalog.isPolicyID(reference) else {
            throw PodpisError(.usage, "«\(reference)» is not a policy id (lower-case letters, digits, dashes) or a .yaml file")
        }
        guard let policy = registry.policy(reference) else {
            if let file = registry.refused[reference] {
                let first = registry.errors.first { $0.file == file }?.rendered(language) ?? file
                throw PodpisError(.configuration, Catalogue(language).text("policy.refused", ["id": reference, "file": file, "first": first]))
            }
            throw PodpisError(.usage, "unknown policy «\(reference)» (available: \(registry.policies.keys.sorted().joined(separator: ", ")))")
        }
        return policy
    }

    /// The pattern of a policy id: lower-case letters, digits and dashes.
    public static let idPattern = "^[a-z0-9][a-z0-9-]{0,63}$"

    /// Whether `text` has the form of a policy id (it may still be unknown).
    public static func isPolicyID(_ text: String) -> Bool {
        text.range(of: idPattern, options: .regularExpression) != nil
    }

    /// A policy by its id in the loaded catalogue, and nothing else: what a request from the network may name.
    /// Never reads a file, so nothing a client sends can make the service open one (`policy(_:)` keeps `FILE` for
    /// the CLI's `--policy FILE` and `policy impact FILE`). The error never repeats a value that is not an id.
    public func policy(id: String) throws -> Policy {
        let known = registry.policies.keys.sorted().joined(separator: ", ")
        guard PolicyCatalog.isPolicyID(id) else {
            throw PodpisError(.usage, "a policy is named by its id in the catalogue (lower-case letters, digits, dashes; available: \(known))")
        }
        guard let policy = registry.policy(id) else {
            throw PodpisError(.usage, "unknown policy «\(id)» (available: \(known))")
        }
        return policy
    }

    /// The trust lists a policy names, loaded from their folders.
    public func trustLists(for policy: Policy) throws -> (lists: [String: TrustList], anchors: [X509Certificate]) {
        var lists: [String: TrustList] = [:]
        var anchors: [X509Certificate] = []
        for (name, folder) in policy.trustLists {
            let (list, certificates) = try TrustListStore.load(name: name, folder: folder)
            lists[name] = list
            anchors += certificates
        }
        return (lists, anchors)
    }
}

extension PolicyCatalog {
    /// The `id:` a policy file declares at its top level.
    static func declaredID(in file: String) -> String? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("id:") {
            return line.dropFirst(3).trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        return nil
    }
}

/// Trust-list folders: PEM/DER anchors, plus `authorities.json` for accredited-CA lists.
public enum TrustListStore {
    public static let authoritiesFile = "authorities.json"

    public static func load(name: String, folder: String) throws -> (TrustList, [X509Certificate]) {
        if folder.hasPrefix(EmbeddedDefaults.prefix) {
            return try loadEmbedded(name: name, folder: String(folder.dropFirst(EmbeddedDefaults.prefix.count)))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            return (TrustList(name: name, anchors: []), [])
        }
        let certificates = try CertificateFiles.load(paths: [folder])
        var authorities: [AccreditedAuthority] = []
        let path = (folder as NSString).appendingPathComponent(authoritiesFile)
        if FileManager.default.fileExists(atPath: path) {
            let data = try FileInput.readSmallFile(path: path, limit: 64 << 20)
            do {
                authorities = try JSONDecoder.podpis().decode([AccreditedAuthority].self, from: Data(data))
            } catch {
                throw PodpisError(.configuration, "damaged trust list: not the authorities JSON podpis writes", subject: path)
            }
        }
        return (TrustList(name: name, anchors: Set(certificates.map(\.fingerprint)), authorities: authorities), certificates)
    }

    /// A trust-list folder compiled into podpis (`certs/NAME` at build time): its certificates and authorities.
    static func loadEmbedded(name: String, folder: String) throws -> (TrustList, [X509Certificate]) {
        var certificates: [X509Certificate] = []
        var authorities: [AccreditedAuthority] = []
        for (file, bytes) in EmbeddedDefaults.files(in: folder) {
            let ext = (file as NSString).pathExtension.lowercased()
            let shown = EmbeddedDefaults.prefix + folder + "/" + file
            if ["pem", "crt", "cer", "der"].contains(ext) {
                certificates += try X509Certificate.parseAll(bytes, subject: shown)
            } else if file == authoritiesFile {
                do {
                    authorities = try JSONDecoder.podpis().decode([AccreditedAuthority].self, from: Data(bytes))
                } catch {
                    throw PodpisError(.configuration, "damaged trust list: not the authorities JSON podpis writes", subject: shown)
                }
            }
        }
        return (TrustList(name: name, anchors: Set(certificates.map(\.fingerprint)), authorities: authorities), certificates)
    }

    /// Writes a trust list folder (certificates as PEM, authorities as JSON).
    public static func write(folder: String, certificates: [X509Certificate], authorities: [AccreditedAuthority]) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for cert in certificates {
            try FileInput.writeAtomically(try CertificateFiles.pem([cert]), to: (folder as NSString).appendingPathComponent("\(cert.fingerprint.prefix(16)).pem"))
        }
        let encoded = try JSONEncoder.podpis().encode(authorities)
        try FileInput.writeAtomically(Array(encoded), to: (folder as NSString).appendingPathComponent(authoritiesFile))
    }
}
