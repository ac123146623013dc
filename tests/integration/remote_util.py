"""remote_util.py: helpers for the postern-remote / postern-rspawn tests.

- spawnproto records in Python (request encoder, reply decoder), as in
  common/spawnproto.h;
- RSpawn: postern-rspawn on a socketpair (fds 0/1), requests sent with the
  message descriptor by SCM_RIGHTS, replies read back;
- SMTPSink: a scripted SMTP server on a loopback address (EHLO keywords,
  per-recipient replies, STARTTLS with Python's ssl, AUTH PLAIN, raw reply
  overrides for hostile tests) recording every transaction;
- a test CA and server certificate made with certtool."""
import base64, os, socket, ssl, struct, subprocess, tempfile, threading, time

from harness import prog

NOTIFY = {"NEVER": 1, "SUCCESS": 2, "FAILURE": 4, "DELAY": 8}
RET = {None: 0, "FULL": 1, "HDRS": 2}
BODY = {None: 0, "7BIT": 1, "8BITMIME": 2}


def _field(tag, data):
    if isinstance(data, str):
        data = data.encode()
    return tag.encode() + struct.pack(">I", len(data)) + data


# what follows the message in the file a request passes (a queue file's
# envelope and trailer, common/queuefile.h)
QUEUE_TAIL = b"\nQUEUE-FILE-TAIL not the message \xff\n"


def encode_request(rid, sender, rcpts, queue_id="Q1", envid=None, ret=None,
                   body=None, smtputf8=False, size=0):
    """rcpts: list of addresses or dicts {addr, notify:[...], orcpt:(type, addr)}"""
    p = _field("i", struct.pack(">I", rid)) + _field("q", queue_id) + _field("s", sender)
    if envid:
        p += _field("e", envid)
    p += _field("R", bytes([RET[ret]])) + _field("B", bytes([BODY[body]]))
    p += _field("U", bytes([1 if smtputf8 else 0])) + _field("z", struct.pack(">Q", size))
    for r in rcpts:
        if isinstance(r, str):
            r = {"addr": r}
        rp = _field("a", r["addr"])
        bits = sum(NOTIFY[n] for n in r.get("notify", []))
        rp += _field("n", struct.pack(">I", bits))
        if r.get("orcpt"):
            rp += _field("t", r["orcpt"][0]) + _field("o", r["orcpt"][1])
        p += _field("r", rp)
    return struct.pack(">I", len(p)) + p


def _fields(p):
    i = 0
    while i < len(p):
        tag = chr(p[i]) if p[i] < 128 else p[i]
        n = struct.unpack(">I", p[i + 1:i + 5])[0]
        yield tag, p[i + 5:i + 5 + n]
        i += 5 + n


def decode_reply(payload):
    """(id, [ {cls, code, status, diag, mta, relayed} ... ])"""
    rid, results = None, []
    for tag, v in _fields(payload):
        if tag == "i":
            rid = struct.unpack(">I", v)[0]
        elif tag == "x":
            r = {"cls": None, "code": 0, "status": None, "diag": None, "mta": None,
                 "relayed": False}
            for t, w in _fields(v):
                if t == "c":
                    r["cls"] = w[0]
                elif t == "m":
                    r["code"] = struct.unpack(">I", w)[0]
                elif t == "d":
                    r["status"] = w.decode()
                elif t == "T":
                    r["diag"] = w.decode(errors="replace")
                elif t == "M":
                    r["mta"] = w.decode()
                elif t == 0x80:   # result flags: SPAWN_RESULT_RELAYED
                    r["relayed"] = bool(struct.unpack(">I", w)[0] & 1)
            results.append(r)
    return rid, results


