import Foundation

/// Policies compiled into podpis, so `podpis verify` works with nothing configured.
public enum BuiltinPolicies {
    public static func day(_ text: String) -> Date {
        // yyyy-MM-dd at 00:00 UTC.
        let parts = text.split(separator: "-").compactMap { Int($0) }
        var components = DateComponents()
        components.year = parts[0]
        components.month = parts[1]
        components.day = parts[2]
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: components)!
    }

    static func forbid(_ algorithm: String, from: String? = nil) -> ParamValue {
        var map: [String: ParamValue] = ["algorithm": .string(algorithm)]
        if let from { map["from"] = .date(day(from)) }
        return .map(map)
    }

    static func forbidKey(_ key: String, below bits: Int, from: String? = nil) -> ParamValue {
        var map: [String: ParamValue] = ["key": .string(key), "minBits": .int(bits)]
        if let from { map["from"] = .date(day(from)) }
        return .map(map)
    }

    /// Today's cryptographic constraints with the dates they took effect, judged at the best-signature-time.
    public static let defaultAlgorithmConstraints: [ParamValue] = [
        forbid("md5"),
        forbid("sha1", from: "2012-08-01"),
        forbid("gostr3411-94", from: "2019-01-01"),
        forbid("gost2001", from: "2019-01-01"),
        forbidKey("rsa", below: 1024),
        forbidKey("rsa", below: 2048, from: "2019-01-01"),
        forbidKey("ec", below: 256),
        forbidKey("dsa", below: 2048),
    ]

    /// The ETSI EN 319 102-1 basic validation with long-term (proof of existence) handling: what `verify` applies
    /// when no policy is named.
    public static let `default`: Policy = {
        let etsi = LocalizedText(ru: "ETSI EN 319 102-1, п. 5.3", en: "ETSI EN 319 102-1, cl. 5.3")
        func rule(_ id: String, _ check: String, _ basis: LocalizedText, params: [String: ParamValue] = [:], level: RuleLevel = .fail) -> Rule {
            let summary = CheckVocabulary.definitions[check]?.summary
            return Rule(id: id, check: check, params: params, level: level, basis: basis, explanation: summary)
        }
        let rules: [Rule] = [
            rule("format", "format", LocalizedText(ru: "ETSI EN 319 102-1, п. 5.2.2 (проверка формата)", en: "ETSI EN 319 102-1, cl. 5.2.2 (format checking)")),
            rule("signer-certificate", "signer-certificate", LocalizedText(ru: "ETSI EN 319 102-1, п. 5.2.3; RFC 5035", en: "ETSI EN 319 102-1, cl. 5.2.3; RFC 5035")),
            rule("signed-data", "signed-data", LocalizedText(ru: "ETSI EN 319 102-1, п. 5.2.7", en: "ETSI EN 319 102-1, cl. 5.2.7")),
            rule("integrity", "integrity", LocalizedText(ru: "ETSI EN 319 102-1, п. 5.2.7; RFC 5652, п. 5.4", en: "ETSI EN 319 102-1, cl. 5.2.7; RFC 5652, 5.4")),
            rule("signature-value", "signature-value", LocalizedText(ru: "ETSI EN 319 102-1, п. 5.2.7; RFC 8933", en: "ETSI EN 319 102-1, cl. 5.2.7; RFC 8933")),
            rule("chain", "chain", LocalizedText(ru: "ETSI EN 319 102-1, п. 5.2.6; RFC 5280, п. 6", en: "ETSI EN 319 102-1, cl. 5.2.6; RFC 5280, 6")),
            rule("certificate-validity", "certificate-validity", LocalizedText(ru: "ETSI EN 319 102-1, п. 5.2.6, 5.6.2", en: "ETSI EN 319 102-1, cl. 5.2.6, 5.6.2")),
            rule("revocation", "revocation", LocalizedText(ru: "ETSI EN 319 102-1, п. 5.2.5, 5.6.2", en: "ETSI EN 319 102-1, cl. 5.2.5, 5.6.2"), params: ["require": .string("advertised")]),
            rule("key-usage", "key-usage", LocalizedText(ru: "RFC 5280, п. 4.2.1.3", en: "RFC 5280, 4.2.1.3")),
            rule("algorithms", "algorithms", LocalizedText(ru: "ETSI TS 119 312; ETSI EN 319 102-1, п. 5.2.8", en: "ETSI TS 119 312; ETSI EN 319 102-1, cl. 5.2.8"),
                 params: ["forbidden": .list(defaultAlgorithmConstraints)]),
            rule("timestamps", "timestamps", etsi, level: .warn),
            rule("signature-count", "signature-count", etsi, params: ["min": .int(1)]),
        ]
        let legal = LegalProfile(
            kind: .advanced,
            validConclusion: LocalizedText(
                ru: "Электронная подпись действительна (базовая проверка по ETSI EN 319 102-1): подписант установлен, документ не изменялся после подписания.",
                en: "The electronic signature is valid (ETSI EN 319 102-1 basic validation): the signer is identified and the document is unchanged since signing."),
            invalidConclusion: LocalizedText(ru: "Электронная подпись недействительна.", en: "The electronic signature is not valid."),
            indeterminateConclusion: LocalizedText(
                ru: "Действительность электронной подписи не может быть подтверждена по имеющимся данным.",
                en: "The validity of the electronic signature cannot be confirmed with the available data."),
            basis: LocalizedText(ru: "ETSI EN 319 102-1", en: "ETSI EN 319 102-1"))
        return Policy(
            id: "default",
            title: LocalizedText(ru: "Базовая проверка ETSI EN 319 102-1 с доказательством существования",
                                 en: "ETSI EN 319 102-1 basic validation with proof of existence"),
            versions: [PolicyVersion(version: "1.0", effective: Effective(), rules: rules, legal: legal)],
            source: "built-in")
    }()
}
