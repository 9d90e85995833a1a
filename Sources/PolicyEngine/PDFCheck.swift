import EvidenceModel
import Foundation

/// The PDF section of a report: the revisions, and for each signature field the revision it covers and whether the
/// file was changed after it.
public struct ReportPDF: Codable, Sendable, Equatable {
    public var name: String?
    /// How many revisions the file has (the original and each incremental update).
    public var revisions: Int
    /// The certification's DocMDP permission (1, 2 or 3), when the document is certified.
    public var certification: Int?
    public var signatures: [ReportPDFSignature]
    /// Signature fields without a signature.
    public var emptySignatureFields: [String]
    /// Whether the document security store (validation data, PAdES-LT) is present.
    public var dss: Bool
}

public struct ReportPDFSignature: Codable, Sendable, Equatable {
    /// The field's full name.
    public var field: String
    /// `signature` or `document-timestamp`.
    public var kind: PDFSignatureKind
    /// The report's signature id (`S0`, ...) of its signer; `nil` for a document timestamp or an unreadable one.
    public var signature: String?
    public var subFilter: PDFSubFilter?
    /// The revision the byte range covers (1-based), when it ends at one.
    public var revision: Int?
    /// Whether the file was changed after this signature (any later revision or appended bytes).
    public var changedAfter: Bool
    /// What changed after it, in words.
    public var changes: [String]
    /// Whether those changes are allowed by the signature's permissions.
    public var changesAllowed: Bool
    /// `/M`, `/Reason`, `/Location` as written by the signer (claims, not verified).
    public var signingTime: Date?
    public var reason: String?
    public var location: String?
    /// For a document timestamp: its verdict.
    public var timestamp: TimestampSummary?
}

/// Judges the PDF evidence of signed PDFs. Like the container check it is intrinsic: no policy switches it off, since
/// a byte range that leaves out part of the revision, or a page changed after a certification, says the signature
/// does not cover what the reader sees, whatever the policy.
///
/// Check ids and sub-indications (each failure a FORMAT_FAILURE of the format-checking building block,
/// ETSI EN 319 102-1 5.2.2, as EU DSS reports them):
/// - `pdf-byte-range`: the byte range is `[0 a b c]`, its gap is exactly the signature's `/Contents`, and it ends at
///   the end of a revision;
/// - `pdf-changes`: the changes made after the signature (later incremental updates) are allowed by its permissions:
///   the certification's DocMDP `/P` (no certification: 3, ISO 32000-2 12.8.2.2), a lock's `/P`, and the fields a
///   FieldMDP or `/Lock` protects. Validation data and document timestamps are always allowed (EN 319 142-1 5.4);
/// - `pdf-subfilter`: `adbe.pkcs7.sha1` signs a SHA-1 of the document: HASH_FAILURE when it does not match, and SHA-1
///   is judged by the policy's algorithm constraints (CRYPTO_CONSTRAINTS_FAILURE_NO_POE when forbidden);
/// - document level, `pdf-signatures`: every signed field holds a readable signature; `pdf-document-timestamps`: each
///   document timestamp (a bad byte range fails, as DSS's byte-range check does; a wrong imprint or an untrusted TSA
///   is a warning: such a token proves nothing).
enum PDFCheck {
    static let byteRangeID = "pdf-byte-range"
    static let changesID = "pdf-changes"
    static let subFilterID = "pdf-subfilter"
    static let signaturesID = "pdf-signatures"
    static let timestampsID = "pdf-document-timestamps"

    static let byteRangeBasis = "ISO 32000-1, 12.8.1; ETSI EN 319 142-1, 5.1"
    static let changesBasis = "ISO 32000-2, 12.8.2.2–12.8.2.4 (DocMDP, FieldMDP); ETSI EN 319 142-1, 5.4"
    static let subFilterBasis = "ISO 32000-2, 12.8.3.3"

    /// Document timestamps as proof of existence: each covers every revision before its own, so it is added to the
    /// timestamps of every signer of an earlier revision (type `document`).
    static func augment(_ evidence: Evidence) -> Evidence {
        guard let pdf = evidence.pdf else { return evidence }
        let stamps = pdf.signatures.compactMap { record -> (Int, TimestampEvidence)? in
            // A token whose imprint is not these bytes (copied from another file) is about something else: it is
            // reported at document level and proves nothing here.
            guard record.isDocumentTimestamp, record.byteRangeCheck.outcome == .valid, let revision = record.revision,
                  let stamp = record.timestamp, stamp.imprint.outcome == .valid else { return nil }
            return (revision, stamp)
        }
        guard !stamps.isEmpty else { return evidence }
        var result = evidence
        for record in pdf.signatures where !record.isDocumentTimestamp {
            guard let revision = record.revision else { continue }
            for id in record.signerIDs {
                guard let index = result.signers.firstIndex(where: { $0.id == id }) else { continue }
                result.signers[index].timestamps += stamps.filter { $0.0 > revision }.map(\.1)
            }
        }
        return result
    }

