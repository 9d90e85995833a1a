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

    /// JSON body: `{signature, document?, documentName?, documentDigest?, digestAlgorithm?, policy?, type?, lang?,
    /// powersOfAttorney?: [{xml, signature?}]}` (binary values in Base64).
    struct JSONBody: Decodable {
        struct PowerOfAttorney: Decodable {
            var xml: String
            var signature: String?
        }

        var signature: String?
        var pdf: String?
        var document: String?
        var documentName: String?
        var documentDigest: String?
        var digestAlgorithm: String?
        var documentSize: UInt64?
        var policy: String?
        var type: String?
        var lang: String?
        var powersOfAttorney: [PowerOfAttorney]?
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
        let run: @Sendable () throws -> (Evidence, Report, String, Data?, EvidencePacking.Packed?) = {
            let (evidence, report): (Evidence, Report)
            if let pdf {
                (evidence, report) = try Self.verifyPDF(pdf, name: input.pdfName, settings: settings, powers: input.powersOfAttorney,
                                                        policy: policy, options: options)
            } else if let container {
                (evidence, report) = try Self.verifyContainer(
                    container, settings: settings, powers: input.powersOfAttorney, policy: policy, options: options)
            } else {
                var job = VerificationJob(request: VerificationRequest(signature: signature, document: input.document, settings: settings),
                                          policy: policy, options: options)
                job.powersOfAttorney = input.powersOfAttorney
                (evidence, report) = try job.run()
            }
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

    /// Verifies an uploaded ASiC container: written to a private temporary file (the guarded reader works on files),
    /// opened, every signature verified, the container checks judged. A file that is not a readable container is a
    /// 422 problem naming what is wrong with it.
    static func verifyContainer(_ bytes: [UInt8], settings: ASiCContainer.VerificationSettings,
                                powers: [PowerOfAttorneyReader.Input], policy: Policy,
                                options: JudgementOptions) throws -> (Evidence, Report) {
        let path = NSTemporaryDirectory() + "podpis-upload-" + UUID().uuidString + ".asice"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw Problem(.internalServerError, .storage, title: "Cannot store the upload", detail: "no room for a temporary file")
        }
        defer { unlink(path) }
        let evidence: Evidence
        do {
            evidence = try ASiCContainer(path: path).collectEvidence(settings, powersOfAttorney: powers)
        } catch let error as PodpisError where error.kind == .dataFormat && error.key != SignatureLimits.errorKey {
            throw Problem(.unprocessableContent, .notAContainer, title: "Not a readable ASiC container", detail: error.message)
        }
        return (evidence, PolicyEngine().judge(evidence, policy: policy, options: options))
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

    // MARK: JSON

    func readJSON(_ request: Request, watch: UploadWatch) async throws -> Input {
        var body = Data()
        let limit = state.configuration.maxInMemoryBytes
        try await watch.pieces(of: request.body) { chunk in
            guard body.count + chunk.readableBytes <= limit else {
                throw Problem(.contentTooLarge, .tooLarge, title: "Request body too large", detail: "at most \(limit) bytes of JSON")
            }
            chunk.withUnsafeReadableBytes { body.append(contentsOf: $0) }
        }
        return try Self.decodeJSON(body)
    }

    /// Decodes a JSON request body (also the fuzz target for JSON requests: bad input throws a ``Problem``).
    package static func decodeJSON(_ body: Data) throws -> Input {
        let decoded: JSONBody
        do {
            decoded = try JSONDecoder().decode(JSONBody.self, from: body)
        } catch {
            throw Problem(.badRequest, .malformedJSON, title: "Malformed JSON", detail: "expected {signature, document | documentDigest+digestAlgorithm, policy, type, lang}")
        }
        var input = Input(signature: nil, policy: decoded.policy, type: decoded.type, lang: decoded.lang)
        if let text = decoded.signature {
            guard let signature = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw Problem(.badRequest, .badBase64, title: "Bad Base64", detail: "«signature» is not Base64")
            }
            input.signature = [UInt8](signature)
        }
        if let text = decoded.pdf {
            guard let pdf = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw Problem(.badRequest, .badBase64, title: "Bad Base64", detail: "«pdf» is not Base64")
            }
            input.pdf = [UInt8](pdf)
            input.pdfName = decoded.documentName
        }
        let powers = decoded.powersOfAttorney ?? []
        try checkPowerCount(powers.count)
        input.powersOfAttorney = try powers.enumerated().map { index, power in
            guard let xml = Data(base64Encoded: power.xml, options: .ignoreUnknownCharacters) else {
                throw Problem(.badRequest, .badBase64, title: "Bad Base64", detail: "«powersOfAttorney[\(index)].xml» is not Base64")
            }
            guard xml.count <= maxPowerOfAttorneyBytes else {
                throw Problem(.contentTooLarge, .tooLarge, title: "Power of attorney too large",
                              detail: "«powersOfAttorney[\(index)].xml» is larger than \(maxPowerOfAttorneyBytes) bytes")
            }
            var signatures: [[UInt8]] = []
            if let text = power.signature {
                guard let signature = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                    throw Problem(.badRequest, .badBase64, title: "Bad Base64", detail: "«powersOfAttorney[\(index)].signature» is not Base64")
                }
                signatures = [[UInt8](signature)]
            }
            return PowerOfAttorneyReader.Input(name: "poa-\(index + 1).xml", xml: [UInt8](xml), signatures: signatures)
        }
        if let document = decoded.document {
            guard let bytes = Data(base64Encoded: document, options: .ignoreUnknownCharacters) else {
                throw Problem(.badRequest, .badBase64, title: "Bad Base64", detail: "«document» is not Base64")
            }
            input.document = .bytes(name: decoded.documentName, [UInt8](bytes))
        } else if let digest = decoded.documentDigest {
            guard let name = decoded.digestAlgorithm, let algorithm = DigestAlgorithm(parsing: name) else {
                throw Problem(.badRequest, .badDigestAlgorithm, title: "Unknown digest algorithm",
                              detail: "give «digestAlgorithm»: sha256, sha384, sha512, streebog256, streebog512")
            }
            guard let value = Self.decodeDigest(digest), value.count == algorithm.size else {
                throw Problem(.badRequest, .badDigest, title: "Bad document digest",
                              detail: "«documentDigest» must be \(algorithm.size) bytes in hex or Base64")
            }
            input.document = .digest(name: decoded.documentName, algorithm: algorithm, value: value, size: decoded.documentSize)
        }
        return input
    }

    static func decodeDigest(_ text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let bytes = Hex.decode(trimmed) { return bytes }
        return Data(base64Encoded: trimmed).map { [UInt8]($0) }
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

/// Decodes a multipart/form-data body chunk by chunk, bounded in total size, part count and header size (also the
/// fuzz target for multipart requests: bad input throws a ``Problem``, never traps).
package final class MultipartRequestDecoder {
    let limits: ServiceConfiguration
    let collector: MultipartCollector
    let parser: MultipartParser
    var headerNames: HeaderNameGuard
    var total = 0

    package init(contentType: String, limits: ServiceConfiguration) throws {
        guard let boundary = VerifyEndpoint.boundary(contentType) else {
            throw Problem(.badRequest, .malformedMultipart, title: "Malformed multipart", detail: "no boundary in Content-Type")
        }
        self.limits = limits
        let collector = MultipartCollector(limits: limits)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name, value) }
        parser.onBody = { chunk in collector.body(&chunk) }
        parser.onPartComplete = { collector.partComplete() }
        self.collector = collector
        self.parser = parser
        self.headerNames = HeaderNameGuard(boundary: boundary)
    }

    package func feed(_ chunk: ByteBuffer) throws {
        total += chunk.readableBytes
        if total > limits.maxBodyBytes {
            throw Problem(.contentTooLarge, .tooLarge, title: "Request body too large", detail: "at most \(limits.maxBodyBytes) bytes")
        }
        guard headerNames.accepts(chunk.readableBytesView) else {
            throw Problem(.badRequest, .malformedMultipart, title: "Malformed multipart", detail: "a part header name is not ASCII")
        }
        do {
            try parser.execute(chunk)
        } catch {
            throw Problem(.badRequest, .malformedMultipart, title: "Malformed multipart", detail: "the body does not follow multipart/form-data")
        }
        if let problem = collector.problem { throw problem }
    }

    package func finish() throws -> VerifyEndpoint.Input {
        if let problem = collector.problem { throw problem }
        guard collector.finished else {
            throw Problem(.badRequest, .malformedMultipart, title: "Malformed multipart", detail: "the body ends before the closing boundary")
        }
        return try collector.input()
    }
}

