import EvidenceModel
import Foundation
import Mustache
import PolicyEngine
import SigningCore

/// The verification protocol («протокол проверки электронной подписи»): one self-contained HTML page that states the
/// verdict, who signed, what time is proven, the checks with their legal basis, a picture of the certificate chain
/// and a timeline — for officials, jurists and archivists who do not read JSON.
///
/// The page has inline CSS and inline SVG only: no scripts, no external resources. It is written in the report's
/// language (``Report/lang``), with every label taken from the `report.*` keys of the ``Catalogue``. The page
/// carries its own SHA-256 (see ``sha256(ofRendered:)`` for exactly what is hashed).
public enum VerificationProtocol {
    /// The value that stands in the hash slots while the page is hashed: 64 zeros.
    public static let hashPlaceholder = String(repeating: "0", count: 64)

    /// The page and its fingerprint.
    public struct Rendered: Sendable {
        /// The HTML page, UTF-8, with the fingerprint filled in.
        public let html: String
        /// SHA-256 (lower-case hex) of the page's canonical form: the page with both hash slots holding
        /// ``VerificationProtocol/hashPlaceholder``.
        public let sha256: String
    }

    /// Renders the protocol for a report.
    ///
    /// - Parameters:
    ///   - report: The judged report; its language is the page's language.
    ///   - evidence: The evidence the report was judged from, when available: it supplies the certificate chains,
    ///     revocation data and the signature file for the pictures. Without it the page shows what the report holds.
    ///   - templates: The templates to render with (default: the ones shipped with podpis, read once per process).
    /// - Throws: ``ReportTemplates/Error`` when the templates cannot be found or parsed.
    public static func render(report: Report, evidence: Evidence? = nil, templates: ReportTemplates? = nil) throws -> Rendered {
        let library = try templates ?? ReportTemplates.shippedCached()
        let page = ProtocolPage(report: report, evidence: evidence, hash: hashPlaceholder)
        // Times are Moscow time; the zone's name follows the page's language (`DateText`).
        let canonical = try library.render(page)
            .replacingOccurrences(of: DateText.moscowMarker, with: report.lang == "ru" ? " МСК" : " MSK")
        let hash = SHA256.hex(Array(canonical.utf8))
        let html = fillHashSlots(canonical, with: hash)
        return Rendered(html: html, sha256: hash)
    }

    /// The two places the page prints its own hash. They are written only by the template, never from data: data
    /// is HTML-escaped, so it cannot contain a `"` or `<` and cannot imitate a slot.
    static let slots: [(prefix: String, suffix: String)] = [
        ("<meta name=\"podpis-report-sha256\" content=\"", "\">"),
        ("<code class=\"report-hash\">", "</code>"),
    ]

    /// The page's hash as a verifier reproduces it.
    ///
    /// The hash is SHA-256 over the UTF-8 bytes of the page in which the 64 hex digits after
    /// `<meta name="podpis-report-sha256" content="` and after `<code class="report-hash">` are replaced by 64 zeros
    /// (``hashPlaceholder``); nothing else is changed, line ends included. In a shell:
    ///
    /// ```
    /// Z=$(printf '0%.0s' $(seq 1 64))
    /// sed -E "s/(<meta name=\"podpis-report-sha256\" content=\")[0-9a-f]{64}/\1$Z/;
    ///         s/(<code class=\"report-hash\">)[0-9a-f]{64}/\1$Z/" report.html | sha256sum
    /// ```
    ///
    /// - Returns: The recomputed hash, or `nil` when the page has no hash slots.
    public static func sha256(ofRendered html: String) -> String? {
        guard let canonical = canonicalForm(html) else { return nil }
        return SHA256.hex(Array(canonical.utf8))
    }

    /// Whether a stored or received page still carries the hash it prints (it was not edited after rendering).
    public static func verify(_ html: String) -> Bool {
        guard let printed = printedHash(html), let recomputed = sha256(ofRendered: html) else { return false }
        return printed == recomputed
    }

    /// The hash printed in the page's `<meta name="podpis-report-sha256">`.
    public static func printedHash(_ html: String) -> String? {
        guard let slot = slots.first, let start = html.range(of: slot.prefix) else { return nil }
        let value = html[start.upperBound...].prefix(64)
        return value.count == 64 && value.allSatisfy(\.isHexDigit) ? String(value) : nil
    }

    /// The page with both hash slots set to the placeholder; `nil` when a slot is missing.
    static func canonicalForm(_ html: String) -> String? {
        var text = html
        for slot in slots {
            guard let start = text.range(of: slot.prefix) else { return nil }
            let valueEnd = text.index(start.upperBound, offsetBy: 64, limitedBy: text.endIndex) ?? text.endIndex
            guard text.distance(from: start.upperBound, to: valueEnd) == 64, text[valueEnd...].hasPrefix(slot.suffix) else { return nil }
            text.replaceSubrange(start.upperBound..<valueEnd, with: hashPlaceholder)
        }
        return text
    }

    static func fillHashSlots(_ html: String, with hash: String) -> String {
        var text = html
        for slot in slots {
            text = text.replacingOccurrences(of: slot.prefix + hashPlaceholder + slot.suffix, with: slot.prefix + hash + slot.suffix)
        }
        return text
    }
}
