"""postern run end to end with the installed IMAP programs: an instance
from `postern init` and `postern user add` serves its user over IMAP with
STARTTLS and over implicit TLS (the client verifies the self-signed
certificate for "localhost"), through listen -> tls -> login monitor ->
imap-login, checkpassword, imapd; a wrong password is refused."""
import imaplib, shutil, ssl, unittest

from postern_instance import Supervisor, make_instance, make_tmpdir, wait_port


class ImapUnderSupervisorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp, users={"demo@example.test": "pw-demo 1"})
        cls.sup = Supervisor(cls.inst)
        for svc in ("imap", "imaps"):
            cls.sup.wait_line(r"event=listening service=%s addr=127\.0\.0\.1:%d$"
                              % (svc, cls.inst.ports[svc]))
            assert wait_port(cls.inst.ports[svc]), cls.sup.text()
        cls.ctx = ssl.create_default_context(cafile=cls.inst.cert)

    @classmethod
    def tearDownClass(cls):
        cls.sup.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_starttls_login(self):
        m = imaplib.IMAP4("localhost", self.inst.ports["imap"], timeout=10)
        self.assertIn(b"STARTTLS", m.welcome)
        m.starttls(self.ctx)
        typ, _ = m.login("demo@example.test", "pw-demo 1")
        self.assertEqual(typ, "OK")
        typ, data = m.select("INBOX")
        self.assertEqual((typ, data), ("OK", [b"0"]))
        m.logout()
        self.sup.wait_line(r"event=login .*user=demo@example\.test")

    def test_implicit_tls_login(self):
        m = imaplib.IMAP4_SSL("localhost", self.inst.ports["imaps"], ssl_context=self.ctx,
                              timeout=10)
        typ, _ = m.login("demo@example.test", "pw-demo 1")
        self.assertEqual(typ, "OK")
        m.logout()

    def test_wrong_password(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.inst.ports["imaps"], ssl_context=self.ctx,
                              timeout=10)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login("demo@example.test", "wrong")
        m.logout()


if __name__ == "__main__":
    unittest.main()
