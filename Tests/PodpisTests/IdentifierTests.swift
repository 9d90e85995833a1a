import EvidenceModel
import Foundation
@testable import PodpisJournal
@testable import PolicyEngine
import Testing

/// Identifiers in stored evidence and in the journal are open sets: a value a later (or earlier) version wrote reads,
/// survives re-encoding unchanged, and is never taken for a known value that would pass.
extension VocabularyTests {
    /// The stored evidence, its JSON changed by `edit`, decoded as a reader of a journal would.
    func editedEvidence(_ edit: (inout [String: Any]) throws -> Void) throws -> (evidence: Evidence, json: Data) {
        let path = (Repository.policies as NSString).appendingPathComponent("tests/evidence/gost-qualified-t.json")
        var tree = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        try edit(&tree)
        let json = try JSONSerialization.data(withJSONObject: tree)
        return (try JSONDecoder.podpis().decode(Evidence.self, from: json), json)
    }

    /// Re-encoding keeps every value as it was read, byte for byte on a second round.
    func expectSurvives(_ evidence: Evidence, _ json: Data, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let encoded = try JSONEncoder.podpis().encode(evidence)
        let original = try JSONSerialization.jsonObject(with: json) as? NSDictionary
        let reread = try JSONSerialization.jsonObject(with: encoded) as? NSDictionary
        #expect(original == reread, sourceLocation: sourceLocation)
        let again = try JSONEncoder.podpis().encode(try JSONDecoder.podpis().decode(Evidence.self, from: encoded))
        #expect(again == encoded, sourceLocation: sourceLocation)
    }

    @Test("an unknown chain issue code reads, survives re-encoding, and fails the path instead of passing as a time issue")
    func unknownChainIssueCode() throws {
        let (evidence, json) = try editedEvidence { tree in
            var signers = tree["signers"] as! [[String: Any]]
            var chains = signers[0]["chains"] as! [[String: Any]]
            chains[0]["issues"] = [["depth": 0, "code": "quantumBroken", "openSSLCode": 0, "message": "a problem of the future"]]
            signers[0]["chains"] = chains
            tree["signers"] = signers
        }
        let issue = try #require(evidence.signers[0].chains[0].issues.first)
        #expect(issue.code.rawValue == "quantumBroken")
        #expect(!issue.code.isTimeRelated)
        try expectSurvives(evidence, json)
        let chain = try Rule(id: "r", check: "chain")
        #expect(judge(chain, try Repository.evidence("gost-qualified-t")) == .passed)
        #expect(judge(chain, evidence) == .failed)
    }

    @Test("a key type, a revocation reason and a rejection code this version does not know read and survive; the revocation still fails, and the rejection reads as «other»")
    func unknownKeyTypeAndReasons() throws {
        let (evidence, json) = try editedEvidence { tree in
            var signers = tree["signers"] as! [[String: Any]]
            var algorithms = signers[0]["algorithms"] as! [String: Any]
            algorithms["keyType"] = "ml-dsa-65"
            signers[0]["algorithms"] = algorithms
            var chains = signers[0]["chains"] as! [[String: Any]]
            var path = chains[0]["path"] as! [[String: Any]]
            var revocation = path[0]["revocation"] as! [String: Any]
            revocation["status"] = "revoked"
            revocation["reason"] = "reason11"
            revocation["revocationTime"] = "2000-01-01T00:00:00Z"
            revocation["considered"] = [["kind": "crl", "sha256": "00", "issuer": "CN=X", "outcome": "rejected", "reason": "quantumForged"]]
            path[0]["revocation"] = revocation
            chains[0]["path"] = path
            signers[0]["chains"] = chains
            tree["signers"] = signers
        }
        let algorithms = evidence.signers[0].algorithms
        #expect(algorithms.keyType?.rawValue == "ml-dsa-65" && algorithms.keyType?.isGOST == false)
        let revocation = evidence.signers[0].chains[0].path[0].revocation
        #expect(revocation.reason?.rawValue == "reason11" && revocation.reason?.code == 11)
        #expect(revocation.considered?.first?.reason?.rawValue == "quantumForged")
        try expectSurvives(evidence, json)
        let judged = result(try Rule(id: "r", check: "revocation"), evidence)
        #expect(judged?.status == .failed, "\(judged?.message ?? "-")")
        #expect(MessageKey.revocationReason(revocation.considered?.first?.reason).rawValue == "revocation.reason.other")
        #expect(MessageKey.revocationReason(.ocspRefused).rawValue == "revocation.reason.ocspRefused")
    }

