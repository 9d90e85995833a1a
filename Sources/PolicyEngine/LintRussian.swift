import Foundation

/// Lint messages wholly in Russian under `--lang ru`: the structural words the reader passes (`rule`, `policy`,
/// `params of …`), the YAML node kinds and the YAML parser's own English sentences are said in Russian; keys and
/// values from the file stay as written, in «».
enum LintRussian {
    /// The `what` of a lint message: a structure (`rule`) or a key path (`rule.check`, `params.maxDelay`).
    static func what(_ text: String) -> String {
        let structures: [String: String] = [
            "policy": "политика", "legal": "раздел legal", "version": "редакция", "rule": "правило",
            "document type": "тип документа", "test case": "тестовый случай", "expect": "раздел expect",
            "versions": "список редакций", "rules": "список правил", "documentTypes": "список типов документов",
        ]
        if let word = structures[text] { return word }
        if text.hasPrefix("params of ") { return "параметры проверки «\(text.dropFirst("params of ".count))»" }
        let owners: [String: String] = [
            "rule": "правила", "documentType": "типа документа", "legal": "раздела legal", "expect": "раздела expect",
            "effective": "раздела effective", "trustLists": "раздела trustLists", "attestations": "раздела attestations",
        ]
        if let dot = text.firstIndex(of: ".") {
            let head = String(text[..<dot])
            let rest = String(text[text.index(after: dot)...])
            if head == "params" { return "параметр «\(rest)»" }
            if let owner = owners[head] { return "ключ «\(rest)» \(owner)" }
        }
        return "ключ «\(text)»"
    }

    static func kind(_ text: String) -> String {
        ["scalar": "значение", "mapping": "отображение", "list": "список"][text] ?? text
    }

    /// libyaml's problem sentences, in Russian; anything not known is described without the English text.
    static func yamlProblem(_ text: String) -> String {
        let known: [(String, String)] = [
            ("mapping values are not allowed", "здесь не может начинаться пара «ключ: значение» (проверьте отступ и двоеточие)"),
            ("could not find expected ':'", "не найдено ожидаемое двоеточие «:» после ключа"),
            ("did not find expected key", "не найден ожидаемый ключ (проверьте отступы)"),
            ("found character that cannot start any token", "символ, с которого не может начинаться значение (например, табуляция, «@» или «`»)"),
            ("tab character", "табуляция в отступе: отступы делаются пробелами"),
            ("did not find expected '-' indicator", "не найден ожидаемый элемент списка «-» (проверьте отступы)"),
            ("did not find expected node content", "не найдено ожидаемое значение"),
            ("found unexpected end of stream", "файл кончился раньше, чем закрыты кавычки или скобки"),
            ("found unknown escape character", "неизвестная последовательность с «\\» в строке в кавычках"),
            ("found undefined tag handle", "неизвестный тег YAML («!…»)"),
            ("did not find expected ',' or ']'", "не найдена ожидаемая запятая или «]»"),
            ("did not find expected ',' or '}'", "не найдена ожидаемая запятая или «}»"),
            ("found unexpected ':'", "неожиданное двоеточие «:»"),
            ("block sequence entries are not allowed", "элемент списка «-» здесь недопустим (проверьте отступы)"),
            ("block mapping entries are not allowed", "пара «ключ: значение» здесь недопустима (проверьте отступы)"),
            ("invalid leading UTF-8 octet", "файл не в кодировке UTF-8"),
            ("invalid trailing UTF-8 octet", "файл не в кодировке UTF-8"),
            ("control characters are not allowed", "в файле есть управляющие символы"),
            ("found duplicate anchor", "метка «&…» определена дважды"),
            ("found undefined alias", "ссылка «*…» на неопределённую метку"),
            ("did not find expected alphabetic or numeric character", "после «&» или «*» ожидается имя"),
            ("did not find expected comment or line break", "после значения ожидается конец строки или комментарий"),
        ]
        for (english, russian) in known where text.contains(english) { return russian }
        return "нарушена структура документа"
    }

    static func localize(_ message: Message) -> Message {
        var args = message.args
        if let what = args["what"] { args["what"] = Self.what(what) }
        if let found = args["found"] { args["found"] = kind(found) }
        if message.key == "lint.yaml", let problem = args["problem"] { args["problem"] = yamlProblem(problem) }
        return Message(message.key, parts: message.parts, args)
    }
}
