"""postern-pop3d's TRANSACTION and UPDATE states (RFC 1939): STAT, LIST,
UIDL with and without an argument, RETR (LF -> CRLF, dot-stuffing, octets
= LIST size), TOP, DELE/RSET/QUIT (deletions only at QUIT; a dropped
connection deletes nothing), messages read moved to cur/ (RETR: \\Seen),
mail delivered during a session not shown until the next one, UIDLs
stable across sessions and equal to IMAP's UID + UIDVALIDITY in
Dovecot's format, -ERR for wrong-state and bad-argument commands, bad
input (overlong lines, NUL, unknown commands, huge numbers), and a
maildrop of a few thousand messages."""
import imaplib, os, re, time, unittest

from pop3_instance import PASSWORD, USER, Pop3Instance, message


def crlf(b):
    return re.sub(rb"(?<!\r)\n", b"\r\n", b)


class Pop3Transaction(unittest.TestCase):
    def setUp(self):
        self.i = Pop3Instance(config={"pop3_auth_fail_delay": "0",
                                      "pop3_max_bad_commands": "100"}).start()
        self.bodies = [
            message("one", "line one\n"),
            message("two", ".starts with dot\n..two dots\nmiddle\n.\nend\n"),
            message("three", "a\nb\nc\nd\ne\n"),
        ]
        for b in self.bodies:
            self.i.deliver(b)
            time.sleep(0.01)
        self.files = sorted(os.listdir(os.path.join(self.i.maildir(), "new")))

    def tearDown(self):
        self.i.stop()

    def test_stat_list_uidl_retr(self):
        r = self.i.raw_login()
        sizes = [len(crlf(b.encode())) for b in self.bodies]
        self.assertEqual(r.cmd("STAT"), "+OK 3 %d" % sum(sizes))
        self.assertTrue(r.cmd("LIST").startswith("+OK 3 messages"))
        self.assertEqual(r.multi(), [b"%d %d" % (n + 1, s) for n, s in enumerate(sizes)])
        self.assertEqual(r.cmd("LIST 2"), "+OK 2 %d" % sizes[1])
        self.assertEqual(r.cmd("LIST 4"), "-ERR There is no message 4.")
        self.assertEqual(r.cmd("UIDL"), "+OK")
        uidls = r.multi()
        self.assertEqual(len(uidls), 3)
        for n, l in enumerate(uidls):
            num, u = l.split()
            self.assertEqual(num, b"%d" % (n + 1))
            self.assertRegex(u.decode(), r"^[0-9a-f]{16}$")
        self.assertEqual(r.cmd("UIDL 3"), "+OK 3 %s" % uidls[2].split()[1].decode())
        for n, b in enumerate(self.bodies):
            self.assertEqual(r.cmd("RETR %d" % (n + 1)), "+OK %d octets" % sizes[n])
            # raw lines: dot-stuffed on the wire
            raw = b""
            while True:
                l = r.rawline()
                if l == b".\r\n":
                    break
                raw += l
            self.assertEqual(re.sub(rb"(^|\r\n)\.", rb"\1", raw), crlf(b.encode()))
            self.assertEqual(len(re.sub(rb"(^|\r\n)\.", rb"\1", raw)), sizes[n])
        self.assertEqual(r.cmd("QUIT"), "+OK Logging out.")

    def test_dot_stuffing_on_the_wire(self):
        r = self.i.raw_login()
        r.cmd("RETR 2")
        wire = []
        while True:
            l = r.rawline()
            if l == b".\r\n":
                break
            wire.append(l)
        self.assertIn(b"..starts with dot\r\n", wire)
        self.assertIn(b"...two dots\r\n", wire)
        self.assertIn(b"..\r\n", wire)
        r.cmd("QUIT")

    def test_top(self):
        r = self.i.raw_login()
        self.assertEqual(r.cmd("TOP 3 0"), "+OK")
        lines = r.multi()
        self.assertEqual(lines[-1], b"")
        self.assertIn(b"Subject: three", lines)
        self.assertEqual(r.cmd("TOP 3 2"), "+OK")
        lines = r.multi()
        self.assertEqual(lines[-3:], [b"", b"a", b"b"])
        self.assertEqual(r.cmd("TOP 3 100"), "+OK")
        self.assertEqual(r.multi()[-5:], [b"a", b"b", b"c", b"d", b"e"])
        self.assertTrue(r.cmd("TOP 3").startswith("-ERR"))
        self.assertTrue(r.cmd("TOP 9 1").startswith("-ERR"))
        self.assertTrue(r.cmd("TOP 1 -1").startswith("-ERR"))
        r.cmd("QUIT")
        # TOP alone does not set \Seen, but moves the message to cur/
        cur = os.listdir(os.path.join(self.i.maildir(), "cur"))
        self.assertEqual(len(cur), 1)
        self.assertTrue(cur[0].endswith(":2,"), cur)

    def test_dele_rset_quit(self):
        r = self.i.raw_login()
        total = int(r.cmd("STAT").split()[2])
        s2 = int(r.cmd("LIST 2").split()[2])
        self.assertEqual(r.cmd("DELE 2"), "+OK Message 2 deleted.")
        self.assertEqual(r.cmd("DELE 2"), "-ERR Message 2 is deleted.")
        self.assertEqual(r.cmd("RETR 2"), "-ERR Message 2 is deleted.")
        self.assertEqual(r.cmd("LIST 2"), "-ERR Message 2 is deleted.")
        self.assertEqual(r.cmd("UIDL 2"), "-ERR Message 2 is deleted.")
        self.assertEqual(r.cmd("TOP 2 0"), "-ERR Message 2 is deleted.")
        self.assertEqual(r.cmd("STAT"), "+OK 2 %d" % (total - s2))
        r.cmd("LIST")
        self.assertEqual([l.split()[0] for l in r.multi()], [b"1", b"3"])
        r.cmd("UIDL")
        self.assertEqual([l.split()[0] for l in r.multi()], [b"1", b"3"])
        self.assertTrue(r.cmd("RSET").startswith("+OK 3 messages"))
        self.assertEqual(r.cmd("STAT"), "+OK 3 %d" % total)
        r.cmd("DELE 1")
        r.cmd("DELE 3")
        # deleted only at QUIT: still on disk now
        self.assertEqual(len(os.listdir(os.path.join(self.i.maildir(), "new"))), 3)
        self.assertEqual(r.cmd("QUIT"), "+OK Logging out, 2 messages deleted.")
        self.assertTrue(r.eof())
        left = os.listdir(os.path.join(self.i.maildir(), "new")) + \
            os.listdir(os.path.join(self.i.maildir(), "cur"))
        self.assertEqual(len(left), 1)
        self.assertTrue(left[0].startswith(self.files[1].split(",")[0]), (left, self.files))
        r = self.i.raw_login()
        self.assertTrue(r.cmd("STAT").startswith("+OK 1 "))
        r.cmd("QUIT")

    def test_quit_updates_maildirsize(self):
        path = os.path.join(self.i.maildir(), "maildirsize")
        total = sum(len(b.encode()) for b in self.bodies)
        with open(path, "w") as f:
            f.write("1000000S,100C\n%d 3\n" % total)
        if os.geteuid() == 0:
            st = os.stat(self.i.maildir())
            os.chown(path, st.st_uid, st.st_gid)
        r = self.i.raw_login()
        r.cmd("DELE 2")
        r.cmd("QUIT")
        with open(path) as f:
            lines = f.read().splitlines()
        used = [tuple(map(int, l.split())) for l in lines[1:]]
        self.assertEqual((sum(u[0] for u in used), sum(u[1] for u in used)),
                         (total - len(self.bodies[1].encode()), 2))

    def test_dropped_connection_deletes_nothing(self):
        r = self.i.raw_login()
        r.cmd("DELE 1")
        r.close()
        time.sleep(0.5)
        r = self.i.raw_login()
        self.assertTrue(r.cmd("STAT").startswith("+OK 3 "))
        r.cmd("QUIT")

    def test_read_moves_to_cur_seen(self):
        r = self.i.raw_login()
        r.cmd("RETR 1")
        r.multi()
        # before QUIT nothing moved
        self.assertEqual(len(os.listdir(os.path.join(self.i.maildir(), "new"))), 3)
        r.cmd("QUIT")
        new = os.listdir(os.path.join(self.i.maildir(), "new"))
        cur = os.listdir(os.path.join(self.i.maildir(), "cur"))
        self.assertEqual(len(new), 2)
        self.assertEqual(len(cur), 1)
        self.assertTrue(cur[0].endswith(":2,S"), cur)
        # IMAP sees it \Seen and not \Recent
        c = imaplib.IMAP4("127.0.0.1", self.i.inst.ports["imap"], timeout=15)
        c.login(USER, PASSWORD)
        c.select("INBOX")
        typ, data = c.fetch("1", "(FLAGS)")
        self.assertIn(b"\\Seen", data[0])
        self.assertNotIn(b"\\Recent", data[0])
        c.logout()

    def test_rset_undoes_seen(self):
        r = self.i.raw_login()
        r.cmd("RETR 1")
        r.multi()
        r.cmd("RETR 2")
        r.multi()
        self.assertTrue(r.cmd("RSET").startswith("+OK"))
        r.cmd("RETR 3")
        r.multi()
        r.cmd("QUIT")
        cur = sorted(os.listdir(os.path.join(self.i.maildir(), "cur")))
        self.assertEqual(len(cur), 3)
        self.assertEqual([n.endswith(":2,S") for n in cur], [False, False, True])

    def test_uidl_stable_and_shared_with_imap(self):
        r = self.i.raw_login()
        r.cmd("UIDL")
        first = r.multi()
        r.cmd("QUIT")
        c = imaplib.IMAP4("127.0.0.1", self.i.inst.ports["imap"], timeout=15)
        c.login(USER, PASSWORD)
        typ, data = c.select("INBOX")
        typ, v = c.response("UIDVALIDITY")
        uidvalidity = int(v[0])
        typ, data = c.fetch("1:*", "(UID)")
        uids = [int(re.search(rb"UID (\d+)", d).group(1)) for d in data]
        c.logout()
        self.assertEqual([l.split()[1].decode() for l in first],
                         ["%08x%08x" % (u, uidvalidity) for u in uids])
        # a new message and a deletion later: old UIDLs unchanged
        self.i.deliver(message("four"))
        r = self.i.raw_login()
        r.cmd("DELE 1")
        r.cmd("QUIT")
        r = self.i.raw_login()
        r.cmd("UIDL")
        second = [l.split()[1] for l in r.multi()]
        r.cmd("QUIT")
        self.assertEqual(second[:2], [l.split()[1] for l in first[1:]])
        self.assertEqual(len(second), 3)
        self.assertNotIn(second[2], [l.split()[1] for l in first])

    def test_new_mail_not_shown_during_session(self):
        r = self.i.raw_login()
        stat = r.cmd("STAT")
        self.i.deliver(message("late"))
        self.assertEqual(r.cmd("STAT"), stat)
        self.assertEqual(r.cmd("LIST 4"), "-ERR There is no message 4.")
        r.cmd("NOOP")
        self.assertEqual(r.cmd("STAT"), stat)
        r.cmd("QUIT")
        r = self.i.raw_login()
        self.assertTrue(r.cmd("STAT").startswith("+OK 4 "))
        r.cmd("QUIT")

    def test_message_removed_by_someone_else(self):
        r = self.i.raw_login()
        self.assertTrue(r.cmd("STAT").startswith("+OK 3 "))
        os.unlink(os.path.join(self.i.maildir(), "new", self.files[0]))
        self.assertEqual(r.cmd("RETR 1"), "-ERR [SYS/TEMP] Message 1 is no longer available.")
        self.assertTrue(r.cmd("RETR 2").endswith("octets"))
        r.multi()
        self.assertEqual(r.cmd("DELE 1"), "+OK Message 1 deleted.")
        self.assertEqual(r.cmd("QUIT"), "+OK Logging out, 1 messages deleted.")
        r = self.i.raw_login()
        self.assertTrue(r.cmd("STAT").startswith("+OK 2 "))
        r.cmd("QUIT")

    def test_wrong_state_and_bad_arguments(self):
        r = self.i.raw_login()
        for cmd in ("USER x", "PASS x", "AUTH PLAIN", "STLS", "APOP a b"):
            self.assertEqual(r.cmd(cmd), "-ERR Command not valid in this state.", cmd)
        for cmd in ("RETR", "RETR x", "RETR 0", "RETR -1", "DELE", "LIST 1 2", "STAT 1",
                    "RSET x", "NOOP x", "UIDL 1 2", "TOP 1", "TOP x 1", "QUIT now"):
            self.assertTrue(r.cmd(cmd).startswith("-ERR"), cmd)
        self.assertEqual(r.cmd("RETR 99999999999999999999999"), "-ERR Invalid message number.")
        self.assertEqual(r.cmd("RETR 4294967297"), "-ERR Invalid message number.")
        self.assertEqual(r.cmd("RETR 999999999"), "-ERR There is no message 999999999.")
        self.assertEqual(r.cmd("FOO"), "-ERR Unknown command.")
        r.send(b"LIST\0 1\r\n")
        self.assertTrue(r.line().startswith("-ERR"))
        r.send(b"RETR " + b"9" * 10000 + b"\r\n")
        self.assertEqual(r.line(), "-ERR Command line too long.")
        r.send(b"\r\n")
        self.assertTrue(r.line().startswith("-ERR"))
        # the session still works
        self.assertTrue(r.cmd("STAT").startswith("+OK 3 "))
        self.assertEqual(r.cmd("NOOP"), "+OK")
        self.assertEqual(r.cmd("CAPA"), "+OK Capability list follows")
        caps = [l.decode() for l in r.multi()]
        for c in ("TOP", "UIDL", "USER", "SASL PLAIN LOGIN", "RESP-CODES", "AUTH-RESP-CODE",
                  "PIPELINING"):
            self.assertIn(c, caps)
        self.assertTrue(any(c.startswith("IMPLEMENTATION ") for c in caps))
        r.cmd("QUIT")

    def test_pipelined_commands_in_order(self):
        r = self.i.raw()
        cmds = ["USER %s" % USER, "PASS %s" % PASSWORD] + ["LIST %d" % n for n in (1, 2, 3)] + \
            ["RETR 1", "DELE 1", "RETR 1", "RSET", "UIDL 1", "QUIT"]
        r.send("".join(c + "\r\n" for c in cmds))
        self.assertEqual(r.line(), "+OK")
        self.assertEqual(r.line(), "+OK Logged in.")
        for n in (1, 2, 3):
            self.assertTrue(r.line().startswith("+OK %d " % n))
        self.assertTrue(r.line().endswith("octets"))
        r.multi()
        self.assertEqual(r.line(), "+OK Message 1 deleted.")
        self.assertEqual(r.line(), "-ERR Message 1 is deleted.")
        self.assertTrue(r.line().startswith("+OK 3 messages"))
        self.assertTrue(r.line().startswith("+OK 1 "))
        self.assertEqual(r.line(), "+OK Logging out.")


