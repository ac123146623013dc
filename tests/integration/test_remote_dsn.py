"""DSN across postern-remote (RFC 3461): a hop that announces DSN gets
NOTIFY/ORCPT on RCPT and RET/ENVID on MAIL, and the success is not
"relayed"; a hop without DSN gets none of them and the success comes back
marked relayed (RFC 3461 6.2), also for recipients a first MX host
deferred."""
import os, shutil, unittest

from postern_instance import make_instance, make_tmpdir
from remote_util import RSpawn, SMTPSink

MSG = b"Subject: dsn\n\nbody\n"


class RemoteDsn(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir("postern-remote-dsn-")
        self.inst = make_instance(self.tmp)
        self.sink = SMTPSink()
        with open(os.path.join(self.inst.etc, "routes"), "w") as f:
            f.write("example.net [127.0.0.1]:%d\n" % self.sink.port)
        os.chmod(os.path.join(self.inst.etc, "routes"), 0o644)
        self.inst.set_config("routes_file", os.path.join(self.inst.etc, "routes"))
        for k, v in (("remote_greeting_timeout", "3s"), ("remote_command_timeout", "3s"),
                     ("resolver_address", "127.0.0.1"), ("resolver_port", "9")):
            self.inst.set_config(k, v)
        self.rs = RSpawn(self.inst.conf, self.tmp)

    def tearDown(self):
        self.rs.close()
        self.sink.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def deliver(self):
        return self.rs.deliver(MSG, "s@example.test",
                               [{"addr": "b@example.net", "notify": ["SUCCESS"],
                                 "orcpt": ("rfc822", "b@example.net")},
                                {"addr": "c@example.net", "notify": ["FAILURE", "DELAY"]}],
                               envid="E1", ret="FULL")

    def test_hop_with_dsn_gets_the_parameters(self):
        res = self.deliver()
        self.assertEqual([(r["cls"], r["relayed"]) for r in res], [(2, False), (2, False)], res)
        tr = self.sink.transactions[0]
        self.assertIn(" RET=FULL ENVID=E1", tr["mail"])
        self.assertEqual(tr["rcpts"], ["RCPT TO:<b@example.net> NOTIFY=SUCCESS ORCPT=rfc822;b@example.net",
                                       "RCPT TO:<c@example.net> NOTIFY=FAILURE,DELAY"])

    def test_hop_without_dsn_is_relayed(self):
        self.sink.ehlo = ["PIPELINING", "8BITMIME"]
        res = self.deliver()
        self.assertEqual([(r["cls"], r["relayed"]) for r in res], [(2, True), (2, True)], res)
        tr = self.sink.transactions[0]
        self.assertNotIn("RET=", tr["mail"])
        self.assertNotIn("ENVID=", tr["mail"])
        self.assertEqual(tr["rcpts"], ["RCPT TO:<b@example.net>", "RCPT TO:<c@example.net>"])
        self.assertIn("relayed=1", self.rs.log_text())

    def test_failures_are_never_relayed(self):
        self.sink.ehlo = ["PIPELINING"]
        self.sink.rcpt = {"c@example.net": "550 5.1.1 unknown"}
        res = self.deliver()
        self.assertEqual([(r["cls"], r["relayed"]) for r in res], [(2, True), (5, False)], res)


if __name__ == "__main__":
    unittest.main()
