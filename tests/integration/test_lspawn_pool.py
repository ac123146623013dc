"""postern-lspawn's workers (postern-deliver -S, queue/lspawn_pool.c): a
local user's delivery goes to a worker running as that user's uid, which
stays for the next delivery to the same user (no process start per
delivery); different uids get different workers; a worker holds nothing
of lspawn's but its socket; an idle worker ends after a few seconds.
Timeouts and kills of a worker are covered by test_lspawn_direct.py (its
deliveries go through workers too)."""
import os, time, unittest

from postern_instance import IS_ROOT
from test_delivery_local import DeliveryBase, addr


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


class PoolTest(DeliveryBase):
    def workers(self):
        """Live postern-deliver -S processes of this instance: {pid: uid}."""
        out = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            pid = int(d)
            c = cmdline(pid)
            if len(c) < 2 or os.path.basename(c[0]) != b"postern-deliver" or c[1] != b"-S":
                continue
            try:
                with open("/proc/%d/environ" % pid, "rb") as f:
                    if ("POSTERN_CONF=%s" % self.inst.conf).encode() not in f.read().split(b"\0"):
                        continue
                with open("/proc/%d/status" % pid) as f:
                    st = f.read()
            except OSError:
                continue
            if "\nState:\tZ" in st:
                continue
            uid = int(st.split("\nUid:\t")[1].split()[0])
            out[pid] = uid
        return out

    def uid_of(self, name):
        with open(self.inst.users_file) as f:
            for l in f:
                p = l.split(":")
                if p[0] == addr(name):
                    return int(p[1])
        self.fail("no user " + name)

    def test_worker_serves_the_next_delivery(self):
        self.send(addr("carl"), [addr("joe")], "Subject: one\n\nfirst\n")
        self.wait_messages("joe", 1)
        w = self.workers()
        self.assertEqual(len(w), 1, w)
        (pid, uid), = w.items()
        if IS_ROOT:
            self.assertEqual(uid, self.uid_of("joe"))
        # nothing of lspawn's: its socket on 1, the log on 2; and between
        # deliveries nothing of the last message (its queue file may be
        # reused for someone else's mail): /dev/null on 0
        fds = sorted(int(f) for f in os.listdir("/proc/%d/fd" % pid))
        self.assertEqual(fds, [0, 1, 2])
        self.assertEqual(os.readlink("/proc/%d/fd/0" % pid), "/dev/null")
        self.assertTrue(os.readlink("/proc/%d/fd/1" % pid).startswith("socket:"))
        self.send(addr("carl"), [addr("joe")], "Subject: two\n\nsecond\n")
        m = self.wait_messages("joe", 2)
        self.assertEqual(sorted(b"first" in x for x in m), [False, True])
        self.assertEqual(list(self.workers()), [pid])
        self.wait_empty()

    def test_one_worker_per_user_uid(self):
        self.send(addr("carl"), [addr("joe")], "Subject: j\n\nfor joe\n")
        self.send(addr("carl"), [addr("ann")], "Subject: a\n\nfor ann\n")
        self.wait_messages("joe", 1)
        self.wait_messages("ann", 1)
        w = self.workers()
        if IS_ROOT:
            self.assertEqual(sorted(w.values()), sorted([self.uid_of("joe"), self.uid_of("ann")]))
        else:
            # one uid for all (DESIGN.md "Run by an ordinary user")
            self.assertGreaterEqual(len(w), 1)
            self.assertEqual(set(w.values()), {os.getuid()})
        self.wait_empty()

    def test_idle_worker_ends(self):
        self.send(addr("carl"), [addr("ann")], "Subject: i\n\nidle\n")
        self.wait_messages("ann", 1)
        self.assertTrue(self.workers())
        deadline = time.time() + 10
        while time.time() < deadline and self.workers():
            time.sleep(0.2)
        self.assertEqual(self.workers(), {})
        # and the next delivery starts a new one
        self.send(addr("carl"), [addr("ann")], "Subject: i2\n\nagain\n")
        self.wait_messages("ann", 2)


if __name__ == "__main__":
    unittest.main()
