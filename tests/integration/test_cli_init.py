"""postern init: creates a complete instance (files, owners, modes, config
with absolute paths, certificate whose subjectAltName names the host,
localhost and 127.0.0.1), refuses to overwrite one and rejects bad options."""
import grp, os, pwd, re, shutil, ssl, stat, subprocess, unittest

from postern_instance import (IS_ROOT, TEST_USER_PREFIX, make_instance,
                              make_tmpdir, postern)


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


class InitTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp, port_base=31000, users={},
                                 domain="dom.example", hostname="mx.dom.example")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_files_and_modes(self):
        d = self.inst.dir
        want = {
            "etc": 0o755, "etc/postern.conf": 0o644, "etc/domains": 0o644,
            "etc/relaynets": 0o644, "etc/routes": 0o644, "etc/aliases": 0o644,
            "etc/passwd": 0o600, "etc/users": 0o644, "etc/secrets": 0o600,
            "etc/tls": 0o755, "etc/tls/cert.pem": 0o644, "etc/tls/key.pem": 0o600,
            "queue": 0o750, "run": 0o755, "empty": 0o755, "mail": 0o755,
        }
        for rel, m in want.items():
            self.assertEqual(mode(os.path.join(d, rel)), m, rel)
        self.assertEqual(os.listdir(os.path.join(d, "empty")), [])
        self.assertEqual(os.path.getsize(os.path.join(d, "etc/passwd")), 0)
        for sub in ("tmp", "mess", "todo", "env", "state", "hold", "bounce"):
            self.assertTrue(os.path.isdir(os.path.join(d, "queue", sub)), sub)
        self.assertTrue(stat.S_ISFIFO(os.lstat(os.path.join(d, "queue/wake")).st_mode))
        with open(self.inst.domains) as f:
            entries = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        self.assertEqual(entries, ["dom.example"])

    def test_owners(self):
        d = self.inst.dir
        me = os.geteuid()
        if IS_ROOT:
            q = pwd.getpwnam(TEST_USER_PREFIX + "q")
            r = pwd.getpwnam(TEST_USER_PREFIX + "r")
            self.assertEqual(os.stat(os.path.join(d, "queue")).st_uid, q.pw_uid)
            self.assertEqual(os.stat(os.path.join(d, "queue/todo")).st_uid, q.pw_uid)
            self.assertEqual(os.stat(os.path.join(d, "etc/secrets")).st_uid, r.pw_uid)
            for rel in ("etc/postern.conf", "etc/passwd", "etc/tls/key.pem", "empty", "mail"):
                self.assertEqual(os.stat(os.path.join(d, rel)).st_uid, 0, rel)
            # Every service user exists, as a system account without login.
            for suffix in ("q", "smtpd", "auth", "tls", "r", "lmtp"):
                pw = pwd.getpwnam(TEST_USER_PREFIX + suffix)
                grp.getgrnam(TEST_USER_PREFIX + suffix)
                self.assertLess(pw.pw_uid, 1000)
                self.assertIn(os.path.basename(pw.pw_shell), ("nologin", "false"))
                self.assertFalse(os.path.exists(pw.pw_dir) and pw.pw_dir != "/nonexistent")
        else:
            for rel in ("etc/postern.conf", "etc/passwd", "queue", "etc/secrets"):
                self.assertEqual(os.stat(os.path.join(d, rel)).st_uid, me, rel)

    def test_config_absolute_paths_and_ports(self):
        with open(self.inst.conf) as f:
            text = f.read()
        settings = dict(re.findall(r"^(\w+) = (.*)$", text, re.M))
        for key in ("queue_dir", "run_dir", "empty_dir", "mail_dir", "domains_file",
                    "relaynets_file", "routes_file", "aliases_file", "passwd_file",
                    "users_file", "secrets_file", "tls_cert", "tls_key"):
            self.assertIn(key, settings)
            self.assertTrue(settings[key].startswith(self.inst.dir + "/"), key)
            self.assertTrue(os.path.exists(settings[key]), key)
        self.assertEqual(settings["port_base"], "31000")
        self.assertEqual(settings["hostname"], "mx.dom.example")
        self.assertEqual(settings["user_prefix"], TEST_USER_PREFIX)
        # Keys left at their default appear commented out, with their doc.
        self.assertRegex(text, r"(?m)^#uid_min = 10000$")
        self.assertRegex(text, r"(?m)^#listen_address = 127\.0\.0\.1$")

    def test_certificate_san(self):
        info = ssl._ssl._test_decode_cert(self.inst.cert)
        san = info["subjectAltName"]
        self.assertIn(("DNS", "mx.dom.example"), san)
        self.assertIn(("DNS", "localhost"), san)
        self.assertIn(("IP Address", "127.0.0.1"), san)
        # certtool agrees, and the key pairs with the certificate.
        p = subprocess.run(["certtool", "-i", "--infile", self.inst.cert],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("DNSname: mx.dom.example", p.stdout)
        self.assertIn("IPAddress: 127.0.0.1", p.stdout)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.inst.cert, self.inst.key)

    def test_check_passes(self):
        p = postern("check", self.inst.dir)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_config_man(self):
        p = postern("config-man")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"(?m)^\.TH POSTERN\.CONF 5")
        for key in ("queue_dir", "uid_min", "port_base", "tls_priority"):
            self.assertIn(key, p.stdout)

    def test_refuses_overwrite(self):
        with open(self.inst.conf) as f:
            before = f.read()
        p = postern("init", self.inst.dir)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("already", p.stderr)
        with open(self.inst.conf) as f:
            self.assertEqual(f.read(), before)

    def test_bad_options(self):
        d = os.path.join(self.tmp, "bad")
        for args in (["--port-base", "70000"], ["--port-base", "x"],
                     ["--user-prefix", "Bad Prefix"], ["--domain", "no spaces allowed"],
                     ["--frobnicate", "1"]):
            p = postern("init", d, *args)
            self.assertEqual(p.returncode, 100, args)
            self.assertFalse(os.path.exists(os.path.join(d, "etc")), args)

    def test_default_domain_and_port_base(self):
        d = os.path.join(self.tmp, "defaults")
        p = postern("init", d, "--user-prefix", TEST_USER_PREFIX)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(d, "etc/domains")) as f:
            self.assertIn("example.test", f.read())
        with open(os.path.join(d, "etc/postern.conf")) as f:
            self.assertRegex(f.read(), r"(?m)^#port_base = 10000$")


if __name__ == "__main__":
    unittest.main()
