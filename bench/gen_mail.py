#!/usr/bin/env python3
"""Seeded generator of a benchmark mailbox: writes N messages into DIR/cur/ as
Maildir files (LF line ends), the same bytes for the same seed and count, so
that postern and the peer server are measured on identical contents.

Mix (by message): plain text, multipart/alternative, multipart/mixed with a
base64 attachment, a forwarded message/rfc822 (itself multipart at times), a
quoted-printable text attachment; RFC 2047 encoded words in about a fifth of
Subject/From headers.  Sizes 1 KB to 200 KB (most small, a long tail).
Exactly 1% of the messages (rounded up) hold MARKER_WORD in a body, and about
1% come from SEARCH_FROM, for SEARCH TEXT / SEARCH FROM.

usage: gen_mail.py [--seed S] [--count N] [--manifest FILE] DIR
"""
import argparse
import base64
import os
import random
import time

MARKER_WORD = "quokkamarker"
SEARCH_FROM = "searchme@fromtest.example"

WORDS = ("the of and to in is that for it as was with be by on not he this are or "
         "his from at which but have an they you were her she there been one all "
         "would their we him has when who will more no if out so said what up its "
         "about into than them can only other new some could time these two may "
         "then do first any my now such like our over man me even most made after "
         "also did many before must through back years where much your way well "
         "down should because each just those people how too little state good "
         "very make world still own see men work long get here between both life "
         "being under never day same another know while last might us great old "
         "year off come since against go came right used take three meeting budget "
         "report invoice quarter release schedule server mailbox delivery review "
         "draft contract project deadline agenda summary attached please thanks").split()
NAMES = ["Alice Martin", "Bob Keller", "Carol Dubois", "Dave Novak", "Eve Larsen",
         "Frank Moreau", "Grace Hall", "Heidi Brandt", "Ivan Petrov", "Judy Chen",
         "Mallory Quinn", "Niaj Patel", "Olivia Rossi", "Peggy Wong", "Rupert Sand",
         "Sybil Fontaine", "Trent Walker", "Victor Ueda", "Walter Obi", "Zoe Lind"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com",
           "lists.example.org", "corp.example"]
ENCODED = ["=?UTF-8?B?w4ljaGFuZ2Ugc3VyIGxlIGJ1ZGdldA==?=",
           "=?ISO-8859-1?Q?R=E9union_de_lundi?=",
           "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=",
           "=?UTF-8?B?0J7RgtGH0ZHRgiDQt9CwINC60LLQsNGA0YLQsNC7?=",
           "=?utf-8?q?caf=C3=A9?= =?utf-8?q?_cr=C3=A8me?="]
