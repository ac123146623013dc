"""postern-rspawn + postern-remote relaying to a local SMTP sink through a
static route: CRLF and dot-stuffing, ESMTP/DSN parameters, per-recipient
4xx/5xx mixes, EHLO->HELO fallback, hostile multi-line replies, client
timeouts, several requests in flight."""
import os, shutil, time, unittest

from harness import IS_ROOT
from postern_instance import make_instance, make_tmpdir
from remote_util import RSpawn, SMTPSink, encode_request, unstuff

MESSAGE = (b"From: a@example.test\nTo: b@example.net\nSubject: dots\n\n"
           b"line one\n.\n..two dots\n.leading dot\nnot.a.dot\n\nlast line without newline")


class RemoteRelay(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir("postern-remote-")
        self.inst = make_instance(self.tmp)
        self.sink = SMTPSink()
        with open(os.path.join(self.inst.etc, "routes"), "w") as f:
            f.write("example.net [127.0.0.1]:%d\n" % self.sink.port)
        os.chmod(os.path.join(self.inst.etc, "routes"), 0o644)
        self.inst.set_config("routes_file", os.path.join(self.inst.etc, "routes"))
        for k, v in (("remote_greeting_timeout", "3s"), ("remote_command_timeout", "3s"),
                     ("remote_data_timeout", "3s"), ("remote_done_timeout", "3s"),
                     ("resolver_address", "127.0.0.1"), ("resolver_port", "9")):
            self.inst.set_config(k, v)
        self.rs = RSpawn(self.inst.conf, self.tmp)

    def tearDown(self):
        self.rs.close()
        self.sink.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_relay_dot_stuffing_and_parameters(self):
        res = self.rs.deliver(MESSAGE, "sender@example.test",
                              [{"addr": "b@example.net", "notify": ["SUCCESS", "FAILURE"],
                                "orcpt": ("rfc822", "B+x=y@example.net")},
                               "c@example.net"],
                              envid="env 1", ret="HDRS", body="8BITMIME", size=len(MESSAGE))
        self.assertEqual([r["cls"] for r in res], [2, 2], res)
        self.assertEqual(res[0]["code"], 250)
        self.assertEqual(res[0]["mta"], "127.0.0.1")
        self.assertIn("queued", res[0]["diag"])
        self.assertEqual(len(self.sink.transactions), 1)
        tr = self.sink.transactions[0]
        data = tr["data"]
        # CRLF only, never a bare LF, dot-stuffed, terminated
        self.assertNotIn(b"\n", data.replace(b"\r\n", b""))
        self.assertIn(b"\r\n..\r\n...two dots\r\n..leading dot\r\nnot.a.dot\r\n", data)
        self.assertTrue(data.endswith(b"last line without newline\r\n"))
        self.assertEqual(unstuff(data), MESSAGE + b"\n")
        self.assertEqual(tr["mail"], "MAIL FROM:<sender@example.test> SIZE=%d BODY=8BITMIME "
                         "RET=HDRS ENVID=env+201" % len(MESSAGE))
        self.assertEqual(tr["rcpts"], ["RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE "
                                       "ORCPT=rfc822;B+2Bx+3Dy@example.net",
                                       "RCPT TO:<c@example.net>"])
        self.assertTrue(tr["helo"].startswith("EHLO mail.example.test"))

    def test_no_dsn_keyword_no_dsn_parameters(self):
        self.sink.ehlo = ["PIPELINING"]
        res = self.rs.deliver(b"x\n", "", [{"addr": "b@example.net", "notify": ["NEVER"]}],
                              envid="e", ret="FULL", body="8BITMIME")
        self.assertEqual(res[0]["cls"], 2)
        tr = self.sink.transactions[0]
        self.assertEqual(tr["mail"], "MAIL FROM:<>")
        self.assertEqual(tr["rcpts"], ["RCPT TO:<b@example.net>"])

    def test_per_recipient_mix(self):
        self.sink.rcpt = {"t@example.net": "450 4.2.1 mailbox busy",
                          "p@example.net": "550 5.1.1 no such user"}
        for pipelining in (True, False):
            if not pipelining:
                self.sink.ehlo = ["8BITMIME"]
            res = self.rs.deliver(b"hi\n", "s@example.test",
                                  ["ok@example.net", "t@example.net", "p@example.net", "ok2@example.net"])
            self.assertEqual([r["cls"] for r in res], [2, 4, 5, 2], res)
            self.assertEqual([r["code"] for r in res], [250, 450, 550, 250])
            self.assertEqual(res[1]["status"], "4.2.1")
            self.assertEqual(res[2]["status"], "5.1.1")
            self.assertIn("no such user", res[2]["diag"])
            tr = self.sink.transactions[-1]
            self.assertEqual(len(tr["rcpts"]), 4)

    def test_all_recipients_refused_no_data(self):
        self.sink.rcpt = {"p@example.net": "550 5.1.1 no"}
        res = self.rs.deliver(b"hi\n", "s@example.test", ["p@example.net"])
        self.assertEqual(res[0]["cls"], 5)
        self.assertEqual(self.sink.transactions, [])

    def test_mail_and_data_failures(self):
        self.sink.mail_reply = "553 5.7.1 sender refused"
        res = self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net", "b@example.net"])
        self.assertEqual([r["cls"] for r in res], [5, 5])
        self.assertEqual(res[0]["status"], "5.7.1")
        self.sink.mail_reply = "250 ok"
        self.sink.data_reply = "554 5.6.0 content rejected"
        res = self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net"])
        self.assertEqual(res[0]["cls"], 5)
        self.assertEqual(res[0]["code"], 554)
        self.sink.data_reply = "451 4.3.0 try later"
        res = self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net"])
        self.assertEqual(res[0]["cls"], 4)

    def test_helo_fallback(self):
        self.sink.ehlo_reply = "502 5.5.2 EHLO not supported"
        res = self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net"])
        self.assertEqual(res[0]["cls"], 2, res)
        tr = self.sink.transactions[0]
        self.assertTrue(tr["helo"].startswith("HELO "))
        self.assertEqual(tr["mail"], "MAIL FROM:<s@example.test>")

    def test_hostile_multiline_replies(self):
        # a code change inside a multi-line reply is never a success
        self.sink.rcpt_raw = {"a@example.net": b"250-ok\r\n550 5.1.1 no\r\n"}
        res = self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net"])
        self.assertEqual(res[0]["cls"], 4, res)
        self.assertIn("malformed", res[0]["diag"])
        # an endless continuation is cut at the line cap
        self.sink.rcpt_raw = {"a@example.net": b"250-x\r\n" * 5000 + b"250 ok\r\n"}
        res = self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net"])
        self.assertEqual(res[0]["cls"], 4, res)
        # an over-long line
        self.sink.rcpt_raw = {"a@example.net": b"250 " + b"x" * 100000 + b"\r\n"}
        res = self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net"])
        self.assertEqual(res[0]["cls"], 4, res)
        self.assertEqual(self.sink.transactions, [])
        # control bytes in a text never reach the diagnostic
        self.sink.rcpt_raw = {"a@example.net": b"550 5.1.1 bad\x1b[31m\x00user\r\n"}
        res = self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net"])
        self.assertEqual(res[0]["cls"], 5)
        self.assertNotIn("\x1b", res[0]["diag"])

    def test_greeting_timeout(self):
        self.sink.silent = True
        t0 = time.time()
        res = self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net"])
        self.assertEqual(res[0]["cls"], 4)
        self.assertIn("timed out", res[0]["diag"])
        self.assertLess(time.time() - t0, 15)

    def test_connection_refused_and_unrouted(self):
        self.sink.close()
        res = self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net"])
        self.assertEqual(res[0]["cls"], 4)
        self.assertEqual(res[0]["status"], "4.4.1")

    def test_requests_in_flight(self):
        self.sink.rcpt = {"bad@example.net": "550 5.1.1 no"}
        for i in range(5):
            self.rs.send(encode_request(100 + i, "s@example.test",
                                        ["bad@example.net" if i % 2 else "ok%d@example.net" % i],
                                        size=len(b"message %d\n" % i)),
                         b"message %d\n" % i)
        got, diags = {}, []
        for _ in range(5):
            rid, res = self.rs.read_reply()
            got[rid] = res[0]["cls"]
            diags.append(res[0]["diag"])
        self.assertEqual(got, {100: 2, 101: 5, 102: 2, 103: 5, 104: 2}, (diags, self.rs.log_text()))
        bodies = sorted(t["data"] for t in self.sink.transactions)
        self.assertEqual(bodies, [b"message 0\r\n", b"message 2\r\n", b"message 4\r\n"])

    def test_runs_as_remote_user(self):
        log = self.rs.log_text()
        self.assertEqual(self.rs.deliver(b"hi\n", "s@example.test", ["a@example.net"])[0]["cls"], 2)
        if IS_ROOT:
            import pwd
            uid = pwd.getpwnam("ptest-r").pw_uid
            with open("/proc/%d/status" % self.rs.proc.pid) as f:
                status = f.read()
            self.assertIn("Uid:\t%d\t%d\t%d\t%d" % (uid, uid, uid, uid), status)


if __name__ == "__main__":
    unittest.main()
