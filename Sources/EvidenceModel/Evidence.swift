#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything SigningCore observed about one signature file, with no judgement applied.
///
/// Evidence is data: it can be stored (`verify --evidence-out`, the audit journal), shown, and judged again later
/// under another policy or another validation time. Nothing in it depends on a policy; the ``PolicyEngine``
/// turns it into a report.
public struct Evidence: Codable, Sendable, Equatable {
    /// Bumped when a field changes meaning; readers refuse versions they do not know.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    /// The podpis version that gathered this evidence.
    public var producer: String
    /// When the evidence was gathered (wall clock).
    public var gatheredAt: Date
    /// The time at which certificate paths were evaluated (`--at`, or `gatheredAt`).
    public var validationTime: Date
    /// The signed document as hashed by the core; `nil` when none was given (detached signature alone).
    public var document: DocumentEvidence?
    /// The signature file as read.
    public var signatureFile: SignatureFileEvidence
    /// Whether the input could be processed as CMS SignedData at all.
    public var format: FormatEvidence
    /// One entry per SignerInfo, in file order.
    public var signers: [SignerEvidence]
    /// Every certificate referenced by this evidence, keyed by its SHA-256 fingerprint (lower-case hex).
    public var certificates: [String: CertificateInfo]
    /// Where revocation data came from (CRLs and OCSP responses seen), for the record.
    public var revocationSources: [RevocationSource]
    /// Trust anchors in force (fingerprints into ``certificates``).
    public var trustAnchors: [String]
    /// Machine-readable powers of attorney (МЧД) given beside the document, each with the evidence of its own
    /// signature. Absent in older evidence and when none was given.
    public var powersOfAttorney: [PowerOfAttorneyEvidence]?
    /// The ASiC container the signature came from, when it came from one. Optional so that evidence stored before
    /// containers were supported still decodes.
    public var container: ContainerEvidence?
    /// A bare RFC 3161 timestamp token given alone (`.tst`, `.tsr`): it is nobody's signature, so ``signers`` is
    /// empty and the token is examined here (its imprint against the document, when one was given). Absent for
    /// signatures and in older evidence.
    public var timestamps: [TimestampEvidence]?
    /// The PDF the signatures came from, when they came from one (each signature field's byte range, revision and
    /// the changes made after it). Optional so that evidence stored before PDFs were supported still decodes.
    public var pdf: PDFEvidence?

    public init(
        producer: String, gatheredAt: Date, validationTime: Date, document: DocumentEvidence?,
        signatureFile: SignatureFileEvidence, format: FormatEvidence, signers: [SignerEvidence] = [],
        certificates: [String: CertificateInfo] = [:], revocationSources: [RevocationSource] = [],
        trustAnchors: [String] = [], container: ContainerEvidence? = nil
    ) {
        self.container = container
        self.formatVersion = Self.currentFormatVersion
        self.producer = producer
        self.gatheredAt = gatheredAt
        self.validationTime = validationTime
        self.document = document
        self.signatureFile = signatureFile
        self.format = format
        self.signers = signers
        self.certificates = certificates
        self.revocationSources = revocationSources
        self.trustAnchors = trustAnchors
    }
}

/// The signed data as seen by the core.
public struct DocumentEvidence: Codable, Sendable, Equatable {
    /// File name (no directories) or a caller-provided label; `nil` for data inside an attached signature.
    public var name: String?
    /// Size in bytes, when the bytes were seen (not for digest-only input).
    public var size: UInt64?
    /// Digests by algorithm name (`sha256`, `streebog256`, ...), lower-case hex.
    public var digests: [String: String]
    /// `detached` (given beside the signature), `attached` (inside it) or `digest` (only its digest was given).
    public var source: Source

    public enum Source: String, Codable, Sendable { case detached, attached, digest }

    public init(name: String?, size: UInt64?, digests: [String: String], source: Source) {
        self.name = name
        self.size = size
        self.digests = digests
        self.source = source
    }
}

