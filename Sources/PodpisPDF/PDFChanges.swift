import EvidenceModel
import Foundation

/// What each object in one revision of a PDF is for: the facts the change analysis needs to say what an incremental
/// update did (a field filled, a signature added, an annotation, validation data, or something else).
struct PDFRoles {
    var catalog: String?
    var acroForm: String?
    var fieldsArray: String?
    /// Terminal fields by object.
    var fields: [String: PDFField] = [:]
    /// Widget annotations by object → their field's full name.
    var widgets: [String: String] = [:]
    /// Signature dictionaries by object → field name; document timestamps among them.
    var signatureDictionaries: [String: String] = [:]
    var documentTimestamps: Set<String> = []
    /// Names of signature fields that hold a signature.
    var signedFields: Set<String> = []
    var fieldsByName: [String: PDFField] = [:]
    var pages: Set<String> = []
    /// Indirect `/Annots` arrays → their page.
    var annotsArrays: [String: String] = [:]
    /// Non-widget annotations on pages.
    var annotations: Set<String> = []
    /// Appearance streams (`/AP`) → the field they draw.
    var appearances: [String: String] = [:]
    /// The DSS dictionary and everything it holds.
    var validationData: Set<String> = []
    var info: String?
    var metadata: String?

    static let maxReferences = 200_000

    init(_ document: QPDFDocument) throws {
        let trailer = try document.trailer()
        let root = try document.root()
        catalog = root.referenceText
        info = try trailer.get("/Info")?.referenceText
        metadata = try root.get("/Metadata")?.referenceText
        if let form = try root.get("/AcroForm") {
            acroForm = form.referenceText
            fieldsArray = try form.get("/Fields")?.referenceText
        }
        for field in try PDFFieldTree.fields(in: document) {
            fieldsByName[field.name] = field
            if let reference = field.object.referenceText { fields[reference] = field }
            for widget in field.widgets { if let reference = widget.referenceText { widgets[reference] = field.name } }
            if field.isSignature, let value = try field.object.get("/V"), value.isDictionary {
                signedFields.insert(field.name)
                if let reference = value.referenceText {
                    signatureDictionaries[reference] = field.name
                    if try value.get("/Type")?.name == "/DocTimeStamp" || value.get("/SubFilter")?.name == "/ETSI.RFC3161" {
                        documentTimestamps.insert(reference)
                    }
                }
            }
            for holder in [field.object] + field.widgets {
                guard let appearance = try holder.get("/AP"), appearance.isDictionary else { continue }
                for key in ["/N", "/R", "/D"] {
                    guard let entry = try appearance.get(key) else { continue }
                    if entry.isStream, let reference = entry.referenceText { appearances[reference] = field.name }
                    if entry.isDictionary {
                        if let reference = entry.referenceText { appearances[reference] = field.name }
                        for state in try entry.keys().prefix(64) {
                            if let stream = try entry.get(state), let reference = stream.referenceText { appearances[reference] = field.name }
                        }
                    }
                }
            }
        }
        let pageCount = try document.pageCount()
        for index in 0..<min(pageCount, 100_000) {
            let page = try document.page(index)
            guard let reference = page.referenceText else { continue }
            pages.insert(reference)
            guard let annots = try page.get("/Annots"), annots.isArray else { continue }
            if let arrayReference = annots.referenceText { annotsArrays[arrayReference] = reference }
            for annotation in try annots.items(limit: 10_000) {
                guard let annotationReference = annotation.referenceText else { continue }
                if try annotation.get("/Subtype")?.name != "/Widget" { annotations.insert(annotationReference) }
            }
            guard annotations.count < Self.maxReferences else { break }
        }
        if let dss = try root.get("/DSS") {
            try collect(dss, into: &validationData, depth: 0)
        }
    }

    /// Every indirect object reachable from `object` (the DSS and its VRI), bounded.
    private func collect(_ object: PDFObject, into set: inout Set<String>, depth: Int) throws {
        guard depth < 6, set.count < Self.maxReferences else { return }
        if let reference = object.referenceText {
            guard set.insert(reference).inserted else { return }
        }
        if object.isArray {
            for item in try object.items(limit: Self.maxReferences) { try collect(item, into: &set, depth: depth + 1) }
        } else if !object.isStream, object.isDictionary {
            for key in try object.keys().prefix(Self.maxReferences) {
                if let value = try object.get(key) { try collect(value, into: &set, depth: depth + 1) }
            }
        }
    }
}

