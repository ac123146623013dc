#!/usr/bin/env python3
"""crashtest.py: crash safety of the queue and delivery path.

Messages flow into an instance through postern-queue while a killer
SIGKILLs, at random moments, the programs of the path: postern-queue (the
injectors), postern-send, postern-lspawn, postern-rspawn, postern-deliver
and postern-remote (each message also has a remote recipient, relayed
through a static route to a Python SMTP sink that pauses before its final
reply, so postern-remote is killed mid-transaction).  The queue service (send + lspawn + rspawn) is wired here
exactly as daemon/postern_queue.c wires it (UNIX socketpairs: spawners on
fds 0/1, send with lspawn on fd 3 and rspawn on fd 4) but restarted at once
when one of them dies, so that hundreds of kills fit in minutes (the
supervisor backs off).  Only processes of this test are killed.

At the end every acknowledged message (postern-queue exit 0 with an id)
must be in every recipient's Maildir at least once, and taken by the sink
at least once, and no file in new/ nor message at the sink may be partial.

    crashtest.py [--messages N] [--kills K] [--min-per-program M] [--seed S]

Also imported by the integration tests (QueueService, inject, helpers)."""
import argparse, fcntl, os, random, shutil, signal, smtplib, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def _standalone_prefix():
    """`make crashtest`: no install yet.  Build the fixtures and install into
    a temporary 0755 prefix, as tests/run_all.py does."""
    build = os.environ.get("BUILD", "build")
    subprocess.run(["make", "--no-print-directory", "-C", ROOT, "NODEPS=1", "BUILD=" + build, "tests"],
                   check=True, stdout=subprocess.DEVNULL)
    prefix = tempfile.mkdtemp(prefix="postern-prefix-")
    os.chmod(prefix, 0o755)
    subprocess.run(["make", "--no-print-directory", "-C", ROOT, "NODEPS=1", "BUILD=" + build,
                    "PREFIX=" + prefix, "install"], check=True, stdout=subprocess.DEVNULL)
    os.environ["POSTERN_PREFIX"] = prefix
    os.environ["POSTERN_BUILD"] = build if os.path.isabs(build) else os.path.join(ROOT, build)
    return prefix


_PREFIX_MADE = _standalone_prefix() if __name__ == "__main__" and not os.environ.get("POSTERN_PREFIX") else None
from postern_instance import (LIBEXEC, IS_ROOT, Supervisor, make_instance, make_tmpdir,  # noqa: E402
                              descendants, wait_port)

BUILD = os.environ.get("POSTERN_BUILD", "build")
ENVTOOL = os.path.join(BUILD, "fixtures", "postern-test-envtool")
PROGRAMS = ("postern-smtpd", "postern-queue", "postern-send", "postern-lspawn", "postern-rspawn",
            "postern-deliver", "postern-remote")
REMOTE_RCPT = "far@remote.test"


def envelope(sender, rcpts):
    """Envelope file bytes (common/envelope.h) through the test fixture."""
    return subprocess.run([ENVTOOL, "write", sender] + list(rcpts), check=True,
                          capture_output=True).stdout


class Injector:
    """Runs postern-queue: message on fd 0, envelope on fd 1, id on fd 3."""

    def __init__(self, inst, libexec=LIBEXEC):
        self.inst = inst
        self.program = os.path.join(libexec, "postern-queue")
        self.live = set()
        self.lock = threading.Lock()

    def inject(self, sender, rcpts, message, env_bytes=None, timeout=60):
        """(exit status, queue id or None)."""
        if env_bytes is None:
            env_bytes = envelope(sender, rcpts)
        with tempfile.TemporaryFile() as mf, tempfile.TemporaryFile() as ef:
            mf.write(message if isinstance(message, bytes) else message.encode())
            mf.seek(0)
            ef.write(env_bytes)
            ef.seek(0)
            r, w = os.pipe()

            # fd 3 through the shell, not preexec_fn (which can deadlock
            # in a threaded parent)
            hi = fcntl.fcntl(w, fcntl.F_DUPFD_CLOEXEC, 10)   # never 3 itself
            os.close(w)
            w = hi
            p = subprocess.Popen(["/bin/bash", "-c", 'exec "$0" 3>&%d %d>&-' % (w, w), self.program],
                                 stdin=mf, stdout=ef, pass_fds=(w,), stderr=subprocess.DEVNULL,
                                 env=dict(os.environ, POSTERN_CONF=self.inst.conf))
            with self.lock:
                self.live.add(p.pid)
            os.close(w)
            out = b""
            try:
                while True:
                    b = os.read(r, 256)
                    if not b:
                        break
                    out += b
                st = p.wait(timeout)
            finally:
                os.close(r)
                with self.lock:
                    self.live.discard(p.pid)
            qid = out.decode().strip() or None
            return st, (qid if st == 0 else None)


