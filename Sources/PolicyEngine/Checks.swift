import EvidenceModel
import Foundation

// The checks of the basic building blocks: format, the signer's certificate, the cryptographic verification and the
// X.509 validation of the path. Each is a type (see ``PolicyCheck``); its stored properties are its parameters.

// MARK: - format and identification

struct FormatCheck: SignatureCheck, ParameterlessCheck {
    static let name = "format"
    static let buildingBlock = BuildingBlock.formatChecking
    static let subIndication = SubIndication.formatFailure
    static let title = LocalizedText(ru: "Формат подписи", en: "Signature format")
    static let summary = LocalizedText(ru: "подпись читается как CMS/CAdES, обязательные атрибуты присутствуют ровно по одному разу",
                                       en: "the signature parses as CMS/CAdES with each mandatory attribute exactly once")
    static let messageKeys: [MessageKey] = ["format.failed", "format.long-term-unreadable", "format.long-term-attribute-unreadable",
                                            "format.long-term-unmatched", "format.passed-form", "format.passed"]
        + FormatFinding.Code.known.compactMap(MessageKey.formatFinding)

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        // The finding as data, in the reader's language; evidence from before findings, or with a code this version
        // does not know, quotes the English it carries.
        if let finding = c.signer.formatFindings?.first, let key = MessageKey.formatFinding(finding.code) {
            var args = ["attribute": finding.attribute]
            if let count = finding.count { args["count"] = String(count) }
            if finding.code == .contentTypeMismatch { args.merge(["found": finding.found ?? "?", "expected": finding.expected ?? "?"]) { a, _ in a } }
            return .fail(.formatFailure, Message(key, args))
        }
        if let issue = c.signer.formatFindings?.first?.english ?? c.signer.formatIssues.first {
            return .fail(.formatFailure, Message("format.failed", ["detail": issue]))
        }
        if let longTerm = c.signer.longTerm {
            // CAdES-C / -X Long: the complete references should each find their value. A reference without one is a
            // caveat (the value may be fetched or supplied), never a failure: the values are not signed.
            let unmatched = (longTerm.certificateReferences + longTerm.revocationReferences).filter { $0.outcome == .absent }
            if let finding = longTerm.findings?.first, finding.code == .unreadable {
                return .warn(Message("format.long-term-attribute-unreadable", ["attribute": finding.attribute]))
            }
            if let problem = longTerm.findings?.first?.english ?? longTerm.problems.first {
                return .warn(Message("format.long-term-unreadable", ["detail": problem]))
            }
            if !unmatched.isEmpty {
                return .warn(Message("format.long-term-unmatched", [
                    "count": "\(unmatched.count)", "total": "\(longTerm.certificateReferences.count + longTerm.revocationReferences.count)",
                    "form": longTerm.form ?? "CAdES"]))
            }
            if let form = longTerm.form {
                return .pass(Message("format.passed-form", ["form": form,
                    "references": "\(longTerm.certificateReferences.count + longTerm.revocationReferences.count)"]))
            }
        }
        return .pass(Message("format.passed"))
    }
}

struct SignerCertificateCheck: SignatureCheck {
    static let name = "signer-certificate"
    static let buildingBlock = BuildingBlock.identificationOfSigningCertificate
    static let subIndication = SubIndication.noSigningCertificateFound
    static let title = LocalizedText(ru: "Сертификат подписанта", en: "Signer's certificate")
    static let summary = LocalizedText(ru: "сертификат подписанта найден, и атрибут signing-certificate указывает именно на него",
                                       en: "the signer's certificate is found and the signing-certificate attribute binds it")
    static let parameters = [ParameterInfo("requireSigningCertificateAttribute", "true/false", default: "false")]
    static let messageKeys: [MessageKey] = ["signer-certificate.substituted", "signer-certificate.missing", "signer-certificate.no-attribute", "signer-certificate.passed"]

