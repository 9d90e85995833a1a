import Foundation
import EvidenceModel
import SigningCore

/// Writes PDF objects (ISO 32000-1, 7.3) from ``PDFValue``s.
enum PDFSerializer {
    static func bytes(_ value: PDFValue) -> [UInt8] {
        var out: [UInt8] = []
        write(value, into: &out)
        return out
    }

    static func write(_ value: PDFValue, into out: inout [UInt8]) {
        switch value {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .int(let number): out += Array(String(number).utf8)
        case .real(let number):
            var text = String(format: "%.4f", number)
            while text.contains("."), text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            out += Array(text.utf8)
        case .name(let name): out += nameBytes(name)
        case .string(let bytes): out += literal(bytes)
        case .array(let items):
            out.append(0x5B)
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(0x20) }
                write(item, into: &out)
            }
            out.append(0x5D)
        case .dictionary(let entries):
            out += Array("<<".utf8)
            for key in entries.keys.sorted() {
                out.append(0x20)
                out += nameBytes(key)
                out.append(0x20)
                write(entries[key]!, into: &out)
            }
            out += Array(" >>".utf8)
        case .reference(let number, let generation): out += Array("\(number) \(generation) R".utf8)
        }
    }

    /// `/Name` with `#xx` for bytes outside the regular printable range.
    static func nameBytes(_ name: String) -> [UInt8] {
        var out: [UInt8] = [0x2F]
        for byte in name.utf8.dropFirst(name.hasPrefix("/") ? 1 : 0) {
            if byte < 0x21 || byte > 0x7E || PDFLexer.isDelimiter(byte) || byte == 0x23 {
                out += [0x23] + Hex.ascii([byte], uppercase: true)
            } else {
                out.append(byte)
            }
        }
        return out
    }

    /// A literal string with `(`, `)`, `\` and control bytes escaped.
    static func literal(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x28]
        for byte in bytes {
            switch byte {
            case 0x28, 0x29, 0x5C: out += [0x5C, byte]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x00..<0x20, 0x7F...0xFF: out += Array(String(format: "\\%03o", byte).utf8)
            default: out.append(byte)
            }
        }
        out.append(0x29)
        return out
    }

    /// A text string: ASCII as is, anything else UTF-16BE with a byte-order mark (ISO 32000-1, 7.9.2.2).
    static func text(_ string: String) -> PDFValue {
        if string.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return .string(Array(string.utf8)) }
        var bytes: [UInt8] = [0xFE, 0xFF]
        for unit in string.utf16 { bytes += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        return .string(bytes)
    }

    static func hex(_ bytes: [UInt8]) -> [UInt8] { Hex.ascii(bytes, uppercase: true) }
}

/// One incremental update (ISO 32000-1, 7.5.6): new and replaced objects appended after the last `%%EOF`, with a
/// cross-reference section of the same kind as the last one (a table, or a stream for files that use streams) whose
/// `/Prev` points at the previous section. The bytes before are never touched, so every earlier signature stays
/// intact.
struct PDFIncrementalUpdate {
    enum Body {
        case value(PDFValue)
        case stream([String: PDFValue], [UInt8])
        /// Bytes written as they are between `N G obj` and `endobj`.
        case raw([UInt8])
    }

    let base: [UInt8]
    let previousStartxref: Int
    let previousSize: Int
    let root: PDFValue
    let info: PDFValue?
    let identifier: [PDFValue]?
    let useStream: Bool
    private(set) var nextNumber: Int
    private(set) var objects: [(number: Int, generation: Int, body: Body)] = []

    init(base: [UInt8], structure: PDFStructure) throws {
        guard let last = structure.revisions.last else { throw PDFStructure.Failure("no revision") }
        self.base = base
        previousStartxref = last.startxref
        let size = last.trailer["/Size"]?.int ?? 0
        guard size > 0, size < 8_000_000 else { throw PDFStructure.Failure("the trailer has no usable /Size") }
        previousSize = Int(size)
        nextNumber = Int(size)
        guard let root = last.trailer["/Root"], root.reference != nil else { throw PDFStructure.Failure("the trailer names no /Root") }
        self.root = root
        info = last.trailer["/Info"]
        identifier = last.trailer["/ID"]?.array
        useStream = last.isStream
    }

    mutating func allocate() -> Int {
        defer { nextNumber += 1 }
        return nextNumber
    }

    mutating func set(_ number: Int, generation: Int = 0, _ body: Body) {
        objects.removeAll { $0.number == number }
        objects.append((number, generation, body))
    }

    mutating func add(_ body: Body) -> PDFValue {
        let number = allocate()
        set(number, body)
        return .reference(number, 0)
    }

