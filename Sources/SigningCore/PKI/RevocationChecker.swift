import COpenSSL
import CPodpis
import EvidenceModel
import NIOConcurrencyHelpers
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a CRL says about itself, read once per CRL (by its SHA-256) and kept in ``CRLFactsCache``.
struct CRLFacts: Sendable {
    var issuerName: [UInt8]
    var issuerText: String
    var number: [UInt8]?
    /// A delta CRL's BaseCRLNumber (RFC 5280 §5.2.4); nil for a complete CRL.
    var baseNumber: [UInt8]?
    var issuingDistributionPoint: IssuingDistributionPoint?
    var authorityKeyID: [UInt8]?
    /// A critical extension of the CRL or of one of its entries that podpis does not process: such a CRL must not
    /// be used for any certificate (RFC 5280 §5.2, §5.3).
    var unknownCritical: String?
    /// An extension podpis processes but could not read.
    var unreadable: String?
    var thisUpdate: Date?
    var nextUpdate: Date?

    var isDelta: Bool { baseNumber != nil }

    /// CRL extensions RFC 5280 §5.2 asks a relying party to process.
    static let known: Set<String> = [
        "2.5.29.35",  // authority key identifier
        "2.5.29.18",  // issuer alternative name
        "2.5.29.20",  // CRL number
        "2.5.29.27",  // delta CRL indicator
        "2.5.29.28",  // issuing distribution point
        "2.5.29.46",  // freshest CRL
        "1.3.6.1.5.5.7.1.1",  // authority information access
    ]

    init(_ crl: CertificateRevocationList) {
        issuerName = NameComparison.der(X509_CRL_get_issuer(crl.pointer))
        issuerText = crl.issuer
        thisUpdate = crl.thisUpdate
        nextUpdate = crl.nextUpdate
        for index in 0..<max(X509_CRL_get_ext_count(crl.pointer), 0) {
            guard let ext = X509_CRL_get_ext(crl.pointer, index) else { continue }
            let oid = oidText(X509_EXTENSION_get_object(ext))
            let value = bytes(of: X509_EXTENSION_get_data(ext))
            let critical = X509_EXTENSION_get_critical(ext) == 1
            switch oid {
            case "2.5.29.20": number = integerMagnitude(value)
            case "2.5.29.27":
                baseNumber = integerMagnitude(value)
                if baseNumber == nil { unreadable = "delta CRL indicator" }
            case "2.5.29.28":
                issuingDistributionPoint = IssuingDistributionPoint.parse(value)
                if issuingDistributionPoint == nil { unreadable = "issuing distribution point" }
            case "2.5.29.35": authorityKeyID = authorityKeyIdentifier(value)
            default:
                if critical, !Self.known.contains(oid), unknownCritical == nil { unknownCritical = oid }
            }
        }
        if unknownCritical == nil {
            var buffer = [CChar](repeating: 0, count: 128)
            switch podpis_crl_entry_unknown_critical(crl.pointer, &buffer, Int32(buffer.count)) {
            case 1: unknownCritical = string(fromNulTerminated: buffer) + " (CRL entry)"
            case -1: unreadable = "CRL entries"
            default: break
            }
        }
        clearOpenSSLErrors()
    }
}

/// ``CRLFacts`` by CRL fingerprint; bounded, thread-safe (a service re-reads the same CRLs for every request).
final class CRLFactsCache: Sendable {
    static let shared = CRLFactsCache(capacity: 1024)
    private let entries = NIOLockedValueBox<[String: CRLFacts]>([:])
    /// Whether a CRL's signature verifies with a key: by "CRL fingerprint|certificate fingerprint".
    private let signatures = NIOLockedValueBox<[String: Bool]>([:])
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func facts(_ crl: CertificateRevocationList) -> CRLFacts {
        if let known = entries.withLockedValue({ $0[crl.fingerprint] }) { return known }
        let facts = CRLFacts(crl)
        entries.withLockedValue { map in
            if map.count >= capacity { map.removeAll(keepingCapacity: true) }
            map[crl.fingerprint] = facts
        }
        return facts
    }

