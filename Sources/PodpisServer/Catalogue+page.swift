import EvidenceModel
import PolicyEngine

/// The verification service's web page (`page.*`: its form, its hints, the problems it explains), in both languages:
/// the server's own table, which the page adds to the engine's catalogue (`Catalogue.page(_:)`).
public enum PageTexts: MessageTable {
    public static func entries(_ language: Language) -> [String: String] { language == .ru ? russian : english }

    static let english: [String: String] = [
        "page.title": "Verification of an electronic signature",
        "page.lead": "Choose the signed document and its signature, or a container: the service checks the signature and shows the verification protocol.",
        "page.policy": "Policy (the rules the signature is judged by)",
        "page.submit": "Verify",
        "page.detached.title": "A document and its detached signature",
        "page.detached.hint": "The signature is a separate file beside the document: .sig, .p7s or .sgn (DER, PEM or Base64).",
        "page.signature": "Signature file",
        "page.document": "Signed document",
        "page.attached.title": "An attached signature",
        "page.attached.hint": "The document is inside the signature file (.p7m).",
        "page.attached-signature": "Signature file with the document inside",
        "page.container.title": "An ASiC container",
        "page.container.hint": "Several files and their signatures in one ZIP container (.asice, .asics).",
        "page.container": "Container",
        "page.key-required": "This service requires an API key: the page can only be used through a gateway that adds it.",
        "page.privacy": "The files are checked on the server and are not kept; the verification journal records the document's and the signature's digests, the signers and the verdict.",
        "page.limits": "A signature or a container may be up to {size} MiB.",
        "page.api": "Systems use the same service through the API: POST /v1/verify (see /openapi.yaml).",
        "page.problem.title": "The files could not be verified",
        "page.problem.other": "The service could not verify this request (HTTP {status}).",
        "page.problem.missing-signature": "No signature file was chosen.",
        "page.problem.too-large": "A file is larger than the service accepts.",
        "page.problem.malformed-multipart": "The form did not arrive whole; please send it again.",
        "page.problem.unknown-policy": "The chosen policy is not known to this service.",
        "page.problem.not-a-container": "The file is not a readable ASiC container.",
        "page.problem.container-and-signature": "Send either a container or a signature, not both.",
        "page.problem.too-slow": "The upload was too slow and was cut off; please try again.",
        "page.problem.too-many-requests": "The service is busy; please try again in a moment.",
        "page.problem.unauthorized": "This service requires an API key.",
        "page.problem.too-many-poa": "Too many powers of attorney in one request.",
        "page.problem.journal-unavailable": "The verification journal is unavailable, so nothing can be verified now; please try again later.",
        "page.back": "Back to the verification page",
    ]

    static let russian: [String: String] = [
        "page.title": "Проверка электронной подписи",
        "page.lead": "Выберите подписанный документ и его подпись или контейнер: служба проверит подпись и покажет протокол проверки.",
        "page.policy": "Политика (правила, по которым оценивается подпись)",
        "page.submit": "Проверить",
        "page.detached.title": "Документ и отсоединённая подпись",
        "page.detached.hint": "Подпись — отдельный файл рядом с документом: .sig, .p7s или .sgn (DER, PEM или Base64).",
        "page.signature": "Файл подписи",
        "page.document": "Подписанный документ",
        "page.attached.title": "Присоединённая подпись",
        "page.attached.hint": "Документ находится внутри файла подписи (.p7m).",
        "page.attached-signature": "Файл подписи с документом внутри",
        "page.container.title": "Контейнер ASiC",
        "page.container.hint": "Несколько файлов и их подписи в одном ZIP-контейнере (.asice, .asics).",
        "page.container": "Контейнер",
        "page.key-required": "Служба требует API-ключ: страницей можно пользоваться только через шлюз, который его добавляет.",
        "page.privacy": "Файлы проверяются на сервере и не сохраняются; в журнал проверок записываются хэши документа и подписи, подписанты и заключение.",
        "page.limits": "Подпись или контейнер — не больше {size} МиБ.",
        "page.api": "Информационные системы пользуются той же службой через API: POST /v1/verify (см. /openapi.yaml).",
        "page.problem.title": "Проверить файлы не удалось",
        "page.problem.other": "Служба не смогла проверить этот запрос (HTTP {status}).",
        "page.problem.missing-signature": "Не выбран файл подписи.",
        "page.problem.too-large": "Файл больше, чем принимает служба.",
        "page.problem.malformed-multipart": "Форма пришла не целиком; отправьте её ещё раз.",
        "page.problem.unknown-policy": "Выбранная политика этой службе неизвестна.",
        "page.problem.not-a-container": "Файл не является читаемым контейнером ASiC.",
        "page.problem.container-and-signature": "Отправьте либо контейнер, либо подпись — не то и другое сразу.",
        "page.problem.too-slow": "Файл передавался слишком медленно, передача прервана; попробуйте ещё раз.",
        "page.problem.too-many-requests": "Служба занята; попробуйте чуть позже.",
        "page.problem.unauthorized": "Служба требует API-ключ.",
        "page.problem.too-many-poa": "Слишком много доверенностей в одном запросе.",
        "page.problem.journal-unavailable": "Журнал проверок недоступен, поэтому проверить сейчас нельзя; попробуйте позже.",
        "page.back": "Вернуться к странице проверки",
    ]
}

extension Catalogue {
    /// The engine's catalogue with the web page's words (``PageTexts``).
    static func page(_ language: Language) -> Catalogue { Catalogue(language, adding: [PageTexts.self]) }
}
