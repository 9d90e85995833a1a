import Foundation
import SigningCore

/// A file's committed text, read with the `git` command (`policy impact` weighs an edit against the policy as
/// committed). Only `git` on the PATH is run, with the file's folder as its working directory; nothing is written.
public enum GitFile {
    /// Whether `file` is tracked in a git work tree.
    public static func isTracked(_ file: String) -> Bool {
        guard let result = try? run(["ls-files", "--error-unmatch", "--", (file as NSString).lastPathComponent], in: folder(of: file)) else { return false }
        return result.status == 0
    }

    /// The text of `file` at `revision` (`HEAD`, a commit, a tag, `HEAD~3`).
    public static func show(_ file: String, revision: String) throws -> String {
        guard !revision.hasPrefix("-"), !revision.contains(":") else {
            throw PodpisError(.usage, "«\(revision)» is not a git revision")
        }
        let result = try run(["show", "\(revision):./\((file as NSString).lastPathComponent)"], in: folder(of: file))
        guard result.status == 0 else {
            throw PodpisError(.noInput, result.error.split(separator: "\n").first.map(String.init) ?? "git show failed", subject: file)
        }
        return result.output
    }

    static func folder(of file: String) -> String {
        let folder = (file as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    static func run(_ arguments: [String], in directory: String) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw PodpisError(.unavailable, "git is not available: \(error.localizedDescription)") }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