public struct SignatureFileEvidence: Codable, Sendable, Equatable {
    public var name: String?
    public var size: UInt64
    public var sha256: String
    /// `der`, `pem` or `base64`; `nil` when unreadable.
    public var encoding: String?

    public init(name: String?, size: UInt64, sha256: String, encoding: String?) {
        self.name = name
        self.size = size
        self.sha256 = sha256
        self.encoding = encoding
    }
}

public struct FormatEvidence: Codable, Sendable, Equatable {
    /// `true` when the input parsed as CMS SignedData.
    public var parsed: Bool
    /// Why it did not parse (plain English, for logs), when it did not.
    public var error: String?
    /// `attached` when the SignedData carries its content, `detached` otherwise.
    public var content: String?
    /// The encapsulated content type OID (`1.2.840.113549.1.7.1` for data).
    public var contentType: String?

    public init(parsed: Bool, error: String? = nil, content: String? = nil, contentType: String? = nil) {
        self.parsed = parsed
        self.error = error
        self.content = content
        self.contentType = contentType
    }
}

/// The outcome of a check the core performed itself (cryptography, bindings).
public enum CheckOutcome: String, Codable, Sendable {
    /// Checked and holds.
    case valid
    /// Checked and does not hold.
    case invalid
    /// Could not be checked (input missing); the reason says why.
    case notChecked
    /// The thing to check is absent (e.g. no signing-certificate attribute).
    case absent
}

/// One SignerInfo.
public struct SignerEvidence: Codable, Sendable, Equatable {
    /// `S0`, `S1`, ... in file order.
    public var id: String
    /// Problems with the SignerInfo's structure (duplicated or missing mandatory attributes, ...), in plain English.
    public var formatIssues: [String]
    /// The same problems as data (``FormatFinding``), for a report in the reader's language. Absent in older
    /// evidence, where the report quotes ``formatIssues``.
    public var formatFindings: [FormatFinding]?
    public var identification: IdentificationEvidence
    /// Fingerprint of the signer's certificate in ``Evidence/certificates``, when identified.
    public var signerCertificate: String?
    public var algorithms: AlgorithmEvidence
    /// The message-digest attribute (or, without signed attributes, the signature) against the document.
    public var messageDigest: CryptoCheck
    /// The signature value against the signed attributes and the signer's public key.
    public var signatureValue: CryptoCheck
    /// OIDs of the signed attributes present, in order, and of the unsigned ones.
    public var signedAttributes: [String]
    public var unsignedAttributes: [String]
    /// The signing-time attribute: what the signer claims, never proof.
    public var claimedSigningTime: Date?
    /// Certificate path evaluations. The first is at ``Evidence/validationTime``; more may follow at other
    /// times that matter (for example a timestamp's generation time).
    public var chains: [ChainEvidence]
    /// Timestamps over this signature (signature-time-stamp) or its content, each validated on its own.
    public var timestamps: [TimestampEvidence]
    /// The CAdES level the structure reaches: `CMS`, `B`, `T`, `LT`, `LTA`. Only what was examined counts: a
    /// timestamp that cannot be parsed does not make `T`, an archive timestamp whose imprint could not be computed
    /// does not make `LTA`.
    public var level: EvidenceLevel
    /// The long-term validation data of the older CAdES forms (ETSI TS 101 733: CAdES-C, CAdES-X, CAdES-X Long,
    /// as CryptoPro and most Russian tools write them): which form the signer is in, and whether the
    /// complete-certificate/revocation-references match the values carried. Absent when the signer has none of
    /// those attributes, and in older evidence.
    public var longTerm: LongTermEvidence?
    /// Counter-signatures (unsigned attribute countersignature, RFC 5652 §11.4) over this signer's signature value,
    /// each examined as a signature of its own (nested ones inside). Absent when there are none, and in older
    /// evidence.
    public var counterSignatures: [SignerEvidence]?

