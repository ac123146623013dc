"""Differential run against a private dovecot-pop3d (Debian's
/usr/lib/dovecot/pop3, run standalone on a pipe with its own config in a
temporary directory; the system instance is never used).  One Maildir
(the corpus messages plus hand-made edge cases) is opened by Dovecot
first, which writes its dovecot-uidlist; a copy of it becomes a postern
user's Maildir (a migration).  The same command script then goes to both
servers and the answers must agree: status (+OK/-ERR) of every command,
the data of STAT, LIST n, UIDL n and RETR's octet count, the bodies of
LIST, UIDL, RETR and TOP octet for octet, and the state after QUIT."""
import os, re, shutil, subprocess, unittest

import harness as H
from pop3_instance import PASSWORD, USER, Pop3Instance

CORPUS = os.environ.get("POSTERN_CORPUS", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "corpus"))
DOVECOT_POP3 = "/usr/lib/dovecot/pop3"

EXTRA = [
    b"Subject: dots\n\n.\n..\n.x\nend\n",
    b"Subject: crlf\r\n\r\nbody\r\n.dot\r\n",
    b"Subject: no final newline\n\nlast line",
    b"Subject: only header\n",
    b"no header at all, one line\n",
    b"Subject: bare cr\n\na\rb\n\r\n\rc\n",
    b"Subject: empty body\n\n",
    b"Subject: nul\n\nx\0y\n",
]

MULTI = ("LIST", "UIDL", "RETR", "TOP", "CAPA")


def script(n):
    s = ["STAT", "LIST", "UIDL", "LIST 1", "LIST %d" % n, "LIST %d" % (n + 1), "UIDL 2",
         "UIDL %d" % (n + 1), "RETR 0", "RETR %d" % (n + 1)]
    s += ["RETR %d" % k for k in range(1, n + 1)]
    s += ["TOP %d 0" % k for k in range(1, n + 1)]
    s += ["TOP %d 2" % k for k in range(1, n + 1, 7)]
    s += ["DELE 2", "DELE 2", "RETR 2", "LIST 2", "STAT", "LIST", "UIDL", "RSET", "STAT",
          "DELE 1", "DELE 3", "DELE %d" % n, "NOOP", "STAT", "QUIT"]
    return s


def parse(out, cmds):
    """Split a reply stream into (command, status line, body) triples."""
    pos, res = 0, []
    for c in cmds:
        e = out.index(b"\r\n", pos)
        status = out[pos:e]
        pos = e + 2
        body = None
        multi = status.startswith(b"+OK") and (
            c.split()[0] in ("RETR", "TOP", "CAPA") or c in ("LIST", "UIDL"))
        if multi:
            if out.startswith(b".\r\n", pos):
                e = pos
            else:
                e = out.index(b"\r\n.\r\n", pos) + 2
            body = out[pos:e]
            pos = e + 3
        res.append((c, status, body))
    return res


def normalize(c, status):
    """What must agree in a status line."""
    word = c.split()[0]
    if not status.startswith(b"+OK"):
        return status.split()[0]
    if word in ("STAT", "RETR") or (word in ("LIST", "UIDL") and " " in c):
        return status
    return b"+OK"


