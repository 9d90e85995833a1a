import COpenSSL
import CPodpis
import EvidenceModel
import Foundation
import NIOConcurrencyHelpers

/// OCSP responses carried inside a signature: RFC 5940 other-revocation-info in SignedData.crls, and the CAdES
/// revocation-values attribute (which also carries CRLs).
package enum EmbeddedRevocation {
    static let ocspResponseOID = "1.3.6.1.5.5.7.16.2"
    static let ocspBasicOID = "1.3.6.1.5.5.7.48.1.1"

    /// The SignedData's fields (ContentInfo → [0] → SignedData), from DER.
    static func signedDataFields(_ der: [UInt8]) -> (signedData: DER.Node, fields: [DER.Node])? {
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30,
            let explicit = DER.children(of: outer, in: der).last, explicit.tag == 0xA0,
            let signedData = DER.children(of: explicit, in: der).first, signedData.tag == 0x30
        else { return nil }
        return (signedData, DER.children(of: signedData, in: der))
    }

    /// OCSPResponses from SignedData.crls (other revocation info).
    package static func ocspResponses(inSignedData der: [UInt8]) -> [[UInt8]] {
        guard let (_, fields) = signedDataFields(der), let crls = fields.first(where: { $0.tag == 0xA1 }) else { return [] }
        var result: [[UInt8]] = []
        for choice in DER.children(of: crls, in: der) where choice.tag == 0xA1 {
            let parts = DER.children(of: choice, in: der)
            guard parts.count == 2, parts[0].tag == 0x06, let oid = DER.oid(der[parts[0].contentRange]) else { continue }
            let value = Array(der[start(of: parts[1], in: der)..<parts[1].end])
            if oid == ocspResponseOID { result.append(value) }
            if oid == ocspBasicOID { result.append(wrapBasic(value)) }
        }
        return result
    }

    /// CRLs and OCSP responses from a revocation-values attribute value.
    package static func revocationValues(_ value: [UInt8]) -> (crls: [CertificateRevocationList], ocsp: [[UInt8]]) {
        guard let outer = DER.node(in: value, at: 0), outer.tag == 0x30 else { return ([], []) }
        var crls: [CertificateRevocationList] = []
        var ocsp: [[UInt8]] = []
        for tagged in DER.children(of: outer, in: value) {
            guard let list = DER.children(of: tagged, in: value).first, list.tag == 0x30 else { continue }
            for item in DER.children(of: list, in: value) {
                let bytes = Array(value[start(of: item, in: value)..<item.end])
                if tagged.tag == 0xA0, let crl = try? CertificateRevocationList.parseAll(bytes).first { crls.append(crl) }
                if tagged.tag == 0xA1 { ocsp.append(wrapBasic(bytes)) }
            }
        }
        return (crls, ocsp)
    }

    /// The BasicOCSPResponse inside an OCSPResponse (the OCTET STRING of its ResponseBytes), when it holds one.
    static func basicResponse(in response: [UInt8]) -> [UInt8]? {
        guard let outer = DER.node(in: response, at: 0), outer.tag == 0x30 else { return nil }
        let parts = DER.children(of: outer, in: response)
        guard parts.count == 2, parts[1].tag == 0xA0, let bytes = DER.children(of: parts[1], in: response).first, bytes.tag == 0x30 else {
            return nil
        }
        let fields = DER.children(of: bytes, in: response)
        guard fields.count == 2, fields[1].tag == 0x04 else { return nil }
        return Array(response[fields[1].contentRange])
    }

    /// OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED successful, [0] EXPLICIT ResponseBytes { basic OID, OCTET STRING } }.
    static func wrapBasic(_ basic: [UInt8]) -> [UInt8] {
        let oid: [UInt8] = (try? DEREncoder.oid(ocspBasicOID)) ?? []
        let responseBytes = DEREncoder.sequence([oid, DEREncoder.tlv(0x04, basic)])
        return DEREncoder.sequence([[0x0A, 0x01, 0x00], DEREncoder.tlv(0xA0, responseBytes)])
    }

    /// Where a node's header starts (DER lengths are minimal).
    static func start(of node: DER.Node, in der: [UInt8]) -> Int {
        node.contentRange.lowerBound - 1 - DEREncoder.length(node.contentRange.count).count
    }

    /// Inserts OCSP responses into SignedData.crls as RFC 5940 other revocation info (SignedData version 5).
    /// Neither field is covered by any signature.
    static func addOCSPResponses(_ responses: [[UInt8]], toSignedData der: [UInt8]) throws -> [UInt8] {
        guard !responses.isEmpty else { return der }
        guard let outer = DER.node(in: der, at: 0), let (_, fields) = signedDataFields(der) else {
            throw PodpisError(.software, "unexpected SignedData layout")
        }
        let oid = try DEREncoder.oid(ocspResponseOID)
        let additions = responses.map { DEREncoder.tlv(0xA1, oid + $0) }
        var rebuilt: [UInt8] = []
        var hadCRLs = false
        for field in fields {
            let encoded = Array(der[start(of: field, in: der)..<field.end])
            if field.tag == 0x02 {
                rebuilt += [0x02, 0x01, 0x05]  // version 5: other revocation info present (RFC 5652, 5.1)
            } else if field.tag == 0xA1 {
                hadCRLs = true
                rebuilt += DEREncoder.tlv(0xA1, Array(der[field.contentRange]) + additions.flatMap { $0 })
            } else if field.tag == 0x31 && !hadCRLs && field == fields.last {
                rebuilt += DEREncoder.tlv(0xA1, additions.flatMap { $0 })
                hadCRLs = true
                rebuilt += encoded
            } else {
                rebuilt += encoded
            }
        }
        let contentType = DER.children(of: outer, in: der)[0]
        let signedData = DEREncoder.tlv(0x30, rebuilt)
        return DEREncoder.tlv(0x30, Array(der[start(of: contentType, in: der)..<contentType.end]) + DEREncoder.tlv(0xA0, signedData))
    }
}

