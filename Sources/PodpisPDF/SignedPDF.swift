import EvidenceModel
import Foundation
import SigningCore

/// A signature dictionary as found in a signature field's `/V`.
struct PDFSignatureDictionary {
    let field: PDFField
    let dictionary: PDFObject
    let reference: String?
    let type: String?
    let filter: String?
    let subFilter: String?
    let byteRange: [Int64]
    let contents: [UInt8]
    let signingTime: Date?
    let name: String?
    let reason: String?
    let location: String?
    let contactInfo: String?
    /// The DocMDP transform's `/P` when the dictionary carries one (a certification signature).
    let docMDPTransform: Int?
    let fieldMDP: PDFFieldLockEvidence?

    var isDocumentTimestamp: Bool { type == "/DocTimeStamp" || subFilter == "/ETSI.RFC3161" }

    init(field: PDFField, dictionary: PDFObject) throws {
        self.field = field
        self.dictionary = dictionary
        reference = dictionary.referenceText
        type = try dictionary.get("/Type")?.name
        filter = try dictionary.get("/Filter")?.name
        subFilter = try dictionary.get("/SubFilter")?.name
        byteRange = try dictionary.get("/ByteRange")?.items(limit: 64).map { $0.int ?? -1 } ?? []
        contents = try dictionary.get("/Contents")?.bytes ?? []
        signingTime = try dictionary.get("/M")?.text.flatMap(PDFDate.parse)
        name = try dictionary.get("/Name")?.text
        reason = try dictionary.get("/Reason")?.text
        location = try dictionary.get("/Location")?.text
        contactInfo = try dictionary.get("/ContactInfo")?.text
        var docMDP: Int? = nil
        var lock: PDFFieldLockEvidence? = nil
        for reference in try dictionary.get("/Reference")?.items(limit: 16) ?? [] where reference.isDictionary {
            let method = try reference.get("/TransformMethod")?.name
            let parameters = try reference.get("/TransformParams")
            if method == "/DocMDP" {
                docMDP = Int(try parameters?.get("/P")?.int ?? 2)
            } else if method == "/FieldMDP", let parameters {
                lock = try Self.lock(parameters)
            }
        }
        docMDPTransform = docMDP
        fieldMDP = lock
    }

    /// A FieldMDP transform's parameters or a signature field lock dictionary.
    static func lock(_ dictionary: PDFObject) throws -> PDFFieldLockEvidence? {
        guard dictionary.isDictionary else { return nil }
        let action = try dictionary.get("/Action")?.name.map { String($0.dropFirst()) } ?? "All"
        let fields = try dictionary.get("/Fields")?.items(limit: 10_000).compactMap(\.text) ?? []
        let permission = try dictionary.get("/P")?.int.map(Int.init)
        return PDFFieldLockEvidence(action: action, fields: fields, permission: permission)
    }
}

/// A PDF opened for verification: its revisions, signature fields and document security store.
///
/// Reading is defensive: the size is capped by the caller, the cross-reference structure is read and its compressed
/// streams inflated under a bound before qpdf sees the file (``PDFStructure``), qpdf reads without reconstructing a
/// broken file, and every walk over objects (fields, pages, the DSS) is bounded and loop-safe. A file that is not a
/// readable PDF gives one ``PodpisError`` of kind `dataFormat`.
public final class SignedPDF {
    public let name: String?
    let bytes: PDFBytes
    let structure: PDFStructure
    let latest: QPDFDocument
    let signatures: [PDFSignatureDictionary]
    let emptyFields: [String]
    var issues: [String] = []
    /// Documents of earlier revisions, opened when needed.
    private var documents: [Int: QPDFDocument] = [:]

    /// The largest PDF held in memory for verification by default.
    public static let defaultLimit = 1 << 30

    public convenience init(path: String, limit: Int = SignedPDF.defaultLimit) throws {
        let size = try FileInput.regularFileSize(path: path)
        guard size <= UInt64(limit) else {
            throw PodpisError(.dataFormat, "PDF too large (\(size) bytes; at most \(limit))", subject: path)
        }
        try self.init(bytes: try FileInput.readSmallFile(path: path, limit: UInt64(limit)), name: (path as NSString).lastPathComponent,
                      subject: path)
    }

