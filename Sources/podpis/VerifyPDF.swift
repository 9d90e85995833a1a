import ArgumentParser
import EvidenceModel
import Foundation
import PodpisPDF
import PodpisService
import PolicyEngine
import SigningCore

extension VerifyCommand {
    /// Verifies every signature and document timestamp of a PDF, each as a detached CAdES over its byte range, plus
    /// the PDF checks (byte ranges, changes after signing judged by DocMDP/FieldMDP). Returns (without exiting) only
    /// when the PDF merely mentions /ByteRange and holds no signature field: then it is a document like any other.
    func verifyPDF(_ path: String, policy: Policy, trustLists: [String: TrustList], listAnchors: [X509Certificate],
                   validationTime: Date?, language: Language) throws {
        let pdf = try SignedPDF(path: path)
        guard pdf.isSigned else { return }
        try verifySettled(pdf, path: path, policy: policy, trustLists: trustLists, listAnchors: listAnchors,
                          validationTime: validationTime, language: language)
    }
}
