import Foundation

/// Policies compiled into podpis, so `podpis verify` works with nothing configured.
///
/// The built-in `default` is the text of `policies/default.yaml`, embedded (a test keeps the two identical), so the
/// rules a user reads in the file are exactly the ones applied without a policies folder.
public enum BuiltinPolicies {
    /// `yyyy-MM-dd` at 00:00 UTC.
    public static func day(_ text: String) -> Date { PolicyDates.parse(text)! }

    public static let `default`: Policy = {
        let (document, problems) = PolicyRegistry.read(text: defaultYAML, file: "built-in")
        guard let document, problems.allSatisfy(\.isWarning) else {
            fatalError("the built-in default policy does not load: \(problems.map { $0.rendered(.en) })")
        }
        var registry = PolicyRegistry(policies: [:], diagnostics: [])
        guard var policy = registry.build(document, base: nil, certsDirectory: nil) else {
            fatalError("the built-in default policy does not resolve")
        }
        policy.source = "built-in"
        return policy
    }()

    /// The text of `policies/default.yaml`.
    public static let defaultYAML = #"""
# Базовая проверка электронной подписи по ETSI EN 319 102-1 — то, что применяется без --policy.
# ETSI EN 319 102-1 basic validation — what applies when no --policy is given.
#
# Каждое правило: id — имя правила; check — проверка из фиксированного словаря (podpis policy explain default);
# level — fail (решает исход), warn (предупреждение), inform (сведения), ignore (не проверяется);
# basis — правовое основание; explain — пояснение на русском и английском.
id: default
title:
  ru: Базовая проверка ETSI EN 319 102-1 с доказательством существования
  en: ETSI EN 319 102-1 basic validation with proof of existence
description:
  ru: Подпись математически верна, документ не изменён, сертификат действовал и не был отозван в доказанный момент подписания.
  en: The signature is mathematically correct, the document unchanged, the certificate valid and not revoked at the proven signing time.
legal:
  kind: advanced
  basis: {ru: ETSI EN 319 102-1, en: ETSI EN 319 102-1}
  valid:
    ru: "Электронная подпись действительна (базовая проверка по ETSI EN 319 102-1): подписант установлен, документ не изменялся после подписания."
    en: "The electronic signature is valid (ETSI EN 319 102-1 basic validation): the signer is identified and the document is unchanged since signing."
  invalid: {ru: Электронная подпись недействительна., en: The electronic signature is not valid.}
  indeterminate:
    ru: Действительность электронной подписи не может быть подтверждена по имеющимся данным.
    en: The validity of the electronic signature cannot be confirmed with the available data.
versions:
  - version: "1.0"
    effective: {from: 2000-01-01}
    rules:
      - id: format
        check: format
        basis: {ru: "ETSI EN 319 102-1, п. 5.2.2 (проверка формата)", en: "ETSI EN 319 102-1, cl. 5.2.2 (format checking)"}
        explain: {ru: Подпись читается как CMS/CAdES и не повреждена., en: The signature parses as CMS/CAdES and is not damaged.}
      - id: signer-certificate
        check: signer-certificate
        basis: {ru: "ETSI EN 319 102-1, п. 5.2.3; RFC 5035", en: "ETSI EN 319 102-1, cl. 5.2.3; RFC 5035"}
        explain:
          ru: Сертификат подписанта найден, и подписанный атрибут signing-certificate указывает именно на него (защита от подмены сертификата).
          en: The signer's certificate is found and the signed signing-certificate attribute names exactly it (no certificate substitution).
      - id: signed-data
        check: signed-data
        basis: {ru: "ETSI EN 319 102-1, п. 5.2.7", en: "ETSI EN 319 102-1, cl. 5.2.7"}
        explain: {ru: Подписанный документ предъявлен для проверки., en: The signed document is given for the check.}
      - id: integrity
        check: integrity
        basis: {ru: "ETSI EN 319 102-1, п. 5.2.7; RFC 5652, п. 5.4", en: "ETSI EN 319 102-1, cl. 5.2.7; RFC 5652, 5.4"}
        explain: {ru: Документ не изменялся после подписания., en: The document was not changed after signing.}
      - id: signature-value
        check: signature-value
        basis: {ru: "ETSI EN 319 102-1, п. 5.2.7; RFC 8933", en: "ETSI EN 319 102-1, cl. 5.2.7; RFC 8933"}
        explain: {ru: Значение подписи проверяется открытым ключом из сертификата., en: The signature value verifies with the certificate's public key.}
      - id: chain
        check: chain
        basis: {ru: "ETSI EN 319 102-1, п. 5.2.6; RFC 5280, п. 6", en: "ETSI EN 319 102-1, cl. 5.2.6; RFC 5280, 6"}
        explain: {ru: Цепочка сертификатов строится до доверенного корня., en: The certificate path reaches a trusted root.}
      - id: certificate-validity
        check: certificate-validity
        basis: {ru: "ETSI EN 319 102-1, п. 5.2.6, 5.6.2", en: "ETSI EN 319 102-1, cl. 5.2.6, 5.6.2"}
        explain:
          ru: Сертификаты действовали в момент, который доказан штампом времени, а без него — на момент проверки.
          en: The certificates were valid at the time a timestamp proves, or at validation time without one.
      - id: revocation
        check: revocation
        params: {require: advertised}
        basis: {ru: "ETSI EN 319 102-1, п. 5.2.5, 5.6.2", en: "ETSI EN 319 102-1, cl. 5.2.5, 5.6.2"}
        explain:
          ru: Сертификаты не были отозваны до доказанного момента подписания; сведения об отзыве нужны, если УЦ их публикует.
          en: The certificates were not revoked before the proven signing time; revocation data is needed where the CA publishes it.
      - id: key-usage
        check: key-usage
        basis: {ru: "RFC 5280, п. 4.2.1.3", en: "RFC 5280, 4.2.1.3"}
        explain: {ru: Ключ предназначен для подписи., en: The key is meant for signing.}
      - id: certificate-profile
        check: certificate-profile
        level: warn
        params: {profiles: [rfc5280]}
        basis: {ru: "RFC 5280, разд. 4", en: "RFC 5280, section 4"}
        explain:
          ru: Сертификаты составлены по профилю RFC 5280 (критичность basicConstraints, назначение ключа УЦ, идентификаторы ключей). Отступление от профиля не разрывает цепочку (RFC 5280, разд. 6) и сообщается предупреждением.
          en: The certificates follow the RFC 5280 profile (critical basicConstraints, a CA's key usage, key identifiers). A departure from the profile does not break the path (RFC 5280, section 6) and is reported as a warning.
      - id: algorithms
        check: algorithms
        params:
          # Дата from — с какого дня алгоритм недопустим; сравнивается с доказанным моментом подписания.
          forbidden:
            - {algorithm: md5}
            - {algorithm: sha1, from: 2012-08-01}
            - {algorithm: gostr3411-94, from: 2019-01-01}
            - {algorithm: gost2001, from: 2019-01-01}
            - {key: rsa, minBits: 1024}
            - {key: rsa, minBits: 2048, from: 2019-01-01}
            - {key: ec, minBits: 256}
            - {key: dsa, minBits: 2048}
        basis: {ru: "ETSI TS 119 312; ETSI EN 319 102-1, п. 5.2.8", en: "ETSI TS 119 312; ETSI EN 319 102-1, cl. 5.2.8"}
        explain:
          ru: Алгоритмы и размеры ключей допустимы на доказанный момент подписания.
          en: The algorithms and key sizes are acceptable at the proven signing time.
      - id: timestamps
        check: timestamps
        level: warn
        basis: {ru: "ETSI EN 319 102-1, п. 5.4", en: "ETSI EN 319 102-1, cl. 5.4"}
        explain: {ru: Штампы времени действительны; недействительный не используется как доказательство., en: Timestamps are valid; an invalid one is never used as proof.}
      - id: signature-count
        check: signature-count
        params: {min: 1}
        basis: {ru: "ETSI EN 319 102-1, п. 5.3", en: "ETSI EN 319 102-1, cl. 5.3"}
        explain: {ru: В документе есть хотя бы одна действительная подпись., en: The document carries at least one valid signature.}
"""#
}
