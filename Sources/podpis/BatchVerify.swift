import ArgumentParser
import Foundation
import PodpisService
import PolicyEngine
import SigningCore
import NIOConcurrencyHelpers

extension VerifyCommand {
    /// `verify --batch`: parallel over cores, a progress bar on a terminal, JSON Lines with --json, a summary at the
    /// end, and the exit code of the worst verdict.
    func runBatch(_ source: String) throws {
        let language = languageOptions.language
        let text = Catalogue.cli(language)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw PodpisError(.noInput, "no such folder or manifest", subject: source)
        }
        let items = isDirectory.boolValue ? try BatchPlanner.items(inFolder: source) : try BatchPlanner.items(manifest: source)
        // Files with no signature are said, not skipped: a document that arrived unsigned is not a verified one.
        let unpaired = isDirectory.boolValue ? BatchPlanner.unpaired(inFolder: source, items: items) : []
        let catalog = try folders.catalog()
        let policy = try catalog.policy(self.policy)
        let (trustLists, listAnchors) = try catalog.trustLists(for: policy)
        var verifier = BatchVerifier(
            trust: TrustStore(anchors: try paths.revocation.trustStore().anchors + listAnchors), certificates: try paths.certificates(),
            crls: try paths.revocation.crls(), ocspResponses: try paths.revocation.ocspResponses(), validationTime: try at.map(TimeArgument.parse),
            revocation: paths.revocation.revocation, policy: policy,
            options: JudgementOptions(documentType: type, language: language, attestations: try attestations(), trustLists: trustLists),
            workers: workers ?? ProcessInfo.processInfo.activeProcessorCount)
        verifier.limits = signatureLimits
        let terminal = isatty(STDERR_FILENO) == 1
        let json = self.json
        let encoder = JSONEncoder.podpis(pretty: false)
        let tally = NIOLockedValueBox([String: Int]())
        let started = Date()
        // The JSON line is encoded by the worker that verified the item, in parallel; only writing it is serialised.
        verifier.run(items, render: { result -> Data? in
            guard json else { return nil }
            let line = BatchLine(document: result.item.document, signature: result.item.signature, report: result.report,
                                 error: result.error?.description, unpaired: nil)
            guard var data = try? encoder.encode(line) else { return nil }
            data.append(0x0A)
            return data
        }, onResult: { result, line in
            let key = result.error != nil ? "ERROR" : (result.report.map { $0.indication.rawValue + ($0.subIndication.map { "/\($0.rawValue)" } ?? "") } ?? "?")
            tally.withLockedValue { $0[key, default: 0] += 1 }
            if json {
                if let line { FileHandle.standardOutput.write(line) }
            } else if result.indication != .totalPassed {
                if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                let reason = result.error?.description ?? result.report.flatMap { $0.signatures.first?.reason ?? $0.formatError } ?? ""
                Console.out("\(result.indication == .totalFailed ? "✗" : "?") \(result.item.document ?? result.item.signature): \(key) — \(reason)")
            }
        }, onProgress: { progress in
            guard terminal else { return }
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + Self.bar(progress, text)).utf8))
        })
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let looked = SignatureLookup.suffixes.joined(separator: ", ")
        for file in unpaired {
            let reason = text.text("batch.unpaired", ["suffixes": looked])
            if json {
                var data = try encoder.encode(BatchLine(document: file, signature: nil, report: nil, error: reason, unpaired: true))
                data.append(0x0A)
                FileHandle.standardOutput.write(data)
            } else {
                Console.out("? \(file): UNPAIRED — \(reason)")
            }
        }
        if !unpaired.isEmpty { tally.withLockedValue { $0["UNPAIRED"] = unpaired.count } }
        let elapsed = Date().timeIntervalSince(started)
        let counts = tally.withLockedValue { $0 }
        var lines = [text.text("batch.summary", ["count": "\(items.count)", "seconds": String(format: "%.1f", elapsed),
                                                  "rate": String(format: "%.0f", elapsed > 0 ? Double(items.count) / elapsed : 0)])]
        for (key, count) in counts.sorted(by: { $0.value > $1.value }) {
            lines.append("  " + key.padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: "%8d", count))
        }
        Console.note(lines.joined(separator: "\n"))
        if items.isEmpty && unpaired.isEmpty {
            throw PodpisError(.noInput, "nothing to verify (no document/signature pairs found)", subject: source)
        }
        let worst: Int32 = counts.keys.contains { $0.hasPrefix("TOTAL-FAILED") || $0 == "ERROR" || $0 == "UNPAIRED" } ? ExitCodes.failed
            : (counts.keys.contains { $0.hasPrefix("INDETERMINATE") } ? ExitCodes.indeterminate : ExitCodes.passed)
        throw ExitCode(worst)
    }

    /// One line of `verify --batch --json` (JSON Lines): the pair, and its report, or why it has none (`error`);
    /// absent fields are left out. A file with no signature beside it is a line without `signature` and `report`,
    /// with `unpaired: true` and the reason in `error`.
    struct BatchLine: Encodable {
        let document: String?
        let signature: String?
        let report: Report?
        let error: String?
        let unpaired: Bool?
    }

    static func bar(_ p: BatchProgress, _ text: Catalogue) -> String {
        let width = 24
        let filled = p.total > 0 ? Int(Double(width) * Double(p.done) / Double(p.total)) : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let eta = p.remaining.map { String(format: "%.0fs", $0) } ?? "…"
        return "[\(bar)] \(p.done)/\(p.total)  \(String(format: "%.0f", p.rate))/s  " + text.text("batch.eta", ["eta": eta])
            + "  ✓\(p.passed) ✗\(p.failed) ?\(p.indeterminate)"
    }
}
