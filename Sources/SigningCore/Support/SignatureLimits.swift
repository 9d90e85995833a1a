import EvidenceModel
import Foundation

/// Caps on what one signature may carry. A CMS with 100 000 certificates parses into about a gigabyte of OpenSSL
/// objects and takes seconds of path building; nothing legitimate needs that. The caps are counted on the encoded
/// structure (BER/DER headers only, no object is decoded) before OpenSSL parses anything, so refusing costs
/// milliseconds and no memory beyond the input.
public struct SignatureLimits: Sendable, Equatable {
    /// Certificates in the SignedData (and in certificate-values attributes), counted over the signature and
    /// every timestamp token inside it.
    public var certificates: Int
    /// CRLs and OCSP responses (SignedData.crls, revocation-values attributes), counted the same way.
    public var revocationObjects: Int
    /// SignerInfos: the signers, their counter-signers and the signers of timestamp tokens, all together.
    public var signers: Int
    /// Unsigned attribute values of one SignerInfo.
    public var unsignedAttributes: Int
    /// How deep timestamp tokens may sit inside one another (a token in a token's attributes). Tokens side by side
    /// (archive timestamps renewed over the years) do not add depth; their number is bounded by the two caps above.
    public var nestedTimestamps: Int

    public init(certificates: Int = 500, revocationObjects: Int = 200, signers: Int = 64, unsignedAttributes: Int = 64,
                nestedTimestamps: Int = 16) {
        self.certificates = certificates
        self.revocationObjects = revocationObjects
        self.signers = signers
        self.unsignedAttributes = unsignedAttributes
        self.nestedTimestamps = nestedTimestamps
    }

    /// The defaults: far above any signature made by a real signing tool.
    public static let standard = SignatureLimits()
    /// No caps (`verify --no-limits`, for forensic work on a file known to be hostile or odd).
    public static let unlimited = SignatureLimits(certificates: .max, revocationObjects: .max, signers: .max,
                                                  unsignedAttributes: .max, nestedTimestamps: .max)

    /// The catalogue key of the error a cap raises; front ends recognise the error by it (HTTP 422 too-complex).
    public static let errorKey = ErrorMessage.tooComplex

    /// The caps by their configuration names, in the order they are documented.
    public static let names = ["certificates", "revocationObjects", "signers", "unsignedAttributes", "nestedTimestamps"]

    public subscript(name: String) -> Int? {
        get {
            switch name {
            case "certificates": certificates
            case "revocationObjects": revocationObjects
            case "signers": signers
            case "unsignedAttributes": unsignedAttributes
            case "nestedTimestamps": nestedTimestamps
            default: nil
            }
        }
        set {
            guard let newValue else { return }
            switch name {
            case "certificates": certificates = newValue
            case "revocationObjects": revocationObjects = newValue
            case "signers": signers = newValue
            case "unsignedAttributes": unsignedAttributes = newValue
            case "nestedTimestamps": nestedTimestamps = newValue
            default: break
            }
        }
    }

    /// Counts what `der` (a ContentInfo with SignedData, DER or BER) carries and throws a `dataFormat`
    /// ``PodpisError`` keyed ``errorKey`` naming the first cap exceeded. A structure the counter cannot walk is left
    /// to OpenSSL, which refuses it (the counter follows no more than OpenSSL accepts).
    public func check(_ der: [UInt8], subject: String? = nil) throws {
        guard self != .unlimited else { return }
        var counter = SignatureComplexity.Counter(bytes: der, limits: self)
        do {
            try counter.signedObject(at: 0, depth: 0, tokenDepth: 0)
        } catch let exceeded as SignatureComplexity.Exceeded {
            throw PodpisError(.dataFormat, Self.errorKey,
                              ["what": exceeded.what, "count": "\(exceeded.count)", "limit": "\(exceeded.limit)", "name": exceeded.name], subject: subject)
        } catch {
            return  // not walkable here: OpenSSL decides (and refuses what is malformed)
        }
    }
}

/// The counting walk behind ``SignatureLimits/check(_:subject:)``.
enum SignatureComplexity {
    struct Exceeded: Error {
        let name: String
        let what: String
        let count: Int
        let limit: Int
    }

    struct Malformed: Error {}

    /// One TLV of BER: definite or indefinite length (streamed signatures use the latter).
    struct Node {
        /// Where the TLV starts (its tag).
        var start: Int
        var tag: UInt8
        var contentStart: Int
        /// Where the content ends (before the end-of-contents octets of an indefinite length).
        var contentEnd: Int
        /// Where the next TLV starts.
        var end: Int
    }

