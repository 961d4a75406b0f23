/* logline.c: from a proxy's log line to what it says (see logline.h).
 *
 * Reading a line runs, in order:
 *   1. TIME_MASKS: every common timestamp shape becomes <time>, so two lines agree
 *      whatever clock and format wrote them;
 *   2. PREFIXES: a syslog or journald header is cut off (its tag may name the proxy);
 *   3. FIELD_MASKS: the fields that are a deployment's own (names, hosts, methods, sizes,
 *      the bytes an upstream sent) become placeholders, each by the shape of its format;
 *   4. normalise(): addresses, URLs, paths, numbers and ids become placeholders;
 *   5. SIG_RULES pick the proxy's verdict, DETECTORS the formats, FAMILY_RULES the kind
 *      of failure; the words left outside the signatures are the line's tokens.
 * Every table is data with the reason for each row next to it; rows are POSIX EREs. */
#include "logline.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define GROUP(k) (1u << (k))

/* ---- 1-3: masks, applied to the raw line -------------------------------------------- */

/* In every match of pattern, the groups in `groups` (bit 0: the whole match) become
 * `with`. */
struct mask_rule {
  const char *pattern;
  unsigned groups;
  const char *with;
};

#define MON "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
#define WDAY "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
#define HMS "[0-9]{2}:[0-9]{2}:[0-9]{2}"
#define FRAC "([.,][0-9]+)?"

static const struct mask_rule TIME_MASKS[] = {
    /* apache's error log, ctime: Sun Nov 22 15:43:07.310307 2026 */
    {WDAY " " MON " [ 0-9]?[0-9] " HMS FRAC " [0-9]{4}", GROUP(0), "<time>"},
    /* HTTP dates: Sun, 22 Nov 2026 15:43:07 GMT */
    {WDAY ", [0-9]{2} " MON " [0-9]{4} " HMS "( GMT| [+-][0-9]{4})?", GROUP(0), "<time>"},
    /* ISO 8601 / RFC 3339 (nghttpx, node, caddy's iso8601, RFC 5424, journalctl -o
     * short-iso, lighttpd's "2026-11-22 15:44:06"): a date alone is left alone */
    {"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]" HMS FRAC "(Z|[+-][0-9]{2}:?[0-9]{2})?", GROUP(0), "<time>"},
    /* nginx's error log, squid's cache.log: 2026/11/22 15:43:37 */
    {"[0-9]{4}/[0-9]{2}/[0-9]{2} " HMS FRAC, GROUP(0), "<time>"},
    /* common log format: 22/Nov/2026:15:43:07 +0000, haproxy's 22/Nov/2026:15:44:03.867 */
    {"[0-9]{1,2}/" MON "/[0-9]{4}:" HMS FRAC "( [+-][0-9]{4})?", GROUP(0), "<time>"},
    /* syslog (RFC 3164), journald's short format, tinyproxy: Nov 22 15:43:37.324 */
    {MON " [ 0-9]?[0-9] " HMS FRAC "( [0-9]{4})?", GROUP(0), "<time>"},
    /* trafficserver's diags.log: 20261122.15h42m59s */
    {"[0-9]{8}\\.[0-9]{2}h[0-9]{2}m[0-9]{2}s", GROUP(0), "<time>"},
    /* Unix time, in seconds with a fraction or in milliseconds (squid, trafficserver, caddy) */
    {"(^|[^0-9.])(1[0-9]{9}(\\.[0-9]+)?|1[0-9]{12})([^0-9.]|$)", GROUP(2), "<time>"},
    /* a time of day left over */
    {"(^|[^0-9:])(" HMS FRAC ")", GROUP(2), "<time>"},
};

/* Headers that syslog, journald or a container runtime put before the proxy's own line;
 * cut off. tag is the capture that holds the program name (0: none). Times are already
 * <time> here. */
static const struct {
  const char *pattern;
  int tag;
} PREFIXES[] = {
    /* RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA */
    {"^<[0-9]{1,3}>1 [^ ]+ [^ ]+ ([^ ]+) [^ ]+ [^ ]+ (-|(\\[[^]]*\\])+) ?", 1},
    /* RFC 3164, journald, rsyslog: [<PRI>]TIME [HOST] TAG[PID]: (haproxy on a local socket
     * sends no host) */
    {"^(<[0-9]{1,3}>)?<time> ([^ :]+ )?([A-Za-z0-9_./-]+)\\[[0-9]+\\]: ", 3},
    /* the same without a pid: then the host must be there, else trafficserver's own
     * "<time> CONNECT: " would pass for a tag */
    {"^(<[0-9]{1,3}>)?<time> [^ :]+ ([A-Za-z0-9_./-]+): ", 2},
    /* the tag alone (docker's syslog driver, logger without a date) */
    {"^([A-Za-z][A-Za-z0-9_.-]*)\\[[0-9]+\\]: ", 1},
    /* container runtimes (CRI): TIME STREAM FLAG */
    {"^<time> (stdout|stderr) [FP] ", 0},
};

#define METHODS "GET|HEAD|POST|PUT|DELETE|OPTIONS|TRACE|PATCH|CONNECT|PROPFIND|PROPPATCH|MKCOL|COPY|MOVE|LOCK|UNLOCK|PURGE|BAN"
#define TIMERS "[-+0-9]+/[-+0-9]+/[-+0-9]+/[-+0-9]+/\\+?[-0-9]+"

