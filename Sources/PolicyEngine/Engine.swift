import EvidenceModel
import Foundation

/// Turns evidence into a report under a policy. A pure function of (evidence, policy, options): the same
/// evidence judged again under the same policy and time gives the same report.
public struct PolicyEngine: Sendable {
    public init() {}

    public func judge(_ given: Evidence, policy: Policy, options: JudgementOptions = JudgementOptions()) -> Report {
        // A PDF's document timestamps prove when its earlier signatures existed.
        let evidence = PDFCheck.augment(given)
        let language = options.language
        let catalogue = Catalogue(language)
        let validationTime = options.validationTime ?? evidence.validationTime
        // The policy version is chosen by the time that matters: the earliest proven signing time, else now.
        // Timestamps' own algorithms are judged under the rules in force at the validation time (a token is only
        // as strong as its hash and key are now, unless a later archive timestamp proves it existed before).
        let constraints = policy.version(at: validationTime).forbiddenAlgorithms
        let judgedSigners = evidence.signers.map { signer -> (SignerEvidence, [JudgedTimestamp], Date, Bool) in
            let stamps = TimestampJudge.judge(signer, evidence: evidence, validationTime: validationTime, constraints: constraints)
            // A signature-time-stamp, a CAdES-C-time-stamp or an archive timestamp over the signature proves when
            // it existed.
            let proven = TimestampJudge.proofOfExistence(stamps)
            return (signer, stamps, proven ?? validationTime, proven != nil)
        }
        let policyTime = judgedSigners.map(\.2).min() ?? validationTime
        let version = policy.version(at: policyTime)
        let reportPolicy = ReportPolicy(id: policy.id, version: version.version, title: policy.title.text(language))
        let documentType = options.documentType.flatMap { wanted in
            version.documentTypes.first { $0.id == wanted || $0.name.ru == wanted || $0.name.en == wanted }
        }
        let attestations = options.attestations.filter { !$0.value.trimmingCharacters(in: .whitespaces).isEmpty }

        let document = evidence.document.map {
            ReportDocument(name: $0.name, size: $0.size, digests: $0.digests, source: $0.source.rawValue)
        }
        guard evidence.format.parsed else {
            let message = catalogue.render(Message("format.unreadable", ["detail": evidence.format.error ?? ""]))
            var report = Report(
                indication: .totalFailed, subIndication: .formatFailure, validationTime: validationTime, document: document,
                policy: reportPolicy, signatures: [],
                documentChecks: [CheckResult(id: "format", status: .failed, subIndication: .formatFailure, message: message,
                                             name: CheckVocabulary.titles["format"]?.text(language))],
                lang: language.rawValue, formatError: evidence.format.error, producer: evidence.producer)
            report.container = evidence.container.map { ContainerCheck.summary($0, signatures: []) }
            return report
        }

        if evidence.signers.isEmpty, let tokens = evidence.timestamps, !tokens.isEmpty {
            return judgeStandalone(tokens, evidence: evidence, validationTime: validationTime, constraints: constraints,
                                   document: document, policy: reportPolicy, catalogue: catalogue)
        }

        var signatures: [SignatureReport] = []
        for (signer, stamps, best, hasPOE) in judgedSigners {
            let signerVersion = policy.version(at: best)
            let context = SignerContext(
                evidence: evidence, signer: signer,
                certificate: signer.signerCertificate.flatMap { evidence.certificates[$0] },
                chain: signer.chains.first { $0.purpose == .validationTime } ?? signer.chains.first,
                validationTime: validationTime, bestSignatureTime: best, hasPOE: hasPOE, timestamps: stamps,
                documentType: documentType, attestations: attestations, trustLists: options.trustLists,
                policy: policy, language: language, nested: options.nested)
            var report = judgeSigner(context, version: signerVersion, catalogue: catalogue)
            report.counterSignatures = judgeCounterSignatures(signer.counterSignatures, evidence: evidence, validationTime: validationTime,
                                                              constraints: constraints, policy: policy, options: options,
                                                              documentType: documentType, attestations: attestations, catalogue: catalogue)
            signatures.append(report)
        }

        // Document-level rules.
        var documentChecks: [CheckResult] = []
        var documentFailure: SubIndication? = nil
        var containerFailure: SubIndication? = nil
        if signatures.isEmpty {
            documentFailure = .formatFailure
            documentChecks.append(CheckResult(id: "format", status: .failed, subIndication: .formatFailure,
                                              message: catalogue.render(Message("format.no-signers")),
                                              name: CheckVocabulary.titles["format"]?.text(language)))
        }
        if let container = evidence.container {
            // Intrinsic, before the policy's document rules: a container whose files do not match what was signed
            // decides the verdict whatever else holds.
            let result = ContainerCheck.judge(container, catalogue: catalogue)
            if result.status == .failed, documentFailure == nil { documentFailure = result.subIndication }
            if result.status == .failed { containerFailure = result.subIndication }
            documentChecks.append(result)
        }
        if let pdf = evidence.pdf {
            // Intrinsic too: an unreadable signature field or a forged document timestamp.
            for result in PDFCheck.documentChecks(pdf, evidence: evidence, validationTime: validationTime, catalogue: catalogue) {
                if result.status == .failed, documentFailure == nil { documentFailure = result.subIndication }
                documentChecks.append(result)
            }
        }
        let documentContext = DocumentContext(signatures: signatures, documentType: documentType, language: language)
        for rule in version.rules where rule.level != .ignore {
            guard let check = rule.configuration as? any DocumentCheck else { continue }
            let result = makeResult(rule, check.evaluate(documentContext), catalogue: catalogue)
            if result.status == .failed, documentFailure == nil { documentFailure = result.subIndication }
            documentChecks.append(result)
        }

        // Aggregate: TOTAL-PASSED only if every signature passed and document rules hold; else the worst.
        var indication = Indication.totalPassed
        var subIndication: SubIndication? = nil
        if let worst = signatures.max(by: { $0.indication.severity < $1.indication.severity }), worst.indication != .totalPassed {
            let first = signatures.first { $0.indication == worst.indication }!
            indication = first.indication
            subIndication = first.subIndication
        }
        // Timestamp tokens beside the signatures (an ASiC container's time assertions) count like signatures.
        var tokenSummaries: [TimestampSummary]? = nil
        if let tokens = evidence.timestamps, !tokens.isEmpty {
            let judged = TimestampJudge.judge(tokens, evidence: evidence, validationTime: validationTime, constraints: constraints)
            tokenSummaries = judged.map { timestampSummary($0, evidence: evidence, catalogue: catalogue) }
            for stamp in judged where !stamp.usable {
                let main = stamp.indication.main
                if main.severity > indication.severity {
                    indication = main
                    subIndication = stamp.subIndication
                }
            }
        }
        if documentType == nil, let wanted = options.documentType {
            documentFailure = documentFailure ?? .policyProcessingError
            documentChecks.insert(CheckResult(id: "document-type", status: .failed, subIndication: .policyProcessingError,
                                              message: catalogue.render(Message("document-type.unknown", ["type": wanted,
                                                  "known": version.documentTypes.map { $0.name.text(language) }.joined(separator: ", ")]))), at: 0)
        }
        if let documentFailure, documentFailure.indication.severity > indication.severity
            || (indication == .totalPassed) {
            indication = documentFailure.indication
            subIndication = documentFailure
        }
        // The container's own verdict names the cause when it is as severe as the signatures' (a signed file missing
        // from an ASiC-E is SIGNED_DATA_NOT_FOUND whatever a signature's chain says, as DSS reports it).
        if let containerFailure, containerFailure.indication.severity >= indication.severity {
            indication = containerFailure.indication
            subIndication = containerFailure
        }
        for index in documentChecks.indices where documentChecks[index].name == nil {
            documentChecks[index].name = CheckVocabulary.titles[documentChecks[index].id]?.text(language)
        }
        var report = Report(
            indication: indication, subIndication: subIndication, validationTime: validationTime, document: document,
            policy: reportPolicy, signatures: signatures, documentChecks: documentChecks, lang: language.rawValue,
            producer: evidence.producer)
        report.container = evidence.container.map { ContainerCheck.summary($0, signatures: signatures) }
        report.timestamps = tokenSummaries
        report.pdf = evidence.pdf.map { PDFCheck.summary($0, evidence: evidence, validationTime: validationTime, catalogue: catalogue) }
        return report
    }

