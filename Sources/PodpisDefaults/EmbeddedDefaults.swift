import Foundation

/// The defaults compiled into podpis, so that a binary copied alone into an empty folder has everything it needs:
/// the shipped policies and their test cases (`policies/…`), the trust-list folders' files (`certs/…`) and the
/// report templates (`templates/…`).
///
/// They are generated at build time from the repository's files by the `EmbedDefaults` plugin: the files stay the
/// source of truth. A folder on disk found on the search path (`--policies`, `PODPIS_POLICIES`, `./policies`,
/// `/etc/podpis/policies`, and the same for certs and templates) replaces the embedded set as a whole.
public enum EmbeddedDefaults {
    /// Every embedded file by name (`policies/default.yaml`), decoded once.
    public static let files: [String: [UInt8]] = {
        var files: [String: [UInt8]] = [:]
        for (name, base64) in encoded {
            guard let data = Data(base64Encoded: base64) else { preconditionFailure("embedded \(name) is not Base64") }
            files[name] = [UInt8](data)
        }
        return files
    }()

    /// The name a folder of embedded files is shown under (`<embedded>/policies`), never a real path.
    public static let prefix = "<embedded>/"

    /// The embedded files directly in `folder` (`policies`, `templates`, `certs/ru-accredited`), by file name.
    public static func files(in folder: String) -> [(name: String, bytes: [UInt8])] {
        let start = folder.hasSuffix("/") ? folder : folder + "/"
        return files.keys.sorted().compactMap { name in
            guard name.hasPrefix(start) else { return nil }
            let rest = name.dropFirst(start.count)
            guard !rest.contains("/") else { return nil }
            return (String(rest), files[name]!)
        }
    }

    /// Whether `folder` (`certs/ru-accredited`) holds embedded files, directly or below.
    public static func hasFolder(_ folder: String) -> Bool {
        let start = folder.hasSuffix("/") ? folder : folder + "/"
        return files.keys.contains { $0.hasPrefix(start) }
    }

    /// An embedded file's text (UTF-8).
    public static func text(_ name: String) -> String? { files[name].map { String(decoding: $0, as: UTF8.self) } }
}
