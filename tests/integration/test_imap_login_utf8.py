"""postern-imap-login with a user name the hand-off record cannot carry
as text (UTF-8): LOGIN still succeeds, the tag is answered by
postern-imapd and the pipelined command after it is served."""
import unittest

from imap_instance import ImapInstance

NAME = "j\u00f6rg@example.test"
PW = "s3cret-\u00e4"


class ImapLoginUtf8(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance(users={NAME: PW}, config={"imap_auth_fail_delay": "0"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_utf8_login_keeps_tag_and_pipelining(self):
        r = self.i.raw()
        lit_user, lit_pw = NAME.encode(), PW.encode()
        r.send(b"a LOGIN {%d+}\r\n%s {%d+}\r\n%s\r\nb SELECT INBOX\r\n"
               % (len(lit_user), lit_user, len(lit_pw), lit_pw))
        _, t = r.until_tag("a")
        self.assertRegex(t, r"^a OK \[CAPABILITY IMAP4rev1 .*\] Logged in$")
        _, t = r.until_tag("b")
        self.assertTrue(t.startswith("b OK [READ-WRITE]"), t)
        r.close()


if __name__ == "__main__":
    unittest.main()
