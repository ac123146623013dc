"""postern run: starts the services whose programs exist and says where
each listens, restarts a crashed child, stops everything within 5 s on
SIGTERM, and on SIGHUP re-reads config and tables (a broken config is
refused and the old one kept).

The supervisor mechanics are tested with the real postern-listen and
postern-tls and a stub postern-smtpd written into the test's temporary
directory (POSTERN_LIBEXEC points `postern run` at it); the stub greets
with the local domains table, read per session.  test_installed_services
runs the real install."""
import os, re, shutil, signal, socket, subprocess, time, unittest

from harness import parent
from postern_instance import (IS_ROOT, LIBEXEC, POSTERN, STD_PORTS, Supervisor,
                              descendants, make_instance, make_tmpdir, postern,
                              wait_port)

STUB = """#!/bin/sh
# test stub for postern-smtpd: greets with the domains table, then waits.
trap 'exit 0' TERM
printf '220 stub %%s\\r\\n' "$(grep -v '^#' %s | tr '\\n' ' ')"
read line
printf '221 bye\\r\\n'
"""


def greeting(port, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout)
    try:
        s.settimeout(timeout)
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(512)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace")
    finally:
        s.close()


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


def running(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(")") + 2:][:1] != "Z"


class SupervisorTest(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp)
        # the shell stubs greet on their own: no start ahead (-P, which
        # takes postern-smtpd's common/prepared.h hand-over)
        self.inst.set_config("smtpd_prepared", "no")
        self.stubs = os.path.join(self.tmp, "stubs")
        os.mkdir(self.stubs)
        os.chmod(self.stubs, 0o755)
        for p in ("postern-listen", "postern-tls"):
            os.symlink(os.path.join(LIBEXEC, p), os.path.join(self.stubs, p))
        stub = os.path.join(self.stubs, "postern-smtpd")
        with open(stub, "w") as f:
            f.write(STUB % self.inst.domains)
        os.chmod(stub, 0o755)
        self.sup = None

    def tearDown(self):
        if self.sup is not None:
            self.sup.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self):
        self.sup = Supervisor(self.inst, env={"POSTERN_LIBEXEC": self.stubs})
        port = self.inst.ports["smtp"]
        self.sup.wait_line(r"event=listening service=smtp addr=127\.0\.0\.1:%d$" % port)
        self.assertTrue(wait_port(port), self.sup.text())
        return port

    def listeners(self):
        # The supervisor's own children: with TLS on request (listen -R) a
        # session's first process is a postern-listen too, one level down.
        return [p for p in descendants(self.sup.proc.pid) if comm(p) == "postern-listen"
                and parent(p) == self.sup.proc.pid]

    def test_listening_lines_and_missing_programs(self):
        port = self.start()
        self.assertIn("220 stub example.test", greeting(port))
        # The listening line comes before anything else the services log,
        # and every service without its programs is named once.
        first = self.sup.wait_line(r"event=listening")
        self.assertLessEqual(first, 3, self.sup.text())
        for svc in ("submission", "submissions", "pop3", "pop3s", "imap", "imaps"):
            self.sup.wait_line(r"event=not-started service=%s missing=postern-login" % svc)
        self.sup.wait_line(r"event=not-started service=queue missing=postern-send")
        for svc in ("imap", "pop3s"):
            self.assertFalse(wait_port(self.inst.ports[svc], timeout=0.2))

    def test_crashed_child_is_restarted(self):
        port = self.start()
        old = self.listeners()
        self.assertEqual(len(old), 1, self.sup.text())
        os.kill(old[0], signal.SIGKILL)
        i = self.sup.wait_line(r"event=exit service=smtp pid=%d signal=9" % old[0])
        self.sup.wait_line(r"event=restart service=smtp delay_ms=\d+", start=i)
        self.sup.wait_line(r"event=listening service=smtp", start=i)
        self.assertTrue(wait_port(port))
        self.assertIn("220 stub", greeting(port))
        new = self.listeners()
        self.assertEqual(len(new), 1)
        self.assertNotEqual(new, old)
        # A child that keeps dying is restarted with a growing delay.
        delays = []
        for _ in range(2):
            pid = self.listeners()
            while not pid:
                time.sleep(0.05)
                pid = self.listeners()
            n = len(self.sup.lines)
            os.kill(pid[0], signal.SIGKILL)
            j = self.sup.wait_line(r"event=restart service=smtp", start=n)
            delays.append(int(re.search(r"delay_ms=(\d+)", self.sup.lines[j]).group(1)))
            self.sup.wait_line(r"event=listening service=smtp", start=j)
        self.assertLess(delays[0], delays[1])

    def test_sigterm_stops_everything_within_5s(self):
        port = self.start()
        # A session in progress (the stub waits for a line).
        s = socket.create_connection(("127.0.0.1", port), 5)
        s.settimeout(5)
        self.assertTrue(s.recv(100).startswith(b"220"))
        time.sleep(0.2)
        procs = descendants(self.sup.proc.pid)
        # listen and the session (the stub: postern-tls starts only on
        # request), plus the queue programs the supervisor runs
        self.assertGreaterEqual(len(procs), 2, procs)

        def cmd(p):
            try:
                with open("/proc/%d/cmdline" % p, "rb") as f:
                    return f.read()
            except OSError:
                return b""
        stub = os.path.join(self.stubs, "postern-smtpd").encode()
        self.assertTrue([p for p in procs if stub in cmd(p)], procs)
        t0 = time.time()
        self.sup.signal(signal.SIGTERM)
        rc = self.sup.proc.wait(6)
        self.assertLess(time.time() - t0, 5.0)
        self.assertEqual(rc, 0)
        s.close()
        time.sleep(0.2)
        alive = [p for p in procs if running(p)]
        self.assertEqual(alive, [], self.sup.text())
        self.assertFalse(wait_port(port, timeout=0.2))

    def test_sigterm_stubborn_session(self):
        """A session that ignores SIGTERM is killed: still all gone in 5 s."""
        with open(os.path.join(self.stubs, "postern-smtpd"), "w") as f:
            f.write("#!/bin/sh\ntrap '' TERM\nprintf '220 stubborn\\r\\n'\n"
                    "while :; do sleep 1; done\n")
        port = self.start()
        s = socket.create_connection(("127.0.0.1", port), 5)
        s.settimeout(5)
        self.assertTrue(s.recv(100).startswith(b"220 stubborn"))
        time.sleep(0.2)
        procs = descendants(self.sup.proc.pid)
        t0 = time.time()
        self.sup.signal(signal.SIGTERM)
        self.assertEqual(self.sup.proc.wait(6), 0)
        self.assertLess(time.time() - t0, 5.0)
        time.sleep(0.3)
        self.assertEqual([p for p in procs if running(p)], [], self.sup.text())
        s.close()

    def test_sighup_reloads_tables_and_config(self):
        port = self.start()
        self.assertNotIn("new.example", greeting(port))
        with open(self.inst.domains, "a") as f:
            f.write("new.example\n")
        n = len(self.sup.lines)
        self.sup.signal(signal.SIGHUP)
        self.sup.wait_line(r"event=reload status=ok", start=n)
        self.assertIn("new.example", greeting(port))
        # A changed port base moves the listener.
        from postern_instance import free_port_base
        base = free_port_base()
        self.inst.set_config("port_base", str(base))
        n = len(self.sup.lines)
        self.sup.signal(signal.SIGHUP)
        self.sup.wait_line(r"event=reload status=ok", start=n)
        self.sup.wait_line(r"event=listening service=smtp addr=127\.0\.0\.1:%d$" %
                           (base + STD_PORTS["smtp"]), start=n)
        self.assertTrue(wait_port(base + STD_PORTS["smtp"]))
        self.assertIn("220 stub", greeting(base + STD_PORTS["smtp"]))
        deadline = time.time() + 5
        while wait_port(port, timeout=0.1) and time.time() < deadline:
            time.sleep(0.1)
        self.assertFalse(wait_port(port, timeout=0.1))

    def test_sighup_keeps_old_config_on_error(self):
        port = self.start()
        before = self.listeners()
        with open(self.inst.conf) as f:
            nlines = len(f.read().splitlines())
        with open(self.inst.conf, "a") as f:
            f.write("port_base = 1\nno_such_key = 2\n")
        n = len(self.sup.lines)
        self.sup.signal(signal.SIGHUP)
        i = self.sup.wait_line(r"event=reload status=refused", start=n)
        self.assertIn("%s:%d" % (self.inst.conf, nlines + 1), self.sup.lines[i])
        time.sleep(0.5)
        self.assertEqual(self.listeners(), before)
        self.assertIn("220 stub", greeting(port))
        # A broken table is refused too.
        with open(self.inst.conf) as f:
            lines = f.read().splitlines()[:nlines]
        with open(self.inst.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(self.inst.domains, "a") as f:
            f.write("bad domain\n")
        n = len(self.sup.lines)
        self.sup.signal(signal.SIGHUP)
        i = self.sup.wait_line(r"event=reload status=refused", start=n)
        self.assertIn("%s:3" % self.inst.domains, self.sup.lines[i])
        self.assertEqual(self.listeners(), before)
        self.assertEqual(self.sup.proc.poll(), None)

    def test_one_supervisor_per_instance(self):
        self.start()
        with open(os.path.join(self.inst.dir, "run", "postern.pid")) as f:
            self.assertEqual(int(f.read()), self.sup.proc.pid)
        p = subprocess.run([POSTERN, "run", self.inst.dir], capture_output=True, text=True,
                           timeout=10, env=dict(os.environ, POSTERN_LIBEXEC=self.stubs))
        self.assertEqual(p.returncode, 111)
        self.assertIn("already running", p.stderr)
        self.assertIn("pid %d" % self.sup.proc.pid, p.stderr)
        self.assertIsNone(self.sup.proc.poll())

    def test_missing_service_users(self):
        self.inst.set_config("user_prefix", "pzq-")
        if IS_ROOT:
            p = subprocess.run([POSTERN, "run", self.inst.dir], capture_output=True,
                               text=True, timeout=10,
                               env=dict(os.environ, POSTERN_LIBEXEC=self.stubs))
            self.assertEqual(p.returncode, 111)
            self.assertIn("service users of prefix pzq- missing", p.stderr)
        else:
            # An ordinary user runs everything as itself: no users needed.
            self.start()

    def test_sighup_starts_newly_installed_service(self):
        stub = os.path.join(self.stubs, "postern-smtpd")
        os.rename(stub, stub + ".later")
        self.sup = Supervisor(self.inst, env={"POSTERN_LIBEXEC": self.stubs})
        self.sup.wait_line(r"event=not-started service=smtp missing=postern-smtpd")
        port = self.inst.ports["smtp"]
        self.assertFalse(wait_port(port, timeout=0.3))
        os.rename(stub + ".later", stub)
        n = len(self.sup.lines)
        self.sup.signal(signal.SIGHUP)
        self.sup.wait_line(r"event=listening service=smtp addr=127\.0\.0\.1:%d$" % port, start=n)
        self.assertTrue(wait_port(port))
        self.assertIn("220 stub", greeting(port))

    def test_config_error_at_start(self):
        with open(self.inst.conf) as f:
            nlines = len(f.read().splitlines())
        with open(self.inst.conf, "a") as f:
            f.write("max_connections = lots\n")
        p = subprocess.run([POSTERN, "run", self.inst.dir], capture_output=True,
                           text=True, timeout=10, env=dict(os.environ, POSTERN_LIBEXEC=self.stubs))
        self.assertEqual(p.returncode, 111)
        self.assertIn("%s:%d" % (self.inst.conf, nlines + 1), p.stderr)
        self.assertIn("max_connections", p.stderr)

    def test_installed_services(self):
        """The real install: a service starts exactly when all its programs
        are installed; no test fixture is ever started."""
        chains = {
            "smtp": ["postern-listen", "postern-tls", "postern-smtpd"],
            "submission": ["postern-listen", "postern-tls", "postern-login",
                           "postern-smtpd", "postern-checkpassword"],
            "pop3": ["postern-listen", "postern-tls", "postern-login",
                     "postern-pop3-login", "postern-checkpassword", "postern-pop3d"],
            "imap": ["postern-listen", "postern-tls", "postern-login",
                     "postern-imap-login", "postern-checkpassword", "postern-imapd"],
        }
        chains["submissions"] = chains["submission"]
        chains["pop3s"] = chains["pop3"]
        chains["imaps"] = chains["imap"]
        self.sup = Supervisor(self.inst)
        self.sup.wait_line(r"event=start ")
        for svc, progs in chains.items():
            have = all(os.access(os.path.join(LIBEXEC, p), os.X_OK) for p in progs)
            if have:
                self.sup.wait_line(r"event=listening service=%s addr=127\.0\.0\.1:%d$"
                                   % (svc, self.inst.ports[svc]))
                self.assertTrue(wait_port(self.inst.ports[svc]), svc)
            else:
                self.sup.wait_line(r"event=not-started service=%s missing=" % svc)
        time.sleep(0.3)
        for p in descendants(self.sup.proc.pid):
            name = comm(p)
            if name == "":
                continue    # exited between the listing and the read
            self.assertTrue(name.startswith("postern"), name)
        t0 = time.time()
        self.assertEqual(self.sup.stop(), 0)
        self.assertLess(time.time() - t0, 5.0)


if __name__ == "__main__":
    unittest.main()