static const struct mask_rule FIELD_MASKS[] = {
    /* haproxy: frontend, backend/server names ("fe_https~ be_api/api3", "be/<NOSRV>") */
    {"\\[<time>\\] ([^ ]+) ([^ /]+)/([^ ]+) [-+0-9]+/", GROUP(1) | GROUP(2) | GROUP(3), "<name>"},
    /* varnish: the backend's name in "backend default: fail errno 111" */
    {"backend ([^ :\"]+): fail", GROUP(1), "<name>"},
    /* sizes: of the response or of the proxy's error page (a deployment's errorfile or
     * synth template): haproxy's after the status; access lines' after the status;
     * squid's and trafficserver's after CODE/STATUS; lighttpd's request; caddy's */
    {TIMERS " (-1|[0-9]{3}) (\\+?[0-9]+) ", GROUP(2), "<n>"},
    {"HTTP/[0-9.]+\" (-|[0-9]{3})(\\+[a-z]+)? ([0-9]+)( |$)", GROUP(3), "<n>"},
    {"[A-Z_]+/[0-9]{3} ([0-9]+) ", GROUP(1), "<n>"},
    {"request sent: ([0-9]+)", GROUP(1), "<n>"},
    {"\"(size|bytes_read|duration)\":([-+0-9.eE]+)", GROUP(2), "<n>"},
    /* the request's method: a request line, squid's and trafficserver's "METHOD URL",
     * tinyproxy's "): GET /", apache's "(GET)", caddy's "method":"GET" */
    {"([\"(]|: | )(" METHODS ")([ )\"])", GROUP(2), "<method>"},
    /* hosts: nginx's server_name and Host; apache's backend in AH01102, AH01114, AH00957;
     * squid's and trafficserver's HIER_DIRECT/host; tinyproxy's; caddy's Host; nghttpx's
     * backend; lighttpd's "on HOST are down" */
    {", server: ([^,]*),", GROUP(1), "<host>"},
    {", host: \"([^\"]*)\"", GROUP(1), "<host>"},
    {"remote server ([^ ,]+)", GROUP(1), "<host>"},
    {"connection to backend: ([^ ,]+)", GROUP(1), "<host>"},
    {"attempt to connect to ([^ ]+) \\(([^)]*)\\)", GROUP(1) | GROUP(2), "<host>"},
    {"(HIER_[A-Z_]+|[A-Z_]*DIRECT|[A-Z_]*PARENT[A-Z_]*)/([^ -][^ ]*)", GROUP(2), "<host>"},
    {" host \"([^\"]*)\"", GROUP(1), "<host>"},
    {"connection to ([^ ]+)$", GROUP(1), "<host>"},
    {"\"host\":\"([^\"]*)\"", GROUP(1), "<host>"},
    {" backend=([^ -][^ ]*)", GROUP(1), "<host>"},
    {" on ([^ ]*) are down", GROUP(1), "<host>"},
    /* squid's and trafficserver's default formats: the user the proxy authenticated (a
     * deployment's, "-" for none) between the URL and the hierarchy route, and the content
     * type after it (the application's, or text/html of the proxy's own error page); the
     * harness's formats leave the user out, its trafficserver format the type too */
    {"<method> [^ ]+ ([^ ]+) (HIER_[A-Z_]+|[A-Z_]*DIRECT|[A-Z_]*PARENT[A-Z_]*|NONE)/", GROUP(1), ""},
    {"(HIER_[A-Z_]+|[A-Z_]*DIRECT|[A-Z_]*PARENT[A-Z_]*|NONE)/[^ ]+ ([a-z-]+/[^ ]+|-)( |$)", GROUP(2), ""},
    /* ids a proxy makes up per request or per error: caddy's "err_id":"ubgmbnyuj" (random
     * letters, with or without a digit: without one the number rule below keeps it as a
     * word, and two recordings of one fault scored differently), request ids in JSON */
    {"\"(err_id|request_id|req_id|trace_id|span_id|id)\":\"([^\"]*)\"", GROUP(2), "<n>"},
    /* caddy: a logger's own name ("log0" or what the Caddyfile calls it) */
    {"\"logger\":\"http\\.log\\.(access|error)(\\.[^\"]*)\"", GROUP(2), ""},
    /* caddy's default JSON logs the request's and the response's headers (the harness
     * deletes them: a huge upstream header would not fit its log tail) and, over HTTPS, the
     * TLS session: what a client and a deployment send, never the upstream's verdict */
    {"\"(headers|resp_headers|tls)\":\\{([^{}\"]|\"([^\"\\\\]|\\\\.)*\")*\\},?", GROUP(0), ""},
    /* what the upstream sent, quoted back: header names and values, status lines. nginx
     * stops its quote at the offending byte and escapes it (\x00 a NUL, \x20 a blank),
     * which tells the fault: that part stays */
    {"header: \"([^\"\\\\]+)", GROUP(1), "<data>"},
    {"'[^']*'", GROUP(0), "'<data>'"},
    {"\\\\\"([^\"\\\\]|\\\\[^\"])*\\\\\"", GROUP(0), "\\\"<data>\\\""},
    {"invalid HTTP status line: (.*)$", GROUP(1), "<data>"},
    {"NULL characters \\{(.*)$", GROUP(1), "<data>"},
    /* h2o: "in request:PATH:message"; its messages hold no colon, a query string may */
    {"in request:(/.*):[^:]*$", GROUP(1), "<path>"},
};

/* ---- 5: signatures, formats, families, on the normalised line ---------------------- */

/* group is the capture that holds the value; all means every match counts (a line can
 * carry several codes); key_len > 0 compares only the value's first key_len bytes. */
struct sig_rule {
  const char *kind, *label, *pattern;
  int group, weight;
  bool all;
  size_t key_len;
};

#define HAPROXY_LOG " (-1|[0-9]{3}|<n>) [^ ]+ [^ ]+ [^ ]+ ([-A-Za-z]{4}) [^ ]+/[^ ]+/[^ ]+/[^ ]+/[^ ]+ "
#define TINYPROXY_LOG "^(CONNECT|ERROR|WARNING|INFO|NOTICE|CRITICAL|DEBUG) +<time> \\[<n>\\]: "

static const struct sig_rule SIG_RULES[] = {
    /* haproxy's HTTP log: status, bytes, two cookie fields, then the termination state,
     * whose last two letters are cookie flags (a deployment's persistence, not a verdict) */
    {"haproxy-state", "termination state", HAPROXY_LOG, 2, 4, false, 2},
    {"status", "status", HAPROXY_LOG, 1, 1, false, 0},
    /* access lines in the common shapes: the status right after the quoted request */
    {"status", "status", "\"(<method>|[A-Z]+) [^\"]*\" ([0-9]{3}(\\+abort)?)( |$)", 2, 1, false, 0},
    {"status", "status", "\"status\":([0-9]{3})", 1, 1, false, 0},
    /* nginx error log: the message after the pid#tid and the *connection id */
    {"nginx-message", "message", "\\[(emerg|alert|crit|error|warn|notice|info)\\] <n>#<n>: (\\*<n> )?([^,]+)", 3, 3,
     false, 0},
    {"apache-code", "code", "AH[0-9]{5}", 0, 3, true, 0},
    {"apache-error", "error", "\\] (\\([0-9]+\\)[^:]+):", 1, 3, false, 0},
    {"varnish-fetcherror", "FetchError", "fetcherror=\"([^\"]+)\"", 1, 3, false, 0},
    {"varnish-fetcherror", "FetchError", "FetchError[ ]+(.+)$", 1, 3, false, 0},
    {"squid-code", "result code", "(^| )([A-Z]+_[A-Z_]+/([0-9]{3}|<n>)) ", 2, 3, false, 0},
    {"squid-error", "error page", "err=(ERR_[A-Z_]+)/", 1, 3, false, 0},
    {"squid-warning", "warning", "(WARNING|ERROR|FATAL): (.+) (for|from) <url>", 2, 3, false, 0},
    {"trafficserver-codes", "status codes", "(sssc=[^ ]+ cfsc=[^ ]+ pfsc=[^ ]+)", 1, 3, false, 0},
    {"trafficserver-connect", "connect error", "CONNECT: ([A-Za-z ]+)", 1, 3, false, 0},
    {"caddy-message", "message", "\"msg\":\"(([^\"\\\\]|\\\\.)+)\"", 1, 3, false, 0},
    {"caddy-error", "error", "\"error\":\"(([^\"\\\\]|\\\\.)+)\"", 1, 3, false, 0},
    {"nghttpx-message", "message", "\\[DCONN:[^]]*\\] (.+)$", 1, 3, false, 0},
    {"nghttpx-backend", "backend", " backend=([^ ]+)", 1, 1, false, 0},
    {"http-parser-error", "parser error", "HPE_[A-Z_]+", 0, 3, true, 0},
    {"h2o-message", "message", "in request:[^:]*:(.+)$", 1, 3, false, 0},
    {"lighttpd-message", "message", "\\([a-z0-9_-]+\\.c\\.<n>\\) (.+)$", 1, 3, false, 0},
    {"node-error", "error", "(^| )error=\"([^\"]+)\"", 2, 3, false, 0},
    {"tinyproxy-message", "message", TINYPROXY_LOG "(.+)$", 2, 3, false, 0},
};

