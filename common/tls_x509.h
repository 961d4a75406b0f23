/* tls_x509.h: one key pair and one X.509 v3 certificate at a time, with OpenSSL 3, for the run
 * certificates of tls_certs.h (which says what each certificate holds). Internal to common/. */
#ifndef BADUP_TLS_X509_H
#define BADUP_TLS_X509_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"

/* What one certificate says about itself. Times are seconds relative to now. */
struct tls_x509_spec {
  const char *cn;  /* subject commonName */
  const char *org; /* subject organizationName, or NULL */
  const char *san; /* subjectAltName in OpenSSL's config syntax ("DNS:a,IP:127.0.0.1"), or NULL */
  long not_before_s, not_after_s;
  int is_ca; /* 1: basicConstraints critical CA:TRUE, keyUsage keyCertSign cRLSign;
                0: CA:FALSE, keyUsage digitalSignature, extendedKeyUsage serverAuth clientAuth */
};

/* A new EC P-256 key pair, or NULL. */
EVP_PKEY *tls_x509_key(void);

/* A certificate for key, signed with SHA-256 by issuer_key; issuer is the issuer's
 * certificate (its subject becomes this one's issuer, its subjectKeyIdentifier this one's
 * authorityKeyIdentifier), or NULL for a self-signed certificate (issuer_key is then key).
 * Serial: 128 random bits. NULL on failure (the reason is on OpenSSL's error queue). */
X509 *tls_x509_cert(const struct tls_x509_spec *spec, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key);

/* Appends the PEM of a certificate, or of a private key as unencrypted PKCS#8. 0 or -1. */
int tls_x509_pem_cert(struct buf *out, X509 *cert);
int tls_x509_pem_key(struct buf *out, EVP_PKEY *key);

/* The oldest error on OpenSSL's error queue as text (or "unknown OpenSSL error"), into out;
 * the queue is cleared. Returns out. */
const char *tls_x509_error(char *out, size_t outlen);

#endif
