"""imap_msgcmd_util.py: shared helpers of the message-command tests
(test_imap_fetch_*, test_imap_search_*, test_imap_store_*,
test_imap_copy_move_*, test_imap_condstore_*): a raw client that reads
responses with their literals, and a fixture that starts an instance and
fills a mailbox with known messages."""
import re, time

from imap_instance import USER, ImapInstance, RawImap

LIT = re.compile(rb"\{(\d+)\+?\}\r?\n$|~\{(\d+)\}\r?\n$")


class LitImap(RawImap):
    """RawImap whose responses keep their literals: rline() gives one
    response as bytes, literals inline (the "{n}\\r\\n" kept)."""

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise EOFError("connection closed; have %r" % self.buf)
        self.buf += chunk

    def _rawline(self):
        while b"\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\n")
        l, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return l

    def rline(self):
        out = b""
        while True:
            l = self._rawline()
            out += l
            m = LIT.search(l)
            if not m:
                return out.rstrip(b"\r\n")
            n = int(m.group(1) or m.group(2))
            while len(self.buf) < n:
                self._fill()
            out += self.buf[:n]
            self.buf = self.buf[n:]

    def xcmd(self, tag, text):
        """Send a command; (untagged responses as bytes, tagged line str)."""
        if isinstance(text, str):
            text = text.encode()
        self.send(tag.encode() + b" " + text + b"\r\n")
        out = []
        while True:
            l = self.rline()
            if l.startswith(tag.encode() + b" "):
                return out, l.decode("utf-8", "replace")
            out.append(l)


def login(inst, user=USER):
    r = LitImap(inst.port)
    g = r.rline()
    assert g.startswith(b"* OK"), g
    u, t = r.xcmd("L0", 'LOGIN "%s" "%s"' % (user, inst.inst.users[user]))
    assert t.startswith("L0 OK"), t
    return r


def append(r, text, flags="", date=None, mailbox="INBOX", tag="AP"):
    if isinstance(text, str):
        text = text.encode()
    d = (' "%s"' % date) if date else ""
    fl = (" (%s)" % flags) if flags is not None else ""
    r.send(("%s APPEND %s%s%s {%d+}\r\n" % (tag, mailbox, fl, d, len(text))).encode()
           + text + b"\r\n")
    out = []
    while True:
        l = r.rline()
        if l.startswith(tag.encode() + b" "):
            assert b" OK" in l, l
            m = re.search(rb"APPENDUID (\d+) (\d+)", l)
            return int(m.group(2)) if m else None
        out.append(l)


def fetch_map(untagged):
    """{seq: response bytes} of '* n FETCH' lines."""
    out = {}
    for l in untagged:
        m = re.match(rb"\* (\d+) FETCH \((.*)\)$", l, re.S)
        if m:
            out[int(m.group(1))] = m.group(2)
    return out
