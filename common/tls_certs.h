/* tls_certs.h: the certificates of one run, made by badup itself (OpenSSL 3): a run CA and
 * one leaf certificate of each kind a scenario can pick for a TLS upstream
 * (tls = { cert = "..." }). The simulator serves a leaf; the harness has the proxy verify
 * the upstream against the run CA. Nothing is committed: each run makes its own set.
 *
 * The files of a set, all in one folder (mode 0700):
 *   ca.crt          the run CA's certificate (PEM). Its private key is never written: it
 *                   lives in memory while the leaves are signed, then is freed, so nobody
 *                   can sign anything else with this CA.
 *   KIND.crt        a leaf's certificate (PEM), mode 0644
 *   KIND.key        its private key, PEM PKCS#8 ("BEGIN PRIVATE KEY"), mode 0600
 *   KIND.pem        the leaf then its key in one file (haproxy's `crt`), mode 0600
 * Keys are EC P-256, serials 128 random bits, signatures ECDSA with SHA-256, X.509 v3.
 *
 * The kinds (times are relative to when the set is made):
 *   valid       CN localhost, SAN DNS:localhost IP:127.0.0.1 IP:::1; signed by the CA;
 *               valid from now - 1 h to now + 30 days
 *   expired     the same names, signed by the CA; notBefore now - 30 days, notAfter
 *               now - 1 day (X509_V_ERR_CERT_HAS_EXPIRED)
 *   wrong_name  CN and SAN DNS:wrong.badup.invalid only (no IP); signed by the CA; valid
 *               dates (X509_V_ERR_HOSTNAME_MISMATCH for localhost)
 *   untrusted   the names of valid, but self-signed, valid dates
 *               (X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT)
 * The CA: CN "badup run CA <8 random hex digits>", O badup, now - 1 h .. now + 30 days. */
#ifndef BADUP_TLS_CERTS_H
#define BADUP_TLS_CERTS_H

#include <stdbool.h>
#include <stddef.h>

/* The certificate kinds a scenario can pick (tls = { cert = "..." }). */
enum tls_cert_kind { TLS_CERT_VALID, TLS_CERT_EXPIRED, TLS_CERT_WRONG_NAME, TLS_CERT_UNTRUSTED, TLS_CERT__COUNT };
/* The run CA, for tls_cert_path ("ca.crt"): not a kind a scenario picks. */
#define TLS_CERT_CA (-1)

/* "valid", "expired", "wrong_name", "untrusted": the file stems and the scenario's words. */
extern const char *const tls_cert_kind_names[TLS_CERT__COUNT];
/* The kind named name (exact, case-sensitive), or -1. */
int tls_cert_kind_parse(const char *name);

/* Makes a run CA and one leaf of each kind in dir (created 0700 if missing). When dir already
 * holds a complete set, leaves it as it is and returns 0: two processes may call this on the
 * same dir at once (an exclusive flock(2) on dir orders them), and both see one set. Every
 * file is written under a temporary name in dir and renamed into place, so no reader sees
 * half a file; when anything fails, what this call wrote is removed. Returns 0, or -1 with
 * err set to "dir: why" (truncated to errlen). */
int tls_certs_make(const char *dir, char *err, size_t errlen);

/* tls_certs_make, but a complete set already in dir is replaced by a new one (a new CA, new
 * keys), under the same lock. Each file is replaced by rename(2): a process that reads the set
 * while it is remade may get files of both sets. */
int tls_certs_remake(const char *dir, char *err, size_t errlen);

/* True when dir holds every file tls_certs_make writes, each a regular file. */
bool tls_certs_present(const char *dir);

/* The path of a kind's file into out: "DIR/valid.crt", "DIR/valid.key", "DIR/valid.pem"; with
 * kind TLS_CERT_CA and ext "crt", the CA's "DIR/ca.crt". ext is "crt", "key" or "pem".
 * Returns 0, or -1 when kind or ext is not one of these (the CA has only "crt") or the path
 * does not fit in outlen bytes. */
int tls_cert_path(char *out, size_t outlen, const char *dir, int kind, const char *ext);

#endif
