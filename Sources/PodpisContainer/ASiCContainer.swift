import EvidenceModel
import Foundation
import SigningCore

/// An ASiC container (ETSI EN 319 162-1) with CAdES signatures, opened for reading.
///
/// Opening checks the ZIP structure (``GuardedZIP``) and the ASiC rules that make a file a container at all: the
/// first entry is `mimetype`, stored, without an extra field, holding one of the two ASiC media types. What the
/// signatures cover is worked out by ``collectEvidence(_:)``.
public final class ASiCContainer {
    public enum Kind: String, Sendable {
        case asicE = "ASiC-E"
        case asicS = "ASiC-S"

        public var mimeType: String {
            switch self {
            case .asicE: "application/vnd.etsi.asic-e+zip"
            case .asicS: "application/vnd.etsi.asic-s+zip"
            }
        }

        public init?(mimeType: String) {
            switch mimeType {
            case Kind.asicE.mimeType: self = .asicE
            case Kind.asicS.mimeType: self = .asicS
            default: return nil
            }
        }
    }

    /// A signature file in `META-INF/` with the manifest it signs (ASiC-E), or an RFC 3161 timestamp token
    /// (`META-INF/timestamp*.tst`: a time assertion over the data file, or over the manifest that names it).
    public struct SignatureEntry {
        public var signature: ZIPEntry
        public var manifest: ZIPEntry?
        /// A timestamp token rather than a CAdES signature.
        public var isTimestamp = false
    }

    public let path: String
    public let kind: Kind
    public let zip: GuardedZIP
    /// Files outside `META-INF/` (not folders, not `mimetype`), in archive order: what a container carries.
    public let dataFiles: [ZIPEntry]
    /// Signature files (`META-INF/*signature*.p7s`), each with its manifest for ASiC-E.
    public let signatures: [SignatureEntry]
    /// ASiC-E manifests no signature file belongs to.
    public let orphanManifests: [ZIPEntry]

    /// The largest signature or manifest entry read into memory.
    static let metadataLimit: UInt64 = 16 << 20

    /// Deviations from EN 319 162-1 that do not change what is signed (a `mimetype` entry that is not first,
    /// compressed, with an extra field, or missing), reported as warnings by the container check.
    public let warnings: [String]
    /// The content of the `mimetype` entry, or the media type of ``kind`` when the entry is missing.
    public let mimeType: String

