"""Differential test: one script of IMAP commands against postern-imapd
and against a private Dovecot (/usr/lib/dovecot/imap run pre-authenticated
on stdin/stdout with its own configuration in a scratch directory - never
the system instance) on a copy of the same Maildir.  The script covers
FETCH items, SEARCH keys, STORE, COPY/MOVE, EXPUNGE and CONDSTORE/QRESYNC;
the answers must be equivalent after these normalisations, each a
difference the RFCs allow:

- tagged lines: only the result and the response code are compared (the
  human-readable text differs); the UIDVALIDITY in COPYUID is each
  server's own.
- informational untagged lines (FLAGS, PERMANENTFLAGS, UIDVALIDITY,
  UIDNEXT, HIGHESTMODSEQ, UNSEEN, RECENT, CAPABILITY, LIST, STATUS of the
  SELECT response) are dropped: SELECT is the mailbox core's work and
  tested elsewhere; EXISTS is compared.
- MODSEQ values differ (each server counts its own); they are compared
  in relation: CHANGEDSINCE/UNCHANGEDSINCE use each server's own value
  captured from an earlier answer ({M}), and MODSEQ items compare as
  present.
- EXPUNGE responses of one command compare as the set of messages they
  remove (Dovecot sends them from the highest number down, postern from
  the lowest up; both renumber as RFC 3501 7.4.1 says).
- SEARCH MODSEQ uses {M1}, one above the highest MODSEQ seen: Dovecot
  gives several changes of one transaction the same MODSEQ, postern one
  each, so "MODSEQ {M}" itself selects different (equally valid) sets.
- \\Recent is dropped from FLAGS (which session gets it is not defined
  across servers) and flag lists compare as sets; FETCH data items compare
  as a map (order is free, RFC 3501 7.4.2).
- Dovecot answers "* OK [COPYUID ...]" for MOVE before the expunges, as
  postern does; both are compared.
"""
import os, re, shutil, subprocess, tempfile, time, unittest

from imap_instance import USER, ImapInstance
from imap_msgcmd_util import LitImap, login
from postern_instance import IS_ROOT

DOVECOT_IMAP = "/usr/lib/dovecot/imap"

MESSAGES = [
    ("From: Alice Example <alice@example.test>\nTo: bob@example.test, Carol <carol@example.test>\n"
     "Cc: dave@example.test\nSubject: Quarterly report\nDate: Mon, 7 Feb 1994 21:52:25 -0800\n"
     "Message-ID: <q1@example.test>\n\nThe numbers look good this quarter.\n", "", 760686745),
    ("From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.test>\nTo: alice@example.test\n"
     "Subject: =?ISO-8859-1?Q?R=E9union_demain?=\nDate: Tue, 8 Feb 1994 10:00:00 +0100\n"
     "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n"
     "--alt\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
     "Bonjour, la r=E9union est =E0 dix heures.\n--alt\nContent-Type: text/html; charset=utf-8\n\n"
     "<p>Bonjour</p>\n--alt--\n", "S", 760730400),
    ("From: bob@example.test\nTo: alice@example.test\nSubject: attachment\n"
     "Date: 9 Feb 1994 08:00:00 GMT\nMIME-Version: 1.0\n"
     "Content-Type: multipart/mixed; boundary=mix\n\n--mix\nContent-Type: text/plain\n\nSee attached.\n"
     "--mix\nContent-Type: application/octet-stream; name=\"a.bin\"\n"
     "Content-Disposition: attachment; filename=\"a.bin\"\nContent-Transfer-Encoding: base64\n\n"
     "AAECAwQFBgcICQ==\n--mix\nContent-Type: message/rfc822\n\n"
     "From: inner@example.test\nSubject: forwarded thing\n\nInner text with zebra.\n--mix--\n",
     "FS", 760780800),
    ("From: carol@example.test\nTo: alice@example.test\nSubject: Re: Quarterly report\n"
     "Date: Thu, 10 Feb 1994 12:00:00 +0000\nIn-Reply-To: <q1@example.test>\n"
     "X-Mailer: Test 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
     "R3LDvMOfZSBhdXMgZGVyIFN0cmHDn2UsIGdvb2QgbnVtYmVycy4K\n", "RS", 760881600),
    ("From: dave@example.test\nTo: alice@example.test\nSubject: big one\n"
     "Date: Fri, 11 Feb 1994 12:00:00 +0000\n\n" + ("line of filler text\n" * 300), "T", 760968000),
    ("From: eve@example.test\nSubject: no date, no to\n\nshort\n", "", 761054400),
]

