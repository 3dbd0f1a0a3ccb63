# lib_acmeclient.py - a small ACME (RFC 8555) client for fault, crash, concurrency and load tests
# SPDX-License-Identifier: MIT
#
# Unlike lego or certbot it gives precise control: every request and its
# raw answer, one nonce reused on purpose, many threads at once, a source
# address per client (the per-IP connection cap), and a record of every
# certificate it received (HARDENING I2). ES256 account keys only.
#
# As a library:   from lib_acmeclient import Client, Key, AcmeError
# As a program:   python3 lib_acmeclient.py --dir URL --ca ROOT.pem CMD ...
#   issue NAME...          one full issuance (new account unless --account);
#                          writes the chain to --out/<serial>.pem
#   loop NAME...           issue again and again (--count N, 0 = until the
#                          server goes away); exit 0 when it went away
#   health                 GET directory and HEAD newNonce answer 200 (and,
#                          with --account, POST-as-GET of the account)
#   expect-internal NAME...  issuance attempts until one fails with
#                          serverInternal (5xx); any other failure is an error;
#                          --save F records the order of that attempt
#   crash-finalize NAME... run to finalize and save the account and order
#                          (--save F) first; expects the connection to die
#   check-order            with --save F: prints the order status; with
#                          --cert-out F also downloads its certificate
import argparse
import base64
import hashlib
import http.client
import json
import os
import socket
import ssl
import sys
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

P_PREFIX = "urn:ietf:params:acme:error:"


def b64u(b):
    if isinstance(b, str):
        b = b.encode()
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class AcmeError(Exception):
    """A problem document (or a non-ACME failure) for one request."""

    def __init__(self, status, problem, what=""):
        self.status = status
        self.problem = problem if isinstance(problem, dict) else {}
        self.type = self.problem.get("type", "")
        super().__init__("%s: %s %s %s" % (what, status, self.type,
                                           self.problem.get("detail", "")))

    def is_type(self, short):
        return self.type == P_PREFIX + short


class ServerGone(Exception):
    """The connection failed or dropped: the server is down or was killed."""


class Key:
    """An EC P-256 key (account key or CSR key)."""

    def __init__(self, priv=None):
        self.priv = priv or ec.generate_private_key(ec.SECP256R1())

    @classmethod
    def from_pem(cls, pem):
        return cls(serialization.load_pem_private_key(pem.encode(), None))

    def pem(self):
        return self.priv.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode()

    def jwk(self):
        n = self.priv.public_key().public_numbers()
        return {"crv": "P-256", "kty": "EC",
                "x": b64u(n.x.to_bytes(32, "big")),
                "y": b64u(n.y.to_bytes(32, "big"))}

    def thumbprint(self):
        # RFC 7638: members in lexicographic order, no whitespace
        j = json.dumps(self.jwk(), sort_keys=True, separators=(",", ":"))
        return b64u(hashlib.sha256(j.encode()).digest())

    def sign(self, data):
        der = self.priv.sign(data, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def jws(key, url, payload, nonce=None, kid=None, embed_jwk=False):
    """A flattened JWS (RFC 8555 §6.2). payload None = POST-as-GET."""
    prot = {"alg": "ES256", "url": url}
    if nonce is not None:
        prot["nonce"] = nonce
    if kid is not None:
        prot["kid"] = kid
    if embed_jwk or kid is None:
        prot["jwk"] = key.jwk()
    p = b64u(json.dumps(prot))
    y = "" if payload is None else b64u(json.dumps(payload))
    sig = key.sign(("%s.%s" % (p, y)).encode())
    return {"protected": p, "payload": y, "signature": b64u(sig)}


def make_csr(names, key=None):
    """DER CSR for names (DNS or IP) with key (a new one if None)."""
    import ipaddress
    key = key or Key()
    sans = []
    for n in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            sans.append(x509.DNSName(n))
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                       names[0])]))
           .add_extension(x509.SubjectAlternativeName(sans), critical=False)
           .sign(key.priv, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.DER)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers		# lower-case names
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


