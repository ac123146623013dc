"""postern-tls on implicit-TLS ports: TLS 1.2 and 1.3, the TLS facts (and
SNI) in the session's environment, the priority string, the handshake
timeout, and no plaintext ever reaching the session program."""
import os, socket, ssl, time, unittest
import harness as H


def client_ctx(minv=None, maxv=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if minv:
        ctx.minimum_version = minv
    if maxv:
        ctx.maximum_version = maxv
    return ctx


class TlsImplicit(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        self.echo = H.fixture("postern-test-echo", self.d)
        self.cert, self.key = H.make_cert(self.d)
        self.chain = None

    def tearDown(self):
        if self.chain:
            self.chain.stop()

    def start(self, *tlsopts):
        port = H.free_port()
        tls = [H.prog("postern-tls"), "-i", "-C", self.cert, "-K", self.key] + list(tlsopts)
        if H.IS_ROOT:
            tls += ["-u", H.service_user(), "-r", H.empty_dir(self.d)]
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "tlsi", "-t", "127.0.0.1", str(port)] +
                             tls + [self.echo], self.d, port=port)
        return self.chain

    def tls_session(self, ctx, sni="localhost"):
        raw = self.chain.connect()
        return ctx.wrap_socket(raw, server_hostname=sni)

    def test_tls13_env_and_echo(self):
        self.start()
        s = self.tls_session(client_ctx())
        l = H.Lines(s)
        env = l.env()
        self.assertEqual(s.version(), "TLSv1.3")
        self.assertEqual(env["POSTERN_TLS_VERSION"], "TLS1.3")
        self.assertEqual(env["POSTERN_TLS_SNI"], "localhost")
        self.assertTrue(env["POSTERN_TLS_CIPHER"])
        self.assertNotIn("POSTERN_TLS_CTL", env)
        self.assertTrue(env["TLS"].startswith("TLS1.3 "))
        s.sendall(b"x" * 3000 + b"\r\n")
        self.assertEqual(l.line(), "TOOLONG")
        s.sendall(b"hello over tls\r\n")
        self.assertEqual(l.line(), "ECHO hello over tls")
        s.sendall(b"quit\r\n")
        self.assertEqual(l.line(), "BYE")
        s.close()

    def test_tls12(self):
        self.start()
        s = self.tls_session(client_ctx(maxv=ssl.TLSVersion.TLSv1_2))
        env = H.Lines(s).env()
        self.assertEqual(s.version(), "TLSv1.2")
        self.assertEqual(env["POSTERN_TLS_VERSION"], "TLS1.2")
        s.close()

    def test_no_sni(self):
        self.start()
        raw = self.chain.connect()
        s = client_ctx().wrap_socket(raw)   # no server_hostname: no SNI
        env = H.Lines(s).env()
        self.assertEqual(env.get("POSTERN_TLS_SNI", ""), "")
        s.close()

    def test_priority_string(self):
        self.start("-p", "NORMAL:-VERS-ALL:+VERS-TLS1.2")
        with self.assertRaises((ssl.SSLError, OSError)):
            self.tls_session(client_ctx(minv=ssl.TLSVersion.TLSv1_3))
        s = self.tls_session(client_ctx())
        self.assertEqual(H.Lines(s).env()["POSTERN_TLS_VERSION"], "TLS1.2")
        s.close()

    def test_handshake_timeout(self):
        self.start("-T", "1")
        s = self.chain.connect()
        t0 = time.time()
        self.assertTrue(H.eof(s, 6))
        self.assertLess(time.time() - t0, 5)
        self.chain.wait_log("handshake_timeout")
        self.assertNotIn("postern-test-echo", self.chain.log())

    def test_plaintext_never_reaches_program(self):
        self.start()
        s = self.chain.connect()
        s.sendall(b"hello\r\nquit\r\n")
        s.settimeout(5)
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        self.assertNotIn(b"ECHO", data)
        self.assertNotIn(b"READY", data)
        self.chain.wait_log("event=tls_fail")

    def test_bulk_both_ways(self):
        # 4000 lines in writes of 200 lines (~70 KB, several times the
        # relay's 16 KB buffers): nothing lost, reordered or stuck.  (One
        # thread: Python's SSL sockets are not for concurrent use.)
        self.start()
        s = self.tls_session(client_ctx())
        l = H.Lines(s)
        l.env()
        lines = [("%05d " % i) + "y" * (i % 700) for i in range(4000)]
        for k in range(0, len(lines), 200):
            chunk = lines[k:k + 200]
            s.sendall("".join(x + "\r\n" for x in chunk).encode())
            for x in chunk:
                got = l.line(30)
                if got != "ECHO " + x:
                    self.fail("%r != %r\n%s" % (got, "ECHO " + x, self.chain.log()[-3000:]))
        s.sendall(b"quit\r\n")
        self.assertEqual(l.line(), "BYE")
        s.close()

    def test_setup_errors(self):
        import subprocess
        tls = H.prog("postern-tls")
        base = [tls, "-i", "-C", self.cert, "-K", self.key]
        if H.IS_ROOT:
            base += ["-u", H.service_user(), "-r", H.empty_dir(self.d)]
        run = lambda argv: subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                          timeout=10).returncode
        self.assertEqual(run(base[:1] + ["-i", "-C", self.cert, "-K", "/nonexistent"] + base[6:] +
                             [self.echo]), 111)
        self.assertEqual(run(base + ["-p", "NO-SUCH-PRIORITY", self.echo]), 100)
        self.assertEqual(run([tls, "-i", self.echo]), 100)       # no -C/-K
        if H.IS_ROOT:   # as root, no drop target: refuse to run
            self.assertEqual(run([tls, "-C", self.cert, "-K", self.key, self.echo]), 100)

    def test_sigterm_ends_tls_sessions(self):
        c = self.start()
        s = self.tls_session(client_ctx())
        env = H.Lines(s).env()
        chain = H.descendants(c.pid)
        self.assertGreaterEqual(len(chain), 2)    # tls relay and the program
        self.assertIn(int(env["PID"]), chain)
        c.proc.send_signal(__import__("signal").SIGTERM)
        self.assertEqual(c.proc.wait(10), 0)
        self.assertTrue(H.eof(s, 5))
        for pid in chain:
            self.assertTrue(H.wait_for(lambda: H.gone(pid), 5), "pid %d survived" % pid)


if __name__ == "__main__":
    unittest.main()