    /// The signing-certificate(-v2) attribute must be present (CAdES, not plain CMS).
    var requireSigningCertificateAttribute = false

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case requireSigningCertificateAttribute }

    init(requireSigningCertificateAttribute: Bool = false) { self.requireSigningCertificateAttribute = requireSigningCertificateAttribute }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requireSigningCertificateAttribute = try c.decodeIfPresent(Bool.self, forKey: .requireSigningCertificateAttribute) ?? false
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        let id = c.signer.identification
        if id.binding == .invalid { return .fail(.noSigningCertificateFound, Message("signer-certificate.substituted")) }
        guard let cert = c.certificate else {
            return .fail(.noSigningCertificateFound, Message("signer-certificate.missing", ["id": id.signerIdentifierValue]))
        }
        if requireSigningCertificateAttribute, id.signingCertificateAttribute == .absent {
            return .fail(.sigConstraintsFailure, Message("signer-certificate.no-attribute"))
        }
        return .pass(Message("signer-certificate.passed", ["name": cert.displayName, "source": id.foundIn?.rawValue ?? ""]))
    }
}

// MARK: - cryptographic verification

struct SignedDataCheck: SignatureCheck, ParameterlessCheck {
    static let name = "signed-data"
    static let buildingBlock = BuildingBlock.cryptographicVerification
    static let subIndication = SubIndication.signedDataNotFound
    static let title = LocalizedText(ru: "Подписанный документ", en: "Signed document")
    static let summary = LocalizedText(ru: "подписанный документ предъявлен", en: "the signed document is present")
    static let messageKeys: [MessageKey] = ["signed-data.missing", "signed-data.passed"]

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        c.evidence.document == nil ? .fail(.signedDataNotFound, Message("signed-data.missing")) : .pass(Message("signed-data.passed"))
    }
}

struct IntegrityCheck: SignatureCheck, ParameterlessCheck {
    static let name = "integrity"
    static let buildingBlock = BuildingBlock.cryptographicVerification
    static let subIndication = SubIndication.hashFailure
    static let title = LocalizedText(ru: "Неизменность документа", en: "Document unchanged")
    static let summary = LocalizedText(ru: "документ не изменён после подписания (хэш совпадает с подписанным)",
                                       en: "the document is unchanged since signing (its digest equals the signed one)")
    static let messageKeys: [MessageKey] = ["integrity.passed", "integrity.failed", "integrity.no-attribute", "integrity.no-document", "integrity.unsupported",
                              "integrity.digest-algorithm", "integrity.through-signature", "integrity.through-signature-unchecked"]

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        let check = c.signer.messageDigest
        switch check.outcome {
        case .valid: return .pass(Message("integrity.passed"))
        case .invalid: return .fail(.hashFailure, Message("integrity.failed"))
        case .absent: return .fail(.formatFailure, Message("integrity.no-attribute"))
        case .notChecked:
            if c.evidence.document == nil { return .notApplicable(Message("integrity.no-document")) }
            if let algorithm = check.unsupportedAlgorithm {
                // OpenSSL cannot compute this digest: a cryptographic constraint that cannot be checked.
                return .fail(.cryptoConstraintsFailure, Message("integrity.unsupported", ["algorithm": algorithm]))
            }
            if c.evidence.document?.source == .digest {
                return .fail(.signedDataNotFound, Message("integrity.digest-algorithm", ["algorithm": c.signer.algorithms.digest]))
            }
            if c.signer.signatureValue.outcome == .invalid { return .notApplicable(Message("integrity.through-signature")) }
            if c.signer.signedAttributes.isEmpty {
                // No signed attributes: the signature covers the document digest itself, so the document is checked
                // when the signature value is; without the signer's certificate neither can be.
                return .notApplicable(Message("integrity.through-signature-unchecked"))
            }
            return .fail(.cryptoConstraintsFailure, Message("integrity.unsupported", ["algorithm": c.signer.algorithms.digest]))
        }
    }
}

