import EvidenceModel
import Foundation
import PodpisServer
import Testing

/// The service encodes the evidence for the journal with each certificate's object encoded once per process; the
/// bytes must be the encoder's own (the journal hashes and stores them, and re-judging decodes them).
@Suite("Evidence JSON for the journal")
struct EvidenceJSONTests {
    static let names = ["gost-qualified-t", "rsa-advanced-t", "eu-qualified-t", "gost-employee-org-t", "gost2001-2020", "eu-seal-t"]

    @Test("byte for byte JSONEncoder's output, first time and from the cache, for stored evidence of every kind")
    func sameBytes() throws {
        let encoder = JSONEncoder.podpis(pretty: false)
        for name in Self.names {
            let evidence = try Repository.evidence(name)
            #expect(!evidence.certificates.isEmpty, "\(name)")
            let expected = Array(try encoder.encode(evidence))
            #expect(try EvidenceJSON.encode(evidence, encoder: encoder) == expected, "\(name)")
            #expect(try EvidenceJSON.encode(evidence, encoder: encoder) == expected, "\(name), again")
        }
    }

    @Test("a certificate view changed under the same fingerprint is encoded as it is now, not as it was cached")
    func changedViewUnderTheSameKey() throws {
        let encoder = JSONEncoder.podpis(pretty: false)
        var evidence = try Repository.evidence("rsa-advanced-t")
        _ = try EvidenceJSON.encode(evidence, encoder: encoder)
        let key = try #require(evidence.certificates.keys.sorted().first)
        evidence.certificates[key]?.subject = "CN=Someone else"
        let bytes = try EvidenceJSON.encode(evidence, encoder: encoder)
        #expect(bytes == Array(try encoder.encode(evidence)))
        #expect(String(decoding: bytes, as: UTF8.self).contains("CN=Someone else"))
    }

    @Test("evidence without certificates, and a fingerprint the encoder would escape, take the plain encoding")
    func plainCases() throws {
        let encoder = JSONEncoder.podpis(pretty: false)
        var evidence = try Repository.evidence("gost-qualified-t")
        let some = try #require(evidence.certificates.values.first)
        evidence.certificates["we\"ird\\key"] = some
        #expect(try EvidenceJSON.encode(evidence, encoder: encoder) == Array(try encoder.encode(evidence)))
        evidence.certificates = [:]
        #expect(try EvidenceJSON.encode(evidence, encoder: encoder) == Array(try encoder.encode(evidence)))
    }
}
