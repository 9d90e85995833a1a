import EvidenceModel
import Foundation
import SigningCore
import ZIPFoundation

/// Writes ASiC-E and ASiC-S containers with one CAdES signature (ETSI EN 319 162-1).
///
/// The archive is built with ZIPFoundation in a temporary file beside the output and renamed into place only when
/// complete, so a failure (a refused key, a TSA that does not answer) never leaves a half-written container.
public enum ContainerWriter {
    /// A file to put into a container, under `name` (a checked relative entry name).
    public struct Input: Sendable {
        public var path: String
        public var name: String

        public init(path: String, name: String) {
            self.path = path
            self.name = name
        }

        /// The file under its own name (no folders).
        public init(path: String) {
            self.init(path: path, name: (path as NSString).lastPathComponent)
        }
    }

    /// Creates an ASiC-E container: the files, `META-INF/ASiCManifest.xml` with a digest of each (made while the
    /// file is copied in, so the manifest describes exactly the bytes stored), and `META-INF/signature.p7s`, a
    /// detached CAdES signature over the manifest that `sign` returns.
    ///
    /// - Parameters:
    ///   - digest: the manifest's digest algorithm (the signature's own, by convention).
    ///   - sign: signs the manifest bytes; returns DER.
    public static func writeASiCE(
        files: [Input], digest: DigestAlgorithm, to output: String, force: Bool,
        sign: ([UInt8]) throws -> [UInt8]
    ) throws {
        try check(files, kind: .asicE)
        guard let method = ASiCManifest.uri(for: digest) else {
            throw PodpisError(.usage, "\(digest.name) cannot be used in an ASiC manifest")
        }
        try build(output, force: force, kind: .asicE) { archive in
            var references: [ASiCManifest.Reference] = []
            for file in files {
                let digests = try add(file, to: archive, digests: [digest])
                references.append(ASiCManifest.Reference(
                    uri: file.name, mimeType: MimeTypes.of(file.name), digestMethod: method, digestValue: digests[digest]))
            }
            let manifest = ASiCManifest(signatureReference: "META-INF/signature.p7s", references: references).xml()
            let signature = try sign(manifest)
            try add(bytes: manifest, name: "META-INF/ASiCManifest.xml", to: archive, compress: true)
            try add(bytes: signature, name: "META-INF/signature.p7s", to: archive, compress: false)
        }
    }

    /// Creates an ASiC-S container: one file and `META-INF/signature.p7s`, a detached CAdES signature over that
    /// file that `sign` returns.
    public static func writeASiCS(
        file: Input, to output: String, force: Bool, sign: () throws -> [UInt8]
    ) throws {
        try check([file], kind: .asicS)
        let signature = try sign()
        try build(output, force: force, kind: .asicS) { archive in
            _ = try add(file, to: archive, digests: [])
            try add(bytes: signature, name: "META-INF/signature.p7s", to: archive, compress: false)
        }
    }

    /// Names must be safe, distinct (also ignoring case) and clear of the container's own entries.
    static func check(_ files: [Input], kind: ASiCContainer.Kind) throws {
        guard !files.isEmpty else { throw PodpisError(.usage, "no files to put into the container") }
        if kind == .asicS, files.count != 1 {
            throw PodpisError(.usage, .asicsOneFile)
        }
        var seen = Set<String>()
        for file in files {
            _ = try FileInput.regularFileSize(path: file.path)
            if let problem = ZIPNames.problem(with: file.name) { throw PodpisError(.usage, problem, subject: file.path) }
            if file.name == "mimetype" || file.name.hasPrefix("META-INF/") || file.name.hasSuffix("/") {
                throw PodpisError(.usage, "«\(file.name)» is reserved inside a container", subject: file.path)
            }
            guard seen.insert(file.name.lowercased()).inserted else {
                throw PodpisError(.usage, "two files would have the same name «\(file.name)» in the container", subject: file.path)
            }
        }
    }

