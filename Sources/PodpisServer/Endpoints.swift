import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SigningCore

/// RFC 3161 over HTTP (RFC 3161, 3.4): `application/timestamp-query` in, `application/timestamp-reply` out.
public struct TimestampEndpoint: Sendable {
    public let authority: TimestampAuthority
    public init(authority: TimestampAuthority) { self.authority = authority }

    func handle(_ request: Request) async throws -> Response {
        Self.reply(try authority.respond(to: try await Self.query(request)))
    }

    /// The query of an RFC 3161 request: `application/timestamp-query`, at most 64 KiB. The one reading of it, for
    /// `tsa serve` and for the verification service's `POST /v1/timestamp` (which reads it under its upload limits).
    static func query(_ request: Request) async throws -> [UInt8] {
        try request.requireContentType(MediaType.timestampQuery)
        return try await request.collectBody(limit: 64 << 10)
    }

    /// The answer: `application/timestamp-reply`.
    static func reply(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: MediaType.timestampReply], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    public func register<Context: RequestContext>(on router: Router<Context>, paths: [RouterPath]) {
        for path in paths {
            router.post(path) { request, _ in try await self.handle(request) }
        }
    }
}

/// The demo PKI's revocation services: fresh CRLs and an OCSP responder for each CA in a `pki demo` folder.
public struct PKIRevocationEndpoint: Sendable {
    public let pki: DemoPKIService
    public init(pki: DemoPKIService) { self.pki = pki }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/crl/:name") { _, context in
            let name = try context.parameters.require("name")
            guard let crl = try pki.crl(named: name) else {
                throw Problem(.notFound, .notFound, title: "No such CRL", detail: name)
            }
            return Response(status: .ok, headers: [.contentType: MediaType.crl], body: .init(byteBuffer: ByteBuffer(bytes: crl)))
        }
        router.post("/ocsp/:ca") { request, context in
            let ca = try context.parameters.require("ca")
            try request.requireContentType(MediaType.ocspRequest)
            let query = try await request.collectBody(limit: 64 << 10)
            guard let answer = try pki.ocsp(ca: ca, request: query) else {
                throw Problem(.notFound, .notFound, title: "No such CA", detail: ca)
            }
            return Response(status: .ok, headers: [.contentType: MediaType.ocspResponse], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
    }
}

/// Serves an application on `host:port` (0 = any free port), prints the address it listens on as one line on
/// stdout, and runs until SIGTERM or SIGINT.
public enum ServerRunner {
    public static func run<Context: RequestContext>(router: Router<Context>, host: String, port: Int, name: String) async throws
    where Context.Source == ApplicationRequestContextSource {
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: name),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                FileHandle.standardOutput.write(Data("listening on http://\(host):\(bound)\n".utf8))
            })
        do {
            try await app.runService()
        } catch {
            throw ListenError.translate(error, host: host, port: port)
        }
    }

    /// A router with problem+json errors and request ids.
    public static func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ProblemMiddleware())
        return router
    }
}
