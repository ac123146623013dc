"""DSN options (RFC 3461) honoured by postern-send: NOTIFY=SUCCESS gives a
success report for a final local delivery, with ENVID, ORCPT and
RET=HDRS; NOTIFY=NEVER and NOTIFY=DELAY alone give no failure report.
Delay reports (delay_warning_time): one "delayed" report per message for
the deferred recipients with NOTIFY=DELAY, none for NOTIFY=NEVER,
FAILURE-only, absent NOTIFY or the sender <>, and none again after a
restart of the queue manager.
Envelopes are written here in common/envelope.h's format (the fixture
writes no DSN parameters)."""
import os, struct, time, unittest, zlib

import crashtest
from test_delivery_local import DeliveryBase, addr

NOTIFY_NEVER, NOTIFY_SUCCESS, NOTIFY_FAILURE, NOTIFY_DELAY = 1, 2, 4, 8
RET_FULL, RET_HDRS = 1, 2


def field(tag, data):
    return struct.pack(">BI", tag, len(data)) + data


def envelope(sender, rcpts, envid=None, ret=0):
    """rcpts: [(addr, notify, orcpt or None)]"""
    p = field(1, sender.encode())
    if envid:
        p += field(2, envid.encode())
    p += field(3, bytes([ret])) + field(4, b"\0") + field(5, b"\0")
    p += field(14, struct.pack(">I", os.getuid())) + field(15, struct.pack(">Q", int(time.time())))
    p += field(16, struct.pack(">Q", 0))
    for a, notify, orcpt in rcpts:
        r = field(1, a.encode()) + field(2, bytes([notify]))
        if orcpt:
            r += field(3, b"rfc822") + field(4, orcpt.encode())
        p += field(17, r)
    head = struct.pack(">BI", ord("E"), len(p))
    crc = zlib.crc32(head + p) & 0xffffffff
    return b"PSTNENV\x01" + head + p + struct.pack(">I", crc)


class DsnOptionsTest(DeliveryBase):
    def inject(self, env, message):
        st, qid = self.inj.inject(None, None, message, env_bytes=env)
        self.assertEqual(st, 0)
        return qid

    def test_notify_success_envid_orcpt_ret_hdrs(self):
        env = envelope(addr("carl"), [(addr("joe"), NOTIFY_SUCCESS | NOTIFY_FAILURE, "Joe@Example.test")],
                       envid="env-1 x", ret=RET_HDRS)
        self.inject(env, b"Subject: please confirm\n\nsecret body\n")
        self.wait_messages("joe", 1)
        msg, rcpts, parts = self.bounce("carl")
        self.assertEqual(msg["Subject"], "Successful Mail Delivery Report")
        per_msg = parts[1].get_payload()[0]
        self.assertEqual(per_msg["Original-Envelope-Id"], "env-1+20x")
        self.assertEqual(rcpts[0]["Action"], "delivered")
        self.assertEqual(rcpts[0]["Status"], "2.0.0")
        self.assertEqual(rcpts[0]["Original-Recipient"], "rfc822; Joe@Example.test")
        self.assertEqual(parts[2].get_content_type(), "text/rfc822-headers")
        self.assertNotIn("secret body", parts[2].as_string())
        self.wait_empty()

    def test_notify_never_and_delay_only_give_no_report(self):
        env = envelope(addr("carl"), [(addr("nobody"), NOTIFY_NEVER, None),
                                      (addr("nobody2"), NOTIFY_DELAY, None),
                                      (addr("joe"), 0, None)])
        self.inject(env, b"Subject: quiet\n\nx\n")
        self.wait_messages("joe", 1)
        self.wait_empty()
        time.sleep(1)
        self.assertEqual(crashtest.maildir_messages(self.inst.maildir(addr("carl"))), [])
        self.assertIn("state=failed status=5.1.1", self.log())

    def test_default_notify_reports_failure_with_full_message(self):
        env = envelope(addr("carl"), [(addr("nobody"), 0, None)])
        self.inject(env, b"Subject: full\n\nthe body\n")
        msg, rcpts, parts = self.bounce("carl")
        self.assertEqual(rcpts[0]["Action"], "failed")
        self.assertEqual(parts[2].get_content_type(), "message/rfc822")
        self.assertIn("the body", parts[2].as_string())


