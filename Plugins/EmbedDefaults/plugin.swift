import Foundation
import PackagePlugin

/// Compiles the shipped defaults into the binary: every policy and policy test case (`policies/`), the trust-list
/// folders' files (`certs/`, private keys excepted) and the report templates (`Sources/PodpisReport/Templates`).
///
/// The files stay the source of truth: the generated Swift source is rebuilt from them on every build in which one
/// of them changed, so an edited policy is what a freshly built binary carries.
@main
struct EmbedDefaults: BuildToolPlugin {
    /// Folders of the package whose files are embedded, with the name each gets inside the binary.
    static let folders: [(source: String, embedded: String)] = [
        ("policies", "policies"), ("certs", "certs"), ("Sources/PodpisReport/Templates", "templates"),
    ]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        var inputs: [URL] = []
        var arguments: [String] = []
        for (source, embedded) in Self.folders {
            let folder = root.appending(path: source)
            for relative in Self.files(in: folder) {
                inputs.append(folder.appending(path: relative))
                arguments.append("\(embedded)/\(relative)=\(folder.appending(path: relative).path)")
            }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [.buildCommand(
            displayName: "Embedding \(inputs.count) default files (policies, trust lists, report templates)",
            executable: try context.tool(named: "podpis-embed").url,
            arguments: [output.path] + arguments,
            inputFiles: inputs, outputFiles: [output])]
    }

    /// Regular files under `folder`, relative and sorted; hidden files and private keys are never embedded.
    static func files(in folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var found: [String] = []
        for case let relative as String in enumerator {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") || name.hasSuffix(".key") || name.hasSuffix(".p12") || name.hasSuffix(".pfx") { continue }
            var isDirectory: ObjCBool = false
            let path = folder.appending(path: relative).path
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                found.append(relative)
            }
        }
        return found.sorted()
    }
}
