"""postern-smtpd answers 354 to DATA before it starts postern-queue (the
queue's start-up overlaps the transfer).  When postern-queue cannot be
started, the message is still read to its end, the answer after the final
dot is 451 4.3.0, nothing is queued, the data is never read as commands,
and the session goes on (a later transaction with a working queue is
accepted).  BDAT answers 451 at the first chunk."""
import os, unittest

from postern_instance import make_instance, make_tmpdir
from test_smtp_smuggling import clear_queue, queued, smtpd_session

HEAD = (b"EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\n"
        b"RCPT TO:<demo@example.test>\r\nDATA\r\n")
BODY = b"Subject: t\r\n\r\nMAIL FROM:<x@remote.example>\r\nbody\r\n.\r\n"


def codes(out):
    """The reply codes, one per final reply line."""
    return [l[:3] for l in out.decode(errors="replace").split("\r\n")
            if len(l) >= 4 and l[3] == " "]


class QueueStartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp)
        with open(cls.inst.conf) as f:
            cls.conf_text = f.read()

    def setUp(self):
        clear_queue(self.inst)
        self.inst.set_config("queue_program", os.path.join(self.tmp, "no-such-postern-queue"))

    def tearDown(self):
        self.restore()

    def restore(self):
        with open(self.inst.conf, "w") as f:
            f.write(self.conf_text)

    def test_data_without_queue(self):
        out, err, rc = smtpd_session(self.inst, HEAD + BODY + b"NOOP\r\nQUIT\r\n")
        # 220, EHLO 250, MAIL 250, RCPT 250, 354, 451, NOOP 250, QUIT 221
        self.assertEqual(codes(out), ["220", "250", "250", "250", "354", "451", "250", "221"], out)
        self.assertIn(b"451 4.3.0", out)
        self.assertEqual(queued(self.inst), ([], []))

    def test_bdat_without_queue(self):
        chunk = b"Subject: t\r\n\r\nbody\r\n"
        script = (b"EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\n"
                  b"RCPT TO:<demo@example.test>\r\nBDAT %d LAST\r\n" % len(chunk) + chunk + b"QUIT\r\n")
        out, err, rc = smtpd_session(self.inst, script)
        self.assertEqual(codes(out), ["220", "250", "250", "250", "451", "221"], out)
        self.assertEqual(queued(self.inst), ([], []))

    def test_queue_back(self):
        self.restore()
        out, err, rc = smtpd_session(self.inst, HEAD + BODY + b"QUIT\r\n")
        self.assertEqual(codes(out), ["220", "250", "250", "250", "354", "250", "221"], out)
        todo, mess = queued(self.inst)
        self.assertEqual(len(todo), 1)


if __name__ == "__main__":
    unittest.main()