    public init(bytes data: [UInt8], name: String?, subject: String? = nil) throws {
        self.name = name
        let subject = subject ?? name
        func fail(_ message: String) -> PodpisError {
            PodpisError(.dataFormat, .pdfUnreadable, ["detail": message], subject: subject)
        }
        bytes = PDFBytes(data)
        do {
            structure = try PDFStructure(bytes.buffer)
        } catch let failure as PDFStructure.Failure {
            throw fail(failure.description)
        }
        let last = structure.revisions[structure.revisions.count - 1]
        if last.trailer["/Encrypt"] != nil {
            throw PodpisError(.dataFormat, .pdfEncrypted, subject: subject)
        }
        do {
            latest = try QPDFDocument(bytes, length: last.end)
            var found: [PDFSignatureDictionary] = []
            var empty: [String] = []
            var seen = Set<String>()
            var duplicates: [String] = []
            for field in try PDFFieldTree.fields(in: latest) where field.isSignature {
                guard let value = try field.object.get("/V"), value.isDictionary else {
                    empty.append(field.name)
                    continue
                }
                if let reference = value.referenceText, !seen.insert(reference).inserted {
                    duplicates.append(field.name)
                    continue
                }
                found.append(try PDFSignatureDictionary(field: field, dictionary: value))
            }
            signatures = found.sorted { ($0.byteRange.count == 4 ? $0.byteRange[2] + $0.byteRange[3] : 0) < ($1.byteRange.count == 4 ? $1.byteRange[2] + $1.byteRange[3] : 0) }
            emptyFields = empty
            if !duplicates.isEmpty {
                issues.append("fields \(duplicates.joined(separator: ", ")) name a signature another field already holds")
            }
            issues += latest.warnings.prefix(8).map { "qpdf: \($0)" }
        } catch let failure as QPDFDocument.Failure {
            throw fail(failure.description)
        }
    }

    /// Whether the PDF holds at least one signature (or document timestamp).
    public var isSigned: Bool { !signatures.isEmpty }

    /// A signature field as `inspect` shows it: nothing is verified.
    public struct Field: Sendable, Codable {
        public var name: String
        public var subFilter: String?
        public var documentTimestamp: Bool
        public var byteRange: [Int64]
        /// The signature's CMS (or the document timestamp's token), its DER without the `/Contents` padding; nil when
        /// `/Contents` does not begin with a DER structure.
        public var cms: [UInt8]?
        /// `/M`, the signing time the PDF dictionary claims.
        public var claimedTime: Date?
        /// The DocMDP permission (`/P`) of a certification signature.
        public var certification: Int?
    }

    /// The signature fields that hold a signature, in the order of the revisions they sign; and the empty ones.
    public var fields: (signed: [Field], empty: [String]) {
        (signatures.map { signature in
            Field(name: signature.field.name, subFilter: signature.subFilter.map { String($0.drop { $0 == "/" }) },
                  documentTimestamp: signature.isDocumentTimestamp, byteRange: signature.byteRange,
                  cms: Self.trimmedDER(signature.contents), claimedTime: signature.signingTime,
                  certification: signature.docMDPTransform)
        }, emptyFields)
    }

