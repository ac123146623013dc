"""Small protocol points of postern-imapd:
- RENAME carries the subscriptions of the mailbox and of the names under
  it to the new names (as Dovecot does); renaming INBOX leaves INBOX's.
- STATUS RECENT (and LIST ... RETURN (STATUS (RECENT))) is answered in
  IMAP4rev1 and refused with BAD after ENABLE IMAP4rev2 (RFC 9051's
  status-att has no RECENT); a bad LIST-STATUS item is BAD (RFC 5819).
- BINARY / BINARY.SIZE of a base64 or quoted-printable part that is not
  well formed fail with NO [PARSE] (RFC 5530; Dovecot 2.3 answers the
  same) instead of sending damaged
  octets (the rules Dovecot 2.3 applies: bad characters, data after the
  padding, a partial quantum; '=' not followed by two hex digits or a
  line end); well-formed parts (white space in base64, lower-case hex,
  soft breaks with trailing blanks, raw 8-bit in QP) still decode."""
import re, unittest

from imap_instance import ImapInstance
from imap_msgcmd_util import append, login

HEAD = ("From: a@example.test\r\nSubject: %s\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain\r\nContent-Transfer-Encoding: %s\r\n\r\n")
CASES = [
    # (cte, body, decodes to or None for refused)
    ("base64", "SGVsbG8gd29ybGQ=\r\n", b"Hello world"),
    ("base64", "SGVs bG8g\r\nd29y bGQ=\r\n", b"Hello world"),
    ("base64", "SGVsbG8gd29ybGQ*&^%!!\r\n", None),
    ("base64", "SGVsbG8=gd29y\r\n", None),
    ("base64", "SGVsbG8gd29ybG\r\n", None),
    ("base64", "SGVsbG8gd29ybGQ===\r\n", None),
    ("base64", "SGVsbG8gd29ybGQ=\r\n=\r\n", None),
    ("quoted-printable", "lower =e9 hex\r\n", b"lower \xe9 hex\r\n"),
    ("quoted-printable", "soft =  \r\nbreak\r\n", b"soft break\r\n"),
    ("quoted-printable", "raw \xe9 octet\r\n", b"raw \xe9 octet\r\n"),
    ("quoted-printable", "bad =ZZ escape\r\n", None),
    ("quoted-printable", "eq = space\r\n", None),
    ("quoted-printable", "ends =4", None),
]
MULTI = ("From: a@example.test\r\nSubject: multi\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
         "Content-Type: text/plain\r\n\r\nplain part\r\n--b\r\n"
         "Content-Type: application/octet-stream\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\nAAEC!!\r\n--b--\r\n")


