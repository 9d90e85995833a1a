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

/// `POST /v1/verify`: multipart (`document`, `signature`, `policy`, `type`, `lang`; or `container`, an ASiC-E/ASiC-S
/// file, instead of document and signature; `poa` and `poa-signature`, repeatable, for machine-readable powers of
/// attorney), JSON with Base64 fields, or digest-only JSON (`documentDigest` + `digestAlgorithm`). The document is hashed as it arrives; the answer is sent
/// only after its journal entry is durable.
package struct VerifyEndpoint: Sendable {
    let state: ServiceState
    let metrics: ServiceMetrics

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
            throw Problem(.badRequest, "too-many-poa", title: "Too many powers of attorney", detail: "at most \(maxPowersOfAttorney) powers of attorney")
        }
    }

    /// Pairs `poa` parts with `poa-signature` parts by their order: the n-th signature signs the n-th file.
    static func pairPowers(_ files: [[UInt8]], _ signatures: [[UInt8]]) throws -> [PowerOfAttorneyReader.Input] {
        guard signatures.count <= files.count else {
            throw Problem(.badRequest, "poa-signature-without-poa", title: "Power-of-attorney signature without its file",
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
        let rawContentType = request.headers[.contentType] ?? ""
        let contentType = rawContentType.lowercased()
        let input: Input
        if contentType.hasPrefix("multipart/form-data") {
            input = try await readMultipart(request, contentType: rawContentType)  // the boundary is case-sensitive
        } else if contentType.hasPrefix("application/json") {
            input = try await readJSON(request)
        } else {
            throw Problem(.unsupportedMediaType, "unsupported-media-type", title: "Unsupported media type",
                          detail: "send multipart/form-data (document, signature) or application/json")
        }
        let container = input.container.flatMap { $0.isEmpty ? nil : $0 }
        let pdf = input.pdf.flatMap { $0.isEmpty ? nil : $0 }
        try Self.checkPDFInput(pdf, input: input)
        if container != nil, input.signature != nil || input.document != nil {
            throw Problem(.badRequest, "container-and-signature", title: "Container and signature",
                          detail: "send either a «container» or a «signature» (with its «document»), not both")
        }
        let signature = input.signature ?? []
        if container == nil, pdf == nil, signature.isEmpty {
            throw Problem(.badRequest, "missing-signature", title: "No signature", detail: "the request has no «signature»")
        }
        let snapshot = state.snapshot
        let policy: Policy
        do {
            policy = try snapshot.catalog.policy(input.policy ?? state.configuration.defaultPolicy)
        } catch let error as PodpisError {
            throw Problem(.badRequest, "unknown-policy", title: "Unknown policy", detail: error.message)
        }
        let language = Language(parsing: input.lang ?? request.headers[.acceptLanguage])
        let revocation: RevocationPolicy = state.configuration.offline ? .offline : RevocationPolicy()
        let options = JudgementOptions(documentType: input.type, language: language, attestations: state.configuration.attestations,
                                       trustLists: snapshot.trustLists[policy.id] ?? [:])
        let wantsHTML = Self.wantsHTML(request.headers[.accept])
        // OpenSSL work and revocation fetches block: they run on NIO's thread pool, never on the cooperative pool.
        // So does the JSON encoding of the evidence (for the journal) and of the report (the answer): together
        // about a sixth of the service's CPU per request in a perf profile, which on the two threads of the
        // cooperative pool held up every other request's I/O.
        let (evidence, report, evidenceJSON, reportJSON) = try await NIOThreadPool.singleton.runIfActive {
            let (evidence, report): (Evidence, Report)
            if let pdf {
                let settings = SignedPDF.VerificationSettings(
                    trust: snapshot.trust, certificates: snapshot.certificates, crls: snapshot.crls,
                    ocspResponses: snapshot.ocspResponses, revocation: revocation)
                (evidence, report) = try Self.verifyPDF(pdf, name: input.pdfName, settings: settings, powers: input.powersOfAttorney,
                                                        policy: policy, options: options)
            } else if let container {
                let settings = ASiCContainer.VerificationSettings(
                    trust: snapshot.trust, certificates: snapshot.certificates, crls: snapshot.crls,
                    ocspResponses: snapshot.ocspResponses, revocation: revocation)
                (evidence, report) = try Self.verifyContainer(
                    container, settings: settings, powers: input.powersOfAttorney, policy: policy, options: options)
            } else {
                var job = VerificationJob(
                    signature: signature, signatureName: nil, document: input.document, trust: snapshot.trust,
                    certificates: snapshot.certificates, crls: snapshot.crls, ocspResponses: snapshot.ocspResponses,
                    revocation: revocation, policy: policy, options: options)
                job.powersOfAttorney = input.powersOfAttorney
                (evidence, report) = try job.run()
            }
            let encoder = JSONEncoder.podpis(pretty: false)
            let evidenceJSON = String(decoding: try encoder.encode(evidence), as: UTF8.self)
            let reportJSON = !wantsHTML && evidence.format.parsed ? try encoder.encode(report) : nil
            return (evidence, report, evidenceJSON, reportJSON)
        }
        let record = JournalRecord(
            requestID: context.requestID, documentDigest: evidence.document?.digests["sha256"], signatureDigest: evidence.signatureFile.sha256,
            signers: report.signatures.compactMap { $0.signer?.subject }, policyID: report.policy.id, policyVersion: report.policy.version,
            indication: report.indication.rawValue, subIndication: report.subIndication?.rawValue, evidence: evidenceJSON)
        let entry = try await state.journal.append(record)
        metrics.verdict(report.indication)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers[HTTPField.Name("X-Journal-Entry")!] = "\(entry.seq)"
        if wantsHTML {
            // The verification protocol for people; a signature that is not CMS still gets its page, with 422.
            let rendered: VerificationProtocol.Rendered
            do {
                rendered = try VerificationProtocol.render(report: report, evidence: evidence)
            } catch {
                throw Problem(.internalServerError, "report-unavailable", title: "Cannot render the verification report", detail: "\(error)")
            }
            headers[.contentType] = "text/html; charset=utf-8"
            headers[HTTPField.Name("X-Report-SHA256")!] = rendered.sha256
            return Response(status: evidence.format.parsed ? .ok : .unprocessableContent, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(string: rendered.html)))
        }
        guard evidence.format.parsed else {
            // Not CMS: 422, and the report (FORMAT_FAILURE) travels inside the problem.
            let problem = ProblemWithReport(type: Problem.base + "not-a-signature", title: "Not a CMS signature", status: 422,
                                            detail: evidence.format.error, instance: request.uri.path, report: report)
            headers[.contentType] = "application/problem+json"
            return Response(status: .unprocessableContent, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder.podpis(pretty: false).encode(problem))))
        }
        let body = try reportJSON ?? JSONEncoder.podpis(pretty: false).encode(report)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Verifies an uploaded ASiC container: written to a private temporary file (the guarded reader works on files),
    /// opened, every signature verified, the container checks judged. A file that is not a readable container is a
    /// 422 problem naming what is wrong with it.
    static func verifyContainer(_ bytes: [UInt8], settings: ASiCContainer.VerificationSettings,
                                powers: [PowerOfAttorneyReader.Input], policy: Policy,
                                options: JudgementOptions) throws -> (Evidence, Report) {
        let path = NSTemporaryDirectory() + "podpis-upload-" + UUID().uuidString + ".asice"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw Problem(.internalServerError, "storage", title: "Cannot store the upload", detail: "no room for a temporary file")
        }
        defer { unlink(path) }
        let evidence: Evidence
        do {
            evidence = try ASiCContainer(path: path).collectEvidence(settings, powersOfAttorney: powers)
        } catch let error as PodpisError where error.kind == .dataFormat {
            throw Problem(.unprocessableContent, "not-a-container", title: "Not a readable ASiC container", detail: error.message)
        }
        return (evidence, PolicyEngine().judge(evidence, policy: policy, options: options))
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
            if type == "text/html" { html = max(html, quality) }
            if type == "application/json" || type == "application/problem+json" { json = max(json, quality) }
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

    func readJSON(_ request: Request) async throws -> Input {
        var body = Data()
        var pace = UploadPace(state.configuration)
        for try await chunk in request.body {
            try pace.received(chunk.readableBytes)
            guard body.count + chunk.readableBytes <= state.configuration.maxInMemoryBytes else {
                throw Problem(.contentTooLarge, "too-large", title: "Request body too large", detail: "at most \(state.configuration.maxInMemoryBytes) bytes of JSON")
            }
            body.append(contentsOf: chunk.readableBytesView)
        }
        return try Self.decodeJSON(body)
    }

    /// Decodes a JSON request body (also the fuzz target for JSON requests: bad input throws a ``Problem``).
    package static func decodeJSON(_ body: Data) throws -> Input {
        let decoded: JSONBody
        do {
            decoded = try JSONDecoder().decode(JSONBody.self, from: body)
        } catch {
            throw Problem(.badRequest, "malformed-json", title: "Malformed JSON", detail: "expected {signature, document | documentDigest+digestAlgorithm, policy, type, lang}")
        }
        var input = Input(signature: nil, policy: decoded.policy, type: decoded.type, lang: decoded.lang)
        if let text = decoded.signature {
            guard let signature = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw Problem(.badRequest, "bad-base64", title: "Bad Base64", detail: "«signature» is not Base64")
            }
            input.signature = [UInt8](signature)
        }
        if let text = decoded.pdf {
            guard let pdf = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw Problem(.badRequest, "bad-base64", title: "Bad Base64", detail: "«pdf» is not Base64")
            }
            input.pdf = [UInt8](pdf)
            input.pdfName = decoded.documentName
        }
        let powers = decoded.powersOfAttorney ?? []
        try checkPowerCount(powers.count)
        input.powersOfAttorney = try powers.enumerated().map { index, power in
            guard let xml = Data(base64Encoded: power.xml, options: .ignoreUnknownCharacters) else {
                throw Problem(.badRequest, "bad-base64", title: "Bad Base64", detail: "«powersOfAttorney[\(index)].xml» is not Base64")
            }
            guard xml.count <= maxPowerOfAttorneyBytes else {
                throw Problem(.contentTooLarge, "too-large", title: "Power of attorney too large",
                              detail: "«powersOfAttorney[\(index)].xml» is larger than \(maxPowerOfAttorneyBytes) bytes")
            }
            var signatures: [[UInt8]] = []
            if let text = power.signature {
                guard let signature = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                    throw Problem(.badRequest, "bad-base64", title: "Bad Base64", detail: "«powersOfAttorney[\(index)].signature» is not Base64")
                }
                signatures = [[UInt8](signature)]
            }
            return PowerOfAttorneyReader.Input(name: "poa-\(index + 1).xml", xml: [UInt8](xml), signatures: signatures)
        }
        if let document = decoded.document {
            guard let bytes = Data(base64Encoded: document, options: .ignoreUnknownCharacters) else {
                throw Problem(.badRequest, "bad-base64", title: "Bad Base64", detail: "«document» is not Base64")
            }
            input.document = .bytes(name: decoded.documentName, [UInt8](bytes))
        } else if let digest = decoded.documentDigest {
            guard let name = decoded.digestAlgorithm, let algorithm = DigestAlgorithm(parsing: name) else {
                throw Problem(.badRequest, "bad-digest-algorithm", title: "Unknown digest algorithm",
                              detail: "give «digestAlgorithm»: sha256, sha384, sha512, streebog256, streebog512")
            }
            guard let value = Self.decodeDigest(digest), value.count == algorithm.size else {
                throw Problem(.badRequest, "bad-digest", title: "Bad document digest",
                              detail: "«documentDigest» must be \(algorithm.size) bytes in hex or Base64")
            }
            input.document = .digest(name: decoded.documentName, algorithm: algorithm, value: value, size: decoded.documentSize)
        }
        return input
    }

    static func decodeDigest(_ text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.count % 2 == 0, trimmed.allSatisfy(\.isHexDigit) {
            var bytes: [UInt8] = []
            var index = trimmed.startIndex
            while index < trimmed.endIndex {
                let next = trimmed.index(index, offsetBy: 2)
                guard let byte = UInt8(trimmed[index..<next], radix: 16) else { return nil }
                bytes.append(byte)
                index = next
            }
            return bytes
        }
        return Data(base64Encoded: trimmed).map { [UInt8]($0) }
    }

    // MARK: multipart

    func readMultipart(_ request: Request, contentType: String) async throws -> Input {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > state.configuration.maxBodyBytes {
            throw Problem(.contentTooLarge, "too-large", title: "Request body too large", detail: "at most \(state.configuration.maxBodyBytes) bytes")
        }
        let decoder = try MultipartRequestDecoder(contentType: contentType, limits: state.configuration)
        var pace = UploadPace(state.configuration)
        for try await chunk in request.body {
            try pace.received(chunk.readableBytes)
            try decoder.feed(chunk)
        }
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
            throw Problem(.badRequest, "malformed-multipart", title: "Malformed multipart", detail: "no boundary in Content-Type")
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
            throw Problem(.contentTooLarge, "too-large", title: "Request body too large", detail: "at most \(limits.maxBodyBytes) bytes")
        }
        guard headerNames.accepts(chunk.readableBytesView) else {
            throw Problem(.badRequest, "malformed-multipart", title: "Malformed multipart", detail: "a part header name is not ASCII")
        }
        do {
            try parser.execute(chunk)
        } catch {
            throw Problem(.badRequest, "malformed-multipart", title: "Malformed multipart", detail: "the body does not follow multipart/form-data")
        }
        if let problem = collector.problem { throw problem }
    }

    package func finish() throws -> VerifyEndpoint.Input {
        if let problem = collector.problem { throw problem }
        guard collector.finished else {
            throw Problem(.badRequest, "malformed-multipart", title: "Malformed multipart", detail: "the body ends before the closing boundary")
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
/// client that sends one byte a second.
struct UploadPace {
    let start = ContinuousClock.now
    let minRate: Int
    let grace: Duration
    var bytes = 0

    init(_ configuration: ServiceConfiguration) {
        minRate = configuration.minUploadRate
        grace = .seconds(configuration.uploadGrace)
    }

    mutating func received(_ count: Int) throws {
        bytes += count
        let elapsed = ContinuousClock.now - start
        guard minRate > 0, elapsed > grace else { return }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if Double(bytes) / seconds < Double(minRate) {
            throw Problem(.requestTimeout, "too-slow", title: "Upload too slow",
                          detail: "the body arrived at under \(minRate) bytes/s; send it faster or in one piece")
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
    var problem: Problem?

    init(limits: ServiceConfiguration) { self.limits = limits }

    func header(_ name: String, _ value: String) {
        finished = false
        headerBytes += name.utf8.count + value.utf8.count
        if headerBytes > 16 << 10 { problem = Problem(.badRequest, "malformed-multipart", title: "Malformed multipart", detail: "part headers too large") }
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
            problem = Problem(.contentTooLarge, "too-large", title: "Part too large", detail: "«\(current ?? "")» is larger than \(limit) bytes")
            return
        }
        buffer += chunk.readableBytesView
    }

    func startPart() {
        parts += 1
        if parts > 16 {
            problem = Problem(.badRequest, "malformed-multipart", title: "Too many parts", detail: "at most 16 parts")
            return
        }
        let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
        current = Self.parameter("name", in: disposition)
        fileName = Self.parameter("filename", in: disposition)
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