    public init(path: String, limits: ZIPLimits = .standard) throws {
        self.path = path
        let zip = try GuardedZIP(path: path, limits: limits)
        self.zip = zip
        let subject = path
        func fail(_ message: String) -> PodpisError { PodpisError(.dataFormat, message, subject: subject) }
        func fail(_ key: ErrorMessage, _ values: [String: String] = [:]) -> PodpisError { PodpisError(.dataFormat, key, values, subject: subject) }

        // EN 319 162-1 §A.1: `mimetype` first, stored, no extra field, so that its media type sits at byte 38. Many
        // producers get this wrong (DSS reads such containers, and so does podpis): a misplaced, compressed or
        // missing `mimetype` is a warning, and a container without one is recognised by its META-INF signatures.
        var warnings: [String] = []
        let metaEntries = zip.entries.filter { $0.name.hasPrefix("META-INF/") && !$0.isDirectory }
        let hasCAdESSignature = metaEntries.contains { Self.isSignatureFile($0.name) || Self.isTimestampFile($0.name) }
        let hasManifest = metaEntries.contains { Self.isManifestFile($0.name) }
        var kind: Kind? = nil
        var mime = ""
        if let entry = zip.entries.first(where: { $0.name == "mimetype" }) {
            let first = zip.entries.min(by: { $0.localHeaderOffset < $1.localHeaderOffset })
            if first?.name != "mimetype" || entry.localHeaderOffset != 0 {
                warnings.append("«mimetype» is not the first entry of the archive (EN 319 162-1, A.1)")
            }
            if entry.method != 0 { warnings.append("«mimetype» is compressed (it should be stored)") }
            if entry.localExtraLength != 0 { warnings.append("«mimetype» has an extra field") }
            mime = String(decoding: try zip.contents(entry, limit: 256), as: UTF8.self)
            kind = Kind(mimeType: mime.trimmingCharacters(in: .whitespacesAndNewlines))
            if kind != nil, mime != mime.trimmingCharacters(in: .whitespacesAndNewlines) {
                warnings.append("«mimetype» carries white space around the media type")
            }
            if kind == nil {
                guard hasCAdESSignature else {
                    throw fail("not an ASiC container: unknown media type «\(mime.prefix(80))» in «mimetype»")
                }
                warnings.append("unknown media type «\(mime.prefix(80))» in «mimetype»")
            }
        } else {
            guard hasCAdESSignature else {
                throw fail(.noMimetype)
            }
            warnings.append("no «mimetype» entry: the container is recognised by its META-INF signature files")
        }
        let resolved = kind ?? (hasManifest ? .asicE : .asicS)
        self.kind = resolved
        self.mimeType = kind == nil ? resolved.mimeType : mime
        self.warnings = warnings

        let meta = metaEntries
        self.dataFiles = zip.entries.filter { !$0.isDirectory && $0.name != "mimetype" && !$0.name.hasPrefix("META-INF/") }
        let signatureFiles = meta.filter { Self.isSignatureFile($0.name) }
        let manifests = meta.filter { Self.isManifestFile($0.name) }
        let timestampFiles = meta.filter { Self.isTimestampFile($0.name) }
        var pairs: [SignatureEntry] = []
        var used = Set<String>()
        // Manifests (ASiCManifest*, ASiCArchiveManifest*) by the signature or token their SigReference names.
        var named: [String: ZIPEntry] = [:]
        for manifest in manifests + meta.filter({ Self.isArchiveManifestFile($0.name) }) {
            if let bytes = try? zip.contents(manifest, limit: Self.metadataLimit),
               let parsed = try? ASiCManifest.parse(bytes), let target = parsed.signatureReference, named[target] == nil {
                named[target] = manifest
            }
        }
        if resolved == .asicE {
            // Pair each signature with the manifest whose SigReference names it; failing that (an unreadable
            // manifest), with the manifest of the same suffix (signature001.p7s ↔ ASiCManifest001.xml).
            for signature in signatureFiles {
                let suffix = (signature.name as NSString).lastPathComponent.dropFirst("signature".count).dropLast(4)
                let manifest = named[signature.name]
                    ?? manifests.first { $0.name == "META-INF/ASiCManifest\(suffix).xml" && !used.contains($0.name) }
                if let manifest { used.insert(manifest.name) }
                pairs.append(SignatureEntry(signature: signature, manifest: manifest))
            }
        } else {
            pairs = signatureFiles.map { SignatureEntry(signature: $0, manifest: nil) }
        }
        // Timestamp tokens (EN 319 162-1 time assertions): over the manifest that names them; in ASiC-S without one,
        // over the data file itself.
        for token in timestampFiles {
            let suffix = (token.name as NSString).lastPathComponent.dropFirst("timestamp".count).dropLast(4)
            let manifest = named[token.name]
                ?? (resolved == .asicE ? manifests.first { $0.name == "META-INF/ASiCManifest\(suffix).xml" && !used.contains($0.name) } : nil)
            if let manifest { used.insert(manifest.name) }
            pairs.append(SignatureEntry(signature: token, manifest: manifest, isTimestamp: true))
        }
        self.signatures = pairs
        self.orphanManifests = resolved == .asicE ? manifests.filter { !used.contains($0.name) } : []
        if pairs.isEmpty {
            let xades = meta.contains { ($0.name as NSString).lastPathComponent.lowercased().hasPrefix("signatures") && $0.name.hasSuffix(".xml") }
            throw xades
                ? fail(.xadesContainer, ["type": resolved.rawValue])
                : fail(.noCadesInContainer, ["type": resolved.rawValue])
        }
    }

    /// A CAdES signature entry: `META-INF/signature*.p7s` (directly in META-INF).
    static func isSignatureFile(_ name: String) -> Bool {
        let base = (name as NSString).lastPathComponent.lowercased()
        return name.hasPrefix("META-INF/") && base.hasPrefix("signature") && base.hasSuffix(".p7s") && !name.dropFirst(9).contains("/")
    }

    /// A timestamp token entry: `META-INF/timestamp*.tst` (directly in META-INF).
    static func isTimestampFile(_ name: String) -> Bool {
        let base = (name as NSString).lastPathComponent.lowercased()
        return name.hasPrefix("META-INF/") && base.hasPrefix("timestamp") && base.hasSuffix(".tst") && !name.dropFirst(9).contains("/")
    }

