#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "podpis_shim.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

/* ---- GOST engine, loaded once ---- */

static CRYPTO_ONCE gost_once = CRYPTO_ONCE_STATIC_INIT;
static int gost_ok = 0;

static void gost_load(void) {
    ENGINE *e = ENGINE_by_id("gost");
    if (e == NULL) {
        ERR_clear_error();
        return;
    }
    if (!ENGINE_init(e)) {
        ENGINE_free(e);
        ERR_clear_error();
        return;
    }
    /* Make GOST key, digest and signature methods the defaults for their NIDs. */
    if (!ENGINE_set_default(e, ENGINE_METHOD_ALL)) {
        ENGINE_finish(e);
        ENGINE_free(e);
        ERR_clear_error();
        return;
    }
    /* The engine stays initialised for the life of the process. */
    ENGINE_free(e);
    gost_ok = 1;
}

int podpis_gost_init(void) {
    if (!CRYPTO_THREAD_run_once(&gost_once, gost_load))
        return 0;
    return gost_ok;
}

/* ---- macros ---- */

void podpis_openssl_free(void *ptr) { OPENSSL_free(ptr); }

long podpis_bio_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

EVP_PKEY *podpis_rsa_gen(unsigned int bits) { return EVP_RSA_gen(bits); }

EVP_PKEY *podpis_ec_gen(const char *curve) { return EVP_EC_gen(curve); }

EVP_PKEY *podpis_gost2012_gen(int bits, const char *paramset) {
    int nid = bits == 512 ? NID_id_GostR3410_2012_512 : (bits == 2001 ? NID_id_GostR3410_2001 : NID_id_GostR3410_2012_256);
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(nid, NULL);
    if (ctx == NULL)
        return NULL;
    if (EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_CTX_ctrl_str(ctx, "paramset", paramset) <= 0 ||
        EVP_PKEY_keygen(ctx, &key) <= 0) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
}

unsigned long podpis_name_flags_rfc2253_utf8(void) {
    return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
}

/* ---- stacks ---- */

STACK_OF(X509) *podpis_sk_x509_new(void) { return sk_X509_new_null(); }
int podpis_sk_x509_push(STACK_OF(X509) *sk, X509 *cert) { return sk_X509_push(sk, cert); }
int podpis_sk_x509_num(const STACK_OF(X509) *sk) { return sk == NULL ? 0 : sk_X509_num(sk); }
X509 *podpis_sk_x509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
void podpis_sk_x509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
void podpis_sk_x509_free(STACK_OF(X509) *sk) { sk_X509_free(sk); }
STACK_OF(X509_CRL) *podpis_sk_crl_new(void) { return sk_X509_CRL_new_null(); }
int podpis_sk_crl_push(STACK_OF(X509_CRL) *sk, X509_CRL *crl) { return sk_X509_CRL_push(sk, crl); }
int podpis_sk_crl_num(const STACK_OF(X509_CRL) *sk) { return sk == NULL ? 0 : sk_X509_CRL_num(sk); }
X509_CRL *podpis_sk_crl_value(const STACK_OF(X509_CRL) *sk, int i) { return sk_X509_CRL_value(sk, i); }
void podpis_sk_crl_pop_free(STACK_OF(X509_CRL) *sk) { sk_X509_CRL_pop_free(sk, X509_CRL_free); }
int podpis_sk_signerinfo_num(STACK_OF(CMS_SignerInfo) *sk) { return sk == NULL ? 0 : sk_CMS_SignerInfo_num(sk); }
CMS_SignerInfo *podpis_sk_signerinfo_value(STACK_OF(CMS_SignerInfo) *sk, int i) {
    return sk_CMS_SignerInfo_value(sk, i);
}
int podpis_sk_string_num(STACK_OF(OPENSSL_STRING) *sk) { return sk == NULL ? 0 : sk_OPENSSL_STRING_num(sk); }
const char *podpis_sk_string_value(STACK_OF(OPENSSL_STRING) *sk, int i) { return sk_OPENSSL_STRING_value(sk, i); }

/* ---- extension helpers ---- */

