"""Privilege boundaries of the authenticating chain, read from /proc:
listen (root) -> tls (drops to its user, chroot, no caps, no-new-privs)
-> login (root monitor) -> pre-auth (drops itself, chroot) and, after a
successful login, the post-auth server as the mail user.  Run as an
ordinary user, every process is that user with no capabilities."""
import os, pwd, ssl, unittest
import harness as H
from test_tls_implicit import client_ctx


class LoginPrivs(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        echo = H.fixture("postern-test-echo", self.d)
        post = H.fixture("postern-test-postauth", self.d)
        stub = H.fixture("stub-checkpassword", self.d)
        cert, key = H.make_cert(self.d)
        self.empty = H.empty_dir(self.d)
        env = {}
        tls = [H.prog("postern-tls"), "-C", cert, "-K", key]
        pre = [echo, "-x"]
        if H.IS_ROOT:
            H.ensure_test_user()
            env["STUB_RUNAS"] = H.TEST_USER
            tls += ["-u", H.service_user(), "-r", self.empty]
            pre += ["-u", H.service_user(), "-r", self.empty]
        else:
            pre += ["-u", pwd.getpwuid(os.getuid()).pw_name]   # no-op, but no-new-privs
        port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "privs", "-f", "5", "127.0.0.1", str(port)] + tls +
                             [H.prog("postern-login"), "-d", "0"] + pre + ["--", stub, "--", post],
                             self.d, port=port, env=env)

    def tearDown(self):
        self.chain.stop()

    def only_child(self, pid, name):
        kids = H.wait_for(lambda: [k for k in H.children(pid) if H.proc_exe_name(k) == name])
        self.assertEqual(len(kids), 1, "children of %d named %s: %r" % (pid, name, H.children(pid)))
        return kids[0]

    def assert_unprivileged(self, pid, user, chroot, nnp=True):
        st = H.proc_status(pid)
        self.assertEqual(st["CapEff"], 0, "pid %d has capabilities" % pid)
        if H.IS_ROOT:
            pw = pwd.getpwnam(user)
            self.assertEqual(st["Uid"], [pw.pw_uid] * 4)
            self.assertEqual(st["Gid"], [pw.pw_gid] * 4)
            self.assertNotIn(0, st["Groups"])
            self.assertTrue(set(st["Groups"]) <= {pw.pw_gid} |
                            {g.gr_gid for g in __import__("grp").getgrall() if user in g.gr_mem})
            if chroot:
                self.assertEqual(H.proc_root(pid), self.empty)
        else:
            self.assertEqual(st["Uid"], [os.getuid()] * 4)
        if nnp:
            self.assertEqual(st["NoNewPrivs"], 1)

    def assert_root_or_self(self, pid):
        st = H.proc_status(pid)
        self.assertEqual(st["Uid"][1], os.geteuid())
        self.assertEqual(H.proc_root(pid), "/")

    def test_chain_privileges(self):
        s = self.chain.connect()
        l = H.Lines(s)
        env = l.env()
        listener = self.chain.pid
        tls = self.only_child(listener, "postern-tls")
        login = self.only_child(tls, "postern-login")
        pre = self.only_child(login, "postern-test-echo")
        self.assertEqual(pre, int(env["PID"]))
        self.assertNotIn("POSTERN_REPORT_FD", env)
        self.assertIn("POSTERN_AUTH_FD", env)
        self.assert_root_or_self(listener)
        self.assert_unprivileged(tls, H.service_user(), chroot=True)
        self.assert_root_or_self(login)
        self.assert_unprivileged(pre, H.service_user(), chroot=True)

        # STARTTLS, then log in with a command pipelined behind the credentials
        s.sendall(b"starttls\r\n")
        self.assertEqual(l.line(), "GO")
        t = client_ctx().wrap_socket(s, server_hostname="localhost")
        tl = H.Lines(t)
        self.assertTrue(tl.line().startswith("TLS TLS1."))
        t.sendall(b"auth test secret\r\nnoop\r\n")
        head = tl.line()
        self.assertTrue(head.startswith("POSTAUTH r=1 user=test"), head + self.chain.log())
        self.assertIn(" tls=TLS1.", head)
        self.assertEqual(tl.line(), "POST noop")
        post = self.only_child(login, "postern-test-postauth") if H.IS_ROOT else \
            H.wait_for(lambda: [k for k in H.children(login) if k != pre])[0]
        self.assertTrue(H.wait_for(lambda: H.gone(pre), 5), "pre-auth still running after the hand-off")
        self.assert_unprivileged(post, H.TEST_USER, chroot=False, nnp=False)
        if H.IS_ROOT:
            pw = pwd.getpwnam(H.TEST_USER)
            self.assertEqual(H.proc_status(post)["Groups"], [pw.pw_gid])
        t.sendall(b"quit\r\n")
        self.assertEqual(tl.line(), "BYE")
        t.close()


class YesNoPrivs(unittest.TestCase):
    """The submission-style chain: listen -> tls -i -> login -y -> pre-auth
    program that keeps the session after "yes"."""

    def setUp(self):
        self.d = H.tmpdir()
        echo = H.fixture("postern-test-echo", self.d)
        stub = H.fixture("stub-checkpassword", self.d)
        cert, key = H.make_cert(self.d)
        self.empty = H.empty_dir(self.d)
        tls = [H.prog("postern-tls"), "-i", "-C", cert, "-K", key]
        pre = [echo]
        if H.IS_ROOT:
            tls += ["-u", H.service_user(), "-r", self.empty]
            pre += ["-u", H.service_user(), "-r", self.empty]
        else:
            pre += ["-u", pwd.getpwuid(os.getuid()).pw_name]
        port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "sub", "-t", "-f", "5", "127.0.0.1", str(port)] +
                             tls + [H.prog("postern-login"), "-y", "-d", "0"] + pre + ["--", stub],
                             self.d, port=port)

    def tearDown(self):
        self.chain.stop()

    def test_yesno_chain(self):
        s = client_ctx().wrap_socket(self.chain.connect(), server_hostname="localhost")
        l = H.Lines(s)
        env = l.env()
        t = LoginPrivs.only_child
        tls = t(self, self.chain.pid, "postern-tls")
        login = t(self, tls, "postern-login")
        pre = t(self, login, "postern-test-echo")
        s.sendall(b"auth test secret\r\n")
        self.assertEqual(l.line(), "AUTH YES")
        for pid, user in ((tls, H.service_user()), (pre, H.service_user())):
            st = H.proc_status(pid)
            self.assertEqual(st["CapEff"], 0)
            self.assertEqual(st["NoNewPrivs"], 1)
            if H.IS_ROOT:
                self.assertEqual(st["Uid"], [pwd.getpwnam(user).pw_uid] * 4)
                self.assertEqual(H.proc_root(pid), self.empty)
        st = H.proc_status(login)
        self.assertEqual(st["Uid"][1], os.geteuid())
        self.assertEqual(H.proc_root(login), "/")
        self.assertEqual(H.children(login), [pre])    # no checker left behind
        self.assertNotIn("POSTERN_REPORT_FD", env)
        s.sendall(b"quit\r\n")
        self.assertEqual(l.line(), "BYE")
        s.close()


if __name__ == "__main__":
    unittest.main()
