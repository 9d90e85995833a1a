import Testing
import Foundation
@testable import SigningCore
import EvidenceModel

@Test func smoke() throws {
    for kind in [PrivateKey.Kind.rsa(bits: 2048), .ec(curve: "P-256"), .gost2012_256, .gost2012_512] {
        let root = try PKIProfiles.root(name: "Root", key: kind)
        let ca = try PKIProfiles.intermediate(name: "CA", key: kind, issuer: root)
        let signer = try PKIProfiles.signer(key: kind, issuer: ca)
        let doc = Array("hello world".utf8)
        let sig = try Signer.sign(.bytes(doc), identity: signer.identity, options: SignatureOptions(chain: [ca.certificate]))
        let crl = try PKIBuilder.issueCRL(issuer: ca.certificate, key: ca.key, thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(86400), revoked: [], number: 1)
        let ev = try EvidenceCollector.collect(VerificationRequest(signature: sig, document: .bytes(name: "doc", doc), trust: TrustStore(anchors: [root.certificate]), crls: [crl]))
        let s = ev.signers[0]
        print(kind, s.identification, s.messageDigest, s.signatureValue, s.algorithms, s.level, s.chains.first?.outcome as Any, s.chains.first?.issues as Any, s.chains.first?.path.map { $0.revocation.status } as Any)
        let bad = try EvidenceCollector.collect(VerificationRequest(signature: sig, document: .bytes(name: "doc", Array("hello World".utf8)), trust: TrustStore(anchors: [root.certificate])))
        print("tampered:", bad.signers[0].messageDigest.outcome, bad.signers[0].signatureValue.outcome)
    }
}