    /// Counter-signatures, each judged as a signature of its own under the same policy (its version chosen by the
    /// counter-signature's own proven time). They are reported nested under the signature they countersign and do
    /// not change its verdict: a countersignature signs a signature, not the document.
    func judgeCounterSignatures(
        _ counters: [SignerEvidence]?, evidence: Evidence, validationTime: Date, constraints: [AlgorithmConstraint],
        policy: Policy, options: JudgementOptions, documentType: DocumentType?, attestations: [String: String], catalogue: Catalogue
    ) -> [SignatureReport]? {
        guard let counters, !counters.isEmpty else { return nil }
        return counters.map { counter in
            let stamps = TimestampJudge.judge(counter, evidence: evidence, validationTime: validationTime, constraints: constraints)
            let proven = TimestampJudge.proofOfExistence(stamps)
            let best = proven ?? validationTime
            let context = SignerContext(
                evidence: evidence, signer: counter, certificate: counter.signerCertificate.flatMap { evidence.certificates[$0] },
                chain: counter.chains.first { $0.purpose == .validationTime } ?? counter.chains.first,
                validationTime: validationTime, bestSignatureTime: best, hasPOE: proven != nil, timestamps: stamps,
                documentType: documentType, attestations: attestations, trustLists: options.trustLists,
                policy: policy, language: options.language, nested: options.nested)
            var report = judgeSigner(context, version: policy.version(at: best), catalogue: catalogue)
            report.counterSignatures = judgeCounterSignatures(counter.counterSignatures, evidence: evidence, validationTime: validationTime,
                                                              constraints: constraints, policy: policy, options: options,
                                                              documentType: documentType, attestations: attestations, catalogue: catalogue)
            return report
        }
    }

