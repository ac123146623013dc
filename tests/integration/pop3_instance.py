"""pop3_instance.py: shared helpers of the POP3 integration tests
(test_pop3_*.py): an instance running under `postern run` with the pop3
and pop3s services, poplib clients, a raw line-oriented POP3 client, and
delivery of test messages straight into a user's Maildir (as a delivery
agent would: tmp/ then rename into new/)."""
import os, poplib, shutil, socket, ssl, time

from postern_instance import (IS_ROOT, Supervisor, make_instance, make_tmpdir,
                              wait_port)

USER = "alice@example.test"
PASSWORD = "alice-password"


class RawPop:
    """A plain socket speaking POP3 lines, for exact exchanges."""

    def __init__(self, port, host="127.0.0.1", timeout=15, sock=None):
        self.s = sock or socket.create_connection((host, port), timeout)
        self.s.settimeout(timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def rawline(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed; have %r" % self.buf)
            self.buf += chunk
        i = self.buf.index(b"\n")
        l, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return l

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

    def eof(self, timeout=5):
        self.s.settimeout(timeout)
        try:
            while True:
                c = self.s.recv(4096)
                if not c:
                    return True
        except (socket.timeout, OSError):
            return False

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


class Pop3Instance:
    def __init__(self, users=None, config=None):
        self.tmp = make_tmpdir("postern-pop3-")
        self.inst = make_instance(self.tmp, users=users or {USER: PASSWORD})
        for k, v in (config or {}).items():
            self.inst.set_config(k, v)
        self.sup = None

    def start(self, env=None):
        self.sup = Supervisor(self.inst, env=env)
        for svc in ("pop3", "pop3s"):
            self.sup.wait_line(r"event=listening service=%s " % svc)
            assert wait_port(self.inst.ports[svc]), self.sup.text()
        return self

    def stop(self):
        if self.sup:
            self.sup.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def port(self):
        return self.inst.ports["pop3"]

    @property
    def tls_port(self):
        return self.inst.ports["pop3s"]

    def log(self):
        return self.sup.text()

    def maildir(self, user=USER):
        return self.inst.maildir(user)

    def pop(self, user=USER, password=None):
        c = poplib.POP3("127.0.0.1", self.port, timeout=30)
        c.user(user)
        c.pass_(password or self.inst.users[user])
        return c

    def raw(self, greet=True):
        r = RawPop(self.port)
        if greet:
            g = r.line()
            assert g.startswith("+OK"), g
        return r

    def raw_login(self, user=USER, password=None):
        r = self.raw()
        assert r.cmd("USER %s" % user).startswith("+OK")
        l = r.cmd("PASS %s" % (password or self.inst.users[user]))
        assert l.startswith("+OK"), l
        return r

    def tls_context(self):
        return ssl.create_default_context(cafile=self.inst.cert)

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
        tmp = os.path.join(root, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(text)
        if IS_ROOT:
            uid, gid = os.stat(root).st_uid, os.stat(root).st_gid
            os.chown(tmp, uid, gid)
        dst = os.path.join(root, subdir, name)
        os.rename(tmp, dst)
        return dst


def deliver():
    pass


deliver.counter = 0


def message(subject="test", body="hello\n", sender="bob@example.test"):
    return ("From: %s\nTo: %s\nSubject: %s\nDate: Mon, 7 Feb 1994 21:52:25 -0800\n"
            "Message-ID: <%d@example.test>\n\n%s" % (sender, USER, subject, time.time_ns(), body))
