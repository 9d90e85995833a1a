import COpenSSL
import CPodpis
import EvidenceModel
import Foundation
import NIOConcurrencyHelpers

/// Unique, persistent TSA serial numbers. Serials are handed out from blocks reserved in a file under an exclusive
/// lock (so several processes may share it), and a block is written and fsynced before any serial from it is used:
/// a crash skips numbers but never repeats one.
public final class SerialNumberSource: Sendable {
    struct State {
        var next: UInt64 = 0
        var blockEnd: UInt64 = 0
    }
    private let state = NIOLockedValueBox(State())
    private let path: String?
    private let blockSize: UInt64

    /// - Parameter path: the serial file; nil keeps serials in memory only (tests, `demo`).
    public init(path: String?, blockSize: UInt64 = 256) {
        self.path = path
        self.blockSize = blockSize
        if path == nil { state.withLockedValue { $0 = State(next: 1, blockEnd: .max) } }
    }

    public func next() throws -> UInt64 {
        try state.withLockedValue { state in
            if state.next >= state.blockEnd {
                let start = try reserveBlock()
                state.next = start
                state.blockEnd = start + blockSize
            }
            defer { state.next += 1 }
            return state.next
        }
    }

    private func reserveBlock() throws -> UInt64 {
        guard let path else { return 1 }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PodpisError(.cannotCreate, "cannot open the serial file: \(String(cString: strerror(errno)))", subject: path) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw PodpisError(.ioError, "cannot lock the serial file", subject: path) }
        defer { flock(fd, LOCK_UN) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(fd, &buffer, buffer.count)
        let text = n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        let start = text.isEmpty ? 1 : (UInt64(text) ?? 0)
        guard start > 0 else { throw PodpisError(.configuration, "the serial file is damaged", subject: path) }
        let record = Array("\(start + blockSize)\n".utf8)
        guard ftruncate(fd, 0) == 0, pwrite(fd, record, record.count, 0) == record.count, fsync(fd) == 0 else {
            throw PodpisError(.ioError, "cannot write the serial file: \(String(cString: strerror(errno)))", subject: path)
        }
        return start
    }
}

/// An RFC 3161 timestamping authority: turns `application/timestamp-query` into `application/timestamp-reply`.
///
/// Thread-safe: every request gets its own `TS_RESP_CTX` (OpenSSL's keeps per-request state), sharing the
/// immutable key and certificates.
public final class TimestampAuthority: Sendable {
    public struct Configuration: Sendable {
        public var policy: String
        /// Accuracy in seconds, milliseconds, microseconds (zero fields are omitted).
        public var accuracy: (seconds: Int, millis: Int, micros: Int)
        /// Digests accepted in requests.
        public var digests: [DigestAlgorithm]
        /// The clock (tests move it).
        public var clock: @Sendable () -> Date

        public init(policy: String = "1.2.643.2.2.38.4", accuracy: (seconds: Int, millis: Int, micros: Int) = (1, 0, 0),
                    digests: [DigestAlgorithm] = [.sha256, .sha384, .sha512, .streebog256, .streebog512],
                    clock: @escaping @Sendable () -> Date = { Date() }) {
            self.policy = policy
            self.accuracy = accuracy
            self.digests = digests
            self.clock = clock
        }
    }

    public let certificate: X509Certificate
    let key: PrivateKey
    let chain: [X509Certificate]
    let configuration: Configuration
    let serials: SerialNumberSource

    public init(key: PrivateKey, certificate: X509Certificate, chain: [X509Certificate] = [],
                configuration: Configuration = Configuration(), serials: SerialNumberSource) throws {
        CryptoLibrary.initialize()
        guard key.matches(certificate) else { throw PodpisError(.configuration, "the TSA key does not belong to the TSA certificate") }
        guard X509_check_purpose(certificate.pointer, X509_PURPOSE_TIMESTAMP_SIGN, 0) == 1 else {
            clearOpenSSLErrors()
            throw PodpisError(.configuration, "the TSA certificate lacks the critical timeStamping extended key usage (RFC 3161, 2.3)")
        }
        guard OBJ_txt2nid(configuration.policy) != NID_undef || configuration.policy.split(separator: ".").count > 1 else {
            throw PodpisError(.configuration, "«\(configuration.policy)» is not a policy OID")
        }
        self.key = key
        self.certificate = certificate
        self.chain = chain
        self.configuration = configuration
        self.serials = serials
    }

