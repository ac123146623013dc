"""The FETCH corpus (../shared/corpus, $POSTERN_CORPUS in CI) against a
running postern-imapd: its tools/compare APPENDs every message to a new
mailbox and compares ENVELOPE, BODY, BODYSTRUCTURE, RFC822.SIZE and the
BODY[section] items with the reference server's answers.  Target: every
message passes (194 in the public set)."""
import os, re, subprocess, sys, unittest

from imap_instance import USER, PASSWORD, ImapInstance

CORPUS = os.environ.get("POSTERN_CORPUS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "corpus")


class ImapCorpus(unittest.TestCase):
    def test_corpus_compare(self):
        self.assertTrue(os.path.isdir(os.path.join(CORPUS, "expected")), CORPUS)
        i = ImapInstance().start()
        try:
            p = subprocess.run([sys.executable, os.path.join(CORPUS, "tools", "compare"),
                                "127.0.0.1", str(i.port), USER, PASSWORD, CORPUS],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=600)
            out = p.stdout.decode("utf-8", "replace")
            last = out.strip().splitlines()[-1] if out.strip() else ""
            m = re.match(r"(\d+) passed, (\d+) failed", last)
            self.assertIsNotNone(m, out[-3000:])
            total = len([f for f in os.listdir(os.path.join(CORPUS, "expected"))
                         if f.endswith(".json")])
            self.assertEqual(int(m.group(2)), 0, out[-6000:])
            self.assertEqual(int(m.group(1)), total, out[-3000:])
            self.assertEqual(p.returncode, 0, out[-3000:])
        finally:
            i.stop()


if __name__ == "__main__":
    unittest.main()