    /// A bare RFC 3161 token given alone: nobody's signature, so `signatures` is empty; the verdict is the token's —
    /// its imprint against the document, its signature, the TSA's certificate and path. Without a document there is
    /// nothing to compare the imprint with: INDETERMINATE / SIGNED_DATA_NOT_FOUND at best.
    func judgeStandalone(
        _ tokens: [TimestampEvidence], evidence: Evidence, validationTime: Date, constraints: [AlgorithmConstraint],
        document: ReportDocument?, policy: ReportPolicy, catalogue: Catalogue
    ) -> Report {
        let judged = TimestampJudge.judge(tokens, evidence: evidence, validationTime: validationTime, constraints: constraints)
        let summaries = judged.map { timestampSummary($0, evidence: evidence, catalogue: catalogue) }
        var indication = Indication.totalPassed
        var subIndication: SubIndication? = nil
        var checks: [CheckResult] = []
        for (stamp, summary) in zip(judged, summaries) {
            let status: CheckResult.Status = stamp.usable ? .passed : .failed
            checks.append(CheckResult(id: "timestamp", status: status, subIndication: stamp.subIndication,
                                      message: catalogue.render(Message("standalone.verdict", [
                                          "time": Format.date(stamp.evidence.genTime), "tsa": summary.tsa ?? "—",
                                          "reason": catalogue.render(stamp.reason ?? Message("timestamp.passed"))]))))
            guard !stamp.usable else { continue }
            let main = stamp.indication.main
            if main.severity > indication.severity {
                indication = main
                subIndication = stamp.subIndication
            }
        }
        if let container = evidence.container {
            // A container of time assertions: the container check decides as it does for signatures.
            let result = ContainerCheck.judge(container, catalogue: catalogue)
            checks.append(result)
            if result.status == .failed, let sub = result.subIndication, sub.indication.severity >= indication.severity {
                indication = sub.indication
                subIndication = sub
            }
        }
        var report = Report(
            indication: indication, subIndication: subIndication, validationTime: validationTime, document: document,
            policy: policy, signatures: [], documentChecks: checks, lang: catalogue.language.rawValue, producer: evidence.producer)
        report.timestamps = summaries
        report.container = evidence.container.map { ContainerCheck.summary($0, signatures: []) }
        return report
    }

