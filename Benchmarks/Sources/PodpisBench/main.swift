import CBaseline
import EvidenceModel
import Foundation
import PodpisService
import PolicyEngine
import SigningCore

// Times podpis and OpenSSL's C API side by side in one process and prints Markdown rows with the ratio
// (podpis throughput / baseline throughput: 1.0 means as fast as calling OpenSSL directly).

func measure(seconds: Double = 3, warmUp: Int = 20, batch: Int = 10, _ body: () -> Void) -> Double {
    for _ in 0..<warmUp { body() }
    var iterations = 0
    let start = DispatchTime.now().uptimeNanoseconds
    var elapsed: Double = 0
    repeat {
        for _ in 0..<batch { body() }
        iterations += batch
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    } while elapsed < seconds
    return Double(iterations) / elapsed
}

func row(_ name: String, podpis: Double, baseline: Double, unit: String, goal: String) -> String {
    let ratio = podpis / baseline
    return "| \(name) | \(String(format: "%.0f", podpis)) \(unit) | \(String(format: "%.0f", baseline)) \(unit) | \(String(format: "%.2f", ratio)) | \(goal) |"
}

CryptoLibrary.initialize()
_ = baseline_init()

// `PodpisBench journal-append POSTGRES_URL SECONDS`: the journal's append path alone, two writers (JournalAppend.swift).
if CommandLine.arguments.count == 4, CommandLine.arguments[1] == "journal-append" {
    let (url, seconds) = (CommandLine.arguments[2], Double(CommandLine.arguments[3]) ?? 10)
    Task {
        do {
            print(try await JournalAppendBench.run(url: url, seconds: seconds))
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("PodpisBench journal-append: \(error)\n".utf8))
            exit(70)
        }
    }
    dispatchMain()
}

// `PodpisBench fixtures PKI OUT N`: N distinct documents with detached RSA signatures by the demo PKI's official
// (made in-process: N process start-ups would take longer than the benchmark).
if CommandLine.arguments.count == 5, CommandLine.arguments[1] == "fixtures" {
    let (pki, out, count) = (CommandLine.arguments[2], CommandLine.arguments[3], Int(CommandLine.arguments[4]) ?? 0)
    let loaded = try KeyLoader.load(path: pki + "/official-rsa.key") { [] }
    let certificate = try CertificateFiles.load(paths: [pki + "/official-rsa.pem"])[0]
    let chain = try CertificateFiles.load(paths: [pki + "/rsa-chain.pem"])
    let identity = SigningIdentity(key: loaded.key, certificate: certificate)
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    for index in 0..<count {
        let document = Array("Документ № \(index): приказ о переходе на электронный документооборот.\n".utf8)
        let signature = try Signer.sign(.bytes(document), identity: identity, options: SignatureOptions(chain: chain))
        try Data(document).write(to: URL(fileURLWithPath: "\(out)/doc-\(index).txt"))
        try Data(signature).write(to: URL(fileURLWithPath: "\(out)/doc-\(index).txt.sig"))
    }
    exit(0)
}
let folder = NSTemporaryDirectory() + "podpis-bench-\(UUID().uuidString)"
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }
let document = [UInt8](repeating: 0x41, count: 1024)
var rows: [String] = []
// PODPIS_BENCH_PROFILE=N: run only the podpis side of one verify row N times (for perf / callgrind);
// PODPIS_BENCH_KIND picks the row (RSA-2048, ECDSA P-256, GOST 2012-256).
let profileIterations = ProcessInfo.processInfo.environment["PODPIS_BENCH_PROFILE"].flatMap(Int.init)

