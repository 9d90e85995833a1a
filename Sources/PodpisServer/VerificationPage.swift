import EvidenceModel
import Foundation
import HTTPTypes
import Hummingbird
import PodpisReport
import PolicyEngine

/// `GET /`: the verification page for officials — a plain HTML form (no scripts at all) where a document and its
/// signature, an attached signature, or an ASiC container is chosen and sent; `POST /` verifies it through the same
/// endpoint as `POST /v1/verify` (the same limits, the same journal) and answers with the verification protocol.
///
/// Russian by default; `?lang=en` switches to English. Errors come back as a short page in the same language.
public struct VerificationPage: Sendable {
    let state: ServiceState

    /// The page's routes (not API: they answer HTML, so they are not in the OpenAPI document).
    public static let routes: [(method: String, path: String)] = [("GET", "/"), ("POST", "/")]

    /// The page's language: `?lang=en` for English, Russian otherwise.
    static func language(_ request: Request) -> Language {
        request.uri.queryParameters.get("lang").map { Language(parsing: $0) } ?? .ru
    }

    /// What every page of it carries: no scripts, no framing, forms posting only here.
    static let securityHeaders: HTTPFields = [
        .contentType: MediaType.htmlUTF8,
        HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
    ]

    func page(_ request: Request) -> Response {
        let language = Self.language(request)
        let snapshot = state.snapshot
        let now = Date()
        let policies = snapshot.catalog.registry.policies.values.sorted { $0.id < $1.id }.map { policy in
            (id: policy.id, title: policy.title.text(language), version: policy.version(at: now).version)
        }
        let html = Self.render(language: language, policies: policies, defaultPolicy: state.configuration.defaultPolicy,
                               maxBytes: state.configuration.maxInMemoryBytes, keyRequired: !state.configuration.apiKeyHashes.isEmpty)
        return Response(status: .ok, headers: Self.securityHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Verifies what the form sent with ``VerifyEndpoint`` (asking it for HTML) and answers the protocol; a problem
    /// (no signature, too large, not a container…) becomes a short page saying what went wrong.
    func submit(_ request: Request, context: some RequestContext, verify: VerifyEndpoint) async throws -> Response {
        let language = Self.language(request)
        var head = request.head
        head.headerFields[.accept] = MediaType.html
        do {
            var response = try await verify.handle(Request(head: head, body: request.body), context: context)
            response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
            response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            return response
        } catch let problem as Problem {
            let html = Self.renderProblem(problem, language: language)
            return Response(status: problem.status, headers: Self.securityHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }

    func register(on router: Router<BasicRequestContext>, verifying: RouterGroup<BasicRequestContext>, verify: VerifyEndpoint) {
        router.get("/") { request, _ in self.page(request) }
        verifying.post("/") { request, context in try await self.submit(request, context: context, verify: verify) }
    }

    // MARK: rendering

    static func escape(_ text: String) -> String { MarkupEscaping.escape(text) }

    static let style = """
        body{font-family:"PT Sans","Liberation Sans",Arial,sans-serif;margin:0;background:#f4f5f7;color:#1d2430}
        header{background:#1f3a5f;color:#fff;padding:18px 32px}header h1{margin:0;font-size:24px}
        header p{margin:6px 0 0;opacity:.85}nav{float:right}nav a{color:#fff}
        main{max-width:860px;margin:24px auto;padding:0 16px}
        form{background:#fff;border:1px solid #d5d9e0;border-radius:6px;padding:18px 22px;margin-bottom:18px}
        h2{font-size:18px;margin:0 0 12px}label{display:block;margin:10px 0 4px;font-weight:bold}
        input[type=file],select{font-size:15px;max-width:100%}button{margin-top:14px;font-size:16px;padding:8px 22px;background:#1f3a5f;color:#fff;border:0;border-radius:4px}
        .hint{color:#596273;font-size:14px;margin:4px 0 0}footer{max-width:860px;margin:0 auto 32px;padding:0 16px;color:#596273;font-size:13px}
        .problem{background:#fff4f4;border:1px solid #e2a3a3;border-radius:6px;padding:18px 22px}
        """

    static func render(language: Language, policies: [(id: String, title: String, version: String)], defaultPolicy: String,
                       maxBytes: Int, keyRequired: Bool) -> String {
        let t = Catalogue.page(language)
        let action = language == .ru ? "/" : "/?lang=en"
        let other = language == .ru ? ("/?lang=en", "English") : ("/", "Русский")
        func policySelect(_ id: String) -> String {
            var html = "<label for=\"policy-\(id)\">\(escape(t.text("page.policy")))</label><select id=\"policy-\(id)\" name=\"policy\">"
            for policy in policies {
                let selected = policy.id == defaultPolicy ? " selected" : ""
                html += "<option value=\"\(escape(policy.id))\"\(selected)>\(escape(policy.title)) (\(escape(policy.id)) \(escape(policy.version)))</option>"
            }
            return html + "</select>"
        }
        func form(_ id: String, title: String, fields: String, hint: String) -> String {
            """
            <form id="\(id)" method="post" action="\(action)" enctype="multipart/form-data">
            <h2>\(escape(title))</h2>
            <p class="hint">\(escape(hint))</p>
            \(fields)
            <input type="hidden" name="lang" value="\(language.rawValue)">
            \(policySelect(id))
            <div><button type="submit">\(escape(t.text("page.submit")))</button></div>
            </form>
            """
        }
        // The signature comes before the document: the service then hashes the document only with the digest the
        // signature needs while it streams in.
        let detached = form("detached", title: t.text("page.detached.title"), fields: """
            <label for="signature">\(escape(t.text("page.signature")))</label>
            <input id="signature" type="file" name="signature" required>
            <label for="document">\(escape(t.text("page.document")))</label>
            <input id="document" type="file" name="document" required>
            """, hint: t.text("page.detached.hint"))
        let attached = form("attached", title: t.text("page.attached.title"), fields: """
            <label for="attached-signature">\(escape(t.text("page.attached-signature")))</label>
            <input id="attached-signature" type="file" name="signature" accept=".p7m,.p7s,.sig,.sgn" required>
            """, hint: t.text("page.attached.hint"))
        let container = form("container", title: t.text("page.container.title"), fields: """
            <label for="container-file">\(escape(t.text("page.container")))</label>
            <input id="container-file" type="file" name="container" accept=".asice,.asics,.sce,.scs,.zip" required>
            """, hint: t.text("page.container.hint"))
        let megabytes = String(format: "%.0f", Double(maxBytes) / 1_048_576)
        return """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(t.text("page.title")))</title><style>\(style)</style></head>
            <body>
            <header><nav><a href="\(other.0)" hreflang="\(language == .ru ? "en" : "ru")">\(other.1)</a></nav>
            <h1>\(escape(t.text("page.title")))</h1><p>\(escape(t.text("page.lead")))</p></header>
            <main>
            \(keyRequired ? "<p class=\"problem\">\(escape(t.text("page.key-required")))</p>" : "")
            \(detached)
            \(attached)
            \(container)
            </main>
            <footer><p>\(escape(t.text("page.privacy")))</p><p>\(escape(t.text("page.limits", ["size": megabytes])))</p>
            <p>\(escape(t.text("page.api")))</p></footer>
            </body>
            </html>

            """
    }

    static func renderProblem(_ problem: Problem, language: Language) -> String {
        let t = Catalogue.page(language)
        let slug = problem.type.hasPrefix(Problem.base) ? String(problem.type.dropFirst(Problem.base.count)) : problem.type
        let key = MessageKey.pageProblem(slug)
        let known = t.text(key)
        let explanation = known == key.rawValue ? t.text("page.problem.other", ["status": "\(problem.status.code)"]) : known
        let back = language == .ru ? "/" : "/?lang=en"
        return """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(t.text("page.problem.title")))</title><style>\(style)</style></head>
            <body>
            <header><h1>\(escape(t.text("page.title")))</h1></header>
            <main><div class="problem" role="alert">
            <h2>\(escape(t.text("page.problem.title")))</h2>
            <p id="problem">\(escape(explanation))</p>
            \(problem.detail.map { "<p class=\"hint\">\(escape($0))</p>" } ?? "")
            <p class="hint">\(escape(problem.type)) · HTTP \(problem.status.code)</p>
            <p><a href="\(back)">\(escape(t.text("page.back")))</a></p>
            </div></main>
            </body>
            </html>

            """
    }
}

extension MessageKey {
    /// `page.problem.too-large`, …: the page's explanation of a problem type (`Problem`'s slug).
    static func pageProblem(_ slug: String) -> MessageKey { MessageKey("page.problem." + slug) }
}
