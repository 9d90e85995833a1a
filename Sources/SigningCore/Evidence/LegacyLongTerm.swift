import EvidenceModel
import Foundation

/// The validation data of the older CAdES forms (ETSI TS 101 733, kept in EN 319 122-1 annex A): CAdES-C
/// (complete-certificate-references, complete-revocation-references), CAdES-X Type 1/2 (a CAdES-C-time-stamp over
/// the signature and the references, or a time-stamped-certs-crls-references over the references only) and
/// CAdES-X Long (certificate-values and revocation-values beside them). CryptoPro CSP writes CAdES-X Long Type 1
/// as its long-term signature; КриптоАРМ, ViPNet and the ФНС tools do the same.
///
/// Reading only: the attributes are parsed, the references matched against the values, and the two timestamp
/// imprints computed as TS 101 733 §6.3.5/§6.3.6 and the EU DSS library do (the signature value's octets, then for
/// each covered attribute the DER of its type and of its SET of values).
enum LegacyLongTerm {
    static let certificateRefsOID = "1.2.840.113549.1.9.16.2.21"
    static let revocationRefsOID = "1.2.840.113549.1.9.16.2.22"
    static let certificateValuesOID = "1.2.840.113549.1.9.16.2.23"
    static let revocationValuesOID = "1.2.840.113549.1.9.16.2.24"
    /// id-aa-ets-escTimeStamp: the CAdES-C-time-stamp (CAdES-X Type 1).
    static let escTimeStampOID = "1.2.840.113549.1.9.16.2.25"
    /// id-aa-ets-certCRLTimestamp: time-stamped-certs-crls-references (CAdES-X Type 2).
    static let certCRLTimestampOID = "1.2.840.113549.1.9.16.2.26"
    /// CMS countersignature (RFC 5652 §11.4).
    static let counterSignatureOID = "1.2.840.113549.1.9.6"

    /// OtherHash ::= CHOICE { sha1Hash OCTET STRING, otherHash SEQUENCE { hashAlgorithm, hashValue OCTET STRING } }.
    struct OtherHash {
        var algorithmOID: String
        var algorithm: DigestAlgorithm?
        var value: [UInt8]

        var name: String { algorithm?.name ?? algorithmOID }

        init?(_ der: [UInt8], _ node: DER.Node) {
            if node.tag == 0x04 {
                algorithm = .sha1
                algorithmOID = DigestAlgorithm.sha1.oid
                value = Array(der[node.contentRange])
                return
            }
            guard node.tag == 0x30 else { return nil }
            let parts = DER.children(of: node, in: der)
            guard parts.count == 2, parts[0].tag == 0x30, parts[1].tag == 0x04,
                  let oidNode = DER.children(of: parts[0], in: der).first, oidNode.tag == 0x06,
                  let oid = DER.oid(der[oidNode.contentRange])
            else { return nil }
            algorithmOID = oid
            algorithm = DigestAlgorithm(oid: oid)
            value = Array(der[parts[1].contentRange])
        }

        /// Whether this hash is the hash of `bytes`; nil when the algorithm is not available.
        func matches(_ bytes: [UInt8]) -> Bool? {
            guard let algorithm, let digest = try? MultiDigest.digest(algorithm, bytes) else { return nil }
            return digest == value
        }
    }

    struct CertificateReference {
        var hash: OtherHash
        /// IssuerSerial, as text (`issuer DN / serial hex`), when present.
        var issuerSerial: String?
    }

    struct RevocationReference {
        /// `crl` or `ocsp`.
        var kind: ReferenceKind
        /// CRLs always carry a hash; OCSP references may not (ocspRepHash is OPTIONAL).
        var hash: OtherHash?
        var detail: String?
    }

