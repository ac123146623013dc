"""test_doc_config_man.py: doc/postern.conf.5 is what `postern config-man`
writes from the key table (common/config_keys.c), so the shipped man page
never drifts from the keys the programs accept."""
import os, subprocess, unittest

PREFIX = os.environ["POSTERN_PREFIX"]
SRC = os.environ["POSTERN_SRCDIR"]


class ConfigManTest(unittest.TestCase):
    def test_man_page_matches_key_table(self):
        out = subprocess.run([os.path.join(PREFIX, "sbin", "postern"), "config-man"],
                             capture_output=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(os.path.join(SRC, "doc", "postern.conf.5"), "rb") as f:
            shipped = f.read()
        self.assertEqual(shipped, out.stdout,
                         "doc/postern.conf.5 is stale: regenerate it with "
                         "`build/bin/postern config-man > doc/postern.conf.5`")


if __name__ == "__main__":
    unittest.main()
