import EvidenceModel
import Foundation
import PolicyEngine

/// The «отметка об электронной подписи» (ГОСТ Р 7.0.97-2016, 5.23) of each signature in a report, worded in the
/// report's language: the phrase, the certificate's serial, its owner, its validity, and the verification verdict
/// with its time (Moscow time).
public enum SignatureMarks {
    /// One mark: its title and its lines.
    public struct Mark: Sendable, Equatable {
        public var title: String
        public var lines: [String]
    }

    public static func marks(for report: Report, language: Language) -> [Mark] {
        let catalogue = Catalogue.report(language)
        return report.signatures.map { signature in
            var lines: [String] = []
            if let signer = signature.signer {
                lines.append(catalogue.text("stamp.certificate", ["serial": signer.serial.uppercased()]))
                lines.append(catalogue.text("stamp.owner", ["owner": signer.name]))
                lines.append(catalogue.text("stamp.validity", ["from": MoscowTime.day(signer.notBefore), "to": MoscowTime.day(signer.notAfter)]))
            }
            lines.append(catalogue.text("stamp.verdict", [
                "verdict": catalogue.text(.indication(signature.indication)), "time": MoscowTime.minute(report.validationTime),
            ]))
            return Mark(title: catalogue.text("stamp.title"), lines: lines)
        }
    }
}

