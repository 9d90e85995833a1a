import EvidenceModel
import Foundation
import PolicyEngine
import Testing
@testable import SigningCore
import SigningCoreTestSupport

/// One test per sub-indication the signing core and the default policy can produce, over RSA, ECDSA and GOST.
@Suite("Negative matrix: each sub-indication has a case that produces it")
struct NegativeMatrixTests {
    @Test("a good signature passes", arguments: Algorithm.testable)
    func passes(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let (evidence, report) = try signAndJudge(try h.signer(), hierarchy: h)
        #expect(report.indication == .totalPassed)
        #expect(report.subIndication == nil)
        #expect(report.signatures.count == 1)
        #expect(report.signatures[0].format == "CAdES-BASELINE-B")
        #expect(report.signatures[0].checks.allSatisfy { $0.status == .passed || $0.status == .skipped })
        #expect(evidence.signers[0].identification.binding == .valid)
        #expect(report.signatures[0].signer?.snils == "12345678901")
    }

    @Test("FORMAT_FAILURE: bytes that are not CMS")
    func formatFailureRandom() throws {
        let h = Hierarchy.rsa
        var random = [UInt8](repeating: 0, count: 4096)
        for index in random.indices { random[index] = UInt8.random(in: 0...255) }
        random[0] = 0x30  // even when it starts like a SEQUENCE
        let (evidence, report) = try judge(random, document: sampleDocument, hierarchy: h)
        #expect(!evidence.format.parsed)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .formatFailure)
        #expect(report.signatures.isEmpty)
    }

