"""postern-send's queue management: temporary failures retried on the
(short) schedule, the queue lifetime ending in a bounce, recovery of a
queue left behind (todo/, env/ with a torn state record, orphans), the
admin commands: postern-qstat, postern queue list|flush|hold|release|delete,
and a first attempt from todo/ meeting them, a rescan and a killed
postern-send."""
import os, re, shutil, stat, subprocess, time, unittest

import crashtest
import harness as H
from postern_instance import LIBEXEC, make_instance, make_tmpdir, postern, queue_file_parts
from test_delivery_local import DeliveryBase, addr


class QueueTools:
    def block(self, name):
        d = os.path.join(self.inst.maildir(addr(name)), "new")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o500)
        return d

    def qstat(self):
        return subprocess.run([os.path.join(LIBEXEC, "postern-qstat"), "-c", self.inst.conf],
                              capture_output=True, text=True, check=True).stdout

    def wait_log(self, text, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.log():
                return
            time.sleep(0.05)
        self.fail("no %r in the log:\n%s" % (text, self.log()[-3000:]))


class RetryTest(QueueTools, DeliveryBase):
    config = {"queue_lifetime": "4s"}

    def test_deferred_then_delivered_on_retry(self):
        d = self.block("joe")
        self.send(addr("carl"), [addr("joe")], "Subject: retry\n\nx\n")
        self.wait_log("state=deferred")
        out = self.qstat()
        self.assertIn("deferred", out)
        self.assertIn("messages: 1", out)
        os.chmod(d, 0o700)
        m = self.wait_messages("joe", 1)
        self.assertIn(b"Subject: retry", m[0])
        self.wait_empty()
        self.assertIn("attempts=2", self.log())

    def test_lifetime_expiry_bounces(self):
        self.block("joe")
        self.send(addr("carl"), [addr("joe")], "Subject: expire\n\nx\n")
        msg, rcpts, parts = self.bounce("carl", timeout=20)
        self.assertEqual(rcpts[0]["Action"], "failed")
        self.assertIn("giving up after", rcpts[0]["Diagnostic-Code"])
        self.wait_empty()

    def test_hold_release_delete_flush(self):
        d = self.block("joe")
        q1 = self.send(addr("carl"), [addr("joe")], "Subject: one\n\nx\n")
        q2 = self.send(addr("carl"), [addr("joe")], "Subject: two\n\nx\n")
        self.wait_log("state=deferred")
        p = postern("queue", "hold", self.inst.dir, q1)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.inst.queue, "hold", q1)))
        p = postern("queue", "list", self.inst.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(q1 + "  ", p.stdout)
        self.assertIn("held", p.stdout)
        p = postern("queue", "delete", self.inst.dir, q2)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.inst.queue, "mess", q2)))
        self.assertEqual(postern("queue", "delete", self.inst.dir, q2).returncode, 100)
        self.assertEqual(postern("queue", "hold", self.inst.dir, "../etc").returncode, 100)
        os.chmod(d, 0o700)
        time.sleep(2.5)   # a held message is not retried
        self.assertEqual(crashtest.maildir_messages(self.inst.maildir(addr("joe"))), [])
        p = postern("queue", "release", self.inst.dir, q1)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = postern("queue", "flush", self.inst.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        m = self.wait_messages("joe", 1)
        self.assertIn(b"Subject: one", m[0])
        self.wait_empty()
        time.sleep(0.5)
        self.assertEqual(len(crashtest.maildir_messages(self.inst.maildir(addr("joe")))), 1)


class FirstAttemptTest(QueueTools, DeliveryBase):
    """A message with only local recipients has its first attempt from
    todo/ID (queue/send_store.c): what the admin commands and a crash of
    postern-send meet meanwhile."""
    def slow(self, name, seconds):
        # a pipe that takes its time, then succeeds: the attempt stays open
        self.rule_file(name, ".postern", "|sleep %s\n" % seconds)

    def in_dir(self, sub, qid):
        return os.path.exists(os.path.join(self.inst.queue, sub, qid))

    def pooled(self, qid):
        q = self.inst.queue
        return [n for d in ("spare", "spent") for n in os.listdir(os.path.join(q, d))
                if n.startswith(qid)]

    def test_hold_and_delete_during_the_first_attempt(self):
        self.slow("joe", 3)
        qid = self.send(addr("carl"), [addr("joe")], "Subject: slow\n\nx\n")
        self.wait_log("event=new id=%s " % qid)
        time.sleep(0.5)
        # not taken in: still the one file in todo/
        self.assertTrue(self.in_dir("todo", qid))
        for sub in ("env", "mess", "state"):
            self.assertFalse(self.in_dir(sub, qid), sub)
        self.assertRegex(self.qstat(), r"(?m)^%s " % re.escape(qid))
        p = postern("queue", "hold", self.inst.dir, qid)
        self.assertEqual(p.returncode, 111, p.stderr)
        self.assertIn("first delivery attempt", p.stderr)
        p = postern("queue", "delete", self.inst.dir, qid)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(self.in_dir("todo", qid))
        # the attempt under way ends (delivered: a delete cannot stop it),
        # and postern-send writes nothing about a message that is gone
        self.wait_log("id=%s rcpt=%s state=delivered" % (qid, addr("joe")), timeout=15)
        self.wait_empty()
        time.sleep(0.5)
        for sub in ("todo", "env", "mess", "state"):
            self.assertFalse(self.in_dir(sub, qid), sub)
        self.assertEqual(self.pooled(qid), [])

    def test_rescan_during_the_first_attempt(self):
        # a full rescan (an admin command's 'R') looks for such a message
        # in todo/, not env/: it is neither forgotten nor loaded twice
        self.slow("joe", 1)
        qid = self.send(addr("carl"), [addr("joe")], "Subject: rescan\n\nx\n")
        self.wait_log("event=new id=%s " % qid)
        fd = os.open(os.path.join(self.inst.queue, "wake"), os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, b"R")
        os.close(fd)
        self.wait_log("event=done id=%s" % qid, timeout=15)
        self.wait_empty()
        time.sleep(1.5)
        log = self.log()
        self.assertEqual(log.count("id=%s rcpt=" % qid), 1, log[-3000:])
        self.assertEqual(log.count("event=new id=%s " % qid), 1)
        self.assertNotIn("event=forget", log)
        self.assertTrue(H.wait_for(lambda: self.pooled(qid) == [qid + ".m"]), self.pooled(qid))

    def test_send_killed_during_the_first_attempt(self):
        self.slow("joe", 1)
        qid = self.send(addr("carl"), [addr("joe")], "Subject: crash\n\nx\n")
        self.wait_log("event=new id=%s " % qid)
        time.sleep(0.3)
        self.assertTrue(self.in_dir("todo", qid))
        os.kill(self.svc.pids()["postern-send"][0], 9)
        # the next postern-send finds it in todo/ at its start: taken in
        # there and delivered (maybe twice: the first attempt may finish)
        self.wait_log("event=recovered messages=1", timeout=15)
        self.wait_log("event=done id=%s" % qid, timeout=15)
        self.wait_empty()
        self.assertRegex(self.log(), r"id=%s rcpt=%s state=delivered" % (re.escape(qid),
                                                                       re.escape(addr("joe"))))
        # a delivery of the killed postern-send may still have read the
        # file: its inode is never handed to a new message
        time.sleep(0.5)
        self.assertEqual(self.pooled(qid), [])
        # one that arrives afterwards is new again: its file goes back
        os.unlink(os.path.join(self.home("joe"), ".postern"))
        q2 = self.send(addr("carl"), [addr("joe")], "Subject: after\n\nx\n")
        self.wait_messages("joe", 1)
        self.wait_empty()
        self.assertTrue(H.wait_for(lambda: self.pooled(q2) == [q2 + ".m"]), self.pooled(q2))


class RecoveryTest(unittest.TestCase):
    """A queue left by a crash: messages in todo/ and env/, a take-in cut
    short, a state file whose last record is torn, an old orphan message
    file, a message in the two-file layout of older versions."""

    def test_recovery_at_start(self):
        tmp = make_tmpdir()
        try:
            inst = make_instance(tmp, users={addr("joe"): "pw", addr("ann"): "pw"})
            inj = crashtest.Injector(inst)
            # no queue service yet: messages wait in todo/
            st, q1 = inj.inject(addr("ann"), [addr("joe"), addr("ann")], "Subject: r1\n\nx\n")
            st2, q2 = inj.inject(addr("ann"), [addr("joe")], "Subject: r2\n\nx\n")
            self.assertEqual((st, st2), (0, 0))
            q = inst.queue
            st3, q3 = inj.inject(addr("ann"), [addr("joe")], "Subject: r3\n\nx\n")
            st4, q4 = inj.inject(addr("ann"), [addr("joe")], "Subject: r4\n\nx\n")
            st5, q5 = inj.inject(addr("ann"), [addr("joe")], "Subject: r5\n\nx\n")
            self.assertEqual((st3, st4, st5), (0, 0, 0))
            # q2 as if taken in (its envelope copied to env/, the file
            # moved to mess/: queue/send_store.c take_in), then a torn
            # state record
            _, env2 = queue_file_parts(os.path.join(q, "todo", q2))
            with open(os.path.join(q, "env", q2), "wb") as f:
                f.write(env2)
            os.rename(os.path.join(q, "todo", q2), os.path.join(q, "mess", q2))
            # q3's take-in cut short by a crash: an env/ID already there
            # (torn), the file still in todo/: taken in again, once
            with open(os.path.join(q, "env", q3), "wb") as f:
                f.write(b"torn")
            # q4 taken in, but its env/ copy's bytes never reached the disk
            # (zeros): made again from the tail of mess/ID
            _, env4 = queue_file_parts(os.path.join(q, "todo", q4))
            with open(os.path.join(q, "env", q4), "wb") as f:
                f.write(b"\0" * len(env4))
            os.rename(os.path.join(q, "todo", q4), os.path.join(q, "mess", q4))
            with open(os.path.join(q, "state", q2), "wb") as f:
                f.write(b"S\x00\x00\x00\x40garbage-torn")
            # q5 as an older postern left it: the message in mess/, the
            # envelope alone in todo/
            msg5, env5 = queue_file_parts(os.path.join(q, "todo", q5))
            with open(os.path.join(q, "mess", q5), "wb") as f:
                f.write(msg5)
            with open(os.path.join(q, "todo", q5), "wb") as f:
                f.write(env5)
            # what a crash leaves belongs to the queue user, as the files
            # postern-queue and postern-send make
            qst = os.stat(q)
            for sub, i in (("env", q2), ("state", q2), ("env", q3), ("env", q4),
                           ("mess", q5), ("todo", q5)):
                os.chown(os.path.join(q, sub, i), qst.st_uid, qst.st_gid)
            orphan = os.path.join(q, "mess", "1000000000.00000000deadbeef")
            with open(orphan, "w") as f:
                f.write("orphan\n")
            os.utime(orphan, (time.time() - 7200, time.time() - 7200))
            # the admin's list reads both layouts in todo/
            p = postern("queue", "list", inst.dir)
            self.assertEqual(p.returncode, 0, p.stderr)
            for i in (q1, q5):
                self.assertRegex(p.stdout, r"(?m)^%s  \d+  .*  new$" % re.escape(i))
            svc = crashtest.QueueService(inst, logfile=os.path.join(tmp, "q.log"))
            svc.start()
            try:
                self.assertTrue(crashtest.wait_queue_empty(inst, 15))
                deadline = time.time() + 10
                while time.time() < deadline and len(crashtest.maildir_messages(inst.maildir(addr("joe")))) < 5:
                    time.sleep(0.05)
            finally:
                svc.stop()
            subjects = sorted(m.split(b"Subject: ")[1].split(b"\n")[0]
                              for _, m in crashtest.maildir_messages(inst.maildir(addr("joe"))))
            self.assertEqual(subjects, [b"r1", b"r2", b"r3", b"r4", b"r5"])
            # the old layout's message whole, and nothing after it
            r5 = [m for _, m in crashtest.maildir_messages(inst.maildir(addr("joe")))
                  if b"Subject: r5" in m]
            self.assertTrue(r5[0].endswith(msg5), r5)
            self.assertEqual(len(crashtest.maildir_messages(inst.maildir(addr("ann")))), 1)
            self.assertFalse(os.path.exists(orphan))
            with open(os.path.join(tmp, "q.log")) as f:
                log = f.read()
            self.assertIn("event=state-truncated", log)
            self.assertIn("event=orphan", log)
            # q3's torn env/ was never read as an envelope; q4's was
            # rebuilt (and only q4's)
            self.assertEqual(log.count("event=bad-envelope"), 1, log)
            self.assertIn("event=envelope-rebuilt id=%s note=" % q4, log)
            self.assertNotIn("Permission denied", log)
            self.assertNotIn("id=%s dir=env" % q3, log)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
