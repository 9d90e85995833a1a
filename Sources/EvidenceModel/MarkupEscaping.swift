/// Text made safe inside HTML or XML markup: the five characters that could end a text node or a quoted attribute
/// value (`& < > " '`) become entities. One implementation for every page and file podpis writes (the verification
/// protocol, the service's verification page, ASiC manifests); the protocol adds its own treatment of invisible
/// characters on top of ``entity(for:apostrophe:)``.
public enum MarkupEscaping {
    /// `&#39;` is valid in both HTML and XML; ASiC manifests keep XML's own `&apos;`.
    public static let htmlApostrophe = "&#39;"
    public static let xmlApostrophe = "&apos;"

    /// The entity that stands for `scalar`, or nil when it may stand for itself.
    @inline(__always)
    public static func entity(for scalar: Unicode.Scalar, apostrophe: String = htmlApostrophe) -> String? {
        switch scalar {
        case "&": "&amp;"
        case "<": "&lt;"
        case ">": "&gt;"
        case "\"": "&quot;"
        case "'": apostrophe
        default: nil
        }
    }

    /// `text` with `& < > " '` as entities (by Unicode scalar, so that a combining mark after `&` or `<` cannot hide it).
    public static func escape(_ text: String, apostrophe: String = htmlApostrophe) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let entity = entity(for: scalar, apostrophe: apostrophe) { escaped += entity } else { escaped.unicodeScalars.append(scalar) }
        }
        return escaped
    }
}
