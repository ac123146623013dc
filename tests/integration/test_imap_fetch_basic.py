"""FETCH and UID FETCH through raw exchanges (RFC 3501 6.4.5 / RFC 9051
6.4.5 and their examples; RFC 3516 BINARY): each data item, the macros,
sections of a nested multipart with a message/rfc822 part, partial
fetches, \\Seen set by BODY[] but not by BODY.PEEK[] nor in EXAMINE,
BINARY decoding and UNKNOWN-CTE, UID FETCH, bad sets and items, and the
parse-result cache (postern-cache written, answers unchanged)."""
import os, re, unittest

from imap_instance import USER, ImapInstance
from imap_msgcmd_util import LitImap, append, fetch_map, login

PLAIN = ("From: Terry Gray <gray@cac.washington.edu>\r\n"
         "To: imap@cac.washington.edu\r\n"
         "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
         "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
         "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
         "\r\n"
         "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n")

MULTI = ("From: a@example.test\r\n"
         "Subject: nested\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
         "\r\n"
         "preamble\r\n"
         "--b1\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "\r\n"
         "part one\r\n"
         "--b1\r\n"
         "Content-Type: message/rfc822\r\n"
         "\r\n"
         "From: inner@example.test\r\n"
         "Subject: inner\r\n"
         "\r\n"
         "inner body\r\n"
         "--b1\r\n"
         "Content-Type: application/octet-stream\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n"
         "AAECAwQ=\r\n"
         "--b1\r\n"
         "Content-Type: text/plain\r\n"
         "Content-Transfer-Encoding: x-unknown\r\n"
         "\r\n"
         "odd\r\n"
         "--b1--\r\n")


