import COpenSSL
import CPodpis
import EvidenceModel
import Foundation

/// How to make a signature.
public struct SignatureOptions: Sendable {
    /// The digest; nil picks the key's default (SHA-256, SHA-384 for P-384, Streebog for GOST).
    public var digest: DigestAlgorithm?
    /// Enveloping signature (the document inside) instead of detached.
    public var attached: Bool
    /// PEM output instead of DER.
    public var pem: Bool
    /// RSASSA-PSS instead of PKCS#1 v1.5 for RSA keys.
    public var rsaPSS: Bool
    /// Intermediate certificates to include beside the signer's.
    public var chain: [X509Certificate]
    /// Add the CAdES signing-certificate-v2 attribute (CAdES-B). Off only to build plain-CMS test cases.
    public var cades: Bool
    /// Accept MD5/SHA-1 and keys below today's sizes. Only tests use this, to build weak signatures on purpose.
    public var allowWeakAlgorithms: Bool
    /// Put the signer's certificate into the SignedData (some systems leave it out and ship it separately).
    public var includeSignerCertificate: Bool
    /// The signing-time attribute; nil means now.
    public var signingTime: Date?

    public init(
        digest: DigestAlgorithm? = nil, attached: Bool = false, pem: Bool = false, rsaPSS: Bool = false,
        chain: [X509Certificate] = [], cades: Bool = true, allowWeakAlgorithms: Bool = false,
        includeSignerCertificate: Bool = true, signingTime: Date? = nil
    ) {
        self.includeSignerCertificate = includeSignerCertificate
        self.signingTime = signingTime
        self.digest = digest
        self.attached = attached
        self.pem = pem
        self.rsaPSS = rsaPSS
        self.chain = chain
        self.cades = cades
        self.allowWeakAlgorithms = allowWeakAlgorithms
    }
}

/// Where the signed data comes from.
public enum SignedContent: Sendable {
    /// A file, streamed from disk.
    case file(String)
    /// Bytes in memory (small documents, tests, the HTTP service).
    case bytes([UInt8])
}

/// Makes CMS/CAdES signatures.
public enum Signer {
    /// Signs `content` and returns the encoded signature (DER or PEM).
    ///
    /// Detached signatures stream the content through the digest, so memory stays flat whatever its size. Attached
    /// signatures of a file are written straight to `output` with BER streaming when `output` is given.
    public static func sign(
        _ content: SignedContent, identity: SigningIdentity, options: SignatureOptions = SignatureOptions(),
        output: String? = nil
    ) throws -> [UInt8] {
        CryptoLibrary.initialize()
        let digest = try chooseDigest(identity: identity, options: options)
        try checkIdentity(identity, digest: digest, options: options)
        guard let md = digest.evpMD() else {
            throw PodpisError(.configuration, "\(digest.name) is not available in this OpenSSL")
        }
        clearOpenSSLErrors()
        var flags = UInt32(CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL)
        let streamingAttached = options.attached && output != nil
        if options.attached {
            if streamingAttached { flags |= UInt32(CMS_STREAM) }
        } else {
            flags |= UInt32(CMS_DETACHED)
        }
        guard let raw = CMS_sign(nil, nil, nil, nil, flags) else {
            throw PodpisError.openSSLWithReason(.software, "CMS_sign failed")
        }
        let cms = CMSMessage(taking: raw)
        try addSigner(to: cms, identity: identity, md: md, options: options, partial: false)

        return try withContentBIO(content) { bio in
            if streamingAttached, let output {
                try AtomicOutput.write(to: output) { out in
                    let ok = options.pem
                        ? PEM_write_bio_CMS_stream(out, cms.pointer, bio, Int32(flags))
                        : i2d_CMS_bio_stream(out, cms.pointer, bio, Int32(flags))
                    guard ok == 1 else { throw PodpisError.openSSLWithReason(.software, "signing failed") }
                }
                return []
            }
            guard CMS_final(cms.pointer, bio, nil, flags) == 1 else {
                throw PodpisError.openSSLWithReason(.software, "signing failed")
            }
            let encoded = options.pem ? try cms.pem() : try cms.der()
            if let output { try FileInput.writeAtomically(encoded, to: output) }
            return encoded
        }
    }

