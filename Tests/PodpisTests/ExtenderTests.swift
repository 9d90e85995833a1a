import EvidenceModel
import Foundation
import PodpisService
import Testing
@testable import SigningCore

/// The level-raising workflow in process (the CLI's `sign --level`, `extend` and `archive refresh` call it).
@Suite("Extender")
struct ExtenderTests {
    static let h = Hierarchy.ec

    static func signed() throws -> [UInt8] {
        let signer = try h.signer()
        return try Signer.sign(.bytes(sampleDocument), identity: signer.identity, options: SignatureOptions(chain: [h.ca.certificate]))
    }

    @Test("B comes back as it was; T, LT and LTA without a TSA, on a signature with no timestamp, are usage errors; the validation data is never read for B or T")
    func withoutTSA() throws {
        let signature = try Self.signed()
        let extender = Extender(timestamps: nil) {
            Issue.record("validation data read although neither LT nor LTA was asked")
            return VerificationSettings(trust: TrustStore(anchors: []))
        }
        #expect(try extender.raise(signature, name: "order.sig", to: .B) == signature)
        for level in [SignatureLevel.T, .LT, .LTA] {
            do {
                _ = try extender.raise(signature, name: "order.sig", to: level)
                Issue.record("\(level) without a TSA was not refused")
            } catch let error as PodpisError {
                #expect(error.kind == .usage)
                #expect(error.key == "error.needs-tsa", "\(level): \(error)")
            }
        }
    }
}
