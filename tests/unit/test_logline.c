/* test_logline.c: harness/logline.c, what `badup explain` reads in a log line: the family of
 * each proxy's wordings (across versions: varnish 6.0's "http first read error: EOF" and
 * 7.1's "HTC eof (-1)" are both a close), and that what a deployment decides (times,
 * syslog headers, names, hosts, methods, paths, sizes, IPv6 clients) reads the same as
 * what the harness's own set-up wrote. The lines are written here in each proxy's format,
 * with made-up addresses and names. */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "logline.h"
#include "proxy.h"
#include "unit_util.h"

/* The rules are badup's own and the shipped definitions' (their explain fields). */
static struct proxy_def *defs;
static size_t ndefs;
static struct logline_rules *rules;

static void setup(void) {
  int failures = 0;
  defs = proxy_load_dir(uu_proxies_dir(), &ndefs, &failures);
  ck_assert_msg(failures == 0, "%d definitions under %s did not load", failures, uu_proxies_dir());
  rules = logline_rules_new(defs, ndefs);
  ck_assert_ptr_nonnull(rules);
}

static void teardown(void) {
  logline_rules_free(rules);
  proxy_free_all(defs, ndefs);
}

static const char *family_of(const char *line) {
  struct logline l;
  logline_read(rules, line, &l);
  const char *f = l.family;
  logline_free(&l);
  return f;
}

static void check_family(const char *line, const char *want) {
  const char *got = family_of(line);
  ck_assert_msg(want ? got && !strcmp(got, want) : !got, "family of\n  %s\nis %s, want %s", line, got ? got : "(none)",
                want ? want : "(none)");
}

