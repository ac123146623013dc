"""Real clients that read and synchronise mail: mbsync syncing a mailbox
both ways (server -> local Maildir, then a local new message, a local
flag change and a local new folder back to the server), fetchmail
downloading over IMAP with STARTTLS, curl fetching a message by UID, and
mutt in batch mode reading the mailbox.  These need the message commands
(FETCH, STORE, SEARCH; imapd/imap_fetch.c & co.): when those are not
built into postern-imapd the tests say so and are skipped.  A missing
client is a failure."""
import os, re, shutil, subprocess, time, unittest

from imap_instance import PASSWORD, USER, ImapInstance, message


def run(argv, **kw):
    if shutil.which(argv[0]) is None:
        raise AssertionError("%s is not installed (CI installs it)" % argv[0])
    kw.setdefault("timeout", 90)
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def message_commands_built(i):
    """FETCH, STORE, SEARCH and COPY linked in (else "Unknown command")."""
    r = i.raw_login()
    ok = True
    for n, cmd in enumerate(("UID FETCH 1 (UID)", "UID STORE 1 +FLAGS (\\Seen)",
                             "UID SEARCH ALL", "UID COPY 1 INBOX")):
        _, t = r.cmd("a%d" % n, cmd)
        ok = ok and "Unknown" not in t
    r.cmd("z", "LOGOUT")
    return ok


class ImapClientsSync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance().start()
        cls.work = os.path.join(cls.i.tmp, "client")
        os.mkdir(cls.work)
        os.chmod(cls.work, 0o700)
        cls.built = message_commands_built(cls.i)

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def setUp(self):
        if not self.built:
            self.skipTest("FETCH/STORE/SEARCH not built into postern-imapd")

    def test_mbsync_both_ways(self):
        self.i.raw_login().cmd("a", "CREATE sync")
        for n in range(2):
            self.i.deliver(message("server %d" % n), folder="sync")
        local = os.path.join(self.work, "mbsync")
        os.mkdir(local)
        rc = os.path.join(self.work, "mbsyncrc")
        with open(rc, "w") as f:
            f.write("""IMAPAccount postern
Host 127.0.0.1
Port %d
User %s
Pass %s
SSLType STARTTLS
CertificateFile %s

IMAPStore remote
Account postern

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel ch
Far :remote:
Near :local:
Patterns sync sync2
Create Both
Expunge Both
SyncState *
""" % (self.i.port, USER, PASSWORD, self.i.inst.cert, local, local))
        env = dict(os.environ, HOME=self.work)
        p = run(["mbsync", "-c", rc, "-a"], env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        got = []
        for d in ("new", "cur"):
            dd = os.path.join(local, "sync", d)
            got += [os.path.join(dd, n) for n in os.listdir(dd)]
        self.assertEqual(len(got), 2, got)
        # local changes: a new message, \Seen on one, a new folder
        first = got[0]
        base = os.path.basename(first).split(":")[0]
        os.rename(first, os.path.join(local, "sync", "cur", base + ":2,S"))
        with open(os.path.join(local, "sync", "new", "%d.local.host" % time.time()), "w") as f:
            f.write(message("local 1"))
        os.makedirs(os.path.join(local, "sync2", "cur"))
        os.makedirs(os.path.join(local, "sync2", "new"))
        os.makedirs(os.path.join(local, "sync2", "tmp"))
        with open(os.path.join(local, "sync2", "new", "%d.local2.host" % time.time()), "w") as f:
            f.write(message("local 2"))
        p = run(["mbsync", "-c", rc, "-a"], env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        c = self.i.imap()
        typ, data = c.status("sync", "(MESSAGES UNSEEN)")
        self.assertEqual(data[0], b'"sync" (MESSAGES 3 UNSEEN 2)')
        typ, data = c.status("sync2", "(MESSAGES)")
        self.assertEqual(data[0], b'"sync2" (MESSAGES 1)')
        c.logout()

    def test_fetchmail(self):
        for n in range(3):
            self.i.deliver(message("fetch %d" % n))
        out = os.path.join(self.work, "fetched")
        os.mkdir(out)
        rc = os.path.join(self.work, "fetchmailrc")
        with open(rc, "w") as f:
            f.write('set no syslog\npoll 127.0.0.1 port %d protocol IMAP\n'
                    '  user "%s" password "%s"\n  sslproto "tls1.2+" sslcertck sslcertfile "%s"\n'
                    '  sslcommonname "localhost"\n'
                    '  keep fetchall\n  mda "/bin/sh -c \'cat > %s/msg.$$\'"\n'
                    % (self.i.port, USER, PASSWORD, self.i.inst.cert, out))
        os.chmod(rc, 0o600)
        p = run(["fetchmail", "-f", rc, "--nosyslog", "-v"], env=dict(os.environ, HOME=self.work))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        files = os.listdir(out)
        self.assertGreaterEqual(len(files), 3)
        subjects = set()
        for n in files:
            with open(os.path.join(out, n)) as f:
                m = re.search(r"^Subject: (.*)$", f.read(), re.M)
                subjects.add(m.group(1))
        self.assertTrue({"fetch 0", "fetch 1", "fetch 2"} <= subjects, subjects)

    def test_curl_fetch(self):
        r = self.i.raw_login()
        r.cmd("a", "CREATE curlbox")
        r.cmd("z", "LOGOUT")
        self.i.deliver(message("for curl", body="curl body\n"), folder="curlbox")
        p = run(["curl", "-sS", "--user", "%s:%s" % (USER, PASSWORD),
                 "imap://127.0.0.1:%d/curlbox;UID=1" % self.i.port])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Subject: for curl", p.stdout)
        self.assertIn("curl body", p.stdout)

    def test_mutt_reads(self):
        r = self.i.raw_login()
        r.cmd("a", "CREATE muttbox")
        r.cmd("z", "LOGOUT")
        self.i.deliver(message("for mutt"), folder="muttbox")
        rc = os.path.join(self.work, "muttrc-read")
        with open(rc, "w") as f:
            f.write('set imap_user="%s"\nset imap_pass="%s"\nset ssl_starttls=no\n'
                    'set ssl_force_tls=no\nset folder="imap://127.0.0.1:%d/"\nset wait_key=no\n'
                    'set move=no\n' % (USER, PASSWORD, self.i.port))
        # mutt needs a terminal to read: run it on a pty (script(1)), let it
        # open the folder, pipe the first message to a file and leave
        out = os.path.join(self.work, "mutt-out")
        cmd = ("mutt -n -F %s -f =muttbox -e \"push '<pipe-message>cat > %s<enter><exit>'\""
               % (rc, out))
        p = run(["script", "-qec", cmd, "/dev/null"],
                env=dict(os.environ, HOME=self.work, TERM="vt100"), input="")
        self.assertTrue(os.path.exists(out), p.stdout[-2000:] + p.stderr)
        with open(out) as f:
            self.assertIn("Subject: for mutt", f.read())

if __name__ == "__main__":
    unittest.main()