    /// Whether `path` starts like a PDF that holds a signature: the header, then a `/ByteRange` somewhere (signature
    /// dictionaries are never inside compressed object streams: their byte offsets must be real). Reads the file once
    /// in chunks without keeping it.
    public static func looksLikeSignedPDF(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 5), Array(head) == Array("%PDF-".utf8) else { return false }
        let needle = Array("/ByteRange".utf8)
        var carry: [UInt8] = []
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            let window = carry + Array(chunk)
            if contains(window, needle) { return true }
            carry = Array(window.suffix(needle.count - 1))
        }
        return false
    }

    /// Whether bytes start with `%PDF-` and hold a `/ByteRange`.
    public static func looksLikeSignedPDF(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: Array("%PDF-".utf8)) && contains(bytes[...], Array("/ByteRange".utf8))
    }

    static func contains(_ haystack: some Collection<UInt8>, _ needle: [UInt8]) -> Bool {
        let array = Array(haystack)
        guard array.count >= needle.count else { return false }
        return array.withUnsafeBufferPointer { buffer in
            var index = 0
            while index <= buffer.count - needle.count {
                if buffer[index] == needle[0], (1..<needle.count).allSatisfy({ buffer[index + $0] == needle[$0] }) { return true }
                index += 1
            }
            return false
        }
    }

    func document(revision: Int) throws -> QPDFDocument {
        if revision == structure.revisions.count { return latest }
        if let cached = documents[revision] { return cached }
        let opened = try QPDFDocument(bytes, length: structure.revisions[revision - 1].end)
        documents[revision] = opened
        return opened
    }

    /// The revision whose end a byte range reaches.
    func revision(endingAt end: Int64) -> Int? {
        structure.revisions.first { Int64($0.end) == end || Int64($0.eofEnd) == end }?.number
    }

    // MARK: Evidence

    /// Verification inputs other than the PDF itself (as for a detached signature).
    public typealias VerificationSettings = SigningCore.VerificationSettings

    /// Gathers the evidence for every signature and document timestamp: each CMS through the ordinary
    /// detached-signature path over the bytes its `/ByteRange` covers (signers numbered across the file: S0, S1, ...),
    /// plus the ``PDFEvidence``: revisions, what each changed, byte-range checks, permissions, the DSS.
    public func collectEvidence(_ settings: VerificationSettings) throws -> Evidence {
        guard isSigned else {
            throw PodpisError(.dataFormat, .pdfUnsigned, subject: name)
        }
        do {
            return try gather(settings)
        } catch let failure as QPDFDocument.Failure {
            throw PodpisError(.dataFormat, .pdfUnreadable, ["detail": failure.description], subject: name)
        }
    }

    func gather(_ settings: VerificationSettings) throws -> Evidence {
        let revisions = structure.revisions
        let dss = try DocumentSecurityStore(latest)
        var certificates = settings.certificates
        var crls = settings.crls
        var ocsp = settings.ocspResponses
        for der in dss.certificates { if let cert = try? X509Certificate(der: der) { certificates.append(cert) } }
        for der in dss.crls { crls += (try? CertificateRevocationList.parseAll(der)) ?? [] }
        ocsp += dss.ocspResponses

        // Changes, revision by revision, from the first one after the earliest signature.
        let signedRevisions = signatures.compactMap { signature in
            signature.byteRange.count == 4 ? revision(endingAt: signature.byteRange[2] + signature.byteRange[3]) : nil
        }
        var revisionEvidence = revisions.map {
            PDFRevisionEvidence(number: $0.number, end: UInt64($0.end), xref: $0.isStream ? "stream" : "table",
                                objectCount: $0.defined.count)
        }
        var latestRoles: PDFRoles? = nil
        if let earliest = signedRevisions.min(), earliest < revisions.count {
            var beforeRoles = try PDFRoles(try document(revision: earliest))
            for number in (earliest + 1)...revisions.count {
                let after = try document(revision: number)
                let afterRoles = try PDFRoles(after)
                var analysis = PDFChangeAnalysis(
                    revision: number, before: try document(revision: number - 1), after: after, beforeRoles: beforeRoles,
                    afterRoles: afterRoles, beforeSize: revisions[number - 2].trailer["/Size"]?.int ?? 0)
                try analysis.analyse(revisions[number - 1].defined)
                revisionEvidence[number - 1].changes = analysis.changes
                beforeRoles = afterRoles
                // Earlier revisions are no longer needed: free their parsed objects.
                if number - 1 != revisions.count { documents[number - 1] = nil }
                latestRoles = afterRoles
            }
        }
        if structure.trailingBytes > 0 {
            let pseudo = revisions.count + 1
            revisionEvidence.append(PDFRevisionEvidence(
                number: pseudo, end: UInt64(bytes.count), xref: "none", objectCount: 0,
                changes: [PDFChange(revision: pseudo, kind: .other,
                                    detail: "\(structure.trailingBytes) bytes appended after the last %%EOF, outside any revision")]))
        }
        let roles = try latestRoles ?? PDFRoles(latest)
        let dssNumbers = Set(roles.validationData.compactMap { Int($0.split(separator: " ").first ?? "") })
        var dssRevision: Int? = nil
        if dss.present {
            let catalogNumber = roles.catalog.flatMap { Int($0.split(separator: " ").first ?? "") }
            let watched = dss.direct ? Set([catalogNumber].compactMap { $0 }) : dssNumbers
            dssRevision = revisions.last { !watched.isDisjoint(with: $0.defined.keys) }?.number
        }

        // Certification: /Perms /DocMDP names the certifying signature dictionary.
        let root = try latest.root()
        let certifying = try root.get("/Perms")?.get("/DocMDP")?.referenceText

        var merged: Evidence? = nil
        var records: [PDFSignatureEvidence] = []
        var documentTimestamps: [(revision: Int, timestamp: PAdESSupport.DocumentTimestamp)] = []
        for signature in signatures {
            var record = PDFSignatureEvidence(
                field: signature.field.name, kind: signature.isDocumentTimestamp ? .documentTimestamp : .signature,
                filter: signature.filter.map { String($0.dropFirst()) }, subFilter: signature.subFilter.map { PDFSubFilter(rawValue: String($0.dropFirst())) },
                byteRange: signature.byteRange, byteRangeCheck: CryptoCheck(.valid), contentsSize: signature.contents.count,
                signingTime: signature.signingTime, name: signature.name, reason: signature.reason, location: signature.location,
                contactInfo: signature.contactInfo, fieldLock: signature.fieldMDP ?? (try? signature.field.object.get("/Lock")).flatMap { $0 }.flatMap { try? PDFSignatureDictionary.lock($0) })
            if signature.reference != nil, signature.reference == certifying {
                record.certification = signature.docMDPTransform ?? 2
            }
            let (check, ranges, revisionNumber) = checkByteRange(signature)
            record.byteRangeCheck = check
            record.revision = revisionNumber
            record.coveredSize = UInt64(ranges.reduce(0) { $0 + $1.count })
            let der = Self.trimmedDER(signature.contents)
            record.cmsSize = der?.count ?? 0
            guard let der else {
                record.error = "/Contents holds no DER-encoded CMS"
                records.append(record)
                continue
            }
            if signature.isDocumentTimestamp {
                let digests = ranges.isEmpty ? [:] : try digest(ranges, algorithms: Set(DigestAlgorithm.allCases))
                let examined = PAdESSupport.examineDocumentTimestamp(
                    der, covered: digests, trust: settings.trust, certificates: certificates, crls: crls, ocspResponses: ocsp,
                    validationTime: settings.validationTime, revocation: settings.revocation, limits: settings.limits)
                record.timestamp = examined.evidence
                if let revisionNumber { documentTimestamps.append((revisionNumber, examined)) }
                if var base = merged {
                    base.certificates.merge(examined.certificates) { first, _ in first }
                    base.revocationSources += examined.revocationSources
                    merged = base
                } else {
                    pendingTimestampCertificates.merge(examined.certificates) { first, _ in first }
                }
                records.append(record)
                continue
            }
            let sha1 = signature.subFilter == "/adbe.pkcs7.sha1"
            var document: DocumentInput? = nil
            if ranges.isEmpty {
                // Unusable numbers: nothing to verify against (the byte-range check says why).
            } else if sha1 {
                let digests = try digest(ranges, algorithms: [.sha1])
                if let content = PAdESSupport.encapsulatedContent(der), let actual = digests[.sha1] {
                    record.contentDigest = content == actual
                        ? CryptoCheck(.valid) : CryptoCheck(.invalid, "the SHA-1 signed inside the CMS is not the SHA-1 of the covered bytes")
                } else {
                    record.contentDigest = CryptoCheck(.notChecked, "the CMS carries no SHA-1 digest of the document")
                }
            } else {
                let algorithms = PAdESSupport.digestAlgorithms(der).union([.sha256])
                let size = UInt64(ranges.reduce(0) { $0 + $1.count })
                document = .hashed(name: name, size: size, digests: try digest(ranges, algorithms: algorithms))
            }
            var evidence = try EvidenceCollector.collect(VerificationRequest(
                signature: der, signatureName: signature.field.name, document: document, trust: settings.trust,
                certificates: certificates, crls: crls, validationTime: settings.validationTime, ocspResponses: ocsp,
                revocation: settings.revocation, limits: settings.limits))
            guard evidence.format.parsed else {
                record.error = evidence.format.error ?? "not a CMS signature"
                records.append(record)
                continue
            }
            let offset = merged?.signers.count ?? 0
            for index in evidence.signers.indices {
                evidence.signers[index].id = "S\(offset + index)"
                // PAdES carries the claimed signing time in /M, not in the CMS (EN 319 142-1, 6.3).
                if evidence.signers[index].claimedSigningTime == nil { evidence.signers[index].claimedSigningTime = signature.signingTime }
            }
            record.signerIDs = evidence.signers.map(\.id)
            if var base = merged {
                base.signers += evidence.signers
                base.certificates.merge(evidence.certificates) { first, _ in first }
                base.revocationSources += evidence.revocationSources
                base.trustAnchors = Array(Set(base.trustAnchors + evidence.trustAnchors)).sorted()
                merged = base
            } else {
                evidence.certificates.merge(pendingTimestampCertificates) { first, _ in first }
                merged = evidence
            }
            records.append(record)
        }

        // PAdES levels (EN 319 142-1, 6): B with the signing-certificate attribute; T with a signature timestamp or a
        // later document timestamp; LT with validation data in a DSS added after the signature; LTA with a document
        // timestamp after that DSS.
        var result = merged ?? Evidence(
            producer: "podpis", gatheredAt: Date(), validationTime: (settings.validationTime ?? Date()),
            document: nil, signatureFile: SignatureFileEvidence(name: name, size: UInt64(bytes.count), sha256: "", encoding: "pdf"),
            format: FormatEvidence(parsed: true))
        if merged == nil { result.certificates = pendingTimestampCertificates }
        let hasValidationData = dss.crls.count + dss.ocspResponses.count > 0
        for record in records where !record.isDocumentTimestamp {
            guard let revisionNumber = record.revision else { continue }
            for id in record.signerIDs {
                guard let index = result.signers.firstIndex(where: { $0.id == id }) else { continue }
                let signer = result.signers[index]
                guard signer.identification.signingCertificateAttribute != .absent else {
                    result.signers[index].level = .cms
                    continue
                }
                var level = EvidenceLevel.b
                let laterTimestamps = documentTimestamps.filter { $0.revision > revisionNumber }.map(\.revision)
                if signer.timestamps.contains(where: { $0.type == .signature }) || !laterTimestamps.isEmpty {
                    level = .t
                    let embeddedLT = signer.level == .lt || signer.level == .lta
                    if let dssRevision, dssRevision > revisionNumber, hasValidationData {
                        level = .lt
                        if laterTimestamps.contains(where: { $0 > dssRevision }) { level = .lta }
                    } else if embeddedLT {
                        level = signer.level
                    }
                }
                result.signers[index].level = level
            }
        }
        let whole = try digest([0..<bytes.count], algorithms: [.sha256, .streebog256])
        var named: [String: String] = [:]
        for (algorithm, value) in whole { named[algorithm.name] = Hex.encode(value) }
        result.document = DocumentEvidence(name: name, size: UInt64(bytes.count), digests: named, source: .detached)
        result.signatureFile = SignatureFileEvidence(name: name, size: UInt64(bytes.count), sha256: named["sha256"] ?? "", encoding: "pdf")
        result.format = FormatEvidence(parsed: true, content: "pdf")
        var allIssues = issues + dss.issues
        if certifying != nil, !records.contains(where: { $0.certification != nil }) {
            allIssues.append("/Perms /DocMDP names no signature of this file")
        }
        let docMDP = records.first { $0.certification != nil }.map { PDFDocMDPEvidence(field: $0.field, permission: $0.certification ?? 2) }
        result.pdf = PDFEvidence(
            name: name, size: UInt64(bytes.count), sha256: named["sha256"] ?? "", version: structure.version,
            revisions: revisionEvidence, signatures: records, docMDP: docMDP,
            dss: dss.present ? PDFDSSEvidence(revision: dssRevision, certificates: dss.certificates.count, crls: dss.crls.count,
                                               ocspResponses: dss.ocspResponses.count, vriEntries: dss.vriEntries, issues: dss.issues) : nil,
            emptySignatureFields: emptyFields, issues: allIssues)
        return result
    }

    /// Certificates of document timestamps met before the first signature's evidence exists.
    private var pendingTimestampCertificates: [String: CertificateInfo] = [:]

    /// The byte-range check: `[0 a b c]`, a gap that is exactly this signature's `/Contents` hex string, and an end
    /// at the end of a revision. Returns the covered ranges (empty when the numbers are unusable).
    func checkByteRange(_ signature: PDFSignatureDictionary) -> (CryptoCheck, [Range<Int>], Int?) {
        let range = signature.byteRange
        let size = Int64(bytes.count)
        guard range.count == 4 else {
            return (CryptoCheck(.invalid, "/ByteRange has \(range.count) numbers, not 4"), [], nil)
        }
        let (start, firstLength, second, secondLength) = (range[0], range[1], range[2], range[3])
        guard start >= 0, firstLength >= 0, second >= start + firstLength, secondLength >= 0, second + secondLength <= size else {
            return (CryptoCheck(.invalid, "/ByteRange [\(range.map(String.init).joined(separator: " "))] does not fit the file (\(size) bytes)"), [], nil)
        }
        let ranges = [Int(start)..<Int(start + firstLength), Int(second)..<Int(second + secondLength)]
        let revisionNumber = revision(endingAt: second + secondLength)
        var problems: [String] = []
        if start != 0 { problems.append("it does not start at the beginning of the file") }
        let gap = Int(start + firstLength)..<Int(second)
        let buffer = bytes.buffer
        if gap.count < 2 || buffer[gap.lowerBound] != 0x3C || buffer[gap.upperBound - 1] != 0x3E {
            problems.append("the gap it leaves is not a hex string")
        } else {
            var decoded: [UInt8] = []
            decoded.reserveCapacity(gap.count / 2)
            var pending: UInt8? = nil
            var clean = true
            for index in (gap.lowerBound + 1)..<(gap.upperBound - 1) {
                guard let nibble = Hex.nibble(buffer[index]) else { clean = false; break }
                if let high = pending { decoded.append(high << 4 | nibble); pending = nil } else { pending = nibble }
            }
            if !clean || pending != nil || decoded != signature.contents {
                problems.append("the gap it leaves is not this signature's /Contents")
            }
        }
        if revisionNumber == nil { problems.append("it does not end at the end of a revision (%%EOF)") }
        if let revisionNumber, let reference = signature.reference,
           let number = Int(reference.split(separator: " ").first ?? ""),
           !structure.revisions.prefix(revisionNumber).contains(where: { $0.defined[number].map { $0.type != 0 } ?? false }) {
            problems.append("the signature dictionary is not part of the revision the byte range covers")
        }
        if problems.isEmpty { return (CryptoCheck(.valid), ranges, revisionNumber) }
        return (CryptoCheck(.invalid, "/ByteRange [\(range.map(String.init).joined(separator: " "))]: " + problems.joined(separator: "; ")), ranges, revisionNumber)
    }

    func digest(_ ranges: [Range<Int>], algorithms: Set<DigestAlgorithm>) throws -> [DigestAlgorithm: [UInt8]] {
        let multi = try MultiDigest(algorithms)
        for range in ranges { multi.update(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.buffer[range]))) }
        return multi.finish()
    }

    /// The CMS at the start of `/Contents` without the zero padding after it: DER, or BER with indefinite lengths
    /// (some producers write those), measured by walking its encoding.
    static func trimmedDER(_ contents: [UInt8]) -> [UInt8]? {
        guard contents.first == 0x30, let end = elementEnd(contents, at: 0, depth: 0) else { return nil }
        return Array(contents[0..<end])
    }

    /// The offset just past the BER element starting at `start`.
    static func elementEnd(_ bytes: [UInt8], at start: Int, depth: Int) -> Int? {
        guard depth < 64, start + 2 <= bytes.count else { return nil }
        var cursor = start + 1
        if bytes[start] & 0x1F == 0x1F {  // high tag number
            while cursor < bytes.count, bytes[cursor] & 0x80 != 0 { cursor += 1 }
            cursor += 1
        }
        guard cursor < bytes.count else { return nil }
        let first = bytes[cursor]
        cursor += 1
        if first == 0x80 {
            // Indefinite: constructed contents up to an end-of-contents (00 00).
            guard bytes[start] & 0x20 != 0 else { return nil }
            while cursor + 2 <= bytes.count {
                if bytes[cursor] == 0, bytes[cursor + 1] == 0 { return cursor + 2 }
                guard let next = elementEnd(bytes, at: cursor, depth: depth + 1), next > cursor else { return nil }
                cursor = next
            }
            return nil
        }
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count <= 4, cursor + count <= bytes.count else { return nil }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[cursor])
                cursor += 1
            }
        }
        guard cursor + length <= bytes.count else { return nil }
        return cursor + length
    }
}

