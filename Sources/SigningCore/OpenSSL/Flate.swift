import CPodpisZlib
import Foundation

/// zlib for the few streams podpis decodes or writes itself: PDF streams and the audit journal's packed entries.
/// Inflating is bounded: a stream that would grow past its limit is refused before the memory is spent (a PDF "zip
/// bomb" is a few kilobytes that inflate to gigabytes).
package enum Flate {
    package struct TooLarge: Error { package init() {} }
    package struct Corrupt: Error { package init() {} }

    /// Inflates a zlib (FlateDecode) stream, refusing output past `limit` bytes. With `keep` false only the size is
    /// counted and nothing is kept. A stream cut short yields what it held (many PDF writers leave off the checksum)
    /// unless `complete` demands its end (the journal's own data, where a cut is damage).
    package static func inflate(_ input: ArraySlice<UInt8>, limit: Int, keep: Bool = true, complete: Bool = false) throws -> (bytes: [UInt8], count: Int) {
        var stream = z_stream()
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw Corrupt() }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let result: Int32 = input.withUnsafeBufferPointer { source -> Int32 in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while true {
                let status: Int32 = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    return zlib_inflate(&stream)
                }
                let produced = chunk.count - Int(stream.avail_out)
                total += produced
                if total > limit { return -100 }
                if keep, produced > 0 { output += chunk[0..<produced] }
                switch status {
                case Z_STREAM_END: return Z_STREAM_END
                case Z_OK: if produced == 0 && stream.avail_in == 0 { return Z_BUF_ERROR }  // truncated: no more input
                case Z_BUF_ERROR: return produced == 0 ? Z_BUF_ERROR : Z_OK
                default: return status
                }
            }
        }
        if result == -100 { throw TooLarge() }
        // A stream cut short still yields what it held (many writers leave off the checksum); a corrupt one does not.
        guard result == Z_STREAM_END || (!complete && (result == Z_BUF_ERROR || result == Z_OK)) else { throw Corrupt() }
        return (output, total)
    }

    /// Deflates `input` into a zlib stream (FlateDecode).
    package static func deflate(_ input: [UInt8], level: Int32 = Z_BEST_COMPRESSION) -> [UInt8] {
        var length = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = output.withUnsafeMutableBufferPointer { target in
            input.withUnsafeBufferPointer { source in
                compress2(target.baseAddress, &length, source.baseAddress, uLong(source.count), level)
            }
        }
        precondition(status == Z_OK, "zlib compress2 cannot fail with compressBound's room")
        return Array(output[0..<Int(length)])
    }
}

/// `inflate` under a name that does not clash with ``Flate/inflate(_:limit:keep:)``.
@inline(__always) private func zlib_inflate(_ stream: UnsafeMutablePointer<z_stream>) -> Int32 {
    CPodpisZlib.inflate(stream, Z_NO_FLUSH)
}
