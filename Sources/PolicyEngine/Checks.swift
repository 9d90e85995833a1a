import EvidenceModel
import Foundation

/// The fixed vocabulary of checks a policy rule may name, with the parameters each accepts.
public enum CheckVocabulary {
    /// Parameter types for lint.
    public enum ParamType: String, Sendable {
        case string, int, bool, date, duration, stringList, constraintList, map
    }

    /// Algorithm names a constraint may name.
    public static let algorithmNames: Set<String> = [
        "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512-224", "sha512-256", "sha3-224", "sha3-256", "sha3-384", "sha3-512", "streebog256", "streebog512",
        "gostr3411-94", "rsa-pkcs1", "rsa-pss", "ecdsa", "ed25519", "ed448", "gost2012-256", "gost2012-512", "gost2001", "dsa",
    ]

    /// Subject attribute names policies use, by OID.
    public static let attributeNames: [String: String] = [
        "inn": OID.inn, "snils": OID.snils, "ogrn": OID.ogrn, "ogrnip": OID.ogrnip, "innLE": OID.innLE,
        "commonName": OID.commonName, "surname": OID.surname, "givenName": OID.givenName, "organization": OID.organization,
        "title": OID.title, "country": OID.country, "email": OID.email, "locality": OID.locality,
        "stateOrProvince": "2.5.4.8", "street": "2.5.4.9",
    ]

    /// Attribute names that stand for a combination (ст. 17 ч. 2 names what, not which attribute):
    /// `fullName` — surname and given names (or the common name); `location` — region or locality (место нахождения).
    public static let compositeAttributes: Set<String> = ["fullName", "location"]

    /// Certificate policy and EKU names policies may use instead of OIDs.
    public static let oidNames: [String: String] = [
        "kc1": OID.classKC1, "kc2": OID.classKC2, "kc3": OID.classKC3, "kb1": OID.classKB1, "kb2": OID.classKB2, "ka1": OID.classKA1,
        "emailProtection": OID.ekuEmailProtection, "clientAuth": OID.ekuClientAuth, "timeStamping": OID.ekuTimeStamping,
        "qcCompliance": OID.qcCompliance, "qcSSCD": OID.qcSSCD, "qcTypeESign": OID.qcTypeESign,
    ]

    static func oid(_ name: String) -> String { oidNames[name] ?? name }

    public struct Definition: Sendable {
        public let name: String
        /// The sub-indication the check yields by default when it fails.
        public let subIndication: SubIndication
        public let params: [String: ParamType]
        /// Document-level (judged once per document) rather than per signature.
        public let documentLevel: Bool
        public let summary: LocalizedText
    }

