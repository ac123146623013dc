"""Submission (N+587 with STARTTLS, N+465 implicit TLS): AUTH PLAIN and
LOGIN through postern-login's yes/no mode, SASL-IR, unknown mechanism 504,
AUTH required before MAIL, failed AUTH counted, MAIL FROM ownership,
relaying after AUTH, the Received header names TLS and the user, and no
password ever reaches a log."""
import base64, os, re, smtplib, socket, ssl, time, unittest

from postern_instance import Supervisor, make_instance, make_tmpdir, wait_port

PW = "s3cret-Pass"


def tls_ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


class SubmissionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp, users={"demo@example.test": PW,
                                                 "other@example.test": "other-" + PW})
        cls.inst.set_config("plaintext_auth", "no")
        cls.inst.set_config("smtpd_max_errors", "4")
        # command lines logged (off by default): AUTH must be redacted
        cls.inst.set_config("smtpd_log_commands", "yes")
        cls.sup = Supervisor(cls.inst)
        cls.sup.wait_line(r"event=listening service=submissions ")
        assert wait_port(cls.inst.ports["submission"])
        assert wait_port(cls.inst.ports["submissions"])

    @classmethod
    def tearDownClass(cls):
        cls.sup.stop()
        # No password in any log line.
        text = cls.sup.text()
        assert PW not in text, "password in the log"
        assert 'cmd="AUTH PLAIN <redacted>"' in text, "AUTH command not logged redacted"
        assert "cmd=<sasl-response-redacted>" in text, "SASL response not logged redacted"
        assert base64.b64encode(("\0demo@example.test\0" + PW).encode()).decode() not in text

    def sub(self):
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["submission"], timeout=20)
        s.ehlo("client.example")
        return s

    def test_plaintext_no_auth_offered(self):
        s = self.sub()
        self.assertFalse(s.has_extn("auth"))
        s.ehlo_or_helo_if_needed()
        code, text = s.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0demo@example.test\0x").decode())
        self.assertEqual(code, 538)
        code, _ = s.mail("demo@example.test")
        self.assertEqual(code, 530)
        s.quit()

    def test_plain_sasl_ir_and_send(self):
        s = self.sub()
        s.starttls(context=tls_ctx())
        s.ehlo("client.example")
        self.assertIn("PLAIN", s.esmtp_features["auth"])
        code, _ = s.login("demo@example.test", PW)   # smtplib uses SASL-IR
        self.assertEqual(code, 235)
        # not the user's address
        code, _ = s.mail("other@example.test")
        self.assertEqual(code, 553)
        s.rset()
        # relaying is allowed after AUTH; own address as sender
        s.sendmail("demo@example.test", ["someone@elsewhere.example"],
                   "Subject: relay\r\n\r\nrelayed\r\n")
        s.quit()
        self.sup.wait_line(r"postern-queue\[\d+\]: event=queued .*uid=")

    def test_login_mechanism_step_by_step(self):
        s = self.sub()
        s.starttls(context=tls_ctx())
        s.ehlo("client.example")
        code, text = s.docmd("AUTH", "LOGIN")
        self.assertEqual((code, text), (334, b"VXNlcm5hbWU6"))
        code, text = s.docmd(base64.b64encode(b"demo@example.test").decode())
        self.assertEqual((code, text), (334, b"UGFzc3dvcmQ6"))
        code, text = s.docmd(base64.b64encode(PW.encode()).decode())
        self.assertEqual(code, 235)
        code, _ = s.docmd("AUTH", "PLAIN")
        self.assertEqual(code, 503)          # already authenticated
        s.quit()

    def test_unknown_mechanism_and_cancel(self):
        s = self.sub()
        s.starttls(context=tls_ctx())
        s.ehlo("client.example")
        code, _ = s.docmd("AUTH", "CRAM-MD5")
        self.assertEqual(code, 504)
        code, text = s.docmd("AUTH", "PLAIN")
        self.assertEqual(code, 334)
        code, _ = s.docmd("*")
        self.assertEqual(code, 501)
        s.quit()

    def test_failed_auth_counts_toward_limit(self):
        s = self.sub()
        s.starttls(context=tls_ctx())
        s.ehlo("client.example")
        t = time.time()
        with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
            s.login("demo@example.test", "wrong")
        self.assertEqual(cm.exception.smtp_code, 535)
        self.assertGreaterEqual(time.time() - t, 0.5)    # the monitor delays a "no"
        for _ in range(3):
            code, _ = s.docmd("FOO")
        # 4 errors: the session is closed with 421
        self.assertEqual(code, 421)
        s.close()

    def test_implicit_tls_received_header(self):
        s = smtplib.SMTP_SSL("127.0.0.1", self.inst.ports["submissions"], timeout=20,
                             context=tls_ctx())
        s.ehlo("client.example")
        self.assertIn("auth", s.esmtp_features)
        self.assertNotIn("starttls", s.esmtp_features)
        s.login("demo@example.test", PW)
        s.mail("demo@example.test")
        s.rcpt("demo@example.test")
        code, text = s.data("Subject: implicit\r\n\r\nover 465\r\n")
        self.assertEqual(code, 250)
        s.quit()
        qid = text.decode().rsplit(" ", 1)[1]
        # Wait for the message to show up somewhere: queue or Maildir.
        found = None
        deadline = time.time() + 15
        while found is None and time.time() < deadline:
            for d in (os.path.join(self.inst.queue, "todo"), os.path.join(self.inst.queue, "mess"),
                      os.path.join(self.inst.maildir("demo@example.test"), "new")):
                try:
                    names = os.listdir(d)
                except OSError:
                    continue
                for n in names:
                    with open(os.path.join(d, n), "rb") as f:
                        b = f.read()
                    if b"Subject: implicit" in b:
                        found = b
            time.sleep(0.1)
        self.assertIsNotNone(found, "message %s not found" % qid)
        self.assertRegex(found, rb"with ESMTPSA id ")
        self.assertRegex(found, rb"\(TLS1\.[23] cipher ")
        self.assertIn(b"(authenticated as demo@example.test)", found)


if __name__ == "__main__":
    unittest.main()
