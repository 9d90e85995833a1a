import EvidenceModel
import Foundation
import PodpisReport
import PodpisService
import PolicyEngine
import Testing
@testable import SigningCore
import SigningCoreTestSupport

/// Shapes other producers write that podpis itself does not: counter-signatures, algorithms beyond its own signing
/// set, signatures without signed attributes or certificates (the TC26 examples), BER encodings, damaged and bare
/// timestamps, files named unlike what they hold.
@Suite("Signatures from other systems: counter-signatures, algorithms, TC26 examples, BER, bare timestamps")
struct OtherProducersTests {
    let day: TimeInterval = 86_400

    // MARK: 4. counter-signatures

    @Test("a counter-signature is reported nested under the signature it countersigns, with its own verdict, signer and time", arguments: Algorithm.allCases)
    func counterSignature(_ algorithm: Algorithm) throws {
        let h = Hierarchy.of(algorithm)
        let signer = try h.signer()
        let approver = try h.signer(key: algorithm.kind)
        let signed = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let when = Date().addingTimeInterval(-3600).wholeSeconds
        let countersigned = try Tampering.addCounterSignature(signed, identity: approver.identity, digest: approver.key.defaultDigest, signingTime: when)
        let (evidence, report) = try judge(countersigned, document: sampleDocument, hierarchy: h)
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        let counter = try #require(report.signatures[0].counterSignatures?.first)
        #expect(counter.id == "S0-C0")
        #expect(counter.indication == .totalPassed, "\(counter.reason)")
        #expect(counter.signer?.certificateSHA256 == approver.certificate.fingerprint)
        #expect(counter.claimedSigningTime == when)
        #expect(evidence.signers[0].counterSignatures?.first?.messageDigest.outcome == .valid)
        #expect(evidence.signers[0].counterSignatures?.first?.signatureValue.outcome == .valid)
        // The JSON carries it nested.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder.podpis().encode(report)) as? [String: Any]
        let first = (json?["signatures"] as? [[String: Any]])?.first
        #expect((first?["counterSignatures"] as? [[String: Any]])?.first?["indication"] as? String == "TOTAL-PASSED")
    }

    @Test("a forged counter-signature is TOTAL-FAILED/SIG_CRYPTO_FAILURE on its own; the countersigned signature keeps its verdict")
    func forgedCounterSignature() throws {
        let h = Hierarchy.rsa
        let signed = try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let approver = try h.signer()
        let forged = try Tampering.addCounterSignature(signed, identity: approver.identity, digest: .sha256, breakSignature: true)
        let (_, report) = try judge(forged, document: sampleDocument, hierarchy: h)
        #expect(report.signatures[0].indication == .totalPassed)
        let counter = try #require(report.signatures[0].counterSignatures?.first)
        #expect(counter.indication == .totalFailed)
        #expect(counter.subIndication == .sigCryptoFailure)
        // The protocol a jurist reads shows it under the signature, with its own verdict.
        var russian = report
        russian.lang = "ru"
        let page = try VerificationProtocol.render(report: russian, evidence: nil).html
        #expect(page.contains("Заверяющие подписи"))
        #expect(page.contains("TOTAL-FAILED / SIG_CRYPTO_FAILURE"))
        // A counter-signature over another signature value: its message digest does not match.
        let other = try Signer.sign(.bytes(Array("другое".utf8)), identity: try h.signer().identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let moved = try Tampering.addCounterSignature(other, identity: approver.identity, digest: .sha256)
        let counterAttribute = try #require(try counterSignatureValue(moved))
        let grafted = try Tampering.addUnsignedAttribute(signed, oid: OID.counterSignature, value: counterAttribute)
        let (_, graftedReport) = try judge(grafted, document: sampleDocument, hierarchy: h)
        #expect(graftedReport.signatures[0].counterSignatures?.first?.subIndication == .hashFailure)
    }

    func counterSignatureValue(_ signature: [UInt8]) throws -> [UInt8]? {
        let cms = try CMSMessage.parse(der: signature, subject: nil)
        let attributes = SignerAttributes(signerInfo: cms.signerInfos[0])
        return attributes.unsigned(oid: OID.counterSignature).first.flatMap { $0.valuesDER.first }
    }

    // MARK: 5. algorithms

    @Test("an algorithm OpenSSL cannot process: INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE naming it, never TOTAL-FAILED")
    func unknownDigestAlgorithm() throws {
        let h = Hierarchy.rsa
        let signed = try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity, options: SignatureOptions(chain: [h.ca.certificate]))
        // The SignerInfo's digest algorithm becomes 2.16.840.1.101.3.4.2.127 (same length as SHA-256's OID: no
        // algorithm at all); RSA's signature algorithm (rsaEncryption) names no hash, so RFC 8933 has nothing to compare.
        let sha256 = TestDER.oid(DigestAlgorithm.sha256.oid)
        var patched = signed
        let positions = (0...(patched.count - sha256.count)).filter { Array(patched[$0..<($0 + sha256.count)]) == sha256 }
        for position in positions { patched[position + sha256.count - 1] = 0x7F }
        let (_, report) = try judge(patched, document: sampleDocument, hierarchy: h)
        #expect(report.indication == .indeterminate)
        #expect(report.subIndication == .cryptoConstraintsFailure)
        #expect(report.signatures[0].reason.contains("2.16.840.1.101.3.4.2.127"), "\(report.signatures[0].reason)")
    }

