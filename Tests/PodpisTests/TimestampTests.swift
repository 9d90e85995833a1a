import EvidenceModel
import Foundation
import PolicyEngine
import Testing
@testable import SigningCore
import SigningCoreTestSupport

/// Timestamps as proof of existence (in process; the network path is in TimestampNetworkTests).
@Suite("Timestamps and proof of existence")
struct TimestampTests {
    let day: TimeInterval = 86_400

    @Test("a timestamped signature is CAdES-T and its best-signature-time is the timestamp's", arguments: Algorithm.testable)
    func cadesT(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let (authority, _) = try h.authority()
        let signature = try h.timestampedSignature(try h.signer(), authority: authority)
        let (evidence, report) = try judge(signature, document: sampleDocument, hierarchy: h)
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        #expect(report.signatures[0].format == "CAdES-BASELINE-T")
        let stamp = try #require(evidence.signers[0].timestamps.first)
        #expect(stamp.imprint.outcome == .valid)
        #expect(stamp.signatureValue.outcome == .valid)
        #expect(stamp.timeStampingEKU == .valid)
        #expect(report.signatures[0].timestamps.first?.indication == .passed)
        #expect(abs(report.signatures[0].bestSignatureTime.timeIntervalSince(stamp.genTime)) < 1)
    }

    @Test("revoked after the timestamp: TOTAL-PASSED; the same without a timestamp: REVOKED_NO_POE")
    func revokedAfterTimestamp() throws {
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let signer = try h.signer()
        let revoked = [RevokedCertificate(serial: signer.certificate.serialHex, date: Date().addingTimeInterval(5 * day))]
        let crls = [try h.crl(revoking: revoked, thisUpdate: Date().addingTimeInterval(6 * day), nextUpdate: Date().addingTimeInterval(13 * day)),
                    try h.crl(by: h.root)]
        let later = Date().addingTimeInterval(10 * day)
        let stamped = try h.timestampedSignature(signer, authority: authority)
        let (_, report) = try judge(stamped, document: sampleDocument, hierarchy: h, crls: crls, at: later)
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        let plain = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let (_, unproven) = try judge(plain, document: sampleDocument, hierarchy: h, crls: crls, at: later)
        #expect(unproven.subIndication == .revokedNoPOE)
    }

