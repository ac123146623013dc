"""COPY, MOVE, UID COPY, UID MOVE through raw exchanges (RFC 3501 6.4.7,
RFC 9051 6.4.7-8, RFC 6851, RFC 4315 COPYUID): flags, keywords and
INTERNALDATE carried over, COPYUID UIDs that match the target, TRYCREATE
for a missing mailbox, MOVE's untagged COPYUID and EXPUNGEs (VANISHED
with QRESYNC), COPY into the selected mailbox itself, MOVE in EXAMINE."""
import re, unittest

from imap_instance import USER, ImapInstance, message
from imap_msgcmd_util import LitImap, append, fetch_map, login


class ImapCopyMove(unittest.TestCase):
    def setUp(self):
        self.i = ImapInstance().start()
        self.r = login(self.i)
        self.ok("c", "CREATE Dest")
        for n in range(5):
            append(self.r, message("m%d" % n), flags="\\Flagged Kw%d" % n if n % 2 else "",
                   date="0%d-Mar-2020 10:00:00 +0000" % (n + 1))
        u, t = self.r.xcmd("s", "SELECT INBOX")
        self.assertTrue(t.startswith("s OK"), t)

    def tearDown(self):
        self.r.xcmd("zz", "LOGOUT")
        self.r.close()
        self.i.stop()

    def ok(self, tag, cmd, r=None):
        u, t = (r or self.r).xcmd(tag, cmd)
        self.assertTrue(t.startswith(tag + " OK"), "%s -> %s" % (cmd, t))
        return u, t

    def test_copy(self):
        u, t = self.ok("a", "COPY 2:4 Dest")
        m = re.search(r"\[COPYUID (\d+) (\S+) (\S+)\]", t)
        self.assertIsNotNone(m, t)
        self.assertEqual(m.group(2), "2:4")
        self.assertEqual(m.group(3), "1:3")
        self.ok("e", "EXAMINE Dest")
        u, t = self.ok("f", "FETCH 1:* (UID FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        f = fetch_map(u)
        self.assertEqual(sorted(f), [1, 2, 3])
        self.assertIn(b"\\Flagged", f[1])
        self.assertIn(b"Kw1", f[1])
        self.assertNotIn(b"\\Flagged", f[2])
        self.assertIn(b"Kw3", f[3])
        self.assertIn(b'"02-Mar-2020', f[1])
        self.assertIn(b"Subject: m1", f[1])
        u, t = self.ok("g", "STATUS INBOX (MESSAGES)")
        self.assertIn(b"MESSAGES 5", u[0])

    def test_uid_copy_and_trycreate(self):
        u, t = self.ok("a", "UID COPY 5,1 Dest")
        self.assertIn("[COPYUID ", t)
        self.assertRegex(t, r"COPYUID \d+ 1,5 1:2\]")
        u, t = self.r.xcmd("b", "COPY 1 NoSuch")
        self.assertTrue(t.startswith("b NO [TRYCREATE]"), t)
        u, t = self.r.xcmd("c", "COPY 9 Dest")
        self.assertTrue(t.startswith("c BAD"), t)
        u, t = self.ok("d", "UID COPY 77 Dest")
        self.assertNotIn("COPYUID", t)

    def test_copy_to_self(self):
        u, t = self.ok("a", "COPY 1 INBOX")
        self.assertRegex(t, r"COPYUID \d+ 1 6\]")
        u2, t = self.ok("n", "NOOP")
        self.assertIn(b"* 6 EXISTS", u + u2)

    def test_move(self):
        u, t = self.ok("a", "MOVE 2:3 Dest")
        self.assertTrue(t.startswith("a OK"), t)
        self.assertRegex(u[0].decode(), r"^\* OK \[COPYUID \d+ 2:3 1:2\]")
        self.assertEqual(u[1:], [b"* 2 EXPUNGE", b"* 2 EXPUNGE"])
        u, t = self.ok("b", "FETCH 1:* UID")
        self.assertEqual([int(x) for x in re.findall(rb"UID (\d+)", b" ".join(u))], [1, 4, 5])
        u, t = self.ok("c", "UID MOVE 5 Dest")
        self.assertEqual(u[1:], [b"* 3 EXPUNGE"])
        u, t = self.ok("d", "STATUS Dest (MESSAGES)")
        self.assertIn(b"MESSAGES 3", u[0])
        u, t = self.r.xcmd("e", "MOVE 1 INBOX")
        self.assertTrue(t.startswith("e NO"), t)

    def test_move_qresync(self):
        self.ok("u", "UNSELECT")
        self.ok("en", "ENABLE QRESYNC")
        self.ok("s", "SELECT INBOX")
        u, t = self.ok("a", "MOVE 1:2 Dest")
        self.assertEqual(u[1:], [b"* VANISHED 1:2"])

    def test_move_examine(self):
        self.ok("e", "EXAMINE INBOX")
        u, t = self.r.xcmd("a", "MOVE 1 Dest")
        self.assertTrue(t.startswith("a NO"), t)
        u, t = self.ok("b", "COPY 1 Dest")

    def test_other_session_sees_expunge(self):
        r2 = login(self.i)
        self.ok("s", "SELECT INBOX", r2)
        self.ok("a", "MOVE 1 Dest")
        u, t = self.ok("n", "NOOP", r2)
        self.assertIn(b"* 1 EXPUNGE", u)
        r2.xcmd("z", "LOGOUT")


if __name__ == "__main__":
    unittest.main()
