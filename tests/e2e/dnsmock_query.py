#!/usr/bin/env python3
# dnsmock_query.py - the DNS side of e2e.dnsmock, in one process (Python
# starts slowly on a loaded machine): a hand-built DNS client (no
# dnspython) checks the answers of `serve --dns-mock` while records are
# set through the management API, then sends malformed packets.
#   dnsmock_query.py DNS_PORT ADMIN_URL ROOT_PEM
# Prints "ok: ..." lines; exits 1 with "FAIL: ..." on the first mismatch.
# SPDX-License-Identifier: MIT
import ipaddress
import os
import random
import socket
import ssl
import struct
import sys
import urllib.error
import urllib.request

TYPES = {"A": 1, "CNAME": 5, "TXT": 16, "AAAA": 28, "CAA": 257}
PORT, ADMIN, ROOT = int(sys.argv[1]), sys.argv[2], sys.argv[3]
CTX = ssl.create_default_context(cafile=ROOT)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ask(pkt, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(pkt, ("127.0.0.1", PORT))
        return s.recv(4096)
    except socket.timeout:
        return None
    finally:
        s.close()


def name_wire(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_name(buf, off):
    labels = []
    while True:
        n = buf[off]
        off += 1
        if n == 0:
            return ".".join(labels), off
        labels.append(buf[off:off + n].decode())
        off += n


def q(name, qtype):
    """The answers to one query as text, or "RCODE n"."""
    qid = random.randrange(65536)
    pkt = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + name_wire(name)
    pkt += struct.pack(">HH", TYPES[qtype], 1)
    ans = ask(pkt)
    if ans is None:
        fail("no answer to %s %s" % (name, qtype))
    rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", ans[:12])
    if rid != qid or not flags & 0x8000 or qd != 1:
        fail("a bad header answering %s %s" % (name, qtype))
    if flags & 0x0F:
        return ["RCODE %d" % (flags & 0x0F)]
    _, off = read_name(ans, 12)
    off += 4
    out = []
    for _ in range(an):
        _, off = read_name(ans, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", ans[off:off + 10])
        off += 10
        rd = ans[off:off + rdlen]
        if rtype == 1:
            out.append(str(ipaddress.IPv4Address(rd)))
        elif rtype == 28:
            out.append(str(ipaddress.IPv6Address(rd)))
        elif rtype == 16:
            i, parts = 0, []
            while i < len(rd):
                parts.append(rd[i + 1:i + 1 + rd[i]].decode())
                i += 1 + rd[i]
            out.append("".join(parts))
        elif rtype == 257:
            tl = rd[1]
            out.append("%d %s %s" % (rd[0], rd[2:2 + tl].decode(),
                                     rd[2 + tl:].decode()))
        elif rtype == 5:
            out.append("CNAME " + read_name(ans, off)[0])
        off += rdlen
    return out


def post(path, body, headers=None):
    req = urllib.request.Request(ADMIN + path, data=body.encode(),
                                 method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, context=CTX) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def mock(path, body):
    code = post(path, body)
    if code != 200:
        fail("POST %s %s: %d" % (path, body, code))


def expect(name, qtype, want):
    got = q(name, qtype)
    if got != want:
        fail("%s %s: want %r, got %r" % (name, qtype, want, got))


expect("anything.test", "A", ["127.0.0.1"])
expect("anything.test", "AAAA", ["::1"])
mock("/add-a", '{"host":"web.test","addresses":["127.0.0.2","127.0.0.3"]}')
expect("WEB.test", "A", ["127.0.0.2", "127.0.0.3"])
mock("/add-aaaa", '{"host":"web.test","addresses":["2001:db8::1"]}')
expect("web.test", "AAAA", ["2001:db8::1"])
mock("/clear-aaaa", '{"host":"web.test"}')
expect("web.test", "AAAA", ["::1"])
mock("/set-txt", '{"host":"_acme-challenge.web.test.","value":"hello"}')
mock("/set-txt", '{"host":"_acme-challenge.web.test","value":"%s"}' % ("x" * 300))
expect("_acme-challenge.web.test", "TXT", ["hello", "x" * 300])
mock("/clear-txt", '{"host":"_acme-challenge.web.test"}')
expect("_acme-challenge.web.test", "TXT", [])
mock("/set-cname", '{"host":"alias.test","target":"web.test"}')
expect("alias.test", "A", ["CNAME web.test", "127.0.0.2", "127.0.0.3"])
mock("/clear-cname", '{"host":"alias.test"}')
expect("alias.test", "A", ["127.0.0.1"])
mock("/clear-a", '{"host":"web.test"}')
expect("web.test", "A", ["127.0.0.1"])
mock("/add-caa", '{"host":"c.test","policies":[{"tag":"issue","value":"ca.example"}]}')
expect("c.test", "CAA", ["0 issue ca.example"])
mock("/clear-caa", '{"host":"c.test"}')
expect("c.test", "CAA", [])
mock("/set-servfail", '{"host":"down.test"}')
expect("down.test", "A", ["RCODE 2"])
mock("/clear-servfail", '{"host":"down.test"}')
expect("down.test", "A", ["127.0.0.1"])
print("ok: A, AAAA, TXT, CAA, CNAME and SERVFAIL answers follow the management API")

for path, body in (("/add-a", '{"host":"x.test","addresses":["127.0.0.9","not-an-ip"]}'),
                   ("/clear-a", '{"host":"bad host"}'),
                   ("/set-txt", '{"host":"x.test"}'),
                   ("/add-caa", '{"host":"x.test","policies":[{"tag":"is sue","value":"a"}]}'),
                   ("/set-default-ipv4", '{"ip":"::1"}'),
                   ("/set-txt", "not json")):
    code = post(path, body)
    if code != 400:
        fail("POST %s %s answered %d, not 400" % (path, body, code))
code = post("/set-txt", '{"host":"x.test","value":"v"}',
            {"Origin": "https://evil.example"})
if code != 403:
    fail("a request with an Origin answered %d, not 403" % code)
expect("x.test", "TXT", [])
expect("x.test", "A", ["127.0.0.1"])   # all or nothing: 127.0.0.9 not added
print("ok: bad bodies get 400 and change nothing, a web page's request 403")

# Malformed packets: FORMERR (1) or NOTIMP (4), or no answer at all.
bad = [b"\0", b"\x12\x34",
       bytes.fromhex("123401000001000000000000"),               # no question
       bytes.fromhex("12340100000100000000000003666f6f"),       # cut name
       bytes.fromhex("1234010000010000000000000c666f6f0000010001"),  # label past end
       bytes.fromhex("12340100000100000000000003666f6fc00c00010001"),  # pointer
       bytes.fromhex("12340100000200000000000003666f6f0000010001"),  # QDCOUNT 2
       bytes.fromhex("12348100000100000000000003666f6f0000010001"),  # a response
       bytes.fromhex("12340100000100000000000040") + b"a" * 64 + b"\0\0\1\0\1",
       bytes.fromhex("123401000001000000000000") + b"\x3f" + b"a" * 63 +
       b"\x3f" + b"a" * 63 + b"\x3f" + b"a" * 63 + b"\x3f" + b"a" * 63 +
       b"\0\0\1\0\1"]                                            # name > 255
rnd = random.Random(os.getpid())
for _ in range(200):
    # Random bytes, QR clear: a query's header, so an answer is due.
    pkt = bytearray(rnd.randrange(256) for _ in range(rnd.randrange(12, 700)))
    pkt[2] &= 0x7F
    bad.append(bytes(pkt))
silent = 0
for pkt in bad:
    ans = ask(pkt, 0.3)
    if ans is None:
        if len(pkt) >= 12 and not pkt[2] & 0x80:
            fail("no answer to the query-like packet %s" % pkt.hex())
        silent += 1
        continue
    if len(ans) < 12 or not ans[2] & 0x80 or ans[3] & 0x0F not in (1, 4):
        fail("malformed packet %s answered %s" % (pkt.hex(), ans.hex()))
expect("still.test", "A", ["127.0.0.1"])
print("ok: %d malformed packets get FORMERR or NOTIMP (%d without a header "
      "or a response: nothing); the server still answers" % (len(bad), silent))
