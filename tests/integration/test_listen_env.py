"""postern-listen: the environment a session sees (ucspi-tcp variables,
TCP6 for IPv6), systemd socket activation, clean SIGTERM, SIGHUP."""
import os, signal, socket, subprocess, time, unittest
import harness as H


class ListenEnv(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        self.echo = H.fixture("postern-test-echo", self.d)
        self.chains = []

    def tearDown(self):
        for c in self.chains:
            c.stop()

    def start(self, addr, port, *opts):
        c = H.Chain([H.prog("postern-listen"), "-n", "envtest"] + list(opts) + [addr, str(port), self.echo],
                    self.d, port=port, host=addr.split(",")[0])
        self.chains.append(c)
        return c

    def test_ipv4_env(self):
        port = H.free_port()
        c = self.start("127.0.0.1", port, "-f", "5")
        s = c.connect()
        env = H.Lines(s).env()
        self.assertEqual(env["PROTO"], "TCP")
        self.assertEqual(env["TCPREMOTEIP"], "127.0.0.1")
        self.assertEqual(env["TCPREMOTEPORT"], str(s.getsockname()[1]))
        self.assertEqual(env["TCPLOCALIP"], "127.0.0.1")
        self.assertEqual(env["TCPLOCALPORT"], str(port))
        self.assertEqual(env["POSTERN_SERVICE"], "envtest")
        self.assertEqual(env["POSTERN_AUTH_FAILS"], "0")
        self.assertRegex(env["POSTERN_SESSION"], r"^[0-9a-f]{12}$")
        self.assertNotIn("TCP6REMOTEIP", env)
        self.assertIn("POSTERN_REPORT_FD", env)
        s.close()

    def test_ipv6_env(self):
        port = H.free_port(socket.AF_INET6, "::1")
        c = self.start("::1", port)
        s = c.connect()
        env = H.Lines(s).env()
        self.assertEqual(env["PROTO"], "TCP6")
        self.assertEqual(env["TCPREMOTEIP"], "::1")
        self.assertEqual(env["TCP6REMOTEIP"], "::1")
        self.assertEqual(env["TCP6LOCALIP"], "::1")
        self.assertEqual(env["TCP6LOCALPORT"], str(port))
        self.assertEqual(env["TCP6REMOTEPORT"], str(s.getsockname()[1]))
        s.close()

    def test_both_families_one_listener(self):
        port = H.free_port()
        c = self.start("127.0.0.1,::1", port)
        for host, proto in (("127.0.0.1", "TCP"), ("::1", "TCP6")):
            s = c.connect(host=host)
            self.assertEqual(H.Lines(s).env()["PROTO"], proto)
            s.close()

    def test_no_report_fd_without_fail_counting(self):
        port = H.free_port()
        c = self.start("127.0.0.1", port)
        s = c.connect()
        self.assertNotIn("POSTERN_REPORT_FD", H.Lines(s).env())
        s.close()

    def test_sigterm_is_clean(self):
        port = H.free_port()
        c = self.start("127.0.0.1", port, "-k", "2")
        s = c.connect()
        env = H.Lines(s).env()
        child = int(env["PID"])
        t0 = time.time()
        c.proc.send_signal(signal.SIGTERM)
        self.assertEqual(c.proc.wait(10), 0)
        self.assertLess(time.time() - t0, 5)
        self.assertTrue(H.eof(s, 5), "session not ended by SIGTERM")
        self.assertTrue(H.wait_for(lambda: not os.path.exists("/proc/%d" % child), 5),
                        "session process survived SIGTERM")
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
        self.assertIn("event=stop", c.log())

    def test_sighup_keeps_socket_and_sessions(self):
        port = H.free_port()
        c = self.start("127.0.0.1", port)
        s = c.connect()
        lines = H.Lines(s)
        lines.env()
        c.proc.send_signal(signal.SIGHUP)
        c.wait_log("event=hup")
        self.assertIsNone(c.proc.poll())
        s.sendall(b"ping\r\n")
        self.assertEqual(lines.line(), "ECHO ping")
        s2 = c.connect()
        self.assertEqual(H.Lines(s2).env()["PROTO"], "TCP")
        s.close()
        s2.close()

    def test_systemd_socket_activation(self):
        port = H.free_port()
        c = H.Chain(["systemd-socket-activate", "-l", "127.0.0.1:%d" % port, "--fdname=imap",
                     "-E", "POSTERN_LOG_STDERR=1",
                     H.prog("postern-listen"), "-n", "sd", "systemd:imap", "0", self.echo],
                    self.d, port=port, wait=False)
        self.chains.append(c)
        H.wait_port(port)   # the first connection makes it exec postern-listen
        for _ in range(2):
            s = c.connect()
            env = H.Lines(s).env()
            self.assertEqual(env["POSTERN_SERVICE"], "sd")
            self.assertEqual(env["TCPLOCALPORT"], str(port))
            self.assertNotIn("LISTEN_FDS", env)
            s.close()
        c.wait_log("event=listen")
        self.assertIn("port=%d" % port, c.log())


if __name__ == "__main__":
    unittest.main()
