/* certs_cmd.c: `badup certs`. See certs_cmd.h.
 *
 * What it prints is read back from the files just written, so it shows what a TLS peer
 * will see, not what was meant. */
#include "certs_cmd.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "tls_certs.h"
#include "usage.h"

void certs_usage(FILE *out) {
  fputs("usage: badup certs [--force] DIR\n"
        "\n"
        "Make a run's TLS certificates in DIR (created 0700 if missing): a run CA and one leaf\n"
        "certificate of each kind a scenario can pick for a TLS upstream (tls = { cert = KIND }):\n"
        "  ca.crt                    the run CA (its private key is never written anywhere)\n"
        "  KIND.crt, KIND.key        a leaf and its private key (PEM PKCS#8, mode 0600)\n"
        "  KIND.pem                  the leaf then its key in one file (haproxy's `crt`)\n"
        "The kinds:\n"
        "  valid       localhost, 127.0.0.1, ::1; signed by the CA; now-1h .. now+30 days\n"
        "  expired     the same names, signed by the CA; now-30 days .. now-1 day\n"
        "  wrong_name  wrong.badup.invalid only; signed by the CA; valid dates\n"
        "  untrusted   the names of valid, self-signed; valid dates\n"
        "Keys are EC P-256, signatures SHA-256. Prints each file, names and dates.\n"
        "\n"
        "options:\n"
        "  --force     replace a complete set already in DIR (a new CA and new keys)\n"
        "  -h, --help  this text\n"
        "Exit codes: 0 made, 1 they could not be made, 2 usage error or DIR already holds a set.\n",
        out);
}

/* An ASN1_TIME as "2026-01-02T03:04:05Z". */
static void print_time(const ASN1_TIME *t) {
  struct tm tm;
  char text[32];
  if (ASN1_TIME_to_tm(t, &tm) == 1 && strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) fputs(text, stdout);
  else fputs("?", stdout);
}

/* The subjectAltName entries: "DNS:localhost IP:127.0.0.1 ...", or "none". */
static void print_names(X509 *cert) {
  GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
  int n = names ? sk_GENERAL_NAME_num(names) : 0;
  for (int i = 0; i < n; i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
    char ip[INET6_ADDRSTRLEN] = "?";
    if (i) fputs(" ", stdout);
    if (g->type == GEN_DNS) {
      printf("DNS:%.*s", ASN1_STRING_length(g->d.dNSName), (const char *)ASN1_STRING_get0_data(g->d.dNSName));
    } else if (g->type == GEN_IPADD) {
      int len = ASN1_STRING_length(g->d.iPAddress);
      const unsigned char *a = ASN1_STRING_get0_data(g->d.iPAddress);
      if (len == 4 || len == 16) inet_ntop(len == 4 ? AF_INET : AF_INET6, a, ip, sizeof ip);
      printf("IP:%s", ip);
    } else {
      fputs("(other)", stdout);
    }
  }
  if (!n) fputs("none", stdout);
  GENERAL_NAMES_free(names);
}

/* One certificate file's subject CN, issuer CN, names and dates. -1 when it cannot be read. */
static int describe(const char *crt_path) {
  FILE *f = fopen(crt_path, "r");
  X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
  if (f) fclose(f);
  if (!cert) {
    fprintf(stderr, "badup certs: %s: cannot read the certificate back\n", crt_path);
    return -1;
  }
  char subject[256] = "?", issuer[256] = "?";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, subject, sizeof subject);
  X509_NAME_get_text_by_NID(X509_get_issuer_name(cert), NID_commonName, issuer, sizeof issuer);
  printf("            CN=%s, issuer CN=%s%s\n            names: ", subject, issuer,
         strcmp(subject, issuer) ? "" : " (self-signed)");
  print_names(cert);
  fputs("\n            valid: ", stdout);
  print_time(X509_get0_notBefore(cert));
  fputs(" .. ", stdout);
  print_time(X509_get0_notAfter(cert));
  fputs("\n", stdout);
  X509_free(cert);
  return 0;
}

/* The files of the set and what each certificate says. */
static int print_set(const char *dir) {
  char crt[4096], key[4096], pem[4096];
  if (tls_cert_path(crt, sizeof crt, dir, TLS_CERT_CA, "crt") < 0) return -1;
  printf("badup certs: made the run certificates in %s\n\n%-11s %s\n", dir, "ca", crt);
  if (describe(crt) < 0) return -1;
  for (int k = 0; k < TLS_CERT__COUNT; k++) {
    if (tls_cert_path(crt, sizeof crt, dir, k, "crt") < 0 || tls_cert_path(key, sizeof key, dir, k, "key") < 0 ||
        tls_cert_path(pem, sizeof pem, dir, k, "pem") < 0)
      return -1;
    printf("%-11s %s %s %s\n", tls_cert_kind_names[k], crt, key, pem);
    if (describe(crt) < 0) return -1;
  }
  return 0;
}

int certs_main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"force", no_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  bool force = false;
  int opt;
  optind = 1;
  opterr = 0; /* the usage error below says what was wrong, once */
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
      case 'f': force = true; break;
      case 'h': certs_usage(stdout); return 0;
      default: return cli_usage_error("certs", "unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind == argc) return cli_usage_error("certs", "want the folder to make them in (DIR)");
  if (optind + 1 != argc) return cli_usage_error("certs", "want one folder (DIR), got %d", argc - optind);
  const char *dir = argv[optind];
  if (!*dir) return cli_usage_error("certs", "DIR is empty");
  if (!force && tls_certs_present(dir))
    return cli_usage_error("certs", "%s already holds a set of run certificates; --force replaces it", dir);
  char err[1024];
  if ((force ? tls_certs_remake(dir, err, sizeof err) : tls_certs_make(dir, err, sizeof err)) < 0) {
    fprintf(stderr, "badup certs: %s\n", err);
    return 1;
  }
  return print_set(dir) < 0 ? 1 : 0;
}
