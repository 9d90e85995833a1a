import CQPDF
import Foundation

/// The bytes of a PDF in memory, at a stable address that qpdf may read from for as long as any document opened
/// on them lives. Written once in `init`, only read afterwards.
final class PDFBytes {
    let pointer: UnsafeMutableBufferPointer<UInt8>

    init(_ bytes: [UInt8]) {
        pointer = UnsafeMutableBufferPointer.allocate(capacity: max(bytes.count, 1))
        _ = pointer.initialize(from: bytes)
    }

    deinit { pointer.deallocate() }

    var count: Int { pointer.count }
    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(pointer) }
    subscript(range: Range<Int>) -> ArraySlice<UInt8> { ArraySlice(UnsafeBufferPointer(rebasing: pointer[range])) }
}

/// A PDF opened with qpdf: one revision of it (a prefix of the file), read-only.
///
/// Not thread-safe (qpdf's `qpdf_data` is not): it lives inside one verification. Every qpdf call is followed by a
/// check of qpdf's error state; warnings (qpdf's word for what it could read past) are drained into ``warnings``.
final class QPDFDocument {
    private var handle: qpdf_data?
    let bytes: PDFBytes
    let length: Int
    private(set) var warnings: [String] = []

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(_ bytes: PDFBytes, length: Int) throws {
        self.bytes = bytes
        self.length = length
        guard let handle = qpdf_init() else { throw Failure(description: "qpdf could not start") }
        self.handle = handle
        qpdf_silence_errors(handle)
        qpdf_set_suppress_warnings(handle, 1)
        // A conforming reader uses the cross-reference table as written; a reconstructed one could show objects that
        // no signature's revision contains.
        qpdf_set_attempt_recovery(handle, 0)
        let status = bytes.pointer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: length) { base in
            qpdf_read_memory(handle, "pdf", base, UInt64(length), nil)
        }
        if status & QPDF_ERRORS != 0 || qpdf_has_error(handle) != 0 {
            throw Failure(description: takeError() ?? "qpdf cannot read the file")
        }
    }

    deinit { qpdf_cleanup(&handle) }

    var q: qpdf_data { handle! }

    func takeError() -> String? {
        guard qpdf_has_error(q) != 0, let error = qpdf_get_error(q) else { return nil }
        let detail = qpdf_get_error_message_detail(q, error).map { String(cString: $0) } ?? ""
        let full = qpdf_get_error_full_text(q, error).map { String(cString: $0) } ?? detail
        return full.isEmpty ? "qpdf error" : full
    }

    /// Throws qpdf's pending error, if any; keeps a bounded record of warnings.
    func check() throws {
        if let error = takeError() { throw Failure(description: error) }
        while qpdf_more_warnings(q) != 0 {
            guard let warning = qpdf_next_warning(q) else { break }
            if warnings.count < 32, let text = qpdf_get_error_full_text(q, warning) { warnings.append(String(cString: text)) }
        }
    }

    var isEncrypted: Bool { qpdf_is_encrypted(q) != 0 }

    func trailer() throws -> PDFObject {
        let oh = qpdf_get_trailer(q)
        try check()
        return PDFObject(document: self, handle: oh)
    }

    func root() throws -> PDFObject {
        let oh = qpdf_get_root(q)
        try check()
        return PDFObject(document: self, handle: oh)
    }

    func object(_ number: Int, _ generation: Int) throws -> PDFObject {
        let oh = qpdf_get_object_by_id(q, Int32(clamping: number), Int32(clamping: generation))
        try check()
        return PDFObject(document: self, handle: oh)
    }

    func pageCount() throws -> Int {
        let count = qpdf_get_num_pages(q)
        try check()
        return Int(max(count, 0))
    }

    func page(_ index: Int) throws -> PDFObject {
        let oh = qpdf_get_page_n(q, index)
        try check()
        return PDFObject(document: self, handle: oh)
    }
}

/// One object handle in a ``QPDFDocument``. Accessors check the type first, so that qpdf never warns about a
/// wrong-typed access, and report qpdf errors as thrown errors.
struct PDFObject {
    let document: QPDFDocument
    let handle: qpdf_oh

    private var q: qpdf_data { document.q }

    var isNull: Bool { qpdf_oh_is_null(q, handle) != 0 || qpdf_oh_is_initialized(q, handle) == 0 }
    var isDictionary: Bool { qpdf_oh_is_dictionary(q, handle) != 0 }
    var isArray: Bool { qpdf_oh_is_array(q, handle) != 0 }
    var isStream: Bool { qpdf_oh_is_stream(q, handle) != 0 }
    var isIndirect: Bool { qpdf_oh_is_indirect(q, handle) != 0 }
    var isString: Bool { qpdf_oh_is_string(q, handle) != 0 }
    var isName: Bool { qpdf_oh_is_name(q, handle) != 0 }
    var isInteger: Bool { qpdf_oh_is_integer(q, handle) != 0 }
    var isNumber: Bool { qpdf_oh_is_number(q, handle) != 0 }

