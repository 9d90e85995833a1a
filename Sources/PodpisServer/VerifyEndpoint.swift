import EvidenceModel
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MultipartKit
import NIOCore
import NIOPosix
import PodpisContainer
import PodpisJournal
import PodpisPDF
import PodpisReport
import PodpisService
import PolicyEngine
import SigningCore
import Synchronization

/// `POST /v1/verify`: multipart (`document`, `signature`, `policy`, `type`, `lang`; or `container`, an ASiC-E/ASiC-S
/// file, instead of document and signature; `poa` and `poa-signature`, repeatable, for machine-readable powers of
/// attorney), JSON with Base64 fields, or digest-only JSON (`documentDigest` + `digestAlgorithm`). The document is hashed as it arrives; the answer is sent
/// only after its journal entry is durable.
package struct VerifyEndpoint: Sendable {
    let state: ServiceState
    let metrics: ServiceMetrics
    let admission: Admission
    /// The bounded executor revocation fetches run on (never the verification threads).
    let fetchPool: NIOThreadPool

    /// What a request carries, however it was encoded.
    package struct Input {
        var signature: [UInt8]?
        var document: DocumentInput?
        var policy: String?
        var type: String?
        var lang: String?
        /// An ASiC container (multipart part `container`), verified instead of a document and a signature.
        var container: [UInt8]? = nil
        /// Machine-readable powers of attorney (МЧД) with the principals' signatures over them.
        var powersOfAttorney: [PowerOfAttorneyReader.Input] = []
        /// A signed PDF (multipart part or JSON field `pdf`), verified instead of a document and a signature.
        var pdf: [UInt8]? = nil
        var pdfName: String? = nil
    }

    /// The largest МЧД XML accepted (the same bound as the CLI's and the reader's).
    static let maxPowerOfAttorneyBytes = 4 << 20
    /// At most this many powers of attorney in one request (a re-delegation chain is rarely longer than three).
    static let maxPowersOfAttorney = 8

    static func checkPowerCount(_ count: Int) throws {
        guard count <= maxPowersOfAttorney else {
            throw Problem(.badRequest, .tooManyPOA, title: "Too many powers of attorney", detail: "at most \(maxPowersOfAttorney) powers of attorney")
        }
    }

    /// Pairs `poa` parts with `poa-signature` parts by their order: the n-th signature signs the n-th file.
    static func pairPowers(_ files: [[UInt8]], _ signatures: [[UInt8]]) throws -> [PowerOfAttorneyReader.Input] {
        guard signatures.count <= files.count else {
            throw Problem(.badRequest, .poaSignatureWithoutPOA, title: "Power-of-attorney signature without its file",
                          detail: "\(signatures.count) «poa-signature» parts for \(files.count) «poa» parts: the n-th signature goes with the n-th file")
        }
        try checkPowerCount(files.count)
        return files.enumerated().map { index, xml in
            PowerOfAttorneyReader.Input(name: "poa-\(index + 1).xml", xml: xml, signatures: index < signatures.count ? [signatures[index]] : [])
        }
    }

    /// Algorithms a streamed document is hashed with when the signature has not told us which it needs.
    static let defaultAlgorithms: Set<DigestAlgorithm> = [.sha1, .sha256, .sha384, .sha512, .streebog256, .streebog512]

    func handle(_ request: Request, context: some RequestContext) async throws -> Response {
        // The body arrives under an upload slot; a verification slot is taken only once it is complete, so clients
        // that send slowly never keep real verifications out (they are bounded by maxUploads and minUploadRate).
        let configuration = state.configuration
        let input = try await admission.uploading {
            try await UploadWatch.reading(configuration) { watch in try await self.readInput(request, watch: watch) }
        }
        return try await admission.verifying { try await verify(input, request: request, context: context) }
    }

    /// Reads the body in the form its Content-Type names.
    func readInput(_ request: Request, watch: UploadWatch) async throws -> Input {
        let rawContentType = request.headers[.contentType] ?? ""
        // The media type exactly (parameters after «;»), never a prefix: «application/jsonp-evil» is not JSON.
        let mediaType = Self.mediaType(rawContentType)
        if mediaType == MediaType.multipartFormData {
            return try await readMultipart(request, contentType: rawContentType, watch: watch)  // the boundary is case-sensitive
        } else if mediaType == MediaType.json {
            return try await readJSON(request, watch: watch)
        }
        throw Problem(.unsupportedMediaType, .unsupportedMediaType, title: "Unsupported media type",
                      detail: "send multipart/form-data (document, signature) or application/json")
    }

    func verify(_ input: Input, request: Request, context: some RequestContext) async throws -> Response {
        let container = input.container.flatMap { $0.isEmpty ? nil : $0 }
        let pdf = input.pdf.flatMap { $0.isEmpty ? nil : $0 }
        try Self.checkPDFInput(pdf, input: input)
        if container != nil, input.signature != nil || input.document != nil {
            throw Problem(.badRequest, .containerAndSignature, title: "Container and signature",
                          detail: "send either a «container» or a «signature» (with its «document»), not both")
        }
        let signature = input.signature ?? []
        if container == nil, pdf == nil, signature.isEmpty {
            throw Problem(.badRequest, .missingSignature, title: "No signature", detail: "the request has no «signature»")
        }
        let snapshot = state.snapshot
        let configuration = state.configuration
        let policy: Policy
        do {
            // An id from the loaded catalogue and nothing else: a request never names a file.
            policy = try snapshot.catalog.policy(id: input.policy ?? configuration.defaultPolicy)
        } catch let error as PodpisError {
            throw Problem(.badRequest, .unknownPolicy, title: "Unknown policy", detail: error.message)
        }
        let language = Language(parsing: input.lang ?? request.headers[.acceptLanguage])
        // One fetch session per request: its budget covers the signature, a container's signatures and the powers
        // of attorney alike. It plans on the first pass; the fetches run on the fetch executor, not here.
        var fetching: RevocationPolicy = configuration.offline ? .offline : RevocationPolicy()
        fetching.limits = configuration.fetchLimits
        fetching.destinations = try configuration.fetchDestinations()
        let revocation = fetching.forOneVerification(mode: .plan)
        // The same settings for a plain signature, a container's and a PDF's signatures and the powers of attorney.
        let settings = VerificationSettings(
            trust: snapshot.trust, certificates: snapshot.certificates, crls: snapshot.crls,
            ocspResponses: snapshot.ocspResponses, revocation: revocation, limits: configuration.limits)
        let options = JudgementOptions(documentType: input.type, language: language, attestations: configuration.attestations,
                                       trustLists: snapshot.trustLists[policy.id] ?? [:])
        let wantsHTML = Self.wantsHTML(request.headers[.accept])
        // OpenSSL work blocks: it runs on NIO's thread pool, never on the cooperative pool. So does the JSON encoding
        // of the evidence (for the journal) and of the report (the answer): together about a sixth of the service's
        // CPU per request in a perf profile, which on the two threads of the cooperative pool held up every other
        // request's I/O.
        let subject: SignedSubject
        if let pdf {
            subject = .pdf(.bytes(pdf, name: input.pdfName))
        } else if let container {
            subject = .container(.bytes(container, name: nil))
        } else {
            subject = .signature(signature, name: nil, document: input.document)
        }
        var verification = VerificationInput(subject, settings: settings, policy: policy, options: options)
        verification.powersOfAttorney = input.powersOfAttorney
        let run: @Sendable () throws -> (Evidence, Report, String, Data?, EvidencePacking.Packed?) = { [verification] in
            let (evidence, report) = try Self.verify(verification)
            let encoder = JSONEncoder.podpis(pretty: false)
            let evidenceJSON = String(decoding: try EvidenceJSON.encode(evidence, encoder: encoder), as: UTF8.self)
            let reportJSON = !wantsHTML && evidence.format.parsed ? try encoder.encode(report) : nil
            // The journal's form of the evidence (certificates cut out, the rest compressed), here with the rest of
            // the CPU work rather than on the journal's single writer.
            let packed = evidence.format.parsed ? EvidencePacking.pack(evidenceJSON) : nil
            return (evidence, report, evidenceJSON, reportJSON, packed)
        }
        var (evidence, report, evidenceJSON, reportJSON, packed): (Evidence, Report, String, Data?, EvidencePacking.Packed?)
        do {
            (evidence, report, evidenceJSON, reportJSON, packed) = try await NIOThreadPool.singleton.runIfActive(run)
            if let session = revocation.session, session.hasPlannedFetches {
                // Revocation data to fetch: on the bounded fetch executor, within the budget; then the evidence is
                // gathered again with what came back (and with the reason for what did not).
                let http = revocation.http
                let cache = revocation.cache
                try await fetchPool.runIfActive { session.performPlanned(http: http, cache: cache) }
                (evidence, report, evidenceJSON, reportJSON, packed) = try await NIOThreadPool.singleton.runIfActive(run)
            }
        } catch let error as PodpisError where error.key == SignatureLimits.errorKey {
            throw Problem(.unprocessableContent, .tooComplex, title: "Signature too complex to verify", detail: error.message)
        }
        metrics.verdict(report.indication)
        var headers: HTTPFields = [.contentType: MediaType.jsonUTF8]
        guard evidence.format.parsed else {
            // Not CMS: 422, not journaled (only verifications are: garbage must not grow the journal). The report
            // (FORMAT_FAILURE) travels inside the problem, or as the page for a person.
            metrics.problem(ProblemKind.notASignature.type)
            if wantsHTML { return try Self.page(report: report, evidence: evidence, status: .unprocessableContent, headers: headers) }
            let problem = ProblemWithReport(type: ProblemKind.notASignature.type, title: "Not a CMS signature", status: 422,
                                            detail: evidence.format.error, instance: request.uri.path, report: report)
            headers[.contentType] = MediaType.problemJSON
            return Response(status: .unprocessableContent, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder.podpis(pretty: false).encode(problem))))
        }
        var record = JournalRecord(
            requestID: context.requestID, documentDigest: evidence.document?.digests["sha256"], signatureDigest: evidence.signatureFile.sha256,
            signers: report.signatures.compactMap { $0.signer?.subject }, policyID: report.policy.id, policyVersion: report.policy.version,
            indication: report.indication, subIndication: report.subIndication, evidence: evidenceJSON)
        record.packed = packed
        let (entry, receipt) = try await state.record(record)
        headers[HTTPField.Name("X-Journal-Entry")!] = "\(entry.seq)"
        // Entry numbers count per node (each node of a shared journal keeps its own chain): the pair names the entry.
        headers[HTTPField.Name("X-Journal-Node")!] = entry.node
        if let receipt { headers[HTTPField.Name("X-Journal-Receipt")!] = receipt }
        if wantsHTML { return try Self.page(report: report, evidence: evidence, status: .ok, headers: headers) }
        let body = try reportJSON ?? JSONEncoder.podpis(pretty: false).encode(report)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The verification protocol for people (HTML).
    static func page(report: Report, evidence: Evidence, status: HTTPTypes.HTTPResponse.Status, headers: HTTPFields) throws -> Response {
        let rendered: VerificationProtocol.Rendered
        do {
            rendered = try VerificationProtocol.render(report: report, evidence: evidence)
        } catch {
            throw Problem(.internalServerError, .reportUnavailable, title: "Cannot render the verification report", detail: "\(error)")
        }
        var headers = headers
        headers[.contentType] = MediaType.htmlUTF8
        headers[HTTPField.Name("X-Report-SHA256")!] = rendered.sha256
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: rendered.html)))
    }

    /// A `pdf` comes alone: its signatures are inside it.
    static func checkPDFInput(_ pdf: [UInt8]?, input: Input) throws {
        guard pdf != nil else { return }
        if input.signature != nil || input.document != nil || input.container != nil {
            throw Problem(.badRequest, .pdfAndSignature, title: "PDF and signature",
                          detail: "send either a «pdf» (its signatures are inside it), a «container», or a «signature» with its «document»")
        }
    }

    /// Verifies with the one workflow (``Verifier``); an uploaded container or PDF that cannot be read as one is a
    /// 422 problem naming what is wrong with it (the caps' own error is mapped by the caller).
    static func verify(_ input: VerificationInput) throws -> (Evidence, Report) {
        do {
            return try Verifier.verify(input)
        } catch let error as PodpisError where error.kind == .dataFormat && error.key != SignatureLimits.errorKey {
            switch input.subject {
            case .container:
                throw Problem(.unprocessableContent, .notAContainer, title: "Not a readable ASiC container", detail: error.message)
            case .pdf:
                throw Problem(.unprocessableContent, .notASignedPDF, title: "Not a readable signed PDF", detail: error.message)
            case .signature:
                throw error
            }
        } catch let error as PodpisError where error.kind == .cannotCreate {
            throw Problem(.internalServerError, .storage, title: "Cannot store the upload", detail: "no room for a temporary file")
        }
    }

    /// The media type of a Content-Type value, lower-cased, without parameters (RFC 9110, 8.3.1).
    static func mediaType(_ contentType: String) -> String {
        (contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Whether the client asks for HTML: `text/html` in Accept, ranked at least as high as any JSON type.
    static func wantsHTML(_ accept: String?) -> Bool {
        guard let accept else { return false }
        var html: Double = -1
        var json: Double = -1
        for item in accept.lowercased().split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let type = parts.first else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if type == MediaType.html { html = max(html, quality) }
            if type == MediaType.json || type == MediaType.problemJSON { json = max(json, quality) }
        }
        return html > 0 && html >= json
    }

    struct ProblemWithReport: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String?
        let instance: String
        let report: Report
    }
    // MARK: multipart

    func readMultipart(_ request: Request, contentType: String, watch: UploadWatch) async throws -> Input {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > state.configuration.maxBodyBytes {
            throw Problem(.contentTooLarge, .tooLarge, title: "Request body too large", detail: "at most \(state.configuration.maxBodyBytes) bytes")
        }
        let decoder = try MultipartRequestDecoder(contentType: contentType, limits: state.configuration)
        try await watch.pieces(of: request.body) { chunk in try decoder.feed(chunk) }
        return try decoder.finish()
    }

    /// The boundary parameter, quoted or not.
    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let parts = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].lowercased() == "boundary" else { continue }
            let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return (1...70).contains(value.count) ? value : nil
        }
        return nil
    }
}

extension RequestContext {
    /// The request id (X-Request-ID when the client sent a sane one, else Hummingbird's).
    var requestID: String { logger[metadataKey: "request_id"].map { "\($0)" } ?? id }
}