class RSpawn:
    """postern-rspawn with its socket on fds 0/1."""

    def __init__(self, conf, tmpdir):
        self.tmpdir = tmpdir
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.log = open(os.path.join(tmpdir, "rspawn.log"), "w+")
        env = dict(os.environ, POSTERN_CONF=conf, POSTERN_LOG_STDERR="1")
        self.proc = subprocess.Popen([prog("postern-rspawn")], stdin=theirs, stdout=theirs,
                                     stderr=self.log, env=env, close_fds=True)
        theirs.close()
        self.buf = b""

    def send(self, record, message):
        """message: bytes (LF line ends); written to a file whose descriptor
        is passed, followed by bytes that are not the message (as a queue
        file goes on with its envelope): nothing may send them"""
        fd, path = tempfile.mkstemp(dir=self.tmpdir)
        os.write(fd, message + QUEUE_TAIL)
        os.unlink(path)
        ro = os.open("/proc/self/fd/%d" % fd, os.O_RDONLY)
        os.close(fd)
        socket.send_fds(self.sock, [record[:1]], [ro])
        self.sock.sendall(record[1:])
        os.close(ro)

    def read_reply(self, timeout=60):
        self.sock.settimeout(timeout)
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    payload, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return decode_reply(payload)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("rspawn closed the socket")
            self.buf += chunk

    def deliver(self, message, sender, rcpts, timeout=60, **kw):
        """one request, its reply's results"""
        kw.setdefault("size", len(message))
        self.send(encode_request(7, sender, rcpts, **kw), message)
        rid, results = self.read_reply(timeout)
        assert rid == 7, rid
        return results

    def log_text(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def close(self):
        self.sock.close()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def make_ca(d, names=("localhost",), ip="127.0.0.1"):
    """A test CA and a server certificate signed by it: (ca.pem, cert.pem, key.pem)"""
    ca_key, ca, key, cert = (os.path.join(d, n) for n in ("ca-key.pem", "ca.pem", "srv-key.pem", "srv.pem"))
    with open(os.path.join(d, "ca.tmpl"), "w") as f:
        f.write('cn = "postern test CA"\nca\ncert_signing_key\nexpiration_days = 30\nserial = 1\n')
    with open(os.path.join(d, "srv.tmpl"), "w") as f:
        f.write('cn = "%s"\n%s\nip_address = %s\ntls_www_server\nencryption_key\nsigning_key\n'
                'expiration_days = 30\nserial = 2\n' % (names[0], "\n".join("dns_name = %s" % n for n in names), ip))
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True)
    run("certtool", "--generate-privkey", "--key-type=ecdsa", "--outfile", ca_key)
    run("certtool", "--generate-self-signed", "--load-privkey", ca_key, "--template",
        os.path.join(d, "ca.tmpl"), "--outfile", ca)
    run("certtool", "--generate-privkey", "--key-type=ecdsa", "--outfile", key)
    run("certtool", "--generate-certificate", "--load-privkey", key, "--load-ca-certificate", ca,
        "--load-ca-privkey", ca_key, "--template", os.path.join(d, "srv.tmpl"), "--outfile", cert)
    for p in (ca, cert, key):
        os.chmod(p, 0o644)
    return ca, cert, key


