import EvidenceModel

/// The message keys made from a value, one typed function per family, so that no key is spelled by interpolation
/// where it is used and a test can list every key the code can produce (`MessageKey.families`). Keys written once
/// are literals at their use (`Message("qc.passed")`); the errors' keys are `ErrorMessage`'s cases.
extension MessageKey {
    /// `indication.TOTAL-PASSED`, …: an indication's words.
    public static func indication(_ indication: Indication) -> MessageKey { MessageKey("indication." + indication.rawValue) }

    /// `kind.qualified`, …: a kind of signature (a document type's demand, a legal conclusion's kind).
    public static func signatureKind(_ kind: SignatureKind) -> MessageKey { MessageKey("kind." + kind.rawValue) }

    /// `explain.level.fail`, …: what a rule's level does, for `policy explain`.
    public static func ruleLevel(_ level: RuleLevel) -> MessageKey { MessageKey("explain.level." + level.rawValue) }

    /// `pdf.change.form-fill`, …: a change made to a PDF after a signature (`pdf.change.page` for a page object).
    static func pdfChange(_ kind: PDFChange.Kind, pageObject: Bool) -> MessageKey {
        pageObject ? "pdf.change.page" : MessageKey("pdf.change." + kind.rawValue)
    }

    /// `pdf.permission.1` … `3`: a certification's DocMDP permission.
    static func pdfPermission(_ permission: Int) -> MessageKey { MessageKey("pdf.permission.\(permission)") }

    /// `lint.form.inn`, …: the form a policy parameter's text must have.
    static func lintForm(_ form: String) -> MessageKey { MessageKey("lint.form." + form) }

    /// `validity.expired.signer`, `validity.not-yet-valid.ca`, …: a certificate outside its validity, by its place.
    static func validity(expired: Bool, signer: Bool) -> MessageKey {
        MessageKey("validity." + (expired ? "expired." : "not-yet-valid.") + (signer ? "signer" : "ca"))
    }

    /// `revocation.reason.signatureInvalid`, …: why a CRL or OCSP response was rejected (`other` when not said, or
    /// when the evidence names a code this version does not know).
    static func revocationReason(_ reason: RevocationRejection?) -> MessageKey {
        guard let reason, RevocationRejection.known.contains(reason) else { return "revocation.reason.other" }
        return MessageKey("revocation.reason." + reason.rawValue)
    }

    /// `format.attribute-missing`, …: a structural problem of the signed attributes, by its code; nil for a code this
    /// version does not know (the report then quotes the English the evidence carries).
    static func formatFinding(_ code: FormatFinding.Code) -> MessageKey? {
        switch code {
        case .missing: "format.attribute-missing"
        case .repeated: "format.attribute-repeated"
        case .valueCount: "format.attribute-values"
        case .contentTypeMismatch: "format.content-type-mismatch"
        case .unreadable: "format.attribute-unreadable"
        default: nil
        }
    }

    /// `revocation.rejected.crl`, `.delta-crl`, `.ocsp`: a rejected revocation object, by its kind.
    static func revocationRejected(_ kind: RevocationKind) -> MessageKey {
        MessageKey("revocation.rejected." + (kind == .ocsp ? "ocsp" : (kind == .deltaCRL ? "delta-crl" : "crl")))
    }

    /// The families of keys the functions above make, with the values that make them (for the two-way catalogue
    /// test: every key they produce has both languages, and a catalogue entry of a family is one they can produce).
    /// Values that come from evidence as text (problem slugs, forms) are listed by the test from their sources.
    public static var families: [String: [MessageKey]] {
        [
            "indication.": Indication.allCases.map(indication),
            "kind.": SignatureKind.allCases.map(signatureKind),
            "explain.level.": RuleLevel.allCases.map(ruleLevel),
            "pdf.change.": PDFChange.Kind.allCases.map { pdfChange($0, pageObject: false) } + [pdfChange(.other, pageObject: true)],
            "pdf.permission.": (1...3).map(pdfPermission) + ["pdf.permission.approval"],
            "validity.": [false, true].flatMap { expired in [false, true].map { validity(expired: expired, signer: $0) } },
            "revocation.rejected.": [RevocationKind.crl, .deltaCRL, .ocsp].map(revocationRejected),
            "revocation.reason.": RevocationRejection.known.map(revocationReason) + [revocationReason(nil)],
            "format.attribute-": FormatFinding.Code.known.compactMap(formatFinding),
            "profile.finding.": CertificateProfileCheck.Finding.allCases.map(CertificateProfileCheck.findingKey),
        ]
    }
}