    func timestampSummary(_ stamp: JudgedTimestamp, evidence: Evidence, catalogue: Catalogue) -> TimestampSummary {
        var summary = TimestampSummary(
            type: stamp.evidence.type, genTime: stamp.evidence.genTime,
            tsa: stamp.evidence.tsaCertificate.flatMap { evidence.certificates[$0]?.subject },
            indication: stamp.indication, subIndication: stamp.subIndication)
        summary.reason = stamp.usable ? nil : stamp.reason.map { catalogue.render($0) }
        summary.imprintAlgorithm = stamp.evidence.imprintAlgorithm
        summary.imprint = stamp.evidence.imprintValue
        summary.serial = stamp.evidence.serial.isEmpty ? nil : stamp.evidence.serial
        summary.policy = stamp.evidence.policy
        return summary
    }

    func makeResult(_ rule: Rule, _ verdict: CheckVerdict, catalogue: Catalogue) -> CheckResult {
        let message = verdict.message
        let (text, arguments) = catalogue.rendered(message)
        let basis = rule.basis?.text(catalogue.language)
        let name = CheckVocabulary.title(of: rule, catalogue.language)
        var result: CheckResult
        switch verdict {
        case .pass:
            result = CheckResult(id: rule.id, status: .passed, message: text, basis: basis, name: name)
        case .warn:
            result = CheckResult(id: rule.id, status: .warning, message: text, basis: basis, name: name)
        case .notApplicable:
            result = CheckResult(id: rule.id, status: .skipped, message: text, basis: basis, name: name)
        case .fail(let natural, _):
            let sub = rule.subIndication ?? natural
            let status: CheckResult.Status = switch rule.level {
            case .fail: .failed
            case .warn: .warning
            case .inform, .ignore: .info
            }
            result = CheckResult(id: rule.id, status: status, subIndication: sub, message: text, basis: basis, name: name)
        }
        result.check = rule.check
        result.messageKey = message.key.rawValue
        result.messageArgs = arguments
        return result
    }

