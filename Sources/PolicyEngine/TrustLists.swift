import Foundation

/// A named trust list a policy refers to: its anchors, and for lists of accredited CAs, each CA's keys,
/// certificates and accreditation history.
public struct TrustList: Sendable, Codable, Equatable {
    public var name: String
    /// SHA-256 fingerprints of the anchor certificates.
    public var anchors: Set<String>
    public var authorities: [AccreditedAuthority]

    public init(name: String, anchors: Set<String>, authorities: [AccreditedAuthority] = []) {
        self.name = name
        self.anchors = anchors
        self.authorities = authorities
    }

    /// The authority owning a CA certificate (by fingerprint) or key (by key identifier).
    public func authority(certificate fingerprint: String?, keyIdentifier: String?) -> AccreditedAuthority? {
        authorities.first { authority in
            (fingerprint.map { authority.certificates.contains($0) } ?? false)
                || (keyIdentifier.map { authority.keyIdentifiers.contains($0.lowercased()) } ?? false)
        }
    }
}

/// One CA of an accredited-CA list (the Минцифры XML, imported by `podpis trust import-ru`).
public struct AccreditedAuthority: Sendable, Codable, Equatable {
    public var name: String
    public var inn: String?
    public var ogrn: String?
    public var registryNumber: String?
    /// Fingerprints of the CA's certificates in the list.
    public var certificates: [String]
    /// Key identifiers (lower-case hex) the CA's certificates carry, as issued certificates name them in AKI.
    public var keyIdentifiers: [String]
    /// Periods of accreditation, from the status history.
    public var accreditation: [AccreditationPeriod]

    public init(name: String, inn: String? = nil, ogrn: String? = nil, registryNumber: String? = nil, certificates: [String],
                keyIdentifiers: [String], accreditation: [AccreditationPeriod]) {
        self.name = name
        self.inn = inn
        self.ogrn = ogrn
        self.registryNumber = registryNumber
        self.certificates = certificates
        self.keyIdentifiers = keyIdentifiers
        self.accreditation = accreditation
    }

    public func isAccredited(at date: Date) -> Bool { period(at: date) != nil }

    /// The accreditation period in force at `date`.
    public func period(at date: Date) -> AccreditationPeriod? {
        accreditation.first { $0.from <= date && ($0.until.map { date < $0 } ?? true) }
    }
}

public struct AccreditationPeriod: Sendable, Codable, Equatable {
    public var from: Date
    public var until: Date?
    /// The list's own status word («Действует», ...).
    public var status: String
    public init(from: Date, until: Date?, status: String) {
        self.from = from
        self.until = until
        self.status = status
    }
}
