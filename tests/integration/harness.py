"""harness.py: shared helpers for integration tests of the daemon programs.

free_port(), a temp dir every service user can traverse, a self-signed
test certificate (certtool), Chain: start a postern-listen chain and wait
for its port, read its log, stop it; /proc readers for the privilege
checks (Uid/Gid/Groups/CapEff/NoNewPrivs and the root directory) and the
descendants of a process.  Programs come from the install in
$POSTERN_PREFIX; test-only fixtures from $POSTERN_BUILD/fixtures (copied
into a 0755 directory so service users can exec them)."""
import atexit, os, pwd, select, shutil, signal, socket, subprocess, tempfile, time

SRCDIR = os.environ.get("POSTERN_SRCDIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PREFIX = os.environ.get("POSTERN_PREFIX", "")
BUILD = os.environ.get("POSTERN_BUILD", os.path.join(SRCDIR, "build"))
LIBEXEC = os.path.join(PREFIX, "libexec", "postern")
IS_ROOT = os.geteuid() == 0
TEST_USER = "pthf-post"      # post-auth uid in the privilege tests (root only)


def prog(name):
    """Path of an installed program."""
    for d in ("libexec/postern", "sbin", "bin"):
        p = os.path.join(PREFIX, d, name)
        if os.path.exists(p):
            return p
    raise AssertionError("%s not installed in %s" % (name, PREFIX))


def tmpdir(name="postern-hf-"):
    """A temporary directory (0755), removed when the test process ends."""
    d = tempfile.mkdtemp(prefix=name)
    os.chmod(d, 0o755)
    atexit.register(shutil.rmtree, d, True)
    return d


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


_fixtures = {}


def fixture(name, d):
    """A test fixture program copied into directory d (0755)."""
    if name in _fixtures and os.path.dirname(_fixtures[name]) == d:
        return _fixtures[name]
    src = os.path.join(BUILD, "fixtures", name)
    if not os.path.exists(src):
        src = os.path.join(SRCDIR, "tests", "fixtures", name)
    dst = os.path.join(d, name)
    shutil.copy(src, dst)
    os.chmod(dst, 0o755)
    _fixtures[name] = dst
    return dst


def make_cert(d, cn="localhost"):
    """Self-signed certificate and key in d; returns (cert, key)."""
    key, cert, tmpl = (os.path.join(d, n) for n in ("key.pem", "cert.pem", "cert.tmpl"))
    with open(tmpl, "w") as f:
        f.write("cn = %s\ndns_name = %s\nip_address = 127.0.0.1\ntls_www_server\n"
                "expiration_days = 30\nserial = 1\n" % (cn, cn))
    subprocess.run(["certtool", "--generate-privkey", "--key-type=ecdsa", "--outfile", key],
                   check=True, capture_output=True)
    subprocess.run(["certtool", "--generate-self-signed", "--load-privkey", key,
                    "--template", tmpl, "--outfile", cert], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def empty_dir(d):
    """An empty 0755 directory for chroots (root-owned when root)."""
    e = os.path.join(d, "empty")
    os.makedirs(e, exist_ok=True)
    os.chmod(e, 0o755)
    return e


def service_user():
    """The unprivileged user for tls/pre-auth in chains run as root."""
    return "nobody"


def ensure_test_user(name=TEST_USER):
    """Create a system user once (root only); returns its uid."""
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        "--user-group", name], capture_output=True)
        return pwd.getpwnam(name).pw_uid


def wait_port(port, host="127.0.0.1", timeout=10.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    deadline = time.time() + timeout
    while time.time() < deadline:
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.connect((host, port))
            s.close()
            return True
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    raise AssertionError("port %s:%d not listening" % (host, port))


class Chain:
    """A postern-listen process (or any command) with its log in a file."""

    def __init__(self, argv, d, env=None, port=None, host="127.0.0.1", wait=True, pass_fds=()):
        self.log_path = os.path.join(d, "chain-%d.log" % time.monotonic_ns())
        e = dict(os.environ, POSTERN_LOG_STDERR="1")
        if env:
            e.update(env)
        self.logf = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.logf, stderr=self.logf,
                                     env=e, pass_fds=pass_fds)
        self.port, self.host = port, host
        if wait and port:
            try:
                self.wait_log("event=listen", 10)
            except AssertionError:
                self.stop()
                raise

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, text, timeout=10.0, count=1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.log().count(text) >= count:
                return True
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("no %r in log:\n%s" % (text, self.log()))

    def connect(self, timeout=10.0, host=None):
        h = host or self.host
        fam = socket.AF_INET6 if ":" in h else socket.AF_INET
        return socket.create_connection((h, self.port), timeout=timeout) if fam == socket.AF_INET else \
            _connect6(h, self.port, timeout)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        return self.proc.returncode


def _connect6(host, port, timeout):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, port))
    return s