/// Follows a multipart body across chunks, state for state as MultipartKit's parser does, and refuses a part header
/// name with a byte outside ASCII before MultipartKit sees it: its header-name table has 128 entries and it traps on
/// anything above (found by the http-multipart fuzz target; one such request brought the whole service down).
/// Bytes MultipartKit would reject as a syntax error are refused here too.
struct HeaderNameGuard {
    enum State { case preamble(Int), preHeadersCR, preHeadersLF, headerName(empty: Bool), headerValue, postHeaderValue, postHeaders, body, boundary(Int), epilogue }
    let delimiter: [UInt8]  // "\r\n--" + boundary, as MultipartKit matches it
    var state = State.preamble(0)

    init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    mutating func accepts(_ bytes: some Sequence<UInt8>) -> Bool {
        let cr: UInt8 = 13, lf: UInt8 = 10
        for byte in bytes {
            switch state {
            case .preamble(var index):
                if index == 0, byte == delimiter[2] {
                    index = 3
                } else if byte == delimiter[index] {
                    index += 1
                } else if index > 0, byte == delimiter[0] {
                    index = 1
                } else {
                    index = 0
                }
                state = index >= delimiter.count ? .preHeadersCR : .preamble(index)
            case .preHeadersCR:
                guard byte == cr else { return false }
                state = .preHeadersLF
            case .preHeadersLF:
                guard byte == lf else { return false }
                state = .headerName(empty: true)
            case .headerName(let empty):
                if byte == cr, empty { state = .postHeaders; continue }
                if byte == 58, !empty { state = .headerValue; continue }  // ':'
                guard byte < 0x80 else { return false }
                state = .headerName(empty: false)
            case .headerValue:
                if byte == cr { state = .postHeaderValue }
            case .postHeaderValue:
                guard byte == lf else { return false }
                state = .headerName(empty: true)
            case .postHeaders:
                guard byte == lf else { return false }
                state = .body
            case .body:
                if byte == delimiter[0] { state = .boundary(1) }
            case .boundary(let index):
                if index >= delimiter.count {
                    if byte == cr { state = .preHeadersLF } else if byte == 45 { state = .epilogue } else { return false }
                } else if byte == delimiter[index] {
                    state = .boundary(index + 1)
                } else {
                    state = byte == delimiter[0] ? .boundary(1) : .body
                }
            case .epilogue:
                return true
            }
        }
        return true
    }
}

