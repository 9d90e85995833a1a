import Foundation
import SigningCore

/// The revisions of a PDF and the objects each incremental update defines, read from the cross-reference sections
/// (ISO 32000-1, 7.5.4–7.5.8). qpdf's C API gives objects, not cross-reference sections, so this small reader finds
/// them: every `%%EOF` preceded by a `startxref` whose section chain parses and lies before it ends a revision.
///
/// It also bounds what qpdf will inflate by itself: cross-reference streams and object streams are inflated here
/// first under a size limit, so a compressed bomb is refused before qpdf ever sees it.
struct PDFStructure {
    /// One cross-reference entry: type 0 free, 1 at byte offset `field2` (generation `field3`), 2 in object stream
    /// `field2` at index `field3`.
    struct Entry: Equatable {
        var type: UInt8
        var field2: Int64
        var field3: Int64
    }

    struct Section {
        let offset: Int
        let isStream: Bool
        var entries: [Int: Entry]
        let trailer: [String: PDFValue]
        /// `/Prev` and `/XRefStm` offsets.
        let links: [Int]
    }

    struct Revision {
        /// 1-based.
        let number: Int
        /// Just past `%%EOF` and its end-of-line.
        let end: Int
        /// Just past `%%EOF` (a byte range may stop here or after the end-of-line).
        let eofEnd: Int
        /// Offsets of every cross-reference section the revision's readers see.
        let chain: Set<Int>
        /// Objects the revision's own (new) sections define: number → entry.
        let defined: [Int: Entry]
        /// The newest section's trailer.
        let trailer: [String: PDFValue]
        let isStream: Bool
        /// Where its `startxref` points.
        let startxref: Int
    }

    struct Limits {
        var maxRevisions = 512
        var maxSections = 2048
        var maxEntries = 4_000_000
        /// Bytes any one object stream may inflate to, and all of them together.
        var maxObjectStream = 64 << 20
        var maxInflatedTotal = 256 << 20
    }

    let revisions: [Revision]
    /// `1.7` from `%PDF-1.7`.
    let version: String?
    /// Non-blank bytes after the last revision (data that no cross-reference section describes).
    let trailingBytes: Int
    let sections: [Int: Section]

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    init(_ data: UnsafeBufferPointer<UInt8>, limits: Limits = Limits()) throws {
        guard data.count >= 8, data[0] == 0x25, data[1] == 0x50, data[2] == 0x44, data[3] == 0x46, data[4] == 0x2D else {
            throw Failure("not a PDF: the file does not start with %PDF-")
        }
        var versionBytes: [UInt8] = []
        var cursor = 5
        while cursor < min(data.count, 12), data[cursor] == 0x2E || (data[cursor] >= 0x30 && data[cursor] <= 0x39) {
            versionBytes.append(data[cursor])
            cursor += 1
        }
        version = versionBytes.isEmpty ? nil : String(decoding: versionBytes, as: UTF8.self)

        var reader = SectionReader(data: data, limits: limits)
        var revisions: [Revision] = []
        var previousChain = Set<Int>()
        var firstProblem: String? = nil
        for eof in Self.eofMarkers(data) {
            guard revisions.count < limits.maxRevisions else { throw Failure("more than \(limits.maxRevisions) revisions") }
            guard let startxref = Self.startxref(before: eof, in: data) else { continue }
            let eofEnd = eof + 5
            var end = eofEnd
            if end < data.count, data[end] == 0x0D { end += 1 }
            if end < data.count, data[end] == 0x0A { end += 1 }
            let chain: [Int]
            do {
                chain = try reader.chain(from: startxref, before: eof)
            } catch let failure as Failure {
                firstProblem = firstProblem ?? failure.description
                continue
            }
            let chainSet = Set(chain)
            let new = chain.filter { !previousChain.contains($0) }
            var defined: [Int: Entry] = [:]
            // Oldest new section first, so a newer one's entry wins.
            for offset in new.reversed() {
                for (number, entry) in reader.sections[offset]?.entries ?? [:] { defined[number] = entry }
            }
            let head = reader.sections[startxref]
            revisions.append(Revision(number: revisions.count + 1, end: end, eofEnd: eofEnd, chain: chainSet, defined: defined,
                                      trailer: head?.trailer ?? [:], isStream: head?.isStream ?? false, startxref: startxref))
            previousChain.formUnion(chainSet)
        }
        guard let last = revisions.last else {
            throw Failure(firstProblem.map { "broken cross-reference table: \($0)" } ?? "no %%EOF with a startxref: the file is truncated or not a PDF")
        }
        var trailing = 0
        for index in last.end..<data.count where !PDFLexer.isWhitespace(data[index]) { trailing += 1 }
        self.trailingBytes = trailing
        self.revisions = revisions
        self.sections = reader.sections
        try reader.checkObjectStreams()
    }

