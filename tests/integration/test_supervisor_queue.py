"""postern run's queue service: once postern-send, postern-lspawn and
postern-rspawn are installed it starts them joined by UNIX socketpairs
(spawners: their socket on fds 0 and 1; send: lspawn's on fd 3, rspawn's
on fd 4, named in POSTERN_LSPAWN_FD/POSTERN_RSPAWN_FD), restarts the three
together when one dies, and stops them on SIGTERM.  Stub programs written
into the test's directory stand in for the queue programs and report what
they were given."""
import os, shutil, signal, time, unittest

from postern_instance import Supervisor, make_instance, make_tmpdir

STUB = """#!/bin/bash
# test stub for %(name)s: reports its descriptors, then waits.
out=%(dir)s/%(name)s.report
fds=""
for fd in 0 1 3 4; do
  if [ -S /proc/$$/fd/$fd ]; then fds="$fds fd$fd=socket"; fi
done
{
  echo "pid=$$"
  for f in $fds; do echo "$f"; done
  echo "lspawn_fd=${POSTERN_LSPAWN_FD:-}"
  echo "rspawn_fd=${POSTERN_RSPAWN_FD:-}"
  echo "conf=$POSTERN_CONF"
  # send can reach each spawner through its socket
  if [ %(name)s = postern-send ]; then echo ping >&3; echo ping >&4; fi
  if [ %(name)s != postern-send ]; then read -t 5 line; echo "got=$line"; fi
} > $out.tmp 2>&1
mv $out.tmp $out
while :; do sleep 1; done
"""
NAMES = ("postern-send", "postern-lspawn", "postern-rspawn")


def report(d, name, timeout=10):
    path = os.path.join(d, name + ".report")
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                return dict(l.split("=", 1) for l in f.read().split("\n") if "=" in l)
        time.sleep(0.05)
    raise AssertionError("no report from " + name)


class QueueServiceTest(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp, users={})
        self.stubs = os.path.join(self.tmp, "stubs")
        os.mkdir(self.stubs, 0o755)
        os.chmod(self.stubs, 0o755)
        self.reports = os.path.join(self.tmp, "reports")
        os.mkdir(self.reports)
        os.chmod(self.reports, 0o777)
        for n in NAMES:
            p = os.path.join(self.stubs, n)
            with open(p, "w") as f:
                f.write(STUB % {"name": n, "dir": self.reports})
            os.chmod(p, 0o755)
        self.sup = Supervisor(self.inst, env={"POSTERN_LIBEXEC": self.stubs})

    def tearDown(self):
        self.sup.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def clear(self):
        for n in NAMES:
            try:
                os.unlink(os.path.join(self.reports, n + ".report"))
            except FileNotFoundError:
                pass

    def test_wiring_restart_and_stop(self):
        self.sup.wait_line(r"event=started service=queue")
        send = report(self.reports, "postern-send")
        lsp = report(self.reports, "postern-lspawn")
        rsp = report(self.reports, "postern-rspawn")
        self.assertEqual((send.get("fd3"), send.get("fd4")), ("socket", "socket"))
        self.assertEqual((send["lspawn_fd"], send["rspawn_fd"]), ("3", "4"))
        self.assertEqual(send["conf"], self.inst.conf)
        for r in (lsp, rsp):
            self.assertEqual((r.get("fd0"), r.get("fd1")), ("socket", "socket"))
            self.assertEqual(r["got"], "ping")
        # One dies: the three start again together.
        self.clear()
        n = len(self.sup.lines)
        os.kill(int(rsp["pid"]), signal.SIGKILL)
        self.sup.wait_line(r"event=exit service=queue", start=n)
        self.sup.wait_line(r"event=started service=queue", start=n)
        again = {name: report(self.reports, name) for name in NAMES}
        self.assertNotEqual(again["postern-send"]["pid"], send["pid"])
        self.assertNotEqual(again["postern-lspawn"]["pid"], lsp["pid"])
        time.sleep(0.2)
        for p in (send["pid"], lsp["pid"]):
            self.assertFalse(os.path.exists("/proc/%s" % p), p)
        # SIGTERM: all gone within 5 s.
        t0 = time.time()
        self.assertEqual(self.sup.stop(), 0)
        self.assertLess(time.time() - t0, 5.0)
        time.sleep(0.2)
        for r in again.values():
            self.assertFalse(os.path.exists("/proc/%s" % r["pid"]), r)


if __name__ == "__main__":
    unittest.main()
