"""postern check: exit 0 on a good instance; on broken ones exit 1 with one
line per problem naming the file (and line, for config and table errors)."""
import os, shutil, stat, unittest

from postern_instance import IS_ROOT, make_instance, make_tmpdir, postern


class CheckTest(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp, port_base=33000)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_fails(self, *needles):
        p = postern("check", self.inst.dir)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        for n in needles:
            self.assertIn(n, p.stderr)
        return p.stderr

    def append(self, path, text):
        with open(path, "a") as f:
            f.write(text)

    def conf_lines(self):
        with open(self.inst.conf) as f:
            return len(f.read().splitlines())

    def test_good_instance(self):
        p = postern("check", self.inst.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")

    def test_unknown_key(self):
        n = self.conf_lines()
        self.append(self.inst.conf, "no_such_key = 1\n")
        self.check_fails("%s:%d:" % (self.inst.conf, n + 1), "no_such_key")

    def test_duplicate_key(self):
        n = self.conf_lines()
        self.append(self.inst.conf, "port_base = 12000\n")
        self.check_fails("%s:%d:" % (self.inst.conf, n + 1), "port_base")

    def test_bad_value(self):
        n = self.conf_lines()
        self.append(self.inst.conf, "uid_min = many\n")
        self.check_fails("%s:%d:" % (self.inst.conf, n + 1), "uid_min")

    def test_bad_table_lines(self):
        # domains: line 1 comment, 2 the domain, 3 good, 4 bad.
        self.append(self.inst.domains, "other.example\nbad domain!\n")
        relaynets = os.path.join(self.inst.etc, "relaynets")
        with open(relaynets, "w") as f:
            f.write("127.0.0.0/8\n::1\n10.0.0.0/33\nnot-an-ip\n")
        routes = os.path.join(self.inst.etc, "routes")
        with open(routes, "w") as f:
            f.write("example.net [127.0.0.1]:2526\nexample.org [x\n")
        aliases = os.path.join(self.inst.etc, "aliases")
        with open(aliases, "w") as f:
            f.write("postmaster: demo@example.test\nnocolon demo\n")
        err = self.check_fails("%s:4:" % self.inst.domains,
                               "%s:3:" % relaynets, "%s:4:" % relaynets,
                               "%s:2:" % routes, "%s:2:" % aliases)
        self.assertNotIn("%s:3:" % self.inst.domains, err)
        self.assertNotIn("%s:1:" % relaynets, err)
        self.assertNotIn("%s:1:" % routes, err)
        self.assertEqual(len(err.strip().splitlines()), 5, err)

    def test_alias_refused_by_recipient_resolution(self):
        # Syntactically a target, but the servers refuse pipe targets: check
        # goes through the same loader and says so, with file and line.
        aliases = os.path.join(self.inst.etc, "aliases")
        with open(aliases, "a") as f:
            f.write("root: demo@example.test\nevil: |/bin/sh -c id\n")
        self.check_fails("%s:4:" % aliases)

    def test_passwd_file_errors(self):
        self.append(self.inst.passwd, "broken line without fields\n")
        self.check_fails("%s:2:" % self.inst.passwd)

    def test_passwd_mode(self):
        os.chmod(self.inst.passwd, 0o644)
        self.check_fails(self.inst.passwd, "0600")

    def test_key_mode_and_bad_key(self):
        os.chmod(self.inst.key, 0o640)
        self.check_fails(self.inst.key, "0600")
        os.chmod(self.inst.key, 0o600)
        with open(self.inst.key, "w") as f:
            f.write("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        self.check_fails(self.inst.key)

    def test_missing_certificate(self):
        os.unlink(self.inst.cert)
        self.check_fails(self.inst.cert)

    def test_dirs(self):
        open(os.path.join(self.inst.dir, "empty", "intruder"), "w").close()
        os.chmod(self.inst.mail, 0o777)
        self.check_fails("chroot directory is not empty", self.inst.mail)

    def test_owner(self):
        if IS_ROOT:
            os.chown(self.inst.passwd, 1, 1)
            self.check_fails(self.inst.passwd, "owned by uid 1")
        else:
            # An ordinary user cannot give files away: all must be its own.
            self.assertEqual(os.stat(self.inst.passwd).st_uid, os.geteuid())
            os.chmod(self.inst.passwd, 0o660)
            self.check_fails(self.inst.passwd, "0600")

    def test_users(self):
        home = os.path.join(self.inst.mail, "demo@example.test")
        # The user list out of step with the passwd-file.
        with open(self.inst.users_file, "w") as f:
            f.write("")
        self.check_fails(self.inst.users_file, "demo@example.test")
        postern("user", "passwd", self.inst.dir, "demo@example.test", input="pw\n", check=True)
        self.assertEqual(postern("check", self.inst.dir).returncode, 0)
        # A home writable by others, then missing.
        os.chmod(home, 0o777)
        self.check_fails(home, "writable")
        os.chmod(home, 0o700)
        shutil.rmtree(home)
        self.check_fails(home, "missing")

    def test_listen_address(self):
        self.append(self.inst.conf, "listen_address = 127.0.0.1, ::1, not-an-ip\n")
        self.check_fails("not-an-ip")

    def test_unreachable_instance(self):
        os.chmod(self.tmp, 0o700)
        p = postern("check", self.inst.dir)
        if IS_ROOT:
            self.assertEqual(p.returncode, 1)
            self.assertIn("%s: not searchable" % self.tmp, p.stderr)
        else:
            # An ordinary user runs everything as itself: no problem.
            self.assertEqual(p.returncode, 0, p.stderr)

    def test_queue_tree(self):
        todo = os.path.join(self.inst.queue, "todo")
        os.rmdir(todo)
        self.check_fails("%s: queue directory missing" % todo)
        os.mkdir(todo, 0o777)
        os.chmod(todo, 0o777)
        self.check_fails(todo)

    def test_missing_table(self):
        os.unlink(self.inst.domains)
        self.check_fails(self.inst.domains)


if __name__ == "__main__":
    unittest.main()
