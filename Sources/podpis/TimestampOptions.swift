import ArgumentParser
import Foundation
import SigningCore

/// How to reach a TSA.
struct TSAOptions: ParsableArguments {
    @Option(name: .long, help: "RFC 3161 timestamping authority URL: adds a signature-time-stamp (CAdES-T).")
    var tsa: String?

    @Option(name: .customLong("tsa-policy"), help: "Ask the TSA for this policy OID.")
    var tsaPolicy: String?

    @Option(name: .customLong("tsa-user"), help: "HTTP basic authentication user for the TSA.")
    var tsaUser: String?

    @Option(name: .customLong("tsa-password-env"), help: "Environment variable holding the TSA password.")
    var tsaPasswordEnv: String?

    @Option(name: .customLong("tsa-client-cert"), help: "TLS client certificate (PEM) for the TSA.")
    var tsaClientCert: String?

    @Option(name: .customLong("tsa-client-key"), help: "TLS client key (PEM) for the TSA.")
    var tsaClientKey: String?

    @Option(name: .customLong("tsa-timeout"), help: "Seconds to wait for the TSA (default 20).")
    var tsaTimeout: Int = 20

    func client() throws -> TimestampClient? {
        guard let tsa else { return nil }
        var options = HTTPOptions(connectTimeout: min(5, tsaTimeout), timeout: tsaTimeout, maxResponseBytes: 1 << 20)
        if let user = tsaUser {
            var password = ""
            if let variable = tsaPasswordEnv {
                guard let value = ProcessInfo.processInfo.environment[variable] else {
                    throw PodpisError(.usage, "environment variable \(variable) is not set")
                }
                password = value
            }
            options.basicAuth = (user, password)
        }
        if let cert = tsaClientCert {
            options.clientCertificate = cert
            options.clientKey = tsaClientKey ?? cert
            if let key = options.clientKey { try KeyLoader.checkPermissions(path: key, allowInsecure: false) }
        }
        return TimestampClient(source: HTTPTimestampSource(url: tsa, options: options), policy: tsaPolicy)
    }
}

/// Where trust anchors and revocation data come from.
struct RevocationOptions: ParsableArguments {
    @Option(name: .long, help: "Trust anchors: a PEM/DER file or a folder (repeatable; replaces $PODPIS_TRUST).")
    var trust: [String] = []

    @Option(name: .long, help: "CRL files (PEM or DER, repeatable).")
    var crl: [String] = []

    @Option(name: .customLong("ocsp-response"), help: "OCSP responses (DER, repeatable), for offline checks.")
    var ocspResponse: [String] = []

    @Flag(name: .long, help: "Never fetch anything from the network (CRLs, OCSP).")
    var offline = false

    func trustStore() throws -> TrustStore {
        let paths = trust.isEmpty
            ? (ProcessInfo.processInfo.environment["PODPIS_TRUST"] ?? "").split(separator: ":").map(String.init)
            : trust
        return try TrustStore.load(paths: paths)
    }
    func crls() throws -> [CertificateRevocationList] { try CertificateFiles.loadCRLs(paths: crl) }
    func ocspResponses() throws -> [[UInt8]] { try ocspResponse.map { try FileInput.readSmallFile(path: $0, limit: 16 << 20) } }
    var revocation: RevocationPolicy { offline ? .offline : RevocationPolicy() }

    /// For embedding validation data into a signature being raised (LT, LTA, archive refresh): every path must reach
    /// an anchor anyway, and the budget of a verification (4 addresses, 5 s) would let one slow CA fail the whole
    /// extension, so these fetch within a larger one (64 addresses, 5 min, 30 s each).
    var buildingRevocation: RevocationPolicy {
        guard !offline else { return .offline }
        var policy = RevocationPolicy(http: HTTPOptions(connectTimeout: 10, timeout: 30, maxResponseBytes: 64 << 20))
        policy.limits = FetchLimits(maxURLs: 64, budget: 300, perURL: 30)
        return policy
    }
}

/// Trust, revocation data and extra certificates (`--cert`), as `verify` and `extend` take them.
struct PathOptions: ParsableArguments {
    @OptionGroup var revocation: RevocationOptions

    @Option(name: .long, help: "Extra untrusted certificates, e.g. intermediates (repeatable).")
    var cert: [String] = []

    func certificates() throws -> [X509Certificate] { try CertificateFiles.load(paths: cert) }
}

enum SignatureLevel: String, ExpressibleByArgument, CaseIterable {
    case B, T, LT, LTA
    init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

/// Takes a signature to T, LT and LTA as asked. Returns the new bytes.
///
/// The usage error for a level above B without a TSA to timestamp with.
func needsTimestamp(_ level: SignatureLevel) -> PodpisError {
    PodpisError(.usage, "level \(level.rawValue) needs a timestamp: give --tsa URL").localized("error.needs-tsa", ["level": level.rawValue])
}

/// LTA first completes LT (which, on an archived signature, also embeds the validation data of its earlier archive
/// timestamps), then adds an archive-time-stamp-v3 over everything; `document` is needed for a detached signature.
func raise(_ signature: [UInt8], name: String, to level: SignatureLevel, tsa: TSAOptions, paths: RevocationOptions,
           certificates: [X509Certificate] = [], document: DocumentInput? = nil) throws -> [UInt8] {
    var bytes = signature
    let client = try tsa.client()
    if let client {
        bytes = try Timestamper.addSignatureTimestamps(to: bytes, subject: name, client: client).bytes
    } else if level != .B && (try? Inspector.inspect(bytes, subject: name))?.signers.contains(where: { !$0.unsignedAttributes.contains("signature-time-stamp") }) ?? true {
        throw needsTimestamp(level)
    }
    if level == .LT || level == .LTA {
        let trust = try paths.trustStore()
        guard !trust.anchors.isEmpty else {
            throw PodpisError(.usage, "level \(level.rawValue) needs the trust anchors to know the full certificate paths: give --trust")
        }
        bytes = try LongTermExtender.extend(signature: bytes, subject: name, trust: trust, certificates: certificates,
                                            crls: try paths.crls(), ocspResponses: try paths.ocspResponses(), revocation: paths.buildingRevocation).bytes
    }
    if level == .LTA {
        guard let client else { throw PodpisError(.usage, "level LTA adds an archive timestamp: give --tsa URL") }
        bytes = try ArchiveTimestamps.add(to: bytes, subject: name, document: document, client: client).bytes
    }
    return bytes
}
