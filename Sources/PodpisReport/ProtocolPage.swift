import EvidenceModel
import Foundation
import PolicyEngine

/// What the templates see: plain strings, flags and lists, prepared from a report and its evidence.
/// Every string is data for `{{ }}` (escaped); the templates never insert anything unescaped.
struct ProtocolPage {
    /// Labels: the `report.*` catalogue keys without their prefix (`{{t.title}}`).
    let t: [String: String]
    let lang: String
    let hash: String
    let verdict: Verdict
    let document: DocumentBlock?
    let noDocument: Bool
    let signatureFile: [Row]
    let hasSignatureFile: Bool
    /// An ASiC container's files and which signatures cover each.
    let container: [Row]
    let hasContainer: Bool
    /// A signed PDF's revisions and what each signature covers.
    let pdf: [Row]
    let hasPDF: Bool
    /// The «отметка об электронной подписи» of each signature, for printing (ГОСТ Р 7.0.97-2016, 5.23).
    let marks: [SignatureMarks.Mark]
    let hasMarks: Bool
    let facts: [Row]
    let signatures: [SignatureBlock]
    let standaloneTimestamps: [TimestampRow]
    let hasStandaloneTimestamps: Bool
    let hasSignatures: Bool
    let documentChecks: [CheckRow]
    let hasDocumentChecks: Bool
    let formatError: String?

    struct Verdict {
        let css: String
        let symbol: String
        let headline: String
        let code: String
        /// What the sub-indication means, in words.
        let meaning: String?
        let reason: String?
        let conclusion: String?
        let basis: String?
    }

    struct Row {
        let label: String
        let value: String
        let mono: Bool
    }

    struct DocumentBlock {
        let rows: [Row]
    }

    struct CheckRow {
        let id: String
        let css: String
        let status: String
        let message: String
        let basis: String?
        let code: String?
    }

    struct SignatureBlock {
        let heading: String
        let css: String
        let symbol: String
        let verdict: String
        let code: String
        let meaning: String?
        let reason: String
        let conclusion: String
        let basis: String?
        let signer: [Row]
        let certificate: [Row]
        let hasCertificate: Bool
        let signature: [Row]
        let timeProven: Bool
        let timeNote: String
        let timestamps: [TimestampRow]
        let hasTimestamps: Bool
        /// Counter-signatures over this signature, each with its own verdict (they do not change this one's).
        let counterSignatures: [CounterSignatureRow]
        let hasCounterSignatures: Bool
        let checks: [CheckRow]
        let chain: ChainPicture
        let timeline: TimelinePicture?
    }

    struct TimestampRow {
        let type: String
        let time: String
        let tsa: String
        let css: String
        let result: String

        init(_ stamp: TimestampSummary, text: Labels) {
            let passed = stamp.indication == .passed
            type = text[.reportTimestampType(stamp.type)]
            time = DateText.full(stamp.genTime)
            tsa = stamp.tsa ?? "—"
            css = passed ? "passed" : "failed"
            result = passed ? text["ts-valid"] : text["ts-invalid"] + (stamp.subIndication.map { " (\($0.rawValue))" } ?? "")
        }
    }

    struct CounterSignatureRow {
        let signer: String
        let time: String
        let css: String
        let verdict: String
        let code: String
        let reason: String
    }

