import Foundation

// The contract shows optional fields as `null` rather than leaving them out, so clients can rely on every
// documented key being present. Synthesised Codable omits nil; these encoders write it.

extension Report {
    enum CodingKeys: String, CodingKey {
        case indication, subIndication, validationTime, document, policy, signatures, documentChecks, lang, formatError, producer
        case container, timestamps, pdf
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(indication, forKey: .indication)
        try c.encode(subIndication, forKey: .subIndication)
        try c.encode(validationTime, forKey: .validationTime)
        try c.encode(document, forKey: .document)
        try c.encode(policy, forKey: .policy)
        try c.encode(signatures, forKey: .signatures)
        try c.encode(documentChecks, forKey: .documentChecks)
        try c.encode(lang, forKey: .lang)
        try c.encode(formatError, forKey: .formatError)
        try c.encode(producer, forKey: .producer)
        // Only container verifications carry this key, so plain reports stay exactly as they were.
        try c.encodeIfPresent(container, forKey: .container)
        // Only a bare timestamp token's report carries a top-level list.
        try c.encodeIfPresent(timestamps, forKey: .timestamps)
        // Likewise only PDF verifications carry this one.
        try c.encodeIfPresent(pdf, forKey: .pdf)
    }
}

extension SignatureReport {
    enum CodingKeys: String, CodingKey {
        case id, indication, subIndication, format, signer, algorithms, claimedSigningTime, bestSignatureTime, timestamps, checks, legal, reason
        case profile, counterSignatures
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(indication, forKey: .indication)
        try c.encode(subIndication, forKey: .subIndication)
        try c.encode(format, forKey: .format)
        try c.encode(signer, forKey: .signer)
        try c.encode(algorithms, forKey: .algorithms)
        try c.encode(claimedSigningTime, forKey: .claimedSigningTime)
        try c.encode(bestSignatureTime, forKey: .bestSignatureTime)
        try c.encode(timestamps, forKey: .timestamps)
        try c.encode(checks, forKey: .checks)
        try c.encode(legal, forKey: .legal)
        try c.encode(reason, forKey: .reason)
        try c.encodeIfPresent(profile, forKey: .profile)
        try c.encodeIfPresent(counterSignatures, forKey: .counterSignatures)
    }
}

extension SignerSummary {
    enum CodingKeys: String, CodingKey {
        case subject, issuer, serial, name, title, organization, inn, snils, ogrn, innLE, notBefore, notAfter, certificateSHA256
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(subject, forKey: .subject)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(serial, forKey: .serial)
        try c.encode(name, forKey: .name)
        try c.encode(title, forKey: .title)
        try c.encode(organization, forKey: .organization)
        try c.encode(inn, forKey: .inn)
        try c.encode(snils, forKey: .snils)
        try c.encode(ogrn, forKey: .ogrn)
        try c.encode(innLE, forKey: .innLE)
        try c.encode(notBefore, forKey: .notBefore)
        try c.encode(notAfter, forKey: .notAfter)
        try c.encode(certificateSHA256, forKey: .certificateSHA256)
    }
}

extension CheckResult {
    enum CodingKeys: String, CodingKey { case id, name, status, subIndication, message, basis, check, messageKey, messageArgs }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encode(status, forKey: .status)
        try c.encode(subIndication, forKey: .subIndication)
        try c.encode(message, forKey: .message)
        try c.encode(basis, forKey: .basis)
        try c.encodeIfPresent(check, forKey: .check)
        try c.encodeIfPresent(messageKey, forKey: .messageKey)
        try c.encodeIfPresent(messageArgs, forKey: .messageArgs)
    }
}

extension TimestampSummary {
    enum CodingKeys: String, CodingKey { case type, genTime, tsa, indication, subIndication, reason, imprintAlgorithm, imprint, serial, policy }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        try c.encode(genTime, forKey: .genTime)
        try c.encode(tsa, forKey: .tsa)
        try c.encode(indication, forKey: .indication)
        try c.encode(subIndication, forKey: .subIndication)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(imprintAlgorithm, forKey: .imprintAlgorithm)
        try c.encodeIfPresent(imprint, forKey: .imprint)
        try c.encodeIfPresent(serial, forKey: .serial)
        try c.encodeIfPresent(policy, forKey: .policy)
    }
}

extension LegalConclusion {
    enum CodingKeys: String, CodingKey { case kind, conclusion, basis }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(conclusion, forKey: .conclusion)
        try c.encode(basis, forKey: .basis)
    }
}
