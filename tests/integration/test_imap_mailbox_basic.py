"""Mailbox commands of postern-imapd through raw exchanges (RFC 3501 6.3,
RFC 9051 6.3 and the examples there): SELECT and EXAMINE responses,
CREATE (trailing delimiter, INBOX, hierarchy), DELETE, RENAME (children
move along; INBOX moves its messages and stays), SUBSCRIBE/UNSUBSCRIBE
and LSUB, LIST ("" for the delimiter, % and *, a reference, \\Noselect
parents, selection and return options, SPECIAL-USE, LIST-STATUS),
STATUS (SIZE too), NAMESPACE, APPEND (flags, date, MULTIAPPEND,
TRYCREATE), EXPUNGE / UID EXPUNGE / CLOSE / UNSELECT with messages
flagged \\Deleted on disk, ENABLE and UTF-8 mailbox names, and the
special-use folders made at the first login."""
import os, re, time, unittest

from imap_instance import USER, ImapInstance, message


class ImapMailbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.i = ImapInstance(users={USER: "alice-password", "bob@example.test": "bob-password"}).start()
        r = cls.i.raw_login()
        r.cmd("z", "LOGOUT")

    @classmethod
    def tearDownClass(cls):
        cls.i.stop()

    def setUp(self):
        self.r = self.i.raw_login()

    def tearDown(self):
        self.r.cmd("zz", "LOGOUT")
        self.r.close()

    def ok(self, tag, cmd):
        u, t = self.r.cmd(tag, cmd)
        self.assertTrue(t.startswith(tag + " OK"), "%s -> %s" % (cmd, t))
        return u

    def list_names(self, cmd='LIST "" "*"'):
        u = self.ok("L", cmd)
        out = {}
        for l in u:
            m = re.match(r'^\* (?:LIST|LSUB) \(([^)]*)\) "\." "?(.*?)"?$', l)
            if m:
                out[m.group(2)] = m.group(1).split()
        return out

    def test_special_use_and_list(self):
        names = self.list_names()
        for f, attr in (("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"),
                        ("Junk", "\\Junk"), ("Archive", "\\Archive")):
            self.assertIn(f, names)
            self.assertIn(attr, names[f])
        self.assertIn("INBOX", names)
        u = self.ok("a", 'LIST "" ""')
        self.assertEqual(u, ['* LIST (\\Noselect) "." ""'])
        u = self.ok("b", 'LIST (SPECIAL-USE) "" "*"')
        self.assertEqual(len(u), 5, u)
        u = self.ok("c", 'LIST "" "*" RETURN (SPECIAL-USE STATUS (MESSAGES UIDNEXT))')
        self.assertTrue(any(l.startswith('* STATUS "Sent" (MESSAGES 0 UIDNEXT 1)') for l in u), u)
        u = self.ok("d", 'LSUB "" "*"')
        self.assertIn('* LSUB () "." "Sent"', u)
        self.assertIn('* LSUB () "." "INBOX"', u)

    def test_create_delete_rename_hierarchy(self):
        self.ok("a", "CREATE work.")           # trailing delimiter: "work"
        self.ok("b", "CREATE work.2026.q1")
        _, t = self.r.cmd("c", "CREATE work")
        self.assertTrue(t.startswith("c NO [ALREADYEXISTS]"), t)
        _, t = self.r.cmd("d", "CREATE inbox")
        self.assertTrue(t.startswith("d NO [ALREADYEXISTS]"), t)
        names = self.list_names('LIST "" "work*"')
        self.assertEqual(set(names), {"work", "work.2026", "work.2026.q1"})
        self.assertIn("\\HasChildren", names["work"])
        self.assertIn("\\Noselect", names["work.2026"])     # never created
        self.assertIn("\\HasNoChildren", names["work.2026.q1"])
        names = self.list_names('LIST "" "work.%"')
        self.assertEqual(set(names), {"work.2026"})
        names = self.list_names('LIST "work." "%"')
        self.assertEqual(set(names), {"work.2026"})
        self.ok("e", "RENAME work old")
        names = self.list_names('LIST "" "*"')
        self.assertIn("old", names)
        self.assertIn("old.2026.q1", names)
        self.assertNotIn("work", names)
        _, t = self.r.cmd("f", "RENAME old Sent")
        self.assertTrue(t.startswith("f NO [ALREADYEXISTS]"), t)
        _, t = self.r.cmd("g", "RENAME nosuch other")
        self.assertTrue(t.startswith("g NO [NONEXISTENT]"), t)
        self.ok("h", "DELETE old.2026.q1")
        self.ok("i", "DELETE old")
        _, t = self.r.cmd("j", "DELETE old")
        self.assertTrue(t.startswith("j NO [NONEXISTENT]"), t)
        _, t = self.r.cmd("k", "DELETE INBOX")
        self.assertTrue(t.startswith("k NO"), t)
        _, t = self.r.cmd("l", "CREATE a/b")
        self.assertTrue(t.startswith("l NO"), t)

    def test_inbox_children(self):
        self.ok("a", "CREATE INBOX.kid")
        names = self.list_names('LIST "" "INBOX*"')
        self.assertEqual(set(names), {"INBOX", "INBOX.kid"})
        self.assertIn("\\HasChildren", names["INBOX"])
        names = self.list_names('LIST "" "inbox.%"')
        self.assertEqual(set(names), {"INBOX.kid"})
        self.ok("b", "DELETE INBOX.kid")
        names = self.list_names('LIST "" "INBOX*"')
        self.assertEqual(names, {"INBOX": ["\\HasNoChildren"]})

    def test_subscribe(self):
        self.ok("a", "CREATE subs")
        self.ok("b", "CREATE subs.child")
        self.ok("c", "SUBSCRIBE subs.child")
        u = self.ok("d", 'LSUB "" "subs*"')
        self.assertEqual(u, ['* LSUB () "." "subs.child"'])
        u = self.ok("e", 'LSUB "" "sub%"')
        self.assertEqual(u, ['* LSUB (\\Noselect) "." "subs"'])
        u = self.ok("f", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "subs"')
        self.assertEqual(u, ['* LIST (\\HasChildren) "." "subs" ("CHILDINFO" ("SUBSCRIBED"))'])
        u = self.ok("g", 'LIST (SUBSCRIBED) "" "subs*" RETURN (CHILDREN)')
        self.assertEqual(u, ['* LIST (\\HasNoChildren \\Subscribed) "." "subs.child"'])
        _, t = self.r.cmd("h", 'LIST (RECURSIVEMATCH) "" "*"')
        self.assertTrue(t.startswith("h BAD"), t)
        self.ok("i", "UNSUBSCRIBE subs.child")
        u = self.ok("j", 'LSUB "" "subs*"')
        self.assertEqual(u, [])
        _, t = self.r.cmd("k", "SUBSCRIBE nosuchbox")
        self.assertTrue(t.startswith("k NO"), t)
        self.ok("l", "DELETE subs.child")
        self.ok("m", "DELETE subs")

    def test_capability_id_logout(self):
        u = self.ok("a", "CAPABILITY")
        caps = u[0].split()[2:]
        for c in ("IMAP4rev1", "IDLE", "NAMESPACE", "UNSELECT", "CHILDREN", "SPECIAL-USE",
                  "LIST-EXTENDED", "LIST-STATUS", "STATUS=SIZE", "MULTIAPPEND", "ENABLE",
                  "UTF8=ACCEPT", "QUOTA", "LITERAL+", "ID"):
            self.assertIn(c, caps)
        for c in ("STARTTLS", "LOGINDISABLED", "SASL-IR") :
            self.assertNotIn(c, caps)
        self.assertFalse(any(c.startswith("AUTH=") for c in caps))
        u = self.ok("b", 'ID ("name" "test" "version" "1")')
        self.assertEqual(u, ['* ID ("name" "postern")'])
        self.ok("c", "ID NIL")
        _, t = self.r.cmd("d", 'ID ("odd")')
        self.assertTrue(t.startswith("d BAD"), t)
        _, t = self.r.cmd("e", 'LOGIN a b')
        self.assertTrue(t.startswith("e BAD"), t)
        r = self.i.raw_login()
        u, t = r.cmd("f", "LOGOUT")
        self.assertEqual(u, ["* BYE Logging out"])
        self.assertEqual(t, "f OK LOGOUT completed")
        self.assertTrue(r.eof())

    def test_namespace_and_enable(self):
        u = self.ok("a", "NAMESPACE")
        self.assertEqual(u, ['* NAMESPACE (("" ".")) NIL NIL'])
        u = self.ok("b", "ENABLE UTF8=ACCEPT X-UNKNOWN")
        self.assertEqual(u, ["* ENABLED UTF8=ACCEPT"])
        u = self.ok("c", "ENABLE UTF8=ACCEPT")
        self.assertEqual(u, ["* ENABLED"])
        self.ok("d", "SELECT INBOX")
        _, t = self.r.cmd("e", "ENABLE UTF8=ACCEPT")
        self.assertTrue(t.startswith("e BAD"), t)

    def test_utf7_and_utf8_names(self):
        self.ok("a", "CREATE Entw&APw-rfe")
        self.assertTrue(os.path.isdir(os.path.join(self.i.maildir(), ".Entw&APw-rfe", "cur")))
        _, t = self.r.cmd("b", "CREATE &Jjo")        # bad modified UTF-7
        self.assertTrue(t.startswith("b NO"), t)
        names = self.list_names('LIST "" "Entw*"')
        self.assertEqual(list(names), ["Entw&APw-rfe"])
        r2 = self.i.raw_login()
        r2.cmd("a", "ENABLE UTF8=ACCEPT")
        u, t = r2.cmd("b", 'LIST "" "Entw*"')
        self.assertEqual(u, ['* LIST (\\HasNoChildren) "." "Entw\u00fcrfe"'])
        u, t = r2.cmd("c", 'STATUS "Entw\u00fcrfe" (MESSAGES)')
        self.assertEqual(u, ['* STATUS "Entw\u00fcrfe" (MESSAGES 0)'])
        r2.cmd("z", "LOGOUT")
        self.ok("c", "DELETE Entw&APw-rfe")

    def test_append_status_select(self):
        self.ok("a", "CREATE app")
        msg = "Subject: one\r\n\r\nbody\r\n"
        self.r.send('b APPEND app (\\Seen $Work) " 7-Feb-1994 21:52:25 -0800" {%d}\r\n' % len(msg))
        self.assertTrue(self.r.line().startswith("+"))
        self.r.send(msg + "\r\n")
        _, t = self.r.until_tag("b")
        self.assertTrue(t.startswith("b OK"), t)
        # MULTIAPPEND with LITERAL+
        m2, m3 = "Subject: two\r\n\r\nx\r\n", "Subject: three\r\n\r\ny\r\n"
        self.r.send("c APPEND app {%d+}\r\n%s (\\Flagged) {%d+}\r\n%s\r\n" % (len(m2), m2, len(m3), m3))
        _, t = self.r.until_tag("c")
        self.assertTrue(t.startswith("c OK"), t)
        files = sorted(os.listdir(os.path.join(self.i.maildir(), ".app", "cur")))
        self.assertEqual(len(files), 3)
        first = [f for f in files if f.endswith(":2,Sa")]
        self.assertEqual(len(first), 1, files)
        path = os.path.join(self.i.maildir(), ".app", "cur", first[0])
        self.assertEqual(int(os.stat(path).st_mtime), 760686745)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"Subject: one\n\nbody\n")   # LF on disk
        u = self.ok("d", "STATUS app (MESSAGES UIDNEXT UNSEEN SIZE DELETED)")
        self.assertEqual(u, ['* STATUS "app" (MESSAGES 3 UIDNEXT 4 UNSEEN 2 SIZE %d DELETED 0)'
                             % (len(msg) + len(m2) + len(m3))])
        _, t = self.r.cmd("e", 'APPEND nosuch {1+}\r\nx')
        self.assertTrue(t.startswith("e NO [TRYCREATE]"), t)
        _, t = self.r.cmd("f", 'APPEND app "bad date" {1+}\r\nx')
        self.assertTrue(t.startswith("f BAD"), t)
        u = self.ok("g", "EXAMINE app")
        self.assertIn("* 3 EXISTS", u)
        self.assertIn("* 0 RECENT", u)
        self.assertIn("* OK [PERMANENTFLAGS ()] Read-only mailbox", u)
        self.assertIn("* OK [UNSEEN 2] First unseen", u)
        self.assertIn("* OK [UIDNEXT 4] Predicted next UID", u)
        self.assertTrue(any(l.startswith("* FLAGS (") and "$Work" in l for l in u), u)
        _, t = self.r.cmd("h", "EXPUNGE")
        self.assertTrue(t.startswith("h NO"), t)
        u, t = self.r.cmd("i", "SELECT app")
        self.assertEqual(t, "i OK [READ-WRITE] SELECT completed")
        self.assertIn("* 3 RECENT", u)
        # An APPEND into the selected mailbox shows up as EXISTS.
        u = self.ok("k", "APPEND app (NewKw) {11+}\r\nSubject: \r\n")
        self.assertIn("* 4 EXISTS", u)
        # a new keyword: FLAGS and PERMANENTFLAGS again (RFC 3501 7.2.6)
        self.assertTrue(any(l.startswith("* FLAGS (") and "NewKw" in l for l in u), u)
        self.assertTrue(any(l.startswith("* OK [PERMANENTFLAGS (") and "NewKw" in l for l in u), u)
        u = self.ok("k2", "NOOP")
        self.assertEqual(u, [])
        self.ok("l", "UNSELECT")
        _, t = self.r.cmd("m", "UNSELECT")
        self.assertTrue(t.startswith("m BAD"), t)

    def test_expunge_forms(self):
        self.ok("a", "CREATE exp")
        for n in range(5):
            self.ok("b%d" % n, "APPEND exp {%d+}\r\n%s" % (len("Subject: %d\r\n\r\n" % n), "Subject: %d\r\n\r\n" % n))
        cur = os.path.join(self.i.maildir(), ".exp", "cur")

        def mark_deleted(n):
            # the message "Subject: n" (UID n+1), as another client would
            for f in os.listdir(cur):
                with open(os.path.join(cur, f), "rb") as fh:
                    if fh.read().startswith(b"Subject: %d\n" % n):
                        base = f.split(":")[0]
                        os.rename(os.path.join(cur, f), os.path.join(cur, base + ":2,T"))
                        return
            self.fail("no message %d" % n)

        self.ok("c", "SELECT exp")
        mark_deleted(1)
        mark_deleted(3)
        u = self.ok("d", "EXPUNGE")
        # the flag changes made on disk come first, then the expunges
        self.assertEqual([l for l in u if "FETCH" not in l],
                         ["* 2 EXPUNGE", "* 3 EXPUNGE"])   # 4 renumbered
        self.assertEqual(len(os.listdir(cur)), 3)
        mark_deleted(0)
        mark_deleted(4)
        u = self.ok("e", "UID EXPUNGE 5")
        self.assertEqual([l for l in u if "FETCH" not in l], ["* 3 EXPUNGE"])
        u = self.ok("e2", "CHECK")
        self.assertEqual(u, [])
        u = self.ok("e3", "UID EXPUNGE 100:200")      # none of these exist
        self.assertEqual(u, [])
        _, t = self.r.cmd("e4", "UID EXPUNGE 1:x")
        self.assertTrue(t.startswith("e4 BAD"), t)
        u = self.ok("f", "CLOSE")
        self.assertFalse(any("EXPUNGE" in l for l in u), u)
        self.assertEqual(len(os.listdir(cur)), 1)
        u = self.ok("g", "STATUS exp (MESSAGES UIDNEXT)")
        self.assertEqual(u, ['* STATUS "exp" (MESSAGES 1 UIDNEXT 6)'])

    def test_selected_mailbox_deleted_elsewhere(self):
        self.ok("a", "CREATE gone")
        r2 = self.i.raw_login()
        _, t = r2.cmd("b", "SELECT gone")
        self.assertTrue(t.startswith("b OK"), t)
        self.ok("c", "DELETE gone")
        r2.send("d NOOP\r\n")
        self.assertEqual(r2.line(), "* BYE Selected mailbox was deleted")
        self.assertTrue(r2.eof())

    def test_rename_inbox(self):
        r = self.i.raw_login(user="bob@example.test")
        for n in range(2):
            m = "Subject: in%d\r\n\r\n" % n
            _, t = r.cmd("a%d" % n, "APPEND INBOX {%d+}\r\n%s" % (len(m), m))
            self.assertTrue(t.startswith("a%d OK" % n), t)
        _, t = r.cmd("b", "RENAME INBOX saved")
        self.assertTrue(t.startswith("b OK"), t)
        u, _ = r.cmd("c", "STATUS INBOX (MESSAGES)")
        self.assertEqual(u, ['* STATUS "INBOX" (MESSAGES 0)'])
        u, _ = r.cmd("d", "STATUS saved (MESSAGES)")
        self.assertEqual(u, ['* STATUS "saved" (MESSAGES 2)'])
        r.cmd("z", "LOGOUT")

    def test_uid_expunge_saved_result(self):
        u, _ = self.r.cmd("a", "CAPABILITY")
        if "SEARCHRES" not in u[0].split():
            self.skipTest("SEARCHRES not advertised (SEARCH not built)")
        self.ok("b", "CREATE sr")
        for n in range(3):
            m = "Subject: %d\r\n\r\n" % n
            self.ok("c%d" % n, "APPEND sr (%s) {%d+}\r\n%s" % ("\\Deleted" if n else "", len(m), m))
        self.ok("d", "SELECT sr")
        self.ok("e", "UID SEARCH RETURN (SAVE) UID 1:2")
        u = self.ok("f", "UID EXPUNGE $")
        self.assertEqual(u, ["* 2 EXPUNGE"])          # UID 2; UID 3 stays
        u = self.ok("g", "STATUS sr (MESSAGES)")
        self.assertEqual(u, ['* STATUS "sr" (MESSAGES 2)'])

    def test_append_literal8(self):
        u, _ = self.r.cmd("a", "CAPABILITY")
        if "BINARY" not in u[0].split():
            self.skipTest("BINARY not advertised (FETCH not built)")
        self.ok("b", "CREATE bin")
        m = b"Subject: bin\r\n\r\n\x00\x01\x02\r\n"
        self.r.send(b"c APPEND bin ~{%d+}\r\n" % len(m) + m + b"\r\n")
        _, t = self.r.until_tag("c")
        self.assertTrue(t.startswith("c OK"), t)
        cur = os.path.join(self.i.maildir(), ".bin", "cur")
        with open(os.path.join(cur, os.listdir(cur)[0]), "rb") as f:
            self.assertEqual(f.read(), b"Subject: bin\n\n\x00\x01\x02\n")
        # RFC 6855: APPEND ... UTF8 (~{n}) once UTF8=ACCEPT is enabled
        r2 = self.i.raw_login()
        r2.cmd("a", "ENABLE UTF8=ACCEPT")
        m8 = "Subject: caf\u00e9\r\n\r\n\u00e9t\u00e9\r\n".encode()
        r2.send(b"b APPEND bin (\\Seen) UTF8 (~{%d+}\r\n" % len(m8) + m8 + b")\r\n")
        _, t = r2.until_tag("b")
        self.assertTrue(t.startswith("b OK"), t)
        r2.cmd("z", "LOGOUT")
        self.assertEqual(len(os.listdir(cur)), 2)
        for f in os.listdir(cur):
            if f.endswith(":2,S"):
                with open(os.path.join(cur, f), "rb") as fh:
                    self.assertEqual(fh.read(), m8.replace(b"\r\n", b"\n"))
        # NUL in an ordinary literal is refused
        self.r.send(b"d APPEND bin {%d+}\r\n" % len(m) + m + b"\r\n")
        _, t = self.r.until_tag("d")
        self.assertTrue(t.startswith("d BAD"), t)
        self.assertEqual(len(os.listdir(cur)), 2)

    def test_bad_syntax(self):
        for tag, cmd in (("a", "SELECT"), ("b", "STATUS INBOX"), ("c", "STATUS INBOX (BOGUS)"),
                         ("d", "LIST"), ("e", "CREATE"), ("f", "RENAME a"), ("g", "FOO"),
                         ("h", "CLOSE"), ("i", "ENABLE"), ("j", "EXPUNGE")):
            _, t = self.r.cmd(tag, cmd)
            self.assertTrue(t.startswith(tag + " BAD"), "%s -> %s" % (cmd, t))
        _, t = self.r.cmd("k", "SELECT nosuchbox")
        self.assertTrue(t.startswith("k NO [NONEXISTENT]"), t)


if __name__ == "__main__":
    unittest.main()
