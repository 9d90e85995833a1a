import Foundation
import SigningCore

/// Writes a list of accredited CAs in the shape of the Минцифры `TSL.xml` (root `АккредитованныеУдостоверяющиеЦентры`
/// with `Версия` and `Дата`; per CA its names, address, software and hardware complexes with the authorised persons'
/// keys and certificates, ИНН, ОГРН, registry number, the current status and the status history — which, as in the
/// published list, repeats the current status). The demo and the tests make their lists with it; `trust import-ru`
/// reads them as it reads the real one.
public enum AccreditedListWriter {
    public struct Authority: Sendable {
        public var name: String
        public var shortName: String
        public var inn: String
        public var ogrn: String
        public var registryNumber: String
        /// Status points, oldest first: (`YYYY-MM-DD`, «Действует» / «Прекращена» / «Аннулирована»). The last one is
        /// the current status; the history holds them all, as the real list does.
        public var statuses: [(day: String, status: String)]
        public var certificates: [X509Certificate]
        public var crlURL: String
        public init(name: String, shortName: String, inn: String, ogrn: String, registryNumber: String,
                    statuses: [(day: String, status: String)], certificates: [X509Certificate], crlURL: String) {
            self.name = name
            self.shortName = shortName
            self.inn = inn
            self.ogrn = ogrn
            self.registryNumber = registryNumber
            self.statuses = statuses
            self.certificates = certificates
            self.crlURL = crlURL
        }
    }

    public static func xml(_ authorities: [Authority], version: Int, date: Date) -> [UInt8] {
        func day(_ text: String) -> String { "\(text)T00:00:00+03:00" }
        func time(_ date: Date) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(secondsFromGMT: 3 * 3600)
            return formatter.string(from: date)
        }
        func status(_ point: (day: String, status: String)) -> String {
            "<СтатусАккредитации><Статус>\(escape(point.status))</Статус><ДействуетС>\(day(point.day))</ДействуетС></СтатусАккредитации>"
        }
        var out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        out += "<АккредитованныеУдостоверяющиеЦентры xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
        out += "  <Версия>\(version)</Версия>\n  <Дата>\(time(date))</Дата>\n"
        for authority in authorities {
            out += "  <УдостоверяющийЦентр>\n"
            out += "    <Название>\(escape(authority.name))</Название>\n"
            out += "    <ЭлектроннаяПочта>ca@example.invalid</ЭлектроннаяПочта>\n"
            out += "    <КраткоеНазвание>\(escape(authority.shortName))</КраткоеНазвание>\n"
            out += "    <АдресСИнформациейПоУЦ>https://example.invalid/ca</АдресСИнформациейПоУЦ>\n"
            out += "    <Адрес><Страна>RU</Страна><Регион><Код>77</Код><Название>г. Москва</Название></Регион>"
                + "<Индекс>101000</Индекс><УлицаДом>ул. Примерная, д. 1</УлицаДом><Город>Москва</Город></Адрес>\n"
            out += "    <ПрограммноАппаратныеКомплексы>\n      <ПрограммноАппаратныйКомплекс>\n"
            out += "        <Псевдоним>\(escape(authority.shortName))</Псевдоним><КлассСредствЭП>КС1, КС2</КлассСредствЭП>\n"
            out += "        <Адрес><Страна>RU</Страна><Индекс>101000</Индекс><УлицаДом>ул. Примерная, д. 1</УлицаДом><Город>Москва</Город></Адрес>\n"
            out += "        <СредстваУЦ>ПАК «Демо УЦ»</СредстваУЦ>\n        <КлючиУполномоченныхЛиц>\n"
            for certificate in authority.certificates {
                let info = certificate.info()
                let formatter = ISO8601DateFormatter()
                out += "          <Ключ>\n            <ИдентификаторКлюча>\(info.subjectKeyIdentifier ?? "")</ИдентификаторКлюча>\n"
                out += "            <АдресаСписковОтзыва><Адрес>\(escape(authority.crlURL))</Адрес></АдресаСписковОтзыва>\n"
                out += "            <Сертификаты><ДанныеСертификата>"
                    + "<Отпечаток>\(info.sha256.uppercased())</Отпечаток><КемВыдан>\(escape(info.issuer))</КемВыдан>"
                    + "<КомуВыдан>\(escape(info.subject))</КомуВыдан><СерийныйНомер>\(info.serial)</СерийныйНомер>"
                    + "<ПериодДействияС>\(formatter.string(from: info.notBefore))</ПериодДействияС>"
                    + "<ПериодДействияДо>\(formatter.string(from: info.notAfter))</ПериодДействияДо>"
                    + "<Данные>\(info.der)</Данные></ДанныеСертификата></Сертификаты>\n          </Ключ>\n"
            }
            out += "        </КлючиУполномоченныхЛиц>\n      </ПрограммноАппаратныйКомплекс>\n    </ПрограммноАппаратныеКомплексы>\n"
            out += "    <ИНН>\(authority.inn)</ИНН>\n    <ОГРН>\(authority.ogrn)</ОГРН>\n"
            out += "    <РеестровыйНомер>\(escape(authority.registryNumber))</РеестровыйНомер>\n"
            if let current = authority.statuses.last { out += "    " + status(current) + "\n" }
            out += "    <ИсторияСтатусовАккредитации>" + authority.statuses.map(status).joined() + "</ИсторияСтатусовАккредитации>\n"
            out += "  </УдостоверяющийЦентр>\n"
        }
        out += "</АккредитованныеУдостоверяющиеЦентры>\n"
        return Array(out.utf8)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
