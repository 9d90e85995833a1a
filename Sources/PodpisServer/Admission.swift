import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import Synchronization

/// Who may use the service's capacity, and when. A request first holds an *upload* slot while its body arrives
/// (`maxUploads`, default 4 × `maxConcurrent`), then a *verification* slot while it is verified (`maxConcurrent`).
/// A client that trickles its body (the 64 connections at 1.2 KB/s) occupies upload slots only — and
/// only until `minUploadRate` cuts it off — so real verifications still get through. Beyond either limit the answer
/// is 429 at once, with Retry-After, never a queue without bound.
final class Admission: Sendable {
    let maxUploads: Int
    let maxVerifications: Int
    let uploads = Atomic<Int>(0)
    let verifications = Atomic<Int>(0)

    init(maxUploads: Int, maxVerifications: Int) {
        self.maxUploads = maxUploads
        self.maxVerifications = maxVerifications
    }

    /// Runs `body` (reading a request body) under an upload slot.
    func uploading<T>(_ body: () async throws -> T) async throws -> T {
        let now = uploads.add(1, ordering: .acquiringAndReleasing).newValue
        defer { uploads.subtract(1, ordering: .acquiringAndReleasing) }
        guard now <= maxUploads else {
            throw Problem(.tooManyRequests, .tooManyUploads, title: "Too many uploads at once",
                          detail: "at most \(maxUploads) request bodies are received at once; retry shortly")
                .with(header: "Retry-After", "1")
        }
        return try await body()
    }

    /// Runs `body` (a verification, its body complete) under a verification slot.
    func verifying<T>(_ body: () async throws -> T) async throws -> T {
        let now = verifications.add(1, ordering: .acquiringAndReleasing).newValue
        defer { verifications.subtract(1, ordering: .acquiringAndReleasing) }
        guard now <= maxVerifications else {
            throw Problem(.tooManyRequests, .tooManyRequests, title: "Too many concurrent verifications",
                          detail: "at most \(maxVerifications) at once; retry shortly")
                .with(header: "Retry-After", "1")
        }
        return try await body()
    }
}

/// Waits for an operation at most `seconds`. The operation is not cancelled when time runs out (a journal append
/// that completes late is still a whole entry); the caller just stops waiting for it.
enum Deadline {
    struct Expired: Error {}

    static func run<T: Sendable>(seconds: Int, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let pending = NIOLockedValueBox<CheckedContinuation<T, any Error>?>(continuation)
            @Sendable func finish(_ result: Result<T, any Error>) {
                pending.withLockedValue { waiting in
                    waiting?.resume(with: result)
                    waiting = nil
                }
            }
            let timer = Task {
                try await Task.sleep(for: .seconds(seconds))
                finish(.failure(Expired()))
            }
            Task {
                do {
                    finish(.success(try await operation()))
                } catch {
                    finish(.failure(error))
                }
                timer.cancel()
            }
        }
    }
}
