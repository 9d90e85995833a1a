import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

struct PolicyExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: helpString("policy-explain.abstract"))
    @Argument(help: help("policy-explain.id")) var id: String?
    @Option(name: .long, help: help("policy-explain.at"))
    var at: String?
    @Flag(name: .long, help: help("policy-explain.checks"))
    var checks = false
    @OptionGroup var options: CatalogOptions

    func validate() throws {
        if id == nil && !checks { throw ValidationError(helpString("usage.explain-what")) }
    }

    func run() async throws {
        let language = options.language
        let text = Catalogue.cli(language)
        if checks {
            Console.out(Self.vocabulary(language))
            if id == nil { return }
            Console.out("")
        }
        guard let id else { return }
        let policy = try options.catalog().policy(id)
        var lines = ["\(policy.title.text(language)) [\(policy.id)]"]
        if let description = policy.description { lines.append(description.text(language)) }
        if let base = policy.extends { lines.append(text.text("explain.extends", ["base": base])) }
        let versions = try at.map { [policy.version(at: try TimeArgument.parse($0))] } ?? policy.versions
        for version in versions {
            let from = version.effective.from.map { String($0.formatted(.iso8601).prefix(10)) } ?? "—"
            let until = version.effective.until.map { String($0.formatted(.iso8601).prefix(10)) } ?? "…"
            lines.append("")
            lines.append(text.text("explain.version", ["version": version.version, "from": from, "until": until]))
            for (index, rule) in version.rules.enumerated() {
                let level = text.text(.ruleLevel(rule.level))
                let check = type(of: rule.configuration)
                let what = rule.explanation?.text(language) ?? check.summary.text(language)
                lines.append("  \(index + 1). «\(rule.name?.text(language) ?? check.title.text(language))»: \(what)")
                let sub = rule.subIndication ?? check.subIndication
                lines.append("     \(text.text("explain.rule", ["id": rule.id, "check": rule.check, "level": level, "sub": sub.rawValue]))")
                lines.append("     \(text.text("explain.block", ["block": check.buildingBlock.title.text(language), "sub": check.subIndication.rawValue]))")
                if !check.parameters.isEmpty { lines.append("     \(text.text("explain.params", ["params": rule.parameterSummary]))") }
                if let basis = rule.basis { lines.append("     \(text.text("explain.basis", ["basis": basis.text(language)]))") }
            }
            if !version.documentTypes.isEmpty {
                lines.append(text.text("explain.types"))
                for type in version.documentTypes {
                    let original = type.electronicOriginalFrom.map { String($0.formatted(.iso8601).prefix(10)) } ?? "—"
                    lines.append("  • \(type.name.text(language)) [\(type.id)]: " + text.text("explain.type", [
                        "kind": text.text(.signatureKind(type.kind)), "level": type.level?.rawValue ?? "B", "count": "\(type.minSignatures)",
                        "roles": type.requiredRoles.isEmpty ? "—" : type.requiredRoles.joined(separator: ", "), "original": original]))
                }
            }
            let legal = version.legal
            lines.append(text.text("explain.legal", ["kind": text.text(.signatureKind(legal.kind)), "basis": legal.basis?.text(language) ?? "—"]))
        }
        Console.out(lines.joined(separator: "\n"))
    }

    /// The vocabulary, from the registry of check types.
    static func vocabulary(_ language: Language) -> String {
        let text = Catalogue.cli(language)
        var lines = [text.text("explain.vocabulary", ["count": "\(CheckRegistry.all.count)"])]
        for check in CheckRegistry.all {
            lines.append("")
            lines.append(text.text("explain.check", ["name": check.name, "summary": check.summary.text(language)]))
            lines.append(text.text("explain.check-block", ["block": check.buildingBlock.title.text(language), "sub": check.subIndication.rawValue,
                                                           "keys": check.messageKeys.count.description]))
            for parameter in check.parameters {
                let allowed = parameter.allowed.map { text.text("explain.allowed", ["values": $0.joined(separator: ", ")]) } ?? ""
                var tail = parameter.defaultValue.map { text.text("explain.default", ["value": $0]) } ?? ""
                if parameter.required { tail += text.text("explain.required") }
                lines.append(text.text("explain.check-param", ["param": parameter.name, "type": parameter.typeText(language), "allowed": allowed, "default": tail]))
            }
        }
        return lines.joined(separator: "\n")
    }
}
