import EvidenceModel
import Foundation
import PolicyEngine
import SigningCore

/// Where policies and trust lists live, and how a policy reference (`--policy ID|FILE`) is resolved.
public struct PolicyCatalog: Sendable {
    public let registry: PolicyRegistry
    public let policiesDirectory: String?
    public let certsDirectory: String?

    /// `$PODPIS_POLICIES` or `./policies`; `$PODPIS_CERTS` or `./certs` (each only if it exists).
    public static func standard(policies: String? = nil, certs: String? = nil, extraFiles: [String] = []) -> PolicyCatalog {
        let environment = ProcessInfo.processInfo.environment
        func existing(_ candidates: [String?]) -> String? {
            candidates.compactMap { $0 }.first { var dir: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &dir) && dir.boolValue }
        }
        let policyDir = existing([policies, environment["PODPIS_POLICIES"], "policies"])
        let certDir = existing([certs, environment["PODPIS_CERTS"], "certs"])
        return PolicyCatalog(registry: PolicyRegistry.load(directory: policyDir, certsDirectory: certDir, extraFiles: extraFiles),
                             policiesDirectory: policyDir, certsDirectory: certDir)
    }

    /// A policy by id, or the policy defined in a file. A policy that does not load (an error in its file, or in a
    /// policy it extends) is refused with the first error, in `language`: nothing is judged under it.
    public func policy(_ reference: String?, language: Language = .en) throws -> Policy {
        guard let reference else { return registry.policy("default") ?? BuiltinPolicies.default }
        if reference.hasSuffix(".yaml") || reference.hasSuffix(".yml") || reference.contains("/") {
            let catalog = PolicyCatalog.standard(policies: policiesDirectory, certs: certsDirectory, extraFiles: [reference])
            let problems = catalog.registry.errors.filter { $0.file == reference }
            if let first = problems.first { throw PodpisError(.configuration, first.rendered(.en)) }
            guard let id = PolicyCatalog.declaredID(in: reference), let policy = catalog.registry.policy(id) else {
                throw PodpisError(.configuration, "no policy could be read", subject: reference)
            }
            return policy
        }
        guard reference.range(of: "^[a-z0-9][a-z0-9-]{0,63}$", options: .regularExpression) != nil else {
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
                throw PodpisError(.configuration, "damaged trust list: \(error.localizedDescription)", subject: path)
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
