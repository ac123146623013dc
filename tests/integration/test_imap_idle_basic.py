"""IDLE (RFC 2177 / RFC 9051 6.3.13): a session idling on INBOX hears of a
new delivery within 2 seconds (inotify), of a flag change made by another
program (FETCH FLAGS with the UID) and of an expunge made by another
session (EXPUNGE); DONE ends it with a tagged OK; anything else is BAD.
The same with inotify disabled (imap_idle_inotify = no: the polling
fallback used when inotify is unavailable or on NFS).  And end to end: a
message sent over SMTP goes through the queue and postern-deliver and
reaches the idling session within 2 seconds."""
import os, re, smtplib, socket, time, unittest

from imap_instance import ImapInstance, message


class IdleMixin:
    def wait_for(self, r, pattern, timeout):
        t0 = time.time()
        r.s.settimeout(timeout)
        while True:
            l = r.line()
            if re.search(pattern, l):
                return l, time.time() - t0

    def test_idle_sees_delivery_flags_expunge(self):
        r = self.i.raw_login()
        _, t = r.cmd("a", "SELECT INBOX")
        self.assertTrue(t.startswith("a OK"), t)
        r.send("b IDLE\r\n")
        self.assertEqual(r.line(), "+ idling")
        time.sleep(0.3)
        path = self.i.deliver(message("idle 1"))
        l, dt = self.wait_for(r, r"^\* \d+ EXISTS$", 5)
        self.assertLess(dt, 2.0, "EXISTS after %.2fs" % dt)
        n = int(l.split()[1])
        # flag change by another program (mutt moves new/ -> cur/ with flags)
        base = os.path.basename(path)
        os.rename(path, os.path.join(self.i.maildir(), "cur", base + ":2,FS"))
        l, dt = self.wait_for(r, r"^\* %d FETCH " % n, 5)
        self.assertLess(dt, 2.0)
        # \Recent: this session was the first to see the message
        self.assertRegex(l, r"^\* %d FETCH \(UID \d+ FLAGS \(\\Flagged \\Seen \\Recent\)\)$" % n)
        # expunge by a second session
        r2 = self.i.raw_login()
        r2.cmd("a", "SELECT INBOX")
        os.rename(os.path.join(self.i.maildir(), "cur", base + ":2,FS"),
                  os.path.join(self.i.maildir(), "cur", base + ":2,FST"))
        _, t = r2.cmd("b", "EXPUNGE")
        self.assertTrue(t.startswith("b OK"), t)
        r2.cmd("c", "LOGOUT")
        l, dt = self.wait_for(r, r"^\* %d EXPUNGE$" % n, 5)
        self.assertLess(dt, 2.0)
        r.send("DONE\r\n")
        _, t = r.until_tag("b")
        self.assertEqual(t, "b OK IDLE terminated")
        r.send("c IDLE\r\n")
        self.assertEqual(r.line(), "+ idling")
        r.send("NOTDONE\r\n")
        _, t = r.until_tag("c")
        self.assertTrue(t.startswith("c BAD"), t)
        _, t = r.cmd("d", "NOOP")
        self.assertEqual(t, "d OK NOOP completed")
        r.cmd("z", "LOGOUT")

    def test_idle_without_selected_mailbox(self):
        r = self.i.raw_login()
        r.send("a IDLE\r\n")
        self.assertEqual(r.line(), "+ idling")
        r.send("DONE\r\n")
        _, t = r.until_tag("a")
        self.assertEqual(t, "a OK IDLE terminated")
        r.cmd("z", "LOGOUT")


class IdleRealDelivery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance().start()
        cls.i.sup.wait_line(r"event=listening service=smtp ")

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_smtp_delivery_reaches_idle(self):
        r = self.i.raw_login()
        r.cmd("a", "SELECT INBOX")
        r.send("b IDLE\r\n")
        self.assertEqual(r.line(), "+ idling")
        s = smtplib.SMTP("127.0.0.1", self.i.inst.ports["smtp"], timeout=10)
        s.sendmail("bob@example.net", ["alice@example.test"],
                   "Subject: via smtp\r\n\r\nhello\r\n")
        s.quit()
        t0 = time.time()
        r.s.settimeout(5)
        while True:
            l = r.line()
            if re.match(r"^\* \d+ EXISTS$", l):
                break
        self.assertLess(time.time() - t0, 2.0)
        r.send("DONE\r\n")
        _, t = r.until_tag("b")
        self.assertEqual(t, "b OK IDLE terminated")
        r.cmd("z", "LOGOUT")


class IdleInotify(IdleMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance().start()

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()


class IdlePolling(IdleMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance(config={"imap_idle_inotify": "no"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_polling_logged(self):
        r = self.i.raw_login()
        r.cmd("a", "SELECT INBOX")
        r.send("b IDLE\r\n")
        self.assertEqual(r.line(), "+ idling")
        r.send("DONE\r\n")
        r.until_tag("b")
        r.cmd("z", "LOGOUT")
        self.assertIn("event=idle_poll", self.i.log())


if __name__ == "__main__":
    unittest.main()
