import EvidenceModel
import Foundation
import PodpisContainer
import PodpisPDF
import PolicyEngine
import SigningCore
import NIOConcurrencyHelpers

/// One document/signature pair of a batch.
public struct BatchItem: Sendable, Equatable {
    /// The signed document; nil for an attached signature.
    public var document: String?
    public var signature: String
    public init(document: String?, signature: String) {
        self.document = document
        self.signature = signature
    }
}

/// Finds the pairs to verify: in a folder by naming convention, or from a manifest.
public enum BatchPlanner {
    /// `X` with `X.sig` / `X.p7s` / `X.sgn` beside it is a detached pair; a `.p7m` (or a signature with no document
    /// beside it), an ASiC container (`.asice`, `.asics`, `.sce`, `.scs`) and a signed PDF with no detached signature
    /// beside it are verified alone. Sub-folders are walked.
    public static func items(inFolder folder: String) throws -> [BatchItem] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else {
            throw PodpisError(.noInput, "no such folder", subject: folder)
        }
        var files = Set<String>()
        for case let relative as String in enumerator {
            let path = (folder as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue { files.insert(path) }
        }
        var items: [BatchItem] = []
        var used = Set<String>()
        for file in files.sorted() {
            let ext = (file as NSString).pathExtension.lowercased()
            if SignatureLookup.signatureExtensions.contains(ext) { continue }
            if let signature = SignatureLookup.suffixes.map({ file + $0 }).first(where: files.contains) {
                items.append(BatchItem(document: file, signature: signature))
                used.insert(signature)
                used.insert(file)
            }
        }
        for file in files.sorted() where SignatureLookup.containerExtensions.contains((file as NSString).pathExtension.lowercased()) && !used.contains(file) {
            items.append(BatchItem(document: nil, signature: file))
        }
        for file in files.sorted() where SignatureLookup.signatureExtensions.contains((file as NSString).pathExtension.lowercased()) && !used.contains(file) {
            items.append(BatchItem(document: nil, signature: file))
        }
        // A signed PDF with no detached signature beside it: its own signatures.
        for file in files.sorted() where (file as NSString).pathExtension.lowercased() == "pdf" && !used.contains(file)
            && SignedPDF.looksLikeSignedPDF(path: file) {
            items.append(BatchItem(document: nil, signature: file))
        }
        return items
    }

    /// The files of a folder that no item uses: a document without a signature beside it (or anything else that
    /// is neither a signature nor a container). `verify --batch` reports them instead of skipping them silently.
    /// Hidden files (`.name`) are left out.
    public static func unpaired(inFolder folder: String, items: [BatchItem]) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        var used = Set<String>()
        for item in items {
            used.insert(item.signature)
            if let document = item.document { used.insert(document) }
        }
        var found: [String] = []
        for case let relative as String in enumerator {
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            let path = (folder as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue, !used.contains(path) else { continue }
            found.append(path)
        }
        return found.sorted()
    }

    /// A manifest: one pair per line, `DOCUMENT<TAB>SIGNATURE` or `SIGNATURE` alone (attached); `#` comments.
    /// Relative paths are resolved against the manifest's folder.
    public static func items(manifest: String) throws -> [BatchItem] {
        let text = String(decoding: try FileInput.readSmallFile(path: manifest, limit: 256 << 20), as: UTF8.self)
        let base = (manifest as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path) }
        var items: [BatchItem] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: "\t").map { $0.trimmingCharacters(in: .whitespaces) }
            switch fields.count {
            case 1: items.append(BatchItem(document: nil, signature: resolve(fields[0])))
            case 2: items.append(BatchItem(document: resolve(fields[0]), signature: resolve(fields[1])))
            default: throw PodpisError(.dataFormat, "line \(number + 1): expected DOCUMENT<TAB>SIGNATURE or SIGNATURE", subject: manifest)
            }
        }
        return items
    }
}

/// The outcome of one pair.
public struct BatchResult: Sendable {
    public var item: BatchItem
    public var report: Report?
    /// Why the pair could not be verified at all (a missing file, ...).
    public var error: PodpisError?

    public var indication: Indication { report?.indication ?? .totalFailed }
}

/// Progress of a running batch.
public struct BatchProgress: Sendable {
    public var done: Int
    public var total: Int
    public var passed: Int
    public var failed: Int
    public var indeterminate: Int
    public var elapsed: TimeInterval
    public var rate: Double { elapsed > 0 ? Double(done) / elapsed : 0 }
    public var remaining: TimeInterval? { rate > 0 ? Double(total - done) / rate : nil }
}

/// What the workers of a batch share: the next item to take and the progress so far.
private struct BatchShared {
    var next = 0
    var progress: BatchProgress
    var lastReport = Date.distantPast
}