    @Test("SHA3-224 (a DSS file, RSA with SHA3-224): processed; the mismatched SHA3-224/SHA-256 pair stays TOTAL-FAILED (RFC 8933)",
          .enabled(if: RealWorld.available, "../shared/testdata/real-world is absent: skipped"))
    func sha3_224() throws {
        let (good, _) = try RealWorld.judge("dss-cades/dss-1419/CAdES-BpB-att-SHA3_224-SHA3_224withRSA.p7m")
        #expect(good.signers[0].algorithms.digest == "sha3-224")
        #expect(good.signers[0].messageDigest.outcome == .valid)
        #expect(good.signers[0].signatureValue.outcome == .valid)
        let (_, mismatched) = try RealWorld.judge("dss-cades/dss-1419/CAdES-BpB-att-SHA3_224-SHA256withRSA.p7m")
        #expect(mismatched.indication == .totalFailed)
        #expect(mismatched.subIndication == .sigCryptoFailure)
    }

    // MARK: 6. no signed attributes, no certificate (TC26 examples)

    @Test("TC26 A.1.2.1 (GOST 256, no signed attributes) with its certificate stripped: INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND alone; with --cert the signature value is verified and the path is valid (RFC 5280 §6)")
    func tc26WithoutCertificate() throws {
        let (der, _) = try SignatureDecoder.decode(Array(TC26Samples.signedA121.utf8), subject: nil)
        let stripped = try Tampering.replaceCertificates(der, with: [])
        let root = try X509Certificate.parseAll(Array(TC26Samples.root256.utf8))
        let sender = try X509Certificate.parseAll(Array(TC26Samples.sender256.utf8))
        func run(_ certificates: [X509Certificate]) throws -> (Evidence, Report) {
            try Verifier.verify(VerificationInput(signature: stripped, signatureName: "a121.p7m", document: nil, trust: TrustStore(anchors: root),
                                certificates: certificates))
        }
        let (_, alone) = try run([])
        #expect(alone.indication == .indeterminate)
        #expect(alone.subIndication == .noSigningCertificateFound)
        #expect(!alone.signatures[0].checks.contains { $0.status == .failed && $0.id != "signer-certificate" })
        let (evidence, supplied) = try run(sender)
        #expect(evidence.signers[0].identification.foundIn == .supplied)
        #expect(evidence.signers[0].signatureValue.outcome == .valid)
        #expect(evidence.signers[0].messageDigest.outcome == .valid)
        #expect(supplied.signatures[0].checks.first { $0.id == "signature-value" }?.status == .passed)
        #expect(supplied.signatures[0].checks.first { $0.id == "integrity" }?.status == .passed)
        // The TC26 certificates carry the obsolete authority key identifier (2.5.29.1) instead of 2.5.29.35, and the
        // root has no basicConstraints: RFC 5280 §6 does not look at either (§6.1.1 (d) takes the anchor as a name and
        // a key; the key identifiers only help to build the path), so the path is valid.
        #expect(supplied.signatures[0].checks.first { $0.id == "chain" }?.status == .passed)
        #expect(supplied.indication == .totalPassed, "\(supplied.signatures[0].reason)")
    }