    /// Every check, by name.
    public static let definitions: [String: Definition] = {
        var all: [String: Definition] = [:]
        func add(_ name: String, _ sub: SubIndication, _ params: [String: ParamType] = [:], document: Bool = false,
                 ru: String, en: String) {
            all[name] = Definition(name: name, subIndication: sub, params: params, documentLevel: document,
                                   summary: LocalizedText(ru: ru, en: en))
        }
        add("format", .formatFailure, ru: "подпись читается как CMS/CAdES, обязательные атрибуты присутствуют ровно по одному разу",
            en: "the signature parses as CMS/CAdES with each mandatory attribute exactly once")
        add("signer-certificate", .noSigningCertificateFound, ["requireSigningCertificateAttribute": .bool],
            ru: "сертификат подписанта найден, и атрибут signing-certificate указывает именно на него",
            en: "the signer's certificate is found and the signing-certificate attribute binds it")
        add("signed-data", .signedDataNotFound, ru: "подписанный документ предъявлен", en: "the signed document is present")
        add("integrity", .hashFailure, ru: "документ не изменён после подписания (хэш совпадает с подписанным)",
            en: "the document is unchanged since signing (its digest equals the signed one)")
        add("signature-value", .sigCryptoFailure, ru: "значение подписи проверяется открытым ключом сертификата",
            en: "the signature value verifies with the certificate's public key")
        add("chain", .noCertificateChainFound, ["trustList": .string],
            ru: "цепочка сертификатов строится до доверенного корня", en: "the certificate path reaches a trust anchor")
        add("certificate-validity", .outOfBoundsNoPOE,
            ru: "сертификаты действовали в момент подписания, доказанный штампом времени, или на момент проверки",
            en: "the certificates were valid at the proven signing time, or at validation time without proof")
        add("revocation", .revokedNoPOE, ["require": .string, "annulmentReasons": .stringList],
            ru: "сертификаты не отозваны на момент подписания", en: "the certificates were not revoked when signing")
        add("key-usage", .chainConstraintsFailure, ["anyOf": .stringList, "required": .bool],
            ru: "назначение ключа допускает электронную подпись", en: "the key usage allows electronic signatures")
        add("algorithms", .cryptoConstraintsFailureNoPOE, ["forbidden": .constraintList],
            ru: "алгоритмы и размеры ключей допустимы на момент подписания",
            en: "algorithms and key sizes are acceptable at the signing time")
        add("timestamps", .sigConstraintsFailure,
            ru: "штампы времени действительны", en: "the timestamps are valid")
        add("accredited-ca", .chainConstraintsFailure, ["trustList": .string, "at": .string, "continuedPast": .date],
            ru: "сертификат выдан аккредитованным удостоверяющим центром (аккредитация действовала в нужный день)",
            en: "the certificate was issued by an accredited CA (accreditation in force on the relevant day)")
        add("extended-key-usage", .chainConstraintsFailure, ["anyOf": .stringList, "required": .bool],
            ru: "расширенное назначение ключа допускает подпись", en: "the extended key usage allows signing")
        add("certificate-policies", .chainConstraintsFailure, ["anyOf": .stringList],
            ru: "сертификат выдан по нужной политике (класс средства КС1–КС3 и др.)",
            en: "the certificate carries a required policy (tool class КС1–КС3 and the like)")
        add("subject-attributes", .chainConstraintsFailure, ["required": .stringList, "anyOf": .stringList, "person": .stringList, "organisation": .stringList],
            ru: "в сертификате есть обязательные реквизиты владельца (ИНН, СНИЛС, ОГРН и др.)",
            en: "the certificate names its holder with the required attributes (ИНН, СНИЛС, ОГРН, ...)")
        add("signer-organization", .chainConstraintsFailure, ["ogrn": .stringList, "innLE": .stringList],
            ru: "подписант принадлежит разрешённой организации (по ОГРН / ИНН ЮЛ)",
            en: "the signer belongs to an allowed organisation (by ОГРН / ИНН ЮЛ)")
        add("qc-statements", .chainConstraintsFailure, ["required": .stringList],
            ru: "сертификат квалифицированный по eIDAS (qcStatements)", en: "the certificate is an eIDAS qualified certificate (qcStatements)")
        add("signing-time", .sigConstraintsFailure,
            ru: "подпись содержит заявленное время подписания", en: "the signature states its signing time")
        add("timestamp-required", .sigConstraintsFailure,
            ru: "подпись защищена действительным штампом времени", en: "a valid timestamp protects the signature")
        add("timestamp-delay", .sigConstraintsFailure, ["maxDelay": .duration],
            ru: "штамп времени получен вскоре после заявленного времени подписания",
            en: "the timestamp followed the claimed signing time closely enough")
        add("signature-level", .sigConstraintsFailure, ["min": .string],
            ru: "подпись достигает требуемого уровня CAdES (B, T, LT, LTA)", en: "the signature reaches the required CAdES level (B, T, LT, LTA)")
        add("attestation", .sigConstraintsFailure, ["id": .string],
            ru: "оператор подтвердил условие, которое не проверяется программно", en: "the operator attests a condition software cannot check")
        add("organisation-certificate", .chainConstraintsFailure, ["issuers": .stringList, "issuedFrom": .date, "signedFrom": .date],
            ru: "сертификат организации, называющий человека, выдан тем УЦ, который по закону выдаёт такие сертификаты (УЦ ФНС, Казначейства, Банка России)",
            en: "an organisation's certificate naming a person comes from a CA the law allows to issue it (FNS, Treasury, Bank of Russia)")
        add("power-of-attorney", .sigConstraintsFailure, ["required": .bool, "stateIssuers": .stringList, "headIssuers": .stringList,
                                                          "headIssuersFrom": .date, "employeeCertificatesUntil": .date,
                                                          "requireRegistryStatus": .bool],
            ru: "подписант действует по машиночитаемой доверенности (МЧД): подписана доверителем, действует на момент подписания, выдана ему, содержит нужное полномочие",
            en: "the signer acts under a machine-readable power of attorney (МЧД): signed by the principal, in force at signing, issued to the signer, granting the required power")
        add("signature-count", .sigConstraintsFailure, ["min": .int], document: true,
            ru: "документ подписан не менее чем нужным числом подписей", en: "the document carries enough signatures")
        add("required-roles", .sigConstraintsFailure, ["roles": .stringList], document: true,
            ru: "документ подписан всеми нужными должностными лицами", en: "every required official signed the document")
        add("document-kind", .sigConstraintsFailure, document: true,
            ru: "подписи имеют вид, нужный для этого типа документа", en: "the signatures are of the kind this document type needs")
        add("electronic-original", .sigConstraintsFailure, document: true,
            ru: "с какой даты региональный акт не требует хранить бумажный экземпляр (поэтапный отказ от бумаги)",
            en: "from which date the regional act no longer requires a paper copy (the phased move off paper)")
        return all
    }()
}

