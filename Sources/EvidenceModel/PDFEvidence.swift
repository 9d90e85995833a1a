#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// MARK: - Signed PDFs (ISO 32000, PAdES: ETSI EN 319 142-1)

/// What the core observed about a PDF whose signatures this evidence is about.
///
/// Present only when the signatures came out of a PDF (`verify X.pdf`); older evidence has no `pdf` key. It is data:
/// the file's revisions (each incremental update) and what each changed, every signature field with the bytes its
/// `/ByteRange` covers, the revision that is, the permissions it grants (DocMDP, FieldMDP), document timestamps and
/// the document security store. The ``PolicyEngine`` judges what a change after a signature or a bad byte range means.
public struct PDFEvidence: Codable, Sendable, Equatable {
    /// The file name (no directories).
    public var name: String?
    public var size: UInt64
    public var sha256: String
    /// The header's version (`1.7`), when readable.
    public var version: String?
    /// Every revision, oldest first: the original file and each incremental update.
    public var revisions: [PDFRevisionEvidence]
    /// Every signed signature field (signatures and document timestamps), in the order of their revisions.
    public var signatures: [PDFSignatureEvidence]
    /// The certification (DocMDP) in force, when the document was certified.
    public var docMDP: PDFDocMDPEvidence?
    /// The document security store (`/DSS`, PAdES validation data), when present.
    public var dss: PDFDSSEvidence?
    /// Signature fields that hold no signature yet (their names).
    public var emptySignatureFields: [String]
    /// Structural observations that do not stop reading (plain English, for the record).
    public var issues: [String]

    public init(name: String?, size: UInt64, sha256: String, version: String?, revisions: [PDFRevisionEvidence],
                signatures: [PDFSignatureEvidence], docMDP: PDFDocMDPEvidence? = nil, dss: PDFDSSEvidence? = nil,
                emptySignatureFields: [String] = [], issues: [String] = []) {
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.version = version
        self.revisions = revisions
        self.signatures = signatures
        self.docMDP = docMDP
        self.dss = dss
        self.emptySignatureFields = emptySignatureFields
        self.issues = issues
    }

    /// The changes made in the revisions after `revision` (1-based), in file order.
    public func changes(after revision: Int) -> [PDFChange] {
        revisions.filter { $0.number > revision }.flatMap(\.changes)
    }
}

/// One revision: the file up to one `%%EOF` that ends a complete cross-reference section.
public struct PDFRevisionEvidence: Codable, Sendable, Equatable {
    /// 1 for the original document, 2 for the first incremental update, ...
    public var number: Int
    /// The byte offset just past the revision's `%%EOF` (and its end-of-line).
    public var end: UInt64
    /// `table` or `stream`: how its cross-reference section is written.
    public var xref: String
    /// Objects the revision (re)defines.
    public var objectCount: Int
    /// What the revision changed against the one before (empty for the first).
    public var changes: [PDFChange]

    public init(number: Int, end: UInt64, xref: String, objectCount: Int, changes: [PDFChange] = []) {
        self.number = number
        self.end = end
        self.xref = xref
        self.objectCount = objectCount
        self.changes = changes
    }
}

/// One change an incremental update made, classified the way DocMDP permissions speak of changes.
public struct PDFChange: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Validation data (`/DSS`, `/VRI`, their streams) or a document timestamp: allowed at every permission level
        /// (ETSI EN 319 142-1, 5.4; ISO 32000-2, 12.8.2.2).
        case longTermValidation = "ltv"
        /// A signature: an empty signature field signed, or a new signature field with its widget.
        case signature
        /// A form field's value (and its appearance) changed.
        case formFill = "form-fill"
        /// Document metadata (`/Info`, XMP) or the structure tree (tags) changed: nothing a page shows; allowed at
        /// every level, as EU DSS treats them.
        case metadata
        /// A non-widget annotation added, changed or removed.
        case annotation
        /// Anything else: page content, pages, resources, another signature's dictionary, a locked field.
        case other
    }

    /// The revision that made the change.
    public var revision: Int
    public var kind: Kind
    /// The object changed (`12 0`), when one object is concerned.
    public var object: String?
    /// The form field concerned, by its full name.
    public var field: String?
    /// What changed, in plain English (for the record and the report).
    public var detail: String
    /// For ``Kind/other``: `true` when a page object itself changed (its content, resources or other entries), which
    /// the report names as such. Absent otherwise, and in older evidence (where ``detail`` starts «page object»).
    public var pageObject: Bool?

    public init(revision: Int, kind: Kind, object: String? = nil, field: String? = nil, detail: String, pageObject: Bool? = nil) {
        self.revision = revision
        self.kind = kind
        self.object = object
        self.field = field
        self.detail = detail
        self.pageObject = pageObject
    }
}