struct SignatureValueCheck: SignatureCheck, ParameterlessCheck {
    static let name = "signature-value"
    static let buildingBlock = BuildingBlock.cryptographicVerification
    static let subIndication = SubIndication.sigCryptoFailure
    static let title = LocalizedText(ru: "Значение подписи", en: "Signature value")
    static let summary = LocalizedText(ru: "значение подписи проверяется открытым ключом сертификата",
                                       en: "the signature value verifies with the certificate's public key")
    static let messageKeys: [MessageKey] = ["signature-value.digest-mismatch", "signature-value.gost-mismatch", "signature-value.passed", "signature-value.failed",
                              "signature-value.unsupported", "signature-value.not-checked"]

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        let algorithms = c.signer.algorithms
        if let implied = algorithms.signatureDigest, implied != algorithms.digest {
            return .fail(.sigCryptoFailure, Message("signature-value.digest-mismatch", ["implied": implied, "digest": algorithms.digest]))
        }
        if algorithms.signature.hasPrefix("gost"), let key = algorithms.keyType, key.isGOST, key.rawValue != algorithms.signature {
            return .fail(.sigCryptoFailure, Message("signature-value.gost-mismatch", ["key": key.rawValue, "signature": algorithms.signature]))
        }
        switch c.signer.signatureValue.outcome {
        case .valid: return .pass(Message("signature-value.passed"))
        case .invalid: return .fail(.sigCryptoFailure, Message("signature-value.failed"))
        case .notChecked, .absent:
            if let algorithm = c.signer.signatureValue.unsupportedAlgorithm {
                return .fail(.cryptoConstraintsFailure, Message("signature-value.unsupported", ["algorithm": algorithm]))
            }
            return .notApplicable(Message("signature-value.not-checked"))
        }
    }
}

// MARK: - X.509 validation

struct ChainCheck: SignatureCheck {
    static let name = "chain"
    static let buildingBlock = BuildingBlock.x509CertificateValidation
    static let subIndication = SubIndication.noCertificateChainFound
    static let title = LocalizedText(ru: "Цепочка сертификатов", en: "Certificate path")
    static let summary = LocalizedText(ru: "цепочка сертификатов строится до доверенного корня (RFC 5280, п. 6)",
                                       en: "the certificate path reaches a trust anchor (RFC 5280 §6)")
    static let parameters = [ParameterInfo("trustList", "text: a trust list the policy declares")]
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "chain.no-anchor", "chain.issue", "chain.passed", "trust-list.missing", "chain.not-in-list", "chain.in-list"]

    /// The anchor must be on this trust list (by name, declared under the policy's `trustLists`).
    var trustList: String?

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case trustList }

    init(trustList: String? = nil) { self.trustList = trustList }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trustList = try c.decodeIfPresent(String.self, forKey: .trustList)
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        let verdict = Self.path(c)
        guard case .pass = verdict, let name = trustList else { return verdict }
        guard let list = c.trustLists[name] else {
            return .fail(.policyProcessingError, Message("trust-list.missing", ["list": name]))
        }
        guard let anchor = c.chain?.path.last?.certificate, list.anchors.contains(anchor) else {
            return .fail(.noCertificateChainFound, Message("chain.not-in-list", ["list": name]))
        }
        return .pass(Message("chain.in-list", ["list": name, "anchor": c.pathCertificates.last?.info.displayName ?? ""]))
    }

    static func path(_ c: SignerContext) -> CheckVerdict {
        guard let chain = c.chain else { return .notApplicable(Message("chain.no-certificate")) }
        if !chain.reachesTrustAnchor {
            let top = SubjectText.render(c.pathCertificates.last?.info.subject ?? "", language: c.language)
            return .fail(.noCertificateChainFound, Message("chain.no-anchor", ["top": top]))
        }
        if let issue = chain.issues.first(where: { !$0.code.isTimeRelated }) {
            let subject = SubjectText.render(chain.path.indices.contains(issue.depth) ? (c.certificate(chain.path[issue.depth].certificate)?.subject ?? "") : "",
                                             language: c.language)
            let sub: SubIndication = [.keyUsage, .policy].contains(issue.code) ? .chainConstraintsFailure : .certificateChainGeneralFailure
            return .fail(sub, Message("chain.issue", ["subject": subject, "issue": issue.message]))
        }
        let anchor = c.pathCertificates.last?.info.displayName ?? ""
        return .pass(Message("chain.passed", ["anchor": anchor]))
    }
}

