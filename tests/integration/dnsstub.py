"""dnsstub.py: a stub DNS server on loopback UDP for postern-remote's tests
(resolver_address/resolver_port point at it; no test query leaves the
machine).

zone: {name: {"MX": [(pref, "host")], "A": ["127.0.0.2"], "AAAA": [...]}}
plus special names: {"name": "SERVFAIL"} or "NXDOMAIN" or "REFUSED".
A name not in the zone is NXDOMAIN; a known name without the asked type
answers NOERROR with no records (NODATA).  Null MX: [(0, ".")].

    stub = DNSStub(zone); stub.start(); ... stub.port ...; stub.stop()
(host="::1" puts it on IPv6 loopback)
or run standalone: python3 dnsstub.py PORT ZONE.json"""
import json, socket, struct, sys, threading

TYPES = {1: "A", 15: "MX", 28: "AAAA", 5: "CNAME"}
RCODES = {"SERVFAIL": 2, "NXDOMAIN": 3, "REFUSED": 5}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def decode_qname(msg, off):
    labels = []
    while True:
        n = msg[off]
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels), off


class DNSStub:
    def __init__(self, zone, host="127.0.0.1", port=0):
        self.zone = {k.lower().rstrip("."): v for k, v in zone.items()}
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.port = self.sock.getsockname()[1]
        self.queries = []          # (name, type) in arrival order
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self._stop = True
        self.sock.close()

    def answer(self, msg):
        qid, flags, qd = struct.unpack(">HHH", msg[:6])
        name, off = decode_qname(msg, 12)
        qtype, qclass = struct.unpack(">HH", msg[off:off + 4])
        question = msg[12:off + 4]
        self.queries.append((name.lower(), TYPES.get(qtype, qtype)))
        entry = self.zone.get(name.lower().rstrip("."))
        rcode, answers = 0, []
        if entry is None:
            rcode = 3
        elif isinstance(entry, str):
            rcode = RCODES[entry]
        else:
            t = TYPES.get(qtype)
            for rec in entry.get(t, []):
                if t == "MX":
                    rdata = struct.pack(">H", rec[0]) + encode_name(rec[1])
                elif t == "A":
                    rdata = socket.inet_pton(socket.AF_INET, rec)
                elif t == "AAAA":
                    rdata = socket.inet_pton(socket.AF_INET6, rec)
                else:
                    continue
                answers.append(struct.pack(">HHHIH", 0xC00C, qtype, 1, 60, len(rdata)) + rdata)
        rflags = 0x8000 | (flags & 0x0100) | 0x0080 | 0x0400 | rcode
        return struct.pack(">HHHHHH", qid, rflags, 1, len(answers), 0, 0) + question + b"".join(answers)

    def _serve(self):
        while not self._stop:
            try:
                msg, addr = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                self.sock.sendto(self.answer(msg), addr)
            except (OSError, IndexError, struct.error):
                pass


if __name__ == "__main__":
    with open(sys.argv[2]) as f:
        zone = json.load(f)
    stub = DNSStub(zone, port=int(sys.argv[1]))
    stub.thread.run()
