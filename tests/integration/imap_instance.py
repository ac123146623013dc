"""imap_instance.py: shared helpers of the IMAP integration tests
(test_imap_*.py): an instance running under `postern run` with the imap
and imaps services, imaplib clients, a raw line-oriented IMAP client and
local delivery of test messages straight into a user's Maildir.

ImapInstance.start() makes a fresh instance with users (name -> password);
.imap(user) returns a logged-in imaplib.IMAP4; .raw() a RawImap on the
plaintext port; .deliver(user, text, folder=None) drops a message into
new/ as a delivery agent would (Maildir protocol: tmp/ then rename)."""
import imaplib, os, re, shutil, socket, ssl, time

from postern_instance import (IS_ROOT, Supervisor, make_instance, make_tmpdir,
                              wait_port)

USER = "alice@example.test"
PASSWORD = "alice-password"


class RawImap:
    """A plain socket speaking IMAP lines, for exact exchanges."""

    def __init__(self, port, host="127.0.0.1", timeout=10, sock=None):
        self.s = sock or socket.create_connection((host, port), timeout)
        self.s.settimeout(timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed; have %r" % self.buf)
            self.buf += chunk
        i = self.buf.index(b"\n")
        l, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return l.decode("utf-8", "replace").rstrip("\r\n")

    def until_tag(self, tag):
        """Lines up to and including the tagged one: (untagged, tagged)."""
        out = []
        while True:
            l = self.line()
            if l.startswith(tag + " "):
                return out, l
            out.append(l)

    def cmd(self, tag, text):
        self.send("%s %s\r\n" % (tag, text))
        return self.until_tag(tag)

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

    def __del__(self):
        self.close()


class ImapInstance:
    def __init__(self, users=None, config=None):
        self.tmp = make_tmpdir("postern-imap-")
        self.inst = make_instance(self.tmp, users=users or {USER: PASSWORD})
        for k, v in (config or {}).items():
            self.inst.set_config(k, v)
        self.sup = None

    def start(self, env=None):
        self.sup = Supervisor(self.inst, env=env)
        for svc in ("imap", "imaps"):
            self.sup.wait_line(r"event=listening service=%s " % svc)
            assert wait_port(self.inst.ports[svc]), self.sup.text()
        return self

    def stop(self):
        if self.sup:
            self.sup.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def port(self):
        return self.inst.ports["imap"]

    @property
    def tls_port(self):
        return self.inst.ports["imaps"]

    def log(self):
        return self.sup.text()

    def maildir(self, user=USER):
        return self.inst.maildir(user)

    def imap(self, user=USER, password=None):
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=15)
        c.login(user, password or self.inst.users[user])
        return c

    def raw(self, greet=True):
        r = RawImap(self.port)
        if greet:
            g = r.line()
            assert g.startswith("* OK"), g
        return r

    def raw_login(self, user=USER, password=None):
        r = self.raw()
        _, t = r.cmd("L0", 'LOGIN "%s" "%s"' % (user, password or self.inst.users[user]))
        assert t.startswith("L0 OK"), t
        return r

    def tls_context(self):
        return ssl.create_default_context(cafile=self.inst.cert)

    def tls_context_for(self, name):
        """A context that verifies the instance certificate and the name
        (imaplib checks the host it connected to, 127.0.0.1, which the
        certificate also holds)."""
        return ssl.create_default_context(cafile=self.inst.cert)

    def deliver(self, text, user=USER, folder=None, name=None):
        """Deliver a message into new/ the Maildir way; returns the file."""
        root = self.maildir(user)
        d = root if not folder else os.path.join(root, "." + folder)
        if isinstance(text, str):
            text = text.encode()
        name = name or "%d.M%dP%d.test" % (time.time(), time.time_ns() % 1000000, os.getpid())
        name = "%s,S=%d" % (name, len(text))
        tmp = os.path.join(d, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(text)
        st = os.stat(root)
        os.chown(tmp, st.st_uid, st.st_gid) if IS_ROOT else None
        dst = os.path.join(d, "new", name)
        os.rename(tmp, dst)
        return dst


def message(subject="test", body="hello\n", sender="bob@example.test"):
    return ("From: %s\nTo: %s\nSubject: %s\nDate: Mon, 7 Feb 1994 21:52:25 -0800\n"
            "Message-ID: <%s@example.test>\n\n%s" % (sender, USER, subject,
                                                    re.sub(r"\W", "", subject) + str(time.time_ns()), body))