struct CertificateValidityCheck: SignatureCheck, ParameterlessCheck {
    static let name = "certificate-validity"
    static let buildingBlock = BuildingBlock.x509CertificateValidation
    static let subIndication = SubIndication.outOfBoundsNoPOE
    static let title = LocalizedText(ru: "Срок действия сертификата", en: "Certificate validity")
    static let summary = LocalizedText(ru: "сертификаты действовали в момент подписания, доказанный штампом времени, или на момент проверки",
                                       en: "the certificates were valid at the proven signing time, or at validation time without proof")
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "validity.not-yet-valid-proven", "validity.not-yet-valid.signer", "validity.not-yet-valid.ca",
                              "validity.expired.signer", "validity.expired.ca", "validity.passed-poe", "validity.passed"]

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard c.chain != nil else { return .notApplicable(Message("chain.no-certificate")) }
        let time = c.bestSignatureTime
        for (index, item) in c.pathCertificates.enumerated() where !c.isAnchor(index) {
            let info = item.info
            if time < info.notBefore {
                if c.hasPOE {
                    return .fail(.notYetValid, Message("validity.not-yet-valid-proven", ["subject": info.displayName, "from": Format.date(info.notBefore), "time": Format.date(time)]))
                }
                return .fail(.outOfBoundsNoPOE, Message(.validity(expired: false, signer: index == 0), ["subject": info.displayName, "from": Format.date(info.notBefore), "time": Format.date(time)]))
            }
            if time > info.notAfter {
                return .fail(.outOfBoundsNoPOE, Message(.validity(expired: true, signer: index == 0), ["subject": info.displayName, "until": Format.date(info.notAfter), "time": Format.date(time)]))
            }
        }
        return .pass(Message(c.hasPOE ? "validity.passed-poe" : "validity.passed", ["time": Format.date(time)]))
    }
}

