import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

struct TrustImportRUCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-ru", abstract: helpString("trust-import-ru.abstract"), discussion: helpString("trust-import-ru.discussion"))
    @Argument(help: help("trust-import-ru.file")) var file: String?
    @Option(name: .long, help: help("trust-import-ru.url")) var url: String?
    @Option(name: .long, help: help("trust-import-ru.out")) var out: String
    @Option(name: .long, help: help("trust-import-ru.trust"))
    var trust: [String] = []
    @Flag(name: .customLong("unsigned-ok"), help: help("trust-import-ru.unsigned-ok")) var unsignedOK = false

    func validate() throws {
        if (file == nil) == (url == nil) { throw ValidationError(helpString("trust-import-ru.file-or-url")) }
    }

    func run() async throws {
        let text = Catalogue.cli(Console.language)
        let data: [UInt8]
        let name: String
        if let url {
            let response = try HTTPFetcher.get(url, options: HTTPOptions(connectTimeout: 15, timeout: 300, maxResponseBytes: 512 << 20))
            guard response.status == 200 else {
                throw PodpisError(.unavailable, .httpStatus, ["status": "\(response.status)"], subject: url)
            }
            data = response.body
            name = url
        } else {
            name = file ?? ""
            data = try FileInput.readSmallFile(path: name, limit: 512 << 20)
        }
        let imported = try RussianTrustList.importList(data, subject: name, anchors: try CertificateFiles.load(paths: trust),
                                                       unsignedOK: unsignedOK, into: out)
        if let signer = imported.signer {
            Console.note(text.text("cli.trust-signed", ["signer": signer]))
        } else {
            Console.note(text.text("cli.trust-unsigned", ["file": name]))
        }
        Console.note(text.text("cli.trust-imported", [
            "count": "\(imported.authorities)", "certs": "\(imported.certificates)", "out": out,
            "version": imported.version ?? "?"]))
    }
}
