"""postern-pop3-login through the real chain (postern run: listen -> tls ->
login -> postern-pop3-login -> checkpassword -> postern-pop3d): greeting,
CAPA before login (RFC 2449), USER/PASS right and wrong, AUTH PLAIN with
and without an initial response and AUTH LOGIN (RFC 5034), cancel, the
mechanism listing, commands refused before login, USER/PASS/STAT/LIST in
one write, poplib, curl pop3://, fetchmail, the failure limit and delay,
no password in the log, and the pre-auth process unprivileged (and, as
root, chrooted) before any client byte."""
import base64, os, pwd, subprocess, tempfile, time, unittest

import harness as H
from pop3_instance import PASSWORD, USER, Pop3Instance, message


def b64(s):
    return base64.b64encode(s.encode()).decode()


class Pop3Login(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = Pop3Instance(config={"pop3_auth_fail_delay": "0"}).start()
        cls.i.deliver(message("first", "body one\n"))
        cls.i.deliver(message("second", "body two\n.leading dot\n"))

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_greeting_and_capa(self):
        r = self.i.raw(greet=False)
        self.assertEqual(r.line(), "+OK postern POP3 ready.")
        self.assertEqual(r.cmd("CAPA"), "+OK Capability list follows")
        caps = [l.decode() for l in r.multi()]
        for c in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS",
                  "USER", "SASL PLAIN LOGIN"):
            self.assertIn(c, caps)
        self.assertTrue(any(c.startswith("IMPLEMENTATION ") for c in caps))
        self.assertEqual(r.cmd("QUIT"), "+OK Logging out.")
        self.assertTrue(r.eof())

    def test_commands_before_login(self):
        r = self.i.raw()
        for cmd in ("STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "TOP 1 1", "RSET", "NOOP"):
            self.assertTrue(r.cmd(cmd).startswith("-ERR"), cmd)
        self.assertEqual(r.cmd("PASS x"), "-ERR No user name given (USER first).")
        self.assertTrue(r.cmd("XYZZY").startswith("-ERR"))
        self.assertTrue(r.cmd("APOP a b").startswith("-ERR"))
        self.assertTrue(r.cmd("USER").startswith("-ERR"))
        r.send(b"STAT\0\r\n")
        self.assertTrue(r.line().startswith("-ERR"))
        r.send(b"USER " + b"x" * 5000 + b"\r\n")
        self.assertEqual(r.line(), "-ERR Command line too long.")
        # still usable
        self.assertEqual(r.cmd("USER %s" % USER), "+OK")
        self.assertEqual(r.cmd("PASS %s" % PASSWORD), "+OK Logged in.")
        self.assertTrue(r.cmd("STAT").startswith("+OK 2 "))
        self.assertEqual(r.cmd("QUIT"), "+OK Logging out.")

    def test_user_pass_wrong_then_right(self):
        r = self.i.raw()
        self.assertEqual(r.cmd("USER %s" % USER), "+OK")
        self.assertEqual(r.cmd("PASS wrong"), "-ERR [AUTH] Authentication failed.")
        # RFC 1939: after a failed PASS, USER again
        self.assertEqual(r.cmd("PASS %s" % PASSWORD), "-ERR No user name given (USER first).")
        self.assertEqual(r.cmd("user %s" % USER), "+OK")
        self.assertEqual(r.cmd("pass %s" % PASSWORD), "+OK Logged in.")
        self.assertEqual(r.cmd("STAT").split()[:2], ["+OK", "2"])
        r.cmd("QUIT")
        self.assertNotIn(PASSWORD, self.i.log())
        self.assertNotIn("wrong", self.i.log().replace("event=auth_failed", ""))

    def test_pipelined_login_stat_list(self):
        r = self.i.raw()
        r.send("USER %s\r\nPASS %s\r\nSTAT\r\nLIST\r\nQUIT\r\n" % (USER, PASSWORD))
        self.assertEqual(r.line(), "+OK")
        self.assertEqual(r.line(), "+OK Logged in.")
        stat = r.line()
        self.assertRegex(stat, r"^\+OK 2 \d+$")
        self.assertTrue(r.line().startswith("+OK 2 messages"))
        lst = r.multi()
        self.assertEqual([l.split()[0] for l in lst], [b"1", b"2"])
        self.assertEqual(sum(int(l.split()[1]) for l in lst), int(stat.split()[2]))
        self.assertEqual(r.line(), "+OK Logging out.")
        self.assertTrue(r.eof())

    def test_auth_plain_initial_response(self):
        r = self.i.raw()
        self.assertEqual(r.cmd("AUTH PLAIN " + b64("\0%s\0%s" % (USER, PASSWORD))), "+OK Logged in.")
        self.assertTrue(r.cmd("STAT").startswith("+OK 2 "))
        r.cmd("QUIT")

    def test_auth_plain_continuation(self):
        r = self.i.raw()
        self.assertEqual(r.cmd("AUTH PLAIN"), "+ ")
        self.assertEqual(r.cmd(b64("\0%s\0%s" % (USER, PASSWORD))), "+OK Logged in.")
        r.cmd("QUIT")

    def test_auth_login(self):
        r = self.i.raw()
        self.assertTrue(r.cmd("AUTH LOGIN").startswith("+ "))
        self.assertTrue(r.cmd(b64(USER)).startswith("+ "))
        self.assertEqual(r.cmd(b64(PASSWORD)), "+OK Logged in.")
        r.cmd("QUIT")

    def test_auth_cancel_bad_unknown_listing(self):
        r = self.i.raw()
        self.assertEqual(r.cmd("AUTH PLAIN"), "+ ")
        self.assertEqual(r.cmd("*"), "-ERR Authentication cancelled.")
        self.assertTrue(r.cmd("AUTH PLAIN !!notbase64").startswith("-ERR"))
        self.assertEqual(r.cmd("AUTH CRAM-MD5"), "-ERR Unsupported authentication mechanism.")
        self.assertEqual(r.cmd("AUTH PLAIN " + b64("\0%s\0nope" % USER)), "-ERR [AUTH] Authentication failed.")
        self.assertTrue(r.cmd("AUTH").startswith("+OK"))
        self.assertEqual(r.multi(), [b"PLAIN", b"LOGIN"])
        r.cmd("QUIT")

    def test_poplib(self):
        c = self.i.pop()
        self.assertEqual(c.stat()[0], 2)
        resp, lines, octets = c.retr(2)
        self.assertTrue(resp.startswith(b"+OK"))
        self.assertIn(b".leading dot", lines)
        caps = c.capa()
        self.assertIn("UIDL", caps)
        c.quit()

    def test_curl(self):
        url = "pop3://127.0.0.1:%d/" % self.i.port
        auth = "%s:%s" % (USER, PASSWORD)
        p = subprocess.run(["curl", "-sS", "--max-time", "20", "-u", auth, url],
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([l.split()[0] for l in p.stdout.splitlines()], [b"1", b"2"])
        p = subprocess.run(["curl", "-sS", "--max-time", "20", "-u", auth, url + "2"],
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Subject: second", p.stdout)
        self.assertIn(b"\r\n.leading dot\r\n", p.stdout)
        # SASL PLAIN through curl's login options
        p = subprocess.run(["curl", "-sS", "--max-time", "20", "-u", auth,
                            "--login-options", "AUTH=PLAIN", url + "1"],
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"Subject: first", p.stdout)

    def test_fetchmail(self):
        d = tempfile.mkdtemp(prefix="postern-fetchmail-")
        try:
            out = os.path.join(d, "mbox")
            rc = os.path.join(d, "fetchmailrc")
            with open(rc, "w") as f:
                f.write('poll 127.0.0.1 protocol pop3 service %d auth password\n'
                        '  user "%s" password "%s" is "x" here\n'
                        '  keep sslproto "" mda "cat >> %s"\n' % (self.i.port, USER, PASSWORD, out))
            os.chmod(rc, 0o600)
            env = dict(os.environ, HOME=d, FETCHMAILHOME=d)
            p = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "--nosyslog", "-a", "-v",
                                "--uidl", "--idfile", os.path.join(d, "ids")],
                               capture_output=True, text=True, env=env, timeout=60)
            self.assertIn(p.returncode, (0,), p.stdout + p.stderr)
            with open(out, "rb") as f:
                got = f.read()
            self.assertIn(b"Subject: first", got)
            self.assertIn(b"Subject: second", got)
            # keep: nothing deleted on the server
            c = self.i.pop()
            self.assertEqual(c.stat()[0], 2)
            c.quit()
        finally:
            subprocess.run(["rm", "-rf", d])

    def test_preauth_process_unprivileged(self):
        r = self.i.raw()
        pids = H.wait_for(lambda: [p for p in H.descendants(self.i.sup.proc.pid)
                                   if H.proc_exe_name(p) == "postern-pop3-login"])
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
        r.cmd("QUIT")


class Pop3LoginLimits(unittest.TestCase):
    def test_failure_limit_and_delay(self):
        i = Pop3Instance(config={"pop3_auth_failures": "2", "pop3_auth_fail_delay": "1s"}).start()
        try:
            r = i.raw()
            t0 = time.time()
            r.cmd("USER %s" % USER)
            self.assertEqual(r.cmd("PASS bad1"), "-ERR [AUTH] Authentication failed.")
            self.assertGreaterEqual(time.time() - t0, 0.9)
            r.cmd("USER %s" % USER)
            self.assertEqual(r.cmd("PASS bad2"), "-ERR [AUTH] Too many authentication failures, closing.")
            self.assertTrue(r.eof())
            log = i.log()
            self.assertNotIn("bad1", log)
            self.assertNotIn("bad2", log)
        finally:
            i.stop()

    def test_too_many_bad_commands(self):
        i = Pop3Instance(config={"pop3_max_bad_commands": "3"}).start()
        try:
            r = i.raw()
            r.cmd("FOO")
            r.cmd("BAR")
            self.assertEqual(r.cmd("BAZ"), "-ERR Unknown command.")
            self.assertEqual(r.line(), "-ERR Too many bad commands, closing.")
            self.assertTrue(r.eof())
        finally:
            i.stop()


if __name__ == "__main__":
    unittest.main()
