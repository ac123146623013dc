#!/usr/bin/env python3
"""IMAP measurements for bench/, against any server: a small raw-socket IMAP
client (literals skipped by length, so the client costs little beside the
server) and one timed function per figure.  Each figure is a dict
{"s": seconds, "bytes": octets received, ...}.

usage: imap_bench.py HOST PORT USER PASS [--cold-cmd SHELLCMD] [--search-from X]
                     [--search-text W] [--logins N] [--timeout SECONDS]
       imap_bench.py HOST PORT USER PASS --sessions N --pid PID
Prints one JSON object: the figures of one round (or the per-session memory).
"""
import argparse
import json
import re
import socket
import subprocess
import sys
import time

LITERAL = re.compile(rb"\{(\d+)\}$")


class ImapError(Exception):
    pass


class Imap:
    def __init__(self, host, port, timeout=120):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = bytearray()
        self.pos = 0
        self.n = 0
        self.received = 0
        greeting = self._line()
        if not greeting.startswith(b"* OK"):
            raise ImapError("greeting: %r" % greeting[:200])

    def _fill(self):
        if self.pos > 1 << 20:
            del self.buf[:self.pos]
            self.pos = 0
        d = self.sock.recv(1 << 18)
        if not d:
            raise ImapError("connection closed")
        self.received += len(d)
        self.buf += d

    def _line(self):
        while True:
            e = self.buf.find(b"\r\n", self.pos)
            if e >= 0:
                line = bytes(self.buf[self.pos:e])
                self.pos = e + 2
                return line
            self._fill()

    def _skip(self, n):
        while len(self.buf) - self.pos < n:
            self._fill()
        self.pos += n

    def cmd(self, text, keep=None):
        """Send one command; returns (status, untagged_count).  With a list
        as keep, the untagged lines (literals left out) are appended to it."""
        self.n += 1
        tag = b"b%d" % self.n
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        untagged = 0
        prefix = tag + b" "
        while True:
            line = self._line()
            if line.startswith(prefix):
                status = line[len(prefix):].split(b" ", 1)[0].decode()
                if status != "OK":
                    raise ImapError("%s -> %r" % (text, line[:300]))
                return status, untagged
            if line.startswith(b"* "):
                untagged += 1
                if keep is not None:
                    keep.append(line)
            # a line may hold several literals: skip each, then read on
            while True:
                m = LITERAL.search(line)
                if not m:
                    break
                self._skip(int(m.group(1)))
                line = self._line()

    def login(self, user, password):
        return self.cmd('LOGIN "%s" "%s"' % (user, password))

    def close(self):
        try:
            self.cmd("LOGOUT")
        except (ImapError, OSError):
            pass
        self.sock.close()


def timed(conn, text, keep=None):
    r0 = conn.received
    t0 = time.perf_counter()
    _, untagged = conn.cmd(text, keep)
    return {"s": time.perf_counter() - t0, "bytes": conn.received - r0,
            "untagged": untagged}


def timed_select(conn, text):
    """A timed SELECT; also records the EXISTS count."""
    lines = []
    r = timed(conn, text, lines)
    for l in lines:
        f = l.split()
        if len(f) == 3 and f[2].upper() == b"EXISTS" and f[1].isdigit():
            r["exists"] = int(f[1])
    return r


def timed_search(conn, text):
    """A timed UID SEARCH; also counts the hits (checks the figure means something)."""
    lines = []
    r = timed(conn, text, lines)
    r["hits"] = sum(len(l.split()) - 2 for l in lines if l.upper().startswith(b"* SEARCH"))
    return r


class Session:
    """A logged-in connection that is reopened (and INBOX reselected) after
    a connection-level failure, so that one failing figure does not take
    the later ones with it (a server under construction may lack commands)."""

    def __init__(self, host, port, user, password, timeout=120):
        self.args = (host, port, user, password)
        self.timeout = timeout
        self.c = None

    def get(self, select=True):
        if self.c is None:
            host, port, user, password = self.args
            self.c = Imap(host, port, self.timeout)
            self.c.login(user, password)
            if select:
                self.c.cmd("SELECT INBOX")
        return self.c

    def broken(self):
        if self.c is not None:
            try:
                self.c.sock.close()
            except OSError:
                pass
        self.c = None

    def close(self):
        if self.c is not None:
            self.c.close()
        self.c = None