/* A small growable "\n"-joined string builder. */
typedef struct { char *buf; size_t len, cap; } joiner;

static int join_add(joiner *j, const char *s, size_t n) {
    size_t need = j->len + n + 2;
    if (need > j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 128;
        while (cap < need) cap *= 2;
        char *nb = OPENSSL_realloc(j->buf, cap);
        if (nb == NULL) return 0;
        j->buf = nb;
        j->cap = cap;
    }
    if (j->len > 0) j->buf[j->len++] = '\n';
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = 0;
    return 1;
}

static void join_uri(joiner *j, const GENERAL_NAME *gn) {
    if (gn != NULL && gn->type == GEN_URI) {
        const ASN1_IA5STRING *uri = gn->d.uniformResourceIdentifier;
        /* URIs with embedded NULs or newlines are not usable and are skipped. */
        if (memchr(uri->data, 0, uri->length) == NULL && memchr(uri->data, '\n', uri->length) == NULL)
            join_add(j, (const char *)uri->data, (size_t)uri->length);
    }
}

char *podpis_x509_crl_urls(X509 *cert) {
    joiner j = {0};
    STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    if (dps == NULL) { ERR_clear_error(); return NULL; }
    for (int i = 0; i < sk_DIST_POINT_num(dps); i++) {
        DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (dp->distpoint == NULL || dp->distpoint->type != 0) continue;
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int k = 0; k < sk_GENERAL_NAME_num(names); k++)
            join_uri(&j, sk_GENERAL_NAME_value(names, k));
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return j.buf;
}

char *podpis_x509_aia_urls(X509 *cert, int want_ocsp) {
    joiner j = {0};
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    if (aia == NULL) { ERR_clear_error(); return NULL; }
    int want = want_ocsp ? NID_ad_OCSP : NID_ad_ca_issuers;
    for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
        ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        if (OBJ_obj2nid(ad->method) == want) join_uri(&j, ad->location);
    }
    AUTHORITY_INFO_ACCESS_free(aia);
    return j.buf;
}

static void join_oid(joiner *j, const ASN1_OBJECT *obj) {
    char oid[128];
    int n = OBJ_obj2txt(oid, sizeof oid, obj, 1);
    if (n > 0 && (size_t)n < sizeof oid) join_add(j, oid, (size_t)n);
}

char *podpis_x509_policy_oids(X509 *cert) {
    joiner j = {0};
    CERTIFICATEPOLICIES *pols = X509_get_ext_d2i(cert, NID_certificate_policies, NULL, NULL);
    if (pols == NULL) { ERR_clear_error(); return NULL; }
    for (int i = 0; i < sk_POLICYINFO_num(pols); i++)
        join_oid(&j, sk_POLICYINFO_value(pols, i)->policyid);
    sk_POLICYINFO_pop_free(pols, POLICYINFO_free);
    return j.buf;
}

char *podpis_x509_eku_oids(X509 *cert) {
    joiner j = {0};
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    if (eku == NULL) { ERR_clear_error(); return NULL; }
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
        join_oid(&j, sk_ASN1_OBJECT_value(eku, i));
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return j.buf;
}

int podpis_x509_ext_critical(X509 *cert, int nid) {
    int idx = X509_get_ext_by_NID(cert, nid, -1);
    if (idx < 0) return -1;
    return X509_EXTENSION_get_critical(X509_get_ext(cert, idx)) ? 1 : 0;
}

int podpis_crl_entry_unknown_critical(X509_CRL *crl, char *buf, int len) {
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
    if (len > 0) buf[0] = 0;
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
        X509_REVOKED *rev = sk_X509_REVOKED_value(revoked, i);
        if (rev == NULL) return -1;
        for (int j = 0; j < X509_REVOKED_get_ext_count(rev); j++) {
            X509_EXTENSION *ext = X509_REVOKED_get_ext(rev, j);
            if (ext == NULL) return -1;
            if (!X509_EXTENSION_get_critical(ext)) continue;
            int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
            if (nid == NID_crl_reason || nid == NID_invalidity_date || nid == NID_certificate_issuer ||
                nid == NID_hold_instruction_code)
                continue;
            if (len > 0) OBJ_obj2txt(buf, len, X509_EXTENSION_get_object(ext), 1);
            return 1;
        }
    }
    return 0;
}