ENC_NAMES = ["=?UTF-8?Q?Jos=C3=A9_Garc=C3=ADa?=", "=?ISO-8859-1?Q?Ren=E9_L=F6we?=",
             "=?UTF-8?B?5bGx55Sw5aSq6YOO?="]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.boundary_n = 0

    def words(self, nbytes, marker=False):
        """Wrapped lines of words, about nbytes long."""
        r = self.r
        lines, line, total = [], [], 0
        want_marker = marker
        # r._randbelow(len(WORDS)) is what r.choice(WORDS) draws (the same
        # bytes as before for the same seed), without choice's per-call cost;
        # the line length is kept as it grows (a 100,000-message mailbox is
        # 1.3 GB of words)
        below, nwords, third = r._randbelow, len(WORDS), nbytes // 3
        linelen = 0
        while total < nbytes:
            w = WORDS[below(nwords)]
            if want_marker and total > third:
                w, want_marker = MARKER_WORD, False
            line.append(w)
            linelen += len(w) + 1
            if linelen > 68:
                s = " ".join(line)
                lines.append(s)
                total += len(s) + 1
                line = []
                linelen = 0
                if r.random() < 0.08:
                    lines.append("")
        if line or want_marker:
            if want_marker:
                line.append(MARKER_WORD)
            lines.append(" ".join(line))
        return "\n".join(lines) + "\n"

    def boundary(self):
        self.boundary_n += 1
        return "=_bench_%08x_%d" % (self.r.getrandbits(32), self.boundary_n)

    def addr(self, forced=None):
        r = self.r
        if forced:
            return "Search Me <%s>" % forced
        if r.random() < 0.15:
            return "%s <%s@%s>" % (r.choice(ENC_NAMES), r.choice(["jose", "rene", "taro"]),
                                   r.choice(DOMAINS))
        n = r.choice(NAMES)
        return '"%s" <%s@%s>' % (n, n.lower().replace(" ", "."), r.choice(DOMAINS))

    def header(self, i, date, from_forced=None, subject_marker=False):
        r = self.r
        if r.random() < 0.2:
            subj = r.choice(ENCODED)
        else:
            subj = " ".join(r.choice(WORDS) for _ in range(r.randint(2, 9))).capitalize()
        if r.random() < 0.3:
            subj = "Re: " + subj
        h = ["Return-Path: <bounce-%d@%s>" % (i, r.choice(DOMAINS)),
             "Received: from mx.example.net (mx.example.net [192.0.2.%d])\n"
             "\tby bench.localhost with ESMTP id B%08X\n\tfor <bench@bench.test>; %s"
             % (r.randint(1, 254), r.getrandbits(32), date),
             "Date: " + date,
             "From: " + self.addr(from_forced),
             "To: Bench User <bench@bench.test>"]
        if r.random() < 0.3:
            h.append("Cc: " + ", ".join(self.addr() for _ in range(r.randint(1, 3))))
        h.append("Subject: " + subj)
        h.append("Message-ID: <%d.%08x@bench.example>" % (i, r.getrandbits(32)))
        if r.random() < 0.3:
            h.append("In-Reply-To: <%d.%08x@bench.example>" % (r.randint(0, i + 1),
                                                               r.getrandbits(32)))
        return "\n".join(h) + "\n"

    def b64(self, nbytes):
        data = self.r.randbytes(nbytes)
        s = base64.b64encode(data).decode()
        return "\n".join(s[k:k + 76] for k in range(0, len(s), 76)) + "\n"

    def plain(self, size, marker):
        return ("MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n"
                "Content-Transfer-Encoding: 7bit\n\n" + self.words(size, marker))

    def alternative(self, size, marker):
        b = self.boundary()
        text = self.words(size // 2, marker)
        html = "<html><body>\n" + "".join("<p>%s</p>\n" % l for l in text.split("\n") if l) \
            + "</body></html>\n"
        return ("MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"%s\"\n\n"
                "This is a multi-part message in MIME format.\n\n"
                "--%s\nContent-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: 8bit\n\n%s\n"
                "--%s\nContent-Type: text/html; charset=utf-8\n"
                "Content-Transfer-Encoding: 8bit\n\n%s\n--%s--\n"
                % (b, b, text, b, html, b))

    def attachment(self, size, marker):
        r = self.r
        b = self.boundary()
        kind, ext = r.choice([("application/pdf", "pdf"), ("image/jpeg", "jpg"),
                              ("application/zip", "zip"),
                              ("application/vnd.openxmlformats-officedocument."
                               "wordprocessingml.document", "docx")])
        fname = r.choice(["report", "scan", "photo", "invoice", "slides"]) + \
            "_%d.%s" % (r.randint(1, 999), ext)
        if r.random() < 0.2:
            fname_hdr = "filename*=utf-8''r%C3%A9sum%C3%A9_" + fname
        else:
            fname_hdr = 'filename="%s"' % fname
        raw = max(512, int((size - 1200) * 3 / 4 * 76 / 77))
        return ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"%s\"\n\n"
                "--%s\nContent-Type: text/plain; charset=us-ascii\n\n%s\n"
                "--%s\nContent-Type: %s; name=\"%s\"\nContent-Transfer-Encoding: base64\n"
                "Content-Disposition: attachment; %s\n\n%s--%s--\n"
                % (b, b, self.words(600, marker), b, kind, fname, fname_hdr,
                   self.b64(raw), b))

    def qp_attachment(self, size, marker):
        b = self.boundary()
        text = self.words(size - 800, False).replace("the ", "th=C3=A9 ")
        return ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"%s\"\n\n"
                "--%s\nContent-Type: text/plain; charset=us-ascii\n\n%s\n"
                "--%s\nContent-Type: text/plain; charset=utf-8; name=\"notes.txt\"\n"
                "Content-Transfer-Encoding: quoted-printable\n"
                "Content-Disposition: attachment; filename=\"notes.txt\"\n\n%s--%s--\n"
                % (b, b, self.words(300, marker), b, text, b))

    def forwarded(self, i, date, size, marker):
        b = self.boundary()
        inner_size = max(600, size - 900)
        inner_body = self.alternative(inner_size, False) if self.r.random() < 0.5 \
            else self.plain(inner_size, False)
        inner = self.header(i + 1000000, date) + inner_body
        return ("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"%s\"\n\n"
                "--%s\nContent-Type: text/plain; charset=us-ascii\n\n%s\n"
                "--%s\nContent-Type: message/rfc822\nContent-Disposition: inline\n\n%s\n"
                "--%s--\n" % (b, b, self.words(400, marker), b, inner, b))

    def size(self, lo, hi, mode):
        return int(min(hi, max(lo, self.r.lognormvariate(mode, 0.7))))

    def message(self, i, marker, from_forced):
        r = self.r
        t = 1700000000 + i * 97 + r.randint(0, 90)
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))
        k = r.random()
        if k < 0.50:
            body = self.plain(self.size(700, 30000, 7.8), marker)
        elif k < 0.75:
            body = self.alternative(self.size(1500, 60000, 8.6), marker)
        elif k < 0.88:
            body = self.attachment(self.size(20000, 200000, 10.8), marker)
        elif k < 0.95:
            body = self.forwarded(i, date, self.size(2000, 60000, 8.8), marker)
        else:
            body = self.qp_attachment(self.size(2000, 40000, 8.5), marker)
        msg = self.header(i, date, from_forced) + body
        data = msg.encode("utf-8")
        if len(data) < 1024:
            data += ("\n" + self.words(1024 - len(data))).encode()
        if len(data) > 200 * 1024:
            data = data[:200 * 1024 - 1] + b"\n"
        return t, data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--manifest", help="write 'name size marker from' lines here")
    ap.add_argument("dir")
    a = ap.parse_args()
    g = Gen(a.seed)
    pick = random.Random(a.seed + 1)
    nmark = max(1, (a.count + 99) // 100)
    markers = set(pick.sample(range(a.count), nmark))
    froms = set(pick.sample(range(a.count), nmark))
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(a.dir, sub), exist_ok=True)
    man = open(a.manifest, "w") if a.manifest else None
    total = 0
    for i in range(a.count):
        t, data = g.message(i, i in markers, SEARCH_FROM if i in froms else None)
        name = "%d.M%dP1.bench,S=%d:2,%s" % (t, i, len(data), "S" if i % 3 else "")
        path = os.path.join(a.dir, "cur", name)
        with open(path, "wb") as f:
            f.write(data)
        os.utime(path, (t, t))
        total += len(data)
        if man:
            man.write("%s %d %d %d\n" % (name, len(data), i in markers, i in froms))
    if man:
        man.close()
    print("generated %d messages, %d bytes, %d with marker, %d from %s"
          % (a.count, total, len(markers), len(froms), SEARCH_FROM))


if __name__ == "__main__":
    main()
