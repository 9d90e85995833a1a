import EvidenceModel
import Foundation
import PolicyEngine
import Testing
@testable import SigningCore

/// CAdES-LT: everything needed to verify offline, years later, travels inside the signature.
@Suite("CAdES-LT")
struct LongTermTests {
    @Test("an LT signature verifies offline twelve years later, after every certificate expired", arguments: Algorithm.testable)
    func offlineInTheFuture(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let (authority, _) = try h.authority()
        // The CA publishes revocation data (a distribution point that is unreachable later): it must travel along.
        let stamped = try h.timestampedSignature(try h.signer(crlURL: "http://127.0.0.1:9/ca.crl"), authority: authority)
        let crls = [try h.crl(), try h.crl(by: h.root)]
        let lt = try LongTermExtender.extend(signature: stamped, subject: nil, trust: h.trust, crls: crls, revocation: .offline)
        #expect(lt.crlsAdded == 2)
        #expect(lt.certificatesAdded >= 1)
        let inspection = try Inspector.inspect(lt.bytes, subject: nil)
        #expect(inspection.signers[0].level == .lt)
        let later = Date().addingTimeInterval(12 * 365 * 86_400)
        // No CRLs given now: only what the signature carries.
        let (_, report) = try judge(lt.bytes, document: sampleDocument, hierarchy: h, crls: [], at: later)
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        #expect(report.signatures[0].format == "CAdES-BASELINE-LT")
        // The T-level signature alone cannot show revocation status years later.
        let (_, withoutLT) = try judge(stamped, document: sampleDocument, hierarchy: h, crls: [], at: later)
        #expect(withoutLT.indication == .indeterminate)
        #expect(withoutLT.subIndication == .tryLater)
    }

    @Test("LT with OCSP answers embedded as RFC 5940 other revocation info")
    func ltWithOCSP() throws {
        let h = Hierarchy.rsa
        let (authority, tsa) = try h.authority()
        let signer = try h.signer()
        let stamped = try h.timestampedSignature(signer, authority: authority)
        let responder = try PKIProfiles.ocspResponder(key: .rsa(bits: 2048), issuer: h.ca)
        let answers = [try h.ocspAnswer(for: signer.certificate, status: .good, signer: responder),
                       try h.ocspAnswer(for: tsa.certificate, status: .good, signer: responder)]
        let lt = try LongTermExtender.extend(signature: stamped, subject: nil, trust: h.trust, certificates: [responder.certificate],
                                             crls: [try h.crl(by: h.root)], ocspResponses: answers, revocation: .offline)
        #expect(lt.ocspAdded == 2)
        #expect(EmbeddedRevocation.ocspResponses(inSignedData: try SignatureDecoder.decode(lt.bytes, subject: nil).der).count == 2)
        let (evidence, report) = try judge(lt.bytes, document: sampleDocument, hierarchy: h, crls: [], at: Date().addingTimeInterval(5 * 365 * 86_400))
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        #expect(evidence.signers[0].chains[0].path[0].revocation.source == .ocsp)
    }

    @Test("LT is refused without a timestamp, and without revocation data")
    func refusals() throws {
        let h = Hierarchy.rsa
        let plain = try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity, options: SignatureOptions(chain: [h.ca.certificate]))
        #expect(throws: PodpisError.self) {
            _ = try LongTermExtender.extend(signature: plain, subject: nil, trust: h.trust, crls: [try h.crl(), try h.crl(by: h.root)], revocation: .offline)
        }
        let (authority, _) = try h.authority()
        let stamped = try h.timestampedSignature(try h.signer(), authority: authority)
        #expect(throws: PodpisError.self) {
            _ = try LongTermExtender.extend(signature: stamped, subject: nil, trust: h.trust, revocation: .offline)
        }
    }
}