/// Revocation (EN 319 102-1 cl. 5.2.5, 5.2.6; RFC 5280 §6.3). Revocation data that cannot be established is not
/// "not published": a CA publishes when its certificate names where (a CRL distribution point, an OCSP responder)
/// or when a CRL or OCSP response it issued is at hand; then a status that cannot be established from it (a bad
/// signature, the wrong scope, an issuer not allowed to sign CRLs, a failed delta) is INDETERMINATE / TRY_LATER,
/// with the reason for each object.
struct RevocationCheck: SignatureCheck {
    static let name = "revocation"
    static let buildingBlock = BuildingBlock.x509CertificateValidation
    static let subIndication = SubIndication.revokedNoPOE
    static let title = LocalizedText(ru: "Отзыв сертификата", en: "Revocation")
    static let summary = LocalizedText(ru: "сертификаты не отозваны на момент подписания; сведения об отзыве, которые УЦ публикует, пригодны для проверки",
                                       en: "the certificates were not revoked when signing; the revocation data the CA publishes is usable")
    static let parameters: [ParameterInfo] = [
        .choice("require", RevocationRequirement.self, default: .advertised),
        .choices("annulmentReasons", PolicyRevocationReason.self, default: []),
    ]
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "revocation.annulled", "revocation.revoked-before-poe", "revocation.revoked", "revocation.ca-revoked",
                              "revocation.stale", "revocation.unknown", "revocation.unknown-because", "revocation.missing", "revocation.undetermined", "revocation.unusable", "revocation.not-published", "revocation.unusable-optional",
                              "revocation.revoked-after", "revocation.passed"]

    /// When revocation data must be at hand.
    var require: RevocationRequirement = .advertised
    /// Reason codes by which the CA marks an annulment (63-ФЗ ст. 14 ч. 6.1, 8): such a certificate never had legal
    /// force, whatever the date.
    var annulmentReasons: [PolicyRevocationReason] = []

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case require, annulmentReasons }

    init(require: RevocationRequirement = .advertised, annulmentReasons: [PolicyRevocationReason] = []) {
        self.require = require
        self.annulmentReasons = annulmentReasons
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        require = try c.decodeIfPresent(RevocationRequirement.self, forKey: .require) ?? .advertised
        annulmentReasons = try c.decodeIfPresent([PolicyRevocationReason].self, forKey: .annulmentReasons) ?? []
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard c.chain != nil else { return .notApplicable(Message("chain.no-certificate")) }
        let annulment = Set(annulmentReasons.map(\.reason))
        let time = c.bestSignatureTime
        var unpublished: [String] = []
        var unusableOptional: [Message] = []
        var laterRevocation: (String, Date)? = nil
        var sources: Set<String> = []
        var undetermined: [Message] = []
        for (index, item) in c.pathCertificates.enumerated() where !c.isAnchor(index) {
            let revocation = item.element.revocation
            let info = item.info
            // A "good" from a source this version does not know (evidence from a newer one) is no status: fail closed.
            let trusted = revocation.status != .good || revocation.source.map(RevocationKind.known.contains) ?? true
            switch trusted ? revocation.status : .unknown {
            case .revoked:
                let when = revocation.revocationTime ?? .distantPast
                // Аннулирование (63-ФЗ ст. 14 ч. 6.1, 8): the certificate never had legal force, whatever the date.
                if let reason = revocation.reason, annulment.contains(reason) {
                    return .fail(index == 0 ? .revokedNoPOE : .revokedCANoPOE, Message("revocation.annulled", [
                        "subject": info.displayName, "date": revocation.revocationTime.map(Format.date) ?? "?", "reason": reason.rawValue]))
                }
                if when <= time {
                    let args = ["subject": info.displayName, "date": revocation.revocationTime.map(Format.date) ?? "?",
                                "reason": revocation.reason?.rawValue ?? "unspecified", "time": Format.date(time)]
                    if c.hasPOE { return .fail(.revoked, Message("revocation.revoked-before-poe", args)) }
                    return .fail(index == 0 ? .revokedNoPOE : .revokedCANoPOE, Message(index == 0 ? "revocation.revoked" : "revocation.ca-revoked", args))
                }
                laterRevocation = (info.displayName, when)
            case .good:
                if let next = revocation.nextUpdate, next < time {
                    return .fail(.tryLater, Message("revocation.stale", ["subject": info.displayName, "next": Format.date(next), "time": Format.date(time)]))
                }
                if let source = revocation.source { sources.insert(source.rawValue.uppercased()) }
            case .unknown, .notApplicable:
                let rejected = Self.rejections(revocation)
                let advertised = !info.crlDistributionPoints.isEmpty || !info.ocspResponders.isEmpty
                // A CA publishes when its certificate says where, or when something it issued about this certificate is
                // at hand (even if unusable: its scope, signature or issuer is wrong).
                let published = advertised || !(revocation.considered ?? []).isEmpty
                let required = require == .always || (require == .advertised && published)
                if required {
                    // Every certificate whose status is unknown is named, each with its own reason.
                    if !rejected.isEmpty {
                        undetermined.append(Message("revocation.unusable", parts: ["reasons": rejected], ["subject": info.displayName]))
                    } else if !revocation.problems.isEmpty {
                        // Why it is missing (not fetched: budget, destination refused, unreachable…), never silently.
                        undetermined.append(Message("revocation.unknown-because", parts: ["reason": Self.problems(revocation.problems, of: revocation)],
                                                    ["subject": info.displayName]))
                    } else {
                        undetermined.append(Message(published ? "revocation.unknown" : "revocation.missing", ["subject": info.displayName]))
                    }
                    continue
                }
                if rejected.isEmpty {
                    unpublished.append(info.displayName)
                } else {
                    unusableOptional.append(Message("revocation.unusable-subject", parts: ["reasons": rejected], ["subject": info.displayName]))
                }
            }
        }
        if undetermined.count == 1 { return .fail(.tryLater, undetermined[0]) }
        if undetermined.count > 1 {
            return .fail(.tryLater, Message("revocation.undetermined", parts: ["details": undetermined], ["count": "\(undetermined.count)"]))
        }
        if let (name, when) = laterRevocation {
            return .pass(Message("revocation.revoked-after", ["subject": name, "date": Format.date(when), "time": Format.date(time)]))
        }
        if !unusableOptional.isEmpty {
            return .warn(Message("revocation.unusable-optional", parts: ["details": unusableOptional]))
        }
        if !unpublished.isEmpty {
            return .warn(Message("revocation.not-published", ["subjects": unpublished.joined(separator: "; ")]))
        }
        return .pass(Message("revocation.passed", ["sources": sources.sorted().joined(separator: ", ")]))
    }

    /// «CRL by X rejected: signature invalid», one per rejected object, in the reader's language.
    static func rejections(_ revocation: RevocationEvidence) -> [Message] {
        let rejected = (revocation.considered ?? []).filter { $0.outcome == .rejected }
        let uncoveredPrefix = "the usable CRLs do not cover the reasons "
        var messages: [Message] = rejected.prefix(6).map { use in
            let why = Message(.revocationReason(use.reason))
            return Message(.revocationRejected(use.kind), parts: ["why": [why]], ["issuer": use.issuer.isEmpty ? "—" : use.issuer])
        }
        if let uncovered = revocation.uncoveredReasons, !uncovered.isEmpty {
            messages.append(Message("revocation.reasons-uncovered", ["reasons": uncovered.map(\.rawValue).joined(separator: ", ")]))
        } else {
            // Evidence from before `uncoveredReasons`: the same, as its English problem states it.
            for problem in revocation.problems where problem.hasPrefix(uncoveredPrefix) {
                messages.append(Message("revocation.reasons-uncovered", ["reasons": String(problem.dropFirst(uncoveredPrefix.count))]))
            }
        }
        if messages.isEmpty {
            // Older evidence (no record of the objects), or problems fetching: in plain English as recorded.
            let details = revocation.problems.filter { $0 != "issuer not found" && !$0.isEmpty && !$0.hasPrefix(uncoveredPrefix) }
            return problems(Array(details.prefix(4)), of: revocation)
        }
        return messages
    }

    /// Lines of `revocation.problems`, each in the reader's language where the evidence has it as data (a fetch that
    /// failed, with its error key), else as recorded.
    static func problems(_ lines: [String], of revocation: RevocationEvidence) -> [Message] {
        let failures = revocation.fetchFailures ?? []
        return lines.map { line in
            guard let failure = failures.first(where: { $0.problem == line }), let key = failure.reasonKey.flatMap(ErrorMessage.init(rawValue:))
            else { return Message("revocation.problem", ["detail": line]) }
            return Message(failure.kind == .ocsp ? "revocation.fetch-failed.ocsp" : "revocation.fetch-failed.crl",
                           parts: ["why": [Message(MessageKey(key.rawValue), failure.values ?? [:])]], ["url": failure.url])
        }
    }
}