    init(report: Report, evidence: Evidence?, hash: String) {
        let language = Language(parsing: report.lang)
        let catalogue = Catalogue.report(language)
        let text = Labels(catalogue: catalogue)
        self.t = text.all
        self.lang = language.rawValue
        self.hash = hash

        let reason = report.signatures.first { $0.indication == report.indication && $0.indication != .totalPassed }?.reason
            ?? report.documentChecks.first { $0.status == .failed }?.message
            ?? report.formatError.map { text["format-error"] + ": " + $0 }
            ?? report.signatures.first?.reason
        let single = report.signatures.count <= 1
        // The banner cites the legal conclusion when there is one for the whole document: one signature, or several
        // that the policy concluded alike. Otherwise each signature's block carries its own.
        let legal = Set(report.signatures.map(\.legal.conclusion)).count == 1 ? report.signatures.first?.legal : nil
        self.verdict = Verdict(
            css: Self.css(report.indication), symbol: Self.symbol(report.indication),
            headline: text[.reportVerdict(report.indication, many: !single)],
            code: Self.code(report.indication, report.subIndication),
            meaning: report.subIndication.map { text[.reportMeaning($0)] }, reason: reason,
            conclusion: legal?.conclusion, basis: legal?.basis)

        if let document = report.document {
            var rows: [Row] = []
            if let name = document.name { rows.append(Row(label: text["document-name"], value: name, mono: false)) }
            if let size = document.size {
                rows.append(Row(label: text["document-size"], value: catalogue.text("report.bytes", ["size": "\(size)"]), mono: false))
            }
            rows.append(Row(label: text["document-source"], value: text[.reportSource(document.source)], mono: false))
            for (algorithm, digest) in document.digests.sorted(by: { $0.key < $1.key }) {
                rows.append(Row(label: catalogue.text("report.digest", ["algorithm": algorithm]), value: digest, mono: true))
            }
            self.document = DocumentBlock(rows: rows)
        } else {
            self.document = nil
        }
        self.noDocument = report.document == nil

        var fileRows: [Row] = []
        if let file = evidence?.signatureFile {
            if let name = file.name { fileRows.append(Row(label: text["document-name"], value: name, mono: false)) }
            fileRows.append(Row(label: text["document-size"], value: catalogue.text("report.bytes", ["size": "\(file.size)"]), mono: false))
            fileRows.append(Row(label: catalogue.text("report.digest", ["algorithm": "sha256"]), value: file.sha256, mono: true))
        }
        self.signatureFile = fileRows
        self.hasSignatureFile = !fileRows.isEmpty

        var containerRows: [Row] = []
        if let container = report.container {
            containerRows.append(Row(label: text["container-file"], value: "\(container.name ?? "") (\(container.type))", mono: false))
            for file in container.files {
                let by = container.signatures.filter { $0.covers.contains(file) }.flatMap(\.signatures)
                let status = !by.isEmpty ? catalogue.text("report.container-signed-by", ["signatures": by.joined(separator: ", ")])
                    : container.uncovered.contains(file) ? text["container-unsigned"] : text["container-mismatch"]
                containerRows.append(Row(label: file, value: status, mono: false))
            }
        }
        self.container = containerRows
        self.hasContainer = !containerRows.isEmpty
        var pdfRows: [Row] = []
        if let pdf = report.pdf {
            pdfRows.append(Row(label: text["pdf-file"], value: catalogue.text("pdf.heading", ["name": pdf.name ?? "", "revisions": "\(pdf.revisions)"])
                + (pdf.certification.map { ", " + catalogue.text("pdf.certified", ["permission": "P=\($0)"]) } ?? ""), mono: false))
            for signature in pdf.signatures {
                var value: String
                if let revision = signature.revision {
                    value = catalogue.text("pdf.covers", ["id": signature.signature ?? "—", "field": signature.field,
                                                          "revision": "\(revision)", "revisions": "\(pdf.revisions)"])
                    value += ", " + catalogue.text(signature.changedAfter ? "pdf.changed-after" : "pdf.unchanged-after")
                    if !signature.changes.isEmpty { value += ": " + signature.changes.joined(separator: "; ") }
                } else {
                    value = catalogue.text("pdf.covers-unknown", ["id": signature.signature ?? "—", "field": signature.field])
                }
                if let stamp = signature.timestamp {
                    value = catalogue.text("pdf.document-timestamp", ["field": signature.field, "revision": signature.revision.map(String.init) ?? "?",
                                                                      "time": MoscowTime.minute(stamp.genTime), "verdict": stamp.indication.rawValue])
                }
                pdfRows.append(Row(label: signature.field, value: value, mono: false))
            }
        }
        self.pdf = pdfRows
        self.hasPDF = !pdfRows.isEmpty
        self.marks = SignatureMarks.marks(for: report, language: catalogue.language)
        self.hasMarks = !marks.isEmpty

        var facts = [
            Row(label: text["policy"], value: "\(report.policy.title) (\(report.policy.id), \(catalogue.text("report.policy-version", ["version": report.policy.version])))", mono: false),
            Row(label: text["validation-time"], value: DateText.full(report.validationTime), mono: false),
        ]
        if let gathered = evidence?.gatheredAt {
            facts.append(Row(label: text["gathered-at"], value: DateText.full(gathered), mono: false))
        }
        facts.append(Row(label: text["producer"], value: report.producer, mono: false))
        self.facts = facts

        let count = report.signatures.count
        self.signatures = report.signatures.enumerated().map { index, signature in
            SignatureBlock(
                signature, number: index + 1, count: count, evidence: evidence,
                signer: evidence?.signers.first { $0.id == signature.id }, validationTime: report.validationTime,
                catalogue: catalogue, text: text)
        }
        self.hasSignatures = !report.signatures.isEmpty
        // A bare RFC 3161 token: no signature, its timestamp reported on its own.
        self.standaloneTimestamps = (report.timestamps ?? []).map { ProtocolPage.TimestampRow($0, text: text) }
        self.hasStandaloneTimestamps = !standaloneTimestamps.isEmpty
        self.documentChecks = report.documentChecks.map { CheckRow($0, text: text) }
        self.hasDocumentChecks = !report.documentChecks.isEmpty
        self.formatError = report.formatError
    }

