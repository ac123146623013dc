"""SEARCH and UID SEARCH through raw exchanges (RFC 3501 6.4.4, RFC 9051
6.4.4 and their examples; RFC 4731 ESEARCH; RFC 5182 SEARCHRES; RFC 5051
i;unicode-casemap): flag keys, NEW/OLD/RECENT, dates (INTERNALDATE and
Date:), sizes, header and address keys with RFC 2047 words, BODY/TEXT on
base64 and quoted-printable bodies in other charsets, sequence and UID
sets, NOT/OR/nesting, CHARSET, RETURN options, "$", and bad syntax."""
import re, unittest

from imap_instance import USER, ImapInstance
from imap_msgcmd_util import LitImap, append, login

M1 = ("From: Smith <smith@example.test>\r\nTo: jones@example.test\r\n"
      "Cc: boss@example.test\r\n"
      "Subject: =?ISO-8859-1?Q?Caf=E9_meeting?=\r\n"
      "Date: Wed, 17 Jul 1996 02:23:25 -0700\r\n"
      "X-Priority: 1\r\n\r\nLet us meet in the STRASSE cafe.\r\n")
M2 = ("From: Jones <jones@example.test>\r\nTo: smith@example.test\r\n"
      "Subject: Re: meeting\r\nDate: 1 Feb 1994 10:00:00 +0000\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n"
      "R3LDvMOfZSBhdXMgZGVyIFN0cmHDn2UK\r\n")   # "Grüße aus der Straße\n"
M3 = ("From: Other <other@example.test>\r\nTo: list@example.test\r\n"
      "Subject: Report\r\nDate: Mon, 3 Feb 1997 08:00:00 +0100\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
      "--x\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "Na=EFve r=E9sum=E9 attached=\r\n here\r\n"
      "--x\r\nContent-Type: message/rfc822\r\n\r\n"
      "From: inner@example.test\r\nSubject: hidden inner subject\r\n\r\ninner words\r\n"
      "--x--\r\n" + "X" * 3000 + "\r\n")