/// Verifies many pairs in parallel: one worker per core (threads, never the cooperative pool), sharing the parsed
/// trust store, the revocation cache and the policy.
@dynamicMemberLookup
public struct BatchVerifier: Sendable {
    /// Trust, extra certificates and revocation data, the time, fetching and the caps: the same for every item
    /// (read and written through the verifier itself: `verifier.limits`).
    public var settings: VerificationSettings
    public var policy: Policy
    public var options: JudgementOptions
    public var workers: Int

    public init(trust: TrustStore, certificates: [X509Certificate] = [], crls: [CertificateRevocationList] = [],
                ocspResponses: [[UInt8]] = [], validationTime: Date? = nil, revocation: RevocationPolicy = .offline,
                policy: Policy, options: JudgementOptions = JudgementOptions(), workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
        settings = VerificationSettings(trust: trust, certificates: certificates, crls: crls, validationTime: validationTime,
                                        ocspResponses: ocspResponses, revocation: revocation)
        self.policy = policy
        self.options = options
        self.workers = max(1, workers)
    }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<VerificationSettings, T>) -> T {
        get { settings[keyPath: keyPath] }
        set { settings[keyPath: keyPath] = newValue }
    }

    /// Verifies one item: an item with no document is read as what it is (``SignedFileKind``: a container, a signed
    /// PDF or an attached signature), with the batch's settings, caps included, whichever it is.
    public func verify(_ item: BatchItem) -> BatchResult {
        do {
            let subject: SignedSubject
            switch item.document == nil ? SignedFileKind.of(path: item.signature, detachedSignatureBeside: false) : .signature {
            case .container: subject = .container(.file(path: item.signature))
            case .signedPDF: subject = .pdf(.file(path: item.signature))
            case .signature:
                subject = .signature(try FileInput.readSignature(path: item.signature),
                                     name: (item.signature as NSString).lastPathComponent, document: item.document.map { .file(path: $0) })
            }
            let report = try Verifier.verify(VerificationInput(subject, settings: settings, policy: policy, options: options)).report
            return BatchResult(item: item, report: report, error: nil)
        } catch let error as PodpisError {
            return BatchResult(item: item, report: nil, error: error)
        } catch {
            return BatchResult(item: item, report: nil, error: PodpisError(.software, ErrorText.describe(error)))
        }
    }

    /// Runs the batch. `onResult` is called once per item (serialised, in completion order); `onProgress` at most
    /// every `progressInterval` seconds. Blocks the calling thread until every item is done.
    public func run(_ items: [BatchItem], progressInterval: TimeInterval = 0.1,
                    onResult: @escaping @Sendable (BatchResult) -> Void, onProgress: @escaping @Sendable (BatchProgress) -> Void) {
        run(items, progressInterval: progressInterval, render: { _ in () }, onResult: { result, _ in onResult(result) },
            onProgress: onProgress)
    }

    /// Runs the batch, with the per-item output prepared in parallel: `render` runs on the worker that verified the
    /// item, concurrently with the other workers; only `onResult` (which should do no more than write what `render`
    /// made) and `onProgress` are serialised.
    ///
    /// The JSON Lines output of `verify --batch --json` encodes each report (about an eighth of the CPU time per
    /// item in a perf profile); done inside the serialised section, it kept one worker waiting for the other.
    public func run<Rendered>(_ items: [BatchItem], progressInterval: TimeInterval = 0.1,
                              render: @escaping @Sendable (BatchResult) -> Rendered,
                              onResult: @escaping @Sendable (BatchResult, Rendered) -> Void,
                              onProgress: @escaping @Sendable (BatchProgress) -> Void) {
        let started = Date()
        let shared = NIOLockedValueBox(BatchShared(progress: BatchProgress(done: 0, total: items.count, passed: 0, failed: 0, indeterminate: 0, elapsed: 0)))
        let output = NIOLock()
        DispatchQueue.concurrentPerform(iterations: min(workers, max(items.count, 1))) { _ in
            while true {
                let index: Int? = shared.withLockedValue { state in
                    guard state.next < items.count else { return nil }
                    defer { state.next += 1 }
                    return state.next
                }
                guard let index else { return }
                let result = verify(items[index])
                let rendered = render(result)
                output.withLock { onResult(result, rendered) }
                let snapshot: BatchProgress? = shared.withLockedValue { state in
                    state.progress.done += 1
                    switch result.indication {
                    case .totalPassed: state.progress.passed += 1
                    case .totalFailed: state.progress.failed += 1
                    case .indeterminate: state.progress.indeterminate += 1
                    }
                    let now = Date()
                    state.progress.elapsed = now.timeIntervalSince(started)
                    guard now.timeIntervalSince(state.lastReport) >= progressInterval || state.progress.done == items.count else { return nil }
                    state.lastReport = now
                    return state.progress
                }
                if let snapshot { output.withLock { onProgress(snapshot) } }
            }
        }
    }
}
