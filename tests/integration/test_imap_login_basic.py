"""postern-imap-login through the real chain (postern run: listen -> tls ->
login -> postern-imap-login -> checkpassword -> postern-imapd): greeting
and CAPABILITY (SASL-IR, AUTH=, STARTTLS), LOGIN right and wrong,
AUTHENTICATE PLAIN with and without SASL-IR, AUTHENTICATE LOGIN, cancel,
ID, NOOP, LOGOUT, commands refused before login, `a LOGIN` and `b SELECT`
in one write both answered, literals in LOGIN, and the pre-auth process
running unprivileged and chrooted (as root) before any client byte."""
import base64, os, pwd, socket, time, unittest

import harness as H
from imap_instance import PASSWORD, USER, ImapInstance


def b64(s):
    return base64.b64encode(s.encode()).decode()


class ImapLoginBasic(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance(config={"imap_auth_fail_delay": "0"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_greeting_and_capability(self):
        r = self.i.raw(greet=False)
        g = r.line()
        self.assertRegex(g, r"^\* OK \[CAPABILITY IMAP4rev1 .*\] ")
        for cap in ("IMAP4rev2", "SASL-IR", "AUTH=PLAIN", "AUTH=LOGIN", "STARTTLS", "LITERAL+", "ID"):
            self.assertIn(" " + cap, g)
        self.assertNotIn("LOGINDISABLED", g)       # loopback: allowed
        u, t = r.cmd("a", "CAPABILITY")
        self.assertEqual(t, "a OK CAPABILITY completed")
        self.assertEqual(len(u), 1)
        self.assertTrue(u[0].startswith("* CAPABILITY IMAP4rev1 "))
        self.assertIn(" STARTTLS", u[0])
        _, t = r.cmd("b", "NOOP")
        self.assertEqual(t, "b OK NOOP completed")
        u, t = r.cmd("c", 'ID ("name" "test")')
        self.assertEqual(u, ['* ID ("name" "postern")'])
        self.assertTrue(t.startswith("c OK"))
        _, t = r.cmd("d", "SELECT INBOX")
        self.assertTrue(t.startswith("d BAD"), t)
        _, t = r.cmd("e", "LOGIN onlyone")
        self.assertTrue(t.startswith("e BAD"), t)
        u, t = r.cmd("f", "LOGOUT")
        self.assertEqual(u, ["* BYE Logging out"])
        self.assertEqual(t, "f OK LOGOUT completed")
        self.assertTrue(r.eof())

    def test_login_ok_and_wrong(self):
        r = self.i.raw()
        _, t = r.cmd("a", 'LOGIN "%s" "wrong"' % USER)
        self.assertEqual(t, "a NO [AUTHENTICATIONFAILED] Authentication failed")
        _, t = r.cmd("b", 'LOGIN "%s" "%s"' % (USER, PASSWORD))
        self.assertRegex(t, r"^b OK \[CAPABILITY IMAP4rev1 .*IDLE.*\] Logged in$")
        u, t = r.cmd("c", "SELECT INBOX")
        self.assertTrue(t.startswith("c OK [READ-WRITE]"), t)
        self.assertIn("* 0 EXISTS", u)
        r.cmd("d", "LOGOUT")

    def test_login_literals(self):
        r = self.i.raw()
        r.send("a LOGIN {%d}\r\n" % len(USER))
        self.assertTrue(r.line().startswith("+"))
        r.send("%s {%d+}\r\n%s\r\n" % (USER, len(PASSWORD), PASSWORD))
        _, t = r.until_tag("a")
        self.assertTrue(t.startswith("a OK"), t)
        r.cmd("z", "LOGOUT")

    def test_pipelined_login_and_select(self):
        r = self.i.raw()
        r.send('a LOGIN "%s" "%s"\r\nb SELECT INBOX\r\nc NOOP\r\n' % (USER, PASSWORD))
        _, t = r.until_tag("a")
        self.assertTrue(t.startswith("a OK [CAPABILITY"), t)
        u, t = r.until_tag("b")
        self.assertTrue(t.startswith("b OK [READ-WRITE]"), t)
        self.assertTrue(any(l.startswith("* OK [UIDVALIDITY ") for l in u), u)
        _, t = r.until_tag("c")
        self.assertEqual(t, "c OK NOOP completed")
        r.cmd("d", "LOGOUT")

    def test_authenticate_plain_sasl_ir(self):
        r = self.i.raw()
        _, t = r.cmd("a", "AUTHENTICATE PLAIN " + b64("\0%s\0%s" % (USER, PASSWORD)))
        self.assertTrue(t.startswith("a OK [CAPABILITY"), t)
        r.cmd("z", "LOGOUT")

    def test_authenticate_plain_continuation(self):
        r = self.i.raw()
        r.send("a AUTHENTICATE PLAIN\r\n")
        self.assertEqual(r.line(), "+ ")
        r.send(b64("\0%s\0%s" % (USER, PASSWORD)) + "\r\n")
        _, t = r.until_tag("a")
        self.assertTrue(t.startswith("a OK"), t)
        r.cmd("z", "LOGOUT")

    def test_authenticate_login(self):
        r = self.i.raw()
        r.send("a AUTHENTICATE LOGIN\r\n")
        self.assertTrue(r.line().startswith("+ "))
        r.send(b64(USER) + "\r\n")
        self.assertTrue(r.line().startswith("+ "))
        r.send(b64(PASSWORD) + "\r\n")
        _, t = r.until_tag("a")
        self.assertTrue(t.startswith("a OK"), t)
        r.cmd("z", "LOGOUT")

    def test_authenticate_cancel_bad_and_unknown(self):
        r = self.i.raw()
        r.send("a AUTHENTICATE PLAIN\r\n")
        self.assertEqual(r.line(), "+ ")
        r.send("*\r\n")
        _, t = r.until_tag("a")
        self.assertEqual(t, "a BAD Authentication cancelled")
        _, t = r.cmd("b", "AUTHENTICATE PLAIN !!notbase64")
        self.assertTrue(t.startswith("b BAD"), t)
        _, t = r.cmd("c", "AUTHENTICATE CRAM-MD5")
        self.assertTrue(t.startswith("c NO"), t)
        _, t = r.cmd("d", "AUTHENTICATE PLAIN " + b64("\0%s\0nope" % USER))
        self.assertEqual(t, "d NO [AUTHENTICATIONFAILED] Authentication failed")
        r.cmd("z", "LOGOUT")

    def test_imaplib(self):
        c = self.i.imap()
        typ, _ = c.noop()
        self.assertEqual(typ, "OK")
        typ, data = c.capability()
        self.assertIn(b"IDLE", data[0])
        c.logout()

    def test_preauth_process_unprivileged(self):
        r = self.i.raw()
        pids = H.wait_for(lambda: [p for p in H.descendants(self.i.sup.proc.pid)
                                   if H.proc_exe_name(p) == "postern-imap-login"])
        self.assertTrue(pids)
        for pid in pids:
            st = H.proc_status(pid)
            self.assertEqual(st["CapEff"], 0)
            self.assertEqual(st["NoNewPrivs"], 1)
            if H.IS_ROOT:
                pw = pwd.getpwnam("ptest-auth")
                self.assertEqual(st["Uid"], [pw.pw_uid] * 4)
                self.assertEqual(H.proc_root(pid), os.path.join(self.i.inst.dir, "empty"))
            else:
                self.assertEqual(st["Uid"], [os.getuid()] * 4)
        r.cmd("z", "LOGOUT")

    def test_postauth_runs_as_mail_user(self):
        r = self.i.raw_login()
        r.cmd("a", "SELECT INBOX")
        pids = H.wait_for(lambda: [p for p in H.descendants(self.i.sup.proc.pid)
                                   if H.proc_exe_name(p) == "postern-imapd"])
        self.assertTrue(pids)
        home = os.path.dirname(self.i.maildir())
        for pid in pids:
            st = H.proc_status(pid)
            self.assertEqual(st["CapEff"], 0)
            want = os.stat(home).st_uid if H.IS_ROOT else os.getuid()
            self.assertEqual(st["Uid"], [want] * 4)
            if H.IS_ROOT:
                self.assertNotEqual(want, 0)
        r.cmd("z", "LOGOUT")


class ImapLoginLimits(unittest.TestCase):
    def test_failure_limit_and_delay(self):
        i = ImapInstance(config={"imap_auth_failures": "2", "imap_auth_fail_delay": "1s"}).start()
        try:
            r = i.raw()
            t0 = time.time()
            _, t = r.cmd("a", 'LOGIN "%s" "bad1"' % USER)
            self.assertTrue(t.startswith("a NO [AUTHENTICATIONFAILED]"))
            self.assertGreaterEqual(time.time() - t0, 0.9)
            r.send('b LOGIN "%s" "bad2"\r\n' % USER)
            self.assertTrue(r.line().startswith("b NO [AUTHENTICATIONFAILED]"))
            self.assertEqual(r.line(), "* BYE Too many authentication failures")
            self.assertTrue(r.eof())
        finally:
            i.stop()


if __name__ == "__main__":
    unittest.main()
