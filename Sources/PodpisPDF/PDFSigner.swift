import Foundation
import SigningCore

/// Writes PAdES signatures, validation data and document timestamps into a PDF as incremental updates
/// (ETSI EN 319 142-1; ISO 32000-1, 12.8). The cryptography is the caller's: it gets the bytes the byte range covers
/// and returns the CMS (or the timestamp token), made by SigningCore.
public enum PDFSigning {
    public struct Options: Sendable {
        /// The signature field's name; nil picks `Signature1`, `Signature2`, ... (or fills the first empty one).
        public var fieldName: String?
        /// Certify (DocMDP, ISO 32000-1 12.8.2.2) with this permission: 1 no changes, 2 forms and signing, 3 also annotations.
        public var certify: Int?
        public var reason: String?
        public var location: String?
        /// `/M`: the claimed signing time.
        public var signingTime: Date
        /// Bytes reserved for the CMS (grown and retried when the CMS does not fit).
        public var reserve: Int

        public init(fieldName: String? = nil, certify: Int? = nil, reason: String? = nil, location: String? = nil,
                    signingTime: Date = Date(), reserve: Int = 16 << 10) {
            self.fieldName = fieldName
            self.certify = certify
            self.reason = reason
            self.location = location
            self.signingTime = signingTime
            self.reserve = reserve
        }
    }

    /// The file opened for writing an update.
    struct Opened {
        let bytes: PDFBytes
        let structure: PDFStructure
        let document: QPDFDocument
    }

    static func open(_ pdf: [UInt8], name: String?) throws -> Opened {
        func fail(_ message: String) -> PodpisError {
            PodpisError(.dataFormat, .pdfUnreadable, ["detail": message], subject: name)
        }
        let bytes = PDFBytes(pdf)
        do {
            let structure = try PDFStructure(bytes.buffer)
            let last = structure.revisions[structure.revisions.count - 1]
            if last.trailer["/Encrypt"] != nil {
                throw PodpisError(.dataFormat, .pdfEncrypted, subject: name)
            }
            if structure.trailingBytes > 0 {
                throw fail("\(structure.trailingBytes) bytes follow the last %%EOF; an update after them would leave them unsigned")
            }
            return Opened(bytes: bytes, structure: structure, document: try QPDFDocument(bytes, length: last.end))
        } catch let failure as PDFStructure.Failure {
            throw fail(failure.description)
        } catch let failure as QPDFDocument.Failure {
            throw fail(failure.description)
        }
    }

    /// Signs `pdf`: a new revision with a signature field (or the first empty one) whose `/Contents` is the CMS `sign`
    /// makes over the bytes the byte range covers (`/SubFilter /ETSI.CAdES.detached`).
    public static func sign(pdf: [UInt8], name: String?, options: Options, sign: ([UInt8]) throws -> [UInt8]) throws -> [UInt8] {
        try wrap(name) {
            try insert(pdf: pdf, name: name, reserve: options.reserve, timestamp: false, options: options, make: sign)
        }
    }

    /// Adds a document timestamp (`/Type /DocTimeStamp`, `/SubFilter /ETSI.RFC3161`): `token` gets the covered bytes
    /// and returns an RFC 3161 token over them. It proves when every earlier revision existed (PAdES-LTA).
    public static func addDocumentTimestamp(pdf: [UInt8], name: String?, reserve: Int = 12 << 10, token: ([UInt8]) throws -> [UInt8]) throws -> [UInt8] {
        try wrap(name) {
            try insert(pdf: pdf, name: name, reserve: reserve, timestamp: true, options: Options(), make: token)
        }
    }

    static func wrap<T>(_ name: String?, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as PDFStructure.Failure {
            throw PodpisError(.dataFormat, .pdfUnreadable, ["detail": failure.description], subject: name)
        } catch let failure as QPDFDocument.Failure {
            throw PodpisError(.dataFormat, .pdfUnreadable, ["detail": failure.description], subject: name)
        }
    }

    struct TooSmall: Error { let needed: Int }

    static func insert(pdf: [UInt8], name: String?, reserve: Int, timestamp: Bool, options: Options,
                       make: ([UInt8]) throws -> [UInt8]) throws -> [UInt8] {
        var reserve = reserve
        for _ in 0..<4 {
            do {
                return try insertOnce(pdf: pdf, name: name, reserve: reserve, timestamp: timestamp, options: options, make: make)
            } catch let small as TooSmall {
                reserve = small.needed + 4096
            }
        }
        throw PodpisError(.software, "the signature does not fit the space reserved for it", subject: name)
    }