/* The same event worded by other proxies and other versions lands in the same family. */
START_TEST(test_families_across_proxies_and_versions) {
  static const struct {
    const char *line, *family;
  } cases[] = {
      /* varnish: 6.0's varnishlog record, 7.1's varnishncsa field */
      {"-   FetchError     http first read error: EOF", "close"},
      {"--  FetchError     HTC eof (-1)", "close"},
      {"b 10.1.2.3 [01/Mar/2027:10:00:00 +0000] \"GET http://api/x HTTP/1.1\" 503 0 0 - fetcherror=\"HTC eof (-1)\"",
       "close"},
      {"-   FetchError     first byte timeout", "timeout"},
      {"-   FetchError     backend default: fail errno 111 (Connection refused)", "refused"},
      {"-   FetchError     backend default: fail errno 110 (Connection timed out)", "connect-timeout"},
      {"-   FetchError     straight insufficient bytes", "close"},
      {"-   FetchError     Connection reset by peer", "reset"},
      /* nginx: a close, a reset, a read timeout, a connect timeout, a refusal, a client */
      {"2027/03/01 10:00:00 [error] 31#31: *5 upstream prematurely closed connection while reading response header "
       "from upstream, client: 10.9.8.7, server: shop, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.2:80/\"",
       "close"},
      {"2027/03/01 10:00:00 [error] 31#31: *5 recv() failed (104: Connection reset by peer) while reading response "
       "header from upstream, client: 10.9.8.7, server: shop",
       "reset"},
      {"2027/03/01 10:00:00 [error] 31#31: *5 upstream timed out (110: Connection timed out) while reading response "
       "header from upstream, client: 10.9.8.7",
       "timeout"},
      {"2027/03/01 10:00:00 [error] 31#31: *5 upstream timed out (110: Connection timed out) while connecting to "
       "upstream, client: 10.9.8.7",
       "connect-timeout"},
      {"2027/03/01 10:00:00 [error] 31#31: *5 connect() failed (111: Connection refused) while connecting to upstream",
       "refused"},
      {"2027/03/01 10:00:00 [info] 31#31: *5 client prematurely closed connection while reading upstream", "client"},
      {"2027/03/01 10:00:00 [error] 31#31: *5 upstream sent too big header while reading response header", "too-large"},
      /* haproxy: the termination state's first two letters */
      {"10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be_app/app1 0/0/0/-1/1 502 209 - - SH-- 1/1/0/0/0 0/0 \"GET / "
       "HTTP/1.1\"",
       "close"},
      {"10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be_app/app1 0/0/0/3/9 200 91 - - SD-- 1/1/0/0/0 0/0 \"GET / "
       "HTTP/1.1\"",
       "close"},
      {"10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be_app/app1 0/0/0/-1/30001 504 198 - - sH-- 1/1/0/0/0 0/0 \"GET / "
       "HTTP/1.1\"",
       "timeout"},
      {"10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be_app/app1 0/0/-1/-1/0 503 217 - - SC-- 1/1/0/0/0 0/0 \"GET / "
       "HTTP/1.1\"",
       "refused"},
      {"10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be_app/app1 0/0/-1/-1/5000 503 217 - - sC-- 1/1/0/0/0 0/0 \"GET / "
       "HTTP/1.1\"",
       "connect-timeout"},
      {"10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be_app/app1 0/0/0/-1/0 502 209 - - PH-- 1/1/0/0/0 0/0 \"GET / "
       "HTTP/1.1\"",
       "invalid-response"},
      {"10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be_app/app1 0/0/0/-1/5 400 0 - - CD-- 1/1/0/0/0 0/0 \"GET / "
       "HTTP/1.1\"",
       "client"},
      /* apache: the errno or APR code in parentheses */
      {"[Mon Mar 01 10:00:00.123456 2027] [proxy_http:error] [pid 9:tid 10] (104)Connection reset by peer: [client "
       "10.9.8.7:4242] AH01102: error reading status line from remote server app:8080",
       "reset"},
      {"[Mon Mar 01 10:00:00.123456 2027] [proxy_http:error] [pid 9:tid 10] (70007)The timeout specified has expired: "
       "[client 10.9.8.7:4242] AH01102: error reading status line from remote server app:8080",
       "timeout"},
      {"[Mon Mar 01 10:00:00.123456 2027] [proxy_http:warn] [pid 9:tid 10] (70014)End of file found: [client "
       "10.9.8.7:4242] AH10404: Error reading headers from backend",
       "close"},
      {"[Mon Mar 01 10:00:00.123456 2027] [proxy:error] [pid 9:tid 10] (111)Connection refused: AH00957: http: attempt "
       "to connect to 10.0.0.2:8080 (app) failed",
       "refused"},
      /* squid: the ERR_ page */
      {"1803100000.123 12 10.9.8.7 TCP_MISS/502 3500 GET http://app/ HIER_DIRECT/10.0.0.2 text/html "
       "err=ERR_READ_ERROR/WITH_SERVER",
       "reset"},
      {"1803100000.123 12 10.9.8.7 TCP_MISS/504 3500 GET http://app/ HIER_DIRECT/10.0.0.2 text/html "
       "err=ERR_READ_TIMEOUT/WITH_SERVER",
       "timeout"},
      {"1803100000.123 12 10.9.8.7 TCP_MISS/502 3500 GET http://app/ HIER_DIRECT/10.0.0.2 text/html "
       "err=ERR_ZERO_SIZE_OBJECT/WITH_SERVER",
       "close"},
      {"1803100000.123 12 10.9.8.7 TCP_MISS/503 3500 GET http://app/ HIER_DIRECT/10.0.0.2 text/html "
       "err=ERR_CONNECT_FAIL/WITH_SERVER",
       "connect-failed"},
      {"1803100000.123 12 10.9.8.7 TCP_MISS/502 3500 GET http://app/ HIER_DIRECT/10.0.0.2 text/html "
       "err=ERR_INVALID_RESP/WITH_SERVER",
       "invalid-response"},
      {"1803100000.123 12 10.9.8.7 TCP_MISS/502 3500 GET http://app/ HIER_DIRECT/10.0.0.2 text/html "
       "err=ERR_TOO_BIG/WITH_SERVER",
       "too-large"},
      /* caddy, h2o, node, nghttpx, tinyproxy, trafficserver, lighttpd */
      {"{\"level\":\"error\",\"logger\":\"http.log.error\",\"msg\":\"unexpected EOF\",\"status\":502}", "close"},
      {"{\"level\":\"error\",\"logger\":\"http.log.error\",\"msg\":\"read tcp 10.0.0.1:5->10.0.0.2:80: read: "
       "connection reset by peer\",\"status\":502}",
       "reset"},
      {"{\"level\":\"error\",\"logger\":\"http.log.error\",\"msg\":\"net/http: timeout awaiting response "
       "headers\",\"status\":504}",
       "timeout"},
      {"{\"level\":\"error\",\"logger\":\"http.log.error\",\"msg\":\"dial tcp 10.0.0.2:80: i/o timeout\",\"status\":502}",
       "connect-timeout"},
      {"[lib/core/proxy.c] in request:/cart?id=3:I/O error (head)", "close"},
      {"[lib/core/proxy.c] in request:/cart?id=3:I/O timeout", "timeout"},
      {"[lib/core/proxy.c] in request:/cart?id=3:connection timeout", "connect-timeout"},
      {"10.9.8.7 [2027-03-01T10:00:00.000Z] \"GET /x HTTP/1.1\" 502 6ms attempts=1 error=\"socket hang up\"", "close"},
      {"10.9.8.7 [2027-03-01T10:00:00.000Z] \"GET /x HTTP/1.1\" 502 6ms attempts=1 error=\"ECONNRESET\"", "reset"},
      {"2027-03-01T10:00:00.000Z 7 8 0badc0de INFO (shrpx_http_downstream_connection.cc:1250) [DCONN:0x7f00] HTTP "
       "response ended prematurely: HPE_INVALID_EOF_STATE",
       "close"},
      {"INFO      Mar 01 10:00:00.123 [77]: process_server_headers failed: Success. host \"app\" using file descriptor 5.",
       "close"},
      {"INFO      Mar 01 10:00:00.123 [77]: process_server_headers failed: Resource temporarily unavailable. host "
       "\"app\" using file descriptor 5.",
       "timeout"},
      {"20270301.10h00m00s CONNECT: Connection timed out [110] connecting to 10.0.0.2:80 for host='app' url='http://app/'",
       "connect-timeout"},
      {"2027-03-01 10:00:00: (http-header-glue.c.1341) read() 11 12: Connection reset by peer", "reset"},
      /* no kind of failure at all */
      {"10.9.8.7 [01/Mar/2027:10:00:00 +0000] \"GET /x HTTP/1.1\" 200 3 904", NULL},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) check_family(cases[k].line, cases[k].family);
}
END_TEST