    @Test("TC26 A.1.1.1 (GOST 512, signed attributes) verifies cryptographically; its content is the TC26 control text")
    func tc26WithSignedAttributes() throws {
        let root = try X509Certificate.parseAll(Array(TC26Samples.root256.utf8))
        let (evidence, _) = try Verifier.verify(VerificationInput(signature: Array(TC26Samples.signedA111.utf8), signatureName: "a111.pem", document: nil,
                                                trust: TrustStore(anchors: root)))
        #expect(evidence.signers[0].algorithms.digest == "streebog512")
        #expect(evidence.signers[0].algorithms.keyType?.rawValue == "gost2012-512")
        #expect(evidence.signers[0].messageDigest.outcome == .valid)
        #expect(evidence.signers[0].signatureValue.outcome == .valid)
        #expect(evidence.document?.digests["sha256"] == hex(try MultiDigest.digest(.sha256, TC26Samples.content)))
    }

    @Test("openssl cms -sign -nocerts -noattr: INDETERMINATE/NO_SIGNING_CERTIFICATE_FOUND alone; TOTAL-PASSED with --cert",
          .enabled(if: ToolCheck.openssl, "openssl is not installed: skipped"))
    func opensslNoCertsNoAttributes() throws {
        let h = Hierarchy.rsa
        let signer = try h.signer()
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let document = try folder.write("doc.txt", sampleDocument)
        let cert = try folder.write("cert.pem", try CertificateFiles.pem([signer.certificate]))
        let key = try folder.write("key.pem", try signer.key.pem(), mode: 0o600)
        let output = folder.file("doc.p7s")
        let result = try runTool("openssl", ["cms", "-sign", "-nocerts", "-noattr", "-binary", "-md", "sha256", "-in", document,
                                             "-signer", cert, "-inkey", key, "-outform", "DER", "-out", output])
        #expect(result.status == 0, "\(result.stderr)")
        let signature = try FileInput.readSmallFile(path: output, limit: 1 << 20)
        let (_, alone) = try judge(signature, document: sampleDocument, hierarchy: h)
        #expect(alone.indication == .indeterminate)
        #expect(alone.subIndication == .noSigningCertificateFound)
        let (_, full) = try judge(signature, document: sampleDocument, hierarchy: h, certificates: [signer.certificate, h.ca.certificate])
        #expect(full.indication == .totalPassed, "\(full.signatures[0].reason)")
        #expect(full.signatures[0].format == "CMS")
        let (_, changed) = try judge(signature, document: Array("changed".utf8), hierarchy: h, certificates: [signer.certificate])
        #expect(changed.indication == .totalFailed)
    }

    // MARK: 7. BER

