import ArgumentParser
import EvidenceModel
import Foundation
import PodpisContainer
import PodpisPDF
import PodpisReport
import PodpisService
import PolicyEngine
import SigningCore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: helpString("verify.abstract"),
        discussion: helpString("verify.discussion"))

    @Argument(help: help("verify.document"))
    var document: String?

    @Argument(help: help("verify.signature"))
    var signature: String?

    @Option(name: .long, help: help("verify.policy"))
    var policy: String?

    @OptionGroup var folders: PolicyFolderOptions

    @OptionGroup(title: helpString("group.paths")) var paths: PathOptions

    @Option(name: .long, help: help("verify.at"))
    var at: String?

    @Flag(name: .long, help: help("verify.json"))
    var json = false

    @Option(name: .customLong("report"), help: help("verify.report-file"))
    var reportFile: String?

    @Option(name: .long, help: help("verify.evidence-out"))
    var evidenceOut: String?

    @Option(name: .long, help: help("verify.type"))
    var type: String?

    @OptionGroup var languageOptions: LanguageOptions

    @Option(name: .long, help: help("verify.poa"))
    var poa: [String] = []

    @Option(name: .customLong("poa-sig"), help: help("verify.poa-sig"))
    var poaSig: [String] = []

    @Option(name: .customLong("poa-status"), help: help("verify.poa-status"))
    var poaStatus: [String] = []

    @Option(name: .long, help: help("verify.attest"))
    var attest: [String] = []

    @Option(name: .long, help: help("verify.batch"))
    var batch: String?

    @Option(name: .long, help: help("verify.workers"))
    var workers: Int?

    @Flag(name: .customLong("no-limits"), help: help("verify.no-limits"))
    var noLimits = false

    /// The caps each signature is counted against before it is parsed.
    var signatureLimits: SignatureLimits { noLimits ? .unlimited : .standard }

    func validate() throws {
        if batch == nil && document == nil { throw ValidationError(helpString("usage.verify-what")) }
        if batch != nil && document != nil { throw ValidationError(helpString("usage.batch-document")) }
        if batch != nil && reportFile != nil { throw ValidationError(helpString("usage.batch-report")) }
        if poaSig.count > poa.count { throw ValidationError(helpString("usage.poa-sig-count")) }
        if !poaStatus.isEmpty && poa.isEmpty { throw ValidationError(helpString("usage.poa-status-without-poa")) }
        _ = try attestations()
    }

    func run() async throws {
        if let batch {
            try runBatch(batch)
            return
        }
        guard let document else { throw PodpisError(.usage, "no document") }
        let language = languageOptions.language
        let catalog = try folders.catalog()
        let policy = try catalog.policy(self.policy, language: language)
        let (trustLists, listAnchors) = try catalog.trustLists(for: policy)
        var input = VerificationInput(
            .container(.file(path: document)),
            settings: try settings(listAnchors: listAnchors, validationTime: try at.map(TimeArgument.parse)), policy: policy,
            options: JudgementOptions(documentType: type, language: language, attestations: try attestations(), trustLists: trustLists))
        input.powersOfAttorney = try powersOfAttorney()
        input.powerOfAttorneyStatuses = try powerOfAttorneyStatuses()
        switch signature == nil ? SignedFileKind.of(path: document) : .signature {
        case .container:
            do {
                let (evidence, report) = try Verifier.verify(input)
                try finish(evidence: evidence, report: report, signaturePath: document, language: language)
            } catch let error as PodpisError where error.kind == .dataFormat && error.key != SignatureLimits.errorKey && json {
                // A container that cannot be read still gets its report: FORMAT_FAILURE, no signatures (exit 65).
                input.subject = .signature([], name: (document as NSString).lastPathComponent, document: nil)
                input.powersOfAttorney = []
                var evidence = try Verifier.collect(input)
                evidence.format = FormatEvidence(parsed: false, error: error.message)
                let report = PolicyEngine().judge(evidence, policy: policy, options: input.options)
                try finish(evidence: evidence, report: report, signaturePath: document, language: language)
            }
        case .signedPDF:
            input.subject = .pdf(.file(path: document))
            do {
                let (evidence, report) = try Verifier.verify(input)
                try finish(evidence: evidence, report: report, signaturePath: document, language: language)
            } catch let error as PodpisError where error.key == .pdfUnsigned {
                // It merely mentions /ByteRange and holds no signature field: a document like any other.
            }
        case .signature:
            break
        }
        let (documentPath, signaturePath) = try resolvePaths()
        input.subject = .signature(try FileInput.readSignature(path: signaturePath), name: (signaturePath as NSString).lastPathComponent,
                                   document: documentPath.map { .file(path: $0) })
        let (evidence, report) = try ProgressLine.reading(documentPath, language: language) { [input] in try Verifier.verify(input) }
        try finish(evidence: evidence, report: report, signaturePath: signaturePath, language: language)
    }

    /// The `--poa` files with their principals' signatures (`--poa-sig`, or found beside each file).
    func powersOfAttorney() throws -> [PowerOfAttorneyReader.Input] {
        try poa.enumerated().map { index, path in
            let signature = index < poaSig.count ? poaSig[index] : SignatureLookup.find(for: path)
            return PowerOfAttorneyReader.Input(
                name: (path as NSString).lastPathComponent, xml: try FileInput.readSmallFile(path: path, limit: 4 << 20),
                signatures: try signature.map { [try FileInput.readSignature(path: $0)] } ?? [])
        }
    }

    /// The `--poa-status` answers of the ФНС registry.
    func powerOfAttorneyStatuses() throws -> [PowerOfAttorneyReader.StatusInput] {
        try poaStatus.map { PowerOfAttorneyReader.StatusInput(name: ($0 as NSString).lastPathComponent, bytes: try FileInput.readSmallFile(path: $0, limit: 1 << 20)) }
    }

    /// `--attest ID=STATEMENT`: what the operator states (an empty statement is refused: it would attest nothing).
    func attestations() throws -> [String: String] {
        var result: [String: String] = [:]
        for item in attest {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError(helpString("usage.attest-format"))
            }
            let statement = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !statement.isEmpty else {
                throw ValidationError(Catalogue.cli(CommandLineLanguage.current).text("help.usage.attest-empty", ["id": String(item[..<equals])]))
            }
            result[String(item[..<equals])] = statement
        }
        return result
    }

    /// Writes what was asked (evidence, protocol, JSON or text) and exits with the verdict's code.
    func finish(evidence: Evidence, report: Report, signaturePath: String, language: Language) throws -> Never {
        if let evidenceOut {
            try FileInput.writeAtomically(Array(try JSONEncoder.podpis().encode(evidence)), to: evidenceOut)
        }
        if let reportFile {
            try ProtocolFile.write(report: report, evidence: evidence, to: reportFile)
        }
        if json {
            Console.out(String(decoding: try JSONEncoder.podpis().encode(report), as: UTF8.self))
        } else {
            ReportText.print(report, signatureName: signaturePath, language: language)
        }
        if !evidence.format.parsed {
            if !json { Console.error("\(signaturePath): \(evidence.format.error ?? "not a CMS signature")") }
            throw ExitCode(ExitCodes.dataFormat)
        }
        throw ExitCode(ExitCodes.code(for: report.indication))
    }

    /// What the options give every verification, whatever it verifies: trust anchors (with the trust lists'), the
    /// certificates, CRLs and OCSP responses given, the time, the revocation mode and the caps.
    func settings(listAnchors: [X509Certificate], validationTime: Date?) throws -> VerificationSettings {
        VerificationSettings(
            trust: TrustStore(anchors: try paths.revocation.trustStore().anchors + listAnchors),
            certificates: try paths.certificates(), crls: try paths.revocation.crls(), validationTime: validationTime,
            ocspResponses: try paths.revocation.ocspResponses(), revocation: paths.revocation.revocation, limits: signatureLimits)
    }

    /// `verify DOC SIG`, `verify DOC` with SIG found beside it, or one file that is itself a signature: attached
    /// or detached is decided by content, not by the name. A `DOC.sig`, `.p7s` or `.sgn` beside the file wins;
    /// otherwise a file whose content is a CMS signature or an RFC 3161 timestamp (DER, PEM or Base64, any name:
    /// `.p7m`, `.pem`, `.der`, `.tsr`, `.tst`, …) is verified alone. A file named like a signature whose content is
    /// not one is still read as one, so that it gets its FORMAT_FAILURE report (exit 65).
    func resolvePaths() throws -> (document: String?, signature: String) {
        guard let document else { throw PodpisError(.usage, "no document") }
        if let signature { return (document, signature) }
        _ = try FileInput.regularFileSize(path: document)
        if let found = SignatureLookup.find(for: document) { return (document, found) }
        if FileInput.looksLikeSignature(path: document) { return (nil, document) }
        let ext = (document as NSString).pathExtension.lowercased()
        if SignatureLookup.signatureExtensions.contains(ext) { return (nil, document) }
        let looked = SignatureLookup.suffixes.map { (document as NSString).lastPathComponent + $0 }.joined(separator: ", ")
        throw PodpisError(.noInput, .noSignatureBeside, ["looked": looked], subject: document)
    }

}

/// Writes the HTML verification protocol of a report (`verify --report`, `demo`).
enum ProtocolFile {
    static func write(report: Report, evidence: Evidence, to path: String) throws {
        let rendered: VerificationProtocol.Rendered
        do {
            rendered = try VerificationProtocol.render(report: report, evidence: evidence)
        } catch {
            throw PodpisError(.software, "cannot render the verification protocol: \(error)", subject: path)
        }
        try FileInput.writeAtomically(Array(rendered.html.utf8), to: path)
    }
}
