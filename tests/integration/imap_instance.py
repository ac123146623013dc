"""imap_instance.py: shared helpers of the IMAP integration tests
(test_imap_*.py): an instance running under `postern run` with the imap
and imaps services, imaplib clients, a raw line-oriented IMAP client and
local delivery of test messages straight into a user's Maildir.

ImapInstance.start() makes a fresh instance with users (name -> password);
.imap(user) returns a logged-in imaplib.IMAP4; .raw() a RawImap on the
plaintext port; .deliver(user, text, folder=None) drops a message into
new/ as a delivery agent would (Maildir protocol: tmp/ then rename).
What is not IMAP lives in postern_instance.py (ServiceInstance, RawLines)."""
import imaplib, os, re, time

from postern_instance import (TEST_PASSWORD, TEST_USER, RawLines,
                              ServiceInstance, maildir_drop)

USER = TEST_USER
PASSWORD = TEST_PASSWORD


class RawImap(RawLines):
    """A plain socket speaking IMAP lines, for exact exchanges."""

    def line(self):
        return self.rawline().decode("utf-8", "replace").rstrip("\r\n")

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

    def __del__(self):
        self.close()


class ImapInstance(ServiceInstance):
    services = ("imap", "imaps")
    tmp_prefix = "postern-imap-"
    raw_class = RawImap
    greeting = "* OK"

    def imap(self, user=USER, password=None):
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=15)
        c.login(user, password or self.inst.users[user])
        return c

    def raw_login(self, user=USER, password=None):
        r = self.raw()
        _, t = r.cmd("L0", 'LOGIN "%s" "%s"' % (user, password or self.inst.users[user]))
        assert t.startswith("L0 OK"), t
        return r

    def tls_context_for(self, name):
        """A context that verifies the instance certificate and the name
        (imaplib checks the host it connected to, 127.0.0.1, which the
        certificate also holds)."""
        return self.tls_context()

    def deliver(self, text, user=USER, folder=None, name=None):
        """Deliver a message into new/ the Maildir way; returns the file."""
        root = self.maildir(user)
        d = root if not folder else os.path.join(root, "." + folder)
        if isinstance(text, str):
            text = text.encode()
        name = name or "%d.M%dP%d.test" % (time.time(), time.time_ns() % 1000000, os.getpid())
        name = "%s,S=%d" % (name, len(text))
        return maildir_drop(root, d, name, text)


def message(subject="test", body="hello\n", sender="bob@example.test"):
    return ("From: %s\nTo: %s\nSubject: %s\nDate: Mon, 7 Feb 1994 21:52:25 -0800\n"
            "Message-ID: <%s@example.test>\n\n%s" % (sender, USER, subject,
                                                    re.sub(r"\W", "", subject) + str(time.time_ns()), body))
