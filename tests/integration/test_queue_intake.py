"""How postern-send takes a message in from todo/ (HACKING.md "The
queue").  postern-queue renames its files into mess/ and todo/ before the
one round of fsyncs, so after a crash a name may stand for bytes that
never reached the disk; no success was reported for such a message.
postern-send therefore checks every todo/ envelope when it starts (the
message's id, size and CRC-32 recorded in the envelope) and sets torn ones
aside in tmp/; while it runs it takes in only envelopes marked done (mode
0640), leaves one whose writer still holds its lock, and checks and
fsyncs one whose writer died before marking it.  A spare name that shares
an inode with a queued file (a crash on a file system without a journal
can keep both names of a rename) is removed at start."""
import fcntl, os, shutil, time, unittest

import crashtest
from postern_instance import make_instance, make_tmpdir


def addr(n):
    return "%s@example.test" % n


class IntakeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp, users={addr("joe"): "pw"})
        crashtest.short_schedule(self.inst, "1s")
        self.logfile = os.path.join(self.tmp, "queue.log")
        self.svc = crashtest.QueueService(self.inst, logfile=self.logfile)
        self.inj = crashtest.Injector(self.inst)
        self.q = self.inst.queue

    def tearDown(self):
        self.svc.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log(self):
        with open(self.logfile, errors="replace") as f:
            return f.read()

    def inject(self, body):
        st, qid = self.inj.inject(addr("carl"), [addr("joe")], "Subject: t\n\n%s\n" % body)
        self.assertEqual(st, 0)
        self.assertTrue(qid)
        return qid

    def path(self, sub, name):
        return os.path.join(self.q, sub, name)

    def delivered(self):
        return [m for _, m in crashtest.maildir_messages(self.inst.maildir(addr("joe")), "")]

    def wait_delivered(self, count, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.delivered()
            if len(m) >= count:
                return m
            time.sleep(0.05)
        self.fail("fewer than %d delivered\n%s" % (count, self.log()[-3000:]))

    def wake(self):
        fd = os.open(os.path.join(self.q, "wake"), os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, b"x")
        os.close(fd)

    def test_torn_messages_set_aside_at_start(self):
        good = self.inject("good")
        short = self.inject("cut short by the crash")
        stale = self.inject("an old spare's bytes")
        # the message's bytes did not all reach the disk
        with open(self.path("mess", short), "r+b") as f:
            f.truncate(5)
        # a spare's old envelope (valid, but another id) under a new name
        shutil.copyfile(self.path("todo", good), self.path("todo", stale))
        os.chmod(self.path("todo", stale), 0o640)
        self.svc.start()
        m = self.wait_delivered(1)
        self.assertTrue(crashtest.wait_queue_empty(self.inst, 15), self.log()[-3000:])
        time.sleep(0.3)
        m = self.delivered()
        self.assertEqual(len(m), 1, m)
        self.assertIn(b"good", m[0])
        for qid in (short, stale):
            self.assertTrue(os.path.exists(self.path("tmp", qid + ".e")), qid)
            self.assertTrue(os.path.exists(self.path("tmp", qid + ".m")), qid)
            self.assertIn("event=torn id=%s" % qid, self.log())
        self.assertNotIn("event=torn id=%s" % good, self.log())

    def test_live_writer_waited_for_dead_writer_checked(self):
        qid = self.inject("written by a writer that died")
        # not done yet: back to tmp/, mode of a writer still at work
        os.rename(self.path("todo", qid), self.path("tmp", "w.e"))
        os.chmod(self.path("tmp", "w.e"), 0o600)
        self.svc.start()
        time.sleep(0.5)
        # a live writer: holds its lock; postern-send leaves it alone
        held = os.open(self.path("tmp", "w.e"), os.O_RDONLY)
        fcntl.flock(held, fcntl.LOCK_EX)
        os.rename(self.path("tmp", "w.e"), self.path("todo", qid))
        for _ in range(3):
            self.wake()
            time.sleep(0.3)
        self.assertTrue(os.path.exists(self.path("todo", qid)), self.log()[-2000:])
        self.assertEqual(self.delivered(), [])
        # the writer dies before it marked the envelope done: checked,
        # made durable and taken in
        os.close(held)
        self.wake()
        m = self.wait_delivered(1)
        self.assertIn(b"written by a writer that died", m[0])
        self.assertIn("its writer ended before it was done", self.log())
        self.assertTrue(crashtest.wait_queue_empty(self.inst, 15), self.log()[-3000:])

    def test_dead_writer_with_torn_message_set_aside(self):
        qid = self.inject("torn, writer gone")
        os.rename(self.path("todo", qid), self.path("tmp", "w.e"))
        os.chmod(self.path("tmp", "w.e"), 0o600)
        self.svc.start()
        time.sleep(0.5)
        with open(self.path("mess", qid), "ab") as f:
            f.write(b"more bytes than the envelope says\n")
        os.rename(self.path("tmp", "w.e"), self.path("todo", qid))
        self.wake()
        deadline = time.time() + 10
        while time.time() < deadline and "event=torn id=%s" % qid not in self.log():
            time.sleep(0.05)
        self.assertIn("event=torn id=%s" % qid, self.log())
        self.assertFalse(os.path.exists(self.path("todo", qid)))
        self.assertEqual(self.delivered(), [])

    def test_spare_name_of_a_queued_file_removed(self):
        qid = self.inject("shared inode")
        os.link(self.path("mess", qid), self.path("spare", "1.0000000000000000.m"))
        os.link(self.path("todo", qid), self.path("spent", "1.0000000000000001.e"))
        self.svc.start()
        m = self.wait_delivered(1)
        self.assertIn(b"shared inode", m[0])
        self.assertFalse(os.path.exists(self.path("spare", "1.0000000000000000.m")))
        self.assertFalse(os.path.exists(self.path("spent", "1.0000000000000001.e")))
        self.assertIn("event=spare-shared count=2", self.log())


if __name__ == "__main__":
    unittest.main()
