"""postern-remote and a next hop without 8BITMIME (RFC 6152 3): 8-bit text
parts go out as quoted-printable (single part and multipart, checked with
Python's email package), what cannot be converted fails with 5.6.3; an
SMTPUTF8 message to a hop without SMTPUTF8 fails with 5.6.7 (RFC 6531);
a hop with 8BITMIME gets the bytes unchanged."""
import email, email.policy, os, shutil, unittest

from postern_instance import make_instance, make_tmpdir
from remote_util import RSpawn, SMTPSink, unstuff

SINGLE = ("From: a@example.test\nTo: b@example.net\nSubject: caf\xe9\n"
          "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
          "Content-Transfer-Encoding: 8bit\n\n"
          "Gr\u00fc\u00dfe aus K\u00f6ln = 100 \u20ac\n.\n" + "\u00e9" * 60 + "\n").encode()
SINGLE = SINGLE.replace(b"Subject: caf\xc3\xa9", b"Subject: cafe")

MULTI = (b"From: a@example.test\nTo: b@example.net\nSubject: parts\nMIME-Version: 1.0\n"
         b"Content-Type: multipart/alternative; boundary=\"=_b\"\n\n"
         b"This is MIME.\n"
         b"--=_b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
         b"na\xefve caf\xe9\n"
         b"--=_b\nContent-Type: text/html; charset=utf-8\n\n"
         b"<p>\xc3\xa9t\xc3\xa9</p>\n"
         b"--=_b--\n")


class Remote8BitMime(unittest.TestCase):
    def setUp(self):
        self.tmp = make_tmpdir("postern-remote-8bit-")
        self.inst = make_instance(self.tmp)
        self.sink = SMTPSink()
        self.sink.ehlo = ["PIPELINING", "SIZE 10000000", "DSN"]   # no 8BITMIME, no SMTPUTF8
        with open(os.path.join(self.inst.etc, "routes"), "w") as f:
            f.write("example.net [127.0.0.1]:%d\n" % self.sink.port)
        os.chmod(os.path.join(self.inst.etc, "routes"), 0o644)
        self.inst.set_config("routes_file", os.path.join(self.inst.etc, "routes"))
        for k, v in (("remote_greeting_timeout", "3s"), ("remote_command_timeout", "3s"),
                     ("resolver_address", "127.0.0.1"), ("resolver_port", "9")):
            self.inst.set_config(k, v)
        self.rs = RSpawn(self.inst.conf, self.tmp)

    def tearDown(self):
        self.rs.close()
        self.sink.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def deliver(self, msg, **kw):
        return self.rs.deliver(msg, "s@example.test", ["b@example.net"], size=len(msg), **kw)[0]

    def received(self):
        self.assertEqual(len(self.sink.transactions), 1)
        tr = self.sink.transactions[0]
        self.assertTrue(all(b < 128 for b in tr["data"]), tr["data"][:500])
        return tr, email.message_from_bytes(unstuff(tr["data"]), policy=email.policy.default)

    def test_single_part_to_quoted_printable(self):
        r = self.deliver(SINGLE, body="8BITMIME")
        self.assertEqual(r["cls"], 2, r)
        tr, m = self.received()
        self.assertNotIn("BODY=", tr["mail"])
        self.assertEqual(m["Content-Transfer-Encoding"], "quoted-printable")
        self.assertEqual(m["Subject"], "cafe")
        text = SINGLE.split(b"\n\n", 1)[1].decode()
        self.assertEqual(m.get_content(), text)
        # the QP lines keep RFC 2045's length limit
        self.assertTrue(all(len(l) <= 76 for l in unstuff(tr["data"]).split(b"\n")))

    def test_multipart_parts_converted(self):
        r = self.deliver(MULTI)   # no BODY= given: the content decides
        self.assertEqual(r["cls"], 2, r)
        tr, m = self.received()
        parts = list(m.iter_parts())
        self.assertEqual(len(parts), 2)
        self.assertEqual(parts[0]["Content-Transfer-Encoding"], "quoted-printable")
        # the line end before a delimiter belongs to the delimiter (RFC 2046 5.1.1)
        self.assertEqual(parts[0].get_content(), "na\u00efve caf\u00e9")
        self.assertEqual(parts[1].get_content(), "<p>\u00e9t\u00e9</p>")
        self.assertIn(b"\r\nThis is MIME.\r\n--=_b\r\n", tr["data"])

    def test_7bit_message_goes_as_is(self):
        msg = b"Subject: plain\n\nascii only\n"
        r = self.deliver(msg, body="8BITMIME")
        self.assertEqual(r["cls"], 2, r)
        self.assertEqual(unstuff(self.sink.transactions[0]["data"]), msg)

    def test_8bit_header_is_5_6_3(self):
        r = self.deliver("Subject: caf\u00e9\n\nbody\n".encode(), body="8BITMIME")
        self.assertEqual((r["cls"], r["status"]), (5, "5.6.3"), r)
        self.assertIn("8BITMIME", r["diag"])
        self.assertEqual(self.sink.transactions, [])

    def test_unconvertible_bodies_are_5_6_3(self):
        for msg in (b"Content-Type: application/x-thing\nContent-Transfer-Encoding: binary\n\n\xff\x00\xfe\n",
                    b"MIME-Version: 1.0\nContent-Type: message/rfc822\n\nSubject: in\n\nna\xefve\n"):
            r = self.deliver(msg, body="8BITMIME")
            self.assertEqual((r["cls"], r["status"]), (5, "5.6.3"), (msg, r))
        self.assertEqual(self.sink.transactions, [])

    def test_smtputf8_message_needs_smtputf8(self):
        self.sink.ehlo = ["PIPELINING", "8BITMIME"]
        msg = "Subject: \u00e9t\u00e9\n\nbody \u00e9\n".encode()
        r = self.deliver(msg, body="8BITMIME", smtputf8=True)
        self.assertEqual((r["cls"], r["status"]), (5, "5.6.7"), r)
        # a UTF-8 address too
        r = self.rs.deliver(b"Subject: x\n\nbody\n", "s\u00e9@example.test", ["b@example.net"],
                            smtputf8=True)[0]
        self.assertEqual((r["cls"], r["status"]), (5, "5.6.7"), r)
        # flagged SMTPUTF8, but nothing in it needs it: delivered, without the flag
        r = self.deliver(b"Subject: x\n\nbody\n", smtputf8=True)
        self.assertEqual(r["cls"], 2, r)
        self.assertNotIn("SMTPUTF8", self.sink.transactions[0]["mail"])

    def test_hop_with_8bitmime_gets_the_bytes(self):
        self.sink.ehlo = ["PIPELINING", "8BITMIME", "SMTPUTF8"]
        r = self.deliver(SINGLE, body="8BITMIME")
        self.assertEqual(r["cls"], 2, r)
        tr = self.sink.transactions[0]
        self.assertIn("BODY=8BITMIME", tr["mail"])
        self.assertEqual(unstuff(tr["data"]), SINGLE)
        msg = "Subject: \u00e9t\u00e9\n\nbody\n".encode()
        r = self.deliver(msg, body="8BITMIME", smtputf8=True)
        self.assertEqual(r["cls"], 2, r)
        self.assertIn("SMTPUTF8", self.sink.transactions[1]["mail"])


if __name__ == "__main__":
    unittest.main()