    /// Adds a parallel SignerInfo to an existing signature, leaving the other signers untouched.
    ///
    /// The document must match what the existing signers signed: cosigning a different document is refused.
    public static func cosign(
        signature: [UInt8], signatureName: String?, content: SignedContent?, identity: SigningIdentity,
        options: SignatureOptions = SignatureOptions(), output: String? = nil
    ) throws -> [UInt8] {
        CryptoLibrary.initialize()
        let (der, encoding) = try SignatureDecoder.decode(signature, subject: signatureName)
        let cms = try CMSMessage.parse(der: der, subject: signatureName)
        let digest = try chooseDigest(identity: identity, options: options)
        try checkIdentity(identity, digest: digest, options: options)
        guard let md = digest.evpMD() else { throw PodpisError(.configuration, "\(digest.name) is not available") }

        // Digests of the content: the new signer's and every existing signer's algorithm.
        var needed: Set<DigestAlgorithm> = [digest]
        for si in cms.signerInfos { if let alg = signerDigest(si) { needed.insert(alg) } }
        let digests: [DigestAlgorithm: [UInt8]]
        if let attached = cms.attachedContent {
            if content != nil {
                throw PodpisError(.usage, "the signature already contains its document; give no document to cosign it", subject: signatureName)
            }
            let multi = try MultiDigest(needed)
            multi.update(attached)
            digests = multi.finish()
        } else {
            guard let content else {
                throw PodpisError(.usage, "detached signature: the signed document is needed to cosign", subject: signatureName)
            }
            switch content {
            case .file(let path): digests = try MultiDigest.digestFile(path: path, algorithms: needed).digests
            case .bytes(let bytes):
                let multi = try MultiDigest(needed)
                multi.update(bytes)
                digests = multi.finish()
            }
        }
        // The document must be the one already signed.
        for (index, si) in cms.signerInfos.enumerated() {
            let attributes = SignerAttributes(signerInfo: si)
            guard let alg = signerDigest(si), let attr = attributes.signed(NID_pkcs9_messageDigest).first,
                let claimed = attr.octets
            else { continue }
            if digests[alg] != claimed {
                throw PodpisError(.dataFormat, "the document does not match the existing signature (signer S\(index)); refusing to cosign", subject: signatureName)
            }
        }
        guard let newDigest = digests[digest] else { throw PodpisError(.configuration, "\(digest.name) is not available") }

        clearOpenSSLErrors()
        let si = try addSigner(to: cms, identity: identity, md: md, options: options, partial: true).pointer
        let contentType = CMS_get0_eContentType(cms.pointer)
        guard CMS_signed_add1_attr_by_NID(si, NID_pkcs9_contentType, V_ASN1_OBJECT, UnsafeRawPointer(contentType), -1) == 1,
            CMS_signed_add1_attr_by_NID(si, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, newDigest, Int32(newDigest.count)) == 1,
            CMS_SignerInfo_sign(si) == 1
        else {
            throw PodpisError.openSSLWithReason(.software, "cosigning failed")
        }
        let encoded = (options.pem || encoding == .pem) ? try cms.pem() : try cms.der()
        let final = encoding == .base64 && !options.pem ? Array((Base64.encode(encoded) + "\n").utf8) : encoded
        if let output { try FileInput.writeAtomically(final, to: output) }
        return final
    }

    // MARK: - pieces

