// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "podpis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "podpis", targets: ["podpis"]),
        .library(name: "SigningCore", targets: ["SigningCore"]),
        .library(name: "PolicyEngine", targets: ["PolicyEngine"]),
        .library(name: "PodpisService", targets: ["PodpisService"]),
        // For the benchmarks' journal-append row (Benchmarks/).
        .library(name: "PodpisJournal", targets: ["PodpisJournal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
    ],
    targets: [
        // System libraries: headers and link lines only.
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev", "libengine-gost-openssl"])]),
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        // qpdf's C API reads PDF objects; zlib inflates under a bound what podpis decodes itself.
        .systemLibrary(
            name: "CQPDF", pkgConfig: "libqpdf",
            providers: [.apt(["libqpdf-dev"])]),
        // zlib (the system's, which OpenSSL and libcurl link anyway; named apart from ZIPFoundation's own CZlib module):
        // SigningCore's bounded Flate, for the PDF streams podpis decodes and writes and the journal's packed entries.
        .systemLibrary(
            name: "CPodpisZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // The macros, variadic functions and callbacks Swift cannot call.
        .target(
            name: "CPodpis", dependencies: ["COpenSSL", "CCurl"],
            cSettings: [.define("OPENSSL_SUPPRESS_DEPRECATED")]),
        // Policy-free, Codable evidence and report values shared by the core and the engine; its identifiers as types
        // (Identifiers.swift: open sets that keep values they do not know; Indication, SignatureLevel), and problems
        // as data where the engine used to read English (FormatFinding, uncovered CRL reasons); the pure-Swift
        // helpers every module shares (Hex, MarkupEscaping, MoscowTime); the message mechanics (Language, MessageKey,
        // MessageTemplate) and the errors' words (ErrorMessage), low enough for every module that throws.
        .target(name: "EvidenceModel"),
        // The shipped defaults compiled into the binary (policies, trust-list folders, report templates), generated
        // at build time from the repository's files by the EmbedDefaults plugin.
        .target(name: "PodpisDefaults", plugins: ["EmbedDefaults"]),
        .plugin(name: "EmbedDefaults", capability: .buildTool()),
        // The only module that talks to OpenSSL and libcurl (SigningCoreTestSupport aside, for tests only): every
        // OpenSSL object in an owner (OpenSSLHandle), DER parse/encode and the error-queue scope written once
        // (OpenSSLHandle.swift); SHA256, the digest every module uses. Its folders are its roles: OpenSSL/ (owners,
        // DER/BER, algorithms, zlib), Support/ (errors, bounded input, caps), CMS/ (reading SignedData), Signing/ (CMS,
        // PAdES, keys and tokens, LT/LTA), Timestamps/ (RFC 3161 client and authority), Evidence/ (gathering),
        // PKI/ (certificates, paths, CRLs, OCSP, fetching), DemoPKI/ (the demo and test PKI). Its shared caches lock
        // with NIOConcurrencyHelpers (pthread mutexes, which ThreadSanitizer understands; Synchronization.Mutex hands a
        // contended lock over in the kernel, which it does not, and reports false races).
        .target(
            name: "SigningCore",
            dependencies: [
                "COpenSSL", "CCurl", "CPodpis", "CPodpisZlib", "EvidenceModel",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        // Test support only (hostile variants of valid signatures for the negative cases): SigningCore's test twin,
        // built on its `package` OpenSSL wrappers. No product or executable depends on it; only PodpisTests does.
        .target(
            name: "SigningCoreTestSupport",
            dependencies: ["SigningCore", "COpenSSL", "CPodpis", "EvidenceModel"]),
        // Judges evidence under a policy. Pure Swift. The catalogue mechanism (Catalogue, MessageTable: each layer adds
        // its own texts) and the judgement's texts.
        .target(name: "PolicyEngine", dependencies: ["EvidenceModel", "PodpisDefaults", .product(name: "Yams", package: "Yams"),
                                                   .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]),
        // The human-readable verification protocol (HTML, ru/en) rendered from mustache templates, with its own texts
        // (ReportTexts). No C here: the protocol's own SHA-256 is SigningCore's, the one digest every module shares.
        .target(
            name: "PodpisReport",
            dependencies: ["EvidenceModel", "PolicyEngine", "PodpisDefaults", "SigningCore", .product(name: "Mustache", package: "swift-mustache")],
            exclude: ["Templates"]),
        // ASiC-E / ASiC-S containers (ETSI EN 319 162-1): a guarded ZIP reader and writer and the ASiC manifest.
        // No OpenSSL here: signing and verification go through SigningCore.
        .target(
            name: "PodpisContainer",
            dependencies: ["SigningCore", "EvidenceModel", "PodpisXML", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // BoundedXML: the one guarded reader of the XML podpis takes in (ASiC manifests, the accredited-CA list and its
        // XMLDSig, powers of attorney and the registry's answers).
        .target(
            name: "PodpisXML",
            dependencies: ["SigningCore"]),
        // Signed PDFs (ISO 32000, PAdES: ETSI EN 319 142-1): reads signatures and revisions with qpdf, writes
        // incremental updates itself (signatures, validation data, the printed stamp). No OpenSSL here.
        .target(
            name: "PodpisPDF",
            dependencies: ["SigningCore", "EvidenceModel", "CQPDF"]),
        // The workflows the front ends share: verify (Verifier.verify over one VerificationInput), raise a level
        // (Extender), renew an archive (ArchiveRenewal), weigh a policy edit (PolicyImpactStudy), read powers of
        // attorney, import the Russian trust list, run batches.
        .target(
            name: "PodpisService",
            dependencies: [
                "SigningCore", "PolicyEngine", "PodpisContainer", "PodpisPDF", "PodpisDefaults", "PodpisXML",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        // The tamper-evident audit journal: SQLite (GRDB) by default.
        .target(
            name: "PodpisJournal",
            dependencies: [
                "SigningCore", "EvidenceModel", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        // HTTP front ends on Hummingbird: the TSA (one RFC 3161 route), the demo PKI's OCSP/CRL server, the verification
        // service (a decoder type per body kind; problem types: ProblemKind; media types: MediaType; page texts).
        .target(
            name: "PodpisServer",
            dependencies: [
                "SigningCore", "PolicyEngine", "PodpisService", "PodpisJournal", "PodpisReport", "PodpisContainer", "PodpisPDF",
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "podpis",
            dependencies: [
                "SigningCore", "PolicyEngine", "PodpisService", "PodpisServer", "PodpisJournal", "PodpisReport",
                "PodpisContainer", "PodpisPDF", "PodpisDefaults",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        // Fuzz targets over every parser that takes outside input: a replayer normally, libFuzzer entry points when
        // built by Tests/Fuzz/run.sh (-sanitize=fuzzer,address -D PODPIS_LIBFUZZER).
        .executableTarget(
            name: "podpis-fuzz",
            dependencies: [
                "SigningCore", "PolicyEngine", "EvidenceModel", "PodpisService", "PodpisServer", "PodpisContainer", "PodpisPDF",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/PodpisFuzz"),
        .testTarget(
            name: "PodpisTests",
            dependencies: [
                "SigningCore", "SigningCoreTestSupport", "PolicyEngine", "EvidenceModel", "PodpisService", "PodpisServer", "PodpisJournal",
                "PodpisReport", "PodpisContainer", "PodpisPDF", "PodpisDefaults",
                // The command line's own catalogue (`CLITexts`), for the two-way catalogue test.
                "podpis",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