extension DER.Node: Equatable {
    package static func == (lhs: DER.Node, rhs: DER.Node) -> Bool { lhs.tag == rhs.tag && lhs.contentRange == rhs.contentRange }
}

/// Revocation data fetched from the network, kept until its next update (keyed by URL).
public final class RevocationCache: Sendable {
    struct Entry {
        var bytes: [UInt8]
        var expires: Date
    }
    private let entries = NIOLockedValueBox([String: Entry]())
    public static let shared = RevocationCache()
    public init() {}

    func get(_ key: String, now: Date = Date()) -> [UInt8]? {
        entries.withLockedValue { entries in
            guard let entry = entries[key] else { return nil }
            if entry.expires <= now {
                entries[key] = nil
                return nil
            }
            return entry.bytes
        }
    }

    func put(_ key: String, _ bytes: [UInt8], expires: Date) {
        entries.withLockedValue { $0[key] = Entry(bytes: bytes, expires: expires) }
    }
}

/// How the core may obtain revocation data during a verification.
public struct RevocationPolicy: Sendable {
    /// Fetch CRLs and OCSP answers from the addresses in the certificates.
    public var online: Bool
    public var http: HTTPOptions
    public var cache: RevocationCache
    /// At most this many addresses and this much time per verification (the CLI and the service alike).
    public var limits: FetchLimits = .standard
    /// Where fetches may connect: nil for anywhere (the CLI); the service refuses internal ranges unless allowed.
    public var destinations: FetchDestinations? = nil
    /// The fetches of the verification under way, sharing its budget; nil: each gathering gets a live one.
    public var session: FetchSession? = nil

    public init(online: Bool = true, http: HTTPOptions = HTTPOptions(connectTimeout: 2, timeout: 2, maxResponseBytes: 32 << 20),
                cache: RevocationCache = .shared) {
        self.online = online
        self.http = http
        self.cache = cache
    }

    public static let offline = RevocationPolicy(online: false)

    /// The same policy with a session of its own for one verification (`mode` .plan in the service).
    public func forOneVerification(mode: FetchSession.Mode = .live) -> RevocationPolicy {
        var copy = self
        if online { copy.session = FetchSession(limits: limits, destinations: destinations, mode: mode) }
        return copy
    }
}

/// Fetches what the certificates advertise: OCSP first (AIA), then CRLs (distribution points), through the
/// verification's ``FetchSession`` (its budget, its destination rules, its plan).
struct RevocationFetcher {
    let policy: RevocationPolicy

    struct Fetched {
        var crls: [(CertificateRevocationList, String)] = []
        var ocsp: [(bytes: [UInt8], url: String)] = []
        /// By certificate fingerprint: the fetches that failed for it.
        var failures: [String: [FetchFailure]] = [:]
    }

    func fetch(pairs: [(certificate: X509Certificate, issuer: X509Certificate)]) -> Fetched {
        let session = policy.session ?? FetchSession(limits: policy.limits, destinations: policy.destinations, mode: .live)
        var fetched = Fetched()
        var crlURLs = Set<String>()
        var crlDone = Set<String>()
        for (certificate, issuer) in pairs {
            let got = session.obtain(certificate: certificate, issuer: issuer, http: policy.http, cache: policy.cache, crlDone: &crlDone)
            fetched.ocsp += got.ocsp
            for (bytes, url) in got.crls where crlURLs.insert(url).inserted {
                if let crl = try? CertificateRevocationList.parseAll(bytes, subject: url).first { fetched.crls.append((crl, url)) }
            }
            if !got.failures.isEmpty { fetched.failures[certificate.fingerprint, default: []] += got.failures }
        }
        return fetched
    }

    /// Certificates on paths that reach no trust anchor are never fetched for (whoever made them chose their
    /// addresses); their revocation evidence says so instead of staying silent.
    static func noteUntrusted(_ signers: inout [SignerEvidence], certificates: [String: X509Certificate]) {
        let reason = "not fetched: the certificate's path reaches no configured trust anchor"
        func note(_ chain: inout ChainEvidence) {
            guard !chain.reachesTrustAnchor else { return }
            for index in chain.path.indices where chain.path[index].revocation.status == .unknown {
                guard let info = certificates[chain.path[index].certificate]?.info(),
                      !info.ocspResponders.isEmpty || !info.crlDistributionPoints.isEmpty,
                      !chain.path[index].revocation.problems.contains(reason)
                else { continue }
                chain.path[index].revocation.problems.append(reason)
            }
        }
        for s in signers.indices {
            for c in signers[s].chains.indices { note(&signers[s].chains[c]) }
            for t in signers[s].timestamps.indices {
                for c in signers[s].timestamps[t].chains.indices { note(&signers[s].timestamps[t].chains[c]) }
            }
        }
    }
}
