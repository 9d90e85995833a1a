import NIOConcurrencyHelpers

/// Group commit, for both journals: appends that arrive while a write is in flight wait here and share the next
/// write (one transaction, one commit or fsync for all of them), at most `limit` at a time. Each caller resumes only
/// after the write that holds its own entry, with that entry or with the write's error.
final class GroupCommit: Sendable {
    typealias Write = @Sendable ([JournalRecord]) async throws -> [JournalEntry]

    private struct State {
        var queue: [(JournalRecord, CheckedContinuation<JournalEntry, any Error>)] = []
        var writing = false
    }

    private let state = NIOLockedValueBox(State())
    private let limit: Int

    init(limit: Int = .max) {
        self.limit = max(1, limit)
    }

    /// Queues `record` and returns its entry once written.
    /// - Parameter write: writes a batch, in order, and returns its entries in the same order (the journal's own
    ///   write: every caller passes the same one).
    func append(_ record: JournalRecord, write: @escaping Write) async throws -> JournalEntry {
        try await withCheckedThrowingContinuation { continuation in
            let startWriter = state.withLockedValue { state in
                state.queue.append((record, continuation))
                if state.writing { return false }
                state.writing = true
                return true
            }
            if startWriter { Task { await self.drain(write) } }
        }
    }

    private func drain(_ write: Write) async {
        while true {
            let batch = state.withLockedValue { state in
                let items = Array(state.queue.prefix(limit))
                state.queue.removeFirst(items.count)
                if items.isEmpty { state.writing = false }
                return items
            }
            if batch.isEmpty { return }
            do {
                let entries = try await write(batch.map(\.0))
                guard entries.count == batch.count else { throw GroupCommitMismatch() }
                for (item, entry) in zip(batch, entries) { item.1.resume(returning: entry) }
            } catch {
                for item in batch { item.1.resume(throwing: error) }
            }
        }
    }

    /// A write that returned another number of entries than it was given (a bug): every caller gets an error
    /// rather than a missing answer.
    struct GroupCommitMismatch: Error, CustomStringConvertible {
        var description: String { "the journal wrote another number of entries than it was given" }
    }
}
