/* tls_x509.c: key pairs and certificates with OpenSSL 3. See tls_x509.h. */
#include "tls_x509.h"

#include <stdio.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

EVP_PKEY *tls_x509_key(void) { return EVP_EC_gen("P-256"); }

/* A positive, non-zero 128-bit serial (RFC 5280 4.1.2.2: positive, at most 20 octets). */
static int set_random_serial(X509 *cert) {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) return -1;
  raw[0] &= 0x7f;
  raw[0] |= 0x40; /* never zero, and always 16 octets long */
  BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
  if (!bn) return -1;
  int ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
  BN_free(bn);
  return ok ? 0 : -1;
}

static int add_name(X509_NAME *name, const char *field, const char *value) {
  return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, (const unsigned char *)value, -1, -1, 0) == 1 ? 0 : -1;
}

/* One extension in OpenSSL's config syntax ("critical,CA:TRUE"), against ctx's subject and
 * issuer. */
static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value) {
  X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
  if (!ext) return -1;
  int ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok ? 0 : -1;
}

static int add_extensions(X509 *cert, X509 *issuer, const struct tls_x509_spec *spec) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
  if (spec->is_ca) {
    if (add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
        add_ext(cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
        add_ext(cert, &ctx, NID_subject_key_identifier, "hash") < 0)
      return -1;
  } else {
    /* The subject key identifier first: a self-signed leaf's authorityKeyIdentifier is
     * copied from it. */
    if (add_ext(cert, &ctx, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
        add_ext(cert, &ctx, NID_key_usage, "critical,digitalSignature") < 0 ||
        add_ext(cert, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") < 0 ||
        add_ext(cert, &ctx, NID_subject_key_identifier, "hash") < 0 ||
        add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always") < 0)
      return -1;
  }
  if (spec->san && add_ext(cert, &ctx, NID_subject_alt_name, spec->san) < 0) return -1;
  return 0;
}

X509 *tls_x509_cert(const struct tls_x509_spec *spec, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key) {
  X509 *cert = X509_new();
  if (!cert) return NULL;
  X509_NAME *subject = X509_get_subject_name(cert);
  if (X509_set_version(cert, X509_VERSION_3) != 1 || set_random_serial(cert) < 0 ||
      !X509_gmtime_adj(X509_getm_notBefore(cert), spec->not_before_s) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert), spec->not_after_s) || (spec->org && add_name(subject, "O", spec->org) < 0) ||
      add_name(subject, "CN", spec->cn) < 0 ||
      X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : subject) != 1 ||
      X509_set_pubkey(cert, key) != 1 || add_extensions(cert, issuer, spec) < 0 ||
      X509_sign(cert, issuer ? issuer_key : key, EVP_sha256()) <= 0) {
    X509_free(cert);
    return NULL;
  }
  return cert;
}

/* Appends what a PEM writer wrote into a memory BIO. */
static int append_bio(struct buf *out, BIO *bio) {
  char *data;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0) return -1;
  buf_append(out, data, (size_t)len);
  return out->oom ? -1 : 0;
}

int tls_x509_pem_cert(struct buf *out, X509 *cert) {
  BIO *bio = BIO_new(BIO_s_mem());
  if (!bio) return -1;
  int rc = PEM_write_bio_X509(bio, cert) == 1 ? append_bio(out, bio) : -1;
  BIO_free(bio);
  return rc;
}

int tls_x509_pem_key(struct buf *out, EVP_PKEY *key) {
  BIO *bio = BIO_new(BIO_s_mem());
  if (!bio) return -1;
  /* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted without a cipher. */
  int rc = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1 ? append_bio(out, bio) : -1;
  BIO_free(bio);
  return rc;
}

const char *tls_x509_error(char *out, size_t outlen) {
  unsigned long e = ERR_get_error();
  if (e) ERR_error_string_n(e, out, outlen);
  else snprintf(out, outlen, "unknown OpenSSL error");
  ERR_clear_error();
  return out;
}