    /// Positions of every `%%EOF`.
    static func eofMarkers(_ data: UnsafeBufferPointer<UInt8>) -> [Int] {
        var found: [Int] = []
        let marker = Array("%%EOF".utf8)
        guard data.count >= marker.count else { return [] }
        var index = 0
        let last = data.count - marker.count
        while index <= last {
            if data[index] == 0x25, data[index + 1] == 0x25, data[index + 2] == 0x45, data[index + 3] == 0x4F, data[index + 4] == 0x46 {
                found.append(index)
                index += marker.count
            } else {
                index += 1
            }
        }
        return found
    }

    /// The number in `startxref N` just before a `%%EOF` at `eof`.
    static func startxref(before eof: Int, in data: UnsafeBufferPointer<UInt8>) -> Int? {
        var cursor = eof - 1
        while cursor >= 0, PDFLexer.isWhitespace(data[cursor]) { cursor -= 1 }
        let digitsEnd = cursor + 1
        while cursor >= 0, data[cursor] >= 0x30, data[cursor] <= 0x39, digitsEnd - cursor <= 18 { cursor -= 1 }
        let digitsStart = cursor + 1
        guard digitsStart < digitsEnd else { return nil }
        while cursor >= 0, PDFLexer.isWhitespace(data[cursor]) { cursor -= 1 }
        let keyword = Array("startxref".utf8)
        let keywordStart = cursor - keyword.count + 1
        guard keywordStart >= 0 else { return nil }
        for (index, byte) in keyword.enumerated() where data[keywordStart + index] != byte { return nil }
        let text = String(decoding: UnsafeBufferPointer(rebasing: data[digitsStart..<digitsEnd]), as: UTF8.self)
        return Int(text)
    }
}

/// Parses cross-reference sections (tables and streams), caching them by offset.
struct SectionReader {
    let data: UnsafeBufferPointer<UInt8>
    let limits: PDFStructure.Limits
    var sections: [Int: PDFStructure.Section] = [:]
    var entryCount = 0
    var inflated = 0

    typealias Failure = PDFStructure.Failure

    init(data: UnsafeBufferPointer<UInt8>, limits: PDFStructure.Limits) {
        self.data = data
        self.limits = limits
    }

    /// Every section reachable from `start` through `/Prev` and `/XRefStm`, newest first; each must lie before `limit`.
    mutating func chain(from start: Int, before limit: Int) throws -> [Int] {
        var order: [Int] = []
        var seen = Set<Int>()
        var pending = [start]
        while let offset = pending.first {
            pending.removeFirst()
            guard seen.insert(offset).inserted else { continue }  // a /Prev loop ends here
            guard offset >= 0, offset < limit else { throw Failure("a cross-reference offset (\(offset)) points outside its revision") }
            let section = try self.section(at: offset)
            order.append(offset)
            pending += section.links
            guard order.count <= limits.maxSections else { throw Failure("more than \(limits.maxSections) cross-reference sections") }
        }
        return order
    }

