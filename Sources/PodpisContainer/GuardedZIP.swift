#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SigningCore
import ZIPFoundation

/// Bounds for reading a ZIP file that came from outside.
///
/// Every limit is checked against what is actually read, not only against what the headers claim: a hostile archive
/// can state any sizes it likes.
public struct ZIPLimits: Sendable {
    /// At most this many entries (central-directory records).
    public var maxEntries: Int
    /// At most this many bytes decompressed from the whole archive, counted while streaming.
    public var maxTotalUncompressed: UInt64
    /// At most this expansion (uncompressed / compressed) for one entry...
    public var maxRatio: UInt64
    /// ...once the entry has produced more than this many bytes (small, very compressible files are normal).
    public var ratioFloor: UInt64
    /// Longest entry name, in bytes.
    public var maxNameLength: Int

    public init(maxEntries: Int = 1000, maxTotalUncompressed: UInt64 = 4 << 30, maxRatio: UInt64 = 200,
                ratioFloor: UInt64 = 1 << 20, maxNameLength: Int = 1024) {
        self.maxEntries = maxEntries
        self.maxTotalUncompressed = maxTotalUncompressed
        self.maxRatio = maxRatio
        self.ratioFloor = ratioFloor
        self.maxNameLength = maxNameLength
    }

    public static let standard = ZIPLimits()
}

/// One entry of a ``GuardedZIP``, as its central directory and local header describe it (both checked to agree).
public struct ZIPEntry: Sendable, Equatable {
    /// The name, UTF-8, `/`-separated, checked by ``ZIPNames/problem(with:)``.
    public var name: String
    /// Position in the central directory.
    public var index: Int
    /// 0 stored, 8 deflate.
    public var method: UInt16
    public var crc32: UInt32
    public var compressedSize: UInt64
    /// The size the headers state; reading checks the real output against it.
    public var uncompressedSize: UInt64
    public var localHeaderOffset: UInt64
    /// Length of the local header's extra field (ASiC wants none on `mimetype`).
    public var localExtraLength: Int
    /// Where the entry's (compressed) bytes start.
    public var dataOffset: UInt64

    /// A folder entry (`name/`), which carries no data.
    public var isDirectory: Bool { name.hasSuffix("/") }
}

/// Rules for entry names that are safe to show, to match against manifests and to extract.
public enum ZIPNames {
    /// Why `name` is not an acceptable entry name, or `nil` when it is: no absolute paths, drive letters,
    /// backslashes, NUL or other control characters, and no empty, `.` or `..` segments (path traversal).
    public static func problem(with name: String, maxLength: Int = 1024) -> String? {
        if name.isEmpty { return "an entry has an empty name" }
        if name.utf8.count > maxLength { return "an entry name is longer than \(maxLength) bytes" }
        let shown = String(name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }.prefix(80))
        if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            return "entry name «\(shown)» holds a control character (NUL, line break, ...)"
        }
        if name.contains("\\") { return "entry name «\(shown)» holds a backslash" }
        if name.hasPrefix("/") { return "entry name «\(shown)» is an absolute path" }
        let scalars = Array(name.unicodeScalars)
        if scalars.count >= 2, scalars[1] == ":", scalars[0].isASCII, scalars[0].properties.isAlphabetic {
            return "entry name «\(shown)» starts with a drive letter"
        }
        var segments = name.split(separator: "/", omittingEmptySubsequences: false)
        if name.hasSuffix("/") { segments.removeLast() }
        for segment in segments {
            if segment.isEmpty { return "entry name «\(shown)» holds an empty path segment (//)" }
            if segment == "." || segment == ".." { return "entry name «\(shown)» leaves its folder (path traversal: «\(segment)»)" }
        }
        return nil
    }
}

/// A ZIP archive read defensively: the structure is parsed and cross-checked here, with bounds checks on every
/// offset, before any byte of content is handed out.
///
/// ZIPFoundation 0.9.20 is used for what it does safely — deflate and CRC-32 with a bounded provider, and
/// writing — but not for reading structure: its iterator follows header offsets without checking them against the
/// file, and on Linux its inflate loop asks for more input forever when a deflate stream ends early (a hang on a
/// truncated entry) and tells zlib a short final chunk is a full one. So this reader hands it exactly the entry's
/// bytes, padded to the length it expects, and stops the stream when they are used up.
///
/// Refused outright: not a ZIP; ZIP64, split or encrypted archives; methods other than stored and deflate;
/// symbolic links; unsafe or duplicate names (also names differing only in case); overlapping entries (the
/// overlapping-file zip bomb); local headers that disagree with the central directory; more than
/// ``ZIPLimits/maxEntries`` entries; declared sizes over the limits.
public final class GuardedZIP {
    public let path: String
    public let limits: ZIPLimits
    public let entries: [ZIPEntry]
    public let fileSize: UInt64
    private let fd: Int32
    /// Bytes decompressed so far, across every entry (the whole-archive cap).
    private var produced: UInt64 = 0
    /// The name used in error messages.
    let subject: String

