import EvidenceModel
import Foundation
import PodpisPDF
import PolicyEngine
import SigningCore

/// Signing a PDF (PAdES, ETSI EN 319 142-1) at a baseline level: the signature as an incremental update, then for
/// LT the validation data in a document security store, then for LTA a document timestamp.
public enum PAdESSigner {
    public typealias Level = SignatureLevel

    public struct Settings: Sendable {
        public var level: Level
        public var options: SignatureOptions
        public var pdf: PDFSigning.Options
        /// The TSA (T and above).
        public var timestamps: TimestampClient?
        /// For LT and LTA: trust anchors ending the paths, extra certificates and revocation data, and how to fetch more.
        public var trust: TrustStore
        public var certificates: [X509Certificate]
        public var crls: [CertificateRevocationList]
        public var ocspResponses: [[UInt8]]
        public var revocation: RevocationPolicy

        public init(level: Level, options: SignatureOptions, pdf: PDFSigning.Options = PDFSigning.Options(), timestamps: TimestampClient? = nil,
                    trust: TrustStore = TrustStore(anchors: []), certificates: [X509Certificate] = [], crls: [CertificateRevocationList] = [],
                    ocspResponses: [[UInt8]] = [], revocation: RevocationPolicy = RevocationPolicy()) {
            self.level = level
            self.options = options
            self.pdf = pdf
            self.timestamps = timestamps
            self.trust = trust
            self.certificates = certificates
            self.crls = crls
            self.ocspResponses = ocspResponses
            self.revocation = revocation
        }
    }

    /// Signs `pdf` and returns the new file (the input bytes are its prefix).
    public static func sign(pdf: [UInt8], name: String?, identity: SigningIdentity, settings: Settings) throws -> [UInt8] {
        if settings.level != .B, settings.timestamps == nil {
            throw PodpisError(.usage, .needsTsa, ["level": settings.level.rawValue], subject: name)
        }
        if settings.level == .LT || settings.level == .LTA, settings.trust.anchors.isEmpty {
            throw PodpisError(.usage, "level \(settings.level.rawValue) needs the trust anchors to know the full certificate paths: give --trust", subject: name)
        }
        // A PAdES CMS has no signing-time attribute: /M carries the claimed time. The certificate chain travels in it.
        var reserve = 8192
        for cert in [identity.certificate] + identity.chain + settings.options.chain { reserve += cert.der.count }
        if settings.level != .B { reserve += 8192 }
        var pdfOptions = settings.pdf
        pdfOptions.reserve = max(pdfOptions.reserve, reserve)
        var signed = try PDFSigning.sign(pdf: pdf, name: name, options: pdfOptions) { covered in
            let cms = try Signer.sign(.bytes(covered), identity: identity, options: settings.options)
            var der = try PAdESSupport.removingSigningTime(cms, identity: identity, rsaPSS: settings.options.rsaPSS)
            if let client = settings.timestamps, settings.level != .B {
                der = try Timestamper.addSignatureTimestamps(to: der, subject: name, client: client).bytes
            }
            return der
        }
        if settings.level == .LT || settings.level == .LTA {
            let cms = try PDFSigning.newestSignature(pdf: signed, name: name)
            let data = try PAdESSupport.validationData(
                signature: cms, trust: settings.trust, certificates: settings.certificates + settings.options.chain + identity.chain,
                crls: settings.crls, ocspResponses: settings.ocspResponses, revocation: settings.revocation)
            signed = try PDFSigning.addValidationData(pdf: signed, name: name, certificates: data.certificates, crls: data.crls,
                                                      ocspResponses: data.ocspResponses)
        }
        if settings.level == .LTA, let client = settings.timestamps {
            let digest: DigestAlgorithm = identity.key.keyType.isGOST ? identity.key.defaultDigest : .sha256
            signed = try PDFSigning.addDocumentTimestamp(pdf: signed, name: name) { covered in
                try client.token(over: covered, digest: digest)
            }
        }
        return signed
    }
}
