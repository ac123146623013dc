"""postern-deliver reads only the message's bytes of its descriptor: with
POSTERN_MESSAGE_SIZE (set by postern-lspawn from the queue's envelope) the
message is the file's first SIZE bytes -- a queue file goes on with its
envelope and trailer (common/queuefile.h) -- into a Maildir, through a
pipe and in a forward's copy alike; a SIZE larger than the file is a
temporary failure, nothing delivered."""
import os, shutil, subprocess, tempfile, unittest

from postern_instance import LIBEXEC, make_instance, make_tmpdir

MSG = b"Subject: sized\n\nline one\nline two\n"
TAIL = b"E-not-the-message\n\nPQ1 trailer\n"


class DeliverMessageSizeTest(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp)
        self.home = os.path.join(self.tmp, "home")
        for d in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.home, "Maildir", d))

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def deliver(self, size, rules=None):
        if rules is not None:
            with open(os.path.join(self.home, ".postern"), "w") as f:
                f.write(rules)
        with tempfile.TemporaryFile(dir=self.tmp) as f:
            f.write(MSG + TAIL)
            f.seek(0)
            env = {"PATH": "/usr/bin:/bin", "POSTERN_CONF": self.inst.conf,
                   "SENDER": "a@remote.example", "RECIPIENT": "joe@example.test",
                   "USER": "joe@example.test", "HOME": self.home, "EXT": "",
                   "POSTERN_MESSAGE_SIZE": str(size), "POSTERN_LOG_STDERR": "1"}
            return subprocess.run([os.path.join(LIBEXEC, "postern-deliver")], stdin=f,
                                  capture_output=True, text=True, env=env, timeout=30)

    def delivered(self):
        new = os.path.join(self.home, "Maildir", "new")
        out = []
        for n in sorted(os.listdir(new)):
            with open(os.path.join(new, n), "rb") as f:
                out.append(f.read())
        return out

    def test_maildir_gets_the_message_only(self):
        p = self.deliver(len(MSG))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.delivered(),
                         [b"Return-Path: <a@remote.example>\nDelivered-To: joe@example.test\n" + MSG])

    def test_pipe_gets_the_message_only(self):
        out = os.path.join(self.tmp, "pipe.out")
        p = self.deliver(len(MSG), '|cat > "%s"\n' % out)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(out, "rb") as f:
            self.assertTrue(f.read().endswith(b"Delivered-To: joe@example.test\n" + MSG))

    def test_size_beyond_the_file_is_temporary(self):
        p = self.deliver(len(MSG + TAIL) + 1)
        self.assertEqual(p.returncode, 111, p.stdout + p.stderr)
        self.assertIn("4.3.0", p.stdout)
        self.assertEqual(self.delivered(), [])
        for bad in ("", "12x", "-1"):
            with self.subTest(size=bad):
                p = self.deliver(bad)
                self.assertEqual(p.returncode, 111, p.stdout + p.stderr)
                self.assertEqual(self.delivered(), [])


if __name__ == "__main__":
    unittest.main()
