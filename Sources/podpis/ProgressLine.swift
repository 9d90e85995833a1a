import Foundation
import PolicyEngine
import SigningCore

/// A progress line on the terminal while one large file is hashed (`sign`, `verify`): bytes read of the total and
/// the rate, redrawn in place on stderr and cleared at the end. Nothing is shown when stderr is not a terminal or
/// the file is small, so scripts and pipes see exactly what they saw before.
enum ProgressLine {
    /// Files smaller than this finish too fast to need a progress line.
    static let threshold: UInt64 = 16 << 20

    static func reading<T>(_ path: String?, language: Language, _ body: () throws -> T) throws -> T {
        guard let path, isatty(STDERR_FILENO) == 1, let total = try? FileInput.regularFileSize(path: path), total >= threshold else {
            return try body()
        }
        let progress = ReadProgress()
        let name = (path as NSString).lastPathComponent
        let started = Date()
        let queue = DispatchQueue(label: "podpis.progress")
        let timer = DispatchSource.makeTimerSource(queue: queue)
        func draw() {
            let done = min(progress.bytes, total)
            let seconds = max(Date().timeIntervalSince(started), 0.001)
            let line = Catalogue.cli(language).text("progress.hashing", [
                "file": name, "done": size(done, language), "total": size(total, language),
                "percent": "\(Int(Double(done) * 100 / Double(max(total, 1))))", "rate": size(UInt64(Double(done) / seconds), language),
            ])
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        }
        timer.schedule(deadline: .now(), repeating: .milliseconds(200))
        timer.setEventHandler(handler: draw)
        timer.resume()
        defer {
            timer.cancel()
            queue.sync {
                draw()
                FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            }
        }
        return try ReadProgress.$current.withValue(progress) { try body() }
    }

    /// `1.2 GiB` / `1,2 ГиБ`.
    static func size(_ bytes: UInt64, _ language: Language) -> String {
        let units = language == .ru ? ["Б", "КиБ", "МиБ", "ГиБ", "ТиБ"] : ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let text = unit == 0 ? "\(bytes)" : String(format: "%.1f", value)
        return (language == .ru ? text.replacingOccurrences(of: ".", with: ",") : text) + " " + units[unit]
    }
}
