"""postern as the mailbox backend of Postfix: a private Postfix instance
(as root: its own config, queue and ports on loopback) relays a virtual
domain over LMTP to postern-lmtpd (behind postern-listen, lspawn from
`postern run`); the message lands in the postern Maildir, an unknown user
is refused at RCPT and Postfix bounces it.  Postfix's master only runs as
root; run by an ordinary user the test replays the command sequence
Postfix's lmtp(8) client sends (LHLO, MAIL with SIZE/BODY, RCPT with
NOTIFY/ORCPT, DATA with one reply per recipient) over a socket instead."""
import glob, os, shutil, smtplib, socket, subprocess, time, unittest

from harness import IS_ROOT, free_port, prog
from postern_instance import Supervisor, make_instance, make_tmpdir, wait_port

MAIN_CF = """compatibility_level = 3.6
myhostname = pf.localhost
mydomain = localhost
myorigin = localhost
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
queue_directory = {d}/postfix/queue
data_directory = {d}/postfix/data
maillog_file = {d}/postfix/maillog
maillog_file_prefixes = /var, /dev/stdout, /tmp
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks reject
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = example.test
virtual_transport = lmtp:inet:127.0.0.1:{lmtp}
default_transport = discard
relay_transport = discard
disable_dns_lookups = yes
smtp_host_lookup = native
lmtp_host_lookup = native
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
"""


class LMTPPostfix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir("postern-lmtp-pf-")
        cls.inst = make_instance(cls.tmp, users={"demo@example.test": "pw-demo-1"})
        cls.sup = Supervisor(cls.inst)
        cls.sup.wait_line(r"event=started service=queue", timeout=20)
        sock = os.path.join(cls.inst.dir, "run", "lspawn.sock")
        deadline = time.time() + 10
        while not os.path.exists(sock) and time.time() < deadline:
            time.sleep(0.1)
        cls.lmtp_port = free_port()
        env = dict(os.environ, POSTERN_CONF=cls.inst.conf, POSTERN_LOG_STDERR="1")
        cls.log = open(os.path.join(cls.tmp, "lmtp.log"), "w+")
        cls.listen = subprocess.Popen([prog("postern-listen"), "-n", "lmtp", "127.0.0.1",
                                       str(cls.lmtp_port), prog("postern-lmtpd")],
                                      env=env, stderr=cls.log)
        assert wait_port(cls.lmtp_port)
        cls.pf_conf = None
        if IS_ROOT:
            try:
                cls.start_postfix()
            except Exception:
                cls.tearDownClass()
                raise

    @classmethod
    def start_postfix(cls):
        d = cls.tmp
        conf = os.path.join(d, "postfix", "conf")
        for sub in ("conf", "queue", "data"):
            os.makedirs(os.path.join(d, "postfix", sub), exist_ok=True)
        cls.smtp_port = free_port()
        with open(os.path.join(conf, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(d=d, lmtp=cls.lmtp_port))
        src = os.path.join(os.environ.get("POSTERN_SRCDIR", ""), "bench", "peers", "postfix", "master.cf")
        with open(src) as f:
            master = f.read().replace("@SMTP_PORT@", str(cls.smtp_port))
        with open(os.path.join(conf, "master.cf"), "w") as f:
            f.write(master)
        pf_uid = int(subprocess.check_output(["id", "-u", "postfix"]))
        os.chown(os.path.join(d, "postfix", "data"), pf_uid, -1)
        cls.pf_conf = conf
        subprocess.run(["postfix", "-c", conf, "check"], check=True, capture_output=True, timeout=60)
        subprocess.run(["postfix", "-c", conf, "start"], check=True, capture_output=True, timeout=60)
        assert wait_port(cls.smtp_port, timeout=20)

    @classmethod
    def tearDownClass(cls):
        if cls.pf_conf:
            subprocess.run(["postfix", "-c", cls.pf_conf, "stop"], capture_output=True)
            pidf = os.path.join(cls.tmp, "postfix", "queue", "pid", "master.pid")
            end = time.time() + 15
            while os.path.exists(pidf) and time.time() < end:
                time.sleep(0.2)
        cls.listen.terminate()
        try:
            cls.listen.wait(10)
        except subprocess.TimeoutExpired:
            cls.listen.kill()
        cls.sup.stop()
        cls.log.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def new_mail(self):
        return set(glob.glob(os.path.join(self.inst.maildir("demo@example.test"), "new", "*")))

    def wait_new(self, before, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            new = self.new_mail() - before
            if new:
                return sorted(new)
            time.sleep(0.2)
        self.fail("no delivery; maillog:\n%s" % self.maillog())

    def maillog(self):
        try:
            with open(os.path.join(self.tmp, "postfix", "maillog")) as f:
                return f.read()
        except OSError:
            return ""

    def test_postfix_delivers_through_lmtp(self):
        before = self.new_mail()
        body = "Subject: via postfix\r\n\r\n.leading dot\r\nend\r\n"
        if IS_ROOT:
            with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as c:
                c.sendmail("", ["demo@example.test"], body)
        else:
            self.postfix_like_session(body)
        new = self.wait_new(before)
        with open(new[0], "rb") as f:
            stored = f.read()
        self.assertIn(b"Subject: via postfix\n", stored)
        self.assertIn(b"\n\n.leading dot\nend\n", stored)
        self.assertIn(b"(postern-lmtpd) with LMTP", stored)
        self.assertIn(b"Delivered-To: demo@example.test", stored)
        if IS_ROOT:
            end = time.time() + 10
            while "status=sent" not in self.maillog() and time.time() < end:
                time.sleep(0.2)
            self.assertRegex(self.maillog(), r"to=<demo@example.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d.*status=sent" % self.lmtp_port)

    def test_unknown_user_refused(self):
        if IS_ROOT:
            with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as c:
                c.sendmail("", ["nobody@example.test"], "Subject: x\r\n\r\nx\r\n")
            end = time.time() + 30
            while "nobody@example.test" not in self.maillog() or "status=bounced" not in self.maillog():
                if time.time() > end:
                    self.fail(self.maillog())
                time.sleep(0.2)
            self.assertRegex(self.maillog(), r"to=<nobody@example.test>.*status=bounced.*550 5\.1\.1")
        else:
            s = socket.create_connection(("127.0.0.1", self.lmtp_port))
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"LHLO pf.localhost\r\nMAIL FROM:<>\r\nRCPT TO:<nobody@example.test>\r\nQUIT\r\n")
            lines = [f.readline() for _ in range(10)]
            finals = [l for l in lines if l[3:4] == b" "]
            self.assertTrue(finals[2].startswith(b"550 5.1.1"), finals)
            s.close()

    def postfix_like_session(self, body):
        s = socket.create_connection(("127.0.0.1", self.lmtp_port))
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"220"))
        s.sendall(b"LHLO pf.localhost\r\n")
        while True:
            l = f.readline()
            if l[3:4] == b" ":
                break
        s.sendall(b"MAIL FROM:<> SIZE=%d BODY=8BITMIME\r\n"
                  b"RCPT TO:<demo@example.test> NOTIFY=FAILURE ORCPT=rfc822;demo@example.test\r\n"
                  b"DATA\r\n" % len(body))
        for want in (b"250", b"250", b"354"):
            self.assertTrue(f.readline().startswith(want))
        data = body.replace("\r\n.", "\r\n..").encode()
        if data.startswith(b"."):
            data = b"." + data
        s.sendall(data + b".\r\nQUIT\r\n")
        self.assertTrue(f.readline().startswith(b"250 2."))
        s.close()


if __name__ == "__main__":
    unittest.main()