    public init(
        id: String, formatIssues: [String] = [], identification: IdentificationEvidence,
        signerCertificate: String? = nil, algorithms: AlgorithmEvidence, messageDigest: CryptoCheck,
        signatureValue: CryptoCheck, signedAttributes: [String] = [], unsignedAttributes: [String] = [],
        claimedSigningTime: Date? = nil, chains: [ChainEvidence] = [], timestamps: [TimestampEvidence] = [],
        level: EvidenceLevel = .cms
    ) {
        self.id = id
        self.formatIssues = formatIssues
        self.identification = identification
        self.signerCertificate = signerCertificate
        self.algorithms = algorithms
        self.messageDigest = messageDigest
        self.signatureValue = signatureValue
        self.signedAttributes = signedAttributes
        self.unsignedAttributes = unsignedAttributes
        self.claimedSigningTime = claimedSigningTime
        self.chains = chains
        self.timestamps = timestamps
        self.level = level
    }
}

public struct CryptoCheck: Codable, Sendable, Equatable {
    public var outcome: CheckOutcome
    /// Why, in plain English (for logs and the record).
    public var detail: String?
    /// When the check could not be made because OpenSSL cannot process an algorithm: its name or OID. A
    /// cryptographic constraint that cannot be checked, never a broken signature. Absent otherwise and in older
    /// evidence.
    public var unsupportedAlgorithm: String?

    public init(_ outcome: CheckOutcome, _ detail: String? = nil, unsupportedAlgorithm: String? = nil) {
        self.outcome = outcome
        self.detail = detail
        self.unsupportedAlgorithm = unsupportedAlgorithm
    }
}

/// How the signer's certificate was found and whether the signed attributes bind it.
public struct IdentificationEvidence: Codable, Sendable, Equatable {
    /// `issuerAndSerialNumber` or `subjectKeyIdentifier`.
    public var signerIdentifier: String
    /// The identifier's value: `issuer DN / serial hex` or the key identifier in hex.
    public var signerIdentifierValue: String
    /// Where a matching certificate was found: `signedData`, `supplied` (`--cert`), `trustStore`; `nil` if nowhere.
    public var foundIn: CertificateOrigin?
    /// `v2`, `v1` or `absent`: which ESS signing-certificate attribute the signer included.
    public var signingCertificateAttribute: SigningCertificateAttribute
    /// Whether that attribute's certificate hash (and issuer/serial, if given) matches the certificate found.
    public var binding: CheckOutcome
    /// When the SignerIdentifier matched one certificate but the ESS attribute names another
    /// (certificate substitution), the fingerprint of the certificate found by identifier.
    public var rejectedCandidate: String?

    public init(
        signerIdentifier: String, signerIdentifierValue: String, foundIn: CertificateOrigin?, signingCertificateAttribute: SigningCertificateAttribute,
        binding: CheckOutcome, rejectedCandidate: String? = nil
    ) {
        self.signerIdentifier = signerIdentifier
        self.signerIdentifierValue = signerIdentifierValue
        self.foundIn = foundIn
        self.signingCertificateAttribute = signingCertificateAttribute
        self.binding = binding
        self.rejectedCandidate = rejectedCandidate
    }
}

/// Algorithms of one SignerInfo, by stable podpis names and by OID.
public struct AlgorithmEvidence: Codable, Sendable, Equatable {
    /// `sha1`, `sha256`, `sha384`, `sha512`, `sha3-256`, `streebog256`, `streebog512`, `gostr3411-94`, `md5`, ...
    public var digest: String
    public var digestOID: String
    /// `rsa-pkcs1`, `rsa-pss`, `ecdsa`, `gost2012-256`, `gost2012-512`, `gost2001`, `ed25519`, or the OID.
    public var signature: String
    public var signatureOID: String
    /// The hash named by the signature algorithm itself, when it names one (RFC 8933 consistency).
    public var signatureDigest: String?
    /// `rsa`, `ec`, `gost2012-256`, `gost2012-512`, `gost2001`, ...; `nil` when the signer is unknown.
    public var keyType: KeyType?
    public var keyBits: Int?
    /// Named curve or GOST parameter set, when known.
    public var curve: String?

