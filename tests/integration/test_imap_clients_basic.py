"""Real IMAP clients against postern-imapd, the parts that need no message
retrieval: curl imap:// (LIST, APPEND by upload, a custom STATUS over
STARTTLS with the instance certificate, EXAMINE over implicit TLS on
imaps) and mutt in batch mode saving the copy of a sent message into the
Sent folder by APPEND (record=imap://...).  Python's imaplib is used
throughout the other IMAP tests.  A missing client is a failure."""
import os, shutil, subprocess, unittest

from imap_instance import PASSWORD, USER, ImapInstance


def run(argv, **kw):
    if shutil.which(argv[0]) is None:
        raise AssertionError("%s is not installed (CI installs it)" % argv[0])
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)


class ImapClientsBasic(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance().start()
        cls.work = os.path.join(cls.i.tmp, "client")
        os.mkdir(cls.work)

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def status(self, box):
        c = self.i.imap()
        typ, data = c.status(box, "(MESSAGES)")
        c.logout()
        self.assertEqual(typ, "OK")
        return int(data[0].decode().rsplit(" ", 1)[1].rstrip(")"))

    def curl(self, *args):
        p = run(["curl", "-sS", "--user", "%s:%s" % (USER, PASSWORD)] + list(args))
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_curl_list(self):
        out = self.curl("imap://127.0.0.1:%d/" % self.i.port)
        self.assertIn('* LIST (\\HasNoChildren \\Sent) "." "Sent"', out)
        self.assertIn('"INBOX"', out)

    def test_curl_append_and_starttls_status(self):
        msg = os.path.join(self.work, "curl-msg")
        with open(msg, "w") as f:
            f.write("From: curl@example.test\r\nSubject: from curl\r\n\r\nhello\r\n")
        before = self.status("Archive")
        self.curl("-T", msg, "imap://127.0.0.1:%d/Archive" % self.i.port)
        self.assertEqual(self.status("Archive"), before + 1)
        out = self.curl("--ssl-reqd", "--cacert", self.i.inst.cert,
                        "imap://localhost:%d/" % self.i.port, "-X", "STATUS Archive (MESSAGES)")
        self.assertIn('* STATUS "Archive" (MESSAGES %d)' % (before + 1), out)
        out = self.curl("--cacert", self.i.inst.cert, "imaps://localhost:%d/" % self.i.tls_port,
                        "-X", "EXAMINE Archive")
        self.assertIn("* %d EXISTS" % (before + 1), out)
        self.assertIn("* OK [PERMANENTFLAGS ()]", out)

    def test_mutt_batch_record(self):
        rc = os.path.join(self.work, "muttrc")
        with open(rc, "w") as f:
            f.write('set imap_user="%s"\nset imap_pass="%s"\nset ssl_starttls=no\n'
                    'set ssl_force_tls=no\nset sendmail="/bin/true"\nset copy=yes\n'
                    'set record="imap://127.0.0.1:%d/Sent"\nset from="%s"\n'
                    % (USER, PASSWORD, self.i.port, USER))
        before = self.status("Sent")
        p = run(["mutt", "-n", "-F", rc, "-s", "from mutt", "bob@example.test"],
                input="body from mutt\n", env=dict(os.environ, HOME=self.work))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.status("Sent"), before + 1)
        sent = os.path.join(self.i.maildir(), ".Sent", "cur")
        bodies = []
        for n in os.listdir(sent):
            with open(os.path.join(sent, n), "rb") as f:
                bodies.append(f.read())
        self.assertTrue(any(b"Subject: from mutt" in b and b"body from mutt" in b
                            and b"\r\n" not in b for b in bodies))


if __name__ == "__main__":
    unittest.main()
