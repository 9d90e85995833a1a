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
    /// The structure tree (tagged PDF): its root, parent and ID trees and structure elements. Adding a field or an
    /// annotation to a tagged document updates it; it does not change what a page shows.
    var structure: Set<String> = []
    var info: String?
    var metadata: String?
    /// The form's default resources (`/AcroForm /DR`), when indirect.
    var formResources: Set<String> = []
    /// Indirect `/Resources` dictionaries of pages → their page.
    var pageResources: [String: String] = [:]

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
            if let resources = try form.get("/DR") {
                if let reference = resources.referenceText { formResources.insert(reference) }
                if let fonts = try resources.get("/Font"), let reference = fonts.referenceText { formResources.insert(reference) }
            }
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
            if let resources = try page.get("/Resources"), let resourcesReference = resources.referenceText {
                pageResources[resourcesReference] = reference
            }
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
        if let tree = try root.get("/StructTreeRoot"), tree.isDictionary {
            if let reference = tree.referenceText { structure.insert(reference) }
            for key in ["/ParentTree", "/IDTree", "/K"] {
                if let value = try tree.get(key) { try collect(value, into: &structure, depth: 0, limit: 12, skipping: ["/P", "/Pg", "/Obj", "/Parent", "/Stm", "/StmOwn"]) }
            }
        }
    }

    /// Every indirect object reachable from `object` (the DSS and its VRI), bounded.
    private func collect(_ object: PDFObject, into set: inout Set<String>, depth: Int, limit: Int = 6,
                         skipping: Set<String> = []) throws {
        guard depth < limit, set.count < Self.maxReferences else { return }
        if let reference = object.referenceText {
            guard set.insert(reference).inserted else { return }
        }
        if object.isArray {
            for item in try object.items(limit: Self.maxReferences) { try collect(item, into: &set, depth: depth + 1, limit: limit, skipping: skipping) }
        } else if !object.isStream, object.isDictionary {
            for key in try object.keys().prefix(Self.maxReferences) where !skipping.contains(key) {
                if let value = try object.get(key) { try collect(value, into: &set, depth: depth + 1, limit: limit, skipping: skipping) }
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

    mutating func add(_ kind: PDFChange.Kind, _ detail: String, object: String? = nil, field: String? = nil, pageObject: Bool? = nil) {
        let change = PDFChange(revision: revision, kind: kind, object: object, field: field, detail: detail, pageObject: pageObject)
        if !changes.contains(change), changes.count < 256 { changes.append(change) }
    }

    /// Classifies the objects the revision's cross-reference sections define.
    mutating func analyse(_ defined: [Int: PDFStructure.Entry]) throws {
        for (number, entry) in defined.sorted(by: { $0.key < $1.key }) where entry.type != 0 && number > 0 {
            let generation = entry.type == 1 ? Int(entry.field3) : 0
            try classify(number: number, generation: generation)
        }
    }

    /// Whether two objects say the same: numbers by value (595 and 595.0 are one), dictionaries key by key, arrays
    /// item by item, references by their target's number, streams by dictionary and stored data.
    static func same(_ a: PDFObject, _ b: PDFObject, depth: Int = 0) throws -> Bool {
        if a.isIndirect || b.isIndirect, depth > 0 { return a.referenceText == b.referenceText }
        guard a.isStream == b.isStream else { return false }
        if a.isStream {
            guard let x = a.dictionaryLike, let y = b.dictionaryLike, try same(x, y, depth: depth + 1) else { return false }
            return try a.rawStreamData() == b.rawStreamData()
        }
        if let x = a.number, let y = b.number { return abs(x - y) < 1e-6 }
        guard depth < 16 else { return try a.unparsed() == b.unparsed() }
        if a.isArray, b.isArray {
            guard a.count == b.count else { return false }
            for index in 0..<a.count where try !same(a.item(index), b.item(index), depth: depth + 1) { return false }
            return true
        }
        if a.isDictionary, b.isDictionary {
            let keys = try a.keys().filter { $0 != "/ITXT" }
            guard Set(keys) == Set(try b.keys().filter { $0 != "/ITXT" }) else { return false }
            for key in keys {
                let x = try a.get(key), y = try b.get(key)
                guard let x, let y else {
                    if (x == nil) != (y == nil) { return false }
                    continue
                }
                if try !same(x, y, depth: depth + 1) { return false }
            }
            return true
        }
        return try a.unparsed() == b.unparsed()
    }

    /// Keys whose values differ (added, removed or changed).
    static func changedKeys(_ a: PDFObject, _ b: PDFObject) throws -> Set<String> {
        let keysA = Set(try a.keys()), keysB = Set(try b.keys())
        // iText stamps its version into /ITXT of objects it rewrites: it draws nothing (EU DSS skips it too).
        var changed = keysA.symmetricDifference(keysB).subtracting(["/ITXT"])
        for key in keysA.intersection(keysB) where key != "/ITXT" {
            guard let x = try a.get(key), let y = try b.get(key) else {
                changed.insert(key)
                continue
            }
            if try !same(x, y, depth: 1) { changed.insert(key) }
        }
        return changed
    }

    /// Whether a resource dictionary only gained entries: every name it had still means the same thing (so content
    /// written before cannot draw differently).
    static func onlyAdded(_ old: PDFObject?, _ now: PDFObject?) throws -> Bool {
        guard let now, now.isDictionary else { return old == nil }
        guard let old else { return true }  // nothing before (not even inherited): nothing could be redefined
        guard old.isDictionary else { return false }
        for key in try old.keys() {
            guard let before = try old.get(key) else { continue }
            guard let after = try now.get(key) else { return false }
            if key == "/ProcSet" { continue }  // obsolete, ignored by readers
            if before.isDictionary, after.isDictionary, !before.isStream, !after.isStream {
                for name in try before.keys() {
                    guard let x = try before.get(name) else { continue }
                    guard let y = try after.get(name), try same(x, y, depth: 1) else { return false }
                }
            } else if try !same(before, after, depth: 1) {
                return false
            }
        }
        return true
    }

    /// A page's resources, inherited from the page tree when the page has none (ISO 32000-1, 7.7.3.4).
    static func resources(of page: PDFObject) throws -> PDFObject? {
        var node: PDFObject? = page
        for _ in 0..<32 {
            guard let current = node else { return nil }
            if let resources = try current.get("/Resources") { return resources }
            node = try current.get("/Parent")
        }
        return nil
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
            var rest = keys
            if keys.contains("/Annots") {
                try compareAnnotations(try old.get("/Annots"), try now.get("/Annots"), page: reference)
                rest.remove("/Annots")
            }
            if rest.contains("/Resources"), try Self.onlyAdded(try Self.resources(of: old), try now.get("/Resources")) {
                add(.formFill, "page \(reference): resources added for new appearances (nothing existing changed)", object: reference)
                rest.remove("/Resources")
            }
            if !rest.isEmpty {
                add(.other, "page object \(reference) changed (\(rest.sorted().joined(separator: ", ")))", object: reference, pageObject: true)
            }
        } else if let page = afterRoles.pageResources[reference] {
            if try Self.onlyAdded(old, now) {
                add(.formFill, "page \(page): resources added for new appearances (nothing existing changed)", object: reference)
            } else {
                add(.other, "page object \(page) changed (its resources \(reference))", object: page, pageObject: true)
            }
        } else if afterRoles.formResources.contains(reference) || beforeRoles.formResources.contains(reference) {
            add(.formFill, "form default resources changed (/DR)", object: reference)
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
        } else if !now.isStream, afterRoles.structure.contains(reference) || beforeRoles.structure.contains(reference) {
            add(.metadata, "the document's structure tree (tags) updated", object: reference)
        } else {
            let type = try now.get("/Type")?.name ?? now.get("/Subtype")?.name ?? (now.isStream ? "stream" : "object")
            let keys = now.dictionaryLike != nil && old.dictionaryLike != nil ? try Self.changedKeys(old, now).sorted() : []
            add(.other, "object \(reference) (\(type)) changed\(keys.isEmpty ? "" : " (" + keys.joined(separator: ", ") + ")")", object: reference)
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
            case "/DSS", "/Extensions", "/Version":
                // Validation data, and the version or extension level it needs (ISO 32000-2, 7.12).
                add(.longTermValidation, "validation data (DSS) updated")
            case "/StructTreeRoot":
                add(.metadata, "the document's structure tree (tags) updated", object: afterRoles.catalog)
            case "/Names":
                // Acrobat keeps annotation icons in the /AP name tree; anything else there (scripts, files) is more.
                let a = try old.get("/Names"), b = try now.get("/Names")
                let keys: Set<String>
                if let a, let b { keys = try Self.changedKeys(a, b) } else { keys = Set(try (a ?? b)?.keys() ?? []) }
                if keys.isSubset(of: ["/AP"]) {
                    add(.annotation, "annotation appearances added to the name tree", object: afterRoles.catalog)
                } else {
                    add(.other, "the document catalog changed (/Names: \(keys.sorted().joined(separator: ", ")))", object: afterRoles.catalog)
                }
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
            if !wasSigned, keys.isSubset(of: ["/V", "/AP", "/AS", "/MK", "/F", "/DA"]) {
                add(.signature, "field «\(field.name)» signed", object: reference, field: field.name)
            } else if wasSigned {
                add(.other, "the signed signature field «\(field.name)» changed (\(keys.sorted().joined(separator: ", ")))", object: reference, field: field.name)
            } else {
                add(.other, "signature field «\(field.name)» changed (\(keys.sorted().joined(separator: ", ")))", object: reference, field: field.name)
            }
        } else if keys.isSubset(of: ["/V", "/AS", "/AP", "/RV", "/I", "/DA"]) {
            add(.formFill, "form field «\(field.name)» filled", object: reference, field: field.name)
        } else {
            add(.other, "form field «\(field.name)» changed (\(keys.sorted().joined(separator: ", ")))", object: reference, field: field.name)
        }
    }

    mutating func compareWidget(_ old: PDFObject, _ now: PDFObject, fieldName: String, reference: String) throws {
        let keys = try Self.changedKeys(old, now)
        guard keys.isSubset(of: ["/AS", "/AP", "/MK", "/DA"]) else {
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