    public init(
        digest: String, digestOID: String, signature: String, signatureOID: String, signatureDigest: String? = nil,
        keyType: KeyType? = nil, keyBits: Int? = nil, curve: String? = nil
    ) {
        self.digest = digest
        self.digestOID = digestOID
        self.signature = signature
        self.signatureOID = signatureOID
        self.signatureDigest = signatureDigest
        self.keyType = keyType
        self.keyBits = keyBits
        self.curve = curve
    }
}

/// A machine-readable power of attorney (МЧД, ФНС format EMCHD_1, приказ Минцифры России № 857) as read, with the
/// evidence of the signatures over its XML. The policy decides what it proves (63-ФЗ ст. 17.2, 17.5; ГК РФ ст. 185–189).
///
/// Fields added after the first release are optional, so evidence stored before them still decodes.
public struct PowerOfAttorneyEvidence: Codable, Sendable, Equatable {
    /// A person as the power of attorney names them: matched by СНИЛС or ИНН, never by name.
    public struct Person: Codable, Sendable, Equatable {
        public var snils: String?
        public var inn: String?
        public var name: String?
        /// `Должность`, when given.
        public var position: String?
        public init(snils: String? = nil, inn: String? = nil, name: String? = nil, position: String? = nil) {
            self.snils = snils
            self.inn = inn
            self.name = name
            self.position = position
        }
        public var isEmpty: Bool { snils == nil && inn == nil }
    }

    /// One machine-readable power (`СвПолн/МашПолн`): its code (`КодПолн`) and name (`НаимПолн`).
    public struct Power: Codable, Sendable, Equatable {
        public var code: String
        public var name: String?
        public init(code: String, name: String? = nil) {
            self.code = code
            self.name = name
        }
    }

    /// A status of the power of attorney in the ФНС registry (revocation), as an answer saved from it and supplied
    /// with `--poa-status FILE`. podpis does not query the registry itself yet: this is the slot its answer fills.
    public struct RegistryStatus: Codable, Sendable, Equatable {
        /// The power of attorney's number the answer is about (`НомДовер`).
        public var number: String?
        /// `active`, `revoked`, `expired` or `unknown` (the registry's own word is kept in ``statusText``).
        public var status: String
        public var statusText: String?
        /// When the registry was asked (the answer proves nothing about later moments).
        public var checkedAt: Date?
        /// For a revoked power of attorney: when it was revoked (cancelled by the principal).
        public var revokedAt: Date?
        /// Where the answer came from (a file name or URL), and the SHA-256 of the answer as supplied.
        public var source: String?
        public var sha256: String?
        public init(number: String?, status: String, statusText: String? = nil, checkedAt: Date? = nil, revokedAt: Date? = nil,
                    source: String? = nil, sha256: String? = nil) {
            self.number = number
            self.status = status
            self.statusText = statusText
            self.checkedAt = checkedAt
            self.revokedAt = revokedAt
            self.source = source
            self.sha256 = sha256
        }
    }

