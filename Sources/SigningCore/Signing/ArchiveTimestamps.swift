import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// CAdES-LTA: archive-time-stamp-v3 with its ats-hash-index-v3 (ETSI EN 319 122-1, 5.5.2 and 5.5.3).
///
/// An archive timestamp proves that, at its time, the signature existed together with everything needed to
/// validate it: the signed content, the SignerInfo, the certificates and revocation data in the SignedData, and the
/// unsigned attributes (earlier timestamps included). The ats-hash-index-v3 — an unsigned attribute of the archive
/// token itself — lists a hash of each of those items, so validation data added later (a renewal) does not break
/// it. Each renewal adds a new archive timestamp over the previous ones; the chain of them keeps the signature
/// provable after its algorithms, certificates and CAs are gone.
public enum ArchiveTimestamps {
    static let hashIndexOID = "0.4.0.19122.1.5"
    /// The ats-hash-index of ETSI TS 101 733 (before EN 319 122): the same structure, but each unsigned-attribute
    /// entry is the hash of a whole Attribute rather than of one type-and-value pair. Read, never written.
    static let legacyHashIndexOID = "0.4.0.1733.2.5"

    /// The parts of a SignedData an archive timestamp covers, as they appear in its DER.
    struct Layout {
        /// One unsigned attribute of a SignerInfo, as encoded.
        struct UnsignedAttribute {
            var oid: String
            /// The type OID, tag and length included.
            var typeTLV: ArraySlice<UInt8>
            /// Each value, tag and length included.
            var values: [ArraySlice<UInt8>]
            /// The whole Attribute SEQUENCE.
            var attributeTLV: ArraySlice<UInt8>
            /// The SET OF values, tag and length included.
            var setTLV: ArraySlice<UInt8>
        }

        /// The eContentType OID, tag and length included.
        var contentTypeTLV: ArraySlice<UInt8>
        /// The whole encapContentInfo, and the certificates [0] and crls [1] fields as they appear (for the
        /// archive-time-stamp-v2 of TS 101 733, which hashes them whole).
        var encapsulatedContentInfo: ArraySlice<UInt8> = []
        var certificatesField: ArraySlice<UInt8>? = nil
        var crlsField: ArraySlice<UInt8>? = nil
        /// The eContent's octets (attached signatures); nil when detached.
        var eContent: [UInt8]?
        var certificates: [ArraySlice<UInt8>]
        var crls: [ArraySlice<UInt8>]
        var signers: [SignerLayout]
        /// Whether this layout was read from a DER re-encoding of BER input (``make(_:)``), not the bytes as they are.
        var normalized = false
        /// For BER input: the encapContentInfo, certificates and crls fields as the original bytes encode them (the
        /// archive-time-stamp-v2 hashes them in their own encoding).
        var originalFields: (encap: ArraySlice<UInt8>, certificates: ArraySlice<UInt8>?, crls: ArraySlice<UInt8>?)? = nil

        struct SignerLayout {
            /// version, sid, digestAlgorithm, signedAttrs, signatureAlgorithm and signature, as they appear.
            var coveredFields: [UInt8]
            /// The signature value's octets.
            var signature: [UInt8]
            /// Each unsigned attribute: its type OID (TLV) and each value (TLV).
            var unsigned: [UnsignedAttribute]
        }

        /// The layout of the signature as it is when that is definite-length DER; else of its DER re-encoding (the
        /// signed attributes' SET sorted as DER wants it), marked ``normalized``; nil when neither reads.
        static func make(_ der: [UInt8]) -> Layout? {
            if let layout = Layout(der) { return layout }
            guard let reencoded = BER.normalized(der), var layout = Layout(reencoded, sortSignedAttributes: true) else { return nil }
            layout.normalized = true
            layout.originalFields = BER.signedDataFields(der)
            return layout
        }

