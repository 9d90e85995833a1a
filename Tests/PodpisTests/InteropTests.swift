import Foundation
import Testing
@testable import SigningCore

/// Interop both ways with independent implementations: OpenSSL's own CLI and Python's `cryptography`.
@Suite("Interop")
struct InteropTests {
    struct Files {
        let folder: TemporaryFolder
        let document: String
        let key: String
        let cert: String
        let chain: String
        let root: String
    }

    func files(_ algorithm: Algorithm) throws -> (Files, Hierarchy, IssuedCertificate) {
        let h = Hierarchy.of(algorithm)
        let signer = try h.signer()
        let folder = try TemporaryFolder()
        let files = Files(
            folder: folder, document: try folder.write("doc.bin", sampleDocument),
            key: try folder.write("key.pem", try signer.key.pem(), mode: 0o600),
            cert: try folder.write("cert.pem", try CertificateFiles.pem([signer.certificate])),
            chain: try folder.write("chain.pem", try CertificateFiles.pem([h.ca.certificate])),
            root: try folder.write("root.pem", try CertificateFiles.pem([h.root.certificate])))
        return (files, h, signer)
    }

    func engineArguments(_ algorithm: Algorithm) -> [String] {
        algorithm == .gost ? ["-engine", "gost", "-md", "md_gost12_256"] : []
    }

    @Test("a signature made by `openssl cms -sign -cades` verifies in podpis", arguments: Algorithm.testable)
    func opensslSignsPodpisVerifies(_ algorithm: Algorithm) throws {
        let (f, h, _) = try files(algorithm)
        defer { f.folder.cleanup() }
        let signature = f.folder.file("doc.bin.p7s")
        let made = try runTool("openssl", ["cms", "-sign", "-binary", "-cades", "-in", f.document, "-signer", f.cert, "-inkey", f.key,
                                           "-certfile", f.chain, "-outform", "DER", "-out", signature] + engineArguments(algorithm))
        #expect(made.status == 0, "\(made.stderr)")
        let (evidence, report) = try judge(try FileInput.readSmallFile(path: signature, limit: 1 << 20), document: sampleDocument, hierarchy: h)
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "")")
        #expect(evidence.signers[0].identification.signingCertificateAttribute == .v2)
        #expect(report.signatures[0].format == "CAdES-BASELINE-B")
    }

    @Test("a podpis signature verifies with `openssl cms -verify -cades`", arguments: Algorithm.testable)
    func podpisSignsOpensslVerifies(_ algorithm: Algorithm) throws {
        let (f, h, signer) = try files(algorithm)
        defer { f.folder.cleanup() }
        let signature = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let path = try f.folder.write("doc.bin.sig", signature)
        let verified = try runTool("openssl", ["cms", "-verify", "-cades", "-binary", "-inform", "DER", "-in", path, "-content", f.document,
                                               "-CAfile", f.root, "-purpose", "any", "-out", "/dev/null"] + (algorithm == .gost ? ["-engine", "gost"] : []))
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stderr.contains("Verification successful"))
    }

    @Test("a cosigned podpis signature (GOST + RSA) verifies with openssl", .needsGOST)
    func cosignedVerifiesInOpenSSL() throws {
        let (f, h, signer) = try files(.gost)
        defer { f.folder.cleanup() }
        let first = try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
        let rsa = Hierarchy.rsa
        let both = try Signer.cosign(signature: first, signatureName: nil, content: .bytes(sampleDocument), identity: try rsa.signer().identity,
                                     options: SignatureOptions(rsaPSS: true, chain: [rsa.ca.certificate]))
        let path = try f.folder.write("both.sig", both)
        let roots = try f.folder.write("roots.pem", try CertificateFiles.pem([h.root.certificate, rsa.root.certificate]))
        let verified = try runTool("openssl", ["cms", "-verify", "-cades", "-binary", "-inform", "DER", "-in", path, "-content", f.document,
                                               "-CAfile", roots, "-purpose", "any", "-out", "/dev/null", "-engine", "gost"])
        #expect(verified.status == 0, "\(verified.stderr)")
        let (_, report) = try judge(both, document: sampleDocument, hierarchy: h, trust: TrustStore(anchors: [h.root.certificate, rsa.root.certificate]),
                                    crls: [try h.crl(), try h.crl(by: h.root), try rsa.crl(), try rsa.crl(by: rsa.root)])
        #expect(report.indication == .totalPassed)
        #expect(report.signatures.map(\.algorithms.signature) == ["gost2012-256", "rsa-pss"])
    }

    @Test("a plain PKCS#7 detached signature made by Python's cryptography verifies", .needsPython("cryptography"), arguments: [false, true])
    func pythonCryptography(noAttributes: Bool) throws {
        let (f, h, _) = try files(.rsa)
        defer { f.folder.cleanup() }
        let output = f.folder.file("py.p7s")
        let script = """
            import sys
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.serialization import pkcs7
            doc, key, cert, out, noattr = sys.argv[1:6]
            data = open(doc, 'rb').read()
            k = serialization.load_pem_private_key(open(key, 'rb').read(), None)
            c = x509.load_pem_x509_certificate(open(cert, 'rb').read())
            options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
            if noattr == '1':
                options.append(pkcs7.PKCS7Options.NoAttributes)
            sig = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(c, k, hashes.SHA256()).sign(serialization.Encoding.DER, options)
            open(out, 'wb').write(sig)
            """
        let scriptPath = try f.folder.write("sign.py", Array(script.utf8))
        let made = try runTool("python3", [scriptPath, f.document, f.key, f.cert, output, noAttributes ? "1" : "0"])
        #expect(made.status == 0, "\(made.stderr)")
        let signature = try FileInput.readSmallFile(path: output, limit: 1 << 20)
        let (evidence, report) = try judge(signature, document: sampleDocument, hierarchy: h, certificates: [h.ca.certificate])
        #expect(report.indication == .totalPassed, "\(report.signatures.first?.reason ?? "")")
        #expect(report.signatures[0].format == "CMS")
        #expect(evidence.signers[0].signedAttributes.isEmpty == noAttributes)
        // And a changed document fails with the right sub-indication even without signed attributes.
        let (_, tampered) = try judge(signature, document: sampleDocument + [1], hierarchy: h, certificates: [h.ca.certificate])
        #expect(tampered.indication == .totalFailed)
        #expect(tampered.subIndication == (noAttributes ? .sigCryptoFailure : .hashFailure))
    }
}
