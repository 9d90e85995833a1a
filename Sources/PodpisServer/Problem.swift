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

    public init(_ status: HTTPResponse.Status, _ slug: String, title: String, detail: String? = nil) {
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
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        // A body refused half-way (too large, too slow) is not worth draining: close the connection after answering.
        if status == .contentTooLarge || status == .requestTimeout { headers[.connection] = "close" }
        for (name, value) in self.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }
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
            let problem = Problem(.badRequest, "malformed-request", title: "Malformed request",
                                  detail: "the request body could not be read (broken framing, or the connection ended)")
                .with(header: "Connection", "close")
            type = problem.type
            response = try problem.response(from: request, context: context)
        } catch let error as HTTPError {
            let slug = error.status.code == 404 ? "not-found" : (error.status.code == 413 ? "too-large" : "http-\(error.status.code)")
            let problem = Problem(error.status, slug, title: error.status.reasonPhrase, detail: error.body)
            type = problem.type
            response = try problem.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let slug = error.status.code == 413 ? "too-large" : "http-\(error.status.code)"
            let problem = Problem(error.status, slug, title: error.status.reasonPhrase)
            type = problem.type
            response = try problem.response(from: request, context: context)
        } catch {
            context.logger.error("internal error: \(error)")
            let problem = Problem(.internalServerError, "internal", title: "Internal error")
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
            throw Problem(.contentTooLarge, "too-large", title: "Request body too large", detail: "at most \(limit) bytes")
        }
        var buffer = try await body.collect(upTo: limit)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    func requireContentType(_ expected: String) throws {
        let type = headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == expected else {
            throw Problem(.unsupportedMediaType, "unsupported-media-type", title: "Unsupported media type", detail: "expected \(expected)")
        }
    }
}
