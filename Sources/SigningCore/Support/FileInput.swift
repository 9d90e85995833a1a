import COpenSSL
import Foundation

/// File access with the checks every input needs: it exists, it is a regular file, it is not absurdly large.
public enum FileInput {
    /// Size of a regular file, or a `noInput` error naming it.
    public static func regularFileSize(path: String) throws -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw PodpisError(.noInput, .noSuchFile, subject: path)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw PodpisError(.noInput, .isADirectory, subject: path)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw PodpisError(.noInput, .notARegularFile, subject: path)
        }
        return UInt64(info.st_size)
    }

    /// Reads a whole file that must be at most `limit` bytes.
    public static func readSmallFile(path: String, limit: UInt64) throws -> [UInt8] {
        let size = try regularFileSize(path: path)
        guard size <= limit else {
            throw PodpisError(.dataFormat, .tooLarge, ["size": "\(size)", "limit": "\(limit)"], subject: path)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PodpisError(.noInput, "cannot open: \(String(cString: strerror(errno)))", subject: path) }
        defer { close(fd) }
        var result = [UInt8](repeating: 0, count: Int(size))
        var offset = 0
        while offset < result.count {
            let n = result.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PodpisError(.ioError, "read failed: \(String(cString: strerror(errno)))", subject: path)
            }
            if n == 0 { break }
            offset += n
        }
        return Array(result.prefix(offset))
    }

    /// How much one read(2) of a streamed file asks for. Measured on 1 GiB in the page cache (`Benchmarks/NOTES.md`):
    /// read + SHA-256 costs about the same CPU from 64 KiB to 1 MiB (8 KiB: +7 %), but behind OpenSSL's buffer
    /// BIO (``Signer``) a buffer of 128 KiB or more more than doubled the kernel's time, 0.2 → 0.5 s per GiB (not
    /// investigated further). 64 KiB: 16 384 system calls per GiB, and the chunk stays in L2.
    public static let chunkSize = 64 << 10

    /// Calls `body` with consecutive chunks of the file (``chunkSize``), so memory stays flat for any size.
    public static func stream(path: String, chunkSize: Int = FileInput.chunkSize, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        _ = try regularFileSize(path: path)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PodpisError(.noInput, "cannot open: \(String(cString: strerror(errno)))", subject: path) }
        defer { close(fd) }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        let progress = ReadProgress.current
        while true {
            let n = read(fd, buffer.baseAddress!, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw PodpisError(.ioError, "read failed: \(String(cString: strerror(errno)))", subject: path)
            }
            if n == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            progress?.add(n)
        }
    }

    /// Writes all of `bytes` to `fd` (retrying on EINTR), sets `mode`, syncs and closes it; the descriptor is closed
    /// in every case. Returns the errno of the first failure, or nil.
    package static func writeDurably(_ bytes: [UInt8], to fd: Int32, mode: mode_t) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let failure = errno
                close(fd)
                return failure
            }
            offset += n
        }
        fchmod(fd, mode)
        if fsync(fd) != 0 {
            let failure = errno
            close(fd)
            return failure
        }
        return close(fd) == 0 ? nil : errno
    }

    /// Writes `bytes` to `path` atomically (temporary file in the same folder, fsync, rename), so a crash
    /// never leaves a half-written signature where a good one was.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let template = (directory.isEmpty ? "." : directory) + "/.\(base).podpis-XXXXXX"
        TemporaryFiles.removeStale(besideOutput: path)
        var templateBytes = Array(template.utf8CString)
        let fd = templateBytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw PodpisError(.cannotCreate, "cannot create: \(String(cString: strerror(errno)))", subject: path)
        }
        let temporary = string(fromNulTerminated: templateBytes)
        TemporaryFiles.created(temporary)
        var success = false
        defer {
            if !success { unlink(temporary) }
            TemporaryFiles.finished(temporary)
        }
        if let failure = writeDurably(bytes, to: fd, mode: mode) {
            throw PodpisError(.ioError, "write failed: \(String(cString: strerror(failure)))", subject: path)
        }
        guard rename(temporary, path) == 0 else {
            throw PodpisError(.cannotCreate, "cannot create: \(String(cString: strerror(errno)))", subject: path)
        }
        success = true
    }
}

