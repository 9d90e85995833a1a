import COpenSSL
import EvidenceModel

/// An error from podpis's core, with a stable category that front ends map to exit codes and HTTP statuses.
///
/// The message is one plain-English sentence fragment meant to follow the file name:
/// `podpis: order.pdf.sig: not a CMS signature (DER, PEM or Base64 expected)`.
public struct PodpisError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; front ends map it (sysexits, HTTP status).
    public enum Kind: String, Sendable {
        /// Wrong arguments or options.
        case usage
        /// Input that is not a readable signature, key, certificate or document.
        case dataFormat
        /// A named file does not exist or is not a regular file.
        case noInput
        /// A file exists but may not be used (e.g. a key file readable by others).
        case noPermission
        /// An output could not be written.
        case cannotCreate
        /// Reading or writing failed midway.
        case ioError
        /// A remote service (TSA, OCSP, CRL) could not be reached or answered badly.
        case unavailable
        /// Configuration (trust lists, policies) is wrong.
        case configuration
        /// A bug or a failure inside OpenSSL that input cannot explain.
        case software
    }

    public var kind: Kind
    /// The file or object the message is about, when there is one.
    public var subject: String?
    /// The English text for logs, HTTP problem details and evidence: for an error with a ``key``, that key's English
    /// (`ErrorMessage`, written once there).
    public var message: String
    /// OpenSSL's error queue at the time of failure, for logs (never shown as the main message).
    public var detail: String?
    /// The message's key in the user-facing catalogues (`error.*`), with its values, for front ends that speak the
    /// user's language; nil for errors whose English ``message`` is all there is.
    public var key: ErrorMessage?
    public var values: [String: String] = [:]

    public init(_ kind: Kind, _ message: String, subject: String? = nil, detail: String? = nil) {
        self.kind = kind
        self.message = message
        self.subject = subject
        self.detail = detail
    }

    /// An error said by its catalogue key: its English message is the key's English text, and a front end can say it
    /// in Russian too.
    public init(_ kind: Kind, _ key: ErrorMessage, _ values: [String: String] = [:], subject: String? = nil, detail: String? = nil) {
        self.init(kind, key.text(.en, values), subject: subject, detail: detail)
        self.key = key
        self.values = values
    }

    /// The error's text in `language` (its English ``message`` when it has no key).
    public func text(_ language: Language) -> String {
        key?.text(language, values) ?? message
    }

    /// An output that exists and may not be replaced (`--force` replaces it).
    public static func alreadyExists(_ path: String) -> PodpisError {
        PodpisError(.cannotCreate, .exists, subject: path)
    }

    /// The one-line form: `subject: message`.
    public var description: String {
        if let subject { return "\(subject): \(message)" }
        return message
    }
}

/// Reads and clears the calling thread's OpenSSL error queue. Call it right after the failing call.
func drainOpenSSLErrors() -> String? {
    var lines: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        if lines.count < 8 { lines.append(string(fromNulTerminated: buffer)) }
    }
    return lines.isEmpty ? nil : lines.joined(separator: "; ")
}

/// Clears the queue before a call whose failure we want to read precisely.
func clearOpenSSLErrors() { ERR_clear_error() }

extension PodpisError {
    /// An error carrying the current OpenSSL error queue as detail.
    package static func openSSL(_ kind: Kind, _ message: String, subject: String? = nil) -> PodpisError {
        PodpisError(kind, message, subject: subject, detail: drainOpenSSLErrors())
    }
}

/// OpenSSL's reasons in a drained error queue, short enough for an error line: `error:1C800064:Provider
/// routines::bad decrypt` becomes `Provider routines: bad decrypt` (repeats dropped).
func openSSLReason(_ detail: String?) -> String {
    guard let detail, !detail.isEmpty else { return "OpenSSL gave no reason" }
    var reasons: [String] = []
    for piece in detail.split(separator: "; ") {
        let entry = String(piece)
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let text: String
        if parts.count >= 5, parts[0] == "error" {
            let library = parts[2]
            let reason = String(parts[4...].joined(separator: ":").drop { $0 == " " })
            text = library.isEmpty ? reason : "\(library): \(reason)"
        } else {
            text = entry
        }
        if !text.isEmpty, !reasons.contains(text) { reasons.append(text) }
    }
    return reasons.isEmpty ? "OpenSSL gave no reason" : reasons.joined(separator: "; ")
}

extension PodpisError {
    /// An error whose message ends with OpenSSL's reason, for failures a user must be able to act on
    /// (`signing failed: RSA routines: key size too small`); the full queue stays in ``detail``.
    static func openSSLWithReason(_ kind: Kind, _ message: String, subject: String? = nil) -> PodpisError {
        let detail = drainOpenSSLErrors()
        return PodpisError(kind, "\(message): \(openSSLReason(detail))", subject: subject, detail: detail)
    }
}