START_TEST(test_family_agreement) {
  ck_assert_double_eq(logline_family_agreement("close", "close"), 1);
  ck_assert_double_eq(logline_family_agreement("close", "reset"), 0.5); /* proxies blur FIN and RST */
  ck_assert_double_eq(logline_family_agreement("refused", "connect-timeout"), 0.5);
  ck_assert_double_eq(logline_family_agreement("close", "timeout"), 0);
  ck_assert_double_eq(logline_family_agreement("close", NULL), 0);
  ck_assert_double_eq(logline_family_agreement(NULL, NULL), 0);
  ck_assert_str_ne(logline_family_meaning("reset"), "");
}
END_TEST

static void check_same(const char *harness, const char *production) {
  struct logline a, b;
  logline_read(rules, harness, &a);
  logline_read(rules, production, &b);
  bool same = a.ntok == b.ntok && a.nsig == b.nsig;
  for (size_t k = 0; same && k < a.ntok; k++) same = !strcmp(a.tokens[k], b.tokens[k]);
  for (size_t k = 0; same && k < a.nsig; k++) same = !strcmp(a.sigs[k].kind, b.sigs[k].kind) && !strcmp(a.sigs[k].key, b.sigs[k].key);
  ck_assert_msg(same, "\n  %s\n  %s\nread as\n  %s\n  %s", harness, production, a.norm, b.norm);
  ck_assert_msg(a.nsig > 0, "no signature in %s", a.norm);
  ck_assert_msg(a.proxies == b.proxies || !a.proxies, "formats %x vs %x", a.proxies, b.proxies);
  logline_free(&a);
  logline_free(&b);
}

