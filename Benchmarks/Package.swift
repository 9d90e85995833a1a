// swift-tools-version: 6.1
// Benchmarks for podpis, each measured beside its OpenSSL baseline in the same run. Not built by the main package;
// CI only builds this package, `Benchmarks/run.sh` runs it and writes BENCHMARKS.md.
import PackageDescription

let package = Package(
    name: "podpis-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "podpis", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The baseline: OpenSSL's C API called directly (CMS_verify, which runs X509_verify_cert; EVP digests).
        .target(name: "CBaseline", linkerSettings: [.linkedLibrary("crypto")]),
        // A harness that times podpis and the baseline in the same process and prints the ratio.
        .executableTarget(
            name: "PodpisBench",
            dependencies: [
                "CBaseline",
                .product(name: "SigningCore", package: "podpis"),
                .product(name: "PolicyEngine", package: "podpis"),
                .product(name: "PodpisService", package: "podpis"),
                .product(name: "PodpisJournal", package: "podpis"),
            ]),
        // The same in-process work under package-benchmark (wall clock, allocations, percentiles).
        .executableTarget(
            name: "PodpisBenchmarks",
            dependencies: [
                "CBaseline",
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "SigningCore", package: "podpis"),
                .product(name: "PolicyEngine", package: "podpis"),
                .product(name: "PodpisService", package: "podpis"),
            ],
            path: "Benchmarks/PodpisBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]),
    ],
    swiftLanguageModes: [.v6]
)