    @discardableResult
    static func addSigner(to cms: CMSMessage, identity: SigningIdentity, md: OpaquePointer, options: SignatureOptions, partial: Bool) throws -> SignerInfo {
        var signerFlags = UInt32(CMS_BINARY | CMS_NOSMIMECAP)
        if !options.includeSignerCertificate { signerFlags |= UInt32(CMS_NOCERTS) }
        if options.cades { signerFlags |= UInt32(CMS_CADES) }
        let pss = options.rsaPSS && identity.key.keyType == .rsa
        if pss { signerFlags |= UInt32(CMS_KEY_PARAM) }
        if partial { signerFlags |= UInt32(CMS_PARTIAL) }
        guard let si = CMS_add1_signer(cms.pointer, identity.certificate.pointer, identity.key.pointer, md, signerFlags) else {
            throw PodpisError.openSSLWithReason(.software, "cannot add the signer")
        }
        if let signingTime = options.signingTime, let time = asn1Time(signingTime) {
            CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, time.pointer.pointee.type, UnsafeRawPointer(time.pointer), -1)
        }
        if pss {
            guard let pctx = CMS_SignerInfo_get0_pkey_ctx(si),
                EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0,
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0
            else {
                throw PodpisError.openSSLWithReason(.software, "cannot set RSA-PSS parameters")
            }
            // OpenSSL fills in the PSS AlgorithmIdentifier only when it signs: a partial (cosign) SignerInfo never
            // gets it, and a streamed attached signature has its SignerInfo encoded before the content is signed
            // (with the parameters still empty: "illegal zero content"). Set it now, exactly as OpenSSL would
            // (RFC 4055: the digest, MGF1 with it, salt = its length); OpenSSL writes the same when it signs.
            if let digest = DigestAlgorithm(nid: EVP_MD_get_type(md)) {
                try setPSSAlgorithm(si, digest: digest)
            }
        }
        // Intermediates, without duplicates.
        let present = Set(cms.certificates.map(\.fingerprint))
        for cert in identity.chain + options.chain where !present.contains(cert.fingerprint) && cert != identity.certificate {
            guard CMS_add1_cert(cms.pointer, cert.pointer) == 1 else {
                throw PodpisError.openSSLWithReason(.software, "cannot add a chain certificate")
            }
        }
        return SignerInfo(message: cms, pointer: si)
    }

    /// Writes id-RSASSA-PSS with RFC 4055 parameters (hash, MGF1 with the same hash, salt = hash length).
    static func setPSSAlgorithm(_ si: OpaquePointer, digest: DigestAlgorithm) throws {
        let hash = DEREncoder.sequence([try DEREncoder.oid(digest.oid)])
        let mgf = DEREncoder.sequence([try DEREncoder.oid("1.2.840.113549.1.1.8"), hash])
        let params = DEREncoder.sequence([
            DEREncoder.tlv(0xA0, hash), DEREncoder.tlv(0xA1, mgf),
            DEREncoder.tlv(0xA2, DEREncoder.tlv(0x02, [UInt8(digest.size)])),
        ])
        var signatureAlgorithm: UnsafeMutablePointer<X509_ALGOR>? = nil
        CMS_SignerInfo_get0_algs(si, nil, nil, nil, &signatureAlgorithm)
        guard let signatureAlgorithm, let string = OpenSSLHandle(taking: ASN1_STRING_new(), free: ASN1_STRING_free),
            ASN1_STRING_set(string.pointer, params, Int32(params.count)) == 1,
            X509_ALGOR_set0(signatureAlgorithm, OBJ_nid2obj(NID_rsassaPss), V_ASN1_SEQUENCE, string.pointer) == 1
        else { throw PodpisError.openSSLWithReason(.software, "cannot set the RSA-PSS algorithm identifier") }
        _ = string.release()  // the algorithm identifier owns its parameters now
    }

    static func signerDigest(_ si: SignerInfo) -> DigestAlgorithm? {
        var digestAlgorithm: UnsafeMutablePointer<X509_ALGOR>? = nil
        CMS_SignerInfo_get0_algs(si.pointer, nil, nil, &digestAlgorithm, nil)
        var object: OpaquePointer? = nil
        X509_ALGOR_get0(&object, nil, nil, digestAlgorithm)
        return DigestAlgorithm(nid: OBJ_obj2nid(object))
    }

    /// The digest `sign` will use for this identity and options (the key's default unless one is asked for), or
    /// the usage error `sign` would give. ASiC-E uses it for its manifest digests, ahead of signing.
    public static func digest(for identity: SigningIdentity, options: SignatureOptions) throws -> DigestAlgorithm {
        try chooseDigest(identity: identity, options: options)
    }

    static func chooseDigest(identity: SigningIdentity, options: SignatureOptions) throws -> DigestAlgorithm {
        let key = identity.key
        let digest = options.digest ?? key.defaultDigest
        switch key.keyType {
        case .gost2012_256 where digest != .streebog256,
            .gost2012_512 where digest != .streebog512:
            throw PodpisError(.usage, "a \(key.keyType) key signs with \(key.defaultDigest.name) only, not \(digest.name)")
        case .rsa, .rsaPSS, .ec:
            if digest.isGOST {
                throw PodpisError(.usage, "\(digest.name) needs a GOST key; this key is \(key.keyType)")
            }
        default: break
        }
        if !options.allowWeakAlgorithms && (digest == .md5 || digest == .sha1 || digest == .gostr341194) {
            throw PodpisError(.usage, "\(digest.name) is not acceptable for new signatures")
        }
        return digest
    }

    static func checkIdentity(_ identity: SigningIdentity, digest: DigestAlgorithm, options: SignatureOptions) throws {
        guard identity.key.matches(identity.certificate) else {
            throw PodpisError(.usage, "the private key does not belong to the certificate")
        }
        if !options.allowWeakAlgorithms {
            let type = identity.key.keyType
            if (type == .rsa || type == .rsaPSS) && identity.key.bits < 2048 {
                throw PodpisError(.usage, "RSA keys below 2048 bits are not acceptable for new signatures")
            }
            if type == .gost2001 { throw PodpisError(.usage, "GOST R 34.10-2001 keys are not acceptable since 2019-01-01") }
        }
    }

    static func withContentBIO<R>(_ content: SignedContent, _ body: (OpaquePointer) throws -> R) throws -> R {
        switch content {
        case .bytes(let bytes):
            return try withReadBIO(bytes, body)
        case .file(let path):
            _ = try FileInput.regularFileSize(path: path)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw PodpisError(.noInput, "cannot open: \(String(cString: strerror(errno)))", subject: path) }
            #if os(Linux)
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
            #endif
            // OpenSSL copies the content in 1 KiB pieces (SMIME_crlf_copy); straight from a file BIO (stdio) that
            // was one 4 KiB read(2) per 4 KiB: 262 144 system calls for 1 GiB (`openssl dgst`: 131 072), the kernel
            // 30 % of a perf profile of `podpis sign` on 1 GiB. A buffer BIO in front refills with one read of
            // `FileInput.chunkSize`.
            guard let file = OpenSSLHandle(taking: BIO_new_fd(fd, BIO_CLOSE), free: BIO_free) else {
                close(fd)
                throw PodpisError.openSSL(.software, "cannot open a file BIO", subject: path)
            }
            guard let buffered = OpenSSLHandle(taking: BIO_new(BIO_f_buffer()), free: BIO_free) else {
                throw PodpisError.openSSL(.software, "cannot open a buffer BIO", subject: path)
            }
            // BIO_set_read_buffer_size: iarg 0 sets the read side only.
            guard BIO_int_ctrl(buffered.pointer, BIO_C_SET_BUFF_SIZE, FileInput.chunkSize, 0) == 1 else {
                throw PodpisError.openSSL(.software, "cannot size the read buffer", subject: path)
            }
            let progress = ReadProgress.current
            progress?.watch(file.pointer)
            // The chain (buffer → file) owns both BIOs from here; BIO_push returns its first argument.
            let chain = OpenSSLHandle(taking: BIO_push(buffered.release(), file.release()), free: BIO_free_all)!
            return try withExtendedLifetime(progress) { try body(chain.pointer) }
        }
    }
}