class Client:
    """One ACME client: one keep-alive TLS connection, one account."""

    def __init__(self, directory_url, cafile, source=None, timeout=60):
        self.dir_url = directory_url
        u = urllib.parse.urlsplit(directory_url)
        self.host = u.hostname
        self.port = u.port or 443
        self.netloc = u.netloc
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.source = source
        self.timeout = timeout
        self.conn = None
        self.dir = None
        self.nonce = None
        self.key = None
        self.kid = None
        self.last_order = None

    # --- transport ---
    def connect(self):
        addr = "127.0.0.1" if self.host == "localhost" else self.host
        c = http.client.HTTPSConnection(
            addr, self.port, timeout=self.timeout, context=self.ctx,
            source_address=(self.source, 0) if self.source else None)
        return c	# the server's certificate names 127.0.0.1 too

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, url, body=None, ctype=None, retry=True):
        u = urllib.parse.urlsplit(url)
        path = u.path + ("?" + u.query if u.query else "")
        headers = {"Host": self.netloc, "User-Agent": "localacme-tests"}
        if ctype:
            headers["Content-Type"] = ctype
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = self.connect()
            fresh = self.conn.sock is None
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException, ssl.SSLError) as e:
                self.close()
                # a kept-alive connection the server closed: retry once
                if attempt == 0 and retry and not fresh and not isinstance(
                        e, (socket.timeout, ConnectionRefusedError)):
                    continue
                raise ServerGone("%s %s: %r" % (method, url, e)) from e
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            if hdrs.get("connection", "").lower() == "close":
                self.close()
            if "replay-nonce" in hdrs:
                self.nonce = hdrs["replay-nonce"]
            return Response(r.status, hdrs, data)
        raise ServerGone("unreachable")

    # --- ACME ---
    def directory(self):
        if self.dir is None:
            r = self.request("GET", self.dir_url)
            if r.status != 200:
                raise AcmeError(r.status, r.json(), "directory")
            self.dir = r.json()
        return self.dir

    def new_nonce(self):
        r = self.request("HEAD", self.directory()["newNonce"])
        if r.status != 200 or "replay-nonce" not in r.headers:
            raise AcmeError(r.status, {}, "newNonce")
        return r.headers["replay-nonce"]

    def post_raw(self, url, payload, key=None, kid=None, nonce=None,
                 embed_jwk=False):
        """One signed POST, no retries; returns the Response."""
        key = key or self.key
        if kid is None and not embed_jwk:
            kid = self.kid
        if nonce is None:
            nonce = self.nonce or self.new_nonce()
            self.nonce = None
        body = json.dumps(jws(key, url, payload, nonce, kid, embed_jwk))
        # a POST is not retried on a dropped connection: it may have run
        return self.request("POST", url, body, "application/jose+json",
                            retry=False)

    def post(self, url, payload, what="", ok=(200, 201), **kw):
        """Signed POST; retries badNonce (§6.5); AcmeError on a problem."""
        for _ in range(5):
            r = self.post_raw(url, payload, **kw)
            if r.status in ok:
                return r
            p = r.json()
            if p.get("type") == P_PREFIX + "badNonce" and "nonce" not in kw:
                continue
            raise AcmeError(r.status, p, what or url)
        raise AcmeError(r.status, r.json(), what or url)

    def new_account(self, key=None, only_existing=False):
        self.key = key or self.key or Key()
        pl = {"termsOfServiceAgreed": True}
        if only_existing:
            pl["onlyReturnExisting"] = True
        r = self.post(self.directory()["newAccount"], pl, "newAccount",
                      key=self.key, embed_jwk=True)
        self.kid = r.headers["location"]
        return r

    def new_order(self, names):
        ids = []
        for n in names:
            t = "ip" if (":" in n or n.replace(".", "").isdigit()) else "dns"
            ids.append({"type": t, "value": n})
        r = self.post(self.directory()["newOrder"], {"identifiers": ids},
                      "newOrder")
        return r.headers["location"], r.json()

    def get(self, url, what=""):
        """POST-as-GET (§6.3)."""
        return self.post(url, None, what or url)

    def complete_authzs(self, order):
        """Answer one challenge per pending authz (the server skips checks)."""
        for a in order["authorizations"]:
            az = self.get(a, "authz").json()
            if az["status"] != "pending":
                continue
            ch = az["challenges"][0]
            self.post(ch["url"], {}, "challenge")

    def wait_order(self, url, want, secs=30):
        end = time.monotonic() + secs
        while True:
            o = self.get(url, "order").json()
            if o["status"] in want or time.monotonic() > end:
                return o
            if o["status"] == "invalid":
                raise AcmeError(403, o.get("error", {}), "order invalid")
            time.sleep(0.05)

    def finalize(self, order, names, csr_key=None):
        return self.post(order["finalize"],
                         {"csr": b64u(make_csr(names, csr_key))}, "finalize")

    def issue(self, names):
        """A whole issuance; returns (order URL, chain PEM)."""
        if self.kid is None:
            self.new_account()
        url, order = self.new_order(names)
        self.last_order = url
        self.complete_authzs(order)
        order = self.wait_order(url, ("ready", "valid"))
        if order["status"] == "ready":
            self.finalize(order, names)
        order = self.wait_order(url, ("valid",))
        pem = self.get(order["certificate"], "certificate").body.decode()
        return url, pem

    def save(self, path, **extra):
        d = {"key": self.key.pem(), "kid": self.kid}
        d.update(extra)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(d, f)
        os.replace(tmp, path)

    def load(self, path):
        with open(path) as f:
            d = json.load(f)
        self.key = Key.from_pem(d["key"])
        self.kid = d["kid"]
        return d


