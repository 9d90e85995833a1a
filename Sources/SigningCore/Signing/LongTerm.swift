import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// CAdES-LT: puts every certificate of the signers' and the TSAs' paths, and revocation data for each, into the
/// SignedData, so the signature verifies offline long after the certificates expire and the CAs go away.
public enum LongTermExtender {
    public struct Outcome: Sendable {
        public var bytes: [UInt8]
        public var certificatesAdded: Int
        public var crlsAdded: Int
        public var ocspAdded: Int
    }

    /// - Parameters:
    ///   - trust: anchors that end the paths (needed to know which certificates the paths hold).
    ///   - revocation: how to obtain revocation data not already supplied.
    public static func extend(
        signature: [UInt8], subject: String?, trust: TrustStore, certificates: [X509Certificate] = [],
        crls: [CertificateRevocationList] = [], ocspResponses: [[UInt8]] = [], revocation: RevocationPolicy = RevocationPolicy()
    ) throws -> Outcome {
        CryptoLibrary.initialize()
        let (der, encoding) = try SignatureDecoder.decode(signature, subject: subject)
        let evidence = try EvidenceCollector.collect(VerificationRequest(
            signature: der, signatureName: subject, document: nil, trust: trust, certificates: certificates, crls: crls,
            ocspResponses: ocspResponses, revocation: revocation))
        guard evidence.format.parsed else { throw PodpisError(.dataFormat, evidence.format.error ?? "not a signature", subject: subject) }

        // Every path (signers and their timestamps) must reach an anchor, and every element must have a status.
        var pathCertificates: [String] = []
        var needRevocation: [(String, String)] = []  // (certificate, issuer)
        for signer in evidence.signers {
            guard !signer.timestamps.isEmpty else {
                throw PodpisError(.usage, "signer \(signer.id) has no signature-time-stamp: CAdES-LT needs CAdES-T first (give --tsa)", subject: subject)
            }
            let chains = signer.chains.filter { $0.purpose == .validationTime } + signer.timestamps.flatMap { $0.chains.filter { $0.purpose == .validationTime } }
            for chain in chains {
                guard chain.reachesTrustAnchor else {
                    let top = chain.path.last.flatMap { evidence.certificates[$0.certificate]?.subject } ?? "?"
                    throw PodpisError(.dataFormat, "cannot build a path to a trust anchor from «\(top)»: give --trust and --cert", subject: subject)
                }
                for (index, element) in chain.path.enumerated() {
                    pathCertificates.append(element.certificate)
                    if index + 1 < chain.path.count {
                        guard element.revocation.status != .unknown else {
                            let name = evidence.certificates[element.certificate]?.subject ?? element.certificate
                            throw PodpisError(.unavailable, "no revocation data could be obtained for «\(name)»\(element.revocation.problems.first.map { " (\($0))" } ?? "")", subject: subject)
                        }
                        needRevocation.append((element.certificate, chain.path[index + 1].certificate))
                    }
                }
            }
        }

        let cms = try CMSMessage.parse(der: der, subject: subject)
        let present = Set(cms.certificates.map(\.fingerprint))
        var pool: [String: X509Certificate] = [:]
        for cert in cms.certificates + certificates + trust.anchors { pool[cert.fingerprint] = cert }
        for (fingerprint, info) in evidence.certificates where pool[fingerprint] == nil {
            if let bytes = Data(base64Encoded: info.der), let cert = try? X509Certificate(der: [UInt8](bytes)) { pool[fingerprint] = cert }
        }
        var certificatesAdded = 0
        var seen = present
        for fingerprint in pathCertificates where seen.insert(fingerprint).inserted {
            guard let cert = pool[fingerprint] else { continue }
            guard CMS_add1_cert(cms.pointer, cert.pointer) == 1 else { throw PodpisError.openSSL(.software, "cannot add a certificate") }
            certificatesAdded += 1
        }

        // Revocation data: what was supplied or embedded, plus a fetch for the rest (the cache makes it cheap).
        var availableCRLs = crls + cms.crls
        var availableOCSP = ocspResponses + EmbeddedRevocation.ocspResponses(inSignedData: der)
        let pairs = needRevocation.compactMap { pair -> (certificate: X509Certificate, issuer: X509Certificate)? in
            guard let cert = pool[pair.0], let issuer = pool[pair.1] else { return nil }
            return (cert, issuer)
        }
        let untrusted = Array(pool.values)
        func facts(_ pair: (certificate: X509Certificate, issuer: X509Certificate)) -> RevocationEvidence {
            var validator = ChainValidator(trust: trust, untrusted: untrusted, crls: availableCRLs, sources: [:])
            validator.ocspResponses = availableOCSP
            return validator.revocationFacts(for: pair.certificate, issuer: pair.issuer, anchor: nil, at: Date())
        }
        let missing = pairs.filter { facts($0).status == .unknown }
        if !missing.isEmpty, revocation.online {
            let fetched = RevocationFetcher(policy: revocation).fetch(pairs: missing)
            availableCRLs += fetched.crls.map(\.0)
            availableOCSP += fetched.ocsp.map(\.bytes)
        }

        // Embed, per path element, the CRLs (complete, delta, indirect) and OCSP answers that establish its status.
        var crlsAdded = 0
        var embeddedCRLs = Set(cms.crls.map(\.fingerprint))
        var ocspToAdd: [[UInt8]] = []
        var ocspSeen = Set(EmbeddedRevocation.ocspResponses(inSignedData: der).map { SHA256.hex($0) })
        for pair in pairs {
            let status = facts(pair)
            guard status.status != .unknown else {
                let why = status.problems.first.map { ": \($0)" } ?? ""
                throw PodpisError(.unavailable, "no usable revocation data could be obtained for «\(pair.certificate.subject)»\(why)", subject: subject)
            }
            let used = Set((status.considered ?? []).filter { $0.outcome == .used }.map(\.sha256))
            for response in availableOCSP where used.contains(SHA256.hex(response)) && ocspSeen.insert(SHA256.hex(response)).inserted {
                ocspToAdd.append(response)
            }
            for crl in availableCRLs where used.contains(crl.fingerprint) && embeddedCRLs.insert(crl.fingerprint).inserted {
                guard CMS_add1_crl(cms.pointer, crl.pointer) == 1 else { throw PodpisError.openSSL(.software, "cannot add a CRL") }
                crlsAdded += 1
            }
        }
        var result = try cms.der()
        result = try EmbeddedRevocation.addOCSPResponses(ocspToAdd, toSignedData: result)
        let final = try Timestamper.encode(try CMSMessage.parse(der: result, subject: subject), as: encoding)
        return Outcome(bytes: final, certificatesAdded: certificatesAdded, crlsAdded: crlsAdded, ocspAdded: ocspToAdd.count)
    }
}
