import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore

/// OCSP answers as evidence: good, revoked, unknown, stale, from an unauthorised responder, and delegated.
@Suite("OCSP")
struct OCSPTests {
    func verify(_ signer: IssuedCertificate, _ h: Hierarchy, answers: [[UInt8]], at: Date? = nil) throws -> (Evidence, Report) {
        let signature = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let job = VerificationInput(signature: signature, signatureName: "s", document: .bytes(name: "d", sampleDocument), trust: h.trust,
                                  crls: [try h.crl(by: h.root)], validationTime: at, ocspResponses: answers)
        return try Verifier.verify(job)
    }

    func ocspSigner(_ h: Hierarchy) throws -> IssuedCertificate {
        try PKIProfiles.ocspResponder(key: h.algorithm.kind, issuer: h.ca)
    }

    @Test("good, from the CA and from a delegated responder", arguments: Algorithm.testable)
    func good(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let signer = try h.signer(crlURL: "http://127.0.0.1:9/none.crl")
        for responder in [nil, try ocspSigner(h)] {
            let (evidence, report) = try verify(signer, h, answers: [try h.ocspAnswer(for: signer.certificate, status: .good, signer: responder)])
            #expect(evidence.signers[0].chains[0].path[0].revocation.source == .ocsp)
            #expect(evidence.signers[0].chains[0].path[0].revocation.status == .good)
            #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        }
    }

    @Test("a memoised OCSP verdict is reused only for the same inputs: another trust store, issuer or response is checked afresh")
    func memoisedVerdicts() throws {
        let h = Hierarchy.rsa
        let signer = try h.signer(crlURL: "http://127.0.0.1:9/none.crl")
        let answer = try h.ocspAnswer(for: signer.certificate, status: .good, signer: try ocspSigner(h))
        let first = OCSP.evidence(from: answer, certificate: signer.certificate, issuer: h.ca.certificate, trust: h.trust, untrusted: [])
        let again = OCSP.evidence(from: answer, certificate: signer.certificate, issuer: h.ca.certificate, trust: h.trust, untrusted: [])
        #expect(first?.status == .good)
        #expect(again?.status == .good && again?.producedAt == first?.producedAt)
        // The same bytes under a trust store without the root: the responder's path is not trusted.
        let untrustedRoot = OCSP.evidence(from: answer, certificate: signer.certificate, issuer: h.ca.certificate,
                                          trust: TrustStore(anchors: [Hierarchy.ec.root.certificate]), untrusted: [])
        #expect(untrustedRoot?.status == .unknown)
        #expect(untrustedRoot?.problems.first?.contains("not trustworthy") == true, "\(untrustedRoot?.problems ?? [])")
        // And the trusted store again: still good (the refusal was not cached under its key).
        #expect(OCSP.evidence(from: answer, certificate: signer.certificate, issuer: h.ca.certificate, trust: h.trust, untrusted: [])?.status == .good)
        // A response about another certificate says nothing about this one.
        let other = try h.signer()
        #expect(OCSP.evidence(from: answer, certificate: other.certificate, issuer: h.ca.certificate, trust: h.trust, untrusted: []) == nil)
        // One changed byte in the signature: a different key, and the forgery is caught.
        var forged = answer
        forged[forged.count - 3] ^= 1
        #expect(OCSP.evidence(from: forged, certificate: signer.certificate, issuer: h.ca.certificate, trust: h.trust, untrusted: [])?.status != .good)
    }

    @Test("revoked → REVOKED_NO_POE, with the responder's revocation time")
    func revoked() throws {
        let h = Hierarchy.rsa
        let signer = try h.signer()
        let when = Date().addingTimeInterval(-7200).wholeSeconds
        let (evidence, report) = try verify(signer, h, answers: [try h.ocspAnswer(for: signer.certificate, status: .revoked(when, .keyCompromise), signer: try ocspSigner(h))])
        #expect(evidence.signers[0].chains[0].path[0].revocation.revocationTime == when)
        #expect(evidence.signers[0].chains[0].path[0].revocation.reason?.rawValue == "keyCompromise")
        #expect(report.subIndication == .revokedNoPOE)
    }

    @Test("unknown → TRY_LATER when the CA publishes revocation data")
    func unknown() throws {
        let h = Hierarchy.rsa
        let signer = try h.signer(crlURL: "http://127.0.0.1:9/none.crl")
        let (evidence, report) = try verify(signer, h, answers: [try h.ocspAnswer(for: signer.certificate, status: .unknown)])
        #expect(evidence.signers[0].chains[0].path[0].revocation.problems.contains { $0.contains("does not know") })
        #expect(report.subIndication == .tryLater)
    }

    @Test("stale → TRY_LATER")
    func stale() throws {
        let h = Hierarchy.rsa
        let signer = try h.signer(crlURL: "http://127.0.0.1:9/none.crl")
        let old = try h.ocspAnswer(for: signer.certificate, status: .good, at: Date().addingTimeInterval(-3 * 86_400), validity: 3600)
        let (_, report) = try verify(signer, h, answers: [old])
        #expect(report.subIndication == .tryLater)
    }

    @Test("signed by an unauthorised responder → not used (TRY_LATER)")
    func unauthorised() throws {
        let h = Hierarchy.rsa
        let signer = try h.signer(crlURL: "http://127.0.0.1:9/none.crl")
        // A certificate from the same CA but without the OCSPSigning EKU signs the answer.
        let intruder = try h.signer()
        let (evidence, report) = try verify(signer, h, answers: [try h.ocspAnswer(for: signer.certificate, status: .good, signer: intruder)])
        #expect(evidence.signers[0].chains[0].path[0].revocation.status == .unknown)
        #expect(evidence.signers[0].chains[0].path[0].revocation.problems.contains { $0.contains("not trustworthy") })
        #expect(report.subIndication == .tryLater)
    }

    @Test("the responder answers garbage with malformedRequest and other CAs' certificates with unauthorized")
    func responderErrors() throws {
        let h = Hierarchy.rsa
        let ocsp = OCSPResponder(ca: h.ca.certificate, signer: h.ca.certificate, key: h.ca.key, lookup: { _ in .good })
        #expect(try ocsp.respond(to: Array("junk".utf8)) == [0x30, 0x03, 0x0A, 0x01, 0x01])
        let other = Hierarchy.ec
        let foreign = try other.signer()
        #expect(try ocsp.respond(to: try OCSP.request(for: foreign.certificate, issuer: other.ca.certificate)) == [0x30, 0x03, 0x0A, 0x01, 0x06])
    }
}
