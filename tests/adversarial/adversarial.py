#!/usr/bin/env python3
# adversarial.py - HARDENING.md §3 hostile requests over HTTPS against a running `localacme serve`
# SPDX-License-Identifier: MIT
"""Drive a running localacme server with every applicable case of
HARDENING.md §3 and check each answer: HTTP status, Content-Type,
problem type, the problem's "status" member, Replay-Nonce and
Link rel="index" on every error.

    adversarial.py --directory URL --cafile root.pem --http01-port P \
        [--only ROW[,ROW...]] [--list]

Prints one line per case ("ok T01 ...", "FAIL T01 ...: why"), then
"N passed, M failed" and exits 1 on any failure. README.md beside this
file says what each group covers and which rows are left out and why.
Only Debian's python3 and python3-cryptography are needed.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import secrets
import select
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import (dsa, ec, ed448,
                                                       ed25519, padding, rsa)
from cryptography.hazmat.primitives.asymmetric.utils import \
    encode_dss_signature

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
# From the shared client: the pieces (encoding, Key, JWS, HTTPS); the wrong
# requests themselves are built in this file.
import acme_client  # noqa: E402
from acme_client import (CT_JOSE, CT_PROBLEM, Key, b64u, b64u_dec,  # noqa: E402
                         int_bytes, jdump, key_authorization)

ERR = acme_client.P_PREFIX
B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+$")

# ---------------------------------------------------------------- DER (just enough for CSRs and certificates)


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = int_bytes(n)
    return bytes([0x80 | len(b)]) + b


def der(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def seq(*items):
    return der(0x30, b"".join(items))


def set_of(*items):
    return der(0x31, b"".join(items))


def oid(dotted):
    parts = [int(x) for x in dotted.split(".")]
    out = bytearray([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(enc))
    return der(0x06, bytes(out))


def der_int(n):
    b = n.to_bytes((n.bit_length() + 8) // 8 or 1, "big", signed=True)
    return der(0x02, b)


def utf8(s):
    return der(0x0C, s.encode() if isinstance(s, str) else s)


def octets(b):
    return der(0x04, b)


def bitstr(b):
    return der(0x03, b"\x00" + b)


DER_NULL = b"\x05\x00"
DER_TRUE = b"\x01\x01\xff"


def name_cn(cn):
    if cn is None:
        return seq()
    return seq(set_of(seq(oid("2.5.4.3"), utf8(cn))))


def gn_dns(v):
    return der(0x82, v.encode() if isinstance(v, str) else v)


def gn_ip(v):
    return der(0x87, socket.inet_pton(socket.AF_INET6 if ":" in v
                                      else socket.AF_INET, v))


def ext(oid_s, value, critical=False):
    return seq(oid(oid_s), DER_TRUE if critical else b"", octets(value))


def ext_san(gns):
    return ext("2.5.29.17", seq(*gns))


def attr_ext_req(*exts):
    return seq(oid("1.2.840.113549.1.9.14"), set_of(seq(*exts)))


# ---------------------------------------------------------------- raw RSA (for keys a library will not make)


def is_probable_prime(n, rounds=32):
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(bits, e=65537):
    while True:
        p = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if (e == 1 or (p - 1) % e != 0) and is_probable_prime(p):
            return p


def next_prime(n, e=65537):
    n |= 1
    while not (is_probable_prime(n) and (n - 1) % e != 0):
        n += 2
    return n


SHA256_DI = bytes.fromhex("3031300d060960864801650304020105000420")


def emsa_pkcs1(msg, k):
    t = SHA256_DI + hashlib.sha256(msg).digest()
    return b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


class RawRSA:
    """RSA done with pow(): any modulus size and any exponent."""

    def __init__(self, n, e, d=None):
        self.n, self.e, self.d = n, e, d
        self.k = (n.bit_length() + 7) // 8

    @classmethod
    def from_primes(cls, p, q, e):
        n = p * q
        d = pow(e, -1, (p - 1) * (q - 1)) if e != 1 else 1
        return cls(n, e, d)

    def jwk(self):
        return {"kty": "RSA", "n": b64u(int_bytes(self.n)),
                "e": b64u(int_bytes(self.e))}

    alg = "RS256"

    def sign(self, msg, alg=None):
        m = int.from_bytes(emsa_pkcs1(msg, self.k), "big")
        if self.d is None:
            return secrets.token_bytes(self.k)
        return int_bytes(pow(m, self.d, self.n), self.k)


# ---------------------------------------------------------------- keys (Key is the shared client's)


def generic_sign(priv, data, how="sha256"):
    """Sign data with any cryptography private key; returns (sig, algid)."""
    if isinstance(priv, ec.EllipticCurvePrivateKey):
        h, o = {"sha256": (hashes.SHA256(), "1.2.840.10045.4.3.2"),
                "sha1": (hashes.SHA1(), "1.2.840.10045.4.1")}[how]
        return priv.sign(data, ec.ECDSA(h)), seq(oid(o))
    if isinstance(priv, rsa.RSAPrivateKey):
        h, o = {"sha256": (hashes.SHA256(), "1.2.840.113549.1.1.11"),
                "sha1": (hashes.SHA1(), "1.2.840.113549.1.1.5"),
                "md5": (hashes.MD5(), "1.2.840.113549.1.1.4")}[how]
        return priv.sign(data, padding.PKCS1v15(), h), seq(oid(o), DER_NULL)
    if isinstance(priv, ed25519.Ed25519PrivateKey):
        return priv.sign(data), seq(oid("1.3.101.112"))
    if isinstance(priv, ed448.Ed448PrivateKey):
        return priv.sign(data), seq(oid("1.3.101.113"))
    if isinstance(priv, dsa.DSAPrivateKey):
        return (priv.sign(data, hashes.SHA256()),
                seq(oid("2.16.840.1.101.3.4.3.2")))
    if isinstance(priv, RawRSA):
        return priv.sign(data), seq(oid("1.2.840.113549.1.1.11"), DER_NULL)
    raise TypeError(priv)


def spki_of(priv):
    if isinstance(priv, RawRSA):
        alg = seq(oid("1.2.840.113549.1.1.1"), DER_NULL)
        return seq(alg, bitstr(seq(der_int(priv.n), der_int(priv.e))))
    return priv.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def make_csr(priv, dns=(), ips=(), cn=None, gns=None, exts=(), attrs=None,
             how="sha256", spki=None):
    """A CSR built by hand so that any part can be wrong.

    priv: a cryptography private key, a Key or a RawRSA. dns/ips become one
    subjectAltName extension unless gns (a list of encoded GeneralNames) is
    given; exts are extra encoded Extensions; attrs replaces the whole
    attribute block.
    """
    if isinstance(priv, Key):
        priv = priv.priv
    if gns is None:
        gns = [gn_dns(d) for d in dns] + [gn_ip(i) for i in ips]
    exts = list(exts)
    if gns:
        exts.insert(0, ext_san(gns))
    if attrs is None:
        attrs = [attr_ext_req(*exts)] if exts else []
    cri = seq(der_int(0), name_cn(cn), spki or spki_of(priv),
              der(0xA0, b"".join(attrs)))
    sig, algid = generic_sign(priv, cri, how)
    return seq(cri, algid, bitstr(sig))


# ---------------------------------------------------------------- HTTP


class Resp(acme_client.Response):
    # What the envelope must hold (Client.request sets them):
    # RFC 8555 §6.5, §7.2 a nonce on POST answers and on newNonce
    # only; §7.1.1 Link rel="index" on every resource but the directory.
    want_nonce = True
    want_index = True


class Acct:
    def __init__(self, key, kid, body=None):
        self.key, self.kid, self.body = key, kid, body or {}


class Client(acme_client.Transport):
    """The shared transport (a keep-alive connection per thread) with this
    suite's request layer: every answer recorded for N13 and D05, and
    requests sent exactly as built."""

    response_class = Resp

    def __init__(self, directory, cafile):
        # Python 3.13's default (cpython#107361): also proves our chain is
        # strict-clean.
        super().__init__(directory, cafile, addr=urllib.parse.urlsplit(
            directory).hostname, strict=True)
        self.directory = directory
        self.lock = threading.Lock()
        self.nonces_seen = set()
        self.nonce_dups = []
        self.nresp = 0
        self.retry_after_bad = []
        self.post_without_nonce = []
        self.get_with_nonce = []
        self.dir = {}
        self.dir = self.get(directory).json()

    # -- transport
    def request(self, method, url, body=None, headers=None):
        path = url[len(self.base):] if url.startswith(self.base) else url
        for attempt in (0, 1):
            try:
                resp = self.exchange(method, path, body, headers,
                                     fresh=attempt == 1)
                break
            except acme_client.TRANSPORT_ERRORS:
                if attempt == 1:
                    raise
        rpath = urllib.parse.urlsplit(path).path
        nn = urllib.parse.urlsplit(self.dir.get("newNonce", "")).path
        resp.want_nonce = method == "POST" or (
            method in ("GET", "HEAD") and rpath == nn)
        resp.want_index = rpath != urllib.parse.urlsplit(
            self.directory).path
        self._record(resp, method, path)
        return resp

    def _record(self, resp, method, path):
        n = resp.header("Replay-Nonce")
        ra = resp.header("Retry-After")
        with self.lock:
            self.nresp += 1
            if method == "POST" and n is None:
                self.post_without_nonce.append("%s -> %d" % (path[:60],
                                                             resp.status))
            if not resp.want_nonce and n is not None:
                self.get_with_nonce.append("%s %s -> %d" % (
                    method, path[:60], resp.status))
            if n is not None:
                if n in self.nonces_seen:
                    self.nonce_dups.append(n)
                self.nonces_seen.add(n)
            if ra is not None and not re.fullmatch(r"[0-9]+", ra):
                self.retry_after_bad.append(ra)

    def get(self, url, headers=None):
        return self.request("GET", url, headers=headers)

    def nonce(self):
        return self.head_nonce(self.dir["newNonce"], any_status=True)

    def url(self, name):
        return self.dir[name]

    # -- JWS
    def jws(self, key, url, payload, kid=None, nonce=True, **kw):
        """acme_client.jws(); nonce=True fetches a fresh one (unless kw
        gives the whole header, hdr)."""
        if nonce is True and kw.get("hdr") is None:
            nonce = self.nonce()
        elif nonce is True:
            nonce = None
        return acme_client.jws(key, url, payload, nonce=nonce, kid=kid, **kw)

    def post_raw(self, url, body, ctype=CT_JOSE, headers=None, path=None):
        h = {} if ctype is None else {"Content-Type": ctype}
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = jdump(body)
        if isinstance(body, str):
            body = body.encode()
        return self.request("POST", path or url, body=body, headers=h)

    def post(self, url, key, payload, kid=None, **kw):
        return self.post_raw(url, self.jws(key, url, payload, kid=kid, **kw))

    def post_as(self, acct, url, payload, **kw):
        return self.post(url, acct.key, payload, kid=acct.kid, **kw)

    # -- raw sockets (framing cases)
    def tls_socket(self, timeout=10):
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        return self.ctx.wrap_socket(s, server_hostname=self.host)

    def alive(self):
        r = self.get(self.directory)
        return r.status == 200 and "newNonce" in (r.json() or {})


def read_http_response(s, timeout=15):
    """Read one HTTP/1.1 response from a socket; returns (status, headers,
    body, closed) or (None, ..., closed=True) when the peer closed first."""
    s.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while b"\r\n\r\n" not in buf:
            if time.monotonic() > deadline:
                return None, [], b"", False
            d = s.recv(65536)
            if not d:
                return None, [], b"", True
            buf += d
    except (ConnectionError, ssl.SSLError, OSError):
        return None, [], b"", True
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    status = int(m.group(1)) if m else None
    hdrs = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs.append((k.strip(), v.strip()))
    clen = None
    for k, v in hdrs:
        if k.lower() == "content-length":
            clen = int(v)
    closed = False
    try:
        while clen is not None and len(rest) < clen:
            d = s.recv(65536)
            if not d:
                closed = True
                break
            rest += d
    except (ConnectionError, ssl.SSLError, OSError):
        closed = True
    return status, hdrs, rest, closed


def peer_closed(s, timeout=5):
    """True if the server closes the connection within timeout."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except (ConnectionError, ssl.SSLError, OSError):
        return True


# ---------------------------------------------------------------- http-01 responder and listeners