/// Cuts off uploads slower than the configured minimum rate (slowloris): the idle timeout alone never fires for a
/// client that sends one byte a second. The rate is the client's: bytes over the time the reader spent *waiting* for
/// them, so a server busy parsing (or starved of threads) never blames the client for its own pace. Checked as each
/// piece arrives, and by a watchdog every half second — so a client that sends nothing at all after its headers does
/// not keep its upload slot until the idle timeout either.
final class UploadWatch: Sendable {
    let start = ContinuousClock.now
    let minRate: Int
    let grace: Duration
    let bytes = Atomic<Int>(0)
    /// Nanoseconds spent waiting for the client, finished waits only.
    let waited = Atomic<Int>(0)
    /// When the current wait began (nanoseconds since `start`), or -1 while a piece is being processed.
    let waitingSince = Atomic<Int>(-1)

    init(_ configuration: ServiceConfiguration) {
        minRate = configuration.minUploadRate
        grace = .seconds(configuration.uploadGrace)
    }

    var tooSlow: Problem {
        Problem(.requestTimeout, .tooSlow, title: "Upload too slow",
                detail: "the body arrived at under \(minRate) bytes/s; send it faster or in one piece")
    }

    func nanosecondsSinceStart() -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds) * 1_000_000_000 + Int(elapsed.components.attoseconds / 1_000_000_000)
    }

    /// Whether the client is behind the minimum rate now (never during the first `uploadGrace` of waiting).
    func behind() -> Bool {
        guard minRate > 0 else { return false }
        var nanoseconds = waited.load(ordering: .relaxed)
        let since = waitingSince.load(ordering: .relaxed)
        if since >= 0 { nanoseconds += max(0, nanosecondsSinceStart() - since) }
        let seconds = Double(nanoseconds) / 1e9
        guard seconds > Double(grace.components.seconds) else { return false }
        return Double(bytes.load(ordering: .relaxed)) / seconds < Double(minRate)
    }

    /// The reader is about to wait for the next piece.
    func waiting() { waitingSince.store(nanosecondsSinceStart(), ordering: .relaxed) }

    /// A piece arrived: the wait ends; the pace is checked.
    func received(_ count: Int) throws {
        let since = waitingSince.exchange(-1, ordering: .relaxed)
        if since >= 0 { waited.add(max(0, nanosecondsSinceStart() - since), ordering: .relaxed) }
        bytes.add(count, ordering: .relaxed)
        if behind() { throw tooSlow }
    }

    /// The body is complete (what is left is decoding it): no more waiting.
    func finished() { _ = waitingSince.exchange(-1, ordering: .relaxed) }

    /// Each piece of `body`, timing the waits for it.
    func pieces(of body: RequestBody, _ handle: (ByteBuffer) throws -> Void) async throws {
        var iterator = body.makeAsyncIterator()
        while true {
            waiting()
            guard let chunk = try await iterator.next() else { break }
            try received(chunk.readableBytes)
            try handle(chunk)
        }
        finished()
    }

    /// Reads a body with `read` while a watchdog checks the rate; whichever ends first decides (the reader is
    /// cancelled when the watchdog fires, which ends its wait for the next piece).
    static func reading<T: Sendable>(_ configuration: ServiceConfiguration, _ read: @escaping @Sendable (UploadWatch) async throws -> T) async throws -> T {
        let watch = UploadWatch(configuration)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await read(watch) }
            group.addTask {
                // Two consecutive ticks behind the rate, each on time: a late tick means this process was starved of
                // threads, and then the waits measured the server as much as the client.
                var behindTicks = 0
                var last = ContinuousClock.now
                while true {
                    try await Task.sleep(for: .milliseconds(500))
                    let now = ContinuousClock.now
                    let onTime = now - last < .seconds(1)
                    last = now
                    behindTicks = onTime && watch.behind() ? behindTicks + 1 : 0
                    if behindTicks >= 2 { throw watch.tooSlow }
                }
            }
            defer { group.cancelAll() }
            for try await result in group {
                if let result { return result }
            }
            throw CancellationError()
        }
    }
}

