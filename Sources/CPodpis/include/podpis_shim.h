// CPodpis: the few OpenSSL and libcurl entry points Swift cannot call directly:
// function-like macros, variadic functions, deprecated ENGINE calls and C callbacks.
// Everything else is called from SigningCore through the COpenSSL / CCurl modules.
#ifndef PODPIS_SHIM_H
#define PODPIS_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <curl/curl.h>

/// Loads OpenSSL's GOST engine once per process (thread-safe). Returns 1 when GOST is available.
int podpis_gost_init(void);

/// OPENSSL_free (a macro).
void podpis_openssl_free(void *ptr);
/// BIO_get_mem_data (a macro).
long podpis_bio_get_mem_data(BIO *bio, char **data);
/// EVP_RSA_gen / EVP_EC_gen (macros over variadic functions).
EVP_PKEY *podpis_rsa_gen(unsigned int bits);
EVP_PKEY *podpis_ec_gen(const char *curve);
/// A GOST R 34.10-2012 key (bits 256 or 512) with the given parameter set ("A", "B", ...); bits 2001 makes a
/// GOST R 34.10-2001 key (historical test cases only).
EVP_PKEY *podpis_gost2012_gen(int bits, const char *paramset);

/// Flags for printing distinguished names as UTF-8 RFC 2253 strings (Cyrillic stays Cyrillic).
unsigned long podpis_name_flags_rfc2253_utf8(void);

/// Typed stacks (the sk_* functions are macros).
STACK_OF(X509) *podpis_sk_x509_new(void);
int podpis_sk_x509_push(STACK_OF(X509) *sk, X509 *cert); /* takes ownership */
int podpis_sk_x509_num(const STACK_OF(X509) *sk);
X509 *podpis_sk_x509_value(const STACK_OF(X509) *sk, int i);
void podpis_sk_x509_pop_free(STACK_OF(X509) *sk);
void podpis_sk_x509_free(STACK_OF(X509) *sk); /* frees the stack only */
STACK_OF(X509_CRL) *podpis_sk_crl_new(void);
int podpis_sk_crl_push(STACK_OF(X509_CRL) *sk, X509_CRL *crl);
int podpis_sk_crl_num(const STACK_OF(X509_CRL) *sk);
X509_CRL *podpis_sk_crl_value(const STACK_OF(X509_CRL) *sk, int i);
void podpis_sk_crl_pop_free(STACK_OF(X509_CRL) *sk);
int podpis_sk_signerinfo_num(STACK_OF(CMS_SignerInfo) *sk);
CMS_SignerInfo *podpis_sk_signerinfo_value(STACK_OF(CMS_SignerInfo) *sk, int i);
int podpis_sk_string_num(STACK_OF(OPENSSL_STRING) *sk);
const char *podpis_sk_string_value(STACK_OF(OPENSSL_STRING) *sk, int i);

/// Certificate extension details, flattened for Swift.
/// Copies up to `max` NUL-terminated URIs from the CRL distribution points into a newly allocated
/// "\n"-separated string (free with podpis_openssl_free). Returns NULL when there are none.
char *podpis_x509_crl_urls(X509 *cert);
/// OCSP responder and CA-issuers URIs from authorityInfoAccess, "\n"-separated; NULL when none.
char *podpis_x509_aia_urls(X509 *cert, int want_ocsp);
/// Certificate policy OIDs (dotted), "\n"-separated; NULL when none.
char *podpis_x509_policy_oids(X509 *cert);
/// Extended key usage OIDs (dotted), "\n"-separated; NULL when none.
char *podpis_x509_eku_oids(X509 *cert);
/// 1 when the extension with this NID is present and critical, 0 present and not critical, -1 absent.
int podpis_x509_ext_critical(X509 *cert, int nid);

/// The first critical extension of any entry of `crl` that RFC 5280 §5.3 processing does not know (anything but
/// reasonCode, invalidityDate, certificateIssuer and holdInstructionCode), written as a dotted OID into `buf`.
/// Returns 1 when one was found (the CRL must not be used, RFC 5280 §5.3), 0 when none, -1 when an entry does not
/// decode. Typed stacks are macros, so the walk over the entries lives here.
int podpis_crl_entry_unknown_critical(X509_CRL *crl, char *buf, int len);