    /// An archive manifest: `META-INF/ASiCArchiveManifest*.xml`, which a timestamp token covers (EN 319 162-2).
    static func isArchiveManifestFile(_ name: String) -> Bool {
        let base = (name as NSString).lastPathComponent
        return name.hasPrefix("META-INF/") && base.hasPrefix("ASiCArchiveManifest") && base.hasSuffix(".xml") && !name.dropFirst(9).contains("/")
    }

    /// An ASiC manifest: `META-INF/ASiCManifest*.xml` (directly in META-INF).
    static func isManifestFile(_ name: String) -> Bool {
        let base = (name as NSString).lastPathComponent
        return name.hasPrefix("META-INF/") && base.hasPrefix("ASiCManifest") && base.hasSuffix(".xml") && !name.dropFirst(9).contains("/")
    }

    /// Whether `path` is an ASiC container by content: a ZIP whose first entry is `mimetype`, or a ZIP holding a
    /// CAdES signature in `META-INF/` (containers whose `mimetype` is misplaced or missing).
    public static func recognises(path: String) -> Bool {
        if looksLikeContainer(path: path) { return true }
        guard GuardedZIP.looksLikeZIP(path: path), let zip = try? GuardedZIP(path: path) else { return false }
        return zip.entries.contains { isSignatureFile($0.name) || isTimestampFile($0.name) }
    }

