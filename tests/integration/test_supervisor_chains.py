"""postern run builds every chain of DESIGN.md's table with command lines
the real postern-listen, postern-tls and postern-login accept: with stub
protocol programs (written into the test's temporary directory) all seven
network services listen where the log says, the plaintext ports greet, and
the implicit-TLS ports complete a verified TLS handshake against the
instance's self-signed certificate for both "localhost" and 127.0.0.1."""
import os, shutil, socket, ssl, unittest

from postern_instance import (LIBEXEC, STD_PORTS, Supervisor, make_instance,
                              make_tmpdir, wait_port)

STUB = """#!/bin/sh
# test stub for %s: greets in its protocol's syntax, then waits.
trap 'exit 0' TERM
printf '%s stub service=%%s tls=%%s\\r\\n' "$POSTERN_SERVICE" "${POSTERN_TLS_VERSION:-none}"
read line
"""
GREETS = {"postern-smtpd": "220", "postern-imap-login": "* OK", "postern-imapd": "* OK",
          "postern-pop3-login": "+OK", "postern-pop3d": "+OK"}
REAL = ("postern-listen", "postern-tls", "postern-login", "postern-checkpassword")


def read_line(s):
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(512)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace").rstrip("\r\n")


class ChainsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp)
        stubs = os.path.join(cls.tmp, "stubs")
        os.mkdir(stubs)
        os.chmod(stubs, 0o755)
        for p in REAL:
            os.symlink(os.path.join(LIBEXEC, p), os.path.join(stubs, p))
        for p, greet in GREETS.items():
            path = os.path.join(stubs, p)
            with open(path, "w") as f:
                f.write(STUB % (p, greet))
            os.chmod(path, 0o755)
        cls.sup = Supervisor(cls.inst, env={"POSTERN_LIBEXEC": stubs})
        for svc, port in cls.inst.ports.items():
            cls.sup.wait_line(r"event=listening service=%s addr=127\.0\.0\.1:%d$" % (svc, port))
        for port in cls.inst.ports.values():
            assert wait_port(port), cls.sup.text()

    @classmethod
    def tearDownClass(cls):
        cls.sup.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def plain(self, svc, greet):
        with socket.create_connection(("127.0.0.1", self.inst.ports[svc]), 5) as s:
            s.settimeout(5)
            line = read_line(s)
        self.assertEqual(line, "%s stub service=%s tls=none" % (greet, svc))

    def implicit(self, svc, greet, name):
        ctx = ssl.create_default_context(cafile=self.inst.cert)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        with socket.create_connection(("127.0.0.1", self.inst.ports[svc]), 5) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as s:
                s.settimeout(5)
                line = read_line(s)
                self.assertIn(s.version(), ("TLSv1.2", "TLSv1.3"))
        self.assertTrue(line.startswith("%s stub service=%s tls=" % (greet, svc)), line)
        self.assertNotIn("tls=none", line)

    def test_plaintext_ports(self):
        self.plain("smtp", "220")
        self.plain("submission", "220")
        self.plain("pop3", "+OK")
        self.plain("imap", "* OK")

    def test_implicit_tls_ports(self):
        for name in ("localhost", "127.0.0.1", "mail.example.test"):
            self.implicit("submissions", "220", name)
            self.implicit("pop3s", "+OK", name)
            self.implicit("imaps", "* OK", name)

    def test_wrong_name_is_refused_by_the_client(self):
        ctx = ssl.create_default_context(cafile=self.inst.cert)
        with socket.create_connection(("127.0.0.1", self.inst.ports["imaps"]), 5) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError):
                ctx.wrap_socket(raw, server_hostname="other.example")

    def test_queue_waits_for_its_programs(self):
        self.sup.wait_line(r"event=not-started service=queue missing=postern-send")
        self.assertEqual(len(STD_PORTS), 7)


if __name__ == "__main__":
    unittest.main()
