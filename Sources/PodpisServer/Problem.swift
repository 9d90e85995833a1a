import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// An RFC 9457 problem: every error the HTTP front ends send is `application/problem+json` with a stable `type`.
public struct Problem: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    /// A stable URI naming the kind of problem (`https://podpis.example/problems/<slug>`; clients may switch on it).
    public let type: String
    public let title: String
    public let detail: String?
    /// Headers the answer carries besides the body (`WWW-Authenticate` on 401, `Retry-After` on 503).
    public var headers: [(name: String, value: String)] = []

    public static let base = "urn:podpis:problem:"

    public init(_ status: HTTPResponse.Status, _ kind: ProblemKind, title: String, detail: String? = nil) {
        self.init(status, slug: kind.rawValue, title: title, detail: detail)
    }

    /// A problem whose slug is not one of ``ProblemKind``'s (the `http-<code>` answers for HTTP errors of the
    /// framework, named by their status).
    init(_ status: HTTPResponse.Status, slug: String, title: String, detail: String? = nil) {
        self.status = status
        self.type = Self.base + slug
        self.title = title
        self.detail = detail
    }

    /// The same problem with one more header on its answer.
    public func with(header name: String, _ value: String) -> Problem {
        var copy = self
        copy.headers.append((name, value))
        return copy
    }

    struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String?
        let instance: String
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(type: type, title: title, status: status.code, detail: detail, instance: request.uri.path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers: HTTPFields = [.contentType: MediaType.problemJSON]
        // A body refused half-way (too large, too slow) is not worth draining: close the connection after answering.
        if status == .contentTooLarge || status == .requestTimeout { headers[.connection] = "close" }
        for (name, value) in self.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }
}

/// The kinds of problem the service answers with: the slug of each `urn:podpis:problem:<slug>` type, named once.
/// Clients switch on these URNs (the OpenAPI document lists them): a case's raw value never changes.
public enum ProblemKind: String, Sendable, CaseIterable {
    case badBase64 = "bad-base64"
    case badDigest = "bad-digest"
    case badDigestAlgorithm = "bad-digest-algorithm"
    case badPolicyID = "bad-policy-id"
    case containerAndSignature = "container-and-signature"
    case duplicatePart = "duplicate-part"
    case internalError = "internal"
    case journalUnavailable = "journal-unavailable"
    case malformedJSON = "malformed-json"
    case malformedMultipart = "malformed-multipart"
    case malformedRequest = "malformed-request"
    case missingSignature = "missing-signature"
    case noTSA = "no-tsa"
    case notAContainer = "not-a-container"
    case notASignature = "not-a-signature"
    case notASignedPDF = "not-a-signed-pdf"
    case notFound = "not-found"
    case pdfAndSignature = "pdf-and-signature"
    case poaSignatureWithoutPOA = "poa-signature-without-poa"
    case reloadFailed = "reload-failed"
    case reportUnavailable = "report-unavailable"
    case storage = "storage"
    case tooComplex = "too-complex"
    case tooLarge = "too-large"
    case tooManyPOA = "too-many-poa"
    case tooManyRequests = "too-many-requests"
    case tooManyUploads = "too-many-uploads"
    case tooSlow = "too-slow"
    case unauthorized = "unauthorized"
    case unknownPolicy = "unknown-policy"
    case unsupportedMediaType = "unsupported-media-type"

    /// The problem's `type` URN.
    public var type: String { Problem.base + rawValue }
}

/// The media types the HTTP front ends read and write, named once.
enum MediaType {
    static let json = "application/json"
    static let jsonUTF8 = "application/json; charset=utf-8"
    static let problemJSON = "application/problem+json"
    static let multipartFormData = "multipart/form-data"
    static let html = "text/html"
    static let htmlUTF8 = "text/html; charset=utf-8"
    static let plainText = "text/plain"
    static let yaml = "application/yaml"
    static let timestampQuery = "application/timestamp-query"
    static let timestampReply = "application/timestamp-reply"
    static let ocspRequest = "application/ocsp-request"
    static let ocspResponse = "application/ocsp-response"
    static let crl = "application/pkix-crl"
    /// The Prometheus text exposition format (`/metrics`).
    static let prometheusText = "text/plain; version=0.0.4; charset=utf-8"
}

/// Turns every error into a problem response (404s, 413s and unexpected errors included) and tags responses with a
/// request id. Each problem's type is counted in the metrics.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    var metrics: ServiceMetrics? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = request.headers[HTTPField.Name("X-Request-ID")!].map { String($0.prefix(64)) } ?? context.id
        var context = context
        context.logger[metadataKey: "request_id"] = .string(id)
        var response: Response
        var type: String? = nil
        do {
            response = try await next(request, context)
        } catch let problem as Problem {
            type = problem.type
            response = try problem.response(from: request, context: context)
        } catch let error where Self.isBrokenRequest(error) {
            // The request itself was broken on the wire (a malformed chunk size, an unknown transfer coding) or the
            // client went away mid-body: a 400 for the client if it still listens, never a 500, and no internal-error
            // log line for what a client did.
            context.logger.info("request body broken or abandoned by the client", metadata: ["reason": "\(error)"])
            let problem = Problem(.badRequest, .malformedRequest, title: "Malformed request",
                                  detail: "the request body could not be read (broken framing, or the connection ended)")
                .with(header: "Connection", "close")
            type = problem.type
            response = try problem.response(from: request, context: context)
        } catch let error as HTTPError {
            let slug = error.status.code == 404 ? ProblemKind.notFound.rawValue : (error.status.code == 413 ? ProblemKind.tooLarge.rawValue : "http-\(error.status.code)")
            let problem = Problem(error.status, slug: slug, title: error.status.reasonPhrase, detail: error.body)
            type = problem.type
            response = try problem.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let slug = error.status.code == 413 ? ProblemKind.tooLarge.rawValue : "http-\(error.status.code)"
            let problem = Problem(error.status, slug: slug, title: error.status.reasonPhrase)
            type = problem.type
            response = try problem.response(from: request, context: context)
        } catch {
            context.logger.error("internal error: \(error)")
            let problem = Problem(.internalServerError, .internalError, title: "Internal error")
            type = problem.type
            response = try problem.response(from: request, context: context)
        }
        if let type { metrics?.problem(type) }
        response.headers[HTTPField.Name("X-Request-ID")!] = id
        return response
    }

    /// Errors of the HTTP layer while a body is read: NIO's parser refusing the framing, the connection closing or
    /// resetting under it. Named by type, so that nothing else is mistaken for one.
    static func isBrokenRequest(_ error: any Error) -> Bool {
        if error is HTTPParserError || error is CancellationError { return true }
        if let channel = error as? ChannelError {
            switch channel {
            case .ioOnClosedChannel, .eof, .alreadyClosed, .outputClosed, .inputClosed: return true
            default: return false
            }
        }
        if let io = error as? IOError { return [ECONNRESET, EPIPE, ECONNABORTED].contains(io.errnoCode) }
        return "\(type(of: error))".contains("HTTPParserError")
    }
}

extension Request {
    /// The body, refusing more than `limit` bytes (413) and a Content-Length that announces more.
    func collectBody(limit: Int) async throws -> [UInt8] {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem(.contentTooLarge, .tooLarge, title: "Request body too large", detail: "at most \(limit) bytes")
        }
        var buffer = try await body.collect(upTo: limit)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    func requireContentType(_ expected: String) throws {
        let type = headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == expected else {
            throw Problem(.unsupportedMediaType, .unsupportedMediaType, title: "Unsupported media type", detail: "expected \(expected)")
        }
    }
}
