"""postern-tls on request (STARTTLS/STLS): the protocol program asks over
the control descriptor, gets the TLS facts and a fresh data socket; bytes
the client pipelined behind the request, or sent in plaintext before the
handshake, never reach the program after it."""
import socket, ssl, unittest
import harness as H
from test_tls_implicit import client_ctx


class TlsStarttls(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        echo = H.fixture("postern-test-echo", self.d)
        cert, key = H.make_cert(self.d)
        port = H.free_port()
        tls = [H.prog("postern-tls"), "-C", cert, "-K", key]
        if H.IS_ROOT:
            tls += ["-u", H.service_user(), "-r", H.empty_dir(self.d)]
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "tlsr", "127.0.0.1", str(port)] +
                             tls + [echo], self.d, port=port)

    def tearDown(self):
        self.chain.stop()

    def test_starttls_discards_pipelined(self):
        s = self.chain.connect()
        l = H.Lines(s)
        env = l.env()
        self.assertIn("POSTERN_TLS_CTL", env)
        self.assertNotIn("POSTERN_TLS_VERSION", env)
        s.sendall(b"plain\r\n")
        self.assertEqual(l.line(), "ECHO plain")
        s.sendall(b"starttls\r\nINJECTED\r\n")
        self.assertEqual(l.line(), "GO")
        self.assertEqual(l.buf, b"")
        t = client_ctx().wrap_socket(s, server_hostname="localhost")
        tl = H.Lines(t)
        facts = tl.line()
        self.assertRegex(facts, r"^TLS TLS1\.[23] \S+ localhost$")
        t.sendall(b"after\r\n")
        self.assertEqual(tl.line(), "ECHO after")
        t.sendall(b"env\r\n")
        env2 = tl.env()
        self.assertNotIn("POSTERN_TLS_CTL", env2)
        t.sendall(b"quit\r\n")
        self.assertEqual(tl.line(), "BYE")
        t.close()
        self.assertNotIn("INJECTED", self.chain.log())

    def test_plaintext_after_go_breaks_handshake(self):
        s = self.chain.connect()
        l = H.Lines(s)
        l.env()
        s.sendall(b"starttls\r\n")
        self.assertEqual(l.line(), "GO")
        s.sendall(b"INJECTED\r\n")
        with self.assertRaises((ssl.SSLError, OSError)):
            t = client_ctx().wrap_socket(s, server_hostname="localhost")
            t.sendall(b"env\r\n")
            H.Lines(t).line()
        self.chain.wait_log("event=tls_fail")

    def test_tls12_facts(self):
        s = self.chain.connect()
        l = H.Lines(s)
        l.env()
        s.sendall(b"starttls\r\n")
        self.assertEqual(l.line(), "GO")
        t = client_ctx(maxv=ssl.TLSVersion.TLSv1_2).wrap_socket(s, server_hostname="mail.example.test")
        self.assertRegex(H.Lines(t).line(), r"^TLS TLS1\.2 \S+ mail\.example\.test$")
        t.close()


if __name__ == "__main__":
    unittest.main()
