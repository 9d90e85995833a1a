import COpenSSL
import CPodpis
import Foundation

/// A small statement signed as an attached CMS SignedData with the signer's certificate embedded: the journal's
/// checkpoints and receipts. ``open(_:)`` checks it without any trust store — whoever opens one pins the signer by
/// its certificate.
public enum SignedPayload {
    /// Signs `payload` (attached, CAdES-B, the certificate embedded); with `timestamps`, a signature-time-stamp is
    /// added (RFC 3161).
    public static func sign(_ payload: [UInt8], identity: SigningIdentity, timestamps: TimestampClient? = nil) throws -> [UInt8] {
        let signed = try Signer.sign(.bytes(payload), identity: identity, options: SignatureOptions(attached: true))
        guard let timestamps else { return signed }
        return try Timestamper.addSignatureTimestamps(to: signed, subject: nil, client: timestamps).bytes
    }

    /// What an opened statement holds.
    public struct Opened: Sendable {
        public let content: [UInt8]
        /// The certificate that signed it (embedded in the SignedData).
        public let signer: X509Certificate
        /// The genTime of its signature-time-stamp, when it has one whose imprint and signature verify.
        public let timestamp: Date?
    }

    /// Opens a statement: exactly one signer, whose certificate is embedded, whose signature verifies over the
    /// attached content (message digest and signature value); a signature-time-stamp, if present, must cover the
    /// signature value and verify too. Any failure is a `dataFormat` error saying what is wrong.
    public static func open(_ encoded: [UInt8], subject: String? = nil) throws -> Opened {
        CryptoLibrary.initialize()
        let (der, _) = try SignatureDecoder.decode(encoded, subject: subject)
        let cms = try CMSMessage.parse(der: der, subject: subject)
        let signers = cms.signerInfos
        guard signers.count == 1, let si = signers.first else {
            throw PodpisError(.dataFormat, "\(signers.count) signers; a journal statement has exactly one", subject: subject)
        }
        guard let content = cms.attachedContent else {
            throw PodpisError(.dataFormat, "no content inside: a journal statement is an attached signature", subject: subject)
        }
        guard let certificate = cms.certificates.first(where: { CMS_SignerInfo_cert_cmp(si.pointer, $0.pointer) == 0 }) else {
            clearOpenSSLErrors()
            throw PodpisError(.dataFormat, "the signer's certificate is not inside", subject: subject)
        }
        clearOpenSSLErrors()
        guard CMS_verify(cms.pointer, nil, nil, nil, nil, UInt32(CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY)) == 1 else {
            throw PodpisError.openSSL(.dataFormat, "the signature does not verify over its content", subject: subject)
        }
        var timestamp: Date? = nil
        for attribute in SignerAttributes(signerInfo: si).unsigned(NID_id_smime_aa_timeStampToken) {
            for tokenDER in attribute.valuesDER {
                let token = try TimestampToken.parse(tokenDER)
                guard let value = CMS_SignerInfo_get0_signature(si.pointer), let algorithm = token.imprintAlgorithm,
                      (try? MultiDigest.digest(algorithm, bytes(of: value))) == token.imprint
                else {
                    throw PodpisError(.dataFormat, "its timestamp does not cover its signature", subject: subject)
                }
                clearOpenSSLErrors()
                guard CMS_verify(token.cms.pointer, nil, nil, nil, nil, UInt32(CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY)) == 1 else {
                    throw PodpisError.openSSL(.dataFormat, "its timestamp's signature does not verify", subject: subject)
                }
                timestamp = token.genTime
            }
        }
        return Opened(content: content, signer: certificate, timestamp: timestamp)
    }
}
