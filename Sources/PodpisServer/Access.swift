import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

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
                throw Problem(.unauthorized, "unauthorized", title: "API key required",
                              detail: admin ? "admin operations need an admin key" : "send Authorization: Bearer <key>")
            }
        }
        return try await next(request, context)
    }
}

/// At most `limit` verifications at once; the rest get 429 at once rather than queueing without bound.
struct ConcurrencyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    final class Counter: Sendable { let inFlight = Atomic<Int>(0) }
    let limit: Int
    let counter = Counter()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let now = counter.inFlight.add(1, ordering: .acquiringAndReleasing).newValue
        defer { counter.inFlight.subtract(1, ordering: .acquiringAndReleasing) }
        guard now <= limit else {
            throw Problem(.tooManyRequests, "too-many-requests", title: "Too many concurrent verifications", detail: "at most \(limit) at once; retry shortly")
        }
        return try await next(request, context)
    }
}