struct KeyUsageCheck: SignatureCheck {
    static let name = "key-usage"
    static let buildingBlock = BuildingBlock.x509CertificateValidation
    static let subIndication = SubIndication.chainConstraintsFailure
    static let title = LocalizedText(ru: "Назначение ключа", en: "Key usage")
    static let summary = LocalizedText(ru: "назначение ключа допускает электронную подпись", en: "the key usage allows electronic signatures")
    static let parameters: [ParameterInfo] = [
        .choices("anyOf", KeyUsageBit.self, default: [.digitalSignature, .nonRepudiation]), ParameterInfo("required", "true/false", default: "false"),
    ]
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "key-usage.absent", "key-usage.unrestricted", "key-usage.passed", "key-usage.failed"]

    var anyOf: [KeyUsageBit] = [.digitalSignature, .nonRepudiation]
    /// A certificate without the keyUsage extension fails (otherwise it is unrestricted).
    var required = false

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case anyOf, required }

    init(anyOf: [KeyUsageBit] = [.digitalSignature, .nonRepudiation], required: Bool = false) {
        self.anyOf = anyOf
        self.required = required
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        anyOf = try c.decodeIfPresent([KeyUsageBit].self, forKey: .anyOf) ?? [.digitalSignature, .nonRepudiation]
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let wanted = anyOf.map(\.rawValue)
        guard let usage = cert.keyUsage else {
            if required { return .fail(.chainConstraintsFailure, Message("key-usage.absent")) }
            return .pass(Message("key-usage.unrestricted"))
        }
        if usage.contains(where: wanted.contains) { return .pass(Message("key-usage.passed", ["usage": usage.joined(separator: ", ")])) }
        return .fail(.chainConstraintsFailure, Message("key-usage.failed", ["usage": usage.joined(separator: ", "), "wanted": wanted.joined(separator: ", ")]))
    }
}