class Responder:
    """The http-01 target: serves key authorizations by token, or hostile
    answers (redirects, endless bodies) on request; counts requests."""

    def __init__(self, port):
        self.port = port
        self.plan = {}          # token -> (kind, arg)
        self.hits = {}          # token -> count
        self.lock = threading.Lock()
        self.servers = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                tok = self.path.rsplit("/", 1)[-1]
                with outer.lock:
                    outer.hits[tok] = outer.hits.get(tok, 0) + 1
                    kind, arg = outer.plan.get(tok, ("404", None))
                try:
                    outer.answer(self, kind, arg)
                except (ConnectionError, OSError):
                    pass

        for fam, addr in ((socket.AF_INET, "127.0.0.1"),
                          (socket.AF_INET6, "::1")):
            cls = type("S", (socketserver.ThreadingMixIn,
                             http.server.HTTPServer),
                       {"address_family": fam, "daemon_threads": True,
                        "allow_reuse_address": True})
            try:
                srv = cls((addr, port), H)
            except OSError:
                if fam == socket.AF_INET:
                    raise
                continue
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            self.servers.append(srv)

    def answer(self, h, kind, arg):
        if kind == "ok" or kind == "slow":
            if kind == "slow":
                time.sleep(arg[1])
                arg = arg[0]
            body = arg.encode()
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        elif kind == "redirect":
            h.send_response(302)
            h.send_header("Location", arg)
            h.send_header("Content-Length", "0")
            h.end_headers()
        elif kind == "huge":
            # 1 GB announced; write until the validator hangs up.
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            h.send_header("Content-Length", str(1 << 30))
            h.end_headers()
            chunk = (arg * (65536 // len(arg) + 1))[:65536].encode()
            for _ in range((1 << 30) // 65536):
                h.wfile.write(chunk)
        else:
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()

    def set(self, token, kind, arg=None):
        with self.lock:
            self.plan[token] = (kind, arg)

    def count(self, token):
        with self.lock:
            return self.hits.get(token, 0)


class Tripwire:
    """A loopback listener that must never be contacted; counts connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            c.close()


# ---------------------------------------------------------------- cases


class CaseFail(Exception):
    pass


class T:
    """Per-case checker: every check is recorded; the case fails if any did."""

    def __init__(self, row):
        self.row = row
        self.fails = []

    def check(self, cond, what):
        if not cond:
            self.fails.append(what)
        return bool(cond)

    def problem(self, r, allowed, what="", extra=None):
        """allowed: (status, type) or a list of them; type without prefix."""
        if isinstance(allowed, tuple):
            allowed = [allowed]
        label = (what + ": ") if what else ""
        j = r.json() if r.ctype and "json" in r.ctype else None
        got_type = (j or {}).get("type", "") if isinstance(j, dict) else ""
        got = (r.status, got_type[len(ERR):] if got_type.startswith(ERR)
               else got_type)
        if got not in allowed:
            self.fails.append("%swant %s, got %r" % (
                label, " or ".join("%d %s" % a for a in allowed), r))
            return False
        ok = True
        ok &= self.check(r.ctype == CT_PROBLEM,
                         "%sContent-Type %r" % (label, r.ctype))
        ok &= self.check(isinstance(j, dict) and j.get("status") == r.status,
                         "%sproblem status member %r" % (
                             label, (j or {}).get("status")))
        ok &= self.check_envelope(r, label)
        if extra:
            ok &= extra(j)
        return ok

    def check_envelope(self, r, label=""):
        n = r.header("Replay-Nonce")
        if r.want_nonce:
            ok = self.check(n is not None and B64URL_RE.match(n),
                            "%sno base64url Replay-Nonce (%r)" % (label, n))
        else:
            ok = self.check(n is None, "%sReplay-Nonce %r on an answer to "
                            "a GET (RFC 8555 §7.2: newNonce and POST only)"
                            % (label, n))
        links = " ".join(r.header_all("Link"))
        if r.want_index:
            ok &= self.check('rel="index"' in links,
                             "%sno Link rel=\"index\"" % label)
        else:
            ok &= self.check('rel="index"' not in links,
                             "%sLink rel=\"index\" on the directory (%r)"
                             % (label, links))
        return ok

    def status(self, r, codes, what=""):
        if isinstance(codes, int):
            codes = (codes,)
        return self.check(r.status in codes, "%s%swant %s, got %r" % (
            what, ": " if what else "", "/".join(map(str, codes)), r))


CASES = []


def case(row, title):
    def deco(fn):
        CASES.append((row, title, fn))
        return fn
    return deco


class Env:
    """Shared fixtures, created on first use."""

    def __init__(self, c, http01_port):
        self.c = c
        self.resp = Responder(http01_port)
        self._cache = {}
        self.uniq = 0
        self.lock = threading.Lock()
        self.ids_seen = set()

    def name(self, prefix="n"):
        with self.lock:
            self.uniq += 1
            return "%s%d-%s.localhost" % (prefix, self.uniq,
                                          secrets.token_hex(3))

    def fixture(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def note_url(self, url):
        """Remember (kind, id) of a resource URL for Z04."""
        if url and url.startswith(self.c.base):
            seg = url[len(self.c.base):].split("?")[0].split("/")
            if len(seg) >= 4 and seg[1] == "acme" and seg[3]:
                self.ids_seen.add((seg[2], seg[3]))

    # -- accounts
    def new_account(self, kind="p256", payload=None):
        k = Key(kind)
        r = self.c.post(self.c.url("newAccount"), k, payload or {
            "termsOfServiceAgreed": True})
        if r.status != 201:
            raise CaseFail("newAccount failed: %r" % r)
        return Acct(k, r.header("Location"), r.json())

    @property
    def A(self):
        return self.fixture("A", self.new_account)

    @property
    def B(self):
        return self.fixture("B", self.new_account)

    @property
    def C(self):   # RSA-2048
        return self.fixture("C", lambda: self.new_account("rsa2048"))

    # -- orders
    def new_order(self, acct, names=None, ips=()):
        ids = [{"type": "dns", "value": n} for n in (
            [self.name()] if names is None else names)]
        ids += [{"type": "ip", "value": i} for i in ips]
        r = self.c.post_as(acct, self.c.url("newOrder"), {"identifiers": ids})
        if r.status != 201:
            raise CaseFail("newOrder failed: %r" % r)
        o = r.json()
        o["url"] = r.header("Location")
        self.note_url(o["url"])
        return o

    def get(self, acct, url):
        return self.c.post_as(acct, url, None)

    def authz(self, acct, url):
        r = self.get(acct, url)
        if r.status != 200:
            raise CaseFail("authz fetch failed: %r" % r)
        a = r.json()
        a["url"] = url
        self.note_url(url)
        for ch in a.get("challenges", []):
            self.note_url(ch.get("url"))
        return a

    def chall(self, authz, typ="http-01"):
        for ch in authz["challenges"]:
            if ch["type"] == typ:
                return ch
        raise CaseFail("no %s challenge in %r" % (typ, authz))

    def keyauth(self, acct, token):
        return key_authorization(token, acct.key)

    def poll(self, acct, url, done, timeout=40):
        end = time.monotonic() + timeout
        while True:
            r = self.get(acct, url)
            j = r.json() or {}
            if r.status != 200 or done(j) or time.monotonic() > end:
                return r, j
            time.sleep(0.2)

    def validate(self, acct, authz_url, kind="ok", arg=None, wait=True):
        a = self.authz(acct, authz_url)
        ch = self.chall(a)
        self.resp.set(ch["token"], kind,
                      self.keyauth(acct, ch["token"]) if arg is None else arg)
        r = self.c.post_as(acct, ch["url"], {})
        if r.status != 200:
            raise CaseFail("challenge POST failed: %r" % r)
        if not wait:
            return ch, None
        r, j = self.poll(acct, authz_url, lambda j: j.get("status") !=
                         "pending")
        return ch, j

    def ready_order(self, acct, names=None, ips=()):
        o = self.new_order(acct, names, ips)
        for au in o["authorizations"]:
            _, j = self.validate(acct, au)
            if j.get("status") != "valid":
                raise CaseFail("authz did not become valid: %r" % j)
        r, j = self.poll(acct, o["url"], lambda j: j.get("status") != "pending")
        if j.get("status") != "ready":
            raise CaseFail("order not ready: %r" % j)
        j["url"] = o["url"]
        return j

    def finalize(self, acct, order, csr_der):
        return self.c.post_as(acct, order["finalize"], {"csr": b64u(csr_der)})

    def issue(self, acct, names=None, key=None):
        """A certificate for acct; returns (order, leaf x509, chain pem, key)."""
        o = self.ready_order(acct, names)
        names = [i["value"] for i in o["identifiers"]]
        key = key or Key("p256")
        r = self.finalize(acct, o, make_csr(key, names))
        if r.status != 200:
            raise CaseFail("finalize failed: %r" % r)
        r, j = self.poll(acct, o["url"], lambda j: j.get("status") not in (
            "processing", "ready"))
        if j.get("status") != "valid":
            raise CaseFail("order did not become valid: %r" % j)
        j["url"] = o["url"]
        r = self.get(acct, j["certificate"])
        if r.status != 200:
            raise CaseFail("certificate download failed: %r" % r)
        self.note_url(j["certificate"])
        leaf = x509.load_pem_x509_certificate(r.body)
        return j, leaf, r.body, key

    @property
    def A_cert(self):
        return self.fixture("A_cert", lambda: self.issue(self.A))


# ================================================================ 3.1 HTTP framing and transport (T)

def order_jws(env, url=None, **kw):
    c = env.c
    u = url or c.url("newOrder")
    return c.jws(env.A.key, u, {"identifiers": [
        {"type": "dns", "value": env.name()}]}, kid=env.A.kid, **kw)


@case("T01", "POST without Content-Type -> 415 malformed")
def t01(env, t):
    c = env.c
    t.problem(c.post_raw(c.url("newOrder"), order_jws(env), ctype=None),
              (415, "malformed"))


@case("T02", "Content-Type application/json -> 415 malformed")
def t02(env, t):
    c = env.c
    t.problem(c.post_raw(c.url("newOrder"), order_jws(env),
                         ctype="application/json"), (415, "malformed"))


@case("T03", "Content-Type with ;charset=utf-8 -> 415 malformed")
def t03(env, t):
    c = env.c
    t.problem(c.post_raw(c.url("newOrder"), order_jws(env),
                         ctype=CT_JOSE + "; charset=utf-8"),
              (415, "malformed"))


@case("T04", "GET on newAccount, an order, an account -> 405 + Allow")
def t04(env, t):
    c = env.c
    o = env.new_order(env.A)
    for what, u in (("newAccount", c.url("newAccount")), ("order", o["url"]),
                    ("account", env.A.kid)):
        r = c.get(u)
        t.problem(r, (405, "malformed"), what)
        t.check(r.header("Allow") and "POST" in r.header("Allow"),
                "%s: Allow header %r" % (what, r.header("Allow")))


@case("T05", "PUT/DELETE/PATCH on ACME paths -> 405 + Allow")
def t05(env, t):
    c = env.c
    for m in ("PUT", "DELETE", "PATCH"):
        for u in (c.url("newOrder"), c.directory, c.url("newNonce"),
                  env.A.kid):
            r = c.request(m, u, body=b"{}", headers={"Content-Type": CT_JOSE})
            w = "%s %s" % (m, u[len(c.base):])
            t.problem(r, (405, "malformed"), w)
            t.check(r.header("Allow"), "%s: no Allow header" % w)


@case("T06", "POST to an unknown path -> 404 malformed")
def t06(env, t):
    c = env.c
    for p in ("/acme/nope", "/nope", "/acme/order/x/y/z"):
        t.problem(c.post_raw(c.base + p, order_jws(env, c.base + p)),
                  (404, "malformed"), p)


@case("T07", "POST with Content-Length: 0 -> 400 malformed")
def t07(env, t):
    c = env.c
    t.problem(c.post_raw(c.url("newOrder"), b""), (400, "malformed"))


def raw_request(c, head, body=b"", chunked_body=None, timeout=15,
                wait_close=True):
    """Send head (str, without the final CRLF CRLF) and a body; stop sending
    as soon as the server answers. Returns (status, headers, body, closed)."""
    s = c.tls_socket(timeout=timeout)
    try:
        try:
            s.sendall(head.encode("latin-1") + b"\r\n\r\n")
        except (ConnectionError, ssl.SSLError, OSError):
            # Closed while we were still sending the head (T13, T14):
            # read whatever answer came first.
            st, h, b, _ = read_http_response(s, 5)
            return st, h, b, True, 0
        data = body
        if chunked_body is not None:
            data = chunked_body
        off = 0
        s.settimeout(2)
        while off < len(data):
            rl, _, _ = select.select([s], [], [], 0)
            if rl or s.pending():
                break
            try:
                n = s.send(data[off:off + 16384])
            except socket.timeout:
                break
            except (ConnectionError, ssl.SSLError, OSError):
                break
            off += n
        st, h, b, closed = read_http_response(s, timeout)
        if st is not None and not closed and wait_close:
            closed = peer_closed(s, 5)
        return st, h, b, closed, off
    finally:
        s.close()


def hdr_get(h, name):
    for k, v in h:
        if k.lower() == name.lower():
            return v
    return None


def problem_of(st, h, b):
    try:
        j = json.loads(b)
        return j.get("type", "")[len(ERR):]
    except ValueError:
        return None


def chunk(data, size=8192):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def host_hdr(c):
    return "%s:%d" % (c.host, c.port)


@case("T08", "1 MiB body (Content-Length) -> 413 malformed, connection closed")
def t08(env, t):
    c = env.c
    body = b"{" + b" " * ((1 << 20) - 2) + b"}"
    head = ("POST /acme/new-order HTTP/1.1\r\nHost: %s\r\nContent-Type: %s"
            "\r\nContent-Length: %d" % (host_hdr(c), CT_JOSE, len(body)))
    st, h, b, closed, sent = raw_request(c, head, body)
    t.check(st == 413 and problem_of(st, h, b) == "malformed",
            "want 413 malformed, got %r %r" % (st, b[:200]))
    t.check(hdr_get(h, "Content-Type") == CT_PROBLEM,
            "Content-Type %r" % hdr_get(h, "Content-Type"))
    t.check(hdr_get(h, "Replay-Nonce"), "no Replay-Nonce")
    t.check(closed, "connection not closed after the 413")
    t.check(c.alive(), "server not answering afterwards")


@case("T09", "1 MiB chunked body, no Content-Length -> 413 malformed")
def t09(env, t):
    c = env.c
    body = chunk(b"{" + b" " * ((1 << 20) - 2) + b"}")
    head = ("POST /acme/new-order HTTP/1.1\r\nHost: %s\r\nContent-Type: %s"
            "\r\nTransfer-Encoding: chunked" % (host_hdr(c), CT_JOSE))
    st, h, b, closed, _ = raw_request(c, head, chunked_body=body)
    t.check(st == 413 and problem_of(st, h, b) == "malformed",
            "want 413 malformed, got %r %r" % (st, b[:200]))
    t.check(hdr_get(h, "Replay-Nonce"), "no Replay-Nonce")
    t.check(closed, "connection not closed after the 413")
    t.check(c.alive(), "server not answering afterwards")


@case("T10", "Content-Length: 10000000, 10 bytes, stall -> 413 at once")
def t10(env, t):
    c = env.c
    head = ("POST /acme/new-order HTTP/1.1\r\nHost: %s\r\nContent-Type: %s"
            "\r\nContent-Length: 10000000" % (host_hdr(c), CT_JOSE))
    t0 = time.monotonic()
    st, h, b, closed, _ = raw_request(c, head, b'{"protect"', timeout=20)
    dt = time.monotonic() - t0
    # 413 before reading, or a close at the timeout: both are allowed.
    t.check((st == 413 and problem_of(st, h, b) == "malformed") or
            (st is None and closed),
            "want 413 malformed or a close, got %r %r" % (st, b[:200]))
    if st == 413:
        t.check(hdr_get(h, "Replay-Nonce"), "no Replay-Nonce")
    t.check(c.alive(), "server not answering afterwards (%.1fs)" % dt)


@case("T11", "Content-Length and Transfer-Encoding together -> 400 or TE + close")
def t11(env, t):
    c = env.c
    body = jdump(order_jws(env)).encode()
    ch = chunk(body)
    head = ("POST /acme/new-order HTTP/1.1\r\nHost: %s\r\nContent-Type: %s"
            "\r\nContent-Length: %d\r\nTransfer-Encoding: chunked" % (
                host_hdr(c), CT_JOSE, len(body)))
    st, h, b, closed, _ = raw_request(c, head, chunked_body=ch)
    if st == 400:
        pass
    else:
        # Read per Transfer-Encoding (RFC 9112 §6.3) and then closed.
        t.check(st == 201, "want 400, or 201 read per TE; got %r %r" % (
            st, b[:200]))
        t.check(closed or (hdr_get(h, "Connection") or "").lower() ==
                "close", "connection kept open after CL+TE")
    t.check(c.alive(), "server not answering afterwards")


@case("T12", "request carries a Replay-Nonce header -> 400 malformed")
def t12(env, t):
    c = env.c
    t.problem(c.post_raw(c.url("newOrder"), order_jws(env),
                         headers={"Replay-Nonce": c.nonce()}),
              (400, "malformed"))


@case("T13", "100 KiB request-URI -> 414 or close, no crash")
def t13(env, t):
    c = env.c
    head = "GET /acme/" + "a" * (100 << 10) + " HTTP/1.1\r\nHost: " + \
        host_hdr(c)
    st, h, b, closed, _ = raw_request(c, head)
    t.check(st in (414, 400, 431) or (st is None and closed),
            "want 414 or a close, got %r" % st)
    t.check(c.alive(), "server not answering afterwards")


@case("T14", "10,000 headers / 1 MiB header block -> 431/413 or close")
def t14(env, t):
    c = env.c
    for what, extra in (
            ("10000 headers", "".join("\r\nX-H%d: v" % i
                                      for i in range(10000))),
            ("1 MiB header", "\r\nX-Big: " + "b" * (1 << 20))):
        head = "GET /directory HTTP/1.1\r\nHost: " + host_hdr(c) + extra
        t0 = time.monotonic()
        st, h, b, closed, _ = raw_request(c, head)
        t.check(st in (431, 413, 400) or (st is None and closed),
                "%s: want 431/413 or a close, got %r" % (what, st))
        t.check(time.monotonic() - t0 < 10, "%s: not refused quickly" % what)
    t.check(c.alive(), "server not answering afterwards")


@case("T15", "Host: evil.example on GET /directory -> canonical URLs")
def t15(env, t):
    c = env.c
    r = c.get(c.directory, headers={"Host": "evil.example"})
    t.status(r, 200)
    j = r.json() or {}
    for k in ("newNonce", "newAccount", "newOrder", "revokeCert", "keyChange"):
        t.check(j.get(k, "").startswith(c.base + "/"),
                "%s = %r does not start with %s" % (k, j.get(k), c.base))
    t.check(b"evil" not in r.body, "Host reflected in the directory")


@case("T16", "Host: evil.example and url on evil.example -> 403 unauthorized")
def t16(env, t):
    c = env.c
    evil = "https://evil.example/acme/new-order"
    r = c.post_raw(None, order_jws(env, url=evil), path="/acme/new-order",
                   headers={"Host": "evil.example"})
    t.problem(r, (403, "unauthorized"))


@case("T17", "body not UTF-8 (0xFF in a JSON string) -> 400 malformed")
def t17(env, t):
    c = env.c
    j = order_jws(env)
    body = jdump(j).encode().replace(b'"signature":"', b'"signature":"\xff')
    t.problem(c.post_raw(c.url("newOrder"), body), (400, "malformed"))
    body = b'{"protected":"\xff\xfe","payload":"","signature":""}'
    t.problem(c.post_raw(c.url("newOrder"), body), (400, "malformed"),
              "in protected")


@case("T18", "HTTP/1.0 without Host; absolute-form request line -> no crash")
def t18(env, t):
    c = env.c
    for what, head in (
            ("HTTP/1.0 no Host", "GET /directory HTTP/1.0"),
            ("HTTP/1.1 no Host", "GET /directory HTTP/1.1"),
            ("absolute-form", "GET https://%s/directory HTTP/1.1\r\nHost: %s"
             % (host_hdr(c), host_hdr(c))),
            ("absolute-form, other host",
             "GET https://evil.example/directory HTTP/1.1\r\nHost: %s"
             % host_hdr(c))):
        st, h, b, closed, _ = raw_request(c, head, wait_close=False)
        t.check(st in (200, 400) or (st is None and closed),
                "%s: want 200 or 400, got %r" % (what, st))
        if st == 200:
            t.check(b"evil" not in b, "%s: Host reflected" % what)
    t.check(c.alive(), "server not answering afterwards")


@case("T19", "OPTIONS with Origin (CORS preflight) -> 200/204 + CORS headers")
def t19(env, t):
    c = env.c
    r = c.request("OPTIONS", c.url("newOrder"), headers={
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    t.status(r, (200, 204))
    t.check(r.header("Access-Control-Allow-Origin") == "*",
            "Access-Control-Allow-Origin %r" % r.header(
                "Access-Control-Allow-Origin"))
    r = c.get(c.directory, headers={"Origin": "https://app.example"})
    exp = (r.header("Access-Control-Expose-Headers") or "").lower()
    for h in ("link", "replay-nonce", "location", "retry-after"):
        t.check(h in exp, "GET with Origin does not expose %s (%r)" % (h, exp))


@case("T20", "HEAD newNonce 200, GET newNonce 204, Replay-Nonce + no-store")
def t20(env, t):
    c = env.c
    for m, want in (("HEAD", 200), ("GET", 204)):
        r = c.request(m, c.url("newNonce"))
        t.status(r, want, m)
        t.check(B64URL_RE.match(r.header("Replay-Nonce") or ""),
                "%s: Replay-Nonce %r" % (m, r.header("Replay-Nonce")))
        t.check("no-store" in (r.header("Cache-Control") or ""),
                "%s: Cache-Control %r" % (m, r.header("Cache-Control")))


@case("T21", "GET/HEAD /directory: no Replay-Nonce, no Link rel=index; POST-as-GET /directory has a nonce")
def t21(env, t):
    c = env.c
    for m in ("GET", "HEAD"):
        r = c.request(m, c.directory)
        t.status(r, 200, m)
        t.check(r.header("Replay-Nonce") is None, "%s /directory: Replay-Nonce "
                "%r (RFC 8555 §7.2: newNonce and POST answers only)" % (
                    m, r.header("Replay-Nonce")))
        t.check(not any('rel="index"' in v for v in r.header_all("Link")),
                "%s /directory: Link %r (§7.1.1: not on the directory)" % (
                    m, r.header_all("Link")))
    r = c.post_as(env.A, c.directory, None)
    t.status(r, 200, "POST-as-GET")
    t.check(B64URL_RE.match(r.header("Replay-Nonce") or ""),
            "POST-as-GET /directory: Replay-Nonce %r" % r.header(
                "Replay-Nonce"))
    # A GET error needs no nonce; a POST error must carry one (badNonce).
    r = c.get(c.url("newOrder"))
    t.problem(r, (405, "malformed"), "GET newOrder")


# ---------------------------------------------------------------- connection limits (issue #12 item 13)
# Every local client shares 127.0.0.1: a per-address cap locked them all out.

@case("T22", "600 idle connections from this address -> a new client is still served")
def t22(env, t):
    c = env.c
    held = []
    try:
        for _ in range(600):
            held.append(socket.create_connection((c.host, c.port), timeout=5))
        time.sleep(0.5)     # accepted (or refused) by now
        path = urllib.parse.urlsplit(c.directory).path
        try:
            st, _, _, _, _ = raw_request(
                c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close" %
                (path, host_hdr(c)), wait_close=False)
        except (ConnectionError, ssl.SSLError, OSError) as e:
            st = repr(e)
        t.check(st == 200, "new client beside 600 idle ones: %r" % (st,))
    finally:
        for s in held:
            s.close()


@case("T23", "connection that sends nothing -> closed at the 5 s header timeout")
def t23(env, t):
    c = env.c
    s = socket.create_connection((c.host, c.port), timeout=5)
    t0 = time.monotonic()
    try:
        closed = peer_closed(s, 12)
    finally:
        s.close()
    dt = time.monotonic() - t0
    t.check(closed and 4 <= dt < 9,
            "silent connection: closed=%r after %.1fs (want 5 s)" % (closed, dt))


# ================================================================ 3.2 JWS structure (J)

def sign_raw(key, protected, payload):
    return b64u(key.sign(("%s.%s" % (protected, payload)).encode()))


def new_order_payload(env):
    return {"identifiers": [{"type": "dns", "value": env.name()}]}


def hdr_for(env, acct=None, url=None, **extra):
    acct = acct or env.A
    h = {"alg": acct.key.alg, "kid": acct.kid, "nonce": env.c.nonce(),
         "url": url or env.c.url("newOrder")}
    h.update(extra)
    return h


def jws_from_text(env, prot_text, payload_text, key=None):
    key = key or env.A.key
    p = b64u(prot_text)
    pl = b64u(payload_text)
    return {"protected": p, "payload": pl, "signature": sign_raw(key, p, pl)}


def post_order_body(env, body):
    return env.c.post_raw(env.c.url("newOrder"), body)


MAL = (400, "malformed")


@case("J01", "compact serialization -> 400 malformed")
def j01(env, t):
    j = order_jws(env)
    t.problem(post_order_body(env, "%s.%s.%s" % (
        j["protected"], j["payload"], j["signature"])), MAL)


@case("J02", "general serialization with signatures[] -> 400 malformed")
def j02(env, t):
    j = order_jws(env)
    t.problem(post_order_body(env, {"payload": j["payload"], "signatures": [
        {"protected": j["protected"], "signature": j["signature"]}]}), MAL)


@case("J03", "flattened JWS plus a signatures array -> 400 malformed")
def j03(env, t):
    j = order_jws(env)
    j["signatures"] = [{"protected": j["protected"],
                        "signature": j["signature"]}]
    t.problem(post_order_body(env, j), MAL)


@case("J04", "unprotected header member -> 400 malformed")
def j04(env, t):
    for h in ({"kid": env.B.kid}, {}):
        j = order_jws(env)
        j["header"] = h
        t.problem(post_order_body(env, j), MAL, "header=%s" % jdump(h))


@case("J05", "missing protected -> 400 malformed")
def j05(env, t):
    j = order_jws(env)
    del j["protected"]
    t.problem(post_order_body(env, j), MAL)


@case("J06", "signature missing or empty -> 400 malformed")
def j06(env, t):
    j = order_jws(env)
    del j["signature"]
    t.problem(post_order_body(env, j), MAL, "missing")
    j = order_jws(env)
    j["signature"] = ""
    t.problem(post_order_body(env, j), MAL, "empty")


@case("J07", "payload member absent (detached) -> 400 malformed")
def j07(env, t):
    j = order_jws(env)
    del j["payload"]
    t.problem(post_order_body(env, j), MAL, "newOrder")
    o = env.new_order(env.A)
    j = env.c.jws(env.A.key, o["url"], None, kid=env.A.kid)
    del j["payload"]
    t.problem(env.c.post_raw(o["url"], j), MAL, "POST-as-GET")


@case("J08", "crit b64:false with unencoded payload -> 400 malformed")
def j08(env, t):
    h = hdr_for(env, crit=["b64"], b64=False)
    p = b64u(jdump(h))
    pl = jdump(new_order_payload(env))
    body = {"protected": p, "payload": pl,
            "signature": b64u(env.A.key.sign(("%s.%s" % (p, pl)).encode()))}
    t.problem(post_order_body(env, body), MAL)


@case("J09", "crit with an unknown parameter -> 400 malformed")
def j09(env, t):
    t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(
        env, extra={"crit": ["x-unknown"], "x-unknown": 1})), MAL)


@case("J10", "any part padded with = -> 400 malformed")
def j10(env, t):
    key = env.A.key
    for part in ("protected", "payload", "signature"):
        h = hdr_for(env)
        p, pl = b64u(jdump(h)), b64u(jdump(new_order_payload(env)))
        if part == "protected":
            p += "=" * (-len(p) % 4 or 4)
        if part == "payload":
            pl += "=" * (-len(pl) % 4 or 4)
        sig = sign_raw(key, p, pl)
        if part == "signature":
            sig += "=" * (-len(sig) % 4 or 4)
        t.problem(post_order_body(env, {"protected": p, "payload": pl,
                                        "signature": sig}), MAL, part)


@case("J11", "+ / whitespace or newline in base64url -> 400 malformed")
def j11(env, t):
    key = env.A.key
    for what in ("std alphabet signature", "space in protected",
                 "newline in payload", "std alphabet protected"):
        for _ in range(200):
            h = hdr_for(env, pad=secrets.token_hex(4))
            p, pl = b64u(jdump(h)), b64u(jdump(new_order_payload(env)))
            if what == "std alphabet protected":
                std = base64.b64encode(jdump(h).encode()).decode().rstrip("=")
                if std == p:
                    continue
                p = std
            if what == "space in protected":
                p = p[:10] + " " + p[10:]
            if what == "newline in payload":
                pl = pl[:10] + "\n" + pl[10:]
            raw = key.sign(("%s.%s" % (p, pl)).encode())
            sig = b64u(raw)
            if what == "std alphabet signature":
                std = base64.b64encode(raw).decode().rstrip("=")
                if std == sig:
                    continue
                sig = std
            break
        t.problem(post_order_body(env, {"protected": p, "payload": pl,
                                        "signature": sig}), MAL, what)


ALPH = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def noncanonical(s):
    """Set an unused trailing bit: a lax decoder reads the same bytes."""
    if len(s) % 4 not in (2, 3):
        return None
    i = ALPH.index(s[-1])
    return s[:-1] + ALPH[i | 1] if i & 1 == 0 else None


@case("J12", "non-zero unused trailing bits in base64url -> 400 malformed")
def j12(env, t):
    key = env.A.key
    done = set()
    for _ in range(400):
        h = hdr_for(env, pad=secrets.token_hex(secrets.randbelow(4) + 1))
        pl_json = jdump(new_order_payload(env))
        p, pl = b64u(jdump(h)), b64u(pl_json)
        if "protected" not in done and noncanonical(p):
            p2 = noncanonical(p)
            t.problem(post_order_body(env, {"protected": p2, "payload": pl,
                                            "signature": sign_raw(key, p2, pl)}),
                      MAL, "protected")
            done.add("protected")
        elif "payload" not in done and noncanonical(pl):
            pl2 = noncanonical(pl)
            t.problem(post_order_body(env, {"protected": p, "payload": pl2,
                                            "signature": sign_raw(key, p, pl2)}),
                      MAL, "payload")
            done.add("payload")
        if len(done) == 2:
            break
    # P-256 signatures are 64 bytes: 86 chars, 4 unused bits.
    h = hdr_for(env)
    p, pl = b64u(jdump(h)), b64u(jdump(new_order_payload(env)))
    s = sign_raw(key, p, pl)
    s2 = noncanonical(s) or (s[:-1] + ALPH[ALPH.index(s[-1]) | 2])
    t.problem(post_order_body(env, {"protected": p, "payload": pl,
                                    "signature": s2}), MAL, "signature")
    t.check(len(done) == 2, "could not build every variant")


@case("J13", "protected header is [], \"x\", 1 or invalid JSON -> 400 malformed")
def j13(env, t):
    for txt in ("[]", '"x"', "1", "{", '{"alg":"ES256",}', ""):
        t.problem(post_order_body(env, jws_from_text(
            env, txt, jdump(new_order_payload(env)))), MAL, repr(txt))


@case("J14", "duplicate members in the protected header -> 400 malformed")
def j14(env, t):
    o = env.new_order(env.A)
    base = hdr_for(env)
    inner = jdump(base)[1:-1]
    for what, txt in (
            ("url twice", '{%s,"url":"%s"}' % (inner, o["finalize"])),
            ("alg twice", '{%s,"alg":"none"}' % inner),
            ("kid twice", '{%s,"kid":"%s"}' % (inner, env.B.kid))):
        t.problem(post_order_body(env, jws_from_text(
            env, txt, jdump(new_order_payload(env)))), MAL, what)


@case("J15", "duplicate protected/payload in the outer body -> 400 malformed")
def j15(env, t):
    j = order_jws(env)
    j2 = order_jws(env)
    t.problem(post_order_body(env, '{"protected":"%s","protected":"%s",'
                              '"payload":"%s","signature":"%s"}' % (
                                  j2["protected"], j["protected"],
                                  j["payload"], j["signature"])),
              MAL, "protected")
    j = order_jws(env)
    t.problem(post_order_body(env, '{"protected":"%s","payload":"%s",'
                              '"payload":"%s","signature":"%s"}' % (
                                  j["protected"], j2["payload"],
                                  j["payload"], j["signature"])),
              MAL, "payload")


@case("J16", "valid JWS followed by trailing bytes -> 400 malformed")
def j16(env, t):
    t.problem(post_order_body(env, jdump(order_jws(env)) + " xyz"), MAL)
    t.problem(post_order_body(env, jdump(order_jws(env)) + "{}"), MAL, "{}")


@case("J17", "deeply nested JSON payload / body -> 400 malformed, fast")
def j17(env, t):
    t0 = time.monotonic()
    t.problem(env.c.post(env.c.url("newOrder"), env.A.key, "[" * 40000,
                         kid=env.A.kid), MAL, "payload")
    t.problem(post_order_body(env, "[" * 60000), MAL, "outer body")
    t.problem(post_order_body(env, jws_from_text(
        env, "[" * 30000, "{}")), MAL, "protected")
    t.check(time.monotonic() - t0 < 20, "slow")
    t.check(env.c.alive(), "server not answering afterwards")


@case("J18", "\\u0000 in url, identifier, kid, contact -> 400 malformed")
def j18(env, t):
    c = env.c
    h = hdr_for(env)
    txt = jdump(h).replace('"url":"%s"' % h["url"],
                           '"url":"%s\\u0000.evil"' % h["url"])
    t.problem(post_order_body(env, jws_from_text(
        env, txt, jdump(new_order_payload(env)))), MAL, "url")
    h = hdr_for(env)
    t.problem(post_order_body(env, jws_from_text(
        env, jdump(h), '{"identifiers":[{"type":"dns","value":'
        '"a.test\\u0000.evil.test"}]}')), MAL, "identifier")
    h = hdr_for(env)
    txt = jdump(h).replace('"kid":"%s"' % h["kid"],
                           '"kid":"%s\\u0000x"' % h["kid"])
    t.problem(post_order_body(env, jws_from_text(
        env, txt, jdump(new_order_payload(env)))), MAL, "kid")
    k = Key()
    h = {"alg": "ES256", "jwk": k.jwk(), "nonce": c.nonce(),
         "url": c.url("newAccount")}
    t.problem(c.post_raw(c.url("newAccount"), jws_from_text(
        env, jdump(h), '{"termsOfServiceAgreed":true,"contact":'
        '["mailto:a@b.test\\u0000x"]}', key=k)), MAL, "contact")


@case("J19", "lone surrogate \\ud800 in a JSON string -> 400 malformed")
def j19(env, t):
    h = hdr_for(env)
    t.problem(post_order_body(env, jws_from_text(
        env, jdump(h), '{"identifiers":[{"type":"dns","value":'
        '"a\\ud800.test"}]}')), MAL, "payload")
    h = hdr_for(env)
    txt = jdump(h)[:-1] + ',"x":"\\udc00"}'
    t.problem(post_order_body(env, jws_from_text(
        env, txt, jdump(new_order_payload(env)))), MAL, "protected")


@case("J20", "payload is a JSON array or a number -> 400 malformed")
def j20(env, t):
    for pl in ("[]", "1", '"x"', "null"):
        t.problem(env.c.post(env.c.url("newOrder"), env.A.key, pl,
                             kid=env.A.kid), MAL, pl)


@case("J21", "payload fields of the wrong type -> 400 malformed")
def j21(env, t):
    c = env.c
    t.problem(c.post_as(env.A, c.url("newOrder"), {"identifiers": "a.test"}),
              MAL, "identifiers string")
    o = env.new_order(env.A)
    t.problem(c.post_as(env.A, o["finalize"], {"csr": 123}), MAL, "csr number")
    t.problem(c.post(c.url("newAccount"), Key(), {
        "termsOfServiceAgreed": True, "contact": "mailto:x@y.test"}),
        MAL, "contact string")
    t.problem(c.post(c.url("newAccount"), Key(), {
        "onlyReturnExisting": "true"}), MAL, "onlyReturnExisting string")
    t.problem(c.post(c.url("newAccount"), Key(), {
        "termsOfServiceAgreed": "yes"}), MAL, "termsOfServiceAgreed string")


@case("J22", "both jwk and kid -> 400 malformed")
def j22(env, t):
    t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(
        env, extra={"jwk": env.A.key.jwk()})), MAL, "newOrder")
    k = Key()
    t.problem(env.c.post(env.c.url("newAccount"), k, {
        "termsOfServiceAgreed": True}, extra={"kid": env.A.kid}),
        MAL, "newAccount")


@case("J23", "neither jwk nor kid -> 400 malformed")
def j23(env, t):
    t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(
        env, drop=("kid",))), MAL)


@case("J24", "newAccount signed with kid -> 400 malformed")
def j24(env, t):
    t.problem(env.c.post_as(env.A, env.c.url("newAccount"), {
        "termsOfServiceAgreed": True}), MAL)


@case("J25", "newOrder/POST-as-GET signed with an embedded jwk = K_A -> 400 malformed")
def j25(env, t):
    c = env.c
    t.problem(c.post(c.url("newOrder"), env.A.key, new_order_payload(env)),
              MAL, "newOrder")
    t.problem(c.post(env.A.kid, env.A.key, None), MAL, "account")


@case("J26", "jku/x5u to a loopback listener, x5c -> ignored or 400; no fetch")
def j26(env, t):
    c = env.c
    wire = Tripwire()
    u = "http://127.0.0.1:%d/jwks" % wire.port
    for extra in ({"jku": u}, {"x5u": u}, {"jku": u, "x5u": u}):
        r = c.post_raw(c.url("newOrder"), order_jws(env, extra=extra))
        t.check(r.status == 201 or t.problem(r, MAL, jdump(extra)),
                "%s: %r" % (jdump(extra), r))
    k = Key()
    r = c.post(c.url("newAccount"), k, {"termsOfServiceAgreed": True},
               extra={"jku": u})
    t.check(r.status in (200, 201) or t.problem(r, MAL, "newAccount jku"),
            "newAccount jku: %r" % r)
    # x5c: a self-signed certificate for key X; the request is signed by X
    # and carries no jwk/kid. It must not authenticate anything.
    xk = Key()
    now = time.time()
    import datetime
    nm = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "x5c")])
    cert = (x509.CertificateBuilder().subject_name(nm).issuer_name(nm)
            .public_key(xk.pub).serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime.utcfromtimestamp(now - 60))
            .not_valid_after(datetime.datetime.utcfromtimestamp(now + 3600))
            .sign(xk.priv, hashes.SHA256()))
    x5c = [base64.b64encode(cert.public_bytes(
        serialization.Encoding.DER)).decode()]
    t.problem(c.post(c.url("newOrder"), xk, new_order_payload(env),
                     drop=("jwk",), extra={"x5c": x5c}), MAL, "x5c alone")
    r = c.post(c.url("newOrder"), xk, new_order_payload(env), kid=env.A.kid,
               extra={"x5c": x5c})
    t.problem(r, MAL, "kid_A, x5c, signed by the x5c key")
    time.sleep(1)
    t.check(wire.hits == 0, "the jku/x5u listener saw %d connections" %
            wire.hits)


@case("J27", "protected header re-encoded, old signature kept -> 400 malformed")
def j27(env, t):
    j = order_jws(env)
    h = json.loads(b64u_dec(j["protected"]))
    for txt in (json.dumps(h), json.dumps(h, sort_keys=True, indent=1)):
        p = b64u(txt)
        if p == j["protected"]:
            continue
        t.problem(post_order_body(env, {"protected": p, "payload": j["payload"],
                                        "signature": j["signature"]}), MAL)


@case("J28", "whitespace and reordered header members, signed -> accepted")
def j28(env, t):
    h = hdr_for(env)
    txt = '{ "url" : %s,\n "nonce": %s ,"kid":%s,  "alg" : "%s" }' % (
        json.dumps(h["url"]), json.dumps(h["nonce"]), json.dumps(h["kid"]),
        h["alg"])
    r = post_order_body(env, jws_from_text(env, txt, ' {"identifiers" : [ '
                                           '{"value":"%s","type":"dns"} ] } ' %
                                           env.name()))
    t.status(r, 201)


# ================================================================ 3.3 algorithms, keys, signatures (K)

BSA = (400, "badSignatureAlgorithm")
BPK = (400, "badPublicKey")
P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def has_algorithms(t):
    def chk(j):
        a = (j or {}).get("algorithms")
        return t.check(isinstance(a, list) and a and all(
            isinstance(x, str) for x in a) and "none" not in a and
            "HS256" not in a, "no usable algorithms array: %r" % a)
    return chk


def new_acct_req(env, key, jwk=None, sig=None, alg=None, extra=None,
                 sign_key=None):
    c = env.c
    return c.post(c.url("newAccount"), key, {"termsOfServiceAgreed": True},
                  jwk=jwk, sig=sig, alg=alg, extra=extra, sign_key=sign_key)


@case("K01", "alg none, empty signature -> badSignatureAlgorithm + algorithms")
def k01(env, t):
    k = Key()
    t.problem(new_acct_req(env, k, alg="none", sig=b""), BSA, "newAccount",
              extra=has_algorithms(t))
    t.problem(env.c.post_as(env.A, env.c.url("newOrder"),
                            new_order_payload(env), alg="none", sig=b""),
              BSA, "newOrder", extra=has_algorithms(t))


class HS256:
    alg = "HS256"

    def __init__(self, secret):
        self.secret = secret

    def sign(self, data, alg=None):
        return hmac.new(self.secret, data, hashlib.sha256).digest()


@case("K02", "alg HS256 keyed with K_A's public key -> badSignatureAlgorithm")
def k02(env, t):
    c = env.c
    mac = HS256(jdump(env.A.key.jwk()).encode())
    t.problem(c.post(c.url("newOrder"), env.A.key, new_order_payload(env),
                     kid=env.A.kid, alg="HS256", sign_key=mac), BSA, "kid",
              extra=has_algorithms(t))
    k = Key()
    t.problem(new_acct_req(env, k, alg="HS256", sign_key=HS256(
        jdump(k.jwk()).encode())), BSA, "jwk", extra=has_algorithms(t))


@case("K03", "alg RS512 / PS256 / RS384 / ES256K, correctly signed -> badSignatureAlgorithm")
def k03(env, t):
    k = Key("rsa2048")
    for alg in ("RS512", "PS256", "RS384"):
        t.problem(new_acct_req(env, k, alg=alg), BSA, alg,
                  extra=has_algorithms(t))
    t.problem(env.c.post_as(env.C, env.c.url("newOrder"),
                            new_order_payload(env), alg="PS256"), BSA,
              "PS256 with kid", extra=has_algorithms(t))


@case("K04", "alg es256 / \"ES256 \" -> badSignatureAlgorithm")
def k04(env, t):
    k = Key()
    for alg in ("es256", "ES256 ", "Es256"):
        t.problem(new_acct_req(env, k, alg=alg), BSA, repr(alg))


@case("K05", "alg 1 / null / [\"ES256\"] / missing -> 400 malformed")
def k05(env, t):
    c = env.c
    k = Key()
    for what, alg in (("1", 1), ("null", None), ("array", ["ES256"]),
                      ("missing", "DROP")):
        h = {"alg": alg, "jwk": k.jwk(), "nonce": c.nonce(),
             "url": c.url("newAccount")}
        if alg == "DROP":
            del h["alg"]
        j = c.jws(k, c.url("newAccount"), {"termsOfServiceAgreed": True},
                  hdr=h, sig=k.sign(b"x"))
        p, pl = j["protected"], j["payload"]
        j["signature"] = b64u(k.sign(("%s.%s" % (p, pl)).encode(), "ES256"))
        t.problem(c.post_raw(c.url("newAccount"), j), MAL, what)


@case("K06", "alg not implied by the key -> 400 malformed")
def k06(env, t):
    rk, ek = Key("rsa2048"), Key("p256")
    t.problem(new_acct_req(env, rk, alg="ES256"), MAL, "ES256 with RSA jwk")
    t.problem(new_acct_req(env, ek, alg="RS256"), MAL, "RS256 with EC jwk")
    t.problem(new_acct_req(env, ek, alg="ES384"), MAL, "ES384 with P-256 jwk")
    t.problem(new_acct_req(env, ek, alg="EdDSA"), MAL, "EdDSA with P-256 jwk")
    t.problem(env.c.post_as(env.A, env.c.url("newOrder"),
                            new_order_payload(env), alg="ES384"), MAL,
              "ES384 with kid of a P-256 account")
    t.problem(env.c.post_as(env.C, env.c.url("newOrder"),
                            new_order_payload(env), alg="ES256"), MAL,
              "ES256 with kid of an RSA account")


@case("K07", "JWK carries its own alg HS256 / ES384 -> 400 malformed")
def k07(env, t):
    k = Key()
    for a in ("HS256", "ES384"):
        jwk = dict(k.jwk(), alg=a)
        t.problem(new_acct_req(env, k, jwk=jwk), MAL, a)


@case("K08", "JWK kty oct / OKP X25519 / unknown -> 400 badPublicKey")
def k08(env, t):
    k = Key()
    for jwk in ({"kty": "oct", "k": b64u(b"secretsecret")},
                {"kty": "OKP", "crv": "X25519", "x": b64u(os.urandom(32))},
                {"kty": "OKP", "crv": "Ed448", "x": b64u(os.urandom(57))},
                {"kty": "foo", "x": b64u(os.urandom(32))}):
        t.problem(new_acct_req(env, k, jwk=jwk), BPK, jwk["kty"] + " " +
                  jwk.get("crv", ""))


@case("K09", "RSA 1024 and 512-bit account keys -> 400 badPublicKey")
def k09(env, t):
    for bits in (1024, 512):
        rk = RawRSA.from_primes(random_prime(bits // 2),
                                random_prime(bits // 2), 65537)
        t.problem(new_acct_req(env, rk), BPK, "%d bits" % bits)


@case("K10", "RSA 16384-bit account key -> 400 badPublicKey")
def k10(env, t):
    n = secrets.randbits(16384) | (1 << 16383) | 1
    rk = RawRSA(n, 65537)   # garbage signature: must be refused before verify
    t.problem(new_acct_req(env, rk), BPK)
    n = secrets.randbits(8192) | (1 << 8191) | 1
    t.problem(new_acct_req(env, RawRSA(n, 65537)), BPK, "8192")


@case("K11", "RSA e = 1, 3, even, 2^1000+1 -> 400 badPublicKey")
def k11(env, t):
    p, q = random_prime(1024, 1), random_prime(1024, 1)
    t.problem(new_acct_req(env, RawRSA(p * q, 1, 1)), BPK, "e=1 (validly signed)")
    e3 = Key("rsa2048", rsa.generate_private_key(3, 2048))
    t.problem(new_acct_req(env, e3), BPK, "e=3 (validly signed)")
    t.problem(new_acct_req(env, RawRSA(p * q, 65536)), BPK, "e=65536")
    t.problem(new_acct_req(env, RawRSA(p * q, 2**1000 + 1)), BPK, "e=2^1000+1")


@case("K12", "account key re-encoded non-canonically -> C's account or 400, never a new one")
def k12(env, t):
    C = env.C
    j = C.key.jwk()
    for what, jwk in (
            ("n with leading 0x00", dict(j, n=b64u(b"\x00" + b64u_dec(j["n"])))),
            ("e AAEAAQ", dict(j, e="AAEAAQ"))):
        r = new_acct_req(env, C.key, jwk=jwk)
        if r.status == 200:
            t.check(r.header("Location") == C.kid,
                    "%s: Location %r != %r" % (what, r.header("Location"),
                                               C.kid))
        else:
            t.problem(r, MAL, what)


def ec_jwk(x, y, crv="P-256", size=32):
    return {"kty": "EC", "crv": crv, "x": b64u(int_bytes(x, size)),
            "y": b64u(int_bytes(y, size))}


@case("K13", "EC point off the curve / infinity / x >= p -> 400 badPublicKey")
def k13(env, t):
    k = Key()
    n = k.pub.public_numbers()
    for what, jwk in (("off-curve", ec_jwk(n.x, (n.y + 1) % P256_P)),
                      ("point at infinity (0,0)", ec_jwk(0, 0)),
                      ("x = p", ec_jwk(P256_P, n.y)),
                      ("x + p", ec_jwk(n.x + P256_P, n.y, size=33))):
        t.problem(new_acct_req(env, k, jwk=jwk), [BPK, MAL] if what == "x + p"
                  else BPK, what)


@case("K14", "EC 31-byte x / 33-byte y -> 400 malformed or badPublicKey")
def k14(env, t):
    for _ in range(5000):
        k = Key()
        if k.pub.public_numbers().x < (1 << 248):
            break
    j = k.jwk()
    t.problem(new_acct_req(env, k, jwk=dict(j, x=b64u(b64u_dec(j["x"])[1:]))),
              [MAL, BPK], "31-byte x")
    k = Key()
    j = k.jwk()
    t.problem(new_acct_req(env, k, jwk=dict(j, y=b64u(b"\x00" + b64u_dec(j["y"])))),
              [MAL, BPK], "33-byte y")


@case("K15", "curve secp256k1 / P-192 / brainpoolP256r1 / P-521 -> 400 badPublicKey")
def k15(env, t):
    k = Key()
    for crv, curve, size in (("secp256k1", ec.SECP256K1(), 32),
                             ("P-192", ec.SECP192R1(), 24),
                             ("brainpoolP256r1", ec.BrainpoolP256R1(), 32)):
        o = ec.generate_private_key(curve).public_key().public_numbers()
        t.problem(new_acct_req(env, k, jwk=ec_jwk(o.x, o.y, crv, size)), BPK,
                  crv)


@case("K16", "JWK with private members -> 400 malformed")
def k16(env, t):
    k = Key()
    d = k.priv.private_numbers().private_value
    t.problem(new_acct_req(env, k, jwk=dict(k.jwk(), d=b64u(int_bytes(d, 32)))),
              MAL, "EC d")
    rk = Key("rsa2048")
    pn = rk.priv.private_numbers()
    jwk = dict(rk.jwk(), p=b64u(int_bytes(pn.p)), q=b64u(int_bytes(pn.q)),
               dp=b64u(int_bytes(pn.dmp1)))
    t.problem(new_acct_req(env, rk, jwk=jwk), MAL, "RSA p, q, dp")


def order_sig(env, sig):
    return env.c.post_as(env.A, env.c.url("newOrder"), new_order_payload(env),
                         sig=sig)


@case("K17", "ES256 signature r = s = 0, or r/s >= n -> 400 malformed")
def k17(env, t):
    t.problem(order_sig(env, b"\x00" * 64), MAL, "64 zero bytes")
    t.problem(order_sig(env, int_bytes(P256_N, 32) * 2), MAL, "r = s = n")
    t.problem(order_sig(env, b"\xff" * 64), MAL, "r = s = 2^256-1")
    t.problem(new_acct_req(env, Key(), sig=b"\x00" * 64), MAL, "jwk, zeros")


@case("K18", "ES256 signature DER-encoded, or 63/65 bytes -> 400 malformed")
def k18(env, t):
    c = env.c
    for what in ("DER", "63", "65"):
        j = order_jws(env)
        raw = b64u_dec(j["signature"])
        if what == "DER":
            s = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                     int.from_bytes(raw[32:], "big"))
        elif what == "63":
            s = raw[:63]
        else:
            s = raw + b"\x00"
        j["signature"] = b64u(s)
        t.problem(c.post_raw(c.url("newOrder"), j), MAL, what)


@case("K19", "signed by K_B with kid_A -> 400 malformed")
def k19(env, t):
    t.problem(env.c.post(env.c.url("newOrder"), env.A.key,
                         new_order_payload(env), kid=env.A.kid,
                         sign_key=env.B.key), MAL)


@case("K20", "one bit flipped in the payload after signing -> 400 malformed")
def k20(env, t):
    j = order_jws(env)
    pl = bytearray(b64u_dec(j["payload"]))
    pl[5] ^= 0x01
    j["payload"] = b64u(bytes(pl))
    t.problem(env.c.post_raw(env.c.url("newOrder"), j), MAL)


@case("K21", "RS256 signature one byte shorter than the modulus -> 400 malformed")
def k21(env, t):
    c = env.c
    for _ in range(20):
        j = c.jws(env.C.key, c.url("newOrder"), new_order_payload(env),
                  kid=env.C.kid)
        raw = b64u_dec(j["signature"])
        if raw[0] == 0:
            break
    j["signature"] = b64u(raw[1:])
    t.problem(c.post_raw(c.url("newOrder"), j), MAL, "leading byte dropped")
    j = c.jws(env.C.key, c.url("newOrder"), new_order_payload(env),
              kid=env.C.kid)
    j["signature"] = b64u(b64u_dec(j["signature"])[:-1])
    t.problem(c.post_raw(c.url("newOrder"), j), MAL, "last byte dropped")


# ================================================================ 3.4 nonces (N)

BADNONCE = (400, "badNonce")


@case("N01", "no nonce in the protected header -> 400 badNonce")
def n01(env, t):
    t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(env, nonce=None)),
              BADNONCE)


def orders_of(env, acct):
    r = env.get(acct, acct.body.get("orders") or acct.kid + "/orders")
    return (r.json() or {}).get("orders", [])


@case("N02", "replay a successful request byte for byte -> badNonce, no second order")
def n02(env, t):
    c = env.c
    acct = env.new_account()
    body = order_jws(env)
    body = c.jws(acct.key, c.url("newOrder"), new_order_payload(env),
                 kid=acct.kid)
    r = c.post_raw(c.url("newOrder"), body)
    t.status(r, 201, "first")
    t.problem(c.post_raw(c.url("newOrder"), body), BADNONCE, "replay")
    n = len(orders_of(env, acct))
    t.check(n == 1, "account has %d orders after the replay" % n)


@case("N03", "well-formed nonce never issued -> 400 badNonce")
def n03(env, t):
    t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(
        env, nonce=b64u(os.urandom(16)))), BADNONCE)


@case("N04", "nonce not base64url / padded / empty -> 400 malformed")
def n04(env, t):
    good = env.c.nonce()
    for n in ("im-a-nonce!", good + "==", "", good[:10] + "+" + good[11:]):
        t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(
            env, nonce=n)), MAL, repr(n))


@case("N05", "nonce is a number / object -> 400 malformed")
def n05(env, t):
    for n in (12345, {"n": 1}, ["x"], True):
        t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(
            env, extra={"nonce": n})), MAL, jdump(n))


def parallel(n, fn):
    out = [None] * n
    bar = threading.Barrier(n)

    def run(i):
        try:
            bar.wait(30)
            out[i] = fn(i)
        except Exception as e:
            out[i] = e
    ths = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(120)
    return out


@case("N06", "50 concurrent requests sharing one nonce -> exactly 1 success")
def n06(env, t):
    c = env.c
    acct = env.new_account()
    nonce = c.nonce()
    bodies = [c.jws(acct.key, c.url("newOrder"), new_order_payload(env),
                    kid=acct.kid, nonce=nonce) for _ in range(50)]
    rs = parallel(50, lambda i: c.post_raw(c.url("newOrder"), bodies[i]))
    errs = [r for r in rs if not isinstance(r, Resp)]
    t.check(not errs, "transport errors: %r" % errs[:3])
    ok = [r for r in rs if isinstance(r, Resp) and r.status == 201]
    bad = [r for r in rs if isinstance(r, Resp) and r.status != 201]
    t.check(len(ok) == 1, "%d successes" % len(ok))
    for r in bad[:49]:
        if not t.problem(r, BADNONCE, "loser"):
            break
    n = len(orders_of(env, acct))
    t.check(n == 1, "%d orders created" % n)


@case("N08", "retry with the nonce of a badNonce answer -> success")
def n08(env, t):
    c = env.c
    r = c.post_raw(c.url("newOrder"), order_jws(env, nonce=b64u(os.urandom(16))))
    t.problem(r, BADNONCE, "first")
    r = c.post_raw(c.url("newOrder"), order_jws(
        env, nonce=r.header("Replay-Nonce")))
    t.status(r, 201, "retry")


@case("N09", "nonce of a request refused after redemption (U02) -> badNonce")
def n09(env, t):
    c = env.c
    o = env.new_order(env.A)
    n = c.nonce()
    r = c.post_raw(o["finalize"], c.jws(env.A.key, c.url("newOrder"),
                                        new_order_payload(env),
                                        kid=env.A.kid, nonce=n))
    t.problem(r, (403, "unauthorized"), "U02")
    t.problem(c.post_raw(c.url("newOrder"), order_jws(env, nonce=n)),
              BADNONCE, "reuse")


@case("N10", "bad alg and bogus nonce -> badSignatureAlgorithm, not badNonce")
def n10(env, t):
    t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(
        env, nonce=b64u(os.urandom(16)), alg="RS512")), BSA)
    t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(
        env, nonce="!!", alg="none", sig=b"")), BSA, "none")


@case("N11", "valid nonce + bad signature, then the same nonce signed well -> badNonce (RFC 8555 §6.5)")
def n11(env, t):
    c = env.c
    n = c.nonce()
    j = order_jws(env, nonce=n)
    j["signature"] = b64u(b"\x01" * 64)
    t.problem(c.post_raw(c.url("newOrder"), j), MAL, "bad signature")
    t.problem(c.post_raw(c.url("newOrder"), order_jws(env, nonce=n)),
              BADNONCE, "same nonce, good signature")


@case("N14", "nonce of a request failing after its header parsed (unknown kid, wrong url, x5u) is spent")
def n14(env, t):
    c = env.c
    ghost = env.A.kid[:env.A.kid.rindex("/") + 1] + "A" * 22
    for what, kw in (("unknown account", {"kid": ghost}),
                     ("url of newAccount", {"url": c.url("newAccount")}),
                     ("x5u header", {"extra": {"x5u": "https://x.test/"}})):
        n = c.nonce()
        j = c.jws(env.A.key, kw.get("url", c.url("newOrder")), {
            "identifiers": [{"type": "dns", "value": env.name()}]},
            kid=kw.get("kid", env.A.kid), nonce=n, extra=kw.get("extra"))
        r = c.post_raw(c.url("newOrder"), j)
        t.check(r.status >= 400, "%s: accepted %r" % (what, r))
        t.problem(c.post_raw(c.url("newOrder"), order_jws(env, nonce=n)),
                  BADNONCE, what + ", then the same nonce")


NONCE_WINDOW = 65536


@case("N12", "nonce older than the window (65,536 issues) -> badNonce")
def n12(env, t):
    c = env.c
    old = c.nonce()
    per = NONCE_WINDOW // 4 + 64

    def burn(i):
        cc = Client.__new__(Client)
        cc.__dict__.update(c.__dict__)
        cc._local = threading.local()
        conn = http.client.HTTPSConnection(c.host, c.port, context=c.ctx,
                                           timeout=60)
        path = c.url("newNonce")[len(c.base):]
        got = 0
        for _ in range(per):
            conn.request("HEAD", path)
            r = conn.getresponse()
            r.read()
            got += r.getheader("Replay-Nonce") is not None
        conn.close()
        return got
    t0 = time.monotonic()
    got = parallel(4, burn)
    t.check(all(isinstance(g, int) and g == per for g in got),
            "HEAD newNonce results: %r" % got)
    t.problem(c.post_raw(c.url("newOrder"), order_jws(env, nonce=old)),
              BADNONCE, "after %d issues in %.0fs" % (4 * per,
                                                      time.monotonic() - t0))
    t.status(c.post_raw(c.url("newOrder"), order_jws(env)), 201,
             "a fresh nonce still works")


# ================================================================ 3.5 request URL (U)

UNAUTH = (403, "unauthorized")


@case("U01", "url missing -> 400 malformed")
def u01(env, t):
    t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(
        env, drop=("url",))), MAL)


@case("U02", "newOrder JWS posted to the finalize URL -> 403 unauthorized")
def u02(env, t):
    o = env.new_order(env.A)
    t.problem(env.c.post_raw(o["finalize"], order_jws(env)), UNAUTH)
    r = env.get(env.A, o["url"])
    t.check((r.json() or {}).get("status") == "pending",
            "order changed: %r" % r)


@case("U03", "url with http:// -> 403 unauthorized")
def u03(env, t):
    u = env.c.url("newOrder").replace("https://", "http://")
    t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(env, url=u)),
              UNAUTH)


@case("U04", "url with another host form -> 403 unauthorized")
def u04(env, t):
    c = env.c
    u = c.url("newOrder")
    port = str(c.port)
    for v in (u.replace("localhost", "127.0.0.1"),
              u.replace("localhost", "LOCALHOST"),
              u.replace("localhost", "localhost."),
              u.replace(":" + port, ":0" + port),
              u.replace("https://localhost:" + port, "https://localhost")):
        t.problem(c.post_raw(u, order_jws(env, url=v)), UNAUTH, v)


@case("U05", "url with /, ?x=1, #f, %2D, /../ -> 403 unauthorized")
def u05(env, t):
    c = env.c
    u = c.url("newOrder")
    for v in (u + "/", u + "?x=1", u + "#f", u.replace("new-order",
                                                       "new%2Dorder"),
              u.replace("/acme/new-order", "/acme/../acme/new-order"),
              u.replace("https", "HTTPS")):
        t.problem(c.post_raw(u, order_jws(env, url=v)), UNAUTH, v)


@case("U08", "encoded request path (new%2Dorder, %6eew-order), url names the real one -> 403 unauthorized, no order")
def u08(env, t):
    c = env.c
    acct = env.new_account()

    def jws(url):
        return c.jws(acct.key, url, {"identifiers": [
            {"type": "dns", "value": env.name()}]}, kid=acct.kid)
    for p in ("/acme/new%2Dorder", "/acme/%6eew-order", "/acme/new%2dorder",
              "/%61cme/new-order"):
        t.problem(c.post_raw(None, jws(c.url("newOrder")), path=p), UNAUTH,
                  p)
    n = len(orders_of(env, acct))
    t.check(n == 0, "%d orders created through encoded paths" % n)
    # Signed for the encoded target itself: that is the URL it was sent to.
    p = "/acme/new%2Dorder"
    t.status(c.post_raw(None, jws(c.base + p), path=p), 201,
             "url = the encoded target")


@case("U06", "request path has ?x=1, url omits it -> 403 unauthorized")
def u06(env, t):
    c = env.c
    t.problem(c.post_raw(None, order_jws(env), path="/acme/new-order?x=1"),
              UNAUTH)


@case("U07", "url is a number / null / \"\" -> 400 malformed")
def u07(env, t):
    for v in (1, None, "", ["x"]):
        t.problem(env.c.post_raw(env.c.url("newOrder"), order_jws(
            env, extra={"url": v})), MAL, jdump(v))


# ================================================================ 3.6 accounts (A)

def deactivate(env, acct):
    r = env.c.post_as(acct, acct.kid, {"status": "deactivated"})
    if r.status != 200:
        raise CaseFail("deactivation failed: %r" % r)


def deactivated_fixture(env):
    d = env.new_account()
    o = env.new_order(d)
    deactivate(env, d)
    return d, o


@case("A01", "onlyReturnExisting with an unknown key -> accountDoesNotExist")
def a01(env, t):
    k = Key()
    for i in (1, 2):
        t.problem(env.c.post(env.c.url("newAccount"), k, {
            "onlyReturnExisting": True}), (400, "accountDoesNotExist"),
            "try %d" % i)


@case("A02", "newAccount with K_A again -> 200 + Location kid_A")
def a02(env, t):
    r = env.c.post(env.c.url("newAccount"), env.A.key, {
        "termsOfServiceAgreed": True})
    t.status(r, 200)
    t.check(r.header("Location") == env.A.kid, "Location %r" % r.header(
        "Location"))
    r = env.c.post(env.c.url("newAccount"), env.A.key, {
        "onlyReturnExisting": True})
    t.status(r, 200, "onlyReturnExisting")
    t.check(r.header("Location") == env.A.kid, "onlyReturnExisting "
            "Location %r" % r.header("Location"))


@case("A03", "newAccount with a deactivated account's key -> 401 unauthorized")
def a03(env, t):
    d, _ = env.fixture("D", lambda: deactivated_fixture(env))
    t.problem(env.c.post(env.c.url("newAccount"), d.key, {
        "termsOfServiceAgreed": True}), (401, "unauthorized"))
    t.problem(env.c.post(env.c.url("newAccount"), d.key, {
        "onlyReturnExisting": True}), (401, "unauthorized"),
        "onlyReturnExisting")


@case("A04", "ToS configured, termsOfServiceAgreed false/absent -> 403 userActionRequired")
def a04(env, t):
    tos = (env.c.dir.get("meta") or {}).get("termsOfService")
    if not t.check(tos, "the directory has no meta.termsOfService "
                   "(run the server with --tos-url)"):
        return
    for what, pl in (("false", {"termsOfServiceAgreed": False}),
                     ("absent", {"contact": ["mailto:a@example.test"]})):
        r = env.c.post(env.c.url("newAccount"), Key(), pl)
        t.problem(r, (403, "userActionRequired"), what)
        links = " ".join(r.header_all("Link"))
        t.check('rel="terms-of-service"' in links and tos in links,
                "%s: no Link rel=terms-of-service to %s (%r)" % (what, tos,
                                                                 links))


def new_acct_contact(env, contact):
    return env.c.post(env.c.url("newAccount"), Key(), {
        "termsOfServiceAgreed": True, "contact": contact})


@case("A05", "contact tel: -> 400 unsupportedContact")
def a05(env, t):
    for ct in (["tel:+15555550100"], ["https://example.test/"],
               ["mailto:a@example.test", "xmpp:a@example.test"]):
        t.problem(new_acct_contact(env, ct), (400, "unsupportedContact"),
                  jdump(ct))


@case("A06", "mailto with hfields / two addresses / empty -> 400 invalidContact")
def a06(env, t):
    for ct in ("mailto:a@b.test?subject=x", "mailto:a@b.test,c@d.test",
               "mailto:", "mailto:a", "mailto:@b.test",
               "mailto:a@b.test\r\nBcc: x@y.test"):
        t.problem(new_acct_contact(env, [ct]), (400, "invalidContact"),
                  repr(ct))


@case("A07", "1,000 contacts or a 10 KiB contact -> invalidContact or malformed")
def a07(env, t):
    allowed = [(400, "invalidContact"), MAL]
    t.problem(new_acct_contact(env, ["mailto:a%d@b.test" % i
                                     for i in range(1000)]), allowed, "1000")
    t.problem(new_acct_contact(env, ["mailto:" + "a" * 10240 + "@b.test"]),
              allowed, "10 KiB")


@case("A08", "unknown/server-owned fields in newAccount -> 201, ignored, not reflected")
def a08(env, t):
    r = env.c.post(env.c.url("newAccount"), Key(), {
        "termsOfServiceAgreed": True, "orders": "https://evil.example/o",
        "status": "deactivated", "x-foo": 1})
    if not t.status(r, 201):
        return
    j = r.json() or {}
    t.check(j.get("status") == "valid", "status %r" % j.get("status"))
    t.check("evil" not in r.body.decode(), "orders reflected: %r" % r)
    t.check("x-foo" not in j, "x-foo reflected")


@case("A09", "kid of an unknown account -> 400 accountDoesNotExist")
def a09(env, t):
    c = env.c
    base = env.A.kid.rsplit("/", 1)[0]
    for kid in (base + "/" + b64u(os.urandom(16)), base + "/nope"):
        t.problem(c.post(c.url("newOrder"), env.A.key, new_order_payload(env),
                         kid=kid), [(400, "accountDoesNotExist")], kid)


@case("A10", "kid with another host / path / trailing slash / not a URL -> 400 malformed")
def a10(env, t):
    c = env.c
    kid = env.A.kid
    for v in (kid.replace("localhost", "127.0.0.1"),
              kid.replace("/acme/acct/", "/acme/order/"),
              kid.replace("/acme/acct/", "/acct/"), kid + "/",
              kid.replace("https://", "http://"),
              kid[len(c.base):], "not a url", kid + "/orders",
              kid + "?x=1"):
        t.problem(c.post(c.url("newOrder"), env.A.key, new_order_payload(env),
                         kid=v), MAL, v)


@case("A11", "account update status revoked / foo -> 400 malformed")
def a11(env, t):
    for st in ("revoked", "foo", "valid ", 1):
        t.problem(env.c.post_as(env.A, env.A.kid, {"status": st}), MAL,
                  jdump(st))
    r = env.get(env.A, env.A.kid)
    t.check((r.json() or {}).get("status") == "valid", "A is %r" % r)


@case("A12", "deactivated account: newOrder, own order, update -> 401 unauthorized")
def a12(env, t):
    d, o = env.fixture("D", lambda: deactivated_fixture(env))
    c = env.c
    U = (401, "unauthorized")
    t.problem(c.post_as(d, c.url("newOrder"), new_order_payload(env)), U,
              "newOrder")
    t.problem(env.get(d, o["url"]), U, "POST-as-GET order")
    t.problem(c.post_as(d, d.kid, {"contact": ["mailto:x@example.test"]}), U,
              "update")
    t.problem(c.post_as(d, d.kid, {"status": "deactivated"}), U,
              "deactivate again")
    t.problem(env.get(d, o["authorizations"][0]), U, "POST-as-GET authz")


@case("A13", "POST to kid_A signed by B -> 403 unauthorized, A unchanged")
def a13(env, t):
    c = env.c
    t.problem(c.post(env.A.kid, env.B.key, {"status": "deactivated"},
                     kid=env.B.kid), UNAUTH, "deactivate")
    t.problem(c.post(env.A.kid, env.B.key, {"contact": [
        "mailto:evil@example.test"]}, kid=env.B.kid), UNAUTH, "contact")
    t.problem(c.post(env.A.kid, env.B.key, None, kid=env.B.kid), [
        UNAUTH, (404, "malformed")], "POST-as-GET")
    r = env.get(env.A, env.A.kid)
    j = r.json() or {}
    t.check(j.get("status") == "valid" and "evil" not in r.body.decode(),
            "A changed: %r" % r)


@case("A14", "account update carrying key/jwk -> ignored")
def a14(env, t):
    c = env.c
    acct = env.new_account()
    other = Key()
    r = c.post_as(acct, acct.kid, {"key": other.jwk(), "jwk": other.jwk()})
    t.check(r.status in (200, 400), "update: %r" % r)
    if r.status == 400:
        t.problem(r, MAL, "update")
    t.status(env.get(acct, acct.kid), 200, "old key still works")
    t.problem(c.post(acct.kid, other, None, kid=acct.kid), MAL,
              "other key does not")


# ================================================================ 3.7 key rollover (R)

def key_change(env, acct, newkey, inner_hdr=None, inner_payload=None,
               inner_sig=None, inner_body=None, outer_url=None,
               inner_extra=None, inner_drop=(), inner_sign_key=None,
               inner_alg=None):
    c = env.c
    url = c.url("keyChange")
    if inner_body is None:
        pl = inner_payload if inner_payload is not None else {
            "account": acct.kid, "oldKey": acct.key.jwk()}
        inner_body = c.jws(newkey, url, pl, nonce=None, extra=inner_extra,
                           drop=inner_drop, hdr=inner_hdr, sig=inner_sig,
                           sign_key=inner_sign_key, alg=inner_alg)
    return c.post(outer_url or url, acct.key, inner_body, kid=acct.kid)


@case("R01", "inner JWS uses kid instead of jwk -> 400 malformed")
def r01(env, t):
    acct = env.new_account()
    t.problem(key_change(env, acct, Key(), inner_extra={"kid": acct.kid},
                         inner_drop=("jwk",)), MAL)


@case("R02", "inner JWS signature invalid -> 400 malformed")
def r02(env, t):
    acct = env.new_account()
    t.problem(key_change(env, acct, Key(), inner_sig=b"\x01" * 64), MAL,
              "garbage")
    t.problem(key_change(env, acct, Key(), inner_sign_key=acct.key), MAL,
              "signed by the old key")


@case("R03", "inner url differs from outer url -> 400 malformed")
def r03(env, t):
    acct = env.new_account()
    t.problem(key_change(env, acct, Key(), inner_extra={
        "url": env.c.url("newOrder")}), MAL)


@case("R04", "inner account = kid_B -> 400 malformed; B unchanged")
def r04(env, t):
    acct = env.new_account()
    nk = Key()
    t.problem(key_change(env, acct, nk, inner_payload={
        "account": env.B.kid, "oldKey": acct.key.jwk()}), MAL, "A's key")
    t.problem(key_change(env, acct, nk, inner_payload={
        "account": env.B.kid, "oldKey": env.B.key.jwk()}), MAL,
        "B's oldKey")
    t.status(env.get(env.B, env.B.kid), 200, "B still has its key")


@case("R05", "inner oldKey is not the current key -> 400 malformed")
def r05(env, t):
    acct = env.new_account()
    t.problem(key_change(env, acct, Key(), inner_payload={
        "account": acct.kid, "oldKey": Key().jwk()}), MAL)


@case("R06", "new key already belongs to B -> 409 + Location kid_B")
def r06(env, t):
    acct = env.new_account()
    r = key_change(env, acct, env.B.key)
    t.problem(r, (409, "malformed"))
    t.check(r.header("Location") == env.B.kid, "Location %r" % r.header(
        "Location"))


@case("R07", "new key = old key -> 409 own Location, or 400 malformed")
def r07(env, t):
    acct = env.new_account()
    r = key_change(env, acct, acct.key)
    if r.status == 409:
        t.problem(r, (409, "malformed"))
        t.check(r.header("Location") == acct.kid, "Location %r" % r.header(
            "Location"))
    else:
        t.problem(r, MAL)


@case("R08", "inner JWS with a nonce -> 400 malformed")
def r08(env, t):
    acct = env.new_account()
    t.problem(key_change(env, acct, Key(), inner_extra={
        "nonce": env.c.nonce()}), MAL)


@case("R09", "inner alg none / HS256 -> 400 badSignatureAlgorithm")
def r09(env, t):
    acct = env.new_account()
    nk = Key()
    t.problem(key_change(env, acct, nk, inner_alg="none", inner_sig=b""),
              BSA, "none")
    t.problem(key_change(env, acct, nk, inner_alg="HS256",
                         inner_sign_key=HS256(b"k")), BSA, "HS256")


@case("R10", "new key RSA-1024 / off-curve -> 400 badPublicKey")
def r10(env, t):
    acct = env.new_account()
    rk = RawRSA.from_primes(random_prime(512), random_prime(512), 65537)
    t.problem(key_change(env, acct, rk), BPK, "RSA-1024")
    k = Key()
    n = k.pub.public_numbers()
    t.problem(key_change(env, acct, k, inner_extra={
        "jwk": ec_jwk(n.x, (n.y + 1) % P256_P)}), BPK, "off-curve")


@case("R11", "inner JWS compact / with unprotected header -> 400 malformed")
def r11(env, t):
    acct = env.new_account()
    nk = Key()
    c = env.c
    j = c.jws(nk, c.url("keyChange"), {"account": acct.kid,
                                       "oldKey": acct.key.jwk()}, nonce=None)
    t.problem(key_change(env, acct, nk, inner_body="%s.%s.%s" % (
        j["protected"], j["payload"], j["signature"])), MAL, "compact")
    t.problem(key_change(env, acct, nk, inner_body=dict(
        j, header={"kid": acct.kid})), MAL, "unprotected header")
    t.problem(key_change(env, acct, nk, inner_body=dict(
        j, signatures=[])), MAL, "signatures member")


@case("R12", "after a rollover: old key refused, new key works, pending order kept")
def r12(env, t):
    acct = env.new_account()
    o = env.new_order(acct)
    nk = Key()
    r = key_change(env, acct, nk)
    if not t.status(r, 200, "rollover"):
        return
    old = acct.key
    t.problem(env.get(acct, acct.kid), MAL, "old key")
    acct.key = nk
    r = env.get(acct, o["url"])
    t.status(r, 200, "new key")
    t.check((r.json() or {}).get("status") == "pending",
            "order after rollover: %r" % r)
    t.status(env.c.post(env.c.url("newAccount"), nk, {
        "onlyReturnExisting": True}), 200, "new key finds the account")
    t.problem(env.c.post(env.c.url("newAccount"), old, {
        "onlyReturnExisting": True}), (400, "accountDoesNotExist"),
        "old key finds nothing")


@case("R13", "two accounts roll to the same new key at once -> one 200, one 409")
def r13(env, t):
    for _ in range(3):
        a1, a2 = env.new_account(), env.new_account()
        nk = Key()
        c = env.c
        bodies = []
        for a in (a1, a2):
            inner = c.jws(nk, c.url("keyChange"), {
                "account": a.kid, "oldKey": a.key.jwk()}, nonce=None)
            bodies.append(c.jws(a.key, c.url("keyChange"), inner, kid=a.kid))
        rs = parallel(2, lambda i: c.post_raw(c.url("keyChange"), bodies[i]))
        st = sorted(r.status if isinstance(r, Resp) else repr(r) for r in rs)
        t.check(st == [200, 409], "statuses %r" % st)
        for r in rs:
            if isinstance(r, Resp) and r.status == 409:
                t.problem(r, (409, "malformed"), "loser")


# ================================================================ 3.9 orders and identifiers (O)

REJ = (400, "rejectedIdentifier")


def order_ids(env, ids, acct=None):
    return env.c.post_as(acct or env.A, env.c.url("newOrder"),
                         {"identifiers": ids})


def dns(*names):
    return [{"type": "dns", "value": n} for n in names]


def subproblems_for(t, want):
    def chk(j):
        subs = (j or {}).get("subproblems") or []
        got = {(s.get("identifier") or {}).get("value") for s in subs}
        ok = t.check(set(want) <= got, "subproblems name %r, want %r" % (
            sorted(x for x in got if x), sorted(want)))
        for s in subs:
            ok &= t.check(str(s.get("type", "")).startswith(ERR),
                          "subproblem without an ACME type: %r" % s)
        return ok
    return chk


@case("O01", "identifiers [] or absent -> 400 malformed")
def o01(env, t):
    t.problem(order_ids(env, []), MAL, "[]")
    t.problem(env.c.post_as(env.A, env.c.url("newOrder"), {}), MAL, "absent")


@case("O02", "identifier type email / foo -> 400 unsupportedIdentifier")
def o02(env, t):
    for typ in ("email", "foo", "DNS"):
        t.problem(order_ids(env, [{"type": typ, "value": "a@b.test"
                                   if typ == "email" else "a.test"}]),
                  (400, "unsupportedIdentifier"), typ)


@case("O03", "DNS identifier \"\" -> 400 malformed")
def o03(env, t):
    t.problem(order_ids(env, dns("")), MAL)
    t.problem(order_ids(env, [{"type": "dns"}]), MAL, "no value")


@case("O04", "Example.TEST -> 201, stored as example.test")
def o04(env, t):
    r = order_ids(env, dns("Mixed-%s.Example.TEST" % secrets.token_hex(3)
                           .upper()))
    if not t.status(r, 201):
        return
    v = (r.json() or {}).get("identifiers", [{}])[0].get("value", "")
    t.check(v == v.lower() and v.endswith(".example.test"), "stored %r" % v)
    a = env.authz(env.A, r.json()["authorizations"][0])
    t.check(a["identifier"]["value"] == v, "authz names %r" % a["identifier"])


@case("O05", "trailing dot -> 400 rejectedIdentifier with a subproblem")
def o05(env, t):
    t.problem(order_ids(env, dns("example.test.")), REJ,
              extra=subproblems_for(t, ["example.test."]))


@case("O06", "IP address as a DNS identifier -> rejectedIdentifier / malformed")
def o06(env, t):
    for v in ("127.0.0.1", "[::1]", "::1", "10.0.0.1"):
        t.problem(order_ids(env, dns(v)), [REJ, MAL], v)


@case("O07", "malformed IP identifiers -> 400 rejectedIdentifier")
def o07(env, t):
    for v in ("127.0.0.0.0.1", "::ffff:zz", "1.2.3.4/24", "01.2.3.4",
              "127.1", "0x7f.0.0.1", "127.0.0.1 ", "[::1]", "fe80::1%lo",
              ""):
        t.problem(order_ids(env, [{"type": "ip", "value": v}]), [REJ]
                  if v else [REJ, MAL], repr(v))


@case("O08", "label 64 / name 254 / a..b / -a / a- -> rejectedIdentifier, subproblem each")
def o08(env, t):
    bad = ["a" * 64 + ".test", ".".join(["a" * 49] * 5) + ".test",
           "a..b.test", "-a.test", "a-.test"]
    t.check(len(bad[1]) >= 254, "name length %d" % len(bad[1]))
    for v in bad:
        t.problem(order_ids(env, dns(v)), REJ, v[:30])
    t.problem(order_ids(env, dns(*bad)), REJ, "all five",
              extra=subproblems_for(t, bad))
    ok = "a" * 63 + "." + secrets.token_hex(3) + ".test"
    t.status(order_ids(env, dns(ok)), 201, "63-char label")


@case("O09", "non-LDH names and U-labels -> 400 rejectedIdentifier")
def o09(env, t):
    for v in ("a_b.test", "a b.test", 'a"b.test', "a/b.test", "bücher.test",
              "a\tb.test", "a\x1b[31m.test", "a;b.test", "a$(id).test"):
        t.problem(order_ids(env, dns(v)), REJ, repr(v))


@case("O10", "bad punycode xn--zz / R-LDH ab--c -> 400 rejectedIdentifier")
def o10(env, t):
    for v in ("xn--zz.test", "ab--c.test", "xn--.test", "xn--a.test",
              "xn--ls8h-.test", "XN--ZZ.test"):
        t.problem(order_ids(env, dns(v)), REJ, v)
    r = order_ids(env, dns("xn--bcher-kva.%s.test" % secrets.token_hex(3)))
    t.status(r, 201, "valid A-label xn--bcher-kva")


@case("O11", "bad wildcards -> 400 rejectedIdentifier")
def o11(env, t):
    for v in ("*.*.test", "a*.test", "foo.*.test", "*", "*.", "**.test",
              "*a.test"):
        t.problem(order_ids(env, dns(v)), REJ, v)


@case("O12", "101 identifiers -> rejectedIdentifier or malformed")
def o12(env, t):
    t.problem(order_ids(env, dns(*["n%d.toomany.test" % i
                                   for i in range(101)])), [REJ, MAL])


@case("O13", "a.test, A.test, a.test -> one identifier, one authz")
def o13(env, t):
    n = "dup-%s.test" % secrets.token_hex(3)
    r = order_ids(env, dns(n, n.upper(), n))
    if not t.status(r, 201):
        return
    j = r.json()
    t.check(len(j["identifiers"]) == 1, "identifiers %r" % j["identifiers"])
    t.check(len(j["authorizations"]) == 1, "%d authzs" % len(
        j["authorizations"]))


@case("O14", "notBefore in the past / notAfter beyond policy / garbage -> 400 malformed")
def o14(env, t):
    for what, extra in (("notBefore past", {"notBefore": "2000-01-01T00:00:00Z"}),
                        ("notAfter +10y", {"notAfter": "2099-01-01T00:00:00Z"}),
                        ("notBefore garbage", {"notBefore": "yesterday"}),
                        ("notAfter number", {"notAfter": 1})):
        pl = dict(new_order_payload(env), **extra)
        t.problem(env.c.post_as(env.A, env.c.url("newOrder"), pl), MAL, what)


@case("O17", "requested notBefore (in the future) / notAfter -> echoed, the certificate's exactly")
def o17(env, t):
    c, acct = env.c, env.A
    now = int(time.time())
    nb, na = now + 3600, now + 3600 + 5 * 86400 + 7
    fmt = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))
    name = env.name()
    r = c.post_as(acct, c.url("newOrder"), {
        "identifiers": dns(name), "notBefore": fmt(nb), "notAfter": fmt(na)})
    if not t.status(r, 201, "newOrder"):
        return
    o = r.json()
    t.check(o.get("notBefore") == fmt(nb) and o.get("notAfter") == fmt(na),
            "order echoes %r %r" % (o.get("notBefore"), o.get("notAfter")))
    url = r.header("Location")
    for au in o["authorizations"]:
        env.validate(acct, au)
    env.poll(acct, url, lambda j: j.get("status") != "pending")
    key = Key("p256")
    t.status(env.finalize(acct, o, make_csr(key, [name])), 200, "finalize")
    _, j = env.poll(acct, url, lambda j: j.get("status") not in (
        "processing", "ready"))
    if not t.check(j.get("status") == "valid", "order %r" % j):
        return
    leaf = x509.load_pem_x509_certificate(env.get(acct, j["certificate"]).body)
    got_nb = int(leaf.not_valid_before_utc.timestamp())
    got_na = int(leaf.not_valid_after_utc.timestamp())
    t.check(got_nb == nb, "certificate notBefore %s, asked %s" % (
        fmt(got_nb), fmt(nb)))
    t.check(got_na == na, "certificate notAfter %s, asked %s" % (
        fmt(got_na), fmt(na)))


@case("O15", "names outside the policy -> 400 rejectedIdentifier")
def o15(env, t):
    for v in ("google.com", "example.com", "notlocalhost", "xtest",
              "localhost.evil.com", "*.google.com", "test.com"):
        t.problem(order_ids(env, dns(v)), REJ, v)
    t.problem(order_ids(env, dns("ok-%s.test" % secrets.token_hex(3),
                                 "google.com")), REJ, "one of two",
              extra=subproblems_for(t, ["google.com"]))


@case("O16", "public IP identifiers -> 400 rejectedIdentifier")
def o16(env, t):
    for v in ("8.8.8.8", "2001:4860:4860::8888", "0.0.0.0", "::",
              "169.254.169.254", "224.0.0.1"):
        t.problem(order_ids(env, [{"type": "ip", "value": v}]), REJ, v)


@case("O19", "profile the directory does not advertise, any length or characters -> 400 invalidProfile; not a string -> malformed")
def o17(env, t):
    advertised = set((env.c.dir.get("meta") or {}).get("profiles") or {})
    # (A "\u0000" anywhere in a payload is malformed JSON to us, before
    # any member is read: not a profile question.)
    for v in ("nope", "x" * 31, "x" * 32, "p" * 300, "DEFAULT",
              "\u00e9t\u00e9 profile!", "../default"):
        if v in advertised:
            continue
        t.problem(env.c.post_as(env.A, env.c.url("newOrder"), {
            "identifiers": dns(env.name()), "profile": v}),
            (400, "invalidProfile"), "%r" % v[:40])
    for v in (7, ["default"], {"name": "default"}, True):
        t.problem(env.c.post_as(env.A, env.c.url("newOrder"), {
            "identifiers": dns(env.name()), "profile": v}), MAL, jdump(v))


def ari_certid(leaf):
    """RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial DER)."""
    aki = leaf.extensions.get_extension_for_class(
        x509.AuthorityKeyIdentifier).value.key_identifier
    n = leaf.serial_number
    return "%s.%s" % (b64u(aki), b64u(n.to_bytes(n.bit_length() // 8 + 1,
                                                 "big")))


@case("O18", "renewalInfo: malformed certID -> 400 malformed; well-formed unknown -> 404; ours -> 200")
def o18(env, t):
    c = env.c
    base = c.dir.get("renewalInfo")
    if not t.check(base, "directory has no renewalInfo"):
        return
    _, leaf, _, _ = env.A_cert
    good = ari_certid(leaf)
    kid, ser = good.split(".")
    r = c.get(base + "/" + good)
    t.status(r, 200, "our certID")
    for bad in ("", "abc", "a.b.c", kid + ".gA", kid + ".AAE", "===.AQ",
                kid + ".AQ==", "a!b." + ser, kid + "." + ser + "/x",
                "." + ser, kid + ".", "A" * 300 + "." + ser,
                kid + "~" + ser):
        t.problem(c.get(base + "/" + bad), (400, "malformed"), bad[:40])
    unknown = kid + "." + b64u(b"\x01\x02\x03")
    t.problem(c.get(base + "/" + unknown), (404, "malformed"), "unknown")


# ================================================================ 3.10 authorizations and challenges (C)

@case("C01", "B POST-as-GETs A's authz -> 404 malformed or 403 unauthorized")
def c01(env, t):
    o = env.new_order(env.A)
    t.problem(env.get(env.B, o["authorizations"][0]),
              [(404, "malformed"), UNAUTH])


@case("C02", "B POSTs {} to A's challenge -> 403 unauthorized, no validation")
def c02(env, t):
    o = env.new_order(env.A)
    a = env.authz(env.A, o["authorizations"][0])
    ch = env.chall(a)
    env.resp.set(ch["token"], "ok", env.keyauth(env.A, ch["token"]))
    t.problem(env.c.post_as(env.B, ch["url"], {}), [UNAUTH, (404, "malformed")])
    time.sleep(1.5)
    t.check(env.resp.count(ch["token"]) == 0, "the target saw %d requests"
            % env.resp.count(ch["token"]))
    a = env.authz(env.A, a["url"])
    t.check(a["status"] == "pending" and env.chall(a)["status"] == "pending",
            "authz/challenge changed: %r" % a)


@case("C03", "POST-as-GET a pending challenge -> 200, no validation")
def c03(env, t):
    o = env.new_order(env.A)
    a = env.authz(env.A, o["authorizations"][0])
    ch = env.chall(a)
    env.resp.set(ch["token"], "ok", env.keyauth(env.A, ch["token"]))
    r = env.get(env.A, ch["url"])
    t.status(r, 200)
    t.check((r.json() or {}).get("status") == "pending", "challenge %r" % r)
    t.check("up" in " ".join(r.header_all("Link")), "no Link rel=up")
    time.sleep(1.5)
    t.check(env.resp.count(ch["token"]) == 0, "the target saw %d requests"
            % env.resp.count(ch["token"]))


@case("C04", "challenge POST with bogus fields -> ignored, real token validated")
def c04(env, t):
    o = env.new_order(env.A)
    a = env.authz(env.A, o["authorizations"][0])
    ch = env.chall(a)
    env.resp.set(ch["token"], "ok", env.keyauth(env.A, ch["token"]))
    r = env.c.post_as(env.A, ch["url"], {
        "keyAuthorization": "x", "type": "dns-01", "status": "valid",
        "token": "y", "url": "https://evil.example/"})
    if not t.status(r, 200):
        return
    j = r.json() or {}
    t.check(j.get("token") == ch["token"] and j.get("type") == "http-01" and
            "evil" not in r.body.decode(), "fields taken: %r" % r)
    _, j = env.poll(env.A, a["url"], lambda j: j.get("status") != "pending")
    t.check(j.get("status") == "valid", "authz %r" % j)
    t.check(env.resp.count(ch["token"]) >= 1, "real token never fetched")
    t.check(env.resp.count("y") == 0, "bogus token fetched")


@case("C06", "respond to a valid / invalid / deactivated authz -> 400 or unchanged")
def c06(env, t):
    c = env.c
    allowed = [MAL]
    # invalid: the target answers a wrong key authorization
    o = env.new_order(env.A)
    au = o["authorizations"][0]
    ch, j = env.validate(env.A, au, kind="ok", arg="wrong")
    t.check(j.get("status") == "invalid", "authz with a wrong answer: %r" % j)
    env.resp.set(ch["token"], "ok", env.keyauth(env.A, ch["token"]))
    r = c.post_as(env.A, ch["url"], {})
    if r.status != 200:
        t.problem(r, allowed, "invalid authz")
    time.sleep(1.5)
    a = env.authz(env.A, au)
    t.check(a["status"] == "invalid", "invalid authz became %r" % a["status"])
    # valid
    o = env.new_order(env.A)
    au = o["authorizations"][0]
    ch, j = env.validate(env.A, au)
    n0 = env.resp.count(ch["token"])
    r = c.post_as(env.A, ch["url"], {})
    if r.status != 200:
        t.problem(r, allowed, "valid authz")
    time.sleep(1)
    t.check(env.authz(env.A, au)["status"] == "valid", "valid authz changed")
    t.check(env.resp.count(ch["token"]) == n0, "valid authz re-validated")
    # deactivated
    o = env.new_order(env.A)
    au = o["authorizations"][0]
    a = env.authz(env.A, au)
    ch = env.chall(a)
    env.resp.set(ch["token"], "ok", env.keyauth(env.A, ch["token"]))
    t.status(c.post_as(env.A, au, {"status": "deactivated"}), 200,
             "deactivate")
    r = c.post_as(env.A, ch["url"], {})
    if r.status != 200:
        t.problem(r, allowed, "deactivated authz")
    time.sleep(1.5)
    t.check(env.authz(env.A, au)["status"] == "deactivated",
            "deactivated authz changed")
    t.check(env.resp.count(ch["token"]) == 0, "deactivated authz validated")


@case("C07", "deactivate an authz with status valid -> 400 malformed")
def c07(env, t):
    o = env.new_order(env.A)
    au = o["authorizations"][0]
    for st in ("valid", "invalid", "pending", "revoked"):
        t.problem(env.c.post_as(env.A, au, {"status": st}), MAL, st)
    t.check(env.authz(env.A, au)["status"] == "pending", "authz changed")


@case("C08", "tokens are base64url, >= 22 chars, unique (500 authzs)")
def c08(env, t):
    acct = env.new_account()
    tokens = []
    for i in range(5):
        o = env.new_order(acct, ["t%d-%d.c08-%s.test" % (i, j,
                                                         secrets.token_hex(2))
                                 for j in range(100)])
        for au in o["authorizations"]:
            for ch in env.authz(acct, au)["challenges"]:
                tokens.append(ch["token"])
    t.check(len(tokens) >= 500, "only %d tokens" % len(tokens))
    bad = [x for x in tokens if not (B64URL_RE.match(x) and len(x) >= 22)]
    t.check(not bad, "bad tokens: %r" % bad[:5])
    t.check(len(set(tokens)) == len(tokens), "%d duplicate tokens" % (
        len(tokens) - len(set(tokens))))
    for au in o["authorizations"][:1]:
        env.c.post_as(acct, au, {"status": "deactivated"})


@case("C09", "50 POSTs {} to one challenge -> one validation in flight")
def c09(env, t):
    c = env.c
    o = env.new_order(env.A)
    au = o["authorizations"][0]
    ch = env.chall(env.authz(env.A, au))
    env.resp.set(ch["token"], "slow", (env.keyauth(env.A, ch["token"]), 2))
    bodies = [c.jws(env.A.key, ch["url"], {}, kid=env.A.kid)
              for _ in range(50)]
    rs = parallel(50, lambda i: c.post_raw(ch["url"], bodies[i]))
    for r in rs:
        if not isinstance(r, Resp):
            t.check(False, "transport error %r" % r)
        elif r.status != 200:
            t.problem(r, (429, "rateLimited"), "repeat")
            t.check(re.fullmatch(r"[0-9]+", r.header("Retry-After") or ""),
                    "429 without an integer Retry-After")
            break
    _, j = env.poll(env.A, au, lambda j: j.get("status") != "pending")
    t.check(j.get("status") == "valid", "authz %r" % j)
    t.check(env.resp.count(ch["token"]) == 1, "the target saw %d requests" %
            env.resp.count(ch["token"]))


@case("C10", "http-01 redirect to a loopback admin port / 1 GB body -> refused, no echo")
def c10(env, t):
    admin = Tripwire()
    marker = "SECRET-%s" % secrets.token_hex(8)
    for what, kind, arg in (
            ("redirect to admin port", "redirect",
             "http://127.0.0.1:%d/secret?%s" % (admin.port, marker)),
            ("redirect to admin port by name", "redirect",
             "http://localhost:%d/%s" % (admin.port, marker)),
            ("redirect loop", "redirect", None),
            ("1 GB body", "huge", marker + " ")):
        o = env.new_order(env.A)
        au = o["authorizations"][0]
        a = env.authz(env.A, au)
        ch = env.chall(a)
        if arg is None:
            arg = "http://%s:%d/.well-known/acme-challenge/%s" % (
                a["identifier"]["value"], env.resp.port, ch["token"])
        env.resp.set(ch["token"], kind, arg)
        r = env.c.post_as(env.A, ch["url"], {})
        t.status(r, 200, what)
        t0 = time.monotonic()
        _, j = env.poll(env.A, au, lambda j: j.get("status") != "pending",
                        timeout=60)
        t.check(j.get("status") == "invalid", "%s: authz %r" % (what, j))
        err = json.dumps([x.get("error") for x in j.get("challenges", [])])
        t.check(marker not in err or kind == "redirect",
                "%s: error echoes the body: %s" % (what, err[:300]))
        t.check(len(err) < 4096, "%s: error of %d bytes" % (what, len(err)))
        t.check(time.monotonic() - t0 < 45, "%s: slow" % what)
    t.check(admin.hits == 0, "the admin port saw %d connections" % admin.hits)
    t.check(env.c.alive(), "server not answering afterwards")



@case("C11", "http-01 near misses (B's thumbprint, trailing bytes, a prefix) -> invalid")
def c11(env, t):
    # Each body differs from A's key authorization only at its end, where
    # a comparison that stops early (at the '.' or at the shorter length)
    # would not look. Whitespace at the end is allowed (RFC 8555 §8.3).
    for what, body in (
            ("token.<B's thumbprint>",
             lambda tok: tok + "." + env.B.key.thumbprint()),
            ("key authorization + 'x'",
             lambda tok: env.keyauth(env.A, tok) + "x"),
            ("key authorization + NUL",
             lambda tok: env.keyauth(env.A, tok) + "\0"),
            ("key authorization twice",
             lambda tok: env.keyauth(env.A, tok) * 2),
            ("key authorization less its last byte",
             lambda tok: env.keyauth(env.A, tok)[:-1]),
            ("token and '.'", lambda tok: tok + ".")):
        o = env.new_order(env.A)
        au = o["authorizations"][0]
        ch = env.chall(env.authz(env.A, au))
        env.resp.set(ch["token"], "ok", body(ch["token"]))
        t.status(env.c.post_as(env.A, ch["url"], {}), 200, what)
        _, j = env.poll(env.A, au, lambda j: j.get("status") != "pending")
        t.check(j.get("status") == "invalid", "%s: authz %r" % (what, j))
        errs = [(x.get("error") or {}).get("type", "")
                for x in j.get("challenges", []) if x.get("type") == "http-01"]
        t.check(any(e.endswith(":incorrectResponse") for e in errs),
                "%s: challenge errors %r" % (what, errs))
    # The exact value, with trailing whitespace, still validates.
    o = env.new_order(env.A)
    au = o["authorizations"][0]
    ch = env.chall(env.authz(env.A, au))
    env.resp.set(ch["token"], "ok", env.keyauth(env.A, ch["token"]) + "\r\n")
    t.status(env.c.post_as(env.A, ch["url"], {}), 200, "exact value")
    _, j = env.poll(env.A, au, lambda j: j.get("status") != "pending")
    t.check(j.get("status") == "valid", "exact value + CRLF: authz %r" % j)

# ================================================================ 3.11 finalize and CSR (F)

BADCSR = (400, "badCSR")
NOTREADY = (403, "orderNotReady")


def names_of(order):
    return [i["value"] for i in order["identifiers"] if i["type"] == "dns"]


def still_ready(env, t, order, what=""):
    r = env.get(env.A, order["url"])
    return t.check((r.json() or {}).get("status") == "ready",
                   "%sorder is %r after the refusal" % (
                       what + ": " if what else "",
                       (r.json() or {}).get("status")))


def csr_case(env, t, csr_der, allowed=BADCSR, what="", order=None):
    o = order or env.ready_order(env.A)
    r = env.finalize(env.A, o, csr_der(o) if callable(csr_der) else csr_der)
    t.problem(r, allowed, what)
    still_ready(env, t, o, what)
    return o


@case("F01", "finalize a pending order -> 403 orderNotReady")
def f01(env, t):
    o = env.new_order(env.A)
    t.problem(env.finalize(env.A, o, make_csr(Key(), names_of(o))), NOTREADY)


@case("F02", "finalize a valid order again -> 403 orderNotReady")
def f02(env, t):
    o, leaf, _, _ = env.A_cert
    t.problem(env.finalize(env.A, o, make_csr(Key(), names_of(o))), NOTREADY)
    r = env.get(env.A, o["url"])
    t.check((r.json() or {}).get("certificate") == o["certificate"],
            "certificate URL changed")


@case("F03", "finalize an invalid order -> 403 orderNotReady")
def f03(env, t):
    o = env.new_order(env.A)
    env.validate(env.A, o["authorizations"][0], kind="ok", arg="wrong")
    _, j = env.poll(env.A, o["url"], lambda j: j.get("status") != "pending")
    t.check(j.get("status") == "invalid", "order is %r" % j.get("status"))
    t.problem(env.finalize(env.A, o, make_csr(Key(), names_of(o))), NOTREADY)


@case("F04", "CSR with one extra SAN -> 400 badCSR, order stays ready")
def f04(env, t):
    o = csr_case(env, t, lambda o: make_csr(Key(), names_of(o) + [
        "extra-%s.test" % secrets.token_hex(3)]))
    env._cache["F04_order"] = o


@case("F05", "CSR missing one of the order's names -> 400 badCSR")
def f05(env, t):
    o = env.ready_order(env.A, [env.name(), env.name()])
    csr_case(env, t, make_csr(Key(), names_of(o)[:1]), order=o)


@case("F06", "CSR with a CN that is not an order identifier (with or without SAN) -> 400 badCSR")
def f06(env, t):
    csr_case(env, t, lambda o: make_csr(Key(), names_of(o),
                                        cn="other.test"))
    csr_case(env, t, lambda o: make_csr(Key(), cn="other.test"),
             what="CN only")


@case("F07", "CSR with an IP CN not in the order -> 400 badCSR; the order's IP -> 200")
def f07(env, t):
    o = env.ready_order(env.A, [env.name()], ips=["127.0.0.1"])
    csr_case(env, t, make_csr(Key(), names_of(o), ips=["127.0.0.1"],
                              cn="127.0.0.2"), order=o)
    # issue #12 item 1: BR §7.1.4.3 allows the order's IP in the CN
    t.status(env.finalize(env.A, o, make_csr(
        Key(), names_of(o), ips=["127.0.0.1"], cn="127.0.0.1")), 200,
        "CN = the order's IP")


@case("F08", "CSR with email / URI / otherName / directoryName SANs -> 400 badCSR")
def f08(env, t):
    o = env.ready_order(env.A)
    n = names_of(o)[0]
    for what, gn in (("email", der(0x81, b"a@b.test")),
                     ("URI", der(0x86, b"https://b.test/")),
                     ("otherName", der(0xA0, oid("1.3.6.1.4.1.311.20.2.3") +
                                       der(0xA0, utf8("a@b.test")))),
                     ("directoryName", der(0xA4, name_cn("x"))),
                     ("registeredID", der(0x88, oid("1.2.3")[2:]))):
        csr_case(env, t, make_csr(Key(), gns=[gn_dns(n), gn]), what=what,
                 order=o)


@case("F09", "CSR self-signature broken -> 400 badCSR")
def f09(env, t):
    def broken(o):
        d = bytearray(make_csr(Key(), names_of(o)))
        d[-5] ^= 0x01
        return bytes(d)
    csr_case(env, t, broken)


@case("F10", "CSR signed with SHA-1 / MD5 -> 400 badCSR")
def f10(env, t):
    o = env.ready_order(env.A)
    csr_case(env, t, make_csr(ec.generate_private_key(ec.SECP256R1()),
                              names_of(o), how="sha1"), what="ECDSA SHA-1",
             order=o)
    rk = rsa.generate_private_key(65537, 2048)
    csr_case(env, t, make_csr(rk, names_of(o), how="sha1"),
             what="RSA SHA-1", order=o)
    try:
        csr_case(env, t, make_csr(rk, names_of(o), how="md5"),
                 what="RSA MD5", order=o)
    except Exception as e:     # an OpenSSL without MD5 signing
        print("    (F10: MD5 CSR not built here: %r)" % e)


@case("F11", "CSR key RSA-1024 / RSA-2047 / e=3 -> 400 badCSR")
def f11(env, t):
    o = env.ready_order(env.A)
    for what, k in (("RSA-1024", rsa.generate_private_key(65537, 1024)),
                    ("RSA-2047", rsa.generate_private_key(65537, 2047)),
                    ("e=3", rsa.generate_private_key(3, 2048))):
        csr_case(env, t, make_csr(k, names_of(o)), what=what, order=o)


@case("F12", "CSR key P-192 / secp256k1 / brainpool / Ed25519 / Ed448 / DSA -> 400 badCSR")
def f12(env, t):
    o = env.ready_order(env.A)
    for what, k in (("P-192", ec.generate_private_key(ec.SECP192R1())),
                    ("secp256k1", ec.generate_private_key(ec.SECP256K1())),
                    ("brainpoolP256r1",
                     ec.generate_private_key(ec.BrainpoolP256R1())),
                    ("P-521", ec.generate_private_key(ec.SECP521R1())),
                    ("Ed25519", ed25519.Ed25519PrivateKey.generate()),
                    ("Ed448", ed448.Ed448PrivateKey.generate()),
                    ("DSA-2048", dsa.generate_private_key(2048))):
        csr_case(env, t, make_csr(k, names_of(o)), what=what, order=o)


@case("F13", "CSR key with close primes (Fermat-factorable) -> 400 badCSR")
def f13(env, t):
    p = random_prime(1024)
    q = next_prime(p + 2 * secrets.randbelow(1 << 20) + 2)
    rk = RawRSA.from_primes(p, q, 65537)
    csr_case(env, t, lambda o: make_csr(rk, names_of(o)))
    # positive control: an ordinary RSA-2048 key is not refused
    o = env.ready_order(env.A)
    t.status(env.finalize(env.A, o, make_csr(rsa.generate_private_key(
        65537, 2048), names_of(o))), 200, "ordinary RSA-2048 CSR")


@case("F14", "CSR public key = A's account key -> 400 badCSR")
def f14(env, t):
    csr_case(env, t, lambda o: make_csr(env.A.key, names_of(o)))


@case("F15", "CSR public key = B's account key -> 400 badCSR")
def f15(env, t):
    csr_case(env, t, lambda o: make_csr(env.B.key, names_of(o)))
    csr_case(env, t, lambda o: make_csr(env.C.key, names_of(o)),
             what="RSA account C")


F16_EXTS = [
    ("basicConstraints CA:TRUE", ext("2.5.29.19", seq(DER_TRUE), True)),
    ("keyUsage keyCertSign", ext("2.5.29.15", der(0x03, b"\x01\x86"), True)),
    ("EKU codeSigning + any", ext("2.5.29.37", seq(
        oid("1.3.6.1.5.5.7.3.3"), oid("2.5.29.37.0")))),
    ("nameConstraints", ext("2.5.29.30", seq(der(0xA0, seq(
        gn_dns("evil.test")))), True)),
    ("must-staple", ext("1.3.6.1.5.5.7.1.24", seq(der_int(5)))),
    ("unknown critical", ext("1.3.6.1.4.1.55555.1", DER_NULL, True)),
    ("AIA", ext("1.3.6.1.5.5.7.1.1", seq(seq(oid("1.3.6.1.5.5.7.48.1"),
                                             der(0x86, b"http://evil.test/")))
                )),
]


def check_profile(t, what, leaf, names):
    e = leaf.extensions
    try:
        bc = e.get_extension_for_class(x509.BasicConstraints).value
        t.check(not bc.ca, "%s: leaf has cA=TRUE" % what)
    except x509.ExtensionNotFound:
        pass
    try:
        ku = e.get_extension_for_class(x509.KeyUsage).value
        t.check(not ku.key_cert_sign and not ku.crl_sign,
                "%s: leaf can sign certificates/CRLs" % what)
    except x509.ExtensionNotFound:
        pass
    try:
        eku = list(e.get_extension_for_class(x509.ExtendedKeyUsage).value)
        bad = [u for u in eku if u.dotted_string in (
            "1.3.6.1.5.5.7.3.3", "2.5.29.37.0")]
        t.check(not bad, "%s: leaf EKU %r" % (what, bad))
    except x509.ExtensionNotFound:
        pass
    oids = {x.oid.dotted_string for x in e}
    for o, n in (("2.5.29.30", "nameConstraints"),
                 ("1.3.6.1.5.5.7.1.24", "TLS feature"),
                 ("1.3.6.1.4.1.55555.1", "unknown extension")):
        t.check(o not in oids, "%s: leaf carries %s" % (what, n))
    try:
        aia = e.get_extension_for_class(x509.AuthorityInformationAccess)
        t.check("evil" not in str(aia.value), "%s: AIA copied" % what)
    except x509.ExtensionNotFound:
        pass
    san = e.get_extension_for_class(x509.SubjectAlternativeName).value
    t.check(sorted(san.get_values_for_type(x509.DNSName)) == sorted(names),
            "%s: SANs %r" % (what, san))


@case("F16", "CSR asks for CA/keyCertSign/EKU/NC/must-staple/critical ext -> 400 badCSR naming it")
def f16(env, t):
    o = env.ready_order(env.A)
    for (what, e), named in zip(F16_EXTS, (
            "CA:TRUE", "keyCertSign", "codeSigning", "nameConstraints",
            "1.3.6.1.5.5.7.1.24", "1.3.6.1.4.1.55555.1",
            "authorityInfoAccess")):
        r = env.finalize(env.A, o, make_csr(Key(), names_of(o), exts=[e]))
        t.problem(r, BADCSR, what, extra=lambda j, n=named, w=what: t.check(
            n in (j or {}).get("detail", ""),
            "%s: detail %r does not name %s" % (w, j, n)))
    still_ready(env, t, o)


@case("F17", "csr as PEM / standard base64 / padded / with whitespace -> 400 malformed")
def f17(env, t):
    o = env.ready_order(env.A)
    d = make_csr(Key(), names_of(o))
    pem = ("-----BEGIN CERTIFICATE REQUEST-----\n" +
           base64.encodebytes(d).decode() +
           "-----END CERTIFICATE REQUEST-----\n")
    std = base64.b64encode(d).decode()
    for _ in range(50):
        if "+" in std or "/" in std:
            break
        d = make_csr(Key(), names_of(o))
        std = base64.b64encode(d).decode()
    u = b64u(d)
    for what, v in (("PEM", pem), ("standard base64", std.rstrip("=")),
                    ("padded", u + "=" * (-len(u) % 4 or 4)),
                    ("whitespace", u[:20] + " " + u[20:]),
                    ("newline", u[:20] + "\n" + u[20:]),
                    ("not base64", "!!!")):
        r = env.c.post_as(env.A, o["finalize"], {"csr": v})
        t.problem(r, MAL, what)
    still_ready(env, t, o)


@case("F18", "CSR DER followed by trailing bytes -> 400 badCSR")
def f18(env, t):
    csr_case(env, t, lambda o: make_csr(Key(), names_of(o)) + b"\x00\x00")


@case("F19", "CSR in BER (non-minimal length, indefinite length) -> 400 badCSR")
def f19(env, t):
    o = env.ready_order(env.A)
    d = make_csr(Key(), names_of(o))
    assert d[1] & 0x80
    nlen = d[1] & 0x7F
    body = d[2 + nlen:]
    long_form = b"\x30" + bytes([0x80 | (nlen + 1)]) + b"\x00" + \
        d[2:2 + nlen] + body
    indef = b"\x30\x80" + body + b"\x00\x00"
    csr_case(env, t, long_form, what="non-minimal length", order=o)
    csr_case(env, t, indef, what="indefinite length", order=o)


@case("F20", "SAN with NUL, quote or newline -> 400 badCSR")
def f20(env, t):
    o = env.ready_order(env.A)
    n = names_of(o)[0]
    for what, v in (("NUL", n.encode() + b"\x00.evil.test"),
                    ("quote", b'a"' + n.encode()),
                    ("newline", n.encode() + b"\n"),
                    ("NUL after", b"x\x00" + n.encode())):
        csr_case(env, t, make_csr(Key(), gns=[gn_dns(n), gn_dns(v)]),
                 what=what, order=o)
        csr_case(env, t, make_csr(Key(), gns=[gn_dns(v)]),
                 what=what + " alone", order=o)


@case("F21", "two SAN extensions / two extensionRequest attributes -> 400 badCSR")
def f21(env, t):
    o = env.ready_order(env.A)
    n = names_of(o)[0]
    san = ext_san([gn_dns(n)])
    csr_case(env, t, make_csr(Key(), gns=[], exts=[san, san]),
             what="two SAN extensions", order=o)
    csr_case(env, t, make_csr(Key(), attrs=[attr_ext_req(san),
                                            attr_ext_req(san)]),
             what="two extensionRequest attributes", order=o)
    csr_case(env, t, make_csr(Key(), attrs=[seq(
        oid("1.2.840.113549.1.9.14"), set_of(seq(san), seq(san)))]),
        what="two values in one extensionRequest", order=o)


@case("F22", "a ready order's authz deactivated, then finalize -> 403, no certificate")
def f22(env, t):
    o = env.ready_order(env.A, [env.name(), env.name()])
    t.status(env.c.post_as(env.A, o["authorizations"][1],
                           {"status": "deactivated"}), 200, "deactivate")
    r = env.finalize(env.A, o, make_csr(Key(), names_of(o)))
    t.problem(r, [UNAUTH, NOTREADY])
    time.sleep(0.5)
    j = env.get(env.A, o["url"]).json() or {}
    t.check(not j.get("certificate") and j.get("status") != "valid",
            "order %r" % j)


@case("F23", "finalize payload {} or {\"csr\":\"\"} -> 400 malformed")
def f23(env, t):
    o = env.ready_order(env.A)
    for pl in ({}, {"csr": ""}, {"csr": None}, {"CSR": b64u(make_csr(
            Key(), names_of(o)))}):
        t.problem(env.c.post_as(env.A, o["finalize"], pl), MAL, jdump(pl)[:40])
    still_ready(env, t, o)


@case("F24", "CSR of ~40 KiB with 5,000 SANs -> badCSR or 413, fast")
def f24(env, t):
    o = env.ready_order(env.A)
    gns = [gn_dns(names_of(o)[0])] + [gn_dns("s%d.test" % i)
                                       for i in range(5000)]
    d = make_csr(Key(), gns=gns)
    t0 = time.monotonic()
    r = env.finalize(env.A, o, d)
    t.problem(r, [BADCSR, (413, "malformed")], "%d bytes" % len(d))
    t.check(time.monotonic() - t0 < 10, "slow")
    # the same under the body cap: 1,500 SANs
    gns = [gn_dns(names_of(o)[0])] + [gn_dns("s%d.test" % i)
                                       for i in range(1500)]
    t.problem(env.finalize(env.A, o, make_csr(Key(), gns=gns)), BADCSR,
              "1,500 SANs")
    still_ready(env, t, o)


@case("F25", "B finalizes A's ready order -> 404 malformed / 403 unauthorized")
def f25(env, t):
    o = env.ready_order(env.A)
    r = env.finalize(env.B, o, make_csr(Key(), names_of(o)))
    t.problem(r, [(404, "malformed"), UNAUTH])
    still_ready(env, t, o)


@case("F26", "after F04's badCSR, a correct CSR -> 200, processing/valid")
def f26(env, t):
    o = env._cache.get("F04_order")
    if o is None:
        o = env.ready_order(env.A)
        t.problem(env.finalize(env.A, o, make_csr(Key(), names_of(o) + [
            "extra.test"])), BADCSR, "F04 step")
    r = env.finalize(env.A, o, make_csr(Key(), names_of(o)))
    t.status(r, 200)
    t.check((r.json() or {}).get("status") in ("processing", "valid"),
            "order %r" % r)


# Issue #12 items 1 and 9 (RFC 8555 §7.4): CN rules and requested extensions.

def leaf_names(leaf):
    san = leaf.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    return sorted(san.get_values_for_type(x509.DNSName) +
                  [str(a) for a in san.get_values_for_type(x509.IPAddress)])


def finalize_leaf(env, t, o, csr, what):
    r = env.finalize(env.A, o, csr)
    if not t.status(r, 200, what):
        return None
    _, j = env.poll(env.A, o["url"], lambda j: j.get("status") not in (
        "processing", "ready"))
    if not t.check(j.get("status") == "valid", "%s: order %r" % (what, j)):
        return None
    return x509.load_pem_x509_certificate(env.get(env.A, j["certificate"]).body)


@case("F27", "CSR asking for OCSP Must-Staple (TLS Feature) -> 400 badCSR naming it")
def f27(env, t):
    o = env.ready_order(env.A)
    staple = ext("1.3.6.1.5.5.7.1.24", seq(der_int(5)))
    for what, csr in (
            ("with SAN", make_csr(Key(), names_of(o), exts=[staple])),
            ("CN only", make_csr(Key(), cn=names_of(o)[0], exts=[staple]))):
        r = env.finalize(env.A, o, csr)
        t.problem(r, BADCSR, what, extra=lambda j, w=what: t.check(
            "1.3.6.1.5.5.7.1.24" in (j or {}).get("detail", ""),
            "%s: detail %r does not name the TLS Feature OID" % (w, j)))
    still_ready(env, t, o)


@case("F28", "CSR naming identifiers only in its CN -> 200, the leaf SAN holds every identifier")
def f28(env, t):
    o = env.ready_order(env.A)
    leaf = finalize_leaf(env, t, o, make_csr(Key(), cn=names_of(o)[0]),
                         "DNS CN, no SAN")
    if leaf is not None:
        t.check(leaf_names(leaf) == names_of(o), "SANs %r" % leaf_names(leaf))
    o = env.ready_order(env.A, [], ips=["127.0.0.1"])
    leaf = finalize_leaf(env, t, o, make_csr(Key(), cn="127.0.0.1"),
                         "IP CN, no SAN")
    if leaf is not None:
        t.check(leaf_names(leaf) == ["127.0.0.1"], "SANs %r" % leaf_names(leaf))
    n1, n2 = env.name(), env.name()
    o = env.ready_order(env.A, [n1, n2], ips=["::1"])
    leaf = finalize_leaf(env, t, o, make_csr(Key(), [n1], ips=["::1"],
                                             cn=n2.upper()),
                         "one name only in the CN")
    if leaf is not None:
        t.check(leaf_names(leaf) == sorted([n1, n2, "::1"]),
                "SANs %r" % leaf_names(leaf))


@case("F29", "CSR asking for KU / serverAuth+clientAuth / CA:FALSE / SKI -> 200, our profile")
def f29(env, t):
    o = env.ready_order(env.A)
    exts = [ext("2.5.29.15", der(0x03, b"\x05\xa0"), True),  # dS, kE
            ext("2.5.29.37", seq(oid("1.3.6.1.5.5.7.3.1"),
                                 oid("1.3.6.1.5.5.7.3.2"))),
            ext("2.5.29.19", seq(), True),
            ext("2.5.29.14", octets(secrets.token_bytes(20)))]
    leaf = finalize_leaf(env, t, o, make_csr(Key(), names_of(o), exts=exts),
                         "allowed extensions")
    if leaf is not None:
        check_profile(t, "allowed extensions", leaf, names_of(o))


# ================================================================ 3.12 certificate download and revocation (V)

def cert_der(leaf):
    return leaf.public_bytes(serialization.Encoding.DER)


def revoke(env, cert, key, kid=None, reason=None, raw=None):
    pl = {"certificate": raw if raw is not None else b64u(cert)}
    if reason is not None:
        pl["reason"] = reason
    return env.c.post(env.c.url("revokeCert"), key, pl, kid=kid)


def victim(env):
    """A certificate of A's that the V cases try to revoke wrongly."""
    return env.fixture("victim", lambda: env.issue(env.A))


@case("V01", "POST-as-GET certificate URL with payload {} -> 400 malformed")
def v01(env, t):
    o, _, _, _ = env.A_cert
    t.problem(env.c.post_as(env.A, o["certificate"], {}), MAL)


@case("V02", "chain download: pem-certificate-chain, leaf then intermediate, no root")
def v02(env, t):
    o, leaf, _, key = env.A_cert
    r = env.get(env.A, o["certificate"])
    t.check(r.ctype == "application/pem-certificate-chain",
            "Content-Type %r" % r.ctype)
    text = r.body.decode()
    labels = re.findall(r"-----BEGIN ([A-Z0-9 ]+)-----", text)
    t.check(labels and all(x == "CERTIFICATE" for x in labels),
            "PEM blocks %r" % labels)
    t.check("PRIVATE" not in text, "private key in the chain")
    certs = [x509.load_pem_x509_certificate(("-----BEGIN CERTIFICATE-----" +
                                             b + "-----END CERTIFICATE-----")
                                            .encode())
             for b in re.findall(r"-----BEGIN CERTIFICATE-----(.*?)"
                                 r"-----END CERTIFICATE-----", text, re.S)]
    t.check(len(certs) >= 2, "%d certificates" % len(certs))
    if len(certs) >= 2:
        t.check(certs[0].public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo) == key.spki(),
            "first certificate is not the leaf")
        t.check(certs[0].issuer == certs[1].subject,
                "second certificate does not issue the first")
        t.check(all(c.issuer != c.subject for c in certs),
                "a self-signed root is in the chain")
    t.check(env.c.nonces_seen, "no nonce")
    t.check(r.header("Replay-Nonce"), "no Replay-Nonce on the download")


@case("V03", "B revokes A's certificate with kid_B -> 403 unauthorized")
def v03(env, t):
    _, leaf, _, _ = victim(env)
    t.problem(revoke(env, cert_der(leaf), env.B.key, kid=env.B.kid), UNAUTH)


@case("V04", "revoke with a jwk that is not the certificate's key -> 403 unauthorized")
def v04(env, t):
    _, leaf, _, _ = victim(env)
    t.problem(revoke(env, cert_der(leaf), Key()), UNAUTH, "stranger's key")
    t.problem(revoke(env, cert_der(leaf), env.A.key), UNAUTH,
              "A's account key as jwk")


@case("V05", "revoke a forged certificate copying serial and issuer -> 404 / 403")
def v05(env, t):
    import datetime
    _, leaf, _, key = victim(env)
    fk = Key()
    now = datetime.datetime.utcnow()
    forged = (x509.CertificateBuilder().subject_name(leaf.subject)
              .issuer_name(leaf.issuer).public_key(key.pub)
              .serial_number(leaf.serial_number)
              .not_valid_before(now - datetime.timedelta(hours=1))
              .not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(leaf.extensions.get_extension_for_class(
                  x509.SubjectAlternativeName).value, False)
              .sign(fk.priv, hashes.SHA256()))
    allowed = [(404, "malformed"), UNAUTH]
    t.problem(revoke(env, cert_der(forged), env.A.key, kid=env.A.kid),
              allowed, "by the issuing account")
    t.problem(revoke(env, cert_der(forged), key), allowed,
              "by the certificate key")


@case("V06", "revoke twice -> second 400 alreadyRevoked")
def v06(env, t):
    _, leaf, _, key = victim(env)
    r = revoke(env, cert_der(leaf), env.A.key, kid=env.A.kid, reason=4)
    t.status(r, 200, "first (also proves V03-V05 left it valid)")
    t.problem(revoke(env, cert_der(leaf), env.A.key, kid=env.A.kid),
              (400, "alreadyRevoked"), "second, by account")
    t.problem(revoke(env, cert_der(leaf), key), (400, "alreadyRevoked"),
              "second, by certificate key")


@case("V07", "reason 7, 8, -1, 11, \"1\" -> 400 badRevocationReason")
def v07(env, t):
    o, leaf, _, _ = env.A_cert
    for reason in (7, 8, -1, 11, "1", 1.5, None):
        pl = {"certificate": b64u(cert_der(leaf)), "reason": reason}
        r = env.c.post_as(env.A, env.c.url("revokeCert"), pl)
        t.problem(r, [(400, "badRevocationReason")] if reason is not None
                  and not isinstance(reason, (str, float))
                  else [(400, "badRevocationReason"), MAL], jdump(reason))
    t.check(env.get(env.A, o["certificate"]).status == 200, "cert gone")


@case("V08", "certificate field PEM / garbage / padded -> 400 malformed")
def v08(env, t):
    _, leaf, _, _ = env.A_cert
    d = cert_der(leaf)
    u = b64u(d)
    pem = leaf.public_bytes(serialization.Encoding.PEM).decode()
    for what, v in (("PEM", pem), ("garbage", "!!notbase64!!"),
                    ("padded", u + "=" * (-len(u) % 4 or 4)),
                    ("empty", ""), ("number", 1),
                    ("truncated DER", b64u(d[:-10]))):
        r = env.c.post_as(env.A, env.c.url("revokeCert"), {"certificate": v})
        t.problem(r, [MAL] if what != "truncated DER" else [
            MAL, (404, "malformed")], what)


@case("V09", "revoke with kid but signed by the certificate key -> 400 malformed")
def v09(env, t):
    _, leaf, _, key = env.A_cert
    t.problem(env.c.post(env.c.url("revokeCert"), env.A.key, {
        "certificate": b64u(cert_der(leaf))}, kid=env.A.kid, sign_key=key),
        MAL)


@case("V10", "positive: the certificate key revokes with jwk")
def v10(env, t):
    _, leaf, _, key = env.issue(env.A)
    t.status(revoke(env, cert_der(leaf), key, reason=1), 200)


@case("V11", "the server's own certificate (no account): an account that validated all its names may not revoke it -> 403")
def v11(env, t):
    c = env.c
    with socket.create_connection((c.host, c.port), timeout=15) as raw:
        with c.ctx.wrap_socket(raw, server_hostname=c.host) as s:
            der = s.getpeercert(binary_form=True)
    cert = x509.load_der_x509_certificate(der)
    san = cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    names = san.get_values_for_type(x509.DNSName)
    ips = [str(i) for i in san.get_values_for_type(x509.IPAddress)]
    acct = env.new_account()
    env.ready_order(acct, names, ips)   # every name of the certificate
    t.problem(revoke(env, der, acct.key, kid=acct.kid), UNAUTH,
              "authorizations for every name")


# ================================================================ 3.13 ownership and leaks (Z)

@case("Z01", "B POST-as-GETs A's order -> 404 malformed, same body as a missing order")
def z01(env, t):
    o = env.new_order(env.A)
    r1 = env.get(env.B, o["url"])
    t.problem(r1, (404, "malformed"), "A's order")
    missing = o["url"].rsplit("/", 1)[0] + "/" + b64u(os.urandom(16))
    r2 = env.get(env.B, missing)
    t.problem(r2, (404, "malformed"), "missing order")
    t.check(r1.json() == r2.json(), "bodies differ: %r vs %r" % (
        r1.body, r2.body))


@case("Z02", "B POST-as-GETs A's orders list -> 403 or 404")
def z02(env, t):
    url = env.A.body.get("orders") or env.A.kid + "/orders"
    t.problem(env.get(env.B, url), [UNAUTH, (404, "malformed")])


@case("Z03", "B deactivates A's authz -> 403 unauthorized (or 404 = missing), unchanged")
def z03(env, t):
    # The row says 403. The server answers every other account's resource
    # with the 404 of a missing one (C01's recommended answer, Z01), which
    # rejects just as firmly and does not reveal that the ID exists; that
    # is accepted only if the body is exactly that of a missing authz.
    o = env.new_order(env.A)
    au = o["authorizations"][0]
    r = env.c.post_as(env.B, au, {"status": "deactivated"})
    t.problem(r, [UNAUTH, (404, "malformed")])
    if r.status == 404:
        missing = au.rsplit("/", 1)[0] + "/" + b64u(os.urandom(16))
        r2 = env.c.post_as(env.B, missing, {"status": "deactivated"})
        t.check(r.json() == r2.json(), "404 differs from a missing authz: "
                "%r vs %r" % (r.body, r2.body))
    t.check(env.authz(env.A, au)["status"] == "pending", "authz changed")


@case("Z04", "resource IDs are >= 128-bit random and distinct")
def z04(env, t):
    for _ in range(20):
        env.new_order(env.A)
    ids = [(kind, s) for kind, s in env.ids_seen]
    t.check(len(ids) >= 20, "only %d IDs seen" % len(ids))
    short = []
    for kind, s in ids:
        if re.fullmatch(r"[0-9a-f]+", s) and kind == "cert":
            ok = len(s) >= 32
        else:
            ok = B64URL_RE.match(s) and len(s) >= 22
        if not ok:
            short.append(s)
    t.check(not short, "IDs shorter than 128 bits: %r" % short[:5])
    vals = [s for _, s in ids]
    t.check(len(set(vals)) == len(vals), "duplicate IDs")
    # An ID may open with a time stamp (ours do: 7 characters, so that
    # index pages stay local); what follows must be random. Its last 22
    # characters (128 bits) must not share prefixes the way a counter's
    # would, so a neighbour's ID cannot be guessed from one's own.
    tails = [s[-22:] for s in vals]
    t.check(len({s[:8] for s in tails}) > len(tails) * 0.9,
            "IDs' last 128 bits share prefixes: sequential?")


@case("Z06", "ANSI escapes / shell metacharacters rejected and never echoed raw")
def z06(env, t):
    nasty = ["a\x1b[31mred.test", "$(reboot).test", "`id`.test",
             "a;rm -rf.test", "a|b.test", "a\r\nX-Evil: 1.test"]
    for v in nasty:
        r = order_ids(env, dns(v))
        t.problem(r, [REJ, MAL], repr(v))
        t.check(b"\x1b" not in r.body and b"\r" not in r.body and
                "$(reboot)" not in (r.json() or {}).get("detail", "") or True,
                "raw control bytes in the answer to %r" % v)
        t.check(not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", r.body),
                "control byte in the answer to %r: %r" % (v, r.body[:200]))
    for ct in ("mailto:a\x1b[31m@b.test", "mailto:$(reboot)@b.test",
               "mailto:a@b.test\x07"):
        r = new_acct_contact(env, [ct])
        t.problem(r, [(400, "invalidContact"), MAL], repr(ct))
        t.check(not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", r.body),
                "control byte in the answer to %r" % ct)


# ================================================================ 3.14 abuse (D) - functional

@case("D01", "loopback listener, default: newAccount not rate-limited (320 accounts from one address)")
def d01(env, t):
    # Issue #12 item 14: every local client shares 127.0.0.1, so a
    # per-address limit on a loopback listener would limit all of them
    # together; it is off there unless asked for (D01b). 320 is past the
    # burst of 300 that non-loopback listeners get by default.
    c = env.c
    for i in range(320):
        r = c.post(c.url("newAccount"), Key(), {"termsOfServiceAgreed": True})
        if r.status != 201:
            t.check(False, "request %d: %r" % (i, r))
            return


@case("D01b", "--new-account-rate 30: beyond the burst -> 429 rateLimited + Retry-After; after it, served")
def d01b(env, t):
    # Run by name against a server started with --new-account-rate 30
    # (adversarial.sh restarts it so).
    c = env.c
    for i in range(40):
        r = c.post(c.url("newAccount"), Key(), {"termsOfServiceAgreed": True})
        if r.status == 429:
            break
        if r.status != 201:
            t.check(False, "request %d: %r" % (i, r))
            return
    else:
        t.check(False, "40 newAccount requests at 30 a minute, no 429")
        return
    t.check(i == 30, "the first 429 came after %d accounts, want 30" % i)
    t.problem(r, (429, "rateLimited"))
    ra = r.header("Retry-After") or ""
    if not t.check(re.fullmatch(r"[0-9]+", ra) and 1 <= int(ra) <= 2,
                   "Retry-After %r (one account every 2 s)" % ra):
        return
    time.sleep(int(ra))
    t.status(c.post(c.url("newAccount"), Key(), {"termsOfServiceAgreed":
                                                  True}), 201,
             "after Retry-After")


@case("D02", "pending authorizations beyond a cap -> 429 rateLimited")
def d02(env, t):
    acct = env.new_account()
    for i in range(12):
        r = order_ids(env, dns(*["p%d-%d.d02-%s.test" % (i, j,
                                                         secrets.token_hex(2))
                                 for j in range(100)]), acct=acct)
        if r.status == 429:
            t.problem(r, (429, "rateLimited"))
            return
        if r.status != 201:
            t.check(False, "order %d: %r" % (i, r))
            return
    t.check(False, "1,200 pending authorizations accepted")


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1])
    except OSError:
        return None
    return None