/* ---- path validation log ---- */

static int collect_cb(int ok, X509_STORE_CTX *ctx) {
    if (!ok) {
        podpis_verify_log *log = X509_STORE_CTX_get_ex_data(ctx, 0);
        if (log != NULL && log->count < PODPIS_VERIFY_LOG_MAX) {
            log->depth[log->count] = X509_STORE_CTX_get_error_depth(ctx);
            log->error[log->count] = X509_STORE_CTX_get_error(ctx);
            log->count++;
        }
        /* A chain that cannot be built at all must still fail. */
        int err = X509_STORE_CTX_get_error(ctx);
        if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
            err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
            err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE)
            return 0;
        return 1;
    }
    return ok;
}

void podpis_store_ctx_collect(X509_STORE_CTX *ctx, podpis_verify_log *log) {
    log->count = 0;
    X509_STORE_CTX_set_ex_data(ctx, 0, log);
    X509_STORE_CTX_set_verify_cb(ctx, collect_cb);
}

/* ---- passphrases ---- */

int podpis_pem_pass_cb(char *buf, int size, int rwflag, void *userdata) {
    (void)rwflag;
    podpis_pass *p = userdata;
    if (p == NULL) return -1;
    p->asked = 1;
    if (p->pass == NULL || p->len <= 0 || p->len > size) return -1;
    memcpy(buf, p->pass, (size_t)p->len);
    return p->len;
}

/* ---- libcurl ---- */

static CRYPTO_ONCE curl_once = CRYPTO_ONCE_STATIC_INIT;
static int curl_ok = 0;
static void curl_load(void) { curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }
int podpis_curl_init(void) {
    if (!CRYPTO_THREAD_run_once(&curl_once, curl_load)) return 0;
    return curl_ok;
}

CURLcode podpis_curl_setopt_long(CURL *curl, CURLoption opt, long value) { return curl_easy_setopt(curl, opt, value); }
CURLcode podpis_curl_setopt_str(CURL *curl, CURLoption opt, const char *value) { return curl_easy_setopt(curl, opt, value); }
CURLcode podpis_curl_setopt_ptr(CURL *curl, CURLoption opt, void *value) { return curl_easy_setopt(curl, opt, value); }
CURLcode podpis_curl_getinfo_long(CURL *curl, CURLINFO info, long *value) { return curl_easy_getinfo(curl, info, value); }
CURLcode podpis_curl_getinfo_str(CURL *curl, CURLINFO info, char **value) { return curl_easy_getinfo(curl, info, value); }

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
    podpis_curl_buffer *b = userdata;
    size_t n = size * nmemb;
    if (n == 0) return 0;
    if (b->size + n > b->limit) { b->overflow = 1; return 0; }
    unsigned char *nd = realloc(b->data, b->size + n);
    if (nd == NULL) return 0;
    memcpy(nd + b->size, ptr, n);
    b->data = nd;
    b->size += n;
    return n;
}

CURLcode podpis_curl_set_sink(CURL *curl, podpis_curl_buffer *sink) {
    CURLcode rc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
}

/* ---- where fetches may connect ---- */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define PODPIS_MAX_DESTINATIONS 64

struct podpis_destinations {
    int allow_all;
    int count;
    int family[PODPIS_MAX_DESTINATIONS];
    unsigned char address[PODPIS_MAX_DESTINATIONS][16];
    int prefix[PODPIS_MAX_DESTINATIONS];
    int refused;
    char refused_address[INET6_ADDRSTRLEN];
};

podpis_destinations *podpis_destinations_new(int allow_all) {
    podpis_destinations *rules = calloc(1, sizeof(podpis_destinations));
    if (rules) rules->allow_all = allow_all;
    return rules;
}

void podpis_destinations_add(podpis_destinations *rules, int family, const unsigned char *address, int prefix) {
    if (!rules || rules->count >= PODPIS_MAX_DESTINATIONS || (family != 4 && family != 6)) return;
    int n = rules->count++;
    rules->family[n] = family;
    memcpy(rules->address[n], address, family == 4 ? 4 : 16);
    rules->prefix[n] = prefix;
}

