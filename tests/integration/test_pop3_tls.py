"""POP3 and TLS: STLS on the plaintext port through postern-tls (RFC 2595;
poplib and raw: bytes pipelined behind STLS are never read as commands),
CAPA changing after STLS, implicit TLS on the pop3s port (N+995) with
USER/PASS and AUTH PLAIN, and plaintext_auth = no: USER, PASS and AUTH
refused with [AUTH] before TLS and accepted after it."""
import base64, os, poplib, socket, unittest

from pop3_instance import PASSWORD, USER, Pop3Instance, RawPop, message


class Pop3Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = Pop3Instance(config={"plaintext_auth": "no"}).start()
        cls.i.deliver(message("tls", "over tls\n"))

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_plaintext_refused_before_tls(self):
        r = self.i.raw()
        self.assertEqual(r.cmd("CAPA"), "+OK Capability list follows")
        caps = [l.decode() for l in r.multi()]
        self.assertIn("STLS", caps)
        self.assertNotIn("USER", caps)
        self.assertFalse(any(c.startswith("SASL") for c in caps))
        self.assertTrue(r.cmd("USER %s" % USER).startswith("-ERR [AUTH] "))
        self.assertTrue(r.cmd("PASS %s" % PASSWORD).startswith("-ERR [AUTH] "))
        self.assertTrue(r.cmd("AUTH PLAIN AGZvbwBiYXI=").startswith("-ERR [AUTH] "))
        r.cmd("QUIT")
        self.assertNotIn(PASSWORD, self.i.log())

    def test_stls_poplib(self):
        c = poplib.POP3("127.0.0.1", self.i.port, timeout=15)
        self.assertIn("STLS", c.capa())
        c.stls(context=self.i.tls_context())
        caps = c.capa()
        self.assertNotIn("STLS", caps)
        self.assertIn("USER", caps)
        self.assertEqual(caps.get("SASL"), ["PLAIN", "LOGIN"])
        c.user(USER)
        c.pass_(PASSWORD)
        self.assertEqual(c.stat()[0], 1)
        resp, lines, _ = c.retr(1)
        self.assertIn(b"over tls", lines)
        c.quit()

    def test_stls_discards_pipelined(self):
        r = self.i.raw()
        # A command injected behind STLS must not run after the handshake.
        r.send("STLS\r\nUSER injected\r\n")
        self.assertEqual(r.line(), "+OK Begin TLS negotiation now.")
        s = self.i.tls_context().wrap_socket(r.s, server_hostname="localhost")
        t = RawPop(0, sock=s)
        # nothing was answered for "USER injected": PASS has no user
        self.assertEqual(t.cmd("PASS %s" % PASSWORD), "-ERR No user name given (USER first).")
        self.assertEqual(t.cmd("STLS"), "-ERR TLS is already active.")
        self.assertEqual(t.cmd("USER %s" % USER), "+OK")
        self.assertEqual(t.cmd("PASS %s" % PASSWORD), "+OK Logged in.")
        self.assertTrue(t.cmd("STAT").startswith("+OK 1 "))
        t.cmd("QUIT")

    def test_implicit_tls_user_pass(self):
        c = poplib.POP3_SSL("127.0.0.1", self.i.tls_port, timeout=15, context=self.i.tls_context())
        caps = c.capa()
        self.assertNotIn("STLS", caps)
        self.assertIn("USER", caps)
        c.user(USER)
        c.pass_(PASSWORD)
        self.assertEqual(c.stat()[0], 1)
        c.quit()

    def test_implicit_tls_auth_plain(self):
        s = self.i.tls_context().wrap_socket(
            socket.create_connection(("127.0.0.1", self.i.tls_port), 15), server_hostname="localhost")
        t = RawPop(0, sock=s)
        self.assertTrue(t.line().startswith("+OK"))
        ir = base64.b64encode(("\0%s\0%s" % (USER, PASSWORD)).encode()).decode()
        self.assertEqual(t.cmd("AUTH PLAIN " + ir), "+OK Logged in.")
        self.assertTrue(t.cmd("UIDL 1").startswith("+OK 1 "))
        self.assertEqual(t.cmd("QUIT"), "+OK Logging out.")


class Pop3NoTlsAvailable(unittest.TestCase):
    def test_sys_perm_without_stls(self):
        """postern-pop3-login run on a pipe without postern-tls (no control
        descriptor) and plaintext_auth = no: STLS is not offered and USER
        is refused with [SYS/PERM], since no TLS can ever come."""
        import subprocess
        import harness as H
        i = Pop3Instance(config={"plaintext_auth": "no"})
        try:
            env = dict(os.environ, POSTERN_CONF=i.inst.conf, POSTERN_LOG_STDERR="1")
            env.pop("POSTERN_TLS_CTL", None)
            p = subprocess.run([H.prog("postern-pop3-login")], input=b"CAPA\r\nUSER x\r\nSTLS\r\nQUIT\r\n",
                               capture_output=True, env=env, timeout=20)
            lines = p.stdout.decode().split("\r\n")
            self.assertEqual(lines[0], "+OK postern POP3 ready.")
            self.assertNotIn("STLS", lines[2:lines.index(".")])
            rest = lines[lines.index(".") + 1:]
            self.assertTrue(rest[0].startswith("-ERR [SYS/PERM] "), rest)
            self.assertEqual(rest[1], "-ERR TLS is not available here.")
            self.assertEqual(rest[2], "+OK Logging out.")
        finally:
            i.stop()


if __name__ == "__main__":
    unittest.main()
