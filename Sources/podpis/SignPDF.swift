import ArgumentParser
import Foundation
import PodpisPDF
import PodpisService
import PolicyEngine
import SigningCore

extension SignCommand {
    /// `sign doc.pdf --pades`: where the signed copy goes (`--out`, else `doc.signed.pdf` beside the input).
    static func signedPDFPath(for document: String) -> String {
        document.lowercased().hasSuffix(".pdf") ? String(document.dropLast(4)) + ".signed.pdf" : document + ".signed.pdf"
    }

    /// Signs a PDF in place of a detached signature: PAdES-BASELINE-B/T/LT/LTA as an incremental update, the input
    /// left as it is; the output is written atomically once everything (TSA, validation data) succeeded.
    func signPDF() throws {
        let output = out ?? Self.signedPDFPath(for: document)
        try checkPDFPaths(input: document, output: output, force: force, newFile: "the signed PDF")
        let target = level ?? (tsa.tsa != nil ? .T : .B)
        if target != .B && tsa.tsa == nil { throw needsTimestamp(target) }
        let (identity, chain) = try signer.loadIdentity()
        let options = SignatureOptions(digest: try signer.digestAlgorithm(), rsaPSS: signer.pss, chain: chain)
        let pdf = try FileInput.readSmallFile(path: document, limit: UInt64(SignedPDF.defaultLimit))
        let settings = PAdESSigner.Settings(
            level: target, options: options,
            pdf: PDFSigning.Options(fieldName: field, certify: certify ? 2 : nil, reason: reason),
            timestamps: try tsa.client(), trust: try paths.trustStore(), certificates: chain, crls: try paths.crls(),
            ocspResponses: try paths.ocspResponses(), revocation: paths.revocation)
        let signed = try PAdESSigner.sign(pdf: pdf, name: document, identity: identity, settings: settings)
        try FileInput.writeAtomically(signed, to: output)
        let catalogue = Catalogue.cli(languageOptions.language)
        Console.note(catalogue.text("cli.signed-pdf", [
            "document": document, "output": output, "signer": identity.certificate.info().displayName,
            "key": identity.key.keyType.rawValue, "level": target.rawValue,
        ]))
    }
}

/// The paths of a command that writes a new PDF from one (`sign` on a PDF, `stamp`), checked before any work: the
/// output (`newFile` names it in the error) is not the input and may be written, and the input is a regular file
/// within the PDF size limit.
func checkPDFPaths(input document: String, output: String, force: Bool, newFile: String) throws {
    if (output as NSString).standardizingPath == (document as NSString).standardizingPath {
        throw PodpisError(.usage, "\(newFile) is a new file: give --out another name than the input", subject: document)
    }
    try checkOutput(output, force: force)
    let size = try FileInput.regularFileSize(path: document)
    guard size <= UInt64(SignedPDF.defaultLimit) else {
        throw PodpisError(.dataFormat, "PDF too large (\(size) bytes; at most \(SignedPDF.defaultLimit))", subject: document)
    }
}