/// Works out what one incremental update changed, object by object, against the revision before it.
struct PDFChangeAnalysis {
    let revision: Int
    let before: QPDFDocument
    let after: QPDFDocument
    let beforeRoles: PDFRoles
    let afterRoles: PDFRoles
    /// `/Size` of the earlier revision: object numbers below it were already counted there.
    let beforeSize: Int64
    private(set) var changes: [PDFChange] = []

    init(revision: Int, before: QPDFDocument, after: QPDFDocument, beforeRoles: PDFRoles, afterRoles: PDFRoles, beforeSize: Int64) {
        self.revision = revision
        self.before = before
        self.after = after
        self.beforeRoles = beforeRoles
        self.afterRoles = afterRoles
        self.beforeSize = beforeSize
    }

    mutating func add(_ kind: PDFChange.Kind, _ detail: String, object: String? = nil, field: String? = nil) {
        let change = PDFChange(revision: revision, kind: kind, object: object, field: field, detail: detail)
        if !changes.contains(change), changes.count < 256 { changes.append(change) }
    }

    /// Classifies the objects the revision's cross-reference sections define.
    mutating func analyse(_ defined: [Int: PDFStructure.Entry]) throws {
        for (number, entry) in defined.sorted(by: { $0.key < $1.key }) where entry.type != 0 && number > 0 {
            let generation = entry.type == 1 ? Int(entry.field3) : 0
            try classify(number: number, generation: generation)
        }
    }

    static func same(_ a: PDFObject, _ b: PDFObject) throws -> Bool {
        guard a.isStream == b.isStream else { return false }
        guard try a.unparsed() == b.unparsed() else { return false }
        return a.isStream ? try a.rawStreamData() == b.rawStreamData() : true
    }

    /// Keys whose values differ (added, removed or changed).
    static func changedKeys(_ a: PDFObject, _ b: PDFObject) throws -> Set<String> {
        let keysA = Set(try a.keys()), keysB = Set(try b.keys())
        var changed = keysA.symmetricDifference(keysB)
        for key in keysA.intersection(keysB) {
            guard let x = try a.get(key), let y = try b.get(key) else {
                changed.insert(key)
                continue
            }
            if x.isIndirect || y.isIndirect {
                if x.referenceText != y.referenceText { changed.insert(key) }
            } else if try !same(x, y) {
                changed.insert(key)
            }
        }
        return changed
    }

    static func isPlumbing(_ object: PDFObject) throws -> Bool {
        guard object.isStream else { return false }
        let type = try object.get("/Type")?.name
        return type == "/XRef" || type == "/ObjStm"
    }

    mutating func classify(number: Int, generation: Int) throws {
        let reference = "\(number) \(generation)"
        let now = try after.object(number, generation)
        let old = try before.object(number, generation)
        if now.isNull && old.isNull { return }
        if try Self.isPlumbing(now) { return }
        if old.isNull {
            try classifyNew(now, reference: reference, number: number)
            return
        }
        if try Self.same(old, now) { return }
        if reference == afterRoles.catalog {
            try compareCatalog(old, now)
        } else if reference == afterRoles.acroForm {
            try compareForm(old, now, reference: reference)
        } else if reference == afterRoles.fieldsArray {
            try compareFieldList(old, now)
        } else if let field = beforeRoles.signatureDictionaries[reference] {
            add(.other, "the signature dictionary of field «\(field)» was changed", object: reference, field: field)
        } else if let field = afterRoles.fields[reference] ?? beforeRoles.fields[reference] {
            try compareField(old, now, field: field, reference: reference)
        } else if let name = afterRoles.widgets[reference] ?? beforeRoles.widgets[reference] {
            try compareWidget(old, now, fieldName: name, reference: reference)
        } else if afterRoles.pages.contains(reference) {
            let keys = try Self.changedKeys(old, now)
            if keys == ["/Annots"] {
                try compareAnnotations(try old.get("/Annots"), try now.get("/Annots"), page: reference)
            } else {
                add(.other, "page object \(reference) changed (\(keys.sorted().joined(separator: ", ")))", object: reference)
            }
        } else if let page = afterRoles.annotsArrays[reference] {
            try compareAnnotations(old, now, page: page)
        } else if afterRoles.annotations.contains(reference) || beforeRoles.annotations.contains(reference) {
            add(.annotation, "annotation \(reference) changed", object: reference)
        } else if let name = afterRoles.appearances[reference] {
            try appearanceChanged(of: name, reference: reference)
        } else if afterRoles.validationData.contains(reference) || beforeRoles.validationData.contains(reference) {
            add(.longTermValidation, "validation data (DSS) updated")
        } else if reference == afterRoles.info || reference == afterRoles.metadata {
            add(.metadata, "document metadata changed", object: reference)
        } else {
            let type = try now.get("/Type")?.name ?? now.get("/Subtype")?.name ?? (now.isStream ? "stream" : "object")
            add(.other, "object \(reference) (\(type)) changed", object: reference)
        }
    }

