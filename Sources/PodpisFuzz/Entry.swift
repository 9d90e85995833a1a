import Foundation

#if PODPIS_LIBFUZZER
/// The target this libFuzzer process exercises (`PODPIS_FUZZ_TARGET`).
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["PODPIS_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("set PODPIS_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(64)
    }
    _ = Fixture.shared
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    selectedTarget.run(bytes)
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry point as `<module>_main`; here it hands over to libFuzzer's driver.
@_cdecl("podpis_fuzz_main")
public func podpisFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#else
/// Replays inputs without libFuzzer (regression cases and crash reproducers) and writes seed corpora.
@main
struct FuzzReplay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "seeds", arguments.count >= 2 {
            writeSeeds(to: arguments[1], policies: arguments.count > 2 ? arguments[2] : nil)
            return
        }
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count >= 2 else {
            FileHandle.standardError.write(Data("""
                usage: podpis-fuzz TARGET FILE|DIR…   (replay inputs once)
                       podpis-fuzz seeds DIR [POLICIES]   (write seed corpora)
                targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))

                """.utf8))
            exit(64)
        }
        var count = 0
        for path in arguments.dropFirst() {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                target.run([UInt8](data))
                count += 1
            }
        }
        print("\(target.rawValue): replayed \(count) inputs")
    }

    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { (path as NSString).appendingPathComponent($0) }
    }

    static func writeSeeds(to directory: String, policies: String?) {
        do {
            for (target, inputs) in try Fixture.shared.seeds(policies: policies) {
                let folder = (directory as NSString).appendingPathComponent(target.rawValue)
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                for (index, input) in inputs.enumerated() {
                    try Data(input).write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("seed-\(index)")))
                }
            }
            print("seeds written to \(directory)")
        } catch {
            FileHandle.standardError.write(Data("podpis-fuzz: \(error)\n".utf8))
            exit(70)
        }
    }
}
#endif
