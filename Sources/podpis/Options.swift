import ArgumentParser
import Foundation
import PodpisService
import PolicyEngine
import SigningCore

/// Where a private key's passphrase comes from. Never from argv.
struct PassphraseOptions: ParsableArguments {
    @Option(name: .customLong("pass-file"), help: help("passphrase-options.pass-file"))
    var passFile: String?

    @Option(name: .customLong("pass-env"), help: help("passphrase-options.pass-env"))
    var passEnv: String?

    @Flag(name: .customLong("pass-stdin"), help: help("passphrase-options.pass-stdin"))
    var passStdin = false

    @Flag(name: .customLong("allow-insecure-key"), help: help("passphrase-options.allow-insecure-key"))
    var allowInsecureKey = false

    func validate() throws {
        let count = [passFile != nil, passEnv != nil, passStdin].filter { $0 }.count
        if count > 1 { throw ValidationError(helpString("usage.one-pass-source")) }
    }

    /// Returns the passphrase bytes. Called only when the key turns out to be encrypted.
    func passphrase(for keyPath: String) throws -> [UInt8] {
        if let passFile {
            try KeyLoader.checkPermissions(path: passFile, allowInsecure: allowInsecureKey, passphrase: true)
            var bytes = try FileInput.readSmallFile(path: passFile, limit: 64 << 10)
            if let newline = bytes.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) { bytes.removeSubrange(newline...) }
            return bytes
        }
        if let passEnv {
            guard let value = ProcessInfo.processInfo.environment[passEnv] else {
                throw PodpisError(.usage, .envNotSet, ["variable": passEnv], subject: keyPath)
            }
            return Array(value.utf8)
        }
        if passStdin {
            guard let line = readLine(strippingNewline: true) else {
                throw PodpisError(.usage, .noStdinPassphrase, subject: keyPath)
            }
            return Array(line.utf8)
        }
        let what = TokenKeyURI.isTokenURI(keyPath) ? "PIN" : "Passphrase"
        return try Terminal.readSecret(prompt: "\(what) for \(keyPath): ", subject: keyPath)
    }
}

/// The signer's key and certificate.
struct SignerOptions: ParsableArguments {
    @Option(name: .long, help: help("signer-options.key"))
    var key: String

    @Option(name: .long, help: help("signer-options.cert"))
    var cert: String?

    @Option(name: .long, help: help("signer-options.chain"))
    var chain: [String] = []

    @Option(name: .long, help: help("signer-options.digest"))
    var digest: String?

    @Flag(name: .long, help: help("signer-options.pss"))
    var pss = false

    @Flag(name: .customLong("allow-invalid-cert"), help: help("signer-options.allow-invalid-cert"))
    var allowInvalidCert = false

    @OptionGroup var pass: PassphraseOptions

    func loadIdentity() throws -> (SigningIdentity, [X509Certificate]) {
        let loaded = try KeyLoader.load(path: key, allowInsecure: pass.allowInsecureKey) {
            try pass.passphrase(for: key)
        }
        var certificate = loaded.certificate
        if let cert {
            let certs = try X509Certificate.parseAll(FileInput.readSmallFile(path: cert, limit: 16 << 20), subject: cert)
            certificate = certs.first
        }
        guard let certificate else {
            throw PodpisError(.usage, .noCertificate, subject: key)
        }
        let chainCerts = try chain.flatMap { path in
            try X509Certificate.parseAll(FileInput.readSmallFile(path: path, limit: 16 << 20), subject: path)
        }
        let identity = SigningIdentity(key: loaded.key, certificate: certificate, chain: loaded.chain)
        if pss, identity.key.keyType != .rsa {
            throw PodpisError(.usage, .pssNotRsa, ["type": identity.key.keyType.rawValue], subject: key)
        }
        return (identity, chainCerts)
    }

    /// Refuses a signer's certificate that is expired, not yet valid or revoked (by the revocation data at hand:
    /// `--crl`, `--ocsp-response`, and what `online` allows fetching), unless `--allow-invalid-cert`.
    func checkCertificate(_ identity: SigningIdentity, chain: [X509Certificate], paths: RevocationOptions?, online: Bool) throws {
        guard !allowInvalidCert else { return }
        let anchors = try paths?.trustStore().anchors ?? []
        let finding = CertificateCheck.finding(
            for: identity.certificate, candidates: identity.chain + chain + anchors, crls: try paths?.crls() ?? [],
            ocspResponses: try paths?.ocspResponses() ?? [], revocation: online && !(paths?.offline ?? false) ? RevocationPolicy() : .offline)
        if let finding { throw CertificateCheck.error(finding, role: .signer, subject: cert ?? key) }
    }

    func digestAlgorithm() throws -> DigestAlgorithm? {
        guard let digest else { return nil }
        guard let parsed = DigestAlgorithm(parsing: digest) else {
            throw PodpisError(.usage, "unknown digest «\(digest)» (sha256, sha384, sha512, streebog256, streebog512)")
        }
        return parsed
    }
}

enum Terminal {
    /// Reads a secret from the controlling terminal with echo off.
    static func readSecret(prompt: String, subject: String) throws -> [UInt8] {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            throw PodpisError(.usage, .noTerminal, subject: subject)
        }
        defer { close(fd) }
        var original = termios()
        tcgetattr(fd, &original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(fd, TCSAFLUSH, &silent)
        defer {
            tcsetattr(fd, TCSAFLUSH, &original)
            _ = write(fd, "\n", 1)
        }
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        var result: [UInt8] = []
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1, byte != 0x0A, byte != 0x0D, result.count < 4096 { result.append(byte) }
        return result
    }
}

/// Parses RFC 3339 times (`2026-11-25T12:00:00Z`, with offset or fraction) and plain dates (`2035-01-01`).
enum TimeArgument {
    static func parse(_ text: String) throws -> Date {
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return date }
        throw PodpisError(.usage, .badTime, ["text": text])
    }
}

/// Refuses to replace an existing output unless asked.
func checkOutput(_ path: String, force: Bool) throws {
    if FileManager.default.fileExists(atPath: path) && !force {
        throw PodpisError.alreadyExists(path)
    }
}

/// `--lang`, shared by every command that speaks to a person. (podpis takes `--lang` out of the arguments before
/// ArgumentParser parses them, see ``CommandLineLanguage``; the option is declared for the help pages.)
struct LanguageOptions: ParsableArguments {
    @Option(name: .long, help: help("common.lang"))
    var lang: Language?

    /// The language asked for, else the command line's.
    var language: Language { lang ?? Console.language }
}

/// Where policies and trust lists are (`--policies`, `--certs`), shared by the commands that judge.
struct PolicyFolderOptions: ParsableArguments {
    @Option(name: .long, help: help("common.policies"))
    var policies: String?

    @Option(name: .customLong("certs"), help: help("common.certs"))
    var certs: String?

    func catalog(extraFiles: [String] = []) throws -> PolicyCatalog {
        try .standard(policies: policies, certs: certs, extraFiles: extraFiles)
    }
}

/// `--lang` values as a typed option value: `ru`, `en` (or `ru-RU`, `en_US`…), read as ``CommandLineLanguage`` reads them.
extension Language: ExpressibleByArgument {
    public init?(argument: String) {
        guard let language = CommandLineLanguage.parse(argument) else { return nil }
        self = language
    }

    // The help pages stay as they were: no "(values: ru, en)" after the text, no completion list.
    public static var allValueStrings: [String] { [] }
    public static var allValueDescriptions: [String: String] { [:] }
    public static var defaultCompletionKind: CompletionKind { .default }
}