    mutating func classifyNew(_ object: PDFObject, reference: String, number: Int) throws {
        if let field = afterRoles.signatureDictionaries[reference] {
            if afterRoles.documentTimestamps.contains(reference) {
                add(.longTermValidation, "document timestamp added in field «\(field)»", object: reference, field: field)
            } else {
                add(.signature, "signature added in field «\(field)»", object: reference, field: field)
            }
        } else if afterRoles.validationData.contains(reference) {
            add(.longTermValidation, "validation data (DSS) updated")
        } else if let field = afterRoles.fields[reference] {
            if field.isSignature {
                add(.signature, "signature field «\(field.name)» added", object: reference, field: field.name)
            } else {
                add(.other, "form field «\(field.name)» added", object: reference, field: field.name)
            }
        } else if afterRoles.annotations.contains(reference) {
            add(.annotation, "annotation \(reference) added", object: reference)
        } else if afterRoles.widgets[reference] == nil, afterRoles.appearances[reference] == nil, Int64(number) < beforeSize {
            // An object number the earlier revision already counted but did not define: a reference made before
            // signing may now resolve to it.
            add(.other, "object \(reference) defined, which the signed revision referred to but lacked", object: reference)
        }
        // Other new objects are reachable only through a changed object, which is judged itself.
    }

    mutating func compareCatalog(_ old: PDFObject, _ now: PDFObject) throws {
        for key in try Self.changedKeys(old, now).sorted() {
            switch key {
            case "/DSS", "/Extensions":
                add(.longTermValidation, "validation data (DSS) updated")
            case "/Metadata":
                add(.metadata, "document metadata changed", object: afterRoles.catalog)
            case "/AcroForm":
                let a = try old.get("/AcroForm"), b = try now.get("/AcroForm")
                if let a, let b, !a.isIndirect, !b.isIndirect {
                    try compareForm(a, b, reference: afterRoles.catalog ?? "catalog")
                } else {
                    try compareFieldList(try a?.get("/Fields"), try b?.get("/Fields"))
                }
            default:
                add(.other, "the document catalog changed (\(key))", object: afterRoles.catalog)
            }
        }
    }

    mutating func compareForm(_ old: PDFObject, _ now: PDFObject, reference: String) throws {
        for key in try Self.changedKeys(old, now).sorted() {
            switch key {
            case "/Fields": try compareFieldList(try old.get("/Fields"), try now.get("/Fields"))
            case "/SigFlags": add(.signature, "signature flags of the form set", object: reference)
            case "/DR", "/DA", "/NeedAppearances": add(.formFill, "form defaults changed (\(key))", object: reference)
            default: add(.other, "the interactive form dictionary changed (\(key))", object: reference)
            }
        }
    }

    /// Terminal fields under a field object of the later revision.
    func terminalFields(under object: PDFObject) -> [PDFField] {
        guard let reference = object.referenceText else { return [] }
        if let field = afterRoles.fields[reference] { return [field] }
        let prefix = (try? object.get("/T")?.text) ?? nil
        guard let prefix else { return [] }
        return afterRoles.fieldsByName.values.filter { $0.name.hasPrefix(prefix + ".") }
    }

