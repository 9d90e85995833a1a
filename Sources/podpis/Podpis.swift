import ArgumentParser
import Foundation
import PolicyEngine
import SigningCore

@main
struct Podpis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "podpis",
        abstract: "Electronic signatures with legal validity: sign, timestamp and verify CMS/CAdES (RSA, ECDSA, GOST 2012).",
        version: CryptoLibrary.podpisVersion,
        subcommands: [
            SignCommand.self, CosignCommand.self, TimestampCommand.self, ExtendCommand.self, ArchiveCommand.self, VerifyCommand.self,
            InspectCommand.self, ContainerCommand.self, PolicyCommand.self, TrustCommand.self, ServeCommand.self, AuditCommand.self, TSACommand.self, PKICommand.self,
            DemoCommand.self,
        ])

    /// Runs a command and turns every error into one line on stderr and a sysexits code.
    static func main() async {
        CryptoLibrary.initialize()
        do {
            var command = try parseAsRoot()
            // A command killed by SIGINT/SIGTERM removes its half-written temporaries; the servers keep SIGTERM for
            // their graceful shutdown.
            if !(command is ServeCommand || command is TSAServeCommand || command is PKIServeCommand) {
                TemporaryFiles.removeOnSignals()
            }
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as PodpisError {
            Console.error(errorLine(error))
            if ProcessInfo.processInfo.environment["PODPIS_DEBUG"] != nil, let detail = error.detail {
                Console.error("detail: \(detail)")
            }
            Foundation.exit(ExitCodes.code(for: error.kind))
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}

/// An error's one line in the user's language (the command's `--lang`, else `PODPIS_LANG`, `LC_ALL`, `LANG`): its
/// catalogue text when the error has a key, else its English message.
func errorLine(_ error: PodpisError, language: Language = Console.commandLanguage) -> String {
    guard let key = error.key else { return error.description }
    let text = Catalogue(language).text(key, error.values)
    guard text != key else { return error.description }
    return error.subject.map { "\($0): \(text)" } ?? text
}

/// sysexits(3) codes, as the public contract fixes them.
enum ExitCodes {
    static let passed: Int32 = 0
    static let failed: Int32 = 1
    static let indeterminate: Int32 = 2
    static let usage: Int32 = 64
    static let dataFormat: Int32 = 65
    static let noInput: Int32 = 66
    static let unavailable: Int32 = 69
    static let software: Int32 = 70
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74
    static let noPermission: Int32 = 77
    static let configuration: Int32 = 78

    static func code(for kind: PodpisError.Kind) -> Int32 {
        switch kind {
        case .usage: usage
        case .dataFormat: dataFormat
        case .noInput: noInput
        case .noPermission: noPermission
        case .cannotCreate: cannotCreate
        case .ioError: ioError
        case .unavailable: unavailable
        case .configuration: configuration
        case .software: software
        }
    }

    static func code(for indication: Indication) -> Int32 {
        switch indication {
        case .totalPassed: passed
        case .totalFailed: failed
        case .indeterminate: indeterminate
        }
    }
}

enum Console {
    /// One line on stderr, prefixed with the program name.
    static func error(_ message: String) {
        let line = "podpis: " + message.replacingOccurrences(of: "\n", with: " ") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func out(_ message: String) {
        FileHandle.standardOutput.write(Data((message + "\n").utf8))
    }

    static var language: Language {
        Language(parsing: ProcessInfo.processInfo.environment["PODPIS_LANG"]
            ?? ProcessInfo.processInfo.environment["LC_ALL"] ?? ProcessInfo.processInfo.environment["LANG"])
    }

    /// The language of the command line's `--lang X` (or `--lang=X`) when it has one, else ``language``: errors are
    /// reported after the command's own options are out of reach.
    static var commandLanguage: Language {
        let arguments = CommandLine.arguments
        for (index, argument) in arguments.enumerated() {
            if argument == "--lang", index + 1 < arguments.count { return Language(parsing: arguments[index + 1]) }
            if argument.hasPrefix("--lang=") { return Language(parsing: String(argument.dropFirst("--lang=".count))) }
        }
        return language
    }
}
