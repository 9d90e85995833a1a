import Foundation
import SigningCore

/// Writes a container's data files into a folder, safely.
///
/// Names were checked when the container was opened (no traversal, no absolute paths, no duplicates); here every
/// folder on the way is created or must already be a real folder (not a symbolic link), nothing is replaced
/// without `force`, and each file is written to a temporary file, synced, and linked (or, with `force`, renamed)
/// into place, so a failure never leaves a half-written file under a real name.
public enum ContainerExtractor {
    /// Extracts every data file (not `mimetype`, not `META-INF/`) into `directory`; returns the paths written.
    /// Extraction does not verify the signatures: `podpis verify` does.
    public static func extract(_ container: ASiCContainer, to directory: String, force: Bool) throws -> [String] {
        let targets = container.dataFiles.map { (entry: $0, path: directory + "/" + $0.name) }
        if !force {
            // Refuse before writing anything, so a clash does not leave a half-extracted folder.
            for target in targets where fileExists(target.path) {
                throw PodpisError.alreadyExists(target.path)
            }
        }
        try makeFolder(directory, followLink: true)
        var written: [String] = []
        for target in targets {
            var folder = directory
            for segment in target.entry.name.split(separator: "/").dropLast() {
                folder += "/" + segment
                try makeFolder(folder)
            }
            try write(target.entry, of: container, to: target.path, folder: folder, force: force)
            written.append(target.path)
        }
        return written
    }

    static func fileExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Creates `path` as a folder, or accepts an existing real folder; a file there is refused, and so is a symbolic
    /// link unless `followLink` (the folder the user named may be one; folders named inside the container may not).
    static func makeFolder(_ path: String, followLink: Bool = false) throws {
        if mkdir(path, 0o755) == 0 { return }
        let reason = errno
        var info = stat()
        guard reason == EEXIST, (followLink ? stat(path, &info) : lstat(path, &info)) == 0 else {
            throw PodpisError(.cannotCreate, "cannot create the folder: \(String(cString: strerror(reason)))", subject: path)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw PodpisError(.cannotCreate, "exists and is not a folder (a symbolic link is not followed)", subject: path)
        }
    }

    static func write(_ entry: ZIPEntry, of container: ASiCContainer, to path: String, folder: String, force: Bool) throws {
        TemporaryFiles.removeStale(besideOutput: path)
        var template = Array((folder + "/.podpis-extract-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw PodpisError(.cannotCreate, "cannot create: \(String(cString: strerror(errno)))", subject: path)
        }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        TemporaryFiles.created(temporary)
        defer {
            unlink(temporary)
            TemporaryFiles.finished(temporary)
        }
        do {
            try container.zip.read(entry) { chunk in
                try chunk.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let n = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw PodpisError(.ioError, "write failed: \(String(cString: strerror(errno)))", subject: path)
                        }
                        offset += n
                    }
                }
            }
        } catch {
            close(fd)
            throw error
        }
        fchmod(fd, 0o644)
        guard fsync(fd) == 0, close(fd) == 0 else {
            throw PodpisError(.ioError, "write failed: \(String(cString: strerror(errno)))", subject: path)
        }
        if force {
            guard rename(temporary, path) == 0 else {
                throw PodpisError(.cannotCreate, "cannot create: \(String(cString: strerror(errno)))", subject: path)
            }
        } else {
            // link(2) fails if the name exists, atomically: no window in which another file could be replaced.
            guard link(temporary, path) == 0 else {
                let reason = errno
                if reason == EEXIST { throw PodpisError.alreadyExists(path) }
                throw PodpisError(.cannotCreate, "cannot create: \(String(cString: strerror(reason)))", subject: path)
            }
        }
    }
}
