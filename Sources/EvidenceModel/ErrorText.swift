import Foundation

/// An error as a short sentence for a person, never a dump: `NSError`s (Foundation's file errors, a ZIP library's
/// I/O errors) become their description without `Error Domain=… UserInfo={…}`, a JSON decoding error says what and
/// where, and anything else is described as it describes itself.
public enum ErrorText {
    public static func describe(_ error: Error) -> String {
        if let decoding = error as? DecodingError { return describe(decoding) }
        let text = "\(error)"
        guard text.contains("Error Domain=") else { return text }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(describing: POSIXError(code).localizedDescription)
        }
        return nsError.localizedDescription
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "at the top" : "at " + keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "«\(key.stringValue)» is missing \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "a value of the wrong kind \(path(context))"
        case .dataCorrupted(let context): return "not valid JSON \(path(context))"
        @unknown default: return "not the JSON expected"
        }
    }
}