    static func record(for signerID: String, in pdf: PDFEvidence) -> PDFSignatureEvidence? {
        pdf.signatures.first { $0.signerIDs.contains(signerID) }
    }

    /// The report's format name of a PDF signature: PAdES-BASELINE-x for `ETSI.CAdES.detached`, PKCS7-x for the
    /// Adobe sub-filters (as EU DSS names them), CMS when the signing-certificate attribute is missing.
    static func format(level: EvidenceLevel, record: PDFSignatureEvidence?) -> String {
        if level == .cms { return "CMS" }
        return record?.subFilter == .cadesDetached ? "PAdES-BASELINE-\(level.rawValue)" : "PKCS7-\(level.rawValue)"
    }

    // MARK: changes

    struct ChangeJudgement {
        var permission: Int
        var certified: Bool
        var allowed: [PDFChange]
        var forbidden: [(PDFChange, Message)]
    }

    static func judgeChanges(_ record: PDFSignatureEvidence, in pdf: PDFEvidence) -> ChangeJudgement {
        let revision = record.revision ?? 0
        var permission = pdf.docMDP?.permission ?? 3
        for other in pdf.signatures where (other.revision ?? Int.max) <= revision {
            if let lockPermission = other.fieldLock?.permission { permission = min(permission, lockPermission) }
        }
        var judgement = ChangeJudgement(permission: permission, certified: pdf.docMDP != nil, allowed: [], forbidden: [])
        for change in pdf.changes(after: revision) {
            if let field = change.field, change.kind != .longTermValidation, record.fieldLock?.locks(field) == true {
                judgement.forbidden.append((change, Message("pdf.change.locked", ["field": field, "revision": "\(change.revision)"])))
                continue
            }
            let needed: Int? = switch change.kind {
            case .longTermValidation, .metadata: 1
            case .signature, .formFill: 2
            case .annotation: 3
            case .other: nil
            }
            if let needed, permission >= needed {
                judgement.allowed.append(change)
            } else {
                judgement.forbidden.append((change, describe(change)))
            }
        }
        return judgement
    }

    static func describe(_ change: PDFChange) -> Message {
        var args = ["revision": "\(change.revision)", "detail": change.detail, "field": change.field ?? ""]
        // Evidence from before `pageObject` says it in its detail.
        let pageObject = change.kind == .other && (change.pageObject ?? change.detail.hasPrefix("page object"))
        if pageObject { args["object"] = change.object ?? "" }
        return Message(.pdfChange(change.kind, pageObject: pageObject), args)
    }

    static func permissionText(_ judgement: ChangeJudgement, catalogue: Catalogue) -> String {
        judgement.certified
            ? catalogue.text(.pdfPermission(judgement.permission))
            : catalogue.text("pdf.permission.approval")
    }

    /// A list of change descriptions without repeats, at most `limit` of them.
    static func list(_ messages: [Message], catalogue: Catalogue, limit: Int = 8) -> String {
        var seen: [String] = []
        for message in messages {
            let text = catalogue.render(message)
            if !seen.contains(text) { seen.append(text) }
        }
        let shown = seen.prefix(limit).joined(separator: "; ")
        return seen.count > limit ? shown + catalogue.text("pdf.more", ["count": "\(seen.count - limit)"]) : shown
    }

    // MARK: per signature