    /// Whether `path` is worth opening as a container: a ZIP whose first entry is named `mimetype`.
    public static func looksLikeContainer(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 38)
        guard systemRead(fd, &head, head.count) == head.count, head.starts(with: [0x50, 0x4B, 0x03, 0x04]) else { return false }
        return head[30..<38].elementsEqual("mimetype".utf8)
    }

    // MARK: Verification

    /// Verification inputs other than the signature and the signed data: the same as for a detached signature.
    public typealias VerificationSettings = SigningCore.VerificationSettings

    /// Gathers the evidence for every signature in the container, each through the ordinary detached-signature
    /// path (ASiC-E: over its manifest's bytes; ASiC-S: over the data file), merged into one ``Evidence`` whose
    /// signers are numbered across signature files, plus the ``ContainerEvidence``: which files each signature
    /// covers and whether the manifest digests match.
    public func collectEvidence(_ settings: VerificationSettings) throws -> Evidence {
        var merged: Evidence? = nil
        var containerSignatures: [ContainerSignature] = []
        var issues: [String] = orphanManifests.map { "manifest \($0.name) belongs to no signature" }
        for pair in signatures {
            let signatureBytes = try zip.contents(pair.signature, limit: Self.metadataLimit)
            var document: DocumentInput? = nil
            var record = ContainerSignature(file: pair.signature.name, manifest: pair.manifest?.name,
                                            sigReference: .absent, references: [], signerIDs: [])
            switch (kind, pair.manifest) {
            case (.asicE, _), (.asicS, .some):
                if let manifestEntry = pair.manifest {
                    let manifestBytes = try zip.contents(manifestEntry, limit: Self.metadataLimit)
                    document = .bytes(name: manifestEntry.name, manifestBytes)
                    do {
                        let manifest = try ASiCManifest.parse(manifestBytes)
                        record.sigReference = manifest.signatureReference == pair.signature.name ? .valid : .invalid
                        record.references = try check(manifest, metadata: Self.isArchiveManifestFile(manifestEntry.name))
                    } catch let error as ASiCManifest.ManifestError {
                        record.manifestError = error.description
                    }
                } else {
                    record.manifestError = "no META-INF/ASiCManifest*.xml belongs to this signature"
                }
            case (.asicS, .none):
                if let data = dataFiles.first {
                    // The CMS signature digests the file itself: hash it once with every algorithm a signer may
                    // have used, streaming, so the core never needs the file in memory.
                    let multi = try MultiDigest(Set(DigestAlgorithm.allCases))
                    var size: UInt64 = 0
                    try zip.read(data) { chunk in
                        size += UInt64(chunk.count)
                        chunk.withUnsafeBytes { multi.update($0) }
                    }
                    document = .hashed(name: data.name, size: size, digests: multi.finish())
                    // Whether the digest matches is the signature's own integrity check.
                    record.references = [ContainerReference(uri: data.name, outcome: .valid,
                                                            detail: "covered by the CAdES signature directly")]
                }
                if dataFiles.isEmpty {
                    // The one file the signature covers is gone: the signed data object does not match what is
                    // presented (DSS: HASH_FAILURE for ASiC-S).
                    record.references = [ContainerReference(uri: "—", outcome: .absent, detail: "the container holds no data file")]
                }
                if dataFiles.count != 1 {
                    issues.append("an ASiC-S container holds exactly one data file; this one holds \(dataFiles.count)")
                }
            }
            var evidence = try EvidenceCollector.collect(VerificationRequest(
                signature: signatureBytes, signatureName: pair.signature.name, document: document, trust: settings.trust,
                certificates: settings.certificates, crls: settings.crls, validationTime: settings.validationTime,
                ocspResponses: settings.ocspResponses, revocation: settings.revocation, limits: settings.limits))
            if var base = merged {
                // Signers are numbered across the container: S0, S1, ... over every signature file in order.
                let offset = base.signers.count
                for index in evidence.signers.indices { evidence.signers[index].id = "S\(offset + index)" }
                base.signers += evidence.signers
                if let stamps = evidence.timestamps { base.timestamps = (base.timestamps ?? []) + stamps }
                base.certificates.merge(evidence.certificates) { first, _ in first }
                base.revocationSources += evidence.revocationSources
                base.trustAnchors = Array(Set(base.trustAnchors + evidence.trustAnchors)).sorted()
                if base.format.parsed, !evidence.format.parsed {
                    base.format = FormatEvidence(parsed: false, error: "\(pair.signature.name): \(evidence.format.error ?? "unreadable")")
                }
                merged = base
            } else {
                if !evidence.format.parsed {
                    evidence.format.error = "\(pair.signature.name): \(evidence.format.error ?? "unreadable")"
                }
                merged = evidence
            }
            record.signerIDs = pair.isTimestamp
                ? ((merged?.timestamps?.count).map { ["T\($0 - 1)"] } ?? [])
                : evidence.signers.map(\.id)
            containerSignatures.append(record)
        }
        guard var result = merged else {
            throw PodpisError(.dataFormat, "\(kind.rawValue) container holds no CAdES signature", subject: path)
        }
        var seenIssues = Set<String>()
        issues = issues.filter { seenIssues.insert($0).inserted }
        result.container = ContainerEvidence(
            type: kind.rawValue, mimeType: mimeType, name: (path as NSString).lastPathComponent,
            dataFiles: dataFiles.map { ContainerFile(name: $0.name, size: $0.uncompressedSize) },
            signatures: containerSignatures, issues: issues)
        result.container?.warnings = warnings.isEmpty ? nil : warnings
        return result
    }

    /// Checks each manifest reference against the container: present, known algorithm, equal digest. An archive
    /// manifest (`metadata`) may also name entries in META-INF (the earlier timestamp tokens it renews).
    func check(_ manifest: ASiCManifest, metadata: Bool = false) throws -> [ContainerReference] {
        var results: [ContainerReference] = []
        let candidates = metadata ? zip.entries.filter { !$0.isDirectory && $0.name != "mimetype" } : dataFiles
        for reference in manifest.references {
            var result = ContainerReference(
                uri: reference.uri, digestMethod: reference.digestMethod, expectedDigest: reference.digestValue.map { Data($0).base64EncodedString() },
                outcome: .notChecked)
            guard let entry = candidates.first(where: { $0.name == reference.uri }) else {
                result.outcome = .absent
                result.detail = zip.entries.contains { $0.name == reference.uri }
                    ? "the manifest names a container metadata entry, not a data file" : "no such file in the container"
                results.append(result)
                continue
            }
            guard let algorithm = ASiCManifest.algorithm(forURI: reference.digestMethod) else {
                result.detail = "unknown or unacceptable digest algorithm"
                results.append(result)
                continue
            }
            result.digestAlgorithm = algorithm.name
            let multi = try MultiDigest([algorithm])
            try zip.read(entry) { chunk in chunk.withUnsafeBytes { multi.update($0) } }
            guard let actual = multi.finish()[algorithm] else {
                result.detail = "\(algorithm.name) is not available in this OpenSSL"
                results.append(result)
                continue
            }
            result.actualDigest = Data(actual).base64EncodedString()
            if let expected = reference.digestValue {
                result.outcome = expected == actual ? .valid : .invalid
            } else {
                result.outcome = .invalid
                result.detail = "the DigestValue is not Base64"
            }
            results.append(result)
        }
        return results
    }
}
