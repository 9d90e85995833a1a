import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOSSL
import SigningCore

/// Optional TLS from a PEM certificate (chain) and key. Kept in its own file: NIOSSL is BoringSSL-based and must not
/// meet the OpenSSL module in one source file.
enum TLSSetup {
    static func serverBuilder(configuration: ServiceConfiguration) throws -> HTTPServerBuilder {
        let http = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(Int64(configuration.idleTimeout))))
        guard let cert = configuration.tlsCert, let key = configuration.tlsKey else { return http }
        try KeyLoader.checkPermissions(path: key, allowInsecure: false)
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(privateKey))
            tls.minimumTLSVersion = .tlsv12
            return try .tls(http, tlsConfiguration: tls)
        } catch let error as PodpisError {
            throw error
        } catch {
            throw PodpisError(.configuration, "cannot use the TLS certificate and key: \(error)", subject: cert)
        }
    }
}
