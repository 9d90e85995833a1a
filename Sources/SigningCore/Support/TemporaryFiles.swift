import Dispatch
import Foundation
import NIOConcurrencyHelpers

/// The hidden temporary files podpis writes beside an output before renaming it into place
/// (`.NAME.podpis-XXXXXX`, `.podpis-extract-XXXXXX`). A command killed by SIGINT or SIGTERM removes the ones it
/// has open; one killed harder (SIGKILL, a power cut) leaves them behind, and the next run that writes into the
/// same folder removes those older than a day.
public enum TemporaryFiles {
    /// Temporaries in use now, by path.
    private static let live = NIOLockedValueBox<Set<String>>([])
    /// Folders already swept for stale temporaries by this process (one sweep each: an archive folder may hold
    /// many thousands of files, written one after another).
    private static let swept = NIOLockedValueBox<Set<String>>([])
    /// The installed signal sources, kept alive for the process; read and written only under `installing`.
    private static let installing = NIOLock()
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// How old a leftover temporary must be before another run removes it: a day, so that a write in progress in
    /// another process is never touched.
    public static let staleAge: TimeInterval = 86_400

    /// Records a temporary file just created (removed on SIGINT/SIGTERM until ``finished(_:)``).
    public static func created(_ path: String) {
        live.withLockedValue { _ = $0.insert(path) }
    }

    /// The temporary was renamed into place or removed.
    public static func finished(_ path: String) {
        live.withLockedValue { _ = $0.remove(path) }
    }

    /// From now on SIGINT and SIGTERM remove the temporaries in use, then end the process as the signal would
    /// (exit status 128 + signal). Not for servers, whose SIGTERM is a graceful shutdown. Idempotent.
    public static func removeOnSignals() {
        installing.withLock {
            guard sources.isEmpty else { return }
            for signalNumber in [SIGINT, SIGTERM] {
                // The default action would end the process before the handler ran; the source sees the signal still.
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler {
                    for path in live.withLockedValue({ $0 }) { unlink(path) }
                    signal(signalNumber, SIG_DFL)
                    // To the process, not this thread: dispatch's threads block signals, so raise() would wait forever.
                    kill(getpid(), signalNumber)
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Whether a file name is one of podpis's temporaries.
    static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix(".") else { return false }
        if name.hasPrefix(".podpis-extract-") { return name.count == ".podpis-extract-".count + 6 }
        guard let range = name.range(of: ".podpis-", options: .backwards), range.lowerBound > name.index(after: name.startIndex) else {
            return false
        }
        let suffix = name[range.upperBound...]
        // mkstemp's six characters, or a UUID (the container writer).
        return (suffix.count == 6 || suffix.count == 36) && suffix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }

    /// Removes podpis temporaries older than ``staleAge`` in the folder that will receive `output` (once per
    /// folder per process). Only regular files of this user are touched; errors are ignored: this is tidying.
    public static func removeStale(besideOutput output: String, now: Date = Date()) {
        let directory = (output as NSString).deletingLastPathComponent
        let folder = directory.isEmpty ? "." : directory
        let key = (folder as NSString).standardizingPath
        guard swept.withLockedValue({ $0.insert(key).inserted }) else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        let inUse = live.withLockedValue { $0 }
        for name in names where isTemporaryName(name) {
            let path = (folder as NSString).appendingPathComponent(name)
            var info = stat()
            guard !inUse.contains(path), lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == getuid() else { continue }
            #if os(Linux)
            let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
            #else
            let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtimespec.tv_sec))
            #endif
            if now.timeIntervalSince(modified) > staleAge { unlink(path) }
        }
    }
}
