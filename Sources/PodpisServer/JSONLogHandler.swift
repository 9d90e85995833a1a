import Foundation
import Logging

/// One JSON object per line on stderr: time, level, message, label and metadata (request_id among them).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// One encoder for every line (its settings never change after this; encoding is safe from any thread). A new
    /// `JSONEncoder` and a new `ISO8601DateFormatter` per line were made for every request's log line.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public func log(event: LogEvent) {
        var object: [String: String] = [
            "time": Self.utcTimestamp(Date()), "level": event.level.rawValue, "message": "\(event.message)",
            "label": label,
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { object[key] = "\(value)" }
        guard var line = try? Self.encoder.encode(object) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }

    /// `2026-12-06T19:43:45Z`: what `ISO8601DateFormatter()` writes with its default options (UTC, whole seconds). A
    /// format style is a value, made once, as the journal does for its entry times.
    static let timeFormat = Date.ISO8601FormatStyle()

    package static func utcTimestamp(_ date: Date) -> String { date.formatted(timeFormat) }
}