SCRIPT = [
    "SELECT INBOX",
    "FETCH 1:* (UID FLAGS INTERNALDATE RFC822.SIZE)",
    "FETCH 1:* ENVELOPE",
    "FETCH 1:* BODYSTRUCTURE",
    "FETCH 1:* BODY",
    "FETCH 2 (BODY.PEEK[HEADER] BODY.PEEK[TEXT]<0.50> BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2])",
    "FETCH 3 (BODY.PEEK[3.HEADER] BODY.PEEK[3.TEXT] BODY.PEEK[3.1] BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)])",
    "FETCH 3 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1])",
    "FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (TO CC)] RFC822.HEADER)",
    "FETCH 1 FAST",
    "FETCH 1 ALL",
    "FETCH 1 FULL",
    "FETCH 1 (BODY[TEXT])",
    "FETCH 1 FLAGS",
    "FETCH 6 RFC822",
    "FETCH 6 RFC822.TEXT",
    "FETCH 1:* FLAGS",
    "UID FETCH 2:4 (FLAGS)",
    "UID FETCH 5:* UID",
    "SEARCH ALL",
    "SEARCH SEEN",
    "SEARCH UNSEEN",
    "SEARCH FLAGGED",
    "SEARCH ANSWERED",
    "SEARCH DELETED",
    "SEARCH UNDELETED UNANSWERED",
    "SEARCH FROM alice",
    'SEARCH CHARSET UTF-8 FROM "jörg"',
    "SEARCH TO carol",
    "SEARCH CC dave",
    "SEARCH SUBJECT report",
    'SEARCH SUBJECT "réunion"',
    "SEARCH BODY zebra",
    "SEARCH BODY dix",
    'SEARCH BODY "straße"',
    "SEARCH TEXT numbers",
    "SEARCH TEXT forwarded",
    "SEARCH HEADER X-Mailer test",
    'SEARCH HEADER In-Reply-To ""',
    "SEARCH LARGER 1000",
    "SEARCH SMALLER 300",
    "SEARCH BEFORE 9-Feb-1994",
    "SEARCH SINCE 10-Feb-1994",
    "SEARCH ON 8-Feb-1994",
    "SEARCH SENTBEFORE 9-Feb-1994",
    "SEARCH SENTSINCE 10-Feb-1994",
    "SEARCH SENTON 9-Feb-1994",
    "SEARCH OR FROM bob FROM carol",
    "SEARCH NOT (OR SEEN FLAGGED)",
    "SEARCH 2:4 NOT 3",
    "SEARCH UID 3:*",
    "UID SEARCH UID 1,3,5",
    "SEARCH CHARSET UTF-8 SUBJECT Quarterly",
    "SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN",
    "UID SEARCH RETURN (ALL) ALL",
    "SEARCH RETURN (COUNT) KEYWORD nosuch",
    "SEARCH RETURN (SAVE) FROM alice",
    "FETCH $ UID",
    "SEARCH $",
    "STORE 1:3 +FLAGS (\\Flagged work)",
    "STORE 2 -FLAGS (\\Seen)",
    "STORE 4 FLAGS.SILENT (\\Deleted)",
    "UID STORE 6 +FLAGS (\\Answered)",
    "SEARCH KEYWORD work",
    "SEARCH UNKEYWORD work",
    "FETCH 1:* FLAGS",
    "CREATE Other",
    "COPY 1:2 Other",
    "STATUS Other (MESSAGES UIDNEXT)",
    "MOVE 3 Other",
    "FETCH 1:* (UID FLAGS)",
    "EXPUNGE",
    "FETCH 1:* (UID FLAGS)",
    "FETCH 1:* (MODSEQ)",
    "STORE 1 (UNCHANGEDSINCE 1) +FLAGS (\\Answered)",
    "STORE 1 (UNCHANGEDSINCE {M}) +FLAGS (\\Answered)",
    "FETCH 1:* (FLAGS) (CHANGEDSINCE {M})",
    "SEARCH MODSEQ {M1}",
    "FETCH 1:* (MODSEQ)",
    "UNSELECT",
    "ENABLE QRESYNC",
    "SELECT INBOX",
    "FETCH 1:* (UID MODSEQ)",
    "STORE 1 +FLAGS.SILENT (\\Deleted)",
    "EXPUNGE",
    "UID FETCH 1:* (FLAGS) (CHANGEDSINCE {M} VANISHED)",
    "UID MOVE 6 Other",
    "EXAMINE Other",
    "FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)",
    "CREATE Empty",
    "SELECT Empty",
    "FETCH 1:* FLAGS",
    "FETCH * FLAGS",
    "UID FETCH 1:* FLAGS",
    "SEARCH 1:*",
    "SEARCH ALL",
    "SEARCH RETURN (MIN MAX COUNT) ALL",
    "STORE 1 +FLAGS (\\Seen)",
    "COPY 1:* INBOX",
    "UID COPY 1:* INBOX",
]


