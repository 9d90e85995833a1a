import ArgumentParser
import EvidenceModel
import Foundation
import PodpisPDF
import PodpisContainer
import PodpisService
import PolicyEngine
import SigningCore

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: helpString("inspect.abstract"),
        discussion: helpString("inspect.discussion"))

    @Argument(help: help("inspect.signature"))
    var signature: String

    @Flag(name: .long, help: help("inspect.json"))
    var json = false

    @OptionGroup var languageOptions: LanguageOptions

    func run() async throws {
        if ASiCContainer.recognises(path: signature) {
            try inspectContainer()
            return
        }
        // Files of up to 4 MiB are read once; a larger one can only be a signature (readSignature's own bound).
        let small = try? FileInput.readSmallFile(path: signature, limit: 4 << 20)
        if let small, Self.looksLikePowerOfAttorney(small) {
            try inspectPowerOfAttorney(small)
            return
        }
        if small?.starts(with: Array("%PDF-".utf8)) == true || SignedPDF.looksLikeSignedPDF(path: signature) {
            try inspectPDF()
            return
        }
        let bytes = try small ?? FileInput.readSignature(path: signature)
        let inspection = try Inspector.inspect(bytes, subject: signature)
        if json {
            Console.out(String(decoding: try JSONEncoder.podpis().encode(inspection), as: UTF8.self))
            return
        }
        Console.out(Self.lines(inspection, name: signature, language: languageOptions.language).joined(separator: "\n"))
    }

    /// An XML file whose root is a power of attorney (`<Доверенность` in the EMCHD format).
    static func looksLikePowerOfAttorney(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
        return text.drop { $0 == "\u{FEFF}" || $0.isWhitespace }.hasPrefix("<") && text.contains("EMCHD")
    }

    /// What an МЧД says, read as the `power-of-attorney` check reads it (its signature is not verified here).
    private func inspectPowerOfAttorney(_ bytes: [UInt8]) throws {
        let power = PowerOfAttorneyReader.read(bytes, name: (signature as NSString).lastPathComponent)
        guard power.parsed else {
            throw PodpisError(.dataFormat, power.error ?? "not a readable power of attorney", subject: signature)
        }
        if json {
            Console.out(String(decoding: try JSONEncoder.podpis().encode(power), as: UTF8.self))
            return
        }
        let catalogue = Catalogue.cli(languageOptions.language)
        // МЧД dates are Moscow calendar days (the reader keeps them as instants at the day's Moscow bounds).
        func day(_ date: Date?) -> String { date.map(MoscowTime.isoDay) ?? "—" }
        func person(_ who: PowerOfAttorneyEvidence.Person) -> String {
            let snils = who.snils.map { digits -> String in
                let d = Array(digits)
                guard d.count == 11 else { return "СНИЛС \(digits)" }
                return "СНИЛС \(String(d[0..<3]))-\(String(d[3..<6]))-\(String(d[6..<9])) \(String(d[9..<11]))"
            }
            let parts = [who.name, who.position, snils, who.inn.map { "ИНН \($0)" }].compactMap { $0 }
            return parts.isEmpty ? "—" : parts.joined(separator: ", ")
        }
        var lines = [catalogue.text("poa.inspect.heading", [
            "name": signature, "number": power.number ?? "—", "version": power.formatVersion ?? "—",
        ])]
        if power.kind == .redelegation {
            lines.append("  " + catalogue.text("poa.inspect.kind-redelegation", ["original": power.originalNumber ?? "—"]))
        } else if power.kind == .original {
            lines.append("  " + catalogue.text("poa.inspect.kind-original"))
        }
        lines.append("  " + catalogue.text("poa.inspect.validity", ["from": day(power.issued), "until": day(power.validUntil)]))
        if let parent = power.parentNumber { lines.append("  " + catalogue.text("poa.inspect.parent", ["parent": parent])) }
        let organisation = [power.principalOrganization, power.principalINNLE.map { "ИНН ЮЛ \($0)" }, power.principalOGRN.map { "ОГРН \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
        lines.append("  " + catalogue.text("poa.inspect.principal", ["organisation": organisation.isEmpty ? "—" : organisation,
                                                                      "signer": power.signersForPrincipal.map(person).joined(separator: "; ")]))
        for representative in power.allRepresentatives {
            lines.append("  " + catalogue.text("poa.inspect.representative", ["person": person(representative)]))
        }
        if let redelegation = power.redelegation { lines.append("  " + catalogue.text(.redelegation(redelegation))) }
        if let lost = power.powersLostOnRedelegation { lines.append("  " + catalogue.text(lost ? "poa.inspect.powers-lost" : "poa.inspect.powers-kept")) }
        lines.append("  " + catalogue.text("poa.inspect.powers", ["codes": power.powerCodes.isEmpty ? "—" : power.powerCodes.joined(separator: ", ")]))
        for item in power.powers ?? [] where item.name != nil {
            lines.append("  " + catalogue.text("poa.inspect.power", ["code": item.code, "name": item.name ?? ""]))
        }
        for text in power.powerTexts where !text.isEmpty {
            lines.append("  " + catalogue.text("poa.inspect.power-text", ["text": text]))
        }
        lines.append("  " + catalogue.text("poa.inspect.unverified"))
        Console.out(lines.joined(separator: "\n"))
    }

    /// A signed PDF: each signature field, and the CMS inside it described as for a detached signature.
    private func inspectPDF() throws {
        let (fields, empty) = try SignedPDF(path: signature).fields
        let inspections = fields.map { field in field.cms.flatMap { try? Inspector.inspect($0, subject: signature + " «\(field.name)»") } }
        if json {
            struct Shown: Encodable {
                var field: SignedPDF.Field
                var inspection: Inspection?
                enum CodingKeys: String, CodingKey { case name, subFilter, documentTimestamp, byteRange, claimedTime, certification, cms }
                func encode(to encoder: any Encoder) throws {
                    var c = encoder.container(keyedBy: CodingKeys.self)
                    try c.encode(field.name, forKey: .name)
                    try c.encodeIfPresent(field.subFilter, forKey: .subFilter)
                    try c.encode(field.documentTimestamp, forKey: .documentTimestamp)
                    try c.encode(field.byteRange, forKey: .byteRange)
                    try c.encodeIfPresent(field.claimedTime, forKey: .claimedTime)
                    try c.encodeIfPresent(field.certification, forKey: .certification)
                    try c.encodeIfPresent(inspection, forKey: .cms)
                }
            }
            struct Listing: Encodable { var fields: [Shown]; var emptyFields: [String] }
            let listing = Listing(fields: zip(fields, inspections).map { Shown(field: $0, inspection: $1) }, emptyFields: empty)
            Console.out(String(decoding: try JSONEncoder.podpis().encode(listing), as: UTF8.self))
            return
        }
        let language = languageOptions.language
        let t = Catalogue.cli(language)
        var lines = [t.text("inspect.pdf.heading", ["name": signature, "count": "\(fields.count)"])]
        for (field, inspection) in zip(fields, inspections) {
            let range = field.byteRange.map(String.init).joined(separator: " ")
            lines.append(t.text(field.documentTimestamp ? "inspect.pdf.timestamp-field" : "inspect.pdf.field", [
                "field": field.name, "subfilter": field.subFilter ?? "—", "range": range,
            ]) + (field.certification.map { " " + t.text("inspect.pdf.certification", ["p": "\($0)"]) } ?? ""))
            if let inspection {
                lines += Self.lines(inspection, name: field.name, language: language).map { "  " + $0 }
            } else {
                lines.append("  " + t.text("inspect.pdf.unreadable"))
            }
        }
        if !empty.isEmpty { lines.append(t.text("inspect.pdf.empty", ["fields": empty.joined(separator: ", ")])) }
        Console.out(lines.joined(separator: "\n"))
    }

    private func inspectContainer() throws {
        let container = try ASiCContainer(path: signature).inspect()
        if json {
            Console.out(String(decoding: try JSONEncoder.podpis().encode(container), as: UTF8.self))
            return
        }
        let catalogue = Catalogue.cli(languageOptions.language)
        var lines = [catalogue.text("container.heading", ["type": container.type, "name": signature])]
        lines += container.files.map { "  \($0.name)\t\($0.size)" }
        for entry in container.signatures {
            let key: MessageKey = entry.covers.isEmpty ? "container.covers-nothing" : "container.covers"
            lines.append(catalogue.text(key, [
                "signature": entry.name, "file": entry.manifest ?? "—", "files": entry.covers.joined(separator: ", "),
            ]))
            if let cms = entry.cms {
                lines += Self.lines(cms, name: entry.name, language: catalogue.language).map { "  " + $0 }
            } else {
                lines.append("  " + catalogue.text("container.signature-unreadable", ["reason": entry.problem ?? "?"]))
            }
        }
        for manifest in container.orphanManifests {
            lines.append(catalogue.text("container.orphan-manifest", ["file": manifest]))
        }
        Console.out(lines.joined(separator: "\n"))
    }

    /// The structure in words, in `language` (times in Moscow time).
    static func lines(_ inspection: Inspection, name: String, language: Language = Console.language) -> [String] {
        let t = Catalogue.cli(language)
        let zone = language == .ru ? "МСК" : "MSK"
        func time(_ date: Date) -> String { MoscowTime.format(date) + " " + zone }
        func readable(_ rfc2253: String) -> String { SubjectText.render(rfc2253, language: language) }
        var lines: [String] = []
        lines.append(t.text("inspect.summary", [
            "name": name, "encoding": inspection.encoding.uppercased(), "content": t.text(.inspectContent(inspection.content)),
        ]) + (inspection.contentSize.map { t.text("inspect.inside", ["size": "\($0)"]) } ?? ""))
        if let stamp = inspection.timestamp {
            lines.append(t.text("inspect.timestamp", ["time": time(stamp.genTime), "tsa": stamp.tsa ?? t.text("inspect.unknown-tsa")]))
            lines.append("  " + t.text("inspect.timestamp.imprint", ["algorithm": stamp.imprintAlgorithm, "imprint": stamp.imprint, "serial": stamp.serial])
                + (stamp.policy.map { t.text("inspect.timestamp.policy", ["policy": $0]) } ?? ""))
        }
        for signer in inspection.signers {
            let level = (signer.level == .cms ? "CMS" : "CAdES-\(signer.level.rawValue)") + (signer.profile.map { " (\($0))" } ?? "")
            lines.append(t.text("inspect.signer", ["id": signer.id, "name": signer.certificate.map(readable) ?? signer.identifierValue]))
            lines.append("  " + t.text("inspect.level", ["level": level, "signature": signer.signature, "digest": signer.digest]))
            if let counters = signer.counterSignatures, !counters.isEmpty {
                lines.append("  " + t.text("inspect.counter-signatures", ["list": counters.joined(separator: ", ")]))
            }
            if let signingTime = signer.signingTime { lines.append("  " + t.text("inspect.signing-time", ["time": time(signingTime)])) }
            lines.append("  " + t.text("inspect.signed-attributes", ["list": signer.signedAttributes.joined(separator: ", ")]))
            if !signer.unsignedAttributes.isEmpty {
                lines.append("  " + t.text("inspect.unsigned-attributes", ["list": signer.unsignedAttributes.joined(separator: ", ")]))
            }
        }
        for cert in inspection.certificates {
            lines.append(t.text("inspect.certificate", ["subject": readable(cert.subject)]))
            lines.append("  " + t.text("inspect.issuer", ["issuer": readable(cert.issuer), "serial": cert.serial]))
            lines.append("  " + t.text("inspect.validity", [
                "from": time(cert.notBefore), "until": time(cert.notAfter), "key": cert.keyType.rawValue, "bits": "\(cert.keyBits)",
                "kind": t.text(cert.isCA ? "inspect.ca" : "inspect.end-entity"),
            ]))
        }
        for crl in inspection.crls {
            lines.append(t.text("inspect.crl", ["issuer": readable(crl.issuer), "time": crl.thisUpdate.map(time) ?? "?"]))
        }
        return lines
    }
}

extension MessageKey {
    /// `poa.inspect.redelegation-1` … `-3`: a power of attorney's redelegation clause (its code in the МЧД format).
    static func redelegation(_ code: String) -> MessageKey { MessageKey("poa.inspect.redelegation-" + code) }

    /// `inspect.content.attached`, `inspect.content.detached`: whether a CMS signature carries its document.
    static func inspectContent(_ content: String) -> MessageKey { MessageKey("inspect.content." + content) }
}
