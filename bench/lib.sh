# bench/lib.sh: what the sh benchmark scripts (capacity.sh, fault_sweep.sh) share: the
# processes they start (stopped by PID, never by name), kernel-chosen ports, a minimal nginx
# and a badup serve. Source it after setting $work (a scratch folder) and $me (the script's
# name, for messages).

pids=""

# SIGTERM to every process we started, up to 5 s each, then SIGKILL.
stop_all() {
  for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $pids; do
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=""
}
cleanup() { stop_all; rm -rf "$work"; }
trap cleanup EXIT
trap 'echo "$me: interrupted" >&2; exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits (5 s at most) until something accepts on 127.0.0.1:$1.
wait_port() {
  python3 - "$1" <<'PY'
import socket, sys, time
end = time.time() + 5
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
}

# A minimal nginx: daemon off, no master, one worker, everything under $1. $2 is the http{} body,
# $3 the worker_connections (default 4096). Its output goes to $1/nginx.log.
start_nginx() {
  mkdir -p "$1/tmp"
  cat >"$1/nginx.conf" <<CFG
daemon off;
master_process off;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections ${3:-4096}; }
http {
    access_log off;
    client_body_temp_path $1/tmp; proxy_temp_path $1/tmp; fastcgi_temp_path $1/tmp;
    uwsgi_temp_path $1/tmp; scgi_temp_path $1/tmp;
$2
}
CFG
  nginx -p "$1" -e "$1/error.log" -c "$1/nginx.conf" >"$1/nginx.log" 2>&1 &
  pids="$pids $!"
}

# start_badup DIR ARGS...: `badup serve --listen 127.0.0.1:0 --seed 1 ARGS...` with its output
# in DIR; sets upstream_port and admin_port from its start-up line (5 s at most).
start_badup() {
  dir=$1
  shift
  "$BADUP" serve --listen 127.0.0.1:0 --seed 1 "$@" >"$dir/serve.out" 2>"$dir/serve.err" &
  pids="$pids $!"
  i=0
  while ! grep -q 'listen=' "$dir/serve.out" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 50 ] && { cat "$dir/serve.err" >&2; return 1; }; sleep 0.1
  done
  upstream_port=$(sed -n 's/.*listen=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/serve.out")
  admin_port=$(sed -n 's/.*admin=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/serve.out")
}