    /// CompleteCertificateRefs ::= SEQUENCE OF OtherCertID; OtherCertID ::= SEQUENCE { otherCertHash, issuerSerial OPTIONAL }.
    static func certificateReferences(_ der: [UInt8]) -> [CertificateReference]? {
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30 else { return nil }
        var result: [CertificateReference] = []
        for item in DER.children(of: outer, in: der) {
            guard item.tag == 0x30, let first = DER.children(of: item, in: der).first, let hash = OtherHash(der, first) else { return nil }
            var issuerSerial: String? = nil
            let fields = DER.children(of: item, in: der)
            if fields.count > 1, fields[1].tag == 0x30 {
                let parts = DER.children(of: fields[1], in: der)
                if parts.count == 2, parts[1].tag == 0x02 {
                    issuerSerial = hex(Array(der[parts[1].contentRange]), uppercase: true)
                }
            }
            result.append(CertificateReference(hash: hash, issuerSerial: issuerSerial))
        }
        return result
    }

    /// CompleteRevocationRefs ::= SEQUENCE OF CrlOcspRef; CrlOcspRef ::= SEQUENCE { crlids [0] CRLListID OPTIONAL,
    /// ocspids [1] OcspListID OPTIONAL, otherRev [2] OtherRevRefs OPTIONAL }.
    static func revocationReferences(_ der: [UInt8]) -> [RevocationReference]? {
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30 else { return nil }
        var result: [RevocationReference] = []
        for crlOcspRef in DER.children(of: outer, in: der) {
            guard crlOcspRef.tag == 0x30 else { return nil }
            for tagged in DER.children(of: crlOcspRef, in: der) {
                // [0] EXPLICIT CRLListID ::= SEQUENCE { crls SEQUENCE OF CrlValidatedID }
                // [1] EXPLICIT OcspListID ::= SEQUENCE { ocspResponses SEQUENCE OF OcspResponsesID }
                guard tagged.tag == 0xA0 || tagged.tag == 0xA1,
                      let list = DER.children(of: tagged, in: der).first, list.tag == 0x30,
                      let items = DER.children(of: list, in: der).first, items.tag == 0x30
                else { continue }
                for item in DER.children(of: items, in: der) where item.tag == 0x30 {
                    let fields = DER.children(of: item, in: der)
                    if tagged.tag == 0xA0 {
                        // CrlValidatedID ::= SEQUENCE { crlHash OtherHash, crlIdentifier CrlIdentifier OPTIONAL }
                        guard let first = fields.first, let hash = OtherHash(der, first) else { return nil }
                        result.append(RevocationReference(kind: .crl, hash: hash, detail: nil))
                    } else {
                        // OcspResponsesID ::= SEQUENCE { ocspIdentifier OcspIdentifier, ocspRepHash OtherHash OPTIONAL }
                        // OcspIdentifier ::= SEQUENCE { ocspResponderID ResponderID, producedAt GeneralizedTime }
                        var detail: String? = nil
                        if let identifier = fields.first, identifier.tag == 0x30,
                           let produced = DER.children(of: identifier, in: der).last, produced.tag == 0x18 {
                            detail = "producedAt " + String(decoding: der[produced.contentRange], as: UTF8.self)
                        }
                        let hash = fields.count > 1 ? OtherHash(der, fields[1]) : nil
                        result.append(RevocationReference(kind: .ocsp, hash: hash, detail: detail))
                    }
                }
            }
        }
        return result
    }

    /// CertificateValues ::= SEQUENCE OF Certificate.
    static func certificateValues(_ der: [UInt8]) -> [X509Certificate] {
        guard let outer = DER.node(in: der, at: 0), outer.tag == 0x30 else { return [] }
        return DER.children(of: outer, in: der).prefix(256).compactMap { node in
            let start = EmbeddedRevocation.start(of: node, in: der)
            return try? X509Certificate(der: Array(der[start..<node.end]))
        }
    }

    /// The message imprint input of a CAdES-C-time-stamp (`includeSignature`: the signature value's octets and the
    /// signature-time-stamp attributes first) or of a time-stamped-certs-crls-references (the references only):
    /// for each covered attribute, the DER of its type followed by the DER of its SET of values.
    static func imprintInput(signer: ArchiveTimestamps.Layout.SignerLayout, includeSignature: Bool) -> [UInt8] {
        var input: [UInt8] = []
        var covered: [String] = []
        if includeSignature {
            input += signer.signature
            covered.append(OID.signatureTimeStamp)
        }
        covered += [certificateRefsOID, revocationRefsOID]
        for oid in covered {
            for attribute in signer.unsigned where attribute.oid == oid {
                input += Array(attribute.typeTLV) + Array(attribute.setTLV)
            }
        }
        return input
    }