/// Streaming digests: several algorithms over one pass of the data.
public final class MultiDigest {
    private var contexts: [(DigestAlgorithm, OpaquePointer)] = []

    public init(_ algorithms: Set<DigestAlgorithm>) throws {
        for algorithm in algorithms.sorted(by: { $0.rawValue < $1.rawValue }) {
            guard let md = algorithm.evpMD() else {
                clearOpenSSLErrors()
                continue  // unknown here (e.g. GOST without the engine): simply not computed
            }
            guard let context = OpenSSLHandle(taking: EVP_MD_CTX_new(), free: EVP_MD_CTX_free),
                  EVP_DigestInit_ex(context.pointer, md, nil) == 1
            else {
                throw PodpisError.openSSL(.software, "cannot initialise \(algorithm.name)")
            }
            contexts.append((algorithm, context.release()))  // freed in deinit
        }
    }

    deinit { for (_, ctx) in contexts { EVP_MD_CTX_free(ctx) } }

    public func update(_ chunk: UnsafeRawBufferPointer) {
        guard let base = chunk.baseAddress else { return }
        for (_, ctx) in contexts { EVP_DigestUpdate(ctx, base, chunk.count) }
    }

    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public func finish() -> [DigestAlgorithm: [UInt8]] {
        var result: [DigestAlgorithm: [UInt8]] = [:]
        for (algorithm, ctx) in contexts {
            var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
            var length: UInt32 = 0
            if EVP_DigestFinal_ex(ctx, &out, &length) == 1 { result[algorithm] = Array(out.prefix(Int(length))) }
        }
        return result
    }

    /// One-shot digest of bytes.
    public static func digest(_ algorithm: DigestAlgorithm, _ bytes: [UInt8]) throws -> [UInt8] {
        let multi = try MultiDigest([algorithm])
        multi.update(bytes)
        guard let value = multi.finish()[algorithm] else {
            throw PodpisError(.configuration, "\(algorithm.name) is not available")
        }
        return value
    }

    /// Digests of a file, streamed.
    public static func digestFile(path: String, algorithms: Set<DigestAlgorithm>) throws -> (size: UInt64, digests: [DigestAlgorithm: [UInt8]]) {
        let multi = try MultiDigest(algorithms)
        var size: UInt64 = 0
        try FileInput.stream(path: path) { chunk in
            size += UInt64(chunk.count)
            multi.update(chunk)
        }
        return (size, multi.finish())
    }
}

extension FileInput {
    /// Whether the file's content is a CMS signature or an RFC 3161 timestamp (token or response), in DER, PEM or
    /// bare Base64, judged from its first bytes. `verify FILE` decides by this, not by the file's name.
    public static func looksLikeSignature(path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let capacity = 8192
        var head = [UInt8](repeating: 0, count: capacity)
        var filled = 0
        while filled < capacity {
            let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, capacity - filled) }
            if n <= 0 { break }
            filled += n
        }
        return SignatureDecoder.looksLikeSignature(Array(head.prefix(filled)))
    }

    /// Reads a signature file: refuses directories and anything too large to be a signature, after a cheap
    /// look at its first bytes, so a gigabyte of noise is rejected without being read.
    public static func readSignature(path: String) throws -> [UInt8] {
        let size = try regularFileSize(path: path)
        let limit: UInt64 = 512 << 20
        if size > limit {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            var head = [UInt8](repeating: 0, count: 64)
            let n = fd >= 0 ? read(fd, &head, head.count) : -1
            if fd >= 0 { close(fd) }
            if n > 0, SignatureDecoder.looksLikeSignedData(head.prefix(n)) {
                throw PodpisError(.dataFormat, .signatureTooLarge, ["size": "\(size)", "limit": "\(limit)"], subject: path)
            }
            throw PodpisError(.dataFormat, .notCms, subject: path)
        }
        return try readSmallFile(path: path, limit: limit)
    }
}
