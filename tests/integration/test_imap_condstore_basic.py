"""CONDSTORE and QRESYNC message commands through raw exchanges (RFC 7162
and its examples): MODSEQ in FETCH (and CONDSTORE turned on by it, with
the untagged HIGHESTMODSEQ), FETCH (CHANGEDSINCE), STORE (UNCHANGEDSINCE)
with MODIFIED - 0 always fails, .SILENT still reports MODSEQ - SEARCH
MODSEQ with the highest MODSEQ of the result, and UID FETCH (CHANGEDSINCE
n VANISHED) after an expunge."""
import re, unittest

from imap_instance import USER, ImapInstance, message
from imap_msgcmd_util import LitImap, append, fetch_map, login


def modseqs(untagged):
    out = {}
    for l in untagged:
        m = re.match(rb"\* (\d+) FETCH \(.*MODSEQ \((\d+)\)", l)
        if m:
            out[int(m.group(1))] = int(m.group(2))
    return out


class ImapCondstore(unittest.TestCase):
    def setUp(self):
        self.i = ImapInstance().start()
        self.r = login(self.i)
        for n in range(6):
            append(self.r, message("m%d" % n))

    def tearDown(self):
        self.r.xcmd("zz", "LOGOUT")
        self.r.close()
        self.i.stop()

    def ok(self, tag, cmd, r=None):
        u, t = (r or self.r).xcmd(tag, cmd)
        self.assertTrue(t.startswith(tag + " OK"), "%s -> %s" % (cmd, t))
        return u, t

    def test_fetch_modseq_enables(self):
        self.ok("s", "SELECT INBOX")
        u, t = self.ok("a", "FETCH 1:2 (FLAGS MODSEQ)")
        self.assertTrue(any(l.startswith(b"* OK [HIGHESTMODSEQ ") for l in u), u)
        ms = modseqs(u)
        self.assertEqual(sorted(ms), [1, 2])
        self.assertLess(ms[1], ms[2])
        # now STORE answers carry MODSEQ
        u, t = self.ok("b", "STORE 1 +FLAGS (\\Seen)")
        self.assertGreater(modseqs(u)[1], ms[2])

    def test_changedsince(self):
        self.ok("s", "SELECT INBOX (CONDSTORE)")
        u, t = self.ok("a", "FETCH 1:* MODSEQ")
        base = max(modseqs(u).values())
        self.ok("b", "STORE 2,5 +FLAGS.SILENT (\\Flagged)")
        u, t = self.ok("c", "FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % base)
        ms = modseqs(u)
        self.assertEqual(sorted(ms), [2, 5])
        u, t = self.ok("d", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % max(ms.values()))
        self.assertEqual(fetch_map(u), {})
        for bad in ("FETCH 1 FLAGS (CHANGEDSINCE)", "FETCH 1 FLAGS (CHANGEDSINCE x)",
                    "FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED)", "FETCH 1 FLAGS ()"):
            u, t = self.r.xcmd("e", bad)
            self.assertTrue(t.startswith("e BAD"), bad + " -> " + t)

    def test_unchangedsince(self):
        self.ok("s", "SELECT INBOX (CONDSTORE)")
        u, t = self.ok("a", "FETCH 1:* MODSEQ")
        ms = modseqs(u)
        # RFC 7162 3.1.3 example shape: 7,5,9 -> here 1,3,5 with 3 changed meanwhile
        r2 = login(self.i)
        self.ok("s2", "SELECT INBOX", r2)
        self.ok("x", "STORE 3 +FLAGS (\\Answered)", r2)
        r2.xcmd("z", "LOGOUT")
        u, t = self.ok("b", "STORE 1,3,5 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Deleted)" % max(ms.values()))
        self.assertIn("[MODIFIED 3]", t)
        got = modseqs(u)
        self.assertIn(1, got)
        self.assertIn(5, got)
        u, t = self.ok("c", "FETCH 3 FLAGS")
        self.assertNotIn(b"\\Deleted", b" ".join(u))
        u, t = self.ok("d", "UID STORE 1:2 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)")
        self.assertIn("[MODIFIED 1:2]", t)

    def test_search_modseq(self):
        self.ok("s", "SELECT INBOX")
        u, t = self.ok("a", "FETCH 1:* MODSEQ")
        base = max(modseqs(u).values())
        u, t = self.ok("b", "STORE 4 +FLAGS (\\Seen)")
        new = modseqs(u)[4]
        u, t = self.ok("c", "SEARCH MODSEQ %d" % (base + 1))
        self.assertIn(b"* SEARCH 4 (MODSEQ %d)" % new, u)
        u, t = self.ok("d", 'SEARCH MODSEQ "/flags/\\\\draft" all %d' % (base + 1))
        self.assertIn(b"* SEARCH 4 (MODSEQ %d)" % new, u)
        u, t = self.ok("e", "SEARCH MODSEQ %d" % (new + 1))
        self.assertIn(b"* SEARCH", u)
        u, t = self.ok("f", "SEARCH RETURN (COUNT) MODSEQ %d" % (base + 1))
        self.assertIn(b'* ESEARCH (TAG "f") COUNT 1 MODSEQ %d' % new, u)

    def test_qresync_vanished(self):
        self.ok("en", "ENABLE QRESYNC")
        self.ok("s", "SELECT INBOX")
        u, t = self.ok("a", "FETCH 1:* MODSEQ")
        base = max(modseqs(u).values())
        self.ok("b", "STORE 2,3 +FLAGS.SILENT (\\Deleted)")
        u, t = self.ok("c", "EXPUNGE")
        self.assertIn(b"* VANISHED 2:3", u)
        self.ok("d", "STORE 1 +FLAGS.SILENT (\\Seen)")
        u, t = self.ok("e", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % base)
        self.assertEqual(u[0], b"* VANISHED (EARLIER) 2:3")
        self.assertEqual(sorted(fetch_map(u)), [1])
        u, t = self.ok("f", "UID FETCH 1:2 (FLAGS) (CHANGEDSINCE %d VANISHED)" % base)
        self.assertEqual(u[0], b"* VANISHED (EARLIER) 2")


if __name__ == "__main__":
    unittest.main()