    mutating func section(at offset: Int) throws -> PDFStructure.Section {
        if let cached = sections[offset] { return cached }
        guard sections.count < limits.maxSections else { throw Failure("more than \(limits.maxSections) cross-reference sections") }
        var lexer = PDFLexer(data, at: offset)
        let section: PDFStructure.Section
        if lexer.keyword("xref") {
            section = try table(&lexer, offset: offset)
        } else {
            section = try stream(&lexer, offset: offset)
        }
        sections[offset] = section
        return section
    }

    mutating func table(_ lexer: inout PDFLexer, offset: Int) throws -> PDFStructure.Section {
        var entries: [Int: PDFStructure.Entry] = [:]
        while true {
            if lexer.keyword("trailer") { break }
            guard let first = lexer.unsigned(), let count = lexer.unsigned() else {
                throw Failure("malformed cross-reference table at offset \(offset)")
            }
            guard first + count <= 10_000_000, entryCount + Int(count) <= limits.maxEntries else {
                throw Failure("cross-reference table at offset \(offset) too large")
            }
            for index in 0..<Int(count) {
                guard let field2 = lexer.unsigned(), let generation = lexer.unsigned() else {
                    throw Failure("malformed cross-reference entry at offset \(lexer.position)")
                }
                let type: UInt8
                if lexer.keyword("n") { type = 1 } else if lexer.keyword("f") { type = 0 } else {
                    throw Failure("malformed cross-reference entry at offset \(lexer.position)")
                }
                entries[Int(first) + index] = PDFStructure.Entry(type: type, field2: field2, field3: generation)
            }
            entryCount += Int(count)
        }
        let trailer: [String: PDFValue]
        do {
            guard let dictionary = try lexer.value().dictionary else { throw Failure("the trailer is not a dictionary") }
            trailer = dictionary
        } catch let error as PDFLexer.SyntaxError {
            throw Failure("malformed trailer at offset \(offset): \(error)")
        }
        var links: [Int] = []
        // `/Prev 0` ends the chain, as in qpdf (offset 0 is the header, never a section).
        if let prev = trailer["/Prev"]?.int, prev > 0 { links.append(Int(prev)) }
        if let stream = trailer["/XRefStm"]?.int, stream > 0 {
            // A hybrid file: the stream's entries supplement the table (ISO 32000-1, 7.5.8.4).
            let extra = try self.section(at: Int(stream))
            for (number, entry) in extra.entries where entries[number].map({ $0.type == 0 }) ?? true { entries[number] = entry }
        }
        return PDFStructure.Section(offset: offset, isStream: false, entries: entries, trailer: trailer, links: links)
    }

    /// `N G obj << dict >> stream … endstream`: the dictionary and the raw data.
    func streamObject(at offset: Int) throws -> (dictionary: [String: PDFValue], data: Range<Int>) {
        var lexer = PDFLexer(data, at: offset)
        guard lexer.unsigned() != nil, lexer.unsigned() != nil, lexer.keyword("obj") else {
            throw Failure("no object at offset \(offset)")
        }
        let dictionary: [String: PDFValue]
        do {
            guard let value = try lexer.value().dictionary else { throw Failure("the object at offset \(offset) is not a stream") }
            dictionary = value
        } catch let error as PDFLexer.SyntaxError {
            throw Failure("malformed object at offset \(offset): \(error)")
        }
        guard lexer.keyword("stream") else { throw Failure("the object at offset \(offset) is not a stream") }
        var start = lexer.position
        if start < data.count, data[start] == 0x0D { start += 1 }
        if start < data.count, data[start] == 0x0A { start += 1 }
        if let length = dictionary["/Length"]?.int, length >= 0, start + Int(length) <= data.count {
            return (dictionary, start..<(start + Int(length)))
        }
        // An indirect or wrong /Length: the data runs to `endstream`.
        let marker = Array("endstream".utf8)
        var index = start
        while index + marker.count <= data.count {
            if data[index] == 0x65, (0..<marker.count).allSatisfy({ data[index + $0] == marker[$0] }) {
                var end = index
                if end > start, data[end - 1] == 0x0A { end -= 1 }
                if end > start, data[end - 1] == 0x0D { end -= 1 }
                return (dictionary, start..<end)
            }
            index += 1
        }
        throw Failure("stream at offset \(offset) has no end")
    }

