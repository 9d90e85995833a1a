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


/// The JSON bodies of `POST /v1/verify`: Base64 fields, or digest-only (`documentDigest` + `digestAlgorithm`), read
/// within the in-memory cap.
extension VerifyEndpoint {
    func readJSON(_ request: Request, watch: UploadWatch) async throws -> Input {
        var body = Data()
        let limit = state.configuration.maxInMemoryBytes
        try await watch.pieces(of: request.body) { chunk in
            guard body.count + chunk.readableBytes <= limit else {
                throw Problem(.contentTooLarge, .tooLarge, title: "Request body too large", detail: "at most \(limit) bytes of JSON")
            }
            chunk.withUnsafeReadableBytes { body.append(contentsOf: $0) }
        }
        return try JSONRequestDecoder.decode(body)
    }
}

/// Decodes the JSON body of `POST /v1/verify` into the endpoint's input (also the fuzz target for JSON requests: bad
/// input throws a ``Problem``).
package enum JSONRequestDecoder {
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

    /// Decodes a JSON request body.
    package static func decode(_ body: Data) throws -> VerifyEndpoint.Input {
        let decoded: JSONBody
        do {
            decoded = try JSONDecoder().decode(JSONBody.self, from: body)
        } catch {
            throw Problem(.badRequest, .malformedJSON, title: "Malformed JSON", detail: "expected {signature, document | documentDigest+digestAlgorithm, policy, type, lang}")
        }
        var input = VerifyEndpoint.Input(signature: nil, policy: decoded.policy, type: decoded.type, lang: decoded.lang)
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
        try VerifyEndpoint.checkPowerCount(powers.count)
        input.powersOfAttorney = try powers.enumerated().map { index, power in
            guard let xml = Data(base64Encoded: power.xml, options: .ignoreUnknownCharacters) else {
                throw Problem(.badRequest, .badBase64, title: "Bad Base64", detail: "«powersOfAttorney[\(index)].xml» is not Base64")
            }
            guard xml.count <= VerifyEndpoint.maxPowerOfAttorneyBytes else {
                throw Problem(.contentTooLarge, .tooLarge, title: "Power of attorney too large",
                              detail: "«powersOfAttorney[\(index)].xml» is larger than \(VerifyEndpoint.maxPowerOfAttorneyBytes) bytes")
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
}
