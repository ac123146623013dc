"""postern-remote's MX logic against the stub DNS server (dnsstub.py):
preference order, next host on a 4xx greeting or a refused connection,
fallback to the A record without MX, null MX, NXDOMAIN (permanent),
SERVFAIL (temporary), MX hosts without addresses; the resolver on an IPv6
address and MX hosts reached over IPv6."""
import os, shutil, socket, unittest

from dnsstub import DNSStub
from postern_instance import make_instance, make_tmpdir
from remote_util import RSpawn, SMTPSink


def _sock(host):
    return socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)


def common_port(hosts):
    for _ in range(50):
        s = _sock(hosts[0])
        s.bind((hosts[0], 0))
        port = s.getsockname()[1]
        s.close()
        ok = True
        for h in hosts:
            t = _sock(h)
            try:
                t.bind((h, port))
            except OSError:
                ok = False
            t.close()
        if ok:
            return port
    raise RuntimeError("no common port")


class RemoteMX(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir("postern-remote-mx-")
        self.inst = make_instance(self.tmp)
        self.port = common_port(["127.0.0.2", "127.0.0.3", "127.0.0.4"])
        self.sinks = {h: SMTPSink(h, self.port) for h in ("127.0.0.2", "127.0.0.3", "127.0.0.4")}
        self.dns = DNSStub({
            "mx.test": {"MX": [(20, "b.mx.test"), (10, "a.mx.test")]},
            "a.mx.test": {"A": ["127.0.0.2"]},
            "b.mx.test": {"A": ["127.0.0.3"]},
            "nomx.test": {"A": ["127.0.0.4"]},
            "null.test": {"MX": [(0, ".")]},
            "fail.test": "SERVFAIL",
            "gone.test": {"MX": [(10, "nohost.gone.test")]},
            "failhost.test": {"MX": [(10, "broken.failhost.test")]},
            "broken.failhost.test": "SERVFAIL",
        }).start()
        for k, v in (("resolver_address", "127.0.0.1"), ("resolver_port", str(self.dns.port)),
                     ("resolver_timeout", "4s"), ("remote_port", str(self.port)),
                     ("remote_greeting_timeout", "3s"), ("remote_command_timeout", "3s")):
            self.inst.set_config(k, v)
        self.rs = RSpawn(self.inst.conf, self.tmp)

    def tearDown(self):
        self.rs.close()
        for s in self.sinks.values():
            s.close()
        self.dns.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def deliver(self, domain):
        return self.rs.deliver(b"hello\n", "s@example.test", ["u@" + domain])[0]

    def delivered_at(self):
        return [h for h, s in sorted(self.sinks.items()) if s.transactions]

    def test_preference_order(self):
        r = self.deliver("mx.test")
        self.assertEqual(r["cls"], 2, r)
        self.assertEqual(r["mta"], "a.mx.test")
        self.assertEqual(self.delivered_at(), ["127.0.0.2"])
        self.assertEqual(self.sinks["127.0.0.3"].connections, 0)
        self.assertEqual(self.dns.queries[0], ("mx.test", "MX"))

    def test_next_host_on_4xx_greeting(self):
        self.sinks["127.0.0.2"].greeting = "421 4.3.2 busy"
        r = self.deliver("mx.test")
        self.assertEqual(r["cls"], 2, r)
        self.assertEqual(r["mta"], "b.mx.test")
        self.assertEqual(self.delivered_at(), ["127.0.0.3"])
        self.assertEqual(self.sinks["127.0.0.2"].connections, 1)

    def test_next_host_on_refused_connection_and_4xx_mail(self):
        self.sinks["127.0.0.2"].close()
        r = self.deliver("mx.test")
        self.assertEqual(r["cls"], 2, r)
        self.assertEqual(self.delivered_at(), ["127.0.0.3"])
        self.sinks["127.0.0.3"].mail_reply = "451 4.3.0 later"
        r = self.deliver("mx.test")
        self.assertEqual(r["cls"], 4, r)
        self.assertIn("451", r["diag"])

    def test_fallback_to_address_record(self):
        r = self.deliver("nomx.test")
        self.assertEqual(r["cls"], 2, r)
        self.assertEqual(self.delivered_at(), ["127.0.0.4"])
        self.assertIn(("nomx.test", "MX"), self.dns.queries)
        self.assertIn(("nomx.test", "A"), self.dns.queries)

    def test_null_mx_is_permanent(self):
        r = self.deliver("null.test")
        self.assertEqual((r["cls"], r["status"]), (5, "5.1.10"), r)
        self.assertEqual(self.delivered_at(), [])

    def test_nxdomain_is_permanent(self):
        r = self.deliver("nowhere.test")
        self.assertEqual((r["cls"], r["status"]), (5, "5.1.2"), r)

    def test_servfail_is_temporary(self):
        r = self.deliver("fail.test")
        self.assertEqual((r["cls"], r["status"]), (4, "4.4.3"), r)
        r = self.deliver("failhost.test")
        self.assertEqual(r["cls"], 4, r)

    def test_mx_host_without_address(self):
        r = self.deliver("gone.test")
        self.assertEqual(r["cls"], 5, r)
        self.assertIn("nohost.gone.test", r["diag"])

    def test_all_hosts_down_is_temporary(self):
        for s in self.sinks.values():
            s.close()
        r = self.deliver("mx.test")
        self.assertEqual((r["cls"], r["status"]), (4, "4.4.1"), r)

    # RFC 5321 5.1: a 4xx from one MX host sends the recipients it deferred
    # to the next one, within remote_max_hosts

    def test_rcpt_4xx_goes_to_the_next_host(self):
        self.sinks["127.0.0.2"].rcpt = {"u@mx.test": "451 4.3.0 try later"}
        rs = self.rs.deliver(b"hello\n", "s@example.test", ["u@mx.test", "v@mx.test"])
        self.assertEqual([r["cls"] for r in rs], [2, 2], rs)
        self.assertEqual(rs[0]["mta"], "b.mx.test")
        self.assertEqual(rs[1]["mta"], "a.mx.test")
        a, b = self.sinks["127.0.0.2"], self.sinks["127.0.0.3"]
        self.assertEqual(len(a.transactions), 1)
        self.assertEqual([x.split(">")[0] for x in a.transactions[0]["rcpts"]],
                         ["RCPT TO:<u@mx.test", "RCPT TO:<v@mx.test"])
        # only the deferred recipient at the second host
        self.assertEqual(len(b.transactions), 1)
        self.assertEqual([x.split(">")[0] for x in b.transactions[0]["rcpts"]],
                         ["RCPT TO:<u@mx.test"])
        self.assertEqual(b.transactions[0]["data"], b"hello\r\n")

    def test_rcpt_4xx_everywhere_keeps_the_last_reply(self):
        self.sinks["127.0.0.2"].rcpt = {"u@mx.test": "451 4.3.0 first later"}
        self.sinks["127.0.0.3"].rcpt = {"u@mx.test": "452 4.2.2 second full"}
        r = self.deliver("mx.test")
        self.assertEqual((r["cls"], r["code"], r["status"]), (4, 452, "4.2.2"), r)
        self.assertIn("second full", r["diag"])
        self.assertEqual(r["mta"], "b.mx.test")
        self.assertEqual(self.delivered_at(), [])

    def test_rcpt_5xx_is_final_at_the_first_host(self):
        self.sinks["127.0.0.2"].rcpt = {"u@mx.test": "550 5.1.1 no such user"}
        r = self.deliver("mx.test")
        self.assertEqual((r["cls"], r["status"]), (5, "5.1.1"), r)
        self.assertEqual(self.sinks["127.0.0.3"].connections, 0)

    def test_421_to_rcpt_and_4xx_to_data(self):
        self.sinks["127.0.0.2"].rcpt = {"u@mx.test": "421 4.3.2 closing"}
        r = self.deliver("mx.test")
        self.assertEqual((r["cls"], r["mta"]), (2, "b.mx.test"), r)
        self.sinks["127.0.0.2"].rcpt = {}
        self.sinks["127.0.0.2"].data_reply = "451 4.3.0 not now"
        r = self.deliver("mx.test")
        self.assertEqual((r["cls"], r["mta"]), (2, "b.mx.test"), r)
        self.assertEqual(len(self.sinks["127.0.0.3"].transactions), 2)

    def test_max_hosts_per_attempt(self):
        self.inst.set_config("remote_max_hosts", "1")
        self.sinks["127.0.0.2"].rcpt = {"u@mx.test": "451 4.3.0 later"}
        r = self.deliver("mx.test")
        self.assertEqual((r["cls"], r["code"]), (4, 451), r)
        self.assertEqual(self.sinks["127.0.0.3"].connections, 0)


class RemoteIPv6(unittest.TestCase):
    """The resolver on an IPv6 address; MX hosts with AAAA records only, or
    with a dead A address and a live AAAA one."""

    def setUp(self):
        self.tmp = make_tmpdir("postern-remote-v6-")
        self.inst = make_instance(self.tmp)
        self.port = common_port(["::1", "127.0.0.2"])
        self.sink6 = SMTPSink("::1", self.port)
        self.dns = DNSStub({
            "v6.test": {"MX": [(10, "mx6.v6.test")]},
            "mx6.v6.test": {"AAAA": ["::1"]},
            "dual.test": {"MX": [(10, "mx.dual.test")]},
            "mx.dual.test": {"A": ["127.0.0.2"], "AAAA": ["::1"]},
            "implicit6.test": {"AAAA": ["::1"]},
        }, host="::1").start()
        for k, v in (("resolver_address", "::1"), ("resolver_port", str(self.dns.port)),
                     ("resolver_timeout", "4s"), ("remote_port", str(self.port)),
                     ("remote_greeting_timeout", "3s"), ("remote_command_timeout", "3s")):
            self.inst.set_config(k, v)
        self.rs = RSpawn(self.inst.conf, self.tmp)

    def tearDown(self):
        self.rs.close()
        self.sink6.close()
        self.dns.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def deliver(self, domain):
        return self.rs.deliver(b"hello\n", "s@example.test", ["u@" + domain])[0]

    def test_ipv6_resolver_and_aaaa_only_mx(self):
        r = self.deliver("v6.test")
        self.assertEqual(r["cls"], 2, r)
        self.assertEqual(r["mta"], "mx6.v6.test")
        self.assertEqual(len(self.sink6.transactions), 1)
        self.assertIn(("mx6.v6.test", "AAAA"), self.dns.queries)

    def test_dead_ipv4_then_ipv6_of_the_same_host(self):
        # nothing listens on 127.0.0.2 at this port: the AAAA address is next
        r = self.deliver("dual.test")
        self.assertEqual(r["cls"], 2, r)
        self.assertEqual(len(self.sink6.transactions), 1)

    def test_implicit_mx_with_aaaa(self):
        r = self.deliver("implicit6.test")
        self.assertEqual(r["cls"], 2, r)
        self.assertEqual(len(self.sink6.transactions), 1)

    def test_bracketed_resolver_address(self):
        self.inst.set_config("resolver_address", "[::1]")
        r = self.deliver("v6.test")
        self.assertEqual(r["cls"], 2, r)


if __name__ == "__main__":
    unittest.main()
