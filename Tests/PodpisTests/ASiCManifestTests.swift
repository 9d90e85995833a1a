import Foundation
import PodpisContainer
import SigningCore
import Testing

/// The ASiC manifest reader (ETSI EN 319 162-1 §A.4) on the shapes other producers write and on hostile ones: it
/// reads through the one guarded XML reader, so each refusal is a reason kept in the evidence, never a crash.
@Suite("ASiC manifest")
struct ASiCManifestTests {
    static let digest = Data(repeating: 7, count: 32).base64EncodedString()

    /// A manifest as DSS writes it: the ASiC namespace as the default one, XMLDSig under another prefix.
    static let dssShape = """
        <?xml version="1.0" encoding="UTF-8" standalone="no"?>
        <ASiCManifest xmlns="http://uri.etsi.org/02918/v1.2.1#" xmlns:ns2="http://www.w3.org/2000/09/xmldsig#">
          <SigReference MimeType="application/pkcs7-signature" URI="META-INF/signature001.p7s"/>
          <DataObjectReference MimeType="text/plain" URI="%D0%BF%D1%80%D0%B8%D0%BA%D0%B0%D0%B7.txt">
            <ns2:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
            <ns2:DigestValue>\(digest)</ns2:DigestValue>
          </DataObjectReference>
          <ASiCManifestExtensions><Extension Critical="false"/></ASiCManifestExtensions>
        </ASiCManifest>
        """

    @Test("our own manifest and DSS's shape (default namespace, other prefixes, extensions) read the same")
    func producersShapes() throws {
        let ours = ASiCManifest(signatureReference: "META-INF/signature001.p7s", references: [
            .init(uri: "приказ.txt", mimeType: "text/plain", digestMethod: "http://www.w3.org/2001/04/xmlenc#sha256",
                  digestValue: Array(repeating: 7, count: 32)),
        ])
        #expect(try ASiCManifest.parse(ours.xml()) == ours)
        #expect(try ASiCManifest.parse(Array(Self.dssShape.utf8)) == ours)
    }

    @Test("hostile or wrong manifests are refused with a reason", arguments: [
        ("<!DOCTYPE x [<!ENTITY a \"b\">]><asic:ASiCManifest xmlns:asic=\"http://uri.etsi.org/02918/v1.2.1#\"/>", "DOCTYPE"),
        ("<?xml version=\"1.0\"?><?evil?><asic:ASiCManifest xmlns:asic=\"http://uri.etsi.org/02918/v1.2.1#\"/>", "processing instruction"),
        ("<asic:ASiCManifest xmlns:asic=\"http://example.org/other\"/>", "root element"),
        ("<ASiCManifest/>", "root element"),
        ("<asic:ASiCManifest xmlns:asic=\"http://uri.etsi.org/02918/v1.2.1#\"><asic:SigReference/></asic:ASiCManifest>", "without URI"),
        ("<asic:ASiCManifest xmlns:asic=\"http://uri.etsi.org/02918/v1.2.1#\"><asic:SigReference URI=\"a\"/><asic:SigReference URI=\"b\"/></asic:ASiCManifest>",
         "more than one SigReference"),
        ("<asic:ASiCManifest xmlns:asic=\"http://uri.etsi.org/02918/v1.2.1#\"><asic:DataObjectReference URI=\"a\"/></asic:ASiCManifest>",
         "lacks DigestMethod"),
        ("<asic:ASiCManifest xmlns:asic=\"http://uri.etsi.org/02918/v1.2.1#\"><asic:SigReference URI=\"a\">", "not well-formed"),
        (String(repeating: "<a>", count: 40) + String(repeating: "</a>", count: 40), "too large or too deeply nested"),
    ])
    func refused(_ xml: String, reason: String) {
        #expect {
            _ = try ASiCManifest.parse(Array(xml.utf8))
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test("bytes that are not UTF-8, and a manifest over 1 MiB, are refused before any XML parsing")
    func refusedEarly() {
        #expect(throws: ASiCManifest.ManifestError.self) { _ = try ASiCManifest.parse([0x3C, 0x61, 0xFF, 0xFE, 0x3E]) }
        let huge = Array("<a>".utf8) + Array(repeating: 0x20, count: 1 << 20) + Array("</a>".utf8)
        #expect { _ = try ASiCManifest.parse(huge) } throws: { "\($0)".contains("1 MiB") }
    }
}
