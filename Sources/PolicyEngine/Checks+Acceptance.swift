import EvidenceModel
import Foundation

// Signature acceptance (EN 319 102-1 cl. 5.2.8) and time-stamps (cl. 5.4): the policy's constraints on algorithms,
// attributes, levels, timestamps, and the operator's attestations.

/// One `forbidden` entry of the `algorithms` check: an algorithm, or a key type (below a size), from a date.
struct AlgorithmConstraint: Codable, Sendable, Equatable {
    var algorithm: AlgorithmName?
    var key: KeyFamily?
    var minBits: Int?
    var from: Date?

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case algorithm, key, minBits, from }

    init(algorithm: AlgorithmName? = nil, key: KeyFamily? = nil, minBits: Int? = nil, from: Date? = nil) {
        self.algorithm = algorithm
        self.key = key
        self.minBits = minBits
        self.from = from
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        algorithm = try c.decodeIfPresent(AlgorithmName.self, forKey: .algorithm)
        key = try c.decodeIfPresent(KeyFamily.self, forKey: .key)
        minBits = try c.decodeIfPresent(Int.self, forKey: .minBits, in: 1...65536)
        from = try c.decodeIfPresent(Date.self, forKey: .from)
        if algorithm == nil && key == nil, let decoder = decoder as? ParameterDecoder {
            throw decoder.problem("lint.constraint-empty")
        }
        if minBits != nil && key == nil, let decoder = decoder as? ParameterDecoder {
            throw decoder.problem("lint.constraint-bits-without-key")
        }
    }

    /// What the constraint forbids among `names` (the algorithms used) and the key, if anything.
    func violated(names: [String], keyType: KeyType?, bits: Int?) -> String? {
        if let algorithm, names.contains(algorithm.rawValue) { return algorithm.rawValue }
        if let family = self.key?.rawValue, let key = keyType?.rawValue, key == family || key.hasPrefix(family + "-") {
            if let minBits {
                if let bits, bits < minBits { return "\(key) \(bits)" }
            } else {
                return key
            }
        }
        return nil
    }
}

struct AlgorithmsCheck: SignatureCheck {
    static let name = "algorithms"
    static let buildingBlock = BuildingBlock.signatureAcceptanceValidation
    static let subIndication = SubIndication.cryptoConstraintsFailureNoPOE
    static let title = LocalizedText(ru: "Алгоритмы", en: "Algorithms")
    static let summary = LocalizedText(ru: "алгоритмы и размеры ключей допустимы на момент подписания", en: "algorithms and key sizes are acceptable at the signing time")
    static let parameters = [ParameterInfo("forbidden", "list of: {algorithm: one of \(AlgorithmName.allCases.map(\.rawValue).joined(separator: ", ")); key: one of \(KeyFamily.allCases.map(\.rawValue).joined(separator: ", ")); minBits: number; from: date}")]
    static let messageKeys: [MessageKey] = ["algorithms.forbidden.signature", "algorithms.forbidden.certificate", "algorithms.forbidden-since.signature",
                              "algorithms.forbidden-since.certificate", "algorithms.passed"]

    var forbidden: [AlgorithmConstraint] = []

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case forbidden }

    init(forbidden: [AlgorithmConstraint] = []) { self.forbidden = forbidden }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        forbidden = try c.decodeIfPresent([AlgorithmConstraint].self, forKey: .forbidden) ?? []
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        let time = c.bestSignatureTime
        let constraints = forbidden.filter { $0.from.map { time >= $0 } ?? true }
        let algorithms = c.signer.algorithms
        var subjects: [(String, [String], KeyType?, Int?)] = [
            ("signature", [algorithms.digest, algorithms.signature], algorithms.keyType, algorithms.keyBits)
        ]
        for (index, item) in c.pathCertificates.enumerated() where !c.isAnchor(index) {
            subjects.append((item.info.displayName, [item.info.signatureDigest].compactMap { $0 }, index == 0 ? nil : item.info.keyType, index == 0 ? nil : item.info.keyBits))
        }
        for constraint in constraints {
            for (index, (subject, names, key, bits)) in subjects.enumerated() {
                if let what = constraint.violated(names: names, keyType: key, bits: bits) {
                    let since = constraint.from.map(Format.day) ?? ""
                    let key: MessageKey = switch (since.isEmpty, index == 0) {
                    case (true, true): "algorithms.forbidden.signature"
                    case (true, false): "algorithms.forbidden.certificate"
                    case (false, true): "algorithms.forbidden-since.signature"
                    case (false, false): "algorithms.forbidden-since.certificate"
                    }
                    return .fail(.cryptoConstraintsFailureNoPOE, Message(
                        key,
                        ["what": what, "since": since, "subject": subject, "time": Format.date(time)]))
                }
            }
        }
        var parts = "\(algorithms.signature) / \(algorithms.digest)"
        if let bits = algorithms.keyBits { parts += " / \(bits)" }
        return .pass(Message("algorithms.passed", ["algorithms": parts, "time": Format.date(time)]))
    }
}