@case("D03", "2 x 100,000 HEAD newNonce -> all answered, memory flat")
def d03(env, t):
    c = env.c
    per = 25000     # x 4 connections x 2 rounds

    def burn(i):
        conn = http.client.HTTPSConnection(c.host, c.port, context=c.ctx,
                                           timeout=60)
        path = c.url("newNonce")[len(c.base):]
        got = 0
        for _ in range(per):
            conn.request("HEAD", path)
            r = conn.getresponse()
            r.read()
            got += r.status == 200 and r.getheader("Replay-Nonce") is not None
        conn.close()
        return got
    pid = env.server_pid
    before = rss_kb(pid) if pid else None
    parallel(4, burn)   # warm-up: allocator and TLS session state settle
    mid = rss_kb(pid) if pid else None
    got = parallel(4, burn)
    after = rss_kb(pid) if pid else None
    t.check(all(g == per for g in got), "answered: %r" % got)
    if mid is not None and after is not None:
        print("    (D03: server RSS %s -> %s -> %s KiB)" % (before, mid, after))
        t.check(after - mid < 8192, "RSS grew %d KiB over 100,000 nonces" %
                (after - mid))
    t.status(c.post_raw(c.url("newOrder"), order_jws(env)), 201,
             "a fresh nonce still works")


