import EvidenceModel
import Foundation
import PodpisReport
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore
import SigningCoreTestSupport

/// CAdES-X Long Type 1 as CryptoPro CSP (and КриптоАРМ, ViPNet, the ФНС tools) writes it, built with the GOST test
/// PKI (see ``CryptoProLongTerm``): the signature must verify offline from the data it carries, after the signer's
/// certificate expired, with only the root as trust anchor.
@Suite("CAdES-X Long Type 1 (CryptoPro's long-term form), TSA tokens without certificates, Streebog OCSP CertIDs")
struct LegacyFormsTests {
    @Test("after the signer's certificate expired, offline, root only: TOTAL-PASSED from the embedded data; LT, profile CAdES-X Long Type 1; both timestamps PASSED")
    func cryptoProLongTermVerifiesOffline() throws {
        let shape = try CryptoProLongTerm()
        let (evidence, report) = try shape.verify()
        let signature = try #require(report.signatures.first)
        #expect(report.indication == .totalPassed, "\(signature.reason)")
        #expect(signature.subIndication == nil)
        #expect(signature.format == "CAdES-BASELINE-LT")
        #expect(signature.profile == "CAdES-X Long Type 1")
        #expect(signature.timestamps.map(\.type) == [.signature, .cadesC])
        #expect(signature.timestamps.allSatisfy { $0.indication == .passed }, "\(signature.timestamps)")
        // The protocol names the form and the CAdES-C timestamp in words.
        var russian = report
        russian.lang = "ru"
        let page = try VerificationProtocol.render(report: russian, evidence: evidence).html
        #expect(page.contains("CAdES-BASELINE-LT (форма: CAdES-X Long Type 1)"))
        #expect(page.contains("штамп времени над ссылками и подписью (CAdES-C, escTimeStamp)"))
        // The proven time is the signature timestamp's, before the certificate expired; validation is after it.
        let signatureStamp = try #require(evidence.signers[0].timestamps.first { $0.type == .signature })
        #expect(abs(signature.bestSignatureTime.timeIntervalSince(signatureStamp.genTime)) < 1)
        #expect(evidence.validationTime > shape.signerNotAfter)
        #expect(signatureStamp.tsaCertificateSource == .certificateValues)
        // Revocation came from revocation-values: the signer's status from an OCSP answer with a Streebog CertID.
        let path = try #require(evidence.signers[0].chains.first?.path)
        #expect(path.first?.revocation.status == .good)
        #expect(path.first?.revocation.source == .ocsp)
        // The complete references all find their values.
        let longTerm = try #require(evidence.signers[0].longTerm)
        #expect(longTerm.form == "CAdES-X Long Type 1")
        #expect(longTerm.certificateReferences.count == 3)
        #expect(longTerm.revocationReferences.count == 3)
        #expect((longTerm.certificateReferences + longTerm.revocationReferences).allSatisfy { $0.outcome == .valid })
        #expect(signature.checks.first { $0.id == "format" }?.status == .passed)
    }

    @Test("the TSA certificate in the token, in certificate-values or in the CAdES-C timestamp: found, validated, PASSED; nowhere: INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND, never FAILED",
          arguments: CryptoProLongTerm.TSAPlacement.allCases)
    func tsaCertificatePlacement(_ placement: CryptoProLongTerm.TSAPlacement) throws {
        let shape = try CryptoProLongTerm(placement: placement)
        let (evidence, report) = try shape.verify()
        let signature = try #require(report.signatures.first)
        let stamp = try #require(signature.timestamps.first { $0.type == .signature })
        let found = try #require(evidence.signers[0].timestamps.first { $0.type == .signature })
        switch placement {
        case .nowhere:
            #expect(stamp.indication == .indeterminate)
            #expect(stamp.subIndication == .noSigningCertificateFound)
            #expect(found.imprint.outcome == .valid)
            #expect(found.tsaCertificate == nil)
            // Nothing proves the time any more, and the certificate has expired since.
            #expect(report.indication == .indeterminate)
            #expect(report.subIndication == .outOfBoundsNoPOE)
            // Given the TSA certificate (--cert), the token is validated in full and proves the time again.
            let (supplied, withCert) = try shape.verify(certificates: [shape.tsa.certificate])
            #expect(withCert.indication == .totalPassed, "\(withCert.signatures[0].reason)")
            #expect(withCert.signatures[0].timestamps.allSatisfy { $0.indication == .passed })
            #expect(supplied.signers[0].timestamps[0].tsaCertificateSource == .supplied)
        default:
            #expect(stamp.indication == .passed, "\(stamp)")
            #expect(report.indication == .totalPassed, "\(signature.reason)")
            let expected: CertificateOrigin? = ["token": .token, "certificateValues": .certificateValues, "cadesCTimestamp": .timestamp][placement.rawValue]
            #expect(found.tsaCertificateSource == expected)
        }
    }

