"""FETCH, STORE, SEARCH and COPY while another session expunges (RFC 3501
7.4.1 / RFC 9051 7.5.1): no EXPUNGE is sent while answering a command by
sequence number, so numbers stay valid; the lost message's content
answers NO [EXPUNGEISSUED] while the rest of the set is still answered;
FLAGS and UID of it are still known; the following NOOP announces the
EXPUNGE; UID forms may announce it at once."""
import re, unittest

from imap_instance import USER, ImapInstance, message
from imap_msgcmd_util import LitImap, append, fetch_map, login


class ImapFetchExpunged(unittest.TestCase):
    def setUp(self):
        self.i = ImapInstance().start()
        self.a = login(self.i)
        for n in range(4):
            append(self.a, message("m%d" % n))
        self.a.xcmd("s", "SELECT INBOX")
        self.b = login(self.i)
        self.b.xcmd("s", "SELECT INBOX")
        u, t = self.b.xcmd("x", "STORE 2 +FLAGS.SILENT (\\Deleted)")
        u, t = self.b.xcmd("y", "EXPUNGE")
        self.assertIn(b"* 2 EXPUNGE", u)

    def tearDown(self):
        for r in (self.a, self.b):
            r.xcmd("zz", "LOGOUT")
            r.close()
        self.i.stop()

    def test_fetch_by_seq(self):
        u, t = self.a.xcmd("a", "FETCH 1:4 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertTrue(t.startswith("a NO [EXPUNGEISSUED]"), t)
        self.assertFalse(any(b"EXPUNGE" in l for l in u), u)
        f = fetch_map(u)
        self.assertEqual(sorted(f), [1, 3, 4])
        self.assertIn(b"Subject: m2", f[3])
        u, t = self.a.xcmd("b", "FETCH 2 (UID FLAGS)")
        self.assertTrue(t.startswith("b OK"), t)
        self.assertIn(b"UID 2", fetch_map(u)[2])
        u, t = self.a.xcmd("c", "SEARCH ALL")
        self.assertIn(b"* SEARCH 1 2 3 4", u)
        self.assertFalse(any(b"EXPUNGE" in l for l in u), u)
        u, t = self.a.xcmd("d", "STORE 1:4 +FLAGS.SILENT (\\Seen)")
        self.assertTrue(t.startswith("d NO [EXPUNGEISSUED]"), t)
        self.assertFalse(any(b"EXPUNGE" in l for l in u), u)
        u, t = self.a.xcmd("e", "NOOP")
        self.assertIn(b"* 2 EXPUNGE", u)
        u, t = self.a.xcmd("f", "FETCH 1:* FLAGS")
        self.assertEqual(sorted(fetch_map(u)), [1, 2, 3])
        for l in u:
            self.assertIn(b"\\Seen", l)

    def test_uid_fetch_announces(self):
        u, t = self.a.xcmd("a", "UID FETCH 1:* UID")
        self.assertTrue(t.startswith("a OK") or t.startswith("a NO"), t)
        self.assertIn(b"* 2 EXPUNGE", u)

    def test_copy(self):
        self.b.xcmd("c", "CREATE Other")   # not in a: its reply may announce the EXPUNGE
        u, t = self.a.xcmd("a", "COPY 1:4 Other")
        self.assertTrue(t.startswith("a NO [EXPUNGEISSUED]"), t)
        u, t = self.a.xcmd("b", "STATUS Other (MESSAGES)")
        self.assertIn(b"MESSAGES 3", u[0])


if __name__ == "__main__":
    unittest.main()