/* What a deployment decides reads the same as what the harness wrote. */
START_TEST(test_deployment_parts_vanish) {
  /* haproxy: syslog header, names, IPv6 client (no brackets), method, query, error page size */
  check_same("127.0.0.1:49274 [22/Nov/2026:15:44:06.349] fe be/up 0/0/0/-1/1 502 209 - - SH-- 1/1/0/0/0 0/0 \"GET "
             "/empty_reply/1 HTTP/1.1\"",
             "Nov 30 04:12:01 lb1 haproxy[1234]: 2001:db8::7:51732 [30/Nov/2027:04:12:01.001] fe_https~ be_api/api3 "
             "0/0/0/-1/1 502 1534 - - SH-- 1/1/0/0/0 0/0 \"POST /api/v2/orders?id=1,2&x=y HTTP/1.1\"");
  /* the same in RFC 5424 and with journald's tag alone; the cookie flags of the state */
  check_same("127.0.0.1:49274 [22/Nov/2026:15:44:06.349] fe be/up 0/0/0/-1/1 502 209 - - SH-- 1/1/0/0/0 0/0 \"GET "
             "/empty_reply/1 HTTP/1.1\"",
             "<134>1 2027-11-30T04:12:01.123456+01:00 lb1 haproxy 1234 - - [::1]:51732 [30/Nov/2027:04:12:01.001] www "
             "be/<NOSRV> 0/0/0/-1/1 502 209 - - SH-- 1/1/0/0/0 0/0 \"HEAD /x HTTP/1.1\"");
  check_same("127.0.0.1 [22/Nov/2026:15:43:07 +0000] \"GET /ok/1 HTTP/1.1\" 200 3 2425 2ms",
             "httpd[77]: 2001:db8::7 [2027-11-30T04:12:01+01:00] \"PUT /a/b?c=d HTTP/2.0\" 200 51234 2425 2ms");
  /* nginx: server name, Host, upstream URL, client on IPv6, referrer */
  check_same("2026/11/22 15:43:30 [error] 10238#10238: *2 upstream prematurely closed connection while reading response "
             "header from upstream, client: 127.0.0.1, server: , request: \"GET /empty_reply/1 HTTP/1.1\", upstream: "
             "\"http://127.0.0.1:36855/empty_reply/1\", host: \"127.0.0.1:42077\"",
             "2027/11/30 04:12:01 [error] 31#31: *918273 upstream prematurely closed connection while reading response "
             "header from upstream, client: 2001:db8::7, server: shop.example.com, request: \"POST /cart?id=1 "
             "HTTP/1.1\", upstream: \"http://[2001:db8::5]:8080/cart?id=1\", host: \"shop.example.com\"");
  /* apache: the backend's name */
  check_same("[Sun Nov 22 15:43:06.799307 2026] [proxy_http:error] [pid 8234:tid 8256] (104)Connection reset by peer: "
             "[client 127.0.0.1:41772] AH01102: error reading status line from remote server 127.0.0.1:36883",
             "[Tue Nov 30 04:12:01.000001 2027] [proxy_http:error] [pid 1:tid 2] (104)Connection reset by peer: "
             "[client 2001:db8::7:51732] AH01102: error reading status line from remote server api.internal:8080");
  /* squid: the peer's name, the size, the method */
  check_same("1795362239.694      1 127.0.0.1 TCP_MISS/502 3472 GET http://127.0.0.1:41957/x/1 HIER_DIRECT/127.0.0.1 "
             "text/html err=ERR_READ_ERROR/WITH_SERVER",
             "1827637921.123     13 2001:db8::7 TCP_MISS/502 4096 POST http://api.internal:8080/y?z=1 "
             "HIER_DIRECT/api.internal text/html err=ERR_READ_ERROR/WITH_SERVER");
  /* caddy: a float or an ISO time, the logger's name, the Host */
  check_same("{\"level\":\"error\",\"ts\":1795362222.1061654,\"logger\":\"http.log.error.log0\",\"msg\":\"EOF\","
             "\"request\":{\"remote_ip\":\"127.0.0.1\",\"method\":\"GET\",\"host\":\"127.0.0.1:44089\"},\"status\":502}",
             "{\"level\":\"error\",\"ts\":\"2027-11-30T04:12:01.123+01:00\",\"logger\":\"http.log.error.shop\","
             "\"msg\":\"EOF\",\"request\":{\"remote_ip\":\"2001:db8::7\",\"method\":\"DELETE\",\"host\":\"shop.example."
             "com\"},\"status\":502}");
  /* h2o: a query string that holds what looks like the message's colon */
  check_same("[lib/core/proxy.c] in request:/empty_reply/1:I/O error (head)",
             "[lib/core/proxy.c] in request:/api/orders?fields=id,total&t=a:b:I/O error (head)");
  /* tinyproxy: its own time, pid, fd and method */
  check_same("CONNECT   Nov 22 15:43:37.324 [11449]: Request (file descriptor 6): GET /x/1 HTTP/1.1",
             "CONNECT   Nov 30 04:12:01.999 [77]: Request (file descriptor 23): POST /api?q=1 HTTP/1.1");
}
END_TEST

/* A syslog tag that names a proxy recognises it, even on a line in a shared format. */
START_TEST(test_syslog_tag_names_the_proxy) {
  struct logline l;
  logline_read(rules, "Nov 30 04:12:01 web1 nginx[812]: 10.9.8.7 [30/Nov/2027:04:12:01 +0000] \"GET / HTTP/1.1\" 502 157",
               &l);
  ck_assert_uint_eq(l.proxies, 1u << logline_proxy_index(rules, "nginx"));
  ck_assert_ptr_nonnull(strstr(l.norm, "<ip> [<time>]"));
  ck_assert_ptr_null(strstr(l.norm, "web1"));
  logline_free(&l);
}
END_TEST

/* What is not an address stays what it is. */
START_TEST(test_not_addresses) {
  struct logline l;
  logline_read(rules, "mac aa:bb:cc:dd:ee:ff std::string be/up I/O", &l);
  ck_assert_ptr_null(strstr(l.norm, "<ip>"));
  logline_free(&l);
}
END_TEST

