"""postern-remote's STARTTLS (GnuTLS client) and AUTH PLAIN to a
smarthost: opportunistic TLS by default, tls=must with certificate
verification against a per-route CA (a test CA made with certtool), wrong
CA and missing STARTTLS are temporary failures, bytes smuggled behind the
STARTTLS reply are refused, credentials from the secrets file."""
import os, shutil, unittest

from postern_instance import make_instance, make_tmpdir
from remote_util import RSpawn, SMTPSink, make_ca, server_ctx


class RemoteTLS(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir("postern-remote-tls-")
        self.inst = make_instance(self.tmp)
        os.makedirs(os.path.join(self.tmp, "ca1"))
        os.makedirs(os.path.join(self.tmp, "ca2"))
        for d in ("ca1", "ca2"):
            os.chmod(os.path.join(self.tmp, d), 0o755)
        self.ca, cert, key = make_ca(os.path.join(self.tmp, "ca1"))
        self.other_ca, _, _ = make_ca(os.path.join(self.tmp, "ca2"))
        self.sink = SMTPSink()
        self.sink.tls_ctx = server_ctx(cert, key)
        self.routes = os.path.join(self.inst.etc, "routes")
        self.inst.set_config("routes_file", self.routes)
        for k, v in (("remote_greeting_timeout", "3s"), ("remote_command_timeout", "3s"),
                     ("resolver_address", "127.0.0.1"), ("resolver_port", "9")):
            self.inst.set_config(k, v)
        self.rs = None

    def start(self, route_options):
        with open(self.routes, "w") as f:
            f.write("example.net [127.0.0.1]:%d %s\n" % (self.sink.port, route_options))
        os.chmod(self.routes, 0o644)
        self.rs = RSpawn(self.inst.conf, self.tmp)

    def tearDown(self):
        if self.rs:
            self.rs.close()
        self.sink.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def deliver(self):
        return self.rs.deliver(b"Subject: t\n\nbody\n", "s@example.test", ["u@example.net"])[0]

    def test_opportunistic(self):
        self.start("")
        r = self.deliver()
        self.assertEqual(r["cls"], 2, r)
        tr = self.sink.transactions[0]
        self.assertTrue(tr["tls"])
        self.assertIn(tr["tls_version"], ("TLSv1.2", "TLSv1.3"))
        self.assertIn("verified=no", self.rs.log_text())

    def test_opportunistic_without_starttls_is_plain(self):
        self.sink.tls_ctx = None
        self.start("")
        self.assertEqual(self.deliver()["cls"], 2)
        self.assertFalse(self.sink.transactions[0]["tls"])

    def test_tls_none(self):
        self.start("tls=none")
        self.assertEqual(self.deliver()["cls"], 2)
        self.assertFalse(self.sink.transactions[0]["tls"])
        self.assertFalse(any(l.startswith(b"STARTTLS") for l in self.sink.lines))

    def test_must_verified(self):
        self.start("tls=must ca=%s" % self.ca)
        r = self.deliver()
        self.assertEqual(r["cls"], 2, r)
        self.assertTrue(self.sink.transactions[0]["tls"])
        self.assertIn("verified=yes", self.rs.log_text())

    def test_must_wrong_ca(self):
        self.start("tls=must ca=%s" % self.other_ca)
        r = self.deliver()
        self.assertEqual(r["cls"], 4, r)
        self.assertIn("not verified", r["diag"])
        self.assertEqual(self.sink.transactions, [])

    def test_must_system_cas_refuse_test_certificate(self):
        self.start("tls=must")
        r = self.deliver()
        self.assertEqual(r["cls"], 4, r)
        self.assertEqual(self.sink.transactions, [])

    def test_must_without_starttls(self):
        self.sink.tls_ctx = None
        self.start("tls=must ca=%s" % self.ca)
        r = self.deliver()
        self.assertEqual(r["cls"], 4, r)
        self.assertIn("STARTTLS not offered", r["diag"])
        self.assertEqual(self.sink.transactions, [])

    def test_starttls_smuggling_refused(self):
        self.sink.starttls_raw = b"220 2.0.0 go ahead\r\n250 2.0.0 injected\r\n"
        self.start("tls=must ca=%s" % self.ca)
        r = self.deliver()
        self.assertEqual(r["cls"], 4, r)
        self.assertEqual(self.sink.transactions, [])

    def test_auth_plain_from_secrets(self):
        with open(self.inst.dir + "/etc/secrets", "w") as f:
            f.write("smart alice pass word\n")
        self.sink.auth = ("alice", "pass word")
        self.start("tls=must ca=%s auth=smart" % self.ca)
        r = self.deliver()
        self.assertEqual(r["cls"], 2, r)
        tr = self.sink.transactions[0]
        self.assertTrue(tr["tls"])
        self.assertEqual(tr["auth"], ["", "alice", "pass word"])
        self.assertNotIn("pass word", self.rs.log_text())

    def test_auth_rejected_is_temporary(self):
        with open(self.inst.dir + "/etc/secrets", "w") as f:
            f.write("smart alice wrong\n")
        self.sink.auth = ("alice", "right")
        self.start("tls=must ca=%s auth=smart" % self.ca)
        r = self.deliver()
        self.assertEqual(r["cls"], 4, r)
        self.assertIn("535", r["diag"])
        self.assertEqual(self.sink.transactions, [])

    def test_secrets_readable_by_others_refused(self):
        path = self.inst.dir + "/etc/secrets"
        with open(path, "w") as f:
            f.write("smart alice pw\n")
        os.chmod(path, 0o644)
        self.sink.auth = ("alice", "pw")
        self.start("auth=smart")
        r = self.deliver()
        self.assertEqual(r["cls"], 4, r)
        self.assertIn("group or others", self.rs.log_text())
        self.assertEqual(self.sink.transactions, [])


if __name__ == "__main__":
    unittest.main()
