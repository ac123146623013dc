"""postern-listen -R driven directly (with the echo fixture as the protocol
program): until STARTTLS the session is the program on the TCP connection,
in a process group of its own, and postern-listen holds the other end of
its control descriptor and a copy of the connection (no process waits
beside it); STARTTLS starts postern-tls -R in the session's group, which
drops and chroots as in the old chain and holds no descriptor but the
connection and the program's new socket, and listen lets go of both; the
auth-report socket still reaches postern-login; certificate problems show
at the first STARTTLS only; bad command lines are refused.  The tests of
the old chain's STARTTLS and deferred certificate loading
(test_tls_starttls.py, test_tls_deferred.py) run here again in -R mode."""
import os, pwd, subprocess, unittest
import harness as H
import test_tls_deferred
import test_tls_starttls
from test_tls_implicit import client_ctx

socket_inodes = H.socket_inodes


def on_request(argv):
    """An old-style chain "listen OPTS ADDR PORT postern-tls ARGS PROG"
    as postern-listen -R: "listen -R OPTS ADDR PORT postern-tls ARGS -- PROG"."""
    tls = next(i for i, a in enumerate(argv) if os.path.basename(a) == "postern-tls")
    prog = next(i for i in range(tls + 1, len(argv)) if not argv[i].startswith("-")
                and not argv[i - 1] in ("-C", "-K", "-u", "-r", "-p", "-T", "-I"))
    return argv[:1] + ["-R"] + argv[1:prog] + ["--"] + argv[prog:]


class OnRequestChainMixin:
    """Every H.Chain of the old tests is started in -R mode."""

    def setUp(self):
        real = H.Chain
        self.addCleanup(setattr, H, "Chain", real)
        H.Chain = lambda argv, *a, **k: real(on_request(argv), *a, **k)
        super().setUp()

    def tearDown(self):
        if getattr(self, "chain", None) is not None:
            self.assertEqual(self.chain.proc.args[1], "-R")
            self.assertIn("--", self.chain.proc.args)
        super().tearDown()


class StarttlsOnRequest(OnRequestChainMixin, test_tls_starttls.TlsStarttls):
    pass


class DeferredOnRequest(OnRequestChainMixin, test_tls_deferred.TlsDeferred):
    def test_missing_key_stops_at_start(self):
        """-R: postern-tls starts at STARTTLS, so that is where a missing
        key shows (logged); plaintext works (OnRequestChain below)."""