    /// The TS 101 733 form a signer is written in, from the unsigned attributes it carries.
    static func form(unsigned: [String]) -> String? {
        if unsigned.contains(ArchiveTimestamps.archiveV2OID) || unsigned.contains(ArchiveTimestamps.archiveV1OID) { return "CAdES-A" }
        let refs = unsigned.contains(certificateRefsOID) && unsigned.contains(revocationRefsOID)
        let values = unsigned.contains(certificateValuesOID) && unsigned.contains(revocationValuesOID)
        guard refs else { return nil }
        let type = unsigned.contains(escTimeStampOID) ? " Type 1" : unsigned.contains(certCRLTimestampOID) ? " Type 2" : ""
        if values { return "CAdES-X Long" + type }
        return type.isEmpty ? "CAdES-C" : "CAdES-X" + type
    }

    /// Matches each reference against the certificates and revocation values available.
    static func evidence(
        unsigned: [String], certificateReferences: [CertificateReference]?, revocationReferences: [RevocationReference]?,
        certificates: [X509Certificate], crls: [CertificateRevocationList], ocspResponses: [[UInt8]],
        certificateValues: Int, revocationValues: Int
    ) -> LongTermEvidence? {
        let relevant = [certificateRefsOID, revocationRefsOID, certificateValuesOID, revocationValuesOID, escTimeStampOID, certCRLTimestampOID,
                        ArchiveTimestamps.archiveV2OID, ArchiveTimestamps.archiveV1OID]
        guard unsigned.contains(where: relevant.contains) else { return nil }
        var findings: [FormatFinding] = []
        if unsigned.contains(certificateRefsOID), certificateReferences == nil {
            findings.append(FormatFinding(code: .unreadable, attribute: "complete-certificate-references"))
        }
        if unsigned.contains(revocationRefsOID), revocationReferences == nil {
            findings.append(FormatFinding(code: .unreadable, attribute: "complete-revocation-references"))
        }
        var certificateMatches: [ReferenceMatch] = []
        for reference in certificateReferences ?? [] {
            let found = certificates.first { reference.hash.matches($0.der) == true }
            var match = ReferenceMatch(kind: .certificate, hashAlgorithm: reference.hash.name, hash: hex(reference.hash.value),
                                       outcome: found == nil ? .absent : .valid, matched: found?.fingerprint,
                                       detail: reference.issuerSerial.map { "serial \($0)" })
            if reference.hash.algorithm == nil { match.outcome = .notChecked }
            certificateMatches.append(match)
        }
        var revocationMatches: [ReferenceMatch] = []
        for reference in revocationReferences ?? [] {
            guard let hash = reference.hash else {
                revocationMatches.append(ReferenceMatch(kind: reference.kind, hashAlgorithm: "", hash: "", outcome: .notChecked,
                                                        detail: reference.detail))
                continue
            }
            var matched: String? = nil
            if reference.kind == .crl {
                matched = crls.first { hash.matches($0.der) == true }?.fingerprint
            } else {
                // The hash of the whole OCSPResponse (TS 101 733, and what DSS computes); some producers hash the
                // BasicOCSPResponse inside it.
                for response in ocspResponses {
                    let candidates = [response] + (EmbeddedRevocation.basicResponse(in: response).map { [$0] } ?? [])
                    if candidates.contains(where: { hash.matches($0) == true }) {
                        matched = SHA256.hex(response)
                        break
                    }
                }
            }
            revocationMatches.append(ReferenceMatch(
                kind: reference.kind, hashAlgorithm: hash.name, hash: hex(hash.value),
                outcome: hash.algorithm == nil ? .notChecked : (matched == nil ? .absent : .valid), matched: matched, detail: reference.detail))
        }
        var evidence = LongTermEvidence(form: form(unsigned: unsigned), certificateReferences: certificateMatches,
                                        revocationReferences: revocationMatches, certificateValues: certificateValues,
                                        revocationValues: revocationValues, problems: findings.map(\.english))
        if !findings.isEmpty { evidence.findings = findings }
        return evidence
    }
}
