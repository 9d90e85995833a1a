import Foundation

/// A small PDF writer for the tests, independent of podpis's own: documents made at test time (pages with text, an
/// optional form field, a cross-reference table or stream), and incremental updates appended by hand the way another
/// program would change a signed file.
enum TestPDF {
    /// Object numbers in a made document: 1 catalog, 2 page tree, 3 font, then per page its page and content objects,
    /// then the form field (when asked).
    static let catalog = 1
    static func page(_ index: Int) -> Int { 4 + index * 2 }
    static func content(_ index: Int) -> Int { 5 + index * 2 }
    static func field(pages: Int) -> Int { 4 + pages * 2 }

    static func make(pages: Int = 1, field: Bool = false, xrefStream: Bool = false, text: String = "Prikaz No 123") -> [UInt8] {
        let fieldNumber = Self.field(pages: pages)
        var objects: [Int: String] = [:]
        let acroForm = field ? " /AcroForm << /Fields [\(fieldNumber) 0 R] /DA (/Helv 0 Tf 0 g) >>" : ""
        objects[1] = "<< /Type /Catalog /Pages 2 0 R\(acroForm) >>"
        objects[2] = "<< /Type /Pages /Kids [\((0..<pages).map { "\(page($0)) 0 R" }.joined(separator: " "))] /Count \(pages) >>"
        objects[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
        for index in 0..<pages {
            let annots = field && index == 0 ? " /Annots [\(fieldNumber) 0 R]" : ""
            objects[page(index)] = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents \(content(index)) 0 R /Resources << /Font << /F1 3 0 R >> >>\(annots) >>"
            objects[content(index)] = stream("BT /F1 14 Tf 72 760 Td (\(text) - page \(index + 1)) Tj ET")
        }
        if field {
            objects[fieldNumber] = "<< /FT /Tx /T (Number) /V (1) /Type /Annot /Subtype /Widget /Rect [72 600 272 620] /F 4 /P \(page(0)) 0 R >>"
        }
        var out = Array("%PDF-1.7\n%\u{E2}\u{E3}\u{CF}\u{D3}\n".utf8)
        var offsets: [Int: Int] = [:]
        for number in objects.keys.sorted() {
            offsets[number] = out.count
            out += Array("\(number) 0 obj\n\(objects[number]!)\nendobj\n".utf8)
        }
        let size = (objects.keys.max() ?? 0) + 1
        let id = "<0123456789ABCDEF0123456789ABCDEF>"
        let start = out.count
        if xrefStream {
            var data: [UInt8] = [0, 0, 0, 0, 0, 0xFF, 0xFF]
            for number in 1..<size {
                let offset = offsets[number] ?? 0
                data += [offsets[number] == nil ? 0 : 1] + bigEndian(offset, 4) + [0, 0]
            }
            data += [1] + bigEndian(start, 4) + [0, 0]
            out += Array("\(size) 0 obj\n<< /Type /XRef /Size \(size + 1) /W [1 4 2] /Root 1 0 R /ID [\(id) \(id)] /Length \(data.count) >>\nstream\n".utf8)
            out += data
            out += Array("\nendstream\nendobj\nstartxref\n\(start)\n%%EOF\n".utf8)
        } else {
            out += Array("xref\n0 \(size)\n0000000000 65535 f\r\n".utf8)
            for number in 1..<size { out += Array(String(format: "%010d 00000 n\r\n", offsets[number] ?? 0).utf8) }
            out += Array("trailer\n<< /Size \(size) /Root 1 0 R /ID [\(id) \(id)] >>\nstartxref\n\(start)\n%%EOF\n".utf8)
        }
        return out
    }

    static func stream(_ content: String) -> String {
        "<< /Length \(content.utf8.count) >>\nstream\n\(content)\nendstream"
    }

    static func bigEndian(_ value: Int, _ width: Int) -> [UInt8] {
        (0..<width).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    /// The last `startxref` value and the largest `/Size` in the file (enough for files these tests make or sign).
    static func tail(_ pdf: [UInt8]) -> (startxref: Int, size: Int) {
        let text = String(decoding: pdf, as: UTF8.self)
        let startxref = text.components(separatedBy: "startxref").last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").first ?? "") } ?? 0
        var size = 0
        var rest = text[...]
        while let range = rest.range(of: "/Size ") {
            let digits = rest[range.upperBound...].prefix { $0.isNumber }
            size = max(size, Int(digits) ?? 0)
            rest = rest[range.upperBound...]
        }
        return (startxref, size)
    }

    /// Appends an incremental update (a cross-reference table whose /Prev is the last section) that defines
    /// `objects` (number → the text between `obj` and `endobj`).
    static func appendUpdate(_ pdf: [UInt8], objects: [Int: String]) -> [UInt8] {
        let (prev, size) = tail(pdf)
        var out = pdf
        if out.last != 0x0A { out.append(0x0A) }
        var offsets: [Int: Int] = [:]
        for number in objects.keys.sorted() {
            offsets[number] = out.count
            out += Array("\(number) 0 obj\n\(objects[number]!)\nendobj\n".utf8)
        }
        let start = out.count
        out += Array("xref\n".utf8)
        for number in offsets.keys.sorted() {
            out += Array("\(number) 1\n".utf8) + Array(String(format: "%010d 00000 n\r\n", offsets[number]!).utf8)
        }
        let newSize = max(size, (objects.keys.max() ?? 0) + 1)
        out += Array("trailer\n<< /Size \(newSize) /Root 1 0 R /Prev \(prev) >>\nstartxref\n\(start)\n%%EOF\n".utf8)
        return out
    }

    /// The text of object `number` as last written in the file (`N 0 obj … endobj`), for tests that change it.
    static func object(_ number: Int, in pdf: [UInt8]) -> String? {
        let text = String(decoding: pdf, as: UTF8.self)
        guard let range = text.range(of: "\n\(number) 0 obj\n", options: .backwards),
              let end = text.range(of: "\nendobj", range: range.upperBound..<text.endIndex) else { return nil }
        return String(text[range.upperBound..<end.lowerBound])
    }
}
