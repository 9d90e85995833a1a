/// A structural problem of a signer's signed attributes (EN 319 102-1 §5.2.2, format checking; RFC 5652 §5.3 and
/// EN 319 122-1 §5.2 on which attributes a SignerInfo has, and how often), as data: the report renders it in the
/// reader's language. ``english`` is the text ``SignerEvidence/formatIssues`` has always carried.
public struct FormatFinding: Codable, Sendable, Equatable {
    /// What is wrong.
    public struct Code: OpenIdentifier {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A mandatory attribute (content-type, message-digest) is absent.
        public static let missing = Self(rawValue: "missing")
        /// An attribute occurs more than once (``FormatFinding/count`` times).
        public static let repeated = Self(rawValue: "repeated")
        /// An attribute's SET of values holds other than one value (``FormatFinding/count`` of them).
        public static let valueCount = Self(rawValue: "valueCount")
        /// The content-type attribute (``FormatFinding/found``) is not the encapsulated content's type
        /// (``FormatFinding/expected``).
        public static let contentTypeMismatch = Self(rawValue: "contentTypeMismatch")
        /// The attribute's value cannot be read as what it must be (a countersignature that is no SignerInfo).
        public static let unreadable = Self(rawValue: "unreadable")

        /// Every code this version writes.
        public static let known: Set<Self> = [.missing, .repeated, .valueCount, .contentTypeMismatch, .unreadable]
    }

    /// The attributes a SignerInfo with signed attributes must carry exactly once (RFC 5652 §5.3).
    public static let mandatoryAttributes: Set<String> = ["content-type", "message-digest"]

    public var code: Code
    /// The attribute, by its name (`message-digest`, `signing-time`, `signing-certificate-v2`, …), or dotted OID.
    public var attribute: String
    /// How many times it occurs, or how many values it holds.
    public var count: Int?
    /// For ``Code/contentTypeMismatch``: the attribute's value and the encapsulated content's type, dotted.
    public var found: String?
    public var expected: String?

    public init(code: Code, attribute: String, count: Int? = nil, found: String? = nil, expected: String? = nil) {
        self.code = code
        self.attribute = attribute
        self.count = count
        self.found = found
        self.expected = expected
    }

    /// The finding in plain English, as ``SignerEvidence/formatIssues`` states it.
    public var english: String {
        let times = count.map(String.init) ?? "?"
        switch code {
        case .missing: return "\(attribute) attribute present 0 times (exactly once expected)"
        case .repeated:
            let expectation = Self.mandatoryAttributes.contains(attribute) ? "exactly once expected" : "at most once expected"
            return "\(attribute) attribute present \(times) times (\(expectation))"
        case .valueCount: return "attribute \(attribute) has \(times) values (one expected)"
        case .contentTypeMismatch:
            return "content-type attribute (\(found ?? "?")) differs from the encapsulated content type (\(expected ?? "?"))"
        case .unreadable where attribute == "countersignature": return "the countersignature is not a readable SignerInfo"
        case .unreadable: return "the \(attribute) attribute cannot be read"
        default: return "\(code.rawValue): \(attribute)"
        }
    }
}
