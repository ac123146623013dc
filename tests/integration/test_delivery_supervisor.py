"""The real wiring: `postern run` starts postern-send, postern-lspawn and
postern-rspawn as its queue service; a message queued with postern-queue
reaches the Maildir, and `postern queue list` shows an empty queue after."""
import os, shutil, time, unittest

import crashtest
from postern_instance import Supervisor, make_instance, make_tmpdir, postern


class SupervisorDeliveryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp, users={"joe@example.test": "pw"})
        self.sup = Supervisor(self.inst)

    def tearDown(self):
        self.sup.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_queued_message_reaches_maildir(self):
        self.sup.wait_line(r"postern-send.*event=recovered", timeout=15)
        st, qid = crashtest.Injector(self.inst).inject(
            "a@example.org", ["joe@example.test"], "Subject: via run\n\nx\n")
        self.assertEqual(st, 0)
        self.sup.wait_line(r"event=done id=%s" % qid.replace(".", r"\."), timeout=15)
        msgs = crashtest.maildir_messages(self.inst.maildir("joe@example.test"))
        self.assertEqual(len(msgs), 1)
        self.assertIn(b"Subject: via run", msgs[0][1])
        p = postern("queue", "list", self.inst.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("messages: 0", p.stdout)


if __name__ == "__main__":
    unittest.main()