    static func build(_ output: String, force: Bool, kind: ASiCContainer.Kind, _ body: (Archive) throws -> Void) throws {
        if !force, FileManager.default.fileExists(atPath: output) {
            throw PodpisError.alreadyExists(output)
        }
        let directory = (output as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\((output as NSString).lastPathComponent).podpis-\(UUID().uuidString)"
        TemporaryFiles.removeStale(besideOutput: output)
        TemporaryFiles.created(temporary)
        defer {
            unlink(temporary)
            TemporaryFiles.finished(temporary)
        }
        do {
            let archive: Archive
            do {
                archive = try Archive(url: URL(fileURLWithPath: temporary), accessMode: .create)
            } catch {
                throw PodpisError(.cannotCreate, "cannot create: \(ErrorText.describe(error))", subject: output)
            }
            // EN 319 162-1 §A.1: `mimetype` first, stored, no extra field.
            try add(bytes: Array(kind.mimeType.utf8), name: "mimetype", to: archive, compress: false)
            try body(archive)
        }  // the archive is closed (flushed) here
        let fd = open(temporary, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        chmod(temporary, 0o644)
        guard rename(temporary, output) == 0 else {
            throw PodpisError(.cannotCreate, "cannot create: \(String(cString: strerror(errno)))", subject: output)
        }
    }

    static func add(bytes: [UInt8], name: String, to archive: Archive, compress: Bool) throws {
        do {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(bytes.count),
                                 compressionMethod: compress ? .deflate : .none) { position, size in
                let start = Int(position)
                return Data(bytes[start..<min(bytes.count, start + size)])
            }
        } catch {
            throw PodpisError(.ioError, "cannot write \(name) into the container: \(ErrorText.describe(error))", subject: archive.url.path)
        }
    }

    /// Copies a file in (deflate), hashing exactly the bytes handed to the archive.
    static func add(_ file: Input, to archive: Archive, digests: Set<DigestAlgorithm>) throws -> [DigestAlgorithm: [UInt8]] {
        let size = try FileInput.regularFileSize(path: file.path)
        guard let handle = FileHandle(forReadingAtPath: file.path) else {
            throw PodpisError(.noInput, "cannot open", subject: file.path)
        }
        defer { try? handle.close() }
        let multi = try MultiDigest(digests)
        var changed = false
        do {
            try archive.addEntry(with: file.name, type: .file, uncompressedSize: Int64(size),
                                 compressionMethod: .deflate, bufferSize: 1 << 20) { _, length in
                let chunk = try handle.read(upToCount: length) ?? Data()
                if chunk.count != length { changed = true }
                chunk.withUnsafeBytes { multi.update($0) }
                return chunk
            }
        } catch {
            throw PodpisError(.ioError, "cannot write into the container: \(ErrorText.describe(error))", subject: file.path)
        }
        if changed || (try? handle.read(upToCount: 1))?.isEmpty == false {
            throw PodpisError(.ioError, "the file changed while it was being read", subject: file.path)
        }
        return multi.finish()
    }
}

extension ContainerWriter {
    /// Adds a signature to an existing container; the signatures already there are copied unchanged.
    ///
    /// - ASiC-E: a new `META-INF/ASiCManifestNNN.xml` over every data file, digested with `digest`, and its
    ///   `META-INF/signatureNNN.p7s`, a detached CAdES over it that `sign` returns (EN 319 162-1 §4.4.3).
    /// - ASiC-S: one signature file only, so the new signer joins `META-INF/signature.p7s` as a parallel SignerInfo;
    ///   `cosign` gets the existing signature and the data file's path and returns the new signature.
    ///
    /// Refused when the container's files no longer match a manifest already in it: countersigning a changed
    /// container would put a new signature over files the first signer never saw.
    /// - Returns: the name of the signature entry written.
    @discardableResult
    public static func addSignature(
        to container: ASiCContainer, digest: DigestAlgorithm, output: String,
        signManifest: ([UInt8]) throws -> [UInt8],
        cosign: (_ existing: [UInt8], _ dataPath: String) throws -> [UInt8]
    ) throws -> String {
        for pair in container.signatures {
            guard let manifestEntry = pair.manifest else { continue }
            let bytes = try container.zip.contents(manifestEntry, limit: ASiCContainer.metadataLimit)
            guard let manifest = try? ASiCManifest.parse(bytes) else {
                throw PodpisError(.dataFormat, "\(manifestEntry.name) cannot be read; not adding a signature", subject: container.path)
            }
            if let broken = try container.check(manifest).first(where: { $0.outcome != .valid }) {
                throw PodpisError(.dataFormat, "\(broken.uri) no longer matches \(manifestEntry.name) (\(broken.detail ?? "digest differs")); refusing to add a signature to a changed container", subject: container.path)
            }
        }
        let scratch = NSTemporaryDirectory() + "podpis-container-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        /// Copies an entry out to a private temporary file (streamed, within the reader's limits).
        func spill(_ entry: ZIPEntry) throws -> String {
            let path = scratch + "/" + UUID().uuidString
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw PodpisError(.cannotCreate, "cannot create a temporary file", subject: path)
            }
            defer { try? handle.close() }
            try container.zip.read(entry) { try handle.write(contentsOf: $0) }
            return path
        }

