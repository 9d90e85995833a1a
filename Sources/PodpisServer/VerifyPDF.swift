import EvidenceModel
import Foundation
import PodpisPDF
import PodpisService
import PolicyEngine
import SigningCore

extension VerifyEndpoint {
    /// A `pdf` comes alone: its signatures are inside it.
    static func checkPDFInput(_ pdf: [UInt8]?, input: Input) throws {
        guard pdf != nil else { return }
        if input.signature != nil || input.document != nil || input.container != nil {
            throw Problem(.badRequest, .pdfAndSignature, title: "PDF and signature",
                          detail: "send either a «pdf» (its signatures are inside it), a «container», or a «signature» with its «document»")
        }
    }

    /// Verifies an uploaded signed PDF held in memory (bounded by maxInMemoryBytes): every signature over its byte
    /// range, plus the PDF checks. A file that is not a readable signed PDF is a 422 problem saying why.
    static func verifyPDF(_ bytes: [UInt8], name: String?, settings: SignedPDF.VerificationSettings,
                          powers: [PowerOfAttorneyReader.Input], policy: Policy, options: JudgementOptions) throws -> (Evidence, Report) {
        let evidence: Evidence
        do {
            evidence = try SignedPDF(bytes: bytes, name: name ?? "document.pdf").collectEvidence(settings, powersOfAttorney: powers)
        } catch let error as PodpisError where error.kind == .dataFormat {
            throw Problem(.unprocessableContent, .notASignedPDF, title: "Not a readable signed PDF", detail: error.message)
        }
        return (evidence, PolicyEngine().judge(evidence, policy: policy, options: options))
    }
}
