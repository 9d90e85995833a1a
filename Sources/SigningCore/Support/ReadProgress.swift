import COpenSSL
import Foundation
import NIOConcurrencyHelpers

/// How far a long read of one file has come, for a front end that shows progress (`sign` and `verify` on a
/// terminal). The core only counts: the reading code adds what it read to ``current`` (a task-local, so nothing is
/// counted unless a front end asked for it).
public final class ReadProgress: Sendable {
    @TaskLocal public static var current: ReadProgress?

    private let counted = NIOLockedValueBox<UInt64>(0)

    public init() {}

    /// Bytes read so far.
    public var bytes: UInt64 { counted.withLockedValue { $0 } }

    func add(_ count: Int) {
        guard count > 0 else { return }
        counted.withLockedValue { $0 += UInt64(count) }
    }

    /// Counts what OpenSSL reads through `bio` (a file BIO whose reads OpenSSL drives, as `CMS_final` does).
    /// The progress object must outlive the BIO's use; the callback holds it unretained.
    func watch(_ bio: OpaquePointer) {
        BIO_set_callback_arg(bio, UnsafeMutableRawPointer(Unmanaged.passUnretained(self).toOpaque()).assumingMemoryBound(to: CChar.self))
        BIO_set_callback_ex(bio) { bio, operation, _, _, _, _, result, processed in
            if operation == Int32(BIO_CB_READ | BIO_CB_RETURN), result > 0, let processed, let argument = BIO_get_callback_arg(bio) {
                Unmanaged<ReadProgress>.fromOpaque(UnsafeRawPointer(argument)).takeUnretainedValue().add(Int(processed.pointee))
            }
            return Int(result)
        }
    }
}