    public init(path: String, limits: ZIPLimits = .standard, subject: String? = nil) throws {
        self.path = path
        self.limits = limits
        self.subject = subject ?? path
        let size = try FileInput.regularFileSize(path: path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw PodpisError(.noInput, "cannot open: \(String(cString: strerror(errno)))", subject: path)
        }
        self.fd = fd
        self.fileSize = size
        do {
            self.entries = try Self.parse(fd: fd, size: size, limits: limits, subject: self.subject)
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Whether the file starts like a ZIP archive (a local file header); cheap, for detection.
    public static func looksLikeZIP(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 4)
        return systemRead(fd, &head, 4) == 4 && head == [0x50, 0x4B, 0x03, 0x04]
    }

    // MARK: Structure

    static func fail(_ subject: String, _ message: String) -> PodpisError {
        PodpisError(.dataFormat, message, subject: subject)
    }

    static func readAt(_ fd: Int32, _ offset: UInt64, _ count: Int, subject: String) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PodpisError(.ioError, "read failed: \(String(cString: strerror(errno)))", subject: subject)
            }
            if n == 0 { throw fail(subject, "not a readable ZIP container: the file ends early") }
            done += n
        }
        return buffer
    }

    static func parse(fd: Int32, size: UInt64, limits: ZIPLimits, subject: String) throws -> [ZIPEntry] {
        let notZIP = "not a ZIP container (ASiC-E or ASiC-S expected)"
        guard size >= 22 else { throw fail(subject, notZIP) }
        // End of central directory: the last 22 bytes plus at most a 64 KiB comment; its comment length must
        // reach exactly to the end of the file.
        let tailLength = Int(min(size, 22 + 0xFFFF))
        let tailStart = size - UInt64(tailLength)
        let tail = try readAt(fd, tailStart, tailLength, subject: subject)
        var eocd: Int? = nil
        var i = tail.count - 22
        while i >= 0 {
            if tail.le32(i) == 0x0605_4B50, i + 22 + Int(tail.le16(i + 20)) == tail.count {
                eocd = i
                break
            }
            i -= 1
        }
        guard let e = eocd else { throw fail(subject, notZIP) }
        let disk = tail.le16(e + 4), cdDisk = tail.le16(e + 6)
        let entriesOnDisk = tail.le16(e + 8), totalEntries = tail.le16(e + 10)
        let cdSize = UInt64(tail.le32(e + 12)), cdOffset = UInt64(tail.le32(e + 16))
        if (e >= 20 && tail.le32(e - 20) == 0x0706_4B50) || totalEntries == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            throw fail(subject, "ZIP64 archives are not supported for containers")
        }
        guard disk == 0, cdDisk == 0, entriesOnDisk == totalEntries else {
            throw fail(subject, "split (multi-volume) ZIP archives are not supported")
        }
        guard Int(totalEntries) <= limits.maxEntries else {
            throw fail(subject, "too many entries in the container (\(totalEntries); at most \(limits.maxEntries))")
        }
        let eocdOffset = tailStart + UInt64(e)
        guard cdOffset + cdSize <= eocdOffset else {
            throw fail(subject, "not a readable ZIP container: the central directory lies outside the file")
        }
        // Read whole, so bounded: 1000 entries with 1 KiB names fit many times over.
        guard cdSize <= 16 << 20 else {
            throw fail(subject, "the container's central directory is too large (\(cdSize) bytes; at most 16 MiB)")
        }
        let cd = try readAt(fd, cdOffset, Int(cdSize), subject: subject)

        var entries: [ZIPEntry] = []
        var names = Set<String>()
        var foldedNames = Set<String>()
        var declaredTotal: UInt64 = 0
        var p = 0
        for index in 0..<Int(totalEntries) {
            guard p + 46 <= cd.count, cd.le32(p) == 0x0201_4B50 else {
                throw fail(subject, "not a readable ZIP container: central directory record \(index + 1) is damaged")
            }
            let madeBy = cd.le16(p + 4), flags = cd.le16(p + 8), method = cd.le16(p + 10)
            let crc = cd.le32(p + 16)
            let compressed = UInt64(cd.le32(p + 20)), uncompressed = UInt64(cd.le32(p + 24))
            let nameLength = Int(cd.le16(p + 28)), extraLength = Int(cd.le16(p + 30)), commentLength = Int(cd.le16(p + 32))
            let external = cd.le32(p + 38)
            let localOffset = UInt64(cd.le32(p + 42))
            let recordEnd = p + 46 + nameLength + extraLength + commentLength
            guard recordEnd <= cd.count else {
                throw fail(subject, "not a readable ZIP container: central directory record \(index + 1) is damaged")
            }
            guard let name = String(validating: cd[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self) else {
                throw fail(subject, "entry \(index + 1) has a name that is not UTF-8")
            }
            if let problem = ZIPNames.problem(with: name, maxLength: limits.maxNameLength) { throw fail(subject, problem) }
            let shown = name.prefix(80)
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF {
                throw fail(subject, "ZIP64 archives are not supported for containers")
            }
            if flags & 0x0001 != 0 || flags & 0x0040 != 0 { throw fail(subject, "entry «\(shown)» is encrypted") }
            guard method == 0 || method == 8 else {
                throw fail(subject, "entry «\(shown)» uses compression method \(method) (only stored and deflate are allowed)")
            }
            if madeBy >> 8 == 3, (external >> 16) & 0o170000 == 0o120000 {
                throw fail(subject, "entry «\(shown)» is a symbolic link")
            }
            guard names.insert(name).inserted else { throw fail(subject, "duplicate entry name «\(shown)»") }
            guard foldedNames.insert(name.lowercased()).inserted else {
                throw fail(subject, "entry names differ only in letter case («\(shown)»): ambiguous when extracted")
            }
            if method == 0, compressed != uncompressed {
                throw fail(subject, "stored entry «\(shown)» states two different sizes")
            }
            if name.hasSuffix("/"), uncompressed != 0 { throw fail(subject, "folder entry «\(shown)» carries data") }
            if uncompressed > limits.ratioFloor, uncompressed / max(compressed, 1) > limits.maxRatio {
                throw fail(subject, "entry «\(shown)» expands more than \(limits.maxRatio) times (a zip bomb?)")
            }
            declaredTotal += uncompressed
            guard declaredTotal <= limits.maxTotalUncompressed else {
                throw fail(subject, "the container unpacks to more than \(limits.maxTotalUncompressed) bytes")
            }

            // The local header must agree with the central directory, and its data must lie before the directory.
            guard localOffset + 30 <= cdOffset else {
                throw fail(subject, "entry «\(shown)» points outside the archive")
            }
            let local = try readAt(fd, localOffset, 30, subject: subject)
            guard local.le32(0) == 0x0403_4B50 else { throw fail(subject, "entry «\(shown)»: damaged local header") }
            let localNameLength = Int(local.le16(26)), localExtraLength = Int(local.le16(28))
            guard local.le16(8) == method, local.le16(6) & 0x0041 == flags & 0x0041, localNameLength == nameLength else {
                throw fail(subject, "entry «\(shown)»: the local header disagrees with the central directory")
            }
            let dataOffset = localOffset + 30 + UInt64(localNameLength) + UInt64(localExtraLength)
            guard dataOffset + compressed <= cdOffset else {
                throw fail(subject, "entry «\(shown)» points outside the archive")
            }
            let localName = try readAt(fd, localOffset + 30, localNameLength, subject: subject)
            guard localName.elementsEqual(cd[(p + 46)..<(p + 46 + nameLength)]) else {
                throw fail(subject, "entry «\(shown)»: the local header names another file")
            }
            entries.append(ZIPEntry(
                name: name, index: index, method: method, crc32: crc, compressedSize: compressed,
                uncompressedSize: uncompressed, localHeaderOffset: localOffset, localExtraLength: localExtraLength,
                dataOffset: dataOffset))
            p = recordEnd
        }
        // No two entries may share bytes: overlapping entries are how the smallest zip bombs multiply their output.
        let ordered = entries.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
        for (a, b) in zip(ordered, ordered.dropFirst()) where a.dataOffset + a.compressedSize > b.localHeaderOffset {
            throw fail(subject, "entries «\(a.name.prefix(80))» and «\(b.name.prefix(80))» overlap (a zip bomb?)")
        }
        return entries
    }

    // MARK: Content

    /// Streams the entry's uncompressed bytes to `body`, enforcing the limits on what is really produced: never more
    /// than the header states, never more than the ratio allows, never more than the whole-archive cap; and at the
    /// end the exact stated size and CRC-32.
    public func read(_ entry: ZIPEntry, chunkSize: Int = 64 << 10, _ body: (Data) throws -> Void) throws {
        let shown = entry.name.prefix(80)
        var output: UInt64 = 0
        var crc: CRC32 = 0
        func consumer(_ data: Data) throws {
            output += UInt64(data.count)
            self.produced += UInt64(data.count)
            if output > entry.uncompressedSize {
                throw Self.fail(self.subject, "entry «\(shown)» unpacks to more than its header states (a zip bomb?)")
            }
            if output > self.limits.ratioFloor, output / max(entry.compressedSize, 1) > self.limits.maxRatio {
                throw Self.fail(self.subject, "entry «\(shown)» expands more than \(self.limits.maxRatio) times (a zip bomb?)")
            }
            if self.produced > self.limits.maxTotalUncompressed {
                throw Self.fail(self.subject, "the container unpacks to more than \(self.limits.maxTotalUncompressed) bytes")
            }
            if !data.isEmpty { crc = data.crc32(checksum: crc) }
            try body(data)
        }
        var position: UInt64 = 0
        if entry.method == 0 {
            while position < entry.compressedSize {
                let count = Int(min(UInt64(chunkSize), entry.compressedSize - position))
                let chunk = try Self.readAt(fd, entry.dataOffset + position, count, subject: subject)
                position += UInt64(count)
                try consumer(Data(chunk))
            }
        } else {
            // The provider gives exactly the length asked for (zero-padded after the entry's last byte, since the
            // Linux inflate loop tells zlib the chunk is that long) and throws once the entry's bytes are spent,
            // which ends the loop on a truncated stream instead of spinning forever. Whatever zlib makes of the
            // padding is bounded by the checks in `consumer` (stated size, ratio, whole-archive cap).
            var exhausted = false
            func provider(_: Int64, _ length: Int) throws -> Data {
                if exhausted {
                    throw Self.fail(self.subject, "entry «\(shown)» is damaged: its compressed data ends early")
                }
                let available = entry.compressedSize - position
                let count = Int(min(UInt64(length), available))
                var chunk = try Self.readAt(self.fd, entry.dataOffset + position, count, subject: self.subject)
                position += UInt64(count)
                if position == entry.compressedSize { exhausted = true }
                if chunk.count < length { chunk.append(contentsOf: repeatElement(0, count: length - chunk.count)) }
                return Data(chunk)
            }
            do {
                _ = try Data.decompress(size: Int64(entry.compressedSize), bufferSize: chunkSize, skipCRC32: true,
                                        provider: provider, consumer: consumer)
            } catch let error as PodpisError {
                throw error
            } catch {
                throw Self.fail(subject, "entry «\(shown)» is damaged: its compressed data cannot be inflated")
            }
        }
        guard output == entry.uncompressedSize else {
            throw Self.fail(subject, "entry «\(shown)» is damaged: it unpacks to \(output) bytes, its header states \(entry.uncompressedSize)")
        }
        guard crc == entry.crc32 else {
            throw Self.fail(subject, "entry «\(shown)» is damaged: CRC-32 mismatch")
        }
    }

    /// The whole entry in memory; for small entries (manifests, signatures), refused above `limit` bytes.
    public func contents(_ entry: ZIPEntry, limit: UInt64) throws -> [UInt8] {
        guard entry.uncompressedSize <= limit else {
            throw Self.fail(subject, "entry «\(entry.name.prefix(80))» is too large (\(entry.uncompressedSize) bytes; at most \(limit))")
        }
        var result: [UInt8] = []
        result.reserveCapacity(Int(entry.uncompressedSize))
        try read(entry) { result.append(contentsOf: $0) }
        return result
    }
}

extension Array where Element == UInt8 {
    func le16(_ i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }
    func le32(_ i: Int) -> UInt32 {
        UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24
    }
}

/// read(2), named apart from the `read` methods of the types here.
func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(fd, buffer, count)
    #else
    Darwin.read(fd, buffer, count)
    #endif
}

/// write(2), named apart from the `write` methods of the types here.
func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
    #else
    Darwin.write(fd, buffer, count)
    #endif
}
