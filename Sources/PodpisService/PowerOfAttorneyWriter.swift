import Foundation

/// Writes a machine-readable power of attorney in the ФНС format EMCHD_1 (schema `ON_EMCHD_1_928_00_01_01_01`):
/// a power of attorney of a Russian organisation (`Довер`) or a re-delegation of one (`Передов`), with the elements
/// in the schema's order. The demo and the tests use it; the tests validate what it writes against the ФНС schema.
///
/// It writes what the checks and a reader need (numbers, dates, the parties with СНИЛС and ИНН, the powers with their
/// codes), the schema's required attributes, and nothing more.
public enum PowerOfAttorneyWriter {
    public struct Person: Sendable {
        public var surname: String
        public var givenName: String
        public var patronymic: String?
        /// ИНН ФЛ (12 digits) and СНИЛС (11 digits, written `123-456-789 01`).
        public var inn: String
        public var snils: String
        public var position: String?
        public init(surname: String, givenName: String, patronymic: String? = nil, inn: String, snils: String, position: String? = nil) {
            self.surname = surname
            self.givenName = givenName
            self.patronymic = patronymic
            self.inn = inn
            self.snils = snils
            self.position = position
        }
    }

    public struct Organisation: Sendable {
        public var name: String
        public var innLE: String
        public var kpp: String
        public var ogrn: String
        /// Two-digit region code and the address in words.
        public var region: String
        public var address: String
        public init(name: String, innLE: String, kpp: String, ogrn: String, region: String, address: String) {
            self.name = name
            self.innLE = innLE
            self.kpp = kpp
            self.ogrn = ogrn
            self.region = region
            self.address = address
        }
    }

    public struct Power: Sendable {
        public var code: String
        public var name: String
        public init(code: String, name: String) {
            self.code = code
            self.name = name
        }
    }

    /// `ПрПередов`: whether the representative may re-delegate.
    public enum Redelegation: String, Sendable {
        case forbidden = "1", once = "2", repeated = "3"
    }

    /// The power of attorney a re-delegation derives from.
    public struct Parent: Sendable {
        /// The first power of attorney of the chain (`НомДоверПерв`) and its dates.
        public var originalNumber: String
        public var originalIssued: String
        public var originalUntil: String
        /// The immediate parent when it is itself a re-delegation (`НомДоверN` and its dates in `СвПередов`).
        public var parentNumber: String?
        public var parentIssued: String?
        public var parentUntil: String?
        public init(originalNumber: String, originalIssued: String, originalUntil: String, parentNumber: String? = nil,
                    parentIssued: String? = nil, parentUntil: String? = nil) {
            self.originalNumber = originalNumber
            self.originalIssued = originalIssued
            self.originalUntil = originalUntil
            self.parentNumber = parentNumber
            self.parentIssued = parentIssued
            self.parentUntil = parentUntil
        }
    }

    public struct Draft: Sendable {
        /// `НомДовер`: a UUID (the schema's pattern), and the principal's own number for it.
        public var number: String
        public var internalNumber: String
        /// `YYYY-MM-DD` (Moscow days).
        public var issued: String
        public var validUntil: String
        public var redelegation: Redelegation
        public var principal: Organisation
        /// The person acting for the organisation without a power of attorney (the head), who signs it; for a
        /// re-delegation, the person who passes the powers on.
        public var signer: Person
        public var representative: Person
        public var powers: [Power]
        public var powersText: String?
        /// `ПрУтрПолн`: the representative loses the powers when re-delegating them (`true`) or keeps them.
        public var powersLostOnRedelegation: Bool?
        /// Set for a re-delegation (`Передов`).
        public var parent: Parent?

        public init(number: String, internalNumber: String, issued: String, validUntil: String, redelegation: Redelegation,
                    principal: Organisation, signer: Person, representative: Person, powers: [Power], powersText: String? = nil,
                    powersLostOnRedelegation: Bool? = nil, parent: Parent? = nil) {
            self.number = number
            self.internalNumber = internalNumber
            self.issued = issued
            self.validUntil = validUntil
            self.redelegation = redelegation
            self.principal = principal
            self.signer = signer
            self.representative = representative
            self.powers = powers
            self.powersText = powersText
            self.powersLostOnRedelegation = powersLostOnRedelegation
            self.parent = parent
        }
    }

