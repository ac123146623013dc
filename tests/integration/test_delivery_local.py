"""Local delivery end to end: postern-queue -> postern-send ->
postern-lspawn -> postern-deliver -> Maildir, with the queue service wired
as the supervisor wires it (crashtest.QueueService).  Users, aliases,
extensions with a rule file (folder and pipe), forwards, loops, the
Received limit, quota (deferred, then bounced), and the bounces themselves
parsed with Python's email package."""
import email, email.policy, os, shutil, time, unittest

import crashtest
from postern_instance import IS_ROOT, make_instance, make_tmpdir

DOMAIN = "example.test"


def addr(name):
    return "%s@%s" % (name, DOMAIN)


class DeliveryBase(unittest.TestCase):
    config = {}

    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp, users={addr(n): "pw-" + n for n in ("joe", "ann", "carl")})
        crashtest.short_schedule(self.inst, "1s")
        for k, v in self.config.items():
            self.inst.set_config(k, v)
        self.svc = crashtest.QueueService(self.inst, logfile=os.path.join(self.tmp, "queue.log"))
        self.svc.start()
        # postern-send past its start: a message it finds while recovering
        # is taken in at once and its files are never reused
        # (queue/send_store.c), which tests of the spare pool and of first
        # attempts from todo/ must not meet by a race
        deadline = time.time() + 15
        while time.time() < deadline and "event=recovered" not in self.log():
            time.sleep(0.02)
        self.inj = crashtest.Injector(self.inst)

    def tearDown(self):
        self.svc.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log(self):
        with open(os.path.join(self.tmp, "queue.log"), errors="replace") as f:
            return f.read()

    def home(self, name):
        return os.path.join(self.inst.mail, addr(name))

    def rule_file(self, name, fname, text):
        p = os.path.join(self.home(name), fname)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o644)

    def send(self, sender, rcpts, message):
        st, qid = self.inj.inject(sender, rcpts, message)
        self.assertEqual(st, 0)
        self.assertTrue(qid)
        return qid

    def wait_messages(self, name, count, folder="", timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            msgs = crashtest.maildir_messages(self.inst.maildir(addr(name)), folder)
            if len(msgs) >= count:
                return [m for _, m in msgs]
            time.sleep(0.05)
        self.fail("%s/%s: fewer than %d messages\n%s" % (name, folder, count, self.log()[-3000:]))

    def wait_empty(self, timeout=15):
        self.assertTrue(crashtest.wait_queue_empty(self.inst, timeout), self.log()[-3000:])

    def bounce(self, name, timeout=15):
        """The DSN in name's Maildir, parsed; checks its structure."""
        msgs = [m for m in self.wait_messages(name, 1, timeout=timeout)
                if b"multipart/report" in m]
        self.assertTrue(msgs, "no DSN")
        msg = email.message_from_bytes(msgs[-1], policy=email.policy.compat32)
        self.assertEqual(msg.get_content_type(), "multipart/report")
        self.assertEqual(msg.get_param("report-type"), "delivery-status")
        self.assertEqual(msg["Return-Path"], "<>")
        parts = msg.get_payload()
        self.assertEqual(parts[0].get_content_type(), "text/plain")
        self.assertEqual(parts[1].get_content_type(), "message/delivery-status")
        blocks = parts[1].get_payload()
        self.assertIn("dns;", blocks[0]["Reporting-MTA"])
        return msg, blocks[1:], parts


class LocalDeliveryTest(DeliveryBase):
    def test_two_users_return_path_delivered_to(self):
        self.send(addr("carl"), [addr("joe"), addr("ann")], "Subject: hello\n\nbody\n")
        for n in ("joe", "ann"):
            m = self.wait_messages(n, 1)
            self.assertEqual(len(m), 1)
            self.assertTrue(m[0].startswith(b"Return-Path: <%s>\nDelivered-To: %s\n" % (
                addr("carl").encode(), addr(n).encode())), m[0][:200])
            self.assertTrue(m[0].endswith(b"\nbody\n"))
        self.wait_empty()

    def test_unknown_user_bounces_with_dsn(self):
        self.send(addr("carl"), [addr("nobody"), addr("joe")], "Subject: lost\nMessage-ID: <x1@t>\n\nbody\n")
        self.wait_messages("joe", 1)
        msg, rcpts, parts = self.bounce("carl")
        self.assertEqual(len(rcpts), 1)
        self.assertEqual(rcpts[0]["Action"], "failed")
        self.assertEqual(rcpts[0]["Status"], "5.1.1")
        self.assertEqual(rcpts[0]["Final-Recipient"], "rfc822; " + addr("nobody"))
        self.assertEqual(parts[2].get_content_type(), "message/rfc822")
        self.assertEqual(parts[2].get_payload()[0]["Subject"], "lost")
        self.wait_empty()

    def test_alias_expands_to_users(self):
        with open(os.path.join(self.inst.etc, "aliases"), "a") as f:
            f.write("team: joe, ann\n")
        self.send(addr("carl"), [addr("team")], "Subject: team\n\nx\n")
        for n in ("joe", "ann"):
            m = self.wait_messages(n, 1)
            self.assertIn(b"Delivered-To: %s\n" % addr("team").encode(), m[0])
        self.wait_empty()

    def test_table_changes_seen_by_the_next_delivery(self):
        """postern-lspawn keeps its tables between requests: a change of
        a file, even one of the same size written in place, is seen by the
        next delivery."""
        aliases = os.path.join(self.inst.etc, "aliases")
        with open(aliases) as f:
            orig = f.read()
        with open(aliases, "w") as f:
            f.write(orig + "t1: joe\n")
        self.send(addr("carl"), [addr("t1")], "Subject: first\n\nx\n")
        self.wait_messages("joe", 1)
        self.wait_empty()
        with open(aliases, "r+") as f:   # same size, same inode
            f.write(orig + "t1: ann\n")
        self.send(addr("carl"), [addr("t1")], "Subject: second\n\nx\n")
        m = self.wait_messages("ann", 1)
        self.assertIn(b"Subject: second", m[0])
        self.wait_empty()
        tmp = aliases + ".new"           # replaced by rename
        with open(tmp, "w") as f:
            f.write(orig + "t2: joe\n")
        os.rename(tmp, aliases)
        self.send(addr("carl"), [addr("t2")], "Subject: third\n\nx\n")
        self.assertEqual(len(self.wait_messages("joe", 2)), 2)
        self.wait_empty()
        self.assertEqual(len(crashtest.maildir_messages(self.inst.maildir(addr("joe")))), 2)

    def test_extension_rule_file_folder_and_pipe(self):
        self.rule_file("joe", ".postern-lists",
                       "# lists go to a folder and a log\n+Lists\n"
                       "|echo \"$SENDER $RECIPIENT $EXT\" > \"$HOME/pipe.out\"; cat >> \"$HOME/pipe.out\"\n")
        self.send(addr("carl"), ["joe+lists@" + DOMAIN], "Subject: list\n\nlist body\n")
        m = self.wait_messages("joe", 1, folder=".Lists")
        self.assertIn(b"list body", m[0])
        out = os.path.join(self.home("joe"), "pipe.out")
        deadline = time.time() + 10
        while time.time() < deadline and not os.path.exists(out):
            time.sleep(0.05)
        self.wait_empty()
        with open(out) as f:
            text = f.read()
        self.assertTrue(text.startswith("%s joe+lists@%s lists\n" % (addr("carl"), DOMAIN)), text)
        self.assertIn("Delivered-To: joe+lists@%s\n" % DOMAIN, text)
        # the message and nothing after it (a queue file goes on with its
        # envelope: common/queuefile.h)
        self.assertTrue(text.endswith("\n\nlist body\n"), text)
        self.assertTrue(m[0].endswith(b"\n\nlist body\n"), m[0])
        # nothing in the inbox: the rule file decides
        self.assertEqual(crashtest.maildir_messages(self.inst.maildir(addr("joe"))), [])

    def test_pipe_exit_100_bounces(self):
        self.rule_file("joe", ".postern", "|echo refused by rule; exit 100\n")
        self.send(addr("carl"), [addr("joe")], "Subject: p\n\nx\n")
        msg, rcpts, parts = self.bounce("carl")
        self.assertEqual(rcpts[0]["Action"], "failed")
        self.assertIn("refused by rule", rcpts[0]["Diagnostic-Code"])

    def test_forward_and_loop(self):
        self.rule_file("joe", ".postern", "&%s\n" % addr("ann"))
        self.send(addr("carl"), [addr("joe")], "Subject: fwd\n\nx\n")
        m = self.wait_messages("ann", 1)
        self.assertIn(b"Delivered-To: %s\n" % addr("joe").encode(), m[0])
        self.assertIn(b"Delivered-To: %s\n" % addr("ann").encode(), m[0])
        self.assertTrue(m[0].endswith(b"Subject: fwd\n\nx\n"), m[0])
        self.wait_empty()
        # now ann forwards back: joe refuses his own Delivered-To
        self.rule_file("ann", ".postern", "&%s\n" % addr("joe"))
        self.send(addr("carl"), [addr("joe")], "Subject: loop\n\nx\n")
        msg, rcpts, parts = self.bounce("carl")
        self.assertEqual(rcpts[0]["Status"], "5.4.6")
        self.assertIn("loop", rcpts[0]["Diagnostic-Code"])
        self.wait_empty()

    def test_too_many_received(self):
        hdr = "".join("Received: from h%d by h%d; Thu, 1 Jan 2026 00:00:00 +0000\n" % (i, i)
                      for i in range(101))
        self.send(addr("carl"), [addr("joe")], hdr + "Subject: r\n\nx\n")
        msg, rcpts, parts = self.bounce("carl")
        self.assertEqual(rcpts[0]["Status"], "5.4.6")
        self.assertIn("Received", rcpts[0]["Diagnostic-Code"])

    def test_bounce_to_null_sender_goes_to_postmaster_once(self):
        # a bounce (sender <>) that fails: double bounce to the postmaster
        self.send("", [addr("nobody")], "Subject: a bounce\n\nx\n")
        # postmaster resolves to the first user of the list (joe)
        msg, rcpts, parts = self.bounce("joe")
        self.assertIn("empty envelope sender", parts[0].get_payload())
        self.wait_empty()
        self.assertIn("double_bounce=1", self.log())


class QuotaTest(DeliveryBase):
    config = {"queue_quota_lifetime": "2s"}

    def test_over_quota_deferred_then_bounced(self):
        users = self.inst.users_file
        with open(users) as f:
            text = f.read()
        text = text.replace("%s:" % addr("joe"), "%s:" % addr("joe"), 1)
        lines = []
        for l in text.splitlines():
            if l.startswith(addr("joe") + ":"):
                parts = l.split(":")
                parts[4] = "100"   # bytes
                l = ":".join(parts)
            lines.append(l)
        with open(users, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.send(addr("carl"), [addr("joe")], "Subject: big\n\n" + "x" * 500 + "\n")
        msg, rcpts, parts = self.bounce("carl", timeout=20)
        self.assertEqual(rcpts[0]["Status"], "5.2.2")
        self.assertIn("mailbox full", rcpts[0]["Diagnostic-Code"])
        self.assertIn("status=4.2.2", self.log())
        self.assertEqual(crashtest.maildir_messages(self.inst.maildir(addr("joe"))), [])


if __name__ == "__main__":
    unittest.main()
