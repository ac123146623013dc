"""The queue writers (postern-queue -S, queue/queue_serve.c): postern-smtpd
hands a finished message of up to 64 KB to a resident writer instead of
starting a postern-queue per message (common/queue_inject.h).

Driven directly (WriterTest: the dynamically linked build of postern-queue
run with -S on a socket the test made, so that the ENOSPC shim reaches
it): the request protocol ("R", three descriptors, the id line or "!"
and an exit status), refusals (malformed envelope, too large), hostile
requests (no descriptors, a peer of another uid) met by a closed
connection while the writer goes on serving, a writer killed in a request
(no answer: smtpd says 451, nothing queued, the master starts another),
disk full (451 and nothing half-written, the message accepted before
kept), a message bigger than a pipe (a process takes it, not a writer),
and smtpd falling back to a process when no writer is there.

Under `postern run` (SupervisedTest): the writers' service is started,
SIGHUP starts it again with the new config, queue_writers = 0 leaves the
pool idle (a process per message) and a SIGKILLed pool is started again
while messages still get through."""
import os, pwd, re, select, shutil, signal, smtplib, socket, subprocess, threading, time, unittest

import harness as H
from postern_instance import (IS_ROOT, LIBEXEC, Supervisor, TEST_USER_PREFIX, make_instance,
                              make_tmpdir, queue_file_parts, wait_port)
from test_queue_inject import DYNAMIC_QUEUE, SHIM, envelope

MSG = b"Subject: via a writer\r\n\r\nline one\r\nline two\r\n"


def smtpd_uid():
    """The uid a writer serves: smtpd's user as root, else our own."""
    if IS_ROOT:
        return pwd.getpwnam(TEST_USER_PREFIX + "smtpd").pw_uid
    return os.getuid()


def as_peer(uid, fn):
    """Run fn() in a child process as uid (as root; else as we are) and
    return what it returned (a str)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            if os.getuid() != uid:
                os.setgroups([])
                os.setgid(pwd.getpwuid(uid).pw_gid)
                os.setuid(uid)
            out = fn()
        except BaseException as e:      # noqa: the child must end here
            out = "exception: %r" % (e,)
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    out = H.read_to_eof(r, 60)
    os.close(r)
    if out is None:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "peer timed out" if out is None else out.decode()


HELD = []


def request(path, msg, env, send_fds=True, first=b"M", wait_s=20, full_answer_pipe=False):
    """One request to the writers at path: the answer line ("" when none
    came), or "no-ready" when the writer did not say "R".  With
    full_answer_pipe the answer pipe is filled up first (a hostile peer):
    "full" once the request was sent."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(wait_s)
    s.connect(path)
    try:
        if s.recv(1) != b"R":
            return "no-ready"
    except (socket.timeout, OSError):
        return "no-ready"
    m_r, m_w = os.pipe()
    e_r, e_w = os.pipe()
    i_r, i_w = os.pipe()
    if full_answer_pipe:
        os.set_blocking(i_w, False)
        try:
            while True:
                os.write(i_w, b"x" * 4096)
        except BlockingIOError:
            pass
        os.set_blocking(i_w, True)
    if send_fds:
        socket.send_fds(s, [first], [m_r, e_r, i_w])
    else:
        s.send(first)
    for fd in (m_r, e_r, i_w):
        os.close(fd)
    s.close()
    # the writer reads the message while we write it; one over the limit
    # is refused before its end (the pipe then breaks)
    try:
        os.write(m_w, msg)
        os.close(m_w)
        m_w = -1
        os.write(e_w, env)
    except BrokenPipeError:
        pass
    if m_w >= 0:
        os.close(m_w)
    os.close(e_w)
    if full_answer_pipe:
        HELD.append(i_r)        # kept open: the writer cannot get EPIPE
        return "full"
    out = H.read_to_eof(i_r, wait_s)
    os.close(i_r)
    return "no-answer-in-time" if out is None else out.decode()


class WriterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp)
        os.chmod(cls.tmp, 0o755)
        cls.sock = os.path.join(cls.tmp, "w.sock")
        cls.inst.set_config("queue_socket", cls.sock)
        cls.inst.set_config("queue_writers", "2")
        cls.inst.set_config("queue_message_max", "100k")
        cls.env = envelope("a@remote.example", "demo@example.test")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.master = None
        for sub in ("tmp", "todo"):
            d = os.path.join(self.inst.queue, sub)
            for n in os.listdir(d):
                os.unlink(os.path.join(d, n))

    def tearDown(self):
        self.stop()

    def start(self, extra_env=None):
        """postern-queue -S (the dynamic build) on a fresh socket."""
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(self.sock)
        os.chmod(self.sock, 0o666)
        ls.listen(16)
        e = dict(os.environ, POSTERN_CONF=self.inst.conf, POSTERN_LOG_STDERR="1",
                 ASAN_OPTIONS="verify_asan_link_order=0")
        e.update(extra_env or {})
        # the log through a pipe (the shim fails writes to files)
        self.master = subprocess.Popen([DYNAMIC_QUEUE, "-S"], stdin=ls.fileno(),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e)
        ls.close()
        self.lines = []
        self.reader = threading.Thread(target=self.read_log, args=(self.master.stderr,))
        self.reader.start()
        self.assertTrue(H.wait_for(lambda: len(H.children(self.master.pid)) == 2))
        # each writer made its file ahead
        self.assertTrue(H.wait_for(lambda: len(self.listing("tmp")) == 2))

    def read_log(self, f):
        for line in f:
            self.lines.append(line.decode(errors="replace"))
        f.close()

    def stop(self):
        if self.master is not None and self.master.poll() is None:
            self.master.send_signal(signal.SIGTERM)
            self.master.wait(20)
        if self.master is not None:
            self.reader.join(20)
        self.master = None

    def log_text(self):
        time.sleep(0.1)      # the writer logs after its answer
        return "".join(self.lines)

    def listing(self, sub):
        return sorted(os.listdir(os.path.join(self.inst.queue, sub)))

    def smtpd(self, body):
        e = dict(os.environ, POSTERN_CONF=self.inst.conf, TCPREMOTEIP="127.0.0.1",
                 TCPREMOTEPORT="4242", POSTERN_LOG_STDERR="1")
        e.pop("POSTERN_TLS_CTL", None)
        script = (b"EHLO c.example\r\nMAIL FROM:<a@remote.example>\r\n"
                  b"RCPT TO:<demo@example.test>\r\nDATA\r\n" + body + b".\r\nQUIT\r\n")
        p = subprocess.Popen([os.path.join(LIBEXEC, "postern-smtpd")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
        greeting = p.stdout.readline()      # no talking before it
        out, err = p.communicate(script, timeout=60)
        return (greeting + out).decode(errors="replace"), err.decode(errors="replace")

    def queued_id(self, out):
        m = re.search(r"250 2\.0\.0 .*queued as (\S+)", out)
        self.assertTrue(m, out)
        return m.group(1)

    def test_protocol(self):
        self.start()
        uid = smtpd_uid()
        path = self.sock
        env = self.env
        # a message and its envelope: the id once it is durable
        qid = as_peer(uid, lambda: request(path, b"Subject: p\n\nbody\n", env)).strip()
        self.assertRegex(qid, r"^[0-9]+\.[0-9a-f]{16}$")
        msg, e = queue_file_parts(os.path.join(self.inst.queue, "todo", qid))
        self.assertEqual(msg, b"Subject: p\n\nbody\n")
        self.assertIn(b"demo@example.test", e)
        self.assertIn("event=queued id=%s uid=%d " % (qid, uid), self.log_text())
        # refused: a malformed envelope, a message over queue_message_max
        self.assertEqual(as_peer(uid, lambda: request(path, b"x\n", b"junk\n")), "!100\n")
        self.assertEqual(as_peer(uid, lambda: request(path, b"y" * 200000, env)), "!100\n")
        # no envelope at all (the caller gave up): refused, nothing kept
        self.assertEqual(as_peer(uid, lambda: request(path, b"z\n", b"")), "!100\n")
        # hostile requests: no descriptors, or the wrong first byte; the
        # writer closes and goes on
        self.assertEqual(as_peer(uid, lambda: request(path, b"a\n", env, send_fds=False)), "")
        self.assertEqual(as_peer(uid, lambda: request(path, b"a\n", env, first=b"X")), "")
        self.assertEqual(self.log_text().count("event=bad-request uid=%d " % uid), 2)
        self.assertEqual(self.listing("todo"), [qid])
        # answer pipes passed full: the writers do not block on them (with
        # two writers, two such requests would otherwise leave none)
        def full_then_normal():
            for _ in range(2):
                if request(path, b"Subject: full\n\n", env, full_answer_pipe=True) != "full":
                    return "not sent"
            time.sleep(0.5)
            return request(path, b"Subject: again\n\n", env, wait_s=5)
        qid2 = as_peer(uid, full_then_normal).strip()
        self.assertRegex(qid2, r"^[0-9]+\.[0-9a-f]{16}$")
        self.assertEqual(len(self.listing("todo")), 4)
        self.assertIn(qid2, self.listing("todo"))
        self.assertEqual(len(H.children(self.master.pid)), 2)
        # after the stop the files made ahead are back in spare/
        self.stop()
        self.assertEqual(self.listing("tmp"), [])

    def test_peer_uid(self):
        """As root only smtpd's user (and the queue user) is served: any
        other uid gets no "R" and a closed connection.  As an ordinary
        user every program runs as that user, which is served."""
        self.start()
        if IS_ROOT:
            nobody = pwd.getpwnam("nobody").pw_uid
            self.assertEqual(as_peer(nobody, lambda: request(self.sock, MSG, self.env, wait_s=3)),
                             "no-ready")
            self.assertRegex(self.log_text(), r"event=refused-peer uid=%d" % nobody)
            self.assertEqual(self.listing("todo"), [])
        else:
            qid = request(self.sock, MSG, self.env).strip()
            self.assertEqual(self.listing("todo"), [qid])
            self.assertIn("event=queued id=%s uid=%d " % (qid, os.getuid()), self.log_text())

    def test_writer_killed_in_a_request(self):
        self.start()
        uid = smtpd_uid()
        writers = set(H.children(self.master.pid))
        # the peer: a request whose message never ends (the writer waits
        # in its read); it tells us its answer pipe's inode, we kill the
        # writer holding that pipe, it says whether an answer came
        to_us, from_peer = os.pipe()
        to_peer, from_us = os.pipe()
        pid = os.fork()
        if pid == 0:
            out = "exception"
            try:
                os.close(to_us)
                os.close(from_us)
                if os.getuid() != uid:
                    os.setgroups([])
                    os.setgid(pwd.getpwuid(uid).pw_gid)
                    os.setuid(uid)
                out = _held(self.sock, self.env, from_peer, to_peer)
            finally:
                os.write(from_peer, ("\n" + out).encode())
                os._exit(0)
        os.close(from_peer)
        os.close(to_peer)
        self.assertTrue(select.select([to_us], [], [], 30)[0], "the peer never sent its request")
        ino = int(os.read(to_us, 100).decode().strip())
        killed = []
        for c in H.children(self.master.pid):
            for fd in os.listdir("/proc/%d/fd" % c):
                try:
                    if os.stat("/proc/%d/fd/%s" % (c, fd)).st_ino == ino:
                        os.kill(c, signal.SIGKILL)
                        killed.append(c)
                        break
                except OSError:
                    pass
        os.write(from_us, b"k")
        out = H.read_to_eof(to_us, 30) or b"peer timed out"
        os.waitpid(pid, 0)
        self.assertEqual(len(killed), 1)
        self.assertEqual(out.decode().strip(), "no-answer")
        self.assertEqual(self.listing("todo"), [])
        # the master started another writer in its place
        self.assertTrue(H.wait_for(lambda: len(H.children(self.master.pid)) == 2 and
                                   killed[0] not in H.children(self.master.pid)))
        qid = as_peer(uid, lambda: request(self.sock, b"Subject: after\n\n", self.env)).strip()
        self.assertEqual(self.listing("todo"), [qid])

    def test_smtp_through_a_writer(self):
        self.start()
        out, err = self.smtpd(MSG)
        qid = self.queued_id(out)
        self.assertIn("event=queued id=%s " % qid, self.log_text())
        msg, _ = queue_file_parts(os.path.join(self.inst.queue, "todo", qid))
        self.assertTrue(msg.endswith(MSG.replace(b"\r\n", b"\n")), msg)
        self.assertTrue(msg.startswith(b"Received: "), msg)

    def test_big_message_gets_a_process(self):
        """More than a pipe holds: a postern-queue process takes it while
        it arrives (no writer is held by a client still sending)."""
        self.start()
        body = b"Subject: big\r\n\r\n" + (b"z" * 70 + b"\r\n") * 1200
        out, err = self.smtpd(body)
        qid = self.queued_id(out)
        self.assertNotIn("id=%s " % qid, self.log_text())
        self.assertIn("event=queued id=%s " % qid, err)
        msg, _ = queue_file_parts(os.path.join(self.inst.queue, "todo", qid))
        self.assertTrue(msg.endswith(body.replace(b"\r\n", b"\n")))

    def test_no_writer_gives_a_process(self):
        """The socket is there but nobody listens (the pool is down): the
        message still gets in, through a process."""
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        dead.bind(self.sock)
        dead.close()
        out, err = self.smtpd(MSG)
        qid = self.queued_id(out)
        self.assertIn("event=queued id=%s " % qid, err)
        # no pool at all is not worth a line per message
        self.assertNotIn("queue-writers", err)

    def test_disk_full(self):
        self.start()
        out, _ = self.smtpd(MSG)
        first = self.queued_id(out)
        self.stop()
        for after in ("0", "20", "300"):
            with self.subTest(after=after):
                self.start({"LD_PRELOAD": SHIM, "POSTERN_ENOSPC_AFTER": after})
                out, err = self.smtpd(MSG)
                self.assertIn("451 4.3.0", out)
                self.assertNotIn("queued as", out)
                self.assertEqual(self.listing("todo"), [first])
                self.assertRegex(self.log_text(), r"event=store ")
                self.stop()
                self.assertEqual(self.listing("tmp"), [])
        msg, _ = queue_file_parts(os.path.join(self.inst.queue, "todo", first))
        self.assertTrue(msg.endswith(MSG.replace(b"\r\n", b"\n")))


def _held(path, env, report, wait):
    """In the peer: send a request whose message never ends, report the
    answer pipe's inode, wait until told, say whether an answer came."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    if s.recv(1) != b"R":
        os.write(report, b"0\n")
        return "no-ready"
    m_r, m_w = os.pipe()
    e_r, e_w = os.pipe()
    i_r, i_w = os.pipe()
    os.write(m_w, b"Subject: never ends\n")
    os.write(e_w, env)
    os.close(e_w)
    socket.send_fds(s, [b"M"], [m_r, e_r, i_w])
    for fd in (m_r, e_r, i_w):
        os.close(fd)
    s.close()
    time.sleep(0.3)
    os.write(report, b"%d\n" % os.fstat(i_r).st_ino)
    os.read(wait, 1)
    b = os.read(i_r, 100)
    os.close(m_w)
    return "no-answer" if b == b"" else "answer:" + b.decode()


class SupervisedTest(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp)
        self.sup = None

    def tearDown(self):
        if self.sup is not None:
            self.sup.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def master(self):
        return H.wait_for(lambda: next((p for p in H.children(self.sup.proc.pid)
                                        if H.proc_exe_name(p) == "postern-queue"), None))

    def send(self, subject):
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=30)
        s.sendmail("a@remote.example", ["demo@" + self.inst.domain],
                   "Subject: %s\r\n\r\nx\r\n" % subject)
        s.quit()

    def writer_pid_of(self, subject_line_start=0):
        i = self.sup.wait_line(r"postern-queue\[\d+\]: event=queued ", start=subject_line_start)
        return int(re.search(r"postern-queue\[(\d+)\]", self.sup.lines[i]).group(1)), i

    def start(self):
        self.sup = Supervisor(self.inst)
        self.sup.wait_line(r"event=listening service=smtp ")
        self.assertTrue(wait_port(self.inst.ports["smtp"]))

    def test_pool_reload_and_kill(self):
        self.start()
        m = self.master()
        self.assertTrue(m)
        self.assertEqual(H.proc_status(m)["Uid"][0],
                         pwd.getpwnam(TEST_USER_PREFIX + "q").pw_uid if IS_ROOT else os.getuid())
        self.assertTrue(H.wait_for(lambda: len(H.children(m)) == 8))
        self.send("one")
        w, i = self.writer_pid_of()
        self.assertIn(w, H.children(m))
        # a reload starts the pool again, with the new config
        self.inst.set_config("queue_writers", "3")
        n = len(self.sup.lines)
        os.kill(self.sup.proc.pid, signal.SIGHUP)
        self.sup.wait_line(r"event=writers count=3", start=n)
        m2 = self.master()
        self.assertNotEqual(m2, m)
        self.assertTrue(H.wait_for(lambda: len(H.children(m2)) == 3))
        n = len(self.sup.lines)
        self.send("two")
        w, _ = self.writer_pid_of(n)
        self.assertIn(w, H.children(m2))
        # the pool killed: messages still get in (a process each, until
        # the supervisor has started the pool again)
        os.kill(m2, signal.SIGKILL)
        for c in H.children(m2):
            os.kill(c, signal.SIGKILL)
        self.send("three")
        self.assertTrue(H.wait_for(lambda: self.master() not in (None, m2), timeout=20))
        box = os.path.join(self.inst.maildir("demo@" + self.inst.domain), "new")
        self.assertTrue(H.wait_for(lambda: len(os.listdir(box)) == 3, timeout=20), os.listdir(box))

    def test_no_writers(self):
        self.inst.set_config("queue_writers", "0")
        self.start()
        self.sup.wait_line(r"service=queue-writers reason=\"no writers configured\"")
        self.send("one")
        w, _ = self.writer_pid_of()
        self.assertNotIn(w, [p for p in H.descendants(self.sup.proc.pid)])


if __name__ == "__main__":
    unittest.main()
