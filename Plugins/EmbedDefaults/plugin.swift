import Foundation
import PackagePlugin

/// Compiles the shipped defaults into the binary: every policy and policy test case (`policies/`), the trust-list
/// folders' files (`certs/`, private keys excepted) and the report templates (`Sources/PodpisReport/Templates`).
///
/// The files stay the source of truth: a build command, `scripts/embed-defaults.sh`, renders them into a Swift
/// source whenever one of them — or one of their folders, so an added or removed file counts too — changed. The
/// command runs the system's shell, not a tool built from this package: builds that pass compiler flags to every
/// target (the fuzzer and sanitizer builds in CI) would break such a tool.
@main
struct EmbedDefaults: BuildToolPlugin {
    /// Folders of the package whose files are embedded.
    static let folders = ["policies", "certs", "Sources/PodpisReport/Templates"]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        var inputs: [URL] = [root.appending(path: "scripts/embed-defaults.sh")]
        for folder in Self.folders {
            inputs += Self.contents(of: root.appending(path: folder))
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [.buildCommand(
            displayName: "Embedding the default policies, trust lists and report templates",
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: [root.appending(path: "scripts/embed-defaults.sh").path, output.path, root.path],
            inputFiles: inputs, outputFiles: [output])]
    }

    /// A folder, its sub-folders and their files (what the script reads, and where a new file would appear).
    static func contents(of folder: URL) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var found = [folder]
        for case let relative as String in enumerator where !(relative as NSString).lastPathComponent.hasPrefix(".") {
            found.append(folder.appending(path: relative))
        }
        return found
    }
}
