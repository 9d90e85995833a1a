import Foundation
import SigningCore
import Testing

/// What a test needs from the machine beyond Swift and OpenSSL, and the traits that skip it — naming what is
/// missing — when the machine lacks any part of it.
///
/// The rule (issue #22): present → the test runs and must pass; absent or half-present → it is skipped with the
/// reason. `.ci/run` and the README's test command install everything, so on CI nothing is skipped.
enum Requirements {
    /// The executables on `PATH` among `names` that are missing.
    static func missingTools(_ names: [String]) -> [String] {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return names.filter { name in
            !path.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
        }
    }

    /// The Python modules among `modules` that `python3` cannot import (all of them when there is no python3).
    static func missingPythonModules(_ modules: [String]) -> [String] {
        guard missingTools(["python3"]).isEmpty else { return modules }
        return modules.filter { module in
            (try? runTool("python3", ["-c", "import \(module)"]).status) != 0
        }
    }

    /// The value of an environment variable, where empty counts as unset.
    static func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    static let gostReason = "the GOST engine (Debian: libengine-gost-openssl) is not installed: GOST tests are skipped"
}

extension Trait where Self == ConditionTrait {
    /// Skips unless OpenSSL's GOST engine loads (GOST R 34.10-2012 keys and Streebog).
    static var needsGOST: Self {
        .enabled(if: CryptoLibrary.gostAvailable, Comment(rawValue: Requirements.gostReason))
    }

    /// Skips unless every executable named is on `PATH`; the comment names the missing ones.
    static func needsTools(_ names: String...) -> Self {
        let missing = Requirements.missingTools(names)
        return .enabled(if: missing.isEmpty, Comment(rawValue: "missing on PATH: \(missing.joined(separator: ", ")) (the README's test command installs them)"))
    }

    /// Skips unless `python3` can import every module named.
    static func needsPython(_ modules: String...) -> Self {
        let missing = Requirements.missingPythonModules(modules)
        return .enabled(if: missing.isEmpty, Comment(rawValue: "python3 cannot import: \(missing.joined(separator: ", ")) (pip install \(missing.joined(separator: " ")))"))
    }
}