    /// Whether `certificate`'s key verifies `crl`'s signature (names are not compared here).
    func verifies(_ crl: CertificateRevocationList, with certificate: X509Certificate) -> Bool {
        let key = crl.fingerprint + "|" + certificate.fingerprint
        if let known = signatures.withLockedValue({ $0[key] }) { return known }
        var ok = false
        if let publicKey = X509_get0_pubkey(certificate.pointer) { ok = X509_CRL_verify(crl.pointer, publicKey) == 1 }
        clearOpenSSLErrors()
        signatures.withLockedValue { map in
            if map.count >= capacity * 4 { map.removeAll(keepingCapacity: true) }
            map[key] = ok
        }
        return ok
    }
}

/// Why a revocation object was not used for a certificate. The raw values are the stable codes recorded in
/// evidence (``RevocationObjectUse/reason``); the report renders them in the reader's language.

/// The result of RFC 5280 §6.3.3 for one certificate.
struct CRLOutcome {
    enum Status { case unrevoked, revoked(date: Date?, reason: RevocationReason?), undetermined }
    var status: Status = .undetermined
    var considered: [RevocationObjectUse] = []
    var thisUpdate: Date?
    var nextUpdate: Date?
    var issuer: String?
    /// The reasons the usable CRLs did not cover, when some were usable.
    var uncovered: ReasonSet?
}

extension ChainValidator {
    /// What the CRLs and OCSP answers at hand say about `cert`, independent of any judgement time: its status and
    /// every revocation object that was about it, each used or rejected with the reason.
    ///
    /// - Parameters:
    ///   - issuer: the next certificate up the path (nil when the path stops at `cert`).
    ///   - anchor: the trust anchor the path reached, when it reached one; a separate CRL issuer must chain to it.
    func revocationFacts(for cert: X509Certificate, issuer: X509Certificate?, anchor: X509Certificate?, at time: Date) -> RevocationEvidence {
        let outcome = crlOutcome(for: cert, issuer: issuer, anchor: anchor, at: time)
        var considered = outcome.considered
        let failures = fetchFailures[cert.fingerprint] ?? []
        var problems = failures.map(\.problem)
        var fromOCSP: RevocationEvidence? = nil
        if let issuer {
            for response in ocspResponses {
                guard let answer = OCSP.evidence(from: response, certificate: cert, issuer: issuer, trust: trust, untrusted: untrusted) else { continue }
                let digest = SHA256.hex(response)
                if answer.status == .unknown {
                    let detail = answer.problems.first ?? "the OCSP response does not establish the status"
                    let code: RevocationRejection = detail.contains("answered «") ? .ocspRefused
                        : detail.contains("not trustworthy") ? .ocspNotTrustworthy : .ocspUnknown
                    considered.append(RevocationObjectUse(kind: .ocsp, sha256: digest, issuer: answer.issuer ?? "", outcome: .rejected,
                                                          reason: code, detail: detail))
                    problems += answer.problems
                    continue
                }
                // The first answer that establishes the status is used; a revocation beats a "good".
                if fromOCSP == nil || (answer.status == .revoked && fromOCSP?.status != .revoked) {
                    if fromOCSP != nil, let index = considered.lastIndex(where: { $0.kind == .ocsp && $0.outcome == .used }) {
                        considered[index].outcome = .unneeded
                        considered[index].reason = .superseded
                    }
                    fromOCSP = answer
                    considered.append(RevocationObjectUse(kind: .ocsp, sha256: digest, issuer: answer.issuer ?? "", outcome: .used))
                } else {
                    considered.append(RevocationObjectUse(kind: .ocsp, sha256: digest, issuer: answer.issuer ?? "", outcome: .unneeded,
                                                          reason: .superseded))
                }
            }
        } else {
            problems.append("issuer not found")
        }
        var result: RevocationEvidence
        switch outcome.status {
        case .revoked(let date, let reason) where fromOCSP?.status != .revoked:
            result = RevocationEvidence(status: .revoked, source: .crl, revocationTime: date, reason: reason,
                                        thisUpdate: outcome.thisUpdate, nextUpdate: outcome.nextUpdate, issuer: outcome.issuer)
        case .unrevoked where fromOCSP == nil:
            result = RevocationEvidence(status: .good, source: .crl, thisUpdate: outcome.thisUpdate, nextUpdate: outcome.nextUpdate,
                                        issuer: outcome.issuer)
        default:
            if var answer = fromOCSP {
                answer.problems = []
                result = answer
            } else {
                // Nothing established the status: say why, object by object.
                for use in considered where use.outcome == .rejected { problems.append(use.detail ?? use.reason?.rawValue ?? "unusable") }
                let uncovered = outcome.uncovered.map(\.reasons) ?? []
                if !uncovered.isEmpty {
                    problems.append("the usable CRLs do not cover the reasons \(uncovered.map(\.rawValue).joined(separator: ", "))")
                }
                result = RevocationEvidence(status: .unknown, problems: problems)
                if !uncovered.isEmpty { result.uncoveredReasons = uncovered }
            }
        }
        if result.status != .unknown { result.problems = problems }
        let recorded = failures.filter { result.problems.contains($0.problem) }
        if !recorded.isEmpty { result.fetchFailures = recorded }
        result.considered = considered.isEmpty ? nil : considered
        return result
    }

