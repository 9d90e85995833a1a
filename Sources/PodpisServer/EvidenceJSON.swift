import EvidenceModel
import Foundation
import NIOConcurrencyHelpers

/// The evidence's JSON for the journal, byte for byte what `JSONEncoder.podpis(pretty: false)` writes, with each
/// certificate's object encoded once per process. A verification's evidence is mostly its certificates' views
/// (signer, CA, root, OCSP responder …: the same few in almost every request), and encoding them again for every
/// request was the largest part of the evidence's encoding in a profile under wrk.
///
/// The evidence is encoded with `certificates` empty; with sorted keys that member comes first (`{"certificates":{}`),
/// and the certificates' objects are put back in the order the encoder sorts their fingerprints. Anything unexpected
/// (another first key, a fingerprint the encoder would escape) takes the plain encoding, so the output never differs.
package enum EvidenceJSON {
    private static let cache = CertificateFragments(capacity: 1024)
    private static let emptyPrefix = Array(#"{"certificates":{}"#.utf8)

    package static func encode(_ evidence: Evidence, encoder: JSONEncoder) throws -> [UInt8] {
        let certificates = evidence.certificates
        guard !certificates.isEmpty,
              certificates.keys.allSatisfy({ key in key.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C } })
        else { return Array(try encoder.encode(evidence)) }
        var skeleton = evidence
        skeleton.certificates = [:]
        let rest = Array(try encoder.encode(skeleton))
        guard rest.starts(with: emptyPrefix) else { return Array(try encoder.encode(evidence)) }
        // The order the encoder puts these keys in: ask it, with a value that encodes to one byte.
        let order = Array(try encoder.encode(certificates.mapValues { _ in 0 }))
        var out: [UInt8] = []
        out.reserveCapacity(rest.count + certificates.count * 3000)
        out += Array(#"{"certificates":{"#.utf8)
        var first = true
        for key in keys(in: order) {
            guard let info = certificates[key] else { return Array(try encoder.encode(evidence)) }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out += Array(key.utf8)
            out += Array(#"":"#.utf8)
            out += try cache.fragment(for: key, info: info, encoder: encoder)
        }
        out.append(UInt8(ascii: "}"))
        out += rest[emptyPrefix.count...]
        return out
    }

    /// The keys of `{"k1":0,"k2":0,…}` in order (keys with no character the encoder escapes).
    static func keys(in object: [UInt8]) -> [String] {
        var keys: [String] = []
        var index = 0
        while index < object.count {
            if object[index] == UInt8(ascii: "\"") {
                let start = index + 1
                var end = start
                while end < object.count, object[end] != UInt8(ascii: "\"") { end += 1 }
                keys.append(String(decoding: object[start..<end], as: UTF8.self))
                index = end + 1
            } else {
                index += 1
            }
        }
        return keys
    }
}

/// Encoded certificate views by fingerprint, each kept with the view it encodes (a hit needs an equal view, so a
/// fingerprint never stands for another view's text). Bounded: emptied when full; shared by every thread under a lock.
final class CertificateFragments: Sendable {
    private let entries = NIOLockedValueBox<[String: (info: CertificateInfo, json: [UInt8])]>([:])
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func fragment(for fingerprint: String, info: CertificateInfo, encoder: JSONEncoder) throws -> [UInt8] {
        if let known = entries.withLockedValue({ $0[fingerprint] }), known.info == info { return known.json }
        let json = Array(try encoder.encode(info))
        entries.withLockedValue { map in
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }
            map[fingerprint] = (info, json)
        }
        return json
    }
}
