import Foundation
import SigningCore

/// One «отметка об электронной подписи» (ГОСТ Р 7.0.97-2016, 5.23): a title and its lines, already in the reader's
/// language (the caller words them from the verification report).
public struct StampMark: Sendable, Equatable {
    public var title: String
    public var lines: [String]

    public init(title: String, lines: [String]) {
        self.title = title
        self.lines = lines
    }
}

/// Puts signature marks on a page of a PDF for printing: each a bordered box drawn as a stamp annotation with its own
/// appearance (a form XObject), in a new incremental update, so the signed revisions stay byte-for-byte intact and
/// verifiable. The font (with Cyrillic) is embedded whole with a ToUnicode map, so the text prints everywhere and
/// can be copied.
public enum PDFStamping {
    public enum Placement: String, Sendable, CaseIterable {
        case lastPage = "last"
        case firstPage = "first"
    }

    static let fontSize = 8.5
    static let leading = 11.0
    static let padding = 7.0
    static let margin = 28.0
    static let gap = 6.0
    static let boxWidth = 250.0

    /// Stamps `marks` onto the last (or first) page. Throws a `dataFormat` PodpisError for an unreadable PDF and a
    /// `configuration` one when the font cannot be read.
    public static func stamp(pdf: [UInt8], name: String?, marks: [StampMark], placement: Placement = .lastPage,
                             fontPath: String? = nil) throws -> [UInt8] {
        let font: TrueTypeFont
        do {
            font = try TrueTypeFont(path: fontPath ?? TrueTypeFont.defaultPath)
        } catch {
            throw PodpisError(.configuration, .pdfNoFont, detail: "\(error)")
        }
        return try PDFSigning.wrap(name) {
            let opened = try PDFSigning.open(pdf, name: name)
            let document = opened.document
            let count = try document.pageCount()
            guard count > 0 else { throw PDFStructure.Failure("the document has no pages") }
            let page = try document.page(placement == .lastPage ? count - 1 : 0)
            guard let pageReference = page.reference else { throw PDFStructure.Failure("the page is not an indirect object") }
            let box = try visibleBox(of: page)
            var update = try PDFIncrementalUpdate(base: pdf, structure: opened.structure)

            let width = min(boxWidth, box[2] - box[0] - 2 * margin)
            let textWidth = width - 2 * padding
            var laidOut: [(lines: [String], height: Double)] = []
            var used = Set<UInt16>()
            for mark in marks {
                var lines = wrap(mark.title.uppercased(), width: textWidth, font: font)
                for line in mark.lines { lines += wrap(line, width: textWidth, font: font) }
                for line in lines { for scalar in line.unicodeScalars { used.insert(font.glyph(for: scalar)) } }
                laidOut.append((lines, 2 * padding + leading * Double(lines.count)))
            }
            let fontReference = try embed(font, glyphs: used, into: &update)
            var annotations = try page.get("/Annots")?.editable().array ?? []
            var y = box[1] + margin
            for (index, mark) in laidOut.enumerated() {
                let x = box[2] - margin - width
                let height = mark.height
                var content = "q 0.09 0.22 0.55 RG 0.9 w 1 1 \(number(width - 2)) \(number(height - 2)) re S "
                content += "0.4 w 3.5 3.5 \(number(width - 7)) \(number(height - 7)) re S Q\n"
                content += "BT 0.09 0.22 0.55 rg /F1 \(number(fontSize)) Tf\n"
                var baseline = height - padding - fontSize
                for (lineIndex, line) in mark.lines.enumerated() {
                    let lineWidth = font.width(of: line, size: fontSize)
                    let titleLines = wrap(marks[index].title.uppercased(), width: textWidth, font: font).count
                    let left = lineIndex < titleLines ? (width - lineWidth) / 2 : padding
                    let glyphs = line.unicodeScalars.map { font.glyph(for: $0) }
                    let hex = String(decoding: PDFSerializer.hex(glyphs.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }), as: UTF8.self)
                    content += "1 0 0 1 \(number(left)) \(number(baseline)) Tm <\(hex)> Tj\n"
                    baseline -= leading
                }
                content += "ET\n"
                let appearance = update.add(.stream([
                    "/Type": .name("/XObject"), "/Subtype": .name("/Form"),
                    "/BBox": .array([.int(0), .int(0), .real(width), .real(height)]),
                    "/Resources": .dictionary(["/Font": .dictionary(["/F1": fontReference])]),
                ], Array(content.utf8)))
                let annotation = update.add(.value(.dictionary([
                    "/Type": .name("/Annot"), "/Subtype": .name("/Stamp"), "/F": .int(4),
                    "/Rect": .array([.real(x), .real(y), .real(x + width), .real(y + height)]),
                    "/AP": .dictionary(["/N": appearance]),
                    "/Contents": PDFSerializer.text(([marks[index].title] + marks[index].lines).joined(separator: "\n")),
                    "/NM": .string(Array("podpis-signature-mark-\(index + 1)".utf8)),
                    "/P": .reference(pageReference.number, pageReference.generation),
                ])))
                annotations.append(annotation)
                y += height + gap
            }
            if let annots = try page.get("/Annots"), let reference = annots.reference {
                update.set(reference.number, generation: reference.generation, .value(.array(annotations)))
            } else {
                update.set(pageReference.number, generation: pageReference.generation,
                           .value(try page.editable().setting("/Annots", .array(annotations))))
            }
            return update.write().bytes
        }
    }

    static func number(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// The page's crop box (else media box), inherited from the page tree when the page does not say.
    static func visibleBox(of page: PDFObject) throws -> [Double] {
        for key in ["/CropBox", "/MediaBox"] {
            var node: PDFObject? = page
            for _ in 0..<32 {
                guard let current = node else { break }
                if let box = try current.get(key), box.isArray {
                    let numbers = try box.items(limit: 4).compactMap(\.number)
                    if numbers.count == 4, numbers[2] - numbers[0] > 1, numbers[3] - numbers[1] > 1 {
                        return [min(numbers[0], numbers[2]), min(numbers[1], numbers[3]), max(numbers[0], numbers[2]), max(numbers[1], numbers[3])]
                    }
                }
                node = try current.get("/Parent")
            }
        }
        return [0, 0, 595, 842]  // A4
    }

    /// Breaks `text` into lines no wider than `width` (at word boundaries, or inside a word too long for a line).
    static func wrap(_ text: String, width: Double, font: TrueTypeFont) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if font.width(of: candidate, size: fontSize) <= width {
                current = candidate
                continue
            }
            if !current.isEmpty { lines.append(current) }
            current = ""
            var piece = ""
            for character in word {
                if font.width(of: piece + String(character), size: fontSize) > width, !piece.isEmpty {
                    lines.append(piece)
                    piece = ""
                }
                piece.append(character)
            }
            current = piece
        }
        if !current.isEmpty { lines.append(current) }
        return lines.isEmpty ? [""] : lines
    }

    /// Adds the font objects: Type0 → CIDFontType2 (Identity) → descriptor → the whole TrueType file, plus ToUnicode.
    static func embed(_ font: TrueTypeFont, glyphs: Set<UInt16>, into update: inout PDFIncrementalUpdate) throws -> PDFValue {
        let file = update.add(.stream(["/Filter": .name("/FlateDecode"), "/Length1": .int(Int64(font.data.count))], Flate.deflate(font.data)))
        let scale = { (value: Int) -> PDFValue in .int(Int64(value * 1000 / font.unitsPerEm)) }
        let descriptor = update.add(.value(.dictionary([
            "/Type": .name("/FontDescriptor"), "/FontName": .name("/" + font.postScriptName), "/Flags": .int(32),
            "/FontBBox": .array(font.boundingBox.map(scale)), "/ItalicAngle": .real(font.italicAngle),
            "/Ascent": scale(font.ascent), "/Descent": scale(font.descent), "/CapHeight": scale(font.capHeight),
            "/StemV": .int(80), "/FontFile2": file,
        ])))
        var widths: [PDFValue] = []
        for glyph in glyphs.sorted() { widths += [.int(Int64(glyph)), .array([.int(Int64(font.width(of: glyph)))])] }
        let cidFont = update.add(.value(.dictionary([
            "/Type": .name("/Font"), "/Subtype": .name("/CIDFontType2"), "/BaseFont": .name("/" + font.postScriptName),
            "/CIDSystemInfo": .dictionary(["/Registry": .string(Array("Adobe".utf8)), "/Ordering": .string(Array("Identity".utf8)), "/Supplement": .int(0)]),
            "/FontDescriptor": descriptor, "/CIDToGIDMap": .name("/Identity"), "/DW": .int(1000), "/W": .array(widths),
        ])))
        // ToUnicode: each glyph back to its character, for search and copy.
        var reverse: [UInt16: UInt32] = [:]
        for value in (0x20...0x7E).map(UInt32.init) + (0x400...0x4FF).map(UInt32.init) + [0xAB, 0xBB, 0x2116, 0x2014, 0x2013] {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let glyph = font.glyph(for: scalar)
            if glyphs.contains(glyph), reverse[glyph] == nil { reverse[glyph] = value }
        }
        var cmap = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        cmap += "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        cmap += "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        let pairs = reverse.sorted { $0.key < $1.key }
        for start in stride(from: 0, to: pairs.count, by: 100) {
            let chunk = pairs[start..<min(start + 100, pairs.count)]
            cmap += "\(chunk.count) beginbfchar\n"
            for (glyph, value) in chunk { cmap += String(format: "<%04X> <%04X>\n", glyph, value) }
            cmap += "endbfchar\n"
        }
        cmap += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        let toUnicode = update.add(.stream([:], Array(cmap.utf8)))
        return update.add(.value(.dictionary([
            "/Type": .name("/Font"), "/Subtype": .name("/Type0"), "/BaseFont": .name("/" + font.postScriptName),
            "/Encoding": .name("/Identity-H"), "/DescendantFonts": .array([cidFont]), "/ToUnicode": toUnicode,
        ])))
    }
}
