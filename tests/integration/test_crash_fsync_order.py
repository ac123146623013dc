"""Order of system calls on the way into the queue (strace -f): SIGKILL
leaves the page cache intact, so the crash test alone cannot show that an
acknowledged message is on disk.  postern-queue must fsync its one queue
file (message, envelope, trailer) before renaming it into todo/, and todo/
after, both before it writes the queue id (the acknowledgement its caller
turns into the 250 reply) and exits.
The second test runs `postern run` under strace -f and checks the same
fsyncs come before postern-smtpd writes its 250 reply to DATA."""
import os, re, shutil, smtplib, subprocess, tempfile, time, unittest

import crashtest
from postern_instance import LIBEXEC, POSTERN, make_instance, make_tmpdir, wait_port

# strace -ttt -T: "TIME call(args) = RET ... <DURATION>"
TCALL = re.compile(r"^(\d+\.\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+|\?)(?:.*<(\d+\.\d+)>)?\s*$")


class FsyncOrderTest(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir()
        self.inst = make_instance(self.tmp, users={"joe@example.test": "pw"})

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_fsyncs_before_the_id_is_written(self):
        # -ff: one file per task (should postern-queue run fsyncs in
        # threads again, their lines would not be split as with -f);
        # -ttt -T: entry time and duration, so "done before" is checkable.
        trace = os.path.join(self.tmp, "st")
        env_bytes = crashtest.envelope("a@example.org", ["joe@example.test"])
        with tempfile.TemporaryFile() as mf, tempfile.TemporaryFile() as ef:
            mf.write(b"Subject: s\n\nbody\n")
            mf.seek(0)
            ef.write(env_bytes)
            ef.seek(0)
            r, w = os.pipe()

            def setup():
                os.dup2(os.dup(w), 3)
            p = subprocess.Popen(["strace", "-ff", "-ttt", "-T", "-qq", "-s", "512", "-o", trace, "-e",
                                  "trace=openat,open,fsync,fdatasync,rename,renameat,renameat2,write,close,"
                                  "exit_group,clone,clone3",
                                  os.path.join(LIBEXEC, "postern-queue")],
                                 stdin=mf, stdout=ef, close_fds=False, preexec_fn=setup,
                                 env=dict(os.environ, POSTERN_CONF=self.inst.conf))
            os.close(w)
            qid = os.read(r, 100).decode().strip()
            os.close(r)
            self.assertEqual(p.wait(30), 0)
        self.assertTrue(qid)
        calls = []     # (start, end, tid, call, args, ret)
        for name in os.listdir(self.tmp):
            if not name.startswith("st."):
                continue
            tid = int(name.split(".")[1])
            with open(os.path.join(self.tmp, name), errors="replace") as f:
                for line in f:
                    m = TCALL.match(line)
                    if m:
                        ts, call, args, ret, dur = m.groups()
                        calls.append((float(ts), float(ts) + float(dur or 0), tid, call, args, ret))
        calls.sort()
        # threads share their process's descriptors: key them by the first task
        group = {}
        for _, _, tid, call, args, ret in calls:
            if call in ("clone", "clone3") and "CLONE_THREAD" in args and ret.isdigit():
                group[int(ret)] = group.get(tid, tid)
        fds, events = {}, []
        for start, end, tid, call, args, ret in calls:
            g = group.get(tid, tid)
            if call in ("openat", "open") and ret != "?" and int(ret) >= 0:
                path = re.search(r'"([^"]*)"', args).group(1)
                fds[(g, int(ret))] = path
            elif call in ("fsync", "fdatasync"):
                fd = int(args.split(",")[0])
                events.append((start, end, "fsync", fds.get((g, fd), "?")))
            elif call == "write":
                fd = int(args.split(",")[0])
                events.append((start, end, "write", fd, args))
            elif call.startswith("rename"):
                events.append((start, end, "rename", re.findall(r'"([^"]*)"', args)))
        ack = next(e for e in events if e[2] == "write" and e[3] == 3 and qid in e[4])
        # done (entry + duration) before the id is written
        synced = [e[3] for e in events if e[2] == "fsync" and e[1] <= ack[0]]
        q = self.inst.queue
        # one file (message, envelope, trailer: common/queuefile.h) and
        # one directory
        self.assertTrue(any(s.endswith(".m") and "/tmp/" in s for s in synced), synced)
        self.assertIn(os.path.join(q, "todo"), [s.rstrip("/") for s in synced])
        # the commit rename into todo/; a spare claimed into tmp/
        # (queuedir_spare_take) is a rename too, before any write
        renames = [e for e in events if e[2] == "rename" and e[1] <= ack[0]
                   and os.path.dirname(e[3][1]) == os.path.join(q, "todo")]
        self.assertEqual([e[3][1] for e in renames], [os.path.join(q, "todo", qid)])
        # the file is durable before the rename, and the directory's fsync
        # starts after the rename it makes durable
        rename = renames[0]
        self.assertTrue(any(e[2] == "fsync" and e[3].endswith(".m") and e[1] <= rename[0]
                            for e in events), events)
        self.assertTrue(any(e[2] == "fsync" and e[3].rstrip("/") == os.path.join(q, "todo")
                            and e[0] >= rename[1] and e[1] <= ack[0] for e in events), events)
        # what was committed holds the message, the envelope and the trailer
        with open(os.path.join(q, "todo", qid), "rb") as f:
            data = f.read()
        size, elen = (int(x, 16) for x in data[-31:].decode().split()[1:])
        self.assertEqual(data[-31:-26], b"\nPQ1 ")
        self.assertEqual(size + elen + 31, len(data))


class SmtpFsyncOrderTest(unittest.TestCase):
    TCALL = re.compile(r"^(\d+\.\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+|\?)")

    def test_fsyncs_before_250(self):
        tmp = make_tmpdir()
        trace = os.path.join(tmp, "tr")
        try:
            inst = make_instance(tmp, users={"joe@example.test": "pw"})
            # -ff: one file per process (no interleaved, split lines);
            # -ttt: timestamps order the events across processes
            p = subprocess.Popen(["strace", "-ff", "-ttt", "-qq", "-s", "512", "-o", trace, "-e",
                                  "trace=openat,fsync,fdatasync,write,sendto",
                                  POSTERN, "run", inst.dir],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                self.assertTrue(wait_port(inst.ports["smtp"], 20))
                s = smtplib.SMTP("127.0.0.1", inst.ports["smtp"], timeout=30)
                s.sendmail("a@example.org", ["joe@example.test"], "Subject: traced\r\n\r\nx\r\n")
                s.quit()
                time.sleep(1)
            finally:
                # stop the supervisor (strace's child); strace then exits
                try:
                    with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
                        kids = [int(x) for x in f.read().split()]
                except OSError:
                    kids = []
                for k in kids:
                    os.kill(k, 15)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            syncs, acks = [], []
            for name in os.listdir(tmp):
                if not name.startswith("tr."):
                    continue
                fds, replies = {}, []
                with open(os.path.join(tmp, name), errors="replace") as f:
                    for line in f:
                        m = self.TCALL.match(line)
                        if not m:
                            continue
                        ts, call, args, ret = m.groups()
                        ts = float(ts)
                        if call == "openat" and ret != "?" and int(ret) >= 0:
                            fds[int(ret)] = re.search(r'"([^"]*)"', args).group(1)
                        elif call in ("fsync", "fdatasync"):
                            syncs.append((ts, fds.get(int(args.split(",")[0]), "?").rstrip("/")))
                        elif call in ("write", "sendto") and args.split(",")[0] == "1":
                            # replies go out with send(2) (strace: sendto)
                            replies.append((ts, args))
                # smtpd: the last 250 before the 221 of QUIT answered DATA
                last250 = None
                for ts, args in replies:
                    if '"221 ' in args:
                        if last250 is not None:
                            acks.append(last250)
                        break
                    if '"250 ' in args:
                        last250 = ts
            # postern-smtpd's write and postern-tls relaying it: the
            # earlier one (smtpd's) is what must come after the fsyncs
            self.assertTrue(acks, "no SMTP session with a 250 and a 221 in the trace")
            before = [path for ts, path in syncs if ts <= min(acks)]
            q = inst.queue
            # the one queue file (message, envelope, trailer) and todo/,
            # where its rename is the commit
            self.assertTrue(any(x.startswith(os.path.join(q, "tmp")) and x.endswith(".m") for x in before), before)
            self.assertIn(os.path.join(q, "todo"), before)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

if __name__ == "__main__":
    unittest.main()