class Pop3Dovecot(unittest.TestCase):
    def setUp(self):
        self.tmp = H.tmpdir("postern-pop3dc-")
        self.i = None

    def tearDown(self):
        if self.i:
            self.i.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def dovecot(self, home, commands):
        """Run Dovecot's pop3 standalone (pre-authenticated) on a pipe."""
        d = os.path.join(self.tmp, "dc")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "dovecot.conf")
        with open(conf, "w") as f:
            f.write("base_dir = %s/run\nstate_dir = %s/state\nlog_path = %s/dovecot.log\n"
                    "ssl = no\nprotocols = pop3\nmail_location = maildir:~/Maildir\n" % (d, d, d))
        env = {"USER": "dc", "HOME": home, "PATH": "/usr/bin:/bin"}
        argv = [DOVECOT_POP3, "-c", conf]
        if H.IS_ROOT:
            os.chmod(d, 0o777)
            argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv
        p = subprocess.run(argv, input="".join(c + "\r\n" for c in commands).encode(),
                           capture_output=True, env=env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])
        # pre-authenticated: no greeting, the first line answers commands[0]
        self.assertTrue(p.stdout.startswith(b"+OK"), p.stdout[:200] + p.stderr[-2000:])
        return p.stdout

    def postern(self, commands):
        r = self.i.raw_login()
        r.send("".join(c + "\r\n" for c in commands))
        out = b""
        r.s.settimeout(60)
        while True:
            c = r.s.recv(1 << 16)
            if not c:
                break
            out += c
        r.close()
        return r.buf + out

    def test_same_answers_as_dovecot(self):
        self.assertTrue(os.path.exists(DOVECOT_POP3), "dovecot-pop3d is not installed")
        d = os.path.join(CORPUS, "messages")
        msgs = []
        for name in sorted(os.listdir(d)):
            if name.endswith(".eml"):
                with open(os.path.join(d, name), "rb") as f:
                    msgs.append(f.read())
        msgs += EXTRA
        # the Dovecot side: every message in cur/, as an old Dovecot user has them
        home = os.path.join(self.tmp, "dchome")
        md = os.path.join(home, "Maildir")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(md, sub))
        for k, m in enumerate(msgs):
            name = "1700000000.M%06dP1.dc" % k
            if k % 3 == 0:
                name += ",S=%d" % len(m)
            with open(os.path.join(md, "cur", name + ":2,"), "wb") as f:
                f.write(m)
        if H.IS_ROOT:
            subprocess.run(["chown", "-R", "65534:65534", home], check=True)
        self.dovecot(home, ["UIDL", "QUIT"])        # writes dovecot-uidlist
        self.assertTrue(os.path.exists(os.path.join(md, "dovecot-uidlist")))

        # the postern side: a copy of the Maildir (migration), owned by the user
        self.i = Pop3Instance(config={"pop3_max_bad_commands": "100"})
        pmd = self.i.maildir()
        shutil.rmtree(pmd, ignore_errors=True)
        shutil.copytree(md, pmd, ignore=shutil.ignore_patterns("dovecot.index*", "dovecot.list*"))
        if H.IS_ROOT:
            st = os.stat(os.path.dirname(pmd))
            subprocess.run(["chown", "-R", "%d:%d" % (st.st_uid, st.st_gid), pmd], check=True)
        self.i.start()

        n = len(msgs)
        cmds = script(n)
        want = parse(self.dovecot(home, cmds), cmds)
        got = parse(self.postern(cmds), cmds)
        diffs = []
        for (c, ws, wb), (_, gs, gb) in zip(want, got):
            if normalize(c, ws) != normalize(c, gs):
                diffs.append((c, ws[:80], gs[:80]))
            elif wb != gb:
                i = next((k for k in range(min(len(wb or b""), len(gb or b"")))
                          if wb[k] != gb[k]), None)
                diffs.append((c, "body differs at %s (len %d vs %d)" % (
                    i, len(wb or b""), len(gb or b""))))
        self.assertEqual(diffs, [])
        self.assertEqual(len(want), len(got))

        # after QUIT (UPDATE state) both hold the same messages and UIDLs
        after = ["STAT", "UIDL", "LIST", "QUIT"]
        want = parse(self.dovecot(home, after), after)
        got = parse(self.postern(after), after)
        self.assertEqual([(normalize(c, s), b) for c, s, b in want],
                         [(normalize(c, s), b) for c, s, b in got])
        self.assertEqual(want[0][1], b"+OK %d %d" % (n - 3, int(want[0][1].split()[2])))


if __name__ == "__main__":
    unittest.main()