struct TimestampsCheck: SignatureCheck, ParameterlessCheck {
    static let name = "timestamps"
    static let buildingBlock = BuildingBlock.timestampValidation
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Штампы времени", en: "Timestamps")
    static let summary = LocalizedText(ru: "штампы времени действительны", en: "the timestamps are valid")
    static let messageKeys: [MessageKey] = ["timestamps.none", "timestamps.failed", "timestamps.passed"]

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        if c.timestamps.isEmpty { return .notApplicable(Message("timestamps.none")) }
        if let bad = c.timestamps.first(where: { !$0.usable }) {
            return .fail(bad.subIndication ?? .sigConstraintsFailure, Message("timestamps.failed", ["time": Format.date(bad.evidence.genTime)]))
        }
        return .pass(Message("timestamps.passed", ["count": "\(c.timestamps.count)", "time": Format.date(c.bestSignatureTime)]))
    }
}

/// 63-ФЗ ст. 2: a «метка доверенного времени» is set by a trusted third party (ДТС) accredited under ст. 18; any
/// other RFC 3161 token is a timestamp («штамп времени»), proof of existence for ETSI but not the law's trusted time.
/// The check names which one the proven time comes from, by the TSA's certificate (fingerprint or its own key
/// identifier) in a list of accredited ДТС; it decides nothing else (policies keep it at `inform` or `warn`).
struct TrustedTimeCheck: SignatureCheck {
    static let name = "trusted-time"
    static let buildingBlock = BuildingBlock.timestampValidation
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Метка доверенного времени", en: "Trusted time stamp")
    static let summary = LocalizedText(ru: "время подписи установлено аккредитованной доверенной третьей стороной (метка доверенного времени, ст. 2 63-ФЗ)",
                                       en: "the signing time is set by an accredited trusted third party (a trusted time stamp, 63-FZ art. 2)")
    static let parameters: [ParameterInfo] = [ParameterInfo("trustList", "text: a trust list the policy declares", required: true)]
    static let messageKeys: [MessageKey] = ["timestamps.none", "trust-list.missing", "trusted-time.passed", "trusted-time.not-accredited",
                              "trusted-time.not-accredited-then"]

    var trustList: String

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case trustList }

    init(trustList: String) { self.trustList = trustList }

    init(from decoder: any Decoder) throws {
        trustList = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .trustList)
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        // The timestamp the proven time comes from: the earliest usable one.
        guard let proof = c.timestamps.filter(\.usable).min(by: { $0.evidence.genTime < $1.evidence.genTime }) else {
            return .notApplicable(Message("timestamps.none"))
        }
        guard let list = c.trustLists[trustList] else { return .fail(.policyProcessingError, Message("trust-list.missing", ["list": trustList])) }
        let certificate = proof.evidence.tsaCertificate.flatMap(c.certificate)
        let tsa = certificate.map { SubjectText.render($0.subject, language: c.language) } ?? "?"
        let time = proof.evidence.genTime
        let fingerprint = proof.evidence.tsaCertificate
        let listed = list.authority(certificate: fingerprint, keyIdentifier: certificate?.subjectKeyIdentifier)
        let args = ["tsa": tsa, "time": Format.date(time), "list": trustList]
        if let authority = listed {
            guard authority.accreditation.isEmpty || authority.isAccredited(at: time) else {
                return .fail(.sigConstraintsFailure, Message("trusted-time.not-accredited-then", args.merging(["dts": authority.name]) { a, _ in a }))
            }
            return .pass(Message("trusted-time.passed", args.merging(["dts": authority.name]) { a, _ in a }))
        }
        if let fingerprint, list.anchors.contains(fingerprint) {
            return .pass(Message("trusted-time.passed", args.merging(["dts": tsa]) { a, _ in a }))
        }
        return .fail(.sigConstraintsFailure, Message("trusted-time.not-accredited", args))
    }
}

struct SigningTimeCheck: SignatureCheck, ParameterlessCheck {
    static let name = "signing-time"
    static let buildingBlock = BuildingBlock.signatureAcceptanceValidation
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Заявленное время подписания", en: "Claimed signing time")
    static let summary = LocalizedText(ru: "подпись содержит заявленное время подписания", en: "the signature states its signing time")
    static let messageKeys: [MessageKey] = ["signing-time.missing", "signing-time.passed"]

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard let claimed = c.signer.claimedSigningTime else { return .fail(.sigConstraintsFailure, Message("signing-time.missing")) }
        return .pass(Message("signing-time.passed", ["time": Format.date(claimed)]))
    }
}

struct TimestampRequiredCheck: SignatureCheck, ParameterlessCheck {
    static let name = "timestamp-required"
    static let buildingBlock = BuildingBlock.signatureAcceptanceValidation
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Наличие штампа времени", en: "Timestamp present")
    static let summary = LocalizedText(ru: "подпись защищена действительным штампом времени", en: "a valid timestamp protects the signature")
    static let messageKeys: [MessageKey] = ["timestamp-required.passed", "timestamp-required.missing", "timestamp-required.invalid"]

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        if c.hasPOE { return .pass(Message("timestamp-required.passed", ["time": Format.date(c.bestSignatureTime)])) }
        return .fail(.sigConstraintsFailure, Message(c.timestamps.isEmpty ? "timestamp-required.missing" : "timestamp-required.invalid"))
    }
}