    /// Decodes stream data under a limit: no filter or FlateDecode (with PNG predictors), nothing else.
    mutating func decode(_ dictionary: [String: PDFValue], _ range: Range<Int>, limit: Int, keep: Bool = true) throws -> [UInt8] {
        let filters: [String]
        switch dictionary["/Filter"] {
        case .none, .some(.null): filters = []
        case .some(.name(let name)): filters = [name]
        case .some(.array(let items)): filters = items.compactMap(\.name)
        default: throw Failure("unreadable /Filter")
        }
        guard filters.count <= 1, filters.allSatisfy({ $0 == "/FlateDecode" || $0 == "/Fl" }) else {
            throw Failure("a cross-reference or object stream uses a filter podpis does not decode (\(filters.joined(separator: " ")))")
        }
        let raw = UnsafeBufferPointer(rebasing: data[range])
        var output: [UInt8]
        if filters.isEmpty {
            guard raw.count <= limit else { throw Failure("stream larger than \(limit) bytes") }
            output = keep ? Array(raw) : []
            inflated += raw.count
        } else {
            do {
                let result = try Flate.inflate(ArraySlice(raw), limit: limit, keep: keep)
                output = result.bytes
                inflated += result.count
            } catch is Flate.TooLarge {
                throw Failure("a compressed stream inflates to more than \(limit) bytes")
            } catch {
                throw Failure("a compressed stream is corrupt")
            }
        }
        guard inflated <= limits.maxInflatedTotal else { throw Failure("compressed streams inflate to more than \(limits.maxInflatedTotal) bytes") }
        guard keep, let parameters = dictionary["/DecodeParms"].flatMap({ $0.dictionary ?? $0.array?.first?.dictionary }),
              let predictor = parameters["/Predictor"]?.int, predictor > 1 else { return output }
        guard predictor >= 10 else { throw Failure("unsupported predictor \(predictor)") }
        let columns = Int(parameters["/Columns"]?.int ?? 1)
        guard columns > 0, columns < 1 << 16 else { throw Failure("bad predictor columns") }
        output = try Self.unpredict(output, columns: columns)
        return output
    }

    /// Undoes PNG row predictors (one byte per pixel, as cross-reference streams use them).
    static func unpredict(_ input: [UInt8], columns: Int) throws -> [UInt8] {
        let stride = columns + 1
        guard input.count % stride == 0 else { throw Failure("predicted data does not fill whole rows") }
        var output = [UInt8](repeating: 0, count: input.count / stride * columns)
        var previous = [UInt8](repeating: 0, count: columns)
        for row in 0..<(input.count / stride) {
            let type = input[row * stride]
            var current = [UInt8](repeating: 0, count: columns)
            for column in 0..<columns {
                let raw = input[row * stride + 1 + column]
                let left = column > 0 ? current[column - 1] : 0
                let up = previous[column]
                let upLeft = column > 0 ? previous[column - 1] : 0
                let predicted: UInt8
                switch type {
                case 0: predicted = 0
                case 1: predicted = left
                case 2: predicted = up
                case 3: predicted = UInt8((Int(left) + Int(up)) / 2)
                case 4:
                    let p = Int(left) + Int(up) - Int(upLeft)
                    let pa = abs(p - Int(left)), pb = abs(p - Int(up)), pc = abs(p - Int(upLeft))
                    predicted = pa <= pb && pa <= pc ? left : (pb <= pc ? up : upLeft)
                default: throw Failure("unknown PNG predictor row type \(type)")
                }
                current[column] = raw &+ predicted
            }
            output.replaceSubrange((row * columns)..<((row + 1) * columns), with: current)
            previous = current
        }
        return output
    }