class Pop3LargeMaildrop(unittest.TestCase):
    COUNT = 3000

    def test_few_thousand_messages(self):
        i = Pop3Instance().start()
        try:
            root = i.ensure_maildir()
            uid, gid = os.stat(root).st_uid, os.stat(root).st_gid
            sizes = []
            for n in range(self.COUNT):
                body = ("From: a@example.test\nSubject: m%d\n\n" % n + "x" * (n % 97) + "\n").encode()
                name = "1700000000.M%06dP1.bulk" % n
                if n % 2:   # half without ,W=: the size is read once, then cached
                    name += ",S=%d,W=%d" % (len(body), len(crlf(body)))
                p = os.path.join(root, "cur", name + ":2,")
                with open(p, "wb") as f:
                    f.write(body)
                if os.geteuid() == 0:
                    os.chown(p, uid, gid)
                sizes.append(len(crlf(body)))
            for attempt in range(2):
                t0 = time.time()
                r = i.raw_login()
                self.assertEqual(r.cmd("STAT"), "+OK %d %d" % (self.COUNT, sum(sizes)))
                r.cmd("LIST")
                lst = r.multi()
                self.assertEqual(len(lst), self.COUNT)
                self.assertEqual([int(l.split()[1]) for l in lst], sizes)
                r.cmd("UIDL")
                u = [l.split()[1] for l in r.multi()]
                self.assertEqual(len(set(u)), self.COUNT)
                self.assertTrue(r.cmd("RETR %d" % self.COUNT).startswith("+OK %d octets" % sizes[-1]))
                r.multi()
                r.cmd("QUIT")
                self.assertLess(time.time() - t0, 30)
            self.assertIn("sizes_read=0", i.log().split("event=login")[-1])
        finally:
            i.stop()


if __name__ == "__main__":
    unittest.main()
