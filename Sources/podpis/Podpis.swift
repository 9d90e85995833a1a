import ArgumentParser
import EvidenceModel
import Foundation
import PolicyEngine
import SigningCore

@main
struct Podpis: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "podpis",
        abstract: helpString("podpis.abstract"),
        discussion: helpString("podpis.discussion"),
        version: CryptoLibrary.podpisVersion,
        subcommands: [
            SignCommand.self, CosignCommand.self, TimestampCommand.self, ExtendCommand.self, ArchiveCommand.self, VerifyCommand.self,
            InspectCommand.self, StampCommand.self, ContainerCommand.self, PolicyCommand.self, TrustCommand.self, ServeCommand.self, AuditCommand.self, TSACommand.self, PKICommand.self,
            DemoCommand.self, VersionCommand.self,
        ])

    /// Runs a command and turns every error into one line on stderr and a sysexits code: podpis's own errors,
    /// ArgumentParser's (re-rendered in the user's language, exit 64), and anything else (never a raw NSError).
    static func main() async {
        CryptoLibrary.initialize()
        let language = CommandLineLanguage.current
        let arguments: [String]
        do {
            (_, arguments) = try CommandLineLanguage.strip(Array(CommandLine.arguments.dropFirst()))
        } catch let error as PodpisError {
            Console.error(errorLine(error, language: CommandLineLanguage.environmentLanguage()))
            Foundation.exit(ExitCodes.usage)
        } catch {
            Foundation.exit(ExitCodes.usage)
        }
        if let unknown = ArgumentMessages.unknownSubcommand(arguments, language: language) {
            Console.error(unknown)
            Foundation.exit(ExitCodes.usage)
        }
        do {
            var command = try parseAsRoot(arguments)
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
            report(error, arguments: arguments, language: language)
        }
    }

    /// ArgumentParser's outcomes (help, version, argument errors) and errors from outside podpis.
    static func report(_ error: Error, arguments: [String], language: Language) -> Never {
        let code = exitCode(for: error)
        if code == .success {
            // Help or the version: on stdout, ArgumentParser's words in the user's language.
            Console.out(ArgumentMessages.help(fullMessage(for: error), language: language))
            Foundation.exit(0)
        }
        if code == .validationFailure {
            Console.error(ArgumentMessages.errorLine(message(for: error), command: ArgumentMessages.commandPath(arguments), language: language))
            Foundation.exit(ExitCodes.usage)
        }
        let (line, exit) = ForeignErrors.describe(error, language: language)
        Console.error(line)
        Foundation.exit(exit)
    }
}

/// An error's one line in the user's language (the command's `--lang`, else `PODPIS_LANG`, `LC_ALL`, `LANG`): its
/// catalogue text when the error has a key, else its English message.
func errorLine(_ error: PodpisError, language: Language = CommandLineLanguage.current) -> String {
    let text = error.text(language)
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

    /// The language the command line speaks (`--lang`, `PODPIS_LANG`, the locale): see ``CommandLineLanguage``.
    static var language: Language { CommandLineLanguage.current }
}

/// Errors that do not come from podpis (Foundation's file errors, anything unexpected), said as one line that never
/// shows an `NSError` dump, with the nearest sysexits code.
enum ForeignErrors {
    static func describe(_ error: Error, language: Language) -> (String, Int32) {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain {
            let path = (nsError.userInfo[NSFilePathErrorKey] as? String) ?? (nsError.userInfo[NSURLErrorKey] as? URL)?.path
            let prefix = path.map { "\($0): " } ?? ""
            switch (nsError.domain, nsError.code) {
            case (NSCocoaErrorDomain, NSFileNoSuchFileError), (NSCocoaErrorDomain, NSFileReadNoSuchFileError), (NSPOSIXErrorDomain, Int(ENOENT)):
                return (prefix + ErrorMessage.noSuchFile.text(language), ExitCodes.noInput)
            case (NSCocoaErrorDomain, NSFileReadNoPermissionError), (NSCocoaErrorDomain, NSFileWriteNoPermissionError),
                 (NSPOSIXErrorDomain, Int(EACCES)), (NSPOSIXErrorDomain, Int(EPERM)):
                return (prefix + ErrorMessage.noPermission.text(language), ExitCodes.noPermission)
            case (NSCocoaErrorDomain, NSFileWriteOutOfSpaceError), (NSPOSIXErrorDomain, Int(ENOSPC)):
                return (prefix + ErrorMessage.noSpace.text(language), ExitCodes.ioError)
            case (NSCocoaErrorDomain, NSFileReadCorruptFileError), (NSCocoaErrorDomain, NSFileReadInapplicableStringEncodingError):
                return (prefix + ErrorMessage.unreadable.text(language), ExitCodes.dataFormat)
            default:
                return (prefix + ErrorMessage.io.text(language, ["code": "\(nsError.code)"]), ExitCodes.ioError)
            }
        }
        return (ErrorMessage.internalError.text(language, ["type": "\(type(of: error))"]), ExitCodes.software)
    }
}