class Lines:
    """Line reader over a socket with a deadline."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self, timeout=10.0):
        deadline = time.time() + timeout
        while b"\n" not in self.buf:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                raise AssertionError("timeout waiting for a line; have %r" % self.buf)
            if not chunk:
                out, self.buf = self.buf, b""
                return out.decode("latin-1")
            self.buf += chunk
        i = self.buf.index(b"\n")
        out, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return out.decode("latin-1").rstrip("\r\n")

    def until(self, prefix, timeout=10.0):
        """Lines up to and including the first starting with prefix."""
        got = []
        deadline = time.time() + timeout
        while True:
            l = self.line(max(0.01, deadline - time.time()))
            got.append(l)
            if l.startswith(prefix):
                return got
            if l == "" and not self.buf:
                raise AssertionError("EOF before %r; got %r" % (prefix, got))

    def env(self, timeout=10.0):
        """Read the fixture's ENV lines up to READY into a dict."""
        env = {}
        for l in self.until("READY", timeout):
            if l.startswith("ENV ") and "=" in l:
                k, v = l[4:].split("=", 1)
                env[k] = v
            elif l.startswith("TLS "):
                env["TLS"] = l[4:]
        return env


def eof(sock, timeout=5.0):
    """True if the peer closes within timeout (data before EOF is ignored)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        sock.settimeout(max(0.01, deadline - time.time()))
        try:
            if not sock.recv(4096):
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
    return False


def read_to_eof(fd, timeout=30.0):
    """What a descriptor (a pipe) gives until its end, waiting at most
    timeout in all; None when the end did not come in time."""
    deadline = time.time() + timeout
    out = b""
    while True:
        left = deadline - time.time()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        b = os.read(fd, 4096)
        if not b:
            return out
        out += b


# --- /proc ---

def proc_status(pid):
    """Uid, Gid (real/effective/saved/fs lists of ints), Groups (list),
    CapEff (int), NoNewPrivs (int) of a process."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            v = v.strip()
            if k in ("Uid", "Gid"):
                out[k] = [int(x) for x in v.split()]
            elif k == "Groups":
                out[k] = [int(x) for x in v.split()]
            elif k == "CapEff":
                out[k] = int(v, 16)
            elif k == "NoNewPrivs":
                out[k] = int(v)
            elif k == "Name":
                out[k] = v
            elif k == "PPid":
                out[k] = int(v)
    return out


def proc_root(pid):
    """The root directory of a process ("/" unless chrooted)."""
    return os.readlink("/proc/%d/root" % pid)


def proc_exe_name(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return os.path.basename(f.read().split(b"\0")[0].decode("latin-1"))
    except OSError:
        return ""


def gone(pid):
    """The process has exited (absent or a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        return st[st.rindex(")") + 2] == "Z"
    except OSError:
        return True


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            ppid = int(st[st.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            continue
        if ppid == pid:
            out.append(int(d))
    return sorted(out)


def parent(pid):
    """The parent of pid (0 once it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        return int(st[st.rindex(")") + 2:].split()[1])
    except (OSError, ValueError):
        return 0


def socket_inodes(pid, fds=None):
    """The sockets ("socket:[INODE]") among pid's descriptors, or among
    the descriptors numbered in fds."""
    out = set()
    try:
        names = os.listdir("/proc/%d/fd" % pid) if fds is None else [str(f) for f in fds]
    except OSError:
        return out
    for fd in names:
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:"):
            out.add(t)
    return out


def pgid(pid):
    """The process group of pid (0 once it is gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        return int(st[st.rindex(")") + 2:].split()[2])
    except (OSError, ValueError):
        return 0


def prepared(pid):
    """pid is a program postern-listen -P started ahead, still waiting for
    its connection."""
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            env = f.read().split(b"\0")
        return (any(v.startswith(b"POSTERN_PREPARED_FD=") for v in env) and
                os.readlink("/proc/%d/fd/0" % pid) == "/dev/null" and not gone(pid))
    except OSError:
        return False


def listen_sessions(listener):
    """postern-listen's live sessions: {group: [its live children of the
    listener, the group's leader first]}.  A session is the process group
    of the program listen started; with -R, postern-tls started on request
    joins that group as another child of the listener.  A program started
    ahead (-P: /dev/null on fd 0 until its connection comes) is not a
    session yet."""
    out = {}
    for c in children(listener):
        g = pgid(c)
        if g == c and prepared(c):
            continue
        if g and not gone(c):
            out.setdefault(g, []).append(c)
    for g in out:
        out[g].sort(key=lambda p: p != g)
    return out


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children(p):
            out.append(c)
            todo.append(c)
    return out


def wait_for(fn, timeout=10.0, step=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


# Whole instances (postern init + user add, postern run): see
# postern_instance.py.  make_instance(tmpdir, port_base=None, users=None)
# returns an Instance (paths, .ports per service, .users); Supervisor(inst)
# runs `postern run` and collects its log lines.
from postern_instance import (Instance, Supervisor, free_port_base,  # noqa: E402,F401
                              make_instance, postern)
