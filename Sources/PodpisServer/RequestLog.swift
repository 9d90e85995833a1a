import EvidenceModel
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PolicyEngine
import SigningCore

/// One JSON log line per request (with `JSONLogHandler`): method, path, status, duration, request id and, for a
/// verification, its indication. Outermost middleware, so it sees the final status and the request id that
/// `ProblemMiddleware` put on the response.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let outcome = RequestOutcome()
        let response = try await RequestOutcome.$current.withValue(outcome) { try await next(request, context) }
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "status": .stringConvertible(response.status.code),
            "duration_ms": .string(String(format: "%.1f", milliseconds)),
            "request_id": .string(response.headers[HTTPField.Name("X-Request-ID")!] ?? context.id),
        ]
        if let indication = outcome.indication { metadata["indication"] = .string(indication.rawValue) }
        logger.info("request", metadata: metadata)
        return response
    }
}

/// What a request's handler found out that its log line reports (the verdict), handed back through a task local.
final class RequestOutcome: Sendable {
    @TaskLocal static var current: RequestOutcome?
    private let box = NIOLockedValueBox<Indication?>(nil)

    var indication: Indication? {
        get { box.withLockedValue { $0 } }
        set { box.withLockedValue { $0 = newValue } }
    }
}

/// Turns a failure to listen into one line naming the address (exit 69, or 77 for a port that needs privileges),
/// instead of NIO's `bind(descriptor:ptr:bytes:)` text.
public enum ListenError {
    /// Binds and releases `host:port` before anything with side effects (journal keys, files) is set up, so a taken
    /// port is the one line the operator reads, not the last of several.
    public static func probe(host: String, port: Int) async throws {
        guard port != 0 else { return }
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
            try await channel.close()
        } catch {
            throw translate(error, host: host, port: port)
        }
    }

    public static func translate(_ error: Error, host: String, port: Int) -> Error {
        let code: Int32? = (error as? IOError)?.errnoCode ?? ((error as NSError).domain == NSPOSIXErrorDomain ? Int32((error as NSError).code) : nil)
        switch code {
        case EADDRINUSE?:
            return PodpisError(.unavailable, .portInUse, ["port": "\(port)", "host": host], subject: "\(host):\(port)")
        case EACCES?:
            return PodpisError(.noPermission, .portDenied, ["port": "\(port)"], subject: "\(host):\(port)")
        case EADDRNOTAVAIL?:
            return PodpisError(.unavailable, .noSuchAddress, ["host": host], subject: "\(host):\(port)")
        default:
            return error
        }
    }
}
