"""postern-queue, the only way into the queue: the per-instance copy that
`postern init` installs (setuid queue user, 4711, as root), the caller's
uid in the envelope, malformed or missing envelopes refused (exit 100)
with nothing left behind, and disk full -- through the ENOSPC LD_PRELOAD
shim at every stage, and (as root) a real small tmpfs under the queue --
gives a temporary failure (exit 111 / SMTP 451) with nothing half-written
left and nothing already accepted lost."""
import os, pwd, shutil, stat, subprocess, unittest

import harness as H
from postern_instance import (IS_ROOT, LIBEXEC, TEST_USER_PREFIX, make_instance, make_tmpdir,
                              queue_file_parts)

BUILD = os.environ.get("POSTERN_BUILD", "build")
ENVTOOL = os.path.join(BUILD, "fixtures", "postern-test-envtool")
SHIM = os.path.abspath(os.path.join(BUILD, "fixtures", "enospc.so"))
DYNAMIC_QUEUE = os.path.abspath(os.path.join(BUILD, "fixtures", "postern-queue-dynamic"))

MSG = b"Subject: queued\r\n\r\nline one\r\nline two\r\n"


def envelope(sender, *rcpts):
    return subprocess.run([ENVTOOL, "write", sender] + list(rcpts), capture_output=True,
                          check=True).stdout


def dump(path):
    out = subprocess.run([ENVTOOL, "dump", path], capture_output=True, text=True, check=True).stdout
    d = {"rcpt": []}
    for line in out.splitlines():
        k, v = line.split("=", 1)
        if k == "rcpt":
            d["rcpt"].append(v.split(" ")[0])
        else:
            d[k] = v
    return d


def inject(prog, msg, env, extra_env=None, preexec=None, conf=None):
    """Run postern-queue: message on 0, envelope on 1, id back on 3."""
    r_id, w_id = os.pipe()
    r_env, w_env = os.pipe()
    e = dict(os.environ)
    e.pop("POSTERN_CONF", None)
    if conf:
        e["POSTERN_CONF"] = conf
    e.update(extra_env or {})
    # the envelope through a pipe written before start (it is small)
    os.write(w_env, env)
    os.close(w_env)
    # fds 1 and 3 set by a shell that then execs the program
    argv = ["/bin/sh", "-c", 'exec "$0" 1<&"$1" 3>&"$2"', prog, str(r_env), str(w_id)]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                         preexec_fn=preexec, pass_fds=(r_env, w_id), close_fds=True)
    os.close(r_env)
    os.close(w_id)
    _, err = p.communicate(msg, timeout=30)
    qid = H.read_to_eof(r_id, 30) or b""
    os.close(r_id)
    return p.returncode, qid.decode().strip(), err.decode(errors="replace")


class QueueInjectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp)
        cls.qprog = os.path.join(cls.inst.dir, "libexec", "postern-queue")

    def setUp(self):
        self.clear()

    def clear(self):
        for sub in ("todo", "mess", "tmp"):
            d = os.path.join(self.inst.queue, sub)
            for f in os.listdir(d):
                os.unlink(os.path.join(d, f))

    def listing(self):
        return {sub: sorted(os.listdir(os.path.join(self.inst.queue, sub)))
                for sub in ("tmp", "mess", "todo")}

    def assert_empty(self):
        self.assertEqual(self.listing(), {"tmp": [], "mess": [], "todo": []})

    def test_instance_copy(self):
        st = os.stat(self.qprog)
        if IS_ROOT:
            self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, TEST_USER_PREFIX + "q")
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o4711)
        else:
            self.assertEqual(st.st_uid, os.getuid())
            self.assertFalse(st.st_mode & stat.S_ISUID)

    def test_inject_records_uid_and_converts_crlf(self):
        pre, uid = None, os.getuid()
        if IS_ROOT:
            uid = 65534         # nobody: the setuid copy still gets in

            def pre():
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
        rc, qid, err = inject(self.qprog, MSG, envelope("a@remote.example", "demo@example.test"),
                              preexec=pre)
        self.assertEqual(rc, 0, err)
        self.assertRegex(qid, r"^\d+\.[0-9a-f]{16}$")
        ls = self.listing()
        # one file: the message, then its envelope (common/queuefile.h)
        self.assertEqual(ls, {"tmp": [], "mess": [], "todo": [qid]})
        msg, _ = queue_file_parts(os.path.join(self.inst.queue, "todo", qid))
        self.assertEqual(msg, MSG.replace(b"\r\n", b"\n"))
        d = dump(os.path.join(self.inst.queue, "todo", qid))
        self.assertEqual(d["uid"], str(uid))
        self.assertEqual(d["sender"], "a@remote.example")
        self.assertEqual(d["rcpt"], ["demo@example.test"])
        self.assertEqual(d["size"], str(len(MSG.replace(b"\r\n", b"\n"))))
        if IS_ROOT:
            st = os.stat(os.path.join(self.inst.queue, "todo", qid))
            self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, TEST_USER_PREFIX + "q")

    def test_setuid_ignores_caller_config(self):
        # Setuid (root pass), POSTERN_CONF pointing elsewhere is ignored;
        # the plain copy of an ordinary user's instance honours it.
        bogus = os.path.join(self.tmp, "bogus.conf")
        with open(bogus, "w") as f:
            f.write("queue_dir = /nonexistent\n")

        def pre():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
        rc, qid, err = inject(self.qprog, MSG, envelope("", "demo@example.test"),
                              preexec=pre if IS_ROOT else None, conf=bogus)
        self.assertEqual(rc, 0 if IS_ROOT else 111, err)

    def test_malformed_envelope(self):
        for env in (b"", b"PSTNENV\x01garbage", envelope("a@b.example", "c@d.example")[:-3]):
            with self.subTest(env=env[:12]):
                rc, qid, err = inject(self.qprog, MSG, env)
                self.assertEqual(rc, 100, err)
                self.assertEqual(qid, "")
                self.assert_empty()

    def test_too_large(self):
        conf = self.inst.conf
        self.inst.set_config("queue_message_max", "1k")
        try:
            rc, qid, err = inject(self.qprog, b"x" * 5000 + b"\r\n",
                                  envelope("a@b.example", "demo@example.test"))
            self.assertEqual(rc, 100, err)
            self.assert_empty()
        finally:
            self.inst.set_config("queue_message_max", "64m")

    def test_enospc_shim(self):
        # postern-queue's objects linked dynamically (the installed one
        # is static-pie, which has no loader to preload into), not
        # setuid, with the instance's config (as root it becomes the
        # queue user itself).
        prog = DYNAMIC_QUEUE
        self.assertTrue(os.path.exists(SHIM), SHIM)
        env = envelope("a@remote.example", "demo@example.test")
        # a first message that was accepted must survive the failures
        rc, first, err = inject(prog, MSG, env, conf=self.inst.conf)
        self.assertEqual(rc, 0, err)
        body = b"Subject: big\r\n\r\n" + b"y" * 100000 + b"\r\n"
        for after in ("0", "10", "50000", "100015", "100030"):
            with self.subTest(after=after):
                rc, qid, err = inject(prog, body, env, conf=self.inst.conf,
                                      extra_env={"LD_PRELOAD": SHIM,
                                                 "POSTERN_ENOSPC_AFTER": after,
                                                 "ASAN_OPTIONS": "verify_asan_link_order=0"})
                self.assertEqual(rc, 111, err)
                self.assertEqual(qid, "")
                self.assertEqual(self.listing(), {"tmp": [], "mess": [], "todo": [first]})
        msg, env = queue_file_parts(os.path.join(self.inst.queue, "todo", first))
        self.assertEqual(msg, MSG.replace(b"\r\n", b"\n"))
        self.assertEqual(dump(os.path.join(self.inst.queue, "todo", first))["rcpt"],
                         ["demo@example.test"])

    def smtpd(self, script, extra_env=None):
        e = dict(os.environ, POSTERN_CONF=self.inst.conf, TCPREMOTEIP="127.0.0.1",
                 TCPREMOTEPORT="4242", POSTERN_LOG_STDERR="1")
        e.update(extra_env or {})
        p = subprocess.Popen([os.path.join(LIBEXEC, "postern-smtpd")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
        g = p.stdout.readline()
        out, err = p.communicate(script, timeout=60)
        return (g + out).decode(errors="replace"), err.decode(errors="replace")

    def smtp_script(self, body):
        return (b"EHLO c.example\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<demo@example.test>\r\n"
                b"DATA\r\n" + body + b".\r\nQUIT\r\n")

    def test_disk_full_smtp(self):
        # As root the setuid copy ignores LD_PRELOAD: a real full tmpfs
        # there; as an ordinary user the shim (test_enospc_shim runs the
        # shim in both passes).
        if IS_ROOT:
            self.disk_full_tmpfs()
            return
        # smtpd runs postern-queue's dynamically linked build, so that the
        # shim reaches it (the smtpd itself is static and ignores it)
        with open(self.inst.conf) as f:
            saved = f.read()
        self.inst.set_config("queue_program", DYNAMIC_QUEUE)
        try:
            out, err = self.smtpd(self.smtp_script(MSG), {"LD_PRELOAD": SHIM, "POSTERN_ENOSPC_AFTER": "20"})
            self.assertIn("451 4.3.0", out)
            self.assertNotIn("queued as", out)
            self.assert_empty()
            # the same program without the shim does queue (the 451 above
            # was the full disk, not a program that cannot run)
            out, err = self.smtpd(self.smtp_script(MSG))
            self.assertIn("queued as", out, err)
        finally:
            with open(self.inst.conf, "w") as f:
                f.write(saved)

    def disk_full_tmpfs(self):
        q = self.inst.queue
        st = os.stat(q)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128k,mode=0750", "tmpfs", q], check=True)
        try:
            os.chown(q, st.st_uid, st.st_gid)
            for sub in ("tmp", "mess", "todo", "env", "state", "hold", "bounce"):
                os.mkdir(os.path.join(q, sub), 0o700)
                os.chown(os.path.join(q, sub), st.st_uid, st.st_gid)
            os.mkfifo(os.path.join(q, "wake"), 0o600)
            os.chown(os.path.join(q, "wake"), st.st_uid, st.st_gid)
            out, err = self.smtpd(self.smtp_script(MSG))
            self.assertIn("queued as", out, err)
            accepted = self.listing()
            self.assertEqual(len(accepted["todo"]), 1)
            big = b"Subject: big\r\n\r\n" + (b"z" * 998 + b"\r\n") * 300
            out, err = self.smtpd(self.smtp_script(big))
            self.assertIn("451 4.3.0", out, err)
            self.assertNotIn("queued as", out.split("354")[1])
            self.assertEqual(self.listing(), accepted)
            msg, _ = queue_file_parts(os.path.join(q, "todo", accepted["todo"][0]))
            self.assertTrue(msg.endswith(MSG.replace(b"\r\n", b"\n")))
        finally:
            subprocess.run(["umount", "-l", q])


if __name__ == "__main__":
    unittest.main()
