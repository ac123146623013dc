"""Bounds of postern-imapd's command reader in a real session
(imap_max_line, imap_max_literal): a literal announced larger than the
limit gets NO [TOOBIG] without a continuation and its bytes are not
awaited; a non-synchronising one that is too large is read and thrown
away, so its bytes never run as commands; a line too long gets BAD; NUL
in a quoted string gets BAD; the session goes on after each."""
import unittest

from imap_instance import ImapInstance


class ImapLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance(config={"imap_max_literal": "64k", "imap_max_line": "4k"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_sync_literal_too_big(self):
        r = self.i.raw_login()
        r.send("a APPEND INBOX {100000000}\r\n")
        l = r.line()
        self.assertTrue(l.startswith("a NO [TOOBIG]") or l.startswith("a BAD"), l)
        _, t = r.cmd("b", "NOOP")
        self.assertEqual(t, "b OK NOOP completed")
        r.cmd("z", "LOGOUT")

    def test_nonsync_literal_too_big_is_consumed(self):
        r = self.i.raw_login()
        body = ("x SELECT INBOX\r\n" * 5000).encode()     # 80000 octets > 64k
        r.send(b"a APPEND INBOX {%d+}\r\n" % len(body) + body + b"\r\n")
        u, t = r.until_tag("a")
        self.assertTrue(t.startswith("a NO [TOOBIG]") or t.startswith("a BAD"), t)
        _, t = r.cmd("b", "NOOP")
        self.assertEqual(t, "b OK NOOP completed")
        # nothing of the literal ran as a command
        self.assertFalse(any(l.startswith("x ") for l in u))
        u, t = r.cmd("c", "STATUS INBOX (MESSAGES)")
        self.assertEqual(u, ['* STATUS "INBOX" (MESSAGES 0)'])
        r.cmd("z", "LOGOUT")

    def test_long_line_and_nul(self):
        r = self.i.raw_login()
        r.send("a LIST \"\" \"%s\"\r\n" % ("y" * 10000))
        l = r.line()
        self.assertTrue(l.startswith("a BAD"), l)
        r.send(b'b STATUS "IN\x00BOX" (MESSAGES)\r\n')
        _, t = r.until_tag("b")
        self.assertTrue(t.startswith("b BAD"), t)
        _, t = r.cmd("c", "NOOP")
        self.assertEqual(t, "c OK NOOP completed")
        r.cmd("z", "LOGOUT")


if __name__ == "__main__":
    unittest.main()
