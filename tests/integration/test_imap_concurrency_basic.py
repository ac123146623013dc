"""Several sessions on one mailbox while mail arrives: session A watches
with NOOP, session B APPENDs and EXPUNGEs, a delivery agent drops
messages into new/ and another client changes flags on disk, all at
once.  A's view stays exact: every EXISTS/EXPUNGE it gets keeps its
count equal to what is on disk at the end, EXPUNGE sequence numbers are
always in range, flag changes arrive as FETCH (UID n FLAGS ...), and no
UID is ever handed out twice (APPENDUID after expunges is above every
earlier UID).  With the message commands built: two sessions adding flags
to one message at once lose neither, one session's STORE reaches the
other as FETCH, and an expunge is not announced while answering FETCH,
STORE or SEARCH by sequence number, only with UID SEARCH or NOOP."""
import os, re, threading, time, unittest

from imap_instance import ImapInstance, message


class View:
    """A client's model of the mailbox from untagged responses."""

    def __init__(self, count):
        self.count = count
        self.flag_uids = set()

    def feed(self, lines, test):
        for l in lines:
            m = re.match(r"^\* (\d+) EXISTS$", l)
            if m:
                test.assertGreaterEqual(int(m.group(1)), self.count - 0)
                self.count = int(m.group(1))
                continue
            m = re.match(r"^\* (\d+) EXPUNGE$", l)
            if m:
                seq = int(m.group(1))
                test.assertTrue(1 <= seq <= self.count, "EXPUNGE %d of %d" % (seq, self.count))
                self.count -= 1
                continue
            m = re.match(r"^\* (\d+) FETCH \(UID (\d+) FLAGS \(([^)]*)\)\)$", l)
            if m:
                test.assertTrue(1 <= int(m.group(1)) <= self.count)
                self.flag_uids.add(int(m.group(2)))


class ImapConcurrency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance().start()

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def files(self):
        md = self.i.maildir()
        return [os.path.join(md, d, f) for d in ("new", "cur") for f in os.listdir(os.path.join(md, d))]

    def test_two_sessions_and_delivery(self):
        a = self.i.raw_login()
        b = self.i.raw_login()
        u, _ = a.cmd("a1", "SELECT INBOX")
        va = View(0)
        va.feed(u, self)
        b.cmd("b1", "SELECT INBOX")
        stop = threading.Event()

        def deliver():
            for n in range(20):
                self.i.deliver(message("deliv %d" % n))
                time.sleep(0.02)

        def flagger():
            # another client marks messages \Seen on disk (new/ -> cur/)
            md = self.i.maildir()
            while not stop.is_set():
                for f in os.listdir(os.path.join(md, "new"))[:2]:
                    try:
                        os.rename(os.path.join(md, "new", f), os.path.join(md, "cur", f + ":2,S"))
                    except OSError:
                        pass
                time.sleep(0.05)

        t1 = threading.Thread(target=deliver)
        t2 = threading.Thread(target=flagger)
        t1.start()
        t2.start()
        uids = []
        for n in range(10):
            m = message("append %d" % n).replace("\n", "\r\n")
            _, t = b.cmd("b2%d" % n, "APPEND INBOX {%d+}\r\n%s" % (len(m), m))
            mm = re.search(r"\[APPENDUID (\d+) (\d+)\]", t)
            self.assertTrue(mm, t)
            uids.append(int(mm.group(2)))
            u, _ = a.cmd("a2%d" % n, "NOOP")
            va.feed(u, self)
        t1.join()
        stop.set()
        t2.join()
        self.assertEqual(uids, sorted(set(uids)))
        # B expunges every message that has "deliv" and an even number
        for p in self.files():
            with open(p, "rb") as f:
                m = re.search(rb"Subject: deliv (\d+)", f.read())
            if m and int(m.group(1)) % 2 == 0:
                d, base = os.path.split(p)
                base = base.split(":")[0]
                os.rename(p, os.path.join(os.path.dirname(d), "cur", base + ":2,ST"))
        u, t = b.cmd("b3", "EXPUNGE")
        self.assertTrue(t.startswith("b3 OK"), t)
        self.assertEqual(len([l for l in u if l.endswith(" EXPUNGE")]), 10)
        u, _ = a.cmd("a3", "NOOP")
        va.feed(u, self)
        # The flagger above may rename a message before A first sees it
        # (then A learns its flags with EXISTS, not as a change), so one
        # flag change on disk to a message A already knows is certain.
        known = sorted(f for f in os.listdir(os.path.join(self.i.maildir(), "cur"))
                       if ":2," in f and "F" not in f.split(":2,")[1])
        self.assertTrue(known, "no message in cur/ to flag")
        cur = os.path.join(self.i.maildir(), "cur")
        base, fl = known[0].split(":2,")
        os.rename(os.path.join(cur, known[0]),
                  os.path.join(cur, base + ":2," + "".join(sorted(fl + "F"))))
        u, _ = a.cmd("a3b", "NOOP")
        self.assertTrue(any(re.match(r"^\* \d+ FETCH \(UID \d+ FLAGS \([^)]*\\Flagged", l) for l in u), u)
        va.feed(u, self)
        # A new message after the expunges gets a UID above all before.
        m = message("after").replace("\n", "\r\n")
        _, t = b.cmd("b4", "APPEND INBOX {%d+}\r\n%s" % (len(m), m))
        last = int(re.search(r"\[APPENDUID \d+ (\d+)\]", t).group(1))
        self.assertGreater(last, max(uids))
        self.assertGreaterEqual(last, 31)
        u, _ = a.cmd("a4", "NOOP")
        va.feed(u, self)
        self.assertEqual(va.count, 21)
        self.assertEqual(len(self.files()), 21)
        self.assertTrue(va.flag_uids, "no FETCH FLAGS update seen")
        c = self.i.raw_login()
        u, _ = c.cmd("c1", "STATUS INBOX (MESSAGES UIDNEXT)")
        self.assertEqual(u, ['* STATUS "INBOX" (MESSAGES 21 UIDNEXT %d)' % (last + 1)])
        for r in (a, b, c):
            r.cmd("z", "LOGOUT")

    def store_built(self, r):
        _, t = r.cmd("s0", "STORE 1 +FLAGS.SILENT (\\Seen)")
        return "Unknown" not in t

    def test_store_expunge_rules(self):
        a = self.i.raw_login()
        b = self.i.raw_login()
        a.cmd("a0", "CREATE conc")
        for n in range(4):
            m = "Subject: c%d\r\n\r\nx\r\n" % n
            a.cmd("a1%d" % n, "APPEND conc {%d+}\r\n%s" % (len(m), m))
        a.cmd("a2", "SELECT conc")
        b.cmd("b2", "SELECT conc")
        if not self.store_built(a):
            self.skipTest("STORE/FETCH not built into postern-imapd")
        # both sessions add a flag to the same message at once: none is lost
        a.send("a3 STORE 2 +FLAGS (\\Flagged)\r\n")
        b.send("b3 STORE 2 +FLAGS (\\Answered)\r\n")
        a.until_tag("a3")
        b.until_tag("b3")
        u, _ = a.cmd("a4", "FETCH 2 (FLAGS)")
        self.assertTrue(any("\\Flagged" in l and "\\Answered" in l for l in u), u)
        # B's STORE reaches A as an unsolicited FETCH
        b.cmd("b5", "STORE 3 +FLAGS (\\Draft)")
        u, _ = a.cmd("a5", "NOOP")
        self.assertTrue(any(re.match(r"^\* 3 FETCH \(UID 3 FLAGS \(.*\\Draft.*\)\)$", l) for l in u), u)
        # B expunges message 1; A's FETCH/STORE/SEARCH by sequence number
        # must not announce it (RFC 9051 7.5.1), the UID form and NOOP may
        b.cmd("b6", "STORE 1 +FLAGS.SILENT (\\Deleted)")
        _, t = b.cmd("b7", "EXPUNGE")
        self.assertTrue(t.startswith("b7 OK"), t)
        for tag, cmd in (("a6", "FETCH 1:* (FLAGS)"), ("a7", "STORE 4 +FLAGS (\\Seen)"),
                         ("a8", "SEARCH ALL")):
            u, t = a.cmd(tag, cmd)
            self.assertTrue(t.startswith(tag + " OK"), t)
            self.assertFalse(any(l.endswith(" EXPUNGE") for l in u), (cmd, u))
        u, t = a.cmd("a9", "UID SEARCH ALL")
        self.assertIn("* 1 EXPUNGE", u)
        u, _ = a.cmd("a10", "SEARCH ALL")
        self.assertIn("* SEARCH 1 2 3", u)
        for r in (a, b):
            r.cmd("z", "LOGOUT")


if __name__ == "__main__":
    unittest.main()
