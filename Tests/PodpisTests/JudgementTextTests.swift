import EvidenceModel
import Foundation
@testable import PolicyEngine
import Testing

/// The judgement keeps rendered names for the process and finds the Moscow-time marker in a message's bytes instead
/// of asking Foundation; what a reader sees must stay exactly what the slow paths wrote.
@Suite("Judgement text fast paths")
struct JudgementTextTests {
    @Test("a name renders the same from the cache as without it, byte for byte, in both languages")
    func renderedNamesMatch() {
        let names = [
            "CN=Петров Сергей Иванович,SN=Петров,GN=Сергей Иванович,SNILS=12345678901,INN=770000000000,O=ООО \\\"Ромашка\\\",C=RU",
            "1.2.643.100.4=#120A37373030303030303030,CN=  spaced  ,O=a\\,b+OU=c",
            "CN=Caf\u{E9}", "CN=Cafe\u{301}",  // canonically equivalent, different bytes: each keeps its own
            "CN=\\ ,O=",
        ]
        for language in Language.allCases {
            for name in names {
                let first = SubjectText.render(name, language: language)
                let again = SubjectText.render(name, language: language)
                let uncached = SubjectText.uncachedRender(name, language: language)
                #expect(Array(first.utf8) == Array(uncached.utf8), "\(name)")
                #expect(Array(again.utf8) == Array(uncached.utf8), "\(name)")
            }
        }
        #expect(Array(SubjectText.render("CN=Cafe\u{301}", language: .en).utf8).suffix(3) == [0x65, 0xCC, 0x81])
        #expect(SubjectText.render("SNILS=12345678901", language: .ru) == "СНИЛС=123-456-789 01")
    }

    @Test("the zone marker becomes МСК / MSK as Foundation's replacement made it, and text without it is untouched")
    func zoneMarker() {
        let marker = Format.moscowMarker
        let texts = ["no time here", "подписано 01.02.2026 10:00:00\(marker), проверено", "\(marker)", "a\(marker)b\(marker)",
                     "combining after: x\(marker)\u{301} y", "", "ёжик \(marker)"]
        for language in Language.allCases {
            for text in texts {
                let expected = text.replacingOccurrences(of: marker, with: language == .ru ? " МСК" : " MSK")
                #expect(Array(MessageTemplate.zoneNamed(text, language: language).utf8) == Array(expected.utf8), "\(text)")
            }
        }
    }
}
