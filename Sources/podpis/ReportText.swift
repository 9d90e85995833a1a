import EvidenceModel
import Foundation
import PodpisReport
import PolicyEngine

/// The human form of a report: one line per signature — a mark, the signer's name, the verdict, the reason.
enum ReportText {
    static func print(_ report: Report, signatureName: String, language: Language) {
        let catalogue = Catalogue.cli(language)
        if report.signatures.isEmpty, let timestamps = report.timestamps, !timestamps.isEmpty {
            // A bare timestamp token: its verdict line, then what it stamps.
            let mark = report.indication == .totalPassed ? "✓" : (report.indication == .totalFailed ? "✗" : "?")
            let code = report.subIndication.map { "\(report.indication.rawValue)/\($0.rawValue)" } ?? report.indication.rawValue
            for check in report.documentChecks where check.id == "timestamp" {
                Console.out("\(mark) \(signatureName): \(catalogue.text(.indication(report.indication))) (\(code)) — \(check.message)")
            }
            for check in report.documentChecks where check.id == "container" && check.status == .failed {
                Console.out("✗ \(check.message)")
            }
            for stamp in timestamps {
                Console.out("  \(stamp.imprintAlgorithm ?? "?") \(stamp.imprint ?? "")")
            }
            if let container = report.container { printContainer(container, report: report, catalogue: catalogue) }
            return
        }
        if report.signatures.isEmpty {
            let reason = report.documentChecks.first { $0.status == .failed }?.message ?? ""
            Console.out("✗ \(signatureName): \(catalogue.text(.indication(report.indication))) — \(reason)")
            return
        }
        for signature in report.signatures {
            let mark = signature.indication == .totalPassed ? "✓" : (signature.indication == .totalFailed ? "✗" : "?")
            let name = signature.signer?.name ?? catalogue.text("cli.unknown-signer")
            let verdict = catalogue.text(.indication(signature.indication))
            let code = signature.subIndication.map { "\(signature.indication.rawValue)/\($0.rawValue)" } ?? signature.indication.rawValue
            Console.out("\(mark) \(name): \(verdict) (\(code)) — \(signature.reason)")
            printCounterSignatures(signature.counterSignatures, depth: 1, catalogue: catalogue)
        }
        for check in report.documentChecks where check.status == .failed && report.signatures.allSatisfy({ $0.indication == .totalPassed }) {
            Console.out("✗ \(check.message)")
        }
        if let container = report.container {
            printContainer(container, report: report, catalogue: catalogue)
        }
        if let pdf = report.pdf {
            printPDF(pdf, catalogue: catalogue)
        }
        if let first = report.signatures.first, report.signatures.count == 1 || report.indication == .totalPassed {
            Console.out("  \(first.legal.conclusion)")
        }
    }

    /// Counter-signatures, indented under the signature they countersign, each with its own verdict.
    static func printCounterSignatures(_ counters: [SignatureReport]?, depth: Int, catalogue: Catalogue) {
        for counter in counters ?? [] {
            let mark = counter.indication == .totalPassed ? "✓" : (counter.indication == .totalFailed ? "✗" : "?")
            let name = counter.signer?.name ?? catalogue.text("cli.unknown-signer")
            let code = counter.subIndication.map { "\(counter.indication.rawValue)/\($0.rawValue)" } ?? counter.indication.rawValue
            let indent = String(repeating: "  ", count: depth)
            Console.out("\(indent)↳ \(catalogue.text("cli.counter-signature")) \(mark) \(name): \(catalogue.text(.indication(counter.indication))) (\(code)) — \(counter.reason)")
            printCounterSignatures(counter.counterSignatures, depth: depth + 1, catalogue: catalogue)
        }
    }

    /// Which files each signature of an ASiC container covers, and the container check when it failed.
    static func printContainer(_ container: ReportContainer, report: Report, catalogue: Catalogue) {
        Console.out("  " + catalogue.text("container.heading", ["type": container.type, "name": container.name ?? ""]))
        for signature in container.signatures {
            let ids = signature.signatures.isEmpty ? "—" : signature.signatures.joined(separator: ", ")
            let key: MessageKey = signature.covers.isEmpty ? "container.covers-nothing" : "container.covers"
            Console.out("  " + catalogue.text(key, ["signature": ids, "file": signature.file, "files": signature.covers.joined(separator: ", ")]))
        }
        // Printed above already when every signature passed.
        if !report.signatures.allSatisfy({ $0.indication == .totalPassed }),
           let check = report.documentChecks.first(where: { $0.id == "container" && $0.status == .failed }) {
            Console.out("✗ \(check.message)")
        }
    }

    /// The revision each signature of a PDF covers and whether the file changed after it; document timestamps.
    static func printPDF(_ pdf: ReportPDF, catalogue: Catalogue) {
        var heading = catalogue.text("pdf.heading", ["name": pdf.name ?? "", "revisions": "\(pdf.revisions)"])
        if let permission = pdf.certification { heading += ", " + catalogue.text("pdf.certified", ["permission": "P=\(permission)"]) }
        Console.out("  " + heading)
        for signature in pdf.signatures {
            if let stamp = signature.timestamp {
                Console.out("  " + catalogue.text("pdf.document-timestamp", [
                    "field": signature.field, "revision": signature.revision.map(String.init) ?? "?",
                    "time": MoscowTime.minute(stamp.genTime), "verdict": stamp.indication.rawValue,
                ]))
                continue
            }
            let id = signature.signature ?? "—"
            guard let revision = signature.revision else {
                Console.out("  " + catalogue.text("pdf.covers-unknown", ["id": id, "field": signature.field]))
                continue
            }
            var line = catalogue.text("pdf.covers", ["id": id, "field": signature.field, "revision": "\(revision)", "revisions": "\(pdf.revisions)"])
            line += ", " + catalogue.text(signature.changedAfter ? "pdf.changed-after" : "pdf.unchanged-after")
            if signature.changedAfter, !signature.changes.isEmpty { line += ": " + signature.changes.prefix(4).joined(separator: "; ") }
            Console.out("  " + line)
        }
        if !pdf.emptySignatureFields.isEmpty {
            Console.out("  " + catalogue.text("pdf.empty-fields", ["fields": pdf.emptySignatureFields.joined(separator: ", ")]))
        }
    }
}
