import EvidenceModel
import Foundation

/// Who a qualified certificate names, and in what capacity its holder signs (63-ФЗ ст. 14 ч. 3, ст. 17 ч. 2,
/// ст. 17.2): the checks that depend on it (the power of attorney, the qualified attributes, the dated rules of the
/// 2019 amendments) read it from the certificate alone — the organisation's identifiers (ОГРН, ИНН ЮЛ), a person's
/// (СНИЛС, ИНН, a surname), and the organisation that operates the issuing CA (its ИНН ЮЛ in the CA's subject).
struct SignerRole: Equatable {
    /// The well-known CA operators, by ИНН ЮЛ. Each check takes lists of its own as parameters; these are the defaults.
    enum Operators {
        /// УЦ ФНС России: certificates of legal entities' heads, entrepreneurs and notaries since 2022-01-01.
        static let fns = "7707329152"
        /// УЦ Федерального казначейства: officials of state and municipal bodies.
        static let treasury = "7710568760"
        /// УЦ Банка России: heads of banks and other organisations of the financial market.
        static let bank = "7702235133"
    }

    enum Holder: String {
        /// A person only (no organisation): a personal certificate.
        case person
        /// An organisation only (ст. 14 ч. 3): no natural person is named.
        case organisation
        /// An organisation and a person acting for it.
        case organisationPerson
        /// An individual entrepreneur (ОГРНИП).
        case entrepreneur
    }

    let holder: Holder
    /// ИНН ЮЛ of the organisation operating the issuing CA, when the CA's certificate names one.
    let issuerINNLE: String?
    let organisationINNLE: String?
    let organisationOGRN: String?

    init(_ certificate: CertificateInfo, issuer: CertificateInfo?) {
        func value(_ oid: String) -> String? { certificate.attribute(oid).flatMap { $0.isEmpty ? nil : String($0.filter(\.isNumber)) } }
        organisationINNLE = value(OID.innLE)
        organisationOGRN = value(OID.ogrn)
        let hasOrganisation = organisationINNLE != nil || organisationOGRN != nil
        let hasPerson = value(OID.snils) != nil || certificate.attribute(OID.surname) != nil || certificate.attribute(OID.givenName) != nil
        if value(OID.ogrnip) != nil {
            holder = .entrepreneur
        } else if hasOrganisation {
            holder = hasPerson ? .organisationPerson : .organisation
        } else {
            holder = .person
        }
        issuerINNLE = issuer?.attribute(OID.innLE).map { String($0.filter(\.isNumber)) }
    }

    var namesOrganisation: Bool { holder == .organisation || holder == .organisationPerson }

    func issuedBy(_ operators: [String]) -> Bool {
        guard let issuerINNLE else { return false }
        return operators.contains(issuerINNLE)
    }
}

extension SignerContext {
    /// The certificate of the CA that issued the signer's certificate: the next one on the path, else one among the
    /// evidence's certificates whose subject is the signer certificate's issuer.
    var issuerCertificate: CertificateInfo? {
        let path = pathCertificates
        if path.count > 1 { return path[1].info }
        guard let certificate else { return nil }
        return evidence.certificates.values.first { $0.subject == certificate.issuer && $0.sha256 != certificate.sha256 }
    }

    var signerRole: SignerRole? { certificate.map { SignerRole($0, issuer: issuerCertificate) } }
}