/* Signatures that say only that something was logged, not why: a line with nothing else
 * is no proxy's verdict (every proxy writes 502 for a dozen faults), and is never a match.
 * value is an ERE on the signature's value; NULL: every value of the kind. */
static const struct {
  const char *kind, *value;
} NOT_VERDICTS[] = {
    /* a status says which way to look, not why: one 502 stands for a dozen faults */
    {"status", NULL},
    /* which backend nghttpx picked ("-:-": none reached): where, not why */
    {"nghttpx-backend", NULL},
    /* caddy's access logger writes this message for every request, served or failed */
    {"caddy-message", "^handled request$"},
    /* tinyproxy logs every request so, as it arrives: the cause comes on a later line */
    {"tinyproxy-message", "^Request \\(file descriptor"},
};

/* Optional fields: what the harness's formats add to a proxy's default format. A line in
 * the default format lacks them, and then what a recorded line says in them cannot count
 * against it (see logline_absent_fields). pattern finds the field, in a raw line and in a
 * normalised one; kind is the signature the field carries (NULL: none), anchor the
 * signature every line of that format has; name and meaning are what a user is shown. */
struct field_rule {
  const char *proxy, *name, *pattern, *kind, *anchor, *meaning;
};

static const struct field_rule FIELDS[] = {
    /* squid's default logformat (squid) ends at the MIME type: the error page is not in it */
    {"squid", "err=", " err=[^ ]+", "squid-error", "squid-code",
     "squid's %err_code/%err_detail: the error page squid served, and why; its default "
     "logformat (squid) lacks it"},
    /* trafficserver's default squid format ends at the content type */
    {"trafficserver", "sssc= cfsc= pfsc=", " sssc=[^ ]+ cfsc=[^ ]+ pfsc=[^ ]+", "trafficserver-codes", "squid-code",
     "trafficserver's %<sssc> %<cfsc> %<pfsc>: the origin's status and how the client and proxy "
     "sides finished; its default squid format lacks them"},
    /* varnishncsa's default format is NCSA combined: no FetchError */
    {"varnish", "fetcherror=", " fetcherror=\"[^\"]*\"", "varnish-fetcherror", "status",
     "varnishncsa's %{VSL:FetchError}x: why the backend fetch failed; its default format lacks it"},
    /* nginx's default access format (combined) has none of the upstream's variables */
    {"nginx", "rt=", " rt=[^ ]+", NULL, "status", "nginx's $request_time; its combined format lacks it"},
    {"nginx", "ua=", " ua=\"[^\"]*\"", NULL, "status", "nginx's $upstream_addr; its combined format lacks it"},
    {"nginx", "us=", " us=\"[^\"]*\"", NULL, "status",
     "nginx's $upstream_status: what the upstream answered, if anything; its combined format lacks it"},
    {"nginx", "uct=", " uct=\"[^\"]*\"", NULL, "status",
     "nginx's $upstream_connect_time; its combined format lacks it"},
    {"nginx", "urt=", " urt=\"[^\"]*\"", NULL, "status",
     "nginx's $upstream_response_time; its combined format lacks it"},
};

/* Formats only one proxy writes, and the syslog tags it logs under. Access lines in the
 * common and combined log formats are left out: apache, nginx, h2o, nghttpx and
 * varnishncsa share them, and the similarity tells them apart well enough (lighttpd's
 * default, with the Host in the second field, is its own). */
static const struct {
  const char *proxy, *pattern, *tags;
} DETECTORS[] = {
    {"haproxy", HAPROXY_LOG, "haproxy"},
    {"nginx", "\\[(emerg|alert|crit|error|warn|notice|info|debug)\\] <n>#<n>: | ua=\"[^\"]*\" us=\"", "nginx"},
    {"apache2", "\\[[a-z_]+:(emerg|alert|crit|error|warn|notice|info|debug|trace[1-8])\\] \\[pid |AH[0-9]{5}: ",
     "apache2 httpd apache"},
    {"varnish", "fetcherror=\"|FetchError", "varnishd varnishncsa varnishlog varnish"},
    {"squid", "HIER_[A-Z]+/|<time>\\| (WARNING|ERROR|FATAL|NOTICE)| err=(-|ERR_[A-Z_]+)/", "squid"},
    /* ...and its default squid format, which lacks sssc=: a hierarchy route without squid's
     * HIER_ prefix (squid 2 wrote none either; squid 3 on writes HIER_DIRECT) */
    {"trafficserver", " sssc=[^ ]+ cfsc=|^<time> CONNECT: | (TIMEOUT_)?DIRECT/| NONE/-",
     "traffic_server trafficserver traffic_manager"},
    {"caddy", "\"logger\":\"", "caddy"},
    {"nghttpx", "\\[DCONN:|\\(shrpx_| backend=", "nghttpx"},
    {"h2o", "\\[lib/[a-z0-9_/]+\\.c\\]| in request:", "h2o"},
    /* ...and its default access format (%h %V %u %t ...), whose second field is the Host
     * the client asked for where every other common format has "-" */
    {"lighttpd", "\\([a-z0-9_-]+\\.c\\.<n>\\) |^<ip> [^ \"-][^ ]* [^ ]+ \\[<time>\\] \"", "lighttpd"},
    {"node", " attempts=<n>", ""},
    {"tinyproxy", TINYPROXY_LOG, "tinyproxy"},
};

/* The kind of failure a line says, in words no proxy owns: a wording the reference lacks
 * (another version's) still lands near the recorded lines of the same family. A row with
 * a kind reads the value of that signature; a row without reads the whole normalised line
 * (whose names, hosts, paths and quoted bytes are placeholders by now). The first row that
 * matches wins, so narrower rows come first. kin groups families that proxies blur. */