        /// Reads a ContentInfo holding a SignedData. Returns nil for anything that is not definite-length DER in
        /// that shape (the caller reports it). `sortSignedAttributes`: take each signer's signedAttrs in DER order
        /// (for a re-encoding of BER input).
        init?(_ der: [UInt8], sortSignedAttributes: Bool = false) {
            func tlv(_ node: DER.Node, start: Int) -> ArraySlice<UInt8> { der[start..<node.end] }
            func childrenWithStarts(_ node: DER.Node) -> [(node: DER.Node, start: Int)] {
                var start = node.contentRange.lowerBound
                return DER.children(of: node, in: der).map { child in
                    defer { start = child.end }
                    return (child, start)
                }
            }
            guard let contentInfo = DER.node(in: der, at: 0), contentInfo.tag == 0x30 else { return nil }
            let outer = DER.children(of: contentInfo, in: der)
            guard outer.count == 2, outer[1].tag == 0xA0,
                let signedData = DER.children(of: outer[1], in: der).first, signedData.tag == 0x30
            else { return nil }
            let fields = childrenWithStarts(signedData)
            guard fields.count >= 4, fields[2].node.tag == 0x30 else { return nil }
            encapsulatedContentInfo = tlv(fields[2].node, start: fields[2].start)
            let encap = childrenWithStarts(fields[2].node)
            guard let type = encap.first, type.node.tag == 0x06 else { return nil }
            contentTypeTLV = tlv(type.node, start: type.start)
            if encap.count > 1, encap[1].node.tag == 0xA0, let octets = DER.children(of: encap[1].node, in: der).first {
                if octets.tag == 0x04 {
                    eContent = Array(der[octets.contentRange])
                } else if octets.tag == 0x24 {  // constructed OCTET STRING: the concatenation of its segments
                    eContent = DER.children(of: octets, in: der).flatMap { der[$0.contentRange] }
                }
            }
            certificates = []
            crls = []
            signers = []
            for field in fields.dropFirst(3) {
                switch field.node.tag {
                case 0xA0:
                    certificates = childrenWithStarts(field.node).map { tlv($0.node, start: $0.start) }
                    certificatesField = tlv(field.node, start: field.start)
                case 0xA1:
                    crls = childrenWithStarts(field.node).map { tlv($0.node, start: $0.start) }
                    crlsField = tlv(field.node, start: field.start)
                case 0x31:
                    for signerInfo in DER.children(of: field.node, in: der) where signerInfo.tag == 0x30 {
                        let parts = childrenWithStarts(signerInfo)
                        let covered = parts.filter { $0.node.tag != 0xA1 }
                        guard let first = covered.first, let last = covered.last, last.node.tag == 0x04 else { return nil }
                        var unsigned: [UnsignedAttribute] = []
                        if let attributes = parts.first(where: { $0.node.tag == 0xA1 }) {
                            for (attribute, attributeStart) in childrenWithStarts(attributes.node) where attribute.tag == 0x30 {
                                let items = childrenWithStarts(attribute)
                                guard items.count == 2, items[0].node.tag == 0x06, items[1].node.tag == 0x31,
                                    let oid = DER.oid(der[items[0].node.contentRange])
                                else { return nil }
                                let values = childrenWithStarts(items[1].node).map { tlv($0.node, start: $0.start) }
                                unsigned.append(UnsignedAttribute(
                                    oid: oid, typeTLV: tlv(items[0].node, start: items[0].start), values: values,
                                    attributeTLV: tlv(attribute, start: attributeStart), setTLV: tlv(items[1].node, start: items[1].start)))
                            }
                        }
                        var coveredFields = Array(der[first.start..<last.node.end])
                        if sortSignedAttributes {
                            coveredFields = covered.flatMap { part -> [UInt8] in
                                guard part.node.tag == 0xA0 else { return Array(tlv(part.node, start: part.start)) }
                                return BER.sortedSet(tag: 0xA0, elements: childrenWithStarts(part.node).map { Array(tlv($0.node, start: $0.start)) })
                            }
                        }
                        signers.append(SignerLayout(coveredFields: coveredFields, signature: Array(der[last.node.contentRange]), unsigned: unsigned))
                    }
                default: break
                }
            }
        }
    }

    /// An ats-hash-index-v3 value.
    struct HashIndex {
        var algorithm: DigestAlgorithm
        var certificates: [[UInt8]]
        var crls: [[UInt8]]
        var unsignedAttributeValues: [[UInt8]]

