"""The TLS catalog on the wire: each tls_* scenario served alone by `badup serve`, seen by
Python's ssl module (OpenSSL) and by a raw socket that sends a real ClientHello: the RST, the
FIN, the alert's bytes, the plaintext, the missing close_notify, the certificate's dates and
names."""

import datetime
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import warnings

import common

OPENSSL = shutil.which("openssl")


def client_context(cafile=None, verify=True):
    ctx = ssl.create_default_context(cafile=cafile) if verify else ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def client_hello(ctx, server_hostname="localhost"):
    """The bytes of a real ClientHello, from OpenSSL through memory BIOs."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=server_hostname)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    assert hello[:1] == b"\x16", hello[:8]  # a handshake record
    return hello


def read_raw(sock, timeout=5.0):
    """Everything until the peer's FIN: (bytes, how) with how "fin", "reset" or "timeout"."""
    sock.settimeout(timeout)
    got = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return got, "reset"
        except socket.timeout:
            return got, "timeout"
        if not chunk:
            return got, "fin"
        got += chunk


def http_get(tls_sock, path="/x"):
    tls_sock.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode())


class TlsWire(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        common.require_binary()
        cls.certs = tempfile.mkdtemp(prefix="badup-e2e-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.certs, True)
        cls.ca = os.path.join(cls.certs, "ca.crt")

    def serve(self, name, args=()):
        s = common.start_server(self, common.scenario_path(name), args=("--tls-dir", self.certs) + tuple(args))
        self.assertEqual(s.info.get("tls"), self.certs, s.startup_line)
        return s

    def raw_after_hello(self, s, ctx=None, timeout=5.0):
        sock = s.connect()
        self.addCleanup(sock.close)
        sock.sendall(client_hello(ctx or client_context(self.ca)))
        return read_raw(sock, timeout)

    def events(self, s, want=None):
        """The first connection's event names (after `want` shows up, when given)."""
        def first():
            recs = s.get("/events")
            names = [e["what"] for e in recs[0]["events"]] if recs else []
            return names if (want is None or want in names) else None
        return common.poll_until(first, timeout=5.0, what="event %s" % want)

    def peer_cert_text(self, s):
        """openssl x509 -text of the certificate the server sends (not verified)."""
        with socket.create_connection(s.addr, timeout=5) as raw:
            with client_context(verify=False).wrap_socket(raw, server_hostname="localhost") as t:
                der = t.getpeercert(binary_form=True)
        p = subprocess.run([OPENSSL, "x509", "-inform", "DER", "-noout", "-enddate", "-issuer", "-subject",
                            "-ext", "subjectAltName"], input=der, capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.decode()

    def verify_error(self, s):
        with socket.create_connection(s.addr, timeout=5) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError) as cm:
                client_context(self.ca).wrap_socket(raw, server_hostname="localhost")
        return cm.exception

    # ---- a session
    def test_tls_ok(self):
        s = self.serve("tls_ok")
        with socket.create_connection(s.addr, timeout=5) as raw:
            with client_context(self.ca).wrap_socket(raw, server_hostname="localhost") as t:
                self.assertIn(t.version(), ("TLSv1.2", "TLSv1.3"))
                names = [v for k, v in t.getpeercert()["subjectAltName"]]
                self.assertIn("localhost", names)
                self.assertIn("127.0.0.1", names)
                http_get(t)
                reply = t.recv(4096)
                self.assertTrue(reply.startswith(b"HTTP/1.1 200 OK\r\n"), reply)
                self.assertTrue(reply.endswith(b"\r\n\r\nok\n"), reply)
        names = self.events(s, "tls_handshake")
        self.assertLess(names.index("tls_handshake"), names.index("request"))

    def test_resumption(self):
        """A second connection resumes the first's session (the benchmark's resumed case)."""
        s = self.serve("tls_ok")
        ctx = client_context(self.ca)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # TLS 1.3 tickets come after the handshake
        with socket.create_connection(s.addr, timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                http_get(t)
                t.recv(4096)
                session = t.session
        with socket.create_connection(s.addr, timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as t:
                self.assertTrue(t.session_reused)

    # ---- before the handshake: the raw answers to a ClientHello
    def test_tls_handshake_reset(self):
        s = self.serve("tls_handshake_reset")
        got, how = self.raw_after_hello(s)
        self.assertEqual((got, how), (b"", "reset"))
        self.assertIn("tls_client_hello", self.events(s, "close"))

    def test_tls_handshake_close(self):
        s = self.serve("tls_handshake_close")
        got, how = self.raw_after_hello(s)
        self.assertEqual((got, how), (b"", "fin"))
        with socket.create_connection(s.addr, timeout=5) as raw:
            with self.assertRaises((ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionResetError, OSError)):
                client_context(self.ca).wrap_socket(raw, server_hostname="localhost")

    def test_tls_handshake_stall(self):
        s = self.serve("tls_handshake_stall")
        got, how = self.raw_after_hello(s, timeout=1.5)
        self.assertEqual((got, how), (b"", "timeout"))
        self.assertIn("tls_client_hello", self.events(s, "tls_client_hello"))

    def test_tls_alert_handshake_failure(self):
        s = self.serve("tls_alert_handshake_failure")
        got, how = self.raw_after_hello(s)
        # an alert record (21), version 3.3, length 2, fatal (2), handshake_failure (40)
        self.assertEqual((got, how), (bytes([21, 3, 3, 0, 2, 2, 40]), "fin"))
        with socket.create_connection(s.addr, timeout=5) as raw:
            with self.assertRaises(ssl.SSLError) as cm:
                client_context(self.ca).wrap_socket(raw, server_hostname="localhost")
        self.assertIn("HANDSHAKE_FAILURE", str(cm.exception).upper())

    def test_tls_plaintext_reply(self):
        s = self.serve("tls_plaintext_reply")
        got, how = self.raw_after_hello(s)
        self.assertEqual(how, "fin")
        self.assertTrue(got.startswith(b"HTTP/1.1 400 Bad Request\r\n"), got)
        self.assertTrue(got.endswith(b"\r\n\r\n"), got)
        with socket.create_connection(s.addr, timeout=5) as raw:
            with self.assertRaises(ssl.SSLError):
                client_context(self.ca).wrap_socket(raw, server_hostname="localhost")

    # ---- the handshake's own failures
    def test_tls_version_tls10_only(self):
        s = self.serve("tls_version_tls10_only")
        with socket.create_connection(s.addr, timeout=5) as raw:
            with self.assertRaises(ssl.SSLError) as cm:
                client_context(self.ca).wrap_socket(raw, server_hostname="localhost")
        self.assertRegex(str(cm.exception).upper(), "UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|WRONG_SSL_VERSION")
        # A hello that offers TLS 1.2 and 1.3 only: the server has none of them and says so,
        # a fatal protocol_version alert (70), then FIN.
        got, how = self.raw_after_hello(s)
        self.assertEqual((got[:7], how), (bytes([21, 3, 1, 0, 2, 2, 70]) if got[2:3] == b"\x01"
                                          else bytes([21, 3, 3, 0, 2, 2, 70]), "fin"))
        # A client that still speaks TLS 1.0 gets the session, and the 200.
        old = client_context(self.ca)
        try:
            with warnings.catch_warnings():  # deprecated, which is the point (RFC 8996)
                warnings.simplefilter("ignore", DeprecationWarning)
                old.minimum_version = ssl.TLSVersion.TLSv1
            old.set_ciphers("DEFAULT:@SECLEVEL=0")
        except (ValueError, ssl.SSLError) as e:
            self.skipTest("this Python's OpenSSL cannot speak TLS 1.0: %s" % e)
        with socket.create_connection(s.addr, timeout=5) as raw:
            with old.wrap_socket(raw, server_hostname="localhost") as t:
                self.assertEqual(t.version(), "TLSv1")
                http_get(t)
                self.assertTrue(t.recv(4096).startswith(b"HTTP/1.1 200 OK\r\n"))

    def test_tls_cert_expired(self):
        s = self.serve("tls_cert_expired")
        e = self.verify_error(s)
        self.assertEqual(e.verify_code, 10, e)  # X509_V_ERR_CERT_HAS_EXPIRED
        text = self.peer_cert_text(s)
        end = [l for l in text.splitlines() if l.startswith("notAfter=")][0].split("=", 1)[1]
        not_after = datetime.datetime.strptime(end.replace(" GMT", ""), "%b %d %H:%M:%S %Y")
        self.assertLess(not_after, datetime.datetime.utcnow())
        self.assertIn("DNS:localhost", text)

    def test_tls_cert_wrong_name(self):
        s = self.serve("tls_cert_wrong_name")
        e = self.verify_error(s)
        self.assertEqual(e.verify_code, 62, e)  # X509_V_ERR_HOSTNAME_MISMATCH
        text = self.peer_cert_text(s)
        self.assertIn("DNS:wrong.badup.invalid", text)
        self.assertNotIn("DNS:localhost", text)

    def test_tls_cert_untrusted(self):
        s = self.serve("tls_cert_untrusted")
        e = self.verify_error(s)
        self.assertEqual(e.verify_code, 18, e)  # X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
        text = self.peer_cert_text(s)
        subject = [l for l in text.splitlines() if l.startswith("subject=")][0].split("=", 1)[1]
        issuer = [l for l in text.splitlines() if l.startswith("issuer=")][0].split("=", 1)[1]
        self.assertEqual(subject, issuer)
        self.assertIn("DNS:localhost", text)

    # ---- the end of a session: close_notify or not
    def cut_response(self, s):
        """GET in a session over memory BIOs on a raw socket; returns (plaintext, how the
        stream ended: "close_notify", "eof without close_notify" or "reset" (TCP's RST))."""
        sock = s.connect()
        self.addCleanup(sock.close)
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = client_context(self.ca).wrap_bio(inc, out, server_hostname="localhost")
        sock.settimeout(5)
        plain, how, sent = b"", None, False
        deadline = time.monotonic() + 10
        while how is None and time.monotonic() < deadline:
            try:
                if not sent:
                    obj.do_handshake()
                    obj.write(b"GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    sent = True
                chunk = obj.read(65536)
                if not chunk:  # Python's answer to a close_notify
                    how = "close_notify"
                    break
                plain += chunk
                continue
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                how = "close_notify"
                break
            except ssl.SSLEOFError:
                how = "eof without close_notify"
                break
            if out.pending:
                sock.sendall(out.read())
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                how = "reset"
                break
            if data:
                inc.write(data)
            else:
                inc.write_eof()
        return plain, how

    def test_tls_no_close_notify(self):
        s = self.serve("tls_no_close_notify")
        plain, how = self.cut_response(s)
        self.assertTrue(plain.startswith(b"HTTP/1.1 200 OK\r\n"), plain)
        self.assertIn(b"Content-Length: 100\r\n", plain)
        self.assertTrue(plain.endswith(b"\r\n\r\n0123456789"), plain)
        self.assertEqual(how, "eof without close_notify")
        names = self.events(s, "close")
        self.assertNotIn("tls_close_notify", names)

    def test_tls_close_notify_mid_body(self):
        s = self.serve("tls_close_notify_mid_body")
        plain, how = self.cut_response(s)
        self.assertTrue(plain.endswith(b"\r\n\r\n0123456789"), plain)
        self.assertEqual(how, "close_notify")
        recs = common.poll_until(lambda: s.get("/events") or None, what="events")
        details = [(e["what"], e.get("detail")) for e in recs[0]["events"]]
        self.assertIn(("tls_close_notify", "sent"), details)

    # ---- --tls: the HTTP catalog over TLS
    def test_tls_flag_serves_plain_scenarios_over_tls(self):
        s = self.serve("empty_reply", args=("--tls",))
        with socket.create_connection(s.addr, timeout=5) as raw:
            with client_context(self.ca).wrap_socket(raw, server_hostname="localhost",
                                                     suppress_ragged_eofs=False) as t:
                http_get(t)
                self.assertEqual(t.recv(4096), b"")  # close_notify, then nothing

    def test_reset_inside_tls_is_a_tcp_rst(self):
        d = tempfile.mkdtemp(prefix="badup-e2e-tls-scn-")
        self.addCleanup(shutil.rmtree, d, True)
        path = common.write_scenario(d, "tls_reset_mid", """
return scenario { summary = "s", expect = 502, tls = {},
  plan = { rxreq(), send("HTTP/1.1 200 OK\\r\\n"), reset() } }""")
        s = common.start_server(self, path, args=("--tls-dir", self.certs))
        plain, how = self.cut_response(s)
        self.assertEqual((plain, how), (b"HTTP/1.1 200 OK\r\n", "reset"))


class TlsTemporaryFolder(unittest.TestCase):
    """Without --tls-dir the certificates go to a folder in $TMPDIR, which every clean stop
    removes: SIGINT (also when the shell started it with SIGINT ignored, as it does a
    background job), SIGTERM, and SIGHUP (its terminal closed)."""

    def check_stop(self, sig, ignore_sigint=False):
        tmp = tempfile.mkdtemp(prefix="badup-e2e-tmpdir-")
        self.addCleanup(shutil.rmtree, tmp, True)
        env = dict(os.environ, TMPDIR=tmp)
        pre = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if ignore_sigint else None
        p = subprocess.Popen([common.BADUP, "serve", "--tls", common.scenario_path("ok")], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             preexec_fn=pre)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        line = p.stdout.readline().decode()
        folder = [w.split("=", 1)[1] for w in line.split() if w.startswith("tls=")]
        self.assertEqual(len(folder), 1, line)
        self.assertTrue(folder[0].startswith(tmp + "/badup-tls-"), line)
        self.assertTrue(os.path.exists(os.path.join(folder[0], "valid.key")))
        p.send_signal(sig)
        self.assertEqual(p.wait(timeout=common.STOP_TIMEOUT), 0, p.stderr.read().decode())
        self.assertFalse(os.path.exists(folder[0]))

    def test_sigint(self):
        self.check_stop(signal.SIGINT)

    def test_sigint_when_started_ignoring_it(self):
        self.check_stop(signal.SIGINT, ignore_sigint=True)

    def test_sigterm(self):
        self.check_stop(signal.SIGTERM)

    def test_sighup(self):
        self.check_stop(signal.SIGHUP)


class TlsOptions(unittest.TestCase, common.TempDirMixin):
    """ALPN (RFC 7301) and the SNI check (RFC 6066 3) of a scenario's tls table."""

    @classmethod
    def setUpClass(cls):
        common.require_binary()
        cls.certs = tempfile.mkdtemp(prefix="badup-e2e-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.certs, True)
        cls.ca = os.path.join(cls.certs, "ca.crt")

    def serve(self, tls):
        path = common.write_scenario(self.make_tempdir(), "opts", """
return scenario { summary = "s", expect = 200, tls = %s,
  plan = { rxreq(), txresp { status = 200, body = "ok\\n" }, keepalive() } }""" % tls)
        return common.start_server(self, path, args=("--tls-dir", self.certs))

    def handshake(self, s, alpn=None, server_hostname="localhost"):
        ctx = client_context(self.ca)
        ctx.check_hostname = False  # the name asked for (SNI) is what is under test here
        if alpn:
            ctx.set_alpn_protocols(alpn)
        with socket.create_connection(s.addr, timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=server_hostname) as t:
                return t.selected_alpn_protocol()

    def test_alpn_picks_the_servers_first_choice_the_client_offers(self):
        s = self.serve('{ alpn = { "http/1.1", "h2" } }')
        self.assertEqual(self.handshake(s, ["h2", "http/1.1"]), "http/1.1")
        self.assertEqual(self.handshake(s, ["h2"]), "h2")
        self.assertIsNone(self.handshake(s, ["spdy/3"]))  # nothing in common: no answer
        self.assertIsNone(self.handshake(s))

    def test_without_alpn_nothing_is_selected(self):
        s = self.serve("{}")
        self.assertIsNone(self.handshake(s, ["h2", "http/1.1"]))

    def test_sni_must_match(self):
        s = self.serve('{ sni = "localhost" }')
        self.assertIsNone(self.handshake(s, server_hostname="localhost"))
        with self.assertRaises(ssl.SSLError) as cm:
            self.handshake(s, server_hostname="other.example")
        self.assertIn("UNRECOGNIZED_NAME", str(cm.exception).upper())
        recs = common.poll_until(lambda: [r for r in s.get("/events") if r["end"] != "open"] or None, what="events")
        details = [(e["what"], e.get("detail")) for r in recs for e in r["events"]]
        self.assertIn(("tls_handshake", "TLSv1.3 sni=localhost alpn=-"), details)


class TlsLoadErrors(unittest.TestCase, common.TempDirMixin):
    def check_refused(self, body, message):
        d = self.make_tempdir()
        path = common.write_scenario(d, "bad", body)
        p = common.run_badup(["serve", "--admin", "off", path])
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn(path + ":", p.stderr.decode())
        self.assertIn(message, p.stderr.decode())

    def test_unknown_cert(self):
        self.check_refused('return scenario { summary = "s", expect = 502, tls = { cert = "bogus" }, plan = { close() } }',
                           "tls.cert must be")

    def test_alert_outside_handshake(self):
        self.check_refused('return scenario { summary = "s", expect = 502, tls = {},\n'
                           '  plan = { rxreq(), tls_alert("handshake_failure"), close() } }',
                           "bad.lua:2: tls_alert() acts before the handshake only")

    def test_handshake_must_end(self):
        self.check_refused('return scenario { summary = "s", expect = 502,\n'
                           '  tls = { handshake = { send("x") } } }', "tls.handshake must end with")

    def test_unknown_alert(self):
        self.check_refused('return scenario { summary = "s", expect = 502,\n'
                           '  tls = { handshake = { tls_alert("nope"), close() } } }', "unknown alert 'nope'")

    def test_versions(self):
        self.check_refused('return scenario { summary = "s", expect = 502, plan = { close() },\n'
                           '  tls = { min_version = "TLSv1.3", max_version = "TLSv1.2" } }', "min_version is above")


if __name__ == "__main__":
    unittest.main()
