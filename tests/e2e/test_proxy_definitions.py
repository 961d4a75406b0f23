"""Proxy definitions of every wrong shape are refused at load, with file:line, never a crash.

Each case is one definition file (harness/proxies format) where one field has a wrong type
or shape: a number, a string, a boolean or a table where something else belongs, a list
with a hole, a wrong type nested in a list or a table, a `from` file that is missing, an
unknown ${variable}. `badup list --proxies DIR` and `badup run --proxies DIR` must both exit
2 (set-up error), print `FILE:LINE: proxy{}: ...` naming the field, where LINE is the line
of the `proxy {` call, and neither may die of a signal or print a sanitizer report.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from common import BADUP, REPO, SANITIZER_MARKERS, SCENARIOS, require_binary

PROXY_LINE = 4  # the line of `return proxy {` in every generated file

# A definition that loads; each case replaces (or removes, with None) one field.
BASE = {
    "name": '"t"',
    "summary": '"a test definition"',
    "binary": '{ "/bin/sh" }',
    "files": '{ ["t.conf"] = "listen ${proxy_port}\\n" }',
    "command": '{ "${binary}", "-c", "exit 0" }',
}


def documented_keys(section):
    """The keys of the table in docs/proxies.md's section (| `key` | ... |)."""
    with open(os.path.join(REPO, "docs", "proxies.md")) as f:
        text = f.read()
    body = text.split("\n" + section, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"(?m)^\| `(\w+)` \|", body))


def shipped_keys():
    """The fields the shipped definitions use (the keys two spaces in), and the keys of their
    explain fields (four spaces in, inside explain = { ... })."""
    fields, explain = set(), set()
    for path in glob.glob(os.path.join(REPO, "harness", "proxies", "*.lua")):
        with open(path) as f:
            text = f.read()
        fields |= set(re.findall(r"(?m)^  (\w+) = ", text))
        block = text.split("\n  explain = {\n", 1)[1].split("\n  },\n", 1)[0]
        explain |= set(re.findall(r"(?m)^    (\w+) = ", block))
    return fields, explain


def definition(fields):
    body = "".join("  %s = %s,\n" % (k, v) for k, v in fields.items() if v is not None)
    return ("-- a definition written by test_proxy_definitions.py\n"
            "-- (the proxy{} call is on line 4)\n"
            "local unused = 1\n"
            "return proxy {\n" + body + "}\n")


