"""The fast paths of postern-imapd give the bytes of the general ones:
SEARCH on the header fields the parse-result cache keeps (FROM, TO, CC,
BCC, SUBJECT, SENT*, HEADER Message-ID ...) answers the same before the
cache is filled (the file's header is read), after that SEARCH cached
the fields, and after FETCH ENVELOPE rebuilt the whole entry (no file is
opened), also with repeated, folded, RFC 2047 and odd fields; FETCH BODY[] / BODY.PEEK[] / RFC822 (read and converted in one
pass, no MIME parse) equal the general path's BODY[]<0.N> for files with
bare LF, CRLF, a bare CR, NUL octets and no final newline."""
import os, re, unittest

from imap_instance import ImapInstance
from imap_msgcmd_util import login, fetch_map

FILES = [
    # repeated From, folded RFC 2047 Subject, Cc only in a continuation
    b"From: First <first@example.test>\nFrom: second@example.test\n"
    b"To: a@example.test,\n  zeta@example.test\n"
    b"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n =?UTF-8?Q?_aus_K=C3=B6ln?=\n"
    b"Date: Tue, 2 Mar 2021 10:00:00 +0100\nMessage-ID: <one@example.test>\n"
    b"X-Other: searchable elsewhere\n\nbody one\n",
    # CRLF file with a bare LF line and a bare CR, NUL in the body
    b"From: crlf@example.test\r\nSubject: crlf mixed\r\nBcc: hidden@example.test\r\n"
    b"Date: 1 Jan 1999 00:00:00 +0000\r\n\r\nline one\r\nbare lf\nbare\rcr\r\nnul\x00here\r\n",
    # no body, no final newline (the last field ends the file)
    b"From: nobody@example.test\nSubject: header only\nDate: 5 May 2005 05:05:05 +0000",
    # lower-case names, a field name with a space before the colon, empty value
    b"from: lower@example.test\nsubject : spaced name\nCC:\nIn-Reply-To: <x@y>\n\n"
    b"text\n\n\n",
    # empty file
    b"",
]

SEARCHES = [
    'FROM "first"', 'FROM "second@"', 'FROM "example.test"', 'TO "zeta"',
    'SUBJECT "grüße aus köln"', 'SUBJECT "crlf"', 'SUBJECT "spaced"', 'CC ""',
    'BCC "hidden"', 'FROM "lower"', 'SENTSINCE 1-Jan-2000', 'SENTBEFORE 1-Jan-2000',
    'SENTON 5-May-2005', 'HEADER Message-ID "one@"', 'HEADER IN-REPLY-TO "x@y"',
    'HEADER X-Other "elsewhere"', 'OR FROM "nobody" SUBJECT "mixed"',
    'NOT FROM "example"', 'HEADER From ""', 'FROM "first" BODY "one"',
]


