"""postern-login: exec mode (POP3/IMAP: the checker execs the post-auth
server with the hand-off record; commands pipelined behind the credentials
reach it intact) and yes/no mode (SMTP AUTH), with a stub checkpassword
and, when installed, postern-checkpassword."""
import os, subprocess, time, unittest
import harness as H


class LoginModes(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        self.echo = H.fixture("postern-test-echo", self.d)
        self.post = H.fixture("postern-test-postauth", self.d)
        self.stub = H.fixture("stub-checkpassword", self.d)
        self.chain = None

    def tearDown(self):
        if self.chain:
            self.chain.stop()

    def start(self, login_args, env=None):
        port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "login", "-f", "5", "127.0.0.1", str(port),
                              H.prog("postern-login")] + login_args, self.d, port=port, env=env)
        return self.chain

    def session(self):
        s = self.chain.connect()
        l = H.Lines(s)
        env = l.env()
        return s, l, env

    def test_exec_mode_pipelined(self):
        self.start(["-d", "0", self.echo, "-x", "--", self.stub, "--", self.post])
        s, l, env = self.session()
        self.assertIn("POSTERN_AUTH_FD", env)
        self.assertNotIn("POSTERN_REPORT_FD", env)   # the monitor keeps it
        s.sendall(b"auth test wrong\r\n")
        self.assertEqual(l.line(), "AUTH NO")
        s.sendall(b"still here\r\n")
        self.assertEqual(l.line(), "ECHO still here")
        # credentials and two commands in one write
        s.sendall(b"auth test secret\r\nfirst command\r\nsecond \x01 command\r\nquit\r\n")
        head = l.line()
        self.assertRegex(head, r"^POSTAUTH r=1 user=test login=test uid=\d+ service=test tag=A1 cmd=LOGIN "
                               r"tls=- ip=127\.0\.0\.1 fails=0 pipelined=39$")
        self.assertEqual(l.line(), "POST first command")
        self.assertEqual(l.line(), "POST second \x01 command")
        self.assertEqual(l.line(), "BYE")
        self.assertTrue(H.eof(s))
        s.close()
        self.chain.wait_log("event=end")
        log = self.chain.log()
        self.assertIn("event=auth_fail", log)
        self.assertIn("event=auth_ok", log)
        self.assertNotIn("secret", log)
        self.assertNotIn("wrong", log)

    def test_exec_mode_checker_exit0_without_server_is_no(self):
        # a checker that "succeeds" without starting the post-auth server
        self.start(["-d", "0", self.echo, "-x", "--", "/bin/sh", "-c", "exit 0", "--", self.post])
        s, l, env = self.session()
        s.sendall(b"auth test secret\r\n")
        self.assertEqual(l.line(), "AUTH NO")
        s.close()

    def test_tempfail(self):
        self.start(["-d", "0", self.echo, "-x", "--", "/bin/sh", "-c", "exit 111", "--", self.post])
        s, l, env = self.session()
        s.sendall(b"auth test secret\r\n")
        self.assertEqual(l.line(), "AUTH TEMP")
        s.close()

    def test_checker_timeout(self):
        self.start(["-d", "0", "-T", "1", self.echo, "-x", "--", "/bin/sh", "-c", "sleep 30", "--", self.post])
        s, l, env = self.session()
        t0 = time.time()
        s.sendall(b"auth test secret\r\n")
        self.assertEqual(l.line(), "AUTH TEMP")
        self.assertLess(time.time() - t0, 5)
        s.close()

    def test_yesno_mode(self):
        self.start(["-y", "-d", "0", self.echo, "--", self.stub])
        s, l, env = self.session()
        s.sendall(b"auth test wrong\r\n")
        self.assertEqual(l.line(), "AUTH NO")
        s.sendall(b"auth test secret\r\nafter\r\n")
        self.assertEqual(l.line(), "AUTH YES")
        self.assertEqual(l.line(), "ECHO after")
        s.sendall(b"quit\r\n")
        self.assertEqual(l.line(), "BYE")
        s.close()

    def test_attempt_limit(self):
        self.start(["-y", "-d", "0", "-a", "2", self.echo, "--", self.stub])
        s, l, env = self.session()
        for _ in range(2):
            s.sendall(b"auth test wrong\r\n")
            self.assertEqual(l.line(), "AUTH NO")
        s.sendall(b"auth test secret\r\n")
        self.assertEqual(l.line(), "AUTH TEMP")
        s.close()

    def test_no_monitor(self):
        port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "127.0.0.1", str(port), self.echo], self.d, port=port)
        s, l, env = self.session()
        s.sendall(b"auth test secret\r\n")
        self.assertEqual(l.line(), "AUTH UNAVAILABLE")
        s.close()

    def test_with_postern_checkpassword(self):
        try:
            checker = H.prog("postern-checkpassword")
        except AssertionError:
            self.skipTest("postern-checkpassword not built yet")
        passwd = os.path.join(self.d, "passwd")
        uid, gid = os.getuid(), os.getgid()
        if H.IS_ROOT:
            uid = gid = H.ensure_test_user()
            gid = __import__("pwd").getpwnam(H.TEST_USER).pw_gid
        hashed = subprocess.run(["python3", "-c", "import crypt;print(crypt.crypt('pw1', crypt.mksalt(crypt.METHOD_SHA512)))"],
                                capture_output=True, text=True).stdout.strip()
        with open(passwd, "w") as f:
            f.write("alice:{SHA512-CRYPT}%s:%d:%d::%s::\n" % (hashed, uid, gid, self.d))
        os.chmod(passwd, 0o600)
        conf = os.path.join(self.d, "postern.conf")
        with open(conf, "w") as f:
            f.write("passwd_file = %s\nuid_min = 100\n" % passwd)
        self.start(["-d", "0", self.echo, "-x", "--", checker, "--", self.post],
                   env={"POSTERN_CONF": conf})
        s, l, env = self.session()
        s.sendall(b"auth alice nope\r\n")
        self.assertEqual(l.line(), "AUTH NO")
        s.sendall(b"auth alice pw1\r\nnext\r\n")
        head = l.line()
        if not head.startswith("POSTAUTH"):
            print(self.chain.log())
        self.assertRegex(head, r"^POSTAUTH r=1 user=alice login=alice uid=%d " % uid)
        self.assertEqual(l.line(), "POST next")
        s.close()


if __name__ == "__main__":
    unittest.main()
