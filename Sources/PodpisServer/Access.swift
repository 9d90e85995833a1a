import Foundation
import HTTPTypes
import Hummingbird

/// API keys: verification is open or needs `Authorization: Bearer KEY` (keys are configured as SHA-256 hashes);
/// admin routes always need an admin key.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let apiKeyHashes: Set<String>
    let adminKeyHashes: Set<String>
    let admin: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let allowed = admin ? adminKeyHashes : apiKeyHashes.union(adminKeyHashes)
        if admin || !apiKeyHashes.isEmpty {
            guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
                allowed.contains(ServiceConfiguration.hash(key: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)))
            else {
                // RFC 9110, 15.5.2: a 401 names the scheme that would be accepted.
                throw Problem(.unauthorized, .unauthorized, title: "API key required",
                              detail: admin ? "admin operations need an admin key" : "send Authorization: Bearer <key>")
                    .with(header: "WWW-Authenticate", #"Bearer realm="podpis""#)
            }
        }
        return try await next(request, context)
    }
}
