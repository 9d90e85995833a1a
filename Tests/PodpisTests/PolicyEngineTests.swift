import EvidenceModel
import Foundation
import PodpisService
@testable import PolicyEngine
import Testing
@testable import SigningCore

enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var policies: String { (root as NSString).appendingPathComponent("policies") }
    static var certs: String { (root as NSString).appendingPathComponent("certs") }
    static func evidence(_ name: String) throws -> Evidence {
        let path = (policies as NSString).appendingPathComponent("tests/evidence/\(name).json")
        return try JSONDecoder.podpis().decode(Evidence.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
    static func trustList(_ name: String, as listName: String) throws -> TrustList {
        let path = (policies as NSString).appendingPathComponent("tests/evidence/\(name).json")
        var list = try JSONDecoder.podpis().decode(TrustList.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        list.name = listName
        return list
    }
}

@Suite("Policy engine")
struct PolicyEngineTests {
    let registry = PolicyRegistry.load(directory: Repository.policies, certsDirectory: Repository.certs)

    @Test("every shipped policy lints clean and has passing and failing test cases that hold")
    func shippedPolicies() throws {
        #expect(registry.errors.isEmpty, "\(registry.errors.map { $0.rendered(.en) })")
        let ids = ["default", "ru-63fz-qualified", "ru-63fz-unqualified", "eidas-qes", "eidas-adesig", "lenobl-sed"]
        for id in ids { #expect(registry.policy(id) != nil, "missing \(id)") }
        let (cases, problems) = PolicyTestRunner.cases(in: (Repository.policies as NSString).appendingPathComponent("tests"), policy: nil)
        #expect(problems.isEmpty)
        for id in ids {
            let own = cases.filter { $0.policy == id }
            #expect(own.contains { $0.expectIndication == .totalPassed }, "\(id) lacks a passing case")
            #expect(own.contains { $0.expectIndication != .totalPassed }, "\(id) lacks a failing case")
        }
        for testCase in cases {
            let result = PolicyTestRunner.run(testCase, policy: try #require(registry.policy(testCase.policy)))
            #expect(result.passed, "\(testCase.file): \(result.mismatches)")
        }
    }

    @Test("policies/default.yaml is exactly the built-in default")
    func defaultIsTheFile() throws {
        let file = try String(contentsOfFile: (Repository.policies as NSString).appendingPathComponent("default.yaml"), encoding: .utf8)
        #expect(file.trimmingCharacters(in: .newlines) == BuiltinPolicies.defaultYAML.trimmingCharacters(in: .newlines))
    }

    @Test("a dated switch: the same evidence judged in 2026 and in 2027 gets two verdicts under two versions")
    func datedSwitch() throws {
        let policy = try #require(registry.policy("lenobl-sed"))
        let evidence = try Repository.evidence("gost-qualified-b")
        let lists = ["ru-accredited": try Repository.trustList("ru-accredited", as: "ru-accredited")]
        let engine = PolicyEngine()
        let in2026 = engine.judge(evidence, policy: policy, options: JudgementOptions(documentType: "приказ", validationTime: PolicyDates.parse("2026-06-01"), trustLists: lists))
        let in2027 = engine.judge(evidence, policy: policy, options: JudgementOptions(documentType: "prikaz", validationTime: PolicyDates.parse("2027-06-01"), trustLists: lists))
        #expect(in2026.policy.version == "2025.1")
        #expect(in2026.indication == .totalPassed)
        #expect(in2027.policy.version == "2027.1")
        #expect(in2027.indication == .indeterminate)
        #expect(in2027.signatures[0].checks.first { $0.id == "timestamp" }?.status == .failed)
        // The timestamped evidence is judged by the version in force at its proven time, whatever the day of the check.
        let stamped = try Repository.evidence("gost-qualified-t")
        let later = engine.judge(stamped, policy: policy, options: JudgementOptions(documentType: "приказ", validationTime: PolicyDates.parse("2028-01-01"), trustLists: lists))
        #expect(later.policy.version == "2025.1")
    }

    @Test("the Russian report cites the article and explains in Russian")
    func russianReport() throws {
        let policy = try #require(registry.policy("ru-63fz-qualified"))
        let report = PolicyEngine().judge(try Repository.evidence("gost-no-snils-t"), policy: policy, options: JudgementOptions(
            language: .ru, trustLists: ["ru-accredited": try Repository.trustList("ru-accredited", as: "ru-accredited")]))
        let check = try #require(report.signatures[0].checks.first { $0.id == "qualified-attributes" })
        #expect(check.status == .failed)
        #expect(check.message.contains("СНИЛС"))
        #expect(check.basis?.contains("63-ФЗ") == true)
        #expect(report.signatures[0].legal.kind == "advanced")
        #expect(report.signatures[0].legal.conclusion.contains("ст. 11"))
    }

    @Test("the catalogues are complete in both languages, and no key is written twice (one of the texts would never show)")
    func catalogues() {
        let tables = MessageCatalogueTests.tables
        let ru = Catalogue.keys(.ru, adding: tables), en = Catalogue.keys(.en, adding: tables)
        #expect(ru == en, "only ru: \(ru.subtracting(en)); only en: \(en.subtracting(ru))")
        for table in tables {
            #expect(Set(table.entries(.ru).keys) == Set(table.entries(.en).keys), "\(table): the languages' keys differ")
        }
        #expect(Catalogue.duplicates(adding: tables).isEmpty, "defined twice: \(Catalogue.duplicates(adding: tables).sorted())")
    }
}

extension Rule {
    /// A rule as a policy file writes it: the check's name and its `params` in YAML, decoded as the loader decodes
    /// them (a mistake in them fails the test).
    init(id: String, check: String, params: String = "{}") throws {
        let type = try #require(CheckRegistry.byName[check], "unknown check \(check)")
        let node = try #require(try YAMLValue.parse(params))
        var problems: [String] = []
        let configuration = CheckRegistry.decode(type, params: node, checkName: check) { problems.append(Catalogue(.en).render($0.message)) }
        #expect(problems.isEmpty, "\(problems)")
        self.init(id: id, try #require(configuration))
    }
}

/// Each check of the vocabulary, passing and failing, on evidence edited the way a jurist would edit a JSON case.
@Suite("Policy vocabulary")
struct VocabularyTests {
    func result(_ rule: Rule, _ evidence: Evidence, type: DocumentType? = nil, options: JudgementOptions = JudgementOptions()) -> CheckResult? {
        var version = BuiltinPolicies.default.versions[0]
        // Document-level checks count valid signatures: give the signature a rule that can fail.
        let documentLevel = CheckVocabulary.definitions[rule.check]?.documentLevel == true
        version.rules = documentLevel ? [Rule(id: "signature-value", SignatureValueCheck()), rule] : [rule]
        if let type { version.documentTypes = [type] }
        let policy = Policy(id: "t", title: LocalizedText(ru: "т", en: "t"), versions: [version])
        var options = options
        if let type { options.documentType = type.id }
        let report = PolicyEngine().judge(evidence, policy: policy, options: options)
        return report.signatures.first?.checks.first { $0.id == rule.id } ?? report.documentChecks.first { $0.id == rule.id }
    }

    func judge(_ rule: Rule, _ evidence: Evidence, type: DocumentType? = nil, options: JudgementOptions = JudgementOptions()) -> CheckResult.Status? {
        result(rule, evidence, type: type, options: options)?.status
    }

    /// The check passes on the good evidence and fails on the evidence with one field flipped — with the
    /// sub-indication (the check type's own unless given) and a message key the check type declares (`key` when given).
    func both(_ rule: Rule, fail mutate: (inout Evidence) -> Void, type: DocumentType? = nil, options: JudgementOptions = JudgementOptions(),
              sub: SubIndication? = nil, key: String? = nil, comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let good = try Repository.evidence("gost-qualified-t")
        var bad = good
        mutate(&bad)
        let checkType = try #require(CheckRegistry.byName[rule.check])
        let passed = result(rule, good, type: type, options: options)
        #expect(passed?.status == .passed, comment ?? "\(rule.check) should pass: \(passed?.message ?? "-")", sourceLocation: sourceLocation)
        #expect(passed?.check == rule.check, sourceLocation: sourceLocation)
        let failed = result(rule, bad, type: type, options: options)
        #expect(failed?.status == .failed, comment ?? "\(rule.check) should fail", sourceLocation: sourceLocation)
        #expect(failed?.subIndication == (sub ?? checkType.subIndication), "\(rule.check): \(failed?.message ?? "-")", sourceLocation: sourceLocation)
        let messageKey = failed?.messageKey ?? "-"
        #expect(checkType.messageKeys.contains(MessageKey(messageKey)), "\(rule.check) produced \(messageKey), not among its declared keys", sourceLocation: sourceLocation)
        if let key { #expect(messageKey == key, "\(rule.check): \(failed?.message ?? "-")", sourceLocation: sourceLocation) }
    }

    @Test("the registry of check types: unique names, titles and summaries in both languages, every declared message key in both catalogues")
    func registry() {
        #expect(Set(CheckRegistry.names).count == CheckRegistry.all.count)
        let ru = Catalogue.keys(.ru), en = Catalogue.keys(.en)
        for type in CheckRegistry.all {
            #expect(!type.title.ru.isEmpty && !type.title.en.isEmpty && !type.summary.ru.isEmpty && !type.summary.en.isEmpty, "\(type.name)")
            #expect(!type.messageKeys.isEmpty, "\(type.name) declares its messages")
            for key in type.messageKeys { #expect(ru.contains(key.rawValue) && en.contains(key.rawValue), "\(type.name): \(key) missing from a catalogue") }
            for parameter in type.parameters where parameter.allowed != nil {
                #expect(parameter.allowed?.isEmpty == false, "\(type.name).\(parameter.name)")
            }
        }
    }

    /// The rule fails on this evidence with the sub-indication `sub` (the check type's own unless given) and a message
    /// key the check type declares (`key` when given).
    func expectFailure(_ rule: Rule, _ evidence: Evidence, options: JudgementOptions = JudgementOptions(), sub: SubIndication? = nil, key: String? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        guard let checkType = CheckRegistry.byName[rule.check] else {
            Issue.record("unknown check \(rule.check)", sourceLocation: sourceLocation)
            return
        }
        let failed = result(rule, evidence, options: options)
        #expect(failed?.status == .failed, "\(rule.check): \(failed?.message ?? "-")", sourceLocation: sourceLocation)
        #expect(failed?.subIndication == (sub ?? checkType.subIndication), "\(rule.check): \(failed?.message ?? "-")", sourceLocation: sourceLocation)
        #expect(checkType.messageKeys.contains(MessageKey(failed?.messageKey ?? "-")), "\(rule.check): \(failed?.messageKey ?? "-") not declared", sourceLocation: sourceLocation)
        if let key { #expect(failed?.messageKey == key, "\(rule.check): \(failed?.message ?? "-")", sourceLocation: sourceLocation) }
    }

    var signerFingerprint: (Evidence) -> String { { $0.signers[0].signerCertificate! } }

    @Test func format() throws {
        try both(Rule(id: "r", check: "format"), fail: { $0.signers[0].formatIssues = ["signing-time twice"] })
        try both(Rule(id: "r", check: "format"), fail: { $0.signers[0].formatFindings = [FormatFinding(code: .missing, attribute: "message-digest", count: 0)] },
                 key: "format.attribute-missing")
    }

    @Test("a failed fetch reads in the reader's language (the English is the line evidence always carried); older evidence is quoted")
    func fetchFailureInRussian() throws {
        let rule = try Rule(id: "r", check: "revocation", params: "require: always")
        var evidence = try Repository.evidence("gost-qualified-t")
        let failure = FetchFailure(kind: .crl, url: "http://crl.example/ca.crl", reasonKey: ErrorMessage.fetchBudgetSpent.rawValue,
                                   values: ["budget": "5 s"], problem: "CRL http://crl.example/ca.crl: not fetched: the verification's fetch budget of 5 s is spent")
        #expect(ErrorMessage.fetchBudgetSpent.text(.en, ["budget": "5 s"]) == "not fetched: the verification's fetch budget of 5 s is spent")
        var revocation = RevocationEvidence(status: .unknown, problems: [failure.problem])
        revocation.fetchFailures = [failure]
        evidence.signers[0].chains[0].path[0].revocation = revocation
        var russian = JudgementOptions()
        russian.language = .ru
        let ru = try #require(result(rule, evidence, options: russian))
        #expect(ru.status == .failed && ru.messageKey == "revocation.unusable")
        #expect(ru.message.hasSuffix("СОС http://crl.example/ca.crl: не запрашивалось: время на получение данных для этой проверки (5 s) исчерпано"),
                "\(ru.message)")
        let en = try #require(result(rule, evidence))
        #expect(en.message.hasSuffix(": " + failure.problem), "\(en.message)")
        // Older evidence, without fetchFailures: the English line, in either language.
        evidence.signers[0].chains[0].path[0].revocation.fetchFailures = nil
        let older = try #require(result(rule, evidence, options: russian))
        #expect(older.message.hasSuffix(failure.problem), "\(older.message)")
    }

    @Test("a format finding reads in the reader's language, naming the attribute; evidence from before findings, or with a code this version does not know, quotes its English")
    func formatFindingInRussian() throws {
        let rule = try Rule(id: "r", check: "format")
        var russian = JudgementOptions()
        russian.language = .ru
        var evidence = try Repository.evidence("gost-qualified-t")
        let finding = FormatFinding(code: .contentTypeMismatch, attribute: "content-type", found: "1.2.840.113549.1.9.16.1.4", expected: "1.2.840.113549.1.7.1")
        evidence.signers[0].formatFindings = [finding]
        evidence.signers[0].formatIssues = [finding.english]
        let judged = try #require(result(rule, evidence, options: russian))
        #expect(judged.status == .failed && judged.subIndication == .formatFailure)
        #expect(judged.message == "Структура подписи повреждена: атрибут content-type (1.2.840.113549.1.9.16.1.4) не совпадает с типом подписанного содержимого (1.2.840.113549.1.7.1)")
        #expect(finding.english == "content-type attribute (1.2.840.113549.1.9.16.1.4) differs from the encapsulated content type (1.2.840.113549.1.7.1)")

        evidence.signers[0].formatFindings = [FormatFinding(code: FormatFinding.Code(rawValue: "attributeFromTheFuture"), attribute: "x")]
        evidence.signers[0].formatIssues = []
        let unknown = try #require(result(rule, evidence, options: russian))
        #expect(unknown.status == .failed && unknown.messageKey == "format.failed", "an unknown finding still fails: \(unknown.message)")

        evidence.signers[0].formatFindings = nil
        evidence.signers[0].formatIssues = ["message-digest attribute present 2 times (exactly once expected)"]
        let legacy = try #require(result(rule, evidence, options: russian))
        #expect(legacy.status == .failed && legacy.message == "Структура подписи повреждена: message-digest attribute present 2 times (exactly once expected)")

        // CAdES-X Long data that cannot be read all: a caveat, said in Russian too.
        evidence.signers[0].formatIssues = []
        let unreadable = FormatFinding(code: .unreadable, attribute: "complete-revocation-references")
        var longTerm = LongTermEvidence(form: "CAdES-X Long Type 1", problems: [unreadable.english])
        longTerm.findings = [unreadable]
        evidence.signers[0].longTerm = longTerm
        let caveat = try #require(result(rule, evidence, options: russian))
        #expect(caveat.status == .warning)
        #expect(caveat.message == "Данные для долговременной проверки подписи прочитаны не полностью: её атрибут complete-revocation-references не читается")
        #expect(unreadable.english == "the complete-revocation-references attribute cannot be read")
    }
    @Test func signerCertificate() throws {
        try both(Rule(id: "r", check: "signer-certificate"), fail: { $0.signers[0].identification.binding = .invalid })
    }
    @Test func signedData() throws {
        try both(Rule(id: "r", check: "signed-data"), fail: { $0.document = nil })
    }
    @Test func integrity() throws {
        try both(Rule(id: "r", check: "integrity"), fail: { $0.signers[0].messageDigest = CryptoCheck(.invalid) })
    }
    @Test func signatureValue() throws {
        try both(Rule(id: "r", check: "signature-value"), fail: { $0.signers[0].signatureValue = CryptoCheck(.invalid) })
    }
    @Test func chain() throws {
        try both(Rule(id: "r", check: "chain"), fail: { $0.signers[0].chains[0].reachesTrustAnchor = false })
    }
    @Test func chainToNamedList() throws {
        let list = try Repository.trustList("ru-accredited", as: "ru")
        let other = TrustList(name: "ru", anchors: ["00"])
        let rule = try Rule(id: "r", check: "chain", params: "trustList: ru")
        let evidence = try Repository.evidence("gost-qualified-t")
        #expect(judge(rule, evidence, options: JudgementOptions(trustLists: ["ru": list])) == .passed)
        expectFailure(rule, evidence, options: JudgementOptions(trustLists: ["ru": other]))
    }
    @Test func certificateValidity() throws {
        try both(Rule(id: "r", check: "certificate-validity"), fail: { e in
            let fp = e.signers[0].signerCertificate!
            e.certificates[fp]!.notAfter = PolicyDates.parse("2020-01-01")!
        })
    }
    @Test func revocation() throws {
        try both(Rule(id: "r", check: "revocation"), fail: { e in
            e.signers[0].chains[0].path[0].revocation = RevocationEvidence(status: .revoked, source: .crl, revocationTime: PolicyDates.parse("2020-01-01"))
        }, sub: .revoked, key: "revocation.revoked-before-poe")
    }
    @Test("revocation: present but unusable data means the status is unknown (TRY_LATER), with the reason per object")
    func revocationUnusable() throws {
        let rejected = RevocationObjectUse(kind: .crl, sha256: "00", issuer: "CN=Test CA", outcome: .rejected, reason: .signatureInvalid)
        try both(Rule(id: "r", check: "revocation"), fail: { e in
            e.signers[0].chains[0].path[1].revocation = RevocationEvidence(status: .unknown)
            e.signers[0].chains[0].path[1].revocation.considered = [rejected]
            let ca = e.signers[0].chains[0].path[1].certificate
            e.certificates[ca]!.crlDistributionPoints = []
            e.certificates[ca]!.ocspResponders = []
        }, sub: .tryLater, key: "revocation.unusable")
        var evidence = try Repository.evidence("gost-qualified-t")
        evidence.signers[0].chains[0].path[1].revocation = RevocationEvidence(status: .unknown)
        evidence.signers[0].chains[0].path[1].revocation.considered = [rejected]
        let message = result(try Rule(id: "r", check: "revocation"), evidence)?.message ?? ""
        #expect(message.contains("CRL by «CN=Test CA» rejected: signature invalid"), "\(message)")
        var russian = JudgementOptions()
        russian.language = .ru
        let inRussian = result(try Rule(id: "r", check: "revocation"), evidence, options: russian)?.message ?? ""
        #expect(inRussian.contains("СОС издателя «CN=Test CA» отклонён: подпись недействительна"), "\(inRussian)")
    }
    @Test("revocation: 'require: always' needs data for every certificate but the anchor; 'advertised' only where the CA publishes")
    func revocationRequirement() throws {
        var evidence = try Repository.evidence("gost-qualified-t")
        evidence.signers[0].chains[0].path[1].revocation = RevocationEvidence(status: .unknown)
        let ca = evidence.signers[0].chains[0].path[1].certificate
        evidence.certificates[ca]!.crlDistributionPoints = []
        evidence.certificates[ca]!.ocspResponders = []
        let always = result(try Rule(id: "r", check: "revocation", params: "require: always"), evidence)
        #expect(always?.status == .failed)
        #expect(always?.subIndication == .tryLater)
        #expect(always?.messageKey == "revocation.missing", "\(always?.message ?? "-")")
        // Two certificates without a status: both named, each with its reason.
        var two = evidence
        two.signers[0].chains[0].path[0].revocation = RevocationEvidence(status: .unknown)
        two.signers[0].chains[0].path[0].revocation.considered = [RevocationObjectUse(kind: .crl, sha256: "00", issuer: "CN=Test CA", outcome: .rejected, reason: .scopeMismatch)]
        let both = result(try Rule(id: "r", check: "revocation", params: "require: always"), two)
        #expect(both?.subIndication == .tryLater)
        #expect(both?.messageKey == "revocation.undetermined")
        #expect(both?.message.contains("does not cover this certificate") == true && both?.message.contains("requires it for every certificate") == true,
                "\(both?.message ?? "-")")
        let advertised = result(try Rule(id: "r", check: "revocation", params: "require: advertised"), evidence)
        #expect(advertised?.status == .warning)
        #expect(advertised?.messageKey == "revocation.not-published")
        #expect(result(try Rule(id: "r", check: "revocation", params: "require: never"), evidence)?.status == .warning)
    }
    @Test func certificateProfile() throws {
        // A CA certificate whose basicConstraints is not critical: a profile breach (RFC 5280 §4.2.1.9), not a broken path.
        try both(Rule(id: "r", check: "certificate-profile"), fail: { e in
            let ca = e.signers[0].chains[0].path[1].certificate
            let index = try! #require(e.certificates[ca]!.extensions.firstIndex { $0.oid == "2.5.29.19" })
            e.certificates[ca]!.extensions[index].critical = false
        }, key: "profile.failed")
        // The form of a qualified certificate (приказ ФСБ № 795): the signer's certificate without issuerSignTool.
        try both(Rule(id: "r", check: "certificate-profile", params: "profiles: [fsb795]"), fail: { e in
            e.certificates[e.signers[0].signerCertificate!]!.extensions.removeAll { $0.oid == "1.2.643.100.112" }
        }, key: "profile.failed")
        // The RFC 5280 profile alone does not ask for it.
        var evidence = try Repository.evidence("gost-qualified-t")
        evidence.certificates[evidence.signers[0].signerCertificate!]!.extensions.removeAll { $0.oid == "1.2.643.100.112" }
        #expect(judge(try Rule(id: "r", check: "certificate-profile"), evidence) == .passed)
    }
    @Test func keyUsage() throws {
        try both(Rule(id: "r", check: "key-usage"), fail: { e in e.certificates[e.signers[0].signerCertificate!]!.keyUsage = ["keyEncipherment"] })
    }
    @Test func extendedKeyUsage() throws {
        try both(Rule(id: "r", check: "extended-key-usage", params: "anyOf: [emailProtection]"),
                 fail: { e in e.certificates[e.signers[0].signerCertificate!]!.extendedKeyUsage = [OID.ekuTimeStamping] })
    }
    @Test func certificatePolicies() throws {
        try both(Rule(id: "r", check: "certificate-policies", params: "anyOf: [kc1, kc2]"),
                 fail: { e in e.certificates[e.signers[0].signerCertificate!]!.policies = [] })
    }
    @Test func subjectAttributes() throws {
        try both(Rule(id: "r", check: "subject-attributes", params: "required: [snils, inn]"),
                 fail: { e in e.certificates[e.signers[0].signerCertificate!]!.subjectAttributes[OID.snils] = ["123"] })
    }
    @Test func signerOrganization() throws {
        try both(Rule(id: "r", check: "signer-organization", params: "ogrn: [\"1027809244561\"]"),
                 fail: { e in e.certificates[e.signers[0].signerCertificate!]!.subjectAttributes[OID.ogrn] = ["1000000000000"] })
    }
    @Test func qcStatements() throws {
        let rule = try Rule(id: "r", check: "qc-statements", params: "required: [qcCompliance]")
        let good = try Repository.evidence("eu-qualified-t")
        #expect(judge(rule, good) == .passed)
        expectFailure(rule, try Repository.evidence("rsa-advanced-t"))
    }
    @Test func algorithms() throws {
        let rule = try Rule(id: "r", check: "algorithms", params: "forbidden: [{algorithm: streebog256, from: 2026-06-01}]")
        var good = try Repository.evidence("gost-qualified-t")
        // The timestamp is judged too, at the validation time (no archive timestamp covers it): its own hash must
        // still be acceptable for it to prove the signing time.
        good.signers[0].timestamps[0].imprintAlgorithm = "sha256"
        good.signers[0].timestamps[0].algorithms = nil
        var bad = good
        bad.signers[0].timestamps = []  // without the timestamp the time that counts is after the date
        #expect(judge(rule, good) == .passed)
        expectFailure(rule, bad)
        // A timestamp whose own hash became unacceptable proves nothing: the signature is judged now, and fails.
        var weakStamp = good
        weakStamp.signers[0].timestamps[0].imprintAlgorithm = "streebog256"
        expectFailure(rule, weakStamp)
    }
    @Test func timestamps() throws {
        try both(Rule(id: "r", check: "timestamps"), fail: { $0.signers[0].timestamps[0].imprint = CryptoCheck(.invalid) }, sub: .hashFailure)
    }
    @Test func accreditedCA() throws {
        let rule = try Rule(id: "r", check: "accredited-ca", params: "{trustList: ru, at: issue}")
        let evidence = try Repository.evidence("gost-qualified-t")
        #expect(judge(rule, evidence, options: JudgementOptions(trustLists: ["ru": try Repository.trustList("ru-accredited", as: "ru")])) == .passed)
        expectFailure(rule, evidence, options: JudgementOptions(trustLists: ["ru": try Repository.trustList("ru-accredited-late", as: "ru")]))
        // The same late accreditation is enough when judged at signing time (the eIDAS reading).
        let atSigning = try Rule(id: "r", check: "accredited-ca", params: "{trustList: ru, at: signing}")
        #expect(judge(atSigning, evidence, options: JudgementOptions(trustLists: ["ru": try Repository.trustList("ru-accredited-late", as: "ru")])) == .passed)
    }
    @Test func organisationCertificate() throws {
        // An organisation's certificate naming an employee, used after the day such certificates stopped serving.
        let evidence = try Repository.evidence("gost-employee-org-t")
        expectFailure(try Rule(id: "r", check: "organisation-certificate", params: "signedFrom: 2023-09-01"), evidence,
                      key: "organisation-certificate.employee")
        #expect(judge(try Rule(id: "r", check: "organisation-certificate", params: "signedFrom: 2099-01-01"), evidence) == .passed)
    }
    @Test func powerOfAttorney() throws {
        // A person signing with a personal certificate where the policy requires a МЧД, and none is at hand.
        let evidence = try Repository.evidence("gost-personal-t")
        expectFailure(try Rule(id: "r", check: "power-of-attorney", params: "required: true"), evidence)
        #expect(judge(try Rule(id: "r", check: "power-of-attorney", params: "required: false"), evidence) != .failed)
    }
    @Test func signingTime() throws {
        try both(Rule(id: "r", check: "signing-time"), fail: { $0.signers[0].claimedSigningTime = nil })
    }
    @Test func timestampRequired() throws {
        try both(Rule(id: "r", check: "timestamp-required"), fail: { $0.signers[0].timestamps = [] })
    }
    @Test func timestampDelay() throws {
        try both(Rule(id: "r", check: "timestamp-delay", params: "maxDelay: 3600"),
                 fail: { $0.signers[0].claimedSigningTime = PolicyDates.parse("2026-05-01") })
    }
    @Test func signatureLevel() throws {
        try both(Rule(id: "r", check: "signature-level", params: "min: T"), fail: { $0.signers[0].timestamps = [] })
    }
    @Test func attestation() throws {
        let rule = try Rule(id: "r", check: "attestation", params: "id: certified-crypto-tool")
        let evidence = try Repository.evidence("gost-qualified-t")
        #expect(judge(rule, evidence, options: JudgementOptions(attestations: ["certified-crypto-tool": "КриптоПро CSP 5.0"])) == .passed)
        expectFailure(rule, evidence)
        // An empty statement attests nothing.
        expectFailure(rule, evidence, options: JudgementOptions(attestations: ["certified-crypto-tool": " "]))
    }
    @Test func signatureCount() throws {
        try both(Rule(id: "r", check: "signature-count", params: "min: 1"), fail: { $0.signers[0].signatureValue = CryptoCheck(.invalid) })
    }
    @Test func requiredRoles() throws {
        try both(Rule(id: "r", check: "required-roles", params: "roles: [Начальник]"),
                 fail: { e in e.certificates[e.signers[0].signerCertificate!]!.subjectAttributes[OID.title] = ["Специалист"] })
    }
    @Test func documentKind() throws {
        let type = DocumentType(id: "prikaz", name: LocalizedText(ru: "приказ", en: "order"), kind: .advanced)
        try both(Rule(id: "r", check: "document-kind"), fail: { $0.signers[0].signatureValue = CryptoCheck(.invalid) }, type: type)
    }
    @Test func electronicOriginal() throws {
        let early = DocumentType(id: "memo", name: LocalizedText(ru: "записка", en: "memo"), kind: .advanced, electronicOriginalFrom: PolicyDates.parse("2025-01-01"))
        let late = DocumentType(id: "memo", name: LocalizedText(ru: "записка", en: "memo"), kind: .advanced, electronicOriginalFrom: PolicyDates.parse("2027-01-01"))
        let evidence = try Repository.evidence("gost-qualified-t")
        #expect(judge(try Rule(id: "r", check: "electronic-original"), evidence, type: early) == .passed)
        // A records-keeping rule of the region: which applies is stated, not warned (the document's force is not in question).
        #expect(judge(try Rule(id: "r", check: "electronic-original"), evidence, type: late) == .passed)
    }
}

@Suite("Message templates")
struct MessageTemplateTests {
    @Test("placeholders are filled in one pass; unknown names and lone braces stay as written")
    func fill() {
        #expect(MessageTemplate.fill("{a} and {b}", ["a": "1", "b": "{a}"]) == "1 and {a}")
        #expect(MessageTemplate.fill("{unknown} stays", ["a": "1"]) == "{unknown} stays")
        #expect(MessageTemplate.fill("x {a} { y", ["a": "1"]) == "x 1 { y")
        #expect(MessageTemplate.fill("ends with {", ["a": "1"]) == "ends with {")
    }
}
