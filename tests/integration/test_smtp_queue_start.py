"""postern-smtpd answers 354 to DATA before it starts postern-queue (the
queue's start-up overlaps the transfer).  When postern-queue cannot be
started, the message is still read to its end, the answer after the final
dot is 451 4.3.0, nothing is queued, the data is never read as commands,
and the session goes on (a later transaction with a working queue is
accepted).  BDAT answers 451 at the first chunk.

postern-smtpd also starts postern-queue ahead (after the greeting, and at
the first accepted RCPT of a later transaction); a started postern-queue
that gets no message leaves nothing in the queue and logs nothing, and one
started ahead survives RSET and serves the next message.

The 250 follows postern-queue's id line (written once the message is
durable), not its exit; smtpd still reaps it before it ends itself.

All of that is the process per message, which smtpd uses without the
queue writers (queue_writers = 0 here; test_queue_writers.py has the
pool, and the fall-back to a process when no writer answers)."""
import os, select, subprocess, time, unittest

from postern_instance import LIBEXEC, make_instance, make_tmpdir, queue_file_parts
from test_smtp_smuggling import clear_queue, queued, smtpd_session

HEAD = (b"EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\n"
        b"RCPT TO:<demo@example.test>\r\nDATA\r\n")
BODY = b"Subject: t\r\n\r\nMAIL FROM:<x@remote.example>\r\nbody\r\n.\r\n"


