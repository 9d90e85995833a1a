import CPodpis
import EvidenceModel
import Foundation
import NIOConcurrencyHelpers

/// Where revocation fetches may connect (`serve --fetch-allow CIDR|HOST`). The addresses a certificate advertises
/// are chosen by whoever made the certificate; a service that fetched them all would probe its own network for a
/// stranger (SSRF). Checked on each address libcurl connects to, after name resolution.
///
/// - No entries: every address but loopback, link-local, private, shared, multicast and reserved ranges.
/// - Entries: only addresses inside the listed networks, or URLs whose host is a listed name (a region's CA may
///   live on an internal network: the operator allows it by name or network).
public struct FetchDestinations: Sendable, Equatable {
    public struct Network: Sendable, Equatable {
        public var family: Int32  // 4 or 6
        public var address: [UInt8]
        public var prefix: Int32
    }

    public private(set) var networks: [Network] = []
    /// Lower-cased host names allowed whatever they resolve to.
    public private(set) var hosts: Set<String> = []
    /// The entries as given, for messages.
    public private(set) var entries: [String] = []

    /// Loopback, link-local, private and reserved ranges refused; everything else allowed.
    public static let publicOnly = FetchDestinations()

    public init() {}

    /// Parses `127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8` or a host name (`crl.region.local`).
    public init(allowing entries: [String]) throws {
        for raw in entries {
            let entry = raw.trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty else { continue }
            self.entries.append(entry)
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            var v4 = in_addr()
            var v6 = in6_addr()
            if inet_pton(AF_INET, parts[0], &v4) == 1 {
                let bits = try Self.prefix(parts, maximum: 32, entry: entry)
                networks.append(Network(family: 4, address: withUnsafeBytes(of: &v4) { Array($0) }, prefix: bits))
            } else if inet_pton(AF_INET6, parts[0], &v6) == 1 {
                let bits = try Self.prefix(parts, maximum: 128, entry: entry)
                networks.append(Network(family: 6, address: withUnsafeBytes(of: &v6) { Array($0) }, prefix: bits))
            } else if parts.count == 1, entry.range(of: #"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$"#,
                                                    options: .regularExpression) != nil {
                hosts.insert(entry.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")))
            } else {
                throw PodpisError(.configuration, "«\(entry)» is neither an address, a network (CIDR) nor a host name", subject: "fetch-allow")
            }
        }
        if networks.count > 64 { throw PodpisError(.configuration, "at most 64 networks", subject: "fetch-allow") }
    }

    static func prefix(_ parts: [String], maximum: Int32, entry: String) throws -> Int32 {
        guard parts.count == 2 else { return maximum }
        guard let bits = Int32(parts[1]), (0...maximum).contains(bits) else {
            throw PodpisError(.configuration, "«\(entry)»: the prefix length must be 0…\(maximum)", subject: "fetch-allow")
        }
        return bits
    }

    /// The C rules for one fetch of `url` (freed by the caller).
    func rules(forURL url: String) -> OpaquePointer? {
        let host = URLComponents(string: url)?.host?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".[]")) ?? ""
        let rules = podpis_destinations_new(hosts.contains(host) ? 1 : 0)
        // With host names only (no networks), addresses other than those names' stay under the default refusal.
        for network in networks {
            network.address.withUnsafeBufferPointer { podpis_destinations_add(rules, network.family, $0.baseAddress, network.prefix) }
        }
        return rules
    }

    /// The reason a destination was refused, for the report.
    static func refusal(kind: Int32, address: String) -> String {
        kind == 1
            ? "not fetched: \(address) is a loopback, link-local, private or reserved address (the service's fetch-allow list can allow it)"
            : "not fetched: \(address) is not in the service's fetch-allow list"
    }

    /// Whether an address (text) is in a range refused by default.
    public static func isSpecial(_ address: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return withUnsafeBytes(of: &v4) { podpis_address_is_special(4, $0.bindMemory(to: UInt8.self).baseAddress) == 1 } }
        if inet_pton(AF_INET6, address, &v6) == 1 { return withUnsafeBytes(of: &v6) { podpis_address_is_special(6, $0.bindMemory(to: UInt8.self).baseAddress) == 1 } }
        return false
    }
}

