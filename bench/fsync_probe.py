#!/usr/bin/env python3
"""fsync_probe.py DIR [N]: what the queue's commit costs on DIR's file
system, in the orders postern-queue could use (HACKING.md "The queue").
Each round writes a 4 KB "message" and a 300-byte "envelope", renames them
into two directories and makes all of it durable:

  one     fsync of the message only (what Postfix pays per message)
  dir     fsync of one directory only
  seq4    message, envelope, then both directories, one after the other
          in one thread (postern-queue's order)
  pairs   two rounds of two concurrent fsyncs (files, then directories),
          the second of each pair in a thread
  par4    all four at once (three in threads)

Prints the median and mean milliseconds per round.  Not a test: run it
where the queue lives, on an otherwise idle machine."""
import os, statistics, sys, threading


def fsync_all(fds):
    """fsync fds[0] here and the others in threads, all at once."""
    ts = [threading.Thread(target=os.fsync, args=(fd,)) for fd in fds[1:]]
    for t in ts:
        t.start()
    os.fsync(fds[0])
    for t in ts:
        t.join()


def one_round(d, i, mode):
    import time
    p = os.path.join(d, "t%d" % (i % 50))
    m = os.open(p + ".m", os.O_WRONLY | os.O_CREAT, 0o600)
    e = os.open(p + ".e", os.O_WRONLY | os.O_CREAT, 0o600)
    os.pwrite(m, b"x" * 4096, 0)
    os.pwrite(e, b"y" * 300, 0)
    os.rename(p + ".m", os.path.join(d, "mess", "m"))
    os.rename(p + ".e", os.path.join(d, "todo", "e"))
    dm = os.open(os.path.join(d, "mess"), os.O_RDONLY)
    dt = os.open(os.path.join(d, "todo"), os.O_RDONLY)
    t0 = time.perf_counter()
    if mode == "one":
        os.fsync(m)
    elif mode == "dir":
        os.fsync(dm)
    elif mode == "seq4":
        for fd in (m, e, dm, dt):
            os.fsync(fd)
    elif mode == "pairs":
        fsync_all([m, e])
        fsync_all([dm, dt])
    elif mode == "par4":
        fsync_all([m, e, dm, dt])
    t1 = time.perf_counter()
    for fd in (m, e, dm, dt):
        os.close(fd)
    os.rename(os.path.join(d, "mess", "m"), p + ".m")
    os.rename(os.path.join(d, "todo", "e"), p + ".e")
    return (t1 - t0) * 1000


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: fsync_probe.py DIR [ROUNDS]")
    d = os.path.join(sys.argv[1], "fsync-probe")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    for sub in ("mess", "todo"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for mode in ("one", "dir", "seq4", "pairs", "par4", "seq4", "pairs", "par4"):
        v = [one_round(d, i, mode) for i in range(n)]
        print("%-6s median %.3f ms  mean %.3f ms" % (mode, statistics.median(v), statistics.mean(v)))
    # the files stay (reused by the next run): unlinking thousands of
    # inodes right before a measurement slows the next one on ext4
    # without a journal (HACKING.md "Where the SMTP path's time goes")


if __name__ == "__main__":
    main()
