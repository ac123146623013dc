"""The POP3 exec chain with a checkpassword program that is not ours
(tests/fixtures/stub-checkpassword, a few lines of Python speaking the
qmail interface): postern-listen -> postern-login -> postern-pop3-login
-- stub-checkpassword -- postern-pop3d.  postern-pop3d takes its Maildir
from $MAILDIR (the stub sets HOME=/), answers PASS itself, serves
RETR/DELE/QUIT, and a wrong password gets [AUTH]."""
import os, shutil, subprocess, unittest

import harness as H
from pop3_instance import RawPop
from postern_instance import make_instance


class Pop3AnyChecker(unittest.TestCase):
    def setUp(self):
        self.d = H.tmpdir("postern-pop3cp-")
        self.inst = make_instance(self.d, users={})
        self.stub = H.fixture("stub-checkpassword", self.d)
        self.maildir = os.path.join(self.d, "home", "Maildir")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(self.maildir, sub))
        with open(os.path.join(self.maildir, "new", "1700000000.M1P1.stub"), "wb") as f:
            f.write(b"Subject: via stub\n\n.hello\n")
        env = {"POSTERN_CONF": self.inst.conf, "MAILDIR": self.maildir}
        if H.IS_ROOT:
            uid = H.ensure_test_user()
            subprocess.run(["chown", "-R", "%d:%d" % (uid, uid), os.path.join(self.d, "home")],
                           check=True)
            env["STUB_RUNAS"] = H.TEST_USER
        self.port = H.free_port()
        self.chain = H.Chain([H.prog("postern-listen"), "-n", "pop3", "127.0.0.1", str(self.port),
                              H.prog("postern-login"), "-d", "0", H.prog("postern-pop3-login"),
                              "--", self.stub, "--", H.prog("postern-pop3d")],
                             self.d, port=self.port, env=env)

    def tearDown(self):
        self.chain.stop()
        shutil.rmtree(self.d, ignore_errors=True)

    def test_stub_checker(self):
        r = RawPop(self.port)
        self.assertEqual(r.line(), "+OK postern POP3 ready.")
        r.cmd("USER test")
        self.assertEqual(r.cmd("PASS wrong"), "-ERR [AUTH] Authentication failed.")
        r.send("USER test\r\nPASS secret\r\nSTAT\r\nRETR 1\r\n")
        self.assertEqual(r.line(), "+OK")
        self.assertEqual(r.line(), "+OK Logged in.", self.chain.log())
        self.assertEqual(r.line(), "+OK 1 29")
        self.assertEqual(r.line(), "+OK 29 octets")
        self.assertEqual(r.multi(), [b"Subject: via stub", b"", b".hello"])
        self.assertEqual(r.cmd("DELE 1"), "+OK Message 1 deleted.")
        self.assertEqual(r.cmd("QUIT"), "+OK Logging out, 1 messages deleted.")
        self.assertTrue(r.eof())
        self.assertEqual(os.listdir(os.path.join(self.maildir, "new")), [])
        self.assertEqual(os.listdir(os.path.join(self.maildir, "cur")), [])


if __name__ == "__main__":
    unittest.main()