    func judgeSigner(_ context: SignerContext, version: PolicyVersion, catalogue: Catalogue) -> SignatureReport {
        var checks: [CheckResult] = []
        let formatBroken = !context.signer.formatIssues.isEmpty || !(context.signer.formatFindings ?? []).isEmpty
        for rule in version.rules where rule.level != .ignore {
            guard let check = rule.configuration as? any SignatureCheck else { continue }
            if let effective = rule.effective, !effective.contains(context.bestSignatureTime) {
                checks.append(makeResult(rule, .notApplicable(Message("rule.not-in-force")), catalogue: catalogue))
                continue
            }
            let verdict: CheckVerdict = formatBroken && !(check is FormatCheck)
                ? .notApplicable(Message("format.skipped"))
                : check.evaluate(context)
            checks.append(makeResult(rule, verdict, catalogue: catalogue))
        }
        if let pdf = context.evidence.pdf {
            // The PDF's own format checks come first, as format checking precedes the other building blocks.
            checks.insert(contentsOf: PDFCheck.checks(for: context, pdf: pdf, catalogue: catalogue), at: 0)
        }

        // ETSI order with "a crypto failure wins": the first TOTAL-FAILED sub-indication, else the first failure.
        let failures = checks.filter { $0.status == .failed }
        let qualification = Set(version.legal.qualificationRules)
        let deciding = failures.first { $0.subIndication?.indication == .totalFailed } ?? failures.first
        let indication = deciding?.subIndication?.indication ?? (deciding == nil ? .totalPassed : .indeterminate)
        let onlyQualificationFailed = !failures.isEmpty && failures.allSatisfy { qualification.contains($0.id) }

        let legal: LegalConclusion
        let profile = version.legal
        switch indication {
        case .totalPassed:
            // 63-ФЗ ст. 11 п. 3: a qualified conclusion needs the check by a certified tool, which only the operator
            // can state; without it the conclusion says what holds and what is not confirmed.
            let attestationRules = Set(version.rules.filter { $0.configuration is AttestationCheck }.map(\.id))
            let unattested = checks.contains { attestationRules.contains($0.id) && $0.status != .passed && $0.status != .skipped }
            if profile.kind == .qualified, unattested {
                legal = LegalConclusion(
                    kind: SignatureKind.qualifiedUnattested.rawValue,
                    conclusion: profile.unattestedConclusion?.text(catalogue.language) ?? catalogue.text("legal.qualified-unattested"),
                    basis: profile.basis?.text(catalogue.language))
            } else {
                legal = LegalConclusion(kind: profile.kind.rawValue, conclusion: profile.validConclusion.text(catalogue.language), basis: profile.basis?.text(catalogue.language))
            }
        case .totalFailed:
            legal = LegalConclusion(kind: SignatureKind.none.rawValue, conclusion: profile.invalidConclusion.text(catalogue.language), basis: profile.basis?.text(catalogue.language))
        case .indeterminate:
            let kind = onlyQualificationFailed ? (profile.fallbackKind ?? SignatureKind.none) : SignatureKind.none
            legal = LegalConclusion(kind: kind.rawValue, conclusion: profile.indeterminateConclusion.text(catalogue.language), basis: profile.basis?.text(catalogue.language))
        }

        let cert = context.certificate
        let signer = cert.map { info in
            SignerSummary(
                subject: SubjectText.render(info.subject, language: catalogue.language),
                issuer: SubjectText.render(info.issuer, language: catalogue.language), serial: info.serial, name: info.displayName,
                title: info.attribute(OID.title), organization: info.attribute(OID.organization),
                inn: info.attribute(OID.inn), snils: info.attribute(OID.snils), ogrn: info.attribute(OID.ogrn),
                innLE: info.attribute(OID.innLE), notBefore: info.notBefore, notAfter: info.notAfter,
                certificateSHA256: info.sha256)
        }
        let level = context.signer.level
        let format = context.evidence.pdf.map { PDFCheck.format(level: level, record: PDFCheck.record(for: context.signer.id, in: $0)) }
            ?? (level == .cms ? "CMS" : "CAdES-BASELINE-\(level.rawValue)")
        let timestamps = context.timestamps.map { timestampSummary($0, evidence: context.evidence, catalogue: catalogue) }
        let reason: String
        if let deciding {
            reason = deciding.message
        } else {
            reason = catalogue.render(Message(context.hasPOE ? "verdict.passed-poe" : "verdict.passed", ["time": Format.date(context.bestSignatureTime)]))
        }
        var report = SignatureReport(
            id: context.signer.id, indication: indication, subIndication: deciding?.subIndication, format: format, signer: signer,
            algorithms: AlgorithmSummary(digest: context.signer.algorithms.digest, signature: context.signer.algorithms.signature,
                                         keyBits: context.signer.algorithms.keyBits),
            claimedSigningTime: context.signer.claimedSigningTime, bestSignatureTime: context.bestSignatureTime,
            timestamps: timestamps, checks: checks, legal: legal, reason: reason)
        report.profile = context.signer.longTerm?.form
        return report
    }
}

/// Decides whether each timestamp may serve as proof of existence.
///
/// A timestamp is first checked on its own (imprint, signature, TSA certificate and path). Then its algorithms
/// (imprint hash, the token's digest and signature, the TSA's key) are judged against the policy's cryptographic
/// constraints at the time something proves the token existed: the earliest usable archive timestamp that covers
/// it, else the validation time. Archive timestamps are judged newest first, so a chain of renewals carries the
/// proof back: a token whose hash or key has since been forbidden stays usable when an archive timestamp made
/// before the sunset covers it (EN 319 102-1, past signature validation with proof of existence).
enum TimestampJudge {
    /// The types of timestamp that prove when the signature itself existed: the signature-time-stamp, the
    /// CAdES-C-time-stamp (it covers the signature value and its timestamps), the archive timestamps, and a PDF
    /// document timestamp over a later revision (it covers the earlier signature's bytes).
    static let proofTypes: Set<TimestampType> = [.signature, .cadesC, .archive, .document]