struct family_rule {
  const char *family, *kind, *pattern;
  bool icase;
};

static const struct family_rule FAMILY_RULES[] = {
    /* haproxy's termination state: the first letter says who ended the session (C, c the
     * client; S the server; s a server-side timeout; P haproxy on a protocol error), the
     * second in which phase (C connect, H headers, D data) */
    {"client", "haproxy-state", "^[Cc]", false},
    {"refused", "haproxy-state", "^SC", false},
    {"connect-timeout", "haproxy-state", "^sC", false},
    {"close", "haproxy-state", "^S[HDRLQT]", false}, /* S: FIN or RST, haproxy does not say which */
    {"timeout", "haproxy-state", "^s[HDRLQT]", false},
    {"invalid-response", "haproxy-state", "^P[HD]", false},
    /* the client went away: not the upstream's doing (nginx's 499, squid's CLIENT_GONE) */
    {"client", NULL, "client (prematurely )?closed|client_gone|client (aborted|went away|disconnected)", true},
    /* a limit of the proxy's: header or response too big (nginx, lighttpd, squid's
     * ERR_TOO_BIG, varnish's overflow, apache's "over the limit") */
    {"too-large", NULL, "too (big|large|long)|overflow|over the limit|err_too_big", true},
    /* connecting timed out: the errno text "Connection timed out" alone is no proof (nginx
     * writes it for read timeouts too), so the words around it decide: nginx's "while
     * connecting", apache's AH00957 "attempt to connect", nghttpx's "Connect time out",
     * node's "connect timeout", h2o's "connection timeout", caddy's "dial tcp ...: i/o
     * timeout", trafficserver's connection_result, lighttpd's "establishing connection",
     * varnish's "fail errno 110" (its backend connect) */
    {"connect-timeout", NULL,
     "connect(ion)? ?time ?out|(timed out|timeout|has expired).*(while connecting|attempt to connect|connecting to)|"
     "dial tcp.*time ?out|connection_result=connection timed out|establishing connection failed.*timed out|"
     "fail errno 110",
     true},
    /* ECONNREFUSED, in words or as errno 111 */
    {"refused", NULL, "refused|econnrefused|errno[ =]111|\\(111\\)", true},
    /* ECONNRESET, in words or as errno 104; squid's ERR_READ_ERROR is a failed read(),
     * which from an upstream is a reset in practice; EPIPE is a write into a reset */
    {"reset", NULL, "reset by peer|econnreset|connection reset|errno[ =]104|\\(104\\)|err_read_error|broken pipe|epipe",
     true},
    /* connecting failed, how not said (squid's ERR_CONNECT_FAIL, tinyproxy, apache's
     * AH01114, nghttpx, nginx's "no live upstreams", lighttpd's "are down") */
    {"connect-failed", NULL,
     "err_connect_fail|could not (establish a )?connect|connection failed|failed to make connection|"
     "establishing connection failed|connection_error|connect failed|no live upstreams|are down",
     true},
    /* no answer in time; EAGAIN ("Resource temporarily unavailable") is a read timeout on a
     * socket with SO_RCVTIMEO (varnish, tinyproxy) */
    {"timeout", NULL, "timed? ?out|has expired|err_read_timeout|temporarily unavailable|eagain", true},
    /* the upstream closed early: EOF in any case (varnish's "HTC eof", 6.0's "http first
     * read error: EOF", caddy's "unexpected EOF", HPE_INVALID_EOF_STATE), nginx's
     * "prematurely closed", apache's (70014) "End of file found" and (70008) "Partial
     * results", squid's ZERO_SIZE_OBJECT, varnish's "insufficient bytes", tinyproxy's
     * "failed: Success" (read returned 0, errno untouched), node's "upstream aborted" and
     * "socket hang up", h2o's "I/O error" (EOF or a failed read) */
    {"close", NULL,
     "eof|prematurely|end of file|partial results|zero_size_object|no object data|insufficient bytes|"
     "could not retrieve all the headers|failed: success|empty reply|hang up|upstream aborted|i/o error|closed",
     true},
    /* not HTTP, or not valid HTTP */
    {"invalid-response", NULL,
     "invalid|malformed|pars(e|er|ing)|format error|bad (http|header|content-length|response|status)|no valid|"
     "err_invalid_resp|hpe_|non-hex|missing colon|null characters|more data than|cannot contain|expected http",
     true},
};

static const struct {
  const char *family, *kin, *meaning;
} FAMILIES[] = {
    {"close", "dropped", "the upstream closed the connection (FIN) before the response was complete"},
    {"reset", "dropped", "the upstream reset the connection (RST)"},
    {"timeout", "slow", "the upstream did not answer in time"},
    {"refused", "connect", "the upstream refused the connection"},
    {"connect-timeout", "connect", "connecting to the upstream timed out"},
    {"connect-failed", "connect", "connecting to the upstream failed"},
    {"invalid-response", "invalid", "the upstream's response was not valid HTTP"},
    {"too-large", "invalid", "the upstream's response went over one of the proxy's limits"},
    {"client", "client", "the client went away or was too slow, not the upstream"},
};

struct logline_rules {
  regex_t time_re[COUNT(TIME_MASKS)];
  regex_t prefix_re[COUNT(PREFIXES)];
  regex_t field_re[COUNT(FIELD_MASKS)];
  regex_t sig_re[COUNT(SIG_RULES)];
  regex_t detect_re[COUNT(DETECTORS)];
  regex_t family_re[COUNT(FAMILY_RULES)];
  regex_t not_verdict_re[COUNT(NOT_VERDICTS)];
  regex_t field_rule_re[COUNT(FIELDS)];
};

/* ---- masks ---------------------------------------------------------------------------- */

/* s with rule applied to every match; s is freed. */
static char *mask(const regex_t *re, const struct mask_rule *rule, char *s) {
  struct buf out = {0};
  const char *p = s;
  regmatch_t g[10];
  int flags = 0;
  while (*p && regexec(re, p, 10, g, flags) == 0) {
    size_t at = 0, end = (size_t)g[0].rm_eo;
    for (int k = 0; k < 10; k++) {
      if (!(rule->groups & GROUP(k)) || g[k].rm_so < 0 || (size_t)g[k].rm_so < at) continue;
      buf_append(&out, p + at, (size_t)g[k].rm_so - at);
      buf_puts(&out, rule->with);
      at = (size_t)g[k].rm_eo;
    }
    if (end <= at) end = at;
    if (end == 0) end = 1; /* an empty match: step over one byte */
    buf_append(&out, p + at, end - at);
    p += end;
    flags = REG_NOTBOL;
  }
  buf_puts(&out, p);
  free(s);
  char *r = strdup(buf_cstr(&out));
  buf_free(&out);
  return r;
}