    /// Context handed to the C callbacks for one response.
    final class CallbackContext {
        let serial: UInt64
        let time: Date
        init(serial: UInt64, time: Date) {
            self.serial = serial
            self.time = time
        }
    }

    /// Answers one DER request. Malformed requests and unsupported digests get a rejection with the proper
    /// failure info, never an exception; only a failure of the TSA itself throws.
    public func respond(to request: [UInt8]) throws -> [UInt8] {
        clearOpenSSLErrors()
        guard let responder = OpenSSLHandle(taking: TS_RESP_CTX_new(), free: TS_RESP_CTX_free) else {
            throw PodpisError.openSSL(.software, "TS_RESP_CTX_new failed")
        }
        let ctx = responder.pointer
        guard TS_RESP_CTX_set_signer_cert(ctx, certificate.pointer) == 1, TS_RESP_CTX_set_signer_key(ctx, key.pointer) == 1 else {
            throw PodpisError.openSSL(.configuration, "the TSA certificate or key is not usable")
        }
        if !key.keyType.isGOST {
            TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256())
            TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256())
        } else {
            // Engine GOST keys sign with their own Streebog; ESS v2 with Streebog-256.
            TS_RESP_CTX_set_ess_cert_id_digest(ctx, DigestAlgorithm.streebog256.evpMD())
            clearOpenSSLErrors()
        }
        guard let policy = asn1Object(configuration.policy) else { throw PodpisError.openSSL(.configuration, "bad policy OID") }
        TS_RESP_CTX_set_def_policy(ctx, policy.pointer)
        for digest in configuration.digests { if let md = digest.evpMD() { TS_RESP_CTX_add_md(ctx, md) } }
        let accuracy = configuration.accuracy
        TS_RESP_CTX_set_accuracy(ctx, Int32(accuracy.seconds), Int32(accuracy.millis), Int32(accuracy.micros))
        TS_RESP_CTX_set_clock_precision_digits(ctx, 3)
        if !chain.isEmpty {
            let stack = certificateStack(chain)
            TS_RESP_CTX_set_certs(ctx, stack?.pointer)
        }
        TS_RESP_CTX_add_flags(ctx, Int32(TS_ESS_CERT_ID_CHAIN))

        let context = CallbackContext(serial: try serials.next(), time: configuration.clock())
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }
        TS_RESP_CTX_set_serial_cb(ctx, { _, data in
            let context = Unmanaged<TimestampAuthority.CallbackContext>.fromOpaque(data!).takeUnretainedValue()
            let integer = ASN1_INTEGER_new()
            ASN1_INTEGER_set_uint64(integer, context.serial)
            return integer
        }, unmanaged.toOpaque())
        TS_RESP_CTX_set_time_cb(ctx, { _, data, seconds, microseconds in
            let context = Unmanaged<TimestampAuthority.CallbackContext>.fromOpaque(data!).takeUnretainedValue()
            let interval = context.time.timeIntervalSince1970
            seconds?.pointee = Int(interval.rounded(.down))
            microseconds?.pointee = Int((interval - interval.rounded(.down)) * 1_000_000)
            return 1
        }, unmanaged.toOpaque())

        let response = try withReadBIO(request) { OpenSSLHandle(taking: TS_RESP_create_response(ctx, $0), free: TS_RESP_free) }
        guard let response else { throw PodpisError.openSSL(.software, "the TSA could not build a response") }
        clearOpenSSLErrors()
        guard let der = response.der(i2d_TS_RESP) else { throw PodpisError.openSSL(.software, "cannot encode the response") }
        return der
    }
}