        let existing = container.zip.entries.filter { $0.name != "mimetype" }
        switch container.kind {
        case .asicE:
            guard let method = ASiCManifest.uri(for: digest) else {
                throw PodpisError(.usage, "\(digest.name) cannot be used in an ASiC manifest")
            }
            let names = Set(container.zip.entries.map(\.name))
            guard let number = (1...999).first(where: {
                !names.contains(String(format: "META-INF/ASiCManifest%03d.xml", $0)) && !names.contains(String(format: "META-INF/signature%03d.p7s", $0))
            }) else { throw PodpisError(.dataFormat, "no free signature name left in the container", subject: container.path) }
            let manifestName = String(format: "META-INF/ASiCManifest%03d.xml", number)
            let signatureName = String(format: "META-INF/signature%03d.p7s", number)
            try build(output, force: true, kind: .asicE) { archive in
                var references: [ASiCManifest.Reference] = []
                for entry in existing where !entry.isDirectory {
                    let path = try spill(entry)
                    let digests = try add(Input(path: path, name: entry.name), to: archive, digests: [digest])
                    unlink(path)
                    if container.dataFiles.contains(entry) {
                        references.append(ASiCManifest.Reference(
                            uri: entry.name, mimeType: MimeTypes.of(entry.name), digestMethod: method, digestValue: digests[digest]))
                    }
                }
                let manifest = ASiCManifest(signatureReference: signatureName, references: references).xml()
                try add(bytes: manifest, name: manifestName, to: archive, compress: true)
                try add(bytes: try signManifest(manifest), name: signatureName, to: archive, compress: false)
            }
            return signatureName
        case .asicS:
            guard container.dataFiles.count == 1, let data = container.dataFiles.first,
                  let signatureEntry = container.signatures.first?.signature else {
                throw PodpisError(.dataFormat, "an ASiC-S container needs exactly one data file and one signature to add a signer", subject: container.path)
            }
            let dataPath = try spill(data)
            let signed = try cosign(try container.zip.contents(signatureEntry, limit: ASiCContainer.metadataLimit), dataPath)
            try build(output, force: true, kind: .asicS) { archive in
                for entry in existing where !entry.isDirectory {
                    if entry == signatureEntry {
                        try add(bytes: signed, name: entry.name, to: archive, compress: false)
                    } else if entry == data {
                        _ = try add(Input(path: dataPath, name: entry.name), to: archive, digests: [])
                    } else {
                        let path = try spill(entry)
                        _ = try add(Input(path: path, name: entry.name), to: archive, digests: [])
                        unlink(path)
                    }
                }
            }
            return signatureEntry.name
        }
    }
}
