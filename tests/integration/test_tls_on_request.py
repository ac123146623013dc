"""TLS on request (postern-listen -R, as `postern run` starts smtp,
submission, pop3 and imap): a session that never asks for TLS runs without
postern-tls (listen starts the protocol program and holds the control
descriptor itself: no process waits beside the session); STARTTLS/STLS
start postern-tls in the session's process group, and SMTP, submission
with AUTH, POP3 and IMAP work over it; a command
pipelined behind STARTTLS is never executed after the handshake; every
session ends (no process left, listen's per-IP count freed) after QUIT
with or without TLS and after an abrupt disconnect."""
import imaplib, os, poplib, re, smtplib, socket, ssl, struct, subprocess, unittest

import harness as H

from postern_instance import (Supervisor, descendants, make_instance, make_tmpdir,
                              wait_port)

PW = "on-request-pw"
USER = "demo@example.test"
PER_IP = 3


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


ppid, sockets = H.parent, H.socket_inodes
name, wait_for = H.proc_exe_name, H.wait_for


class OnRequest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = make_tmpdir()
        cls.inst = make_instance(cls.tmp, users={USER: PW})
        cls.inst.set_config("max_connections_per_ip", str(PER_IP))
        cls.inst.set_config("plaintext_auth", "no")
        cls.sup = Supervisor(cls.inst)
        for svc in ("smtp", "submission", "pop3", "imap"):
            cls.sup.wait_line(r"event=listening service=%s " % svc)
            assert wait_port(cls.inst.ports[svc]), cls.sup.text()

    @classmethod
    def tearDownClass(cls):
        cls.sup.stop()
        assert PW not in cls.sup.text()
        subprocess.run(["rm", "-rf", cls.tmp])

    # --- the process tree -------------------------------------------------

    def listener(self, svc):
        for p in descendants(self.sup.proc.pid):
            c = cmdline(p)
            if name(p) == "postern-listen" and b"-n" in c and c[c.index(b"-n") + 1] == svc.encode():
                if name(ppid(p)) != "postern-listen":
                    return p
        self.fail("no listener for %s" % svc)

    def sessions(self, svc):
        """The live sessions of the service's listener: their process
        groups (the id of each is its first process's pid)."""
        return sorted(H.listen_sessions(self.listener(svc)))

    def session_tree(self, svc):
        """The one session of svc: (its first process, names of all its
        live processes: the first one's tree, then postern-tls's if it
        was started).  A session of an earlier test may still be ending
        (smtpd reaps the postern-queue it started ahead, slow under ASan):
        wait until exactly one is left."""
        lp = self.listener(svc)
        groups = wait_for(lambda: (lambda g: g if len(g) == 1 else None)(H.listen_sessions(lp)))
        groups = groups or H.listen_sessions(lp)
        self.assertEqual(len(groups), 1, groups)
        (first, members), = groups.items()
        tree = []
        for m in members:
            tree += [m] + [p for p in descendants(m) if not H.gone(p)]
        return first, [name(p) for p in tree]

    def assert_no_sessions(self, svc):
        left = wait_for(lambda: not self.sessions(svc), 10)
        self.assertTrue(left, "session processes left for %s: %r" % (
            svc, [(p, name(p)) for p in self.sessions(svc)]))

    def assert_no_tls_anywhere(self, svc):
        lp = self.listener(svc)
        self.assertNotIn("postern-tls", [name(p) for p in descendants(lp)])

    # --- plaintext: no postern-tls ---------------------------------------

    def test_plaintext_smtp_runs_without_postern_tls(self):
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=20)
        code, _ = s.ehlo("client.example")
        self.assertEqual(code, 250)
        self.assertTrue(s.has_extn("starttls"))
        first, names = self.session_tree("smtp")
        # smtpd is the session (with the postern-queue it may have
        # started: not ours to name); no process of listen's waits beside
        self.assertEqual(names[0], "postern-smtpd", names)
        self.assertEqual(ppid(first), self.listener("smtp"))
        self.assertNotIn("postern-listen", names)
        self.assertNotIn("postern-tls", names)
        self.assert_no_tls_anywhere("smtp")
        # the control descriptor: held by smtpd alone (not by a program it
        # runs, such as its postern-queue), besides postern-listen, which
        # also holds a copy of the connection (for postern-tls)
        smtpd = first
        # smtpd was started ahead of its connection (-P): the control
        # descriptor came with it; its one SOCK_SEQPACKET socket
        seqpacket = set()
        with open("/proc/net/unix") as f:
            for l in f.readlines()[1:]:
                p = l.split()
                if len(p) >= 7 and p[4] == "0005":
                    seqpacket.add("socket:[%s]" % p[6])
        fds = [int(f) for f in os.listdir("/proc/%d/fd" % smtpd)]
        ctls = [f for f in fds if sockets(smtpd, (f,)) & seqpacket]
        self.assertEqual(len(ctls), 1, ctls)
        fd = ctls[0]
        ctl = sockets(smtpd, (fd,))
        self.assertEqual(len(ctl), 1)
        with open("/proc/%d/fdinfo/%d" % (smtpd, fd)) as f:
            flags = int(re.search(r"^flags:\s+([0-7]+)", f.read(), re.M).group(1), 8)
        self.assertTrue(flags & os.O_CLOEXEC)
        for p in H.descendants(smtpd):
            self.assertFalse(ctl & sockets(p), "%d (%s) holds the control descriptor" % (p, name(p)))
        self.assertFalse(ctl & sockets(self.listener("smtp")))   # the other end
        self.assertTrue(sockets(smtpd, (0,)) <= sockets(self.listener("smtp")))
        s.sendmail("sender@example.net", [USER], b"Subject: plain\r\n\r\nno TLS here\r\n")
        s.quit()
        self.assert_no_sessions("smtp")
        self.sup.wait_line(r"event=end service=smtp pid=%d status=0" % first)

    def test_plaintext_pop3_and_imap_without_postern_tls(self):
        p = poplib.POP3("127.0.0.1", self.inst.ports["pop3"], timeout=20)
        self.assertIn("STLS", p.capa())
        _, names = self.session_tree("pop3")
        self.assertEqual(names[0], "postern-login", names)
        self.assertNotIn("postern-tls", names)
        p.quit()
        self.assert_no_sessions("pop3")
        m = imaplib.IMAP4("127.0.0.1", self.inst.ports["imap"], timeout=20)
        self.assertIn("STARTTLS", m.capabilities)
        _, names = self.session_tree("imap")
        self.assertNotIn("postern-tls", names)
        m.logout()
        self.assert_no_sessions("imap")

    # --- STARTTLS ---------------------------------------------------------

    def test_smtp_starttls_smtplib(self):
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=20)
        s.ehlo("client.example")
        first, names = self.session_tree("smtp")
        self.assertNotIn("postern-tls", names)
        code, _ = s.starttls(context=ctx())
        self.assertEqual(code, 220)
        code, _ = s.ehlo("client.example")
        self.assertEqual(code, 250)
        self.assertFalse(s.has_extn("starttls"))
        # the same session: smtpd, and postern-tls in its process group
        first2, names = self.session_tree("smtp")
        self.assertEqual(first2, first)
        self.assertEqual(names[0], "postern-smtpd", names)
        self.assertIn("postern-tls", names)
        # postern-listen let go of the connection
        self.assertFalse(sockets(first, (0,)) & sockets(self.listener("smtp")))
        s.sendmail("sender@example.net", [USER], b"Subject: tls\r\n\r\nover TLS\r\n")
        s.quit()
        self.assert_no_sessions("smtp")

    def test_smtp_starttls_swaks(self):
        r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.inst.ports["smtp"]),
                            "--tls", "--to", USER, "--from", "sender@example.net",
                            "--helo", "client.example", "--timeout", "20"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("TLS started", r.stdout + r.stderr)
        self.assert_no_sessions("smtp")

    def test_submission_auth_after_starttls(self):
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["submission"], timeout=20)
        s.ehlo("client.example")
        self.assertFalse(s.has_extn("auth"))
        _, names = self.session_tree("submission")
        self.assertEqual(names[0], "postern-login", names)
        self.assertNotIn("postern-tls", names)
        s.starttls(context=ctx())
        s.ehlo("client.example")
        self.assertTrue(s.has_extn("auth"))
        s.login(USER, PW)
        _, names = self.session_tree("submission")
        self.assertEqual(names[0], "postern-login", names)
        self.assertIn("postern-tls", names)
        s.sendmail(USER, [USER], b"Subject: sub\r\n\r\nsubmitted\r\n")
        s.quit()
        self.assert_no_sessions("submission")

    def test_pop3_stls(self):
        p = poplib.POP3("127.0.0.1", self.inst.ports["pop3"], timeout=20)
        p.stls(context=ctx())
        p.user(USER)
        p.pass_(PW)
        self.assertEqual(len(p.stat()), 2)
        _, names = self.session_tree("pop3")
        self.assertIn("postern-tls", names)
        self.assertIn("postern-pop3d", names)
        p.quit()
        self.assert_no_sessions("pop3")

    def test_pop3_plain_login_keeps_session_counted(self):
        """After a login the pre-auth program (the last holder of the
        control descriptor) is gone; the session stays counted until the
        post-auth server ends."""
        p = poplib.POP3("127.0.0.1", self.inst.ports["pop3"], timeout=20)
        p.stls(context=ctx())
        p.user(USER)
        p.pass_(PW)
        first, names = self.session_tree("pop3")
        self.assertNotIn("postern-pop3-login", names)
        p.noop()
        self.assertEqual(self.sessions("pop3"), [first])
        p.quit()
        self.assert_no_sessions("pop3")

    def test_imap_starttls(self):
        m = imaplib.IMAP4("127.0.0.1", self.inst.ports["imap"], timeout=20)
        m.starttls(ssl_context=ctx())
        typ, _ = m.login(USER, PW)
        self.assertEqual(typ, "OK")
        typ, _ = m.select("INBOX")
        self.assertEqual(typ, "OK")
        _, names = self.session_tree("imap")
        self.assertIn("postern-tls", names)
        self.assertIn("postern-imapd", names)
        m.logout()
        self.assert_no_sessions("imap")

    # --- pipelining behind STARTTLS --------------------------------------

    def raw_tls(self, svc, greet, request, ready, ehlo=False):
        """A raw connection to svc: the greeting, EHLO if asked, request
        (with what is pipelined behind it in the same packet) and the
        ready reply, then the handshake.  Returns the TLS socket and its
        line reader."""
        raw = socket.create_connection(("127.0.0.1", self.inst.ports[svc]), 20)
        l = H.Lines(raw)
        self.assertTrue(l.line().startswith(greet))
        if ehlo:
            raw.sendall(b"EHLO client.example\r\n")
            l.until("250 ")
        raw.sendall(request)
        self.assertTrue(l.line().startswith(ready))
        self.assertEqual(l.buf, b"")
        t = ctx().wrap_socket(raw)
        return t, H.Lines(t)

    def test_smtp_command_pipelined_behind_starttls_is_dropped(self):
        t, tl = self.raw_tls("smtp", "220", b"STARTTLS\r\nMAIL FROM:<evil@example.net>\r\n",
                             "220", ehlo=True)
        t.sendall(b"EHLO client.example\r\n")
        tl.until("250 ")
        # MAIL was not executed: a RCPT now is out of sequence
        t.sendall(b"RCPT TO:<%s>\r\n" % USER.encode())
        self.assertTrue(tl.line().startswith("503"))
        t.sendall(b"QUIT\r\n")
        self.assertTrue(tl.line().startswith("221"))
        t.close()
        self.assert_no_sessions("smtp")

    def test_pop3_login_pipelined_behind_stls_is_dropped(self):
        t, tl = self.raw_tls("pop3", "+OK", b"STLS\r\nUSER %s\r\nPASS %s\r\n" % (
            USER.encode(), PW.encode()), "+OK")
        t.sendall(b"STAT\r\n")
        self.assertTrue(tl.line().startswith("-ERR"))
        t.sendall(b"QUIT\r\n")
        self.assertTrue(tl.line().startswith("+OK"))
        t.close()
        self.assert_no_sessions("pop3")

    def test_plaintext_after_ready_breaks_the_handshake(self):
        """Bytes still in the kernel when postern-tls takes over are the
        start of the handshake, never a command."""
        before = len(self.sup.text())
        raw = socket.create_connection(("127.0.0.1", self.inst.ports["pop3"]), 20)
        l = H.Lines(raw)
        self.assertTrue(l.line().startswith("+OK"))
        raw.sendall(b"STLS\r\n")
        self.assertTrue(l.line().startswith("+OK"))
        raw.sendall(b"USER %s\r\nPASS %s\r\n" % (USER.encode(), PW.encode()))
        with self.assertRaises((ssl.SSLError, OSError)):
            t = ctx().wrap_socket(raw)
            t.sendall(b"STAT\r\n")
            if not H.Lines(t).line():
                raise OSError("closed")
        raw.close()
        self.assert_no_sessions("pop3")
        after = self.sup.text()[before:]
        self.assertIn("event=tls_fail", after)
        self.assertNotIn("event=auth_", after)

    # --- ends and counts ---------------------------------------------------

    def test_per_ip_count_is_freed(self):
        for i in range(PER_IP + 2):
            s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=20)
            s.ehlo("c")
            if i % 2:
                s.starttls(context=ctx())
                s.ehlo("c")
            s.quit()
        self.assert_no_sessions("smtp")
        held = [smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=20) for _ in range(PER_IP)]
        held[0].starttls(context=ctx())
        raw = socket.create_connection(("127.0.0.1", self.inst.ports["smtp"]), 20)
        self.assertTrue(H.Lines(raw).line().startswith("421"))
        raw.close()
        for s in held:
            s.quit()
        self.assert_no_sessions("smtp")
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=20)
        self.assertEqual(s.noop()[0], 250)
        s.quit()

    def abort(self, s, client=None):
        """Reset the connection (the client's reader file, which holds
        the socket open too, closed as well)."""
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if client is not None and getattr(client, "file", None) is not None:
            client.file.close()
        s.close()

    def test_abrupt_disconnect_leaves_nothing(self):
        # plaintext
        raw = socket.create_connection(("127.0.0.1", self.inst.ports["smtp"]), 20)
        self.assertTrue(H.Lines(raw).line().startswith("220"))
        self.session_tree("smtp")
        self.abort(raw)
        self.assert_no_sessions("smtp")
        # after TLS
        s = smtplib.SMTP("127.0.0.1", self.inst.ports["smtp"], timeout=20)
        s.starttls(context=ctx())
        s.ehlo("c")
        self.abort(s.sock, s)
        self.assert_no_sessions("smtp")
        # between the ready reply and the handshake
        raw = socket.create_connection(("127.0.0.1", self.inst.ports["imap"]), 20)
        l = H.Lines(raw)
        self.assertTrue(l.line().startswith("* OK"))
        raw.sendall(b"a STARTTLS\r\n")
        self.assertTrue(l.line().startswith("a OK"))
        self.abort(raw)
        self.assert_no_sessions("imap")
        # pop3 after a login over TLS
        p = poplib.POP3("127.0.0.1", self.inst.ports["pop3"], timeout=20)
        p.stls(context=ctx())
        p.user(USER)
        p.pass_(PW)
        self.abort(p.sock, p)
        self.assert_no_sessions("pop3")


if __name__ == "__main__":
    unittest.main()