/// Collects multipart parts: small ones in memory (bounded), the document hashed as it streams.
final class MultipartCollector {
    let limits: ServiceConfiguration
    var headers: [(String, String)] = []
    var headerBytes = 0
    var parts = 0
    var current: String?
    var fileName: String?
    var buffer: [UInt8] = []
    var fields: [String: [UInt8]] = [:]
    var digest: MultiDigest?
    var documentSize: UInt64 = 0
    var documentName: String?
    var documentDigests: [DigestAlgorithm: [UInt8]]?
    /// `poa` and `poa-signature` parts, in their order (both may repeat).
    var powers: [[UInt8]] = []
    var powerSignatures: [[UInt8]] = []
    /// The file name of the `pdf` part, when it had one.
    var pdfName: String?
    var finished = false
    /// The parts kept in memory; others (but `document`, which is hashed as it streams) are skipped.
    static let kept: Set<String> = ["signature", "policy", "type", "lang", "container", "poa", "poa-signature", "pdf"]
    /// Parts that may appear once: a second `document` would be hashed while the first one's bytes still counted.
    static let single: Set<String> = ["document", "signature", "container", "pdf", "policy", "type", "lang"]
    var seen: Set<String> = []
    var problem: Problem?

    init(limits: ServiceConfiguration) { self.limits = limits }

    func header(_ name: String, _ value: String) {
        finished = false
        headerBytes += name.utf8.count + value.utf8.count
        if headerBytes > 16 << 10 { problem = Problem(.badRequest, .malformedMultipart, title: "Malformed multipart", detail: "part headers too large") }
        headers.append((name, value))
    }

    func body(_ chunk: inout ByteBuffer) {
        if current == nil { startPart() }
        guard problem == nil else { return }
        if current == "document" {
            chunk.withUnsafeReadableBytes { digest?.update($0) }
            documentSize += UInt64(chunk.readableBytes)
            return
        }
        guard Self.kept.contains(current ?? "") else { return }  // unknown parts are skipped
        let limit = switch current {
        case "signature", "container", "poa-signature", "pdf": limits.maxInMemoryBytes
        case "poa": VerifyEndpoint.maxPowerOfAttorneyBytes
        default: 1024
        }
        if buffer.count + chunk.readableBytes > limit {
            problem = Problem(.contentTooLarge, .tooLarge, title: "Part too large", detail: "«\(current ?? "")» is larger than \(limit) bytes")
            return
        }
        buffer += chunk.readableBytesView
    }

    func startPart() {
        parts += 1
        if parts > 16 {
            problem = Problem(.badRequest, .malformedMultipart, title: "Too many parts", detail: "at most 16 parts")
            return
        }
        let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
        current = Self.parameter("name", in: disposition)
        fileName = Self.parameter("filename", in: disposition)
        if let name = current, Self.single.contains(name), !seen.insert(name).inserted {
            problem = Problem(.badRequest, .duplicatePart, title: "Repeated part",
                              detail: "«\(name)» may be sent once; this request has it more than once")
            return
        }
        if current == "document" {
            // The signature, if it came first, says which digests are needed.
            var algorithms: Set<DigestAlgorithm> = VerifyEndpoint.defaultAlgorithms
            if let signature = fields["signature"], let needed = try? SignatureAlgorithms.digests(in: signature) {
                algorithms = needed.union([.sha256])
            }
            digest = try? MultiDigest(algorithms)
            documentName = fileName.map { ($0 as NSString).lastPathComponent }
        }
    }

    func partComplete() {
        if current == nil { startPart() }
        if let name = current {
            if name == "document" {
                documentDigests = digest?.finish()
                digest = nil
            } else if name == "poa" {
                powers.append(buffer)
            } else if name == "poa-signature" {
                powerSignatures.append(buffer)
            } else {
                if name == "pdf" { pdfName = fileName.map { ($0 as NSString).lastPathComponent } }
                fields[name] = buffer
            }
        }
        headers = []
        headerBytes = 0
        current = nil
        buffer = []
        finished = true
    }

    func input() throws -> VerifyEndpoint.Input {
        func text(_ name: String) -> String? { fields[name].map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } }
        var document: DocumentInput? = nil
        if let documentDigests { document = .hashed(name: documentName, size: documentSize, digests: documentDigests) }
        return VerifyEndpoint.Input(signature: fields["signature"], document: document, policy: text("policy"), type: text("type"),
                                    lang: text("lang"), container: fields["container"],
                                    powersOfAttorney: try VerifyEndpoint.pairPowers(powers, powerSignatures),
                                    pdf: fields["pdf"], pdfName: pdfName)
    }

    static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";") {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pieces.count == 2, pieces[0].lowercased() == name {
                return pieces[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}

extension RequestContext {
    /// The request id (X-Request-ID when the client sent a sane one, else Hummingbird's).
    var requestID: String { logger[metadataKey: "request_id"].map { "\($0)" } ?? id }
}
