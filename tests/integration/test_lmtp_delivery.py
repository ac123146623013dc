"""postern-lmtpd (RFC 2033) in front of postern-lspawn: LHLO, RCPT checks
through the recipient tables, one reply per recipient after DATA with the
result of each delivery, the message in the Maildir with dots unstuffed
and LF line ends; Python's smtplib.LMTP as the client, postern-listen
running postern-lmtpd, `postern run` providing lspawn."""
import glob, os, shutil, smtplib, subprocess, time, unittest

from harness import IS_ROOT, free_port, prog
from postern_instance import Supervisor, make_instance, make_tmpdir, wait_port

MESSAGE = (b"From: a@example.org\r\nTo: demo@example.test\r\nSubject: lmtp\r\n\r\n"
           b"first\r\n.\r\n..two\r\nlast\r\n")


class LMTPDelivery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir("postern-lmtp-")
        cls.inst = make_instance(cls.tmp, users={"demo@example.test": "pw-demo-1",
                                                 "other@example.test": "pw-other-1",
                                                 "broken@example.test": "pw-broken-1"})
        cls.inst.set_config("lmtp_max_message_size", "100k")
        cls.sup = Supervisor(cls.inst)
        cls.sup.wait_line(r"event=started service=queue", timeout=20)
        sock = os.path.join(cls.inst.dir, "run", "lspawn.sock")
        deadline = time.time() + 10
        while not os.path.exists(sock) and time.time() < deadline:
            time.sleep(0.1)
        cls.port = free_port()
        env = dict(os.environ, POSTERN_CONF=cls.inst.conf, POSTERN_LOG_STDERR="1")
        cls.log = open(os.path.join(cls.tmp, "lmtp.log"), "w+")
        cls.listen = subprocess.Popen([prog("postern-listen"), "-n", "lmtp", "127.0.0.1", str(cls.port),
                                       prog("postern-lmtpd")], env=env, stderr=cls.log)
        assert wait_port(cls.port)

    @classmethod
    def tearDownClass(cls):
        cls.listen.terminate()
        cls.listen.wait(10)
        cls.sup.stop()
        cls.log.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def new_mail(self, user):
        return sorted(glob.glob(os.path.join(self.inst.maildir(user), "new", "*")))

    def client(self):
        c = smtplib.LMTP("127.0.0.1", self.port)
        code, _ = c.ehlo_or_helo_if_needed() or (250, b"")
        return c

    def test_greeting_and_lhlo(self):
        c = smtplib.LMTP("127.0.0.1", self.port)
        code, msg = c.docmd("EHLO", "x")
        self.assertEqual(code, 500)
        code, msg = c.docmd("MAIL", "FROM:<a@example.org>")
        self.assertEqual(code, 503)
        code, msg = c.ehlo("client.test")   # smtplib.LMTP sends LHLO
        self.assertEqual(code, 250)
        self.assertTrue(c.has_extn("pipelining"))
        self.assertTrue(c.has_extn("enhancedstatuscodes"))
        self.assertEqual(c.esmtp_features["size"], "102400")
        c.quit()

    def test_per_recipient_replies(self):
        before = {u: set(self.new_mail(u)) for u in ("demo@example.test", "other@example.test")}
        c = self.client()
        self.assertEqual(c.mail("a@example.org")[0], 250)
        self.assertEqual(c.rcpt("demo@example.test")[0], 250)
        self.assertEqual(c.rcpt("nobody@example.test")[0], 550)
        self.assertEqual(c.rcpt("someone@remote.example")[0], 550)
        self.assertEqual(c.rcpt("OTHER@example.test")[0], 250)
        code, msg = c.data(MESSAGE)
        replies = [(code, msg), c.getreply()]
        c.quit()
        self.assertEqual([r[0] for r in replies], [250, 250], replies)
        self.assertIn(b"<demo@example.test>", replies[0][1])
        self.assertIn(b"<OTHER@example.test>", replies[1][1])
        new = {}
        for u in ("demo@example.test", "other@example.test"):
            new[u] = sorted(set(self.new_mail(u)) - before[u])
            self.assertEqual(len(new[u]), 1)
        with open(new["demo@example.test"][0], "rb") as f:
            stored = f.read()
        self.assertNotIn(b"\r", stored)
        self.assertIn(b"\n\nfirst\n.\n..two\nlast\n", stored)   # smtplib stuffed, lmtpd unstuffed
        self.assertIn(b"(postern-lmtpd) with LMTP", stored)

    def test_failure_for_one_recipient_only(self):
        # broken's Maildir is a file: its delivery fails, demo's does not
        md = self.inst.maildir("broken@example.test")
        shutil.rmtree(md, ignore_errors=True)
        os.makedirs(os.path.dirname(md), exist_ok=True)
        with open(md, "w") as f:
            f.write("not a maildir\n")
        before = len(self.new_mail("demo@example.test"))
        c = self.client()
        c.mail("a@example.org")
        self.assertEqual(c.rcpt("broken@example.test")[0], 250)
        self.assertEqual(c.rcpt("demo@example.test")[0], 250)
        first = c.data(b"Subject: x\r\n\r\nbody\r\n")
        second = c.getreply()
        c.quit()
        self.assertIn(first[0] // 100, (4, 5), first)
        self.assertEqual(second[0], 250, second)
        self.assertEqual(len(self.new_mail("demo@example.test")), before + 1)

    def test_size_limit(self):
        c = self.client()
        code, _ = c.docmd("MAIL", "FROM:<a@example.org> SIZE=200000")
        self.assertEqual(code, 552)
        c.rset()
        c.mail("a@example.org")
        c.rcpt("demo@example.test")
        c.rcpt("other@example.test")
        big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 150
        code, msg = c.data(big)
        self.assertEqual(code, 552)
        self.assertEqual(c.getreply()[0], 552)
        c.quit()

    def test_pipelined_transaction(self):
        import socket
        s = socket.create_connection(("127.0.0.1", self.port))
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"220"))
        s.sendall(b"LHLO c\r\nMAIL FROM:<>\r\nRCPT TO:<demo@example.test>\r\n"
                  b"RCPT TO:<bad@example.test>\r\nDATA\r\n")
        lines = []
        while not lines or not lines[-1].startswith(b"354"):
            lines.append(f.readline())
        codes = [l[:3] for l in lines if l[3:4] == b" "]
        self.assertEqual(codes, [b"250", b"250", b"250", b"550", b"354"])
        before = set(self.new_mail("demo@example.test"))
        s.sendall(b"Subject: p\r\n\r\nhi\r\n..dot\r\n...two\r\n.\r\nQUIT\r\n")
        self.assertTrue(f.readline().startswith(b"250 2."))
        self.assertTrue(f.readline().startswith(b"221"))
        s.close()
        new = sorted(set(self.new_mail("demo@example.test")) - before)
        self.assertEqual(len(new), 1)
        with open(new[0], "rb") as m:
            stored = m.read()
        self.assertTrue(stored.endswith(b"\n\nhi\n.dot\n..two\n"), stored)
        self.assertIn(b"Return-Path: <>", stored)

    def test_runs_as_lmtp_user(self):
        # as root: the LMTP user; run by an ordinary user: that user
        import pwd
        c = self.client()
        pids = subprocess.run(["pgrep", "-P", str(self.listen.pid)], capture_output=True,
                              text=True).stdout.split()
        self.assertTrue(pids)
        uid = pwd.getpwnam("ptest-lmtp").pw_uid if IS_ROOT else os.getuid()
        with open("/proc/%s/status" % pids[0]) as f:
            self.assertIn("Uid:\t%d\t%d\t%d\t%d" % (uid, uid, uid, uid), f.read())
        c.quit()


if __name__ == "__main__":
    unittest.main()