class SMTPSink:
    """Scripted SMTP server.  Settings (attributes, change before a test):
    ehlo: list of keywords; ehlo_reply: raw override for the EHLO reply;
    greeting: the 220 line (raw, CRLF added); rcpt: {addr: "550 5.1.1 no"}
    (others 250); rcpt_raw: {addr: raw bytes}; data_reply: final reply;
    mail_reply; tls_ctx: ssl context for STARTTLS; auth: (user, pass);
    silent: never send the greeting; data_delay: seconds between taking
    the message (recorded) and the final reply (crash tests).
    transactions: list of dicts {helo, mail, rcpts, data, tls, auth}."""

    def __init__(self, host="127.0.0.1", port=0):
        self.srv = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                 socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((host, port))
        self.srv.listen(16)
        self.host, self.port = self.srv.getsockname()[:2]
        self.ehlo = ["PIPELINING", "SIZE 10000000", "8BITMIME", "DSN", "SMTPUTF8"]
        self.ehlo_reply = None
        self.greeting = "220 sink.test ESMTP"
        self.rcpt, self.rcpt_raw = {}, {}
        self.mail_reply = "250 2.1.0 Ok"
        self.data_reply = "250 2.0.0 Ok: queued"
        self.tls_ctx = None
        self.auth = None
        self.silent = False
        self.data_delay = 0
        self.starttls_raw = None
        self.transactions = []
        self.connections = 0
        self.lines = []
        self.lock = threading.Lock()
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self._stop = True
        try:
            self.srv.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.srv.close()
        except OSError:
            pass

    def _accept(self):
        while not self._stop:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._session, args=(c,), daemon=True).start()

    def _session(self, c):
        try:
            self._run(c)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    def _run(self, c):
        c.settimeout(30)
        f = c.makefile("rb")
        send = lambda s: c.sendall((s + "\r\n").encode() if isinstance(s, str) else s)
        if self.silent:
            time.sleep(20)
            return
        send(self.greeting)
        if not self.greeting.startswith("2"):
            f.readline()
            send("221 bye")
            return
        tr = {"helo": None, "mail": None, "rcpts": [], "data": None, "tls": False, "auth": None}
        while True:
            line = f.readline()
            if not line:
                return
            with self.lock:
                self.lines.append(line)
            cmd = line.decode("utf-8", "replace").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            if verb == "EHLO":
                tr["helo"] = cmd
                if self.ehlo_reply is not None:
                    send(self.ehlo_reply)
                    continue
                kws = list(self.ehlo)
                if self.tls_ctx and not tr["tls"]:
                    kws.append("STARTTLS")
                if self.auth:
                    kws.append("AUTH PLAIN LOGIN")
                lines = ["sink.test hello"] + kws
                send("\r\n".join("250%s%s" % ("-" if i < len(lines) - 1 else " ", l)
                                 for i, l in enumerate(lines)))
            elif verb == "HELO":
                tr["helo"] = cmd
                send("250 sink.test")
            elif verb == "STARTTLS":
                if self.starttls_raw:
                    send(self.starttls_raw)
                    f.readline()
                    return
                send("220 2.0.0 go ahead")
                c = self.tls_ctx.wrap_socket(c, server_side=True)
                f = c.makefile("rb")
                tr["tls"] = True
                tr["tls_version"] = c.version()
            elif verb == "AUTH":
                parts = cmd.split(" ")
                creds = base64.b64decode(parts[2]).split(b"\0") if len(parts) > 2 else []
                tr["auth"] = [x.decode() for x in creds]
                if self.auth and creds[1:] == [x.encode() for x in self.auth]:
                    send("235 2.7.0 Authentication successful")
                else:
                    send("535 5.7.8 bad credentials")
            elif verb == "MAIL":
                tr["mail"] = cmd
                tr["rcpts"] = []
                send(self.mail_reply)
            elif verb == "RCPT":
                addr = cmd[cmd.index("<") + 1:cmd.index(">")]
                tr["rcpts"].append(cmd)
                if addr in self.rcpt_raw:
                    send(self.rcpt_raw[addr])
                else:
                    send(self.rcpt.get(addr, "250 2.1.5 Ok"))
            elif verb == "DATA":
                send("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while True:
                    l = f.readline()
                    if not l:
                        return
                    if l == b".\r\n":
                        break
                    data += l
                tr["data"] = data
                with self.lock:
                    self.transactions.append(dict(tr))
                if self.data_delay:
                    time.sleep(self.data_delay)
                send(self.data_reply)
            elif verb == "RSET":
                send("250 2.0.0 Ok")
            elif verb == "QUIT":
                send("221 2.0.0 Bye")
                return
            else:
                send("502 5.5.2 unknown")


def unstuff(data):
    """SMTP DATA bytes (CRLF, dot-stuffed) back to the LF message"""
    out = []
    for l in data.split(b"\r\n"):
        out.append(l[1:] if l.startswith(b"..") else l)
    return b"\n".join(out)


def server_ctx(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx
