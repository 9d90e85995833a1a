import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOPosix
import PodpisJournal
import PodpisReport
import PolicyEngine
import ServiceLifecycle
import SigningCore

/// The verification service (`podpis serve`).
public enum HTTPService {
    /// Every route, for the router and for the test that holds the OpenAPI document to them.
    public static let routes: [(method: String, path: String)] = [
        ("POST", "/v1/verify"), ("POST", "/v1/timestamp"), ("GET", "/v1/policies"), ("GET", "/v1/policies/{id}"),
        ("POST", "/v1/admin/reload"), ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.yaml"),
    ]

    /// - Parameter requestLog: where each request's log line goes (nil: not logged).
    public static func makeRouter(state: ServiceState, metrics: ServiceMetrics, requestLog: Logger? = nil) -> Router<BasicRequestContext> {
        let configuration = state.configuration
        let router = Router()
        // The request log outermost (it sees the final status); then metrics, so that every answer is counted by
        // status, problems (4xx, 429, 5xx) included.
        if let requestLog { router.add(middleware: RequestLogMiddleware(logger: requestLog)) }
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: ProblemMiddleware(metrics: metrics))

        router.get("/healthz") { _, _ in Response(status: .ok, headers: [.contentType: MediaType.plainText], body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        router.get("/readyz") { _, _ in
            // Ready means the journal answers: within readyTimeout (2 s), else 503 (a load balancer then sends the work
            // elsewhere).
            do {
                let journal = state.journal
                _ = try await Deadline.run(seconds: configuration.readyTimeout) { try await journal.entries(after: Int64.max - 1, limit: 1) }
            } catch {
                state.journal.noteUnavailable()
                throw ServiceState.journalUnavailable(error)
            }
            let snapshot = state.snapshot
            return try jsonResponse(["status": "ready", "policies": "\(snapshot.catalog.registry.policies.count)",
                                     "trustAnchors": "\(snapshot.trust.anchors.count)"])
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: MediaType.prometheusText],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: MediaType.yaml], body: .init(byteBuffer: ByteBuffer(string: OpenAPI.document)))
        }
        router.get("/v1/policies") { request, _ in
            let language = Language(parsing: request.headers[.acceptLanguage])
            let now = Date()
            let list = state.snapshot.catalog.registry.policies.values.sorted { $0.id < $1.id }.map { policy in
                PolicySummary(id: policy.id, version: policy.version(at: now).version, title: policy.title.text(language),
                              versions: policy.versions.map(\.version))
            }
            return try jsonResponse(list)
        }
        router.get("/v1/policies/:id") { request, context in
            let id = try context.parameters.require("id")
            guard id.range(of: "^[a-z0-9][a-z0-9-]{0,63}$", options: .regularExpression) != nil else {
                throw Problem(.badRequest, .badPolicyID, title: "Bad policy id", detail: "ids are lower-case letters, digits and dashes")
            }
            guard let policy = state.snapshot.catalog.registry.policy(id) else {
                throw Problem(.notFound, .unknownPolicy, title: "Unknown policy", detail: id)
            }
            return try jsonResponse(PolicyDetail(policy, language: Language(parsing: request.headers[.acceptLanguage])))
        }

        let admission = Admission(maxUploads: configuration.effectiveMaxUploads, maxVerifications: configuration.maxConcurrent)
        let verify = VerifyEndpoint(state: state, metrics: metrics, admission: admission, fetchPool: fetchPool)
        let verifying = router.group()
            .add(middleware: AccessMiddleware(apiKeyHashes: Set(configuration.apiKeyHashes), adminKeyHashes: Set(configuration.adminKeyHashes), admin: false))
        verifying.post("/v1/verify") { request, context in try await verify.handle(request, context: context) }
        // The verification page (GET /) and its form (POST /), on the same endpoint, limits and journal.
        VerificationPage(state: state).register(on: router, verifying: verifying, verify: verify)
        verifying.post("/v1/timestamp") { request, context in
            guard let authority = state.authority else {
                throw Problem(.notFound, .noTSA, title: "No TSA configured", detail: "configure tsa.key and tsa.cert")
            }
            try request.requireContentType(MediaType.timestampQuery)
            let query = try await admission.uploading {
                try await UploadWatch.reading(configuration) { watch in
                    watch.waiting()
                    let body = try await TimestampEndpoint.query(request)
                    watch.finished()
                    return body
                }
            }
            return TimestampEndpoint.reply(try await admission.verifying { try authority.respond(to: query) })
        }
        router.group()
            .add(middleware: AccessMiddleware(apiKeyHashes: [], adminKeyHashes: Set(configuration.adminKeyHashes), admin: true))
            .post("/v1/admin/reload") { _, _ in
                do {
                    let snapshot = try state.reload()
                    return try jsonResponse(["status": "reloaded", "policies": "\(snapshot.catalog.registry.policies.count)"])
                } catch let error as PodpisError {
                    throw Problem(.conflict, .reloadFailed, title: "Reload failed; the previous configuration stays", detail: error.message)
                }
            }
        return router
    }

    /// The bounded executor for revocation fetches: a responder that never answers holds one of these threads for
    /// at most a verification's fetch budget, and never a thread that verifies (NIO's pool, one per core).
    static let fetchPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    static func jsonResponse(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: MediaType.jsonUTF8],
                 body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder.podpis(pretty: false).encode(value))))
    }

    struct PolicySummary: Encodable {
        let id: String
        let version: String
        let title: String
        let versions: [String]
    }

    struct PolicyDetail: Encodable {
        struct Version: Encodable {
            let version: String
            let from: Date?
            let until: Date?
            let rules: [RuleView]
            let documentTypes: [String]
        }
        struct RuleView: Encodable {
            let id: String
            let check: String
            let level: String
            let subIndication: String?
            let basis: String?
            let explanation: String?
            /// From the check's type: its title, its ETSI building block and its parameters in effect (defaults
            /// included).
            let title: String
            let buildingBlock: String
            let parameters: Parameters

            struct Parameters: Encodable {
                let check: any PolicyCheck
                func encode(to encoder: any Encoder) throws { try check.encode(to: encoder) }
            }
        }
        let id: String
        let title: String
        let extends: String?
        let versions: [Version]

        init(_ policy: Policy, language: Language) {
            id = policy.id
            title = policy.title.text(language)
            extends = policy.extends
            versions = policy.versions.map { version in
                Version(version: version.version, from: version.effective.from, until: version.effective.until,
                        rules: version.rules.map {
                            let type = type(of: $0.configuration)
                            return RuleView(id: $0.id, check: $0.check, level: $0.level.rawValue,
                                            subIndication: ($0.subIndication ?? type.subIndication).rawValue,
                                            basis: $0.basis?.text(language), explanation: $0.explanation?.text(language),
                                            title: $0.name?.text(language) ?? type.title.text(language), buildingBlock: type.buildingBlock.rawValue,
                                            parameters: .init(check: $0.configuration))
                        },
                        documentTypes: version.documentTypes.map { $0.name.text(language) })
            }
        }
    }

    /// Runs the service until SIGTERM/SIGINT: in-flight requests finish, then the journal is closed.
    public static func run(state: ServiceState, metrics: ServiceMetrics, logger: Logger) async throws {
        let configuration = state.configuration
        // The protocol's templates are read once, now: a missing bundle shows at startup, not on the first
        // `Accept: text/html` request (which then answers 500 with the same reason; JSON is unaffected).
        do {
            _ = try ReportTemplates.shippedCached()
        } catch {
            logger.warning("HTML verification reports are unavailable", metadata: ["reason": "\(error)"])
        }
        let router = makeRouter(state: state, metrics: metrics, requestLog: logger)
        let app = Application(
            router: router,
            server: try TLSSetup.serverBuilder(configuration: configuration),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "podpis"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                let scheme = configuration.tlsCert == nil ? "http" : "https"
                FileHandle.standardOutput.write(Data("listening on \(scheme)://\(configuration.host):\(port)\n".utf8))
                // What it verifies with, once it listens (a server that cannot start says only why).
                let snapshot = state.snapshot
                logger.info("policies loaded", metadata: [
                    "source": .string(snapshot.catalog.policiesSource.description),
                    "count": .stringConvertible(snapshot.catalog.registry.policies.count),
                    "policies": .string(snapshot.catalog.registry.policies.keys.sorted().joined(separator: ",")),
                    "trust_lists": .string(snapshot.catalog.certsSource.description), "trust_anchors": .stringConvertible(snapshot.trust.anchors.count),
                    "crls": .stringConvertible(snapshot.crls.count), "ocsp_responses": .stringConvertible(snapshot.ocspResponses.count),
                ])
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: JournalCloser(journal: state.journal, notary: state.notary, logger: logger)), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            throw ListenError.translate(error, host: configuration.host, port: configuration.port)
        }
    }
}

/// Writes the journal's checkpoints while the service runs, and after the HTTP server has drained (services shut
/// down in reverse order) a last checkpoint; then closes the journal.
struct JournalCloser: Service {
    let journal: any AuditJournal
    let notary: JournalNotary?
    let logger: Logger

    func run() async throws {
        let periodic = notary.map { notary in Task { await notary.run(journal: journal) } }
        try? await gracefulShutdown()
        periodic?.cancel()
        if let notary {
            do {
                // Shielded from the group's cancellation: the last checkpoint is written however the service stops.
                _ = try await Task.detached { try await notary.writeCheckpoint(journal: journal) }.value
            } catch {
                logger.error("cannot write the last journal checkpoint", metadata: ["reason": "\(error)"])
            }
        }
        try await journal.close()
    }
}