    @Test("RFC 5280 reason codes and names map both ways; a policy names only the ten reasons, by name or by exact code")
    func revocationReasonCodes() {
        for code in [0, 1, 2, 3, 4, 5, 6, 8, 9, 10] {
            let reason = RevocationReason(code: code)
            #expect(RevocationReason.known.contains(reason) && reason.code == code, "\(code) → \(reason)")
        }
        #expect(RevocationReason(code: 1) == .keyCompromise && RevocationReason(code: 6) == .certificateHold)
        #expect(RevocationReason(code: 8) == .removeFromCRL && RevocationReason(code: 10) == .aACompromise)
        #expect(RevocationReason(code: 7).rawValue == "reason7" && RevocationReason(code: 7).code == 7)
        #expect(RevocationReason(code: 42).rawValue == "reason42" && !RevocationReason.known.contains(RevocationReason(code: 42)))
        #expect(PolicyRevocationReason.alias("10")?.reason == .aACompromise)
        #expect(PolicyRevocationReason(rawValue: "privilegeWithdrawn")?.reason == .privilegeWithdrawn)
        for refused in ["7", "08", "11", "-1", "reason11", "keycompromise", "１"] {
            #expect(PolicyRevocationReason(rawValue: refused) == nil && PolicyRevocationReason.alias(refused) == nil, "\(refused)")
        }
    }

    @Test("a 'good' status from a revocation source this version does not know counts as no status")
    func unknownRevocationSource() throws {
        let (evidence, json) = try editedEvidence { tree in
            var signers = tree["signers"] as! [[String: Any]]
            var chains = signers[0]["chains"] as! [[String: Any]]
            var path = chains[0]["path"] as! [[String: Any]]
            var revocation = path[0]["revocation"] as! [String: Any]
            revocation["source"] = "scvp"
            path[0]["revocation"] = revocation
            chains[0]["path"] = path
            signers[0]["chains"] = chains
            tree["signers"] = signers
        }
        let revocation = evidence.signers[0].chains[0].path[0].revocation
        #expect(revocation.source?.rawValue == "scvp")
        #expect(revocation.status == .good)
        try expectSurvives(evidence, json)
        let always = try Rule(id: "r", check: "revocation", params: "require: always")
        #expect(judge(always, try Repository.evidence("gost-qualified-t")) == .passed)
        let judged = result(always, evidence)
        #expect(judged?.status == .failed, "\(judged?.message ?? "-")")
        #expect(judged?.subIndication == .tryLater)
    }

    @Test("unknown chain purposes, timestamp types and revocation object kinds read and survive re-encoding; such a timestamp proves no time")
    func unknownPurposeAndTimestampType() throws {
        let (evidence, json) = try editedEvidence { tree in
            var signers = tree["signers"] as! [[String: Any]]
            var stamps = signers[0]["timestamps"] as! [[String: Any]]
            stamps[0]["type"] = "future-stamp"
            var chains = stamps[0]["chains"] as! [[String: Any]]
            chains[0]["purpose"] = "futurePurpose"
            stamps[0]["chains"] = chains
            signers[0]["timestamps"] = stamps
            var signerChains = signers[0]["chains"] as! [[String: Any]]
            var path = signerChains[0]["path"] as! [[String: Any]]
            var revocation = path[0]["revocation"] as! [String: Any]
            revocation["considered"] = [["kind": "crl-v3", "sha256": "00", "issuer": "CN=Test CA", "outcome": "unneeded"]]
            path[0]["revocation"] = revocation
            signerChains[0]["path"] = path
            signers[0]["chains"] = signerChains
            tree["signers"] = signers
        }
        let stamp = try #require(evidence.signers[0].timestamps.first)
        #expect(stamp.type == TimestampType(rawValue: "future-stamp") && stamp.type != .signature)
        #expect(stamp.chains[0].purpose == ChainPurpose(rawValue: "futurePurpose") && stamp.chains[0].purpose != .timestamp)
        #expect(evidence.signers[0].chains[0].path[0].revocation.considered?.first?.kind.rawValue == "crl-v3")
        try expectSurvives(evidence, json)
        #expect(TimestampJudge.proofOfExistence(TimestampJudge.judge(evidence.signers[0], evidence: evidence, validationTime: evidence.validationTime)) == nil)
        let original = try Repository.evidence("gost-qualified-t")
        #expect(TimestampJudge.proofOfExistence(TimestampJudge.judge(original.signers[0], evidence: original, validationTime: original.validationTime)) != nil)
    }

