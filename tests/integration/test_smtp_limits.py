"""postern-smtpd limits and lifecycle, run directly on pipes against an
instance: SIGTERM gives 421 4.3.2, too many errors 421 4.7.0, a data
timeout mid-DATA 421 4.4.2 with nothing queued, an over-long command line
500 5.5.2, and the session runs as the smtpd service user (root pass) or
as the invoking user before it reads anything."""
import os, pwd, signal, subprocess, time, unittest

from postern_instance import IS_ROOT, LIBEXEC, TEST_USER_PREFIX, make_instance, make_tmpdir


class SmtpLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp)
        cls.inst.set_config("smtpd_max_errors", "3")
        cls.inst.set_config("smtpd_data_timeout", "1s")
        cls.inst.set_config("smtpd_command_timeout", "3s")

    def start(self, ip="127.0.0.1"):
        e = dict(os.environ, POSTERN_CONF=self.inst.conf, TCPREMOTEIP=ip,
                 TCPREMOTEPORT="4242", POSTERN_LOG_STDERR="1")
        p = subprocess.Popen([os.path.join(LIBEXEC, "postern-smtpd")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
        greeting = p.stdout.readline()
        self.assertTrue(greeting.startswith(b"220 "), greeting)
        return p

    def todo(self):
        return os.listdir(os.path.join(self.inst.queue, "todo"))

    def test_runs_as_service_user(self):
        p = self.start()
        with open("/proc/%d/status" % p.pid) as f:
            uids = [l for l in f if l.startswith("Uid:")][0].split()[1:]
        want = pwd.getpwnam(TEST_USER_PREFIX + "smtpd").pw_uid if IS_ROOT else os.getuid()
        self.assertEqual(set(int(u) for u in uids), {want})
        with open("/proc/%d/status" % p.pid) as f:
            nnp = [l for l in f if l.startswith("NoNewPrivs:")][0].split()[1]
        self.assertEqual(nnp, "0")      # must be able to run setuid postern-queue
        p.communicate(b"QUIT\r\n", timeout=10)

    def test_sigterm(self):
        p = self.start()
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=10)
        self.assertTrue(out.startswith(b"421 4.3.2"), out)

    def test_too_many_errors(self):
        p = self.start()
        out, _ = p.communicate(b"FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n", timeout=10)
        lines = out.split(b"\r\n")
        self.assertEqual([l[:3] for l in lines[:4]], [b"500", b"500", b"500", b"421"], out)
        self.assertNotIn(b"250", out)

    def test_long_command_line(self):
        p = self.start()
        out, _ = p.communicate(b"NOOP " + b"x" * 20000 + b"\r\nNOOP\r\nQUIT\r\n", timeout=10)
        self.assertTrue(out.startswith(b"500 5.5.2 Line too long"), out)
        self.assertIn(b"250 2.0.0 Ok", out)

    def test_data_timeout(self):
        before = self.todo()
        p = self.start()
        p.stdin.write(b"EHLO c.example\r\nMAIL FROM:<a@remote.example>\r\n"
                      b"RCPT TO:<demo@example.test>\r\nDATA\r\nSubject: slow\r\n\r\npartial\r\n")
        p.stdin.flush()
        t = time.time()
        # keep stdin open: the client is just slow
        out = b""
        while b"421" not in out and time.time() - t < 10:
            chunk = os.read(p.stdout.fileno(), 4096)
            if not chunk:
                break
            out += chunk
        self.assertIn(b"354", out)
        self.assertIn(b"421 4.4.2", out)
        self.assertLess(time.time() - t, 6)
        p.stdin.close()
        p.wait(10)
        self.assertEqual(self.todo(), before)


    def test_relaynets(self):
        with open(os.path.join(self.inst.etc, "relaynets"), "w") as f:
            f.write("# test\n192.0.2.0/24\n")
        try:
            p = self.start(ip="192.0.2.7")
            out, _ = p.communicate(b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n"
                                   b"RCPT TO:<x@elsewhere.example>\r\nQUIT\r\n", timeout=10)
            self.assertIn(b"250 2.1.5", out)
            p = self.start(ip="198.51.100.7")
            out, _ = p.communicate(b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\n"
                                   b"RCPT TO:<x@elsewhere.example>\r\nQUIT\r\n", timeout=10)
            self.assertIn(b"554 5.7.1", out)
        finally:
            with open(os.path.join(self.inst.etc, "relaynets"), "w") as f:
                f.write("")

    def test_envelope_contents(self):
        envtool = os.path.join(os.environ.get("POSTERN_BUILD", "build"), "fixtures",
                               "postern-test-envtool")
        before = set(self.todo())
        p = self.start()
        out, _ = p.communicate(
            b"EHLO client.example\r\nMAIL FROM:<a@remote.example> RET=HDRS ENVID=e+2B1 SIZE=100\r\n"
            b"RCPT TO:<demo@example.test> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;Demo@example.test\r\n"
            b"RCPT TO:<postmaster>\r\nDATA\r\nSubject: env\r\n\r\nx\r\n.\r\nQUIT\r\n", timeout=20)
        self.assertIn(b"queued as", out)
        new = set(self.todo()) - before
        self.assertEqual(len(new), 1)
        qid = new.pop()
        self.assertIn(qid.encode(), out)
        d = subprocess.run([envtool, "dump", os.path.join(self.inst.queue, "todo", qid)],
                           capture_output=True, text=True, check=True).stdout
        self.assertIn("sender=a@remote.example\n", d)
        self.assertIn("envid=e+1\n", d)
        self.assertIn("ret=2\n", d)
        self.assertIn("client_ip=127.0.0.1\n", d)
        self.assertIn("helo=client.example\n", d)
        self.assertIn("rcpt=demo@example.test notify=10 orcpt=Demo@example.test\n", d)
        self.assertIn("rcpt=postmaster notify=0", d)
        uid = pwd.getpwnam(TEST_USER_PREFIX + "smtpd").pw_uid if IS_ROOT else os.getuid()
        self.assertIn("uid=%d\n" % uid, d)


if __name__ == "__main__":
    unittest.main()
