import EvidenceModel
import Foundation

/// The container section of a report: which files an ASiC container holds and which of them each signature covers.
public struct ReportContainer: Codable, Sendable, Equatable {
    /// `ASiC-E` or `ASiC-S`.
    public var type: String
    public var name: String?
    /// Every data file, in archive order.
    public var files: [String]
    public var signatures: [ReportContainerSignature]
    /// Data files no signature covers (not signed).
    public var uncovered: [String]
}

public struct ReportContainerSignature: Codable, Sendable, Equatable {
    /// The signature entry (`META-INF/signature.p7s`).
    public var file: String
    /// The manifest it signs (ASiC-E), or `nil`.
    public var manifest: String?
    /// The report's signature ids (`S0`, ...) of its signers.
    public var signatures: [String]
    /// The data files it covers.
    public var covers: [String]
}

/// Judges the container evidence of an ASiC signature (ETSI EN 319 162-1). The check is intrinsic, like the format
/// check: no policy can switch it off, because a container whose files do not match what was signed says nothing
/// about those files whatever the policy.
///
/// Sub-indications:
/// - a data file whose digest differs from the manifest (or, in ASiC-S, a missing data file): **HASH_FAILURE**
///   (TOTAL-FAILED): the signed data object is not the one presented, exactly as for a changed detached document
///   (EN 319 102-1 §5.2.7, the cryptographic verification building block).
/// - an ASiC-E manifest reference to a file the container lacks: **SIGNED_DATA_NOT_FOUND** (INDETERMINATE), as DSS
///   reports it: the signed data object is missing, not proven changed.
/// - a `mimetype` entry that is misplaced, compressed or missing: a **warning** (EN 319 162-1 wants it first and
///   stored; many producers do otherwise, and what is signed does not depend on it).
/// - a data file that no signature covers, a manifest that cannot be read or whose `SigReference` does not name its
///   signature, an unknown manifest digest algorithm: **FORMAT_FAILURE** (TOTAL-FAILED). These are failures of the
///   format checking building block (EN 319 102-1 §5.2.3), which for ASiC covers the container's structure; the
///   signature itself may be fine, but the container does not conform to EN 319 162-1 as a signed whole and shows
///   the user files as if signed that are not. (The EU DSS library reports unsigned container files the same way,
///   through format checking with FORMAT_FAILURE.)
enum ContainerCheck {
    static let id = "container"

    static func judge(_ container: ContainerEvidence, catalogue: Catalogue) -> CheckResult {
        var hashProblems: [String] = []
        var formatProblems: [String] = []
        var missing: [String] = []
        for signature in container.signatures {
            let manifest = signature.manifest ?? signature.file
            if let error = signature.manifestError {
                formatProblems.append(catalogue.text("container.manifest-unreadable", ["manifest": manifest, "detail": error]))
                continue
            }
            if signature.sigReference == .invalid {
                formatProblems.append(catalogue.text("container.sig-reference", ["manifest": manifest, "signature": signature.file]))
            }
            if signature.references.isEmpty {
                formatProblems.append(catalogue.text("container.empty-manifest", ["manifest": manifest]))
            }
            for reference in signature.references {
                switch reference.outcome {
                case .valid: break
                case .invalid:
                    hashProblems.append(catalogue.text("container.digest-mismatch", ["file": reference.uri, "manifest": manifest]))
                case .absent:
                    // ASiC-E: the manifest names a file the container lacks — the signed data object is not found
                    // (DSS: SIGNED_DATA_NOT_FOUND); nothing proves it was changed.
                    let text = catalogue.text("container.missing-file", ["file": reference.uri, "manifest": manifest])
                    if container.type == "ASiC-E" { missing.append(text) } else { hashProblems.append(text) }
                case .notChecked:
                    formatProblems.append(catalogue.text("container.unknown-digest", [
                        "file": reference.uri, "manifest": manifest, "algorithm": reference.digestMethod ?? "?",
                    ]))
                }
            }
        }
        if container.signatures.isEmpty {
            formatProblems.append(catalogue.text("container.no-signatures"))
        }
        let uncovered = container.uncoveredFiles
        if !uncovered.isEmpty {
            formatProblems.append(catalogue.text("container.uncovered", ["files": uncovered.joined(separator: ", ")]))
        }
        for issue in container.issues {
            formatProblems.append(catalogue.text("container.issue", ["detail": issue]))
        }
        let warnings = (container.warnings ?? []).map { catalogue.text("container.warning", ["detail": $0]) }
        if !hashProblems.isEmpty {
            return CheckResult(id: id, status: .failed, subIndication: .hashFailure,
                               message: (hashProblems + missing + formatProblems + warnings).joined(separator: "; "), basis: basis)
        }
        if !formatProblems.isEmpty {
            return CheckResult(id: id, status: .failed, subIndication: .formatFailure,
                               message: (formatProblems + missing + warnings).joined(separator: "; "), basis: basis)
        }
        if !missing.isEmpty {
            return CheckResult(id: id, status: .failed, subIndication: .signedDataNotFound,
                               message: (missing + warnings).joined(separator: "; "), basis: basis)
        }
        let passed = catalogue.text("container.passed", [
            "type": container.type, "count": "\(container.dataFiles.count)",
            "files": container.dataFiles.map(\.name).joined(separator: ", "),
        ])
        if !warnings.isEmpty {
            return CheckResult(id: id, status: .warning, message: ([passed] + warnings).joined(separator: "; "), basis: basis)
        }
        return CheckResult(id: id, status: .passed, message: passed, basis: basis)
    }

    static let basis = "ETSI EN 319 162-1"

    /// The report's view of the container: what each signature covers.
    static func summary(_ container: ContainerEvidence, signatures: [SignatureReport]) -> ReportContainer {
        ReportContainer(
            type: container.type, name: container.name, files: container.dataFiles.map(\.name),
            signatures: container.signatures.map { signature in
                ReportContainerSignature(
                    file: signature.file, manifest: signature.manifest, signatures: signature.signerIDs,
                    covers: signature.references.filter { $0.outcome == .valid }.map(\.uri))
            },
            uncovered: container.uncoveredFiles)
    }
}
