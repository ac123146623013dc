#!/usr/bin/env python3
"""bench.py: the side-by-side benchmark driver behind `make bench` (run.sh
calls it).  Starts private peer instances (Postfix, Dovecot) and, where its
programs exist, a postern instance, all on loopback under one temp dir; fills
both mailboxes from gen_mail.py; runs every figure on both sides back to
back, interleaved, BENCH_REPS times; prints the table and writes RESULTS.md.

usage: bench.py BINDIR FSYNC_CEILING_PROGRAM
environment: BENCH_SCALE (10000), BENCH_REPS (3), BENCH_SMTP_MSGS (1000),
  BENCH_SESSIONS (200), BENCH_OUT (bench/RESULTS.md at scale 10000, else
  bench/RESULTS-<scale>.md; with BENCH_ONLY bench/RESULTS-<scale>-<groups>.md), BENCH_KEEP=1 keeps the temp dir, BENCH_TMP (/var/tmp),
  BENCH_ONLY (comma list of smtp, imap, pop3, sessions, ceiling: only those
  figure groups run, the other rows read "not run"; default all),
  BENCH_CORPUS (a directory where the generated mailbox is kept and reused
  by later runs of the same seed and scale; default: generated per run),
  BENCH_TIMEOUT (the IMAP/POP3 clients' socket timeout in seconds; default
  120 per 10,000 messages, at least 120), BENCH_PEER_PORT_BASE (25000),
  BENCH_POSTERN_PORT_BASE (26000).
"""
import datetime
import glob
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import imap_bench  # noqa: E402
import pop3_bench  # noqa: E402
import proctree  # noqa: E402

SCALE = int(os.environ.get("BENCH_SCALE", "10000"))
REPS = max(3, int(os.environ.get("BENCH_REPS", "3")))
SMTP_MSGS = int(os.environ.get("BENCH_SMTP_MSGS", "1000"))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", "200"))
CONCURRENCY = (1, 10, 50)
GROUPS = ("smtp", "imap", "pop3", "sessions", "ceiling")
ONLY = [g.strip() for g in os.environ.get("BENCH_ONLY", "").split(",") if g.strip()] or \
    list(GROUPS)
for _g in ONLY:
    if _g not in GROUPS:
        sys.exit("bench: BENCH_ONLY: unknown group %r (groups: %s)" % (_g, ", ".join(GROUPS)))
# idle-session memory of the protocols selected (both when neither is)
SESSION_SVCS = ([svc for svc in ("imap", "pop3") if svc in ONLY] or ["imap", "pop3"]) \
    if "sessions" in ONLY else []
# The clients' socket timeout is the longest wait for one read: a cold FETCH,
# SEARCH TEXT or first POP3 login answers after a time that grows with the mailbox.
TIMEOUT = float(os.environ.get("BENCH_TIMEOUT") or max(120.0, 120.0 * SCALE / 10000))
SEED = 4242
VUID = 5000                     # fixed uid/gid of the bench mailboxes (no account needed)
USER, PASSWORD = "bench", "benchpw"
SINK = "sink"                   # SMTP figures deliver here, never into the IMAP/POP3 mailbox
RCPT = "sink@bench.test"
# ports: base + the standard port (the first free one upwards); other runs on
# the same machine can be kept apart with BENCH_PEER_PORT_BASE / BENCH_POSTERN_PORT_BASE
_PEER_BASE = int(os.environ.get("BENCH_PEER_PORT_BASE", "25000"))
PEER_PORTS = {"smtp": _PEER_BASE + 25, "imap": _PEER_BASE + 143, "pop3": _PEER_BASE + 110}
POSTERN_PORT_BASE = int(os.environ.get("BENCH_POSTERN_PORT_BASE", "26000"))
# Cold SELECT removes the index files that are a cache: Dovecot's dovecot.index*
# (its UID map dovecot-uidlist stays), postern's postern-cache* (its UID map
# postern-index stays; common/maildir_index.h).
POSTERN_INDEX_GLOBS = ("postern-cache*",)


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def port_free(port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_port(port, secs=30):
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def check_owner(port, root_pid, what):
    """The listener on port must be a process of root_pid's tree (another
    instance on the same machine could have taken the port after our check
    that it was free, and answer for an empty mailbox)."""
    mine = set(proctree.tree(root_pid))
    holders = proctree.listeners(port)
    if not holders & mine:
        raise RuntimeError("%s port %d is served by pids %s, not by our instance (pid %d)"
                           % (what, port, sorted(holders) or "?", root_pid))


def template(src, dst, subst):
    with open(src) as f:
        s = f.read()
    for k, v in subst.items():
        s = s.replace("@%s@" % k, str(v))
    with open(dst, "w") as f:
        f.write(s)


def chown_tree(path, uid, gid):
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, gid)
        for n in files:
            os.lchown(os.path.join(root, n), uid, gid)