class QueueService:
    """postern-send + postern-lspawn + postern-rspawn joined by socketpairs;
    restarted together at once when one exits."""

    def __init__(self, inst, libexec=LIBEXEC, logfile=None):
        self.inst, self.libexec = inst, libexec
        self.log = open(logfile or os.devnull, "ab")
        self.procs = {}
        self.stopping = False
        self.restarts = 0
        self.lock = threading.Lock()
        self.thread = None

    def _env(self):
        return dict(os.environ, POSTERN_CONF=self.inst.conf, POSTERN_LOG_STDERR="1",
                    POSTERN_LSPAWN_FD="3", POSTERN_RSPAWN_FD="4")

    def _start_all(self):
        ls = socket.socketpair()
        rs = socket.socketpair()
        env = self._env()
        procs = {}
        for name, s in (("postern-lspawn", ls[1]), ("postern-rspawn", rs[1])):
            procs[name] = subprocess.Popen([os.path.join(self.libexec, name)], stdin=s.fileno(),
                                           stdout=s.fileno(), stderr=self.log, env=env)
        a = fcntl.fcntl(ls[0].fileno(), fcntl.F_DUPFD_CLOEXEC, 10)
        b = fcntl.fcntl(rs[0].fileno(), fcntl.F_DUPFD_CLOEXEC, 10)

        procs["postern-send"] = subprocess.Popen(
            ["/bin/bash", "-c", 'exec "$0" 3<&%d 4<&%d %d<&- %d<&-' % (a, b, a, b),
             os.path.join(self.libexec, "postern-send")],
            pass_fds=(a, b), stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=env)
        for s in ls + rs:
            s.close()
        os.close(a)
        os.close(b)
        with self.lock:
            self.procs = procs

    def _watch(self):
        while not self.stopping:
            with self.lock:
                procs = dict(self.procs)
            if any(p.poll() is not None for p in procs.values()):
                for p in procs.values():
                    if p.poll() is None:
                        p.kill()
                for p in procs.values():
                    p.wait()
                if self.stopping:
                    break
                self.restarts += 1
                self._start_all()
            time.sleep(0.02)

    def start(self):
        self._start_all()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def pids(self):
        """{program: [pid...]} of the live processes of the service."""
        out = {}
        with self.lock:
            procs = dict(self.procs)
        for name, p in procs.items():
            if p.poll() is None:
                out.setdefault(name, []).append(p.pid)
                if name in ("postern-lspawn", "postern-rspawn"):
                    for d in children_tree(p.pid):
                        n = comm(d)
                        if n in PROGRAMS or n == "postern-remote":
                            out.setdefault(n, []).append(d)
        return out

    def stop(self):
        self.stopping = True
        if self.thread:
            self.thread.join(5)
        with self.lock:
            procs = dict(self.procs)
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        for p in procs.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.log.close()