    /// The earliest time a usable timestamp proves the signature existed, if any.
    static func proofOfExistence(_ stamps: [JudgedTimestamp]) -> Date? {
        stamps.filter { $0.usable && proofTypes.contains($0.evidence.type) }.map(\.evidence.genTime).min()
    }

    static func judge(
        _ signer: SignerEvidence, evidence: Evidence, validationTime: Date, constraints: [AlgorithmConstraint] = []
    ) -> [JudgedTimestamp] {
        judge(signer.timestamps, evidence: evidence, validationTime: validationTime, constraints: constraints)
    }

    static func judge(
        _ stamps: [TimestampEvidence], evidence: Evidence, validationTime: Date, constraints: [AlgorithmConstraint] = []
    ) -> [JudgedTimestamp] {
        var judged = structural(stamps, evidence: evidence, validationTime: validationTime)
        let order = judged.indices.sorted { judged[$0].evidence.genTime > judged[$1].evidence.genTime }
        for position in order where judged[position].usable {
            let stamp = judged[position].evidence
            let covering = judged.indices.filter { other in
                other != position && judged[other].usable && judged[other].evidence.type == .archive
                    && (judged[other].evidence.covers ?? []).contains(position) && judged[other].evidence.genTime >= stamp.genTime
            }
            let proof = covering.map { judged[$0].evidence.genTime }.min() ?? validationTime
            let facts = algorithmFacts(stamp, evidence: evidence)
            for constraint in constraints where constraint.from.map({ proof >= $0 }) ?? true {
                if let what = constraint.violated(names: facts.names, keyType: facts.keyType, bits: facts.bits) {
                    judged[position] = JudgedTimestamp(
                        evidence: stamp, indication: .indeterminate, subIndication: .cryptoConstraintsFailureNoPOE,
                        reason: Message("timestamp.algorithms", ["what": what, "time": Format.date(proof)]))
                    break
                }
            }
        }
        return judged
    }

    /// What a token's strength rests on: its imprint hash, its own digest and signature algorithms, and the TSA's
    /// key (from the token's signer, else from the TSA certificate in older evidence).
    static func algorithmFacts(_ stamp: TimestampEvidence, evidence: Evidence) -> (names: [String], keyType: KeyType?, bits: Int?) {
        let tsaKey = stamp.tsaCertificate.flatMap { evidence.certificates[$0] }
        return ([stamp.imprintAlgorithm, stamp.algorithms?.digest, stamp.algorithms?.signature].compactMap { $0 },
                stamp.algorithms?.keyType ?? tsaKey?.keyType, stamp.algorithms?.keyBits ?? tsaKey?.keyBits)
    }

