import EvidenceModel
import Foundation
import Hummingbird
import PolicyEngine
import Prometheus

/// Prometheus metrics of one service instance: requests, latency histograms, verdicts by indication.
public final class ServiceMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public init() {}

    func request(route: String, method: String, status: Int, seconds: Double) {
        registry.makeCounter(descriptor: .init(namespace: "podpis", metricName: "http_requests", unitName: "total",
                                               helpText: "HTTP requests by route, method and status"),
                             labels: [("route", route), ("method", method), ("status", "\(status)")]).increment()
        registry.makeValueHistogram(descriptor: .init(namespace: "podpis", metricName: "http_request_duration", unitName: "seconds",
                                                      helpText: "HTTP request latency by route"),
                                    labels: [("route", route)], buckets: buckets).record(seconds)
    }

    /// Every problem answered, by its type (`urn:podpis:problem:…`).
    func problem(_ type: String) {
        registry.makeCounter(descriptor: .init(namespace: "podpis", metricName: "problems", unitName: "total",
                                               helpText: "Problem answers (RFC 9457) by type"),
                             labels: [("type", type)]).increment()
    }

    func verdict(_ indication: Indication) {
        RequestOutcome.current?.indication = indication
        registry.makeCounter(descriptor: .init(namespace: "podpis", metricName: "verifications", unitName: "total",
                                               helpText: "Verifications by indication"),
                             labels: [("indication", indication.rawValue)]).increment()
    }

    func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func record(_ status: Int) {
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            metrics.request(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status, seconds: seconds)
        }
        do {
            let response = try await next(request, context)
            record(response.status.code)
            return response
        } catch let error as any HTTPResponseError {
            record(error.status.code)  // an error that escaped the problem middleware is still counted
            throw error
        } catch {
            record(500)
            throw error
        }
    }
}