/// How much one verification may fetch: at most `maxURLs` addresses, within `budget` seconds in all (counted from
/// the start of the verification), each exchange at most `perURL` seconds (connecting included).
public struct FetchLimits: Sendable, Equatable {
    public var maxURLs: Int
    public var budget: Double
    public var perURL: Double

    public init(maxURLs: Int = 4, budget: Double = 5, perURL: Double = 2) {
        self.maxURLs = maxURLs
        self.budget = budget
        self.perURL = perURL
    }

    public static let standard = FetchLimits()
}

/// The revocation fetches of one verification (a signature, or a container and its powers of attorney): the
/// budget is shared by all of them, and every fetch that was not made is remembered with its reason.
///
/// In `.live` mode fetches happen when the evidence gathering asks (the CLI). In `.plan` mode (the service) the
/// first gathering only records what it would fetch; the service then runs ``performPlanned()`` on its own bounded
/// fetch executor — never on the threads that verify — and gathers again, now served from what was fetched. A
/// responder that never answers thus holds one fetch thread for at most the budget, and no verification thread.
public final class FetchSession: Sendable {
    public enum Mode: Sendable { case live, plan }

    struct Request: Sendable {
        var certificate: X509Certificate
        var issuer: X509Certificate
        var ocsp: [String]
        var crls: [String]
    }

    enum Outcome: Sendable {
        case ocsp([UInt8])
        case crl([UInt8])
        case failed(Failure)
    }

    /// Why a fetch failed: its English, and its error key and values when it has one (for a report in Russian).
    struct Failure: Sendable {
        var text: String
        var key: ErrorMessage?
        var values: [String: String] = [:]

        init(_ key: ErrorMessage, _ values: [String: String]) {
            self.text = key.text(.en, values)
            self.key = key
            self.values = values
        }

        init(_ error: any Error) {
            if let error = error as? PodpisError {
                text = error.message
                key = error.key
                values = error.values
            } else {
                text = "\(error)"
            }
        }

        /// As evidence records it: the line of `problems` and the same as data.
        func record(_ kind: RevocationKind, _ url: String) -> FetchFailure {
            FetchFailure(kind: kind, url: url, reasonKey: key?.rawValue, values: key == nil ? nil : values,
                         problem: "\(kind == .ocsp ? "OCSP" : "CRL") \(url): \(text)")
        }
    }

    struct State {
        var planned: [Request] = []
        var plannedKeys: Set<String> = []
        /// By key: `ocsp|URL|fingerprint` or `crl|URL`.
        var outcomes: [String: Outcome] = [:]
        var urlsUsed = 0
        var performed = false
    }

    public let limits: FetchLimits
    public let destinations: FetchDestinations?
    public let mode: Mode
    let started = ContinuousClock.now
    private let state = NIOLockedValueBox(State())

    public init(limits: FetchLimits = .standard, destinations: FetchDestinations? = nil, mode: Mode = .live) {
        self.limits = limits
        self.destinations = destinations
        self.mode = mode
    }

    /// Whether the planning pass left fetches to make.
    public var hasPlannedFetches: Bool { state.withLockedValue { !$0.planned.isEmpty && !$0.performed } }

    /// How many addresses were contacted (or tried).
    public var urlsContacted: Int { state.withLockedValue { $0.urlsUsed } }

