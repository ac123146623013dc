#!/usr/bin/env python3
"""POP3 measurements for bench/, against any server: a raw-socket POP3 client
(pipelined in windows when the server announces PIPELINING, RFC 2449) and one
timed function per figure: login+STAT, UIDL, RETR of every message (MB/s),
TOP n 0 of every message.  Nothing is deleted.

usage: pop3_bench.py HOST PORT USER PASS [--timeout SECONDS] [--logins N]
       pop3_bench.py HOST PORT USER PASS --sessions N --pid PID
Prints one JSON object.
"""
import argparse
import json
import os
import socket
import sys
import time

WINDOW = 64


class PopError(Exception):
    pass


class Pop3:
    def __init__(self, host, port, timeout=120):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = bytearray()
        self.pos = 0
        self.received = 0
        if not self._line().startswith(b"+OK"):
            raise PopError("bad greeting")
        self.pipelining = False

    def _fill(self):
        if self.pos > 1 << 20:
            del self.buf[:self.pos]
            self.pos = 0
        d = self.sock.recv(1 << 18)
        if not d:
            raise PopError("connection closed")
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

    def _status(self, what):
        line = self._line()
        if not line.startswith(b"+OK"):
            raise PopError("%s -> %r" % (what, line[:200]))
        return line

    def _multi(self):
        """Skip a multi-line body up to and including its terminating dot line."""
        while len(self.buf) - self.pos < 3:
            self._fill()
        if self.buf[self.pos:self.pos + 3] == b".\r\n":
            self.pos += 3
            return
        rel = 0                       # offsets relative to pos: _fill may compact
        while True:
            e = self.buf.find(b"\r\n.\r\n", self.pos + rel)
            if e >= 0:
                self.pos = e + 5
                return
            rel = max(0, len(self.buf) - self.pos - 4)
            self._fill()

    def simple(self, cmd):
        self.sock.sendall(cmd.encode() + b"\r\n")
        return self._status(cmd)

    def multi(self, cmd):
        self.sock.sendall(cmd.encode() + b"\r\n")
        self._status(cmd)
        self._multi()

    def multi_many(self, cmds):
        """Send cmds (each answered multi-line), pipelined when possible."""
        win = WINDOW if self.pipelining else 1
        for k in range(0, len(cmds), win):
            batch = cmds[k:k + win]
            self.sock.sendall(b"".join(c.encode() + b"\r\n" for c in batch))
            for c in batch:
                self._status(c)
                self._multi()

    def login(self, user, password):
        self.sock.sendall(b"CAPA\r\n")
        if self._line().startswith(b"+OK"):
            while True:
                line = self._line()
                if line == b".":
                    break
                if line.upper() == b"PIPELINING":
                    self.pipelining = True
        self.simple("USER %s" % user)
        self.simple("PASS %s" % password)

    def stat(self):
        f = self.simple("STAT").split()
        return int(f[1]), int(f[2])

    def close(self):
        try:
            self.simple("QUIT")
        except (PopError, OSError):
            pass
        self.sock.close()


def login_stat(host, port, user, password, timeout):
    """connect + CAPA + USER/PASS + STAT, then QUIT: (seconds to STAT's
    answer, messages, octets)."""
    t0 = time.perf_counter()
    p = Pop3(host, port, timeout)
    try:
        p.login(user, password)
        n, octets = p.stat()
        return time.perf_counter() - t0, n, octets
    finally:
        p.close()


def one_round(host, port, user, password, timeout=120, logins=5):
    """The POP3 figures once; each {"s": seconds, ...} or {"error": why}
    (a failing command ends the session: later figures get the same error).
    timeout: the socket timeout (the longest wait for one read; a server's
    first login to a big maildrop may size every message).  login_stat is
    the median of `logins` sessions of its own (one login is a noisy sample
    on a busy machine; a server's first, cold login is one of them)."""
    out = {}
    names = ("login_stat", "uidl", "top_all", "retr_all")
    p = None
    try:
        runs = sorted(login_stat(host, port, user, password, timeout)
                      for _ in range(max(1, logins)))
        secs, n, octets = runs[len(runs) // 2]
        out["login_stat"] = {"s": secs, "messages": n, "octets": octets}
        p = Pop3(host, port, timeout)
        p.login(user, password)
        n, octets = p.stat()
        r0, t0 = p.received, time.perf_counter()
        p.multi("UIDL")
        out["uidl"] = {"s": time.perf_counter() - t0, "bytes": p.received - r0}
        r0, t0 = p.received, time.perf_counter()
        p.multi_many(["TOP %d 0" % i for i in range(1, n + 1)])
        out["top_all"] = {"s": time.perf_counter() - t0, "bytes": p.received - r0}
        r0, t0 = p.received, time.perf_counter()
        p.multi_many(["RETR %d" % i for i in range(1, n + 1)])
        out["retr_all"] = {"s": time.perf_counter() - t0, "bytes": p.received - r0}
        p.simple("RSET")          # leave the mailbox as it was (no \Seen updates)
    except (PopError, OSError) as e:
        for k in names:
            out.setdefault(k, {"error": ("%s: %s" % (type(e).__name__, e))[:200]})
    finally:
        if p is not None:
            p.close()
    return out


def sessions_memory(host, port, user_fmt, password, n, pid):
    """Per-session PSS/USS (kB) of the server tree under pid with n idle
    sessions in the TRANSACTION state, minus the tree with none."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import proctree
    time.sleep(0.5)
    base = proctree.memory(pid)
    conns = []
    try:
        for i in range(n):
            c = Pop3(host, port, timeout=60)
            c.login(user_fmt % (i + 1) if "%" in user_fmt else user_fmt, password)
            c.stat()
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
    ap.add_argument("--sessions", type=int)
    ap.add_argument("--pid", type=int)
    ap.add_argument("--logins", type=int, default=5,
                    help="login+STAT is the median of this many sessions")
    ap.add_argument("--timeout", type=float, default=120,
                    help="socket timeout in seconds (raise it for big mailboxes)")
    a = ap.parse_args()
    if a.sessions:
        r = sessions_memory(a.host, a.port, a.user, a.password, a.sessions, a.pid)
    else:
        r = one_round(a.host, a.port, a.user, a.password, a.timeout, a.logins)
    print(json.dumps(r, indent=1))


if __name__ == "__main__":
    main()
