"""RETR of every message of the shared corpus ($POSTERN_CORPUS/messages:
LF, CRLF and mixed line ends, NUL octets, a 300 kB line, no final
newline) through the whole chain: the octets RETR sends (dot-stuffing
removed) equal the file with each LF not preceded by CR turned into CRLF
(RFC 1939 3: a message without a final line end gets one before the
terminating dot), and LIST's size equals those octets.  Half of the files
carry ",S=,W=" in their names, half do not (size read from the file once)."""
import os, re, unittest

from pop3_instance import Pop3Instance

CORPUS = os.environ.get("POSTERN_CORPUS", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "corpus"))


def crlf(b):
    return re.sub(rb"(?<!\r)\n", b"\r\n", b)


class Pop3Corpus(unittest.TestCase):
    def test_retr_every_corpus_message(self):
        d = os.path.join(CORPUS, "messages")
        names = sorted(n for n in os.listdir(d) if n.endswith(".eml"))
        self.assertGreater(len(names), 100)
        i = Pop3Instance(config={"pop3_max_bad_commands": "5"}).start()
        try:
            files = []
            for k, n in enumerate(names):
                with open(os.path.join(d, n), "rb") as f:
                    data = f.read()
                files.append(data)
                i.deliver(data, name="1700000000.M%06dP1.corpus" % k, sizes=bool(k % 2))
            r = i.raw_login()
            r.cmd("LIST")
            sizes = [int(l.split()[1]) for l in r.multi()]
            self.assertEqual(len(sizes), len(files))
            # all RETRs pipelined in one write
            r.send("".join("RETR %d\r\n" % (k + 1) for k in range(len(files))))
            bad = []
            for k, data in enumerate(files):
                want = crlf(data)
                status = r.line()
                self.assertEqual(status, "+OK %d octets" % len(want), names[k])
                got = b""
                while True:
                    l = r.rawline()
                    if l == b".\r\n":
                        break
                    got += l[1:] if l.startswith(b".") else l
                if not data.endswith(b"\n"):
                    self.assertTrue(got.endswith(b"\r\n"))
                    got = got[:-2]
                if got != want or sizes[k] != len(want):
                    bad.append((names[k], len(got), len(want), sizes[k]))
            self.assertEqual(bad, [])
            self.assertEqual(r.cmd("QUIT"), "+OK Logging out.")
        finally:
            i.stop()


if __name__ == "__main__":
    unittest.main()