def children_tree(pid):
    """Descendants through /proc/PID/task/PID/children (cheap, so that
    processes living for milliseconds can be caught)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            continue
        out.extend(kids)
        todo.extend(kids)
    return out


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def queue_files(inst):
    n = 0
    for sub in ("todo", "env"):
        try:
            n += len(os.listdir(os.path.join(inst.queue, sub)))
        except FileNotFoundError:
            pass
    return n


def wait_queue_empty(inst, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if queue_files(inst) == 0:
            return True
        time.sleep(0.1)
    return False


def maildir_messages(maildir, folder=""):
    """[(name, bytes)] of the messages in new/ and cur/."""
    out = []
    base = os.path.join(maildir, folder) if folder else maildir
    for sub in ("new", "cur"):
        d = os.path.join(base, sub)
        try:
            names = sorted(os.listdir(d))
        except FileNotFoundError:
            continue
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                out.append((n, f.read()))
    return out


def short_schedule(inst, schedule="1s 1s 2s", lifetime=None):
    inst.set_config("queue_retry_schedule", schedule)
    if lifetime:
        inst.set_config("queue_lifetime", lifetime)


def run(messages=2000, kills=500, min_per_program=50, seed=None, rcpts_per_message=2,
        verbose=True, time_limit=900):
    seed = seed if seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    if verbose:
        print("crashtest seed=%d messages=%d kills>=%d per-program>=%d" % (
            seed, messages, kills, min_per_program), flush=True)
    tmp = make_tmpdir("postern-crash-")
    users = {"u%d@example.test" % i: "pw-%d" % i for i in range(rcpts_per_message)}
    inst = make_instance(tmp, users=users)
    short_schedule(inst, "1s")
    # the remote recipient: a static route to a sink on loopback (no DNS)
    from remote_util import SMTPSink
    sink = SMTPSink()
    sink.data_delay = 0.03
    with open(os.path.join(inst.etc, "routes"), "w") as f:
        f.write("remote.test [127.0.0.1]:%d\n" % sink.port)
    with open(os.path.join(inst.etc, "relaynets"), "w") as f:
        f.write("127.0.0.0/8\n")
    for k, v in (("resolver_address", "127.0.0.1"), ("resolver_port", "9"),
                 ("remote_greeting_timeout", "10s"), ("remote_command_timeout", "10s"),
                 ("remote_data_timeout", "10s"), ("remote_done_timeout", "10s")):
        inst.set_config(k, v)
    # rule files with a short pause before (u0) and after (u1) the Maildir
    # write, so that postern-deliver lives long enough to be killed at
    # either side of it
    for i, rules in enumerate(("|sleep 0.03\n./Maildir/\n", "./Maildir/\n|sleep 0.03\n")):
        if i < rcpts_per_message:
            p = os.path.join(inst.mail, "u%d@example.test" % i, ".postern")
            with open(p, "w") as f:
                f.write(rules)
            os.chmod(p, 0o644)
    # postern run for the SMTP listener only: its programs directory lacks
    # the queue programs, so its queue service does not start (the one
    # here does, restarted at once)
    lib = os.path.join(tmp, "libexec")
    os.mkdir(lib)
    os.chmod(lib, 0o755)
    for n in os.listdir(LIBEXEC):
        if n not in ("postern-send", "postern-lspawn", "postern-rspawn"):
            os.symlink(os.path.join(LIBEXEC, n), os.path.join(lib, n))
    sup = Supervisor(inst, env={"POSTERN_LIBEXEC": lib})
    if not wait_port(inst.ports["smtp"], 20):
        raise RuntimeError("no SMTP listener:\n" + sup.text()[-2000:])
    svc = QueueService(inst, logfile=os.path.join(tmp, "queue.log"))
    inj = Injector(inst)
    rcpts = sorted(users) + [REMOTE_RCPT]
    env_bytes = envelope("sender@example.org", rcpts)
    acked = {}
    counts = {p: 0 for p in PROGRAMS}
    stop_kill = threading.Event()
    injected = [0]
    lock = threading.Lock()

    def body(n):
        filler = ("line %d of crash message %d, some padding to make it bigger\n" % (0, n)) * 40
        return ("From: crash@example.org\nSubject: crash %d\nX-Crash-Id: %d\n\n%sEND-OF-MESSAGE %d\n"
                % (n, n, filler, n)).encode()

    def injector_loop(wid, nworkers):
        n = wid
        while True:
            with lock:
                total_kills = sum(counts.values())
                enough_kills = total_kills >= kills and all(
                    counts[p] >= min_per_program for p in PROGRAMS)
                if injected[0] >= messages and (enough_kills or time.time() > t_end
                                                or injected[0] >= 10 * messages):
                    return
                injected[0] += 1
            # keep the backlog small, so that a restarted postern-send
            # recovers quickly and the queue drains at the end
            while queue_files(inst) > 100 and time.time() < t_end:
                time.sleep(0.05)
            if n % 2:
                st, qid = inj.inject("sender@example.org", rcpts, body(n), env_bytes=env_bytes)
            else:
                # through postern-smtpd: acknowledged by the 250 to DATA
                st, qid = 1, None
                try:
                    s = smtplib.SMTP("127.0.0.1", inst.ports["smtp"], timeout=30)
                    s.sendmail("sender@example.org", rcpts, body(n).replace(b"\n", b"\r\n"))
                    st, qid = 0, "smtp"
                    s.quit()
                except (smtplib.SMTPException, OSError):
                    pass
            if st == 0 and qid:
                with lock:
                    acked[n] = qid
            n += nworkers

    def killer():
        while not stop_kill.is_set():
            live = svc.pids()
            for d in children_tree(sup.proc.pid):
                c = comm(d)
                if c in ("postern-smtpd", "postern-queue"):
                    live.setdefault(c, []).append(d)
            with inj.lock:
                if inj.live:
                    live.setdefault("postern-queue", []).extend(inj.live)
            cands = [p for p in PROGRAMS if live.get(p)]
            with lock:
                missing_now = [p for p in PROGRAMS if counts[p] < min_per_program and p not in cands]
            # a program still short of kills but not running right now
            # (postern-deliver lives for milliseconds): mostly wait for it
            if missing_now and rng.random() < 0.5:
                time.sleep(0.001)
                continue
            if cands:
                with lock:
                    lacking = [p for p in cands if counts[p] < min_per_program]
                prog = rng.choice(lacking) if lacking and rng.random() < 0.7 else rng.choice(cands)
                pid = rng.choice(live[prog])
                try:
                    os.kill(pid, signal.SIGKILL)
                    with lock:
                        counts[prog] += 1
                except ProcessLookupError:
                    pass
                # the long-lived trio: let it get going again between kills
                time.sleep(rng.uniform(0.02, 0.1) if prog in ("postern-send", "postern-lspawn",
                                                              "postern-rspawn") else rng.uniform(0.002, 0.03))
                # once the kill targets are met, kills go on at a slower
                # pace: the queue (with its remote deliveries, slower than
                # local ones) must be able to drain so that the injectors
                # finish, instead of waiting for the time limit
                with lock:
                    met = sum(counts.values()) >= kills and all(
                        counts[p] >= min_per_program for p in PROGRAMS)
                if met:
                    time.sleep(rng.uniform(0.2, 0.5))
            else:
                time.sleep(0.002)

    t_end = time.time() + time_limit
    svc.start()
    kt = threading.Thread(target=killer, daemon=True)
    kt.start()
    workers = [threading.Thread(target=injector_loop, args=(i, 4)) for i in range(4)]
    t0 = time.time()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop_kill.set()
    kt.join()
    flowed = time.time() - t0
    empty = wait_queue_empty(inst, 120)
    svc.stop()
    sup.stop()
    # check the Maildirs
    missing, partial, dups = 0, 0, 0
    for u in sorted(users):
        seen = {}
        for name, data in maildir_messages(inst.maildir(u)):
            try:
                hdr = data.split(b"\n\n", 1)[0]
                cid = int([l for l in hdr.split(b"\n") if l.startswith(b"X-Crash-Id: ")][0][12:])
            except (IndexError, ValueError):
                partial += 1
                continue
            if not data.endswith(b"END-OF-MESSAGE %d\n" % cid) or data.count(b"\n") < 40:
                partial += 1
                continue
            seen[cid] = seen.get(cid, 0) + 1
        missing += sum(1 for n in acked if n not in seen)
        dups += sum(c - 1 for c in seen.values() if c > 1)
    # the remote recipient: what the sink took (recorded only after the
    # final dot, so a killed transaction leaves nothing)
    sink.close()
    seen = {}
    with sink.lock:
        taken = list(sink.transactions)
    for tr in taken:
        data = tr["data"].replace(b"\r\n", b"\n")
        try:
            hdr = data.split(b"\n\n", 1)[0]
            cid = int([l for l in hdr.split(b"\n") if l.startswith(b"X-Crash-Id: ")][0][12:])
        except (IndexError, ValueError):
            partial += 1
            continue
        if not data.endswith(b"END-OF-MESSAGE %d\n" % cid) or data.count(b"\n") < 40:
            partial += 1
            continue
        seen[cid] = seen.get(cid, 0) + 1
    remote_missing = sum(1 for n in acked if n not in seen)
    missing += remote_missing
    dups += sum(c - 1 for c in seen.values() if c > 1)
    result = {"seed": seed, "injected": injected[0], "acknowledged": len(acked),
              "kills": sum(counts.values()), "per_program": counts, "restarts": svc.restarts,
              "missing": missing, "remote_missing": remote_missing, "partial": partial,
              "duplicates": dups,
              "queue_empty": empty, "seconds": round(flowed, 1)}
    if verbose:
        print("crashtest " + " ".join("%s=%s" % kv for kv in result.items()), flush=True)
    if missing or partial or not empty:
        print("kept for inspection: " + tmp, flush=True)
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=500)
    ap.add_argument("--min-per-program", type=int, default=50)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--full", action="store_true", help="the full run (the defaults)")
    a = ap.parse_args()
    r = run(a.messages, a.kills, a.min_per_program, a.seed)
    ok = (not r["missing"] and not r["partial"] and r["queue_empty"] and r["kills"] >= a.kills
          and all(v >= a.min_per_program for v in r["per_program"].values()))
    print("crashtest %s" % ("PASSED" if ok else "FAILED"))
    if _PREFIX_MADE:
        shutil.rmtree(_PREFIX_MADE, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