/// Evaluates one rule against one signature.
enum CheckRunner {
    static func run(_ rule: Rule, _ context: SignerContext) -> CheckVerdict {
        switch rule.check {
        case "format": format(context)
        case "signer-certificate": signerCertificate(rule, context)
        case "signed-data": signedData(context)
        case "integrity": integrity(context)
        case "signature-value": signatureValue(context)
        case "chain": chain(rule, context)
        case "certificate-validity": validity(context)
        case "revocation": revocation(rule, context)
        case "key-usage": keyUsage(rule, context)
        case "algorithms": algorithms(rule, context)
        case "timestamps": timestamps(context)
        case "accredited-ca": accreditedCA(rule, context)
        case "extended-key-usage": extendedKeyUsage(rule, context)
        case "certificate-policies": certificatePolicies(rule, context)
        case "subject-attributes": subjectAttributes(rule, context)
        case "signer-organization": signerOrganization(rule, context)
        case "qc-statements": qcStatements(rule, context)
        case "signing-time": signingTime(context)
        case "timestamp-required": timestampRequired(context)
        case "timestamp-delay": timestampDelay(rule, context)
        case "signature-level": signatureLevel(rule, context)
        case "attestation": attestation(rule, context)
        case "organisation-certificate": organisationCertificate(rule, context)
        case "power-of-attorney": PowerOfAttorneyCheck.run(rule, context)
        default: .fail(.policyProcessingError, Message("policy.unknown-check", ["check": rule.check]))
        }
    }

    // MARK: basic building blocks