/* The verdict is compared as a signature, once: its words are not also words of the line. */
START_TEST(test_signatures_are_not_words) {
  struct logline l;
  logline_read(rules,
               "10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be/app1 0/0/0/-1/1 502 209 - - SHNN 1/1/0/0/0 0/0 \"GET / "
               "HTTP/1.1\"",
               &l);
  bool state = false, status = false;
  for (size_t k = 0; k < l.nsig; k++) {
    if (!strcmp(l.sigs[k].kind, "haproxy-state")) {
      state = true;
      ck_assert_str_eq(l.sigs[k].key, "SH");
    }
    if (!strcmp(l.sigs[k].kind, "status")) {
      status = true;
      ck_assert_str_eq(l.sigs[k].key, "502");
    }
  }
  ck_assert(state && status);
  for (size_t t = 0; t < l.ntok; t++) {
    ck_assert_str_ne(l.tokens[t], "shnn");
    ck_assert_str_ne(l.tokens[t], "502");
  }
  logline_free(&l);
}
END_TEST

static bool says_why(const char *line) {
  struct logline l;
  logline_read(rules, line, &l);
  bool v = l.verdict;
  ck_assert_msg(l.nsig > 0 || v, "no signature at all in\n  %s\nread as\n  %s", line, l.norm);
  logline_free(&l);
  return v;
}

/* A status is not a verdict: every proxy writes 502 for a dozen faults. Access lines that
 * carry only a status (or a backend name, or a message written for every request) say
 * nothing of why; a termination state, an error message, a result code or words that name
 * a kind of failure do. */
START_TEST(test_a_status_is_not_a_verdict) {
  static const char *const status_only[] = {
      /* nginx, apache, h2o, nghttpx, varnishncsa in their default (combined) format */
      "203.0.113.9 - - [30/Nov/2026:06:11:02 +0000] \"GET /api/cart HTTP/1.1\" 502 157 \"-\" \"Mozilla/5.0\"",
      "203.0.113.9 - - [30/Nov/2026:06:11:02 +0000] \"GET http://shop.example.com/cart HTTP/1.1\" 503 282 \"-\" "
      "\"curl/8.5.0\"",
      /* lighttpd's default, with the Host second */
      "203.0.113.9 shop.example.com - [30/Nov/2026:06:11:02 +0000] \"GET /cart HTTP/1.1\" 500 365 \"-\" \"curl/8.5.0\"",
      /* the harness's formats: nginx's with the upstream's fields, nghttpx's backend */
      "10.9.8.7 [01/Mar/2027:10:00:00 +0000] \"GET /x HTTP/1.1\" 502 157 rt=0.000 ua=\"10.0.0.2:80\" us=\"502\" "
      "uct=\"0.000\" urt=\"0.001\"",
      "10.9.8.7 [2027-03-01T10:00:00.000Z] \"GET /x HTTP/1.1\" 502 129 0.000 backend=-:-",
      /* nginx's 009 for an HTTP/0.9 answer is a status too */
      "10.9.8.7 [01/Mar/2027:10:00:00 +0000] \"GET /x HTTP/1.1\" 009 256 rt=0.001 ua=\"10.0.0.2:80\" us=\"200\"",
      /* caddy's access logger, tinyproxy's request line */
      "{\"level\":\"error\",\"logger\":\"http.log.access.log0\",\"msg\":\"handled request\",\"status\":502}",
      "CONNECT   Mar 01 10:00:00.123 [77]: Request (file descriptor 5): GET /x HTTP/1.1",
      /* varnishncsa with an empty FetchError */
      "c 10.9.8.7 [01/Mar/2027:10:00:00 +0000] \"GET http://app/x HTTP/1.1\" 503 0 0 - fetcherror=\"-\"",
  };
  static const char *const verdicts[] = {
      "10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be/app1 0/0/0/-1/1 502 209 - - SH-- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"",
      "10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be/app1 0/0/0/0/0 200 91 - - ---- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"",
      "1803100000.123 12 10.9.8.7 TCP_MISS/502 3500 GET http://app/ - HIER_DIRECT/10.0.0.2 text/html",
      "1803100000.123 12 10.9.8.7 ERR_CONNECT_FAIL/502 421 GET http://app/ - DIRECT/app text/html",
      "2027/03/01 10:00:00 [error] 31#31: *5 connect() failed (111: Connection refused) while connecting to upstream",
      "{\"level\":\"error\",\"logger\":\"http.log.error\",\"msg\":\"EOF\",\"status\":502}",
      "10.9.8.7 [2027-03-01T10:00:00.000Z] \"GET /x HTTP/1.1\" 502 6ms attempts=1 error=\"ECONNRESET\"",
      "-   FetchError     http first read error: EOF",
  };
  for (size_t k = 0; k < sizeof status_only / sizeof *status_only; k++)
    ck_assert_msg(!says_why(status_only[k]), "a verdict in\n  %s", status_only[k]);
  for (size_t k = 0; k < sizeof verdicts / sizeof *verdicts; k++)
    ck_assert_msg(says_why(verdicts[k]), "no verdict in\n  %s", verdicts[k]);
}
END_TEST