/// Writes a file through an OpenSSL BIO into a temporary file, then fsyncs and renames it into place.
enum AtomicOutput {
    static func write(to path: String, _ body: (OpaquePointer) throws -> Void) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let template = (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).podpis-XXXXXX"
        TemporaryFiles.removeStale(besideOutput: path)
        var templateBytes = Array(template.utf8CString)
        let fd = templateBytes.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw PodpisError(.cannotCreate, "cannot create: \(String(cString: strerror(errno)))", subject: path) }
        let temporary = string(fromNulTerminated: templateBytes)
        TemporaryFiles.created(temporary)
        var done = false
        defer {
            if !done { unlink(temporary) }
            TemporaryFiles.finished(temporary)
        }
        do {
            // BIO_NOCLOSE: the descriptor is closed here, after the BIO is flushed.
            guard let bio = OpenSSLHandle(taking: BIO_new_fd(fd, BIO_NOCLOSE), free: BIO_free) else {
                close(fd)
                throw PodpisError.openSSL(.software, "cannot open an output BIO", subject: path)
            }
            do {
                try body(bio.pointer)
                guard BIO_ctrl(bio.pointer, BIO_CTRL_FLUSH, 0, nil) == 1 else { throw PodpisError(.ioError, "write failed", subject: path) }
            } catch {
                close(fd)
                throw error
            }
        }
        fchmod(fd, 0o644)
        guard fsync(fd) == 0, close(fd) == 0 else { throw PodpisError(.ioError, "write failed", subject: path) }
        guard rename(temporary, path) == 0 else {
            throw PodpisError(.cannotCreate, "cannot create: \(String(cString: strerror(errno)))", subject: path)
        }
        done = true
    }
}
