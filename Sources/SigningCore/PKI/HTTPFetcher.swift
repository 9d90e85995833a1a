import CCurl
import CPodpis
import Foundation

/// Options for one HTTP exchange with a TSA, an OCSP responder or a CRL distribution point.
public struct HTTPOptions: Sendable {
    /// Seconds to wait for the connection, and for the whole exchange.
    public var connectTimeout: Int
    public var timeout: Int
    /// Largest answer accepted, in bytes.
    public var maxResponseBytes: Int
    /// HTTP basic authentication (`user`, `password`).
    public var basicAuth: (user: String, password: String)?
    /// A client certificate and key (PEM files) for TSAs that require TLS client authentication.
    public var clientCertificate: String?
    public var clientKey: String?
    public var clientKeyPassword: String?
    /// Where the exchange may connect (checked after name resolution); nil: anywhere.
    public var destinations: FetchDestinations? = nil
    /// A finer bound than `timeout` on the whole exchange (and on connecting), in milliseconds: what is left of a
    /// verification's fetch budget.
    public var timeoutMilliseconds: Int? = nil

    public init(connectTimeout: Int = 5, timeout: Int = 20, maxResponseBytes: Int = 64 << 20,
                basicAuth: (user: String, password: String)? = nil, clientCertificate: String? = nil,
                clientKey: String? = nil, clientKeyPassword: String? = nil) {
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.basicAuth = basicAuth
        self.clientCertificate = clientCertificate
        self.clientKey = clientKey
        self.clientKeyPassword = clientKeyPassword
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String?
    public var body: [UInt8]
}

/// Blocking HTTP over libcurl. Callers on Swift concurrency's cooperative pool must hop to a thread of their own
/// first (the service does); the CLI calls it directly.
public enum HTTPFetcher {
    public static func get(_ url: String, options: HTTPOptions = HTTPOptions()) throws -> HTTPResponse {
        try perform(url: url, body: nil, contentType: nil, options: options)
    }

    public static func post(_ url: String, body: [UInt8], contentType: String, options: HTTPOptions = HTTPOptions()) throws -> HTTPResponse {
        try perform(url: url, body: body, contentType: contentType, options: options)
    }

    static func perform(url: String, body: [UInt8]?, contentType: String?, options: HTTPOptions) throws -> HTTPResponse {
        guard url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") else {
            throw PodpisError(.usage, "only http:// and https:// URLs are fetched", subject: url)
        }
        guard podpis_curl_init() == 1, let curl = curl_easy_init() else {
            throw PodpisError(.software, "libcurl could not be initialised")
        }
        defer { curl_easy_cleanup(curl) }
        var sink = podpis_curl_buffer(data: nil, size: 0, limit: options.maxResponseBytes, overflow: 0)
        defer { podpis_curl_buffer_free(&sink) }
        var headers: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headers) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)

        _ = podpis_curl_setopt_str(curl, CURLOPT_URL, url)
        _ = podpis_curl_setopt_str(curl, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = podpis_curl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
        _ = podpis_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT, options.connectTimeout)
        _ = podpis_curl_setopt_long(curl, CURLOPT_TIMEOUT, options.timeout)
        if let milliseconds = options.timeoutMilliseconds {
            _ = podpis_curl_setopt_long(curl, CURLOPT_TIMEOUT_MS, max(1, milliseconds))
            _ = podpis_curl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT_MS, max(1, min(milliseconds, options.connectTimeout * 1000)))
        }
        // The destination rules live as long as this call (the transfer happens inside it).
        let rules = options.destinations.map { $0.rules(forURL: url) }
        defer { if let rules { podpis_destinations_free(rules) } }
        if let rules { _ = podpis_curl_set_destinations(curl, rules) }
        _ = podpis_curl_setopt_long(curl, CURLOPT_FOLLOWLOCATION, 0)
        _ = podpis_curl_setopt_str(curl, CURLOPT_USERAGENT, "podpis/\(CryptoLibrary.podpisVersion)")
        _ = podpis_curl_set_sink(curl, &sink)
        let failure: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errors in
            _ = podpis_curl_setopt_ptr(curl, CURLOPT_ERRORBUFFER, errors.baseAddress)
            if let contentType { headers = curl_slist_append(headers, "Content-Type: \(contentType)") }
            headers = curl_slist_append(headers, "Expect:")
            _ = podpis_curl_setopt_ptr(curl, CURLOPT_HTTPHEADER, headers)
            if let auth = options.basicAuth {
                _ = podpis_curl_setopt_long(curl, CURLOPT_HTTPAUTH, 1)  // CURLAUTH_BASIC (1 << 0), a cast macro Swift cannot import
                _ = podpis_curl_setopt_str(curl, CURLOPT_USERNAME, auth.user)
                _ = podpis_curl_setopt_str(curl, CURLOPT_PASSWORD, auth.password)
            }
            if let cert = options.clientCertificate { _ = podpis_curl_setopt_str(curl, CURLOPT_SSLCERT, cert) }
            if let key = options.clientKey { _ = podpis_curl_setopt_str(curl, CURLOPT_SSLKEY, key) }
            if let password = options.clientKeyPassword { _ = podpis_curl_setopt_str(curl, CURLOPT_KEYPASSWD, password) }
            if let body {
                return body.withUnsafeBufferPointer { buffer in
                    _ = podpis_curl_setopt_long(curl, CURLOPT_POST, 1)
                    _ = podpis_curl_setopt_long(curl, CURLOPT_POSTFIELDSIZE, buffer.count)
                    _ = podpis_curl_setopt_ptr(curl, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: buffer.baseAddress))
                    return curl_easy_perform(curl)
                }
            }
            return curl_easy_perform(curl)
        }
        if failure != CURLE_OK, let rules {
            var address = [CChar](repeating: 0, count: 64)
            let refused = podpis_destinations_refused(rules, &address, address.count)
            if refused != 0 {
                throw PodpisError(.unavailable, FetchDestinations.refusal(kind: refused, address: string(fromNulTerminated: address)), subject: url)
            }
        }
        if sink.overflow != 0 {
            throw PodpisError(.unavailable, "the answer is larger than \(options.maxResponseBytes) bytes", subject: url)
        }
        guard failure == CURLE_OK else {
            let detail = string(fromNulTerminated: errorBuffer)
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(failure)) : detail
            throw PodpisError(.unavailable, .unreachable, ["reason": text], subject: url)
        }
        var status = 0
        _ = podpis_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        var typePointer: UnsafeMutablePointer<CChar>? = nil
        _ = podpis_curl_getinfo_str(curl, CURLINFO_CONTENT_TYPE, &typePointer)
        let bytes = sink.data.map { Array(UnsafeBufferPointer(start: $0, count: sink.size)) } ?? []
        return HTTPResponse(status: status, contentType: typePointer.map { String(cString: $0) }, body: bytes)
    }
}
