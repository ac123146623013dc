"""QUOTA (RFC 9208) from the user's Maildir++ quota (quota_bytes and
quota_messages in the passwd-file's extra field, given to postern-imapd
by the checker): GETQUOTAROOT names the root "" with STORAGE (KiB) and
MESSAGE usage and limits, GETQUOTA "" the same, GETQUOTA of another root
is NO, SETQUOTA is refused; APPEND past a limit gets NO [OVERQUOTA] and
stores nothing; EXPUNGE gives the room back.  A user without limits has
no quota root."""
import os, re, unittest

from imap_instance import PASSWORD, USER, ImapInstance

BOB = "bob@example.test"


class ImapQuota(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance(users={USER: PASSWORD, BOB: "bob-password"})
        path = cls.i.inst.passwd
        with open(path) as f:
            lines = f.read().splitlines()
        out = []
        for l in lines:
            if l.startswith(USER + ":"):
                fields = l.split(":")
                while len(fields) < 8:
                    fields.append("")
                fields[7] = (fields[7] + " quota_bytes=10240 quota_messages=3").strip()
                l = ":".join(fields)
            out.append(l)
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")
        cls.i.start()

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def test_quota(self):
        r = self.i.raw_login()
        u, t = r.cmd("a", "GETQUOTAROOT INBOX")
        self.assertEqual(t, "a OK GETQUOTAROOT completed")
        self.assertEqual(u, ['* QUOTAROOT "INBOX" ""', '* QUOTA "" (STORAGE 0 10 MESSAGE 0 3)'])
        m = "Subject: q\r\n\r\n" + "x" * 2000 + "\r\n"
        for n in range(3):
            _, t = r.cmd("b%d" % n, "APPEND INBOX {%d+}\r\n%s" % (len(m), m))
            self.assertTrue(t.startswith("b%d OK" % n), t)
        u, t = r.cmd("c", 'GETQUOTA ""')
        mm = re.match(r'^\* QUOTA "" \(STORAGE (\d+) 10 MESSAGE 3 3\)$', u[0])
        self.assertTrue(mm, u)
        self.assertGreaterEqual(int(mm.group(1)), 6)
        _, t = r.cmd("d", "APPEND INBOX {%d+}\r\n%s" % (len(m), m))
        self.assertTrue(t.startswith("d NO [OVERQUOTA]"), t)
        self.assertEqual(len(os.listdir(os.path.join(self.i.maildir(), "cur"))), 3)
        _, t = r.cmd("e", 'GETQUOTA "other"')
        self.assertTrue(t.startswith("e NO"), t)
        _, t = r.cmd("f", 'SETQUOTA "" (STORAGE 100)')
        self.assertTrue(t.startswith("f NO"), t)
        # expunge one: room for one more
        r.cmd("g", "SELECT INBOX")
        cur = os.path.join(self.i.maildir(), "cur")
        f = sorted(os.listdir(cur))[0]
        os.rename(os.path.join(cur, f), os.path.join(cur, f.split(":")[0] + ":2,T"))
        _, t = r.cmd("h", "EXPUNGE")
        self.assertTrue(t.startswith("h OK"), t)
        u, _ = r.cmd("i", 'GETQUOTA ""')
        self.assertRegex(u[0], r'MESSAGE 2 3\)$')
        _, t = r.cmd("j", "APPEND INBOX {%d+}\r\n%s" % (len(m), m))
        self.assertTrue(t.startswith("j OK"), t)
        r.cmd("z", "LOGOUT")

    def test_no_quota(self):
        r = self.i.raw_login(user=BOB, password="bob-password")
        u, t = r.cmd("a", "GETQUOTAROOT INBOX")
        self.assertEqual(u, ['* QUOTAROOT "INBOX"'])
        _, t = r.cmd("b", 'GETQUOTA ""')
        self.assertTrue(t.startswith("b NO"), t)
        r.cmd("z", "LOGOUT")


if __name__ == "__main__":
    unittest.main()
