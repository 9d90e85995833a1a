import Foundation
import PodpisDefaults

/// Policies compiled into podpis, so `podpis verify` works with nothing configured.
///
/// The built-in `default` is the text of `policies/default.yaml`, embedded at build time (see `PodpisDefaults`), so
/// the rules a user reads in the file are exactly the ones applied without a policies folder.
public enum BuiltinPolicies {
    /// `yyyy-MM-dd` at 00:00 UTC.
    public static func day(_ text: String) -> Date { PolicyDates.parse(text)! }

    public static let `default`: Policy = {
        let (document, problems) = PolicyRegistry.read(text: defaultYAML, file: "built-in")
        guard let document, problems.allSatisfy(\.isWarning) else {
            fatalError("the built-in default policy does not load: \(problems.map { $0.rendered(.en) })")
        }
        var registry = PolicyRegistry(policies: [:], diagnostics: [])
        guard var policy = registry.build(document, base: nil, certsDirectory: nil) else {
            fatalError("the built-in default policy does not resolve")
        }
        policy.source = "built-in"
        return policy
    }()

    /// The text of `policies/default.yaml`, compiled into podpis at build time.
    public static var defaultYAML: String {
        guard let text = EmbeddedDefaults.text("policies/default.yaml") else {
            fatalError("policies/default.yaml was not embedded at build time")
        }
        return text
    }
}