/* s without its syslog or runtime headers; *tag gets the program name of the first one
 * (or stays NULL). s is freed. */
static char *strip_prefixes(const struct logline_rules *r, char *s, char **tag) {
  for (bool cut = true; cut;) {
    cut = false;
    for (size_t k = 0; k < COUNT(PREFIXES) && !cut; k++) {
      regmatch_t g[6];
      if (regexec(&r->prefix_re[k], s, 6, g, 0) || g[0].rm_eo == 0) continue;
      int t = PREFIXES[k].tag;
      if (t && !*tag && g[t].rm_so >= 0) *tag = strndup(s + g[t].rm_so, (size_t)(g[t].rm_eo - g[t].rm_so));
      memmove(s, s + g[0].rm_eo, strlen(s + g[0].rm_eo) + 1);
      cut = true;
    }
  }
  return s;
}

/* ---- 4: normalisation ----------------------------------------------------------------- */

static bool is_word(int c) { return isalnum(c) || c == '_'; }

/* Length of a dotted IPv4 address at s, or 0. */
static size_t ipv4_len(const char *s) {
  size_t i = 0;
  for (int part = 0; part < 4; part++) {
    size_t start = i;
    while (isdigit((unsigned char)s[i]) && i - start < 3) i++;
    if (i == start) return 0;
    if (part < 3) {
      if (s[i] != '.') return 0;
      i++;
    }
  }
  return isdigit((unsigned char)s[i]) || isalpha((unsigned char)s[i]) ? 0 : i;
}

/* Length of an IPv6 address at s, with what a log glues to it (haproxy's and apache's
 * ":port", a "%zone"), or 0. It needs a "::" or all seven colons, so a time of day or a
 * MAC address is not one. */
static size_t ipv6_len(const char *s) {
  size_t i = 0, colons = 0;
  bool double_colon = false, hex = false;
  for (; isxdigit((unsigned char)s[i]) || s[i] == ':' || s[i] == '.'; i++) {
    if (s[i] != ':') hex = true;
    else if (colons++, s[i + 1] == ':') double_colon = true;
  }
  if (!hex || colons < 2 || !(double_colon || colons >= 7) || is_word((unsigned char)s[i])) return 0;
  if (s[i] == '%')
    for (i++; isalnum((unsigned char)s[i]); i++) {}
  return i;
}

/* Length of an address at s: IPv4 (with a port), IPv6, [IPv6] (with a port), or 0. */
static size_t ip_len(const char *s, unsigned char prev) {
  size_t i = 0;
  if (s[0] == '[') {
    i = ipv6_len(s + 1);
    if (!i || s[i + 1] != ']') return 0;
    i += 2;
  } else if (!is_word(prev) && prev != '.' && prev != ':') {
    i = ipv4_len(s);
    if (!i) return ipv6_len(s);
  } else {
    return 0;
  }
  if (s[i] == ':' && isdigit((unsigned char)s[i + 1]))
    for (i++; isdigit((unsigned char)s[i]); i++) {}
  return i;
}

/* Length of a URL (scheme://...) at s, or 0. */
static size_t url_len(const char *s) {
  size_t j = 0;
  while (isalnum((unsigned char)s[j]) || s[j] == '+' || s[j] == '.' || s[j] == '-') j++;
  if (!j || strncmp(s + j, "://", 3)) return 0;
  for (j += 3; s[j] && !isspace((unsigned char)s[j]) && !strchr("\"'<>|", s[j]); j++) {}
  return j;
}

/* Length of a path at s (which starts with '/'), with its query string: that ends at a
 * blank, a quote, or a comma that ends a field (lighttpd's "for /x?, closing"), as query
 * strings hold commas, colons and slashes of their own. */
static size_t path_len(const char *s) {
  size_t j = 0;
  while (s[j] && !isspace((unsigned char)s[j]) && !strchr("\"'?,;:()[]{}|<>", s[j])) j++;
  if (s[j] == '?')
    while (s[j] && !isspace((unsigned char)s[j]) && !strchr("\"'", s[j]) &&
           !(s[j] == ',' && (!s[j + 1] || isspace((unsigned char)s[j + 1]))))
      j++;
  return j;
}

/* A 3-digit number standing alone is kept: it is a status (502) or an errno (104), both
 * telling (an access line's status even with a leading 0); one that follows "pid" or sits
 * in a pid#tid or a [pid] is an id whatever its length. So is apache's error code before
 * its text, "(70007)The timeout...", "(32)Broken pipe". (Sizes, which a deployment decides,
 * are masked before.) */
static bool keep_number(const char *line, size_t i, size_t j) {
  char prev = i ? line[i - 1] : ' ', next = line[j];
  if (prev == '(' && next == ')' && isalpha((unsigned char)line[j + 1])) return true;
  /* right after a quoted request line: the status, whatever its digits (nginx writes 009
   * for an HTTP/0.9 answer) */
  if (j - i == 3 && i >= 2 && prev == ' ' && line[i - 2] == '"' && (!next || next == ' ')) return true;
  if (j - i != 3 || line[i] == '0') return false;
  if (!strchr(" (\"'=/:", prev)) return false;
  if (next && !strchr(" )\"',:/+]}", next)) return false;
  /* a source line (shrpx_https_upstream.cc:926) moves from one version to the next */
  if (prev == ':') {
    size_t k = i - 1;
    while (k && (is_word((unsigned char)line[k - 1]) || line[k - 1] == '.')) k--;
    const char *dot = memrchr(line + k, '.', i - 1 - k);
    if (dot && dot + 1 < line + i - 1 && i - 1 - (size_t)(dot - line) <= 3) return false;
  }
  static const char *const id_words[] = {"pid ", "tid ", "descriptor ", "fd ", "fd: "};
  for (size_t k = 0; k < COUNT(id_words); k++) {
    size_t n = strlen(id_words[k]);
    if (i >= n && !strncmp(line + i - n, id_words[k], n)) return false;
  }
  return true;
}

/* Whether the last word written is a number or a date: then a 3-digit number after it is
 * one of a run of ids (nghttpx's "<time> PID TID ID"), not a status. */
static bool after_number(const struct buf *out) {
  size_t end = out->len;
  if (!end || out->data[end - 1] != ' ') return false;
  end--;
  size_t start = end;
  while (start && out->data[start - 1] != ' ') start--;
  if (start == end) return false;
  for (size_t k = start; k < end;) {
    if (end - k >= 3 && !strncmp(out->data + k, "<n>", 3)) k += 3;
    else if (strchr("-:.TZ", out->data[k])) k++;
    else return false;
  }
  return true;
}

/* The number at s + i (a digit): kept, <n>, or <n> with its unit (1002ms). Returns its
 * length. */
