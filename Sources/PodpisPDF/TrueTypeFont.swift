import Foundation

/// The few facts of a TrueType font that embedding it in a PDF needs (ISO 32000-1, 9.6.4 and 9.7.4): glyph ids for
/// characters (the `cmap` format 4 subtable), advance widths (`hmtx`), and the metrics of the font descriptor.
/// The font is embedded whole, as a CIDFontType2 with Identity-H encoding and a ToUnicode map, so any script it
/// covers (Cyrillic for the «отметка») prints and can be copied as text.
struct TrueTypeFont {
    let data: [UInt8]
    let postScriptName: String
    let unitsPerEm: Int
    let boundingBox: [Int]
    let ascent: Int
    let descent: Int
    let capHeight: Int
    let italicAngle: Double
    private let advances: [UInt16]
    private let characterMap: [UInt32: UInt16]

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The default stamp font: `$PODPIS_STAMP_FONT`, else DejaVu Sans from Debian's fonts-dejavu-core.
    static var defaultPath: String {
        ProcessInfo.processInfo.environment["PODPIS_STAMP_FONT"] ?? "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    }

    init(path: String) throws {
        guard let contents = FileManager.default.contents(atPath: path), contents.count < 64 << 20 else {
            throw Failure(description: "cannot read the font \(path)")
        }
        try self.init(data: [UInt8](contents))
    }

    init(data: [UInt8]) throws {
        self.data = data
        func u16(_ offset: Int) throws -> Int {
            guard offset >= 0, offset + 2 <= data.count else { throw Failure(description: "truncated font") }
            return Int(data[offset]) << 8 | Int(data[offset + 1])
        }
        func i16(_ offset: Int) throws -> Int { let value = try u16(offset); return value >= 0x8000 ? value - 0x10000 : value }
        func u32(_ offset: Int) throws -> Int { try u16(offset) << 16 | u16(offset + 2) }
        let tableCount = try u16(4)
        var tables: [String: (offset: Int, length: Int)] = [:]
        for index in 0..<tableCount {
            let record = 12 + index * 16
            guard record + 16 <= data.count else { throw Failure(description: "truncated table directory") }
            let tag = String(decoding: data[record..<(record + 4)], as: UTF8.self)
            tables[tag] = (try u32(record + 8), try u32(record + 12))
        }
        guard let head = tables["head"], let hhea = tables["hhea"], let hmtx = tables["hmtx"], let cmap = tables["cmap"] else {
            throw Failure(description: "not a TrueType font with head, hhea, hmtx and cmap tables")
        }
        unitsPerEm = max(try u16(head.offset + 18), 16)
        boundingBox = [try i16(head.offset + 36), try i16(head.offset + 38), try i16(head.offset + 40), try i16(head.offset + 42)]
        ascent = try i16(hhea.offset + 4)
        descent = try i16(hhea.offset + 6)
        let metricsCount = try u16(hhea.offset + 34)
        var advances: [UInt16] = []
        for index in 0..<metricsCount { advances.append(UInt16(try u16(hmtx.offset + index * 4))) }
        self.advances = advances
        if let os2 = tables["OS/2"], try u16(os2.offset) >= 2 {
            capHeight = try i16(os2.offset + 88)
        } else {
            capHeight = ascent
        }
        if let post = tables["post"] {
            italicAngle = Double(try i16(post.offset + 4)) + Double(try u16(post.offset + 6)) / 65536
        } else {
            italicAngle = 0
        }
        // cmap: the Windows Unicode BMP subtable (3, 1), format 4.
        var map: [UInt32: UInt16] = [:]
        let subtables = try u16(cmap.offset + 2)
        for index in 0..<subtables {
            let record = cmap.offset + 4 + index * 8
            let platform = try u16(record), encoding = try u16(record + 2)
            guard (platform == 3 && encoding == 1) || (platform == 0 && encoding <= 3) else { continue }
            let table = cmap.offset + (try u32(record + 4))
            guard try u16(table) == 4 else { continue }
            let segments = try u16(table + 6) / 2
            let ends = table + 14, starts = ends + segments * 2 + 2, deltas = starts + segments * 2, ranges = deltas + segments * 2
            for segment in 0..<segments {
                let end = try u16(ends + segment * 2), start = try u16(starts + segment * 2)
                let delta = try u16(deltas + segment * 2), rangeOffset = try u16(ranges + segment * 2)
                guard start <= end, end != 0xFFFF || start != 0xFFFF else { continue }
                for code in start...min(end, 0xFFFE) {
                    var glyph: Int
                    if rangeOffset == 0 {
                        glyph = (code + delta) & 0xFFFF
                    } else {
                        let at = ranges + segment * 2 + rangeOffset + (code - start) * 2
                        glyph = try u16(at)
                        if glyph != 0 { glyph = (glyph + delta) & 0xFFFF }
                    }
                    if glyph != 0 { map[UInt32(code)] = UInt16(glyph) }
                }
            }
            break
        }
        guard !map.isEmpty else { throw Failure(description: "the font has no Unicode character map") }
        characterMap = map
        // The PostScript name (name id 6), for /BaseFont; a safe default otherwise.
        var psName = "EmbeddedFont"
        if let name = tables["name"] {
            let count = try u16(name.offset + 2), strings = name.offset + (try u16(name.offset + 4))
            for index in 0..<count {
                let record = name.offset + 6 + index * 12
                guard try u16(record + 6) == 6 else { continue }
                let length = try u16(record + 8), offset = try u16(record + 10)
                let bytes = data[min(data.count, strings + offset)..<min(data.count, strings + offset + length)]
                let ascii = bytes.filter { $0 >= 0x21 && $0 < 0x7F && !PDFLexer.isDelimiter($0) }
                if !ascii.isEmpty { psName = String(decoding: ascii, as: UTF8.self); break }
            }
        }
        postScriptName = psName
    }

    func glyph(for scalar: Unicode.Scalar) -> UInt16 { characterMap[scalar.value] ?? characterMap[0x3F] ?? 0 }

    /// The advance of a glyph in PDF text space units (1/1000 em).
    func width(of glyph: UInt16) -> Int {
        guard !advances.isEmpty else { return 500 }
        let advance = Int(glyph) < advances.count ? advances[Int(glyph)] : advances[advances.count - 1]
        return Int(advance) * 1000 / unitsPerEm
    }

    /// The width of `text` at `size` points.
    func width(of text: String, size: Double) -> Double {
        Double(text.unicodeScalars.reduce(0) { $0 + width(of: glyph(for: $1)) }) * size / 1000
    }
}