# --- a tiny IMAP value parser ------------------------------------------------

def parse_values(b, i=0, end_paren=False):
    out = []
    n = len(b)
    while i < n:
        c = b[i:i + 1]
        if c == b" ":
            i += 1
        elif c == b")":
            return out, i + 1
        elif c == b"(":
            v, i = parse_values(b, i + 1, True)
            out.append(v)
        elif c == b'"':
            j = i + 1
            s = b""
            while b[j:j + 1] != b'"':
                if b[j:j + 1] == b"\\":
                    j += 1
                s += b[j:j + 1]
                j += 1
            out.append(("s", s))
            i = j + 1
        elif c == b"{" or (c == b"~" and b[i + 1:i + 2] == b"{"):
            j = b.index(b"}", i)
            ln = int(b[b.index(b"{", i) + 1:j].rstrip(b"+"))
            k = b.index(b"\n", j) + 1
            out.append(("s", b[k:k + ln]))
            i = k + ln
        else:
            j = i
            depth = 0
            while j < n:
                ch = b[j:j + 1]
                if ch == b"[":
                    depth += 1
                elif ch == b"]":
                    depth -= 1
                elif depth == 0 and ch in (b" ", b"(", b")"):
                    break
                j += 1
            atom = b[i:j].decode("latin-1")
            out.append(atom.upper() if atom.upper() == "NIL" else atom)
            i = j
    return out, i


def norm_fetch(body):
    vals, _ = parse_values(body)
    items = {}
    for k in range(0, len(vals) - 1, 2):
        name = vals[k].upper()
        v = vals[k + 1]
        if name == "FLAGS":
            v = sorted(x.lower() for x in v if x.lower() != "\\recent")
        elif name == "MODSEQ":
            v = "present"
        items[name] = v
    return items


def norm_expunges(out):
    """A run of "* n EXPUNGE" as the set of messages it removed (numbers
    before the command): servers may send them in any order, each
    renumbering the rest (RFC 3501 7.4.1)."""
    res, run = [], None
    for x in out + [None]:
        m = re.match(r"^\* (\d+) EXPUNGE$", x) if isinstance(x, str) else None
        if m:
            run = run or []
            run.append(int(m.group(1)))
            continue
        if run is not None:
            cur = list(range(1, 100000))
            removed = []
            for e in run:
                removed.append(cur.pop(e - 1))
            res.append("EXPUNGED %s" % sorted(removed))
            run = None
        if x is not None:
            res.append(x)
    return res


class Server:
    """One side of the comparison: sends a command, returns normalised
    (untagged list, tagged) and keeps the MODSEQ value {M}."""

    def __init__(self, conn):
        self.c = conn
        self.m = 0
        self.n = 0

    def run(self, cmd):
        self.n += 1
        tag = "t%d" % self.n
        cmd = cmd.replace("{M1}", str(self.m + 1)).replace("{M}", str(self.m))
        u, t = self.c.xcmd(tag, cmd.encode())
        out = []
        ms = []
        for l in u:
            m = re.match(rb"\* (\d+) FETCH \((.*)\)$", l, re.S)
            if m:
                for mm in re.finditer(rb"MODSEQ \((\d+)\)", l):
                    ms.append(int(mm.group(1)))
                out.append(("FETCH", int(m.group(1)), norm_fetch(m.group(2))))
                continue
            s = l.decode("utf-8", "replace")
            s = re.sub(r"\(MODSEQ \d+\)", "(MODSEQ n)", s)
            s = re.sub(r" MODSEQ \d+", " MODSEQ n", s)
            s = re.sub(r"COPYUID \d+ ", "COPYUID v ", s)
            if re.match(r"^\* \d+ (EXISTS|EXPUNGE)$", s) or s.startswith("* SEARCH") \
                    or s.startswith("* ESEARCH") or s.startswith("* VANISHED") \
                    or s.startswith("* OK [COPYUID"):
                if s.startswith("* OK [COPYUID"):
                    s = s[:s.index("]") + 1]
                out.append(s)
        out = norm_expunges(out)
        if ms and "MODSEQ" in cmd.upper() and "SEARCH" not in cmd.upper():
            self.m = max(ms)
        m = re.match(r"^\S+ (OK|NO|BAD)(?: \[([^\]]*)\])?", t)
        code = m.group(2) or ""
        code = re.sub(r"COPYUID \d+ ", "COPYUID v ", code)
        if not re.match(r"^(COPYUID|MODIFIED|TRYCREATE|BADCHARSET|UNKNOWN-CTE|EXPUNGEISSUED|CANNOT)", code):
            code = ""
        return out, (m.group(1), code)


