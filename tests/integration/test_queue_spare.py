"""The queue's spare-file pool (HACKING.md "The queue"): a finished
message's files go to spent/, then (once postern-send has fsync'd the
directories they left) to spare/, and the next message's files are taken
from there instead of being created.  A message that had a temporary
failure - its delivery process may have died while something it started
still reads the file - has its files unlinked instead."""
import os, time, unittest

import crashtest
from test_delivery_local import DeliveryBase, addr


class SparePoolTest(DeliveryBase):
    def pool(self):
        q = self.inst.queue
        return {d: sorted(os.listdir(os.path.join(q, d))) for d in ("spent", "spare")}

    def wait_pool(self, names, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if set(names) <= set(self.pool()["spare"]):
                return
            time.sleep(0.05)
        self.fail("%s not in spare/: %s\n%s" % (names, self.pool(), self.log()[-2000:]))

    def test_files_are_reused(self):
        # a message delivered at its first attempt is never taken in: its
        # one file (message and envelope) goes back, no env/ copy was made
        q1 = self.send(addr("carl"), [addr("joe")], "Subject: one\n\nfirst\n")
        self.wait_messages("joe", 1)
        self.wait_empty()
        self.wait_pool([q1 + ".m"])
        self.assertNotIn(q1 + ".e", self.pool()["spare"] + self.pool()["spent"])
        ino = os.stat(os.path.join(self.inst.queue, "spare", q1 + ".m")).st_ino
        q2 = self.send(addr("carl"), [addr("joe")], "Subject: two\n\nsecond\n")
        pool = self.pool()
        self.assertNotIn(q1 + ".m", pool["spare"] + pool["spent"])
        m = self.wait_messages("joe", 2)
        self.assertTrue(any(b"second" in x for x in m))
        self.assertFalse(any(b"second" in x and b"first" in x for x in m))
        self.wait_empty()
        self.wait_pool([q2 + ".m"])
        # the second message lived in the first one's inode
        self.assertEqual(ino, os.stat(os.path.join(self.inst.queue, "spare", q2 + ".m")).st_ino)

    def test_taken_in_files_are_reused(self):
        # a permanent failure at the first attempt: the bounce's marker is
        # a state record, so the message is taken in first (env/ID,
        # mess/ID); once done both its files go back
        self.rule_file("joe", ".postern", "|exit 100\n")
        qid = self.send(addr("carl"), [addr("joe")], "Subject: p\n\nperm\n")
        self.wait_messages("carl", 1)
        self.wait_empty()
        self.assertRegex(self.log(), r"event=dsn id=%s " % qid)
        self.wait_pool([qid + ".m", qid + ".e"])

    def test_temporary_failure_files_unlinked(self):
        self.rule_file("joe", ".postern", "|exit 111\n")
        qid = self.send(addr("carl"), [addr("joe")], "Subject: t\n\ntemp\n")
        deadline = time.time() + 10
        while time.time() < deadline and "status=4." not in self.log():
            time.sleep(0.05)
        os.unlink(os.path.join(self.home("joe"), ".postern"))
        self.wait_messages("joe", 1, timeout=20)
        self.wait_empty(timeout=20)
        time.sleep(0.5)     # a settle round
        pool = self.pool()
        self.assertFalse([n for n in pool["spare"] + pool["spent"] if n.startswith(qid)], pool)

    def test_spare_name_of_a_queued_file_removed_at_start(self):
        # a crash on a file system without a journal can keep a spare's
        # old name beside its new one (mess/ID): postern-send drops the
        # spare name when it starts, so no take overwrites the message
        self.svc.stop()
        qid = self.send(addr("carl"), [addr("joe")], "Subject: s\n\nshared inode\n")
        q = self.inst.queue
        # (the message is one file in todo/: common/queuefile.h)
        os.link(os.path.join(q, "todo", qid), os.path.join(q, "spare", "1.0000000000000000.m"))
        self.svc = crashtest.QueueService(self.inst, logfile=os.path.join(self.tmp, "queue.log"))
        self.svc.start()
        m = self.wait_messages("joe", 1)
        self.assertIn(b"shared inode", m[0])
        self.assertNotIn("1.0000000000000000.m", os.listdir(os.path.join(q, "spare")))
        self.assertIn("event=spare-shared count=1", self.log())
        self.wait_empty()


if __name__ == "__main__":
    unittest.main()