    var remaining: Double {
        let elapsed = ContinuousClock.now - started
        return limits.budget - (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    /// Makes every planned fetch, within the budget. Blocking (libcurl): run it on a fetch executor.
    public func performPlanned(http: HTTPOptions, cache: RevocationCache) {
        let requests = state.withLockedValue { state -> [Request] in
            state.performed = true
            return state.planned
        }
        var crlDone = Set<String>()
        for request in requests { _ = perform(request, http: http, cache: cache, crlDone: &crlDone) }
    }

    /// One certificate's revocation data: OCSP first, then the CRLs; each address is tried only while the budget
    /// lasts. Returns what was obtained (by key) and why anything was not.
    @discardableResult
    func perform(_ request: Request, http: HTTPOptions, cache: RevocationCache, crlDone: inout Set<String>) -> Bool {
        for url in request.ocsp {
            let key = "ocsp|\(url)|\(request.certificate.fingerprint)"
            if cache.get(key) != nil { return true }
            if let known = state.withLockedValue({ $0.outcomes[key] }) {
                if case .ocsp = known { return true }
                continue
            }
            let outcome = attempt(url, http: http) { options in
                .ocsp(try OCSP.fetch(url: url, certificate: request.certificate, issuer: request.issuer, options: options))
            }
            state.withLockedValue { $0.outcomes[key] = outcome }
            if case .ocsp(let bytes) = outcome {
                cache.put(key, bytes, expires: Date().addingTimeInterval(300))
                return true
            }
        }
        for url in request.crls where crlDone.insert(url).inserted {
            let key = "crl|\(url)"
            if cache.get(key) != nil || state.withLockedValue({ $0.outcomes[key] }) != nil { continue }
            let outcome = attempt(url, http: http) { options in
                let response = try HTTPFetcher.get(url, options: options)
                guard response.status == 200 else { throw PodpisError(.unavailable, "HTTP \(response.status)", subject: url) }
                let crl = try CertificateRevocationList.parseAll(response.body, subject: url)[0]
                cache.put(key, response.body, expires: crl.nextUpdate ?? Date().addingTimeInterval(3600))
                return .crl(response.body)
            }
            state.withLockedValue { $0.outcomes[key] = outcome }
        }
        return false
    }

    /// One exchange, if the address count and the time left allow it.
    func attempt(_ url: String, http: HTTPOptions, _ exchange: (HTTPOptions) throws -> Outcome) -> Outcome {
        let allowed = state.withLockedValue { state -> Bool in
            guard state.urlsUsed < limits.maxURLs else { return false }
            state.urlsUsed += 1
            return true
        }
        guard allowed else {
            return .failed(Failure(.fetchAddressLimit, ["count": "\(limits.maxURLs)"]))
        }
        let left = min(remaining, limits.perURL)
        guard left > 0.05 else {
            return .failed(Failure(.fetchBudgetSpent, ["budget": Self.seconds(limits.budget)]))
        }
        var options = http
        options.destinations = destinations
        options.timeoutMilliseconds = Int(left * 1000)
        do {
            return try exchange(options)
        } catch {
            return .failed(Failure(error))
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }

    /// What the evidence gathering gets for one (certificate, issuer) pair: fetched now (live), recorded for later
    /// (plan, first pass), or served from what was fetched (plan, second pass).
    func obtain(certificate: X509Certificate, issuer: X509Certificate, http: HTTPOptions, cache: RevocationCache,
                crlDone: inout Set<String>) -> (ocsp: [(bytes: [UInt8], url: String)], crls: [(bytes: [UInt8], url: String)], failures: [FetchFailure]) {
        let info = certificate.info()
        let request = Request(certificate: certificate, issuer: issuer, ocsp: info.ocspResponders, crls: info.crlDistributionPoints)
        var ocsp: [(bytes: [UInt8], url: String)] = []
        var crls: [(bytes: [UInt8], url: String)] = []
        var failures: [FetchFailure] = []
        // Cached answers first: they cost nothing and count against no budget.
        for url in request.ocsp {
            if let cached = cache.get("ocsp|\(url)|\(certificate.fingerprint)") {
                return ([(cached, url)], [], [])
            }
        }
        if mode == .live {
            perform(request, http: http, cache: cache, crlDone: &crlDone)
        } else if !state.withLockedValue({ $0.performed }) {
            // Planning: remember it; the answer comes in the second pass.
            var needed = false
            for url in request.crls where cache.get("crl|\(url)") == nil { needed = true }
            if !request.ocsp.isEmpty || needed {
                state.withLockedValue { state in
                    if state.plannedKeys.insert(certificate.fingerprint).inserted { state.planned.append(request) }
                }
            }
        }
        let outcomes = state.withLockedValue { $0.outcomes }
        for url in request.ocsp {
            switch outcomes["ocsp|\(url)|\(certificate.fingerprint)"] {
            case .ocsp(let bytes)?: ocsp.append((bytes, url))
            case .failed(let failure)?: failures.append(failure.record(.ocsp, url))
            default: break
            }
            if !ocsp.isEmpty { break }
        }
        if ocsp.isEmpty {
            for url in request.crls {
                if let cached = cache.get("crl|\(url)") {
                    crls.append((cached, url))
                    continue
                }
                switch outcomes["crl|\(url)"] {
                case .crl(let bytes)?: crls.append((bytes, url))
                case .failed(let failure)?: failures.append(failure.record(.crl, url))
                default: break
                }
            }
        }
        return (ocsp, crls, failures)
    }
}
