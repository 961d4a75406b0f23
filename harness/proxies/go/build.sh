#!/bin/sh
# Builds go-reverseproxy (main.go beside this file, standard library only) into bin/ beside
# it, for harness/proxies/go-reverseproxy.lua; scripts/install-deps.sh proxies runs it.
# Rebuilds only when main.go or go.mod is newer than the binary. The binary is written under
# a temporary name and renamed into place, so a definition never finds a half-built one.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/bin/go-reverseproxy"
command -v go >/dev/null 2>&1 || { echo "go-reverseproxy: no go (Debian: golang-go)" >&2; exit 2; }
if [ -x "$out" ] && [ "$out" -nt "$here/main.go" ] && [ "$out" -nt "$here/go.mod" ]; then exit 0; fi
mkdir -p "$here/bin"
tmp="$here/bin/.go-reverseproxy.$$"
trap 'rm -f "$tmp"' EXIT
# no module downloads: go.mod has no requirements, and GOFLAGS=-mod=mod would not be needed
(cd "$here" && GOFLAGS=-mod=readonly GOPROXY=off nice -n 19 go build -trimpath -o "$tmp" .)
mv -f "$tmp" "$out"
trap - EXIT
echo "go-reverseproxy: built $out"
