"""postern-listen on SIGTERM ends whole sessions: a session whose first
process has already exited, leaving a process that ignores SIGTERM, is
still killed (by process group) once the grace period (-k) is over."""
import os, time, unittest
import harness as H


def gone(pid):
    """True once pid no longer runs (absent, or a zombie nobody reaped)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


class ListenShutdown(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        self.chain = None

    def tearDown(self):
        if self.chain:
            self.chain.stop()

    def test_lingering_session_group_is_killed(self):
        pidfile = os.path.join(self.d, "survivor.pid")
        # the session's first process starts a TERM-ignoring child and exits
        script = ("trap '' TERM; sleep 60 </dev/null >/dev/null 2>&1 & "
                  "echo $! > %s; exit 0" % pidfile)
        port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "sd", "-k", "1",
                              "127.0.0.1", str(port), "/bin/sh", "-c", script],
                             self.d, port=port)
        s = self.chain.connect()
        self.chain.wait_log("event=end", 10)
        s.close()
        deadline = time.time() + 5
        while not os.path.exists(pidfile) or not open(pidfile).read().strip():
            self.assertLess(time.time(), deadline, "no survivor pid")
            time.sleep(0.05)
        survivor = int(open(pidfile).read())
        self.assertFalse(gone(survivor), "survivor did not start")
        try:
            t0 = time.time()
            self.assertEqual(self.chain.stop(timeout=15), 0)
            waited = time.time() - t0
            deadline = time.time() + 3
            while not gone(survivor) and time.time() < deadline:
                time.sleep(0.05)
            self.assertTrue(gone(survivor), "TERM-ignoring session process survived:\n"
                            + self.chain.log())
            # it ignored TERM, so only the kill after the grace period got it
            self.assertGreaterEqual(waited, 0.9)
        finally:
            if not gone(survivor):
                os.kill(survivor, 9)


if __name__ == "__main__":
    unittest.main()
