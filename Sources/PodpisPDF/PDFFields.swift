import Foundation

/// A form field found in the AcroForm field tree.
struct PDFField {
    /// The full name (`parent.child`).
    let name: String
    /// `/FT`, inherited from ancestors when the field does not say.
    let type: String?
    let object: PDFObject
    /// The widget annotations of the field (the field itself when field and widget are merged).
    let widgets: [PDFObject]

    var isSignature: Bool { type == "/Sig" }
}

/// Reads the interactive form (ISO 32000-1, 12.7): the field tree with inherited field types and full names,
/// bounded and safe against loops (a field reached twice is visited once).
enum PDFFieldTree {
    static let maxFields = 20_000
    static let maxDepth = 32

    static func fields(in document: QPDFDocument) throws -> [PDFField] {
        let root = try document.root()
        guard let form = try root.get("/AcroForm"), form.isDictionary, let top = try form.get("/Fields"), top.isArray else { return [] }
        var result: [PDFField] = []
        var seen = Set<String>()
        func visit(_ field: PDFObject, parentName: String?, inheritedType: String?, depth: Int) throws {
            guard depth < maxDepth, result.count < maxFields, field.isDictionary else { return }
            if let reference = field.referenceText, !seen.insert(reference).inserted { return }
            let partial = try field.get("/T")?.text
            let name: String
            if let partial { name = parentName.map { "\($0).\(partial)" } ?? partial } else { name = parentName ?? "" }
            let type = try field.get("/FT")?.name ?? inheritedType
            let kids = try field.get("/Kids")?.items(limit: maxFields) ?? []
            // Kids with a /T are fields; kids without one are this field's widgets.
            var childFields: [PDFObject] = []
            var widgets: [PDFObject] = []
            for kid in kids where kid.isDictionary {
                if try kid.get("/T") != nil { childFields.append(kid) } else { widgets.append(kid) }
            }
            if childFields.isEmpty {
                if try field.get("/Subtype")?.name == "/Widget" { widgets.insert(field, at: 0) }
                result.append(PDFField(name: name, type: type, object: field, widgets: widgets))
            }
            for child in childFields {
                try visit(child, parentName: name.isEmpty ? nil : name, inheritedType: type, depth: depth + 1)
            }
        }
        for field in try top.items(limit: maxFields) {
            try visit(field, parentName: nil, inheritedType: nil, depth: 0)
        }
        return result
    }
}

/// PDF dates (ISO 32000-1, 7.9.4): `D:YYYYMMDDHHmmSSOHH'mm'`, every part after the year optional.
enum PDFDate {
    static func parse(_ text: String) -> Date? {
        var characters = Array(text.utf8)
        if characters.starts(with: Array("D:".utf8)) { characters.removeFirst(2) }
        var index = 0
        func number(_ width: Int, default value: Int) -> Int? {
            guard index < characters.count else { return value }
            guard index + width <= characters.count else { return nil }
            var result = 0
            for offset in 0..<width {
                let byte = characters[index + offset]
                guard byte >= 0x30, byte <= 0x39 else { return offset == 0 ? value : nil }
                result = result * 10 + Int(byte - 0x30)
            }
            index += width
            return result
        }
        guard let year = number(4, default: -1), year > 0, let month = number(2, default: 1), let day = number(2, default: 1),
              let hour = number(2, default: 0), let minute = number(2, default: 0), let second = number(2, default: 0)
        else { return nil }
        var offset = 0
        if index < characters.count {
            let sign = characters[index]
            index += 1
            if sign == 0x2B || sign == 0x2D {  // + or -
                let hours = number(2, default: 0) ?? 0
                if index < characters.count, characters[index] == 0x27 { index += 1 }  // '
                let minutes = number(2, default: 0) ?? 0
                offset = (hours * 60 + minutes) * 60 * (sign == 0x2D ? -1 : 1)
            }
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        components.hour = hour
        components.minute = minute
        components.second = min(second, 59)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        guard let utc = calendar.date(from: components) else { return nil }
        return utc.addingTimeInterval(TimeInterval(-offset))
    }

    /// `D:YYYYMMDDHHmmSS+00'00'` in UTC.
    static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "D:%04d%02d%02d%02d%02d%02d+00'00'", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}
