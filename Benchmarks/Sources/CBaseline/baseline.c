#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "baseline.h"
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdlib.h>

int baseline_init(void) {
    ENGINE *e = ENGINE_by_id("gost");
    if (e == NULL) return 0;
    if (!ENGINE_init(e)) { ENGINE_free(e); return 0; }
    ENGINE_set_default(e, ENGINE_METHOD_ALL);
    ENGINE_free(e);
    return 1;
}

void *baseline_store(const char *path) {
    X509_STORE *store = X509_STORE_new();
    if (store == NULL || X509_STORE_load_file(store, path) != 1) { X509_STORE_free(store); return NULL; }
    X509_STORE_set_purpose(store, X509_PURPOSE_ANY);
    return store;
}

int baseline_verify(const unsigned char *signature, size_t signature_length, const unsigned char *content, size_t content_length,
                    void *store, const unsigned char *untrusted_pem, size_t untrusted_length) {
    const unsigned char *p = signature;
    CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)signature_length);
    if (cms == NULL) { ERR_clear_error(); return 0; }
    BIO *data = BIO_new_mem_buf(content, (int)content_length);
    STACK_OF(X509) *extra = sk_X509_new_null();
    if (untrusted_pem != NULL) {
        BIO *certs = BIO_new_mem_buf(untrusted_pem, (int)untrusted_length);
        X509 *x;
        while ((x = PEM_read_bio_X509(certs, NULL, NULL, NULL)) != NULL) sk_X509_push(extra, x);
        ERR_clear_error();
        BIO_free(certs);
    }
    int ok = CMS_verify(cms, extra, (X509_STORE *)store, data, NULL, CMS_BINARY);
    ERR_clear_error();
    sk_X509_pop_free(extra, X509_free);
    BIO_free(data);
    CMS_ContentInfo_free(cms);
    return ok == 1;
}

int baseline_digest(const char *name, const unsigned char *data, size_t length, int rounds) {
    const EVP_MD *md = EVP_get_digestbyname(name);
    if (md == NULL) return 0;
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int out_length;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    for (int i = 0; i < rounds; i++) {
        EVP_DigestInit_ex(ctx, md, NULL);
        EVP_DigestUpdate(ctx, data, length);
        EVP_DigestFinal_ex(ctx, out, &out_length);
    }
    EVP_MD_CTX_free(ctx);
    return 1;
}

struct baseline_signer { EVP_PKEY *key; X509 *cert; STACK_OF(X509) *chain; };

void *baseline_signer_load(const char *key_path, const char *cert_path, const char *chain_path) {
    struct baseline_signer *s = calloc(1, sizeof *s);
    BIO *in = BIO_new_file(key_path, "r");
    if (in) { s->key = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL); BIO_free(in); }
    in = BIO_new_file(cert_path, "r");
    if (in) { s->cert = PEM_read_bio_X509(in, NULL, NULL, NULL); BIO_free(in); }
    s->chain = sk_X509_new_null();
    in = BIO_new_file(chain_path, "r");
    if (in) {
        X509 *x;
        while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) sk_X509_push(s->chain, x);
        BIO_free(in);
    }
    ERR_clear_error();
    if (s->key == NULL || s->cert == NULL) { EVP_PKEY_free(s->key); X509_free(s->cert); sk_X509_pop_free(s->chain, X509_free); free(s); return NULL; }
    return s;
}

int baseline_sign(void *signer, const unsigned char *content, size_t content_length) {
    struct baseline_signer *s = signer;
    BIO *data = BIO_new_mem_buf(content, (int)content_length);
    CMS_ContentInfo *cms = CMS_sign(s->cert, s->key, s->chain, data, CMS_DETACHED | CMS_BINARY);
    int length = cms ? i2d_CMS_ContentInfo(cms, NULL) : 0;
    CMS_ContentInfo_free(cms);
    BIO_free(data);
    ERR_clear_error();
    return length;
}