    /// The file name, as given.
    public var name: String?
    public var sha256: String
    /// Whether the XML could be read as an EMCHD_1 power of attorney; `error` says why not.
    public var parsed: Bool
    public var error: String?
    /// `ВерсФорм`.
    public var formatVersion: String?
    /// `НомДовер` (of `СвДов`, or of `СвПереДовер` for a re-delegation): the power of attorney's number.
    public var number: String?
    /// For a re-delegation (`Передов`): the number of the power of attorney it derives from (`НомДоверN`, else
    /// `НомДоверПерв`).
    public var parentNumber: String?
    /// `ДатаВыдДовер`: issued on (00:00 Moscow time of that day).
    public var issued: Date?
    /// `СрокДейст`: valid through the end of that day (Moscow time).
    public var validUntil: Date?
    /// The principal organisation (`НаимОрг`, `ИННЮЛ`, `ОГРН`); for a re-delegation, the original principal's.
    public var principalOrganization: String?
    public var principalINNLE: String?
    public var principalOGRN: String?
    /// Who signs for the principal: the person acting without a power of attorney (`ЛицоБезДов`), or for a
    /// re-delegation the person who passes the powers on (`СвПередПолн`).
    public var principalSigner: Person
    /// The representative: the person the power of attorney empowers (`СвУпПред`, or `СвПолучПолн`).
    public var representative: Person
    /// `МашПолн/@КодПолн`: machine-readable power codes; `ТекстПолн`: powers in words.
    public var powerCodes: [String]
    public var powerTexts: [String]
    /// Evidence of each detached signature given over the XML (normally one: the principal's).
    public var signatures: [Evidence]

    /// `original` (`Довер`) or `redelegation` (`Передов`).
    public var kind: PowerOfAttorneyKind?
    /// `ВнНомДовер`: the principal's own number for it.
    public var internalNumber: String?
    /// For a re-delegation: `НомДоверПерв`, the number of the first power of attorney of the chain.
    public var originalNumber: String?
    /// `ПрПередов`: `1` no re-delegation allowed, `2` one re-delegation, `3` re-delegation with further re-delegation.
    public var redelegation: String?
    /// `ПрУтрПолн`: whether the representative loses the powers when re-delegating them (`1`) or keeps them (`2`).
    public var powersLostOnRedelegation: Bool?
    /// Every machine-readable power with its name.
    public var powers: [Power]?
    /// Everyone who may sign for the principal (several persons acting without a power of attorney, or several
    /// persons passing powers on); ``principalSigner`` is the first of them.
    public var principalSigners: [Person]?
    /// `ПолнЮЛ="2"` (or `ПрСовмПолн="2"` for a re-delegation): the persons acting for the principal do so jointly,
    /// so each of them must sign.
    public var jointSigners: Bool?
    /// Every representative (`СвУпПред` / `СвПолучПолн`); ``representative`` is the first of them.
    public var representatives: [Person]?
    /// What the ФНС registry answered about this power of attorney, when that answer was supplied.
    public var registryStatus: RegistryStatus?

    public init(
        name: String?, sha256: String, parsed: Bool, error: String? = nil, formatVersion: String? = nil, number: String? = nil,
        parentNumber: String? = nil, issued: Date? = nil, validUntil: Date? = nil, principalOrganization: String? = nil,
        principalINNLE: String? = nil, principalOGRN: String? = nil, principalSigner: Person = Person(),
        representative: Person = Person(), powerCodes: [String] = [], powerTexts: [String] = [], signatures: [Evidence] = []
    ) {
        self.name = name
        self.sha256 = sha256
        self.parsed = parsed
        self.error = error
        self.formatVersion = formatVersion
        self.number = number
        self.parentNumber = parentNumber
        self.issued = issued
        self.validUntil = validUntil
        self.principalOrganization = principalOrganization
        self.principalINNLE = principalINNLE
        self.principalOGRN = principalOGRN
        self.principalSigner = principalSigner
        self.representative = representative
        self.powerCodes = powerCodes
        self.powerTexts = powerTexts
        self.signatures = signatures
    }

    /// Every representative (``representatives``, or the one ``representative`` of older evidence).
    public var allRepresentatives: [Person] {
        if let all = representatives, !all.isEmpty { return all }
        return representative.isEmpty ? [] : [representative]
    }

    /// Everyone who may sign for the principal (``principalSigners``, or the one ``principalSigner`` of older evidence).
    public var signersForPrincipal: [Person] {
        if let all = principalSigners, !all.isEmpty { return all }
        return principalSigner.isEmpty ? [] : [principalSigner]
    }
}

