import ArgumentParser
import EvidenceModel
import Foundation
import PodpisPDF
import PodpisReport
import PodpisService
import PolicyEngine
import SigningCore

/// `podpis stamp`: a printable copy of a signed PDF with the «отметка об электронной подписи» (ГОСТ Р 7.0.97-2016,
/// 5.23) of each signer on its last (or first) page, in a new revision so the signed ones stay verifiable.
struct StampCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stamp",
        abstract: helpString("stamp.abstract"), discussion: helpString("stamp.discussion"))

    @Argument(help: help("stamp.document"))
    var document: String

    @Argument(help: help("stamp.signature"))
    var signature: String?

    @Option(name: .long, help: help("stamp.out"))
    var out: String?

    @Flag(name: .long, help: help("sign.force"))
    var force = false

    @Option(name: .long, help: help("stamp.page"))
    var page: String = "last"

    @Option(name: .long, help: help("verify.policy"))
    var policy: String?

    @Option(name: .long, help: help("common.policies"))
    var policies: String?

    @OptionGroup(title: helpString("group.paths")) var paths: PathOptions

    @Option(name: .long, help: help("stamp.lang"))
    var lang: Language?

    func run() async throws {
        guard let placement = PDFStamping.Placement(rawValue: page.lowercased()) else {
            throw ValidationError(helpString("usage.stamp-page"))
        }
        let language = CommandLineLanguage.explicit ?? .ru
        let output = out ?? (document.lowercased().hasSuffix(".pdf") ? String(document.dropLast(4)) : document) + ".print.pdf"
        try checkPDFPaths(input: document, output: output, force: force, newFile: "the printable copy")
        let bytes = try FileInput.readSmallFile(path: document, limit: UInt64(SignedPDF.defaultLimit))
        guard bytes.starts(with: Array("%PDF-".utf8)) else {
            throw PodpisError(.dataFormat, "not a PDF: the printable copy with the signature marks is made for PDFs; for other documents, `podpis verify DOCUMENT --report protocol.html` prints the same marks", subject: document)
        }
        let catalog = try PolicyCatalog.standard(policies: policies, certs: nil)
        let chosen = try catalog.policy(self.policy)
        let (trustLists, listAnchors) = try catalog.trustLists(for: chosen)
        let settings = VerificationSettings(
            trust: TrustStore(anchors: try paths.revocation.trustStore().anchors + listAnchors), certificates: try paths.certificates(),
            crls: try paths.revocation.crls(), ocspResponses: try paths.revocation.ocspResponses(), revocation: paths.revocation.revocation)
        let detached = signature ?? SignatureLookup.find(for: document)
        let subject: SignedSubject = try detached.map {
            .signature(try FileInput.readSignature(path: $0), name: ($0 as NSString).lastPathComponent,
                       document: .bytes(name: (document as NSString).lastPathComponent, bytes))
        } ?? .pdf(.file(path: document))
        let (evidence, report) = try Verifier.verify(VerificationInput(
            subject, settings: settings, policy: chosen, options: JudgementOptions(language: language, trustLists: trustLists)))
        if let detached, !evidence.format.parsed {
            throw PodpisError(.dataFormat, evidence.format.error ?? "not a CMS signature", subject: detached)
        }
        let marks = SignatureMarks.marks(for: report, language: language).map { StampMark(title: $0.title, lines: $0.lines) }
        guard !marks.isEmpty else {
            throw PodpisError(.dataFormat, "no signature to mark: none of the signatures could be read", subject: document)
        }
        let stamped = try PDFStamping.stamp(pdf: bytes, name: document, marks: marks, placement: placement)
        try FileInput.writeAtomically(stamped, to: output)
        Console.note(Catalogue.cli(language).text("cli.stamped", ["document": document, "output": output, "count": "\(marks.count)"]))
    }
}