    @Test("a BER-encoded LTA signature: the archive timestamp is checked through the DER re-encoding (LTA, PASSED); one that no longer matches is INDETERMINATE with the reason, and the level is not LTA")
    func berArchiveTimestamp() throws {
        let h = Hierarchy.rsa
        let (authority, _) = try h.authority()
        let stamped = try h.timestampedSignature(try h.signer(), authority: authority)
        let lt = try LongTermExtender.extend(signature: stamped, subject: nil, trust: h.trust, crls: [try h.crl(), try h.crl(by: h.root)],
                                             revocation: .offline).bytes
        let lta = try ArchiveTimestamps.add(to: lt, subject: nil, document: .bytes(name: nil, sampleDocument),
                                            client: TimestampClient(source: LocalTimestampSource(authority))).bytes
        let ber = TestDER.berSkeleton(lta)
        #expect(ber != lta && ber[1] == 0x80)
        let (evidence, report) = try judge(ber, document: sampleDocument, hierarchy: h)
        #expect(report.indication == .totalPassed, "\(report.signatures[0].reason)")
        #expect(report.signatures[0].format == "CAdES-BASELINE-LTA")
        let archive = try #require(evidence.signers[0].timestamps.first { $0.type == .archive })
        #expect(archive.imprint.outcome == .valid, "\(archive.imprint.detail ?? "")")

        // A certificate the archive timestamp covers is removed: in DER that is a broken imprint (FAILED); in BER
        // podpis cannot tell its re-encoding from a change, so the timestamp proves nothing and says why.
        let certificates = try CMSMessage.parse(der: lta, subject: nil).certificates
        let fewer = try Tampering.replaceCertificates(lta, with: Array(certificates.dropLast()))
        let (_, derReport) = try judge(fewer, document: sampleDocument, hierarchy: h)
        #expect(derReport.signatures[0].timestamps.last?.indication == .failed)
        let (berEvidence, berReport) = try judge(TestDER.berSkeleton(fewer), document: sampleDocument, hierarchy: h)
        let berArchive = try #require(berReport.signatures[0].timestamps.last)
        #expect(berArchive.type == .archive)
        #expect(berArchive.indication == .indeterminate)
        #expect(berArchive.subIndication == .signedDataNotFound)
        #expect(berArchive.reason?.contains("BER") == true, "\(berArchive.reason ?? "")")
        #expect(berEvidence.signers[0].level == .lt)
        #expect(berReport.signatures[0].format == "CAdES-BASELINE-LT")
    }

    @Test("DSS's BER and DER files with signed attributes out of DER order verify (the signature is over their DER)",
          .enabled(if: RealWorld.available, "../shared/testdata/real-world is absent: skipped"))
    func reorderedSignedAttributes() throws {
        for file in ["dss-cades/dss-667/BER_reordered_prova.txt.p7m", "dss-cades/dss-667/DER_reordered_prova.txt.p7m"] {
            let (evidence, _) = try RealWorld.judge(file)
            #expect(evidence.signers[0].signatureValue.outcome == .valid, "\(file)")
            #expect(evidence.signers[0].messageDigest.outcome == .valid, "\(file)")
        }
    }

    // MARK: 8. an unparseable timestamp

