"""postern-listen -P (common/prepared.h): the session program is started
ahead of its connection, in its own process group, with /dev/null on 0
and 1; it sets itself up and waits; a connection is handed to it with its
variables (and with -R the TLS control descriptor), and the next one is
prepared at once while fewer than two sessions run.  A prepared program
that dies unused is logged and the
next connection is served the usual way; only sessions count toward the
connection limit; at the end the prepared program goes too.  Driven with
the echo fixture, which takes its connection as postern-smtpd does."""
import os, signal, unittest
import harness as H
from test_tls_implicit import client_ctx


class PreparedTest(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        self.echo = H.fixture("postern-test-echo", self.d)
        self.chain = None

    def tearDown(self):
        if self.chain:
            self.chain.stop()

    def start(self, opts=(), request=False):
        port = H.free_port()
        argv = [H.prog("postern-listen"), "-n", "prep", "-P"] + list(opts)
        if request:
            self.cert, self.key = H.make_cert(self.d)
            self.empty = H.empty_dir(self.d)
            tls = [H.prog("postern-tls"), "-C", self.cert, "-K", self.key]
            if H.IS_ROOT:
                tls += ["-u", H.service_user(), "-r", self.empty]
            argv += ["-R", "127.0.0.1", str(port)] + tls + ["--", self.echo]
        else:
            argv += ["127.0.0.1", str(port), self.echo]
        self.chain = H.Chain(argv, self.d, port=port)
        return self.chain

    def prepared(self):
        """The listener's prepared program (waits for one)."""
        p = H.wait_for(lambda: [c for c in H.children(self.chain.pid) if H.prepared(c)])
        self.assertTrue(p, H.children(self.chain.pid))
        self.assertEqual(len(p), 1, p)
        return p[0]

    def test_connection_goes_to_the_prepared_program(self):
        self.start()
        first = self.prepared()
        self.assertEqual(H.pgid(first), first)
        self.assertEqual(os.readlink("/proc/%d/fd/1" % first), "/dev/null")
        self.assertEqual(H.listen_sessions(self.chain.pid), {})
        s = self.chain.connect()
        env = H.Lines(s).env()
        self.assertEqual(int(env["PID"]), first)
        self.assertEqual(env["TCPREMOTEIP"], "127.0.0.1")
        self.assertEqual(env["TCPLOCALPORT"], str(self.chain.port))
        self.assertEqual(env["PROTO"], "TCP")
        self.assertEqual(env["POSTERN_SERVICE"], "prep")
        self.assertRegex(env["POSTERN_SESSION"], r"^[0-9a-f]{12}$")
        self.assertNotIn("POSTERN_TLS_CTL", env)
        self.assertNotIn("TCP6REMOTEIP", env)
        self.chain.wait_log("event=connect session=%s service=prep pid=%d" % (env["POSTERN_SESSION"], first))
        # the connection is on its 0 and 1 now; the next one is prepared
        self.assertTrue(os.readlink("/proc/%d/fd/0" % first).startswith("socket:"))
        second = self.prepared()
        self.assertNotEqual(second, first)
        self.assertEqual(list(H.listen_sessions(self.chain.pid)), [first])
        s.sendall(b"hello\r\n")
        self.assertEqual(H.Lines(s).line(), "ECHO hello")
        s.sendall(b"quit\r\n")
        self.assertTrue(H.eof(s, 5))
        self.chain.wait_log("event=end service=prep pid=%d status=0" % first)
        # a second connection: the second program
        s = self.chain.connect()
        self.assertEqual(int(H.Lines(s).env()["PID"]), second)
        s.close()

    def test_starttls_on_a_prepared_program(self):
        self.start(request=True)
        first = self.prepared()
        s = self.chain.connect()
        l = H.Lines(s)
        env = l.env()
        self.assertEqual(int(env["PID"]), first)
        self.assertIn("POSTERN_TLS_CTL", env)
        s.sendall(b"starttls\r\n")
        self.assertEqual(l.line(), "GO")
        t = client_ctx().wrap_socket(s, server_hostname="localhost")
        tl = H.Lines(t)
        self.assertRegex(tl.line(), r"^TLS TLS1\.[23] ")
        members = H.wait_for(lambda: (lambda m: m if len(m) == 2 else None)(
            H.listen_sessions(self.chain.pid).get(first, [])))
        self.assertTrue(members)
        self.assertEqual(H.proc_exe_name(members[1]), "postern-tls")
        t.sendall(b"after\r\n")
        self.assertEqual(tl.line(), "ECHO after")
        t.sendall(b"quit\r\n")
        self.assertEqual(tl.line(), "BYE")
        t.close()
        self.assertTrue(H.wait_for(lambda: H.gone(first), 5))

    def test_prepared_program_that_dies(self):
        self.start()
        first = self.prepared()
        os.kill(first, signal.SIGKILL)
        self.chain.wait_log("event=prepare service=prep pid=%d status=137" % first)
        # served the usual way, and a new one prepared after it
        s = self.chain.connect()
        pid = int(H.Lines(s).env()["PID"])
        self.assertNotEqual(pid, first)
        self.assertNotEqual(self.prepared(), pid)
        s.close()

    def test_prepared_only_while_quiet(self):
        """One is prepared while fewer than two sessions run (when busy its
        start-up would only compete with them)."""
        self.start()
        self.prepared()
        s1 = self.chain.connect()
        H.Lines(s1).env()
        self.prepared()                 # one session: prepared again
        s2 = self.chain.connect()
        H.Lines(s2).env()
        self.assertEqual(len(H.listen_sessions(self.chain.pid)), 2)
        self.assertEqual([c for c in H.children(self.chain.pid) if H.prepared(c)], [])
        s2.sendall(b"quit\r\n")
        self.assertTrue(H.eof(s2, 5))
        self.prepared()                 # back to one: prepared again
        s1.close()

    def test_only_sessions_count(self):
        self.start(["-c", "1", "-b", "421 busy"])
        self.prepared()
        s = self.chain.connect()
        H.Lines(s).env()
        s2 = self.chain.connect()
        self.assertEqual(H.Lines(s2).line(), "421 busy")
        self.chain.wait_log("reason=maxconn")
        s.close()
        s2.close()

    def test_stop_ends_the_prepared_program(self):
        self.start()
        first = self.prepared()
        self.chain.stop()
        self.assertTrue(H.wait_for(lambda: H.gone(first), 5))


if __name__ == "__main__":
    unittest.main()