// MARK: - Containers (ASiC, ETSI EN 319 162-1)

/// What the core observed about an ASiC container whose signature this evidence is about.
///
/// Present only when the signature came out of a container (`verify X.asice`); evidence written before containers
/// existed simply has no `container` key and decodes with `nil`. Like the rest of the evidence it is data only:
/// which files the container holds, which of them each manifest names, and whether the digests match. The
/// ``PolicyEngine`` decides what a mismatch, a missing or an unsigned file means.
public struct ContainerEvidence: Codable, Sendable, Equatable {
    /// `ASiC-E` or `ASiC-S`.
    public var type: String
    /// The content of the `mimetype` entry.
    public var mimeType: String
    /// The container file's name (no directories).
    public var name: String?
    /// Every data file in the container (everything outside `META-INF/`), in archive order.
    public var dataFiles: [ContainerFile]
    /// One entry per signature file in `META-INF/`, in archive order.
    public var signatures: [ContainerSignature]
    /// Structural problems that do not stop reading (plain English, for the record).
    public var issues: [String]
    /// Deviations from EN 319 162-1 that do not affect what the signatures cover (a `mimetype` entry that is not
    /// first, compressed or missing): reported as warnings, never failures. Absent in older evidence.
    public var warnings: [String]?

    public init(type: String, mimeType: String, name: String?, dataFiles: [ContainerFile],
                signatures: [ContainerSignature], issues: [String] = []) {
        self.type = type
        self.mimeType = mimeType
        self.name = name
        self.dataFiles = dataFiles
        self.signatures = signatures
        self.issues = issues
    }

    /// Data files that no signature covers, by name.
    public var uncoveredFiles: [String] {
        let covered = Set(signatures.flatMap { $0.references.map(\.uri) })
        return dataFiles.map(\.name).filter { !covered.contains($0) }
    }
}

/// One data file inside a container.
public struct ContainerFile: Codable, Sendable, Equatable {
    /// The entry name, as stored (`/`-separated, relative).
    public var name: String
    /// Uncompressed size in bytes, as read.
    public var size: UInt64

    public init(name: String, size: UInt64) {
        self.name = name
        self.size = size
    }
}

/// One signature file in a container and what it covers.
public struct ContainerSignature: Codable, Sendable, Equatable {
    /// The signature entry, e.g. `META-INF/signature.p7s`.
    public var file: String
    /// The ASiC manifest it signs (ASiC-E), e.g. `META-INF/ASiCManifest.xml`; `nil` for ASiC-S.
    public var manifest: String?
    /// Whether the manifest's `SigReference` names this signature file (`absent` for ASiC-S).
    public var sigReference: CheckOutcome
    /// Why the manifest could not be read, when it could not; the references are then empty.
    public var manifestError: String?
    /// The files it covers: the manifest's `DataObjectReference`s, or for ASiC-S the one data file.
    public var references: [ContainerReference]
    /// The ids of this signature's signers in ``Evidence/signers``.
    public var signerIDs: [String]

    public init(file: String, manifest: String?, sigReference: CheckOutcome, manifestError: String? = nil,
                references: [ContainerReference], signerIDs: [String]) {
        self.file = file
        self.manifest = manifest
        self.sigReference = sigReference
        self.manifestError = manifestError
        self.references = references
        self.signerIDs = signerIDs
    }
}

/// One file a signature covers, with the digest check the core performed.
public struct ContainerReference: Codable, Sendable, Equatable {
    /// The referenced entry name (the manifest's `URI`, percent-decoded).
    public var uri: String
    /// The digest algorithm URI from the manifest (`nil` for ASiC-S, where the CMS signature digests the file itself).
    public var digestMethod: String?
    /// The podpis name of that algorithm (`sha256`, `streebog256`, ...), when known.
    public var digestAlgorithm: String?
    /// The digest the manifest states, Base64; and the one computed over the entry, Base64.
    public var expectedDigest: String?
    public var actualDigest: String?
    /// `valid`: digests match (or, for ASiC-S, the signature itself covers the file); `invalid`: they differ;
    /// `absent`: the container has no such file (ASiC-E: the signed data object is not found); `notChecked`: unknown
    /// digest algorithm (see ``detail``).
    public var outcome: CheckOutcome
    public var detail: String?