    @Test("revoked before the timestamp: TOTAL-FAILED/REVOKED")
    func revokedBeforeTimestamp() throws {
        let h = Hierarchy.ec
        let (authority, _) = try h.authority()
        let signer = try h.signer()
        let crls = [try h.crl(revoking: [RevokedCertificate(serial: signer.certificate.serialHex, date: Date().addingTimeInterval(-day))]),
                    try h.crl(by: h.root)]
        let (_, report) = try judge(try h.timestampedSignature(signer, authority: authority), document: sampleDocument, hierarchy: h, crls: crls)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .revoked)
    }

    @Test("expired after the timestamp: TOTAL-PASSED; without a timestamp: OUT_OF_BOUNDS_NO_POE", arguments: Algorithm.testable)
    func expiredAfterTimestamp(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let (authority, _) = try h.authority()
        let signer = try h.signer(notAfter: Date().addingTimeInterval(day))
        let later = Date().addingTimeInterval(30 * day)
        let (_, report) = try judge(try h.timestampedSignature(signer, authority: authority), document: sampleDocument, hierarchy: h, at: later)
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        let plain = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let (_, unproven) = try judge(plain, document: sampleDocument, hierarchy: h, at: later)
        #expect(unproven.subIndication == .outOfBoundsNoPOE)
    }

    @Test("a SHA-1 signature timestamped before SHA-1's sunset passes; without the timestamp it does not")
    func sha1BeforeSunset() throws {
        let old = Date(timeIntervalSince1970: 1_262_304_000)  // 2010-01-01
        let root = try PKIProfiles.root(name: "Archive root", key: .rsa(bits: 2048), notBefore: old, years: 40)
        let ca = try PKIProfiles.intermediate(name: "Archive CA", key: .rsa(bits: 2048), issuer: root, notBefore: old, years: 30)
        let signer = try PKIProfiles.signer(key: .rsa(bits: 2048), issuer: ca, notBefore: old, notAfter: old.addingTimeInterval(25 * 365 * day))
        let tsa = try PKIProfiles.tsa(key: .rsa(bits: 2048), issuer: ca, notBefore: old, years: 25)
        let in2011 = Date(timeIntervalSince1970: 1_306_886_400)  // 2011-06-01
        let authority = try TimestampAuthority(key: tsa.key, certificate: tsa.certificate, chain: [ca.certificate],
                                               configuration: TimestampAuthority.Configuration(clock: { in2011 }), serials: SerialNumberSource(path: nil))
        let plain = try Signer.sign(.bytes(sampleDocument), identity: signer.identity,
                                    options: SignatureOptions(digest: .sha1, chain: [ca.certificate], allowWeakAlgorithms: true))
        let stamped = try Timestamper.addSignatureTimestamps(to: plain, subject: nil, client: TimestampClient(source: LocalTimestampSource(authority))).bytes
        let crls = [try PKIBuilder.issueCRL(issuer: ca.certificate, key: ca.key, thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(7 * day), revoked: [], number: 1),
                    try PKIBuilder.issueCRL(issuer: root.certificate, key: root.key, thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(7 * day), revoked: [], number: 1)]
        let trust = TrustStore(anchors: [root.certificate])
        let h = Hierarchy.rsa
        let (_, report) = try judge(stamped, document: sampleDocument, hierarchy: h, trust: trust, crls: crls)
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        #expect(report.signatures[0].bestSignatureTime == in2011)
        let (_, unproven) = try judge(plain, document: sampleDocument, hierarchy: h, trust: trust, crls: crls)
        #expect(unproven.subIndication == .cryptoConstraintsFailureNoPOE)
    }

    @Test("a timestamp over other data fails with HASH_FAILURE and is not used as proof")
    func timestampOverOtherData() throws {
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let other = try h.timestampedSignature(try h.signer(), authority: authority, document: Array("другое".utf8))
        let foreignToken = try Tampering.timestampToken(of: other)
        let signer = try h.signer(notAfter: Date().addingTimeInterval(day))
        let plain = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let forged = try Tampering.attachTimestamp(plain, token: foreignToken)
        let (evidence, report) = try judge(forged, document: sampleDocument, hierarchy: h, at: Date().addingTimeInterval(30 * day))
        #expect(evidence.signers[0].timestamps[0].imprint.outcome == .invalid)
        #expect(report.signatures[0].timestamps[0].indication == .failed)
        #expect(report.signatures[0].timestamps[0].subIndication == .hashFailure)
        // Not proof: the expired certificate is judged at the validation time.
        #expect(report.subIndication == .outOfBoundsNoPOE)
    }

    @Test("a token re-signed by a certificate without the timeStamping EKU is not proof")
    func tsaWithoutEKU() throws {
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let signer = try h.signer(notAfter: Date().addingTimeInterval(day))
        let stamped = try h.timestampedSignature(signer, authority: authority)
        let impostor = try h.signer()  // an ordinary signing certificate
        let forgedToken = try Tampering.resignToken(try Tampering.timestampToken(of: stamped), with: impostor.identity)
        let plain = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let forged = try Tampering.attachTimestamp(plain, token: forgedToken)
        // Sanity: the plain signature's own value is what a genuine token would cover; use the genuine imprint.
        let (evidence, report) = try judge(forged, document: sampleDocument, hierarchy: h, at: Date().addingTimeInterval(30 * day))
        #expect(evidence.signers[0].timestamps[0].timeStampingEKU == .invalid)
        #expect(report.signatures[0].timestamps[0].indication != .passed)
        #expect(report.subIndication == .outOfBoundsNoPOE)
    }

    @Test("a timestamp from an untrusted TSA is reported and not used as proof")
    func untrustedTSA() throws {
        let h = Hierarchy.rsa
        let foreign = try Hierarchy(.rsa)
        let (authority, _) = try foreign.authority()
        let signer = try h.signer(notAfter: Date().addingTimeInterval(day))
        let stamped = try h.timestampedSignature(signer, authority: authority)
        let (_, report) = try judge(stamped, document: sampleDocument, hierarchy: h, at: Date().addingTimeInterval(30 * day))
        #expect(report.signatures[0].timestamps[0].indication == .indeterminate)
        #expect(report.signatures[0].timestamps[0].subIndication == .noCertificateChainFound)
        #expect(report.subIndication == .outOfBoundsNoPOE)
    }

    @Test("the TSA answers malformed requests and unsupported digests with a rejection, not an error")
    func tsaRejections() throws {
        let (authority, _) = try Hierarchy.rsa.authority()
        for request in [Array("not DER".utf8), [0x30, 0x03, 0x02, 0x01, 0x01]] {
            let answer = try authority.respond(to: request)
            #expect(try TimestampResponseStatus.parse(answer).status == 2)
        }
        let client = TimestampClient(source: LocalTimestampSource(authority))
        let sha1Request = try client.buildRequest(digest: .sha1, hash: [UInt8](repeating: 1, count: 20), nonce: [1, 2, 3])
        let rejection = try TimestampResponseStatus.parse(try authority.respond(to: sha1Request))
        #expect(rejection.status == 2)
        #expect(rejection.failureInfo.contains("badAlg"))
    }

    @Test("the TSA refuses to start with a certificate lacking the critical timeStamping EKU")
    func tsaNeedsEKU() throws {
        #expect(throws: PodpisError.self) { _ = try Hierarchy.rsa.authority(critical: false) }
    }

    @Test("serial numbers stay unique across restarts and concurrent use")
    func serials() async throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let path = folder.file("serial")
        var seen = Set<UInt64>()
        for _ in 0..<3 {  // three "restarts"
            let source = SerialNumberSource(path: path, blockSize: 16)
            let batch = try await withThrowingTaskGroup(of: UInt64.self) { group in
                for _ in 0..<100 { group.addTask { try source.next() } }
                return try await group.reduce(into: [UInt64]()) { $0.append($1) }
            }
            for serial in batch { #expect(seen.insert(serial).inserted, "duplicate serial \(serial)") }
        }
        #expect(seen.count == 300)
    }
}