static size_t put_number(const char *s, size_t i, struct buf *out) {
  size_t j = i;
  bool pure = true, multi = false;
  while (is_word((unsigned char)s[j])) pure &= isdigit((unsigned char)s[j++]) != 0;
  while ((s[j] == '.' || s[j] == ':') && isdigit((unsigned char)s[j + 1])) {
    multi = true;
    for (j++; is_word((unsigned char)s[j]); j++) {}
  }
  unsigned char prev = i ? (unsigned char)s[i - 1] : ' ';
  if (pure && !multi && keep_number(s, i, j) && !(prev == ' ' && after_number(out))) {
    buf_append(out, s + i, j - i);
    return j - i;
  }
  buf_puts(out, "<n>");
  /* 1002ms keeps its unit; 0x7f3a, 15h42m59s or a hex id (10c4d146) are one number */
  size_t digits = i;
  while (isdigit((unsigned char)s[digits])) digits++;
  static const char *const units[] = {"ms", "s", "us", "ns"};
  for (size_t k = 0; !multi && !pure && k < COUNT(units); k++)
    if (j - digits == strlen(units[k]) && !strncmp(s + digits, units[k], j - digits)) buf_append(out, s + digits, j - digits);
  return j - i;
}

/* The word at s + i: request and error ids (nghttpx's f8ac5458, caddy's err_id) are lower
 * case letters and digits and become <n>; codes worth keeping (AH01102, HPE_*) are upper
 * case. A hex id may well be all digits (41890958): put_number sees those. */
static size_t put_word(const char *s, size_t i, struct buf *out) {
  size_t j = i;
  bool has_digit = false, id_chars = true;
  for (; is_word((unsigned char)s[j]); j++) {
    has_digit |= isdigit((unsigned char)s[j]) != 0;
    id_chars &= islower((unsigned char)s[j]) || isdigit((unsigned char)s[j]);
  }
  if (has_digit && id_chars && j - i >= 6) buf_puts(out, "<n>");
  else buf_append(out, s + i, j - i);
  return j - i;
}

/* Writes text for the len bytes it stands for; returns len. */
static size_t put(struct buf *out, const char *text, size_t len) {
  buf_puts(out, text);
  return len;
}

/* The length of the variable part at s + i, written as its placeholder, or 0. */
static size_t put_variable(const char *s, size_t i, struct buf *out) {
  unsigned char c = (unsigned char)s[i], prev = i ? (unsigned char)s[i - 1] : ' ';
  size_t len;
  if (isalpha(c) && !is_word(prev) && (len = url_len(s + i))) return put(out, "<url>", len);
  if ((isxdigit(c) || c == ':' || c == '[') && (len = ip_len(s + i, prev))) return put(out, "<ip>", len);
  /* a path starts after a separator; "be/up", "HTTP/1.1", "I/O" or "lib/core" do not */
  if (c == '/' && strchr(" \t\"'=:(,[", prev) && s[i + 1] != '/') return put(out, "<path>", path_len(s + i));
  /* -1 is a value, not a quantity: haproxy's timer of a response that never came,
   * varnish's "HTC eof (-1)" */
  if (c == '-' && s[i + 1] == '1' && !is_word(prev) && !is_word((unsigned char)s[i + 2]) && s[i + 2] != '.')
    return put(out, "-1", 2);
  if (isdigit(c) && !is_word(prev)) return put_number(s, i, out);
  if (is_word(c) && !is_word(prev)) return put_word(s, i, out);
  return 0;
}

/* The line with <url>, <ip>, <path> and <n> (numbers, durations, ports, pids, request ids)
 * in place of the parts that differ between two requests; blanks collapsed. */
static char *normalise(const char *s) {
  struct buf out = {0};
  for (size_t i = 0; s[i];) {
    if (isspace((unsigned char)s[i])) {
      if (out.len && out.data[out.len - 1] != ' ') buf_puts(&out, " ");
      i++;
      continue;
    }
    size_t len = put_variable(s, i, &out);
    if (!len) buf_append(&out, s + i, len = 1);
    i += len;
  }
  while (out.len && out.data[out.len - 1] == ' ') out.len--;
  char *r = strdup(buf_cstr(&out));
  buf_free(&out);
  return r;
}

/* ---- 5: signatures, words, formats, family ------------------------------------------ */