    public init(uri: String, digestMethod: String? = nil, digestAlgorithm: String? = nil, expectedDigest: String? = nil,
                actualDigest: String? = nil, outcome: CheckOutcome, detail: String? = nil) {
        self.uri = uri
        self.digestMethod = digestMethod
        self.digestAlgorithm = digestAlgorithm
        self.expectedDigest = expectedDigest
        self.actualDigest = actualDigest
        self.outcome = outcome
        self.detail = detail
    }
}

// MARK: - Long-term validation data of the older CAdES forms (ETSI TS 101 733)

/// What a signer carries of the CAdES-C / CAdES-X / CAdES-X Long validation data, and how the references match the
/// values. Data only: the policy decides what an unmatched reference means.
public struct LongTermEvidence: Codable, Sendable, Equatable {
    /// The form the signer is written in, by its TS 101 733 name: `CAdES-C`, `CAdES-X Type 1`, `CAdES-X Type 2`,
    /// `CAdES-X Long`, `CAdES-X Long Type 1`, `CAdES-X Long Type 2`; `nil` when only values are present (then the
    /// signature is a plain baseline LT).
    public var form: String?
    /// complete-certificate-references (1.2.840.113549.1.9.16.2.21), one entry per OtherCertID.
    public var certificateReferences: [ReferenceMatch]
    /// complete-revocation-references (1.2.840.113549.1.9.16.2.22), one entry per CRL or OCSP reference.
    public var revocationReferences: [ReferenceMatch]
    /// How many certificates the certificate-values attribute carries (1.2.840.113549.1.9.16.2.23).
    public var certificateValues: Int
    /// How many CRLs and OCSP responses the revocation-values attribute carries (1.2.840.113549.1.9.16.2.24).
    public var revocationValues: Int
    /// Problems reading the attributes (plain English); the references that could be read are still listed.
    public var problems: [String]
    /// The same problems as data, for a report in the reader's language. Absent in older evidence and when there are
    /// none.
    public var findings: [FormatFinding]?

    public init(form: String?, certificateReferences: [ReferenceMatch] = [], revocationReferences: [ReferenceMatch] = [],
                certificateValues: Int = 0, revocationValues: Int = 0, problems: [String] = []) {
        self.form = form
        self.certificateReferences = certificateReferences
        self.revocationReferences = revocationReferences
        self.certificateValues = certificateValues
        self.revocationValues = revocationValues
        self.problems = problems
    }
}

/// One reference of a complete-certificate-references or complete-revocation-references attribute.
public struct ReferenceMatch: Codable, Sendable, Equatable {
    /// `certificate`, `crl` or `ocsp`.
    public var kind: ReferenceKind
    /// The hash algorithm of the reference and the hash, lower-case hex.
    public var hashAlgorithm: String
    public var hash: String
    /// `valid`: a value with this hash is present (in the signature or supplied); `absent`: none is.
    public var outcome: CheckOutcome
    /// What matched: a certificate fingerprint (SHA-256, into ``Evidence/certificates``), or the SHA-256 of the CRL
    /// or OCSP response.
    public var matched: String?
    /// For certificates: the issuer and serial the reference names, when it names them; for OCSP: the responder
    /// and producedAt.
    public var detail: String?

    public init(kind: ReferenceKind, hashAlgorithm: String, hash: String, outcome: CheckOutcome, matched: String? = nil,
                detail: String? = nil) {
        self.kind = kind
        self.hashAlgorithm = hashAlgorithm
        self.hash = hash
        self.outcome = outcome
        self.matched = matched
        self.detail = detail
    }
}