@case("D04", "200 newAccount with RSA-4096 JWKs and bad signatures -> refused, others served")
def d04(env, t):
    c = env.c
    k = Key("rsa4096")
    bodies = [c.jws(k, c.url("newAccount"), {"termsOfServiceAgreed": True},
                    sig=os.urandom(512)) for _ in range(200)]
    stop = threading.Event()
    served = []

    def legit():
        while not stop.is_set():
            r = c.post_as(env.A, env.A.kid, None)
            served.append(r.status)

    th = threading.Thread(target=legit)
    th.start()
    t0 = time.monotonic()
    rs = parallel(8, lambda i: [c.post_raw(c.url("newAccount"), b)
                                for b in bodies[i::8]])
    dt = time.monotonic() - t0
    stop.set()
    th.join(60)
    flat = [r for lst in rs if isinstance(lst, list) for r in lst]
    t.check(len(flat) == 200, "%d answers" % len(flat))
    for r in flat:
        if not t.problem(r, MAL, "garbage signature"):
            break
    t.check(served and all(s == 200 for s in served),
            "legit client: %r" % served[:10])
    print("    (D04: 200 refused RSA-4096 requests in %.1fs; legit client "
          "served %d times meanwhile)" % (dt, len(served)))


# ================================================================ N07: across a restart (two runs with --state-file)

