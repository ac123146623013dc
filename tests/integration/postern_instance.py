"""postern_instance.py: instance helpers for integration tests.

make_instance(tmpdir, port_base=None, users=...) runs `postern init` and
`postern user add` in tmpdir and returns an Instance with its paths and
ports; Supervisor runs `postern run` on it and collects its log lines.
Programs come from the install in $POSTERN_PREFIX (tests/run_all.py).

For the protocol helpers (imap_instance.py, pop3_instance.py):
ServiceInstance, an instance with one protocol's plaintext and TLS
services started under the supervisor; RawLines, a plain socket read line
by line; maildir_drop, delivery of a test message the Maildir way."""
import atexit, os, random, re, shutil, signal, socket, ssl, subprocess, tempfile, threading, time

PREFIX = os.environ.get("POSTERN_PREFIX", "")
POSTERN = os.path.join(PREFIX, "sbin", "postern")
LIBEXEC = os.path.join(PREFIX, "libexec", "postern")
IS_ROOT = os.geteuid() == 0
# Service users of test instances (created once, idempotently, as root).
TEST_USER_PREFIX = "ptest-"

# Standard ports; an instance listens on port_base + these.
STD_PORTS = {"smtp": 25, "submission": 587, "submissions": 465, "pop3": 110,
             "pop3s": 995, "imap": 143, "imaps": 993}


