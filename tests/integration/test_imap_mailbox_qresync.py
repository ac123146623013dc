"""CONDSTORE and QRESYNC in the session core (RFC 7162) and IMAP4rev2
(RFC 9051) session behaviour: SELECT (CONDSTORE) and HIGHESTMODSEQ in
SELECT and STATUS, ENABLE QRESYNC, SELECT (QRESYNC (uidvalidity modseq
[known-uids])) answering VANISHED (EARLIER) and the flag changes since
modseq, VANISHED instead of EXPUNGE once QRESYNC is on, "* OK [CLOSED]"
when SELECT leaves a mailbox, unsolicited FETCH with MODSEQ; after
ENABLE IMAP4rev2 no RECENT and no UNSEEN in SELECT and a LIST response
with the mailbox name.  Skipped (with the reason) while postern-imapd
does not advertise CONDSTORE / IMAP4rev2 (they need the message
commands)."""
import os, re, unittest

from imap_instance import ImapInstance, message


class ImapQresync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance().start()
        r = cls.i.raw_login()
        u, _ = r.cmd("b", "CAPABILITY")
        cls.caps = u[0].split()[2:]
        r.cmd("z", "LOGOUT")

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def need(self, cap):
        if cap not in self.caps:
            self.skipTest("%s not advertised (message commands not built)" % cap)

    def setup_box(self, r, name, n):
        _, t = r.cmd("c0", "CREATE %s" % name)
        self.assertTrue(t.startswith("c0 OK"), t)
        for k in range(n):
            m = "Subject: %s %d\r\n\r\nx\r\n" % (name, k)
            _, t = r.cmd("c%d" % (k + 1), "APPEND %s {%d+}\r\n%s" % (name, len(m), m))
            self.assertTrue(" OK" in t, t)

    def mark(self, box, uidfile_pred, flags):
        cur = os.path.join(self.i.maildir(), "." + box, "cur")
        for f in os.listdir(cur):
            with open(os.path.join(cur, f), "rb") as fh:
                if uidfile_pred(fh.read()):
                    os.rename(os.path.join(cur, f), os.path.join(cur, f.split(":")[0] + ":2," + flags))

    def test_condstore_select_and_status(self):
        self.need("CONDSTORE")
        r = self.i.raw_login()
        self.setup_box(r, "cs", 2)
        u, t = r.cmd("a", "SELECT cs (CONDSTORE)")
        self.assertTrue(t.startswith("a OK [READ-WRITE]"), t)
        hms = [int(m.group(1)) for m in (re.match(r"^\* OK \[HIGHESTMODSEQ (\d+)\]", l) for l in u) if m]
        self.assertEqual(len(hms), 1, u)
        u, _ = r.cmd("b", "STATUS cs (HIGHESTMODSEQ MESSAGES)")
        self.assertEqual(u, ['* STATUS "cs" (HIGHESTMODSEQ %d MESSAGES 2)' % hms[0]])
        # a flag change by someone else arrives with its MODSEQ
        self.mark("cs", lambda b: b.startswith(b"Subject: cs 1"), "F")
        u, _ = r.cmd("c", "NOOP")
        self.assertTrue(any(re.match(r"^\* 2 FETCH \(UID 2 FLAGS \(\\Flagged( \\Recent)?\) MODSEQ \(\d+\)\)$", l) for l in u), u)
        r.cmd("z", "LOGOUT")

    def test_qresync(self):
        self.need("QRESYNC")
        r = self.i.raw_login()
        self.setup_box(r, "qr", 4)
        u, _ = r.cmd("a", "ENABLE QRESYNC")
        self.assertEqual(u, ["* ENABLED QRESYNC"])
        u, t = r.cmd("b", "SELECT qr")
        uv = int(next(re.match(r"^\* OK \[UIDVALIDITY (\d+)\]", l).group(1) for l in u if "UIDVALIDITY" in l))
        ms = int(next(re.match(r"^\* OK \[HIGHESTMODSEQ (\d+)\]", l).group(1) for l in u if "HIGHESTMODSEQ" in l))
        # changes while "offline": expunge UID 2 and flag UID 3
        r2 = self.i.raw_login()
        r2.cmd("a", "SELECT qr")
        self.mark("qr", lambda b: b.startswith(b"Subject: qr 1"), "T")
        r2.cmd("b", "EXPUNGE")
        self.mark("qr", lambda b: b.startswith(b"Subject: qr 2"), "S")
        r2.cmd("c", "NOOP")
        r2.cmd("z", "LOGOUT")
        u, t = r.cmd("c", "SELECT INBOX")
        self.assertIn("* OK [CLOSED] Previous mailbox closed", u)
        u, t = r.cmd("d", "SELECT qr (QRESYNC (%d %d 1:4))" % (uv, ms))
        self.assertTrue(t.startswith("d OK"), t)
        self.assertIn("* VANISHED (EARLIER) 2", u)
        self.assertTrue(any(re.match(r"^\* 2 FETCH \(UID 3 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$", l) for l in u), u)
        # an expunge now comes as VANISHED
        self.mark("qr", lambda b: b.startswith(b"Subject: qr 3"), "T")
        u, t = r.cmd("e", "EXPUNGE")
        self.assertIn("* VANISHED 4", u)
        self.assertFalse(any(l.endswith(" EXPUNGE") for l in u), u)
        _, t = r.cmd("f", "SELECT qr (QRESYNC (0 1))")
        self.assertTrue(t.startswith("f BAD"), t)
        r.cmd("z", "LOGOUT")

    def test_rev2_select(self):
        self.need("IMAP4rev2")
        r = self.i.raw_login()
        self.setup_box(r, "r2", 1)
        u, _ = r.cmd("a", "ENABLE IMAP4rev2")
        self.assertEqual(u, ["* ENABLED IMAP4rev2"])
        u, t = r.cmd("b", "SELECT r2")
        self.assertTrue(t.startswith("b OK [READ-WRITE]"), t)
        self.assertFalse(any("RECENT" in l or "UNSEEN" in l for l in u), u)
        self.assertIn('* LIST () "." "r2"', u)
        u, _ = r.cmd("c", "SELECT INBOX")
        self.assertIn("* OK [CLOSED] Previous mailbox closed", u)
        r.cmd("z", "LOGOUT")


if __name__ == "__main__":
    unittest.main()
