/* test_tls_certs.c: common/tls_certs.c, a run's certificates, checked the way a TLS client
 * checks them: OpenSSL's own verification (X509_STORE holding only ca.crt, host and IP
 * checks through X509_VERIFY_PARAM) gives the error each kind is made to give. Also: every
 * key matches its certificate, keys are the owner's alone, the CA's key is nowhere on disk,
 * a second call changes nothing, and parallel calls on one folder agree on one set. */
#include <check.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "fileio.h"
#include "tls_certs.h"
#include "unit_util.h"

#define SET_FILES (1 + 3 * TLS_CERT__COUNT)

static char *dir; /* a fresh set, made in setup */

static void setup(void) {
  dir = uu_mkdtemp();
  char err[512] = "";
  ck_assert_msg(tls_certs_make(dir, err, sizeof err) == 0, "tls_certs_make: %s", err);
}
static void teardown(void) { uu_rmtree(dir); }

static char *path_of(const char *d, int kind, const char *ext) {
  static char path[4][4096];
  static int next;
  char *p = path[next++ % 4];
  ck_assert_int_eq(tls_cert_path(p, sizeof path[0], d, kind, ext), 0);
  return p;
}

static X509 *read_cert(const char *path) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s", path);
  X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  ck_assert_msg(x != NULL, "%s: no certificate", path);
  return x;
}

static EVP_PKEY *read_key(const char *path) {
  FILE *f = fopen(path, "r");
  ck_assert_msg(f != NULL, "%s", path);
  EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
  fclose(f);
  ck_assert_msg(k != NULL, "%s: no private key", path);
  return k;
}

/* The X509_V_* result of verifying kind's leaf against d's ca.crt alone, for host (or NULL)
 * and ip (or NULL), as a TLS client that trusts only the run CA does. */
