import Benchmark
import CBaseline
import Foundation
import PodpisService
import PolicyEngine
import SigningCore

// package-benchmark view of the in-process verification (wall clock, allocations, percentiles):
//   swift package --package-path Benchmarks benchmark
let benchmarks: @Sendable () -> Void = {
    CryptoLibrary.initialize()
    _ = baseline_init()
    let document = [UInt8](repeating: 0x41, count: 1024)
    for (label, kind) in [("RSA-2048", PrivateKey.Kind.rsa(bits: 2048)), ("P-256", .ec(curve: "P-256")), ("GOST-256", .gost2012_256)] {
        let root = try! PKIProfiles.root(name: "Bench root", key: kind)
        let ca = try! PKIProfiles.intermediate(name: "Bench CA", key: kind, issuer: root)
        let signer = try! PKIProfiles.signer(key: kind, issuer: ca)
        let signature = try! Signer.sign(.bytes(document), identity: signer.identity, options: SignatureOptions(chain: [ca.certificate]))
        let trust = TrustStore(anchors: [root.certificate])
        Benchmark("podpis verify \(label)", configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(3))) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try? Verifier.verify(VerificationInput(signature: signature, signatureName: nil, document: .bytes(name: nil, document), trust: trust)))
            }
        }
        let rootPath = NSTemporaryDirectory() + "bench-root-\(label).pem"
        try! Data(try! CertificateFiles.pem([root.certificate])).write(to: URL(fileURLWithPath: rootPath))
        let store = baseline_store(rootPath)
        Benchmark("openssl CMS_verify \(label)", configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(3))) { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(signature.withUnsafeBufferPointer { s in document.withUnsafeBufferPointer { d in baseline_verify(s.baseAddress, s.count, d.baseAddress, d.count, store, nil, 0) } })
            }
        }
    }
}