struct TimestampDelayCheck: SignatureCheck {
    static let name = "timestamp-delay"
    static let buildingBlock = BuildingBlock.signatureAcceptanceValidation
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Своевременность штампа времени", en: "Timestamp delay")
    static let summary = LocalizedText(ru: "штамп времени получен вскоре после заявленного времени подписания",
                                       en: "the timestamp followed the claimed signing time closely enough")
    static let range = PolicyDuration(seconds: 1)...PolicyDuration(seconds: 366 * 86_400)
    static let parameters = [ParameterInfo("maxDelay", "duration 1s…366d (90s, 15m, 24h, 7d)", default: "24h")]
    static let messageKeys: [MessageKey] = ["timestamps.none", "signing-time.missing", "timestamp-delay.before", "timestamp-delay.passed", "timestamp-delay.failed"]

    var maxDelay = PolicyDuration(seconds: 86_400)

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case maxDelay }

    init(maxDelay: PolicyDuration = PolicyDuration(seconds: 86_400)) { self.maxDelay = maxDelay }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxDelay = try c.decodeIfPresent(PolicyDuration.self, forKey: .maxDelay, in: Self.range) ?? PolicyDuration(seconds: 86_400)
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        guard c.hasPOE else { return .notApplicable(Message("timestamps.none")) }
        guard let claimed = c.signer.claimedSigningTime else { return .notApplicable(Message("signing-time.missing")) }
        let limit = TimeInterval(maxDelay.seconds)
        let delay = c.bestSignatureTime.timeIntervalSince(claimed)
        if delay < -120 {
            return .fail(.timestampOrderFailure, Message("timestamp-delay.before", ["claimed": Format.date(claimed), "time": Format.date(c.bestSignatureTime)]))
        }
        let args = ["delay": Format.duration(max(0, delay)), "max": Format.duration(limit)]
        if delay <= limit { return .pass(Message("timestamp-delay.passed", args)) }
        return .fail(.sigConstraintsFailure, Message("timestamp-delay.failed", args))
    }
}

struct SignatureLevelCheck: SignatureCheck {
    static let name = "signature-level"
    static let buildingBlock = BuildingBlock.signatureAcceptanceValidation
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Уровень подписи", en: "Signature level")
    static let summary = LocalizedText(ru: "подпись достигает требуемого уровня CAdES (B, T, LT, LTA)", en: "the signature reaches the required CAdES level (B, T, LT, LTA)")
    static let parameters: [ParameterInfo] = [.choice("min", CAdESLevel.self, default: .B)]
    static let messageKeys: [MessageKey] = ["level.passed", "level.failed"]

    var min: CAdESLevel = .B

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case min }

    init(min: CAdESLevel = .B) { self.min = min }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        min = try c.decodeIfPresent(CAdESLevel.self, forKey: .min) ?? .B
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        var reached = c.signer.level.baseline
        // A timestamp that proves nothing does not make T.
        if let level = reached, level >= .T, !c.hasPOE { reached = .B }
        let wanted = Swift.max(min, c.documentType?.level ?? .B)
        let args = ["level": reached?.rawValue ?? c.signer.level.rawValue, "min": wanted.rawValue]
        if let reached, reached >= wanted { return .pass(Message("level.passed", args)) }
        return .fail(.sigConstraintsFailure, Message("level.failed", args))
    }
}

struct AttestationCheck: SignatureCheck {
    static let name = "attestation"
    static let buildingBlock = BuildingBlock.validationContextInitialization
    static let subIndication = SubIndication.sigConstraintsFailure
    static let title = LocalizedText(ru: "Заявление оператора", en: "Operator's statement")
    static let summary = LocalizedText(ru: "оператор подтвердил условие, которое не проверяется программно", en: "the operator attests a condition software cannot check")
    static let parameters = [ParameterInfo("id", "text: an identifier (lower-case letters, digits, dashes)", required: true)]
    static let messageKeys: [MessageKey] = ["attestation.passed", "attestation.failed"]

    /// The attestation's id in the operator's configuration (`certified-crypto-tool`).
    var id: String

    enum CodingKeys: String, CodingKey, CaseIterable, ClosedKeys { case id }

    init(id: String) { self.id = id }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id, matching: NumberForm.identifier.0, form: NumberForm.identifier.1)
            ?? c.decode(String.self, forKey: .id)
    }

    func evaluate(_ c: SignerContext) -> CheckVerdict {
        if let statement = c.attestations[id] { return .pass(Message("attestation.passed", ["id": id, "statement": statement])) }
        return .fail(.sigConstraintsFailure, Message("attestation.failed", ["id": id]))
    }
}