    static func checks(for context: SignerContext, pdf: PDFEvidence, catalogue: Catalogue) -> [CheckResult] {
        guard let record = record(for: context.signer.id, in: pdf) else { return [] }
        var results: [CheckResult] = []
        let revisions = pdf.revisions.filter { $0.xref != "none" }.count
        if record.byteRangeCheck.outcome == .valid, let revision = record.revision {
            results.append(CheckResult(id: byteRangeID, status: .passed, message: catalogue.text("pdf.byte-range.passed", [
                "revision": "\(revision)", "revisions": "\(revisions)", "field": record.field,
            ]), basis: byteRangeBasis))
        } else {
            results.append(CheckResult(id: byteRangeID, status: .failed, subIndication: .formatFailure, message: catalogue.text(
                "pdf.byte-range.failed", ["field": record.field, "detail": record.byteRangeCheck.detail ?? ""]), basis: byteRangeBasis))
        }
        if record.revision != nil {
            let judgement = judgeChanges(record, in: pdf)
            if judgement.allowed.isEmpty && judgement.forbidden.isEmpty {
                results.append(CheckResult(id: changesID, status: .passed, message: catalogue.text("pdf.changes.none"), basis: changesBasis))
            } else if judgement.forbidden.isEmpty {
                results.append(CheckResult(id: changesID, status: .passed, message: catalogue.text("pdf.changes.allowed", [
                    "permission": permissionText(judgement, catalogue: catalogue),
                    "changes": list(judgement.allowed.map(describe), catalogue: catalogue),
                ]), basis: changesBasis))
            } else {
                results.append(CheckResult(id: changesID, status: .failed, subIndication: .formatFailure, message: catalogue.text(
                    "pdf.changes.forbidden", [
                        "permission": permissionText(judgement, catalogue: catalogue),
                        "changes": list(judgement.forbidden.map(\.1), catalogue: catalogue),
                    ]), basis: changesBasis))
            }
        }
        if record.subFilter == .pkcs7SHA1 {
            results.append(sha1(record, context: context, catalogue: catalogue))
        }
        return results
    }

    static func sha1(_ record: PDFSignatureEvidence, context: SignerContext, catalogue: Catalogue) -> CheckResult {
        switch record.contentDigest?.outcome {
        case .valid:
            let time = context.bestSignatureTime
            let forbidden = context.policy.version(at: time).forbiddenAlgorithms.contains { constraint in
                constraint.algorithm == .sha1 && (constraint.from.map { time >= $0 } ?? true)
            }
            if forbidden {
                return CheckResult(id: subFilterID, status: .failed, subIndication: .cryptoConstraintsFailureNoPOE, message: catalogue.text(
                    "pdf.subfilter.sha1-forbidden", ["time": Format.date(time)]), basis: subFilterBasis)
            }
            return CheckResult(id: subFilterID, status: .warning, message: catalogue.text("pdf.subfilter.sha1-deprecated"), basis: subFilterBasis)
        case .invalid:
            return CheckResult(id: subFilterID, status: .failed, subIndication: .hashFailure, message: catalogue.text("pdf.subfilter.sha1-mismatch"),
                               basis: subFilterBasis)
        default:
            return CheckResult(id: subFilterID, status: .failed, subIndication: .formatFailure, message: catalogue.text("pdf.subfilter.sha1-missing"),
                               basis: subFilterBasis)
        }
    }

    // MARK: document level

    static func documentChecks(_ pdf: PDFEvidence, evidence: Evidence, validationTime: Date, catalogue: Catalogue) -> [CheckResult] {
        var results: [CheckResult] = []
        let unreadable = pdf.signatures.filter { !$0.isDocumentTimestamp && ($0.error != nil || $0.signerIDs.isEmpty) }
        if unreadable.isEmpty {
            let count = pdf.signatures.filter { !$0.isDocumentTimestamp }.count
            results.append(CheckResult(id: signaturesID, status: .passed, message: catalogue.text("pdf.signatures.passed", ["count": "\(count)"]),
                                       basis: byteRangeBasis))
        } else {
            let messages = unreadable.map {
                catalogue.text("pdf.signatures.unreadable", ["field": $0.field, "detail": $0.error ?? $0.byteRangeCheck.detail ?? ""])
            }
            results.append(CheckResult(id: signaturesID, status: .failed, subIndication: .formatFailure,
                                       message: messages.joined(separator: "; "), basis: byteRangeBasis))
        }
        let stamps = pdf.signatures.filter(\.isDocumentTimestamp)
        guard !stamps.isEmpty else { return results }
        var failures: [(String, SubIndication)] = []
        var warnings: [String] = []
        var passed: [String] = []
        for record in stamps {
            let args = ["field": record.field, "revision": record.revision.map(String.init) ?? "?"]
            guard record.byteRangeCheck.outcome == .valid else {
                failures.append((catalogue.text("pdf.timestamp.byte-range", args.merging(["detail": record.byteRangeCheck.detail ?? ""]) { a, _ in a }),
                                 .formatFailure))
                continue
            }
            guard let stamp = record.timestamp else {
                failures.append((catalogue.text("pdf.timestamp.unreadable", args.merging(["detail": record.error ?? ""]) { a, _ in a }), .formatFailure))
                continue
            }
            guard let judged = TimestampJudge.structural([stamp], evidence: evidence, validationTime: validationTime).first else { continue }
            var stampArgs = args
            stampArgs["time"] = Format.date(stamp.genTime)
            if judged.usable {
                passed.append(catalogue.text("pdf.timestamp.passed", stampArgs))
            } else if judged.subIndication == .hashFailure {
                // A token copied from elsewhere: it proves nothing, and says nothing about the signatures it claims
                // to cover (their own byte ranges are checked on their own), as EU DSS treats it.
                warnings.append(catalogue.text("pdf.timestamp.hash", stampArgs))
            } else {
                stampArgs["reason"] = judged.reason.map(catalogue.render) ?? ""
                warnings.append(catalogue.text("pdf.timestamp.failed", stampArgs))
            }
        }
        if let first = failures.first {
            results.append(CheckResult(id: timestampsID, status: .failed, subIndication: first.1,
                                       message: (failures.map(\.0) + warnings).joined(separator: "; "), basis: byteRangeBasis))
        } else if !warnings.isEmpty {
            results.append(CheckResult(id: timestampsID, status: .warning, message: (warnings + passed).joined(separator: "; "), basis: byteRangeBasis))
        } else {
            results.append(CheckResult(id: timestampsID, status: .passed, message: passed.joined(separator: "; "), basis: byteRangeBasis))
        }
        return results
    }