def leaf_serial(pem):
    c = x509.load_pem_x509_certificate(pem.encode())
    return format(c.serial_number, "x")


def write_cert(outdir, pem):
    s = leaf_serial(pem)
    tmp = os.path.join(outdir, ".%s.tmp" % s)
    with open(tmp, "w") as f:
        f.write(pem)
    os.replace(tmp, os.path.join(outdir, "%s.pem" % s))
    return s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--out", default=".")
    ap.add_argument("--source")
    ap.add_argument("--account", help="saved account (JSON) to use/keep")
    ap.add_argument("--save", help="state file of crash-finalize")
    ap.add_argument("--cert-out")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--attempts", type=int, default=20)
    ap.add_argument("cmd")
    ap.add_argument("names", nargs="*")
    a = ap.parse_intermixed_args()
    c = Client(a.dir, a.ca, a.source)
    if a.account and os.path.exists(a.account):
        c.load(a.account)

    def account():
        if c.kid is None:
            c.new_account()
            if a.account:
                c.save(a.account)

    if a.cmd == "health":
        c.directory()
        c.dir = None
        c.directory()
        c.new_nonce()
        if c.kid is not None:
            c.get(c.kid, "account")	# a read through the store
        return 0
    if a.cmd in ("issue", "loop"):
        n = 0
        try:
            account()
            while a.cmd == "issue" or a.count == 0 or n < a.count:
                _, pem = c.issue(a.names)
                write_cert(a.out, pem)
                n += 1
                if a.cmd == "issue":
                    break
        except ServerGone as e:
            if a.cmd == "issue":
                print("issue: server gone: %s" % e, file=sys.stderr)
                return 3
        print("issued %d" % n)
        return 0
    if a.cmd == "expect-internal":
        account()
        for i in range(a.attempts):
            try:
                _, pem = c.issue(a.names)
                write_cert(a.out, pem)
            except AcmeError as e:
                if e.is_type("serverInternal") and e.status >= 500:
                    if a.save and c.last_order:
                        c.save(a.save, order=c.last_order)
                    print("attempt %d: %d serverInternal: %s" % (
                        i + 1, e.status, e.problem.get("detail")))
                    return 0
                print("attempt %d: unexpected %s" % (i + 1, e),
                      file=sys.stderr)
                return 1
        print("no serverInternal in %d attempts" % a.attempts,
              file=sys.stderr)
        return 1
    if a.cmd == "crash-finalize":
        account()
        url, order = c.new_order(a.names)
        c.complete_authzs(order)
        order = c.wait_order(url, ("ready",))
        c.save(a.save, order=url)
        try:
            r = c.finalize(order, a.names)
        except ServerGone:
            print("finalize: connection died (expected)")
            return 0
        print("finalize answered %d; the server did not die" % r.status,
              file=sys.stderr)
        return 1
    if a.cmd == "check-order":
        d = c.load(a.save)
        o = c.get(d["order"], "order").json()
        print(o["status"])
        if a.cert_out and o.get("certificate"):
            pem = c.get(o["certificate"], "certificate").body.decode()
            with open(a.cert_out, "w") as f:
                f.write(pem)
        return 0
    ap.error("unknown command %s" % a.cmd)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AcmeError, ServerGone) as e:
        print("error: %s" % e, file=sys.stderr)
        sys.exit(1)