# (field, Lua value or None to leave it out, text the message must hold after "proxy{}: ")
CASES = [
    # name
    ("name", None, "field 'name' is required"),
    ("name", "1", "name must be a string, got number"),
    ("name", "true", "name must be a string, got boolean"),
    ("name", "{}", "name must be a string, got table"),
    ("name", '""', "name must be 1 to 64"),
    ("name", '"../etc"', "name must be 1 to 64"),
    # summary
    ("summary", "1", "summary must be a string, got number"),
    ("summary", "false", "summary must be a string, got boolean"),
    ("summary", '{ "a" }', "summary must be a string, got table"),
    ("summary", '"a\\255b"', "summary is not UTF-8"),
    ("summary", '"\\192\\128"', "summary is not UTF-8"),
    # packages
    ("packages", '"nginx"', "packages must be a list of strings, got string"),
    ("packages", "1", "packages must be a list of strings, got number"),
    ("packages", "true", "packages must be a list of strings, got boolean"),
    ("packages", "{ 1 }", "packages[1] must be a string, got number"),
    ("packages", '{ "a", nil, "b" }', "packages has a hole at [2]"),
    ("packages", '{ a = "b" }', "packages must be a list of strings, has a key 'a'"),
    ("packages", '{ [1.5] = "b" }', "packages must be a list of strings, has a number key"),
    ("packages", '{ { "a" } }', "packages[1] must be a string, got table"),
    # binary
    ("binary", None, "field 'binary' is required"),
    ("binary", '"/bin/sh"', "binary must be a list of strings, got string"),
    ("binary", "1", "binary must be a list of strings, got number"),
    ("binary", "true", "binary must be a list of strings, got boolean"),
    ("binary", "{}", "binary must not be empty"),
    ("binary", '{ "" }', "binary[1] is empty"),
    ("binary", "{ 1 }", "binary[1] must be a string, got number"),
    ("binary", '{ "/bin/sh", nil, "sh" }', "binary has a hole at [2]"),
    ("binary", '{ [2] = "sh" }', "binary has a hole at [1]"),
    # version
    ("version", '"-v"', "version must be a table"),
    ("version", "1", "version must be a table"),
    ("version", "true", "version must be a table"),
    ("version", '{ args = "-v", pattern = "(%d+)" }', "version.args must be a list of strings, got string"),
    ("version", '{ args = { 1 }, pattern = "(%d+)" }', "version.args[1] must be a string, got number"),
    ("version", '{ args = { "-v", nil, "-x" }, pattern = "(%d+)" }', "version.args has a hole at [2]"),
    ("version", '{ args = { "-v" } }', "version.pattern is required"),
    ("version", '{ args = { "-v" }, pattern = 1 }', "version.pattern must be a string, got number"),
    ("version", '{ args = { "-v" }, pattern = { "(%d+)" } }', "version.pattern must be a string, got table"),
    ("version", '{ pattern = "%d+" }', "version.pattern must have exactly one capture"),
    ("version", '{ pattern = "(%d+" }', "version.pattern is not a Lua pattern"),
    ("version", '{ pattern = "(%d+)%" }', "version.pattern is not a Lua pattern"),
    ("version", '{ pattern = "([%d+)" }', "version.pattern is not a Lua pattern"),
    ("version", '{ pattern = "(%d+)", flags = 1 }', "version: unknown key 'flags'"),
    # files
    ("files", None, "field 'files' is required"),
    ("files", '"oops"', "files must be a table of name = template, got string"),
    ("files", "1", "files must be a table of name = template, got number"),
    ("files", "true", "files must be a table of name = template, got boolean"),
    ("files", "{}", "files must not be empty"),
    ("files", '{ "listen ${proxy_port}" }', "files must be a table of name = template, has a number key"),
    ('files', '{ [true] = "x" }', "files must be a table of name = template, has a boolean key"),
    ("files", '{ ["t.conf"] = 1 }', 'files["t.conf"] must be a template string or { from = "file" }, got number'),
    ("files", '{ ["t.conf"] = false }', 'files["t.conf"] must be a template string or { from = "file" }, got boolean'),
    ("files", '{ ["t.conf"] = {} }', 'files["t.conf"].from is required'),
    ("files", '{ ["t.conf"] = { from = 1 } }', 'files["t.conf"].from must be a string, got number'),
    ("files", '{ ["t.conf"] = { from = { "x" } } }', 'files["t.conf"].from must be a string, got table'),
    ("files", '{ ["t.conf"] = { from = "missing.js" } }', 'files["t.conf"].from: cannot read'),
    ("files", '{ ["t.conf"] = { from = "../t.lua" } }', "climbs out with '..'"),
    ("files", '{ ["t.conf"] = { from = "/etc/hostname" } }', "is absolute"),
    ("files", '{ ["t.conf"] = { from = "t.js", mode = "0644" } }', "unknown key 'mode'"),
    ("files", '{ ["/tmp/t.conf"] = "x" }', "the name is absolute"),
    ("files", '{ ["../t.conf"] = "x" }', "the name climbs out with '..'"),
    ("files", '{ [""] = "x" }', "the name is empty"),
    ("files", '{ ["."] = "x", ["t.conf"] = "y" }', "the name names a folder"),
    ("files", '{ [".."] = "x", ["t.conf"] = "y" }', "the name climbs out with '..'"),
    ("files", '{ ["conf/"] = "x", ["t.conf"] = "y" }', "the name names a folder"),
    ("files", '{ ["conf/."] = "x", ["t.conf"] = "y" }', "the name names a folder"),
    ("files", '{ ["simulator.out"] = "x", ["t.conf"] = "y" }', "the harness writes simulator.out into the case folder"),
    ("files", '{ ["simulator.err"] = "x", ["t.conf"] = "y" }', "the harness writes simulator.err into the case folder"),
    ("files", '{ ["proxy.out"] = "x", ["t.conf"] = "y" }', "the harness writes proxy.out into the case folder"),
    ("files", '{ ["proxy.err"] = "x", ["t.conf"] = "y" }', "the harness writes proxy.err into the case folder"),
    ("files", '{ ["upstream-events.json"] = "x", ["t.conf"] = "y" }', "the harness writes upstream-events.json into the case folder"),
    ("files", '{ ["./proxy.err"] = "x", ["t.conf"] = "y" }', "the harness writes proxy.err into the case folder"),
    ("files", '{ ["client-sent.txt"] = "x", ["t.conf"] = "y" }', "the harness writes client-sent.txt into the case folder"),
    ("files", '{ ["client-received.txt.tmp.1"] = "x", ["t.conf"] = "y" }', "the harness writes client-received.txt into the case folder"),
    ("files", '{ ["proxy.out/x.conf"] = "x", ["t.conf"] = "y" }', "the harness writes proxy.out into the case folder"),
    ("files", '{ ["sidecar2.err"] = "x", ["t.conf"] = "y" }', "the harness writes sidecarN.err into the case folder"),
    ("files", '{ ["t.conf"] = "a\\nlisten ${prxy_port}\\n" }', "unknown template variable ${prxy_port}"),
    ("files", '{ ["t.conf"] = "a\\0b" }', "contains a NUL byte"),
    ("files", '{ ["t\\255.conf"] = "x" }', "a name in files is not UTF-8"),
    ("files", '{ ["t.conf"] = "\\237\\160\\128" }', 'files["t.conf"] is not UTF-8'),
    # config
    ("config", "1", "config must be a string, got number"),
    ("config", "true", "config must be a string, got boolean"),
    ("config", '{ "t.conf" }', "config must be a string, got table"),
    ("config", '"other.conf"', 'config "other.conf" must name one of files'),
    # command
    ("command", None, "field 'command' is required"),
    ("command", '"${binary}"', "command must be a list of strings, got string"),
    ("command", "1", "command must be a list of strings, got number"),
    ("command", "true", "command must be a list of strings, got boolean"),
    ("command", "{}", "command must not be empty"),
    ("command", '{ "${binary}", 2 }', "command[2] must be a string, got number"),
    ("command", '{ "${binary}", nil, "-x" }', "command has a hole at [2]"),
    ("command", '{ "${binary}", { "-x" } }', "command[2] must be a string, got table"),
    ("command", '{ "${binary}", "${nope}" }', "command[2]: unknown template variable ${nope}"),
    # env
    ("env", '"HOME=/tmp"', "env must be a list of strings, got string"),
    ("env", "1", "env must be a list of strings, got number"),
    ("env", "true", "env must be a list of strings, got boolean"),
    ("env", "{ 1 }", "env[1] must be a string, got number"),
    ("env", '{ "HOME" }', 'env[1] must be "NAME=value"'),
    ("env", '{ "=x" }', 'env[1] must be "NAME=value"'),
    ("env", '{ "A=1", nil, "B=2" }', "env has a hole at [2]"),
    ("env", '{ HOME = "/tmp" }', "env must be a list of strings, has a key 'HOME'"),
    # retries
    # upstreams
    ("upstreams", '"x"', "upstreams must be a table { max = N, each = ..., ... }, got string"),
    ("upstreams", '{ maxi = 2 }', "upstreams: unknown key 'maxi'"),
    ("upstreams", '{ max = 2 }', "upstreams.max 2 needs upstreams.each"),
    ("upstreams", '{ max = 9, each = "x" }', "upstreams.max must be a whole number from 1 to 8, got 9"),
    ("upstreams", '{ max = 1.5 }', "upstreams.max must be a whole number from 1 to 8"),
    ("upstreams", '{ each = 1 }', "upstreams.each must be a string, got number"),
    ("upstreams", '{ each = "${nope}" }', "upstreams.each: unknown template variable ${nope}"),
    ("upstreams", '{ each = "${upstream_servers}" }', "is not known in a text written per upstream"),
    ("upstreams", '{ each = "s ${upstream_port}" }',
     "upstreams.each is given, but no file, command, env or sidecar uses ${upstream_servers}"),
    ("upstreams", '{ join = " " }', "upstreams.join is about each, which is not given"),
    ("upstreams", '{ max = 2, each = "x", why = "y" }', "upstreams.why says why it sends to one upstream only"),
    ("upstreams", '{ max = 1, several = { a = "x" } }', "upstreams.several is about more than one upstream"),
    ("upstreams", '{ each = "x", several = { ["a b"] = "x" } }', "upstreams.several.a b: a name is 1 to 40"),
    ("upstreams", '{ each = "x", several = { dir = "x" } }', "${dir} is a variable of the harness"),
    ("upstreams", '{ each = "x", several = { a = 1 } }', "upstreams.several.a must be a template string"),
    ("upstreams", '{ each = "x", several = { a = "${b}", b = "x" } }', "uses ${b}, another text"),
    ("upstreams", '{ each = "x", retries = { on = 1 } }', "upstreams.retries.on must be a string, got number"),
    ("upstreams", '{ each = "x", retries = { on = "${upstream_servers}" } }', "is not known in a text written per"),
    ("files", '{ ["t.conf"] = "${proxy_port} ${upstream_servers}" }', "${upstream_servers} needs upstreams.each"),
    # client (the knobs' variable rules: test_client_knobs.py)
    ("client_tls", '"ssl"', "client_tls must be a table"),
    ("client_tls", '{ tls = "x" }', "client_tls: unknown key 'tls'"),
    ("client_tls", '{ on = 1 }', "client_tls.on must be a string"),
    ("client_http2", '"h2"', "client_http2 must be a table"),
    ("client_http2", '{ h2c = "x" }', "client_http2: unknown key 'h2c'"),
    ("client_http2", '{ on = 1 }', "client_http2.on must be a string"),
    ("client_http2", '{ why = 1 }', "client_http2.why must be a string"),
    ("client", '"nginx"', "client must be a table"),
    ("client", '{ header = false }', "client: unknown key 'header'"),
    ("client", '{ header_timeout = false, body_timeout = false }', "client.max_body is required"),
    ("client", '{ header_timeout = true, body_timeout = false, max_body = false }', "got true"),
    ("client", '{ header_timeout = 1, body_timeout = false, max_body = false }', "got number"),
    ("client", '{ header_timeout = "h", body_timeout = false, max_body = false }', "client declares header_timeout"),
    # no client table, but the knobs' variables: say where they go (without both, it loads)
    ("files", '{ ["t.conf"] = "listen ${proxy_port} ${max_body_kib}\\n" }',
     "uses ${max_body_kib} but has no client table: declare client = {"),
    ("command", '{ "${binary}", "-c", "exit 0", "${client_header_timeout_ms}" }',
     "uses ${client_header_timeout_ms} but has no client table"),
    # upstream_tls (its variables without the field, and the field without ${upstream_tls})
    ("upstream_tls", '"ssl"', "upstream_tls must be a table { on = \"...\", off = \"...\" }, got string"),
    ("upstream_tls", '{ yes = "x" }', "upstream_tls: unknown key 'yes'"),
    ("upstream_tls", '{ off = "" }', "upstream_tls.on is required"),
    ("upstream_tls", '{ on = "  " }', "upstream_tls.on must not be empty"),
    ("upstream_tls", '{ on = 1 }', "upstream_tls.on must be a string, got number"),
    ("upstream_tls", '{ on = "ssl", off = false }', "upstream_tls.off must be a string, got boolean"),
    ("upstream_tls", '{ on = "ssl ${nope}" }', "upstream_tls.on: unknown template variable ${nope}"),
    ("upstream_tls", '{ on = "ssl ${upstream_ca}" }',
     "upstream_tls is given, but no file, command, env or upstreams text uses ${upstream_tls}"),
    ("files", '{ ["t.conf"] = "listen ${proxy_port}\\n${upstream_tls}\\n" }',
     "uses ${upstream_tls} but has no upstream_tls field"),
    ("command", '{ "${binary}", "-c", "exit 0", "${upstream_ca}" }', "uses ${upstream_ca} but has no upstream_tls field"),
    # upstream_http2 (its variable without the field, and the field without ${upstream_http2})
    ("upstream_http2", '"h2"', "upstream_http2 must be a table { on = \"...\", off = \"...\" }, got string"),
    ("upstream_http2", '{ warmup_ms = 1 }', "upstream_http2: unknown key 'warmup_ms'"),
    ("upstream_http2", '{ off = "" }', "upstream_http2.on is required"),
    ("upstream_http2", '{ on = " " }', "upstream_http2.on must not be empty"),
    ("upstream_http2", '{ on = "h2", off = 2 }', "upstream_http2.off must be a string, got number"),
    ("upstream_http2", '{ on = "h2 ${nope}" }', "upstream_http2.on: unknown template variable ${nope}"),
    ("upstream_http2", '{ on = "h2" }',
     "upstream_http2 is given, but no file, command, env or upstreams text uses ${upstream_http2}"),
    ("files", '{ ["t.conf"] = "listen ${proxy_port}\\n${upstream_http2}\\n" }',
     "uses ${upstream_http2} but has no upstream_http2 field"),
    ("granularity", '1', "granularity must be a table"),
    ("granularity", '{ idle_timeout = 1 }', "granularity: unknown key 'idle_timeout'"),
    ("granularity", '{ read_timeout = "1" }', "granularity.read_timeout must be a number (the step, in seconds)"),
    ("granularity", '{ read_timeout = 0 }', "granularity.read_timeout must be a positive number of seconds"),
    ("granularity", '{ max_body = 1000.5 }', "granularity.max_body must be a positive whole number of bytes"),
    ("retries", '"retries 0"', "retries must be a table"),
    ("retries", "1", "retries must be a table"),
    ("retries", "true", "retries must be a table"),
    ("retries", '{ on = 1 }', "retries.on must be a string, got number"),
    ("retries", '{ off = true }', "retries.off must be a string, got boolean"),
    ("retries", '{ on = { "x" } }', "retries.on must be a string, got table"),
    ("retries", '{ of = "x" }', "retries: unknown key 'of'"),
    ("retries", '{ "retries 0" }', "retries: unexpected number key"),
    ("retries", '{ on = "${tries}" }', "retries.on: unknown template variable ${tries}"),
    # logs
    ("logs", '"access.log"', "logs must be a list of strings, got string"),
    ("logs", "1", "logs must be a list of strings, got number"),
    ("logs", "false", "logs must be a list of strings, got boolean"),
    ("logs", "{ 1 }", "logs[1] must be a string, got number"),
    ("logs", '{ "a.log", nil, "b.log" }', "logs has a hole at [2]"),
    ("logs", '{ "/var/log/x.log" }', "logs[1] is absolute"),
    ("logs", '{ "../x.log" }', "logs[1] climbs out with '..'"),
    # log_match
    ("log_match", "1", "log_match must be a string, got number"),
    ("log_match", "true", "log_match must be a string, got boolean"),
    ("log_match", '{ "GET" }', "log_match must be a string, got table"),
    ("log_match", '"(GET"', "log_match is not a POSIX extended regular expression"),
    # forward
    ("forward", '"yes"', "forward must be a boolean or a table { files = { ... }, auth = "),
    ("forward", "1", "forward must be a boolean or a table { files = { ... }, auth = "),
    # forward = { ... }: the forward mode (docs/proxies.md, "Forward mode")
    ("forward", "{}", "forward.files is required"),
    ("forward", '{ files = "x", auth = "" }', "forward.files must be a table of name = template, got string"),
    ("forward", '{ files = {}, auth = "" }', "forward.files must not be empty"),
    ("forward", '{ files = { ["t.conf"] = 1 }, auth = "" }',
     'forward.files["t.conf"] must be a template string or { from = "file" }, got number'),
    ("forward", '{ files = { [1] = "x" }, auth = "" }', "forward.files must be a table of name = template, has a number key"),
    ("forward", '{ files = { ["../t.conf"] = "x" }, auth = "" }', "the name climbs out with '..'"),
    ("forward", '{ files = { ["proxy-credentials.txt"] = "x" }, auth = "" }',
     "the harness writes proxy-credentials.txt into the case folder"),
    ("forward", '{ files = { ["t.conf"] = "${nope}" }, auth = "" }', "${nope}"),
    ("forward", '{ files = { ["t.conf"] = "x" }, auth = "${nope}" }', "forward.auth: unknown template variable ${nope}"),
    ("forward", '{ files = { ["t.conf"] = "x" }, auth = 1 }', "forward.auth must be the text of ${auth} (a template) or false"),
    ("forward", '{ files = { ["t.conf"] = "x" }, auth = true }', "forward.auth must be the text of ${auth} (a template) or false"),
    ("forward", '{ files = { ["t.conf"] = "x" } }', "forward.why_no_auth must say why"),
    ("forward", '{ files = { ["t.conf"] = "x" }, auth = false, why_no_auth = "" }', "forward.why_no_auth must not be empty"),
    ("forward", '{ files = { ["t.conf"] = "x" }, auth = false, why_no_auth = 1 }', "forward.why_no_auth must be a string, got number"),
    ("forward", '{ files = { ["t.conf"] = "x" }, auth = "a", why_no_auth = "b" }',
     "forward.why_no_auth is only for forward.auth = false"),
    ("forward", '{ files = { ["t.conf"] = "x" }, auth = "", colour = 1 }', "forward: unknown key 'colour'"),
    # forward: the auth text and the ${auth...} variables agree (they would render as "")
    ("forward", '{ files = { ["t.conf"] = "fwd ${proxy_port}" }, auth = "basic ${auth_file}" }',
     "forward.auth is given, but no file, forward file, command or env uses ${auth}"),
    ("forward", '{ files = { ["t.conf"] = "fwd ${auth_file}" }, auth = false, why_no_auth = "w" }',
     'uses ${auth_file}, but forward.auth is false (no Basic proxy authentication): it would render as ""'),
    ("files", '{ ["t.conf"] = "listen ${proxy_port} ${auth_user}\\n" }',
     "uses ${auth_user}, but it has no forward mode (forward = { files = ..., auth = ... })"),
    ("command", '{ "${binary}", "-c", "exit 0", "${auth}" }', "uses ${auth}, but it has no forward mode"),
    # ready_timeout (seconds)
    ("ready_timeout", '"15"', "ready_timeout must be a number (seconds), got string"),
    ("ready_timeout", "true", "ready_timeout must be a number (seconds), got boolean"),
    ("ready_timeout", "{ 15 }", "ready_timeout must be a number (seconds), got table"),
    ("ready_timeout", "0", "ready_timeout must be seconds, more than 0"),
    ("ready_timeout", "-1", "ready_timeout must be seconds, more than 0"),
    ("ready_timeout", "1e9", "ready_timeout must be seconds, more than 0"),
    ("ready_timeout", "0/0", "ready_timeout must be seconds, more than 0"),
    # sidecars
    ("sidecars", '"varnishncsa"', "sidecars must be a list of commands"),
    ("sidecars", "1", "sidecars must be a list of commands"),
    ("sidecars", "true", "sidecars must be a list of commands"),
    ("sidecars", '{ "varnishncsa" }', "sidecars[1] must be a list of strings, got string"),
    ("sidecars", "{ {} }", "sidecars[1] must not be empty"),
    ("sidecars", "{ { 1 } }", "sidecars[1][1] must be a string, got number"),
    ("sidecars", '{ { "a", nil, "b" } }', "sidecars[1] has a hole at [2]"),
    ("sidecars", '{ { "a" }, nil, { "b" } }', "sidecars has a hole at [2]"),
    ("sidecars", '{ { "a" }, { "b" }, { "c" }, { "d" }, { "e" } }', "sidecars: at most 4"),
    ("sidecars", '{ { "${binary}", "${nope}" } }', "sidecars[1][2]: unknown template variable ${nope}"),
    # cleanup
    ("cleanup", '"/dev/shm/x*"', "cleanup must be a list of strings, got string"),
    ("cleanup", "1", "cleanup must be a list of strings, got number"),
    ("cleanup", "true", "cleanup must be a list of strings, got boolean"),
    ("cleanup", "{ 1 }", "cleanup[1] must be a string, got number"),
    ("cleanup", '{ "x*.shm" }', "cleanup[1] must be an absolute glob pattern"),
    ("cleanup", '{ "/a", nil, "/b" }', "cleanup has a hole at [2]"),
    # check
    ("check", '"nginx -t"', "check must be a list of strings, got string"),
    ("check", "1", "check must be a list of strings, got number"),
    ("check", "true", "check must be a list of strings, got boolean"),
    ("check", "{}", "check must not be empty"),
    ("check", '{ "${binary}", 1 }', "check[2] must be a string, got number"),
    ("check", '{ "${binary}", "${confg}" }', "check[2]: unknown template variable ${confg}"),
    # paths and includes (Lua patterns with one capture)
    ("paths", '"^pid (%S+)"', "paths must be a list of strings, got string"),
    ("paths", "1", "paths must be a list of strings, got number"),
    ("paths", "true", "paths must be a list of strings, got boolean"),
    ("paths", "{ 1 }", "paths[1] must be a string, got number"),
    ("paths", '{ "^pid %S+" }', "paths[1] must have exactly one capture (the path), has 0"),
    ("paths", '{ "^(pid) (%S+)" }', "paths[1] must have exactly one capture (the path), has 2"),
    ("paths", '{ "^pid ([^;]+" }', "paths[1] is not a Lua pattern"),
    ("paths", '{ "^pid (%S+)%" }', "paths[1] is not a Lua pattern"),
    ("paths", '{ "^pid (%S+))" }', "paths[1] is not a Lua pattern"),
    ("paths", '{ "^a (%S+)", nil, "^b (%S+)" }', "paths has a hole at [2]"),
    ("includes", '"^include (%S+)"', "includes must be a list of strings, got string"),
    ("includes", "{ true }", "includes[1] must be a string, got boolean"),
    ("includes", '{ "^include %S+" }', "includes[1] must have exactly one capture"),
    ("include_folders", '"yes"', "include_folders must be a boolean, got string"),
    # paths_base
    ("paths_base", "1", "paths_base must be a string, got number"),
    ("paths_base", "{}", "paths_base must be a string, got table"),
    ("paths_base", '"etc/apache2"', "paths_base must be an absolute folder"),
    # must_set
    ("must_set", '"pid"', "must_set must be a list of"),
    ("must_set", "true", "must_set must be a list of"),
    ("must_set", '{ "^pid" }', "must_set[1] must be a table { directive = ..., default = ..., example = ... }, got string"),
    ("must_set", '{ { directive = 1, default = "/run/x.pid", example = "pid x" } }',
     "must_set[1].directive must be a string, got number"),
    ("must_set", '{ { directive = "^pid" } }', "must_set[1].default is required"),
    ("must_set", '{ { directive = "^pid", default = "/run/x.pid" } }', "must_set[1].example is required"),
    ("must_set", '{ { directive = "^pid", default = {}, example = "pid x" } }', "must_set[1].default must be a string, got table"),
    ("must_set", '{ { directive = "^pid(", default = "/x", example = "pid x" } }', "must_set[1].directive is not a Lua pattern"),
    ("must_set", '{ { directive = "^pid", default = "/x", example = "pid x", why = "x" } }', "must_set[1]: unknown key 'why'"),
    ("must_set", '{ { directive = "^a", default = "/a", example = "a" }, nil, { directive = "^b", default = "/b", example = "b" } }',
     "must_set has a hole at [2]"),
    # foreground
    ("foreground", '"daemon off;"', "foreground must be a table { detaches = { ... }, stays = ..., example = ... }"),
    ("foreground", "true", "foreground must be a table"),
    ("foreground", "{}", "foreground needs detaches or stays"),
    ("foreground", '{ detaches = "^daemon on" }', "foreground.detaches must be a list of strings, got string"),
    ("foreground", "{ detaches = { 1 } }", "foreground.detaches[1] must be a string, got number"),
    ("foreground", '{ detaches = { "^a", nil, "^b" } }', "foreground.detaches has a hole at [2]"),
    ("foreground", '{ detaches = { "^daemon (on" } }', "foreground.detaches[1] is not a Lua pattern"),
    ("foreground", '{ detaches = { "^(daemon) (on)" } }', "foreground.detaches[1] must have at most one capture"),
    ("foreground", '{ stays = "^daemon off" }', "foreground.example is required with foreground.stays"),
    ("foreground", '{ stays = 1, example = "x" }', "foreground.stays must be a string, got number"),
    ("foreground", '{ stays = "^daemon (off", example = "x" }', "foreground.stays is not a Lua pattern"),
    ("foreground", '{ detaches = { "^d" }, example = true }', "foreground.example must be a string, got boolean"),
    ("foreground", '{ detaches = { "^d" }, fix = "x" }', "foreground: unknown key 'fix'"),
    ("foreground", '{ detaches = { "^d" }, context = "main" }', "foreground.context is about stays, which is not given"),
    ("foreground", '{ stays = "^d", example = "d", context = 1 }', 'foreground.context must be "main"'),
    ("must_set", '{ { directive = "^pid", default = "/x", example = "pid x", context = "server" } }',
     'must_set[1].context must be "main" (the statement counts only outside every block), got string "server"'),
    # syntax
    ("syntax", '";"', "syntax must be a table { ends = ..., blocks = ..., ... }, got string"),
    ("syntax", '{ ends = "lines" }', 'syntax.ends must be one of "line", ";", "assignment", "yaml", got "lines"'),
    ("syntax", "{ ends = 1 }", "syntax.ends must be one of"),
    ("syntax", '{ blocks = "()" }', 'syntax.blocks must be "{}", "{} tokens" or { open = pattern, close = pattern }, '
                                   'got "()"'),
    ("syntax", "{ blocks = true }", "syntax.blocks must be"),
    ("syntax", '{ blocks = { open = "^<%a" } }', "syntax.blocks.close is required"),
    ("syntax", '{ blocks = { open = "^<(%a)", close = "^</" } }', "syntax.blocks.open must have exactly 0 captures, has 1"),
    ("syntax", '{ blocks = { open = "^<", close = "^</", also = "x" } }', "syntax.blocks: unknown key 'also'"),
    ("syntax", '{ data = { "^map%s" } }', "syntax.data names blocks, but syntax.blocks says there are none"),
    ("syntax", '{ blocks = "{}", data = { "^map(" } }', "syntax.data[1] is not a Lua pattern"),
    ("syntax", '{ quotes = "<" }', "syntax.quotes may hold"),
    ("syntax", '{ comments = { ";" } }', 'syntax.comments[1] must be one of "#", "#any", "^#", "//", "/*", got ";"'),
    ("syntax", '{ comments = "#" }', "syntax.comments must be a list of strings, got string"),
    ("syntax", "{ comments = { 1 } }", 'syntax.comments[1] must be one of "#", "#any", "^#", "//", "/*", got number'),
    ("syntax", '{ escapes = 1 }', "syntax.escapes must be a boolean or a string of quotes, got number"),
    ("syntax", '{ escapes = "no" }', "syntax.escapes names 'n', which is not one of syntax.quotes"),
    ("syntax", """{ quotes = '"', escapes = "'" }""", "syntax.escapes names ''', which is not one of syntax.quotes"),
    ("syntax", '{ quote_at = "start" }', 'syntax.quote_at must be one of "word", "anywhere", got "start"'),
    ("syntax", '{ word_escapes = "yes" }', "syntax.word_escapes must be a boolean, got string"),
    ("syntax", '{ continued = 1 }', "syntax.continued must be a boolean, got number"),
    ("syntax", '{ case = "lower" }', 'syntax.case must be one of "sensitive", "insensitive", got "lower"'),
    ("syntax", '{ strings = "long" }', 'syntax.strings must be one of "line", "multiline", got "long"'),
    ("syntax", "{ newline = true }", "syntax: unknown key 'newline'"),
    # targets and groups
    ("targets", '"^proxy_pass (%S+)"', "targets must be a list of"),
    ("targets", '{ "^proxy_pass (%S+)" }', "targets[1] must be a table { match = ..., ... }, got string"),
    ("targets", '{ { part = "host" } }', "targets[1].match is required"),
    ("targets", '{ { match = "^proxy_pass %S+" } }', "targets[1].match must have exactly 1 capture, has 0"),
    ("targets", '{ { match = "^a (%S+) (%S+)" } }', "targets[1].match must have exactly 1 capture, has 2"),
    ("targets", '{ { match = "^a (%S+)", part = "url" } }',
     'targets[1].part must be one of "address", "host", "port", "host port", "socket", got "url"'),
    ("targets", '{ { match = "^a (%S+)", part = "host port" } }', "targets[1].match must have exactly 2 captures, has 1"),
    ("targets", '{ { match = "^a", why = "x", each = "(%S+)" } }',
     "targets[1]: why refuses the whole statement: it takes no each or part"),
    ("targets", '{ { match = "^a(", each = "(%S+)" } }', "targets[1].match is not a Lua pattern"),
    ("targets", '{ { match = "^(a)(b)", each = "(%S+)" } }', "targets[1].match must have at most 1 capture, has 2"),
    ("targets", '{ { match = "^a", each = "%S+" } }', "targets[1].each must have exactly 1 capture, has 0"),
    ("targets", '{ { match = "^a", why = "" } }', "targets[1].why must not be empty"),
    ("targets", '{ { match = "^a (%S+)", fix = "x" } }', "targets[1]: unknown key 'fix'"),
    ("targets", '{ { match = "^a (%S+)", skip = 1 } }', "targets[1].skip must be a string, got number"),
    ("targets", '{ { match = "^a (%S+)", use = {} } }', "targets[1].use must be a string, got table"),
    ("targets", '{ { match = "^a (%S+)", needs = "^port" } }',
     'targets[1].needs is about a host\'s port: it needs part "host"'),
    ("targets", '{ { match = "^a (%S+)", part = "host", needs = "^port(" } }', "targets[1].needs is not a Lua pattern"),
    ("targets", '{ { match = "^a (%S+)" }, nil, { match = "^b (%S+)" } }', "targets has a hole at [2]"),
    ("groups", '{ "^upstream %S+" }', "groups[1] must have exactly one capture (the group's name), has 0"),
    ("groups", '"^upstream (%S+)"', "groups must be a list of strings, got string"),
    # user
    ("user", "1", "user must be a string, got number"),
    ("user", '{ "proxy" }', "user must be a string, got table"),
    ("user", '""', "user must be an account name"),
    ("user", '"proxy:proxy"', "user must be an account name"),
    # explain (patterns are POSIX EREs, compiled at load)
    ("explain", '"oops"', "explain must be a table { detect = ..., signatures = ..., ... }, got string"),
    ("explain", "true", "explain must be a table"),
    ("explain", "{ detect = 1 }", "explain.detect must be a list of strings, got number"),
    ("explain", '{ detect = { "(" } }', "explain.detect[1] is not a POSIX extended regular expression"),
    ("explain", '{ detect = { "a", nil, "b" } }', "explain.detect has a hole at [2]"),
    ("explain", '{ tags = { "a b" } }', "explain.tags[1] must be a program name"),
    ("explain", '{ tags = "t" }', "explain.tags must be a list of strings, got string"),
    ("explain", "{ flags = 1 }", "explain: unknown key 'flags'"),
    ("explain", '{ masks = { "x" } }', "explain.masks[1] must be a table"),
    ("explain", '{ masks = { { with = "" } } }', "explain.masks[1].pattern is required"),
    ("explain", '{ masks = { { pattern = "a" } } }', "explain.masks[1].with is required"),
    ("explain", '{ masks = { { pattern = "(a)", with = "", groups = { 2 } } } }',
     "explain.masks[1].groups[1] must be a capture of the pattern, 0 (the whole match) to 1"),
    ("explain", '{ masks = { { pattern = "a", with = "", groups = {} } } }',
     "explain.masks[1].groups must not be empty"),
    ("explain", '{ signatures = { { pattern = "a" } } }', "explain.signatures[1].kind is required"),
    ("explain", '{ signatures = { { kind = "T x", pattern = "a" } } }', "explain.signatures[1].kind must be 1 to 40"),
    ("explain", '{ signatures = { { kind = "t-x" } } }', "explain.signatures[1].pattern is required"),
    ("explain", '{ signatures = { { kind = "t-x", pattern = "a[" } } }',
     "explain.signatures[1].pattern is not a POSIX extended regular expression"),
    ("explain", '{ signatures = { { kind = "t-x", pattern = "(a)", group = 2 } } }',
     "explain.signatures[1].pattern has 1 capture: it needs at least 2"),
    ("explain", '{ signatures = { { kind = "t-x", pattern = "a", group = "1" } } }',
     "explain.signatures[1].group must be a whole number from 0 to 7, got string"),
    ("explain", '{ signatures = { { kind = "t-x", pattern = "a", weight = 0 } } }',
     "explain.signatures[1].weight must be a whole number from 1 to 10, got 0"),
    ("explain", '{ signatures = { { kind = "t-x", pattern = "a", all = 1 } } }',
     "explain.signatures[1].all must be a boolean, got number"),
    ("explain", '{ signatures = { { kind = "t-x", pattern = "a", not_verdict = 1 } } }',
     "explain.signatures[1].not_verdict must be true (no value says why) or a pattern"),
    ("explain", '{ signatures = { { kind = "t-x", pattern = "a", not_verdict = "(" } } }',
     "explain.signatures[1].not_verdict is not a POSIX extended regular expression"),
    ("explain", '{ signatures = { { kind = "squid-code", pattern = "a" } } }',
     'explain.signatures[1].kind "squid-code" is one badup reads itself'),
    ("explain", '{ signatures = { { kind = "status", label = "code", pattern = "a" } } }',
     'the kind "status" is badup\'s own and takes no label'),
    ("explain", '{ signatures = { { kind = "t-x", label = "a", pattern = "a" },'
                ' { kind = "t-x", label = "b", pattern = "b" } } }',
     "explain.signatures[2].label \"b\" differs from explain.signatures[1]'s for the same kind"),
    ("explain", '{ families = { { kind = "t-x", pattern = "a", family = "close" } } }',
     'explain.families[1].kind "t-x" must be one of explain.signatures\' kinds'),
    ("explain", '{ signatures = { { kind = "t-x", pattern = "a" } },'
                ' families = { { kind = "t-x", pattern = "a", family = "boom" } } }',
     "explain.families[1].family must be one of close, reset, timeout"),
    ("explain", '{ fields = { { name = "a=", pattern = "a=", anchor = "t-x", meaning = "m" } } }',
     'explain.fields[1].anchor "t-x" must be one of explain.signatures\' kinds or one badup reads itself'),
    ("explain", '{ fields = { { name = "a=", pattern = "a=", anchor = "status" } } }',
     "explain.fields[1].meaning is required"),
    ("explain", "{ look_in = { log = \"t.log\" } }", "explain.look_in.what is required"),
    ("explain", '{ look_in = { log = "other.log", what = "w" } }',
     'explain.look_in.log "other.log" must be one of logs'),
    ("explain", '{ look_in = "error.log" }', "explain.look_in must be a table { log = ..., what = ... }, got string"),
    # milliseconds
    ("settle_ms", '"100"', "settle_ms must be a number (milliseconds), got string"),
    ("settle_ms", "true", "settle_ms must be a number (milliseconds), got boolean"),
    ("settle_ms", "-1", "settle_ms must be a whole number of milliseconds"),
    ("settle_ms", "0.5", "settle_ms must be a whole number of milliseconds"),
    ("warmup_ms", "{}", "warmup_ms must be a number (milliseconds), got table"),
    ("warmup_ms", "1e12", "warmup_ms must be a whole number of milliseconds"),
    ("stop_grace_ms", '"3000"', "stop_grace_ms must be a number (milliseconds), got string"),
    ("stop_grace_ms", "-3000", "stop_grace_ms must be a whole number of milliseconds"),
    ("stop_grace_ms", "1/0", "stop_grace_ms must be a whole number of milliseconds"),
    # fields that do not exist
    ("logfile", '"x"', "unknown field 'logfile'"),
    ("[1]", '"x"', "unexpected number key"),
]


