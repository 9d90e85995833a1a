import EvidenceModel
import Foundation
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

/// What `podpis verify` decides, asked of the service in process: the ``VerificationInput`` the CLI builds from its
/// options (`--trust`, `--crl`, `--cert`, `--ocsp-response`, `--offline`, `--at`, `--policy`, `--policies`, `--type`,
/// `--lang`, `--poa`), given to ``Verifier/verify(_:)`` without spawning the binary. Tests whose subject is the
/// verdict, the evidence or the checks use this; what the CLI prints and its exit codes stay in the CLI tests.
struct VerifyOptions {
    var trust: [String] = []
    var crls: [String] = []
    var certificates: [String] = []
    var ocspResponses: [String] = []
    /// `--offline`: nothing is fetched. Like the CLI, online unless asked.
    var offline = false
    var at: Date?
    var policy: String?
    var policies: String?
    /// `--certs`: the trust-list folders.
    var certs: String?
    var type: String?
    var language: Language = .en
    /// `--poa FILE` (the principal's signature found beside it, `FILE.sig`, as the CLI does).
    var powersOfAttorney: [String] = []
    var powerOfAttorneyStatuses: [String] = []
    var attestations: [String: String] = [:]

    /// Trust, CRLs and nothing fetched: the usual offline options of a test (`--trust DIR --crl A --crl B --offline`).
    static func offline(trust: String, crls: [String] = []) -> VerifyOptions {
        VerifyOptions(trust: [trust], crls: crls, offline: true)
    }

    /// The demo PKI's trust folder and the CRLs of `who`'s CA and root (`rsa`, `gost`).
    static func demo(_ layout: DemoPKI.Layout, _ who: [String] = ["rsa"], offline: Bool = false) -> VerifyOptions {
        VerifyOptions(trust: [layout.trustDirectory], crls: who.flatMap { [layout.path("\($0)-ca.crl"), layout.path("\($0)-root.crl")] },
                      offline: offline)
    }

    /// The settings the options give (trust anchors with `listAnchors`, the certificates, CRLs and OCSP responses,
    /// the time, fetching or not).
    func settings(listAnchors: [X509Certificate] = []) throws -> VerificationSettings {
        VerificationSettings(
            trust: TrustStore(anchors: try TrustStore.load(paths: trust).anchors + listAnchors),
            certificates: try CertificateFiles.load(paths: certificates), crls: try CertificateFiles.loadCRLs(paths: crls),
            validationTime: at, ocspResponses: try ocspResponses.map { try FileInput.readSmallFile(path: $0, limit: 16 << 20) },
            revocation: offline ? .offline : RevocationPolicy())
    }

    /// The input for `subject`, as the CLI's options make it: the policy from the standard catalogue, its trust
    /// lists' anchors beside the trust given.
    func input(_ subject: SignedSubject) throws -> VerificationInput {
        let catalog = try PolicyCatalog.standard(policies: policies, certs: certs)
        let policy = try catalog.policy(self.policy, language: language)
        let (trustLists, listAnchors) = try catalog.trustLists(for: policy)
        var input = VerificationInput(subject, settings: try settings(listAnchors: listAnchors), policy: policy, options: JudgementOptions(
            documentType: type, language: language, attestations: attestations, trustLists: trustLists))
        input.powersOfAttorney = try powersOfAttorney.map { path in
            PowerOfAttorneyReader.Input(name: (path as NSString).lastPathComponent, xml: try FileInput.readSmallFile(path: path, limit: 4 << 20),
                                        signatures: try SignatureLookup.find(for: path).map { [try FileInput.readSignature(path: $0)] } ?? [])
        }
        input.powerOfAttorneyStatuses = try powerOfAttorneyStatuses.map {
            PowerOfAttorneyReader.StatusInput(name: ($0 as NSString).lastPathComponent, bytes: try FileInput.readSmallFile(path: $0, limit: 1 << 20))
        }
        return input
    }

    /// `podpis verify FILE [SIGNATURE]`: a container or a signed PDF by content, else a signature (detached with
    /// `SIGNATURE` or the one found beside `file`, or `file` itself as an attached one).
    func verify(_ file: String, signature: String? = nil) throws -> (evidence: Evidence, report: Report) {
        let subject: SignedSubject
        switch signature == nil ? SignedFileKind.of(path: file) : .signature {
        case .container: subject = .container(.file(path: file))
        case .signedPDF: subject = .pdf(.file(path: file))
        case .signature:
            if let path = signature ?? SignatureLookup.find(for: file) {
                subject = .signature(try FileInput.readSignature(path: path), name: (path as NSString).lastPathComponent,
                                     document: .file(path: file))
            } else {
                subject = .signature(try FileInput.readSignature(path: file), name: (file as NSString).lastPathComponent, document: nil)
            }
        }
        return try Verifier.verify(try input(subject))
    }
}

extension Report {
    /// The report as `verify --json` prints it (empty if it could not be encoded: then nothing is found in it).
    var jsonText: String {
        (try? JSONEncoder.podpis().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

extension DemoPKI.Layout {
    /// `--key official-WHO.key --cert official-WHO.pem --chain WHO-chain.pem`, loaded in process: the identity and
    /// the options carrying the chain (`who`: `rsa`, `gost`).
    func signing(_ who: String) throws -> (identity: SigningIdentity, options: SignatureOptions) {
        let key = try KeyLoader.load(path: path("official-\(who).key")) { [] }.key
        let certificate = try X509Certificate.parseAll(FileInput.readSmallFile(path: path("official-\(who).pem"), limit: 1 << 20))[0]
        let chain = try X509Certificate.parseAll(FileInput.readSmallFile(path: path("\(who)-chain.pem"), limit: 1 << 20))
        return (SigningIdentity(key: key, certificate: certificate), SignatureOptions(chain: chain))
    }
}

/// What `podpis audit verify --database URL [--checkpoints DIR] [--receipt FILE…] [--journal-cert FILE]` finds, asked
/// of the journal audit in process (the journal opened as the command opens it, never created).
func auditJournal(_ database: String, checkpoints: String? = nil, receipts: [String] = [],
                  pinned: X509Certificate? = nil) async throws -> JournalAudit.Result {
    let files = try receipts.map { (name: ($0 as NSString).lastPathComponent, bytes: try FileInput.readSmallFile(path: $0, limit: 1 << 20)) }
    let journal = try await AuditJournals.open(database, create: false)
    do {
        let result = try await JournalAudit.run(journal: journal, checkpointDirectory: checkpoints, receipts: files, pinned: pinned)
        try await journal.close()
        return result
    } catch {
        try? await journal.close()
        throw error
    }
}

/// What `podpis audit export --database URL` writes: every entry of the journal.
func exportJournal(_ database: String) async throws -> [JournalEntry] {
    let journal = try await AuditJournals.open(database, create: false)
    var entries: [JournalEntry] = []
    do {
        try await journal.export(since: nil) { entries.append($0) }
        try await journal.close()
    } catch {
        try? await journal.close()
        throw error
    }
    return entries
}
