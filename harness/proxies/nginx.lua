-- nginx as a reverse proxy, configured the way production configs usually are: HTTP/1.1
-- to the upstream with a keep-alive pool (so keepalive_race means something).
-- Timeouts in ms. The error log says why a 502/504 happened ("upstream prematurely
-- closed connection while reading response header from upstream").
return proxy {
  name = "nginx",
  summary = "nginx reverse proxy (proxy_pass, upstream keepalive)",
  packages = { "nginx" },
  binary = { "/usr/sbin/nginx", "nginx" },
  version = { args = { "-v" }, pattern = "nginx/(%d+%.%d+%.%d+)" },
  config = "nginx.conf",
  files = {
    ["nginx.conf"] = [[
daemon off;
master_process on;
worker_processes 1;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;

events { worker_connections 256; }

http {
    log_format badup '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                     'rt=$request_time ua="$upstream_addr" us="$upstream_status" '
                     'uct="$upstream_connect_time" urt="$upstream_response_time"';
    access_log ${dir}/access.log badup;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path       ${dir}/proxy_temp;
    fastcgi_temp_path     ${dir}/fastcgi_temp;
    uwsgi_temp_path       ${dir}/uwsgi_temp;
    scgi_temp_path        ${dir}/scgi_temp;

    upstream up {
        server ${upstream_host}:${upstream_port};
        keepalive 8;
    }

    server {
        listen 127.0.0.1:${proxy_port};
        location / {
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout ${connect_timeout_ms}ms;
            proxy_read_timeout    ${read_timeout_ms}ms;
            proxy_send_timeout    ${read_timeout_ms}ms;
            ${retries}
        }
    }
}
]],
  },
  command = { "${binary}", "-p", "${dir}", "-e", "${dir}/error.log", "-c", "${dir}/nginx.conf" },
  retries = { off = "proxy_next_upstream off;", on = "proxy_next_upstream error timeout invalid_header http_502 http_504 non_idempotent;" },
  logs = { "access.log", "error.log" },
  log_match = "\\[(error|warn|crit|alert)\\]|\"GET /",
}
