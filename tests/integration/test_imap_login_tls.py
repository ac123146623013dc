"""IMAP and TLS: STARTTLS on the plaintext port through postern-tls
(imaplib and raw: bytes pipelined behind STARTTLS are never read as
commands, RFC 9051 6.2.1), implicit TLS on the imaps port (N+993), and
plaintext_auth: with "no" the plaintext port advertises LOGINDISABLED,
refuses LOGIN and AUTHENTICATE with PRIVACYREQUIRED, and after STARTTLS
offers AUTH= and accepts the login."""
import imaplib, socket, ssl, unittest

from imap_instance import PASSWORD, USER, ImapInstance, RawImap


class ImapTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance(config={"plaintext_auth": "no"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_logindisabled_before_tls(self):
        r = self.i.raw(greet=False)
        g = r.line()
        self.assertIn("LOGINDISABLED", g)
        self.assertIn("STARTTLS", g)
        self.assertNotIn("AUTH=PLAIN", g)
        _, t = r.cmd("a", 'LOGIN "%s" "%s"' % (USER, PASSWORD))
        self.assertTrue(t.startswith("a NO [PRIVACYREQUIRED]"), t)
        _, t = r.cmd("b", "AUTHENTICATE PLAIN AGZvbwBiYXI=")
        self.assertTrue(t.startswith("b NO [PRIVACYREQUIRED]"), t)
        r.cmd("c", "LOGOUT")

    def test_starttls_imaplib(self):
        c = imaplib.IMAP4("127.0.0.1", self.i.port, timeout=15)
        self.assertIn("LOGINDISABLED", c.capabilities)
        c.starttls(ssl_context=self.i.tls_context_for("localhost"))
        self.assertNotIn("LOGINDISABLED", c.capabilities)
        self.assertIn("AUTH=PLAIN", c.capabilities)
        self.assertNotIn("STARTTLS", c.capabilities)
        typ, _ = c.login(USER, PASSWORD)
        self.assertEqual(typ, "OK")
        typ, data = c.select("INBOX")
        self.assertEqual(typ, "OK")
        c.logout()

    def test_starttls_discards_pipelined(self):
        r = self.i.raw()
        # A command injected behind STARTTLS must not run after the handshake.
        r.send("a STARTTLS\r\nx LOGIN injected injected\r\n")
        self.assertEqual(r.line(), "a OK Begin TLS negotiation now")
        ctx = self.i.tls_context_for("localhost")
        s = ctx.wrap_socket(r.s, server_hostname="localhost")
        t = RawImap(0, sock=s)
        u, tag = t.cmd("b", "CAPABILITY")
        self.assertEqual(tag, "b OK CAPABILITY completed")
        self.assertEqual(len(u), 1, u)      # nothing answered for "x"
        self.assertIn("AUTH=PLAIN", u[0])
        _, tag = t.cmd("c", "STARTTLS")
        self.assertTrue(tag.startswith("c BAD"), tag)
        _, tag = t.cmd("d", 'LOGIN "%s" "%s"' % (USER, PASSWORD))
        self.assertTrue(tag.startswith("d OK"), tag)
        t.cmd("e", "LOGOUT")

    def test_implicit_tls(self):
        for name in ("localhost", "127.0.0.1"):
            c = imaplib.IMAP4_SSL("127.0.0.1", self.i.tls_port, timeout=15,
                                  ssl_context=self.i.tls_context_for(name))
            self.assertNotIn("STARTTLS", c.capabilities)
            self.assertNotIn("LOGINDISABLED", c.capabilities)
            c.login(USER, PASSWORD)
            typ, _ = c.select("INBOX")
            self.assertEqual(typ, "OK")
            c.logout()


if __name__ == "__main__":
    unittest.main()