struct ExtendedKeyUsageCheck: SignatureCheck {
    static let name = "extended-key-usage"
    static let buildingBlock = BuildingBlock.x509CertificateValidation
    static let subIndication = SubIndication.chainConstraintsFailure
    static let title = LocalizedText(ru: "Расширенное назначение ключа", en: "Extended key usage")
    static let summary = LocalizedText(ru: "расширенное назначение ключа допускает подпись", en: "the extended key usage allows signing")
    static let parameters = [ParameterInfo("anyOf", "list of: a name or a dotted OID", allowed: knownNames), ParameterInfo("required", "true/false", default: "false")]
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "eku.absent", "eku.unrestricted", "eku.passed", "eku.failed"]
    static let knownNames = ["emailProtection", "clientAuth", "timeStamping"]

    var anyOf: [String] = []
    var required = false

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case anyOf, required }

    init(anyOf: [String] = [], required: Bool = false) {
        self.anyOf = anyOf
        self.required = required
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        anyOf = try c.decodeNames(forKey: .anyOf, known: Self.knownNames) ?? []
        required = try c.decodeIfPresent(Bool.self, forKey: .required) ?? false
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let wanted = anyOf.map(CheckVocabulary.oid)
        guard let eku = cert.extendedKeyUsage else {
            if required { return .fail(.chainConstraintsFailure, Message("eku.absent")) }
            return .pass(Message("eku.unrestricted"))
        }
        if wanted.isEmpty || eku.contains(where: wanted.contains) || eku.contains("2.5.29.37.0") {
            return .pass(Message("eku.passed", ["eku": eku.joined(separator: ", ")]))
        }
        return .fail(.chainConstraintsFailure, Message("eku.failed", ["eku": eku.joined(separator: ", "), "wanted": wanted.joined(separator: ", ")]))
    }
}

