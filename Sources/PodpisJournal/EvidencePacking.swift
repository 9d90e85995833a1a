import NIOConcurrencyHelpers
import Foundation
import SigningCore

/// How an entry's evidence is stored compactly (journal format 3). The evidence text of a verification is mostly its
/// certificates — each one's decoded view and its DER in Base64 — and the same few certificates (the signer's CA, the
/// root, the TSA, the OCSP responder) recur in almost every entry. So:
///
/// - every certificate object of the evidence JSON (an object with `der`, `sha256`, `subject`, `issuer` and
///   `serial` at its own level) is cut out and stored once, in the journal's blob table, addressed by the SHA-256 of
///   its text; the evidence keeps `{"$blob":"<that digest>"}` in its place;
/// - what remains (the skeleton) is compressed with zlib.
///
/// Unpacking puts the objects back byte for byte: the evidence text is exactly what was appended, so the entry's
/// hash (over the canonical JSON of the whole entry, with the evidence text in it) is computed and checked as
/// before, and a journal mixing plain entries (formats 1–2) and packed ones verifies as one chain. A changed,
/// missing or swapped blob changes the evidence text, so the entries that refer to it fail their hash.
///
/// CRLs and OCSP responses are not in the evidence as bytes (it keeps their facts and SHA-256 only), so the blob
/// table holds certificates; the table's `kind` column leaves room for more.
public enum EvidencePacking {
    /// A certificate object cut out of an entry's evidence.
    public struct Blob: Sendable, Equatable {
        /// SHA-256 of `text`, lower-case hex: the blob's address.
        public var digest: String
        public var kind: String
        /// The object's JSON text, exactly as it stood in the evidence.
        public var text: [UInt8]
    }

    /// An entry's evidence as stored: `packed` (a format byte, then zlib) and the blobs it refers to.
    public struct Packed: Sendable {
        public var packed: [UInt8]
        public var blobs: [Blob]
    }

    /// The first byte of a packed evidence: 1 = zlib over the skeleton with blob references; 0 = zlib over the text
    /// as it is (evidence that already contains the reference marker, or is not a JSON object podpis can read).
    static let formatPlain: UInt8 = 0
    static let formatSkeleton: UInt8 = 1

    /// `{"$blob":"` — never in evidence podpis writes (no key starts with `$`); evidence that has it anyway is
    /// stored without cutting anything out, so every marker in a skeleton is one packing put there.
    static let marker = Array(#"{"$blob":""#.utf8)
    /// Inflated evidence larger than this is refused (a stored row cannot make the reader allocate without bound).
    static let inflateLimit = 256 << 20

    public static func pack(_ evidence: String) -> Packed {
        let bytes = Array(evidence.utf8)
        guard !contains(bytes, marker), let objects = certificateObjects(in: bytes) else {
            return Packed(packed: [formatPlain] + deflate(bytes), blobs: [])
        }
        var skeleton: [UInt8] = []
        skeleton.reserveCapacity(bytes.count / 4)
        var blobs: [Blob] = []
        var seen = Set<String>()
        var position = 0
        for range in objects {
            skeleton += bytes[position..<range.lowerBound]
            let text = Array(bytes[range])
            let digest = SHA256.hex(text)
            skeleton += marker
            skeleton += Array(digest.utf8)
            skeleton += Array(#""}"#.utf8)
            if seen.insert(digest).inserted { blobs.append(Blob(digest: digest, kind: "certificate", text: text)) }
            position = range.upperBound
        }
        skeleton += bytes[position...]
        return Packed(packed: [formatSkeleton] + deflate(skeleton), blobs: blobs)
    }

    /// The blob digests a packed evidence refers to (to fetch them before ``unpack(_:blobs:)``).
    public static func references(_ packed: [UInt8]) -> [String] {
        guard packed.first == formatSkeleton, let skeleton = try? inflate(packed.dropFirst()) else { return [] }
        return markers(in: skeleton).map(\.digest)
    }

    /// The evidence text: the skeleton with every reference replaced by its blob. A reference whose blob is missing
    /// stays as it is (the entry's hash then fails: the audit names the entry). Damaged data gives nil.
    public static func unpack(_ packed: [UInt8], blobs: [String: [UInt8]]) -> String? {
        guard let format = packed.first, let inflated = try? inflate(packed.dropFirst()) else { return nil }
        switch format {
        case formatPlain:
            return String(decoding: inflated, as: UTF8.self)
        case formatSkeleton:
            var text: [UInt8] = []
            text.reserveCapacity(inflated.count * 4)
            var position = 0
            for found in markers(in: inflated) {
                text += inflated[position..<found.range.lowerBound]
                if let blob = blobs[found.digest] {
                    text += blob
                } else {
                    text += inflated[found.range]
                }
                position = found.range.upperBound
            }
            text += inflated[position...]
            return String(decoding: text, as: UTF8.self)
        default:
            return nil
        }
    }

    // MARK: - Finding certificate objects

    /// The byte ranges of the certificate objects in a JSON text, in order, none inside another; nil when the text
    /// is not well-nested JSON (then nothing is cut out).
    static func certificateObjects(in bytes: [UInt8]) -> [Range<Int>]? {
        struct Frame {
            var start: Int
            var isObject: Bool
            var expectingKey: Bool
            var keys: UInt8 = 0
            var holdsCertificate = false
        }
        // The keys that mark a certificate's view (`CertificateInfo`), one bit each.
        let wanted: [([UInt8], UInt8)] = [(Array("der".utf8), 1), (Array("sha256".utf8), 2), (Array("subject".utf8), 4),
                                           (Array("issuer".utf8), 8), (Array("serial".utf8), 16)]
        let all: UInt8 = 31
        var stack: [Frame] = []
        var ranges: [Range<Int>] = []
        var inString = false
        var escaped = false
        var stringStart = 0
        var stringIsKey = false
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if stringIsKey, !stack.isEmpty {
                        let key = bytes[stringStart..<index]
                        for (name, bit) in wanted where key.elementsEqual(name) { stack[stack.count - 1].keys |= bit }
                    }
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                stringStart = index + 1
                stringIsKey = stack.last.map { $0.isObject && $0.expectingKey } ?? false
            case UInt8(ascii: "{"):
                stack.append(Frame(start: index, isObject: true, expectingKey: true))
            case UInt8(ascii: "["):
                stack.append(Frame(start: index, isObject: false, expectingKey: false))
            case UInt8(ascii: ":"):
                guard !stack.isEmpty else { return nil }
                stack[stack.count - 1].expectingKey = false
            case UInt8(ascii: ","):
                guard let top = stack.last else { return nil }
                if top.isObject { stack[stack.count - 1].expectingKey = true }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard let frame = stack.popLast(), frame.isObject == (byte == UInt8(ascii: "}")) else { return nil }
                var holds = frame.holdsCertificate
                if frame.isObject, frame.keys == all, !frame.holdsCertificate {
                    ranges.append(frame.start..<(index + 1))
                    holds = true
                }
                if holds, !stack.isEmpty { stack[stack.count - 1].holdsCertificate = true }
            default:
                break
            }
            index += 1
        }
        guard stack.isEmpty, !inString else { return nil }
        return ranges
    }

