"""SMTP smuggling (the class of bare CR / bare LF end-of-data tricks): every
sequence of issue 5 -- \\n.\\n, \\r.\\r, \\r\\n.\\n, \\n.\\r\\n, \\r\\n.\\r -- and NUL
bytes, in DATA and in BDAT chunks, makes the transaction fail with a 5xx
reply and nothing is queued; the "second message" hidden behind the fake
end is never read as commands, so never two messages.  Dot-unstuffing is
exact.  postern-smtpd runs directly on pipes against an instance (no queue
manager), so the queue directory shows exactly what was accepted."""
import os, subprocess, time, unittest

from postern_instance import IS_ROOT, LIBEXEC, make_instance, make_tmpdir, queue_file_parts

BUILD = os.environ.get("POSTERN_BUILD", "build")
ENVTOOL = os.path.join(BUILD, "fixtures", "postern-test-envtool")


def smtpd_session(inst, script, env=None, greet_first=True, timeout=20):
    """Run postern-smtpd on pipes: wait for the greeting, send script
    (bytes) at once, close, return everything it said."""
    e = dict(os.environ, POSTERN_CONF=inst.conf, TCPREMOTEIP="127.0.0.1",
             TCPREMOTEPORT="4242", TCPLOCALIP="127.0.0.1", TCPLOCALPORT="25",
             POSTERN_LOG_STDERR="1")
    e.pop("POSTERN_AUTH_FD", None)
    e.pop("POSTERN_TLS_CTL", None)
    e.update(env or {})
    p = subprocess.Popen([os.path.join(LIBEXEC, "postern-smtpd")], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e)
    greeting = b""
    if greet_first:
        while not greeting.endswith(b"\n"):
            c = p.stdout.read(1)
            if not c:
                break
            greeting += c
    out, err = p.communicate(script, timeout=timeout)
    return greeting + out, err.decode(errors="replace"), p.returncode


def queued(inst):
    """Ids committed to the queue (todo/), and the messages they hold (each
    committed file: message, envelope, trailer; common/queuefile.h)."""
    q = inst.queue
    todo = sorted(os.listdir(os.path.join(q, "todo")))
    return todo, [queue_file_parts(os.path.join(q, "todo", i))[0] for i in todo]


def clear_queue(inst):
    for sub in ("todo", "mess", "tmp"):
        d = os.path.join(inst.queue, sub)
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))


HEAD = (b"EHLO client.example\r\nMAIL FROM:<a@remote.example>\r\n"
        b"RCPT TO:<demo@example.test>\r\nDATA\r\n")
SECOND = (b"MAIL FROM:<evil@remote.example>\r\nRCPT TO:<demo@example.test>\r\n"
          b"DATA\r\nSubject: smuggled\r\n\r\nsecond\r\n.\r\n")

SEQUENCES = {
    "lf.lf": b"\n.\n",
    "cr.cr": b"\r.\r",
    "crlf.lf": b"\r\n.\n",
    "lf.crlf": b"\n.\r\n",
    "crlf.cr": b"\r\n.\r",
}


class SmugglingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp)
        cls.inst.set_config("smtpd_max_errors", "100")

    def setUp(self):
        clear_queue(self.inst)

    def assert_nothing_queued(self):
        todo, mess = queued(self.inst)
        self.assertEqual(todo, [])
        self.assertEqual(mess, [])

    def test_data_sequences(self):
        for name, seq in SEQUENCES.items():
            with self.subTest(seq=name):
                clear_queue(self.inst)
                script = (HEAD + b"Subject: first\r\n\r\nfirst" + seq + SECOND +
                          b"QUIT\r\n")
                out, err, rc = smtpd_session(self.inst, script)
                text = out.decode(errors="replace")
                # The fake end did not end the message: the data went on
                # to the real CRLF.CRLF (after "second"), which got 5xx.
                self.assertRegex(text, r"\r\n554 5\.6\.0 ", text)
                self.assertNotIn("queued as", text)
                self.assertNotIn("250 2.1.0", text.split("354")[1].split("554")[0])
                self.assert_nothing_queued()

    def test_data_sequence_then_real_message(self):
        # After the refused message, a clean one in the same session is
        # queued: exactly one message, the clean one.
        script = (HEAD + b"bad\n.\nstill data\r\n.\r\n" +
                  b"MAIL FROM:<a@remote.example>\r\nRCPT TO:<demo@example.test>\r\n"
                  b"DATA\r\nSubject: clean\r\n\r\nok\r\n.\r\nQUIT\r\n")
        out, err, rc = smtpd_session(self.inst, script)
        text = out.decode(errors="replace")
        self.assertEqual(text.count("queued as"), 1, text)
        todo, mess = queued(self.inst)
        self.assertEqual(len(todo), 1)
        body = mess[0]
        self.assertIn(b"Subject: clean\n", body)
        self.assertNotIn(b"bad", body)

    def test_nul_in_data(self):
        out, err, rc = smtpd_session(self.inst, HEAD + b"Subject: x\r\n\r\na\0b\r\n.\r\nQUIT\r\n")
        self.assertIn(b"554 5.6.0 NUL", out)
        self.assert_nothing_queued()

    def test_bare_lf_in_command(self):
        out, err, rc = smtpd_session(self.inst, b"EHLO x\nMAIL FROM:<a@b.example>\r\nQUIT\r\n")
        self.assertIn(b"500 5.5.2 Bare CR", out)
        # the MAIL line after it is read as its own line: 503 (no EHLO)
        self.assertIn(b"503 5.5.1", out)

    def test_bare_cr_in_command(self):
        out, err, rc = smtpd_session(self.inst, b"EHLO x\rMAIL FROM:<a@b.example>\r\nQUIT\r\n")
        self.assertIn(b"500 5.5.2 Bare CR", out)

    def test_bdat_sequences(self):
        for name, seq in list(SEQUENCES.items()) + [("nul", b"\0")]:
            with self.subTest(seq=name):
                clear_queue(self.inst)
                chunk = b"Subject: b\r\n\r\nfirst" + seq + b"more\r\n"
                script = (b"EHLO c.example\r\nMAIL FROM:<a@remote.example>\r\n"
                          b"RCPT TO:<demo@example.test>\r\n" +
                          b"BDAT %d LAST\r\n" % len(chunk) + chunk + b"QUIT\r\n")
                out, err, rc = smtpd_session(self.inst, script)
                self.assertRegex(out.decode(errors="replace"), r"\r\n554 5\.6\.0 ")
                self.assertIn(b"221 2.0.0", out)
                self.assert_nothing_queued()

    def test_bdat_split_chunks_and_failed_transaction(self):
        # A bad first chunk fails the transaction; later chunks are read
        # (never as commands) and refused until RSET.
        c1 = b"Subject: b\r\n\r\nx\ny\r\n"
        c2 = b"MAIL FROM:<e@remote.example>\r\n"
        script = (b"EHLO c.example\r\nMAIL FROM:<a@remote.example>\r\n"
                  b"RCPT TO:<demo@example.test>\r\n" +
                  b"BDAT %d\r\n" % len(c1) + c1 + b"BDAT %d LAST\r\n" % len(c2) + c2 +
                  b"QUIT\r\n")
        out, err, rc = smtpd_session(self.inst, script)
        text = out.decode(errors="replace")
        self.assertIn("554 5.6.0", text)
        self.assertIn("503 5.5.1 Transaction failed", text)
        self.assertNotIn("2.1.0 Sender ok\r\n250 2.1.0", text)
        self.assertEqual(text.count("250 2.1.0"), 1, text)
        self.assert_nothing_queued()

    def test_bdat_good(self):
        c1 = b"Subject: chunked\r\n\r\nline one\r\n.line two\r\n"
        c2 = b"end\r\n"
        script = (b"EHLO c.example\r\nMAIL FROM:<a@remote.example>\r\n"
                  b"RCPT TO:<demo@example.test>\r\n" +
                  b"BDAT %d\r\n" % len(c1) + c1 + b"BDAT %d LAST\r\n" % len(c2) + c2 +
                  b"QUIT\r\n")
        out, err, rc = smtpd_session(self.inst, script)
        self.assertIn(b"250 2.0.0 %d octets received" % len(c1), out)
        self.assertIn(b"queued as", out)
        todo, mess = queued(self.inst)
        self.assertEqual(len(mess), 1)
        body = mess[0]
        # BDAT has no dot-stuffing: the dot stays; LF line ends stored.
        self.assertTrue(body.endswith(b"\n\nline one\n.line two\nend\n"), body)

    def test_dot_unstuffing_exact(self):
        data = b"Subject: dots\r\n\r\n..one\r\n...two\r\n.\r\n"
        out, err, rc = smtpd_session(self.inst, HEAD + data + b"QUIT\r\n")
        self.assertIn(b"queued as", out)
        todo, mess = queued(self.inst)
        body = mess[0]
        self.assertTrue(body.endswith(b"\n\n.one\n..two\n"), body)

    def test_long_line_refused_not_split(self):
        self.inst.set_config("smtpd_max_line", "2000")
        try:
            data = b"Subject: long\r\n\r\n" + b"x" * 1500 + b"\r\n" + b"y" * 2500 + b"\r\n.\r\n"
            out, err, rc = smtpd_session(self.inst, HEAD + data + b"QUIT\r\n")
            self.assertIn(b"554 5.6.0 Message line too long", out)
            self.assert_nothing_queued()
            data = b"Subject: long\r\n\r\n" + b"x" * 1999 + b"\r\n.\r\n"
            out, err, rc = smtpd_session(self.inst, HEAD + data + b"QUIT\r\n")
            self.assertIn(b"queued as", out)
            todo, mess = queued(self.inst)
            self.assertIn(b"\n" + b"x" * 1999 + b"\n", mess[0])
        finally:
            self.inst.set_config("smtpd_max_line", "64k")


if __name__ == "__main__":
    unittest.main()
