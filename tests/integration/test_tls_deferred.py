"""postern-tls on request parses its certificate and key only when STARTTLS
comes (a session without it never pays for that): the files are still read
at start, as root, so a missing one stops the chain at once; a file that
does not parse leaves plaintext working and fails the STARTTLS, logged."""
import os, subprocess, unittest
import harness as H
from test_tls_implicit import client_ctx


class TlsDeferred(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        self.echo = H.fixture("postern-test-echo", self.d)
        self.cert, self.key = H.make_cert(self.d)
        self.chain = None

    def tearDown(self):
        if self.chain:
            self.chain.stop()

    def tls_args(self, cert, key):
        a = [H.prog("postern-tls"), "-C", cert, "-K", key]
        if H.IS_ROOT:
            a += ["-u", H.service_user(), "-r", H.empty_dir(self.d)]
        return a

    def start(self, cert, key):
        port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "tlsd", "127.0.0.1", str(port)] +
                             self.tls_args(cert, key) + [self.echo], self.d, port=port)
        return self.chain

    def test_good_files_still_work(self):
        s = self.start(self.cert, self.key).connect()
        l = H.Lines(s)
        l.env()
        s.sendall(b"starttls\r\n")
        self.assertEqual(l.line(), "GO")
        t = client_ctx().wrap_socket(s, server_hostname="localhost")
        self.assertRegex(H.Lines(t).line(), r"^TLS TLS1\.[23] ")
        t.close()

    def test_bad_cert_fails_only_starttls(self):
        bad = os.path.join(self.d, "bad.pem")
        with open(bad, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        os.chmod(bad, 0o644)
        s = self.start(bad, self.key).connect()
        l = H.Lines(s)
        l.env()
        s.sendall(b"plain\r\n")
        self.assertEqual(l.line(), "ECHO plain")
        s.sendall(b"starttls\r\n")
        self.assertTrue(H.eof(s, 10))
        self.assertTrue(H.wait_for(lambda: "event=tls_setup" in self.chain.log(), 5),
                        self.chain.log()[-2000:])

    def test_bad_priority_fails_only_starttls(self):
        # GnuTLS is initialised only at the first STARTTLS (no system
        # priority file here), so a priority string it rejects shows there:
        # plaintext works, STARTTLS ends the session, logged.  With a system
        # priority file the init and the check happen at start (exit 100).
        if os.path.exists(os.environ.get("GNUTLS_SYSTEM_PRIORITY_FILE") or "/etc/gnutls/config"):
            argv = self.tls_args(self.cert, self.key) + ["-p", "NO-SUCH-PRIORITY", self.echo]
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
            self.assertEqual(r.returncode, 100)
            return
        port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "tlsd", "127.0.0.1", str(port)] +
                             self.tls_args(self.cert, self.key) + ["-p", "NO-SUCH-PRIORITY", self.echo],
                             self.d, port=port)
        s = self.chain.connect()
        l = H.Lines(s)
        l.env()
        s.sendall(b"plain\r\n")
        self.assertEqual(l.line(), "ECHO plain")
        s.sendall(b"starttls\r\n")
        self.assertTrue(H.eof(s, 10))
        self.assertTrue(H.wait_for(lambda: "priority_error_at" in self.chain.log(), 5),
                        self.chain.log()[-2000:])

    def test_plain_session_never_inits_gnutls(self):
        # A session without STARTTLS: the program gets its control
        # descriptor and plaintext; nothing of GnuTLS is needed (the
        # certificate is garbage and nothing complains).
        bad = os.path.join(self.d, "bad2.pem")
        with open(bad, "w") as f:
            f.write("garbage\n")
        os.chmod(bad, 0o644)
        s = self.start(bad, self.key).connect()
        l = H.Lines(s)
        env = l.env()
        self.assertIn("POSTERN_TLS_CTL", env)
        self.assertNotIn("POSTERN_TLS_VERSION", env)
        s.sendall(b"plain\r\n")
        self.assertEqual(l.line(), "ECHO plain")
        s.close()
        self.assertNotIn("tls_setup", self.chain.log())

    def test_missing_key_stops_at_start(self):
        argv = self.tls_args(self.cert, os.path.join(self.d, "nonexistent")) + [self.echo]
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 111)


if __name__ == "__main__":
    unittest.main()
