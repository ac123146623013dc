"""POP3 maildrop locking (RFC 1939 8, RFC 2449 8.1.1 [IN-USE]): while one
POP3 session holds a Maildir, a second login gets "-ERR [IN-USE]" and the
connection closes; the lock goes with the session (QUIT or a dropped
connection); IMAP does not take it, so IMAP works beside a POP3 session."""
import imaplib, time, unittest

from pop3_instance import PASSWORD, USER, Pop3Instance, message


class Pop3InUse(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = Pop3Instance().start()
        cls.i.deliver(message("locked"))

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_second_session_in_use(self):
        a = self.i.raw_login()
        self.assertTrue(a.cmd("STAT").startswith("+OK 1 "))
        b = self.i.raw()
        self.assertEqual(b.cmd("USER %s" % USER), "+OK")
        self.assertEqual(b.cmd("PASS %s" % PASSWORD),
                         "-ERR [IN-USE] Mailbox is locked by another POP3 session.")
        self.assertTrue(b.eof())
        # the first session is unaffected
        self.assertTrue(a.cmd("STAT").startswith("+OK 1 "))
        self.assertEqual(a.cmd("QUIT"), "+OK Logging out.")
        self.assertTrue(a.eof())
        c = self.i.raw_login()
        self.assertTrue(c.cmd("STAT").startswith("+OK 1 "))
        c.cmd("QUIT")

    def test_lock_released_when_connection_drops(self):
        a = self.i.raw_login()
        a.cmd("STAT")
        a.close()
        deadline = time.time() + 10
        while True:
            b = self.i.raw()
            b.cmd("USER %s" % USER)
            l = b.cmd("PASS %s" % PASSWORD)
            if l == "+OK Logged in." or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(l, "+OK Logged in.")
        b.cmd("QUIT")

    def test_imap_beside_pop3(self):
        a = self.i.raw_login()
        a.cmd("STAT")
        c = imaplib.IMAP4("127.0.0.1", self.i.inst.ports["imap"], timeout=15)
        c.login(USER, PASSWORD)
        typ, data = c.select("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(int(data[0]), 1)
        c.logout()
        self.assertEqual(a.cmd("QUIT"), "+OK Logging out.")


if __name__ == "__main__":
    unittest.main()