    static func insertOnce(pdf: [UInt8], name: String?, reserve: Int, timestamp: Bool, options: Options,
                           make: ([UInt8]) throws -> [UInt8]) throws -> [UInt8] {
        let opened = try open(pdf, name: name)
        let document = opened.document
        let root = try document.root()
        let fields = try PDFFieldTree.fields(in: document)
        let signed = try fields.filter { try $0.isSignature && $0.object.get("/V") != nil }
        if options.certify != nil, !signed.isEmpty {
            throw PodpisError(.usage, "a certification signature must be the first in the document, and this one is signed already", subject: name)
        }
        if let certification = try root.get("/Perms")?.get("/DocMDP"),
           let transforms = try certification.get("/Reference")?.items(limit: 16) {
            for transform in transforms where try transform.get("/TransformMethod")?.name == "/DocMDP" {
                let permission = try transform.get("/TransformParams")?.get("/P")?.int ?? 2
                if permission == 1 {
                    throw PodpisError(.usage, "the document is certified with no changes allowed: another signature would invalidate the certification", subject: name)
                }
            }
        }

        var update = try PDFIncrementalUpdate(base: pdf, structure: opened.structure)
        var catalog = try root.editable()
        var catalogChanged = false

        // The signature dictionary, with fixed-width placeholders for the byte range and the contents.
        let signatureNumber = update.allocate()
        var entries: [String: PDFValue] = ["/Filter": .name("/Adobe.PPKLite")]
        if timestamp {
            entries["/Type"] = .name("/DocTimeStamp")
            entries["/SubFilter"] = .name("/ETSI.RFC3161")
        } else {
            entries["/Type"] = .name("/Sig")
            entries["/SubFilter"] = .name("/ETSI.CAdES.detached")
            entries["/M"] = .string(Array(PDFDate.format(options.signingTime).utf8))
            if let reason = options.reason { entries["/Reason"] = PDFSerializer.text(reason) }
            if let location = options.location { entries["/Location"] = PDFSerializer.text(location) }
            if let permission = options.certify {
                entries["/Reference"] = .array([.dictionary([
                    "/Type": .name("/SigRef"), "/TransformMethod": .name("/DocMDP"),
                    "/TransformParams": .dictionary(["/Type": .name("/TransformParams"), "/P": .int(Int64(permission)), "/V": .name("/1.2")]),
                ])])
            }
        }
        var body = PDFSerializer.bytes(.dictionary(entries))
        body.removeLast(2)  // ">>"
        let placeholder = "0000000000"
        body += Array("/ByteRange [0 \(placeholder) \(placeholder) \(placeholder)] /Contents <".utf8)
        body += [UInt8](repeating: 0x30, count: reserve * 2)
        body += Array("> >>".utf8)
        update.set(signatureNumber, .raw(body))
        let signatureReference = PDFValue.reference(signatureNumber, 0)
        if let permission = options.certify, !timestamp {
            _ = permission
            catalog = catalog.setting("/Perms", .dictionary(["/DocMDP": signatureReference]))
            catalogChanged = true
        }

        // The field: the first empty signature field with the wanted name (or any, without a name), else a new one.
        let wanted = options.fieldName
        let empty = try fields.first { field in
            guard field.isSignature, try field.object.get("/V") == nil else { return false }
            return wanted.map { $0 == field.name } ?? !timestamp
        }
        if let wanted, empty == nil, fields.contains(where: { $0.name == wanted }) {
            throw PodpisError(.usage, "the document already has a field named «\(wanted)»", subject: name)
        }
        if let empty, let reference = empty.object.reference {
            update.set(reference.number, generation: reference.generation, .value(try empty.object.editable().setting("/V", signatureReference)))
        } else {
            let names = Set(fields.map(\.name))
            let base = timestamp ? "DocTimeStamp" : "Signature"
            let fieldName = wanted ?? (1...).lazy.map { "\(base)\($0)" }.first { !names.contains($0) }!
            let page = try document.page(0)
            guard let pageReference = page.referenceValue else { throw PDFStructure.Failure("the document has no pages") }
            let field = update.add(.value(.dictionary([
                "/FT": .name("/Sig"), "/T": PDFSerializer.text(fieldName), "/V": signatureReference,
                "/Type": .name("/Annot"), "/Subtype": .name("/Widget"), "/Rect": .array([.int(0), .int(0), .int(0), .int(0)]),
                "/F": .int(132), "/P": pageReference,
            ])))
            // The widget on the first page.
            if let annots = try page.get("/Annots"), let reference = annots.reference {
                let items = (try annots.editable().array ?? []) + [field]
                update.set(reference.number, generation: reference.generation, .value(.array(items)))
            } else {
                let items = (try page.get("/Annots")?.editable().array ?? []) + [field]
                guard let reference = page.reference else { throw PDFStructure.Failure("the first page is not an indirect object") }
                update.set(reference.number, generation: reference.generation, .value(try page.editable().setting("/Annots", .array(items))))
            }
            // The field in the form.
            if let form = try root.get("/AcroForm"), form.isDictionary {
                var formValue = try form.editable()
                if let list = try form.get("/Fields"), let reference = list.reference {
                    update.set(reference.number, generation: reference.generation, .value(.array((try list.editable().array ?? []) + [field])))
                } else {
                    formValue = formValue.setting("/Fields", .array((try form.get("/Fields")?.editable().array ?? []) + [field]))
                }
                formValue = formValue.setting("/SigFlags", .int(3))
                if let reference = form.reference {
                    update.set(reference.number, generation: reference.generation, .value(formValue))
                } else {
                    catalog = catalog.setting("/AcroForm", formValue)
                    catalogChanged = true
                }
            } else {
                catalog = catalog.setting("/AcroForm", .dictionary(["/Fields": .array([field]), "/SigFlags": .int(3)]))
                catalogChanged = true
            }
        }
        if catalogChanged, let reference = root.reference {
            update.set(reference.number, generation: reference.generation, .value(catalog))
        }

        var (out, offsets) = update.write()
        // Fill in the byte range, then the contents.
        guard let start = offsets[signatureNumber],
              let rangeAt = find(Array("/ByteRange [".utf8), in: out, from: start),
              let contentsAt = find(Array("/Contents <".utf8), in: out, from: start) else {
            throw PodpisError(.software, "cannot find the signature placeholder")
        }
        let holeStart = contentsAt + "/Contents ".utf8.count
        let holeEnd = holeStart + 2 + reserve * 2
        let tail = out.count - holeEnd
        let numbers = "0 \(holeStart) \(holeEnd) \(tail)"
        let width = 1 + 3 * (placeholder.count + 1)
        guard numbers.utf8.count <= width else { throw PodpisError(.software, "the file is too large to sign") }
        let padded = Array((numbers + String(repeating: " ", count: width - numbers.utf8.count)).utf8)
        let rangeStart = rangeAt + "/ByteRange [".utf8.count
        out.replaceSubrange(rangeStart..<(rangeStart + width), with: padded)
        var covered = Array(out[0..<holeStart])
        covered += out[holeEnd..<out.count]
        let value = try make(covered)
        guard value.count <= reserve else { throw TooSmall(needed: value.count) }
        let hex = PDFSerializer.hex(value)
        out.replaceSubrange((holeStart + 1)..<(holeStart + 1 + hex.count), with: hex)
        return out
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    /// The CMS of the newest signature (not document timestamp) in the file, without its padding.
    public static func newestSignature(pdf: [UInt8], name: String?) throws -> [UInt8] {
        let opened = try wrap(name) { try open(pdf, name: name) }
        var newest: (end: Int64, contents: [UInt8])? = nil
        try wrap(name) {
            for field in try PDFFieldTree.fields(in: opened.document) where field.isSignature {
                guard let value = try field.object.get("/V"), value.isDictionary else { continue }
                let signature = try PDFSignatureDictionary(field: field, dictionary: value)
                guard !signature.isDocumentTimestamp, signature.byteRange.count == 4 else { continue }
                let end = signature.byteRange[2] + signature.byteRange[3]
                if newest.map({ end > $0.end }) ?? true { newest = (end, signature.contents) }
            }
        }
        guard let newest, let der = SignedPDF.trimmedDER(newest.contents) else {
            throw PodpisError(.dataFormat, .pdfUnsigned, subject: name)
        }
        return der
    }

    /// Adds validation data (PAdES-LT): a document security store holding the certificates, CRLs and OCSP responses,
    /// merged with the one already there (ETSI EN 319 142-1, 5.4.2; ISO 32000-2, 12.8.4.3).
    public static func addValidationData(pdf: [UInt8], name: String?, certificates: [[UInt8]], crls: [[UInt8]],
                                         ocspResponses: [[UInt8]]) throws -> [UInt8] {
        try wrap(name) {
            let opened = try open(pdf, name: name)
            let root = try opened.document.root()
            var update = try PDFIncrementalUpdate(base: pdf, structure: opened.structure)
            let existing = try DocumentSecurityStore(opened.document)
            let dss = try root.get("/DSS")
            func entries(_ key: String, _ have: [[UInt8]], _ new: [[UInt8]]) throws -> PDFValue {
                var items = try dss?.get(key)?.items(limit: DocumentSecurityStore.maxEntries).compactMap(\.referenceValue) ?? []
                var seen = Set(have.map { $0 })
                for der in new where seen.insert(der).inserted {
                    items.append(update.add(.stream(["/Filter": .name("/FlateDecode")], Flate.deflate(der))))
                }
                return .array(items)
            }
            var dictionary: [String: PDFValue] = ["/Type": .name("/DSS")]
            dictionary["/Certs"] = try entries("/Certs", existing.certificates, certificates)
            dictionary["/CRLs"] = try entries("/CRLs", existing.crls, crls)
            dictionary["/OCSPs"] = try entries("/OCSPs", existing.ocspResponses, ocspResponses)
            if let vri = try dss?.get("/VRI") { dictionary["/VRI"] = try vri.referenceValue ?? vri.editable() }
            let reference = update.add(.value(.dictionary(dictionary)))
            guard let rootReference = root.reference else { throw PDFStructure.Failure("the catalog is not an indirect object") }
            update.set(rootReference.number, generation: rootReference.generation, .value(try root.editable().setting("/DSS", reference)))
            return update.write().bytes
        }
    }
}
