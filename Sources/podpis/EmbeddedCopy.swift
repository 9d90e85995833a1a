import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

/// The embedded files of a folder (`policies/tests`), written to a private temporary folder for code that reads
/// files by path; removed afterwards.
struct EmbeddedCopy {
    let path: String

    init(folder: String) throws {
        path = NSTemporaryDirectory() + "podpis-embedded-" + UUID().uuidString
        let start = folder + "/"
        for (name, bytes) in EmbeddedDefaults.files where name.hasPrefix(start) {
            let target = (path as NSString).appendingPathComponent(String(name.dropFirst(start.count)))
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try FileInput.writeAtomically(bytes, to: target)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
