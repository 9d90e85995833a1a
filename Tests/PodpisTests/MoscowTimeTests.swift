import EvidenceModel
import Foundation
import Testing

/// The one Moscow-time formatter behind every text a person reads.
@Suite("Moscow time")
struct MoscowTimeTests {
    @Test("UTC+3 all year, the day turning at 21:00 UTC, each form as reports, the protocol and the stamp print it")
    func forms() throws {
        let noonUTC = try #require(ISO8601DateFormatter().date(from: "2026-11-25T12:00:00Z"))
        #expect(MoscowTime.format(noonUTC) == "2026-11-25 15:00:00")
        #expect(MoscowTime.text(noonUTC, russian: true) == "2026-11-25 15:00:00 МСК")
        #expect(MoscowTime.text(noonUTC, russian: false) == "2026-11-25 15:00:00 MSK")
        #expect(MoscowTime.isoDay(noonUTC) == "2026-11-25")
        #expect(MoscowTime.day(noonUTC) == "25.11.2026")
        #expect(MoscowTime.minute(noonUTC) == "25.11.2026 15:00 МСК")
        // Late evening in UTC is already the next day in Moscow; summer has no daylight saving.
        let lateUTC = try #require(ISO8601DateFormatter().date(from: "2026-12-31T21:00:00Z"))
        #expect(MoscowTime.format(lateUTC) == "2027-01-01 00:00:00")
        let summer = try #require(ISO8601DateFormatter().date(from: "2026-07-01T09:05:07Z"))
        #expect(MoscowTime.format(summer) == "2026-07-01 12:05:07")
        // Fractions of a second are cut, never rounded up into the next second.
        #expect(MoscowTime.format(noonUTC.addingTimeInterval(0.999)) == "2026-11-25 15:00:00")
    }
}