    mutating func stream(_ lexer: inout PDFLexer, offset: Int) throws -> PDFStructure.Section {
        let (dictionary, range) = try streamObject(at: offset)
        guard dictionary["/Type"]?.name == "/XRef" else { throw Failure("startxref points at offset \(offset), which is neither xref nor a cross-reference stream") }
        guard let widths = dictionary["/W"]?.array?.compactMap(\.int), widths.count == 3, widths.allSatisfy({ $0 >= 0 && $0 <= 8 }) else {
            throw Failure("cross-reference stream at offset \(offset) has a bad /W")
        }
        guard let size = dictionary["/Size"]?.int, size >= 0, size <= 10_000_000 else {
            throw Failure("cross-reference stream at offset \(offset) has a bad /Size")
        }
        var ranges: [(Int64, Int64)] = []
        if let index = dictionary["/Index"]?.array {
            let numbers = index.compactMap(\.int)
            guard numbers.count == index.count, numbers.count % 2 == 0 else { throw Failure("cross-reference stream at offset \(offset) has a bad /Index") }
            for pair in stride(from: 0, to: numbers.count, by: 2) { ranges.append((numbers[pair], numbers[pair + 1])) }
        } else {
            ranges = [(0, size)]
        }
        let count = ranges.reduce(Int64(0)) { $0 + $1.1 }
        guard ranges.allSatisfy({ $0.0 >= 0 && $0.1 >= 0 && $0.0 + $0.1 <= 10_000_000 }), entryCount + Int(count) <= limits.maxEntries else {
            throw Failure("cross-reference stream at offset \(offset) too large")
        }
        let rowWidth = Int(widths.reduce(0, +))
        guard rowWidth > 0 else { throw Failure("cross-reference stream at offset \(offset) has empty rows") }
        let predicted = (dictionary["/DecodeParms"]?.dictionary?["/Predictor"]?.int ?? 1) >= 10
        let expected = Int(count) * (rowWidth + (predicted ? 1 : 0))
        let decoded = try decode(dictionary, range, limit: expected + 1024)
        guard decoded.count >= Int(count) * rowWidth else {
            throw Failure("cross-reference stream at offset \(offset) holds fewer entries than its /Index says")
        }
        var entries: [Int: PDFStructure.Entry] = [:]
        var position = 0
        func field(_ width: Int64, default value: Int64) -> Int64 {
            guard width > 0 else { return value }
            var result: Int64 = 0
            for _ in 0..<width {
                result = result << 8 | Int64(decoded[position])
                position += 1
            }
            return result
        }
        for (first, length) in ranges {
            for index in 0..<length {
                let type = field(widths[0], default: 1)
                let second = field(widths[1], default: 0)
                let third = field(widths[2], default: 0)
                guard type <= 255 else { continue }
                entries[Int(first + index)] = PDFStructure.Entry(type: UInt8(type), field2: second, field3: third)
            }
        }
        entryCount += Int(count)
        var links: [Int] = []
        if let prev = dictionary["/Prev"]?.int, prev > 0 { links.append(Int(prev)) }
        return PDFStructure.Section(offset: offset, isStream: true, entries: entries, trailer: dictionary, links: links)
    }

    /// Inflates (counting only) every object stream a type-2 entry names, at every offset any section gives it, so
    /// that qpdf, which inflates them whole, never meets a bomb.
    mutating func checkObjectStreams() throws {
        var containers = Set<Int>()
        var offsets: [Int: Set<Int>] = [:]
        for section in sections.values {
            for (number, entry) in section.entries {
                if entry.type == 2 { containers.insert(Int(entry.field2)) }
                if entry.type == 1 { offsets[number, default: []].insert(Int(entry.field2)) }
            }
        }
        for container in containers.sorted() {
            for offset in (offsets[container] ?? []).sorted() {
                guard offset >= 0, offset < data.count else { continue }
                guard let (dictionary, range) = try? streamObject(at: offset), dictionary["/Type"]?.name == "/ObjStm" else { continue }
                guard let count = dictionary["/N"]?.int, count >= 0, count <= 1_000_000 else {
                    throw Failure("object stream \(container) has a bad /N")
                }
                _ = try decode(dictionary, range, limit: limits.maxObjectStream, keep: false)
            }
        }
    }
}