class ImapFetch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance().start()
        r = login(cls.i)
        append(r, PLAIN, date="17-Jul-1996 02:44:25 -0700")
        append(r, MULTI)
        append(r, PLAIN.replace("Hello Joe", "Hello Ann"))
        append(r, PLAIN.replace("Hello Joe", "Hello Bob"), flags="\\Seen")
        r.xcmd("z", "LOGOUT")

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

    def ok(self, tag, cmd):
        u, t = self.r.xcmd(tag, cmd)
        self.assertTrue(t.startswith(tag + " OK"), "%s -> %s" % (cmd, t))
        return u

    def test_rfc_example_header_fields(self):
        u = self.ok("A654", "FETCH 2:4 (FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM)])")
        f = fetch_map(u)
        self.assertEqual(sorted(f), [2, 3, 4])
        self.assertIn(b"BODY[HEADER.FIELDS (DATE FROM)] {", f[3])
        self.assertIn(b"From: Terry Gray <gray@cac.washington.edu>\r\n", f[3])
        self.assertIn(b"Date: Wed, 17 Jul 1996", f[3])
        self.assertNotIn(b"Subject", f[3])
        u = self.ok("a", "FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (DATE FROM TO MESSAGE-ID)]")
        self.assertIn(b"Subject: IMAP4rev1 WG mtg summary and minutes\r\n\r\n", u[0])
        self.assertNotIn(b"From:", u[0])

    def test_macros(self):
        f = fetch_map(self.ok("a", "FETCH 1 FAST"))[1]
        self.assertRegex(f, rb"^FLAGS \([^)]*\) INTERNALDATE \"17-Jul-1996 \d\d:44:25 [+-]\d{4}\" RFC822.SIZE %d$" % len(PLAIN))
        f = fetch_map(self.ok("b", "FETCH 1 ALL"))[1]
        self.assertIn(b'ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu"))', f)
        self.assertNotIn(b"BODY ", f)
        f = fetch_map(self.ok("c", "FETCH 1 FULL"))[1]
        self.assertIn(b'BODY ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" %d 1)' % (len(PLAIN) - PLAIN.index("\r\n\r\n") - 4), f)
        u, t = self.r.xcmd("d", "FETCH 1 (ALL)")
        self.assertTrue(t.startswith("d BAD"), t)

    def test_each_simple_item(self):
        f = fetch_map(self.ok("a", "FETCH 1 (UID RFC822.SIZE INTERNALDATE FLAGS)"))[1]
        self.assertRegex(f, rb"^UID 1 RFC822.SIZE %d INTERNALDATE \"[^\"]+\" FLAGS \(" % len(PLAIN))
        f = fetch_map(self.ok("b", "FETCH 1 BODYSTRUCTURE"))[1]
        self.assertTrue(f.startswith(b'BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" '), f)
        self.assertTrue(f.endswith(b" 1 NIL NIL NIL NIL)"), f)
        f = fetch_map(self.ok("c", "FETCH 2 BODYSTRUCTURE"))[2]
        self.assertIn(b'"mixed" ("boundary" "b1") NIL NIL NIL)', f)
        self.assertIn(b'("message" "rfc822" NIL NIL NIL "7bit"', f)

    def test_sections_nested(self):
        f = fetch_map(self.ok("a", "FETCH 2 (BODY.PEEK[1] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[2.1] BODY.PEEK[1.MIME] BODY.PEEK[3])"))[2]
        self.assertIn(b"BODY[1] {8}\r\npart one", f)
        self.assertIn(b"BODY[2.HEADER] {44}\r\nFrom: inner@example.test\r\nSubject: inner\r\n\r\n", f)
        self.assertIn(b"BODY[2.TEXT] {10}\r\ninner body", f)
        self.assertIn(b"BODY[2.1] {10}\r\ninner body", f)
        self.assertIn(b"BODY[1.MIME] {43}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", f)
        self.assertIn(b"BODY[3] {8}\r\nAAECAwQ=", f)
        f = fetch_map(self.ok("b", "FETCH 2 BODY.PEEK[9]"))[2]
        self.assertIn(b"BODY[9] NIL", f)

    def test_partial(self):
        f = fetch_map(self.ok("a", "FETCH 1 BODY.PEEK[]<0.10>"))[1]
        self.assertIn(b"BODY[]<0> {10}\r\nFrom: Terr", f)
        f = fetch_map(self.ok("b", "FETCH 1 BODY.PEEK[TEXT]<6.3>"))[1]
        self.assertIn(b"BODY[TEXT]<6> {3}\r\nJoe", f)
        f = fetch_map(self.ok("c", "FETCH 1 BODY.PEEK[TEXT]<100000.3>"))[1]
        self.assertRegex(f, rb'BODY\[TEXT\]<100000> (""|\{0\}\r\n)')
        for bad in ("BODY.PEEK[]<1>", "BODY.PEEK[]<1.0>", "BODY.PEEK[]<x.1>", "BINARY.SIZE[1]<0.1>"):
            u, t = self.r.xcmd("d", "FETCH 1 " + bad)
            self.assertTrue(t.startswith("d BAD"), bad + " " + t)

    def test_binary(self):
        f = fetch_map(self.ok("a", "FETCH 2 (BINARY.PEEK[3] BINARY.SIZE[3] BINARY.PEEK[1])"))[2]
        self.assertIn(b"BINARY[3] ~{5}\r\n\x00\x01\x02\x03\x04", f)
        self.assertIn(b"BINARY.SIZE[3] 5", f)
        self.assertIn(b"BINARY[1] {8}\r\npart one", f)
        u, t = self.r.xcmd("b", "FETCH 2 BINARY.PEEK[4]")
        self.assertTrue(t.startswith("b NO [UNKNOWN-CTE]"), t)
        u, t = self.r.xcmd("c", "FETCH 2 BINARY.PEEK[1.MIME]")
        self.assertTrue(t.startswith("c BAD"), t)

    def test_rfc822_items_and_seen(self):
        f = fetch_map(self.ok("a", "FETCH 3 (FLAGS)"))[3]
        self.assertNotIn(b"\\Seen", f)
        f = fetch_map(self.ok("b", "FETCH 3 RFC822.HEADER"))[3]
        self.assertIn(b"RFC822.HEADER {", f)
        self.assertNotIn(b"\\Seen", f)
        f = fetch_map(self.ok("c", "FETCH 3 BODY.PEEK[TEXT]"))[3]
        self.assertNotIn(b"\\Seen", f)
        f = fetch_map(self.ok("d", "FETCH 3 RFC822.TEXT"))[3]
        self.assertIn(b"RFC822.TEXT {", f)
        self.assertIn(b"Hello Ann", f)
        self.assertIn(b"FLAGS (\\Seen", f)
        f = fetch_map(self.ok("e", "FETCH 3 RFC822"))[3]
        self.assertIn(b"RFC822 {%d}\r\nFrom: Terry" % len(PLAIN), f)
        self.ok("f", "STORE 3 -FLAGS.SILENT (\\Seen)")
        f = fetch_map(self.ok("g", "FETCH 3 (FLAGS BODY[1])"))[3]
        self.assertIn(b"FLAGS (\\Seen", f)
        self.ok("h", "STORE 3 -FLAGS.SILENT (\\Seen)")
        # EXAMINE: read-only, BODY[] does not set \Seen
        self.ok("i", "EXAMINE INBOX")
        f = fetch_map(self.ok("j", "FETCH 3 (BODY[])"))[3]
        self.assertNotIn(b"FLAGS", f)
        f = fetch_map(self.ok("k", "FETCH 3 FLAGS"))[3]
        self.assertNotIn(b"\\Seen", f)

    def test_uid_fetch(self):
        u = self.ok("a", "UID FETCH 2:3 FLAGS")
        f = fetch_map(u)
        self.assertEqual(sorted(f), [2, 3])
        self.assertTrue(f[2].startswith(b"UID 2 "), f[2])
        u = self.ok("b", "UID FETCH 100:200 FLAGS")
        self.assertEqual(fetch_map(u), {})
        u = self.ok("c", "UID FETCH 4:* UID")
        self.assertEqual(fetch_map(u), {4: b"UID 4"})
        # n:* with n above the highest UID still holds the highest
        u = self.ok("d", "UID FETCH 99:* UID")
        self.assertEqual(fetch_map(u), {4: b"UID 4"})
        u = self.ok("e", "UID FETCH 3,1,2:1 UID")
        self.assertEqual(sorted(fetch_map(u)), [1, 2, 3])

    def test_bad_sets_and_items(self):
        for cmd in ("FETCH 5 FLAGS", "FETCH 0 FLAGS", "FETCH 1:x FLAGS", "FETCH 1 NOSUCH",
                    "FETCH 1", "FETCH 1 (FLAGS", "FETCH 1 BODY[HEADER.FIELDS]",
                    "FETCH 1 BODY.PEEK[1.2.x]", "FETCH 1 FLAGS (NOSUCH 1)"):
            u, t = self.r.xcmd("b", cmd)
            self.assertTrue(t.startswith("b BAD"), cmd + " -> " + t)
        f = fetch_map(self.ok("c", "FETCH * UID"))
        self.assertEqual(f, {4: b"UID 4"})
        f = fetch_map(self.ok("d", "FETCH 4:2 UID"))
        self.assertEqual(sorted(f), [2, 3, 4])

    def test_cache(self):
        a = fetch_map(self.ok("a", "FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)"))
        cache = os.path.join(self.i.maildir(), "postern-cache")
        self.assertTrue(os.path.exists(cache))
        self.assertGreater(os.path.getsize(cache), 100)
        b = fetch_map(self.ok("b", "FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)"))
        self.assertEqual(a, b)
        r2 = login(self.i)
        r2.xcmd("s", "SELECT INBOX")
        u, t = r2.xcmd("c", "FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)")
        self.assertEqual(fetch_map(u), a)
        r2.xcmd("z", "LOGOUT")

    def test_not_selected(self):
        r = login(self.i)
        u, t = r.xcmd("a", "FETCH 1 FLAGS")
        self.assertTrue(t.startswith("a BAD"), t)
        r.xcmd("z", "LOGOUT")


if __name__ == "__main__":
    unittest.main()