static int field_index(const char *name) {
  for (size_t f = 0; f < logline_nfields(rules); f++)
    if (!strcmp(logline_field_name(rules, f), name)) return (int)f;
  ck_abort_msg("no optional field %s", name);
  return -1;
}

/* The fields the harness's formats add: found where they are, absent from a line of the
 * same kind without them, and never from a line of another kind or one that says the same
 * in another form. */
START_TEST(test_optional_fields) {
  unsigned err = 1u << field_index("err="), fetch = 1u << field_index("fetcherror="), us = 1u << field_index("us=");
  struct logline harness, native, cache, ncsa, varnishlog, combined;
  const char *raw = "1795362239.694      1 127.0.0.1 TCP_MISS/502 3472 GET http://127.0.0.1:41957/x/1 "
                    "HIER_DIRECT/127.0.0.1 text/html err=ERR_READ_ERROR/WITH_SERVER";
  logline_read(rules, raw, &harness);
  logline_read(rules, "1827637921.123     13 10.1.2.3 TCP_MISS/502 3360 GET http://app.internal/checkout - "
               "HIER_DIRECT/10.0.0.5 text/html", &native);
  logline_read(rules, "2026/11/30 05:58:53| WARNING: HTTP header contains NULL characters {Content-Length: 3", &cache);
  logline_read(rules, "b 127.0.0.1 [30/Nov/2026:05:58:22 +0000] \"GET http://127.0.0.1:45865/x/1 HTTP/1.1\" 503 0 0 - "
               "fetcherror=\"HTC eof (-1)\"", &ncsa);
  logline_read(rules, "-   FetchError     http first read error: EOF", &varnishlog);
  logline_read(rules, "203.0.113.9 - - [30/Nov/2026:06:11:02 +0000] \"GET /cart HTTP/1.1\" 502 157 \"-\" \"curl/8.5.0\"",
               &combined);
  /* the harness's squid line has err=, with its ERR_ code and family inside it */
  ck_assert(harness.fields & err);
  for (size_t k = 0; k < harness.nsig; k++)
    if (!strcmp(harness.sigs[k].kind, "squid-error")) ck_assert_uint_eq(harness.sigs[k].fields, err);
    else ck_assert_uint_eq(harness.sigs[k].fields, 0);
  ck_assert_uint_eq(harness.family_fields, err);
  for (size_t t = 0; t < harness.ntok; t++)
    if (!strcmp(harness.tokens[t], "err")) ck_assert_uint_eq(harness.tok_fields[t], err);
  /* squid's default format lacks it; cache.log is another kind of line */
  ck_assert(!(native.fields & err));
  ck_assert(logline_absent_fields(rules, &native) & err);
  ck_assert_uint_eq(logline_absent_fields(rules, &cache), 0);
  ck_assert_uint_eq(logline_absent_fields(rules, &harness), 0);
  /* varnishlog's record says what fetcherror= says: not absent; a combined line lacks it */
  ck_assert(ncsa.fields & fetch);
  ck_assert(!(logline_absent_fields(rules, &varnishlog) & fetch));
  ck_assert(logline_absent_fields(rules, &combined) & fetch);
  ck_assert(logline_absent_fields(rules, &combined) & us);
  /* the field's text, as the raw line has it */
  char *text = logline_field_text(rules, raw, (size_t)field_index("err="));
  ck_assert_str_eq(text, "err=ERR_READ_ERROR/WITH_SERVER");
  free(text);
  ck_assert_ptr_null(logline_field_text(rules, "no such field here", (size_t)field_index("err=")));
  logline_free(&harness), logline_free(&native), logline_free(&cache);
  logline_free(&ncsa), logline_free(&varnishlog), logline_free(&combined);
}
END_TEST

/* Proxies' default formats (written here the way their documentation gives them, with
 * made-up values) read as the harness's formats where they say the same, and are
 * recognised where only one proxy writes them. */
