"""Crash safety, short version (make check): messages flow through
postern-queue, postern-send, postern-lspawn, postern-rspawn,
postern-deliver and postern-remote while they are SIGKILLed at random (at
least 50 kills); every acknowledged message ends up complete in every
recipient's Maildir and at the remote recipient's SMTP sink.
The full version is `make crashtest` (tests/integration/crashtest.py)."""
import unittest

import crashtest


class CrashShortTest(unittest.TestCase):
    def test_no_acknowledged_message_lost(self):
        r = crashtest.run(messages=150, kills=50, min_per_program=3, time_limit=120)
        self.assertGreaterEqual(r["acknowledged"], 100, r)
        self.assertGreaterEqual(r["kills"], 50, r)
        self.assertTrue(r["queue_empty"], r)
        self.assertEqual(r["missing"], 0, r)
        self.assertEqual(r["partial"], 0, r)
        self.assertEqual(r["remote_missing"], 0, r)
        for prog in ("postern-smtpd", "postern-queue", "postern-send", "postern-lspawn", "postern-rspawn",
                     "postern-remote"):
            self.assertGreaterEqual(r["per_program"][prog], 1, r)


if __name__ == "__main__":
    unittest.main()
