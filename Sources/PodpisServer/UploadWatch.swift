import EvidenceModel
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MultipartKit
import NIOCore
import NIOPosix
import PodpisContainer
import PodpisJournal
import PodpisPDF
import PodpisReport
import PodpisService
import PolicyEngine
import SigningCore
import Synchronization


/// Cuts off uploads slower than the configured minimum rate (slowloris): the idle timeout alone never fires for a
/// client that sends one byte a second. The rate is the client's: bytes over the time the reader spent *waiting* for
/// them, so a server busy parsing (or starved of threads) never blames the client for its own pace. Checked as each
/// piece arrives, and by a watchdog every half second — so a client that sends nothing at all after its headers does
/// not keep its upload slot until the idle timeout either.
final class UploadWatch: Sendable {
    let start = ContinuousClock.now
    let minRate: Int
    let grace: Duration
    let bytes = Atomic<Int>(0)
    /// Nanoseconds spent waiting for the client, finished waits only.
    let waited = Atomic<Int>(0)
    /// When the current wait began (nanoseconds since `start`), or -1 while a piece is being processed.
    let waitingSince = Atomic<Int>(-1)

    init(_ configuration: ServiceConfiguration) {
        minRate = configuration.minUploadRate
        grace = .seconds(configuration.uploadGrace)
    }

    var tooSlow: Problem {
        Problem(.requestTimeout, .tooSlow, title: "Upload too slow",
                detail: "the body arrived at under \(minRate) bytes/s; send it faster or in one piece")
    }

    func nanosecondsSinceStart() -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds) * 1_000_000_000 + Int(elapsed.components.attoseconds / 1_000_000_000)
    }

    /// Whether the client is behind the minimum rate now (never during the first `uploadGrace` of waiting).
    func behind() -> Bool {
        guard minRate > 0 else { return false }
        var nanoseconds = waited.load(ordering: .relaxed)
        let since = waitingSince.load(ordering: .relaxed)
        if since >= 0 { nanoseconds += max(0, nanosecondsSinceStart() - since) }
        let seconds = Double(nanoseconds) / 1e9
        guard seconds > Double(grace.components.seconds) else { return false }
        return Double(bytes.load(ordering: .relaxed)) / seconds < Double(minRate)
    }

    /// The reader is about to wait for the next piece.
    func waiting() { waitingSince.store(nanosecondsSinceStart(), ordering: .relaxed) }

    /// A piece arrived: the wait ends; the pace is checked.
    func received(_ count: Int) throws {
        let since = waitingSince.exchange(-1, ordering: .relaxed)
        if since >= 0 { waited.add(max(0, nanosecondsSinceStart() - since), ordering: .relaxed) }
        bytes.add(count, ordering: .relaxed)
        if behind() { throw tooSlow }
    }

    /// The body is complete (what is left is decoding it): no more waiting.
    func finished() { _ = waitingSince.exchange(-1, ordering: .relaxed) }

    /// Each piece of `body`, timing the waits for it.
    func pieces(of body: RequestBody, _ handle: (ByteBuffer) throws -> Void) async throws {
        var iterator = body.makeAsyncIterator()
        while true {
            waiting()
            guard let chunk = try await iterator.next() else { break }
            try received(chunk.readableBytes)
            try handle(chunk)
        }
        finished()
    }

    /// Reads a body with `read` while a watchdog checks the rate; whichever ends first decides (the reader is
    /// cancelled when the watchdog fires, which ends its wait for the next piece).
    static func reading<T: Sendable>(_ configuration: ServiceConfiguration, _ read: @escaping @Sendable (UploadWatch) async throws -> T) async throws -> T {
        let watch = UploadWatch(configuration)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await read(watch) }
            group.addTask {
                // Two consecutive ticks behind the rate, each on time: a late tick means this process was starved of
                // threads, and then the waits measured the server as much as the client.
                var behindTicks = 0
                var last = ContinuousClock.now
                while true {
                    try await Task.sleep(for: .milliseconds(500))
                    let now = ContinuousClock.now
                    let onTime = now - last < .seconds(1)
                    last = now
                    behindTicks = onTime && watch.behind() ? behindTicks + 1 : 0
                    if behindTicks >= 2 { throw watch.tooSlow }
                }
            }
            defer { group.cancelAll() }
            for try await result in group {
                if let result { return result }
            }
            throw CancellationError()
        }
    }
}
