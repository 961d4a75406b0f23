#!/usr/bin/env python3
"""`badup certs DIR`: the run's certificates as other TLS software sees them. `openssl verify`
against ca.crt alone accepts valid (also for the host localhost) and rejects expired, wrong_name
(for localhost) and untrusted; a second `badup certs DIR` refuses with exit 2 and --force
remakes the set; Python's ssl module serves valid.crt/valid.key (and valid.pem) on loopback
and a client that trusts only ca.crt completes the handshake, while wrong_name's fails it.
Standard library only.

Skipped when the openssl command is not installed, except with CI=true
(scripts/install-deps.sh test installs it): there a missing openssl is a failure."""

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import unittest

import common

OPENSSL = shutil.which("openssl")
IN_CI = os.environ.get("CI", "").lower() == "true"
KINDS = ("valid", "expired", "wrong_name", "untrusted")
FILES = ["ca.crt"] + ["%s.%s" % (k, e) for k in KINDS for e in ("crt", "key", "pem")]


def setUpModule():
    common.require_binary()
    if not OPENSSL and IN_CI:
        raise RuntimeError("openssl not installed (scripts/install-deps.sh test)")


def openssl_verify(d, kind, *extra):
    return subprocess.run([OPENSSL, "verify", "-CAfile", os.path.join(d, "ca.crt")] + list(extra) +
                          [os.path.join(d, kind + ".crt")], capture_output=True, text=True, timeout=30)


def handshake(d, server_files, server_hostname):
    """A TLS server on a kernel-picked loopback port with server_files (certfile[, keyfile]), and
    one client that trusts only d/ca.crt and checks server_hostname. Returns None when the
    handshake completed, else the client's ssl error."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(*server_files)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cafile=os.path.join(d, "ca.crt"))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(30)

    def serve():
        try:
            conn, _ = listener.accept()
            with server.wrap_socket(conn, server_side=True) as tls:
                tls.settimeout(30)
                tls.recv(1)  # until the client closes, or aborts the handshake
        except (OSError, ssl.SSLError):
            pass  # the client rejected the certificate: its side says why

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with socket.create_connection(listener.getsockname(), timeout=30) as raw:
            try:
                with client.wrap_socket(raw, server_hostname=server_hostname):
                    return None
            except ssl.SSLError as e:
                return e
    finally:
        t.join(30)
        listener.close()


@unittest.skipUnless(OPENSSL, "openssl not installed")
class CertsTest(unittest.TestCase):
    def setUp(self):
        parent = tempfile.mkdtemp(prefix="badup-e2e-certs-")
        self.addCleanup(shutil.rmtree, parent, True)
        self.dir = os.path.join(parent, "certs")
        p = common.badup_text(["certs", self.dir])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.out = p.stdout

    def test_files_and_what_it_prints(self):
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(FILES))
        self.assertEqual(os.stat(self.dir).st_mode & 0o777, 0o700)
        for k in KINDS:
            self.assertEqual(os.stat(os.path.join(self.dir, k + ".key")).st_mode & 0o777, 0o600, k)
            self.assertIn(os.path.join(self.dir, k + ".crt"), self.out)
        self.assertIn("DNS:localhost IP:127.0.0.1 IP:::1", self.out)
        self.assertIn("DNS:wrong.badup.invalid", self.out)
        self.assertIn("badup run CA ", self.out)
        self.assertRegex(self.out, r"valid: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \.\. \d{4}-")

    def test_openssl_verify(self):
        p = openssl_verify(self.dir, "valid")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = openssl_verify(self.dir, "valid", "-verify_hostname", "localhost")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = openssl_verify(self.dir, "valid", "-verify_ip", "127.0.0.1")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = openssl_verify(self.dir, "wrong_name", "-verify_hostname", "localhost")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("hostname mismatch", p.stdout + p.stderr)
        p = openssl_verify(self.dir, "wrong_name", "-verify_hostname", "wrong.badup.invalid")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = openssl_verify(self.dir, "expired")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("certificate has expired", p.stdout + p.stderr)
        p = openssl_verify(self.dir, "untrusted")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("self-signed certificate", p.stdout + p.stderr)
        # The CA's only file is its certificate: its key is never written.
        with open(os.path.join(self.dir, "ca.crt")) as f:
            self.assertNotIn("PRIVATE KEY", f.read())

    def test_second_run_refuses_and_force_remakes(self):
        with open(os.path.join(self.dir, "ca.crt")) as f:
            ca = f.read()
        p = common.badup_text(["certs", self.dir])
        self.assertEqual(p.returncode, 2)
        self.assertIn("already holds a set", p.stderr)
        self.assertIn("--force", p.stderr)
        with open(os.path.join(self.dir, "ca.crt")) as f:
            self.assertEqual(f.read(), ca)
        p = common.badup_text(["certs", "--force", self.dir])
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(self.dir, "ca.crt")) as f:
            self.assertNotEqual(f.read(), ca)
        p = openssl_verify(self.dir, "valid", "-verify_hostname", "localhost")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_usage_errors(self):
        for args, words in ((["certs"], "DIR"), (["certs", "a", "b"], "one folder"),
                            (["certs", "--nope", "x"], "--nope")):
            p = common.badup_text(args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(words, p.stderr)
            self.assertIn("badup certs --help", p.stderr)
        p = common.badup_text(["certs", "--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("usage: badup certs", p.stdout)
        p = common.badup_text(["--help"])
        self.assertIn("certs DIR", p.stdout)

    def test_python_ssl_serves_them(self):
        d = self.dir
        self.assertIsNone(handshake(d, (os.path.join(d, "valid.crt"), os.path.join(d, "valid.key")), "localhost"))
        self.assertIsNone(handshake(d, (os.path.join(d, "valid.pem"),), "localhost"))
        e = handshake(d, (os.path.join(d, "wrong_name.crt"), os.path.join(d, "wrong_name.key")), "localhost")
        self.assertIsInstance(e, ssl.SSLCertVerificationError)
        self.assertEqual(e.verify_code, 62)  # X509_V_ERR_HOSTNAME_MISMATCH
        e = handshake(d, (os.path.join(d, "expired.crt"), os.path.join(d, "expired.key")), "localhost")
        self.assertIsInstance(e, ssl.SSLCertVerificationError)
        self.assertEqual(e.verify_code, 10)  # X509_V_ERR_CERT_HAS_EXPIRED


if __name__ == "__main__":
    unittest.main()
