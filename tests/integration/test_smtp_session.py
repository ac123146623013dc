"""postern-smtpd over the network under `postern run`: Python's smtplib
(plain and STARTTLS), swaks, msmtp and curl as clients; pipelining in one
packet; STARTTLS with a command pipelined behind it (discarded); oversize,
too many recipients, relay attempt, unknown user, command timeout,
connection dropped mid-DATA, a client talking before the greeting,
reply sequencing; messages end up in the queue (postern-queue's log line
and, when the queue manager is installed, the Maildir)."""
import glob, os, re, smtplib, socket, ssl, subprocess, time, unittest

from postern_instance import (LIBEXEC, Supervisor, make_instance, make_tmpdir,
                              wait_port)

MSG = "From: a@remote.example\r\nTo: demo@example.test\r\nSubject: %s\r\n\r\nbody %s\r\n"


def tls_ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


class Raw:
    """A plain socket client for exact bytes."""

    def __init__(self, port, greet=True):
        self.s = socket.create_connection(("127.0.0.1", port), 10)
        self.buf = b""
        if greet:
            self.greeting = self.line()

    def send(self, b):
        self.s.sendall(b)

    def line(self, timeout=10):
        self.s.settimeout(timeout)
        while b"\n" not in self.buf:
            c = self.s.recv(4096)
            if not c:
                r, self.buf = self.buf, b""
                return r.decode(errors="replace")
            self.buf += c
        l, self.buf = self.buf.split(b"\n", 1)
        return l.decode(errors="replace").rstrip("\r")

    def reply(self, timeout=10):
        """A whole (multi-line) reply: list of lines."""
        out = [self.line(timeout)]
        while len(out[-1]) >= 4 and out[-1][3] == "-":
            out.append(self.line(timeout))
        return out

    def close(self):
        self.s.close()


class SmtpSessionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp)
        i = cls.inst
        i.set_config("smtpd_max_message_size", "100k")
        i.set_config("smtpd_max_recipients", "3")
        i.set_config("smtpd_command_timeout", "2s")
        i.set_config("smtpd_data_timeout", "2s")
        i.set_config("smtpd_max_errors", "20")
        i.set_config("smtpd_greet_pause", "1s")
        cls.sup = Supervisor(i)
        cls.sup.wait_line(r"event=listening service=smtp ")
        assert wait_port(i.ports["smtp"])
        cls.port = i.ports["smtp"]
        cls.has_send = os.path.exists(os.path.join(LIBEXEC, "postern-send"))

    @classmethod
    def tearDownClass(cls):
        cls.sup.stop()
        # smtpd_log_commands is off by default: no line per command
        assert "event=command" not in cls.sup.text(), "command lines logged by default"

    def queued_count(self):
        return len(re.findall(r"postern-queue\[\d+\]: event=queued", self.sup.text()))

    def smtp(self):
        return smtplib.SMTP("127.0.0.1", self.port, timeout=15)

    def wait_queued(self, n, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline and self.queued_count() < n:
            time.sleep(0.05)
        return self.queued_count()

    def maildir_count(self):
        return len(glob.glob(os.path.join(self.inst.maildir("demo@example.test"), "new", "*")))

    def test_01_smtplib_plain_and_delivery(self):
        before = self.queued_count()
        s = self.smtp()
        code, caps = s.ehlo("client.example")
        self.assertEqual(code, 250)
        for cap in (b"PIPELINING", b"SIZE 102400", b"8BITMIME", b"ENHANCEDSTATUSCODES",
                    b"STARTTLS", b"SMTPUTF8", b"CHUNKING", b"DSN"):
            self.assertIn(cap, caps)
        self.assertNotIn(b"AUTH", caps)     # AUTH on submission only
        s.mail("a@remote.example")
        s.rcpt("demo@example.test")
        code, text = s.data(MSG % ("plain", "one"))
        self.assertEqual(code, 250)
        self.assertRegex(text.decode(), r"^2\.0\.0 Ok: queued as \d+\.[0-9a-f]{16}$")
        qid = text.decode().rsplit(" ", 1)[1]
        s.quit()
        self.assertEqual(self.wait_queued(before + 1), before + 1)
        self.assertIn("id=%s" % qid, self.sup.text())
        if self.has_send:
            deadline = time.time() + 15
            found = None
            while time.time() < deadline and found is None:
                for f in glob.glob(os.path.join(self.inst.maildir("demo@example.test"), "new", "*")):
                    with open(f, "rb") as fh:
                        data = fh.read()
                    if b"Subject: plain" in data:
                        found = data
                time.sleep(0.1)
            self.assertIsNotNone(found, "not delivered into the Maildir")
            self.assertRegex(found, rb"Received: from client\.example \(\[127\.0\.0\.1\]\)\n\tby ")
            self.assertIn(b"body one\n", found)

    def test_02_starttls_smtplib(self):
        before = self.queued_count()
        s = self.smtp()
        s.ehlo()
        s.starttls(context=tls_ctx())
        code, caps = s.ehlo()
        self.assertNotIn(b"STARTTLS", caps)
        s.sendmail("a@remote.example", ["demo@example.test"], MSG % ("tls", "two"))
        s.quit()
        self.assertEqual(self.wait_queued(before + 1), before + 1)

    def test_03_pipelining_one_packet(self):
        before = self.queued_count()
        r = Raw(self.port)
        r.send(b"EHLO c.example\r\n")
        r.reply()
        r.send(b"MAIL FROM:<a@remote.example>\r\nRCPT TO:<demo@example.test>\r\n"
               b"RCPT TO:<nobody@example.test>\r\nDATA\r\n")
        self.assertTrue(r.line().startswith("250 2.1.0"))
        self.assertTrue(r.line().startswith("250 2.1.5"))
        self.assertTrue(r.line().startswith("550 5.1.1"))
        self.assertTrue(r.line().startswith("354"))
        r.send(b"Subject: piped\r\n\r\nx\r\n.\r\nMAIL FROM:<b@remote.example>\r\n"
               b"RCPT TO:<demo@example.test>\r\nDATA\r\n")
        self.assertRegex(r.line(), r"^250 2\.0\.0 Ok: queued as ")
        self.assertTrue(r.line().startswith("250 2.1.0"))
        self.assertTrue(r.line().startswith("250 2.1.5"))
        self.assertTrue(r.line().startswith("354"))
        r.send(b"Subject: piped2\r\n\r\ny\r\n.\r\nQUIT\r\n")
        self.assertRegex(r.line(), r"^250 2\.0\.0 Ok: queued as ")
        self.assertTrue(r.line().startswith("221"))
        r.close()
        self.assertEqual(self.wait_queued(before + 2), before + 2)

    def test_04_starttls_pipelined_command_discarded(self):
        r = Raw(self.port)
        r.send(b"EHLO c.example\r\n")
        r.reply()
        # A command pipelined behind STARTTLS must not be executed.
        r.send(b"STARTTLS\r\nMAIL FROM:<inject@remote.example>\r\n")
        self.assertTrue(r.line().startswith("220 2.0.0"))
        tls = tls_ctx().wrap_socket(r.s, server_hostname="localhost")
        tls.settimeout(10)
        # Nothing arrives unasked: the injected MAIL got no reply.
        tls.sendall(b"MAIL FROM:<x@remote.example>\r\n")
        data = tls.recv(4096).decode()
        # Session state was reset: MAIL before EHLO is out of sequence.
        self.assertTrue(data.startswith("503 5.5.1"), data)
        tls.sendall(b"EHLO c.example\r\n")
        data = b""
        while not re.search(rb"(^|\n)250 ", data):
            data += tls.recv(4096)
        self.assertNotIn(b"STARTTLS", data)
        tls.sendall(b"QUIT\r\n")
        tls.close()
        self.assertNotIn("inject@remote.example", self.sup.text())

    def test_05_oversize(self):
        before = self.queued_count()
        s = self.smtp()
        s.ehlo()
        code, text = s.mail("a@remote.example", ["SIZE=200000"])
        self.assertEqual(code, 552)
        s.rset()
        s.mail("a@remote.example")
        s.rcpt("demo@example.test")
        code, text = s.data(MSG % ("big", "x" * 200 + ("y" * 998 + "\r\n") * 120))
        self.assertEqual(code, 552)
        self.assertTrue(text.startswith(b"5.3.4"))
        s.quit()
        time.sleep(0.3)
        self.assertEqual(self.queued_count(), before)

    def test_06_too_many_recipients(self):
        r = Raw(self.port)
        r.send(b"EHLO c.example\r\n")
        r.reply()
        r.send(b"MAIL FROM:<a@remote.example>\r\n")
        r.line()
        for i in range(3):
            r.send(b"RCPT TO:<demo@example.test>\r\n")
            self.assertTrue(r.line().startswith("250"))
        r.send(b"RCPT TO:<demo@example.test>\r\n")
        self.assertTrue(r.line().startswith("452 4.5.3"))
        r.send(b"QUIT\r\n")
        r.close()

    def test_07_relay_and_unknown_user(self):
        s = self.smtp()
        s.ehlo()
        s.mail("a@remote.example")
        code, text = s.rcpt("someone@elsewhere.example")
        self.assertEqual((code, text[:5]), (554, b"5.7.1"))
        code, text = s.rcpt("nobody@example.test")
        self.assertEqual((code, text[:5]), (550, b"5.1.1"))
        code, text = s.rcpt("postmaster")
        self.assertEqual(code, 250)
        s.quit()

    def test_08_sequencing_and_misc(self):
        r = Raw(self.port)
        r.send(b"MAIL FROM:<a@b.example>\r\n")
        self.assertTrue(r.line().startswith("503 5.5.1"))
        r.send(b"HELO c.example\r\n")
        self.assertEqual(r.line()[:4], "250 ")
        r.send(b"RCPT TO:<demo@example.test>\r\n")
        self.assertTrue(r.line().startswith("503 5.5.1"))
        r.send(b"DATA\r\n")
        self.assertTrue(r.line().startswith("503 5.5.1"))
        r.send(b"VRFY demo\r\n")
        self.assertTrue(r.line().startswith("252 2.5.2"))
        r.send(b"HELP\r\n")
        self.assertTrue(r.line().startswith("214"))
        r.send(b"NOOP\r\n")
        self.assertTrue(r.line().startswith("250 2.0.0"))
        r.send(b"FOO bar\r\n")
        self.assertTrue(r.line().startswith("500 5.5.2"))
        r.send(b"AUTH PLAIN AGRlbW8AcHc=\r\n")
        self.assertTrue(r.line().startswith("502 5.5.1"))
        r.send(b"MAIL FROM:<a@b.example> FOO=bar\r\n")
        self.assertTrue(r.line().startswith("555 5.5.4"))
        r.send(b"MAIL FROM:<not an address>\r\n")
        self.assertTrue(r.line().startswith("501"))
        r.send(b"RSET\r\nQUIT\r\n")
        self.assertTrue(r.line().startswith("250 2.0.0"))
        self.assertTrue(r.line().startswith("221 2.0.0"))
        r.close()

    def test_09_timeout(self):
        r = Raw(self.port)
        r.send(b"EHLO c.example\r\n")
        r.reply()
        t = time.time()
        self.assertTrue(r.line(timeout=10).startswith("421 4.4.2"))
        self.assertLess(time.time() - t, 6)
        r.close()

    def test_10_dropped_mid_data(self):
        before = self.queued_count()
        r = Raw(self.port)
        r.send(b"EHLO c.example\r\n")
        r.reply()
        r.send(b"MAIL FROM:<a@remote.example>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
        r.line(); r.line()
        self.assertTrue(r.line().startswith("354"))
        r.send(b"Subject: dropped\r\n\r\npartial\r\n")
        r.close()
        time.sleep(1)
        self.assertEqual(self.queued_count(), before)
        self.assertNotIn("Subject: dropped", "".join(
            open(f, errors="replace").read() for f in glob.glob(
                os.path.join(self.inst.maildir("demo@example.test"), "new", "*"))))

    def test_11_talk_before_greeting(self):
        s = socket.create_connection(("127.0.0.1", self.port), 10)
        s.sendall(b"EHLO eager.example\r\n")
        s.settimeout(10)
        data = s.recv(4096)
        self.assertTrue(data.startswith(b"554 "), data)
        s.close()

    def test_12_swaks(self):
        before = self.queued_count()
        p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.port),
                            "--from", "a@remote.example", "--to", "demo@example.test",
                            "--header", "Subject: swaks"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"<-  250 2\.0\.0 Ok: queued as ")
        self.assertEqual(self.wait_queued(before + 1), before + 1)

    def test_12b_swaks_starttls(self):
        before = self.queued_count()
        p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.port),
                            "--from", "a@remote.example", "--to", "demo@example.test",
                            "--header", "Subject: swaks tls", "--tls"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("TLS started", p.stdout)
        self.assertRegex(p.stdout, r"<~  250 2\.0\.0 Ok: queued as ")
        self.assertEqual(self.wait_queued(before + 1), before + 1)

    def test_13_swaks_bdat(self):
        before = self.queued_count()
        p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.port),
                            "--from", "a@remote.example", "--to", "demo@example.test",
                            "--header", "Subject: pipelined", "--pipeline"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.wait_queued(before + 1), before + 1)

    def test_14_msmtp(self):
        before = self.queued_count()
        conf = os.path.join(self.tmp, "msmtprc")
        with open(conf, "w") as f:
            f.write("account default\nhost 127.0.0.1\nport %d\nfrom a@remote.example\n"
                    "tls on\ntls_starttls on\ntls_certcheck off\nauth off\n" % self.port)
        os.chmod(conf, 0o600)
        p = subprocess.run(["msmtp", "-C", conf, "demo@example.test"],
                           input="Subject: msmtp\n\nhello from msmtp\n",
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.wait_queued(before + 1), before + 1)

    def test_15_curl(self):
        before = self.queued_count()
        mail = os.path.join(self.tmp, "curl.eml")
        with open(mail, "w") as f:
            f.write("Subject: curl\r\n\r\nhello from curl\r\n")
        p = subprocess.run(["curl", "-sS", "--url", "smtp://127.0.0.1:%d" % self.port,
                            "--mail-from", "a@remote.example", "--mail-rcpt",
                            "demo@example.test", "--upload-file", mail, "--ssl-reqd", "-k"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.wait_queued(before + 1), before + 1)

    def test_16_smtputf8_and_dsn(self):
        s = self.smtp()
        s.ehlo()
        code, _ = s.mail("a@remote.example", ["SMTPUTF8", "RET=HDRS", "ENVID=abc+2Bdef"])
        self.assertEqual(code, 250)
        code, _ = s.rcpt("demo@example.test", ["NOTIFY=SUCCESS,FAILURE",
                                               "ORCPT=rfc822;demo@example.test"])
        self.assertEqual(code, 250)
        s.rset()
        s.command_encoding = "utf-8"
        code, text = s.mail("jörg@remote.example")
        self.assertEqual(code, 553)       # UTF-8 address without SMTPUTF8
        s.quit()


if __name__ == "__main__":
    unittest.main()
