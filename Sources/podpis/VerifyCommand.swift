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
        abstract: "Verify a signature and print the verdict (ETSI EN 319 102-1) and the legal conclusion.",
        discussion: """
            podpis verify DOCUMENT [SIG]   detached: SIG defaults to DOCUMENT.sig, .p7s or .sgn
            podpis verify SIG.p7m          attached (enveloping): no document needed
            podpis verify X.asice          ASiC-E / ASiC-S container (ETSI EN 319 162-1): every signature and file
            podpis verify signed.pdf       a PDF's own signatures (PAdES): byte ranges, revisions, changes after signing
            Exit codes: 0 TOTAL-PASSED, 1 TOTAL-FAILED, 2 INDETERMINATE, 64 usage, 65 unreadable input, 66 missing file.
            """)

    @Argument(help: "The signed document, or an attached signature alone.")
    var document: String?

    @Argument(help: "The signature (DER, PEM or Base64).")
    var signature: String?

    @Option(name: .long, help: "Policy id or policy file (default: the ETSI basic validation).")
    var policy: String?

    @Option(name: .long, help: "Policies folder (default: $PODPIS_POLICIES or ./policies).")
    var policies: String?

    @Option(name: .customLong("certs"), help: "Trust-lists folder (default: $PODPIS_CERTS or ./certs).")
    var certsFolder: String?

    @OptionGroup(title: "Certificate paths and revocation") var paths: PathOptions

    @Option(name: .long, help: "Validation time, RFC 3339 (default: now).")
    var at: String?

    @Flag(name: .long, help: "Print the JSON report.")
    var json = false

    @Option(name: .customLong("report"), help: "Write the verification protocol (one self-contained HTML page, in --lang) to this file. Templates: the podpis_PodpisReport.resources folder beside the binary, or $PODPIS_TEMPLATES.")
    var reportFile: String?

    @Option(name: .long, help: "Write the evidence (policy-free JSON) to this file, for re-judging and policy tests.")
    var evidenceOut: String?

    @Option(name: .long, help: "Document type, as the policy names it (e.g. приказ).")
    var type: String?

    @Option(name: .long, help: "Language of the verdict: ru or en (default: from LANG).")
    var lang: String?

    @Option(name: .long, help: "A machine-readable power of attorney (МЧД, EMCHD_1 XML) the signer acts under (repeatable: a re-delegation chain).")
    var poa: [String] = []

    @Option(name: .customLong("poa-sig"), help: "The principal's detached signature over a --poa file, in the same order (default: FILE.sig, .p7s or .sgn beside it).")
    var poaSig: [String] = []

    @Option(name: .customLong("poa-status"), help: "The ФНС registry's answer about a --poa (JSON or XML saved from the registry; repeatable, matched by the number it names). podpis does not query the registry itself.")
    var poaStatus: [String] = []

    @Option(name: .long, help: "An operator attestation, ID=STATEMENT (repeatable), e.g. certified-crypto-tool=\"КриптоПро CSP 5.0, сертификат СФ/124-…\": what the operator states about this verification (63-ФЗ ст. 11 п. 3). Without it the conclusion says the condition is not confirmed.")
    var attest: [String] = []

    @Option(name: .long, help: "Verify many: a folder (pairs by name: X with X.sig/.p7s/.sgn; .p7m, .asice/.asics and signed .pdf alone) or a manifest (DOCUMENT<TAB>SIGNATURE lines; a container alone on its line).")
    var batch: String?

    @Option(name: .long, help: "Parallel workers for --batch (default: one per core).")
    var workers: Int?

    func validate() throws {
        if batch == nil && document == nil { throw ValidationError("give DOCUMENT [SIG], SIG.p7m, or --batch DIR|LIST") }
        if batch != nil && document != nil { throw ValidationError("--batch takes no DOCUMENT argument") }
        if batch != nil && reportFile != nil { throw ValidationError("--report writes one protocol; it does not combine with --batch") }
        if poaSig.count > poa.count { throw ValidationError("more --poa-sig than --poa files") }
        if !poaStatus.isEmpty && poa.isEmpty { throw ValidationError("--poa-status answers for a --poa; give the power of attorney too") }
        _ = try attestations()
    }

    func run() async throws {
        if let batch {
            try runBatch(batch)
            return
        }
        guard let document else { throw PodpisError(.usage, "no document") }
        let language = lang.map { Language(parsing: $0) } ?? Console.language
        let validationTime = try at.map(TimeArgument.parse)
        let catalog = PolicyCatalog.standard(policies: policies, certs: certsFolder)
        let policy = try catalog.policy(self.policy, language: language)
        let (trustLists, listAnchors) = try catalog.trustLists(for: policy)
        if signature == nil, isContainer(document) {
            try verifyContainer(document, policy: policy, trustLists: trustLists, listAnchors: listAnchors,
                                validationTime: validationTime, language: language)
        }
        if signature == nil, isSignedPDF(document) {
            try verifyPDF(document, policy: policy, trustLists: trustLists, listAnchors: listAnchors,
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
            options: JudgementOptions(documentType: type, language: language, attestations: try attestations(), trustLists: trustLists))
        var withPowers = job
        withPowers.powersOfAttorney = try powersOfAttorney()
        withPowers.powerOfAttorneyStatuses = try powerOfAttorneyStatuses()
        let (evidence, report) = try withPowers.run()
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
                throw ValidationError("--attest expects ID=STATEMENT, e.g. certified-crypto-tool=\"КриптоПро CSP 5.0\"")
            }
            let statement = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !statement.isEmpty else { throw ValidationError("--attest \(item[..<equals]) needs a statement after «=»") }
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

    /// `verify X.asice` / `X.asics`: recognised by content (a ZIP whose first entry is `mimetype`), or a ZIP or an
    /// ASiC file name with no detached signature beside it, which then gets the container reader's precise error.
    func isContainer(_ path: String) -> Bool {
        if ASiCContainer.recognises(path: path) { return true }
        let ext = (path as NSString).pathExtension.lowercased()
        guard SignatureLookup.find(for: path) == nil else { return false }
        return SignatureLookup.containerExtensions.contains(ext) || GuardedZIP.looksLikeZIP(path: path)
    }

    /// Verifies every signature of an ASiC container with the detached-signature path, plus the container checks.
    func verifyContainer(_ path: String, policy: Policy, trustLists: [String: TrustList], listAnchors: [X509Certificate],
                         validationTime: Date?, language: Language) throws -> Never {
        let container: ASiCContainer
        do {
            container = try ASiCContainer(path: path)
        } catch let error as PodpisError where error.kind == .dataFormat && json {
            // A container that cannot be read still gets its report: FORMAT_FAILURE, no signatures (exit 65).
            var evidence = try EvidenceCollector.collect(VerificationRequest(
                signature: [], signatureName: (path as NSString).lastPathComponent, trust: TrustStore(anchors: [])))
            evidence.format = FormatEvidence(parsed: false, error: error.message)
            let report = PolicyEngine().judge(evidence, policy: policy, options: JudgementOptions(
                documentType: type, language: language, trustLists: trustLists))
            try finish(evidence: evidence, report: report, signaturePath: path, language: language)
        }
        let settings = ASiCContainer.VerificationSettings(
            trust: TrustStore(anchors: try paths.revocation.trustStore().anchors + listAnchors),
            certificates: try paths.certificates(), crls: try paths.revocation.crls(), validationTime: validationTime,
            ocspResponses: try paths.revocation.ocspResponses(), revocation: paths.revocation.revocation)
        let evidence = try container.collectEvidence(settings, powersOfAttorney: try powersOfAttorney(), statuses: try powerOfAttorneyStatuses())
        let report = PolicyEngine().judge(evidence, policy: policy, options: JudgementOptions(
            documentType: type, language: language, attestations: try attestations(), trustLists: trustLists))
        try finish(evidence: evidence, report: report, signaturePath: path, language: language)
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
        throw PodpisError(.noInput, "no signature given and none found beside it (looked for \(looked))", subject: document)
            .localized("error.no-signature-beside", ["looked": looked])
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