    @Test("FORMAT_FAILURE: a truncated signature", arguments: Algorithm.testable)
    func formatFailureTruncated(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let signature = try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity)
        let (_, report) = try judge(Array(signature.prefix(signature.count - 40)), document: sampleDocument, hierarchy: h)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .formatFailure)
    }

    @Test("FORMAT_FAILURE: a signed attribute present twice", arguments: Algorithm.testable)
    func formatFailureDuplicateAttribute(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let (evidence, report) = try signAndJudge(try h.signer(), hierarchy: h) { try Tampering.duplicateSigningTime($0) }
        #expect(evidence.signers[0].formatIssues == ["signing-time attribute present 2 times (at most once expected)"])
        #expect(evidence.signers[0].formatFindings == [FormatFinding(code: .repeated, attribute: "signing-time", count: 2)])
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .formatFailure)
        let format = report.signatures[0].checks.first { $0.id == "format" }
        #expect(format?.messageKey == "format.attribute-repeated" && format?.messageArgs?["count"] == "2", "\(format?.message ?? "-")")
    }

    @Test("FORMAT_FAILURE: a content-type attribute that is not the content's type, and a missing message-digest, each named in Russian",
          arguments: Algorithm.testable)
    func formatFailureAttributes(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let tstInfo = "1.2.840.113549.1.9.16.1.4"
        let cases: [(tamper: ([UInt8]) throws -> [UInt8], finding: FormatFinding, key: String, russian: String)] = [
            ({ try Tampering.changeContentTypeAttribute($0, to: tstInfo) },
             FormatFinding(code: .contentTypeMismatch, attribute: "content-type", found: tstInfo, expected: "1.2.840.113549.1.7.1"),
             "format.content-type-mismatch", "не совпадает с типом подписанного содержимого"),
            ({ try Tampering.removeMessageDigest($0) },
             FormatFinding(code: .missing, attribute: "message-digest", count: 0), "format.attribute-missing",
             "нет обязательного подписанного атрибута message-digest"),
        ]
        for item in cases {
            let (evidence, report) = try signAndJudge(try h.signer(), hierarchy: h, language: .ru) { try item.tamper($0) }
            #expect(evidence.signers[0].formatFindings == [item.finding])
            #expect(evidence.signers[0].formatIssues == [item.finding.english])
            #expect(report.indication == .totalFailed && report.subIndication == .formatFailure)
            let format = report.signatures[0].checks.first { $0.id == "format" }
            #expect(format?.messageKey == item.key && format?.message.contains(item.russian) == true, "\(format?.message ?? "-")")
        }
    }

    @Test("HASH_FAILURE: the document was changed", arguments: Algorithm.testable)
    func hashFailure(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        var changed = sampleDocument
        changed[5] ^= 0x20
        let (evidence, report) = try signAndJudge(try h.signer(), hierarchy: h, verifyDocument: changed)
        #expect(evidence.signers[0].messageDigest.outcome == .invalid)
        #expect(evidence.signers[0].signatureValue.outcome == .valid)  // kept apart from the digest check
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .hashFailure)
    }

    @Test("SIG_CRYPTO_FAILURE: the signature value was altered", arguments: Algorithm.testable)
    func sigCryptoFailure(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let (evidence, report) = try signAndJudge(try h.signer(), hierarchy: h) { try Tampering.flipSignatureBit($0) }
        #expect(evidence.signers[0].messageDigest.outcome == .valid)
        #expect(evidence.signers[0].signatureValue.outcome == .invalid)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .sigCryptoFailure)
    }

    @Test("SIG_CRYPTO_FAILURE: a signed attribute was altered", arguments: Algorithm.testable)
    func sigCryptoFailureAttributes(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let (_, report) = try signAndJudge(try h.signer(), hierarchy: h) {
            try Tampering.changeSigningTime($0, to: Date().addingTimeInterval(-400 * 86_400))
        }
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .sigCryptoFailure)
    }

    @Test("SIGNED_DATA_NOT_FOUND: a detached signature without its document", arguments: Algorithm.testable)
    func signedDataNotFound(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let signature = try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity,
                                        options: SignatureOptions(chain: [h.ca.certificate]))
        let (evidence, report) = try judge(signature, document: nil, hierarchy: h)
        #expect(evidence.signers[0].signatureValue.outcome == .valid)  // still checked over the signed attributes
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .signedDataNotFound)
    }

    @Test("NO_SIGNING_CERTIFICATE_FOUND: the certificate is absent", arguments: Algorithm.testable)
    func noSigningCertificateAbsent(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let signer = try h.signer()
        let (_, report) = try signAndJudge(signer, hierarchy: h, options: SignatureOptions(includeSignerCertificate: false))
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .noSigningCertificateFound)
        // Given separately, the same signature verifies.
        let signature = try Signer.sign(.bytes(sampleDocument), identity: signer.identity,
                                        options: SignatureOptions(chain: [h.ca.certificate], includeSignerCertificate: false))
        let (_, withCert) = try judge(signature, document: sampleDocument, hierarchy: h, certificates: [signer.certificate])
        #expect(withCert.indication == .totalPassed)
    }

    @Test("NO_SIGNING_CERTIFICATE_FOUND: the certificate was substituted", arguments: Algorithm.testable)
    func noSigningCertificateSubstituted(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let signer = try h.signer()
        // Same issuer and serial, another key: the SignerIdentifier matches it, the ESS hash does not.
        let impostor = try h.signer(serial: try #require(Hex.decode(signer.certificate.serialHex)))
        let (evidence, report) = try signAndJudge(signer, hierarchy: h) {
            try Tampering.replaceCertificates($0, with: [impostor.certificate, h.ca.certificate])
        }
        #expect(evidence.signers[0].identification.binding == .invalid)
        #expect(evidence.signers[0].identification.rejectedCandidate == impostor.certificate.fingerprint)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .noSigningCertificateFound)
    }

    @Test("NO_CERTIFICATE_CHAIN_FOUND: an untrusted root", arguments: Algorithm.testable)
    func noChainUntrusted(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let other = try PKIProfiles.root(name: "Some other root", key: algorithm.kind)
        let (_, report) = try signAndJudge(try h.signer(), hierarchy: h, trust: TrustStore(anchors: [other.certificate]))
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .noCertificateChainFound)
    }

    @Test("NO_CERTIFICATE_CHAIN_FOUND: the intermediate is missing", arguments: Algorithm.testable)
    func noChainMissingIntermediate(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let (_, report) = try signAndJudge(try h.signer(), hierarchy: h, chain: [])
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .noCertificateChainFound)
    }

    @Test("OUT_OF_BOUNDS_NO_POE: an expired signer certificate", arguments: Algorithm.testable)
    func outOfBoundsExpired(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let expired = try h.signer(notBefore: Date().addingTimeInterval(-100 * 86_400), notAfter: Date().addingTimeInterval(-86_400))
        let (_, report) = try signAndJudge(expired, hierarchy: h)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .outOfBoundsNoPOE)
        // The same signature checked at a time inside the validity period passes.
        let (_, earlier) = try signAndJudge(expired, hierarchy: h, at: Date().addingTimeInterval(-5 * 86_400))
        #expect(earlier.signatures[0].checks.first { $0.id == "certificate-validity" }?.status == .passed)
    }

    @Test("OUT_OF_BOUNDS_NO_POE: a signer certificate not yet valid", arguments: Algorithm.testable)
    func outOfBoundsNotYetValid(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let future = try h.signer(notBefore: Date().addingTimeInterval(5 * 86_400))
        let (_, report) = try signAndJudge(future, hierarchy: h)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .outOfBoundsNoPOE)
    }

    @Test("REVOKED_NO_POE: a revoked signer certificate", arguments: Algorithm.testable)
    func revokedNoPOE(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let signer = try h.signer()
        let revokedAt = Date().addingTimeInterval(-2 * 86_400)
        let crl = try h.crl(revoking: [RevokedCertificate(serial: signer.certificate.serialHex, date: revokedAt)])
        let (evidence, report) = try signAndJudge(signer, hierarchy: h, crls: [crl, try h.crl(by: h.root)])
        #expect(evidence.signers[0].chains[0].path[0].revocation.status == .revoked)
        #expect(abs((evidence.signers[0].chains[0].path[0].revocation.revocationTime ?? .distantPast).timeIntervalSince(revokedAt)) < 2)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .revokedNoPOE)
    }

    @Test("REVOKED_CA_NO_POE: a revoked issuing CA")
    func revokedCA() throws {
        let h = Hierarchy.rsa
        let crl = try h.crl(revoking: [RevokedCertificate(serial: h.ca.certificate.serialHex, date: Date().addingTimeInterval(-3600))], by: h.root)
        let (_, report) = try signAndJudge(try h.signer(), hierarchy: h, crls: [crl, try h.crl()])
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .revokedCANoPOE)
    }

    @Test("TRY_LATER: the CA publishes a CRL but none is available")
    func tryLater() throws {
        let h = Hierarchy.rsa
        let signer = try h.signer(crlURL: "http://127.0.0.1:9/crl/none.crl")
        let (evidence, report) = try signAndJudge(signer, hierarchy: h, crls: [try h.crl(by: h.root)])
        #expect(evidence.signers[0].chains[0].path[0].revocation.status == .unknown)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .tryLater)
    }

    @Test("TRY_LATER: the revocation data is stale")
    func tryLaterStale() throws {
        let h = Hierarchy.rsa
        let stale = try h.crl(thisUpdate: Date().addingTimeInterval(-20 * 86_400), nextUpdate: Date().addingTimeInterval(-10 * 86_400))
        let (_, report) = try signAndJudge(try h.signer(), hierarchy: h, crls: [stale, try h.crl(by: h.root)])
        #expect(report.subIndication == .tryLater)
    }

    @Test("CHAIN_CONSTRAINTS_FAILURE: a key not meant for signatures", arguments: Algorithm.testable)
    func chainConstraints(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let usage = algorithm == .rsa ? ["keyEncipherment"] : ["keyAgreement"]
        let (_, report) = try signAndJudge(try h.signer(keyUsage: usage), hierarchy: h)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .chainConstraintsFailure)
    }

    @Test("CERTIFICATE_CHAIN_GENERAL_FAILURE: an unknown critical extension")
    func chainGeneralFailure() throws {
        let h = Hierarchy.ec
        let odd = try h.signer(extraExtensions: [(oid: "1.3.6.1.4.1.99999.1", critical: true, der: [0x05, 0x00])])
        let (_, report) = try signAndJudge(odd, hierarchy: h)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .certificateChainGeneralFailure)
    }

    @Test("CRYPTO_CONSTRAINTS_FAILURE_NO_POE: a SHA-1 signature")
    func cryptoSHA1() throws {
        let h = Hierarchy.rsa
        let (_, report) = try signAndJudge(try h.signer(), hierarchy: h, options: SignatureOptions(digest: .sha1, allowWeakAlgorithms: true))
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .cryptoConstraintsFailureNoPOE)
        // Judged at a time before SHA-1's sunset, the same constraint holds.
        let (_, old) = try signAndJudge(try h.signer(notBefore: BuiltinPolicies.day("2011-01-01"), notAfter: BuiltinPolicies.day("2030-01-01")),
                                        hierarchy: h, options: SignatureOptions(digest: .sha1, allowWeakAlgorithms: true),
                                        at: BuiltinPolicies.day("2012-01-01"))
        #expect(old.signatures[0].checks.first { $0.id == "algorithms" }?.status == .passed)
    }

    @Test("CRYPTO_CONSTRAINTS_FAILURE_NO_POE: an RSA-1024 key")
    func cryptoRSA1024() throws {
        let h = Hierarchy.rsa
        let (_, report) = try signAndJudge(try h.signer(key: .rsa(bits: 1024)), hierarchy: h, options: SignatureOptions(allowWeakAlgorithms: true))
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .cryptoConstraintsFailureNoPOE)
    }

    @Test("CRYPTO_CONSTRAINTS_FAILURE_NO_POE: a SHA-1-signed certificate")
    func cryptoSHA1Certificate() throws {
        let h = Hierarchy.rsa
        let (_, report) = try signAndJudge(try h.signer(digest: .sha1), hierarchy: h)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .cryptoConstraintsFailureNoPOE)
    }

    @Test("two signers, one bad: the document fails, the good signature still passes", arguments: Algorithm.testable)
    func twoSignersOneBad(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let first = try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let both = try Signer.cosign(signature: first, signatureName: nil, content: .bytes(sampleDocument),
                                     identity: try Hierarchy.rsa.signer().identity, options: SignatureOptions(chain: [Hierarchy.rsa.ca.certificate]))
        let broken = try Tampering.flipSignatureBit(both, signer: 1)
        let trust = TrustStore(anchors: [h.root.certificate, Hierarchy.rsa.root.certificate])
        let crls = [try h.crl(), try h.crl(by: h.root), try Hierarchy.rsa.crl(), try Hierarchy.rsa.crl(by: Hierarchy.rsa.root)]
        let (_, good) = try judge(both, document: sampleDocument, hierarchy: h, trust: trust, crls: crls)
        #expect(good.indication == .totalPassed)
        #expect(good.signatures.count == 2)
        let (_, report) = try judge(broken, document: sampleDocument, hierarchy: h, trust: trust, crls: crls)
        #expect(report.indication == .totalFailed)
        #expect(report.subIndication == .sigCryptoFailure)
        #expect(report.signatures[0].indication == .totalPassed)
        #expect(report.signatures[1].indication == .totalFailed)
        #expect(report.signatures[1].subIndication == .sigCryptoFailure)
    }
}