    @Test("a token whose TSA certificate is nowhere is checked for presence before its signature: the imprint still fails a token over other data")
    func missingCertificateDoesNotHideAWrongImprint() throws {
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let signature = try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let token = try TimestampClient(source: LocalTimestampSource(authority)).token(over: Array("other data".utf8), digest: .sha256)
        let stamped = try Tampering.attachTimestamp(signature, token: try Tampering.withoutCertificates(token: token))
        let (_, report) = try judge(stamped, document: sampleDocument, hierarchy: h)
        let stamp = try #require(report.signatures[0].timestamps.first)
        #expect(stamp.indication == .failed)
        #expect(stamp.subIndication == .hashFailure)
        // The right imprint, no certificate: INDETERMINATE, and the signature itself is judged without proof of time.
        let good = try TimestampClient(source: LocalTimestampSource(authority)).token(over: try Tampering.signatureValue(of: signature), digest: .sha256)
        let bare = try Tampering.attachTimestamp(signature, token: try Tampering.withoutCertificates(token: good))
        let (evidence, plain) = try judge(bare, document: sampleDocument, hierarchy: h)
        #expect(plain.signatures[0].timestamps[0].indication == .indeterminate)
        #expect(plain.signatures[0].timestamps[0].subIndication == .noSigningCertificateFound)
        #expect(plain.indication == .totalPassed, "a timestamp that proves nothing leaves a valid signature valid: \(plain.signatures[0].reason)")
        #expect(evidence.signers[0].level == .t)
    }

    @Test("complete-certificate-references changed after the CAdES-C timestamp: that timestamp FAILED/HASH_FAILURE, the signature timestamp still proves the time")
    func changedReferencesBreakTheCAdESCTimestamp() throws {
        let shape = try CryptoProLongTerm(breakReferencesAfterStamping: true)
        let (_, report) = try shape.verify()
        let signature = try #require(report.signatures.first)
        let cadesC = try #require(signature.timestamps.first { $0.type == .cadesC })
        #expect(cadesC.indication == .failed)
        #expect(cadesC.subIndication == .hashFailure)
        #expect(signature.timestamps.first { $0.type == .signature }?.indication == .passed)
        #expect(report.indication == .totalPassed, "\(signature.reason)")
        #expect(signature.checks.first { $0.id == "timestamps" }?.status == .warning)
    }

    @Test("without the signer's OCSP answer in revocation-values the status is unknown: TRY_LATER (the embedded answer is what made it pass)")
    func missingEmbeddedRevocation() throws {
        let shape = try CryptoProLongTerm(omitOCSPForSigner: true)
        let (evidence, report) = try shape.verify()
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .tryLater)
        let unmatched = evidence.signers[0].longTerm?.revocationReferences.filter { $0.outcome != .valid } ?? []
        #expect(unmatched.isEmpty, "the references name only what is carried")
    }

    @Test("OCSP CertIDs hashed with Streebog-256/512, SHA-1 and SHA-256/384/512 are matched to the certificate",
          arguments: [DigestAlgorithm.streebog256, .streebog512, .sha1, .sha256, .sha384, .sha512])
    func ocspCertIDHashes(_ hash: DigestAlgorithm) throws {
        let shape = try CryptoProLongTerm(ocspCertIDHash: hash)
        let (evidence, report) = try shape.verify()
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        let signerPath = try #require(evidence.signers[0].chains.first?.path)
        #expect(signerPath[0].revocation.status == .good)
        #expect(signerPath[0].revocation.source == .ocsp)
        // Directly: the answer about this certificate is found and verified; about another one it is not.
        let h = Hierarchy.gost
        let responder = OCSPResponder(ca: h.ca.certificate, signer: h.ca.certificate, key: h.ca.key, lookup: { _ in .good })
        let answer = try responder.respond(to: OCSP.request(for: shape.signer.certificate, issuer: h.ca.certificate, certificateIDHash: hash))
        let facts = OCSP.evidence(from: answer, certificate: shape.signer.certificate, issuer: h.ca.certificate, trust: h.trust, untrusted: [])
        #expect(facts?.status == .good)
        #expect(OCSP.evidence(from: answer, certificate: shape.tsa.certificate, issuer: h.ca.certificate, trust: h.trust, untrusted: []) == nil)
    }

    @Test("a wrong trust anchor: INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND, not a pass from embedded data")
    func wrongAnchor() throws {
        let shape = try CryptoProLongTerm()
        let job = VerificationInput(
            signature: shape.signature, signatureName: "x.sig", document: .bytes(name: "x", shape.document),
            trust: Hierarchy.rsa.trust, validationTime: shape.signerNotAfter.addingTimeInterval(86_400))
        let (_, report) = try Verifier.verify(job)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .noCertificateChainFound)
    }

    @Test("podpis verify DOC SIG --trust ROOT --offline --at (after expiry) --json: exit 0, TOTAL-PASSED; inspect names the same level and form")
    func cliDoneWhen() throws {
        let shape = try CryptoProLongTerm()
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("order.pdf", shape.document)
        let signature = try folder.write("order.pdf.sig", Array((Data(shape.signature).base64EncodedString() + "\n").utf8))
        let root = try folder.write("root.pem", try CertificateFiles.pem([shape.root]))
        let at = ISO8601DateFormatter().string(from: shape.signerNotAfter.addingTimeInterval(30 * 86_400))
        let result = try CLI.run(["verify", document, signature, "--trust", root, "--offline", "--at", at, "--json"])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["indication"] as? String == "TOTAL-PASSED")
        let first = try #require((json["signatures"] as? [[String: Any]])?.first)
        #expect(first["format"] as? String == "CAdES-BASELINE-LT")
        #expect(first["profile"] as? String == "CAdES-X Long Type 1")
        let inspect = try CLI.run(["inspect", signature, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let inspected = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        let signer = try #require((inspected["signers"] as? [[String: Any]])?.first)
        #expect(signer["level"] as? String == "LT")
        #expect(signer["profile"] as? String == "CAdES-X Long Type 1")
    }
}
