import EvidenceModel
import Foundation
import SigningCore

/// What an ASiC container holds, read without verifying anything: its files, and for each signature the files its
/// manifest names and the CMS structure (``Inspection``) of the signature itself.
public struct ContainerInspection: Codable, Sendable {
    public struct File: Codable, Sendable {
        public var name: String
        public var size: UInt64
    }

    public struct Signature: Codable, Sendable {
        /// The signature's entry, e.g. `META-INF/signature001.p7s`.
        public var name: String
        /// The ASiC-E manifest the signature signs; nil for ASiC-S.
        public var manifest: String?
        /// The data files the signature covers: the manifest's references (ASiC-E), or the one data file (ASiC-S).
        public var covers: [String]
        /// The signature's CMS structure; nil when it does not parse, with `problem` saying why.
        public var cms: Inspection?
        public var problem: String?
    }

    /// `ASiC-E` or `ASiC-S`.
    public var type: String
    public var files: [File]
    public var signatures: [Signature]
    /// ASiC-E manifests that no signature signs.
    public var orphanManifests: [String]
}

extension ASiCContainer {
    /// The data files each signature covers as its manifest names them (ASiC-E), or the one data file (ASiC-S).
    /// An unreadable manifest covers nothing here; verification reports why.
    public func coveredFiles(_ signature: SignatureEntry) -> [String] {
        guard kind == .asicE else { return dataFiles.prefix(1).map(\.name) }
        guard let manifest = signature.manifest,
              let bytes = try? zip.contents(manifest, limit: Self.metadataLimit),
              let parsed = try? ASiCManifest.parse(bytes) else { return [] }
        return parsed.references.map(\.uri)
    }

    /// The container's structure for `podpis inspect`: nothing is verified.
    public func inspect() -> ContainerInspection {
        let signatures = signatures.map { entry -> ContainerInspection.Signature in
            var cms: Inspection? = nil
            var problem: String? = nil
            do {
                let bytes = try zip.contents(entry.signature, limit: Self.metadataLimit)
                cms = try Inspector.inspect(bytes, subject: entry.signature.name)
            } catch let error as PodpisError {
                problem = error.message
            } catch {
                problem = ErrorText.describe(error)
            }
            return ContainerInspection.Signature(
                name: entry.signature.name, manifest: entry.manifest?.name, covers: coveredFiles(entry), cms: cms, problem: problem)
        }
        return ContainerInspection(
            type: kind.rawValue, files: dataFiles.map { .init(name: $0.name, size: $0.uncompressedSize) },
            signatures: signatures, orphanManifests: orphanManifests.map(\.name))
    }
}