    /// The whole file: the base, the objects, the cross-reference section and trailer, `%%EOF`. Returns the offset
    /// at which each object starts.
    func write() -> (bytes: [UInt8], offsets: [Int: Int]) {
        var out = base
        if let last = out.last, last != 0x0A && last != 0x0D { out.append(0x0A) }
        var offsets: [Int: Int] = [:]
        var generations: [Int: Int] = [:]
        for object in objects {
            offsets[object.number] = out.count
            generations[object.number] = object.generation
            out += Array("\(object.number) \(object.generation) obj\n".utf8)
            switch object.body {
            case .value(let value):
                PDFSerializer.write(value, into: &out)
            case .stream(var dictionary, let data):
                dictionary["/Length"] = .int(Int64(data.count))
                PDFSerializer.write(.dictionary(dictionary), into: &out)
                out += Array("\nstream\n".utf8)
                out += data
                out += Array("\nendstream".utf8)
            case .raw(let bytes):
                out += bytes
            }
            out += Array("\nendobj\n".utf8)
        }
        var trailer: [String: PDFValue] = ["/Root": root, "/Prev": .int(Int64(previousStartxref))]
        if let info { trailer["/Info"] = info }
        var random = [UInt8](repeating: 0, count: 16)
        for index in random.indices { random[index] = UInt8.random(in: 0...255) }
        if let identifier, identifier.count == 2 {
            trailer["/ID"] = .array([identifier[0], .string(random)])
        } else {
            trailer["/ID"] = .array([.string(random), .string(random)])
        }
        if useStream {
            let number = nextNumber
            offsets[number] = out.count
            generations[number] = 0
            let size = number + 1
            let numbers = offsets.keys.sorted()
            let wide = out.count > Int(UInt32.max)
            let width = wide ? 8 : 4
            var data: [UInt8] = []
            var index: [PDFValue] = []
            for run in Self.runs(numbers) {
                index += [.int(Int64(run.lowerBound)), .int(Int64(run.count))]
                for objectNumber in run {
                    data.append(1)
                    let offset = UInt64(offsets[objectNumber]!)
                    for shift in stride(from: (width - 1) * 8, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: offset >> UInt64(shift))) }
                    let generation = generations[objectNumber] ?? 0
                    data += [UInt8(truncatingIfNeeded: generation >> 8), UInt8(truncatingIfNeeded: generation)]
                }
            }
            var dictionary = trailer
            dictionary["/Type"] = .name("/XRef")
            dictionary["/Size"] = .int(Int64(max(size, previousSize)))
            dictionary["/W"] = .array([.int(1), .int(Int64(width)), .int(2)])
            dictionary["/Index"] = .array(index)
            dictionary["/Length"] = .int(Int64(data.count))
            let startxref = out.count
            out += Array("\(number) 0 obj\n".utf8)
            PDFSerializer.write(.dictionary(dictionary), into: &out)
            out += Array("\nstream\n".utf8)
            out += data
            out += Array("\nendstream\nendobj\n".utf8)
            out += Array("startxref\n\(startxref)\n%%EOF\n".utf8)
        } else {
            let startxref = out.count
            out += Array("xref\n".utf8)
            for run in Self.runs(offsets.keys.sorted()) {
                out += Array("\(run.lowerBound) \(run.count)\n".utf8)
                for objectNumber in run {
                    out += Array(String(format: "%010d %05d n\r\n", offsets[objectNumber]!, generations[objectNumber] ?? 0).utf8)
                }
            }
            trailer["/Size"] = .int(Int64(max(nextNumber, previousSize)))
            out += Array("trailer\n".utf8)
            PDFSerializer.write(.dictionary(trailer), into: &out)
            out += Array("\nstartxref\n\(startxref)\n%%EOF\n".utf8)
        }
        return (out, offsets)
    }

    static func runs(_ sorted: [Int]) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for number in sorted {
            if let last = runs.last, last.upperBound + 1 == number {
                runs[runs.count - 1] = last.lowerBound...number
            } else {
                runs.append(number...number)
            }
        }
        return runs
    }
}

/// Existing objects as editable values: qpdf writes the object out, podpis's small reader reads it back.
extension PDFObject {
    func editable() throws -> PDFValue {
        let text = try unparsed()
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            var lexer = PDFLexer(buffer, at: 0)
            do {
                return try lexer.value()
            } catch let error as PDFLexer.SyntaxError {
                throw PDFStructure.Failure("cannot edit object \(referenceText ?? "(direct)"): \(error)")
            }
        }
    }

    var referenceValue: PDFValue? { reference.map { .reference($0.number, $0.generation) } }
}

extension PDFValue {
    /// The dictionary with `key` set.
    func setting(_ key: String, _ value: PDFValue) -> PDFValue {
        var entries = dictionary ?? [:]
        entries[key] = value
        return .dictionary(entries)
    }
}
