import EvidenceModel
import Foundation

extension CheckVocabulary {
    /// A short name for each check, as a report's reader sees it instead of the rule's id (a rule may name itself
    /// with `name:` in the policy).
    public static let titles: [String: LocalizedText] = [
        "format": LocalizedText(ru: "Формат подписи", en: "Signature format"),
        "signer-certificate": LocalizedText(ru: "Сертификат подписанта", en: "Signer's certificate"),
        "signed-data": LocalizedText(ru: "Подписанный документ", en: "Signed document"),
        "integrity": LocalizedText(ru: "Неизменность документа", en: "Document unchanged"),
        "signature-value": LocalizedText(ru: "Значение подписи", en: "Signature value"),
        "chain": LocalizedText(ru: "Цепочка сертификатов", en: "Certificate path"),
        "certificate-validity": LocalizedText(ru: "Срок действия сертификата", en: "Certificate validity"),
        "revocation": LocalizedText(ru: "Отзыв сертификата", en: "Revocation"),
        "key-usage": LocalizedText(ru: "Назначение ключа", en: "Key usage"),
        "algorithms": LocalizedText(ru: "Алгоритмы", en: "Algorithms"),
        "timestamps": LocalizedText(ru: "Штампы времени", en: "Timestamps"),
        "accredited-ca": LocalizedText(ru: "Аккредитация УЦ", en: "CA accreditation"),
        "extended-key-usage": LocalizedText(ru: "Расширенное назначение ключа", en: "Extended key usage"),
        "certificate-policies": LocalizedText(ru: "Класс средства ЭП", en: "Signature tool class"),
        "subject-attributes": LocalizedText(ru: "Реквизиты владельца сертификата", en: "Certificate holder's details"),
        "signer-organization": LocalizedText(ru: "Организация подписанта", en: "Signer's organisation"),
        "organisation-certificate": LocalizedText(ru: "Сертификат организации", en: "Organisation's certificate"),
        "qc-statements": LocalizedText(ru: "Квалифицированный сертификат (eIDAS)", en: "Qualified certificate (eIDAS)"),
        "signing-time": LocalizedText(ru: "Заявленное время подписания", en: "Claimed signing time"),
        "timestamp-required": LocalizedText(ru: "Наличие штампа времени", en: "Timestamp present"),
        "timestamp-delay": LocalizedText(ru: "Своевременность штампа времени", en: "Timestamp delay"),
        "signature-level": LocalizedText(ru: "Уровень подписи", en: "Signature level"),
        "attestation": LocalizedText(ru: "Заявление оператора", en: "Operator's statement"),
        "power-of-attorney": LocalizedText(ru: "Машиночитаемая доверенность", en: "Machine-readable power of attorney"),
        "signature-count": LocalizedText(ru: "Число подписей", en: "Number of signatures"),
        "required-roles": LocalizedText(ru: "Обязательные подписанты", en: "Required signers"),
        "document-kind": LocalizedText(ru: "Вид подписи для типа документа", en: "Signature kind for the document type"),
        "electronic-original": LocalizedText(ru: "Бумажный экземпляр", en: "Paper copy"),
        "container": LocalizedText(ru: "Контейнер ASiC", en: "ASiC container"),
        "document-type": LocalizedText(ru: "Тип документа", en: "Document type"),
    ]

    /// The name a rule shows: its own `name:`, else its check's title, else its id.
    static func title(of rule: Rule, _ language: Language) -> String {
        rule.name?.text(language) ?? titles[rule.check]?.text(language) ?? rule.id
    }
}