def password_hash(password):
    """A {CRYPT} yescrypt hash (libxcrypt's default cost), the kind `postern
    user add` stores, so that Dovecot's LOGIN does the same work as postern's."""
    import ctypes
    import ctypes.util
    lib = ctypes.CDLL(ctypes.util.find_library("crypt"))
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p,
                                  ctypes.c_int]
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    setting = lib.crypt_gensalt(b"$y$", 0, None, 0)
    h = lib.crypt(password.encode(), setting) if setting else None
    if not h or not h.startswith(b"$y$"):
        raise RuntimeError("libcrypt cannot make a yescrypt hash")
    return "{CRYPT}" + h.decode()


def copy_maildir(src, dst, link=False):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    run(["cp", "-al" if link else "-a", src, dst])


# ---------------------------------------------------------------- peers

class Peer:
    name = "peer"

    def __init__(self, d):
        self.d = d
        self.ports = dict(PEER_PORTS)
        for k, p in self.ports.items():
            while not port_free(p):
                p += 1
            self.ports[k] = p
        self.subst = {"D": d, "SMTP_PORT": self.ports["smtp"], "IMAP_PORT": self.ports["imap"],
                      "POP3_PORT": self.ports["pop3"], "VUID": VUID}
        self.pf_conf = os.path.join(d, "postfix", "conf")
        self.dv_conf = os.path.join(d, "dovecot", "dovecot.conf")
        self.maildir = os.path.join(d, "mail", USER, "Maildir")
        self.smtp_maildir = os.path.join(d, "vmail", SINK, "Maildir")
        self.cold_cmd = "rm -f %s/dovecot.index*" % self.maildir
        self.user = USER
        self.sess_fmt = "sess%d"

    def setup(self, corpus, small):
        d = self.d
        # Postfix (only for the SMTP figures)
        for sub in ("conf", "queue", "data"):
            os.makedirs(os.path.join(d, "postfix", sub), exist_ok=True)
        for f in ("main.cf", "master.cf"):
            template(os.path.join(HERE, "peers", "postfix", f),
                     os.path.join(self.pf_conf, f), self.subst)
        with open(os.path.join(self.pf_conf, "vmailbox"), "w") as f:
            f.write("%s %s/Maildir/\n@bench.test %s/Maildir/\n" % (RCPT, SINK, SINK))
        os.makedirs(os.path.join(self.smtp_maildir, "new"), exist_ok=True)
        for sub in ("cur", "tmp"):
            os.makedirs(os.path.join(self.smtp_maildir, sub), exist_ok=True)
        chown_tree(os.path.join(d, "vmail"), VUID, VUID)
        pf_uid = int(subprocess.check_output(["id", "-u", "postfix"]))
        os.chown(os.path.join(d, "postfix", "data"), pf_uid, -1)
        if "smtp" in ONLY:
            run(["postfix", "-c", self.pf_conf, "check"])
            run(["postfix", "-c", self.pf_conf, "start"])
        # Dovecot
        os.makedirs(os.path.join(d, "dovecot"), exist_ok=True)
        template(os.path.join(HERE, "peers", "dovecot", "dovecot.conf"), self.dv_conf, self.subst)
        pw = password_hash(PASSWORD)
        with open(os.path.join(d, "dovecot", "users"), "w") as f:
            f.write("%s:%s:%d:%d::%s/mail/%s::\n" % (USER, pw, VUID, VUID, d, USER))
            for i in range(1, SESSIONS + 1):
                f.write("sess%d:%s:%d:%d::%s/mail/sess%d::\n" % (i, pw, VUID, VUID, d, i))
        if "imap" in ONLY or "pop3" in ONLY:
            copy_maildir(corpus, self.maildir)
        if SESSION_SVCS:
            for i in range(1, SESSIONS + 1):
                copy_maildir(small, os.path.join(d, "mail", "sess%d" % i, "Maildir"), link=True)
        os.makedirs(os.path.join(d, "mail"), exist_ok=True)
        chown_tree(os.path.join(d, "mail"), VUID, VUID)
        run(["dovecot", "-c", self.dv_conf])
        for k in ("smtp", "imap", "pop3"):
            if k == "smtp" and "smtp" not in ONLY:
                continue
            if not wait_port(self.ports[k]):
                raise RuntimeError("peer %s did not come up on port %d" % (k, self.ports[k]))
            for _ in range(50):         # the master writes its pid file after binding
                try:
                    pid = self.pid(k)
                    break
                except (OSError, ValueError, IndexError):
                    time.sleep(0.1)
            else:
                raise RuntimeError("peer %s: no master pid file" % k)
            check_owner(self.ports[k], pid, "peer " + k)

    def pid(self, service):
        if service == "smtp":
            path = os.path.join(self.d, "postfix", "queue", "pid", "master.pid")
        else:
            path = os.path.join(self.d, "dovecot", "run", "master.pid")
        with open(path) as f:
            return int(f.read().split()[0])

    def stop(self):
        """Stop both masters and wait until their process trees are gone (so
        that nothing writes into the temp dir while it is removed)."""
        pids = []
        for svc in ("smtp", "imap"):
            try:
                p = self.pid(svc)
                pids += proctree.tree(p)
            except (OSError, ValueError):
                pass
        subprocess.run(["postfix", "-c", self.pf_conf, "stop"], stderr=subprocess.DEVNULL)
        try:
            os.kill(self.pid("imap"), 15)
        except (OSError, ValueError):
            pass
        end = time.time() + 20
        while time.time() < end and any(os.path.exists("/proc/%d" % p) for p in pids):
            time.sleep(0.2)