        /// Hashes every item the SignedData holds now for one signer (`legacy`: whole attributes, TS 101 733).
        init(layout: Layout, signer: Int, algorithm: DigestAlgorithm, legacy: Bool = false) throws {
            self.algorithm = algorithm
            certificates = try layout.certificates.map { try MultiDigest.digest(algorithm, Array($0)) }
            crls = try layout.crls.map { try MultiDigest.digest(algorithm, Array($0)) }
            unsignedAttributeValues = try layout.signers[signer].unsigned.flatMap { attribute in
                legacy
                    ? [try MultiDigest.digest(algorithm, Array(attribute.attributeTLV))]
                    : try attribute.values.map { try MultiDigest.digest(algorithm, Array(attribute.typeTLV) + Array($0)) }
            }
        }

        /// Reads an ATSHashIndexV3 (hashIndAlgorithm is DEFAULT sha256, so it may be absent).
        init?(der: [UInt8]) {
            guard let root = DER.node(in: der, at: 0), root.tag == 0x30 else { return nil }
            var parts = DER.children(of: root, in: der)
            var algorithm = DigestAlgorithm.sha256
            if parts.count == 4 {
                guard let oidNode = DER.children(of: parts[0], in: der).first, oidNode.tag == 0x06,
                    let oid = DER.oid(der[oidNode.contentRange]),
                    let named = DigestAlgorithm.allCases.first(where: { $0.oid == oid })
                else { return nil }
                algorithm = named
                parts.removeFirst()
            }
            guard parts.count == 3, parts.allSatisfy({ $0.tag == 0x30 }) else { return nil }
            func octets(_ node: DER.Node) -> [[UInt8]]? {
                let items = DER.children(of: node, in: der)
                guard items.allSatisfy({ $0.tag == 0x04 }) else { return nil }
                return items.map { Array(der[$0.contentRange]) }
            }
            guard let c = octets(parts[0]), let r = octets(parts[1]), let u = octets(parts[2]) else { return nil }
            self.algorithm = algorithm
            certificates = c
            crls = r
            unsignedAttributeValues = u
        }

        func der() throws -> [UInt8] {
            var items: [[UInt8]] = []
            if algorithm != .sha256 { items.append(DEREncoder.sequence([try DEREncoder.oid(algorithm.oid)])) }
            for list in [certificates, crls, unsignedAttributeValues] {
                items.append(DEREncoder.sequence(list.map { DEREncoder.tlv(0x04, $0) }))
            }
            return DEREncoder.sequence(items)
        }
    }

    /// The message imprint input of an archive-time-stamp-v3 (EN 319 122-1, 5.5.3): eContentType, the hash of the
    /// signed content, the SignerInfo's covered fields, and the ATSHashIndexV3.
    static func imprintInput(layout: Layout, signer: Int, contentHash: [UInt8], index: [UInt8]) -> [UInt8] {
        Array(layout.contentTypeTLV) + contentHash + layout.signers[signer].coveredFields + index
    }

    /// What happened to one signer.
    public struct Added: Sendable {
        public var signer: Int
        public var time: Date
        public var digest: DigestAlgorithm
    }