class OnRequestChain(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        self.echo = H.fixture("postern-test-echo", self.d)
        self.cert, self.key = H.make_cert(self.d)
        self.empty = H.empty_dir(self.d)
        self.chain = None

    def tearDown(self):
        if self.chain:
            self.chain.stop()

    def tls(self, cert=None, key=None):
        a = [H.prog("postern-tls"), "-C", cert or self.cert, "-K", key or self.key]
        if H.IS_ROOT:
            a += ["-u", H.service_user(), "-r", self.empty]
        return a

    def start(self, tls, prog, listen_opts=()):
        port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "tlsr", "-R"] + list(listen_opts) +
                             ["127.0.0.1", str(port)] + tls + ["--"] + prog, self.d, port=port)
        return self.chain

    def session(self):
        """The session's first process (the one listen counts, the id of
        its process group)."""
        groups = H.wait_for(lambda: H.listen_sessions(self.chain.pid))
        self.assertEqual(len(groups), 1, groups)
        return next(iter(groups))

    def tls_process(self, first):
        """postern-tls of the session first: the listener's other child
        in that group."""
        members = H.wait_for(lambda: (lambda m: m if len(m) == 2 else None)(
            H.listen_sessions(self.chain.pid).get(first, [])))
        self.assertTrue(members, H.listen_sessions(self.chain.pid))
        return members[1]

    def test_starttls_in_request_mode(self):
        s = self.start(self.tls(), [self.echo]).connect()
        l = H.Lines(s)
        env = l.env()
        self.assertIn("POSTERN_TLS_CTL", env)
        self.assertNotIn("POSTERN_TLS_VERSION", env)
        self.assertNotIn("POSTERN_REPORT_FD", env)
        first = self.session()
        prog = int(env["PID"])
        # before STARTTLS: the program is the session, in its own group,
        # listen's child; no postern-tls anywhere
        self.assertEqual(first, prog)
        self.assertEqual(H.parent(prog), self.chain.pid)
        self.assertEqual(H.pgid(prog), prog)
        self.assertEqual(H.children(self.chain.pid), [prog])
        self.assertNotIn("postern-tls", [H.proc_exe_name(p) for p in H.descendants(self.chain.pid)])
        # listen holds a copy of the connection and the control's other end
        conn = socket_inodes(prog, (0,))
        self.assertEqual(len(conn), 1)
        held = socket_inodes(self.chain.pid)
        self.assertTrue(conn <= held)
        s.sendall(b"starttls\r\n")
        self.assertEqual(l.line(), "GO")
        t = client_ctx().wrap_socket(s, server_hostname="localhost")
        tl = H.Lines(t)
        self.assertRegex(tl.line(), r"^TLS TLS1\.[23] ")
        # postern-tls, in the session's group: dropped, chrooted, no-new-privs
        tp = self.tls_process(first)
        self.assertEqual(H.proc_exe_name(tp), "postern-tls")
        self.assertEqual(H.pgid(tp), first)
        st = H.proc_status(tp)
        self.assertEqual(st["CapEff"], 0)
        self.assertEqual(st["NoNewPrivs"], 1)
        if H.IS_ROOT:
            uid = pwd.getpwnam(H.service_user()).pw_uid
            self.assertEqual(st["Uid"], [uid] * 4)
            self.assertEqual(H.proc_root(tp), self.empty)
        # the connection and the program's new socket; the control
        # descriptor is closed after the answer
        self.assertEqual(len(socket_inodes(tp)), 2)
        self.assertTrue(conn <= socket_inodes(tp))
        # listen let go of the connection and the control descriptor
        self.assertTrue(H.wait_for(lambda: len(held - socket_inodes(self.chain.pid)) == 2, 5))
        self.assertFalse(conn & socket_inodes(self.chain.pid))
        t.sendall(b"after\r\n")
        self.assertEqual(tl.line(), "ECHO after")
        t.sendall(b"env\r\n")
        self.assertNotIn("POSTERN_TLS_CTL", tl.env())
        # the program holds no TCP socket any more: only the new one
        self.assertEqual(len(socket_inodes(prog)), 1)
        t.sendall(b"quit\r\n")
        self.assertEqual(tl.line(), "BYE")
        t.close()
        self.assertTrue(H.wait_for(lambda: H.gone(tp), 5))
        self.assertTrue(H.wait_for(lambda: H.gone(first) and H.gone(prog), 5))
        self.chain.wait_log("event=end service=tlsr pid=%d status=0" % first)

    def test_plaintext_session_ends_with_the_program(self):
        s = self.start(self.tls(), [self.echo]).connect()
        l = H.Lines(s)
        env = l.env()
        first, prog = self.session(), int(env["PID"])
        s.sendall(b"quit\r\n")
        self.assertEqual(l.line(), "BYE")
        self.assertTrue(H.eof(s, 5))
        self.assertTrue(H.wait_for(lambda: H.gone(first) and H.gone(prog), 5))
        self.chain.wait_log("event=end service=tlsr pid=%d status=0" % first)
        self.assertNotIn("event=tls", self.chain.log())

    def test_listen_lets_go_of_ended_sessions(self):
        """What listen holds for a session (a copy of the connection, the
        control descriptor) goes with the session: after sessions that
        quit, dropped the connection, or ended in the handshake, listen
        holds what it held before the first."""
        self.start(self.tls(), [self.echo])
        base = socket_inodes(self.chain.pid)
        socks = []
        for i in range(6):
            s = self.chain.connect()
            H.Lines(s).env()
            socks.append(s)
        self.assertEqual(len(socket_inodes(self.chain.pid)), len(base) + 12)
        for i, s in enumerate(socks):
            if i % 3 == 0:
                s.sendall(b"quit\r\n")
            elif i % 3 == 1:
                s.sendall(b"starttls\r\n")
                H.Lines(s).line()
            s.close()
        self.assertTrue(H.wait_for(lambda: not H.listen_sessions(self.chain.pid), 10),
                        H.listen_sessions(self.chain.pid))
        self.assertTrue(H.wait_for(lambda: socket_inodes(self.chain.pid) == base, 5))

    def test_report_socket_reaches_the_monitor(self):
        stub = H.fixture("stub-checkpassword", self.d)
        post = H.fixture("postern-test-postauth", self.d)
        pre = [self.echo, "-x"]
        if H.IS_ROOT:
            H.ensure_test_user()
            pre += ["-u", H.service_user(), "-r", self.empty]
        self.start(self.tls(), [H.prog("postern-login"), "-d", "0"] + pre + ["--", stub, "--", post],
                   ["-f", "5"])
        s = self.chain.connect()
        l = H.Lines(s)
        env = l.env()
        self.assertNotIn("POSTERN_REPORT_FD", env)
        self.assertIn("POSTERN_TLS_CTL", env)
        first = self.session()
        self.assertEqual(H.proc_exe_name(first), "postern-login")
        s.sendall(b"starttls\r\n")
        self.assertEqual(l.line(), "GO")
        t = client_ctx().wrap_socket(s, server_hostname="localhost")
        tl = H.Lines(t)
        tl.line()
        self.assertEqual(self.session(), first)
        tp = self.tls_process(first)
        self.assertEqual(H.proc_exe_name(tp), "postern-tls")
        self.assertEqual(len(socket_inodes(tp)), 2)   # no report socket
        t.sendall(b"auth test wrong\r\n")
        self.assertEqual(tl.line(), "AUTH NO")
        self.chain.wait_log("event=authfail service=tlsr ip=127.0.0.1 count=1")
        t.sendall(b"quit\r\n")
        tl.until("BYE")
        t.close()
        self.assertTrue(H.wait_for(lambda: H.gone(first), 5))

    def test_missing_key_shows_at_starttls(self):
        # postern-tls starts only at STARTTLS, so that is where an
        # unreadable key shows (logged); plaintext sessions work.
        s = self.start(self.tls(key=os.path.join(self.d, "nonexistent")), [self.echo]).connect()
        l = H.Lines(s)
        env = l.env()
        s.sendall(b"plain\r\n")
        self.assertEqual(l.line(), "ECHO plain")
        s.sendall(b"starttls\r\n")
        self.assertTrue(H.eof(s, 10))
        self.chain.wait_log("event=tls_setup")
        self.assertTrue(H.wait_for(lambda: H.gone(int(env["PID"])), 5))

    def test_bad_command_lines(self):
        base = [H.prog("postern-listen"), "-R", "127.0.0.1", "0"]
        for rest in ([self.echo], self.tls() + [self.echo], ["--", self.echo], self.tls() + ["--"]):
            r = subprocess.run(base + rest, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
            self.assertEqual(r.returncode, 100, rest)
        # postern-tls -R: no program, no -i, and a control descriptor
        for argv, env in ((self.tls() + ["-R", self.echo], {"POSTERN_TLS_CTL": "0"}),
                          (self.tls() + ["-R", "-i"], {"POSTERN_TLS_CTL": "0"}),
                          (self.tls() + ["-R"], {})):
            e = dict(os.environ, **env)
            e.pop("POSTERN_TLS_CTL", None) if not env else None
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10, env=e)
            self.assertEqual(r.returncode, 100, argv)


if __name__ == "__main__":
    unittest.main()