class DovecotConn(LitImap):
    def __init__(self, proc):
        self.p = proc
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def _fill(self):
        chunk = os.read(self.p.stdout.fileno(), 65536)
        if not chunk:
            raise EOFError("dovecot closed; have %r" % self.buf)
        self.buf += chunk

    def close(self):
        pass


class ImapDifferential(unittest.TestCase):
    def test_script_equivalent(self):
        self.assertTrue(os.access(DOVECOT_IMAP, os.X_OK), "dovecot-imapd is not installed")
        i = ImapInstance().start()
        scratch = tempfile.mkdtemp(prefix="postern-dovecot-")
        proc = None
        try:
            root = i.maildir()
            for n, (text, flags, date) in enumerate(MESSAGES):
                name = "%d.M%dP1.diff" % (1000000 + n, n)
                if flags:
                    path = os.path.join(root, "cur", name + ":2," + flags)
                else:
                    path = os.path.join(root, "new", name)
                with open(path, "wb") as f:
                    f.write(text.encode())
                os.utime(path, (date, date))
                if IS_ROOT:
                    st = os.stat(root)
                    os.chown(path, st.st_uid, st.st_gid)
            # Dovecot's copy: only the message files
            dmail = os.path.join(scratch, "Maildir")
            for sub in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(dmail, sub))
                for fn in os.listdir(os.path.join(root, sub)):
                    shutil.copy2(os.path.join(root, sub, fn), os.path.join(dmail, sub, fn))
            os.makedirs(os.path.join(scratch, "run"))
            if IS_ROOT:
                uid = gid = 65534
                for d, ds, fs in os.walk(scratch):
                    for x in [d] + [os.path.join(d, y) for y in fs]:
                        os.chown(x, uid, gid)
            else:
                uid, gid = os.getuid(), os.getgid()
            conf = os.path.join(scratch, "dovecot.conf")
            with open(conf, "w") as f:
                f.write("base_dir = %s/run\nstate_dir = %s/state\nlog_path = %s/dovecot.log\n"
                        "ssl = no\nprotocols = imap\nfirst_valid_uid = %d\nfirst_valid_gid = %d\n"
                        "mail_uid = %d\nmail_gid = %d\nmail_location = maildir:%s\n"
                        "imap_max_line_length = 1M\n"
                        % (scratch, scratch, scratch, min(uid, 1), min(gid, 1), uid, gid, dmail))
            env = {"USER": "postern-diff", "HOME": scratch, "PATH": "/usr/bin:/bin",
                   "TZ": os.environ.get("TZ", "")} if os.environ.get("TZ") else \
                  {"USER": "postern-diff", "HOME": scratch, "PATH": "/usr/bin:/bin"}
            proc = subprocess.Popen([DOVECOT_IMAP, "-c", conf], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
            dv = DovecotConn(proc)
            greet = dv.rline()
            self.assertTrue(greet.startswith(b"* PREAUTH"), greet)
            pc = login(i)
            a, b = Server(pc), Server(dv)
            diffs = []
            for cmd in SCRIPT:
                ra, rb = a.run(cmd), b.run(cmd)
                if ra != rb:
                    diffs.append("%s\n  postern: %r\n  dovecot: %r" % (cmd, ra, rb))
            self.assertEqual(diffs, [], "\n".join(diffs))
            pc.xcmd("z", "LOGOUT")
            dv.xcmd("z", "LOGOUT")
        finally:
            if proc is not None:
                try:
                    proc.stdin.close()
                except OSError:
                    pass
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            i.stop()
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
