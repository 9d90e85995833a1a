import Foundation
import Mustache
import PodpisDefaults

/// The mustache templates of the protocol: compiled into podpis (the repository's `Sources/PodpisReport/Templates`
/// at build time), or read from a folder that replaces them (`PODPIS_TEMPLATES`, an installation's
/// `share/podpis/templates`, `/etc/podpis/templates`).
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
                "the report templates were not found (PODPIS_TEMPLATES names a folder holding protocol.mustache, or unset it to use the embedded ones); looked in: \(searched.joined(separator: ", "))"
            case .unreadable(let path, let detail):
                "cannot read the report template \(path): \(detail)"
            }
        }
    }

    /// The name of the page template; the others are partials.
    static let page = "protocol"
    let library: MustacheLibrary
    /// Where the templates were read from: a folder, or `<embedded>/templates`.
    public let directory: String
    /// Whether they are the ones compiled into podpis.
    public var isEmbedded: Bool { directory.hasPrefix(EmbeddedDefaults.prefix) }

    /// Reads every `*.mustache` file of `directory`.
    ///
    /// - Throws: ``Error/unreadable(path:detail:)`` for a file that cannot be read or parsed,
    ///   ``Error/notFound(searched:)`` when the folder has no `protocol.mustache`.
    public init(directory: String) throws {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted().filter { $0.hasSuffix(".mustache") }
        var texts: [(name: String, text: String?)] = []
        for file in files {
            let path = (directory as NSString).appendingPathComponent(file)
            texts.append((file, try? String(contentsOfFile: path, encoding: .utf8)))
        }
        try self.init(texts: texts, directory: directory)
    }

    /// The templates compiled into podpis.
    public static func embedded() throws -> ReportTemplates {
        let files = EmbeddedDefaults.files(in: "templates").filter { $0.name.hasSuffix(".mustache") }
        return try ReportTemplates(texts: files.map { ($0.name, String(decoding: $0.bytes, as: UTF8.self)) },
                                   directory: EmbeddedDefaults.prefix + "templates")
    }

    init(texts: [(name: String, text: String?)], directory: String) throws {
        ProtocolEscaping.register()
        var library = MustacheLibrary()
        for (file, text) in texts {
            let path = (directory as NSString).appendingPathComponent(file)
            guard let text else { throw Error.unreadable(path: path, detail: "not readable as UTF-8 text") }
            do {
                try library.register(text, named: String(file.dropLast(".mustache".count)))
            } catch {
                throw Error.unreadable(path: path, detail: "\(error)")
            }
        }
        guard library.getTemplate(named: Self.page) != nil else { throw Error.notFound(searched: [directory]) }
        self.library = library
        self.directory = directory
    }

    /// The templates in use: `$PODPIS_TEMPLATES` when set (it must hold them), else the first of an installation's
    /// `../share/podpis/templates` beside the binary and `/etc/podpis/templates` that holds `protocol.mustache`,
    /// else the embedded ones.
    public static func shipped() throws -> ReportTemplates {
        if let explicit = ProcessInfo.processInfo.environment["PODPIS_TEMPLATES"], !explicit.isEmpty {
            guard FileManager.default.fileExists(atPath: (explicit as NSString).appendingPathComponent(page + ".mustache")) else {
                throw Error.notFound(searched: [explicit + " ($PODPIS_TEMPLATES)"])
            }
            return try ReportTemplates(directory: explicit)
        }
        for directory in candidateDirectories()
        where FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(page + ".mustache")) {
            return try ReportTemplates(directory: directory)
        }
        return try embedded()
    }

    /// ``shipped()``, looked up once per process (servers render many protocols).
    public static func shippedCached() throws -> ReportTemplates { try cached.get() }

    private static let cached: Result<ReportTemplates, Swift.Error> = Result { try shipped() }

    /// Folders that replace the embedded templates when they hold `protocol.mustache`.
    static func candidateDirectories() -> [String] {
        var folders: [String] = []
        // An installation as prefix/bin/podpis with prefix/share/podpis/templates (symlinks resolved).
        if let executable = Bundle.main.executablePath {
            for binary in [(executable as NSString).deletingLastPathComponent,
                           ((executable as NSString).resolvingSymlinksInPath as NSString).deletingLastPathComponent] {
                folders.append(((binary as NSString).deletingLastPathComponent as NSString).appendingPathComponent("share/podpis/templates"))
            }
        }
        folders.append("/etc/podpis/templates")
        var seen = Set<String>()
        return folders.filter { seen.insert($0).inserted }
    }

    func render(_ page: ProtocolPage) throws -> String {
        guard let text = library.render(page, withTemplate: Self.page) else { throw Error.notFound(searched: [directory]) }
        return text
    }
}