/// Path-validation log: the verify callback records every (depth, error) and lets validation go on,
/// so one run reports all problems of a chain.
#define PODPIS_VERIFY_LOG_MAX 64
typedef struct {
    int count;
    int depth[PODPIS_VERIFY_LOG_MAX];
    int error[PODPIS_VERIFY_LOG_MAX];
} podpis_verify_log;
/// Installs the collecting callback on `ctx`, writing into `log` (owned by the caller for the ctx's lifetime).
void podpis_store_ctx_collect(X509_STORE_CTX *ctx, podpis_verify_log *log);

/// Passphrase source for PEM / PKCS#8 decoding. The callback never prompts: it records that a passphrase
/// was needed so the caller can ask for it itself.
typedef struct {
    const char *pass;
    int len;
    int asked;
} podpis_pass;
int podpis_pem_pass_cb(char *buf, int size, int rwflag, void *userdata);

/// curl_global_init, once per process (thread-safe). Returns 1 on success.
int podpis_curl_init(void);

/// libcurl's variadic setopt/getinfo, one typed wrapper per argument type.
CURLcode podpis_curl_setopt_long(CURL *curl, CURLoption opt, long value);
CURLcode podpis_curl_setopt_str(CURL *curl, CURLoption opt, const char *value);
CURLcode podpis_curl_setopt_ptr(CURL *curl, CURLoption opt, void *value);
CURLcode podpis_curl_getinfo_long(CURL *curl, CURLINFO info, long *value);
CURLcode podpis_curl_getinfo_str(CURL *curl, CURLINFO info, char **value);
/// Collects a response body into a growing buffer, refusing to grow past `limit` bytes.
typedef struct {
    unsigned char *data;
    size_t size;
    size_t limit;
    int overflow;
} podpis_curl_buffer;
CURLcode podpis_curl_set_sink(CURL *curl, podpis_curl_buffer *sink);
void podpis_curl_buffer_free(podpis_curl_buffer *sink);

/// Where a fetch may connect, checked on every address libcurl is about to connect to (after DNS, so a name
/// that resolves to an internal address is caught too). Without entries (and not `allow_all`), loopback,
/// link-local, private, shared, multicast and reserved addresses are refused; with entries, only addresses
/// inside one of them are allowed.
typedef struct podpis_destinations podpis_destinations;
podpis_destinations *podpis_destinations_new(int allow_all);
/// Adds an allowed network: `family` 4 or 6, `address` 4 or 16 bytes, `prefix` in bits.
void podpis_destinations_add(podpis_destinations *rules, int family, const unsigned char *address, int prefix);
void podpis_destinations_free(podpis_destinations *rules);
/// Installs the check on a handle (CURLOPT_OPENSOCKETFUNCTION); `rules` must outlive the transfer.
CURLcode podpis_curl_set_destinations(CURL *curl, podpis_destinations *rules);
/// After a transfer: 0 if nothing was refused, 1 if an address in a special range was refused, 2 if an address
/// outside the allowed networks was; the address refused is written into `buffer`.
int podpis_destinations_refused(const podpis_destinations *rules, char *buffer, size_t size);
/// Whether an address is in one of the ranges refused by default (for tests and messages).
int podpis_address_is_special(int family, const unsigned char *address);


/// Outcomes of podpis_pkcs11_load.
enum {
    PODPIS_P11_OK = 0,
    PODPIS_P11_NO_ENGINE = 1,     /* libp11's engine is not installed (libengine-pkcs11-openssl) */
    PODPIS_P11_NO_MODULE = 2,     /* the PKCS#11 module did not load or initialise */
    PODPIS_P11_OTHER_MODULE = 3,  /* a different module is already in use in this process */
    PODPIS_P11_PIN_REFUSED = 4,   /* the token refused the PIN (incorrect, expired or locked) */
    PODPIS_P11_NOT_FOUND = 5,     /* no token or no private key matches the URI */
    PODPIS_P11_FAILED = 6
};
/// Loads a private key (and, when cert_uri is given, the certificate) from a PKCS#11 token through libp11's
/// "pkcs11" engine, loaded once per process (module NULL: libp11's default, p11-kit's proxy). The key signs on
/// the token. The PIN is handed to the engine, which keeps it for re-login; the caller wipes its own copy.
int podpis_pkcs11_load(const char *module, const char *key_uri, const char *cert_uri, const char *pin,
                       EVP_PKEY **key, X509 **cert);

#endif