def step(out, name, fn, sess):
    """out[name] = fn(), or {"error": why} when the server fails it."""
    try:
        out[name] = fn()
    except ImapError as e:
        out[name] = {"error": str(e)[:200]}
        if "connection closed" in str(e):
            sess.broken()
    except OSError as e:
        out[name] = {"error": "%s: %s" % (type(e).__name__, e)}
        sess.broken()


def one_round(host, port, user, password, cold_cmd=None, search_from="searchme",
              search_text="quokkamarker", logins=20, timeout=120):
    """All IMAP figures once, in a fixed order; returns a dict of figures,
    each {"s": seconds, ...} or {"error": why}.  timeout: the socket timeout
    (the longest wait for one read: scale it with the mailbox, a SEARCH
    TEXT or cold FETCH of 100,000 messages answers after minutes)."""
    out = {}
    if cold_cmd:
        subprocess.run(cold_cmd, shell=True, check=True)
    s = Session(host, port, user, password, timeout)
    step(out, "select_cold", lambda: timed_select(s.get(select=False), "SELECT INBOX"), s)
    step(out, "fetch_env_bs_first",
         lambda: timed(s.get(), "FETCH 1:* (ENVELOPE BODYSTRUCTURE)"), s)
    s.close()

    def login_loop():
        t0 = time.perf_counter()
        for _ in range(logins):
            c = Imap(host, port, timeout)
            c.login(user, password)
            c.close()
        return {"s": (time.perf_counter() - t0) / logins}
    step(out, "login", login_loop, s)

    s = Session(host, port, user, password, timeout)
    step(out, "select_warm", lambda: timed_select(s.get(select=False), "SELECT INBOX"), s)
    step(out, "uid_fetch_flags",
         lambda: timed(s.get(), "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)"), s)
    step(out, "fetch_env_bs", lambda: timed(s.get(), "FETCH 1:* (ENVELOPE BODYSTRUCTURE)"), s)
    step(out, "search_from",
         lambda: timed_search(s.get(), 'UID SEARCH FROM "%s"' % search_from), s)
    step(out, "search_text",
         lambda: timed_search(s.get(), 'UID SEARCH TEXT "%s"' % search_text), s)
    step(out, "body_peek_all", lambda: timed(s.get(), "FETCH 1:* BODY.PEEK[]"), s)

    def store_on_copy():
        # STORE on a copy, so the mailbox stays as generated (setup not timed)
        c = s.get()
        copy = "benchcopy%d" % int(time.time() * 1000)
        c.cmd("CREATE %s" % copy)
        try:
            c.cmd("COPY 1:* %s" % copy)
            c.cmd("SELECT %s" % copy)
            r = timed(c, "STORE 1:* +FLAGS (\\Flagged)")
            c.cmd("CLOSE")
        finally:
            c.cmd("DELETE %s" % copy)
        return r
    step(out, "store_flags", store_on_copy, s)
    s.close()
    return out


def sessions_memory(host, port, user_fmt, password, n, pid):
    """Per-session PSS/USS (kB) of the server tree under pid: n idle sessions
    (logged in, INBOX selected) minus the tree with none."""
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    import proctree
    time.sleep(0.5)
    base = proctree.memory(pid)
    conns = []
    try:
        for i in range(n):
            c = Imap(host, port, timeout=60)
            c.login(user_fmt % (i + 1) if "%" in user_fmt else user_fmt, password)
            c.cmd("SELECT INBOX")
            conns.append(c)
        time.sleep(1.0)
        full = proctree.memory(pid)
    finally:
        for c in conns:
            c.close()
    return {"pss_kb": (full[0] - base[0]) / n, "uss_kb": (full[1] - base[1]) / n,
            "procs": full[2] - base[2], "sessions": n}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("user", help="user name; for --sessions may hold %%d (1..N)")
    ap.add_argument("password")
    ap.add_argument("--cold-cmd", help="shell command that removes the index files")
    ap.add_argument("--search-from", default="searchme")
    ap.add_argument("--search-text", default="quokkamarker")
    ap.add_argument("--logins", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=120,
                    help="socket timeout in seconds (raise it for big mailboxes)")
    ap.add_argument("--sessions", type=int)
    ap.add_argument("--pid", type=int, help="server's root pid (for --sessions)")
    a = ap.parse_args()
    if a.sessions:
        r = sessions_memory(a.host, a.port, a.user, a.password, a.sessions, a.pid)
    else:
        r = one_round(a.host, a.port, a.user, a.password, a.cold_cmd,
                      a.search_from, a.search_text, a.logins, a.timeout)
    print(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
