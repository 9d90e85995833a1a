import COpenSSL
import CPodpis

// The OpenSSL ownership rules, encoded once (see /work/shared/design/swift-interop.md): an owner that frees an object
// exactly once, DER parsing (`d2i_*` advances the cursor it is given, so it gets a copy) and DER encoding (`i2d_*`
// with a NULL out-pointer allocates), and the thread-local error queue scoped to one piece of work.

/// One owned OpenSSL object, freed exactly once when the owner goes. The free function travels with the owner, so
/// every type (`OCSP_REQUEST`, `TS_RESP`, `X509_NAME`, `OCSP_CERTID`…) shares this one class instead of a hand-written
/// `defer { …_free(…) }` at every call site.
///
/// Not Sendable: these are single-owner working objects. The shared, immutable ones (certificates, keys, CRLs, the
/// trust store) have their own public classes.
///
/// `package` so that the test-support target's tampering helpers hold their OpenSSL objects the same way.
package final class OpenSSLHandle<Pointer> {
    package let pointer: Pointer
    /// OpenSSL's `TYPE_free` (which, as Swift imports it, takes an optional).
    private let free: (Pointer?) -> Void
    /// False once the object was handed on (``release()``).
    private var owned = true

    /// Takes ownership of `pointer` when there is one (the result of a `*_new`, `*_get1_*` or `d2i_*` call).
    ///
    /// A C function passed here as a value goes through a thunk named by the C name alone; when a BoringSSL-based
    /// module (swift-nio-ssl, swift-crypto) passes its function of the same name as a value too, the linker keeps one
    /// thunk for both. Wrap such a function in a closure (`{ PKCS12_free($0) }`); `nm` over the objects shows the
    /// `$sSo…FTO` thunks both sides define.
    package init?(taking pointer: Pointer?, free: @escaping (Pointer?) -> Void) {
        guard let pointer else { return nil }
        self.pointer = pointer
        self.free = free
    }

    /// The same, for the free functions that return a status (`BIO_free`).
    package convenience init?(taking pointer: Pointer?, free: @escaping (Pointer?) -> Int32) {
        self.init(taking: pointer, free: { _ = free($0) })
    }

    /// Parses DER with `d2i`; nil (and a clean error queue) when it does not parse.
    convenience init?(der: [UInt8], _ d2i: DERParseFunction<Pointer>, free: @escaping (Pointer?) -> Void) {
        self.init(taking: decodeDER(der, d2i), free: free)
    }

    deinit { if owned { free(pointer) } }

    /// Hands the object on to its next owner — an OpenSSL `*_add0_*`/`*_set0_*`/`BIO_push` call that takes it, or
    /// an owning class such as ``X509Certificate`` — after which this handle no longer frees it.
    package func release() -> Pointer {
        owned = false
        return pointer
    }

    /// The object's DER (`i2d`), or nil when OpenSSL cannot encode it.
    package func der(_ i2d: DEREncodeFunction<Pointer>) -> [UInt8]? { encodeDER(pointer, i2d) }
}

/// An owned `ASN1_OBJECT` for a dotted OID (numeric form only); nil when `dotted` is not one (OpenSSL's reason left
/// in the error queue for a ``PodpisError/openSSL(_:_:subject:)`` right after).
package func asn1Object(_ dotted: String) -> OpenSSLHandle<OpaquePointer>? {
    OpenSSLHandle(taking: OBJ_txt2obj(dotted, 1), free: ASN1_OBJECT_free)
}

/// An OpenSSL `d2i_TYPE` function: `TYPE *d2i_TYPE(TYPE **, const unsigned char **, long)`.
typealias DERParseFunction<Pointer> = (UnsafeMutablePointer<Pointer?>?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, Int) -> Pointer?
/// An OpenSSL `i2d_TYPE` function: `int i2d_TYPE(const TYPE *, unsigned char **)`.
package typealias DEREncodeFunction<Pointer> = (Pointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32

/// Parses `der` with an OpenSSL `d2i_*` function (on a copy of the cursor, which `d2i` advances). Returns nil when it
/// does not parse, with OpenSSL's error queue cleared; callers that report why drain the queue themselves first
/// (``decodeDER(_:_:keepingErrors:)``).
func decodeDER<Pointer>(_ der: [UInt8], _ d2i: DERParseFunction<Pointer>) -> Pointer? {
    let parsed = decodeDER(der, d2i, keepingErrors: true)
    if parsed == nil { clearOpenSSLErrors() }
    return parsed
}

/// ``decodeDER(_:_:)`` that leaves OpenSSL's reasons in the error queue on failure, for a
/// ``PodpisError/openSSL(_:_:subject:)`` right after it.
func decodeDER<Pointer>(_ der: [UInt8], _ d2i: DERParseFunction<Pointer>, keepingErrors: Bool) -> Pointer? {
    der.withUnsafeBufferPointer { buffer in
        var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
        return d2i(nil, &cursor, buffer.count)
    }
}

/// The DER of an OpenSSL object through its `i2d_*` function (which allocates the output when given a NULL
/// out-pointer; freed here). Nil when OpenSSL cannot encode it.
package func encodeDER<Pointer>(_ object: Pointer?, _ i2d: DEREncodeFunction<Pointer>) -> [UInt8]? {
    var out: UnsafeMutablePointer<UInt8>? = nil
    let length = i2d(object, &out)
    guard length > 0, let out else { return nil }
    defer { podpis_openssl_free(out) }
    return Array(UnsafeBufferPointer(start: out, count: Int(length)))
}

/// Runs `body` — synchronous OpenSSL work on one thread, so the thread-local error queue is the work's own — with the
/// queue cleared before and after: a failure inside reads only its own reasons (``PodpisError/openSSL(_:_:subject:)``
/// drains them right after the failing call), and nothing the work left behind (OpenSSL queues errors even on paths
/// that succeed, such as a parse attempt in one of several formats) leaks into the next call's error.
func withOpenSSLErrorScope<R>(_ body: () throws -> R) rethrows -> R {
    clearOpenSSLErrors()
    defer { clearOpenSSLErrors() }
    return try body()
}

/// A `STACK_OF(X509)` holding its own reference to each of `certificates` (all freed with the stack), for the calls
/// that take untrusted or extra certificates. Nil only when OpenSSL cannot allocate a stack.
func certificateStack(_ certificates: [X509Certificate]) -> OpenSSLHandle<OpaquePointer>? {
    guard let stack = OpenSSLHandle(taking: podpis_sk_x509_new(), free: podpis_sk_x509_pop_free) else { return nil }
    for certificate in certificates {
        X509_up_ref(certificate.pointer)
        podpis_sk_x509_push(stack.pointer, certificate.pointer)
    }
    return stack
}