    @Test("a signature-time-stamp that cannot be parsed is FAILED/FORMAT_FAILURE and does not make the signature CAdES-T")
    func unparseableTimestamp() throws {
        let h = Hierarchy.ec
        let signed = try Signer.sign(.bytes(sampleDocument), identity: try h.signer().identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let garbage = TestDER.sequence([TestDER.oid("1.2.840.113549.1.7.2"), TestDER.tlv(0xA0, TestDER.sequence([[0x02, 0x01, 0x03]]))])
        let broken = try Tampering.attachTimestamp(signed, token: garbage)
        let (evidence, report) = try judge(broken, document: sampleDocument, hierarchy: h)
        #expect(evidence.signers[0].level == .b)
        #expect(report.signatures[0].format == "CAdES-BASELINE-B")
        let stamp = try #require(report.signatures[0].timestamps.first)
        #expect(stamp.indication == .failed)
        #expect(stamp.subIndication == .formatFailure)
        let inspection = try Inspector.inspect(broken, subject: nil)
        #expect(inspection.signers[0].level == .b)
    }

    // MARK: 9. a bare RFC 3161 token

    @Test("a bare token (.tst) and a timestamp response (.tsr): signatures [] and a top-level timestamp; alone SIGNED_DATA_NOT_FOUND, over its document TOTAL-PASSED, over another HASH_FAILURE")
    func bareTimestampToken() throws {
        let h = Hierarchy.gost
        let (authority, tsa) = try h.authority()
        let client = TimestampClient(source: LocalTimestampSource(authority))
        let token = try client.token(over: sampleDocument, digest: .streebog256)
        let request = try client.buildRequest(digest: .streebog256, hash: try MultiDigest.digest(.streebog256, sampleDocument), nonce: [1, 2, 3])
        let response = try authority.respond(to: request)
        for (name, bytes) in [("order.tst", token), ("order.tsr", response)] {
            func run(_ document: [UInt8]?) throws -> (Evidence, Report) {
                try Verifier.verify(VerificationInput(signature: bytes, signatureName: name, document: document.map { .bytes(name: "order.pdf", $0) },
                                    trust: h.trust))
            }
            let (evidence, alone) = try run(nil)
            #expect(alone.signatures.isEmpty)
            #expect(evidence.signers.isEmpty)
            #expect(alone.indication == .indeterminate, "\(name)")
            #expect(alone.subIndication == .signedDataNotFound, "\(name)")
            let stamp = try #require(alone.timestamps?.first)
            #expect(stamp.type == .standalone)
            #expect(stamp.tsa == tsa.certificate.subject)
            #expect(stamp.imprintAlgorithm == "streebog256")
            #expect(stamp.imprint == hex(try MultiDigest.digest(.streebog256, sampleDocument)))
            let (_, matching) = try run(sampleDocument)
            #expect(matching.indication == .totalPassed, "\(name): \(matching.documentChecks)")
            #expect(matching.timestamps?.first?.indication == .passed)
            let (_, other) = try run(Array("другой документ".utf8))
            #expect(other.indication == .totalFailed)
            #expect(other.subIndication == .hashFailure)
            // The JSON carries the top-level list; signatures stay an empty array.
            let json = try JSONSerialization.jsonObject(with: JSONEncoder.podpis().encode(matching)) as? [String: Any]
            #expect((json?["signatures"] as? [Any])?.isEmpty == true)
            #expect((json?["timestamps"] as? [[String: Any]])?.first?["type"] as? String == "standalone")
            // The protocol shows the token on its own, named as what it is.
            let page = try VerificationProtocol.render(report: matching, evidence: nil).html
            #expect(page.contains("Timestamps given without a signature") && page.contains("standalone timestamp (RFC 3161)"))
            #expect(!page.contains("ts-type-"))
        }
        // Untrusted TSA: INDETERMINATE, never PASSED.
        let (_, untrusted) = try Verifier.verify(VerificationInput(signature: token, signatureName: "x.tst", document: .bytes(name: "x", sampleDocument),
                                                 trust: Hierarchy.rsa.trust))
        #expect(untrusted.indication == .indeterminate)
        #expect(untrusted.subIndication == .noCertificateChainFound)
    }

    // MARK: 10. attached or detached by content

    @Test("verify FILE decides by content: a signature named .pem/.der/.txt is read alone, a .tsr is a timestamp, DOC.sig beside wins, anything else is 66")
    func contentSniffing() throws {
        let h = Hierarchy.rsa
        let signer = try h.signer()
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        var options = SignatureOptions(chain: [h.ca.certificate])
        options.attached = true
        let attached = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: options)
        let root = try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate]))
        let crl = try folder.write("ca.crl", try h.crl().der)
        let rootCRL = try folder.write("root.crl", try h.crl(by: h.root).der)
        let common = ["--trust", root, "--crl", crl, "--crl", rootCRL, "--offline", "--json"]
        let pemBody = "-----BEGIN CMS-----\n" + Data(attached).base64EncodedString(options: .lineLength64Characters) + "\n-----END CMS-----\n"
        for (name, bytes) in [("signed.pem", Array(pemBody.utf8)), ("signed.der", attached), ("letter.txt", Array(Data(attached).base64EncodedString().utf8))] {
            let path = try folder.write(name, bytes)
            let result = try CLI.run(["verify", path] + common)
            #expect(result.status == 0, "\(name): \(result.stderr)")
        }
        let (authority, _) = try Hierarchy.rsa.authority()
        let token = try TimestampClient(source: LocalTimestampSource(authority)).token(over: sampleDocument, digest: .sha256)
        let tsr = try folder.write("stamp.tsr", token)
        let stamp = try CLI.run(["verify", tsr] + common)
        #expect(stamp.status == 2, "\(stamp.stdout) \(stamp.stderr)")
        #expect(stamp.stdout.contains("\"timestamps\""))
        let document = try folder.write("order.pdf", sampleDocument)
        let withDocument = try CLI.run(["verify", document, tsr] + common)
        #expect(withDocument.status == 0, "\(withDocument.stdout)")
        // DOC with DOC.sig beside it: detached, as before.
        let detached = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        _ = try folder.write("order.pdf.sig", detached)
        #expect(try CLI.run(["verify", document] + common).status == 0)
        // Plain text with nothing beside it: 66, one line.
        let text = try folder.write("notes.txt", Array("just a note\n".utf8))
        let none = try CLI.run(["verify", text, "--offline"])
        #expect(none.status == 66)
        #expect(none.stderr.split(separator: "\n").count == 1)
    }

    // MARK: 12. certificate files with text before each block

    @Test("--trust and --cert files as `openssl x509 -text` and `-print_certs` write them (text before BEGIN) are read",
          .enabled(if: ToolCheck.openssl, "openssl is not installed: skipped"))
    func certificatesWithText() throws {
        let h = Hierarchy.rsa
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let rootPEM = try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate]))
        let caPEM = try folder.write("ca.pem", try CertificateFiles.pem([h.ca.certificate]))
        let withText = try runTool("openssl", ["x509", "-in", rootPEM, "-text"])
        #expect(withText.status == 0)
        let trustFile = try folder.write("root-text.pem", Array(withText.stdout.utf8))
        let printed = try runTool("openssl", ["crl2pkcs7", "-nocrl", "-certfile", caPEM, "-certfile", rootPEM])
        let bundle = try folder.write("bundle.p7b", Array(printed.stdout.utf8))
        let chain = try runTool("openssl", ["pkcs7", "-in", bundle, "-print_certs"])
        #expect(chain.stdout.hasPrefix("subject=") || chain.stdout.contains("subject="), "\(chain.stdout.prefix(80))")
        let chainFile = try folder.write("chain.pem", Array(chain.stdout.utf8))
        #expect(try CertificateFiles.load(paths: [trustFile]).map(\.fingerprint) == [h.root.certificate.fingerprint])
        #expect(Set(try CertificateFiles.load(paths: [chainFile]).map(\.fingerprint)) == Set([h.root.certificate.fingerprint, h.ca.certificate.fingerprint]))
        // And through the CLI (the one test of `verify --cert`): a signature whose CA comes only from that file,
        // trusted by the text-laden root.
        let signer = try h.signer()
        let signature = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: []))
        let document = try folder.write("doc.txt", sampleDocument)
        let sig = try folder.write("doc.txt.sig", signature)
        let crl = try folder.write("ca.crl", try h.crl().der)
        let rootCRL = try folder.write("root.crl", try h.crl(by: h.root).der)
        let result = try CLI.run(["verify", document, sig, "--trust", trustFile, "--cert", chainFile, "--crl", crl, "--crl", rootCRL, "--offline"])
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
    }
}

/// Which optional tools are installed.
enum ToolCheck {
    static let openssl: Bool = (try? runTool("openssl", ["version"]).status) == 0
}
