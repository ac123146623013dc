"""SMTP in -> Maildir through the whole chain under `postern run`:
postern-smtpd -> postern-queue -> postern-send -> postern-lspawn ->
postern-deliver; DSN parameters given over SMTP (NOTIFY=SUCCESS, ORCPT,
ENVID, RET=HDRS) come back in the success report."""
import email, email.policy, os, shutil, smtplib, time, unittest

import crashtest
from postern_instance import Supervisor, make_instance, make_tmpdir


class SmtpDeliveryTest(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp, users={"joe@example.test": "pw", "ann@example.test": "pw"})
        self.sup = Supervisor(self.inst)
        self.sup.wait_line(r"postern-send.*event=recovered", timeout=15)
        self.sup.wait_line(r"event=listen service=smtp ", timeout=15)

    def tearDown(self):
        self.sup.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def wait_messages(self, user, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = crashtest.maildir_messages(self.inst.maildir(user))
            if len(m) >= n:
                return [x for _, x in m]
            time.sleep(0.05)
        self.fail("no mail for %s\n%s" % (user, self.sup.text()[-3000:]))

    def test_smtp_to_maildir_with_success_dsn(self):
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=15)
        s.ehlo("client.example.org")
        s.sendmail("ann@example.test", ["joe@example.test"],
                   "Subject: over smtp\r\nMessage-ID: <s1@example.org>\r\n\r\nline one\r\n.dot line\r\n",
                   mail_options=["RET=HDRS", "ENVID=smtp-env-1"],
                   rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Joe@example.test"])
        s.quit()
        m = self.wait_messages("joe@example.test", 1)[0]
        self.assertTrue(m.startswith(b"Return-Path: <ann@example.test>\nDelivered-To: joe@example.test\n"), m[:300])
        self.assertIn(b"\nReceived: ", m)
        self.assertTrue(m.endswith(b"\nline one\n.dot line\n"), m[-100:])
        self.assertNotIn(b"\r", m)
        dsn = [x for x in self.wait_messages("ann@example.test", 1) if b"multipart/report" in x]
        self.assertTrue(dsn)
        msg = email.message_from_bytes(dsn[0], policy=email.policy.compat32)
        parts = msg.get_payload()
        blocks = parts[1].get_payload()
        self.assertEqual(blocks[0]["Original-Envelope-Id"], "smtp-env-1")
        self.assertEqual(blocks[1]["Action"], "delivered")
        self.assertEqual(blocks[1]["Original-Recipient"], "rfc822; Joe@example.test")
        self.assertEqual(parts[2].get_content_type(), "text/rfc822-headers")


if __name__ == "__main__":
    unittest.main()
