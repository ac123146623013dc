"""End to end through `postern run`: SMTP in (postern-smtpd, relaying from
loopback) -> postern-queue -> postern-send -> postern-rspawn ->
postern-remote -> a local SMTP sink through a static route, with
opportunistic STARTTLS to it."""
import os, shutil, smtplib, time, unittest

from postern_instance import Supervisor, make_instance, make_tmpdir, wait_port
from remote_util import SMTPSink, make_ca, server_ctx, unstuff


class RemoteEndToEnd(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir("postern-remote-e2e-")
        self.inst = make_instance(self.tmp)
        cadir = os.path.join(self.tmp, "ca")
        os.makedirs(cadir)
        os.chmod(cadir, 0o755)
        ca, cert, key = make_ca(cadir)
        self.sink = SMTPSink()
        self.sink.tls_ctx = server_ctx(cert, key)
        with open(os.path.join(self.inst.etc, "routes"), "w") as f:
            # opportunistic TLS: `postern run` checks routes with
            # daemon/postern_tables.c, which does not take options yet
            f.write("example.net [127.0.0.1]:%d\n" % self.sink.port)
        with open(os.path.join(self.inst.etc, "relaynets"), "w") as f:
            f.write("127.0.0.0/8\n")
        for k, v in (("resolver_address", "127.0.0.1"), ("resolver_port", "9"),
                     ("remote_greeting_timeout", "5s"), ("remote_command_timeout", "5s")):
            self.inst.set_config(k, v)
        self.sup = Supervisor(self.inst)
        self.sup.wait_line(r"event=started service=queue", timeout=20)
        assert wait_port(self.inst.ports["smtp"], timeout=10)

    def tearDown(self):
        self.sup.stop()
        self.sink.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_smtp_in_relayed_out_with_starttls(self):
        body = "Subject: relayed\r\n\r\nline\r\n.dot line\r\n"
        with smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=30) as c:
            c.sendmail("sender@example.test", ["far@example.net"], body)
        end = time.time() + 60
        while not self.sink.transactions and time.time() < end:
            time.sleep(0.2)
        self.assertTrue(self.sink.transactions, self.sup.text()[-4000:])
        tr = self.sink.transactions[0]
        self.assertTrue(tr["tls"])
        self.assertEqual(tr["mail"].split(" ")[1], "FROM:<sender@example.test>")
        self.assertEqual(tr["rcpts"][0].split(" ")[1], "TO:<far@example.net>")
        msg = unstuff(tr["data"])
        self.assertIn(b"Subject: relayed\n", msg)
        self.assertIn(b"\n\nline\n.dot line\n", msg)
        self.assertIn(b"Received:", msg)


if __name__ == "__main__":
    unittest.main()