    static func css(_ indication: Indication) -> String {
        switch indication {
        case .totalPassed: "valid"
        case .totalFailed: "invalid"
        case .indeterminate: "indeterminate"
        }
    }

    static func symbol(_ indication: Indication) -> String {
        switch indication {
        case .totalPassed: "✓"
        case .totalFailed: "✗"
        case .indeterminate: "?"
        }
    }

    static func code(_ indication: Indication, _ sub: SubIndication?) -> String {
        sub.map { "\(indication.rawValue) / \($0.rawValue)" } ?? indication.rawValue
    }
}

/// The `report.*` labels of one language.
struct Labels {
    let catalogue: Catalogue
    let all: [String: String]

    init(catalogue: Catalogue) {
        self.catalogue = catalogue
        var labels: [String: String] = [:]
        for key in ReportTexts.entries(catalogue.language).keys where key.hasPrefix("report.") {
            labels[String(key.dropFirst("report.".count))] = catalogue.text(MessageKey(key))
        }
        self.all = labels
    }

    subscript(_ name: String) -> String { all[name] ?? catalogue.text(.reportLabel(name)) }

    /// A label made from a value (`.reportVerdict(.totalPassed)`).
    subscript(_ key: MessageKey) -> String { catalogue.text(key) }
}

/// The protocol's labels made from a value, one typed function per family (as the engine's `MessageKeys.swift`), so
/// that no label is spelled by concatenation where it is used.
extension MessageKey {
    /// `report.signer`, …: a label of the protocol, by the name its template uses.
    static func reportLabel(_ name: String) -> MessageKey { MessageKey("report." + name) }

    /// `report.verdict-TOTAL-PASSED`, …: the headline for an indication; `report.verdict-many-…` when several
    /// signatures share it.
    static func reportVerdict(_ indication: Indication, many: Bool = false) -> MessageKey {
        reportLabel((many ? "verdict-many-" : "verdict-") + indication.rawValue)
    }

    /// `report.sub-HASH_FAILURE`, …: what a sub-indication means.
    static func reportMeaning(_ sub: SubIndication) -> MessageKey { reportLabel("sub-" + sub.rawValue) }

    /// `report.status-passed`, …: a check's status.
    static func reportStatus(_ status: CheckResult.Status) -> MessageKey { reportLabel("status-" + status.rawValue) }

    /// `report.ts-type-archive`, …: a timestamp's kind.
    static func reportTimestampType(_ type: TimestampType) -> MessageKey { reportLabel("ts-type-" + type.rawValue) }

    /// `report.source-detached`, …: where the verified document came from.
    static func reportSource(_ source: String) -> MessageKey { reportLabel("source-" + source) }

    /// The families the functions above make from values the code enumerates (for the two-way catalogue test); a
    /// timestamp's kind and a document's source come from evidence as text.
    package static var reportFamilies: [String: [MessageKey]] {
        [
            "report.verdict-": Indication.allCases.flatMap { [reportVerdict($0), reportVerdict($0, many: true)] },
            "report.sub-": SubIndication.allCases.map(reportMeaning),
            "report.status-": [CheckResult.Status.passed, .failed, .warning, .info, .skipped].map(reportStatus),
        ]
    }
}

/// Dates as the protocol prints them: Moscow time (МСК, UTC+3), `2026-11-25 15:00:00 МСК`, and Moscow days
/// `2026-11-25`. The zone's name is a marker until the page is rendered in its language.
enum DateText {
    static let moscowMarker = MessageTemplate.moscowMarker

    static func full(_ date: Date) -> String { MoscowTime.format(date) + moscowMarker }

    static func day(_ date: Date) -> String { MoscowTime.isoDay(date) }
}

extension ProtocolPage.CheckRow {
    init(_ check: CheckResult, text: Labels) {
        self.init(
            id: check.name ?? check.id, css: check.status.rawValue, status: text[.reportStatus(check.status)], message: check.message,
            basis: check.basis, code: check.subIndication?.rawValue)
    }
}