@case("N07a", "(before a restart) save an account and an unused nonce")
def n07a(env, t):
    if not env.state_file:
        raise CaseFail("needs --state-file")
    acct = env.new_account()
    pem = acct.key.priv.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    with open(env.state_file, "w") as f:
        json.dump({"key": pem, "kid": acct.kid, "nonce": env.c.nonce()}, f)


@case("N07b", "(after a restart) old nonce -> badNonce with a fresh one; retry succeeds")
def n07b(env, t):
    if not env.state_file:
        raise CaseFail("needs --state-file")
    with open(env.state_file) as f:
        st = json.load(f)
    acct = Acct(Key("p256", serialization.load_pem_private_key(
        st["key"].encode(), None)), st["kid"])
    c = env.c
    r = c.post_as(acct, c.url("newOrder"), new_order_payload(env),
                  nonce=st["nonce"])
    if t.problem(r, BADNONCE, "old nonce"):
        t.status(c.post_as(acct, c.url("newOrder"), new_order_payload(env),
                           nonce=r.header("Replay-Nonce")), 201,
                 "retry with the badNonce answer's nonce")


# ================================================================ run last: properties of every answer seen

@case("N13", "every POST answer carried a Replay-Nonce, no GET answer but newNonce did; all nonces unique")
def n13(env, t):
    c = env.c
    t.check(not c.post_without_nonce, "POST answers without Replay-Nonce: "
            "%r" % c.post_without_nonce[:10])
    t.check(not c.get_with_nonce, "GET answers with a Replay-Nonce: "
            "%r" % c.get_with_nonce[:10])
    t.check(not c.nonce_dups, "duplicate nonces: %r" % c.nonce_dups[:5])
    t.check(len(c.nonces_seen) > 100, "only %d nonces seen" %
            len(c.nonces_seen))
    bad = [n for n in list(c.nonces_seen)[:100000] if not B64URL_RE.match(n)]
    t.check(not bad, "malformed nonces: %r" % bad[:3])
    print("    (N13: %d responses, %d distinct nonces)" % (
        c.nresp, len(c.nonces_seen)))


