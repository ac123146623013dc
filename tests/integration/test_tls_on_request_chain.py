"""postern-listen -R driven directly (with the echo fixture as the protocol
program): until STARTTLS the session is listen's root process (it only
waits) and the program on the TCP connection; STARTTLS turns that process
into postern-tls -R, which drops and chroots as in the old chain and holds
no descriptor but the connection and the program's new socket; the
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
        """The session's first process (the one listen counts)."""
        kids = H.wait_for(lambda: [k for k in H.children(self.chain.pid) if not H.gone(k)])
        self.assertEqual(len(kids), 1, kids)
        return kids[0]

    def test_starttls_in_request_mode(self):
        s = self.start(self.tls(), [self.echo]).connect()
        l = H.Lines(s)
        env = l.env()
        self.assertIn("POSTERN_TLS_CTL", env)
        self.assertNotIn("POSTERN_TLS_VERSION", env)
        self.assertNotIn("POSTERN_REPORT_FD", env)
        first = self.session()
        prog = int(env["PID"])
        # before STARTTLS: listen's forked process, root, unchrooted, and
        # the program as its only child; no postern-tls anywhere
        self.assertEqual(H.proc_exe_name(first), "postern-listen")
        self.assertEqual(H.children(first), [prog])
        self.assertEqual(H.proc_status(first)["Uid"][1], os.geteuid())
        self.assertNotIn("postern-tls", [H.proc_exe_name(p) for p in H.descendants(self.chain.pid)])
        # it holds the connection and its control end, nothing else
        self.assertEqual(len(socket_inodes(first)), 2)
        s.sendall(b"starttls\r\n")
        self.assertEqual(l.line(), "GO")
        t = client_ctx().wrap_socket(s, server_hostname="localhost")
        tl = H.Lines(t)
        self.assertRegex(tl.line(), r"^TLS TLS1\.[23] ")
        # the same process, now postern-tls: dropped, chrooted, no-new-privs
        self.assertEqual(H.proc_exe_name(first), "postern-tls")
        self.assertEqual(H.children(first), [prog])
        st = H.proc_status(first)
        self.assertEqual(st["CapEff"], 0)
        self.assertEqual(st["NoNewPrivs"], 1)
        if H.IS_ROOT:
            uid = pwd.getpwnam(H.service_user()).pw_uid
            self.assertEqual(st["Uid"], [uid] * 4)
            self.assertEqual(H.proc_root(first), self.empty)
        # the connection and the program's new socket; the control
        # descriptor is closed after the answer
        self.assertEqual(len(socket_inodes(first)), 2)
        t.sendall(b"after\r\n")
        self.assertEqual(tl.line(), "ECHO after")
        t.sendall(b"env\r\n")
        self.assertNotIn("POSTERN_TLS_CTL", tl.env())
        # the program holds no TCP socket any more: only the new one
        self.assertEqual(len(socket_inodes(prog)), 1)
        t.sendall(b"quit\r\n")
        self.assertEqual(tl.line(), "BYE")
        t.close()
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
        self.assertEqual(H.proc_exe_name(first), "postern-listen")
        self.assertEqual(len(socket_inodes(first)), 2)   # connection, control
        s.sendall(b"starttls\r\n")
        self.assertEqual(l.line(), "GO")
        t = client_ctx().wrap_socket(s, server_hostname="localhost")
        tl = H.Lines(t)
        tl.line()
        self.assertEqual(self.session(), first)
        self.assertEqual(H.proc_exe_name(first), "postern-tls")
        self.assertEqual(len(socket_inodes(first)), 2)   # no report socket
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