    static func format(_ c: SignerContext) -> CheckVerdict {
        if let issue = c.signer.formatIssues.first { return .fail(.formatFailure, Message("format.failed", ["detail": issue])) }
        if let longTerm = c.signer.longTerm {
            // CAdES-C / -X Long: the complete references should each find their value. A reference without one is a
            // caveat (the value may be fetched or supplied), never a failure: the values are not signed.
            let unmatched = (longTerm.certificateReferences + longTerm.revocationReferences).filter { $0.outcome == .absent }
            if let problem = longTerm.problems.first {
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

    static func signerCertificate(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        let id = c.signer.identification
        if id.binding == .invalid { return .fail(.noSigningCertificateFound, Message("signer-certificate.substituted")) }
        guard let cert = c.certificate else {
            return .fail(.noSigningCertificateFound, Message("signer-certificate.missing", ["id": id.signerIdentifierValue]))
        }
        if rule.params["requireSigningCertificateAttribute"]?.bool == true, id.signingCertificateAttribute == "absent" {
            return .fail(.sigConstraintsFailure, Message("signer-certificate.no-attribute"))
        }
        return .pass(Message("signer-certificate.passed", ["name": cert.displayName, "source": id.foundIn ?? ""]))
    }

    static func signedData(_ c: SignerContext) -> CheckVerdict {
        c.evidence.document == nil ? .fail(.signedDataNotFound, Message("signed-data.missing")) : .pass(Message("signed-data.passed"))
    }

    static func integrity(_ c: SignerContext) -> CheckVerdict {
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

    static func signatureValue(_ c: SignerContext) -> CheckVerdict {
        let algorithms = c.signer.algorithms
        if let implied = algorithms.signatureDigest, implied != algorithms.digest {
            return .fail(.sigCryptoFailure, Message("signature-value.digest-mismatch", ["implied": implied, "digest": algorithms.digest]))
        }
        if algorithms.signature.hasPrefix("gost"), let key = algorithms.keyType, key.hasPrefix("gost"), key != algorithms.signature {
            return .fail(.sigCryptoFailure, Message("signature-value.gost-mismatch", ["key": key, "signature": algorithms.signature]))
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

    // MARK: X.509

    static let timeIssues: Set<String> = ["expired", "notYetValid", "revoked", "revocationData"]

    static func chain(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        let verdict = chain(c)
        guard case .pass = verdict, let name = rule.params["trustList"]?.string else { return verdict }
        guard let list = c.trustLists[name] else {
            return .fail(.policyProcessingError, Message("trust-list.missing", ["list": name]))
        }
        guard let anchor = c.chain?.path.last?.certificate, list.anchors.contains(anchor) else {
            return .fail(.noCertificateChainFound, Message("chain.not-in-list", ["list": name]))
        }
        return .pass(Message("chain.in-list", ["list": name, "anchor": c.pathCertificates.last?.info.displayName ?? ""]))
    }

    static func chain(_ c: SignerContext) -> CheckVerdict {
        guard let chain = c.chain else { return .notApplicable(Message("chain.no-certificate")) }
        if !chain.reachesTrustAnchor {
            let top = SubjectText.render(c.pathCertificates.last?.info.subject ?? "", language: c.language)
            return .fail(.noCertificateChainFound, Message("chain.no-anchor", ["top": top]))
        }
        if let issue = chain.issues.first(where: { !timeIssues.contains($0.code) }) {
            let subject = SubjectText.render(chain.path.indices.contains(issue.depth) ? (c.certificate(chain.path[issue.depth].certificate)?.subject ?? "") : "",
                                             language: c.language)
            let sub: SubIndication = ["keyUsage", "policy"].contains(issue.code) ? .chainConstraintsFailure : .certificateChainGeneralFailure
            return .fail(sub, Message("chain.issue", ["subject": subject, "issue": issue.message]))
        }
        let anchor = c.pathCertificates.last?.info.displayName ?? ""
        return .pass(Message("chain.passed", ["anchor": anchor]))
    }

    static func validity(_ c: SignerContext) -> CheckVerdict {
        guard c.chain != nil else { return .notApplicable(Message("chain.no-certificate")) }
        let time = c.bestSignatureTime
        for (index, item) in c.pathCertificates.enumerated() where !c.isAnchor(index) {
            let info = item.info
            let who = index == 0 ? "signer" : "ca"
            if time < info.notBefore {
                if c.hasPOE {
                    return .fail(.notYetValid, Message("validity.not-yet-valid-proven", ["subject": info.displayName, "from": Format.date(info.notBefore), "time": Format.date(time)]))
                }
                return .fail(.outOfBoundsNoPOE, Message("validity.not-yet-valid.\(who)", ["subject": info.displayName, "from": Format.date(info.notBefore), "time": Format.date(time)]))
            }
            if time > info.notAfter {
                return .fail(.outOfBoundsNoPOE, Message("validity.expired.\(who)", ["subject": info.displayName, "until": Format.date(info.notAfter), "time": Format.date(time)]))
            }
        }
        return .pass(Message(c.hasPOE ? "validity.passed-poe" : "validity.passed", ["time": Format.date(time)]))
    }

    static func revocation(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        guard c.chain != nil else { return .notApplicable(Message("chain.no-certificate")) }
        let requirement = rule.params["require"]?.string ?? "advertised"
        let annulment = Set((rule.params["annulmentReasons"]?.strings ?? []).map(Self.reasonName))
        let time = c.bestSignatureTime
        var unpublished: [String] = []
        var laterRevocation: (String, Date)? = nil
        var sources: Set<String> = []
        for (index, item) in c.pathCertificates.enumerated() where !c.isAnchor(index) {
            let revocation = item.element.revocation
            let info = item.info
            switch revocation.status {
            case .revoked:
                let when = revocation.revocationTime ?? .distantPast
                // Аннулирование (63-ФЗ ст. 14 ч. 6.1, 8): the certificate never had legal force, whatever the date.
                if let reason = revocation.reason, annulment.contains(reason) {
                    return .fail(index == 0 ? .revokedNoPOE : .revokedCANoPOE, Message("revocation.annulled", [
                        "subject": info.displayName, "date": revocation.revocationTime.map(Format.date) ?? "?", "reason": reason]))
                }
                if when <= time {
                    let args = ["subject": info.displayName, "date": revocation.revocationTime.map(Format.date) ?? "?",
                                "reason": revocation.reason ?? "unspecified", "time": Format.date(time)]
                    if c.hasPOE { return .fail(.revoked, Message("revocation.revoked-before-poe", args)) }
                    return .fail(index == 0 ? .revokedNoPOE : .revokedCANoPOE, Message(index == 0 ? "revocation.revoked" : "revocation.ca-revoked", args))
                }
                laterRevocation = (info.displayName, when)
            case .good:
                if let next = revocation.nextUpdate, next < time {
                    return .fail(.tryLater, Message("revocation.stale", ["subject": info.displayName, "next": Format.date(next), "time": Format.date(time)]))
                }
                if let source = revocation.source { sources.insert(source.uppercased()) }
            case .unknown, .notApplicable:
                let advertised = !info.crlDistributionPoints.isEmpty || !info.ocspResponders.isEmpty
                if requirement == "always" || (requirement == "advertised" && advertised) {
                    // Why it is missing (not fetched: budget, destination refused, unreachable…), never silently.
                    if !revocation.problems.isEmpty {
                        return .fail(.tryLater, Message("revocation.unknown-because", [
                            "subject": info.displayName, "reason": revocation.problems.joined(separator: "; ")]))
                    }
                    return .fail(.tryLater, Message("revocation.unknown", ["subject": info.displayName]))
                }
                unpublished.append(info.displayName)
            }
        }
        if let (name, when) = laterRevocation {
            return .pass(Message("revocation.revoked-after", ["subject": name, "date": Format.date(when), "time": Format.date(time)]))
        }
        if !unpublished.isEmpty {
            return .warn(Message("revocation.not-published", ["subjects": unpublished.joined(separator: "; ")]))
        }
        return .pass(Message("revocation.passed", ["sources": sources.sorted().joined(separator: ", ")]))
    }

    static func keyUsage(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let wanted = rule.params["anyOf"]?.strings ?? ["digitalSignature", "nonRepudiation"]
        guard let usage = cert.keyUsage else {
            if rule.params["required"]?.bool == true { return .fail(.chainConstraintsFailure, Message("key-usage.absent")) }
            return .pass(Message("key-usage.unrestricted"))
        }
        if usage.contains(where: wanted.contains) { return .pass(Message("key-usage.passed", ["usage": usage.joined(separator: ", ")])) }
        return .fail(.chainConstraintsFailure, Message("key-usage.failed", ["usage": usage.joined(separator: ", "), "wanted": wanted.joined(separator: ", ")]))
    }

    // MARK: acceptance

    /// One `forbidden` entry of the `algorithms` check.
    struct AlgorithmConstraint {
        var algorithm: String?
        var keyType: String?
        var minBits: Int?
        var from: Date?

        init?(_ value: ParamValue) {
            guard let map = value.map else { return nil }
            algorithm = map["algorithm"]?.string
            keyType = map["key"]?.string
            minBits = map["minBits"]?.int
            from = map["from"]?.date
            if algorithm == nil && keyType == nil { return nil }
        }

        func violated(names: [String], keyType key: String?, bits: Int?) -> String? {
            if let algorithm, names.contains(algorithm) { return algorithm }
            if let keyType, let key, key == keyType || key.hasPrefix(keyType + "-") {
                if let minBits {
                    if let bits, bits < minBits { return "\(key) \(bits)" }
                } else {
                    return key
                }
            }
            return nil
        }
    }

    static func algorithms(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        let time = c.bestSignatureTime
        let constraints = (rule.params["forbidden"]?.list ?? []).compactMap(AlgorithmConstraint.init)
            .filter { $0.from.map { time >= $0 } ?? true }
        let algorithms = c.signer.algorithms
        var subjects: [(String, [String], String?, Int?)] = [
            (LocalizedText(ru: "подпись", en: "signature").en, [algorithms.digest, algorithms.signature], algorithms.keyType, algorithms.keyBits)
        ]
        for (index, item) in c.pathCertificates.enumerated() where !c.isAnchor(index) {
            subjects.append((item.info.displayName, [item.info.signatureDigest].compactMap { $0 }, index == 0 ? nil : item.info.keyType, index == 0 ? nil : item.info.keyBits))
        }
        for constraint in constraints {
            for (index, (subject, names, key, bits)) in subjects.enumerated() {
                if let what = constraint.violated(names: names, keyType: key, bits: bits) {
                    let since = constraint.from.map(Format.day) ?? ""
                    let where_ = index == 0 ? "signature" : "certificate"
                    return .fail(.cryptoConstraintsFailureNoPOE, Message(
                        since.isEmpty ? "algorithms.forbidden.\(where_)" : "algorithms.forbidden-since.\(where_)",
                        ["what": what, "since": since, "subject": subject, "time": Format.date(time)]))
                }
            }
        }
        var parts = "\(algorithms.signature) / \(algorithms.digest)"
        if let bits = algorithms.keyBits { parts += " / \(bits)" }
        return .pass(Message("algorithms.passed", ["algorithms": parts, "time": Format.date(time)]))
    }

    static func timestamps(_ c: SignerContext) -> CheckVerdict {
        if c.timestamps.isEmpty { return .notApplicable(Message("timestamps.none")) }
        if let bad = c.timestamps.first(where: { !$0.usable }) {
            return .fail(bad.subIndication ?? .sigConstraintsFailure,
                         Message("timestamps.failed", ["time": Format.date(bad.evidence.genTime)]))
        }
        return .pass(Message("timestamps.passed", ["count": "\(c.timestamps.count)", "time": Format.date(c.bestSignatureTime)]))
    }
}

extension CheckRunner {
    static func accreditedCA(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let name = rule.params["trustList"]?.string ?? ""
        guard let list = c.trustLists[name] else { return .fail(.policyProcessingError, Message("trust-list.missing", ["list": name])) }
        let issuer = c.pathCertificates.count > 1 ? c.pathCertificates[1].info : nil
        guard let authority = list.authority(certificate: issuer?.sha256, keyIdentifier: cert.authorityKeyIdentifier) else {
            return .fail(.chainConstraintsFailure, Message("accredited-ca.unknown", ["issuer": SubjectText.render(cert.issuer, language: c.language), "list": name]))
        }
        let atSigning = rule.params["at"]?.string == "signing"
        let date = atSigning ? c.bestSignatureTime : cert.notBefore
        let args = ["ca": authority.name, "date": Format.day(date),
                    "periods": authority.accreditation.map { "\(Format.day($0.from))–\($0.until.map(Format.day) ?? "…")" }.joined(separator: ", ")]
        // The 2019 amendments (Федеральный закон № 476-ФЗ): from `continuedPast` a certificate stays qualified only if
        // the accreditation it was issued under went on past that day — the CA was accredited again under the new rules.
        if let cutoff = rule.params["continuedPast"]?.date {
            guard let period = authority.period(at: date) else {
                return .fail(.chainConstraintsFailure, Message("accredited-ca.failed-issue", args))
            }
            if let until = period.until, until <= cutoff {
                return .fail(.chainConstraintsFailure, Message("accredited-ca.not-reaccredited", args.merging(["until": Format.day(until), "cutoff": Format.day(cutoff)]) { a, _ in a }))
            }
            return .pass(Message("accredited-ca.reaccredited", args.merging(["cutoff": Format.day(cutoff)]) { a, _ in a }))
        }
        if authority.isAccredited(at: date) {
            return .pass(Message(atSigning ? "accredited-ca.passed-signing" : "accredited-ca.passed-issue", args))
        }
        return .fail(.chainConstraintsFailure, Message(atSigning ? "accredited-ca.failed-signing" : "accredited-ca.failed-issue", args))
    }

    static func extendedKeyUsage(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let wanted = (rule.params["anyOf"]?.strings ?? []).map(CheckVocabulary.oid)
        guard let eku = cert.extendedKeyUsage else {
            if rule.params["required"]?.bool == true { return .fail(.chainConstraintsFailure, Message("eku.absent")) }
            return .pass(Message("eku.unrestricted"))
        }
        if wanted.isEmpty || eku.contains(where: wanted.contains) || eku.contains("2.5.29.37.0") {
            return .pass(Message("eku.passed", ["eku": eku.joined(separator: ", ")]))
        }
        return .fail(.chainConstraintsFailure, Message("eku.failed", ["eku": eku.joined(separator: ", "), "wanted": wanted.joined(separator: ", ")]))
    }

    static func certificatePolicies(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let wanted = (rule.params["anyOf"]?.strings ?? []).map(CheckVocabulary.oid)
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

    /// Digit-count rules of the Russian identifiers (Приказ ФСБ № 795).
    static let identifierLengths: [String: [Int]] = ["inn": [12], "snils": [11], "ogrn": [13], "ogrnip": [15], "innLE": [10]]

    /// Whether the certificate names its holder with the attributes asked for. `person` and `organisation` follow
    /// 63-ФЗ ст. 17 ч. 2: a certificate naming a person must carry the person's list (ФИО, СНИЛС, ИНН), one naming
    /// an organisation the organisation's (наименование, место нахождения, ОГРН, ИНН ЮЛ) — both when it names both;
    /// a certificate naming only an organisation (ст. 14 ч. 3) has no person and needs no СНИЛС.
    static func subjectAttributes(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate, let role = c.signerRole else { return .notApplicable(Message("chain.no-certificate")) }
        func value(_ name: String) -> String? {
            switch name {
            case "fullName":
                if let surname = cert.attribute(OID.surname), let given = cert.attribute(OID.givenName), !surname.isEmpty, !given.isEmpty {
                    return "\(surname) \(given)"
                }
                return cert.attribute(OID.commonName).flatMap { $0.isEmpty ? nil : $0 }
            case "location":
                return [cert.attribute("2.5.4.8"), cert.attribute(OID.locality)].compactMap { $0 }.first { !$0.isEmpty }
            default:
                guard let oid = CheckVocabulary.attributeNames[name] ?? (name.contains(".") ? name : nil) else { return nil }
                return cert.attribute(oid).flatMap { $0.isEmpty ? nil : $0 }
            }
        }
        var required = rule.params["required"]?.strings ?? []
        var holder: String? = nil
        if let person = rule.params["person"]?.strings, let organisation = rule.params["organisation"]?.strings {
            switch role.holder {
            case .person, .entrepreneur: required += person; holder = "person"
            case .organisation: required += organisation; holder = "organisation"
            case .organisationPerson: required += organisation + person; holder = "organisation-person"
            }
        } else {
            required += rule.params["person"]?.strings ?? []
            required += rule.params["organisation"]?.strings ?? []
        }
        for name in required {
            guard let found = value(name) else {
                return .fail(.chainConstraintsFailure, Message(holder.map { "attributes.missing.\($0)" } ?? "attributes.missing",
                                                               ["attribute": Self.attributeLabel(name)]))
            }
            if let lengths = identifierLengths[name], !(lengths.contains(found.count) && found.allSatisfy(\.isNumber)) {
                return .fail(.chainConstraintsFailure, Message("attributes.malformed", ["attribute": Self.attributeLabel(name), "value": found]))
            }
        }
        let anyOf = rule.params["anyOf"]?.strings ?? []
        if !anyOf.isEmpty && !anyOf.contains(where: { value($0) != nil }) {
            return .fail(.chainConstraintsFailure, Message("attributes.none-of", ["attributes": anyOf.map(Self.attributeLabel).joined(separator: ", ")]))
        }
        let listed = (required + anyOf.filter { value($0) != nil }).map(Self.attributeLabel).joined(separator: ", ")
        return .pass(Message(holder.map { "attributes.passed.\($0)" } ?? "attributes.passed", ["attributes": listed]))
    }

    static func attributeLabel(_ name: String) -> String {
        ["inn": "ИНН", "snils": "СНИЛС", "ogrn": "ОГРН", "ogrnip": "ОГРНИП", "innLE": "ИНН ЮЛ", "fullName": "ФИО",
         "location": "место нахождения", "organization": "наименование организации", "commonName": "CN", "locality": "населённый пункт",
         "stateOrProvince": "субъект РФ", "street": "адрес"][name] ?? name
    }

    /// The dated rules of the 2019 amendments about organisations' certificates that name a person:
    /// `issuedFrom` — from that day such certificates of persons acting without a power of attorney come only from
    /// `issuers` (УЦ ФНС; state bodies: УЦ Казначейства; the financial market: УЦ Банка России), so one issued later by
    /// another CA is not a head's certificate; `signedFrom` — from that day an organisation's certificate naming an
    /// employee (one not from `issuers`) no longer serves to sign for the organisation: the employee signs with a
    /// personal certificate and a power of attorney.
    static func organisationCertificate(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate, let role = c.signerRole else { return .notApplicable(Message("chain.no-certificate")) }
        let issuers = rule.params["issuers"]?.strings
            ?? [SignerRole.Operators.fns, SignerRole.Operators.treasury, SignerRole.Operators.bank]
        let organisation = cert.attribute(OID.organization) ?? role.organisationINNLE ?? "—"
        guard role.namesOrganisation else { return .notApplicable(Message("organisation-certificate.personal")) }
        if role.issuedBy(issuers) {
            return .pass(Message("organisation-certificate.lawful-issuer", ["organisation": organisation, "issuer": role.issuerINNLE ?? "—"]))
        }
        if role.holder == .organisationPerson, let from = rule.params["signedFrom"]?.date, c.bestSignatureTime >= from {
            return .fail(.chainConstraintsFailure, Message("organisation-certificate.employee", [
                "organisation": organisation, "since": Format.day(from), "time": Format.date(c.bestSignatureTime)]))
        }
        if let from = rule.params["issuedFrom"]?.date, cert.notBefore >= from {
            return .fail(.chainConstraintsFailure, Message("organisation-certificate.not-head", [
                "organisation": organisation, "issued": Format.day(cert.notBefore), "since": Format.day(from)]))
        }
        return .pass(Message("organisation-certificate.transitional", ["organisation": organisation, "issued": Format.day(cert.notBefore)]))
    }

    /// RFC 5280 reason codes by number, for `annulmentReasons` written as numbers.
    static func reasonName(_ text: String) -> String {
        let names = [0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged", 4: "superseded",
                     5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL", 9: "privilegeWithdrawn", 10: "aACompromise"]
        return Int(text).flatMap { names[$0] } ?? text
    }

    static func signerOrganization(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let ogrns = rule.params["ogrn"]?.strings ?? []
        let inns = rule.params["innLE"]?.strings ?? []
        let ogrn = cert.attribute(OID.ogrn)
        let inn = cert.attribute(OID.innLE)
        if (ogrn.map { ogrns.contains($0) } ?? false) || (inn.map { inns.contains($0) } ?? false) {
            return .pass(Message("organization.passed", ["organization": cert.attribute(OID.organization) ?? ogrn ?? inn ?? ""]))
        }
        // A person with a personal certificate acts for the organisation under its power of attorney (whose validity
        // the power-of-attorney rule judges).
        if ogrn == nil, inn == nil {
            let signer = PowerOfAttorneyCheck.person(cert)
            if let power = (c.evidence.powersOfAttorney ?? []).first(where: { power in
                power.allRepresentatives.contains { PowerOfAttorneyCheck.same($0, signer) }
                    && ((power.principalOGRN.map { ogrns.contains($0) } ?? false) || (power.principalINNLE.map { inns.contains($0) } ?? false))
            }) {
                return .pass(Message("organization.by-power-of-attorney", ["organization": power.principalOrganization ?? power.principalOGRN ?? "—",
                                                                         "number": power.number ?? "—"]))
            }
        }
        return .fail(.chainConstraintsFailure, Message("organization.failed", ["ogrn": ogrn ?? "—", "inn": inn ?? "—"]))
    }

    static func qcStatements(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        guard let cert = c.certificate else { return .notApplicable(Message("chain.no-certificate")) }
        let wanted = (rule.params["required"]?.strings ?? ["qcCompliance"]).map(CheckVocabulary.oid)
        let present = cert.qcStatements ?? []
        let missing = wanted.filter { !present.contains($0) }
        if missing.isEmpty { return .pass(Message("qc.passed")) }
        return .fail(.chainConstraintsFailure, Message("qc.failed", ["missing": missing.joined(separator: ", ")]))
    }

    static func signingTime(_ c: SignerContext) -> CheckVerdict {
        guard let claimed = c.signer.claimedSigningTime else { return .fail(.sigConstraintsFailure, Message("signing-time.missing")) }
        return .pass(Message("signing-time.passed", ["time": Format.date(claimed)]))
    }

    static func timestampRequired(_ c: SignerContext) -> CheckVerdict {
        if c.hasPOE { return .pass(Message("timestamp-required.passed", ["time": Format.date(c.bestSignatureTime)])) }
        return .fail(.sigConstraintsFailure, Message(c.timestamps.isEmpty ? "timestamp-required.missing" : "timestamp-required.invalid"))
    }

    static func timestampDelay(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        guard c.hasPOE else { return .notApplicable(Message("timestamps.none")) }
        guard let claimed = c.signer.claimedSigningTime else { return .notApplicable(Message("signing-time.missing")) }
        let maxDelay = TimeInterval(rule.params["maxDelay"]?.int ?? 86_400)
        let delay = c.bestSignatureTime.timeIntervalSince(claimed)
        if delay < -120 {
            return .fail(.timestampOrderFailure, Message("timestamp-delay.before", ["claimed": Format.date(claimed), "time": Format.date(c.bestSignatureTime)]))
        }
        let args = ["delay": Format.duration(max(0, delay)), "max": Format.duration(maxDelay)]
        if delay <= maxDelay { return .pass(Message("timestamp-delay.passed", args)) }
        return .fail(.sigConstraintsFailure, Message("timestamp-delay.failed", args))
    }

    static let levelRank = ["CMS": 0, "B": 1, "T": 2, "LT": 3, "LTA": 4]

    static func signatureLevel(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        var reached = c.signer.level
        if (levelRank[reached] ?? 0) >= 2 && !c.hasPOE { reached = "B" }  // a timestamp that proves nothing does not make T
        let wanted = [rule.params["min"]?.string, c.documentType?.level].compactMap { $0 }.max { (levelRank[$0] ?? 0) < (levelRank[$1] ?? 0) } ?? "B"
        let args = ["level": reached, "min": wanted]
        if (levelRank[reached] ?? 0) >= (levelRank[wanted] ?? 0) { return .pass(Message("level.passed", args)) }
        return .fail(.sigConstraintsFailure, Message("level.failed", args))
    }

    static func attestation(_ rule: Rule, _ c: SignerContext) -> CheckVerdict {
        let id = rule.params["id"]?.string ?? ""
        if let statement = c.attestations[id] { return .pass(Message("attestation.passed", ["id": id, "statement": statement])) }
        return .fail(.sigConstraintsFailure, Message("attestation.failed", ["id": id]))
    }
}

/// Times and days in messages a person reads: Moscow time (МСК, UTC+3 — no daylight saving since 2014), as
/// `2026-11-25 15:00:00 МСК` (`MSK` in English). Machine fields of the report stay UTC.
enum Format {
    /// Stands for the zone's name until the catalogue renders the message in its language.
    static let moscowMarker = "\u{E000}"
    static let moscowOffset: TimeInterval = 3 * 3600

    static func date(_ date: Date) -> String {
        var seconds = time_t((date.timeIntervalSince1970 + moscowOffset).rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))" + moscowMarker
    }

    /// The Moscow calendar day: `2026-11-25`.
    static func day(_ date: Date) -> String {
        var seconds = time_t((date.timeIntervalSince1970 + moscowOffset).rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let s = Int(seconds)
        if s >= 86_400 { return "\(s / 86_400) d \(s % 86_400 / 3600) h" }
        if s >= 3600 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        if s >= 60 { return "\(s / 60) min \(s % 60) s" }
        return "\(s) s"
    }

}
