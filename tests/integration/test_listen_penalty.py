"""postern-listen: per-IP failed logins reported by postern-login delay the
next sessions of that IP, refuse it at the limit, and a success clears
the count."""
import time, unittest
import harness as H

BUSY = "421 too many failures"


class ListenPenalty(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        echo = H.fixture("postern-test-echo", self.d)
        stub = H.fixture("stub-checkpassword", self.d)
        self.port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "pen", "-f", "2", "-w", "60", "-d", "1",
                              "-b", BUSY, "127.0.0.1", str(self.port),
                              H.prog("postern-login"), "-y", "-d", "0", echo, "--", stub],
                             self.d, port=self.port)

    def tearDown(self):
        self.chain.stop()

    def login(self, password):
        t0 = time.time()
        s = self.chain.connect()
        l = H.Lines(s)
        env = l.env()
        took = time.time() - t0
        s.sendall(("auth test %s\r\n" % password).encode())
        ans = l.line()
        s.sendall(b"quit\r\n")
        l.until("BYE")
        s.close()
        return env, took, ans

    def test_fail_delay_refuse_and_clear(self):
        env, took, ans = self.login("wrong")
        self.assertEqual(ans, "AUTH NO")
        self.assertEqual(env["POSTERN_AUTH_FAILS"], "0")
        self.chain.wait_log("event=authfail", count=1)
        # one failure: the next session starts a second later and knows
        env, took, ans = self.login("secret")
        self.assertEqual(env["POSTERN_AUTH_FAILS"], "1")
        self.assertGreaterEqual(took, 0.9)
        self.assertEqual(ans, "AUTH YES")
        # the success cleared the count (the report arrives asynchronously)
        time.sleep(0.3)
        env, took, ans = self.login("wrong")
        self.assertEqual(env["POSTERN_AUTH_FAILS"], "0")
        self.chain.wait_log("event=authfail", count=2)
        env, took, ans = self.login("wrong")
        self.chain.wait_log("event=authfail", count=3)
        # two failures in the window: refused with the busy line
        s = self.chain.connect()
        s.settimeout(5)
        self.assertEqual(s.recv(100), (BUSY + "\r\n").encode())
        s.close()
        self.chain.wait_log("reason=authfail")


if __name__ == "__main__":
    unittest.main()