// PODPIS_BENCH_ROWS=verify or =hash runs one group only.
let groups = ProcessInfo.processInfo.environment["PODPIS_BENCH_ROWS"].map { Set($0.split(separator: ",").map(String.init)) } ?? ["verify", "hash"]
for (label, kind) in [("RSA-2048", PrivateKey.Kind.rsa(bits: 2048)), ("ECDSA P-256", .ec(curve: "P-256")), ("GOST 2012-256", .gost2012_256)] where groups.contains("verify") {
    let root = try PKIProfiles.root(name: "Bench root", key: kind)
    let ca = try PKIProfiles.intermediate(name: "Bench CA", key: kind, issuer: root)
    let signer = try PKIProfiles.signer(key: kind, issuer: ca)
    let signature = try Signer.sign(.bytes(document), identity: signer.identity, options: SignatureOptions(chain: [ca.certificate]))
    let rootPath = folder + "/root-\(label.hashValue).pem"
    try Data(try CertificateFiles.pem([root.certificate])).write(to: URL(fileURLWithPath: rootPath))
    guard let store = baseline_store(rootPath) else { fatalError("baseline store") }
    let trust = TrustStore(anchors: [root.certificate])
    let policy = BuiltinPolicies.default
    // Both sides must agree the signature is valid before they are timed.
    precondition(signature.withUnsafeBufferPointer { s in document.withUnsafeBufferPointer { d in baseline_verify(s.baseAddress, s.count, d.baseAddress, d.count, store, nil, 0) } } == 1)
    let check = try Verifier.verify(VerificationInput(signature: signature, signatureName: nil, document: .bytes(name: nil, document), trust: trust, policy: policy))
    precondition(check.report.indication == .totalPassed, "\(check.report.signatures.first?.reason ?? "")")

    if let profileIterations, ProcessInfo.processInfo.environment["PODPIS_BENCH_KIND", default: "RSA-2048"] == label {
        for _ in 0..<profileIterations {
            _ = try? Verifier.verify(VerificationInput(signature: signature, signatureName: nil, document: .bytes(name: nil, document), trust: trust, policy: policy))
        }
        exit(0)
    }
    let podpis = measure {
        _ = try? Verifier.verify(VerificationInput(signature: signature, signatureName: nil, document: .bytes(name: nil, document), trust: trust, policy: policy))
    }
    let baseline = measure {
        _ = signature.withUnsafeBufferPointer { s in document.withUnsafeBufferPointer { d in baseline_verify(s.baseAddress, s.count, d.baseAddress, d.count, store, nil, 0) } }
    }
    rows.append(row("verify CAdES-B, 2-level chain, \(label), 1 KiB (evidence + judgement vs CMS_verify)", podpis: podpis, baseline: baseline, unit: "verifications/s", goal: "≥ 0.9"))

    // Sign throughput: podpis CAdES-B (with signing-certificate-v2) vs CMS_sign (detached, default attributes).
    let keyPath = folder + "/signer-\(label.hashValue).key", certPath = folder + "/signer-\(label.hashValue).pem"
    let chainPath = folder + "/chain-\(label.hashValue).pem"
    try Data(try signer.identity.key.pem()).write(to: URL(fileURLWithPath: keyPath))
    try Data(try CertificateFiles.pem([signer.certificate])).write(to: URL(fileURLWithPath: certPath))
    try Data(try CertificateFiles.pem([ca.certificate])).write(to: URL(fileURLWithPath: chainPath))
    guard let cSigner = baseline_signer_load(keyPath, certPath, chainPath) else { fatalError("baseline signer") }
    precondition(document.withUnsafeBufferPointer { baseline_sign(cSigner, $0.baseAddress, $0.count) } > 0)
    let signRate = measure {
        _ = try? Signer.sign(.bytes(document), identity: signer.identity, options: SignatureOptions(chain: [ca.certificate]))
    }
    let signBaseline = measure { _ = document.withUnsafeBufferPointer { baseline_sign(cSigner, $0.baseAddress, $0.count) } }
    rows.append(row("sign CAdES-B detached, \(label), 1 KiB (Signer.sign vs CMS_sign)", podpis: signRate, baseline: signBaseline, unit: "signatures/s", goal: "—"))
}

// Hashing: 1 GiB through podpis's streaming digest vs EVP in one call per 64 MiB.
let block = [UInt8](repeating: 0x5A, count: 64 << 20)
for (name, algorithm, openssl) in [("SHA-256", DigestAlgorithm.sha256, "SHA256"), ("Streebog-256", .streebog256, "md_gost12_256")] where groups.contains("hash") {
    let rounds = 16
    func podpisHash() {
        let digest = try! MultiDigest([algorithm])
        for _ in 0..<rounds {
            block.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {  // the same 1 MiB chunks the file streaming uses
                    let end = min(offset + (1 << 20), raw.count)
                    digest.update(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
            }
        }
        _ = digest.finish()
    }
    let podpisRate = measure(seconds: 4, warmUp: 1, batch: 1, podpisHash)
    let baselineRate = measure(seconds: 4, warmUp: 1, batch: 1) { _ = block.withUnsafeBufferPointer { baseline_digest(openssl, $0.baseAddress, $0.count, Int32(rounds)) } }
    rows.append(row("hash 1 GiB in memory, \(name) (MultiDigest vs EVP_Digest*)", podpis: podpisRate * 1024, baseline: baselineRate * 1024, unit: "MiB/s", goal: "≥ 0.9"))
}

print(rows.joined(separator: "\n"))