START_TEST(test_default_formats) {
  /* caddy's default JSON adds the request's headers, the TLS session and the response's
   * headers, which the harness deletes */
  check_same("{\"level\":\"error\",\"ts\":1795362222.1061654,\"logger\":\"http.log.error.log0\",\"msg\":\"EOF\","
             "\"request\":{\"remote_ip\":\"127.0.0.1\",\"remote_port\":\"41804\",\"proto\":\"HTTP/1.1\",\"method\":"
             "\"GET\",\"host\":\"127.0.0.1:44089\",\"uri\":\"/x/1\"},\"duration\":0.0009,\"status\":502}",
             "{\"level\":\"error\",\"ts\":1827637921.5,\"logger\":\"http.log.error\",\"msg\":\"EOF\",\"request\":{"
             "\"remote_ip\":\"203.0.113.9\",\"remote_port\":\"52114\",\"proto\":\"HTTP/2.0\",\"method\":\"GET\","
             "\"host\":\"shop.example.com\",\"uri\":\"/api/cart\",\"headers\":{\"User-Agent\":[\"Mozilla/5.0 (X11; "
             "Linux x86_64)\"],\"Accept\":[\"application/json\"],\"Cookie\":[\"a=\\\"b, c\\\"\"]},\"tls\":{\"resumed\":"
             "false,\"version\":772,\"cipher_suite\":4865,\"proto\":\"h2\",\"server_name\":\"shop.example.com\"}},"
             "\"duration\":0.0008,\"status\":502,\"resp_headers\":{\"Server\":[\"Caddy\"]}}");
  /* squid's default logformat: a user between URL and route, the type of the error page */
  check_same("1795362239.694      1 127.0.0.1 TCP_MISS/502 3472 GET http://127.0.0.1:41957/x/1 HIER_DIRECT/127.0.0.1 "
             "- err=ERR_READ_ERROR/WITH_SERVER",
             "1827637921.123     13 10.1.2.3 TCP_MISS/502 3360 GET http://app.internal/checkout alice "
             "HIER_DIRECT/10.0.0.5 text/html err=ERR_READ_ERROR/WITH_SERVER");
  struct logline l;
  /* trafficserver's default squid format, without squid's HIER_ prefix */
  logline_read(rules, "1827637921.123 12 10.1.2.3 ERR_CONNECT_FAIL/502 421 GET http://app.internal/checkout - "
               "DIRECT/app.internal text/html", &l);
  ck_assert_uint_eq(l.proxies, 1u << logline_proxy_index(rules, "trafficserver"));
  logline_free(&l);
  logline_read(rules, "1827637921.123 12 10.1.2.3 TCP_MISS/502 3360 GET http://app.internal/ - HIER_DIRECT/10.0.0.5 "
               "text/html", &l);
  ck_assert_uint_eq(l.proxies, 1u << logline_proxy_index(rules, "squid"));
  logline_free(&l);
  /* lighttpd's default access format; nginx's combined is nobody's in particular */
  logline_read(rules, "203.0.113.9 shop.example.com - [30/Nov/2026:06:11:02 +0000] \"GET /cart HTTP/1.1\" 500 365 \"-\" "
               "\"curl/8.5.0\"", &l);
  ck_assert_uint_eq(l.proxies, 1u << logline_proxy_index(rules, "lighttpd"));
  logline_free(&l);
  logline_read(rules, "203.0.113.9 - alice [30/Nov/2026:06:11:02 +0000] \"GET /cart HTTP/1.1\" 502 157 \"-\" \"curl/8.5.0\"",
               &l);
  ck_assert_uint_eq(l.proxies, 0);
  logline_free(&l);
}
END_TEST

static bool has_sig(const struct logline *l, const char *kind, const char *value) {
  for (size_t k = 0; k < l->nsig; k++)
    if (!strcmp(l->sigs[k].kind, kind) && (!value || !strcmp(l->sigs[k].value, value))) return true;
  return false;
}

/* Without definitions, explain still reads what no proxy owns, and no line is any proxy's. */
START_TEST(test_without_definitions) {
  struct logline_rules *bare = logline_rules_new(NULL, 0);
  ck_assert_ptr_nonnull(bare);
  ck_assert_uint_eq(logline_nproxies(bare), 0);
  ck_assert_uint_eq(logline_nfields(bare), 0);
  struct logline l;
  logline_read(bare, "1827637921.123 12 10.1.2.3 TCP_MISS/502 3360 GET http://app.internal/ - HIER_DIRECT/10.0.0.5 "
               "text/html", &l);
  ck_assert(has_sig(&l, "squid-code", "TCP_MISS/502"));
  ck_assert_uint_eq(l.proxies, 0);
  logline_free(&l);
  logline_read(bare, "10.9.8.7:4242 [01/Mar/2027:10:00:00.123] www be_app/app1 0/0/0/-1/5 502 209 - - SH-- 1/1/0/0/0 "
               "0/0 \"GET / HTTP/1.1\"", &l);
  ck_assert(!has_sig(&l, "haproxy-state", NULL)); /* haproxy's own: in haproxy.lua */
  ck_assert_uint_eq(l.proxies, 0);
  logline_free(&l);
  logline_read(bare, "203.0.113.9 - - [30/Nov/2026:06:11:02 +0000] \"GET /cart HTTP/1.1\" 502 157 \"-\" \"curl\"", &l);
  ck_assert(has_sig(&l, "status", "502"));
  ck_assert(!l.verdict);
  logline_free(&l);
  logline_rules_free(bare);
}
END_TEST