void podpis_destinations_free(podpis_destinations *rules) { free(rules); }

static int prefix_matches(const unsigned char *a, const unsigned char *b, int bits) {
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0) return 0;
    if (rest == 0) return 1;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

static int v4_special(const unsigned char *a) {
    static const struct { unsigned char net[4]; int bits; } ranges[] = {
        {{0, 0, 0, 0}, 8},        /* "this" network */
        {{10, 0, 0, 0}, 8},       /* private */
        {{100, 64, 0, 0}, 10},    /* shared address space (carrier-grade NAT) */
        {{127, 0, 0, 0}, 8},      /* loopback */
        {{169, 254, 0, 0}, 16},   /* link-local (cloud metadata services live here) */
        {{172, 16, 0, 0}, 12},    /* private */
        {{192, 0, 0, 0}, 24},     /* IETF protocol assignments */
        {{192, 168, 0, 0}, 16},   /* private */
        {{198, 18, 0, 0}, 15},    /* benchmarking */
        {{224, 0, 0, 0}, 4},      /* multicast */
        {{240, 0, 0, 0}, 4},      /* reserved, broadcast */
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        if (prefix_matches(a, ranges[i].net, ranges[i].bits)) return 1;
    return 0;
}

int podpis_address_is_special(int family, const unsigned char *a) {
    if (family == 4) return v4_special(a);
    static const unsigned char zero[16] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const unsigned char nat64[12] = {0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0};
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0) return v4_special(a + 12);
    if (memcmp(a, zero, 12) == 0) return 1;                  /* ::, ::1 and the old IPv4-compatible form */
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0x80) return 1;     /* fe80::/10 link-local */
    if ((a[0] & 0xFE) == 0xFC) return 1;                     /* fc00::/7 unique local */
    if (a[0] == 0xFF) return 1;                              /* ff00::/8 multicast */
    if (a[0] == 0xFE && (a[1] & 0xC0) == 0xC0) return 1;     /* fec0::/10 site-local (deprecated) */
    return 0;
}

/* 0: allowed; 1: special range; 2: outside the allowed networks. */
static int destination_verdict(const podpis_destinations *rules, int family, const unsigned char *a) {
    if (rules->allow_all) return 0;
    if (rules->count > 0) {
        unsigned char v4[4];
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
        if (family == 6 && memcmp(a, mapped, 12) == 0) { memcpy(v4, a + 12, 4); family = 4; a = v4; }
        for (int i = 0; i < rules->count; i++)
            if (rules->family[i] == family && prefix_matches(a, rules->address[i], rules->prefix[i])) return 0;
        return 2;
    }
    return podpis_address_is_special(family, a) ? 1 : 0;
}

static curl_socket_t open_checked(void *clientp, curlsocktype purpose, struct curl_sockaddr *address) {
    podpis_destinations *rules = clientp;
    if (purpose == CURLSOCKTYPE_IPCXN && rules) {
        int verdict = 0;
        const void *raw = NULL;
        if (address->family == AF_INET) {
            raw = &((const struct sockaddr_in *)&address->addr)->sin_addr;
            verdict = destination_verdict(rules, 4, raw);
        } else if (address->family == AF_INET6) {
            raw = &((const struct sockaddr_in6 *)&address->addr)->sin6_addr;
            verdict = destination_verdict(rules, 6, raw);
        } else {
            verdict = 2;  /* no UNIX sockets or anything else */
        }
        if (verdict != 0) {
            rules->refused = verdict;
            rules->refused_address[0] = 0;
            if (raw) inet_ntop(address->family, raw, rules->refused_address, sizeof(rules->refused_address));
            return CURL_SOCKET_BAD;
        }
    }
    return socket(address->family, address->socktype, address->protocol);
}

CURLcode podpis_curl_set_destinations(CURL *curl, podpis_destinations *rules) {
    CURLcode rc = curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_checked);
    if (rc != CURLE_OK) return rc;
    return curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, rules);
}