    /// The checks of one token on its own, in the order that decides (EN 319 102-1: format, identification of the
    /// signing certificate, cryptographic verification, X.509): a token that cannot be read, whose imprint does not
    /// match or whose signature is wrong is FAILED; its certificate must be found before its signature can be judged
    /// (not found anywhere: INDETERMINATE / NO_SIGNING_CERTIFICATE_FOUND, never FAILED); an imprint that could not
    /// be compared (no document, or a structure that cannot be recomputed) is INDETERMINATE / SIGNED_DATA_NOT_FOUND;
    /// then the TSA's extended key usage, path, validity and revocation.
    static func structural(_ stamps: [TimestampEvidence], evidence: Evidence, validationTime: Date) -> [JudgedTimestamp] {
        stamps.map { stamp in
            func result(_ indication: TimestampIndication, _ sub: SubIndication?, _ key: MessageKey, _ args: [String: String] = [:]) -> JudgedTimestamp {
                JudgedTimestamp(evidence: stamp, indication: indication, subIndication: sub, reason: Message(key, args))
            }
            if stamp.genTime == .distantPast && stamp.serial.isEmpty { return result(.failed, .formatFailure, "timestamp.unreadable") }
            if stamp.imprint.outcome == .invalid || stamp.imprint.outcome == .absent { return result(.failed, .hashFailure, "timestamp.imprint") }
            let tsa = stamp.tsaCertificate.flatMap { evidence.certificates[$0] }
            if stamp.signatureValue.outcome == .invalid { return result(.failed, .sigCryptoFailure, "timestamp.signature") }
            guard let tsa else { return result(.indeterminate, .noSigningCertificateFound, "timestamp.no-certificate") }
            if stamp.signatureValue.outcome != .valid {
                if let algorithm = stamp.signatureValue.unsupportedAlgorithm {
                    return result(.indeterminate, .cryptoConstraintsFailure, "timestamp.unsupported", ["algorithm": algorithm])
                }
                return result(.indeterminate, .noSigningCertificateFound, "timestamp.no-certificate")
            }
            // Cryptographic verification comes before the X.509 checks (EN 319 102-1): what the token covers must
            // be at hand.
            if stamp.imprint.outcome == .notChecked {
                if let algorithm = stamp.imprint.unsupportedAlgorithm {
                    return result(.indeterminate, .cryptoConstraintsFailure, "timestamp.unsupported", ["algorithm": algorithm])
                }
                return result(.indeterminate, .signedDataNotFound, "timestamp.imprint-unchecked", ["detail": stamp.imprint.detail ?? ""])
            }
            if stamp.timeStampingEKU != .valid { return result(.indeterminate, .chainConstraintsFailure, "timestamp.eku") }
            guard let chain = stamp.chains.first, chain.reachesTrustAnchor else {
                return result(.indeterminate, .noCertificateChainFound, "timestamp.untrusted")
            }
            if chain.issues.contains(where: { !$0.code.isTimeRelated }) {
                return result(.indeterminate, .certificateChainGeneralFailure, "timestamp.chain")
            }
            if stamp.genTime < tsa.notBefore || stamp.genTime > tsa.notAfter {
                return result(.indeterminate, .outOfBoundsNoPOE, "timestamp.tsa-validity")
            }
            for element in chain.path {
                if element.revocation.status == .revoked, (element.revocation.revocationTime ?? .distantPast) <= stamp.genTime {
                    return result(.indeterminate, .revokedNoPOE, "timestamp.tsa-revoked")
                }
            }
            if stamp.genTime > validationTime { return result(.indeterminate, .timestampOrderFailure, "timestamp.future") }
            return result(.passed, nil, "timestamp.passed")
        }
    }
}

extension PolicyVersion {
    /// Every `forbidden` entry of the version's failing `algorithms` rules.
    var forbiddenAlgorithms: [AlgorithmConstraint] {
        rules.filter { $0.level == .fail }.compactMap { $0.configuration as? AlgorithmsCheck }.flatMap(\.forbidden)
    }
}

extension Policy {
    /// The first algorithm of a timestamp (its imprint hash, the token's digest and signature, the TSA's key) that
    /// the policy forbids at `time`, with the date the ban takes effect. Archive renewal asks this about the newest
    /// archive timestamp at "now + margin" to renew before a sunset.
    public func forbiddenAlgorithm(for stamp: TimestampEvidence, in evidence: Evidence, at time: Date) -> (what: String, from: Date?)? {
        let facts = TimestampJudge.algorithmFacts(stamp, evidence: evidence)
        for constraint in version(at: time).forbiddenAlgorithms where constraint.from.map({ time >= $0 }) ?? true {
            if let what = constraint.violated(names: facts.names, keyType: facts.keyType, bits: facts.bits) { return (what, constraint.from) }
        }
        return nil
    }
}

extension Indication {
    /// Severity for aggregation: TOTAL-FAILED over INDETERMINATE over TOTAL-PASSED.
    var severity: Int {
        switch self {
        case .totalPassed: 0
        case .indeterminate: 1
        case .totalFailed: 2
        }
    }
}