    // MARK: summary

    static func summary(_ pdf: PDFEvidence, evidence: Evidence, validationTime: Date, catalogue: Catalogue) -> ReportPDF {
        let signatures = pdf.signatures.map { record -> ReportPDFSignature in
            let judgement = record.revision.map { _ in judgeChanges(record, in: pdf) }
            let changes = (judgement?.allowed.map(describe) ?? []) + (judgement?.forbidden.map(\.1) ?? [])
            var seen: [String] = []
            for message in changes {
                let text = catalogue.render(message)
                if !seen.contains(text) { seen.append(text) }
            }
            var stampSummary: TimestampSummary? = nil
            if let stamp = record.timestamp {
                if let judged = TimestampJudge.structural([stamp], evidence: evidence, validationTime: validationTime).first {
                    stampSummary = PolicyEngine().timestampSummary(judged, evidence: evidence, catalogue: catalogue)
                }
            }
            let changedAfter = record.revision.map { !pdf.changes(after: $0).isEmpty } ?? true
            return ReportPDFSignature(
                field: record.field, kind: record.kind, signature: record.signerIDs.first, subFilter: record.subFilter,
                revision: record.revision, changedAfter: changedAfter, changes: seen, changesAllowed: judgement?.forbidden.isEmpty ?? false,
                signingTime: record.signingTime, reason: record.reason, location: record.location, timestamp: stampSummary)
        }
        return ReportPDF(name: pdf.name, revisions: pdf.revisions.filter { $0.xref != "none" }.count, certification: pdf.docMDP?.permission,
                         signatures: signatures, emptySignatureFields: pdf.emptySignatureFields, dss: pdf.dss != nil)
    }
}

// As the rest of the report: optional fields appear as `null` rather than being left out.
extension ReportPDF {
    enum CodingKeys: String, CodingKey { case name, revisions, certification, signatures, emptySignatureFields, dss }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(revisions, forKey: .revisions)
        try c.encode(certification, forKey: .certification)
        try c.encode(signatures, forKey: .signatures)
        try c.encode(emptySignatureFields, forKey: .emptySignatureFields)
        try c.encode(dss, forKey: .dss)
    }
}

extension ReportPDFSignature {
    enum CodingKeys: String, CodingKey {
        case field, kind, signature, subFilter, revision, changedAfter, changes, changesAllowed, signingTime, reason, location, timestamp
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(field, forKey: .field)
        try c.encode(kind, forKey: .kind)
        try c.encode(signature, forKey: .signature)
        try c.encode(subFilter, forKey: .subFilter)
        try c.encode(revision, forKey: .revision)
        try c.encode(changedAfter, forKey: .changedAfter)
        try c.encode(changes, forKey: .changes)
        try c.encode(changesAllowed, forKey: .changesAllowed)
        try c.encode(signingTime, forKey: .signingTime)
        try c.encode(reason, forKey: .reason)
        try c.encode(location, forKey: .location)
        try c.encode(timestamp, forKey: .timestamp)
    }
}