    /// The XML (UTF-8).
    public static func xml(_ draft: Draft) -> [UInt8] {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let compact = draft.issued.replacingOccurrences(of: "-", with: "")
        out += "<Доверенность xmlns=\"urn://x-artefacts/EMCHD_1\" ВерсФорм=\"EMCHD_1\" ПрЭлФорм=\"00000000\" "
            + "ИдФайл=\"ON_EMCHD_\(compact)_\(escape(draft.number))\">\n"
        out += "  <Документ>\n"
        if let parent = draft.parent {
            out += "    <Передов ПрНалПередов=\"1\">\n"
            out += "      <СвПервДовер ПрДовер=\"1\" ФормДовер=\"1\" ДатаВыдДовер=\"\(parent.originalIssued)\" СрокДейст=\"\(parent.originalUntil)\""
                + " НомДоверПерв=\"\(escape(parent.originalNumber))\" НомДоверN=\"\(escape(parent.parentNumber ?? parent.originalNumber))\">\n"
            out += "        <СвДоверПерв ТипДоверит=\"1\">\n          <ДоверитПерв>\n"
            out += "            <РосОргДовер\(organisationAttributes(draft.principal))>\(address(draft.principal))</РосОргДовер>\n"
            out += "          </ДоверитПерв>\n        </СвДоверПерв>\n      </СвПервДовер>\n"
            if let number = parent.parentNumber, let issued = parent.parentIssued, let until = parent.parentUntil {
                out += "      <СвПередов ПрДовер=\"1\" ФормДовер=\"1\" ДатаВыдДовер=\"\(issued)\" СрокДейст=\"\(until)\""
                    + " НомДоверПерв=\"\(escape(parent.originalNumber))\" НомДоверN=\"\(escape(number))\"/>\n"
            }
            out += "      " + details("СвПереДовер", draft) + "\n"
            out += "      <СвПередПолн ТипПерПолн=\"3\">\n        <ПередПолн>\n"
            out += "          <ФЛПерПолн ИННФЛ=\"\(draft.signer.inn)\" СНИЛС=\"\(snils(draft.signer.snils))\">"
                + personDetails(draft.signer) + "</ФЛПерПолн>\n"
            out += "        </ПередПолн>\n      </СвПередПолн>\n"
            out += "      <СвПолучПолн ТипПред=\"3\">\n        <Пред>\n          " + individual("СведФизЛ", draft.representative) + "\n"
            out += "        </Пред>\n      </СвПолучПолн>\n"
            out += powers(draft)
            out += "    </Передов>\n"
        } else {
            out += "    <Довер>\n"
            out += "      " + details("СвДов", draft) + "\n"
            out += "      <СвДоверит ТипДоверит=\"1\">\n        <Доверит>\n"
            out += "          <РосОргДовер ЕИОУК=\"0\" ЕИОФЛ=\"1\" ЕИОИП=\"0\">\n"
            out += "            <СвРосОрг\(organisationAttributes(draft.principal))>\(address(draft.principal))</СвРосОрг>\n"
            out += "            <ЛицоБезДов ПолнЮЛ=\"1\">\n              " + individual("СвФЛ", draft.signer) + "\n            </ЛицоБезДов>\n"
            out += "          </РосОргДовер>\n        </Доверит>\n      </СвДоверит>\n"
            out += "      <СвУпПред ТипПред=\"3\">\n        <Пред>\n          " + individual("СведФизЛ", draft.representative) + "\n"
            out += "        </Пред>\n      </СвУпПред>\n"
            out += powers(draft)
            out += "    </Довер>\n"
        }
        out += "  </Документ>\n</Доверенность>\n"
        return Array(out.utf8)
    }

    static func details(_ tag: String, _ draft: Draft) -> String {
        "<\(tag) ВидДовер=\"1\" ПрПередов=\"\(draft.redelegation.rawValue)\" ВнНомДовер=\"\(escape(draft.internalNumber))\" "
            + "НомДовер=\"\(escape(draft.number))\" ДатаВыдДовер=\"\(draft.issued)\" СрокДейст=\"\(draft.validUntil)\">"
            + "<СведСист>https://m4d.nalog.gov.ru/emchd/check-status?guid=\(escape(draft.number))</СведСист></\(tag)>"
    }

    static func organisationAttributes(_ organisation: Organisation) -> String {
        " НаимОрг=\"\(escape(organisation.name))\" ИННЮЛ=\"\(organisation.innLE)\" КПП=\"\(organisation.kpp)\" ОГРН=\"\(organisation.ogrn)\""
    }

    static func address(_ organisation: Organisation) -> String {
        "<АдрРег Регион=\"\(organisation.region)\"><АдрРФ>\(escape(organisation.address))</АдрРФ></АдрРег>"
    }

    /// A person of type `СвФЛТип`: ИНН, СНИЛС and position as attributes, the name in `СведФЛ/ФИО`.
    static func individual(_ tag: String, _ person: Person) -> String {
        "<\(tag) ИННФЛ=\"\(person.inn)\" СНИЛС=\"\(snils(person.snils))\""
            + (person.position.map { " Должность=\"\(escape($0))\"" } ?? "") + ">" + personDetails(person) + "</\(tag)>"
    }

    static func personDetails(_ person: Person) -> String {
        "<СведФЛ><ФИО Фамилия=\"\(escape(person.surname))\" Имя=\"\(escape(person.givenName))\""
            + (person.patronymic.map { " Отчество=\"\(escape($0))\"" } ?? "") + "/></СведФЛ>"
    }

    static func powers(_ draft: Draft) -> String {
        var out = "      <СвПолн ТипПолн=\"\(draft.powers.isEmpty ? 0 : 1)\" ПрСовмПолн=\"1\""
        if let lost = draft.powersLostOnRedelegation { out += " ПрУтрПолн=\"\(lost ? 1 : 2)\"" }
        out += ">\n"
        if let text = draft.powersText { out += "        <ТекстПолн>\(escape(text))</ТекстПолн>\n" }
        for power in draft.powers {
            out += "        <МашПолн КодПолн=\"\(escape(power.code))\" НаимПолн=\"\(escape(power.name))\"/>\n"
        }
        return out + "      </СвПолн>\n"
    }

    /// `12345678901` → `123-456-789 01` (the schema's form).
    public static func snils(_ digits: String) -> String {
        let d = Array(digits.filter(\.isNumber))
        guard d.count == 11 else { return digits }
        return "\(String(d[0..<3]))-\(String(d[3..<6]))-\(String(d[6..<9])) \(String(d[9..<11]))"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