/// One signed signature field: a signature (`/Type /Sig`) or a document timestamp (`/Type /DocTimeStamp`).
public struct PDFSignatureEvidence: Codable, Sendable, Equatable {
    /// The field's full name (`Signature1`, `form.sig`).
    public var field: String
    /// `signature` or `document-timestamp`.
    public var kind: PDFSignatureKind
    /// `/Filter` and `/SubFilter` as written (`Adobe.PPKLite`, `ETSI.CAdES.detached`, ...).
    public var filter: String?
    public var subFilter: PDFSubFilter?
    /// `/ByteRange` as written (normally four numbers).
    public var byteRange: [Int64]
    /// The revision whose end the byte range reaches, when it reaches one.
    public var revision: Int?
    /// Whether the byte range is well formed: two pieces, from the start of the file to the end of a revision, whose
    /// gap is exactly this signature's `/Contents` hex string. `detail` says what is wrong when it is not.
    public var byteRangeCheck: CryptoCheck
    /// Bytes the byte range covers.
    public var coveredSize: UInt64
    /// The space reserved for `/Contents` (bytes, decoded) and the CMS's own length in it.
    public var contentsSize: Int
    public var cmsSize: Int
    /// `/M`: the claimed signing time in the signature dictionary (PAdES puts it here, not in the CMS).
    public var signingTime: Date?
    /// `/Name`, `/Reason`, `/Location`, `/ContactInfo`: what the signer wrote, never verified.
    public var name: String?
    public var reason: String?
    public var location: String?
    public var contactInfo: String?
    /// The ids (`S0`, ...) of this signature's signers in ``Evidence/signers`` (empty for a document timestamp or an
    /// unreadable CMS).
    public var signerIDs: [String]
    /// Set when this is the certification signature: its DocMDP permission (1, 2 or 3).
    public var certification: Int?
    /// Fields this signature locks against later change (FieldMDP or the field's `/Lock`), when it locks any.
    public var fieldLock: PDFFieldLockEvidence?
    /// For `adbe.pkcs7.sha1`: the SHA-1 of the covered bytes against the digest signed inside the CMS.
    public var contentDigest: CryptoCheck?
    /// For a document timestamp: the token, checked against the covered bytes.
    public var timestamp: TimestampEvidence?
    /// Why the `/Contents` could not be used, when it could not.
    public var error: String?

    public init(field: String, kind: PDFSignatureKind, filter: String? = nil, subFilter: PDFSubFilter? = nil, byteRange: [Int64],
                revision: Int? = nil, byteRangeCheck: CryptoCheck, coveredSize: UInt64 = 0, contentsSize: Int = 0,
                cmsSize: Int = 0, signingTime: Date? = nil, name: String? = nil, reason: String? = nil,
                location: String? = nil, contactInfo: String? = nil, signerIDs: [String] = [], certification: Int? = nil,
                fieldLock: PDFFieldLockEvidence? = nil, contentDigest: CryptoCheck? = nil,
                timestamp: TimestampEvidence? = nil, error: String? = nil) {
        self.field = field
        self.kind = kind
        self.filter = filter
        self.subFilter = subFilter
        self.byteRange = byteRange
        self.revision = revision
        self.byteRangeCheck = byteRangeCheck
        self.coveredSize = coveredSize
        self.contentsSize = contentsSize
        self.cmsSize = cmsSize
        self.signingTime = signingTime
        self.name = name
        self.reason = reason
        self.location = location
        self.contactInfo = contactInfo
        self.signerIDs = signerIDs
        self.certification = certification
        self.fieldLock = fieldLock
        self.contentDigest = contentDigest
        self.timestamp = timestamp
        self.error = error
    }

    public var isDocumentTimestamp: Bool { kind == .documentTimestamp }
}

/// Which fields a signature locks (FieldMDP transform, or a signature field lock dictionary).
public struct PDFFieldLockEvidence: Codable, Sendable, Equatable {
    /// `All`, `Include` or `Exclude`.
    public var action: String
    public var fields: [String]
    /// PDF 2.0 `/P` in a lock dictionary: a further DocMDP permission, when given.
    public var permission: Int?

    public init(action: String, fields: [String], permission: Int? = nil) {
        self.action = action
        self.fields = fields
        self.permission = permission
    }

    /// Whether the field named `name` (a full name) is locked.
    public func locks(_ name: String) -> Bool {
        let listed = fields.contains { name == $0 || name.hasPrefix($0 + ".") }
        switch action {
        case "All": return true
        case "Include": return listed
        case "Exclude": return !listed
        default: return true
        }
    }
}

/// The document's certification: `/Perms /DocMDP` and the permission it grants.
public struct PDFDocMDPEvidence: Codable, Sendable, Equatable {
    /// The certifying signature's field name.
    public var field: String?
    /// 1: no changes; 2: form filling and signing; 3: also annotations. 2 when the dictionary omits `/P`.
    public var permission: Int

    public init(field: String?, permission: Int) {
        self.field = field
        self.permission = permission
    }
}

/// The document security store (PAdES validation data).
public struct PDFDSSEvidence: Codable, Sendable, Equatable {
    /// The revision that last changed it.
    public var revision: Int?
    public var certificates: Int
    public var crls: Int
    public var ocspResponses: Int
    /// `/VRI` entries (one per signature it holds data for).
    public var vriEntries: Int
    /// Entries that could not be read (plain English).
    public var issues: [String]

    public init(revision: Int?, certificates: Int, crls: Int, ocspResponses: Int, vriEntries: Int, issues: [String] = []) {
        self.revision = revision
        self.certificates = certificates
        self.crls = crls
        self.ocspResponses = ocspResponses
        self.vriEntries = vriEntries
        self.issues = issues
    }
}