    /// The references in a skeleton: `{"$blob":"<64 hex>"}`.
    static func markers(in bytes: [UInt8]) -> [(range: Range<Int>, digest: String)] {
        var found: [(Range<Int>, String)] = []
        let length = marker.count + 64 + 2
        var index = 0
        while index + length <= bytes.count {
            if bytes[index] == marker[0], bytes[index..<(index + marker.count)].elementsEqual(marker),
               bytes[index + marker.count + 64] == UInt8(ascii: "\""), bytes[index + marker.count + 65] == UInt8(ascii: "}") {
                let digest = String(decoding: bytes[(index + marker.count)..<(index + marker.count + 64)], as: UTF8.self)
                found.append((index..<(index + length), digest))
                index += length
            } else {
                index += 1
            }
        }
        return found
    }

    static func contains(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count else { return false }
        var index = 0
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }


    // MARK: - zlib

    /// zlib at its default level (6): the journal writes on every verification, so speed counts as much as size.
    static func deflate(_ input: [UInt8]) -> [UInt8] { Flate.deflate(input, level: 6) }

    /// The whole stream, complete and within ``inflateLimit``; anything else is damage.
    static func inflate<C: Collection>(_ input: C) throws -> [UInt8] where C.Element == UInt8 {
        try Flate.inflate(ArraySlice(input), limit: inflateLimit, complete: true).bytes
    }
}

/// Blob texts by digest, each checked against its digest when read: certificates recur, so most appends insert no
/// blob and most pages read none. A digest found here is also known to be stored (it was read from the table, or
/// written in a committed transaction). Bounded: when full it starts over.
final class BlobCache: Sendable {
    private let box = NIOLockedValueBox([String: [UInt8]]())
    let capacity: Int

    init(capacity: Int = 4096) { self.capacity = capacity }

    func lookup(_ digests: [String]) -> (found: [String: [UInt8]], missing: [String]) {
        box.withLockedValue { cache in
            var found: [String: [UInt8]] = [:]
            var missing: [String] = []
            for digest in Set(digests) {
                if let text = cache[digest] { found[digest] = text } else { missing.append(digest) }
            }
            return (found, missing.sorted())
        }
    }

    func contains(_ digest: String) -> Bool { box.withLockedValue { $0[digest] != nil } }

    /// Keeps blobs whose text matches their digest (a blob changed in the table is used for its entries, whose hash
    /// then fails, but never remembered).
    func remember(_ blobs: [String: [UInt8]], verified: Bool = false) {
        let good = verified ? blobs : blobs.filter { SHA256.hex($0.value) == $0.key }
        box.withLockedValue { cache in
            if cache.count + good.count > capacity { cache.removeAll(keepingCapacity: true) }
            cache.merge(good) { _, new in new }
        }
    }
}

extension EvidencePacking {
    /// A stored blob's content: the object's text, compressed.
    static func storedBlob(_ blob: Blob) -> [UInt8] { deflate(blob.text) }

    static func blobText(stored: [UInt8]) -> [UInt8]? { try? inflate(stored) }

    /// The evidence of a row: its `evidence` text (formats 1–2), or its packed form with the blobs put back.
    static func evidence(text: String, packed: [UInt8]?, blobs: [String: [UInt8]]) -> String {
        guard let packed, !packed.isEmpty else { return text }
        // Damaged packed data: the row's text (empty) stands, and the entry's hash fails.
        return unpack(packed, blobs: blobs) ?? text
    }
}
