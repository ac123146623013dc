"""End to end through `postern run`: SMTP in (postern-smtpd, relaying from
loopback) -> postern-queue -> postern-send -> postern-rspawn ->
postern-remote -> a local SMTP sink through a static route, with
opportunistic STARTTLS to it; with NOTIFY=SUCCESS and a sink without DSN
the local sender gets an "Action: relayed" report (RFC 3461 6.2), with a
sink that has DSN none (the next hop reports)."""
import email, email.policy, os, shutil, smtplib, time, unittest

import crashtest

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

    def sender_reports(self, wait):
        md = self.inst.maildir("demo@example.test")
        end = time.time() + wait
        while time.time() < end:
            got = crashtest.maildir_messages(md)
            if got:
                return got
            time.sleep(0.3)
        return crashtest.maildir_messages(md)

    def send_notify_success(self):
        with smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=30) as c:
            c.ehlo("client.test")
            c.sendmail("demo@example.test", ["far@example.net"],
                       "Subject: confirm\r\n\r\nbody\r\n",
                       mail_options=["RET=HDRS", "ENVID=e2e-1"],
                       rcpt_options=["NOTIFY=SUCCESS"])
        end = time.time() + 60
        while not self.sink.transactions and time.time() < end:
            time.sleep(0.2)
        self.assertTrue(self.sink.transactions, self.sup.text()[-4000:])

    def test_relayed_report_when_the_hop_has_no_dsn(self):
        self.sink.ehlo = ["PIPELINING", "8BITMIME"]
        self.send_notify_success()
        got = self.sender_reports(30)
        self.assertEqual(len(got), 1, self.sup.text()[-4000:])
        msg = email.message_from_bytes(got[0][1], policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report")
        status = list(msg.iter_parts())[1]
        blocks = status.get_payload()
        self.assertEqual(blocks[1]["Action"], "relayed")
        self.assertEqual(blocks[1]["Final-Recipient"], "rfc822; far@example.net")

    def test_no_report_when_the_hop_has_dsn(self):
        self.send_notify_success()
        self.assertIn("NOTIFY=SUCCESS", self.sink.transactions[0]["rcpts"][0])
        self.assertIn("ENVID=e2e-1", self.sink.transactions[0]["mail"])
        self.assertEqual(self.sender_reports(5), [])


if __name__ == "__main__":
    unittest.main()
