import Foundation
import SigningCore
import Yams

/// The verification service's settings: one YAML file, then `PODPIS_*` environment variables, then flags.
public struct ServiceConfiguration: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8780
    /// Trust anchors (files or folders), besides the trust lists the policies name.
    public var trust: [String] = []
    public var certs: String?
    public var policies: String?
    public var defaultPolicy = "default"
    /// Largest request body; documents are streamed and hashed, never held whole.
    public var maxBodyBytes = 4 << 30
    /// Largest signature, JSON body or text field held in memory.
    public var maxInMemoryBytes = 64 << 20
    /// Verifications running at once; more get 429.
    public var maxConcurrent = 64
    /// Seconds a connection may stay idle (slow clients are cut off).
    public var idleTimeout = 30
    /// Requests still sending their body at once (default 4 × `maxConcurrent`); more get 429 too-many-uploads. A
    /// verification slot is taken only once the body is complete, so slow uploads never hold one.
    public var maxUploads: Int?
    /// Slowest upload accepted, in bytes per second averaged over the request, once `uploadGrace` seconds have passed:
    /// a body trickled byte by byte (which never trips the idle timeout) is cut off with 408.
    public var minUploadRate = 16 << 10
    /// Seconds before the upload rate is enforced.
    public var uploadGrace = 10
    /// `sqlite:PATH` or `postgres://…`.
    public var database = "sqlite:podpis-journal.sqlite"
    /// The chain this node appends to in a shared PostgreSQL journal (`--node`, `journal.node`, `PODPIS_NODE`):
    /// each node of a cluster gets its own name; `"0"` (the default) is the one chain of a single node.
    public var node = "0"
    public var tsaKey: String?
    public var tsaCert: String?
    public var tsaChain: [String] = []
    public var tsaPolicy = "1.2.643.2.2.38.4"
    /// The PIN of a TSA key on a PKCS#11 token (`tsa.key: "pkcs11:…"`): a file readable by its owner only.
    /// `PODPIS_TSA_PIN` in the environment is the alternative.
    public var tsaPinFile: String?
    /// SHA-256 (hex) of the API keys allowed to verify; empty means verification is open.
    public var apiKeyHashes: [String] = []
    /// SHA-256 (hex) of the admin keys (reload); admin operations are refused when empty.
    public var adminKeyHashes: [String] = []
    public var tlsCert: String?
    public var tlsKey: String?
    /// Never fetch revocation data.
    public var offline = false
    /// What the operator states about every verification it runs, by id (63-ФЗ ст. 11 п. 3: e.g.
    /// `certified-crypto-tool: "КриптоПро CSP 5.0 R3, сертификат соответствия СФ/124-…"` when the service's checks are
    /// made with a certified tool). Operational facts of this service, never part of a policy.
    public var attestations: [String: String] = [:]
    /// CRL files or folders (every `*.crl` in them) used for every verification: air-gapped deployments hand the
    /// service its revocation data.
    public var crls: [String] = []
    /// Untrusted certificates (intermediates), files or folders, offered to every verification's path building.
    public var certificates: [String] = []
    /// OCSP responses (DER files) used for every verification.
    public var ocspResponses: [String] = []
    /// What one signature may carry (`limits: {certificates, revocationObjects, signers, unsignedAttributes,
    /// nestedTimestamps}`); over a cap: 422 too-complex.
    public var limits = SignatureLimits.standard
    /// `fetch: {allow: […]}` / `--fetch-allow`: the only destinations revocation data is fetched from; empty: any
    /// but loopback, link-local, private and reserved addresses.
    public var fetchAllow: [String] = []
    /// `fetch: {maxURLs, budgetSeconds}`: per verification.
    public var fetchLimits = FetchLimits.standard
    /// Seconds a journal append may take before the answer is 503.
    public var journalTimeout = 10
    /// Seconds `/readyz` waits for the journal before answering 503.
    public var readyTimeout = 2
    /// The journal key (`journal: {key, cert, pin-file}`, `--journal-key KEY|pkcs11:…`, `--journal-cert`): it signs
    /// receipts and checkpoints. Without one a SQLite journal makes its own beside the database.
    public var journalKey: String?
    public var journalCert: String?
    public var journalPinFile: String?
    /// `--checkpoints DIR`: signed checkpoints as files outside the database (append-only).
    public var checkpoints: String?
    /// A checkpoint every this many entries, and every `checkpointSeconds` while entries arrive.
    public var checkpointEvery = 1000
    public var checkpointSeconds = 60
    /// `--tsa URL` for serve: checkpoints are timestamped by this RFC 3161 service too.
    public var journalTSA: String?

    /// The upload limit in force (4 × `maxConcurrent` unless set).
    public var effectiveMaxUploads: Int { maxUploads ?? 4 * maxConcurrent }

    /// The destination rules of revocation fetches.
    public func fetchDestinations() throws -> FetchDestinations { try FetchDestinations(allowing: fetchAllow) }

    public init() {}

    static let keys = ["host", "port", "trust", "certs", "policies", "defaultPolicy", "maxBodyBytes", "maxInMemoryBytes", "maxConcurrent",
                       "maxUploads", "idleTimeout", "minUploadRate", "uploadGrace", "database", "tsa", "apiKeyHashes", "adminKeyHashes",
                       "tls", "offline", "limits", "fetch", "journal", "journalTimeout", "readyTimeout",
                       "attestations", "crls", "certificates", "ocspResponses"]

    /// Reads the YAML file (if any) and the environment.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServiceConfiguration {
        var configuration = ServiceConfiguration()
        if let file {
            let text = String(decoding: try FileInput.readSmallFile(path: file, limit: 1 << 20), as: UTF8.self)
            let node: Node?
            do { node = try Yams.compose(yaml: text, .basic) } catch {
                throw PodpisError(.configuration, "not valid YAML: \(error)", subject: file)
            }
            guard let mapping = node?.mapping else { throw PodpisError(.configuration, "the configuration must be a mapping", subject: file) }
            for (key, value) in mapping {
                guard let name = key.string, keys.contains(name) else {
                    throw PodpisError(.configuration, "unknown setting «\(key.string ?? "?")» (known: \(keys.joined(separator: ", ")))", subject: file)
                }
                try configuration.apply(name, value, file: file)
            }
        }
        let env: [(String, String)] = [
            ("PODPIS_HOST", "host"), ("PODPIS_PORT", "port"), ("PODPIS_DATABASE", "database"), ("PODPIS_POLICIES", "policies"),
            ("PODPIS_CERTS", "certs"), ("PODPIS_DEFAULT_POLICY", "defaultPolicy"), ("PODPIS_MAX_CONCURRENT", "maxConcurrent"),
            ("PODPIS_MAX_BODY_BYTES", "maxBodyBytes"), ("PODPIS_API_KEY_HASHES", "apiKeyHashes"), ("PODPIS_ADMIN_KEY_HASHES", "adminKeyHashes"),
            ("PODPIS_TRUST", "trust"), ("PODPIS_IDLE_TIMEOUT", "idleTimeout"), ("PODPIS_MIN_UPLOAD_RATE", "minUploadRate"),
            ("PODPIS_UPLOAD_GRACE", "uploadGrace"), ("PODPIS_CRLS", "crls"), ("PODPIS_CERTIFICATES", "certificates"),
            ("PODPIS_OCSP_RESPONSES", "ocspResponses"), ("PODPIS_MAX_UPLOADS", "maxUploads"), ("PODPIS_JOURNAL_TIMEOUT", "journalTimeout"),
        ]
        for (variable, name) in env {
            guard let value = environment[variable] else { continue }
            try configuration.apply(name, Node(value), file: variable)
        }
        if let node = environment["PODPIS_NODE"] { configuration.node = node }
        if let allow = environment["PODPIS_FETCH_ALLOW"] {
            configuration.fetchAllow = allow.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        _ = try configuration.fetchDestinations()
        return configuration
    }

    mutating func apply(_ name: String, _ value: Node, file: String) throws {
        func string() throws -> String {
            guard let text = value.string else { throw PodpisError(.configuration, "«\(name)» must be text", subject: file) }
            return text
        }
        func int() throws -> Int {
            guard let text = value.string, let number = Int(text), number > 0 else {
                throw PodpisError(.configuration, "«\(name)» must be a positive whole number", subject: file)
            }
            return number
        }
        func list() throws -> [String] {
            if let sequence = value.sequence { return sequence.compactMap(\.string) }
            return try string().split(whereSeparator: { $0 == "," || $0 == ":" }).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        switch name {
        case "host": host = try string()
        case "port": port = try int()
        case "trust": trust = try list()
        case "certs": certs = try string()
        case "policies": policies = try string()
        case "defaultPolicy": defaultPolicy = try string()
        case "maxBodyBytes": maxBodyBytes = try int()
        case "maxInMemoryBytes": maxInMemoryBytes = try int()
        case "maxConcurrent": maxConcurrent = try int()
        case "maxUploads": maxUploads = try int()
        case "journalTimeout": journalTimeout = try int()
        case "readyTimeout": readyTimeout = try int()
        case "limits":
            guard let map = value.mapping else {
                throw PodpisError(.configuration, "«limits» must be a mapping (\(SignatureLimits.names.joined(separator: ", ")))", subject: file)
            }
            for (key, item) in map {
                guard let field = key.string, SignatureLimits.names.contains(field) else {
                    throw PodpisError(.configuration, "unknown limit «\(key.string ?? "?")» (known: \(SignatureLimits.names.joined(separator: ", ")))", subject: file)
                }
                guard let text = item.string, let number = Int(text), number > 0 else {
                    throw PodpisError(.configuration, "«limits.\(field)» must be a positive whole number", subject: file)
                }
                limits[field] = number
            }
        case "fetch":
            guard let map = value.mapping else { throw PodpisError(.configuration, "«fetch» must be a mapping (allow, maxURLs, budgetSeconds)", subject: file) }
            for (key, item) in map {
                switch key.string {
                case "allow": fetchAllow = item.sequence?.compactMap(\.string) ?? item.string.map { [$0] } ?? []
                case "maxURLs":
                    guard let number = item.string.flatMap(Int.init), number >= 0 else {
                        throw PodpisError(.configuration, "«fetch.maxURLs» must be a whole number", subject: file)
                    }
                    fetchLimits.maxURLs = number
                case "budgetSeconds":
                    guard let number = item.string.flatMap(Double.init), number > 0 else {
                        throw PodpisError(.configuration, "«fetch.budgetSeconds» must be a positive number", subject: file)
                    }
                    fetchLimits.budget = number
                default:
                    throw PodpisError(.configuration, "unknown setting «fetch.\(key.string ?? "?")» (known: allow, maxURLs, budgetSeconds)", subject: file)
                }
            }
        case "journal":
            guard let map = value.mapping else {
                throw PodpisError(.configuration, "«journal» must be a mapping (key, cert, pin-file, checkpoints, checkpointEvery, checkpointSeconds, tsa, node)", subject: file)
            }
            for (key, item) in map {
                switch key.string {
                case "key": journalKey = item.string
                case "cert": journalCert = item.string
                case "pin-file": journalPinFile = item.string
                case "checkpoints": checkpoints = item.string
                case "tsa": journalTSA = item.string
                case "node": self.node = item.string ?? ""
                case "checkpointEvery", "checkpointSeconds":
                    guard let number = item.string.flatMap(Int.init), number > 0 else {
                        throw PodpisError(.configuration, "«journal.\(key.string ?? "")» must be a positive whole number", subject: file)
                    }
                    if key.string == "checkpointEvery" { checkpointEvery = number } else { checkpointSeconds = number }
                default:
                    throw PodpisError(.configuration, "unknown setting «journal.\(key.string ?? "?")» (known: key, cert, pin-file, checkpoints, checkpointEvery, checkpointSeconds, tsa, node)", subject: file)
                }
            }
        case "idleTimeout": idleTimeout = try int()
        case "minUploadRate": minUploadRate = try int()
        case "uploadGrace": uploadGrace = try int()
        case "database": database = try string()
        case "apiKeyHashes": apiKeyHashes = try list().map { $0.lowercased() }
        case "adminKeyHashes": adminKeyHashes = try list().map { $0.lowercased() }
        case "offline": offline = value.string == "true"
        case "crls": crls = try list()
        case "certificates": certificates = try list()
        case "ocspResponses": ocspResponses = try list()
        case "tsa":
            guard let map = value.mapping else { throw PodpisError(.configuration, "«tsa» must be a mapping (key, cert, chain, policy, pin-file)", subject: file) }
            tsaKey = map["key"]?.string
            tsaCert = map["cert"]?.string
            tsaChain = map["chain"]?.sequence?.compactMap(\.string) ?? map["chain"]?.string.map { [$0] } ?? []
            if let policy = map["policy"]?.string { tsaPolicy = policy }
            tsaPinFile = map["pin-file"]?.string
        case "attestations":
            guard let map = value.mapping else {
                throw PodpisError(.configuration, "«attestations» must be a mapping: id → statement (certified-crypto-tool: \"…\")", subject: file)
            }
            var result: [String: String] = [:]
            for (key, statement) in map {
                guard let id = key.string, let text = statement.string?.trimmingCharacters(in: .whitespaces), !text.isEmpty,
                      text != "true", text != "false" else {
                    throw PodpisError(.configuration, "attestation «\(key.string ?? "?")» must state what is attested (text, e.g. the certified tool and its certificate), not true/false", subject: file)
                }
                result[id] = text
            }
            attestations = result
        case "tls":
            guard let map = value.mapping else { throw PodpisError(.configuration, "«tls» must be a mapping (cert, key)", subject: file) }
            tlsCert = map["cert"]?.string
            tlsKey = map["key"]?.string
        default: break
        }
        for hash in apiKeyHashes + adminKeyHashes where hash.count != 64 || !hash.allSatisfy(\.isHexDigit) {
            throw PodpisError(.configuration, "API key hashes are SHA-256 in hex (podpis serve --hash-key prints one)", subject: file)
        }
    }

    /// SHA-256 hex of a key, as the configuration stores it.
    public static func hash(key: String) -> String {
        SHA256.hex(Array(key.utf8))
    }
}