/* A definition of one's own teaches explain its format, verdicts and families. */
START_TEST(test_a_definition_of_ones_own) {
  static const char tiny[] =
      "return proxy { name = \"tiny\", binary = { \"true\" }, files = { [\"t.conf\"] = \"\" },\n"
      "  command = { \"${binary}\" }, logs = { \"access.log\" },\n"
      "  explain = { detect = { \"^tiny-proxy: \" }, tags = { \"tiny\" },\n"
      "    signatures = { { kind = \"tiny-upstream\", label = \"upstream\", pattern = \" upstream=([a-z-]+)\",\n"
      "                     group = 1, not_verdict = \"^ok$\" } },\n"
      "    families = { { kind = \"tiny-upstream\", pattern = \"^closed-early$\", family = \"close\" } },\n"
      "    look_in = { log = \"access.log\", what = \"the upstream= field\" } } }\n";
  char *dir = uu_mkdtemp();
  free(uu_write_file(dir, "tiny.lua", tiny, strlen(tiny)));
  size_t n = 0;
  int failures = 0;
  struct proxy_def *mine = proxy_load_dir(dir, &n, &failures);
  ck_assert_int_eq(failures, 0);
  struct logline_rules *r = logline_rules_new(mine, n);
  ck_assert_ptr_nonnull(r);
  ck_assert_int_eq(logline_proxy_index(r, "tiny"), 0);
  ck_assert_str_eq(logline_look_in_log(r, 0), "access.log");
  struct logline l;
  logline_read(r, "Nov 30 10:00:00 web1 tiny[42]: tiny-proxy: GET /api?x=1 status=502 upstream=closed-early", &l);
  ck_assert_uint_eq(l.proxies, 1);
  ck_assert(has_sig(&l, "tiny-upstream", "closed-early"));
  ck_assert_str_eq(logline_sig_label(r, "tiny-upstream"), "upstream");
  ck_assert_str_eq(l.family, "close");
  ck_assert(l.verdict);
  logline_free(&l);
  logline_read(r, "tiny-proxy: GET / status=200 upstream=ok", &l);
  ck_assert(has_sig(&l, "tiny-upstream", "ok"));
  ck_assert(!l.verdict); /* not_verdict: "ok" says nothing of a failure */
  logline_free(&l);
  logline_rules_free(r);
  proxy_free_all(mine, n);
  uu_rmtree(dir);
}
END_TEST

/* A line two formats claim names first the proxy whose verdict it carries. */
START_TEST(test_the_proxy_whose_verdict_it_carries_comes_first) {
  struct logline l;
  logline_read(rules, "20261130.05h56m34s CONNECT: attempt fail [CONNECTION_ERROR] to 127.0.0.1:42887 for "
               "host='127.0.0.1' connection_result=Connection timed out [110] error=Success [0] attempts=0 "
               "url='http://127.0.0.1:42887/blackhole/1'", &l);
  size_t order[32], n = logline_recognised(rules, &l, order);
  ck_assert_uint_eq(n, 2);
  ck_assert_str_eq(logline_proxy(rules, order[0]), "trafficserver");
  ck_assert_str_eq(logline_proxy(rules, order[1]), "node");
  logline_free(&l);
}
END_TEST

static Suite *logline_suite(void) {
  Suite *s = suite_create("logline");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_families_across_proxies_and_versions);
  tcase_add_test(tc, test_family_agreement);
  tcase_add_test(tc, test_deployment_parts_vanish);
  tcase_add_test(tc, test_syslog_tag_names_the_proxy);
  tcase_add_test(tc, test_not_addresses);
  tcase_add_test(tc, test_signatures_are_not_words);
  tcase_add_test(tc, test_a_status_is_not_a_verdict);
  tcase_add_test(tc, test_optional_fields);
  tcase_add_test(tc, test_default_formats);
  tcase_add_test(tc, test_without_definitions);
  tcase_add_test(tc, test_a_definition_of_ones_own);
  tcase_add_test(tc, test_the_proxy_whose_verdict_it_carries_comes_first);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(logline_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