def port_free(port, host="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port_base(tries=200):
    """A port base N such that every N + standard port is free."""
    for _ in range(tries):
        n = random.randrange(20000, 60000 - 1000, 10)
        if all(port_free(n + p) for p in STD_PORTS.values()):
            return n
    raise RuntimeError("no free port base")


def make_tmpdir(name="postern-test-"):
    """A temporary directory every service user can traverse (0755)."""
    d = tempfile.mkdtemp(prefix=name)
    os.chmod(d, 0o755)
    atexit.register(shutil.rmtree, d, True)   # also when a test forgets
    return d


def postern(*args, input=None, check=False, timeout=60):
    """Run `postern ARGS...`; returns the CompletedProcess (text)."""
    p = subprocess.run([POSTERN] + [str(a) for a in args], input=input,
                       capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("postern %s: exit %d\n%s%s" % (
            " ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
    return p


class Instance:
    def __init__(self, dir, port_base, domain, users):
        self.dir = dir
        self.etc = os.path.join(dir, "etc")
        self.conf = os.path.join(self.etc, "postern.conf")
        self.passwd = os.path.join(self.etc, "passwd")
        self.users_file = os.path.join(self.etc, "users")
        self.domains = os.path.join(self.etc, "domains")
        self.cert = os.path.join(self.etc, "tls", "cert.pem")
        self.key = os.path.join(self.etc, "tls", "key.pem")
        self.mail = os.path.join(dir, "mail")
        self.queue = os.path.join(dir, "queue")
        self.port_base = port_base
        self.domain = domain
        self.users = dict(users)           # name -> password
        self.ports = {k: port_base + v for k, v in STD_PORTS.items()}

    def maildir(self, user):
        return os.path.join(self.mail, user, "Maildir")

    def set_config(self, key, value):
        """Set (or replace) key = value in postern.conf."""
        with open(self.conf) as f:
            lines = f.read().splitlines()
        out, done = [], False
        for l in lines:
            if re.match(r"^#?\s*%s\s*=" % re.escape(key), l) and not done:
                out.append("%s = %s" % (key, value))
                done = True
            else:
                out.append(l)
        if not done:
            out.append("%s = %s" % (key, value))
        with open(self.conf, "w") as f:
            f.write("\n".join(out) + "\n")


def queue_file_parts(path):
    """A committed queue file (common/queuefile.h): (message, envelope),
    checked against its trailer."""
    with open(path, "rb") as f:
        data = f.read()
    t = data[-31:]
    if len(data) < 31 or t[:5] != b"\nPQ1 " or t[21:22] != b" " or t[-1:] != b"\n":
        raise ValueError("%s: not a queue file" % path)
    size, elen = int(t[5:21], 16), int(t[22:30], 16)
    if size + elen + 31 != len(data):
        raise ValueError("%s: trailer lengths do not add up" % path)
    return data[:size], data[size:size + elen]


def make_instance(tmpdir, port_base=None, users=None, domain="example.test",
                  hostname="mail.example.test", user_prefix=TEST_USER_PREFIX):
    """postern init in tmpdir/inst plus `postern user add` for each user
    (default: demo@DOMAIN with password "demo-password")."""
    if port_base is None:
        port_base = free_port_base()
    if users is None:
        users = {"demo@" + domain: "demo-password"}
    d = os.path.join(tmpdir, "inst")
    postern("init", d, "--domain", domain, "--hostname", hostname,
            "--port-base", port_base, "--user-prefix", user_prefix, check=True)
    for name, pw in users.items():
        postern("user", "add", d, name, input=pw + "\n", check=True)
    return Instance(d, port_base, domain, users)


class Supervisor:
    """`postern run` on an instance in the background; its stderr lines are
    collected in self.lines."""

    def __init__(self, inst, env=None):
        self.inst = inst
        e = dict(os.environ)
        e.update(env or {})
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen([POSTERN, "run", inst.dir], env=e,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, errors="replace")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern, timeout=10, start=0):
        """Index of the first line at or after start matching pattern."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        with self.cond:
            while True:
                for i in range(start, len(self.lines)):
                    if rx.search(self.lines[i]):
                        return i
                left = deadline - time.time()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise AssertionError("no line matching %r in:\n%s" % (
                        pattern, "\n".join(self.lines[-60:])))
                self.cond.wait(min(left, 0.2))

    def text(self):
        with self.cond:
            return "\n".join(self.lines)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(2)
        return self.proc.returncode


def wait_port(port, timeout=10, host="127.0.0.1"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection((host, port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def descendants(pid):
    """Pids of every live descendant of pid (from /proc)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


# The user every protocol test instance has unless told otherwise.
TEST_USER = "alice@example.test"
TEST_PASSWORD = "alice-password"


class RawLines:
    """A plain socket read line by line, for exact protocol exchanges.
    Subclasses say how a line is decoded (line()) and add the protocol's
    commands."""

    def __init__(self, port, host="127.0.0.1", timeout=10, sock=None):
        self.s = sock or socket.create_connection((host, port), timeout)
        self.s.settimeout(timeout)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def rawline(self):
        """The next line as bytes, its line end included."""
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed; have %r" % self.buf)
            self.buf += chunk
        i = self.buf.index(b"\n")
        l, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return l

    def eof(self, timeout=5):
        """True once the server closes within timeout (what it sends
        before that is read and dropped)."""
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


class ServiceInstance:
    """A fresh instance (users: name -> password) serving one protocol on
    its plaintext and TLS ports under `postern run`.  Subclasses set
    services (plaintext first), tmp_prefix, raw_class and greeting (the
    start of the server's first line)."""
    services = ()
    tmp_prefix = "postern-test-"
    raw_class = RawLines
    greeting = ""

    def __init__(self, users=None, config=None):
        self.tmp = make_tmpdir(self.tmp_prefix)
        self.inst = make_instance(self.tmp, users=users or {TEST_USER: TEST_PASSWORD})
        for k, v in (config or {}).items():
            self.inst.set_config(k, v)
        self.sup = None

    def start(self, env=None):
        self.sup = Supervisor(self.inst, env=env)
        for svc in self.services:
            self.sup.wait_line(r"event=listening service=%s " % svc)
            assert wait_port(self.inst.ports[svc]), self.sup.text()
        return self

    def stop(self):
        if self.sup:
            self.sup.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def port(self):
        return self.inst.ports[self.services[0]]

    @property
    def tls_port(self):
        return self.inst.ports[self.services[1]]

    def log(self):
        return self.sup.text()

    def maildir(self, user=TEST_USER):
        return self.inst.maildir(user)

    def raw(self, greet=True):
        """A raw_class connection to the plaintext port, greeting read."""
        r = self.raw_class(self.port)
        if greet:
            g = r.line()
            assert g.startswith(self.greeting), g
        return r

    def tls_context(self):
        """A client context that trusts the instance certificate."""
        return ssl.create_default_context(cafile=self.inst.cert)


def maildir_drop(root, folder_dir, name, text, subdir="new"):
    """Write text (bytes) to folder_dir/tmp/name, give it the owner of the
    Maildir root when run as root, and rename it into folder_dir/subdir:
    the Maildir delivery protocol.  Returns the final path."""
    tmp = os.path.join(folder_dir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(text)
    if IS_ROOT:
        st = os.stat(root)
        os.chown(tmp, st.st_uid, st.st_gid)
    dst = os.path.join(folder_dir, subdir, name)
    os.rename(tmp, dst)
    return dst