    static let signedDataOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
    static let revocationValuesOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x18]
    static let certificateValuesOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x17]
    static let counterSignatureOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x06]
    /// Deeper than OpenSSL's own limit on nested constructed values (30): nothing it parses is cut off here.
    static let maxDepth = 64

    struct Counter {
        let bytes: [UInt8]
        let limits: SignatureLimits
        var certificates = 0
        var revocationObjects = 0
        var signers = 0
        /// The ends of indefinite-length values already walked, by their offset (each is walked once).
        var ends: [Int: (contentEnd: Int, end: Int)] = [:]

        init(bytes: [UInt8], limits: SignatureLimits) {
            self.bytes = bytes
            self.limits = limits
        }

        mutating func node(at offset: Int, depth: Int) throws -> Node {
            guard depth <= SignatureComplexity.maxDepth, offset + 2 <= bytes.count else { throw Malformed() }
            let tag = bytes[offset]
            var cursor = offset + 1
            if tag & 0x1F == 0x1F {  // high tag number: skip its continuation octets
                while cursor < bytes.count, bytes[cursor] & 0x80 != 0 { cursor += 1 }
                cursor += 1
            }
            guard cursor < bytes.count else { throw Malformed() }
            let first = bytes[cursor]
            cursor += 1
            if first == 0x80 {
                guard tag & 0x20 != 0 else { throw Malformed() }
                if let known = ends[offset] { return Node(start: offset, tag: tag, contentStart: cursor, contentEnd: known.contentEnd, end: known.end) }
                var child = cursor
                while true {
                    guard child + 2 <= bytes.count else { throw Malformed() }
                    if bytes[child] == 0, bytes[child + 1] == 0 { break }
                    child = try node(at: child, depth: depth + 1).end
                }
                ends[offset] = (child, child + 2)
                return Node(start: offset, tag: tag, contentStart: cursor, contentEnd: child, end: child + 2)
            }
            var length = 0
            if first < 0x80 {
                length = Int(first)
            } else {
                let count = Int(first & 0x7F)
                guard count >= 1, count <= 8, cursor + count <= bytes.count else { throw Malformed() }
                for _ in 0..<count {
                    guard length < (1 << 48) else { throw Malformed() }
                    length = (length << 8) | Int(bytes[cursor])
                    cursor += 1
                }
            }
            guard length <= bytes.count - cursor else { throw Malformed() }
            return Node(start: offset, tag: tag, contentStart: cursor, contentEnd: cursor + length, end: cursor + length)
        }

        mutating func children(of parent: Node, depth: Int) throws -> [Node] {
            var result: [Node] = []
            var offset = parent.contentStart
            while offset < parent.contentEnd {
                let child = try node(at: offset, depth: depth + 1)
                guard child.end <= parent.contentEnd else { throw Malformed() }
                result.append(child)
                offset = child.end
            }
            return result
        }

        /// How many TLVs a constructed value holds, without keeping them.
        mutating func count(_ parent: Node, depth: Int) throws -> Int {
            var count = 0
            var offset = parent.contentStart
            while offset < parent.contentEnd {
                let child = try node(at: offset, depth: depth + 1)
                guard child.end <= parent.contentEnd else { throw Malformed() }
                count += 1
                offset = child.end
            }
            return count
        }

        func content(_ node: Node) -> ArraySlice<UInt8> { bytes[node.contentStart..<node.contentEnd] }

        mutating func add(certificates n: Int) throws {
            certificates += n
            if certificates > limits.certificates {
                throw Exceeded(name: "certificates", what: "certificates", count: certificates, limit: limits.certificates)
            }
        }

        mutating func add(revocationObjects n: Int) throws {
            revocationObjects += n
            if revocationObjects > limits.revocationObjects {
                throw Exceeded(name: "revocationObjects", what: "CRLs and OCSP responses", count: revocationObjects, limit: limits.revocationObjects)
            }
        }

        mutating func add(signers n: Int) throws {
            signers += n
            if signers > limits.signers {
                throw Exceeded(name: "signers", what: "signers (counter-signers and timestamp signers included)", count: signers, limit: limits.signers)
            }
        }

        /// A ContentInfo holding SignedData: the signature itself (token depth 0) or a timestamp token inside it.
        /// `depth` is the nesting of the encoding, `tokenDepth` that of signed objects inside one another.
        mutating func signedObject(at offset: Int, depth: Int, tokenDepth: Int) throws {
            // However high the configured cap, the walk's own recursion stays bounded.
            let depthLimit = min(limits.nestedTimestamps, 256)
            if tokenDepth > depthLimit {
                throw Exceeded(name: "nestedTimestamps", what: "levels of timestamps nested in one another", count: tokenDepth, limit: depthLimit)
            }
            let contentInfo = try node(at: offset, depth: depth)
            let parts = try children(of: contentInfo, depth: depth)
            guard parts.count == 2, parts[0].tag == 0x06, Array(content(parts[0])) == SignatureComplexity.signedDataOID,
                  parts[1].tag == 0xA0
            else { throw Malformed() }
            guard let signedData = try children(of: parts[1], depth: depth + 1).first, signedData.tag == 0x30 else { throw Malformed() }
            for field in try children(of: signedData, depth: depth + 2) {
                switch field.tag {
                case 0xA0: try add(certificates: try count(field, depth: depth + 3))
                case 0xA1: try add(revocationObjects: try count(field, depth: depth + 3))
                case 0x31 where field.end == signedData.contentEnd:
                    // signerInfos: the last field.
                    let infos = try children(of: field, depth: depth + 3)
                    try add(signers: infos.count)
                    for info in infos { try signerInfo(info, depth: depth + 4, tokenDepth: tokenDepth) }
                default: break
                }
            }
        }

        /// One SignerInfo: its unsigned attributes (timestamps, revocation and certificate values, counter-signers)
        /// and the content-timestamps among its signed ones. Attribute values are opaque to OpenSSL's parser, so a
        /// value this walk cannot read is skipped rather than failing the walk: what it can read is still counted.
        mutating func signerInfo(_ info: Node, depth: Int, tokenDepth: Int) throws {
            guard info.tag == 0x30 else { throw Malformed() }
            for field in try children(of: info, depth: depth) where field.tag == 0xA0 || field.tag == 0xA1 {
                var values = 0
                for attribute in try children(of: field, depth: depth + 1) {
                    let parts = try children(of: attribute, depth: depth + 2)
                    guard parts.count == 2, parts[0].tag == 0x06, parts[1].tag == 0x31 else { throw Malformed() }
                    let type = Array(content(parts[0]))
                    let items = try children(of: parts[1], depth: depth + 3)
                    values += items.count
                    if field.tag == 0xA1, values > limits.unsignedAttributes {
                        throw Exceeded(name: "unsignedAttributes", what: "unsigned attribute values on one signer", count: values,
                                       limit: limits.unsignedAttributes)
                    }
                    for item in items {
                        do {
                            try attributeValue(item, type: type, depth: depth + 4, tokenDepth: tokenDepth)
                        } catch is Malformed {
                            continue
                        }
                    }
                }
            }
        }

        mutating func attributeValue(_ item: Node, type: [UInt8], depth: Int, tokenDepth: Int) throws {
            if type == SignatureComplexity.counterSignatureOID {
                try add(signers: 1)
                try signerInfo(item, depth: depth, tokenDepth: tokenDepth)
            } else if type == SignatureComplexity.certificateValuesOID {
                try add(certificates: try count(item, depth: depth))
            } else if type == SignatureComplexity.revocationValuesOID {
                for choice in try children(of: item, depth: depth) {  // [0] CRLs, [1] OCSP, [2] other
                    guard let list = try children(of: choice, depth: depth + 1).first else { continue }
                    try add(revocationObjects: choice.tag == 0xA2 ? 1 : try count(list, depth: depth + 2))
                }
            } else if isSignedObject(item, depth: depth) {
                // A timestamp token (signature, archive, content, ES-C timestamps), or any other signed object:
                // counted like the signature it sits in, one level deeper.
                // Its encoding's nesting counts from zero again (the recursion is bounded by the token depth).
                try signedObject(at: item.start, depth: 0, tokenDepth: tokenDepth + 1)
            }
        }

        /// Whether a value is a ContentInfo whose content type is SignedData.
        mutating func isSignedObject(_ value: Node, depth: Int) -> Bool {
            guard value.tag == 0x30, let first = try? node(at: value.contentStart, depth: depth + 1), first.tag == 0x06 else { return false }
            return Array(content(first)) == SignatureComplexity.signedDataOID
        }

    }
}