    /// Adds an archive-time-stamp-v3 to every signer. The signature must already carry what it needs for
    /// validation (CAdES-LT); `document` is required for a detached signature (its hash is part of the imprint).
    /// The result is checked by recomputing each imprint before it is returned.
    public static func add(
        to signature: [UInt8], subject: String?, document: DocumentInput?, client: TimestampClient, digest wanted: DigestAlgorithm? = nil
    ) throws -> (bytes: [UInt8], added: [Added]) {
        CryptoLibrary.initialize()
        let (der, encoding) = try SignatureDecoder.decode(signature, subject: subject)
        let cms = try CMSMessage.parse(der: der, subject: subject)
        var added: [Added] = []
        var documentDigests: [DigestAlgorithm: [UInt8]] = [:]
        for (position, si) in cms.signerInfos.enumerated() {
            let digest = wanted ?? Timestamper.imprintDigest(for: si)
            // The index and imprint are computed over the encoding this function writes (OpenSSL's DER).
            let current = try cms.der()
            guard let layout = Layout(current), position < layout.signers.count else {
                throw PodpisError(.dataFormat, "the signature's structure cannot be read for an archive timestamp", subject: subject)
            }
            let contentHash: [UInt8]
            if let content = layout.eContent {
                contentHash = try MultiDigest.digest(digest, content)
            } else {
                if documentDigests[digest] == nil {
                    documentDigests = try hashDocument(document, algorithms: Set(documentDigests.keys).union([digest]), subject: subject)
                }
                contentHash = documentDigests[digest]!
            }
            let index = try HashIndex(layout: layout, signer: position, algorithm: digest).der()
            let token = try client.token(over: imprintInput(layout: layout, signer: position, contentHash: contentHash, index: index), digest: digest)
            let stamped = try attachIndex(index, to: token)
            clearOpenSSLErrors()
            guard let object = asn1Object(OID.archiveTimeStampV3) else { throw PodpisError.openSSL(.software, "archive-time-stamp-v3 OID") }
            guard CMS_unsigned_add1_attr_by_OBJ(si.pointer, object.pointer, V_ASN1_SEQUENCE, stamped, Int32(stamped.count)) == 1 else {
                throw PodpisError.openSSL(.software, "cannot add the archive timestamp to the signature", subject: subject)
            }
            added.append(Added(signer: position, time: (try? TimestampToken.parse(stamped).genTime) ?? Date(), digest: digest))
        }
        let output = try cms.der()
        // Self-check: every new archive timestamp's imprint recomputes from what is written.
        guard let written = Layout(output) else { throw PodpisError(.software, "the archived signature cannot be re-read", subject: subject) }
        for item in added {
            let tokens = written.signers[item.signer].unsigned.filter { $0.oid == OID.archiveTimeStampV3 }.flatMap(\.values)
            guard let last = tokens.last, let token = try? TimestampToken.parse(Array(last)), let algorithm = token.imprintAlgorithm else {
                throw PodpisError(.software, "the archive timestamp was not written", subject: subject)
            }
            let hash = try written.eContent.map { try MultiDigest.digest(algorithm, $0) } ?? documentDigests[algorithm] ?? []
            let check = verifyImprint(token: Array(last), layout: written, signer: item.signer, contentHash: hash)
            guard check.outcome == .valid else {
                throw PodpisError(.software, "the archive timestamp does not verify after writing: \(check.detail ?? "")", subject: subject)
            }
        }
        return (try Timestamper.encode(try CMSMessage.parse(der: output, subject: subject), as: encoding), added)
    }

    /// The generation times of every archive timestamp in a signature (DER, PEM or Base64), in no particular order.
    public static func archiveTimes(in signature: [UInt8]) -> [Date] {
        guard let (der, _) = try? SignatureDecoder.decode(signature, subject: nil), let layout = Layout.make(der) else { return [] }
        return layout.signers.flatMap { $0.unsigned.filter { $0.oid == OID.archiveTimeStampV3 }.flatMap(\.values) }
            .compactMap { try? TimestampToken.parse(Array($0)).genTime }
    }

    static func hashDocument(_ input: DocumentInput?, algorithms: Set<DigestAlgorithm>, subject: String?) throws -> [DigestAlgorithm: [UInt8]] {
        switch input {
        case .file(let path)?: return try MultiDigest.digestFile(path: path, algorithms: algorithms).1
        case .bytes(_, let bytes)?:
            let multi = try MultiDigest(algorithms)
            multi.update(bytes)
            return multi.finish()
        case .hashed(_, _, let digests)?: return digests
        case .digest(_, let algorithm, let value, _)?: return [algorithm: value]
        case nil:
            throw PodpisError(.usage, "a detached signature's archive timestamp covers the document: give the document", subject: subject)
        }
    }

