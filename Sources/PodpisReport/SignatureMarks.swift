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
        let catalogue = Catalogue(language)
        return report.signatures.map { signature in
            var lines: [String] = []
            if let signer = signature.signer {
                lines.append(catalogue.text("stamp.certificate", ["serial": signer.serial.uppercased()]))
                lines.append(catalogue.text("stamp.owner", ["owner": signer.name]))
                lines.append(catalogue.text("stamp.validity", ["from": MoscowTime.day(signer.notBefore), "to": MoscowTime.day(signer.notAfter)]))
            }
            lines.append(catalogue.text("stamp.verdict", [
                "verdict": catalogue.text("indication.\(signature.indication.rawValue)"), "time": MoscowTime.minute(report.validationTime),
            ]))
            return Mark(title: catalogue.text("stamp.title"), lines: lines)
        }
    }
}

/// Dates as a person in Russia reads them: Moscow time (UTC+3, no daylight saving since 2014).
public enum MoscowTime {
    static let offset: TimeInterval = 3 * 3600

    static func parts(_ date: Date) -> (Int, Int, Int, Int, Int) {
        var seconds = time_t((date.timeIntervalSince1970 + offset).rounded(.down))
        var value = tm()
        gmtime_r(&seconds, &value)
        return (Int(value.tm_year) + 1900, Int(value.tm_mon) + 1, Int(value.tm_mday), Int(value.tm_hour), Int(value.tm_min))
    }

    /// `25.11.2026`.
    public static func day(_ date: Date) -> String {
        let (year, month, day, _, _) = parts(date)
        return String(format: "%02d.%02d.%04d", day, month, year)
    }

    /// `25.11.2026 15:00 МСК`.
    public static func minute(_ date: Date) -> String {
        let (year, month, day, hour, minute) = parts(date)
        return String(format: "%02d.%02d.%04d %02d:%02d МСК", day, month, year, hour, minute)
    }
}
