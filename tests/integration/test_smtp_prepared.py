"""postern run starts postern-smtpd ahead of its connection (postern-listen
-P, smtpd_prepared): the session it serves is the same as a fresh one, and
a user added (or any configuration or table change) while it waited counts
for that session: it reads what changed again before its greeting.  It
starts its postern-queue ahead too, before the connection comes; after
such a reload that one is let go (the queue program may have changed)
and another is started after the greeting.  That is the process per
message (queue_writers = 0); with the writers no postern-queue is started
ahead, the message goes to a writer (PreparedWithWriters)."""
import os, re, smtplib, time, unittest

import harness as H
from postern_instance import Supervisor, make_instance, make_tmpdir, postern, wait_port


class PreparedSmtpd(unittest.TestCase):
    WRITERS = "0"

    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp)
        cls.inst.set_config("queue_writers", cls.WRITERS)
        cls.sup = Supervisor(cls.inst)
        cls.sup.wait_line(r"event=listening service=smtp ")
        assert wait_port(cls.inst.ports["smtp"]), cls.sup.text()

    @classmethod
    def tearDownClass(cls):
        cls.sup.stop()
        H.subprocess.run(["rm", "-rf", cls.tmp])

    def prepared_smtpd(self):
        """The prepared postern-smtpd, once it is set up and waiting for
        its connection (in recvmsg, x86-64 system call 47)."""
        def waiting(p):
            try:
                with open("/proc/%d/syscall" % p) as f:
                    return f.read().split()[0] == "47"
            except (OSError, IndexError):
                return False

        def find():
            for p in H.descendants(self.sup.proc.pid):
                if H.proc_exe_name(p) == "postern-smtpd" and H.prepared(p) and waiting(p):
                    return p
        return H.wait_for(find)

    def queue_child(self, smtpd):
        return H.wait_for(lambda: next((c for c in H.descendants(smtpd)
                                        if H.proc_exe_name(c) == "postern-queue"), None))

    def test_queue_started_ahead(self):
        p = self.prepared_smtpd()
        self.assertTrue(p)
        q = self.queue_child(p)
        self.assertTrue(q, "no postern-queue under the prepared smtpd")
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=20)
        s.sendmail("a@remote.example", ["demo@" + self.inst.domain], "Subject: ahead\r\n\r\nx\r\n")
        s.quit()
        # the message went through the one started ahead
        self.sup.wait_line(r"postern-queue\[%d\]: event=queued" % q)

    def test_user_added_while_prepared(self):
        p = self.prepared_smtpd()
        self.assertTrue(p)
        q = self.queue_child(p)
        self.assertTrue(q)
        time.sleep(0.05)        # a later mtime than its load
        postern("user", "add", self.inst.dir, "late@" + self.inst.domain,
                input="late-pw\n", check=True)
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=20)
        s.ehlo("client.example")
        # while the session is open: the postern-queue started before the
        # reload is gone, another one took its place
        self.assertTrue(H.wait_for(lambda: H.gone(q)))
        q2 = self.queue_child(p)
        self.assertTrue(q2)
        self.assertNotEqual(q2, q)
        code, _ = s.mail("a@remote.example")
        self.assertEqual(code, 250)
        code, msg = s.rcpt("late@" + self.inst.domain)
        self.assertEqual(code, 250, msg)
        s.quit()
        # it was the prepared one, and it read the tables again
        self.sup.wait_line(r"postern-smtpd\[%d\]: event=reloaded" % p)

    def test_unchanged_is_not_read_again(self):
        p = self.prepared_smtpd()
        self.assertTrue(p)
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=20)
        s.ehlo("client.example")
        s.mail("a@remote.example")
        code, msg = s.rcpt("demo@" + self.inst.domain)
        self.assertEqual(code, 250, msg)
        code, _ = s.rcpt("nobody@" + self.inst.domain)
        self.assertEqual(code, 550)
        s.quit()
        self.sup.wait_line(r"postern-smtpd\[%d\]: event=end" % p)
        self.assertNotRegex(self.sup.text(), r"postern-smtpd\[%d\]: event=reloaded" % p)


class PreparedWithWriters(PreparedSmtpd):
    """The default: the writers take the message; the prepared smtpd
    starts no postern-queue, ahead or at all."""
    WRITERS = "2"
    test_queue_started_ahead = None
    test_user_added_while_prepared = None

    def writers(self):
        """The writers' master (postern-queue -S) and its writers."""
        master = H.wait_for(lambda: next((p for p in H.children(self.sup.proc.pid)
                                          if H.proc_exe_name(p) == "postern-queue"), None))
        self.assertTrue(master)
        return master, set(H.children(master))

    def test_message_to_a_writer(self):
        p = self.prepared_smtpd()
        self.assertTrue(p)
        self.assertTrue(H.wait_for(lambda: len(self.writers()[1]) == 2))
        uid = os.stat("/proc/%d" % p).st_uid
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=20)
        s.ehlo("client.example")
        self.assertEqual([c for c in H.descendants(p) if H.proc_exe_name(c) == "postern-queue"], [])
        s.sendmail("a@remote.example", ["demo@" + self.inst.domain], "Subject: w\r\n\r\nx\r\n")
        s.quit()
        i = self.sup.wait_line(r"postern-queue\[\d+\]: event=queued ")
        m = re.search(r"postern-queue\[(\d+)\]: event=queued id=\S+ uid=(\d+)", self.sup.lines[i])
        self.assertIn(int(m.group(1)), self.writers()[1])
        # the uid recorded is smtpd's (the writer's peer), as the setuid
        # program records its caller's
        self.assertEqual(int(m.group(2)), uid)
        self.assertNotRegex(self.sup.text(), r"postern-smtpd\[%d\]: .*postern-queue" % p)


if __name__ == "__main__":
    unittest.main()