    /// RFC 5280 §6.3.3, for every CRL at hand: the distribution points the certificate names, then the CRLs of its
    /// issuer that no distribution point names (as if a point named the issuer itself), until every reason is
    /// covered or the certificate is found revoked. Delta CRLs are used with a complete CRL of the same scope.
    func crlOutcome(for cert: X509Certificate, issuer: X509Certificate?, anchor: X509Certificate?, at time: Date) -> CRLOutcome {
        var outcome = CRLOutcome()
        guard !crls.isEmpty else { return outcome }
        let certIssuerName = NameComparison.der(X509_get_issuer_name(cert.pointer))
        let certIssuer = GeneralName.directoryName(certIssuerName)
        let flags = X509_get_extension_flags(cert.pointer)
        let certIsCA = flags & UInt32(EXFLAG_BCONS) != 0 && flags & UInt32(EXFLAG_CA) != 0
        let all = crls.map { ($0, CRLFactsCache.shared.facts($0)) }
            .sorted { ($0.1.thisUpdate ?? .distantPast) > ($1.1.thisUpdate ?? .distantPast) }
        var points = cert.distributionPoints ?? []
        points.append(DistributionPoint(name: DistributionPointName(fullName: [certIssuer], relativeToIssuer: nil), reasons: nil, crlIssuer: nil))
        let implicitIndex = points.count - 1

        var uses: [String: RevocationObjectUse] = [:]
        var order: [String] = []
        func note(_ crl: CertificateRevocationList, _ facts: CRLFacts, _ outcome: RevocationObjectUse.Outcome, _ reason: RevocationRejection? = nil, _ detail: String? = nil) {
            let use = RevocationObjectUse(kind: facts.isDelta ? .deltaCRL : .crl, sha256: crl.fingerprint, issuer: facts.issuerText,
                                          outcome: outcome, reason: reason, detail: detail)
            if let existing = uses[crl.fingerprint] {
                // "used" outranks anything; a rejection for one distribution point is kept unless another used it.
                if existing.outcome == .used || (existing.outcome == .rejected && outcome == .unneeded) { return }
            } else {
                order.append(crl.fingerprint)
            }
            uses[crl.fingerprint] = use
        }

        var reasons = ReasonSet()
        var revoked: (date: Date?, reason: RevocationReason?)? = nil
        var processedExplicitly = Set<String>()
        var signers: [String: Result<X509Certificate, IssuerRejection>] = [:]
        var usedComplete: [CRLFacts] = []
        var usedDelta: [CRLFacts] = []

        pointLoop: for (pointIndex, point) in points.enumerated() {
            for (crl, facts) in all where !facts.isDelta {
                if reasons == .all || revoked != nil { break pointLoop }
                let crlIssuer = GeneralName.directoryName(facts.issuerName)
                // (b)(1): who may issue the CRL for this point.
                if let issuers = point.crlIssuer {
                    guard issuers.contains(where: { $0.matches(crlIssuer) }) else { continue }
                    guard facts.issuingDistributionPoint?.indirect == true else {
                        note(crl, facts, .rejected, .notIndirect,
                             "CRL by \(facts.issuerText) rejected: the certificate names \(facts.issuerText) as its CRL issuer, but the CRL is not an indirect CRL")
                        continue
                    }
                } else {
                    guard NameComparison.equal(facts.issuerName, certIssuerName) else { continue }
                }
                if pointIndex == implicitIndex, processedExplicitly.contains(crl.fingerprint) { continue }
                if pointIndex != implicitIndex { processedExplicitly.insert(crl.fingerprint) }
                if let oid = facts.unknownCritical {
                    note(crl, facts, .rejected, .unknownCriticalExtension, "CRL by \(facts.issuerText) rejected: it carries a critical extension podpis cannot process (\(oid))")
                    continue
                }
                if let what = facts.unreadable {
                    note(crl, facts, .rejected, .unreadable, "CRL by \(facts.issuerText) rejected: its \(what) cannot be read")
                    continue
                }
                // (b)(2): the scope the CRL states for itself.
                if let idp = facts.issuingDistributionPoint {
                    if let name = idp.name {
                        let stated = name.names(crlIssuer: [crlIssuer])
                        let wanted = point.name.map { $0.names(crlIssuer: point.crlIssuer ?? [certIssuer]) } ?? (point.crlIssuer ?? [])
                        guard stated.contains(where: { a in wanted.contains { a.matches($0) } }) else {
                            note(crl, facts, .rejected, .scopeMismatch,
                                 "CRL by \(facts.issuerText) rejected: its issuing distribution point (\(stated.map(\.text).joined(separator: "; "))) does not cover the certificate's distribution point (\(wanted.map(\.text).joined(separator: "; ")))")
                            continue
                        }
                    }
                    if idp.onlyUserCertificates && certIsCA {
                        note(crl, facts, .rejected, .onlyUserCertificates, "CRL by \(facts.issuerText) rejected: it covers end-entity certificates only, and this is a CA certificate")
                        continue
                    }
                    if idp.onlyCACertificates && !certIsCA {
                        note(crl, facts, .rejected, .onlyCACertificates, "CRL by \(facts.issuerText) rejected: it covers CA certificates only, and this is not a CA certificate")
                        continue
                    }
                    if idp.onlyAttributeCertificates {
                        note(crl, facts, .rejected, .onlyAttributeCertificates, "CRL by \(facts.issuerText) rejected: it covers attribute certificates only")
                        continue
                    }
                }
                // (d), (e): the reasons this CRL adds.
                let interim: ReasonSet
                switch (facts.issuingDistributionPoint?.onlySomeReasons, point.reasons) {
                case (let some?, let wanted?): interim = some.intersection(wanted)
                case (let some?, nil): interim = some
                case (nil, let wanted?): interim = wanted
                case (nil, nil): interim = .all
                }
                guard !interim.subtracting(reasons).isEmpty else {
                    note(crl, facts, .unneeded, .reasonsCovered)
                    continue
                }
                // (f), (g): the CRL's issuer and its signature.
                let signer: X509Certificate
                let verdict = signers[crl.fingerprint] ?? crlSigner(crl, facts, certIssuer: issuer, anchor: anchor, at: time)
                signers[crl.fingerprint] = verdict
                switch verdict {
                case .failure(let rejection):
                    note(crl, facts, .rejected, rejection.code, "CRL by \(facts.issuerText) rejected: \(rejection.detail)")
                    continue
                case .success(let found): signer = found
                }
                // (c), (h): a delta CRL of the same scope, newer than this one, signed by the same key.
                var delta: (CertificateRevocationList, CRLFacts)? = nil
                for (candidate, candidateFacts) in all where candidateFacts.isDelta && NameComparison.equal(candidateFacts.issuerName, facts.issuerName) {
                    guard candidateFacts.issuingDistributionPoint?.der == facts.issuingDistributionPoint?.der,
                        candidateFacts.authorityKeyID == nil || facts.authorityKeyID == nil || candidateFacts.authorityKeyID == facts.authorityKeyID,
                        let base = candidateFacts.baseNumber, let number = facts.number,
                        compareMagnitudes(base, number) <= 0,
                        candidateFacts.number.map({ compareMagnitudes($0, number) > 0 }) ?? false
                    else { continue }
                    if delta != nil {
                        note(candidate, candidateFacts, .unneeded, .superseded)
                        continue
                    }
                    if let oid = candidateFacts.unknownCritical {
                        note(candidate, candidateFacts, .rejected, .unknownCriticalExtension, "delta CRL by \(candidateFacts.issuerText) rejected: it carries a critical extension podpis cannot process (\(oid))")
                        continue
                    }
                    guard CRLFactsCache.shared.verifies(candidate, with: signer) else {
                        note(candidate, candidateFacts, .rejected, .signatureInvalid, "delta CRL by \(candidateFacts.issuerText) rejected: its signature does not verify with the key of «\(signer.subject)»")
                        continue
                    }
                    delta = (candidate, candidateFacts)
                }
                // (i)–(k): the delta CRL first, then the complete CRL; removeFromCRL lifts a hold.
                var entry: (date: Date?, reason: RevocationReason?)? = nil
                if let (deltaCRL, _) = delta, let listed = deltaCRL.entry(for: cert) {
                    entry = listed
                } else {
                    entry = crl.entry(for: cert)
                }
                if entry?.reason == .removeFromCRL { entry = nil }
                note(crl, facts, .used)
                usedComplete.append(facts)
                if let (deltaCRL, deltaFacts) = delta {
                    note(deltaCRL, deltaFacts, .used)
                    usedDelta.append(deltaFacts)
                }
                if let entry { revoked = entry }
                reasons.formUnion(interim)
            }
        }
        // Delta CRLs that no complete CRL at hand could be used with.
        for (crl, facts) in all where facts.isDelta && uses[crl.fingerprint] == nil
            && (NameComparison.equal(facts.issuerName, certIssuerName) || points.contains { $0.crlIssuer?.contains { $0.matches(.directoryName(facts.issuerName)) } ?? false }) {
            note(crl, facts, .rejected, .deltaWithoutBase,
                 "delta CRL by \(facts.issuerText) rejected: no usable complete CRL of the same scope with a CRL number of at least its base (\(facts.baseNumber.map { hex($0) } ?? "?")) is at hand")
        }
        // Revocation is permanent except for a hold: an older, otherwise unused CRL of the same issuer that lists the
        // certificate (for another reason than a hold) still counts once its signature verifies.
        if revoked == nil, !usedComplete.isEmpty {
            for (crl, facts) in all where !facts.isDelta && uses[crl.fingerprint]?.outcome != .rejected && uses[crl.fingerprint]?.outcome != .used
                && NameComparison.equal(facts.issuerName, certIssuerName) && facts.unknownCritical == nil {
                guard let entry = crl.entry(for: cert), entry.reason != .certificateHold, entry.reason != .removeFromCRL else { continue }
                guard case .success = signers[crl.fingerprint] ?? crlSigner(crl, facts, certIssuer: issuer, anchor: anchor, at: time) else { continue }
                note(crl, facts, .used)
                revoked = entry
                break
            }
        }
        // A CRL the certificate's issuer signed under another name (PKITS 4.4.5) is not about this certificate, but it
        // shows that the CA publishes revocation data: recorded as rejected, so the status is unknown rather than
        // "not published".
        if usedComplete.isEmpty, revoked == nil, let issuer {
            for (crl, facts) in all where uses[crl.fingerprint] == nil && !NameComparison.equal(facts.issuerName, certIssuerName)
                && CRLFactsCache.shared.verifies(crl, with: issuer) {
                note(crl, facts, .rejected, .issuerNameMismatch,
                     "CRL by \(facts.issuerText) rejected: signed with the key of the certificate's issuer, but issued under another name")
            }
        }
        outcome.considered = order.compactMap { uses[$0] }
        if let newest = usedComplete.first {
            outcome.issuer = newest.issuerText
            outcome.thisUpdate = (usedComplete + usedDelta).compactMap(\.thisUpdate).max()
            outcome.nextUpdate = (usedComplete + usedDelta).compactMap(\.nextUpdate).min()
        }
        if let revoked {
            outcome.status = .revoked(date: revoked.date, reason: revoked.reason)
        } else if reasons == .all {
            outcome.status = .unrevoked
        } else {
            outcome.status = .undetermined
            if !usedComplete.isEmpty { outcome.uncovered = ReasonSet.all.subtracting(reasons) }
        }
        return outcome
    }

