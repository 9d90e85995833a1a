import Foundation

// podpis-embed OUTPUT NAME=PATH...
//
// Writes a Swift source holding each file's bytes (Base64, which compiles fast whatever the content) under NAME.
// Run by the EmbedDefaults build-tool plugin; not installed.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: podpis-embed OUTPUT NAME=PATH...\n".utf8))
    exit(64)
}
var source = """
    // Generated at build time by podpis-embed (the EmbedDefaults plugin) from policies/, certs/ and
    // Sources/PodpisReport/Templates. Do not edit: edit those files.

    extension EmbeddedDefaults {
        static let encoded: [(name: String, base64: String)] = [

    """
for argument in arguments.dropFirst() {
    guard let separator = argument.firstIndex(of: "=") else {
        FileHandle.standardError.write(Data("podpis-embed: expected NAME=PATH, got \(argument)\n".utf8))
        exit(64)
    }
    let name = String(argument[..<separator])
    let path = String(argument[argument.index(after: separator)...])
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("podpis-embed: \(path): cannot read\n".utf8))
        exit(66)
    }
    let escapedName = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    source += "        (\"\(escapedName)\", \"\(data.base64EncodedString())\"),\n"
}
source += "    ]\n}\n"
do {
    // Written only when it changed, so an unchanged set of files does not recompile the module.
    if FileManager.default.contents(atPath: output) != Data(source.utf8) {
        try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
    }
} catch {
    FileHandle.standardError.write(Data("podpis-embed: \(output): cannot write\n".utf8))
    exit(73)
}
