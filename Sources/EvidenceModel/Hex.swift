/// Hexadecimal text for bytes and back: the one implementation every module uses (fingerprints, digests, serial
/// numbers, the journal's hashes, a client's `documentDigest`), so that "lower-case, two digits a byte" is decided once.
public enum Hex {
    private static let lower = Array("0123456789abcdef".utf8)
    private static let upper = Array("0123456789ABCDEF".utf8)

    /// The bytes as hex digits, two a byte, as ASCII bytes (for writers that build byte buffers, such as PDF's).
    public static func ascii(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> [UInt8] {
        let digits = uppercase ? upper : lower
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return out
    }

    /// The bytes as hex text, two digits a byte (lower-case unless asked).
    public static func encode(_ bytes: some Sequence<UInt8>, uppercase: Bool = false) -> String {
        String(decoding: ascii(bytes, uppercase: uppercase), as: UTF8.self)
    }

    /// The value of one ASCII hex digit (either case), or nil.
    public static func nibble(_ ascii: UInt8) -> UInt8? {
        switch ascii {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): ascii - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): ascii - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): ascii - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Strict decoding: an even number of ASCII hex digits (either case) and nothing else; nil otherwise.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