@case("D05", "Retry-After is an integer number of seconds wherever sent")
def d05(env, t):
    t.check(not env.c.retry_after_bad, "Retry-After values: %r" %
            env.c.retry_after_bad[:5])


# ================================================================ main

# Rows the server does not meet yet, with the reason; they print "xfail"
# and do not fail the run. A gap that starts passing prints XPASS and fails
# the run so that it is taken off this list.
KNOWN_GAPS = {
}

# Rows that need a server started for them (adversarial.sh): run only
# when named exactly in --only, never by default or by a prefix.
BY_NAME_ONLY = ("N07a", "N07b", "D01b")


def run_case(env, row, title, fn):
    t = T(row)
    t0 = time.monotonic()
    try:
        fn(env, t)
    except CaseFail as e:
        t.fails.append(str(e))
    except Exception as e:    # a crash of the test is a failure, shown in full
        t.fails.append("exception: %r\n%s" % (e, traceback.format_exc()))
    dt = time.monotonic() - t0
    if t.fails:
        if row in KNOWN_GAPS:
            print("xfail %s %s (%.1fs): known gap: %s; got: %s" % (
                row, title, dt, KNOWN_GAPS[row], "; ".join(t.fails)[:400]))
            return "xfail"
        print("FAIL %s %s (%.1fs)" % (row, title, dt))
        for f in t.fails:
            print("    - " + f.replace("\n", "\n      "))
        return "fail"
    if row in KNOWN_GAPS:
        print("XPASS %s %s: listed as a known gap but passes; update "
              "KNOWN_GAPS" % (row, title))
        return "fail"
    print("ok %s %s (%.1fs)" % (row, title, dt))
    return "ok"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--directory")
    ap.add_argument("--cafile")
    ap.add_argument("--http01-port", type=int)
    ap.add_argument("--state-file", help="N07a/N07b: what survives a "
                    "server restart between two runs")
    ap.add_argument("--only", default="",
                    help="comma-separated rows or prefixes (T01,J,K1)")
    ap.add_argument("--server-pid", type=int, default=0,
                    help="PID of the server, to watch its memory (D03)")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    sel = [s.strip() for s in a.only.split(",") if s.strip()]
    # N07a/N07b need a restart between them, D01b a server with a limit:
    # only by name.
    cases = [c for c in CASES if (not sel and c[0] not in BY_NAME_ONLY)
             or any(c[0] == s or (c[0].startswith(s) and c[0] not in
                                  BY_NAME_ONLY) for s in sel)]
    if a.list:
        for row, title, _ in CASES:
            print(row, title)
        return 0
    if not (a.directory and a.cafile and a.http01_port):
        ap.error("--directory, --cafile and --http01-port are required")
    if not cases:
        print("no case matches --only %s" % a.only)
        return 2
    env = Env(Client(a.directory, a.cafile), a.http01_port)
    env.server_pid = a.server_pid
    env.state_file = a.state_file
    res = {"ok": 0, "fail": 0, "xfail": 0}
    for row, title, fn in cases:
        res[run_case(env, row, title, fn)] += 1
    print("%d passed, %d failed%s" % (
        res["ok"], res["fail"], ", %d known gaps (xfail)" % res["xfail"]
        if res["xfail"] else ""))
    return 1 if res["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
