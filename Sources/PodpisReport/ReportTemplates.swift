import Foundation
import Mustache

/// The mustache templates of the protocol, read from files (`Templates/*.mustache`, shipped as the target's resources).
///
/// `protocol` is the page; the other files are its partials (`{{> chain}}`, ...).
public struct ReportTemplates: Sendable {
    /// Why the templates are not usable.
    public enum Error: Swift.Error, CustomStringConvertible {
        /// No folder holding `protocol.mustache` was found; `searched` lists where podpis looked.
        case notFound(searched: [String])
        /// A template file could not be read or does not parse as mustache.
        case unreadable(path: String, detail: String)

        public var description: String {
            switch self {
            case .notFound(let searched):
                "the report templates were not found (set PODPIS_TEMPLATES to their folder); looked in: \(searched.joined(separator: ", "))"
            case .unreadable(let path, let detail):
                "cannot read the report template \(path): \(detail)"
            }
        }
    }

    /// The name of the page template; the others are partials.
    static let page = "protocol"
    let library: MustacheLibrary
    /// The folder the templates were read from.
    public let directory: String

    /// Reads every `*.mustache` file of `directory`.
    ///
    /// - Throws: ``Error/unreadable(path:detail:)`` for a file that cannot be read or parsed,
    ///   ``Error/notFound(searched:)`` when the folder has no `protocol.mustache`.
    public init(directory: String) throws {
        ProtocolEscaping.register()
        var library = MustacheLibrary()
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for file in files.sorted() where file.hasSuffix(".mustache") {
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                try library.register(text, named: String(file.dropLast(".mustache".count)))
            } catch {
                throw Error.unreadable(path: path, detail: "\(error)")
            }
        }
        guard library.getTemplate(named: Self.page) != nil else { throw Error.notFound(searched: [directory]) }
        self.library = library
        self.directory = directory
    }

    /// The templates shipped with podpis: `$PODPIS_TEMPLATES` when set, else the resource bundle SwiftPM places
    /// beside the executable (`podpis_PodpisReport.resources/Templates`, the folder `Bundle.module` points at),
    /// else `../share/podpis/templates` relative to the binary.
    ///
    /// `Bundle.module` itself is not called: on Linux its generated accessor stops the process when the bundle is
    /// missing, and a missing template must be an error the caller can report.
    public static func shipped() throws -> ReportTemplates {
        var searched: [String] = []
        for directory in candidateDirectories() {
            searched.append(directory)
            if FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(page + ".mustache")) {
                return try ReportTemplates(directory: directory)
            }
        }
        throw Error.notFound(searched: searched)
    }

    /// ``shipped()``, looked up once per process (servers render many protocols).
    public static func shippedCached() throws -> ReportTemplates { try cached.get() }

    private static let cached: Result<ReportTemplates, Swift.Error> = Result { try shipped() }

    static let bundleName = "podpis_PodpisReport.resources"

    static func candidateDirectories() -> [String] {
        var folders: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["PODPIS_TEMPLATES"], !explicit.isEmpty { folders.append(explicit) }
        // Beside the running binary (swift run, swift test, an installed copy with its bundle), symlinks resolved.
        var binaries = [Bundle.main.bundlePath]
        if let executable = Bundle.main.executablePath {
            binaries.append((executable as NSString).deletingLastPathComponent)
            binaries.append(((executable as NSString).resolvingSymlinksInPath as NSString).deletingLastPathComponent)
        }
        for binary in binaries {
            folders.append(((binary as NSString).appendingPathComponent(bundleName) as NSString).appendingPathComponent("Templates"))
            // An installation as prefix/bin/podpis with prefix/share/podpis/templates.
            folders.append((((binary as NSString).deletingLastPathComponent as NSString).appendingPathComponent("share/podpis/templates")))
        }
        var seen = Set<String>()
        return folders.filter { seen.insert($0).inserted }
    }

    func render(_ page: ProtocolPage) throws -> String {
        guard let text = library.render(page, withTemplate: Self.page) else { throw Error.notFound(searched: [directory]) }
        return text
    }
}