static bool is_date_word(const char *t) {
  static const char *const words[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                      "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  for (size_t k = 0; k < COUNT(words); k++)
    if (!strcmp(t, words[k])) return true;
  return false;
}

/* Where each optional field lies in the normalised line: [so, eo), or so < 0. */
struct spans {
  regoff_t so[COUNT(FIELDS)], eo[COUNT(FIELDS)];
};

_Static_assert(COUNT(FIELDS) <= 32, "a line's fields are the bits of an unsigned");

static void find_fields(const struct logline_rules *r, const char *norm, struct spans *sp, struct logline *l) {
  for (size_t f = 0; f < COUNT(FIELDS); f++) {
    regmatch_t g[1];
    sp->so[f] = sp->eo[f] = -1;
    if (regexec(&r->field_rule_re[f], norm, 1, g, 0)) continue;
    sp->so[f] = g[0].rm_so, sp->eo[f] = g[0].rm_eo;
    l->fields |= 1u << f;
  }
}

/* The fields whose span holds the byte at off. */
static unsigned fields_at(const struct spans *sp, regoff_t off) {
  unsigned bits = 0;
  for (size_t f = 0; f < COUNT(FIELDS); f++)
    if (sp->so[f] >= 0 && off >= sp->so[f] && off < sp->eo[f]) bits |= 1u << f;
  return bits;
}

/* Two occurrences of one word or signature: it lies only in fields when both do. */
static unsigned merge_fields(unsigned a, unsigned b) { return a && b ? a | b : 0; }

struct token {
  char *text;
  unsigned fields;
};

static int cmp_token(const void *a, const void *b) {
  return strcmp(((const struct token *)a)->text, ((const struct token *)b)->text);
}

/* The words of text as a set, lower case, each with the fields it lies in; month and day
 * names go, like the rest of the dates. */
static void tokenise(const char *text, const struct spans *sp, struct logline *l) {
  static const char *const seps = "\"',;()[]{}=|:/";
  size_t cap = 16, n = 0;
  struct token *all = malloc(cap * sizeof *all);
  for (const char *p = text; *p;) {
    while (*p && (isspace((unsigned char)*p) || strchr(seps, *p))) p++;
    const char *start = p;
    while (*p && !isspace((unsigned char)*p) && !strchr(seps, *p)) p++;
    size_t len = (size_t)(p - start);
    while (len && start[len - 1] == '.') len--;
    if (!len) continue;
    char *t = strndup(start, len);
    for (char *q = t; *q; q++) *q = (char)tolower((unsigned char)*q);
    if (is_date_word(t)) {
      free(t);
      continue;
    }
    if (n == cap) all = realloc(all, (cap *= 2) * sizeof *all);
    all[n++] = (struct token){t, fields_at(sp, (regoff_t)(start - text))};
  }
  qsort(all, n, sizeof *all, cmp_token);
  l->tokens = malloc((n ? n : 1) * sizeof *l->tokens);
  l->tok_fields = malloc((n ? n : 1) * sizeof *l->tok_fields);
  for (size_t k = 0; k < n; k++) {
    if (l->ntok && !strcmp(l->tokens[l->ntok - 1], all[k].text)) {
      l->tok_fields[l->ntok - 1] = merge_fields(l->tok_fields[l->ntok - 1], all[k].fields);
      free(all[k].text);
    } else {
      l->tokens[l->ntok] = all[k].text;
      l->tok_fields[l->ntok++] = all[k].fields;
    }
  }
  free(all);
}

int logline_cmp_sig(const void *a, const void *b) {
  const struct logline_sig *x = a, *y = b;
  int c = strcmp(x->kind, y->kind);
  return c ? c : strcmp(x->key, y->key);
}

const char *logline_sig_label(const char *kind) {
  for (size_t r = 0; r < COUNT(SIG_RULES); r++)
    if (!strcmp(SIG_RULES[r].kind, kind)) return SIG_RULES[r].label;
  return kind;
}

bool logline_sig_generic(const char *kind) { return !strcmp(kind, "status"); }

static char *trimmed(const char *s, size_t len) {
  while (len && isspace((unsigned char)*s)) s++, len--;
  while (len && isspace((unsigned char)s[len - 1])) len--;
  return strndup(s, len);
}

/* Whether a signature says why, not only that something was logged (NOT_VERDICTS). */
static bool says_why(const struct logline_rules *r, const char *kind, const char *value) {
  for (size_t k = 0; k < COUNT(NOT_VERDICTS); k++)
    if (!strcmp(NOT_VERDICTS[k].kind, kind) &&
        (!NOT_VERDICTS[k].value || regexec(&r->not_verdict_re[k], value, 0, NULL, 0) == 0))
      return false;
  return true;
}

static void add_sig(const struct logline_rules *r, struct logline *l, size_t *cap, const struct sig_rule *rule,
                    char *value, unsigned fields) {
  if (l->nsig == *cap) l->sigs = realloc(l->sigs, (*cap *= 2) * sizeof *l->sigs);
  size_t n = strlen(value);
  char *key = strndup(value, rule->key_len && rule->key_len < n ? rule->key_len : n);
  l->sigs[l->nsig++] =
      (struct logline_sig){rule->kind, value, key, rule->weight, says_why(r, rule->kind, value), fields};
}

/* The signatures of norm into l; their spans become blanks in `blanked` (a copy of norm),
 * so the words compared besides them are the words around them. */
static void extract_sigs(const struct logline_rules *r, const char *norm, char *blanked, const struct spans *sp,
                         struct logline *l) {
  size_t cap = 4;
  l->sigs = malloc(cap * sizeof *l->sigs);
  for (size_t k = 0; k < COUNT(SIG_RULES); k++) {
    const struct sig_rule *rule = &SIG_RULES[k];
    regmatch_t g[8];
    int flags = 0;
    for (size_t off = 0; norm[off] && regexec(&r->sig_re[k], norm + off, 8, g, flags) == 0; flags = REG_NOTBOL) {
      regmatch_t v = g[rule->group];
      if (v.rm_so >= 0) {
        char *value = trimmed(norm + off + v.rm_so, (size_t)(v.rm_eo - v.rm_so));
        /* "-" is how varnish and squid write "no error": not a signature */
        if (!*value || !strcmp(value, "-")) {
          free(value);
        } else {
          add_sig(r, l, &cap, rule, value, fields_at(sp, (regoff_t)off + v.rm_so));
          memset(blanked + off + v.rm_so, ' ', (size_t)(v.rm_eo - v.rm_so));
        }
      }
      if (!rule->all || g[0].rm_eo == 0) break;
      off += (size_t)g[0].rm_eo;
    }
  }
  qsort(l->sigs, l->nsig, sizeof *l->sigs, logline_cmp_sig);
  size_t u = 0;
  for (size_t k = 0; k < l->nsig; k++) {
    if (u && !logline_cmp_sig(&l->sigs[u - 1], &l->sigs[k])) {
      l->sigs[u - 1].fields = merge_fields(l->sigs[u - 1].fields, l->sigs[k].fields);
      free(l->sigs[k].value), free(l->sigs[k].key);
    } else {
      l->sigs[u++] = l->sigs[k];
    }
  }
  l->nsig = u;
  for (size_t k = 0; k < l->nsig; k++) l->verdict |= l->sigs[k].verdict;
}

static bool has_tag(const char *tags, const char *tag) {
  size_t n = strlen(tag);
  for (const char *p = tags; (p = strstr(p, tag)); p += n)
    if ((p == tags || p[-1] == ' ') && (p[n] == ' ' || !p[n])) return true;
  return false;
}

static void detect(const struct logline_rules *r, const char *tag, struct logline *l) {
  for (size_t d = 0; d < COUNT(DETECTORS); d++)
    if (regexec(&r->detect_re[d], l->norm, 0, NULL, 0) == 0 || (tag && has_tag(DETECTORS[d].tags, tag)))
      l->proxies |= 1u << d;
}

/* The line's family, and the fields its words came from. */
static void classify(const struct logline_rules *r, const struct spans *sp, struct logline *l) {
  for (size_t k = 0; k < COUNT(FAMILY_RULES); k++) {
    const char *kind = FAMILY_RULES[k].kind;
    regmatch_t g[1];
    if (!kind) {
      if (regexec(&r->family_re[k], l->norm, 1, g, 0)) continue;
      l->family = FAMILY_RULES[k].family;
      l->family_fields = fields_at(sp, g[0].rm_so);
      return;
    }
    for (size_t s = 0; s < l->nsig; s++)
      if (!strcmp(l->sigs[s].kind, kind) && regexec(&r->family_re[k], l->sigs[s].value, 1, g, 0) == 0) {
        l->family = FAMILY_RULES[k].family;
        l->family_fields = l->sigs[s].fields;
        return;
      }
  }
}

void logline_read(const struct logline_rules *r, const char *raw, struct logline *l) {
  memset(l, 0, sizeof *l);
  char *s = strdup(raw), *tag = NULL;
  for (size_t k = 0; k < COUNT(TIME_MASKS); k++) s = mask(&r->time_re[k], &TIME_MASKS[k], s);
  s = strip_prefixes(r, s, &tag);
  for (size_t k = 0; k < COUNT(FIELD_MASKS); k++) s = mask(&r->field_re[k], &FIELD_MASKS[k], s);
  l->norm = normalise(s);
  struct spans sp;
  find_fields(r, l->norm, &sp, l);
  char *blanked = strdup(l->norm);
  extract_sigs(r, l->norm, blanked, &sp, l);
  tokenise(blanked, &sp, l);
  detect(r, tag, l);
  classify(r, &sp, l);
  /* words that name a kind of failure say why even where no rule reads a signature */
  l->verdict |= l->family != NULL;
  free(blanked);
  free(tag);
  free(s);
}

void logline_free(struct logline *l) {
  for (size_t k = 0; k < l->ntok; k++) free(l->tokens[k]);
  for (size_t k = 0; k < l->nsig; k++) free(l->sigs[k].value), free(l->sigs[k].key);
  free(l->tokens);
  free(l->tok_fields);
  free(l->weights);
  free(l->sigs);
  free(l->norm);
}

/* ---- families and proxies -------------------------------------------------------------- */

static int family_index(const char *family) {
  for (size_t k = 0; family && k < COUNT(FAMILIES); k++)
    if (!strcmp(FAMILIES[k].family, family)) return (int)k;
  return -1;
}

const char *logline_family_meaning(const char *family) {
  int k = family_index(family);
  return k < 0 ? "" : FAMILIES[k].meaning;
}

double logline_family_agreement(const char *a, const char *b) {
  int x = family_index(a), y = family_index(b);
  if (x < 0 || y < 0) return 0;
  if (x == y) return 1;
  return strcmp(FAMILIES[x].kin, FAMILIES[y].kin) ? 0 : 0.5;
}

size_t logline_nproxies(void) { return COUNT(DETECTORS); }
const char *logline_proxy(size_t i) { return DETECTORS[i].proxy; }

int logline_proxy_index(const char *proxy) {
  for (size_t d = 0; d < COUNT(DETECTORS); d++)
    if (!strcmp(DETECTORS[d].proxy, proxy)) return (int)d;
  return -1;
}

/* ---- optional fields ------------------------------------------------------------------- */

size_t logline_nfields(void) { return COUNT(FIELDS); }
const char *logline_field_name(size_t i) { return FIELDS[i].name; }
const char *logline_field_proxy(size_t i) { return FIELDS[i].proxy; }
const char *logline_field_meaning(size_t i) { return FIELDS[i].meaning; }

static bool has_kind(const struct logline *l, const char *kind) {
  for (size_t k = 0; k < l->nsig; k++)
    if (!strcmp(l->sigs[k].kind, kind)) return true;
  return false;
}

unsigned logline_absent_fields(const struct logline *in) {
  unsigned bits = 0;
  for (size_t f = 0; f < COUNT(FIELDS); f++) {
    /* a line recognised as another proxy's lacks this proxy's fields by nature */
    int d = logline_proxy_index(FIELDS[f].proxy);
    bool could_be = !in->proxies || (d >= 0 && (in->proxies & (1u << d)));
    if (could_be && !(in->fields & (1u << f)) && has_kind(in, FIELDS[f].anchor) &&
        !(FIELDS[f].kind && has_kind(in, FIELDS[f].kind)))
      bits |= 1u << f;
  }
  return bits;
}

char *logline_field_text(const struct logline_rules *r, const char *raw, size_t i) {
  regmatch_t g[1];
  if (i >= COUNT(FIELDS) || regexec(&r->field_rule_re[i], raw, 1, g, 0)) return NULL;
  return trimmed(raw + g[0].rm_so, (size_t)(g[0].rm_eo - g[0].rm_so));
}

/* ---- compiling the tables ---------------------------------------------------------------- */

/* Every table's patterns, in one list, so a failure frees what compiled before it. */
struct pattern {
  regex_t *re;
  const char *pattern;
  int flags;
};

static size_t list_patterns(struct logline_rules *r, struct pattern *p) {
  size_t n = 0;
  for (size_t k = 0; k < COUNT(TIME_MASKS); k++) p[n++] = (struct pattern){&r->time_re[k], TIME_MASKS[k].pattern, 0};
  for (size_t k = 0; k < COUNT(PREFIXES); k++) p[n++] = (struct pattern){&r->prefix_re[k], PREFIXES[k].pattern, 0};
  for (size_t k = 0; k < COUNT(FIELD_MASKS); k++) p[n++] = (struct pattern){&r->field_re[k], FIELD_MASKS[k].pattern, 0};
  for (size_t k = 0; k < COUNT(SIG_RULES); k++) p[n++] = (struct pattern){&r->sig_re[k], SIG_RULES[k].pattern, 0};
  for (size_t k = 0; k < COUNT(DETECTORS); k++)
    p[n++] = (struct pattern){&r->detect_re[k], DETECTORS[k].pattern, REG_NOSUB};
  /* where a family's words are tells which field they came from: no REG_NOSUB */
  for (size_t k = 0; k < COUNT(FAMILY_RULES); k++)
    p[n++] = (struct pattern){&r->family_re[k], FAMILY_RULES[k].pattern, FAMILY_RULES[k].icase ? REG_ICASE : 0};
  /* a NULL value matches every value of its kind: the pattern is left uncompiled */
  for (size_t k = 0; k < COUNT(NOT_VERDICTS); k++)
    if (NOT_VERDICTS[k].value) p[n++] = (struct pattern){&r->not_verdict_re[k], NOT_VERDICTS[k].value, REG_NOSUB};
  for (size_t k = 0; k < COUNT(FIELDS); k++) p[n++] = (struct pattern){&r->field_rule_re[k], FIELDS[k].pattern, 0};
  return n;
}

#define NPATTERNS                                                                                                     \
  (COUNT(TIME_MASKS) + COUNT(PREFIXES) + COUNT(FIELD_MASKS) + COUNT(SIG_RULES) + COUNT(DETECTORS) +                    \
   COUNT(FAMILY_RULES) + COUNT(NOT_VERDICTS) + COUNT(FIELDS))

struct logline_rules *logline_rules_new(void) {
  struct logline_rules *r = calloc(1, sizeof *r);
  struct pattern p[NPATTERNS];
  size_t n = r ? list_patterns(r, p) : 0;
  for (size_t k = 0; k < n; k++) {
    if (regcomp(p[k].re, p[k].pattern, REG_EXTENDED | p[k].flags) == 0) continue;
    /* the tables are constants: a pattern that does not compile is a bug every test shows */
    fprintf(stderr, "badup explain: bad pattern: %s\n", p[k].pattern);
    while (k--) regfree(p[k].re);
    free(r);
    return NULL;
  }
  return r;
}

void logline_rules_free(struct logline_rules *r) {
  if (!r) return;
  struct pattern p[NPATTERNS];
  size_t n = list_patterns(r, p);
  for (size_t k = 0; k < n; k++) regfree(p[k].re);
  free(r);
}
