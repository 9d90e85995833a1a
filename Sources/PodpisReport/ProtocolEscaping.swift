import EvidenceModel
import Mustache

/// The escaping of every `{{ }}` in the protocol's templates (selected by `{{% CONTENT_TYPE: PODPIS_HTML}}` at the
/// top of each template file; partials do not inherit it).
///
/// HTML escaping as mustache's own (`& < > " '`), and more: characters a reader cannot see but that change what
/// the page shows — C0/C1 controls, bidirectional overrides and isolates (a name that renders backwards), zero-width
/// characters — are printed as `[U+XXXX]`, so a certificate cannot make its holder's name look like another.
struct ProtocolEscaping: MustacheContentType {
    static let name = "PODPIS_HTML"

    func escapeText(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if let entity = MarkupEscaping.entity(for: scalar) {
                escaped += entity
            } else if scalar != "\n", scalar != "\t", Self.invisible(scalar.value) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                escaped += "[U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex + "]"
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    static func invisible(_ value: UInt32) -> Bool {
        switch value {
        case 0x00...0x1F, 0x7F...0x9F: true  // controls
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true  // bidirectional marks, overrides, isolates
        case 0x200B...0x200D, 0x2060, 0xFEFF: true  // zero-width characters
        default: false
        }
    }

    /// Makes the content type known to the template parser; idempotent.
    static func register() {
        MustacheContentTypes.register(ProtocolEscaping(), named: name)
    }
}
