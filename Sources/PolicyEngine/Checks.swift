import EvidenceModel
import Foundation

/// The fixed vocabulary of checks a policy rule may name, with the parameters each accepts.
public enum CheckVocabulary {
    /// Parameter types for lint.
    public enum ParamType: String, Sendable {
        case string, int, bool, date, stringList, constraintList, map
    }

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
            ru: "сертификаты действовали в момент подписания (по метке времени) или на момент проверки",
            en: "the certificates were valid at the proven signing time, or at validation time without proof")
        add("revocation", .revokedNoPOE, ["require": .string],
            ru: "сертификаты не отозваны на момент подписания", en: "the certificates were not revoked when signing")
        add("key-usage", .chainConstraintsFailure, ["anyOf": .stringList, "required": .bool],
            ru: "назначение ключа допускает электронную подпись", en: "the key usage allows electronic signatures")
        add("algorithms", .cryptoConstraintsFailureNoPOE, ["forbidden": .constraintList],
            ru: "алгоритмы и размеры ключей допустимы на момент подписания",
            en: "algorithms and key sizes are acceptable at the signing time")
        add("timestamps", .sigConstraintsFailure,
            ru: "метки времени действительны", en: "the timestamps are valid")
        add("signature-count", .sigConstraintsFailure, ["min": .int], document: true,
            ru: "документ подписан не менее чем нужным числом подписей", en: "the document carries enough signatures")
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
        case "chain": chain(context)
        case "certificate-validity": validity(context)
        case "revocation": revocation(rule, context)
        case "key-usage": keyUsage(rule, context)
        case "algorithms": algorithms(rule, context)
        case "timestamps": timestamps(context)
        default: .fail(.policyProcessingError, Message("policy.unknown-check", ["check": rule.check]))
        }
    }

    // MARK: basic building blocks

    static func format(_ c: SignerContext) -> CheckVerdict {
        if let issue = c.signer.formatIssues.first { return .fail(.formatFailure, Message("format.failed", ["detail": issue])) }
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
            if c.evidence.document?.source == .digest {
                return .fail(.signedDataNotFound, Message("integrity.digest-algorithm", ["algorithm": c.signer.algorithms.digest]))
            }
            if c.signer.signatureValue.outcome == .invalid { return .notApplicable(Message("integrity.through-signature")) }
            return .fail(.formatFailure, Message("integrity.unsupported", ["algorithm": c.signer.algorithms.digest]))
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
        case .notChecked, .absent: return .notApplicable(Message("signature-value.not-checked"))
        }
    }

    // MARK: X.509

    static let timeIssues: Set<String> = ["expired", "notYetValid", "revoked", "revocationData"]

    static func chain(_ c: SignerContext) -> CheckVerdict {
        guard let chain = c.chain else { return .notApplicable(Message("chain.no-certificate")) }
        if !chain.reachesTrustAnchor {
            let top = c.pathCertificates.last?.info.subject ?? ""
            return .fail(.noCertificateChainFound, Message("chain.no-anchor", ["top": top]))
        }
        if let issue = chain.issues.first(where: { !timeIssues.contains($0.code) }) {
            let subject = chain.path.indices.contains(issue.depth) ? (c.certificate(chain.path[issue.depth].certificate)?.subject ?? "") : ""
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

/// Date formatting for messages: `2026-11-25 12:00:00 UTC`.
enum Format {
    static func date(_ date: Date) -> String {
        let text = date.formatted(Date.ISO8601FormatStyle())
        return text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")
    }
    static func day(_ date: Date) -> String {
        String(date.formatted(Date.ISO8601FormatStyle()).prefix(10))
    }
}