    @Test("an unknown signature level reads and survives re-encoding, and reaches no level: the level check fails")
    func unknownEvidenceLevel() throws {
        let (evidence, json) = try editedEvidence { tree in
            var signers = tree["signers"] as! [[String: Any]]
            signers[0]["level"] = "LTA-PLUS"
            tree["signers"] = signers
        }
        let level = evidence.signers[0].level
        #expect(level.rawValue == "LTA-PLUS" && level.baseline == nil)
        #expect(![EvidenceLevel.cms, .b, .t, .lt, .lta].contains(level))
        try expectSurvives(evidence, json)
        let original = try Repository.evidence("gost-qualified-t")
        #expect(original.signers[0].level == .t && original.signers[0].level.baseline == .T)
        let required = try Rule(id: "r", check: "signature-level", params: "min: B")
        #expect(judge(required, original) == .passed)
        let judged = result(required, evidence)
        #expect(judged?.status == .failed, "\(judged?.message ?? "-")")
        #expect(judged?.message.contains("LTA-PLUS") == true, "\(judged?.message ?? "-")")
    }

    @Test("unknown certificate and revocation origins and signing-certificate attribute read and survive re-encoding; where data came from never decides the verdict")
    func unknownOrigins() throws {
        let (evidence, json) = try editedEvidence { tree in
            var signers = tree["signers"] as! [[String: Any]]
            var identification = signers[0]["identification"] as! [String: Any]
            identification["foundIn"] = "ldapDirectory"
            identification["signingCertificateAttribute"] = "v3"
            signers[0]["identification"] = identification
            var chains = signers[0]["chains"] as! [[String: Any]]
            var path = chains[0]["path"] as! [[String: Any]]
            path[1]["source"] = "ldapDirectory"
            chains[0]["path"] = path
            signers[0]["chains"] = chains
            var stamps = signers[0]["timestamps"] as! [[String: Any]]
            stamps[0]["tsaCertificateSource"] = "ldapDirectory"
            signers[0]["timestamps"] = stamps
            tree["signers"] = signers
            var sources = tree["revocationSources"] as! [[String: Any]]
            sources[0]["origin"] = "scvpResponder"
            tree["revocationSources"] = sources
        }
        let signer = evidence.signers[0]
        #expect(signer.identification.foundIn == CertificateOrigin(rawValue: "ldapDirectory"))
        #expect(signer.identification.signingCertificateAttribute.rawValue == "v3")
        #expect(![SigningCertificateAttribute.v1, .v2, .absent].contains(signer.identification.signingCertificateAttribute))
        #expect(signer.chains[0].path[1].source.rawValue == "ldapDirectory" && signer.chains[0].path[1].source != .signedData)
        #expect(signer.timestamps[0].tsaCertificateSource?.rawValue == "ldapDirectory")
        #expect(evidence.revocationSources[0].origin == RevocationOrigin(rawValue: "scvpResponder"))
        #expect(![RevocationOrigin.signedData, .supplied, .fetched].contains(evidence.revocationSources[0].origin))
        try expectSurvives(evidence, json)
        let original = try Repository.evidence("gost-qualified-t")
        for rule in [try Rule(id: "r", check: "chain"), try Rule(id: "r", check: "revocation", params: "require: always")] {
            #expect(judge(rule, original) == .passed)
            #expect(judge(rule, evidence) == .passed)
        }
    }

    @Test("the journal keeps a verdict this version does not know: it reads, re-encodes and hashes as written")
    func unknownJournalIndication() throws {
        let record = JournalRecord(requestID: "r", documentDigest: nil, signatureDigest: "b", signers: [], policyID: "default",
                                   policyVersion: "1", indication: .indeterminate, subIndication: .tryLater, evidence: "{}")
        var entry = JournalEntry.make(seq: 1, record: record, previousHash: JournalEntry.genesis)
        #expect(entry.indication == .indeterminate && entry.subIndication?.value == .tryLater)
        entry.indication = Recorded(rawValue: "PARTIALLY-PASSED")
        entry.subIndication = Recorded(rawValue: "SOMETHING_NEW")
        entry.hash = entry.computedHash()
        let json = try JSONEncoder().encode(entry)
        #expect(String(decoding: json, as: UTF8.self).contains("\"indication\":\"PARTIALLY-PASSED\""))
        let read = try JSONDecoder().decode(JournalEntry.self, from: json)
        #expect(read == entry)
        #expect(read.hashMatches)
        #expect(read.indication.value == nil && read.indication != .totalPassed)
        #expect(read.subIndication?.value == nil)
    }
}