class ImapProtocolGaps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance().start()
        r = login(cls.i)
        for n, (cte, body, _) in enumerate(CASES):
            append(r, (HEAD % ("case %d" % n, cte) + body).encode("latin-1"))
        append(r, MULTI)
        r.xcmd("z", "LOGOUT")

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def setUp(self):
        self.r = login(self.i)

    def tearDown(self):
        self.r.xcmd("zz", "LOGOUT")
        self.r.close()

    def ok(self, tag, cmd):
        u, t = self.r.xcmd(tag, cmd)
        self.assertTrue(t.startswith(tag + " OK"), "%s -> %s" % (cmd, t))
        return u

    def lsub(self):
        u = self.ok("l", 'LSUB "" "*"')
        return sorted(l.decode().split('"." ', 1)[1].strip('"') for l in u)

    def test_rename_moves_subscriptions(self):
        self.ok("a", "CREATE proj")
        self.ok("b", "CREATE proj.sub")
        self.ok("c", "CREATE project")
        self.ok("d", "SUBSCRIBE proj")
        self.ok("e", "SUBSCRIBE proj.sub")
        self.ok("f", "SUBSCRIBE project")
        self.ok("g", "RENAME proj work")
        subs = self.lsub()
        self.assertIn("work", subs)
        self.assertIn("work.sub", subs)
        self.assertIn("project", subs)      # only proj and proj.*, not a prefix
        self.assertNotIn("proj", subs)
        self.assertNotIn("proj.sub", subs)
        u = self.ok("h", 'LIST (SUBSCRIBED) "" "work*"')
        self.assertEqual(len(u), 2, u)
        self.assertTrue(all(b"\\Subscribed" in l for l in u), u)
        # INBOX: its messages move, its subscription stays
        before = "INBOX" in subs
        self.ok("i", "RENAME INBOX oldinbox")
        subs = self.lsub()
        self.assertEqual("INBOX" in subs, before)
        self.assertNotIn("oldinbox", subs)
        for m in ("oldinbox", "work.sub", "work", "project"):
            self.ok("z", "DELETE %s" % m)
        self.ok("y", "UNSUBSCRIBE work.sub")
        self.ok("x", "UNSUBSCRIBE work")
        self.ok("w", "UNSUBSCRIBE project")

    def test_childinfo_recursivematch(self):
        """RFC 5258 3.5 / RFC 9051 6.3.9.1's table: with RECURSIVEMATCH a
        name whose descendant (at any depth) meets SUBSCRIBED comes back
        with CHILDINFO, whether it is subscribed itself, exists or not."""
        self.ok("a", "CREATE deep")
        self.ok("a2", "CREATE deep.x.y")     # deep.x is not made
        self.ok("b", "SUBSCRIBE deep.x.y")
        try:
            u = self.ok("c", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
            deep = [l for l in u if l.endswith(b'"deep" ("CHILDINFO" ("SUBSCRIBED"))')]
            self.assertEqual(len(deep), 1, u)
            self.assertNotIn(b"\\Subscribed", deep[0])
            u = self.ok("d", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "deep.%"')
            self.assertEqual(len(u), 1, u)
            self.assertTrue(u[0].endswith(b'"deep.x" ("CHILDINFO" ("SUBSCRIBED"))'), u)
            self.assertIn(b"\\NonExistent", u[0])
            u = self.ok("e", 'LIST (SUBSCRIBED) "" "deep*"')
            self.assertEqual(len(u), 1, u)
            self.assertNotIn(b"CHILDINFO", u[0])
            self.ok("f", "SUBSCRIBE deep")
            u = self.ok("g", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "deep"')
            self.assertEqual(len(u), 1, u)
            self.assertIn(b"\\Subscribed", u[0])
            self.assertTrue(u[0].endswith(b'("CHILDINFO" ("SUBSCRIBED"))'), u)
            # the leaf itself: subscribed, no subscribed descendant
            u = self.ok("h", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "deep.x.y"')
            self.assertEqual(len(u), 1, u)
            self.assertNotIn(b"CHILDINFO", u[0])
        finally:
            for m in ("deep.x.y", "deep"):
                self.r.xcmd("u", "UNSUBSCRIBE %s" % m)
            for m in ("deep.x.y", "deep.x", "deep"):
                self.r.xcmd("v", "DELETE %s" % m)

    def test_status_recent_rev2(self):
        u = self.ok("a", "STATUS INBOX (MESSAGES RECENT)")
        self.assertTrue(re.search(rb"RECENT \d+", u[0]), u)
        u = self.ok("a2", 'LIST "" "INBOX" RETURN (STATUS (MESSAGES RECENT))')
        self.assertTrue([l for l in u if re.search(rb"^\* STATUS .*RECENT \d+", l)], u)
        u, t = self.r.xcmd("a3", 'LIST "" "INBOX" RETURN (STATUS (MESSAGES NOSUCH))')
        self.assertTrue(t.startswith("a3 BAD"), t)
        self.ok("b", "ENABLE IMAP4rev2")
        u, t = self.r.xcmd("b2", 'LIST "" "INBOX" RETURN (STATUS (MESSAGES RECENT))')
        self.assertTrue(t.startswith("b2 BAD"), t)
        self.assertEqual(u, [])
        u, t = self.r.xcmd("c", "STATUS INBOX (MESSAGES RECENT)")
        self.assertTrue(t.startswith("c BAD"), t)
        self.assertEqual(u, [])
        u = self.ok("d", "STATUS INBOX (MESSAGES UIDNEXT)")
        self.assertIn(b"MESSAGES", u[0])

    def binary(self, seq, item):
        return self.r.xcmd("f", "FETCH %d %s" % (seq, item))

    def test_binary_broken_encodings(self):
        # the mailbox may hold the other tests' messages: ours are first
        self.ok("s", "EXAMINE INBOX")
        for n, (cte, body, want) in enumerate(CASES):
            seq = n + 1
            for item in ("BINARY.PEEK[1]", "BINARY.SIZE[1]", "BINARY.PEEK[]"):
                u, t = self.binary(seq, item)
                if want is None:
                    self.assertTrue(t.startswith("f NO [PARSE]"), (n, item, t, u))
                    self.assertFalse([l for l in u if b"BINARY" in l], (n, item, u))
                    continue
                self.assertTrue(t.startswith("f OK"), (n, item, t))
                if item == "BINARY.PEEK[1]":
                    m = re.search(rb"~?\{(\d+)\}\r\n", u[0])
                    self.assertEqual(u[0][m.end():m.end() + int(m.group(1))], want, n)
                elif item == "BINARY.SIZE[1]":
                    self.assertIn(b"BINARY.SIZE[1] %d" % len(want), u[0])
            # BODY[] is always there to fall back on
            u = self.ok("b", "FETCH %d BODY.PEEK[1]" % seq)
            self.assertIn(b"BODY[1]", u[0])
        multi = len(CASES) + 1
        u = self.ok("m", "FETCH %d BINARY.PEEK[1]" % multi)
        self.assertIn(b"plain part", u[0])
        u, t = self.binary(multi, "BINARY.PEEK[2]")
        self.assertTrue(t.startswith("f NO [PARSE]"), t)
        u, t = self.binary(multi, "BINARY.PEEK[]")
        self.assertTrue(t.startswith("f NO [PARSE]"), t)


if __name__ == "__main__":
    unittest.main()