class WronglyTypedDefinitions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.mkdtemp(prefix="badup-e2e-pdef-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        # The definitions are what is checked: a catalog of the one scenario the runs name
        # loads in a tenth of the time of the whole one, and the class starts badup ~750 times.
        cls.scenarios = os.path.join(cls.tmp, "scenarios")
        os.mkdir(cls.scenarios)
        shutil.copy(os.path.join(SCENARIOS, "ok.lua"), cls.scenarios)

    def folder_with(self, text, extra=None):
        d = tempfile.mkdtemp(dir=self.tmp)
        path = os.path.join(d, "t.lua")
        with open(path, "w") as f:
            f.write(text)
        for name, content in (extra or {}).items():
            with open(os.path.join(d, name), "w") as f:
                f.write(content)
        return d, path

    def badup(self, args, cwd):
        p = subprocess.run([BADUP] + args, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, errors="replace", timeout=60)
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, p.stderr, "sanitizer report for %s:\n%s" % (args, p.stderr))
        self.assertGreaterEqual(p.returncode, 0, "badup %s died of signal %d:\n%s"
                                % (" ".join(args), -p.returncode, p.stderr))
        return p

    def refused(self, d, path, want, line=PROXY_LINE, prefix=""):
        """Both commands exit 2 with `path:line: <prefix>...want...` on stderr."""
        out = os.path.join(d, "out")
        for args in (["list", "--proxies", d, "--scenarios", self.scenarios],
                     ["run", "--proxies", d, "--scenarios", self.scenarios, "--proxy", "t", "--scenario", "ok",
                      "--reference", os.path.join(d, "ref"), "--out", out]):
            p = self.badup(args, cwd=d)
            self.assertEqual(p.returncode, 2, "badup %s: exit %d, want 2; stderr:\n%s"
                             % (args[0], p.returncode, p.stderr))
            lines = [l for l in p.stderr.splitlines() if l.startswith(path + ":")]
            self.assertTrue(lines, "badup %s: no line starting with %s: in:\n%s" % (args[0], path, p.stderr))
            self.assertTrue(lines[0].startswith("%s:%d: %s" % (path, line, prefix)),
                            "badup %s: %r does not start with %s:%d: %s" % (args[0], lines[0], path, line, prefix))
            self.assertIn(want, lines[0], "badup %s" % args[0])
            self.assertFalse(os.path.exists(out), "badup run made its results folder")

    def test_the_base_definition_loads(self):
        d, _ = self.folder_with(definition(BASE))
        p = self.badup(["list", "--proxies", d, "--scenarios", self.scenarios], cwd=d)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("t ", p.stdout)

    def test_a_forward_mode_whose_auth_a_file_uses_loads(self):
        fields = dict(BASE, forward='{ files = { ["t.conf"] = "fwd ${proxy_port}\\n${auth}\\n" }, '
                                    'auth = "basic ${auth_file} ${auth_user}" }')
        d, _ = self.folder_with(definition(fields))
        p = self.badup(["list", "--proxies", d, "--scenarios", self.scenarios], cwd=d)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("forward=auth", p.stdout)

    def test_a_tls_variant_whose_text_a_file_uses_loads(self):
        # ${upstream_scheme}, ${upstream_tls_name} and ${upstream_url_host} need no field: they
        # say http, localhost and the address in a plain case
        for files in ('{ ["t.conf"] = "listen ${proxy_port}\\n${upstream_tls}\\n" }',
                      '{ ["t.conf"] = "${upstream_scheme}://${upstream_url_host} ${upstream_tls_name}\\n" }'):
            with self.subTest(files=files):
                fields = dict(BASE, files=files)
                if "${upstream_tls}" in files:
                    fields["upstream_tls"] = '{ on = "ssl ca=${upstream_ca} name=${upstream_tls_name}", off = "" }'
                d, _ = self.folder_with(definition(fields))
                p = self.badup(["list", "--proxies", d, "--scenarios", self.scenarios], cwd=d)
                self.assertEqual(p.returncode, 0, p.stderr)

    def test_the_knobs_variables_with_a_client_table_load(self):
        fields = dict(BASE, files='{ ["t.conf"] = "listen ${proxy_port} ${max_body}\\n" }',
                      client='{ header_timeout = false, body_timeout = false, max_body = "max" }')
        d, _ = self.folder_with(definition(fields))
        p = self.badup(["list", "--proxies", d, "--scenarios", self.scenarios], cwd=d)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_every_field_with_every_wrong_type(self):
        seen = set()
        for field, value, want in CASES:
            seen.add(field)
            with self.subTest(field=field, value=value):
                fields = dict(BASE)
                fields[field] = value
                d, path = self.folder_with(definition(fields), {"t.js": "// beside the definition\n"})
                self.refused(d, path, want, prefix="proxy{}: ")
        documented = documented_keys("## Fields")
        self.assertEqual(documented - seen, set(), "fields without a wrong-type case")

    def test_a_from_file_that_exists_is_read(self):
        fields = dict(BASE, files='{ ["t.conf"] = { from = "t.js" } }')
        d, _ = self.folder_with(definition(fields), {"t.js": "// ${proxy_port}\n"})
        p = self.badup(["list", "--proxies", d, "--scenarios", self.scenarios], cwd=d)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_a_from_file_with_an_unknown_variable(self):
        fields = dict(BASE, files='{ ["t.conf"] = { from = "t.js" } }')
        d, path = self.folder_with(definition(fields), {"t.js": "a\nb\nconst s = `${port}`;\n"})
        self.refused(d, path, 'files["t.conf"] (its line 3): unknown template variable ${port}')

    def test_not_a_table(self):
        for call in ('proxy "t"', "proxy(1)", "proxy()", "proxy({}, {})"):
            with self.subTest(call=call):
                d, path = self.folder_with("-- one\n-- two\n-- three\nreturn %s\n" % call)
                self.refused(d, path, "proxy{}: takes one table")

    def test_a_file_that_returns_something_else(self):
        d, path = self.folder_with("-- one\n-- two\nlocal x = 1\nlocal p = proxy {\n" + definition(BASE).split(
            "return proxy {\n", 1)[1] + "return 42\n")
        self.refused(d, path, "the file must return the proxy{} built here")

    def test_a_file_that_never_calls_proxy(self):
        d, path = self.folder_with("-- nothing\nlocal x = 1\nx = x + 1\n")
        self.refused(d, path, "the file must end with: return proxy", line=3)

    def test_two_proxy_calls(self):
        text = definition(BASE).replace("return proxy {", "local a = proxy {", 1)
        text += "return proxy {\n" + "".join("  %s = %s,\n" % kv for kv in BASE.items()) + "}\n"
        d, path = self.folder_with(text)
        self.refused(d, path, "one definition per file (the first is at line 4)", line=text.count("\n") - 6)

    def test_a_runtime_error_in_the_file(self):
        d, path = self.folder_with("-- one\nlocal t = nil\nreturn proxy { name = t.x }\n")
        self.refused(d, path, "attempt to index", line=3)

    def test_the_same_name_twice(self):
        d, path = self.folder_with(definition(BASE))
        with open(os.path.join(d, "u.lua"), "w") as f:
            f.write(definition(BASE))
        self.refused(d, os.path.join(d, "u.lua"), "name 't' is taken by")

    def test_a_signature_kind_is_one_definitions(self):
        explain = '{ signatures = { { kind = "t-state", pattern = "state=([A-Z]+)", group = 1 } } }'
        d, path = self.folder_with(definition(dict(BASE, explain=explain)))
        with open(os.path.join(d, "u.lua"), "w") as f:
            f.write(definition(dict(BASE, name='"u"', explain=explain)))
        self.refused(d, os.path.join(d, "u.lua"), "explain: signature kind 't-state' is taken by")

    def test_an_explain_field_that_loads(self):
        explain = """{
            detect = { "^t: " }, tags = { "t" },
            masks = { { pattern = "host=([^ ]+)", groups = { 1 }, with = "<host>" } },
            signatures = { { kind = "t-state", label = "state", pattern = "state=([A-Z]+)", group = 1, weight = 4,
                             key_len = 2, all = true, not_verdict = "^OK$" },
                           { kind = "status", pattern = "status=([0-9]+)", group = 1, weight = 1 } },
            families = { { kind = "t-state", pattern = "^RST", family = "reset" } },
            fields = { { name = "x=", pattern = " x=[^ ]+", kind = "t-state", anchor = "status", meaning = "m" } },
            look_in = { log = "t.log", what = "the state= field" } }"""
        d, _ = self.folder_with(definition(dict(BASE, logs='{ "t.log" }', explain=explain)))
        p = self.badup(["list", "--proxies", d, "--scenarios", self.scenarios], cwd=d)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_every_field_the_shipped_definitions_use_is_documented(self):
        fields, explain = shipped_keys()
        self.assertIn("explain", fields)
        self.assertEqual(fields - documented_keys("## Fields"), set(), "fields missing from docs/proxies.md")
        self.assertEqual(explain - documented_keys("## How explain reads"), set(),
                         "explain keys missing from docs/proxies.md")

    def test_a_long_path_is_named_in_full(self):
        deep = os.path.join(self.tmp, "a-folder-with-a-long-name-" * 4)
        os.makedirs(deep)
        path = os.path.join(deep, "t.lua")
        with open(path, "w") as f:
            f.write("-- one\nlocal t = nil\nreturn proxy { name = t.x }\n")
        self.refused(deep, path, "attempt to index", line=3)

    def listed(self, d):
        """badup list's line for proxy t, split into name, installed, version, binary."""
        p = self.badup(["list", "--proxies", d, "--scenarios", self.scenarios], cwd=d)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = [l.split("  ") for l in p.stdout.splitlines() if l.startswith("  t ") and "|" not in l]  # not the knobs' row
        self.assertEqual(len(rows), 1, p.stdout)
        return [c.strip() for c in rows[0] if c.strip()]

    def test_a_version_probe_that_never_ends_is_cut_at_ten_seconds(self):
        version = '{ args = { "-c", "import time; time.sleep(100000)" }, pattern = "v(%S+)" }'
        d, _ = self.folder_with(definition(dict(BASE, binary='{ "/usr/bin/python3" }', version=version)))
        started = time.monotonic()
        row = self.listed(d)
        self.assertLess(time.monotonic() - started, 30)
        self.assertEqual(row[1:3], ["installed", "unknown"])

    def test_a_version_probe_that_leaves_the_pipe_open_ends_when_it_exits(self):
        # setsid puts the sleep out of the probe's process group: it keeps the pipe open.
        version = '{ args = { "-c", "setsid sleep 20 & echo v1.5" }, pattern = "v(%S+)" }'
        d, _ = self.folder_with(definition(dict(BASE, version=version)))
        started = time.monotonic()
        row = self.listed(d)
        self.assertLess(time.monotonic() - started, 8)
        self.assertEqual(row[2], "1.5")

    def test_a_version_probe_leaves_no_process_behind(self):
        marker = os.path.join(self.tmp, "probe-marker")
        version = ('{ args = { "-c", "(exec >/dev/null 2>&1; exec -a %s sleep 60) & echo v2" }, pattern = "v(%%S+)" }'
                   % marker)
        d, _ = self.folder_with(definition(dict(BASE, binary='{ "/bin/bash" }', version=version)))
        self.assertEqual(self.listed(d)[2], "2")

        def left():
            found = []
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        if f.read().startswith(marker.encode()):
                            found.append(pid)
                except OSError:
                    pass
            return found
        # SIGKILL lands a moment later in a process the kernel handed to another parent
        deadline = time.monotonic() + 5
        while left() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(left(), [], "the probe's child outlived it (60 s sleep)")

    def test_a_version_that_is_not_printable_is_shown_with_question_marks(self):
        version = '{ args = { "-c", "printf \'v1\\\\377\\\\001x\\n\'" }, pattern = "v(%S+)" }'
        d, _ = self.folder_with(definition(dict(BASE, version=version)))
        self.assertEqual(self.listed(d)[2], "1??x")

    def test_a_folder_is_not_an_installed_binary(self):
        d, _ = self.folder_with(definition(dict(BASE, binary='{ "/tmp" }')))
        self.assertEqual(self.listed(d)[1:3], ["not installed", "-"])

    def test_a_relative_binary_is_found_beside_the_definition_not_in_the_working_folder(self):
        # what the repository builds or installs itself (go/bin/..., npm/node_modules/.bin/...)
        d, _ = self.folder_with(definition(dict(BASE, binary='{ "bin/t-proxy" }')))
        elsewhere = tempfile.mkdtemp(dir=self.tmp)
        p = self.badup(["list", "--proxies", d, "--scenarios", self.scenarios], cwd=elsewhere)
        self.assertIn("not installed", [l for l in p.stdout.splitlines() if l.startswith("  t ")][0])
        os.makedirs(os.path.join(d, "bin"))
        prog = os.path.join(d, "bin", "t-proxy")
        with open(prog, "w") as f:
            f.write("#!/bin/sh\necho v3.1\n")
        os.chmod(prog, 0o755)
        for cwd in (d, elsewhere):
            p = self.badup(["list", "--proxies", d, "--scenarios", self.scenarios], cwd=cwd)
            row = [l for l in p.stdout.splitlines() if l.startswith("  t ") and "|" not in l][0]
            self.assertNotIn("not installed", row)
            self.assertTrue(row.rstrip().endswith(" " + os.path.realpath(prog)), row)

    def test_a_fifo_named_lua_is_refused_not_waited_on(self):
        d, _ = self.folder_with(definition(BASE))
        fifo = os.path.join(d, "u.lua")
        os.mkfifo(fifo)
        for args in (["list", "--proxies", d, "--scenarios", self.scenarios],
                     ["run", "--proxies", d, "--scenarios", self.scenarios, "--proxy", "t", "--scenario", "ok",
                      "--reference", os.path.join(d, "ref"), "--out", os.path.join(d, "out")]):
            p = self.badup(args, cwd=d)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(fifo + ": not a regular file", p.stderr)

    def test_a_from_file_that_is_a_fifo_is_refused(self):
        fields = dict(BASE, files='{ ["t.conf"] = { from = "t.js" } }')
        d, path = self.folder_with(definition(fields))
        os.mkfifo(os.path.join(d, "t.js"))
        self.refused(d, path, "t.js: not a regular file", prefix="proxy{}: ")


if __name__ == "__main__":
    unittest.main()