    /// Puts the ats-hash-index-v3 into the token's SignerInfo as an unsigned attribute (outside what the TSA signed).
    static func attachIndex(_ index: [UInt8], to token: [UInt8]) throws -> [UInt8] {
        let parsed = try CMSMessage.parse(der: token, subject: "archive timestamp")
        guard let si = parsed.signerInfos.first else { throw PodpisError(.unavailable, "the TSA's token has no signer") }
        clearOpenSSLErrors()
        guard let object = asn1Object(hashIndexOID) else { throw PodpisError.openSSL(.software, "ats-hash-index-v3 OID") }
        guard CMS_unsigned_add1_attr_by_OBJ(si.pointer, object.pointer, V_ASN1_SEQUENCE, index, Int32(index.count)) == 1 else {
            throw PodpisError.openSSL(.software, "cannot add the ats-hash-index-v3 to the token")
        }
        let result = try parsed.der()
        guard let check = try? TimestampToken.parse(result), check.signatureVerifies() else {
            throw PodpisError(.software, "the token's signature no longer verifies after adding its hash index")
        }
        return result
    }

    /// Checks an archive token against the signature as it is: every item its index names must still be present,
    /// and the imprint must be the hash of the recomputed input.
    ///
    /// `alternative` is the signature's DER re-encoding (EN 319 122-1 and DSS take every covered field in DER): when
    /// the bytes as they are do not reproduce the imprint but the re-encoding does, the timestamp covers this
    /// signature. When the signature only reads as a re-encoding (BER input) and that does not reproduce the imprint
    /// either, the result is `notChecked`: podpis cannot tell a re-encoding it does differently from a changed
    /// signature, so the timestamp proves nothing, but nothing is claimed broken either.
    static func verifyImprint(token: [UInt8], layout: Layout, alternative: Layout? = nil, signer: Int, contentHash: [UInt8]?) -> CryptoCheck {
        let primary = imprintCheck(token: token, layout: layout, signer: signer, contentHash: contentHash)
        if primary.outcome == .valid || primary.outcome == .notChecked { return primary }
        if let alternative, signer < alternative.signers.count,
           imprintCheck(token: token, layout: alternative, signer: signer, contentHash: contentHash).outcome == .valid {
            return CryptoCheck(.valid, "the imprint matches the signature's DER re-encoding")
        }
        if layout.normalized {
            return CryptoCheck(.notChecked, "the signature is BER-encoded and its DER re-encoding does not reproduce the archive timestamp's imprint (\(primary.detail ?? "mismatch")); what it covers cannot be decided")
        }
        return primary
    }

    static func imprintCheck(token: [UInt8], layout: Layout, signer: Int, contentHash: [UInt8]?) -> CryptoCheck {
        guard let parsed = try? TimestampToken.parse(token), let algorithm = parsed.imprintAlgorithm else {
            return CryptoCheck(.notChecked, "the archive token or its imprint algorithm cannot be read")
        }
        guard let (indexDER, legacy) = hashIndex(of: token) else {
            return CryptoCheck(.invalid, "the archive timestamp has no ats-hash-index-v3")
        }
        guard let index = HashIndex(der: indexDER) else { return CryptoCheck(.invalid, "the ats-hash-index-v3 cannot be read") }
        guard let present = try? HashIndex(layout: layout, signer: signer, algorithm: index.algorithm, legacy: legacy) else {
            return CryptoCheck(.notChecked, "unsupported hash index algorithm")
        }
        let missing = [
            (index.certificates, present.certificates, "certificate"), (index.crls, present.crls, "revocation value"),
            (index.unsignedAttributeValues, present.unsignedAttributeValues, "unsigned attribute"),
        ].compactMap { wanted, have, what -> String? in
            let count = wanted.filter { !have.contains($0) }.count
            return count == 0 ? nil : "\(count) \(what)(s)"
        }
        if !missing.isEmpty {
            return CryptoCheck(.invalid, "items covered by the archive timestamp are missing: " + missing.joined(separator: ", "))
        }
        guard let contentHash else { return CryptoCheck(.notChecked, "the signed content is not available") }
        let input = imprintInput(layout: layout, signer: signer, contentHash: contentHash, index: indexDER)
        guard let expected = try? MultiDigest.digest(algorithm, input) else { return CryptoCheck(.notChecked, "cannot hash") }
        return expected == parsed.imprint
            ? CryptoCheck(.valid)
            : CryptoCheck(.invalid, "the imprint is not the hash of the archived signature, its content and validation data")
    }

