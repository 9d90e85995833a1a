import ArgumentParser
import EvidenceModel
import Foundation
import PodpisContainer
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

    @Option(name: .long, help: help("common.policies"))
    var policies: String?

    @Option(name: .customLong("certs"), help: help("common.certs"))
    var certsFolder: String?

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

    @Option(name: .long, help: help("common.lang"))
    var lang: String?

    @Option(name: .long, help: help("verify.poa"))
    var poa: [String] = []

    @Option(name: .customLong("poa-sig"), help: help("verify.poa-sig"))
    var poaSig: [String] = []

    @Option(name: .long, help: help("verify.batch"))
    var batch: String?

    @Option(name: .long, help: help("verify.workers"))
    var workers: Int?

    func validate() throws {
        if batch == nil && document == nil { throw ValidationError(helpString("usage.verify-what")) }
        if batch != nil && document != nil { throw ValidationError(helpString("usage.batch-document")) }
        if batch != nil && reportFile != nil { throw ValidationError(helpString("usage.batch-report")) }
        if poaSig.count > poa.count { throw ValidationError(helpString("usage.poa-sig-count")) }
    }

    func run() async throws {
        if let batch {
            try runBatch(batch)
            return
        }
        guard let document else { throw PodpisError(.usage, "no document") }
        let language = lang.map { Language(parsing: $0) } ?? Console.language
        let validationTime = try at.map(TimeArgument.parse)
        let catalog = try PolicyCatalog.standard(policies: policies, certs: certsFolder)
        let policy = try catalog.policy(self.policy)
        let (trustLists, listAnchors) = try catalog.trustLists(for: policy)
        if signature == nil, isContainer(document) {
            try verifyContainer(document, policy: policy, trustLists: trustLists, listAnchors: listAnchors,
                                validationTime: validationTime, language: language)
        }
        let (documentPath, signaturePath) = try resolvePaths()
        let signatureBytes = try FileInput.readSignature(path: signaturePath)
        let job = VerificationJob(
            signature: signatureBytes, signatureName: (signaturePath as NSString).lastPathComponent,
            document: documentPath.map { .file(path: $0) },
            trust: TrustStore(anchors: try paths.revocation.trustStore().anchors + listAnchors),
            certificates: try paths.certificates(),
            crls: try paths.revocation.crls(),
            validationTime: validationTime,
            ocspResponses: try paths.revocation.ocspResponses(),
            revocation: paths.revocation.revocation,
            policy: policy,
            options: JudgementOptions(documentType: type, language: language, trustLists: trustLists))
        var withPowers = job
        withPowers.powersOfAttorney = try powersOfAttorney()
        let (evidence, report) = try ProgressLine.reading(documentPath, language: language) { try withPowers.run() }
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

    /// `verify X.asice` / `X.asics`: recognised by content (a ZIP whose first entry is `mimetype`), or a ZIP or an
    /// ASiC file name with no detached signature beside it, which then gets the container reader's precise error.
    func isContainer(_ path: String) -> Bool {
        if ASiCContainer.looksLikeContainer(path: path) { return true }
        let ext = (path as NSString).pathExtension.lowercased()
        guard SignatureLookup.find(for: path) == nil else { return false }
        return SignatureLookup.containerExtensions.contains(ext) || GuardedZIP.looksLikeZIP(path: path)
    }

    /// Verifies every signature of an ASiC container with the detached-signature path, plus the container checks.
    func verifyContainer(_ path: String, policy: Policy, trustLists: [String: TrustList], listAnchors: [X509Certificate],
                         validationTime: Date?, language: Language) throws -> Never {
        let container = try ASiCContainer(path: path)
        let settings = ASiCContainer.VerificationSettings(
            trust: TrustStore(anchors: try paths.revocation.trustStore().anchors + listAnchors),
            certificates: try paths.certificates(), crls: try paths.revocation.crls(), validationTime: validationTime,
            ocspResponses: try paths.revocation.ocspResponses(), revocation: paths.revocation.revocation)
        let evidence = try container.collectEvidence(settings, powersOfAttorney: try powersOfAttorney())
        let report = PolicyEngine().judge(evidence, policy: policy, options: JudgementOptions(
            documentType: type, language: language, trustLists: trustLists))
        try finish(evidence: evidence, report: report, signaturePath: path, language: language)
    }

    /// `verify DOC SIG`, `verify SIG` (attached), or `verify DOC` with SIG found beside it.
    func resolvePaths() throws -> (document: String?, signature: String) {
        guard let document else { throw PodpisError(.usage, "no document") }
        if let signature { return (document, signature) }
        let ext = (document as NSString).pathExtension.lowercased()
        if SignatureLookup.signatureExtensions.contains(ext) { return (nil, document) }
        _ = try FileInput.regularFileSize(path: document)
        guard let found = SignatureLookup.find(for: document) else {
            let looked = SignatureLookup.suffixes.map { (document as NSString).lastPathComponent + $0 }.joined(separator: ", ")
            throw PodpisError(.noInput, "no signature given and none found beside it (looked for \(looked))", subject: document)
                .localized("error.no-signature-beside", ["looked": looked])
        }
        return (document, found)
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
