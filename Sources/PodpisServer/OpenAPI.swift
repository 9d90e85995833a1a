/// The service's OpenAPI 3.1 description, served at `GET /openapi.yaml`. A test holds it to the routes and to the
/// report's JSON encoding, so it cannot drift from what the service does.
public enum OpenAPI {
    public static let document = #"""
openapi: 3.1.0
info:
  title: podpis verification service
  version: 0.1.0
  description: |
    Verifies CMS/CAdES signatures (RSA, ECDSA, GOST R 34.10-2012) per ETSI EN 319 102-1 under a dated legal policy,
    and journals every verification in a tamper-evident chain. Errors are RFC 9457 problem documents.
servers:
  - url: http://127.0.0.1:8780
components:
  securitySchemes:
    apiKey:
      type: http
      scheme: bearer
  schemas:
    Problem:
      type: object
      required: [type, title, status]
      properties:
        type: {type: string, description: "A stable URN naming the kind of problem, e.g. urn:podpis:problem:too-large"}
        title: {type: string}
        status: {type: integer}
        detail: {type: [string, "null"]}
        instance: {type: string}
        report: {$ref: "#/components/schemas/Report"}
    CheckResult:
      type: object
      required: [id, status, message]
      properties:
        id: {type: string}
        name: {type: string, description: "The rule's name in the report's language"}
        status: {type: string, enum: [passed, failed, warning, info, skipped]}
        subIndication: {type: [string, "null"]}
        message: {type: string}
        basis: {type: [string, "null"]}
        check: {type: string, description: "The policy check the rule runs (revocation, chain, …); absent for the report's own checks"}
        messageKey: {type: string, description: "The catalogue key of the message (revocation.unusable, …): stable across languages"}
        messageArgs: {type: object, additionalProperties: {type: string}, description: "The values the message's template was filled with, as the message shows them (times in Moscow time); absent when it takes none"}
    Signer:
      type: object
      properties:
        subject: {type: string}
        issuer: {type: string}
        serial: {type: string}
        name: {type: string}
        title: {type: [string, "null"]}
        organization: {type: [string, "null"]}
        inn: {type: [string, "null"]}
        snils: {type: [string, "null"]}
        ogrn: {type: [string, "null"]}
        innLE: {type: [string, "null"]}
        notBefore: {type: string, format: date-time}
        notAfter: {type: string, format: date-time}
        certificateSHA256: {type: string}
    Timestamp:
      type: object
      properties:
        type: {type: string, enum: [signature, content, archive, cades-c, refs, standalone]}
        genTime: {type: string, format: date-time}
        tsa: {type: [string, "null"]}
        indication: {type: string, enum: [PASSED, FAILED, INDETERMINATE]}
        subIndication: {type: [string, "null"]}
        reason: {type: string, description: "why it is not PASSED (absent when it is)"}
        imprintAlgorithm: {type: string, description: "what it stamps: the hash algorithm of the message imprint"}
        imprint: {type: string, description: "the message imprint, lower-case hex"}
        serial: {type: string}
        policy: {type: string, description: "the TSA policy OID"}
    Signature:
      type: object
      required: [id, indication, format, algorithms, bestSignatureTime, timestamps, checks, legal, reason]
      properties:
        id: {type: string}
        indication: {type: string, enum: [TOTAL-PASSED, TOTAL-FAILED, INDETERMINATE]}
        subIndication: {type: [string, "null"]}
        format: {type: string, enum: [CAdES-BASELINE-B, CAdES-BASELINE-T, CAdES-BASELINE-LT, CAdES-BASELINE-LTA, CMS]}
        signer: {oneOf: [{$ref: "#/components/schemas/Signer"}, {type: "null"}]}
        algorithms:
          type: object
          properties:
            digest: {type: string}
            signature: {type: string}
            keyBits: {type: [integer, "null"]}
        claimedSigningTime: {type: [string, "null"], format: date-time}
        bestSignatureTime: {type: string, format: date-time}
        timestamps: {type: array, items: {$ref: "#/components/schemas/Timestamp"}}
        checks: {type: array, items: {$ref: "#/components/schemas/CheckResult"}}
        legal:
          type: object
          properties:
            kind: {type: string, enum: [qualified, qualified-unattested, advanced, simple, none], description: "qualified-unattested: 63-ФЗ ст. 11 п. 1, 2, 4 hold; п. 3 (a certified tool) is not stated by the operator"}
            conclusion: {type: string}
            basis: {type: [string, "null"]}
        reason: {type: string}
        profile: {type: string, description: "the legacy form it is written in (ETSI TS 101 733), e.g. CAdES-X Long Type 1; absent for a baseline signature"}
        counterSignatures: {type: array, items: {$ref: "#/components/schemas/Signature"}, description: "counter-signatures over this signature, each with its own verdict; absent when none"}
    Report:
      type: object
      required: [indication, validationTime, policy, signatures]
      properties:
        indication: {type: string, enum: [TOTAL-PASSED, TOTAL-FAILED, INDETERMINATE]}
        subIndication: {type: [string, "null"]}
        validationTime: {type: string, format: date-time}
        document:
          oneOf:
            - type: "null"
            - type: object
              properties:
                name: {type: [string, "null"]}
                size: {type: [integer, "null"]}
                digests: {type: object, additionalProperties: {type: string}}
                source: {type: string, enum: [detached, attached, digest]}
        policy:
          type: object
          properties:
            id: {type: string}
            version: {type: string}
            title: {type: string}
        signatures: {type: array, items: {$ref: "#/components/schemas/Signature"}}
        documentChecks: {type: array, items: {$ref: "#/components/schemas/CheckResult"}}
        lang: {type: string, enum: [ru, en]}
        formatError: {type: [string, "null"]}
        producer: {type: string}
        timestamps: {type: array, items: {$ref: "#/components/schemas/Timestamp"}, description: "a bare RFC 3161 token given alone (signatures is then empty): its verdict and what it stamps; absent otherwise"}
    VerifyJSON:
      type: object
      anyOf: [{required: [signature]}, {required: [pdf]}]
      properties:
        signature: {type: string, contentEncoding: base64, description: "The signature (DER, PEM or Base64 inside)"}
        pdf: {type: string, contentEncoding: base64, description: "A signed PDF (PAdES), alone: its signatures are inside it; documentName names it"}
        document: {type: string, contentEncoding: base64}
        documentName: {type: string}
        documentDigest: {type: string, description: "Hex or Base64; with digestAlgorithm, instead of the document"}
        digestAlgorithm: {type: string, enum: [sha256, sha384, sha512, streebog256, streebog512]}
        documentSize: {type: integer}
        policy: {type: string, pattern: "^[a-z0-9][a-z0-9-]{0,63}$", description: "A policy id from GET /v1/policies (never a file)"}
        type: {type: string, description: "Document type as the policy names it"}
        lang: {type: string, enum: [ru, en]}
        powersOfAttorney:
          type: array
          maxItems: 8
          description: "Machine-readable powers of attorney (МЧД, EMCHD_1 XML) the signers act under (63-ФЗ ст. 17.3)"
          items:
            type: object
            required: [xml]
            properties:
              xml: {type: string, contentEncoding: base64}
              signature: {type: string, contentEncoding: base64, description: "The principal's detached signature over the XML"}
    VerifyMultipart:
      type: object
      description: document and signature, or container (an ASiC-E/ASiC-S file) alone
      properties:
        document: {type: string, format: binary}
        signature: {type: string, format: binary}
        container: {type: string, format: binary, description: "ASiC-E or ASiC-S container (ETSI EN 319 162-1); the report gets a container section"}
        pdf: {type: string, format: binary, description: "A signed PDF (PAdES), alone; the report gets a pdf section (revisions, changes after each signature)"}
        poa: {type: string, format: binary, description: "A machine-readable power of attorney (МЧД, EMCHD_1 XML); repeat the part for a re-delegation chain"}
        poa-signature: {type: string, format: binary, description: "The principal's detached signature over a poa part; the n-th goes with the n-th poa"}
        policy: {type: string, pattern: "^[a-z0-9][a-z0-9-]{0,63}$", description: "A policy id from GET /v1/policies (never a file)"}
        type: {type: string}
        lang: {type: string, enum: [ru, en]}
  responses:
    Problem:
      description: An RFC 9457 problem
      content:
        application/problem+json:
          schema: {$ref: "#/components/schemas/Problem"}
paths:
  /v1/verify:
    post:
      summary: Verify a signature
      security: [{}, {apiKey: []}]
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema: {$ref: "#/components/schemas/VerifyMultipart"}
          application/json:
            schema: {$ref: "#/components/schemas/VerifyJSON"}
      responses:
        "200":
          description: The report (after its journal entry is durable); header X-Journal-Entry holds the entry number,
            X-Journal-Node the node whose chain holds it (entry numbers count per node, see serve --node), and
            X-Journal-Receipt (when the service has a journal key) the Base64 of a CMS SignedData, signed with the journal key,
            over the entry's {"hash","node","seq","time"} (keep it to prove later that the entry existed; podpis audit verify
            --receipt). Only 200 answers are journaled. With Accept text/html, the verification protocol (one self-contained
            HTML page in the request's language), its own SHA-256 in header X-Report-SHA256
          headers:
            X-Journal-Entry: {schema: {type: integer}}
            X-Journal-Node: {schema: {type: string, pattern: "^[a-z0-9][a-z0-9_-]{0,31}$"}}
            X-Journal-Receipt: {schema: {type: string, contentEncoding: base64}}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Report"}
            text/html:
              schema: {type: string}
        "400": {$ref: "#/components/responses/Problem"}
        "401": {$ref: "#/components/responses/Problem"}
        "408": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "415": {$ref: "#/components/responses/Problem"}
        "422":
          description: Not a CMS signature (urn:podpis:problem:not-a-signature; the problem carries the FORMAT_FAILURE report;
            with Accept text/html, the protocol), not a readable ASiC container (not-a-container), or a signature carrying more
            than the service's caps allow (too-complex; certificates, revocation objects, signers, unsigned attributes, nested
            timestamps). None of these is journaled
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}
            text/html:
              schema: {type: string}
        "429":
          description: Too many request bodies arriving at once (too-many-uploads) or too many verifications at once
            (too-many-requests); header Retry-After
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}
        "503":
          description: The audit journal is unavailable (urn:podpis:problem:journal-unavailable); nothing was journaled;
            header Retry-After
          content:
            application/problem+json:
              schema: {$ref: "#/components/schemas/Problem"}
  /v1/timestamp:
    post:
      summary: RFC 3161 timestamping (when a TSA key is configured)
      security: [{}, {apiKey: []}]
      requestBody:
        required: true
        content:
          application/timestamp-query:
            schema: {type: string, format: binary}
      responses:
        "200":
          description: An RFC 3161 response (granted or rejected)
          content:
            application/timestamp-reply:
              schema: {type: string, format: binary}
        "404": {$ref: "#/components/responses/Problem"}
        "413": {$ref: "#/components/responses/Problem"}
        "415": {$ref: "#/components/responses/Problem"}
        "429": {$ref: "#/components/responses/Problem"}
  /v1/policies:
    get:
      summary: The policies available, with the version in force today
      responses:
        "200":
          description: Policies
          content:
            application/json:
              schema:
                type: array
                items:
                  type: object
                  properties:
                    id: {type: string}
                    version: {type: string}
                    title: {type: string}
                    versions: {type: array, items: {type: string}}
  /v1/policies/{id}:
    get:
      summary: One policy's dated versions and rules
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^[a-z0-9][a-z0-9-]{0,63}$"}}
      responses:
        "200":
          description: The policy
          content:
            application/json:
              schema: {type: object}
        "400": {$ref: "#/components/responses/Problem"}
        "404": {$ref: "#/components/responses/Problem"}
  /v1/admin/reload:
    post:
      summary: Reload policies and trust lists without a restart (admin key)
      security: [{apiKey: []}]
      responses:
        "200":
          description: Reloaded
          content:
            application/json:
              schema: {type: object}
        "401": {$ref: "#/components/responses/Problem"}
        "409": {$ref: "#/components/responses/Problem"}
  /healthz:
    get:
      summary: Liveness
      responses:
        "200":
          description: Alive
          content:
            text/plain:
              schema: {type: string}
  /readyz:
    get:
      summary: Readiness (policies loaded, journal reachable)
      responses:
        "200":
          description: Ready
          content:
            application/json:
              schema: {type: object}
        "503": {$ref: "#/components/responses/Problem"}
  /metrics:
    get:
      summary: Prometheus metrics
      responses:
        "200":
          description: Text exposition format
          content:
            text/plain:
              schema: {type: string}
  /openapi.yaml:
    get:
      summary: This document
      responses:
        "200":
          description: OpenAPI 3.1
          content:
            application/yaml:
              schema: {type: string}
"""#
}
