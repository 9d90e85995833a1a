#ifndef PODPIS_BASELINE_H
#define PODPIS_BASELINE_H
#include <stddef.h>

/// Loads the GOST engine (as podpis does) so GOST signatures can be verified by the baseline too.
int baseline_init(void);
/// An X509_STORE holding the PEM anchors in `path` (opaque to Swift). NULL on failure.
void *baseline_store(const char *path);
/// Parses a DER CMS signature and verifies it over `content` with CMS_verify (signature, message digest, and the
/// signer's path with X509_verify_cert), as a C program would. 1 when valid.
int baseline_verify(const unsigned char *signature, size_t signature_length, const unsigned char *content, size_t content_length,
                    void *store, const unsigned char *untrusted_pem, size_t untrusted_length);
/// SHA-256 (or another digest by name) over a buffer, `rounds` times; returns 1.
int baseline_digest(const char *name, const unsigned char *data, size_t length, int rounds);
/// A signing key, certificate and chain read from PEM files (opaque to Swift). NULL on failure.
void *baseline_signer_load(const char *key_path, const char *cert_path, const char *chain_path);
/// A detached CMS signature over `content` with CMS_sign, DER-encoded and dropped; returns its length (0 on failure).
int baseline_sign(void *signer, const unsigned char *content, size_t content_length);
#endif