class ImapSearch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance().start()
        r = login(cls.i)
        append(r, M1, flags="\\Seen \\Flagged", date="17-Jul-1996 02:44:25 +0000")
        append(r, M2, flags="\\Answered $Label1", date="01-Feb-1994 12:00:00 +0000")
        append(r, M3, flags="\\Deleted \\Draft", date="05-Feb-1997 12:00:00 +0000")
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

    def search(self, keys, tag="a", prefix="SEARCH"):
        u, t = self.r.xcmd(tag, "%s %s" % (prefix, keys))
        self.assertTrue(t.startswith(tag + " OK"), "%s -> %s" % (keys, t))
        lines = [l.decode() for l in u if l.startswith(b"* SEARCH") or l.startswith(b"* ESEARCH")]
        self.assertEqual(len(lines), 1, u)
        return lines[0]

    def nums(self, keys, prefix="SEARCH"):
        l = self.search(keys, prefix=prefix)
        return [int(x) for x in l.split()[2:] if x.isdigit()]

    def test_flags(self):
        self.assertEqual(self.nums("SEEN"), [1])
        self.assertEqual(self.nums("UNSEEN"), [2, 3])
        self.assertEqual(self.nums("FLAGGED"), [1])
        self.assertEqual(self.nums("UNFLAGGED"), [2, 3])
        self.assertEqual(self.nums("ANSWERED"), [2])
        self.assertEqual(self.nums("UNANSWERED"), [1, 3])
        self.assertEqual(self.nums("DELETED"), [3])
        self.assertEqual(self.nums("UNDELETED"), [1, 2])
        self.assertEqual(self.nums("DRAFT"), [3])
        self.assertEqual(self.nums("UNDRAFT"), [1, 2])
        self.assertEqual(self.nums("KEYWORD $Label1"), [2])
        self.assertEqual(self.nums("UNKEYWORD $Label1"), [1, 3])
        self.assertEqual(self.nums("KEYWORD $NoSuch"), [])
        self.assertEqual(self.nums("UNKEYWORD $NoSuch"), [1, 2, 3])
        self.assertEqual(self.nums("ALL"), [1, 2, 3])

    def test_recent_new_old(self):
        # the first session after APPEND took \Recent (this one, at SELECT)
        self.assertEqual(self.nums("NOT RECENT"), self.nums("OLD"))
        self.assertEqual(self.nums("NEW"), [n for n in self.nums("RECENT") if n in self.nums("UNSEEN")])

    def test_dates(self):
        self.assertEqual(self.nums("BEFORE 1-Jan-1995"), [2])
        self.assertEqual(self.nums("SINCE 17-Jul-1996"), [1, 3])
        self.assertEqual(self.nums("ON 5-Feb-1997"), [3])
        self.assertEqual(self.nums('ON "05-Feb-1997"'), [3])
        self.assertEqual(self.nums("SENTON 3-Feb-1997"), [3])
        self.assertEqual(self.nums("SENTBEFORE 17-Jul-1996"), [2])
        self.assertEqual(self.nums("SENTSINCE 17-Jul-1996"), [1, 3])
        self.assertEqual(self.nums("SENTON 1-Feb-1994"), [2])
        for bad in ("BEFORE 1-Foo-1995", "ON 32-Jan-1995", "SINCE", "SENTON 1-Jan-95"):
            u, t = self.r.xcmd("b", "SEARCH " + bad)
            self.assertTrue(t.startswith("b BAD"), bad + " " + t)

    def test_sizes(self):
        self.assertEqual(self.nums("LARGER 2000"), [3])
        self.assertEqual(self.nums("SMALLER 2000"), [1, 2])
        sizes = [len(M1), len(M2), len(M3)]
        for n in (len(M1) - 1, len(M1), len(M2), len(M2) + 1):
            self.assertEqual(self.nums("LARGER %d" % n), [i + 1 for i in range(3) if sizes[i] > n])
            self.assertEqual(self.nums("SMALLER %d" % n), [i + 1 for i in range(3) if sizes[i] < n])

    def test_headers(self):
        self.assertEqual(self.nums("FROM smith"), [1])
        self.assertEqual(self.nums("FROM SMITH@EXAMPLE"), [1])
        self.assertEqual(self.nums("TO smith"), [2])
        self.assertEqual(self.nums("CC boss"), [1])
        self.assertEqual(self.nums("BCC boss"), [])
        self.assertEqual(self.nums("SUBJECT meeting"), [1, 2])
        self.assertEqual(self.nums('SUBJECT "café"'), [1])       # RFC 2047 decoded
        self.assertEqual(self.nums('CHARSET UTF-8 SUBJECT "CAFÉ"'), [1])
        self.assertEqual(self.nums("HEADER X-Priority 1"), [1])
        self.assertEqual(self.nums('HEADER X-Priority ""'), [1])
        self.assertEqual(self.nums('HEADER Content-Type ""'), [2, 3])
        self.assertEqual(self.nums("SUBJECT inner"), [])

    def test_body_text(self):
        self.assertEqual(self.nums("BODY strasse"), [1])
        self.assertEqual(self.nums('BODY "GRÜSSE"'), [])      # no full case folding of ß
        self.assertEqual(self.nums('BODY "grüße"'), [2])     # base64, UTF-8
        self.assertEqual(self.nums('BODY "RÉSUMÉ ATTACHED here"'), [3])   # QP, Latin-1, soft break
        self.assertEqual(self.nums("BODY smith"), [])        # headers are not BODY
        self.assertEqual(self.nums("TEXT smith"), [1, 2])
        self.assertEqual(self.nums("TEXT inner"), [3])       # embedded message's header
        self.assertEqual(self.nums('BODY "inner words"'), [3])
        # literal search string
        self.r.send(b"c SEARCH CHARSET UTF-8 BODY {6}\r\n")
        l = self.r.rline()
        self.assertTrue(l.startswith(b"+"), l)
        self.r.send("grüß\r\n".encode()[:6] + b"\r\n")
        u, t = self.r.xcmd("d", "NOOP")
        self.assertIn(b"* SEARCH 2", b"\n".join(u))

    def test_sets_and_logic(self):
        self.assertEqual(self.nums("1,3"), [1, 3])
        self.assertEqual(self.nums("2:*"), [2, 3])
        self.assertEqual(self.nums("*"), [3])
        self.assertEqual(self.nums("UID 2:3"), [2, 3])
        self.assertEqual(self.nums("UID 1,3", prefix="UID SEARCH"), [1, 3])
        self.assertEqual(self.nums("NOT SEEN"), [2, 3])
        self.assertEqual(self.nums("OR SEEN ANSWERED"), [1, 2])
        self.assertEqual(self.nums("OR (SEEN FLAGGED) (DELETED DRAFT)"), [1, 3])
        self.assertEqual(self.nums("NOT (OR SEEN (ANSWERED))"), [3])
        self.assertEqual(self.nums("((((SUBJECT meeting))))"), [1, 2])
        self.assertEqual(self.nums("SUBJECT meeting NOT FROM jones"), [1])
        self.assertEqual(self.nums("OR OR SEEN ANSWERED DELETED"), [1, 2, 3])
        # RFC 3501 example
        self.assertEqual(self.nums('FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"'), [])
        self.assertEqual(self.nums("NOT NOT NOT NOT SEEN"), [1])

    def test_errors(self):
        for bad in ("", "NOSUCH", "OR SEEN", "NOT", "()", "(SEEN", "HEADER", "UID x", "LARGER x",
                    "KEYWORD", "SUBJECT", "NOT " * 100 + "SEEN", "CHARSET"):
            u, t = self.r.xcmd("b", "SEARCH " + bad)
            self.assertTrue(t.startswith("b BAD"), repr(bad) + " " + t)
        u, t = self.r.xcmd("c", "SEARCH CHARSET KOI8-R SUBJECT x")
        self.assertTrue(t.startswith("c NO [BADCHARSET"), t)

    def test_esearch(self):
        l = self.search("RETURN (MIN MAX COUNT ALL) UNDELETED", tag="e1")
        self.assertEqual(l, '* ESEARCH (TAG "e1") MIN 1 MAX 2 ALL 1:2 COUNT 2')
        l = self.search("RETURN () ALL", tag="e2")
        self.assertEqual(l, '* ESEARCH (TAG "e2") ALL 1:3')
        l = self.search("RETURN (COUNT) KEYWORD $NoSuch", tag="e3")
        self.assertEqual(l, '* ESEARCH (TAG "e3") COUNT 0')
        l = self.search("RETURN (MIN) KEYWORD $NoSuch", tag="e4")
        self.assertEqual(l, '* ESEARCH (TAG "e4")')
        l = self.search("RETURN (ALL) 1,3", tag="e5", prefix="UID SEARCH")
        self.assertEqual(l, '* ESEARCH (TAG "e5") UID ALL 1,3')
        u, t = self.r.xcmd("e6", "SEARCH RETURN (BOGUS) ALL")
        self.assertTrue(t.startswith("e6 BAD"), t)

    def test_searchres(self):
        u, t = self.r.xcmd("a", "SEARCH RETURN (SAVE) UNSEEN")
        self.assertTrue(t.startswith("a OK"), t)
        self.assertEqual([l for l in u if b"SEARCH" in l], [])
        self.assertEqual(self.nums("$"), [2, 3])
        self.assertEqual(self.nums("UID $ SEEN"), [])
        u, t = self.r.xcmd("b", "FETCH $ UID")
        self.assertEqual(len([l for l in u if b"FETCH" in l]), 2)
        self.search("RETURN (SAVE MIN) ALL", tag="c")
        self.assertEqual(self.nums("$"), [1])
        self.search("RETURN (SAVE MIN MAX) ALL", tag="c2")
        self.assertEqual(self.nums("$"), [1, 3])
        # a failed SEARCH ... SAVE empties the result
        u, t = self.r.xcmd("d", "SEARCH RETURN (SAVE) NOSUCHKEY")
        self.assertTrue(t.startswith("d BAD"), t)
        self.assertEqual(self.nums("$"), [])
        # SELECT forgets it
        self.search("RETURN (SAVE ALL) ALL", tag="e")
        self.r.xcmd("f", "SELECT INBOX")
        self.assertEqual(self.nums("$"), [])

    def test_header_only_parse(self):
        # header keys read only the header: a message without one, a
        # header with no body, a long header, a body line that looks
        # like a header field
        self.r.xcmd("c", "CREATE HdrOnly")
        append(self.r, "\r\nSubject: not a header\r\n\r\nbody\r\n", mailbox="HdrOnly")
        append(self.r, "Subject: all header\r\nX-A: b", mailbox="HdrOnly")
        append(self.r, "X-Long: " + "y" * 300000 + "\r\nSubject: long one\r\n\r\nb\r\n",
               mailbox="HdrOnly")
        append(self.r, "Subject: first\r\n\r\nSubject: second\r\n", mailbox="HdrOnly")
        self.r.xcmd("s2", "SELECT HdrOnly")
        self.assertEqual(self.nums("SUBJECT header"), [2])
        self.assertEqual(self.nums("HEADER X-A b"), [2])
        self.assertEqual(self.nums("SUBJECT long"), [3])
        self.assertEqual(self.nums("SUBJECT second"), [])
        self.assertEqual(self.nums("BODY second"), [4])
        self.assertEqual(self.nums("TEXT \"not a header\""), [1])
        self.assertEqual(self.nums('HEADER Subject ""'), [2, 3, 4])
        self.assertEqual(self.nums("SENTBEFORE 1-Jan-1971"), [1, 2, 3, 4])

    def test_rev2_esearch(self):
        u, t = self.r.xcmd("a", "UNSELECT")
        u, t = self.r.xcmd("b", "ENABLE IMAP4rev2")
        self.assertTrue(t.startswith("b OK"), t)
        self.r.xcmd("c", "SELECT INBOX")
        l = self.search("SEEN", tag="d")
        self.assertEqual(l, '* ESEARCH (TAG "d") ALL 1')


if __name__ == "__main__":
    unittest.main()