def start_smtpd(inst, stderr=subprocess.DEVNULL):
    """postern-smtpd on pipes, as a TCP session from 127.0.0.1, logging to
    stderr."""
    e = dict(os.environ, POSTERN_CONF=inst.conf, TCPREMOTEIP="127.0.0.1",
             TCPREMOTEPORT="4242", TCPLOCALIP="127.0.0.1", TCPLOCALPORT="25",
             POSTERN_LOG_STDERR="1")
    e.pop("POSTERN_TLS_CTL", None)
    return subprocess.Popen([os.path.join(LIBEXEC, "postern-smtpd")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=stderr, env=e)


def codes(out):
    """The reply codes, one per final reply line."""
    return [l[:3] for l in out.decode(errors="replace").split("\r\n")
            if len(l) >= 4 and l[3] == " "]


class QueueStartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp)
        with open(cls.inst.conf) as f:
            cls.conf_text = f.read()

    def setUp(self):
        clear_queue(self.inst)
        self.inst.set_config("queue_program", os.path.join(self.tmp, "no-such-postern-queue"))

    def tearDown(self):
        self.restore()

    def restore(self):
        with open(self.inst.conf, "w") as f:
            f.write(self.conf_text)

    def test_250_on_the_id_line(self):
        stub = os.path.join(self.tmp, "slow-exit-queue")
        # the stub runs as smtpd's user (root pass): a directory it may write
        mdir = os.path.join(self.tmp, "marker")
        os.makedirs(mdir, exist_ok=True)
        os.chmod(mdir, 0o777)
        marker = os.path.join(mdir, "slow-exit-done")
        if os.path.exists(marker):
            os.unlink(marker)
        with open(stub, "w") as f:
            f.write("#!/bin/sh\ncat >/dev/null; cat <&1 >/dev/null 2>&1\n"
                    "echo stub-queue-id >&3; exec 3>&-\nsleep 2\ntouch %s\n" % marker)
        os.chmod(stub, 0o755)
        self.inst.set_config("queue_program", stub)
        p = start_smtpd(self.inst)
        try:
            greeting = b""
            while not greeting.endswith(b"\n"):
                c = p.stdout.read(1)
                if not c:
                    break
                greeting += c
            self.assertTrue(greeting.startswith(b"220"), greeting)
            p.stdin.write(HEAD + BODY)
            p.stdin.flush()
            out, t0 = b"", time.time()
            while b"stub-queue-id" not in out and time.time() - t0 < 10:
                if select.select([p.stdout], [], [], 10)[0]:
                    c = os.read(p.stdout.fileno(), 4096)
                    if not c:
                        break
                    out += c
            self.assertIn(b"250 2.0.0 Ok: queued as stub-queue-id", out)
            # answered while the stub still runs (it sleeps after its id)
            self.assertFalse(os.path.exists(marker))
            p.stdin.write(b"QUIT\r\n")
            p.stdin.close()
            rest = p.stdout.read()
            self.assertEqual(p.wait(10), 0)
            self.assertIn(b"221", rest)
            # and smtpd waited for it before it ended
            self.assertTrue(os.path.exists(marker))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()

    def test_odd_exit_after_the_id_is_logged(self):
        # the 250 stands (the message was durable), but an exit other than
        # 0 after the id is not dropped silently
        stub = os.path.join(self.tmp, "odd-exit-queue")
        with open(stub, "w") as f:
            f.write("#!/bin/sh\ncat >/dev/null; cat <&1 >/dev/null 2>&1\n"
                    "echo stub-queue-id >&3; exec 3>&-\nexit 111\n")
        os.chmod(stub, 0o755)
        self.inst.set_config("queue_program", stub)
        p = start_smtpd(self.inst, stderr=subprocess.PIPE)
        greeting = p.stdout.readline()
        self.assertTrue(greeting.startswith(b"220"), greeting)
        out, err = p.communicate(HEAD + BODY + b"QUIT\r\n", timeout=20)
        self.assertIn(b"250 2.0.0 Ok: queued as stub-queue-id", out)
        self.assertEqual(codes(out)[-1], "221")
        self.assertRegex(err.decode(errors="replace"),
                         r"event=queue-exit pid=\d+ status=111 ")

    def test_data_without_queue(self):
        out, err, rc = smtpd_session(self.inst, HEAD + BODY + b"NOOP\r\nQUIT\r\n")
        # 220, EHLO 250, MAIL 250, RCPT 250, 354, 451, NOOP 250, QUIT 221
        self.assertEqual(codes(out), ["220", "250", "250", "250", "354", "451", "250", "221"], out)
        self.assertIn(b"451 4.3.0", out)
        self.assertEqual(queued(self.inst), ([], []))

    def test_bdat_without_queue(self):
        chunk = b"Subject: t\r\n\r\nbody\r\n"
        script = (b"EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\n"
                  b"RCPT TO:<demo@example.test>\r\nBDAT %d LAST\r\n" % len(chunk) + chunk + b"QUIT\r\n")
        out, err, rc = smtpd_session(self.inst, script)
        self.assertEqual(codes(out), ["220", "250", "250", "250", "451", "221"], out)
        self.assertEqual(queued(self.inst), ([], []))

    def test_queue_back(self):
        self.restore()
        out, err, rc = smtpd_session(self.inst, HEAD + BODY + b"QUIT\r\n")
        self.assertEqual(codes(out), ["220", "250", "250", "250", "354", "250", "221"], out)
        todo, mess = queued(self.inst)
        self.assertEqual(len(todo), 1)


class PrestartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp)
        # a postern-queue per message (with the writers none is started
        # ahead: test_queue_writers.py)
        cls.inst.set_config("queue_writers", "0")

    def setUp(self):
        clear_queue(self.inst)

    def listing(self, settle=True):
        """tmp/, mess/, todo/; with settle, first wait (bounded) for an
        unused postern-queue to give its file back (it ends after smtpd)."""
        tmpdir = os.path.join(self.inst.queue, "tmp")
        deadline = time.time() + 10
        while settle and os.listdir(tmpdir) and time.time() < deadline:
            time.sleep(0.02)
        return {sub: sorted(os.listdir(os.path.join(self.inst.queue, sub)))
                for sub in ("tmp", "mess", "todo")}

    def spare_inodes(self):
        d = os.path.join(self.inst.queue, "spare")
        return {os.stat(os.path.join(d, n)).st_ino for n in os.listdir(d)}

    def children(self, pid):
        out = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        st = f.read()
                except OSError:
                    continue
                fields = st[st.rindex(")") + 2:].split()
                if int(fields[1]) == pid:
                    with open("/proc/%s/comm" % d) as f:
                        out.append(f.read().strip())
        return out

    def test_started_after_the_greeting(self):
        """Before any command, smtpd already has its postern-queue child."""
        p = start_smtpd(self.inst)
        try:
            self.assertTrue(p.stdout.readline().startswith(b"220"))
            deadline = time.time() + 10
            while time.time() < deadline and "postern-queue" not in self.children(p.pid):
                time.sleep(0.02)
            self.assertIn("postern-queue", self.children(p.pid))
            out, _ = p.communicate(b"QUIT\r\n", timeout=20)
            self.assertTrue(out.startswith(b"221"), out)
        finally:
            if p.poll() is None:
                p.kill()
        self.assertEqual(self.listing(), {"tmp": [], "mess": [], "todo": []})

    def test_session_without_mail(self):
        out, err, rc = smtpd_session(self.inst, b"EHLO client.example\r\nNOOP\r\nQUIT\r\n")
        self.assertEqual(codes(out), ["220", "250", "250", "221"], out)
        self.assertEqual(self.listing(), {"tmp": [], "mess": [], "todo": []})
        self.assertNotIn("postern-queue", err)

    def test_unused_file_back_to_the_pool(self):
        """postern-queue takes its file (a spare) when it starts, ahead of
        the message; when none comes the file goes back to spare/: nothing
        left in tmp/, no file lost from the pool."""
        q = self.inst.queue
        st = os.stat(os.path.join(q, "spare"))
        sp = os.path.join(q, "spare", "1.00000000000000aa.m")
        with open(sp, "wb") as f:
            f.write(b"old bytes of a finished message\n")
        os.chown(sp, st.st_uid, st.st_gid)
        ino = os.stat(sp).st_ino
        before = self.spare_inodes()
        p = start_smtpd(self.inst)
        try:
            self.assertTrue(p.stdout.readline().startswith(b"220"))
            # the spare moves into tmp/ while the session goes on
            deadline = time.time() + 10
            while time.time() < deadline and not os.listdir(os.path.join(q, "tmp")):
                time.sleep(0.02)
            self.assertEqual(len(os.listdir(os.path.join(q, "tmp"))), 1)
            out, _ = p.communicate(b"EHLO client.example\r\nQUIT\r\n", timeout=20)
            self.assertTrue(out.startswith(b"250"), out)
        finally:
            if p.poll() is None:
                p.kill()
        self.assertEqual(self.listing(), {"tmp": [], "mess": [], "todo": []})
        self.assertIn(ino, self.spare_inodes())
        self.assertTrue(before <= self.spare_inodes())

    def test_rejected_transaction_then_messages(self):
        script = (b"EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\n"
                  b"RCPT TO:<nobody@example.test>\r\nRSET\r\n"
                  b"MAIL FROM:<a@remote.example>\r\nRCPT TO:<demo@example.test>\r\nRSET\r\n"
                  b"MAIL FROM:<a@remote.example>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n"
                  b"Subject: one\r\n\r\nfirst\r\n.\r\n"
                  b"MAIL FROM:<a@remote.example>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n"
                  b"Subject: two\r\n\r\nsecond\r\n.\r\nQUIT\r\n")
        out, err, rc = smtpd_session(self.inst, script)
        self.assertEqual(codes(out), ["220", "250", "250", "550", "250", "250", "250", "250",
                                      "250", "250", "354", "250", "250", "250", "354", "250", "221"], out)
        ls = self.listing()
        self.assertEqual(ls["tmp"], [])
        self.assertEqual(len(ls["todo"]), 2)
        bodies = [queue_file_parts(os.path.join(self.inst.queue, "todo", qid))[0]
                  for qid in ls["todo"]]
        self.assertEqual(sorted(b.split(b"Subject: ")[1][:3] for b in bodies), [b"one", b"two"])


if __name__ == "__main__":
    unittest.main()