    /// id-aa-ets-archiveTimestampV2 (TS 101 733 v1.7 and later) and the older id-aa-ets-archiveTimestamp.
    static let archiveV2OID = "1.2.840.113549.1.9.16.2.48"
    static let archiveV1OID = "1.2.840.113549.1.9.16.2.27"

    /// Checks an archive-time-stamp-v2 (TS 101 733 §6.4.1, CAdES-A): its imprint is the hash of the
    /// encapContentInfo, the detached content itself when the signature is detached (`detached` feeds it; nil when
    /// only its digest is known), the certificates and crls fields, the SignerInfo's fields, and its unsigned
    /// attributes except the archive timestamps made at or after this one — with the [1] tag and length, or without
    /// them (producers differ; DSS accepts both).
    static func verifyImprintV2(token: [UInt8], layout: Layout, signer: Int,
                                detached: ((MultiDigest) throws -> Void)?) -> CryptoCheck {
        guard let parsed = try? TimestampToken.parse(token), let algorithm = parsed.imprintAlgorithm else {
            return CryptoCheck(.notChecked, "the archive token or its imprint algorithm cannot be read")
        }
        if layout.eContent == nil, detached == nil {
            return CryptoCheck(.notChecked, "the signed content is not available: the archive timestamp covers the document's own bytes")
        }
        let signerLayout = layout.signers[signer]
        let archiveTypes: Set<String> = [archiveV2OID, archiveV1OID, OID.archiveTimeStampV3]
        let kept = signerLayout.unsigned.filter { attribute in
            guard archiveTypes.contains(attribute.oid) else { return true }
            guard let value = attribute.values.first, let stamp = try? TimestampToken.parse(Array(value)) else { return false }
            return stamp.genTime < parsed.genTime
        }
        let attributes = kept.flatMap { Array($0.attributeTLV) }
        // The SignedData's own fields in DER, and for BER input also as the original encodes them.
        var encodings = [(layout.encapsulatedContentInfo, layout.certificatesField, layout.crlsField)]
        if let original = layout.originalFields { encodings.append((original.encap, original.certificates, original.crls)) }
        for (encap, certificates, crls) in encodings {
            for tagged in [true, false] {
                guard let multi = try? MultiDigest([algorithm]) else { return CryptoCheck(.notChecked, "cannot hash with \(algorithm.name)") }
                multi.update(Array(encap))
                if layout.eContent == nil, let detached {
                    do { try detached(multi) } catch { return CryptoCheck(.notChecked, "the document cannot be read again: \(error)") }
                }
                if let field = certificates { multi.update(Array(field)) }
                if let field = crls { multi.update(Array(field)) }
                multi.update(signerLayout.coveredFields)
                multi.update(tagged ? DEREncoder.tlv(0xA1, attributes) : attributes)
                if multi.finish()[algorithm] == parsed.imprint { return CryptoCheck(.valid) }
            }
        }
        if layout.normalized {
            return CryptoCheck(.notChecked, "the signature is BER-encoded and its DER re-encoding does not reproduce the archive timestamp's imprint; what it covers cannot be decided")
        }
        return CryptoCheck(.invalid, "the imprint is not the hash of the archived signature, its content and validation data")
    }

    /// The token's hash index (DER) and whether it is the TS 101 733 form.
    static func hashIndex(of token: [UInt8]) -> ([UInt8], legacy: Bool)? {
        guard let tokenLayout = Layout.make(token), let tokenSigner = tokenLayout.signers.first else { return nil }
        if let value = tokenSigner.unsigned.first(where: { $0.oid == hashIndexOID })?.values.first { return (Array(value), false) }
        if let value = tokenSigner.unsigned.first(where: { $0.oid == legacyHashIndexOID })?.values.first { return (Array(value), true) }
        return nil
    }

    /// The unsigned-attribute hashes an archive token's index lists, and how they were made.
    static func coveredValueHashes(token: [UInt8]) -> (algorithm: DigestAlgorithm, hashes: Set<[UInt8]>, legacy: Bool)? {
        guard let (der, legacy) = hashIndex(of: token), let index = HashIndex(der: der) else { return nil }
        return (index.algorithm, Set(index.unsignedAttributeValues), legacy)
    }
}
