"""test_checkpassword.py: the installed postern-checkpassword against a temp
config and passwd-file: good and bad passwords, the environment, ids and
working directory of the program it execs, and the exit codes of the
checkpassword interface (1 bad credentials, 2 misuse, 111 temporary).
As root also the uid/gid switch, and that uid 0 and uids outside
[uid_min, uid_max] are refused."""
import ctypes, ctypes.util, json, os, shutil, subprocess, sys, tempfile, unittest

PREFIX = os.environ.get("POSTERN_PREFIX", "")
PROG = os.path.join(PREFIX, "libexec", "postern", "postern-checkpassword")
IS_ROOT = os.geteuid() == 0
UID, GID = 54321, 54322
# An interpreter the dropped uid can execute (not one under /root).
PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable

_libcrypt = ctypes.CDLL(ctypes.util.find_library("crypt") or "libcrypt.so.1")
_libcrypt.crypt_gensalt.restype = ctypes.c_char_p
_libcrypt.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
_libcrypt.crypt.restype = ctypes.c_char_p
_libcrypt.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]


def mkhash(password, prefix="$y$"):
    """A crypt(3) hash made by libxcrypt (yescrypt by default)."""
    setting = _libcrypt.crypt_gensalt(prefix.encode(), 5 if prefix.startswith("$2") else 0, None, 0)
    return _libcrypt.crypt(password.encode(), setting).decode()


# The program checkpassword execs: prints what it got as JSON.
REPORT = ("import json, os; print(json.dumps({'uid': os.getuid(), 'euid': os.geteuid(), "
          "'gid': os.getgid(), 'egid': os.getegid(), 'groups': sorted(os.getgroups()), "
          "'cwd': os.getcwd(), 'env': dict(os.environ)}))")


class CheckpasswordTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(PROG):
            raise AssertionError("postern-checkpassword not installed at %s" % PROG)
        cls.dir = tempfile.mkdtemp(prefix="postern-ckpw-")
        os.chmod(cls.dir, 0o755)
        cls.home = os.path.join(cls.dir, "mail", "alice@example.org")
        cls.home2 = os.path.join(cls.dir, "mail", "bob")
        for h in (cls.home, cls.home2):
            os.makedirs(h)
            os.chmod(os.path.dirname(h), 0o755)
        # alice's home is hers alone; home2 is shared by the other test users
        os.chmod(cls.home, 0o700)
        os.chmod(cls.home2, 0o755)
        if IS_ROOT:
            os.chown(cls.home, UID, GID)
        cls.passwd = os.path.join(cls.dir, "passwd")
        lines = [
            "# test users",
            "alice@example.org:{CRYPT}%s:%d:%d::%s::userdb_quota_rule=*:storage=10M"
            % (mkhash("s3cret pw"), UID, GID, cls.home),
            "bob:{SHA512-CRYPT}%s:%d:%d:Bob:%s::" % (mkhash("bobpw", "$6$"), UID + 1, GID, cls.home2),
            "carol:{BLF-CRYPT}%s:%d:%d::%s::" % (mkhash("carolpw", "$2b$"), UID + 2, GID, cls.home2),
            "plain:{PLAIN}plainpw:%d:%d::%s::" % (UID + 3, GID, cls.home2),
            "rooty:{CRYPT}%s:0:0::%s::" % (mkhash("rootpw"), cls.home2),
            "low:{CRYPT}%s:500:500::%s::" % (mkhash("lowpw"), cls.home2),
            "nohome:{CRYPT}%s:%d:%d::%s::" % (mkhash("nohomepw"), UID + 4, GID,
                                              os.path.join(cls.dir, "missing")),
        ]
        with open(cls.passwd, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(cls.passwd, 0o600)
        cls.conf = os.path.join(cls.dir, "postern.conf")
        with open(cls.conf, "w") as f:
            f.write("# checkpassword test\npasswd_file = %s\nuid_min = 10000\nuid_max = 60000\n"
                    % cls.passwd)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run_ck(self, record, args=None, conf=True, env=None, fd3=True):
        """Run the checker with record on fd 3; returns (rc, stdout, stderr)."""
        e = {"PATH": "/usr/bin:/bin", "POSTERN_LOG_STDERR": "1"}
        if env:
            e.update(env)
        argv = [PROG]
        if conf is True:
            argv += ["-c", self.conf]
        elif conf:
            argv += ["-c", conf]
        argv += args if args is not None else [PYTHON, "-c", REPORT]
        if fd3:
            # fd 3 from stdin (the record), as a monitor would give it
            argv = ["/bin/sh", "-c", 'exec "$0" "$@" 3<&0 0</dev/null'] + argv
        p = subprocess.run(argv, input=record, capture_output=True, env=e, timeout=60,
                           cwd="/")
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def login_ok(self, user, password, **kw):
        rc, out, err = self.run_ck(user + b"\0" + password + b"\0" + b"1700000000\0", **kw)
        self.assertEqual(rc, 0, err)
        return json.loads(out), err

    # --- success ---

    def test_good_password_env_and_cwd(self):
        info, err = self.login_ok(b"alice@example.org", b"s3cret pw")
        env = info["env"]
        self.assertEqual(env["USER"], "alice@example.org")
        self.assertEqual(env["POSTERN_USER"], "alice@example.org")
        self.assertEqual(env["HOME"], self.home)
        self.assertEqual(env["AUTHENTICATED"], "1")
        self.assertEqual(env["POSTERN_QUOTA_BYTES"], str(10 << 20))
        self.assertEqual(env["POSTERN_QUOTA_MESSAGES"], "0")
        self.assertEqual(info["cwd"], self.home)
        self.assertIn("event=auth_ok", err)
        self.assertNotIn("s3cret", err)
        if IS_ROOT:
            self.assertEqual((info["uid"], info["euid"]), (UID, UID))
            self.assertEqual((info["gid"], info["egid"]), (GID, GID))
            self.assertEqual(info["groups"], [GID])
        else:
            self.assertEqual(info["uid"], os.getuid())
            self.assertEqual(info["gid"], os.getgid())

    def test_domain_case_insensitive(self):
        info, _ = self.login_ok(b"alice@EXAMPLE.Org", b"s3cret pw")
        self.assertEqual(info["env"]["USER"], "alice@example.org")

    def test_no_timestamp_and_env_config(self):
        rc, out, err = self.run_ck(b"bob\0bobpw\0", conf=None,
                                   env={"POSTERN_CONF": self.conf})
        self.assertEqual(rc, 0, err)
        info = json.loads(out)
        self.assertEqual(info["env"]["USER"], "bob")
        self.assertEqual(info["cwd"], self.home2)
        if IS_ROOT:
            self.assertEqual(info["uid"], UID + 1)

    def test_schemes(self):
        self.login_ok(b"bob", b"bobpw")          # {SHA512-CRYPT}
        self.login_ok(b"carol", b"carolpw")      # {BLF-CRYPT}
        rc, _, _ = self.run_ck(b"carol\0carolpW\0\0")
        self.assertEqual(rc, 1)

    # --- bad credentials: exit 1, program not run ---

    def test_bad_password(self):
        for rec in (b"alice@example.org\0s3cret\0" b"1\0",
                    b"alice@example.org\0s3cret pw \0" b"1\0",
                    b"Alice@example.org\0s3cret pw\0" b"1\0",   # local part is exact
                    b"nosuch\0s3cret pw\0" b"1\0",
                    b"\0s3cret pw\0" b"1\0",
                    b"alice@example.org\0\0" b"1\0"):
            rc, out, err = self.run_ck(rec, env={"TCPREMOTEIP": "192.0.2.7"})
            self.assertEqual(rc, 1, rec)
            self.assertEqual(out, "")
            self.assertIn("event=auth_fail", err)
            self.assertIn("ip=192.0.2.7", err)
            self.assertNotIn("s3cret", err)

    def test_plain_scheme_refused(self):
        rc, out, err = self.run_ck(b"plain\0plainpw\0" b"1\0")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("unsupported_scheme", err)

    # --- misuse: exit 2 ---

    def test_misuse(self):
        rc, _, _ = self.run_ck(b"alice@example.org\0s3cret pw\0" b"1\0", args=[])
        self.assertEqual(rc, 2)
        rc, out, _ = self.run_ck(b"alice@example.org\0s3cret pw\0" b"1\0", fd3=False)
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        for rec in (b"", b"alice@example.org", b"alice@example.org\0s3cret pw",
                    b"alice@example.org\0s3cret pw\0" b"1\0extra",
                    b"alice@example.org\0s3cret pw\0" b"1\0\0",
                    b"alice@example.org\0s3cret pw\0" + b"9" * 600 + b"\0"):
            rc, out, _ = self.run_ck(rec)
            self.assertEqual(rc, 2, rec[:40])
            self.assertEqual(out, "")
        rc, _, _ = self.run_ck(b"x\0y\0", args=["-x", "/bin/true"])
        self.assertEqual(rc, 2)

    # --- temporary errors: exit 111 ---

    def test_temporary_errors(self):
        rec = b"alice@example.org\0s3cret pw\0" b"1\0"
        rc, _, err = self.run_ck(rec, conf=os.path.join(self.dir, "nope.conf"))
        self.assertEqual(rc, 111)
        self.assertIn("nope.conf", err)
        rc, _, err = self.run_ck(rec, conf=None)       # no -c, no POSTERN_CONF
        self.assertEqual(rc, 111)
        bad = os.path.join(self.dir, "bad.conf")
        with open(bad, "w") as f:
            f.write("passwd_file = %s\nno_such_key = 1\n" % self.passwd)
        rc, _, err = self.run_ck(rec, conf=bad)
        self.assertEqual(rc, 111)
        self.assertIn("bad.conf:2", err)
        nopw = os.path.join(self.dir, "nopw.conf")
        with open(nopw, "w") as f:
            f.write("passwd_file = %s\n" % os.path.join(self.dir, "missing-passwd"))
        rc, _, err = self.run_ck(rec, conf=nopw)
        self.assertEqual(rc, 111)
        self.assertIn("missing-passwd", err)
        broken_pw = os.path.join(self.dir, "broken-passwd")
        with open(broken_pw, "w") as f:
            f.write("alice@example.org:x:1:1::/h\nbroken line\n")
        broken = os.path.join(self.dir, "broken.conf")
        with open(broken, "w") as f:
            f.write("passwd_file = %s\n" % broken_pw)
        rc, _, err = self.run_ck(rec, conf=broken)
        self.assertEqual(rc, 111)
        self.assertIn("broken-passwd:2: no password field", err)
        # home that does not exist; program that cannot be executed
        rc, out, err = self.run_ck(b"nohome\0nohomepw\0" b"1\0")
        self.assertEqual(rc, 111, err)
        self.assertEqual(out, "")
        rc, _, err = self.run_ck(rec, args=[os.path.join(self.dir, "no-such-program")])
        self.assertEqual(rc, 111)

    # --- uid policy ---

    def test_uid_policy(self):
        for user, pw in ((b"rooty", b"rootpw"), (b"low", b"lowpw")):
            rc, out, err = self.run_ck(user + b"\0" + pw + b"\0" b"1\0")
            if IS_ROOT:
                # uid 0 and uids below uid_min are refused as root
                self.assertEqual(rc, 1, err)
                self.assertEqual(out, "")
                self.assertIn("uid_out_of_range", err)
            else:
                # run by an ordinary user nothing changes ids: no range check
                self.assertEqual(rc, 0, err)
                self.assertEqual(json.loads(out)["uid"], os.getuid())

    @unittest.skipUnless(IS_ROOT, "uid range from the config: needs root")
    def test_uid_range_from_config(self):
        narrow = os.path.join(self.dir, "narrow.conf")
        with open(narrow, "w") as f:
            f.write("passwd_file = %s\nuid_min = 10000\nuid_max = %d\n" % (self.passwd, UID))
        rc, _, err = self.run_ck(b"alice@example.org\0s3cret pw\0" b"1\0", conf=narrow)
        self.assertEqual(rc, 0, err)
        rc, _, err = self.run_ck(b"bob\0bobpw\0" b"1\0", conf=narrow)
        self.assertEqual(rc, 1)
        self.assertIn("uid_out_of_range", err)


if not IS_ROOT:
    # In CI a skip counts as a failure; this one is only meaningful as root.
    del CheckpasswordTest.test_uid_range_from_config

if __name__ == "__main__":
    unittest.main()