/// The document security store (`/DSS`, ISO 32000-2 12.8.4.3, ETSI EN 319 142-1 5.4.2): certificates, CRLs and OCSP
/// responses as streams, and per-signature `/VRI` entries. Streams are inflated under a bound.
struct DocumentSecurityStore {
    var present = false
    /// The DSS is a direct dictionary inside the catalog.
    var direct = false
    var certificates: [[UInt8]] = []
    var crls: [[UInt8]] = []
    var ocspResponses: [[UInt8]] = []
    var vriEntries = 0
    var issues: [String] = []

    static let maxEntries = 4096
    static let maxStream = 16 << 20
    static let maxTotal = 128 << 20

    init(_ document: QPDFDocument) throws {
        let root = try document.root()
        guard let dss = try root.get("/DSS"), dss.isDictionary else { return }
        present = true
        direct = !dss.isIndirect
        var total = 0
        func read(_ key: String) throws -> [[UInt8]] {
            var result: [[UInt8]] = []
            for item in try dss.get(key)?.items(limit: Self.maxEntries) ?? [] {
                guard item.isStream else {
                    issues.append("\(key) holds something that is not a stream")
                    continue
                }
                do {
                    let data = try Self.decode(item)
                    total += data.count
                    guard total <= Self.maxTotal else {
                        issues.append("the DSS holds more than \(Self.maxTotal) bytes; the rest is ignored")
                        return result
                    }
                    result.append(data)
                } catch {
                    issues.append("a \(key) entry cannot be decoded")
                }
            }
            return result
        }
        certificates = try read("/Certs")
        crls = try read("/CRLs")
        ocspResponses = try read("/OCSPs")
        if let vri = try dss.get("/VRI"), vri.isDictionary { vriEntries = try vri.keys().count }
    }

    /// A DSS stream's data: stored, or FlateDecode under ``maxStream``.
    static func decode(_ stream: PDFObject) throws -> [UInt8] {
        let raw = try stream.rawStreamData()
        let filter = try stream.get("/Filter")
        let names = filter.map { $0.isArray ? ((try? $0.items(limit: 4)) ?? []).compactMap(\.name) : [$0.name].compactMap { $0 } } ?? []
        if names.isEmpty {
            guard raw.count <= maxStream else { throw Flate.TooLarge() }
            return raw
        }
        guard names == ["/FlateDecode"] || names == ["/Fl"] else { throw Flate.Corrupt() }
        return try Flate.inflate(raw[...], limit: maxStream).bytes
    }
}