extension ProtocolPage.SignatureBlock {
    init(
        _ signature: SignatureReport, number: Int, count: Int, evidence: Evidence?, signer evidenceSigner: SignerEvidence?,
        validationTime: Date, catalogue: Catalogue, text: Labels
    ) {
        typealias Row = ProtocolPage.Row
        heading = catalogue.text("report.signature-heading", ["number": "\(number)", "count": "\(count)"])
        css = ProtocolPage.css(signature.indication)
        symbol = ProtocolPage.symbol(signature.indication)
        verdict = text[.reportVerdict(signature.indication)]
        code = ProtocolPage.code(signature.indication, signature.subIndication)
        meaning = signature.subIndication.map { text[.reportMeaning($0)] }
        reason = signature.reason
        conclusion = signature.legal.conclusion
        basis = signature.legal.basis

        let certificate = evidenceSigner?.signerCertificate.flatMap { evidence?.certificates[$0] }
        var signerRows: [Row] = []
        var certificateRows: [Row] = []
        if let summary = signature.signer {
            signerRows.append(Row(label: text["signer-name"], value: summary.name, mono: false))
            let optional: [(String, String?)] = [
                ("position", summary.title), ("organization", summary.organization), ("inn", summary.inn),
                ("snils", summary.snils), ("ogrn", summary.ogrn), ("inn-le", summary.innLE),
                ("ogrnip", certificate?.attribute(OID.ogrnip)), ("email", certificate?.attribute(OID.email)),
            ]
            for (label, value) in optional {
                if let value, !value.isEmpty { signerRows.append(Row(label: text[label], value: value, mono: false)) }
            }
            certificateRows = [
                Row(label: text["subject"], value: summary.subject, mono: false),
                Row(label: text["issuer"], value: summary.issuer, mono: false),
                Row(label: text["serial"], value: summary.serial, mono: true),
                Row(label: text["cert-validity"], value: catalogue.text("report.period", ["from": DateText.full(summary.notBefore), "until": DateText.full(summary.notAfter)]), mono: false),
                Row(label: text["cert-fingerprint"], value: summary.certificateSHA256, mono: true),
            ]
        } else {
            signerRows.append(Row(label: text["signer-name"], value: text["unknown-signer"], mono: false))
        }
        signer = signerRows
        self.certificate = certificateRows
        hasCertificate = !certificateRows.isEmpty

        var algorithms = catalogue.text("report.algorithms-value", ["digest": signature.algorithms.digest, "signature": signature.algorithms.signature])
        if let bits = signature.algorithms.keyBits { algorithms += ", " + catalogue.text("report.key-bits", ["bits": "\(bits)"]) }
        var signatureRows = [
            Row(label: text["level"], value: signature.format + (signature.profile.map { " (\(text["profile"]): \($0))" } ?? ""), mono: false),
            Row(label: text["algorithms"], value: algorithms, mono: false),
            Row(label: text["claimed-time"], value: signature.claimedSigningTime.map(DateText.full) ?? text["not-stated"], mono: false),
        ]
        let validStamps = signature.timestamps.filter { $0.indication == .passed }
        timeProven = !validStamps.isEmpty
        signatureRows.append(Row(label: text[timeProven ? "best-time-proven" : "best-time"], value: DateText.full(signature.bestSignatureTime), mono: false))
        self.signature = signatureRows
        timeNote = text[timeProven ? "time-proven" : "time-not-proven"]
        timestamps = signature.timestamps.map { ProtocolPage.TimestampRow($0, text: text) }
        hasTimestamps = !timestamps.isEmpty
        counterSignatures = (signature.counterSignatures ?? []).map { counter in
            ProtocolPage.CounterSignatureRow(
                signer: counter.signer?.name ?? text["unknown-signer"],
                time: DateText.full(counter.claimedSigningTime ?? counter.bestSignatureTime),
                css: counter.indication == .totalPassed ? "passed" : counter.indication == .totalFailed ? "failed" : "warning",
                verdict: text[.reportVerdict(counter.indication)],
                code: ProtocolPage.code(counter.indication, counter.subIndication), reason: counter.reason)
        }
        hasCounterSignatures = !counterSignatures.isEmpty
        checks = signature.checks.map { ProtocolPage.CheckRow($0, text: text) }
        chain = ChainPicture(signature: signature, signer: evidenceSigner, evidence: evidence, text: text)
        timeline = TimelinePicture(signature: signature, signer: evidenceSigner, evidence: evidence, validationTime: validationTime, text: text)
    }
}