class DelayBase(DeliveryBase):
    def inject(self, env, message):
        st, qid = self.inj.inject(None, None, message, env_bytes=env)
        self.assertEqual(st, 0)
        return qid

    def block(self, name):
        d = os.path.join(self.inst.maildir(addr(name)), "new")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o500)
        return d

    def reports(self, name):
        return [m for _, m in crashtest.maildir_messages(self.inst.maildir(addr(name)))
                if b"multipart/report" in m]

    def dsn_lines(self):
        return [l for l in self.log().splitlines() if "event=dsn " in l]


class DelayDsnTest(DelayBase):
    config = {"delay_warning_time": "2s", "queue_lifetime": "60s"}

    def test_one_delay_report_then_delivery(self):
        d = self.block("joe")
        env = envelope(addr("carl"), [(addr("joe"), NOTIFY_DELAY | NOTIFY_FAILURE, "Joe@Example.test")],
                       envid="delay-1", ret=RET_FULL)
        self.inject(env, b"Subject: slow\n\nsecret body\n")
        msg, rcpts, parts = self.bounce("carl", timeout=20)
        self.assertEqual(msg["Subject"], "Delayed Mail (still being retried)")
        self.assertEqual(len(rcpts), 1)
        self.assertEqual(rcpts[0]["Action"], "delayed")
        self.assertTrue(rcpts[0]["Status"].startswith("4."), rcpts[0]["Status"])
        self.assertEqual(rcpts[0]["Final-Recipient"], "rfc822; " + addr("joe"))
        self.assertEqual(rcpts[0]["Original-Recipient"], "rfc822; Joe@Example.test")
        self.assertIsNotNone(rcpts[0]["Will-Retry-Until"])
        self.assertEqual(parts[1].get_payload()[0]["Original-Envelope-Id"], "delay-1")
        # headers only in a delay report, whatever RET says
        self.assertEqual(parts[2].get_content_type(), "text/rfc822-headers")
        self.assertNotIn("secret body", parts[2].as_string())
        # more retries, a restart of the queue manager: no second report
        time.sleep(3)
        self.svc.stop()
        self.svc = crashtest.QueueService(self.inst, logfile=os.path.join(self.tmp, "queue.log"))
        self.svc.start()
        time.sleep(4)
        self.assertGreaterEqual(self.log().count("state=deferred"), 3)
        self.assertEqual(len(self.reports("carl")), 1, self.log()[-3000:])
        self.assertEqual(len(self.dsn_lines()), 1)
        self.assertIn("delayed=1", self.dsn_lines()[0])
        os.chmod(d, 0o700)
        self.wait_messages("joe", 1)
        self.wait_empty()
        time.sleep(0.5)
        self.assertEqual(len(self.reports("carl")), 1)

    def test_no_delay_report_unless_asked(self):
        d = self.block("joe")
        for notify in (NOTIFY_NEVER, NOTIFY_FAILURE, 0):
            self.inject(envelope(addr("carl"), [(addr("joe"), notify, None)]),
                        b"Subject: quiet %d\n\nx\n" % notify)
        # the sender <> never gets one (nor the postmaster)
        self.inject(envelope("", [(addr("joe"), NOTIFY_DELAY, None)]), b"Subject: bounce\n\nx\n")
        time.sleep(5)
        self.assertGreaterEqual(self.log().count("state=deferred"), 8)
        self.assertEqual(self.dsn_lines(), [])
        os.chmod(d, 0o700)
        self.wait_messages("joe", 4)
        self.wait_empty()
        for n in ("carl", "ann", "joe"):
            self.assertEqual(self.reports(n), [], n)


class DelayDsnAbsentNotifyTest(DelayBase):
    config = {"delay_warning_time": "2s", "queue_lifetime": "60s",
              "delay_warning_notify_absent": "yes"}

    def test_absent_notify_gets_a_delay_report_when_enabled(self):
        d = self.block("joe")
        self.inject(envelope(addr("carl"), [(addr("joe"), 0, None), (addr("ann"), 0, None)]),
                    b"Subject: half\n\nx\n")
        msg, rcpts, parts = self.bounce("carl", timeout=20)
        self.assertEqual([r["Action"] for r in rcpts], ["delayed"])
        self.assertEqual(rcpts[0]["Final-Recipient"], "rfc822; " + addr("joe"))
        os.chmod(d, 0o700)
        self.wait_messages("joe", 1)
        self.wait_empty()
        self.assertEqual(len(self.reports("carl")), 1)


if __name__ == "__main__":
    unittest.main()
