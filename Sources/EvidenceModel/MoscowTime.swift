import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Times as a person in Russia reads them: Moscow time (МСК, UTC+3, no daylight saving since 2014), the one
/// formatter every module uses for text a person reads (reports, the protocol, the printed stamp, CLI messages).
/// Machine fields stay in UTC. The zone's name («МСК» / «MSK») is added by the caller in its language.
public enum MoscowTime {
    public static let offset: TimeInterval = 3 * 3600

    /// The Moscow calendar fields of `date`.
    public struct Parts: Sendable, Equatable {
        public var year, month, day, hour, minute, second: Int
    }

    public static func parts(_ date: Date) -> Parts {
        var seconds = time_t((date.timeIntervalSince1970 + offset).rounded(.down))
        var value = tm()
        gmtime_r(&seconds, &value)
        return Parts(year: Int(value.tm_year) + 1900, month: Int(value.tm_mon) + 1, day: Int(value.tm_mday),
                     hour: Int(value.tm_hour), minute: Int(value.tm_min), second: Int(value.tm_sec))
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private static func four(_ value: Int) -> String { String(repeating: "0", count: max(0, 4 - String(value).count)) + String(value) }

    /// `2026-11-25 15:00:00`.
    public static func format(_ date: Date) -> String {
        let p = parts(date)
        return "\(four(p.year))-\(two(p.month))-\(two(p.day)) \(two(p.hour)):\(two(p.minute)):\(two(p.second))"
    }

    /// The Moscow calendar day, ISO 8601: `2026-11-25`.
    public static func isoDay(_ date: Date) -> String {
        let p = parts(date)
        return "\(four(p.year))-\(two(p.month))-\(two(p.day))"
    }

    /// The Moscow calendar day as Russian documents write it: `25.11.2026`.
    public static func day(_ date: Date) -> String {
        let p = parts(date)
        return "\(two(p.day)).\(two(p.month)).\(four(p.year))"
    }

    /// `25.11.2026 15:00 МСК` (the printed stamp's form).
    public static func minute(_ date: Date) -> String {
        let p = parts(date)
        return "\(two(p.day)).\(two(p.month)).\(four(p.year)) \(two(p.hour)):\(two(p.minute)) МСК"
    }

    /// `2026-11-25 15:00:00 МСК`, or `… MSK` in English.
    public static func text(_ date: Date, russian: Bool) -> String { format(date) + (russian ? " МСК" : " MSK") }
}
