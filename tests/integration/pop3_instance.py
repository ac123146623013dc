"""pop3_instance.py: shared helpers of the POP3 integration tests
(test_pop3_*.py): an instance running under `postern run` with the pop3
and pop3s services, poplib clients, a raw line-oriented POP3 client, and
delivery of test messages straight into a user's Maildir (as a delivery
agent would: tmp/ then rename into new/).  What is not POP3 lives in
postern_instance.py (ServiceInstance, RawLines)."""
import os, poplib, time

from postern_instance import (IS_ROOT, TEST_PASSWORD, TEST_USER, RawLines,
                              ServiceInstance, maildir_drop)

USER = TEST_USER
PASSWORD = TEST_PASSWORD


class RawPop(RawLines):
    """A plain socket speaking POP3 lines, for exact exchanges."""

    def __init__(self, port, host="127.0.0.1", timeout=15, sock=None):
        super().__init__(port, host, timeout, sock)

    def line(self):
        return self.rawline().decode("latin-1").rstrip("\r\n")

    def multi(self):
        """The lines of a multi-line body (dot-unstuffed, CRLF removed)."""
        out = []
        while True:
            l = self.rawline()
            assert l.endswith(b"\r\n"), l
            l = l[:-2]
            if l == b".":
                return out
            if l.startswith(b"."):
                l = l[1:]
            out.append(l)

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.line()


class Pop3Instance(ServiceInstance):
    services = ("pop3", "pop3s")
    tmp_prefix = "postern-pop3-"
    raw_class = RawPop
    greeting = "+OK"

    def pop(self, user=USER, password=None):
        c = poplib.POP3("127.0.0.1", self.port, timeout=30)
        c.user(user)
        c.pass_(password or self.inst.users[user])
        return c

    def raw_login(self, user=USER, password=None):
        r = self.raw()
        assert r.cmd("USER %s" % user).startswith("+OK")
        l = r.cmd("PASS %s" % (password or self.inst.users[user]))
        assert l.startswith("+OK"), l
        return r

    def owner(self, user=USER):
        st = os.stat(self.maildir(user))
        return st.st_uid, st.st_gid

    def ensure_maildir(self, user=USER):
        root = self.maildir(user)
        uid, gid = os.stat(os.path.dirname(root)).st_uid, os.stat(os.path.dirname(root)).st_gid
        for d in ("", "tmp", "new", "cur"):
            p = os.path.join(root, d)
            if not os.path.isdir(p):
                os.makedirs(p, 0o700, exist_ok=True)
                if IS_ROOT:
                    os.chown(p, uid, gid)
        return root

    def deliver(self, text, user=USER, name=None, sizes=True, subdir="new"):
        """Deliver a message the Maildir way; returns the file path.
        sizes: add ,S= (and ,W=) to the name as postern-deliver does."""
        root = self.ensure_maildir(user)
        if isinstance(text, str):
            text = text.encode()
        deliver.counter += 1
        # names sort in delivery order (UIDs are given in name order)
        name = name or "%d.M%06dP%d.test" % (time.time(), deliver.counter, os.getpid())
        if sizes:
            crlf = len(text) + text.count(b"\n") - text.count(b"\r\n")
            name = "%s,S=%d,W=%d" % (name, len(text), crlf)
        if subdir == "cur" and ":2," not in name:
            name += ":2,"
        return maildir_drop(root, root, name, text, subdir)


def deliver():
    pass


deliver.counter = 0


def message(subject="test", body="hello\n", sender="bob@example.test"):
    return ("From: %s\nTo: %s\nSubject: %s\nDate: Mon, 7 Feb 1994 21:52:25 -0800\n"
            "Message-ID: <%d@example.test>\n\n%s" % (sender, USER, subject, time.time_ns(), body))
