import ArgumentParser
import EvidenceModel
import Foundation
import PodpisDefaults
import PodpisJournal
import PodpisService
import PolicyEngine
import SigningCore

/// Where defaults came from, said in the user's language.
enum DefaultsText {
    static func describe(_ source: DefaultsSource, _ language: Language) -> String {
        let text = Catalogue.cli(language)
        switch source {
        case .option(let path): return text.text("defaults.option", ["path": path])
        case .environment(let variable, let path): return text.text("defaults.environment", ["path": path, "variable": variable])
        case .workingDirectory(let path): return text.text("defaults.working-directory", ["path": path])
        case .system(let path): return text.text("defaults.system", ["path": path])
        case .embedded: return text.text("defaults.embedded")
        }
    }
}
