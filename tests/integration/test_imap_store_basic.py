"""STORE and UID STORE through raw exchanges (RFC 3501 6.4.6, RFC 9051
6.4.6 and the examples): FLAGS / +FLAGS / -FLAGS, .SILENT, keywords
(created on first use, visible to other sessions and in the Maildir file
name), \\Recent refused, EXAMINE read-only, untagged FETCH FLAGS to a
second session, and bad syntax."""
import os, re, unittest

from imap_instance import USER, ImapInstance, message
from imap_msgcmd_util import LitImap, append, fetch_map, login


class ImapStore(unittest.TestCase):
    def setUp(self):
        self.i = ImapInstance().start()
        self.r = login(self.i)
        for n in range(4):
            append(self.r, message("m%d" % n))
        u, t = self.r.xcmd("s", "SELECT INBOX")
        self.assertTrue(t.startswith("s OK"), t)

    def tearDown(self):
        self.r.xcmd("zz", "LOGOUT")
        self.r.close()
        self.i.stop()

    def ok(self, tag, cmd, r=None):
        u, t = (r or self.r).xcmd(tag, cmd)
        self.assertTrue(t.startswith(tag + " OK"), "%s -> %s" % (cmd, t))
        return u

    def flags(self, seq):
        f = fetch_map(self.ok("f", "FETCH %d FLAGS" % seq))[seq]
        return set(re.search(rb"FLAGS \(([^)]*)\)", f).group(1).decode().split()) - {"\\Recent"}

    def test_rfc_example(self):
        u = self.ok("A003", "STORE 2:4 +FLAGS (\\Deleted)")
        f = fetch_map(u)
        self.assertEqual(sorted(f), [2, 3, 4])
        for n in (2, 3, 4):
            self.assertIn(b"\\Deleted", f[n])
        self.assertEqual(self.flags(1), set())

    def test_modes(self):
        self.ok("a", "STORE 1 FLAGS (\\Seen \\Flagged)")
        self.assertEqual(self.flags(1), {"\\Seen", "\\Flagged"})
        self.ok("b", "STORE 1 +FLAGS \\Answered")
        self.assertEqual(self.flags(1), {"\\Seen", "\\Flagged", "\\Answered"})
        self.ok("c", "STORE 1 -FLAGS (\\Flagged \\Answered)")
        self.assertEqual(self.flags(1), {"\\Seen"})
        self.ok("d", "STORE 1 FLAGS ()")
        self.assertEqual(self.flags(1), set())
        self.ok("e", "STORE 1 +FLAGS (\\Draft \\Deleted $Forwarded)")
        self.assertEqual(self.flags(1), {"\\Draft", "\\Deleted", "$Forwarded"})

    def test_silent(self):
        u = self.ok("a", "STORE 1:2 +FLAGS.SILENT (\\Seen)")
        self.assertEqual(fetch_map(u), {})
        self.assertEqual(self.flags(2), {"\\Seen"})
        u = self.ok("b", "UID STORE 2 -FLAGS (\\Seen)")
        self.assertEqual(list(fetch_map(u)), [2])
        self.assertRegex(fetch_map(u)[2], rb"^UID 2 FLAGS \((\\Recent)?\)$")

    def test_keywords(self):
        u = self.ok("a", "STORE 3 +FLAGS ($Important Work)")
        self.assertEqual(self.flags(3), {"$Important", "Work"})
        r2 = login(self.i)
        self.ok("s", "SELECT INBOX", r2)
        u, t = r2.xcmd("x", "SEARCH KEYWORD work")
        self.assertIn(b"* SEARCH 3", u)
        u = self.ok("b", "STORE 3 -FLAGS (work)")
        self.assertEqual(self.flags(3), {"$Important"})
        u = self.ok("n", "NOOP", r2)
        self.assertTrue(any(l.startswith(b"* 3 FETCH") and b"$Important" in l and b"Work" not in l for l in u), u)
        r2.xcmd("z", "LOGOUT")
        names = os.listdir(os.path.join(self.i.maildir(), "cur"))
        self.assertTrue(any(re.search(r":2,[A-Z]*[a-z]", n) for n in names), names)

    def test_update_to_other_session(self):
        r2 = login(self.i)
        self.ok("s", "SELECT INBOX", r2)
        self.ok("a", "STORE 4 +FLAGS.SILENT (\\Flagged)")
        u = self.ok("n", "NOOP", r2)
        self.assertTrue(any(re.match(rb"\* 4 FETCH \(.*FLAGS \(\\Flagged", l) for l in u), u)
        r2.xcmd("z", "LOGOUT")

    def test_errors(self):
        for cmd in ("STORE 1 +FLAGS (\\Recent)", "STORE 1 +FLAGS (\\Bogus)", "STORE 1 FLAGS",
                    "STORE 1 XFLAGS (\\Seen)", "STORE 9 +FLAGS (\\Seen)", "STORE 1",
                    "STORE 1 +FLAGS (a(b)", "STORE 1 (UNCHANGEDSINCE x) +FLAGS (\\Seen)",
                    'STORE 1 +FLAGS ("quoted")'):
            u, t = self.r.xcmd("b", cmd)
            self.assertTrue(t.startswith("b BAD"), cmd + " -> " + t)
        self.ok("e", "EXAMINE INBOX")
        u, t = self.r.xcmd("c", "STORE 1 +FLAGS (\\Seen)")
        self.assertTrue(t.startswith("c NO"), t)
        self.assertEqual(self.flags(1), set())

    def test_uid_store_missing(self):
        u = self.ok("a", "UID STORE 50:60 +FLAGS (\\Seen)")
        self.assertEqual(fetch_map(u), {})


if __name__ == "__main__":
    unittest.main()