struct CertificatePoliciesCheck: SignatureCheck {
    static let name = "certificate-policies"
    static let buildingBlock = BuildingBlock.x509CertificateValidation
    static let subIndication = SubIndication.chainConstraintsFailure
    static let title = LocalizedText(ru: "Класс средства ЭП", en: "Signature tool class")
    static let summary = LocalizedText(ru: "сертификат выдан по нужной политике (класс средства КС1–КС3 и др.)",
                                       en: "the certificate carries a required policy (tool class КС1–КС3 and the like)")
    static let parameters = [ParameterInfo("anyOf", "list of: a name or a dotted OID", allowed: knownNames, required: true)]
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "policies.passed", "policies.failed"]
    static let knownNames = ["kc1", "kc2", "kc3", "kb1", "kb2", "ka1"]

    var anyOf: [String]

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case anyOf }

    init(anyOf: [String]) { self.anyOf = anyOf }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Required: a rule without it would fail every certificate.
        anyOf = try c.decodeNames(forKey: .anyOf, known: Self.knownNames) ?? c.decode([String].self, forKey: .anyOf)
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let wanted = anyOf.map(CheckVocabulary.oid)
        if let found = cert.policies.first(where: wanted.contains) {
            return .pass(Message("policies.passed", ["policy": Self.policyName(found)]))
        }
        return .fail(.chainConstraintsFailure, Message("policies.failed", [
            "policies": cert.policies.isEmpty ? "—" : cert.policies.map(Self.policyName).joined(separator: ", "),
            "wanted": wanted.map(Self.policyName).joined(separator: ", ")]))
    }

    static func policyName(_ oid: String) -> String {
        let classes = [OID.classKC1: "КС1", OID.classKC2: "КС2", OID.classKC3: "КС3", OID.classKB1: "КВ1", OID.classKB2: "КВ2", OID.classKA1: "КА1"]
        return classes[oid].map { "\($0) (\(oid))" } ?? oid
    }
}

struct QCStatementsCheck: SignatureCheck {
    static let name = "qc-statements"
    static let buildingBlock = BuildingBlock.qualification
    static let subIndication = SubIndication.chainConstraintsFailure
    static let title = LocalizedText(ru: "Квалифицированный сертификат (eIDAS)", en: "Qualified certificate (eIDAS)")
    static let summary = LocalizedText(ru: "сертификат квалифицированный по eIDAS (qcStatements)", en: "the certificate is an eIDAS qualified certificate (qcStatements)")
    static let parameters = [ParameterInfo("required", "list of: a name or a dotted OID", default: "[qcCompliance]", allowed: knownNames)]
    static let messageKeys: [MessageKey] = ["chain.no-certificate", "qc.passed", "qc.failed"]
    static let knownNames = ["qcCompliance", "qcSSCD", "qcTypeESign"]

    var required: [String] = ["qcCompliance"]

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case required }

    init(required: [String] = ["qcCompliance"]) { self.required = required }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        required = try c.decodeNames(forKey: .required, known: Self.knownNames) ?? ["qcCompliance"]
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let wanted = required.map(CheckVocabulary.oid)
        let present = cert.qcStatements ?? []
        let missing = wanted.filter { !present.contains($0) }
        if missing.isEmpty { return .pass(Message("qc.passed")) }
        return .fail(.chainConstraintsFailure, Message("qc.failed", ["missing": missing.joined(separator: ", ")]))
    }
}

/// Times and days in messages a person reads: Moscow time (МСК, UTC+3 — no daylight saving since 2014), as
/// `2026-11-25 15:00:00 МСК` (`MSK` in English). Machine fields of the report stay UTC.
enum Format {
    /// Stands for the zone's name until the catalogue renders the message in its language.
    static let moscowMarker = MessageTemplate.moscowMarker

    static func date(_ date: Date) -> String { MoscowTime.format(date) + moscowMarker }

    /// The Moscow calendar day: `2026-11-25`.
    static func day(_ date: Date) -> String { MoscowTime.isoDay(date) }

    static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(seconds)
        if s >= 86_400 { return "\(s / 86_400) d \(s % 86_400 / 3600) h" }
        if s >= 3600 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        if s >= 60 { return "\(s / 60) min \(s % 60) s" }
        return "\(s) s"
    }
}