    mutating func compareFieldList(_ old: PDFObject?, _ now: PDFObject?) throws {
        let before = try old?.items(limit: 100_000) ?? []
        let after = try now?.items(limit: 100_000) ?? []
        let beforeRefs = Set(before.compactMap(\.referenceText))
        let afterRefs = Set(after.compactMap(\.referenceText))
        for removed in beforeRefs.subtracting(afterRefs).sorted() {
            add(.other, "form field \(removed) removed", object: removed)
        }
        for item in after where !beforeRefs.contains(item.referenceText ?? "") {
            let terminals = terminalFields(under: item)
            if !terminals.isEmpty, terminals.allSatisfy(\.isSignature) {
                for field in terminals { add(.signature, "signature field «\(field.name)» added", object: item.referenceText, field: field.name) }
            } else {
                add(.other, "form field \(item.referenceText ?? "(direct)") added", object: item.referenceText)
            }
        }
    }

    mutating func compareField(_ old: PDFObject, _ now: PDFObject, field: PDFField, reference: String) throws {
        let keys = try Self.changedKeys(old, now)
        let wasSigned = beforeRoles.signedFields.contains(field.name)
        if field.isSignature {
            if !wasSigned, keys.isSubset(of: ["/V", "/AP", "/AS", "/MK", "/F"]) {
                add(.signature, "field «\(field.name)» signed", object: reference, field: field.name)
            } else if wasSigned {
                add(.other, "the signed signature field «\(field.name)» changed (\(keys.sorted().joined(separator: ", ")))", object: reference, field: field.name)
            } else {
                add(.other, "signature field «\(field.name)» changed (\(keys.sorted().joined(separator: ", ")))", object: reference, field: field.name)
            }
        } else if keys.isSubset(of: ["/V", "/AS", "/AP", "/RV"]) {
            add(.formFill, "form field «\(field.name)» filled", object: reference, field: field.name)
        } else {
            add(.other, "form field «\(field.name)» changed (\(keys.sorted().joined(separator: ", ")))", object: reference, field: field.name)
        }
    }

    mutating func compareWidget(_ old: PDFObject, _ now: PDFObject, fieldName: String, reference: String) throws {
        let keys = try Self.changedKeys(old, now)
        guard keys.isSubset(of: ["/AS", "/AP", "/MK"]) else {
            add(.other, "the widget of field «\(fieldName)» changed (\(keys.sorted().joined(separator: ", ")))", object: reference, field: fieldName)
            return
        }
        try appearanceChanged(of: fieldName, reference: reference)
    }

    mutating func appearanceChanged(of fieldName: String, reference: String) throws {
        let field = afterRoles.fieldsByName[fieldName]
        if field?.isSignature == true {
            if beforeRoles.signedFields.contains(fieldName) {
                add(.other, "the appearance of the signed field «\(fieldName)» changed", object: reference, field: fieldName)
            } else {
                add(.signature, "field «\(fieldName)» signed", object: reference, field: fieldName)
            }
        } else {
            add(.formFill, "form field «\(fieldName)» filled", object: reference, field: fieldName)
        }
    }

    mutating func compareAnnotations(_ old: PDFObject?, _ now: PDFObject?, page: String) throws {
        let before = try old?.items(limit: 10_000) ?? []
        let after = try now?.items(limit: 10_000) ?? []
        let beforeRefs = Set(before.compactMap(\.referenceText))
        let afterRefs = Set(after.compactMap(\.referenceText))
        if before.count != beforeRefs.count || after.count != afterRefs.count {
            add(.other, "page \(page): annotations written directly into the page changed", object: page)
        }
        for removed in beforeRefs.subtracting(afterRefs).sorted() {
            if beforeRoles.widgets[removed] != nil {
                add(.other, "page \(page): the widget of a form field removed", object: removed)
            } else {
                add(.annotation, "page \(page): annotation \(removed) removed", object: removed)
            }
        }
        for added in afterRefs.subtracting(beforeRefs).sorted() {
            if let name = afterRoles.widgets[added] {
                if afterRoles.fieldsByName[name]?.isSignature == true {
                    add(.signature, "signature field «\(name)» placed on page \(page)", object: added, field: name)
                } else {
                    add(.other, "page \(page): a widget of form field «\(name)» added", object: added, field: name)
                }
            } else {
                add(.annotation, "page \(page): annotation \(added) added", object: added)
            }
        }
    }
}
