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
