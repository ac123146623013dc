"""postern user add/del/list/passwd: passwd-file entries with yescrypt
hashes, uids from [uid_min, uid_max], homes with a Maildir owned by the
user's uid (mode 0700), and a hash-free user list kept in step."""
import os, shutil, stat, unittest, warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt

from postern_instance import IS_ROOT, make_instance, make_tmpdir, postern


def entries(path):
    with open(path) as f:
        return [l.rstrip("\n").split(":") for l in f if l.strip() and not l.startswith("#")]


class UserTest(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp, port_base=32000, users={})

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def add(self, name, pw):
        return postern("user", "add", self.inst.dir, name, input=pw + "\n")

    def test_add_creates_entry_home_and_list(self):
        p = self.add("alice@example.test", "s3cret pass")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.add("bob", "other").returncode, 0)
        pw = entries(self.inst.passwd)
        self.assertEqual([e[0] for e in pw], ["alice@example.test", "bob"])
        alice = pw[0]
        self.assertTrue(alice[1].startswith("{CRYPT}$y$"), alice[1])
        h = alice[1][len("{CRYPT}"):]
        self.assertEqual(crypt.crypt("s3cret pass", h), h)
        self.assertNotEqual(crypt.crypt("wrong", h), h)
        uids = [int(e[2]) for e in pw]
        self.assertEqual(len(set(uids)), 2)
        for u in uids:
            self.assertTrue(10000 <= u <= 60000)
        home = os.path.join(self.inst.mail, "alice@example.test")
        self.assertEqual(alice[5], home)
        for sub in ("", "/Maildir", "/Maildir/cur", "/Maildir/new", "/Maildir/tmp"):
            st = os.stat(home + sub)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o700, sub)
            self.assertEqual(st.st_uid, uids[0] if IS_ROOT else os.geteuid(), sub)
        # The user list: same users and uids, no hashes; readable by all.
        ul = entries(self.inst.users_file)
        self.assertEqual([(e[0], int(e[1]), e[3]) for e in ul],
                         [(e[0], int(e[2]), e[5]) for e in pw])
        with open(self.inst.users_file) as f:
            self.assertNotIn("$y$", f.read())
        self.assertEqual(stat.S_IMODE(os.stat(self.inst.users_file).st_mode), 0o644)
        self.assertEqual(stat.S_IMODE(os.stat(self.inst.passwd).st_mode), 0o600)
        out = postern("user", "list", self.inst.dir, check=True).stdout
        self.assertIn("alice@example.test uid=%d" % uids[0], out)
        self.assertIn("bob uid=%d" % uids[1], out)
        self.assertEqual(postern("check", self.inst.dir).returncode, 0)

    def test_uid_range(self):
        self.inst.set_config("uid_min", "20000")
        self.inst.set_config("uid_max", "20001")
        self.assertEqual(self.add("a", "x").returncode, 0)
        self.assertEqual(self.add("b", "x").returncode, 0)
        p = self.add("c", "x")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("uid", p.stderr)
        self.assertEqual(sorted(int(e[2]) for e in entries(self.inst.passwd)), [20000, 20001])

    def test_refusals(self):
        self.assertEqual(self.add("carol", "pw").returncode, 0)
        self.assertEqual(self.add("carol", "pw").returncode, 100)       # exists
        self.assertEqual(self.add("CAROL@x", "").returncode, 100)       # empty password
        for bad in ("a:b", "../x", "a/b", ".hidden", "a b"):
            self.assertEqual(self.add(bad, "pw").returncode, 100, bad)
        self.assertEqual(len(entries(self.inst.passwd)), 1)
        self.assertEqual(postern("user", "del", self.inst.dir, "nobody").returncode, 100)
        self.assertEqual(postern("user", "passwd", self.inst.dir, "nobody",
                                 input="x\n").returncode, 100)

    def test_passwd_changes_only_the_hash(self):
        self.add("dave", "old")
        before = entries(self.inst.passwd)[0]
        p = postern("user", "passwd", self.inst.dir, "dave", input="new\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        after = entries(self.inst.passwd)[0]
        self.assertEqual(before[:1] + before[2:], after[:1] + after[2:])
        h = after[1][len("{CRYPT}"):]
        self.assertEqual(crypt.crypt("new", h), h)
        self.assertNotEqual(crypt.crypt("old", h), h)

    def test_del_keeps_or_purges_mail(self):
        self.add("erin", "pw")
        self.add("frank", "pw")
        p = postern("user", "del", self.inst.dir, "erin")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([e[0] for e in entries(self.inst.passwd)], ["frank"])
        self.assertEqual([e[0] for e in entries(self.inst.users_file)], ["frank"])
        self.assertTrue(os.path.isdir(os.path.join(self.inst.mail, "erin", "Maildir")))
        # Re-adding over kept mail is refused (it would hand it to a new uid).
        self.assertEqual(self.add("erin", "pw").returncode, 100)
        # Something the user made itself, and a link it planted out of
        # its home: the purge removes the link, never its target.
        outside = os.path.join(self.tmp, "outside")
        with open(outside, "w") as f:
            f.write("keep me")
        fh = os.path.join(self.inst.mail, "frank")
        os.symlink(outside, os.path.join(fh, "Maildir", "new", "link"))
        with open(os.path.join(fh, "Maildir", "cur", "1.msg"), "w") as f:
            f.write("mail")
        if IS_ROOT:
            uid = int(entries(self.inst.passwd)[0][2])
            for path in (os.path.join(fh, "Maildir", "new", "link"),
                         os.path.join(fh, "Maildir", "cur", "1.msg")):
                os.lchown(path, uid, uid)
        p = postern("user", "del", self.inst.dir, "frank", "--purge")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.inst.mail, "frank")))
        with open(outside) as f:
            self.assertEqual(f.read(), "keep me")
        self.assertEqual(entries(self.inst.users_file), [])


if __name__ == "__main__":
    unittest.main()