    /// The dictionary of a dictionary or a stream.
    var dictionaryLike: PDFObject? {
        if isDictionary { return self }
        if isStream { return PDFObject(document: document, handle: qpdf_oh_get_dict(q, handle)) }
        return nil
    }

    /// `dict[key]`, or nil when absent, null, or not a dictionary (or stream dictionary).
    func get(_ key: String) throws -> PDFObject? {
        guard let dictionary = dictionaryLike else { return nil }
        guard qpdf_oh_has_key(q, dictionary.handle, key) != 0 else { return nil }
        let value = PDFObject(document: document, handle: qpdf_oh_get_key(q, dictionary.handle, key))
        try document.check()
        return value.isNull ? nil : value
    }

    func keys() throws -> [String] {
        guard let dictionary = dictionaryLike else { return [] }
        var result: [String] = []
        qpdf_oh_begin_dict_key_iter(q, dictionary.handle)
        while qpdf_oh_dict_more_keys(q) != 0 {
            guard let key = qpdf_oh_dict_next_key(q) else { break }
            result.append(String(cString: key))
            if result.count > 100_000 { break }
        }
        try document.check()
        return result
    }

    var name: String? {
        guard isName, let value = qpdf_oh_get_name(q, handle) else { return nil }
        return String(cString: value)
    }

    var int: Int64? {
        guard isInteger else { return nil }
        var value: Int64 = 0
        guard qpdf_oh_get_value_as_longlong(q, handle, &value) != 0 else { return nil }
        return value
    }

    var number: Double? {
        guard isNumber else { return nil }
        var value: Double = 0
        guard qpdf_oh_get_value_as_number(q, handle, &value) != 0 else { return nil }
        return value
    }

    /// The string's bytes as stored (after decryption, before any text decoding).
    var bytes: [UInt8]? {
        guard isString else { return nil }
        var length = 0
        guard let value = qpdf_oh_get_binary_string_value(q, handle, &length) else { return nil }
        return value.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// A text string (PDFDocEncoding or UTF-16BE) as UTF-8.
    var text: String? {
        guard isString else { return nil }
        var length = 0
        guard let value = qpdf_oh_get_binary_utf8_value(q, handle, &length) else { return nil }
        return value.withMemoryRebound(to: UInt8.self, capacity: length) { String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self) }
    }

    var count: Int { isArray ? Int(qpdf_oh_get_array_n_items(q, handle)) : 0 }

    func item(_ index: Int) throws -> PDFObject {
        let value = PDFObject(document: document, handle: qpdf_oh_get_array_item(q, handle, Int32(index)))
        try document.check()
        return value
    }

    func items(limit: Int = 100_000) throws -> [PDFObject] {
        guard isArray else { return [] }
        return try (0..<min(count, limit)).map { try item($0) }
    }

    /// `N G` of an indirect object.
    var reference: (number: Int, generation: Int)? {
        guard isIndirect else { return nil }
        return (Int(qpdf_oh_get_object_id(q, handle)), Int(qpdf_oh_get_generation(q, handle)))
    }

    var referenceText: String? { reference.map { "\($0.number) \($0.generation)" } }

    /// The object written out (indirect objects inside stay references); a stream gives its dictionary.
    func unparsed() throws -> String {
        let value: UnsafePointer<CChar>?
        if isStream {
            value = qpdf_oh_unparse(q, qpdf_oh_get_dict(q, handle))
        } else {
            value = qpdf_oh_unparse_resolved(q, handle)
        }
        try document.check()
        return value.map { String(cString: $0) } ?? ""
    }

    /// A stream's data as stored in the file (no filter applied).
    func rawStreamData() throws -> [UInt8] {
        guard isStream else { return [] }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var filtered: QPDF_BOOL = 0
        let status = qpdf_oh_get_stream_data(q, handle, qpdf_dl_none, &filtered, &buffer, &length)
        defer { free(buffer) }
        if status & QPDF_ERRORS != 0 { try document.check() }
        try document.check()
        guard let buffer else { return [] }
        return Array(UnsafeBufferPointer(start: buffer, count: length))
    }

    /// Whether two handles (of the same document) are the same indirect object.
    func sameObject(as other: PDFObject) -> Bool {
        guard let a = reference, let b = other.reference else { return false }
        return a == b
    }
}
