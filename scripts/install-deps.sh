#!/bin/sh
# Installs the Debian packages badup needs, for one purpose or several:
#   scripts/install-deps.sh build     compiler and libraries
#   scripts/install-deps.sh test      what the test suites run: curl, openssl, python3, haproxy, nginx, squid, valgrind, gnuplot,
#                                     nghttp, h2load, nghttpd (the HTTP/2 peers of the wire tests and of bench/h2.sh's test)
#                                     chromium (the results page, index.html, is tested in a real browser)
#   scripts/install-deps.sh fuzz      clang and its libFuzzer runtime (tests/fuzz/run.sh)
#   scripts/install-deps.sh proxies   every proxy the harness knows (harness/proxies/*.lua); then the
#                                     Node.js packages of node-http-proxy and http-proxy-middleware
#                                     (npm ci in harness/proxies/npm, from its package-lock.json) and
#                                     go-reverseproxy's binary (harness/proxies/go/build.sh)
#   scripts/install-deps.sh bench     load generators and graphs (wrk, h2load, gnuplot), the servers and proxies
#                                     measured beside badup (haproxy, nginx, nghttpd, h2o), openssl
# Packages already installed are skipped, so a second run does nothing and needs no network.
# Services: Debian starts some daemons on install (nginx on port 80). A policy-rc.d that
# denies every start is in place during the install, so nothing holds a port afterwards.
set -eu

build_pkgs="build-essential cmake pkg-config libuv1-dev libhttp-parser-dev liblua5.4-dev libnghttp2-dev
  libmicrohttpd-dev check libjansson-dev libcurl4-openssl-dev libcrypt-dev libssl-dev"
test_pkgs="python3 curl openssl haproxy nginx squid valgrind gnuplot-nox nghttp2-client nghttp2-server"
# chromium: tests/e2e/test_page.py opens index.html in it, over its DevTools protocol
test_pkgs="$test_pkgs chromium"
# Debian 12's clang is clang-14; libFuzzer and the sanitizer runtimes are only recommended.
fuzz_pkgs="clang libclang-rt-14-dev"
# lighttpd-mod-openssl: lighttpd's TLS frontend (badup run --client-tls)
proxy_pkgs="haproxy nginx apache2 squid varnish trafficserver caddy lighttpd lighttpd-mod-openssl h2o nghttp2-proxy
  tinyproxy"
# h2o: bench/h2.sh's second HTTP/2 reference (h2c, one thread)
bench_pkgs="wrk nginx haproxy gnuplot-nox openssl nghttp2-client nghttp2-server h2o"

want=""
build_proxies=""
for group in "${@:-build}"; do
  case "$group" in
    build) want="$want $build_pkgs" ;;
    test) want="$want $test_pkgs" ;;
    fuzz) want="$want $fuzz_pkgs" ;;
    proxies)
      want="$want $proxy_pkgs"
      # The Node.js proxy needs node; Debian's nodejs only when none is installed.
      command -v node >/dev/null 2>&1 || want="$want nodejs"
      # npm: node-http-proxy's and http-proxy-middleware's packages; golang-go: go-reverseproxy
      command -v npm >/dev/null 2>&1 || want="$want npm"
      command -v go >/dev/null 2>&1 || want="$want golang-go"
      build_proxies=1 ;;
    bench) want="$want $bench_pkgs" ;;
    *) echo "install-deps.sh: unknown group '$group' (build, test, fuzz, proxies, bench)" >&2; exit 2 ;;
  esac
done

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# The proxies that are programs of the repository's own (npm packages, a Go build), after the
# Debian packages they need; like those, nothing is done when they are already in place.
build_own_proxies() {
  [ -n "$build_proxies" ] || return 0
  here=$(cd "$(dirname "$0")/.." && pwd)
  npm_dir="$here/harness/proxies/npm"
  # npm ci installs exactly the lock's versions; skipped while node_modules holds that lock
  if ! cmp -s "$npm_dir/package-lock.json" "$npm_dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
    (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$npm_dir/package-lock.json" "$npm_dir/node_modules/.package-lock.json.installed"
  fi
  sh "$here/harness/proxies/go/build.sh"
}

if [ -z "$missing" ]; then build_own_proxies; exit 0; fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps.sh: need root (or sudo) to install:$missing" >&2; exit 2; }
  SUDO=sudo
fi

echo "install-deps.sh: installing$missing"
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  made_policy=1
fi
cleanup() { if [ -n "$made_policy" ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Belt and braces, for a system whose policy let a service start anyway: stop it through
# its own init script (never by process name), so no port or PID file stays taken.
for s in haproxy nginx apache2 apache-htcacheclean squid varnish varnishncsa trafficserver lighttpd h2o nghttpx tinyproxy caddy; do
  case " $missing " in *" $s "*|*" nghttp2-proxy "*) ;; *) continue ;; esac
  if [ -d /run/systemd/system ]; then $SUDO systemctl disable --now "$s" >/dev/null 2>&1 || true
  elif [ -x "/etc/init.d/$s" ]; then $SUDO "/etc/init.d/$s" stop >/dev/null 2>&1 || true
  fi
done
build_own_proxies
