"""Process-tree figures for bench/: the processes under a root pid, their
memory (PSS, USS from /proc/PID/smaps_rollup) and CPU time (utime+stime of the
living processes plus cutime+cstime, which holds the children they reaped),
and which processes hold a TCP port's listening socket."""
import os

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] is field 3 (state); ppid is field 4, utime..cstime are 14..17
    return int(rest[1]), [int(x) for x in rest[11:15]]


def tree(root):
    """root and all its descendants (pids), from /proc."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                parent[int(d)] = _stat(int(d))[0]
            except (OSError, ValueError, IndexError):
                pass
    kids = {}
    for p, pp in parent.items():
        kids.setdefault(pp, []).append(p)
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        if p in parent:
            out.append(p)
            todo.extend(kids.get(p, []))
    return out


def memory(root):
    """(pss_kb, uss_kb, nprocs) summed over the tree under root."""
    pss = uss = n = 0
    for p in tree(root):
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k == "Pss":
                        pss += int(v.split()[0])
                    elif k in ("Private_Clean", "Private_Dirty"):
                        uss += int(v.split()[0])
            n += 1
        except OSError:
            pass
    return pss, uss, n


def cpu_seconds(root):
    """CPU seconds used so far by the tree under root, reaped children included."""
    t = 0
    for p in tree(root):
        try:
            t += sum(_stat(p)[1])
        except (OSError, ValueError, IndexError):
            pass
    return t / TICK


def listeners(port):
    """pids holding a listening TCP socket on port (IPv4 or IPv6), from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fl = line.split()
                    # local_address is ADDR:PORT in hex; state 0A is LISTEN
                    if fl[3] == "0A" and int(fl[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(fl[9])
        except OSError:
            pass
    pids = set()
    if not inodes:
        return pids
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % d):
                link = os.readlink("/proc/%s/fd/%s" % (d, fd))
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    pids.add(int(d))
                    break
        except OSError:
            pass
    return pids