int podpis_destinations_refused(const podpis_destinations *rules, char *buffer, size_t size) {
    if (!rules || !rules->refused) return 0;
    if (buffer && size > 0) {
        strncpy(buffer, rules->refused_address, size - 1);
        buffer[size - 1] = 0;
    }
    return rules->refused;
}

void podpis_curl_buffer_free(podpis_curl_buffer *sink) {
    free(sink->data);
    sink->data = NULL;
    sink->size = 0;
}

/* ---- PKCS#11 tokens through libp11's "pkcs11" engine ---- */

static pthread_mutex_t pkcs11_lock = PTHREAD_MUTEX_INITIALIZER;
static ENGINE *pkcs11_engine = NULL;
static char *pkcs11_module = NULL;

/* Returns the process's initialised pkcs11 engine, loading it on first use. Called with pkcs11_lock held. */
static int pkcs11_engine_for(const char *module, ENGINE **out) {
    const char *wanted = module ? module : "";
    if (pkcs11_engine != NULL) {
        if (strcmp(pkcs11_module, wanted) != 0)
            return PODPIS_P11_OTHER_MODULE;
        *out = pkcs11_engine;
        return PODPIS_P11_OK;
    }
    ENGINE *e = ENGINE_by_id("pkcs11");
    if (e == NULL)
        return PODPIS_P11_NO_ENGINE;
    /* libp11 prints diagnostics to stderr unless told otherwise; podpis reports one line itself. */
    ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 1);
    if (module != NULL && !ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0)) {
        ENGINE_free(e);
        return PODPIS_P11_NO_MODULE;
    }
    if (!ENGINE_init(e)) {
        ENGINE_free(e);
        return PODPIS_P11_NO_MODULE;
    }
    /* The structural reference is dropped; the functional one keeps the engine for the life of the process. */
    ENGINE_free(e);
    pkcs11_engine = e;
    pkcs11_module = strdup(wanted);
    *out = e;
    return PODPIS_P11_OK;
}

/* Whether the oldest queued error is the module's PIN refusal (CKR_PIN_INCORRECT .. CKR_PIN_LOCKED); the queue
 * stays for the caller to drain. libp11 queues the module's CKR_* value as the reason under "PKCS#11 module". */
static int pkcs11_pin_refused(void) {
    unsigned long code = ERR_peek_error();
    const char *lib = ERR_lib_error_string(code);
    int reason = ERR_GET_REASON(code);
    return code != 0 && lib != NULL && strcmp(lib, "PKCS#11 module") == 0 && reason >= 0xA0 && reason <= 0xA4;
}

int podpis_pkcs11_load(const char *module, const char *key_uri, const char *cert_uri, const char *pin,
                       EVP_PKEY **key, X509 **cert) {
    ENGINE *e = NULL;
    int status;
    *key = NULL;
    if (cert != NULL)
        *cert = NULL;
    pthread_mutex_lock(&pkcs11_lock);
    status = pkcs11_engine_for(module, &e);
    if (status != PODPIS_P11_OK) {
        pthread_mutex_unlock(&pkcs11_lock);
        return status;
    }
    if (pin != NULL && !ENGINE_ctrl_cmd_string(e, "PIN", pin, 0)) {
        pthread_mutex_unlock(&pkcs11_lock);
        return PODPIS_P11_FAILED;
    }
    *key = ENGINE_load_private_key(e, key_uri, NULL, NULL);
    if (*key == NULL) {
        status = pkcs11_pin_refused() ? PODPIS_P11_PIN_REFUSED : PODPIS_P11_NOT_FOUND;
        pthread_mutex_unlock(&pkcs11_lock);
        return status;
    }
    if (cert != NULL && cert_uri != NULL) {
        struct { const char *uri; X509 *cert; } request = { cert_uri, NULL };
        if (ENGINE_ctrl_cmd(e, "LOAD_CERT_CTRL", 0, &request, NULL, 1) && request.cert != NULL)
            *cert = request.cert;
        else
            ERR_clear_error(); /* no certificate on the token is not an error: --cert gives it */
    }
    pthread_mutex_unlock(&pkcs11_lock);
    return PODPIS_P11_OK;
}
