import ArgumentParser
import EvidenceModel
import Foundation
import PodpisService
import SigningCore

/// How to reach a TSA.
struct TSAOptions: ParsableArguments {
    @Option(name: .long, help: help("tsa-options.tsa"))
    var tsa: String?

    @Option(name: .customLong("tsa-policy"), help: help("tsa-options.tsa-policy"))
    var tsaPolicy: String?

    @Option(name: .customLong("tsa-user"), help: help("tsa-options.tsa-user"))
    var tsaUser: String?

    @Option(name: .customLong("tsa-password-env"), help: help("tsa-options.tsa-password-env"))
    var tsaPasswordEnv: String?

    @Option(name: .customLong("tsa-client-cert"), help: help("tsa-options.tsa-client-cert"))
    var tsaClientCert: String?

    @Option(name: .customLong("tsa-client-key"), help: help("tsa-options.tsa-client-key"))
    var tsaClientKey: String?

    @Option(name: .customLong("tsa-timeout"), help: help("tsa-options.tsa-timeout"))
    var tsaTimeout: Int = 20

    @Flag(name: .customLong("allow-invalid-tsa-cert"), help: help("tsa-options.allow-invalid-cert"))
    var allowInvalidTSACert = false

    /// The client for `--tsa`; it refuses a token whose TSA certificate is expired, not yet valid or revoked (by the
    /// CRLs and OCSP responses given) at the token's time, unless `--allow-invalid-tsa-cert`.
    func client(revocation paths: RevocationOptions? = nil) throws -> TimestampClient? {
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
        var client = TimestampClient(source: HTTPTimestampSource(url: tsa, options: options), policy: tsaPolicy)
        if !allowInvalidTSACert {
            let crls = try paths?.crls() ?? []
            let responses = try paths?.ocspResponses() ?? []
            let anchors = try paths?.trustStore().anchors ?? []
            client.certificateCheck = { certificate, tokenCertificates, time in
                if let finding = CertificateCheck.finding(for: certificate, at: time, candidates: tokenCertificates + anchors, crls: crls,
                                                          ocspResponses: responses) {
                    throw CertificateCheck.error(finding, role: .tsa, subject: tsa)
                }
            }
        }
        return client
    }
}

/// Where trust anchors and revocation data come from.
struct RevocationOptions: ParsableArguments {
    @Option(name: .long, help: help("revocation-options.trust"))
    var trust: [String] = []

    @Option(name: .long, help: help("revocation-options.crl"))
    var crl: [String] = []

    @Option(name: .customLong("ocsp-response"), help: help("revocation-options.ocsp-response"))
    var ocspResponse: [String] = []

    @Flag(name: .long, help: help("revocation-options.offline"))
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

    @Option(name: .long, help: help("path-options.cert"))
    var cert: [String] = []

    func certificates() throws -> [X509Certificate] { try CertificateFiles.load(paths: cert) }
}

extension SignatureLevel: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

/// The usage error for a level above B without a TSA to timestamp with.
func needsTimestamp(_ level: SignatureLevel) -> PodpisError { Extender.needsTimestamp(level) }

/// The ``Extender`` the options give: their TSA, and the validation data LT embeds (read only when LT or LTA is asked).
func extender(tsa: TSAOptions, paths: RevocationOptions, certificates: [X509Certificate] = []) throws -> Extender {
    Extender(timestamps: try tsa.client(revocation: paths)) {
        VerificationSettings(trust: try paths.trustStore(), certificates: certificates, crls: try paths.crls(),
                             ocspResponses: try paths.ocspResponses(), revocation: paths.buildingRevocation)
    }
}

/// Takes a signature to T, LT and LTA as asked (``Extender``), with the TSA and the validation data the options
/// give. Returns the new bytes.
func raise(_ signature: [UInt8], name: String, to level: SignatureLevel, tsa: TSAOptions, paths: RevocationOptions,
           certificates: [X509Certificate] = [], document: DocumentInput? = nil) throws -> [UInt8] {
    try extender(tsa: tsa, paths: paths, certificates: certificates).raise(signature, name: name, to: level, document: document)
}
