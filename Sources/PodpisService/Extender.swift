import EvidenceModel
import Foundation
import SigningCore

/// Raises a signature B → T → LT → LTA, for the CLI (`sign --level`, `extend`, `archive refresh`), the service and
/// the tests alike. LTA first completes LT (which, on an archived signature, also embeds the validation data of its
/// earlier archive timestamps), then adds an archive-time-stamp-v3 over everything.
public struct Extender {
    /// The TSA to timestamp with; nil adds no timestamp (then T and above need one already on every signer).
    public var timestamps: TimestampClient?
    /// The trust anchors, extra certificates and revocation data LT embeds from, and how to fetch more: asked for
    /// only when LT or LTA is (a front end may read files for it).
    public var validation: () throws -> VerificationSettings

    public init(timestamps: TimestampClient?, validation: @escaping () throws -> VerificationSettings) {
        self.timestamps = timestamps
        self.validation = validation
    }

    /// The usage error for a level above B without a TSA to timestamp with.
    public static func needsTimestamp(_ level: SignatureLevel) -> PodpisError {
        PodpisError(.usage, .needsTsa, ["level": level.rawValue])
    }

    /// Returns the signature raised to `level`; `document` is needed for the archive timestamp of a detached one.
    public func raise(_ signature: [UInt8], name: String, to level: SignatureLevel, document: DocumentInput? = nil) throws -> [UInt8] {
        var bytes = signature
        if let timestamps {
            bytes = try Timestamper.addSignatureTimestamps(to: bytes, subject: name, client: timestamps).bytes
        } else if level != .B && (try? Inspector.inspect(bytes, subject: name))?.signers.contains(where: { !$0.unsignedAttributes.contains("signature-time-stamp") }) ?? true {
            throw Self.needsTimestamp(level)
        }
        if level == .LT || level == .LTA {
            let settings = try validation()
            guard !settings.trust.anchors.isEmpty else {
                throw PodpisError(.usage, "level \(level.rawValue) needs the trust anchors to know the full certificate paths: give --trust")
            }
            bytes = try LongTermExtender.extend(signature: bytes, subject: name, trust: settings.trust, certificates: settings.certificates,
                                                crls: settings.crls, ocspResponses: settings.ocspResponses, revocation: settings.revocation).bytes
        }
        if level == .LTA {
            guard let timestamps else { throw PodpisError(.usage, "level LTA adds an archive timestamp: give --tsa URL") }
            bytes = try ArchiveTimestamps.add(to: bytes, subject: name, document: document, client: timestamps).bytes
        }
        return bytes
    }
}