class ImapFastPaths(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance().start()
        for n, data in enumerate(FILES):
            cls.i.deliver(data, name="100%d.M1P1.fast%d" % (n, n))

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def setUp(self):
        self.r = login(self.i)
        u, t = self.r.xcmd("s", "SELECT INBOX")
        self.assertTrue(t.startswith("s OK"), t)

    def tearDown(self):
        self.r.xcmd("zz", "LOGOUT")
        self.r.close()

    def search_all(self):
        out = {}
        for k in SEARCHES:
            u, t = self.r.xcmd("q", "SEARCH CHARSET UTF-8 " + k)
            self.assertTrue(t.startswith("q OK"), (k, t))
            out[k] = [l for l in u if l.startswith(b"* SEARCH")]
        return out

    def test_search_same_with_and_without_cache(self):
        for n in os.listdir(self.i.maildir()):
            if n.startswith("postern-cache"):
                os.unlink(os.path.join(self.i.maildir(), n))
        before = self.search_all()
        # that SEARCH cached the fields it read: a new session uses them
        r2 = login(self.i)
        r2.xcmd("s", "SELECT INBOX")
        self.r, keep = r2, self.r
        try:
            self.assertEqual(self.search_all(), before)
        finally:
            self.r = keep
            r2.xcmd("z", "LOGOUT")
            r2.close()
        u, t = self.r.xcmd("e", "FETCH 1:* ENVELOPE")
        self.assertTrue(t.startswith("e OK"), t)
        after = self.search_all()
        self.assertEqual(before, after)
        # and the answers are the right ones
        self.assertEqual(before['FROM "second@"'], [b"* SEARCH 1"])
        self.assertEqual(before['SUBJECT "grüße aus köln"'], [b"* SEARCH 1"])
        self.assertEqual(before['BCC "hidden"'], [b"* SEARCH 2"])
        self.assertEqual(before['SENTON 5-May-2005'], [b"* SEARCH 3"])
        self.assertEqual(before['SUBJECT "spaced"'], [b"* SEARCH 4"])
        self.assertEqual(before['CC ""'], [b"* SEARCH 4"])
        self.assertEqual(before['HEADER X-Other "elsewhere"'], [b"* SEARCH 1"])
        self.assertEqual(before['OR FROM "nobody" SUBJECT "mixed"'], [b"* SEARCH 2 3"])
        self.assertEqual(before['NOT FROM "example"'], [b"* SEARCH 5"])
        # a new session reads the cache written by this one
        r2 = login(self.i)
        r2.xcmd("s", "SELECT INBOX")
        self.r, keep = r2, self.r
        try:
            self.assertEqual(self.search_all(), before)
        finally:
            self.r = keep
            r2.xcmd("z", "LOGOUT")
            r2.close()

    def body(self, item, seq):
        u, t = self.r.xcmd("f", "FETCH %d %s" % (seq, item))
        self.assertTrue(t.startswith("f OK"), t)
        data = fetch_map(u)[seq]
        m = re.search(rb"\{(\d+)\}\r\n", data)
        self.assertIsNotNone(m, data[:200])
        lit = data[m.end():m.end() + int(m.group(1))]
        self.assertEqual(len(lit), int(m.group(1)))
        return lit

    def test_whole_message_fetch(self):
        for seq, raw in enumerate(FILES, 1):
            general = self.body("BODY.PEEK[]<0.100000000>", seq)
            fast = self.body("BODY.PEEK[]", seq)
            self.assertEqual(fast, general, seq)
            self.assertEqual(self.body("(UID BODY.PEEK[] RFC822.SIZE)", seq), general)
            u, t = self.r.xcmd("z", "FETCH %d RFC822.SIZE" % seq)
            size = int(re.search(rb"RFC822.SIZE (\d+)", u[0]).group(1))
            self.assertEqual(size, len(general), seq)
            self.assertNotIn(b"\x00", fast)
            self.assertNotIn(b"\n", fast.replace(b"\r\n", b""))
        self.assertIn(b"bare lf\r\nbare\rcr\r\nnul\x80here", self.body("BODY.PEEK[]", 2))
        self.assertTrue(self.body("BODY.PEEK[]", 3).endswith(b"+0000"))
        # RFC822 (not PEEK) and BODY[] set \Seen, and equal BODY.PEEK[]
        self.assertEqual(self.body("RFC822", 1), self.body("BODY.PEEK[]", 1))
        u, t = self.r.xcmd("g", "FETCH 2 BODY[]")
        self.assertIn(b"\\Seen", u[0])
        u, t = self.r.xcmd("h", "FETCH 1:2 FLAGS")
        self.assertTrue(all(b"\\Seen" in l for l in u), u)

    def test_large_file_general_path(self):
        """Above 16 MB the file is parsed (mapped) instead of copied into
        memory: the same bytes either way."""
        line = b"y" * 999 + b"\n"
        big = b"From: big@example.test\nSubject: big\n\n" + line * 17000
        self.i.deliver(big, name="2000.M1P1.big")
        u, t = self.r.xcmd("s2", "SELECT INBOX")
        seq = max(int(l.split()[1]) for l in u if l.endswith(b" EXISTS"))
        fast = self.body("BODY.PEEK[]", seq)
        self.assertEqual(len(fast), len(big) + big.count(b"\n"))
        self.assertEqual(fast, big.replace(b"\n", b"\r\n"))
        self.assertEqual(self.body("BODY.PEEK[]<0.100000000>", seq), fast)


if __name__ == "__main__":
    unittest.main()
