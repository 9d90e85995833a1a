/// ETSI EN 319 102-1 main indications: what the policy engine concludes, and what the audit journal records of it
/// (its `indication` column and export field hold the raw value).
public enum Indication: String, Codable, Sendable, CaseIterable {
    case totalPassed = "TOTAL-PASSED"
    case totalFailed = "TOTAL-FAILED"
    case indeterminate = "INDETERMINATE"

    /// The ETSI URN.
    public var urn: String { "urn:etsi:019102:mainindication:\(rawValue)" }
}

/// The indication of one timestamp judged on its own (ETSI EN 319 102-1 §5.4, the time-stamp validation building
/// block): whether it may serve as proof of existence (``TimestampSummary`` in the report).
public enum TimestampIndication: String, Codable, Sendable, CaseIterable {
    case passed = "PASSED"
    case failed = "FAILED"
    case indeterminate = "INDETERMINATE"

    /// The main indication a timestamp gives a verdict it decides alone (a bare token, a container's time assertion).
    public var main: Indication {
        switch self {
        case .passed: .totalPassed
        case .failed: .totalFailed
        case .indeterminate: .indeterminate
        }
    }
}

/// ETSI EN 319 102-1 sub-indications, by their exact names.
public enum SubIndication: String, Codable, Sendable, CaseIterable {
    // under TOTAL-FAILED
    case formatFailure = "FORMAT_FAILURE"
    case hashFailure = "HASH_FAILURE"
    case sigCryptoFailure = "SIG_CRYPTO_FAILURE"
    case revoked = "REVOKED"
    case expired = "EXPIRED"
    case notYetValid = "NOT_YET_VALID"
    // under INDETERMINATE
    case sigConstraintsFailure = "SIG_CONSTRAINTS_FAILURE"
    case chainConstraintsFailure = "CHAIN_CONSTRAINTS_FAILURE"
    case certificateChainGeneralFailure = "CERTIFICATE_CHAIN_GENERAL_FAILURE"
    case cryptoConstraintsFailure = "CRYPTO_CONSTRAINTS_FAILURE"
    case cryptoConstraintsFailureNoPOE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    case policyProcessingError = "POLICY_PROCESSING_ERROR"
    case signaturePolicyNotAvailable = "SIGNATURE_POLICY_NOT_AVAILABLE"
    case timestampOrderFailure = "TIMESTAMP_ORDER_FAILURE"
    case noSigningCertificateFound = "NO_SIGNING_CERTIFICATE_FOUND"
    case noCertificateChainFound = "NO_CERTIFICATE_CHAIN_FOUND"
    case noCertificateChainFoundNoPOE = "NO_CERTIFICATE_CHAIN_FOUND_NO_POE"
    case revokedNoPOE = "REVOKED_NO_POE"
    case revokedCANoPOE = "REVOKED_CA_NO_POE"
    case outOfBoundsNoPOE = "OUT_OF_BOUNDS_NO_POE"
    case outOfBoundsNotRevoked = "OUT_OF_BOUNDS_NOT_REVOKED"
    case revocationOutOfBoundsNoPOE = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
    case noPOE = "NO_POE"
    case tryLater = "TRY_LATER"
    case signedDataNotFound = "SIGNED_DATA_NOT_FOUND"

    /// The main indication this sub-indication belongs to.
    public var indication: Indication {
        switch self {
        case .formatFailure, .hashFailure, .sigCryptoFailure, .revoked, .expired, .notYetValid: .totalFailed
        default: .indeterminate
        }
    }

    public var urn: String { "urn:etsi:019102:subindication:\(rawValue)" }
}
