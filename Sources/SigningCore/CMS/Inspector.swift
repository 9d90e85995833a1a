import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// A readable description of a signature file's structure, without any validation.
public struct Inspection: Codable, Sendable {
    public struct Signer: Codable, Sendable {
        public var id: String
        public var identifier: String
        public var identifierValue: String
        public var digest: String
        public var signature: String
        public var signingTime: Date?
        public var level: EvidenceLevel
        public var signedAttributes: [String]
        public var unsignedAttributes: [String]
        public var certificate: String?
        /// The TS 101 733 long-term form (`CAdES-X Long Type 1`, ...), when the signer is written in one.
        public var profile: String?
        /// Counter-signatures over this signer's signature, by signer id (`S0-C0`, ...).
        public var counterSignatures: [String]?
    }
    /// What a bare RFC 3161 token (`.tst`, `.tsr`) stamps.
    public struct TimestampInfo: Codable, Sendable {
        public var genTime: Date
        public var serial: String
        public var policy: String?
        public var imprintAlgorithm: String
        public var imprint: String
        public var tsa: String?
    }
    public struct CRLInfo: Codable, Sendable {
        public var issuer: String
        public var thisUpdate: Date?
        public var nextUpdate: Date?
        public var sha256: String
    }
    public var encoding: String
    public var content: String
    public var contentType: String
    public var contentSize: Int?
    public var signers: [Signer]
    public var certificates: [CertificateInfo]
    public var crls: [CRLInfo]
    /// For a bare timestamp token: what it stamps. Absent for signatures.
    public var timestamp: TimestampInfo?
}

public enum Inspector {
    /// Names of the attributes podpis knows, for display.
    public static let attributeNames: [String: String] = [
        OID.contentType: "content-type", OID.messageDigest: "message-digest", OID.signingTime: "signing-time",
        OID.signingCertificate: "signing-certificate", OID.signingCertificateV2: "signing-certificate-v2",
        OID.signatureTimeStamp: "signature-time-stamp", OID.contentTimeStamp: "content-time-stamp",
        OID.archiveTimeStampV3: "archive-time-stamp-v3", OID.revocationValues: "revocation-values",
        OID.certificateValues: "certificate-values", "1.2.840.113549.1.9.15": "smime-capabilities",
        "1.2.840.113549.1.9.16.2.15": "signature-policy-identifier", "1.2.840.113549.1.9.16.2.16": "commitment-type",
        "1.2.840.113549.1.9.16.2.17": "signer-location", "1.2.840.113549.1.9.6": "counter-signature",
        "1.2.840.113549.1.9.16.2.21": "complete-certificate-references", "1.2.840.113549.1.9.16.2.22": "complete-revocation-references",
        "0.4.0.19122.1.4": "signer-attributes-v2", "0.4.0.1733.2.5": "ats-hash-index", "0.4.0.19122.1.5": "ats-hash-index-v3",
        "1.2.840.113549.1.9.16.2.25": "CAdES-C-time-stamp", "1.2.840.113549.1.9.16.2.26": "time-stamped-certs-crls-references",
        "1.2.840.113549.1.9.16.2.27": "archive-time-stamp (v1)", "1.2.840.113549.1.9.16.2.48": "archive-time-stamp-v2",
    ]

    public static func name(_ oid: String) -> String { attributeNames[oid] ?? oid }

    public static func inspect(_ bytes: [UInt8], subject: String?) throws -> Inspection {
        CryptoLibrary.initialize()
        let (der, encoding) = try SignatureDecoder.decode(bytes, subject: subject)
        let cms = try CMSMessage.parse(der: der, subject: subject)
        let certificates = cms.certificates
        // The level and the long-term form come from the same examination `verify` makes (offline, with no
        // document and no trust anchors), so that inspect and verify always name the same level.
        let evidence = try? EvidenceCollector.collect(VerificationRequest(signature: der, signatureName: subject, trust: TrustStore(anchors: [])))
        var timestamp: Inspection.TimestampInfo? = nil
        if let stamp = evidence?.timestamps?.first, let token = try? TimestampToken.parse(der) {
            timestamp = Inspection.TimestampInfo(
                genTime: stamp.genTime, serial: stamp.serial, policy: stamp.policy, imprintAlgorithm: stamp.imprintAlgorithm,
                imprint: hex(token.imprint), tsa: stamp.tsaCertificate.flatMap { evidence?.certificates[$0]?.subject })
        }
        var signers: [Inspection.Signer] = []
        for (index, si) in cms.signerInfos.enumerated() where timestamp == nil {
            let attributes = SignerAttributes(signerInfo: si)
            let identifier = EvidenceCollector.signerIdentifier(si)
            var signatureAlgorithm: UnsafeMutablePointer<X509_ALGOR>? = nil
            CMS_SignerInfo_get0_algs(si.pointer, nil, nil, nil, &signatureAlgorithm)
            var object: OpaquePointer? = nil
            X509_ALGOR_get0(&object, nil, nil, signatureAlgorithm)
            let signed = attributes.signedOIDs()
            let unsigned = attributes.unsignedOIDs()
            let examined = evidence.flatMap { index < $0.signers.count ? $0.signers[index] : nil }
            let cert = certificates.first { CMS_SignerInfo_cert_cmp(si.pointer, $0.pointer) == 0 }
            clearOpenSSLErrors()
            signers.append(Inspection.Signer(
                id: "S\(index)", identifier: identifier.kind, identifierValue: identifier.value,
                digest: Signer.signerDigest(si)?.name ?? "unknown",
                signature: signatureScheme(oid: oidText(object)).scheme,
                signingTime: attributes.signed(NID_pkcs9_signingTime).first.flatMap(\.time),
                level: examined?.level ?? .cms, signedAttributes: signed.map(name), unsignedAttributes: unsigned.map(name),
                certificate: cert?.subject, profile: examined?.longTerm?.form,
                counterSignatures: examined?.counterSignatures.map { $0.map(\.id) }))
        }
        var infos = certificates.map { $0.info() }
        for index in infos.indices { infos[index].der = "" }
        return Inspection(
            encoding: encoding.rawValue, content: cms.attachedContent == nil ? "detached" : "attached",
            contentType: cms.eContentTypeOID, contentSize: cms.attachedContent?.count, signers: signers,
            certificates: infos,
            crls: cms.crls.map { Inspection.CRLInfo(issuer: $0.issuer, thisUpdate: $0.thisUpdate, nextUpdate: $0.nextUpdate, sha256: $0.fingerprint) },
            timestamp: timestamp)
    }
}

/// The digest algorithms a signature's signers use (to hash a streamed document with only what is needed).
public enum SignatureAlgorithms {
    public static func digests(in signature: [UInt8]) throws -> Set<DigestAlgorithm> {
        CryptoLibrary.initialize()
        let (der, _) = try SignatureDecoder.decode(signature, subject: nil)
        let cms = try CMSMessage.parse(der: der, subject: nil)
        return Set(cms.signerInfos.compactMap(Signer.signerDigest))
    }
}