# ---------------------------------------------------------------- postern

SERVICE_PROGRAMS = {
    # what each figure needs (daemon/postern_services.c service_defs, the queue)
    "smtp": ("postern", "postern-listen", "postern-tls", "postern-smtpd", "postern-queue",
             "postern-send", "postern-lspawn", "postern-rspawn", "postern-deliver"),
    "imap": ("postern", "postern-listen", "postern-tls", "postern-login",
             "postern-imap-login", "postern-checkpassword", "postern-imapd"),
    "pop3": ("postern", "postern-listen", "postern-tls", "postern-login",
             "postern-pop3-login", "postern-checkpassword", "postern-pop3d"),
}
POSTERN_DOMAIN = "bench.test"


class Postern:
    """A postern instance made with `postern init` / `postern user add` from
    copies of BINDIR's programs in a 0755 prefix under the temp dir (as root
    the service users must be able to exec them; mk/run-demo.sh does the same)."""
    name = "postern"

    def __init__(self, d, bindir):
        self.top = d
        self.d = os.path.join(d, "postern")
        self.bindir = bindir
        self.prefix = os.path.join(d, "postern-prefix")
        # port_base: the first of 26000, 26100, ... whose postern ports are all free
        # (another bench run may hold the previous one)
        self.port_base = POSTERN_PORT_BASE
        while not all(port_free(self.port_base + p) for p in (25, 110, 143, 465, 587, 993, 995)):
            self.port_base += 100
        self.ports = {"smtp": self.port_base + 25, "imap": self.port_base + 143,
                      "pop3": self.port_base + 110}
        self.available = {}
        self.missing = {}
        for svc, progs in SERVICE_PROGRAMS.items():
            miss = [p for p in progs if not os.access(os.path.join(bindir, p), os.X_OK)]
            if miss:
                self.missing[svc] = miss
            else:
                self.available[svc] = True
        self.proc = None
        self.user = "%s@%s" % (USER, POSTERN_DOMAIN)
        self.sess_fmt = "sess%%d@%s" % POSTERN_DOMAIN
        self.maildir = os.path.join(self.d, "mail", self.user, "Maildir")
        self.sink = "%s@%s" % (SINK, POSTERN_DOMAIN)
        self.smtp_maildir = os.path.join(self.d, "mail", self.sink, "Maildir")
        self.cold_cmd = "rm -f " + " ".join(os.path.join(self.maildir, g)
                                            for g in POSTERN_INDEX_GLOBS)
        self.error = None

    def cli(self, *args, stdin=None):
        return subprocess.run([os.path.join(self.prefix, "sbin", "postern")] + list(args),
                              input=stdin, text=True, check=True, capture_output=True)

    def install(self):
        libexec = os.path.join(self.prefix, "libexec", "postern")
        os.makedirs(libexec, exist_ok=True)
        os.makedirs(os.path.join(self.prefix, "sbin"), exist_ok=True)
        for root in (self.prefix, os.path.join(self.prefix, "sbin"),
                     os.path.join(self.prefix, "libexec"), libexec):
            os.chmod(root, 0o755)
        shutil.copy(os.path.join(self.bindir, "postern"), os.path.join(self.prefix, "sbin"))
        for n in os.listdir(self.bindir):
            if n.startswith("postern-"):
                shutil.copy(os.path.join(self.bindir, n), libexec)

    def setup(self, corpus, small):
        if not self.available:
            return
        try:
            self.install()
            self.cli("init", self.d, "--domain", POSTERN_DOMAIN)
            conf = os.path.join(self.d, "etc", "postern.conf")
            # ports, and the connection limits 200 idle sessions need (as for Dovecot)
            settings = {"port_base": self.port_base, "max_connections": 1000,
                        "max_connections_per_ip": 500}
            with open(conf) as f:
                lines = [l for l in f.read().splitlines()
                         if l.split("=")[0].strip() not in settings]
            lines += ["%s = %s" % kv for kv in settings.items()]
            with open(conf, "w") as f:
                f.write("\n".join(lines) + "\n")
            self.cli("user", "add", self.d, self.user, stdin=PASSWORD + "\n")
            self.cli("user", "add", self.d, self.sink, stdin=PASSWORD + "\n")
            nsess = SESSIONS if SESSION_SVCS else 0
            for i in range(1, nsess + 1):
                self.cli("user", "add", self.d, self.sess_fmt % i, stdin=PASSWORD + "\n")
            fill = [(self.user, corpus, False)] if "imap" in ONLY or "pop3" in ONLY else []
            for name, src, link in fill + [
                    (self.sess_fmt % i, small, True) for i in range(1, nsess + 1)]:
                home = os.path.join(self.d, "mail", name)
                st = os.stat(home)
                md = os.path.join(home, "Maildir")
                if os.path.isdir(md):
                    shutil.rmtree(md)
                copy_maildir(src, md, link=link)
                chown_tree(md, st.st_uid, st.st_gid)
            self.proc = subprocess.Popen([os.path.join(self.prefix, "sbin", "postern"), "run",
                                          self.d], stdout=subprocess.DEVNULL,
                                         stderr=open(os.path.join(self.top, "postern-run.log"),
                                                     "w"))
            for svc in list(self.available):
                if not wait_port(self.ports[svc]):
                    raise RuntimeError("postern %s not listening on %d" % (svc, self.ports[svc]))
                check_owner(self.ports[svc], self.proc.pid, "postern " + svc)
        except (subprocess.CalledProcessError, OSError, RuntimeError) as e:
            detail = getattr(e, "stderr", "") or ""
            self.error = ("%s %s" % (e, detail)).strip()[:300]
            log("postern setup failed:", self.error)
            self.available = {}

    def pid(self, service):
        return self.proc.pid

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# ---------------------------------------------------------------- figures