static int verify(const char *d, int kind, const char *host, const char *ip) {
  X509_STORE *store = X509_STORE_new();
  X509 *ca = read_cert(path_of(d, TLS_CERT_CA, "crt"));
  ck_assert_int_eq(X509_STORE_add_cert(store, ca), 1);
  X509 *leaf = read_cert(path_of(d, kind, "crt"));
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  ck_assert_int_eq(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
  X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
  if (host) ck_assert_int_eq(X509_VERIFY_PARAM_set1_host(param, host, 0), 1);
  if (ip) ck_assert_int_eq(X509_VERIFY_PARAM_set1_ip_asc(param, ip), 1);
  int ok = X509_verify_cert(ctx);
  int e = X509_STORE_CTX_get_error(ctx);
  ck_assert_int_eq(ok == 1, e == X509_V_OK);
  X509_STORE_CTX_free(ctx);
  X509_free(leaf);
  X509_free(ca);
  X509_STORE_free(store);
  return e;
}

#define ck_verify(kind, host, ip, want)                                                                          \
  do {                                                                                                           \
    int got_ = verify(dir, kind, host, ip);                                                                      \
    ck_assert_msg(got_ == (want), "%s host=%s ip=%s: got %d (%s), want %s", tls_cert_kind_names[kind],             \
                  host ? host : "-", ip ? ip : "-", got_, X509_verify_cert_error_string(got_), #want);           \
  } while (0)

START_TEST(test_valid_verifies_for_localhost_and_loopback) {
  ck_verify(TLS_CERT_VALID, NULL, NULL, X509_V_OK);
  ck_verify(TLS_CERT_VALID, "localhost", NULL, X509_V_OK);
  ck_verify(TLS_CERT_VALID, NULL, "127.0.0.1", X509_V_OK);
  ck_verify(TLS_CERT_VALID, NULL, "::1", X509_V_OK);
  ck_verify(TLS_CERT_VALID, "example.com", NULL, X509_V_ERR_HOSTNAME_MISMATCH);
}
END_TEST

START_TEST(test_expired_has_expired) {
  ck_verify(TLS_CERT_EXPIRED, "localhost", NULL, X509_V_ERR_CERT_HAS_EXPIRED);
  /* ...and only that: a day ago it verified. */
  X509 *leaf = read_cert(path_of(dir, TLS_CERT_EXPIRED, "crt"));
  ck_assert_int_lt(X509_cmp_current_time(X509_get0_notAfter(leaf)), 0);
  ck_assert_int_lt(X509_cmp_current_time(X509_get0_notBefore(leaf)), 0);
  X509_free(leaf);
}
END_TEST

START_TEST(test_wrong_name_fails_for_localhost_only) {
  ck_verify(TLS_CERT_WRONG_NAME, "localhost", NULL, X509_V_ERR_HOSTNAME_MISMATCH);
  ck_verify(TLS_CERT_WRONG_NAME, NULL, "127.0.0.1", X509_V_ERR_IP_ADDRESS_MISMATCH);
  ck_verify(TLS_CERT_WRONG_NAME, "wrong.badup.invalid", NULL, X509_V_OK);
}
END_TEST

START_TEST(test_untrusted_is_self_signed) {
  ck_verify(TLS_CERT_UNTRUSTED, "localhost", NULL, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  X509 *leaf = read_cert(path_of(dir, TLS_CERT_UNTRUSTED, "crt"));
  ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(leaf), X509_get_issuer_name(leaf)), 0);
  X509_free(leaf);
}
END_TEST

START_TEST(test_ca_and_leaves_say_what_they_are) {
  X509 *ca = read_cert(path_of(dir, TLS_CERT_CA, "crt"));
  ck_assert_int_eq(X509_check_ca(ca), 1);
  char cn[128] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn, sizeof cn);
  ck_assert_msg(strncmp(cn, "badup run CA ", 13) == 0 && strlen(cn) == 13 + 8 &&
                    strspn(cn + 13, "0123456789abcdef") == 8, "CA CN '%s'", cn);
  ck_assert_uint_eq(X509_get_key_usage(ca), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
  const BIGNUM *serials[TLS_CERT__COUNT + 1];
  BIGNUM *owned[TLS_CERT__COUNT + 1];
  owned[0] = ASN1_INTEGER_to_BN(X509_get0_serialNumber(ca), NULL);
  serials[0] = owned[0];
  for (int k = 0; k < TLS_CERT__COUNT; k++) {
    X509 *leaf = read_cert(path_of(dir, k, "crt"));
    ck_assert_int_eq(X509_check_ca(leaf), 0);
    ck_assert_uint_eq(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE);
    ck_assert_uint_eq(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER | XKU_SSL_CLIENT);
    ck_assert_ptr_nonnull(X509_get0_authority_key_id(leaf));
    ck_assert_int_eq(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA256);
    EVP_PKEY *pub = X509_get0_pubkey(leaf);
    ck_assert(EVP_PKEY_is_a(pub, "EC"));
    ck_assert_int_eq(EVP_PKEY_get_bits(pub), 256);
    if (k != TLS_CERT_UNTRUSTED) ck_assert_int_eq(X509_check_issued(ca, leaf), X509_V_OK);
    owned[k + 1] = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
    serials[k + 1] = owned[k + 1];
    X509_free(leaf);
  }
  /* 128 random bits: positive, long, and no two alike. */
  for (int i = 0; i <= TLS_CERT__COUNT; i++) {
    ck_assert_int_ge(BN_num_bits(serials[i]), 120);
    ck_assert(!BN_is_negative(serials[i]));
    for (int j = 0; j < i; j++) ck_assert_int_ne(BN_cmp(serials[i], serials[j]), 0);
  }
  for (int i = 0; i <= TLS_CERT__COUNT; i++) BN_free(owned[i]);
  X509_free(ca);
}
END_TEST

START_TEST(test_each_key_matches_its_cert) {
  for (int k = 0; k < TLS_CERT__COUNT; k++) {
    X509 *leaf = read_cert(path_of(dir, k, "crt"));
    EVP_PKEY *key = read_key(path_of(dir, k, "key"));
    ck_assert_msg(X509_check_private_key(leaf, key) == 1, "%s.key", tls_cert_kind_names[k]);
    /* The .pem: the same certificate, then the same key. */
    X509 *pem_cert = read_cert(path_of(dir, k, "pem"));
    EVP_PKEY *pem_key = read_key(path_of(dir, k, "pem"));
    ck_assert_int_eq(X509_cmp(leaf, pem_cert), 0);
    ck_assert_int_eq(EVP_PKEY_eq(key, pem_key), 1);
    char *text = fileio_slurp(path_of(dir, k, "key"), 0, NULL);
    ck_assert_msg(strncmp(text, "-----BEGIN PRIVATE KEY-----", 27) == 0, "not PKCS#8: %.40s", text);
    free(text);
    EVP_PKEY_free(pem_key);
    X509_free(pem_cert);
    EVP_PKEY_free(key);
    X509_free(leaf);
  }
}
END_TEST

START_TEST(test_keys_are_the_owners_alone) {
  struct stat st;
  ck_assert_int_eq(stat(dir, &st), 0);
  for (int k = 0; k < TLS_CERT__COUNT; k++) {
    ck_assert_int_eq(stat(path_of(dir, k, "key"), &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(stat(path_of(dir, k, "pem"), &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
  }
  /* A folder made by the call itself is 0700. */
  char *sub = malloc(strlen(dir) + 8);
  sprintf(sub, "%s/sub", dir);
  char err[512] = "";
  ck_assert_msg(tls_certs_make(sub, err, sizeof err) == 0, "%s", err);
  ck_assert_int_eq(stat(sub, &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, 0700);
  uu_rmtree(sub);
}
END_TEST

/* No file holds a private key that matches the CA's public key, and the folder holds the set
 * and nothing else (no temporary file left behind). */
START_TEST(test_no_file_holds_the_ca_key) {
  X509 *ca = read_cert(path_of(dir, TLS_CERT_CA, "crt"));
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int files = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    files++;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    EVP_PKEY *k;
    while ((k = PEM_read_PrivateKey(f, NULL, NULL, NULL))) {
      ck_assert_msg(X509_check_private_key(ca, k) != 1, "%s holds the CA's private key", e->d_name);
      EVP_PKEY_free(k);
    }
    fclose(f);
    if (!strcmp(e->d_name, "ca.crt")) {
      char *text = fileio_slurp(path, 0, NULL);
      ck_assert_ptr_null(strstr(text, "PRIVATE KEY"));
      free(text);
    }
  }
  closedir(d);
  ck_assert_int_eq(files, SET_FILES);
  X509_free(ca);
}
END_TEST

START_TEST(test_second_call_changes_nothing) {
  char *before[SET_FILES];
  size_t len[SET_FILES];
  int n = 0;
  before[n++] = fileio_slurp(path_of(dir, TLS_CERT_CA, "crt"), 0, &len[0]);
  for (int k = 0; k < TLS_CERT__COUNT; k++)
    for (int x = 0; x < 3; x++) {
      before[n] = fileio_slurp(path_of(dir, k, (const char *[]){"crt", "key", "pem"}[x]), 0, &len[n]);
      n++;
    }
  ck_assert(tls_certs_present(dir));
  char err[512] = "";
  ck_assert_msg(tls_certs_make(dir, err, sizeof err) == 0, "%s", err);
  n = 0;
  char *ca = fileio_slurp(path_of(dir, TLS_CERT_CA, "crt"), 0, NULL);
  ck_assert_str_eq(ca, before[n++]);
  for (int k = 0; k < TLS_CERT__COUNT; k++)
    for (int x = 0; x < 3; x++) {
      char *now = fileio_slurp(path_of(dir, k, (const char *[]){"crt", "key", "pem"}[x]), 0, NULL);
      ck_assert_str_eq(now, before[n]);
      free(now);
      n++;
    }
  /* ...while remaking gives a new CA, which the new leaves verify against. */
  ck_assert_msg(tls_certs_remake(dir, err, sizeof err) == 0, "%s", err);
  char *ca2 = fileio_slurp(path_of(dir, TLS_CERT_CA, "crt"), 0, NULL);
  ck_assert_str_ne(ca2, ca);
  ck_verify(TLS_CERT_VALID, "localhost", NULL, X509_V_OK);
  free(ca2);
  free(ca);
  for (int i = 0; i < SET_FILES; i++) free(before[i]);
}
END_TEST

/* Four processes make the set of one new folder at once: all succeed, and the folder holds
 * one consistent set (every leaf signed by the CA that is there). */
START_TEST(test_parallel_calls_make_one_set) {
  char *sub = malloc(strlen(dir) + 8);
  sprintf(sub, "%s/par", dir);
  pid_t pids[4];
  for (int i = 0; i < 4; i++) {
    pids[i] = fork();
    ck_assert_int_ge(pids[i], 0);
    if (pids[i] == 0) {
      char err[512];
      _exit(tls_certs_make(sub, err, sizeof err) == 0 ? 0 : 1);
    }
  }
  for (int i = 0; i < 4; i++) {
    int status;
    ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  ck_assert(tls_certs_present(sub));
  ck_assert_int_eq(verify(sub, TLS_CERT_VALID, "localhost", NULL), X509_V_OK);
  ck_assert_int_eq(verify(sub, TLS_CERT_EXPIRED, NULL, NULL), X509_V_ERR_CERT_HAS_EXPIRED);
  ck_assert_int_eq(verify(sub, TLS_CERT_WRONG_NAME, "wrong.badup.invalid", NULL), X509_V_OK);
  uu_rmtree(sub);
}
END_TEST

START_TEST(test_failure_says_where_and_leaves_nothing) {
  /* dir is a file, not a folder. */
  char *file = uu_write_file(dir, "plain", "x", 1);
  char err[512] = "";
  ck_assert_int_eq(tls_certs_make(file, err, sizeof err), -1);
  ck_assert_msg(strncmp(err, file, strlen(file)) == 0 && !strncmp(err + strlen(file), ": ", 2), "err '%s'", err);
  ck_assert(!tls_certs_present(file));
  free(file);
  /* A folder whose parent does not exist. */
  char *deep = malloc(strlen(dir) + 16);
  sprintf(deep, "%s/no/such", dir);
  ck_assert_int_eq(tls_certs_make(deep, err, sizeof err), -1);
  ck_assert_msg(strstr(err, "/no/such: ") != NULL, "err '%s'", err);
  free(deep);
  /* A folder where valid.pem cannot be renamed into place (a folder has its name): the
   * files written before it and the temporary files after it are all removed. */
  char *blocked = malloc(strlen(dir) + 16);
  sprintf(blocked, "%s/blocked", dir);
  ck_assert_int_eq(mkdir(blocked, 0700), 0);
  ck_assert_int_eq(mkdir(path_of(blocked, TLS_CERT_VALID, "pem"), 0700), 0);
  ck_assert_int_eq(tls_certs_make(blocked, err, sizeof err), -1);
  ck_assert_msg(strstr(err, "valid.pem") != NULL, "err '%s'", err);
  DIR *d = opendir(blocked);
  ck_assert_ptr_nonnull(d);
  struct dirent *e;
  while ((e = readdir(d)))
    ck_assert_msg(e->d_name[0] == '.' || !strcmp(e->d_name, "valid.pem"), "left behind: %s", e->d_name);
  closedir(d);
  ck_assert_int_eq(rmdir(path_of(blocked, TLS_CERT_VALID, "pem")), 0);
  ck_assert_int_eq(rmdir(blocked), 0);
  free(blocked);
}
END_TEST

START_TEST(test_kind_names_and_paths) {
  for (int k = 0; k < TLS_CERT__COUNT; k++) ck_assert_int_eq(tls_cert_kind_parse(tls_cert_kind_names[k]), k);
  ck_assert_int_eq(tls_cert_kind_parse("Valid"), -1);
  ck_assert_int_eq(tls_cert_kind_parse("ca"), -1);
  ck_assert_int_eq(tls_cert_kind_parse(""), -1);
  ck_assert_int_eq(tls_cert_kind_parse(NULL), -1);
  char p[64];
  ck_assert_int_eq(tls_cert_path(p, sizeof p, "/d", TLS_CERT_WRONG_NAME, "pem"), 0);
  ck_assert_str_eq(p, "/d/wrong_name.pem");
  ck_assert_int_eq(tls_cert_path(p, sizeof p, "/d", TLS_CERT_CA, "crt"), 0);
  ck_assert_str_eq(p, "/d/ca.crt");
  ck_assert_int_eq(tls_cert_path(p, sizeof p, "/d", TLS_CERT_CA, "key"), -1); /* never written */
  ck_assert_int_eq(tls_cert_path(p, sizeof p, "/d", TLS_CERT_VALID, "der"), -1);
  ck_assert_int_eq(tls_cert_path(p, sizeof p, "/d", TLS_CERT__COUNT, "crt"), -1);
  ck_assert_int_eq(tls_cert_path(p, 8, "/d", TLS_CERT_VALID, "crt"), -1); /* does not fit */
}
END_TEST

static Suite *tls_certs_suite(void) {
  Suite *s = suite_create("tls_certs");
  TCase *tc = tcase_create("set");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_valid_verifies_for_localhost_and_loopback);
  tcase_add_test(tc, test_expired_has_expired);
  tcase_add_test(tc, test_wrong_name_fails_for_localhost_only);
  tcase_add_test(tc, test_untrusted_is_self_signed);
  tcase_add_test(tc, test_ca_and_leaves_say_what_they_are);
  tcase_add_test(tc, test_each_key_matches_its_cert);
  tcase_add_test(tc, test_keys_are_the_owners_alone);
  tcase_add_test(tc, test_no_file_holds_the_ca_key);
  tcase_add_test(tc, test_second_call_changes_nothing);
  tcase_add_test(tc, test_parallel_calls_make_one_set);
  tcase_add_test(tc, test_failure_says_where_and_leaves_nothing);
  tcase_add_test(tc, test_kind_names_and_paths);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(tls_certs_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
