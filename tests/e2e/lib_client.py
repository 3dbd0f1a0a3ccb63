#!/usr/bin/env python3
# lib_client.py - a minimal RFC 8555 client (python3-cryptography) for the extras e2e tests:
# account (optionally with EAB), order with "profile"/"replaces", challenges, finalize, download.
# SPDX-License-Identifier: MIT
#
#   lib_client.py --dir URL --ca ROOT.pem --out DIR [--profile P] [--replaces CERTID]
#                 [--expect-error TYPE] [--account-key FILE] [--eab KID:HMAC]
#                 [--account-only]
#                 [--expect-account-error TYPE] NAME...
# The server must run with --validation skip (challenges are answered, not served).
# Writes DIR/cert.pem (leaf), DIR/chain.pem, DIR/order.json; exit 0 on success. With
# --expect-error, the newOrder must fail with urn:ietf:params:acme:error:TYPE (exit 0 if so).
# badNonce answers are retried with the nonce they carry (RFC 8555 §6.5).
import argparse
import base64
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Client:
    def __init__(self, directory, cafile, key):
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.key = key
        self.kid = None
        self.nonce = None
        self.bad_nonces = 0
        self.dir = self.get_json(directory)

    def http(self, url, data=None, ctype=None, method=None):
        req = urllib.request.Request(url, data=data, method=method)
        if ctype:
            req.add_header("Content-Type", ctype)
        req.add_header("User-Agent", "localacme-e2e/1")
        try:
            r = urllib.request.urlopen(req, context=self.ctx, timeout=30)
            return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def get_json(self, url):
        st, _, body = self.http(url)
        if st != 200:
            raise SystemExit("GET %s: %d %s" % (url, st, body))
        return json.loads(body)

    def jwk(self):
        n = self.key.public_key().public_numbers()
        return {"crv": "P-256", "kty": "EC",
                "x": b64(n.x.to_bytes(32, "big")), "y": b64(n.y.to_bytes(32, "big"))}

    def new_nonce(self):
        st, h, _ = self.http(self.dir["newNonce"], method="HEAD")
        return h["Replay-Nonce"]

    def post(self, url, payload, use_jwk=False, ok=(200, 201)):
        for _ in range(50):
            nonce = self.nonce or self.new_nonce()
            self.nonce = None
            prot = {"alg": "ES256", "nonce": nonce, "url": url}
            if use_jwk:
                prot["jwk"] = self.jwk()
            else:
                prot["kid"] = self.kid
            p64 = b64(json.dumps(prot).encode())
            y64 = "" if payload is None else b64(json.dumps(payload).encode())
            der = self.key.sign((p64 + "." + y64).encode(), ec.ECDSA(hashes.SHA256()))
            r, s = utils.decode_dss_signature(der)
            body = json.dumps({"protected": p64, "payload": y64,
                               "signature": b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))})
            st, h, resp = self.http(url, body.encode(), "application/jose+json")
            self.nonce = h.get("Replay-Nonce")
            if st == 400 and b"badNonce" in resp:
                self.bad_nonces += 1
                continue
            return st, h, resp
        raise SystemExit("too many badNonce answers")

    def account(self, eab=None):
        payload = {"termsOfServiceAgreed": True}
        if eab:
            kid, hmac_b64 = eab
            from cryptography.hazmat.primitives import hmac as hm
            p64 = b64(json.dumps({"alg": "HS256", "kid": kid, "url": self.dir["newAccount"]}).encode())
            y64 = b64(json.dumps(self.jwk()).encode())
            keyb = base64.urlsafe_b64decode(hmac_b64 + "=" * (-len(hmac_b64) % 4))
            m = hm.HMAC(keyb, hashes.SHA256())
            m.update((p64 + "." + y64).encode())
            payload["externalAccountBinding"] = {"protected": p64, "payload": y64,
                                                 "signature": b64(m.finalize())}
        st, h, body = self.post(self.dir["newAccount"], payload, use_jwk=True)
        if st not in (200, 201):
            return st, json.loads(body)
        self.kid = h["Location"]
        if eab:
            # RFC 8555 §7.3.4: the account object carries the binding as
            # sent, on creation and on every later read.
            sent = payload["externalAccountBinding"]
            got = json.loads(body).get("externalAccountBinding")
            if got != sent:
                raise SystemExit("newAccount: externalAccountBinding %r, "
                                 "sent %r" % (got, sent))
            _, _, again = self.post(self.kid, None)
            got = json.loads(again).get("externalAccountBinding")
            if got != sent:
                raise SystemExit("account read: externalAccountBinding %r, "
                                 "sent %r" % (got, sent))
            print("account object echoes externalAccountBinding")
        return st, json.loads(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--profile")
    ap.add_argument("--replaces")
    ap.add_argument("--expect-error")
    ap.add_argument("--account-key")
    ap.add_argument("--eab", help="KID:HMAC (base64url)")
    ap.add_argument("--expect-account-error")
    ap.add_argument("--account-only", action="store_true",
                    help="stop after newAccount")
    ap.add_argument("names", nargs="+")
    a = ap.parse_args()

    if a.account_key and os.path.exists(a.account_key):
        key = serialization.load_pem_private_key(open(a.account_key, "rb").read(), None)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        if a.account_key:
            open(a.account_key, "wb").write(key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
    c = Client(a.dir, a.ca, key)
    st, acct = c.account(tuple(a.eab.split(":", 1)) if a.eab else None)
    if a.expect_account_error:
        want = "urn:ietf:params:acme:error:" + a.expect_account_error
        if st < 400 or acct.get("type") != want:
            raise SystemExit("newAccount: want %s, got %d %s" % (want, st, acct))
        print("newAccount refused as expected: %d %s" % (st, acct.get("type")))
        return
    if st not in (200, 201):
        raise SystemExit("newAccount: %d %s" % (st, acct))
    if a.account_only:
        return

    order = {"identifiers": [{"type": "dns", "value": n} for n in a.names]}
    if a.profile:
        order["profile"] = a.profile
    if a.replaces:
        order["replaces"] = a.replaces
    st, h, body = c.post(c.dir["newOrder"], order)
    if a.expect_error:
        prob = json.loads(body) if body else {}
        want = "urn:ietf:params:acme:error:" + a.expect_error
        if st < 400 or prob.get("type") != want:
            raise SystemExit("newOrder: want %s, got %d %s" % (want, st, body))
        print("newOrder refused as expected: %d %s" % (st, prob.get("type")))
        return
    if st != 201:
        raise SystemExit("newOrder: %d %s" % (st, body))
    o = json.loads(body)
    ourl = h["Location"]
    for az in o["authorizations"]:
        _, _, ab = c.post(az, None)
        authz = json.loads(ab)
        ch = [x for x in authz["challenges"] if x["type"] == "http-01"][0]
        st, _, cb = c.post(ch["url"], {})
        if st != 200:
            raise SystemExit("challenge: %d %s" % (st, cb))
    for _ in range(100):
        _, _, ob = c.post(ourl, None)
        o = json.loads(ob)
        if o["status"] != "pending":
            break
        time.sleep(0.1)
    if o["status"] != "ready":
        raise SystemExit("order is %s" % o["status"])
    ckey = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, a.names[0])])).add_extension(
        x509.SubjectAlternativeName([x509.DNSName(n) for n in a.names]), False).sign(
        ckey, hashes.SHA256())
    st, _, fb = c.post(o["finalize"], {"csr": b64(csr.public_bytes(serialization.Encoding.DER))})
    if st != 200:
        raise SystemExit("finalize: %d %s" % (st, fb))
    for _ in range(100):
        _, _, ob = c.post(ourl, None)
        o = json.loads(ob)
        if o["status"] in ("valid", "invalid"):
            break
        time.sleep(0.1)
    if o["status"] != "valid":
        raise SystemExit("order is %s" % o["status"])
    st, _, pem = c.post(o["certificate"], None)
    if st != 200:
        raise SystemExit("certificate: %d" % st)
    certs = pem.decode().split("-----END CERTIFICATE-----")
    leaf = certs[0] + "-----END CERTIFICATE-----\n"
    chain = "".join(x + "-----END CERTIFICATE-----\n" for x in certs[1:] if x.strip())
    os.makedirs(a.out, exist_ok=True)
    open(os.path.join(a.out, "cert.pem"), "w").write(leaf.lstrip())
    open(os.path.join(a.out, "chain.pem"), "w").write(chain.lstrip())
    json.dump(o, open(os.path.join(a.out, "order.json"), "w"))
    print("issued; badNonce retries: %d" % c.bad_nonces)


if __name__ == "__main__":
    sys.exit(main())