def clear_new(maildir):
    """Empty new/ and cur/ before an SMTP run by moving the files into a
    sibling directory, not by unlinking them: ext4 without a journal (this
    machine's disk) scans past every inode freed in the last minute or more
    on each inode allocation, so thousands of unlinks right before a run
    that creates a file per message would slow both sides' deliveries for
    a reason that is the harness's, not theirs.  The moved files go with
    the side's directory at the end."""
    keep = os.path.join(os.path.dirname(maildir.rstrip("/")), "bench-old")
    os.makedirs(keep, exist_ok=True)
    for sub in ("new", "cur"):
        for n in os.listdir(os.path.join(maildir, sub)):
            os.rename(os.path.join(maildir, sub, n), os.path.join(keep, sub + "." + n))


def failed(out, keys, why):
    """Record why figures failed (the table shows "failed", the report the why)."""
    for k in keys:
        out.setdefault("errors", {}).setdefault(k, str(why)[:200])


def smtp_once(side, conc, out):
    keys = ["smtp_accept_c%d" % conc, "smtp_e2e_c%d" % conc, "cpu_per_1000_c%d" % conc]
    try:
        clear_new(side.smtp_maildir)
        pid = side.pid("smtp")
        cpu0 = proctree.cpu_seconds(pid)
        r = subprocess.run(["bash", os.path.join(HERE, "smtp_bench.sh"), "127.0.0.1",
                            str(side.ports["smtp"]), str(conc), str(SMTP_MSGS), RCPT,
                            side.smtp_maildir], capture_output=True, text=True,
                           timeout=900)
        time.sleep(0.3)         # let the last delivery agents finish their bookkeeping
        cpu1 = proctree.cpu_seconds(pid)
        if r.returncode != 0:
            raise RuntimeError("smtp_bench: %s %s" % (r.stdout.strip(), r.stderr.strip()))
        kv = dict(x.split("=", 1) for x in r.stdout.split())
        vals = [float(kv["accept_rate"]), float(kv["e2e_rate"]),
                (cpu1 - cpu0) * 1000.0 / SMTP_MSGS]
    except (RuntimeError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
        failed(out, keys, e)
        return
    log("  %s c=%d: accept %.0f msg/s, end-to-end %.0f msg/s, CPU %.2f s per 1000"
        % (side.name, conc, vals[0], vals[1], vals[2]))
    for k, v in zip(keys, vals):
        out.setdefault(k, []).append(v)


def record(out, r, rate_key):
    """Figures from one client round: ms, or MB/s for rate_key; errors kept."""
    for k, v in r.items():
        if "error" in v:
            failed(out, [k], v["error"])
            continue
        for extra in ("hits", "exists", "messages"):
            if extra in v:
                out.setdefault("%s_%s" % (k, extra), []).append(v[extra])
        if k == rate_key:
            out.setdefault(k, []).append(v["bytes"] / v["s"] / 1e6)
        else:
            out.setdefault(k, []).append(v["s"] * 1000.0)


def imap_once(side, out):
    r = imap_bench.one_round("127.0.0.1", side.ports["imap"], side.user, PASSWORD,
                             side.cold_cmd, timeout=TIMEOUT)
    if "untagged" in r.get("fetch_env_bs", {}):
        out.setdefault("fetch_env_bs_n", []).append(r["fetch_env_bs"]["untagged"])
    record(out, r, "body_peek_all")


def pop3_once(side, out):
    record(out, pop3_bench.one_round("127.0.0.1", side.ports["pop3"], side.user, PASSWORD,
                                     timeout=TIMEOUT), "retr_all")


def sessions_once(side, svc, out):
    mod = imap_bench if svc == "imap" else pop3_bench
    try:
        m = mod.sessions_memory("127.0.0.1", side.ports[svc], side.sess_fmt, PASSWORD,
                                SESSIONS, side.pid(svc))
    except (imap_bench.ImapError, pop3_bench.PopError, OSError) as e:
        failed(out, [svc + "_pss", svc + "_uss"], "%s: %s" % (type(e).__name__, e))
        return
    out.setdefault(svc + "_pss", []).append(m["pss_kb"])
    out.setdefault(svc + "_uss", []).append(m["uss_kb"])


def fsync_ceiling(prog, d, threads, ceiling):
    """One 3-second run of the durable-write ceiling (once per round)."""
    # A directory of its own per run, kept until the bench directory goes:
    # removing thousands of files right before the SMTP runs would slow the
    # next inode allocations on ext4 without a journal (clear_new).
    n = 0
    while os.path.exists(os.path.join(d, "fsync%d" % n)):
        n += 1
    path = os.path.join(d, "fsync%d" % n)
    r = subprocess.run([prog, path, str(threads), "3"], capture_output=True, text=True,
                       check=True)
    ceiling.setdefault(threads, []).append(float(r.stdout.split()[0]))


ROWS = [
    # key, label, unit, format, higher_is_better, service
    ("smtp_accept_c1", "SMTP accept rate, concurrency 1", "msg/s", "%.0f", True, "smtp"),
    ("smtp_accept_c10", "SMTP accept rate, concurrency 10", "msg/s", "%.0f", True, "smtp"),
    ("smtp_accept_c50", "SMTP accept rate, concurrency 50", "msg/s", "%.0f", True, "smtp"),
    ("smtp_e2e_c1", "SMTP end-to-end into Maildir, conc. 1", "msg/s", "%.0f", True, "smtp"),
    ("smtp_e2e_c10", "SMTP end-to-end into Maildir, conc. 10", "msg/s", "%.0f", True, "smtp"),
    ("smtp_e2e_c50", "SMTP end-to-end into Maildir, conc. 50", "msg/s", "%.0f", True, "smtp"),
    ("cpu_per_1000_c1", "CPU per 1,000 msgs accepted+delivered, conc. 1", "s", "%.2f", False,
     "smtp"),
    ("cpu_per_1000_c10", "CPU per 1,000 msgs accepted+delivered, conc. 10", "s", "%.2f", False,
     "smtp"),
    ("cpu_per_1000_c50", "CPU per 1,000 msgs accepted+delivered, conc. 50", "s", "%.2f", False,
     "smtp"),
    ("login", "IMAP connect + LOGIN + LOGOUT", "ms", "%.2f", False, "imap"),
    ("select_cold", "IMAP SELECT, cold (index files removed)", "ms", "%.1f", False, "imap"),
    ("select_warm", "IMAP SELECT, warm", "ms", "%.1f", False, "imap"),
    ("uid_fetch_flags", "IMAP UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)", "ms",
     "%.1f", False, "imap"),
    ("fetch_env_bs_first", "IMAP FETCH 1:* (ENVELOPE BODYSTRUCTURE), first after cold",
     "ms", "%.0f", False, "imap"),
    ("fetch_env_bs", "IMAP FETCH 1:* (ENVELOPE BODYSTRUCTURE), again", "ms", "%.0f", False,
     "imap"),
    ("search_from", "IMAP UID SEARCH FROM", "ms", "%.1f", False, "imap"),
    ("search_text", "IMAP UID SEARCH TEXT (word in 1%)", "ms", "%.0f", False, "imap"),
    ("body_peek_all", "IMAP FETCH 1:* BODY.PEEK[]", "MB/s", "%.1f", True, "imap"),
    ("store_flags", "IMAP STORE 1:* +FLAGS (\\Flagged), on a copy", "ms", "%.0f", False,
     "imap"),
    ("login_stat", "POP3 connect + USER/PASS + STAT", "ms", "%.1f", False, "pop3"),
    ("uidl", "POP3 UIDL", "ms", "%.1f", False, "pop3"),
    ("retr_all", "POP3 RETR of every message (pipelined)", "MB/s", "%.1f", True, "pop3"),
    ("top_all", "POP3 TOP n 0 of every message (pipelined)", "ms", "%.0f", False, "pop3"),
    ("imap_pss", "IMAP idle session PSS (%d sessions)" % SESSIONS, "kB", "%.0f", False, "imap"),
    ("imap_uss", "IMAP idle session USS (%d sessions)" % SESSIONS, "kB", "%.0f", False, "imap"),
    ("pop3_pss", "POP3 idle session PSS (%d sessions)" % SESSIONS, "kB", "%.0f", False, "pop3"),
    ("pop3_uss", "POP3 idle session USS (%d sessions)" % SESSIONS, "kB", "%.0f", False, "pop3"),
]


def row_group(key, svc):
    """The BENCH_ONLY group a row belongs to."""
    return "sessions" if key.endswith(("_pss", "_uss")) else svc


def row_selected(key, svc):
    if row_group(key, svc) == "sessions":
        return svc in SESSION_SVCS
    return svc in ONLY


def invalid(res, side, key, svc):
    """Why a side's figure does not measure the generated mailbox, or None."""
    hits = (SCALE + 99) // 100
    checks = []
    if svc == "imap" and key not in ("login",) and not key.startswith("imap_"):
        checks.append(("select_warm_exists", SCALE))
    if key in ("search_from", "search_text"):
        checks.append((key + "_hits", hits))
    if svc == "pop3" and not key.startswith("pop3_"):
        checks.append(("login_stat_messages", SCALE))
    for ck, want in checks:
        got = res[side].get(ck)
        if got and any(g != want for g in got):
            return "%s %s, expected %d" % (ck, "/".join(str(g) for g in got), want)
    return None


def table(res, postern, ceiling):
    lines = ["| figure | postern | peer | ratio |", "| --- | ---: | ---: | ---: |"]
    notes = []
    for key, label, unit, fmt, hib, svc in ROWS:
        better = "higher" if hib else "lower"
        if not row_selected(key, svc):
            lines.append("| %s (%s, %s is better) | not run | not run | – |"
                         % (label, unit, better))
            continue
        peer = res["peer"].get(key)
        pv = res["postern"].get(key)
        ps = (fmt % statistics.median(peer)) if peer else "failed"
        if svc not in postern.available:
            qs, ratio = ("failed" if postern.error else "not yet"), "–"
        elif pv:
            qs = fmt % statistics.median(pv)
            r = statistics.median(pv) / statistics.median(peer) if peer else 0
            ratio = "%.2f" % r if peer else "–"
        else:
            qs, ratio = "failed", "–"
        for side in ("postern", "peer"):
            why = res[side].get("errors", {}).get(key)
            if why:
                notes.append("- %s, %s: %s" % (side, label, why))
            bad = invalid(res, side, key, svc) if res[side].get(key) else None
            if bad:
                notes.append("- %s, %s: NOT COMPARABLE (%s)" % (side, label, bad))
                if side == "postern":
                    qs, ratio = qs + " †", "†"
                else:
                    ps, ratio = ps + " †", "†"
        lines.append("| %s (%s, %s is better) | %s | %s | %s |" % (label, unit, better, qs, ps,
                                                                    ratio))
    if notes:
        lines += ["", "Figures that failed in at least one round (the first reason; a figure "
                  "with a number is the median of the rounds that worked), and figures "
                  "marked † that did not see the generated mailbox (wrong message count "
                  "or SEARCH hits), so they are no comparison:", ""] + notes
    checks = []
    for side in ("postern", "peer"):
        for k in ("select_cold_exists", "select_warm_exists", "fetch_env_bs_n",
                  "search_from_hits", "search_text_hits", "login_stat_messages"):
            if res[side].get(k):
                checks.append("%s %s %s" % (side, k, "/".join(str(x) for x in res[side][k])))
    if checks:
        lines += ["", "Sanity (per round; EXISTS, FETCH responses and POP3 STAT messages "
                  "expected: %d; SEARCH hits expected: 1%% of the messages = %d): %s"
                  % (SCALE, (SCALE + 99) // 100, "; ".join(checks))]
    def ceil(t):
        return "%.0f" % statistics.median(ceiling[t]) if ceiling.get(t) else "not run"
    lines += ["", "The disk's durable-write ceiling beside the SMTP figures (the physical limit "
              "for both sides: bench/fsync_ceiling.c, one operation = create + write 4 KB + "
              "fsync + rename into new/ + fsync of new/; median of one 3-second run per round):", "",
              "| threads | operations/s |", "| ---: | ---: |",
              "| 1 | %s |" % ceil(1), "| 8 | %s |" % ceil(8)]
    return "\n".join(lines)


def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    return "\n".join([
        "- kernel: %s %s" % (platform.system(), platform.release()),
        "- cores: %d (%s)" % (os.cpu_count(), cpu or "?"),
        "- memory: %s" % sh("free -m | awk '/^Mem:/ {print $2 \" MB\"}'"),
        "- disk (`lsblk -d -o NAME,SIZE,ROTA,TYPE`, `df -T` of the bench dir):",
        "",
        "```",
        sh("lsblk -d -o NAME,SIZE,ROTA,TYPE"),
        sh("df -hT %s" % os.environ.get("BENCH_TMP", "/var/tmp")),
        "```",
        "- (a virtio disk reports ROTA=1 whatever the host stores it on; the "
        "durable-write ceiling below is the figure that counts)",
        "- load at start (`uptime`): %s" % sh("uptime"),
        "- peers: %s; %s" % (sh("postconf -d -h mail_version | sed 's/^/Postfix /'"),
                             sh("dovecot --version | sed 's/^/Dovecot /'")),
    ])


def write_report(path, tbl, started, secs, postern, corpus_note, bindir, machine_note):
    with open(os.path.join(HERE, "peers", "postfix", "main.cf")) as f:
        main_cf = f.read()
    with open(os.path.join(HERE, "peers", "postfix", "master.cf")) as f:
        master_cf = f.read()
    with open(os.path.join(HERE, "peers", "dovecot", "dovecot.conf")) as f:
        dv = f.read()
    missing = "\n".join("- %s: missing %s" % (svc, ", ".join(m))
                        for svc, m in sorted(postern.missing.items())) or "- none"
    body = """# bench results (BENCH_SCALE={scale})

Made by `bash bench/run.sh BINDIR` (the recipe of `make bench`; it runs
`bench/bench.py`) with BINDIR `{bindir}`, started {started} UTC, took {secs:.0f} s.  Environment:
BENCH_SCALE={scale} BENCH_REPS={reps} BENCH_SMTP_MSGS={msgs} BENCH_SESSIONS={sess}
BENCH_ONLY={only} (client socket timeout {timeout:.0f} s).
Load at the end (`uptime`): {load_end}

Each figure is the median of {reps} runs; the runs are interleaved (round k
runs every figure on each side back to back before round k+1).  postern's
column reads "not yet" where the programs that figure needs do not exist yet,
and both columns read "not run" for the figure groups BENCH_ONLY left out:
a figure is only ever a measurement.  ratio = postern / peer (whether higher
or lower is better is in the figure's name).

## Machine

{machine}

Caveat: the machine is a shared 2-core VM; other builds and tests were
running during this run (see the load above), so absolute figures are noisy.
Ratios from one interleaved run are what the harness is for.

## Mailbox

{corpus}

## Results

{table}

postern programs missing (figures shown as "not yet"):
{missing}
{perr}

## How each figure is measured

- SMTP: `bench/smtp_bench.sh` runs Postfix's `smtp-source -s C -m {msgs} -l 4096`
  (one message per connection) to RCPT sink@bench.test, a mailbox of its own
  (not the one the IMAP/POP3 figures read).  Postfix keeps its
  defaults here too (in_flow_delay = 1s; the queue file is fsynced before 250).  Accept rate =
  messages / time until smtp-source has every 250 after DATA (the server has
  made the message durable in its queue).  End-to-end = messages / time until
  all of them are files in the Maildir's new/.  The Maildir is emptied before
  each run by moving its files aside, and each side's tree starts in a block
  group of its own (`chattr +T` on the bench directory): on ext4 without a
  journal an inode allocation scans past every inode of its group freed in
  the last minutes, so removals by the harness or by one side must not
  slow the other side's deliveries.  Each SMTP run's figures are in the
  bench's log (stderr).
- CPU per 1,000 messages: utime+stime (+cutime+cstime, i.e. children the tree
  reaped) of the server's whole process tree from /proc, before and after one
  SMTP run (accept and delivery), scaled to 1,000 messages.  For Postfix the
  tree of its master process.
- Disk ceiling: `bench/fsync_ceiling.c`, one 3 s run per round: create + write 4 KB +
  fsync + rename into new/ + fsync of new/ per operation; 1 and 8 threads.
- IMAP (`bench/imap_bench.py`, raw-socket client that skips literals by
  length): cold = the index files are removed before the first SELECT
  (Dovecot: `dovecot.index*`, its UID map dovecot-uidlist stays; postern:
  {pglobs}, its UID map postern-index stays); the first FETCH ENVELOPE
  BODYSTRUCTURE follows the cold SELECT in the same session (nothing cached),
  "again" runs after a warm SELECT in a new session.  LOGIN is the mean of 20
  connect+LOGIN+LOGOUT.  STORE runs on a copy (CREATE + COPY 1:* + SELECT,
  not timed) that is deleted afterwards.  BODY.PEEK[] MB/s counts every octet
  received.
- POP3 (`bench/pop3_bench.py`): login+STAT = connect + CAPA + USER/PASS +
  STAT, the median of 5 sessions of their own per round (a side's first,
  cold login, which sizes every message, is one of the first round's); then
  one session: login, STAT, UIDL, TOP n 0 for every message, RETR of every
  message (pipelined in windows of 64 when the server announces
  PIPELINING), RSET, QUIT (nothing deleted or marked).
- Passwords: both sides store `{{CRYPT}}` yescrypt hashes (libxcrypt's default
  cost; `postern user add` makes them, bench.py makes Dovecot's the same way),
  so LOGIN does the same hashing work on both.
- Memory: {sess} sessions (IMAP: LOGIN + SELECT INBOX; POP3: USER/PASS + STAT)
  held idle, each as its own user with a 100-message mailbox; PSS and USS
  (Private_Clean + Private_Dirty) from /proc/PID/smaps_rollup summed over the
  server's process tree, minus the same sum with no session, divided by {sess}.

## Peer configuration (bench/peers/, @D@ = the temp dir)

bench/peers/postfix/main.cf:

```
{main_cf}```

bench/peers/postfix/master.cf:

```
{master_cf}```

bench/peers/dovecot/dovecot.conf:

```
{dv}```
""".format(scale=SCALE, only=",".join(ONLY), timeout=TIMEOUT, started=started, secs=secs, reps=REPS, msgs=SMTP_MSGS, sess=SESSIONS,
           machine=machine_note, corpus=corpus_note, bindir=bindir,
           load_end=subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), table=tbl, missing=missing,
           perr=("\npostern setup failed: " + postern.error) if postern.error else "",
           pglobs=", ".join("`%s`" % g for g in POSTERN_INDEX_GLOBS), main_cf=main_cf,
           master_cf=master_cf, dv=dv)
    with open(path, "w") as f:
        f.write(body)


def generate(d):
    """The generated mailbox: (its directory, gen_mail.py's summary line).
    Made in the temp dir, or with BENCH_CORPUS kept in BENCH_CORPUS/<seed>-<scale>
    (summary beside it in <seed>-<scale>.txt) and reused by later runs (100,000
    messages take long to generate on a busy machine)."""
    keep = os.environ.get("BENCH_CORPUS")
    if keep:
        name = "%d-%d" % (SEED, SCALE)
        corpus = os.path.join(keep, name)
        stamp = corpus + ".txt"
        if os.path.isdir(corpus) and os.path.exists(stamp):
            with open(stamp) as f:
                summary = f.read().strip()
            log("reusing the generated mailbox", corpus)
            return corpus, summary
        os.makedirs(keep, exist_ok=True)
        build = os.path.join(keep, "tmp-" + name)
        shutil.rmtree(build, ignore_errors=True)
    else:
        corpus = build = os.path.join(d, "corpus")
    log("generating %d messages" % SCALE)
    g = subprocess.run([sys.executable, os.path.join(HERE, "gen_mail.py"), "--seed", str(SEED),
                        "--count", str(SCALE), build], check=True, capture_output=True,
                       text=True)
    summary = g.stdout.strip()
    if keep:
        shutil.rmtree(corpus, ignore_errors=True)
        os.rename(build, corpus)
        with open(stamp, "w") as f:
            f.write(summary + "\n")
    return corpus, summary


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    bindir, fsync_prog = sys.argv[1], sys.argv[2]
    started = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M")
    machine_note = machine()
    t_start = time.time()
    # a partial run never overwrites the full run's file by default
    partial = "" if set(ONLY) == set(GROUPS) else "-" + "+".join(ONLY)
    out = os.environ.get("BENCH_OUT") or os.path.join(
        HERE, "RESULTS.md" if SCALE == 10000 and not partial
        else "RESULTS-%d%s.md" % (SCALE, partial))
    d = tempfile.mkdtemp(prefix="postern-bench.", dir=os.environ.get("BENCH_TMP", "/var/tmp"))
    os.chmod(d, 0o755)
    # Each directory made in d (each side's tree, each disk-ceiling run) starts
    # in a block group of its own (ext4's Orlov allocator treats d as the top
    # of a hierarchy): one side's deleted inodes never slow the other side's
    # inode allocations (clear_new).  Not fatal where chattr cannot set it.
    subprocess.run(["chattr", "+T", d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peer = Peer(d)
    postern = Postern(d, bindir)
    sides = [peer, postern]
    try:
        corpus, gen_out = generate(d)
        small = os.path.join(d, "small")
        corpus_note = gen_out + " (seed %d, `bench/gen_mail.py`)." % SEED
        subprocess.run([sys.executable, os.path.join(HERE, "gen_mail.py"), "--seed", "7",
                        "--count", "100", small], check=True, capture_output=True)
        log(corpus_note)
        log("starting peer instances in", d)
        peer.setup(corpus, small)
        log("postern: available %s, missing %s" % (sorted(postern.available),
                                                     sorted(postern.missing)))
        postern.setup(corpus, small)
        res = {"peer": {}, "postern": {}}
        ceiling = {}
        log("figure groups: %s; client timeout %.0f s" % (",".join(ONLY), TIMEOUT))
        for rep in range(REPS):
            if "ceiling" in ONLY:
                log("round %d disk ceiling" % (rep + 1))
                fsync_ceiling(fsync_prog, d, 1, ceiling)
                fsync_ceiling(fsync_prog, d, 8, ceiling)
            order = sides if rep % 2 == 0 else sides[::-1]
            for conc in (CONCURRENCY if "smtp" in ONLY else ()):
                for side in order:
                    if side is peer or "smtp" in postern.available:
                        log("round %d smtp c=%d %s" % (rep + 1, conc, side.name))
                        smtp_once(side, conc, res[side.name])
            for side in (order if "imap" in ONLY else ()):
                if side is peer or "imap" in postern.available:
                    log("round %d imap %s" % (rep + 1, side.name))
                    imap_once(side, res[side.name])
            for side in (order if "pop3" in ONLY else ()):
                if side is peer or "pop3" in postern.available:
                    log("round %d pop3 %s" % (rep + 1, side.name))
                    pop3_once(side, res[side.name])
        for side in sides:
            for svc in SESSION_SVCS:
                if side is peer or svc in postern.available:
                    log("sessions %s %s" % (svc, side.name))
                    sessions_once(side, svc, res[side.name])
        tbl = table(res, postern, ceiling)
        print(tbl)
        with open(os.path.join(d, "raw.json"), "w") as f:
            json.dump(res, f, indent=1)
        write_report(out, tbl, started, time.time() - t_start, postern, corpus_note,
                     os.path.relpath(bindir, os.path.dirname(HERE)), machine_note)
        log("wrote", out)
    finally:
        for side in sides:
            side.stop()
        if os.environ.get("BENCH_KEEP") == "1":
            log("kept", d)
        else:
            for _ in range(3):
                shutil.rmtree(d, ignore_errors=True)
                if not os.path.exists(d):
                    break
                time.sleep(2)


if __name__ == "__main__":
    main()