    struct IssuerRejection: Error {
        var code: RevocationRejection
        var detail: String
    }

    /// RFC 5280 §6.3.3 (f), (g): the certificate whose key signed `crl`, with a path to the same trust anchor, allowed
    /// to sign CRLs, and not revoked itself. The certificate's own issuer needs no further path (its path is the one
    /// being validated, its status is checked at its own depth).
    func crlSigner(_ crl: CertificateRevocationList, _ facts: CRLFacts, certIssuer: X509Certificate?, anchor: X509Certificate?,
                   at time: Date) -> Result<X509Certificate, IssuerRejection> {
        var candidates: [X509Certificate] = []
        var seen = Set<String>()
        let pool = [certIssuer].compactMap { $0 } + untrusted + trust.anchors
        for certificate in pool where seen.insert(certificate.fingerprint).inserted
            && NameComparison.equal(NameComparison.der(X509_get_subject_name(certificate.pointer)), facts.issuerName) {
            candidates.append(certificate)
        }
        // Prefer the certificate the CRL's authority key identifier names.
        if let keyID = facts.authorityKeyID {
            candidates = candidates.filter { $0.subjectKeyIdentifier == keyID } + candidates.filter { $0.subjectKeyIdentifier != keyID }
        }
        guard let signer = candidates.first(where: { CRLFactsCache.shared.verifies(crl, with: $0) }) else {
            if candidates.isEmpty {
                return .failure(IssuerRejection(code: .issuerNotFound, detail: "no certificate of its issuer «\(facts.issuerText)» is at hand"))
            }
            return .failure(IssuerRejection(code: .signatureInvalid, detail: "its signature does not verify with the key of «\(candidates[0].subject)»"))
        }
        let flags = X509_get_extension_flags(signer.pointer)
        if flags & UInt32(EXFLAG_KUSAGE) != 0, X509_get_key_usage(signer.pointer) & UInt32(KU_CRL_SIGN) == 0 {
            return .failure(IssuerRejection(code: .issuerNoCRLSign, detail: "its issuer's certificate «\(signer.subject)» does not allow signing CRLs (no cRLSign key usage)"))
        }
        if signer == certIssuer || trust.contains(signer) && (anchor == nil || signer == anchor) { return .success(signer) }
        if trust.contains(signer) {
            return .failure(IssuerRejection(code: .issuerPathInvalid, detail: "its issuer «\(signer.subject)» is another trust anchor than the certificate's"))
        }
        // The CRL issuer's own certificate may be covered by the CRLs it issues (PKITS 4.14.30): its path is being
        // validated further up, and here its CRL only has to verify with its key — a CRL that lists its own issuer
        // revokes it for the outer validation.
        if crlIssuerStack.contains(signer.fingerprint) { return .success(signer) }
        guard crlIssuerStack.count < 4 else {
            return .failure(IssuerRejection(code: .circular, detail: "its issuer «\(signer.subject)» sits too deep in a chain of separate CRL issuers"))
        }
        var nested = self
        nested.crlIssuerStack.append(signer.fingerprint)
        let (chain, _) = nested.evaluate(signer, at: time, purpose: .crlIssuer)
        guard chain.reachesTrustAnchor, anchor == nil || chain.path.last?.certificate == anchor?.fingerprint else {
            return .failure(IssuerRejection(code: .issuerPathInvalid, detail: "its issuer's certificate «\(signer.subject)» does not chain to the same trust anchor"))
        }
        if let issue = chain.issues.first(where: { ![.expired, .notYetValid].contains($0.code) }) {
            return .failure(IssuerRejection(code: .issuerPathInvalid, detail: "the path of its issuer's certificate «\(signer.subject)» is not valid: \(issue.message)"))
        }
        if let notBefore = signer.notBefore, let notAfter = signer.notAfter, let issued = facts.thisUpdate, issued < notBefore || issued > notAfter {
            return .failure(IssuerRejection(code: .issuerPathInvalid, detail: "its issuer's certificate «\(signer.subject)» was not valid when the CRL was issued"))
        }
        for element in chain.path.dropLast() {
            switch element.revocation.status {
            case .revoked:
                return .failure(IssuerRejection(code: .issuerRevoked, detail: "its issuer's certificate «\(signer.subject)» (or a CA above it) is revoked"))
            case .unknown:
                return .failure(IssuerRejection(code: .issuerStatusUnknown, detail: "the revocation status of its issuer's certificate «\(signer.subject)» (or a CA above it) is unknown"))
            case .good, .notApplicable: continue
            }
        }
        return .success(signer)
    }
}

extension X509Certificate {
    /// The certificate's CRL distribution points (RFC 5280 §4.2.1.13); nil without the extension.
    var distributionPoints: [DistributionPoint]? {
        let index = X509_get_ext_by_NID(pointer, NID_crl_distribution_points, -1)
        guard index >= 0, let ext = X509_get_ext(pointer, index) else { return nil }
        return DistributionPoint.list(bytes(of: X509_EXTENSION_get_data(ext))) ?? []
    }

    /// The subject key identifier's bytes.
    var subjectKeyIdentifier: [UInt8]? { X509_get0_subject_key_id(pointer).map { bytes(of: $0) } }
}
