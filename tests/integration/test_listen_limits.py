"""postern-listen: per-service and per-IP concurrency limits, the busy line
on plaintext ports and a plain close on implicit-TLS ports (-t)."""
import socket, time, unittest
import harness as H

BUSY = "421 4.3.2 Too busy, try later"


class ListenLimits(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir()
        self.echo = H.fixture("postern-test-echo", self.d)
        self.chain = None
        self.socks = []

    def tearDown(self):
        for s in self.socks:
            s.close()
        if self.chain:
            self.chain.stop()

    def start(self, *opts):
        port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "lim"] + list(opts) +
                             ["127.0.0.1", str(port), self.echo], self.d, port=port)
        return self.chain

    def session(self):
        s = self.chain.connect()
        self.socks.append(s)
        H.Lines(s).env()
        return s

    def refused_with(self):
        """Connect and return everything the server sends before closing."""
        s = self.chain.connect()
        data = b""
        s.settimeout(5)
        while True:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        s.close()
        return data

    def test_maxconn_busy_line(self):
        self.start("-c", "2", "-b", BUSY)
        a = self.session()
        self.session()
        self.assertEqual(self.refused_with(), (BUSY + "\r\n").encode())
        self.chain.wait_log("reason=maxconn")
        # a slot frees when a session ends
        a.sendall(b"quit\r\n")
        self.assertTrue(H.eof(a))
        self.chain.wait_log("event=end")
        self.session()

    def test_maxperip(self):
        self.start("-c", "10", "-i", "1", "-b", BUSY)
        self.session()
        self.assertEqual(self.refused_with(), (BUSY + "\r\n").encode())
        self.chain.wait_log("reason=maxperip")

    def test_implicit_tls_port_plain_close(self):
        self.start("-c", "1", "-b", BUSY, "-t")
        self.session()
        self.assertEqual(self.refused_with(), b"")

    def test_no_busy_line_plain_close(self):
        self.start("-c", "1")
        self.session()
        self.assertEqual(self.refused_with(), b"")

    def test_many_sequential_sessions_are_reaped(self):
        self.start("-c", "3")
        for i in range(20):
            s = self.chain.connect()
            l = H.Lines(s)
            l.env()
            s.sendall(b"quit\r\n")
            self.assertEqual(l.line(), "BYE")
            s.close()
            # the slot frees when the listener has reaped the session
            self.chain.wait_log("event=end", count=i + 1)
        # every slot was freed: three concurrent sessions fit again
        for i in range(3):
            self.session()


if __name__ == "__main__":
    unittest.main()
