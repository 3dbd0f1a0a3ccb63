#!/usr/bin/env python3
# sloppy_client.py - an ACME client that breaks RFC 8555's client rules a known number of times, for e2e.conformance
# SPDX-License-Identifier: MIT
#
#   sloppy_client.py --dir URL --ca ROOT.pem --http01-port P sloppy
#       every deviation of the conformance report, each a known number of
#       times (EXPECTED below), then a correct issuance; a second "run"
#       makes a second account. Prints {"accounts": [url1, url2]} on stdout.
#   sloppy_client.py --dir URL --ca ROOT.pem --http01-port P strict
#       against `serve --strict`: each tolerated deviation must now be
#       refused with its problem; prints one line per check, exit 1 on
#       the first that is not refused.
#
# The http-01 answers come from a responder of our own on --http01-port
# that waits --delay seconds first, so a challenge stays "processing"
# (with Retry-After) while the client polls too early.
import argparse
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from acme_client import (P_PREFIX, Client, Key, b64u, jdump,  # noqa: E402
                         jws, key_authorization, make_csr)

UA = "sloppy-client/1.0"
NAMES = ["sloppy.localhost", "www.sloppy.localhost"]

# What the report must say for this client, kind -> count, per group:
# "ua" = requests grouped by User-Agent (not authenticated), "noua" = the
# one without a User-Agent, "acct1"/"acct2" = the two accounts.
EXPECTED = {
    "ua": {"content-type": 2, "get-instead-of-post-as-get": 2,
           "jwk-instead-of-kid": 1, "newnonce-not-reused": 2},
    "noua": {"user-agent-missing": 1},
    "acct1": {"nonce-invalid": 1, "url-mismatch": 1, "ignored-location": 1,
              "finalize-not-ready": 1, "challenge-payload-not-empty": 1,
              "resource-member": 1, "poll-before-retry-after": 3,
              "csr-names-mismatch": 2, "cert-before-valid": 1},
    "acct2": {"new-account-per-run": 1},
}


class Sloppy(Client):
    user_agent = UA


def responder(port, key, delay):
    """http-01 on 127.0.0.1:port for key's tokens, each answer after delay
    seconds. Returns the server (shutdown() to stop)."""
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            tok = self.path.rsplit("/", 1)[-1]
            time.sleep(delay)
            body = key_authorization(tok, key[0]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass
    s = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    return s


def want(r, status, what):
    if r.status != status:
        raise SystemExit("%s: want %d, got %d %s" % (what, status, r.status,
                                                      r.body[:300]))
    return r


def want_problem(r, status, ptype, what):
    p = r.json() if r.body else {}
    if r.status != status or (ptype and p.get("type") != P_PREFIX + ptype):
        raise SystemExit("%s: want %d %s, got %d %s" % (
            what, status, ptype, r.status, r.body[:300]))
    print("ok: %s refused: %d %s" % (what, r.status, p.get("detail", "")))


def raw_post(c, url, body, ctype):
    """A POST with any Content-Type (None = none) and the client's UA."""
    h = {"Host": c.netloc, "User-Agent": UA}
    if ctype:
        h["Content-Type"] = ctype
    return c.request_raw("POST", url, body, h)


def request_raw(self, method, url, body=None, headers=None):
    import urllib.parse
    u = urllib.parse.urlsplit(url)
    r = self.exchange(method, u.path, body, headers)
    n = r.header("Replay-Nonce")
    if n is not None:
        self.nonce = n
    return r


Sloppy.request_raw = request_raw


def poll_authz(c, url, r, early=0):
    """early polls at once (before the Retry-After of r, the last
    answer), then properly: each after the Retry-After of the one before."""
    for _ in range(early):
        r = want(c.post_any(url, None), 200, "early poll")
    while True:
        time.sleep(float(r.header("Retry-After") or "0") + 0.2)
        r = want(c.post_any(url, None), 200, "authz")
        if r.json()["status"] in ("valid", "invalid"):
            return r.json()


def sloppy(a):
    key = [None]
    srv = responder(a.http01_port, key, a.delay)
    c = Sloppy(a.dir, a.ca)
    d = c.directory()
    # first newNonce on this connection: allowed
    c.nonce = c.new_nonce()
    c.key = Key()
    key[0] = c.key
    r = want(c.post_any(d["newAccount"], {"termsOfServiceAgreed": True},
                        embed_jwk=True), 201, "newAccount")
    c.kid = acct1 = r.header("Location")

    # newnonce-not-reused x2: a newNonce while holding the answer's nonce
    for _ in range(2):
        c.nonce = c.new_nonce()
        want(c.post_any(acct1, None), 200, "account")

    # content-type x2 (refused, 415): none and application/json
    body = jdump(jws(c.key, d["newOrder"], {"identifiers": []},
                     c.nonce, c.kid))
    want(raw_post(c, d["newOrder"], body, None), 415, "no Content-Type")
    want(raw_post(c, d["newOrder"], body, "application/json"), 415,
         "Content-Type: application/json")

    # user-agent-missing x1 (tolerated): the directory without a User-Agent
    want(c.exchange("GET", "/directory", None, {"Host": c.netloc}), 200,
         "directory without User-Agent")

    # jwk-instead-of-kid x1 (refused)
    want(c.post_any(d["newOrder"], {"identifiers": []}, embed_jwk=True),
         400, "newOrder signed with jwk")

    # the order, then resource-member x1 (tolerated) on a POST-as-GET
    # style update of the account
    r = want(c.post_any(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": n} for n in NAMES]}), 201, "newOrder")
    order_url, order = r.header("Location"), r.json()
    want(c.post_any(acct1, {"resource": "reg"}), 200,
         "account update with resource")

    # nonce-invalid x1 (refused): a nonce used twice
    n = c.nonce
    want(c.post_any(order_url, None, nonce=n), 200, "order")
    want(c.post_any(order_url, None, nonce=n), 400, "order, nonce again")

    # url-mismatch x1 (refused): signed for the account, sent to the order
    body = jdump(jws(c.key, acct1, None, c.nonce, c.kid))
    want(raw_post(c, order_url, body, "application/jose+json"), 403,
         "JWS url of another resource")

    # get-instead-of-post-as-get x2 (refused, 405)
    want(c.request_raw("GET", order_url, None, {"Host": c.netloc,
                                                "User-Agent": UA}),
         405, "GET order")
    want(c.request_raw("GET", acct1, None, {"Host": c.netloc,
                                            "User-Agent": UA}),
         405, "GET account")

    # ignored-location x1 (refused): POST-as-GET of the finalize URL
    want(c.post_any(order["finalize"], None), 400, "poll finalize")
    # finalize-not-ready x1 (refused)
    want(c.post_any(order["finalize"], {"csr": b64u(make_csr(NAMES))}),
         403, "finalize before ready")
    # cert-before-valid x1 (refused): a certificate URL nobody gave
    cert_guess = order_url.replace("/acme/order/", "/acme/cert/")
    want(c.post_any(cert_guess, None), 404, "certificate before valid")

    # the challenges: the first with the old keyAuthorization member
    # (challenge-payload-not-empty x1), polled 3 times at once
    # (poll-before-retry-after x3), the second correctly
    for i, az_url in enumerate(order["authorizations"]):
        az = want(c.post_any(az_url, None), 200, "authz").json()
        ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
        pl = {"keyAuthorization": key_authorization(ch["token"], c.key)} \
            if i == 0 else {}
        r = want(c.post_any(ch["url"], pl), 200, "challenge")
        if poll_authz(c, az_url, r, early=3 if i == 0 else 0)["status"] != \
                "valid":
            raise SystemExit("authz %s did not become valid" % az_url)

    # csr-names-mismatch x2 (refused): an extra name, a missing one
    want(c.post_any(order["finalize"], {"csr": b64u(make_csr(
        NAMES + ["extra.localhost"]))}), 400, "CSR with an extra name")
    want(c.post_any(order["finalize"], {"csr": b64u(make_csr(NAMES[:1]))}),
         400, "CSR with a missing name")
    # then correctly
    o = want(c.post_any(order["finalize"], {"csr": b64u(make_csr(NAMES))}),
             200, "finalize").json()
    while o["status"] != "valid":
        time.sleep(1.2)
        o = want(c.post_any(order_url, None), 200, "order").json()
    want(c.post_any(o["certificate"], None), 200, "certificate")
    c.close()

    # new-account-per-run x1: the next "run" makes another account
    c2 = Sloppy(a.dir, a.ca)
    c2.nonce = c2.new_nonce()
    c2.key = Key()
    r = want(c2.post_any(c2.directory()["newAccount"],
                         {"termsOfServiceAgreed": True}, embed_jwk=True),
             201, "second newAccount")
    acct2 = r.header("Location")
    c2.close()
    srv.shutdown()
    print(json.dumps({"accounts": [acct1, acct2]}))


def strict(a):
    """Against --strict: each tolerated kind is refused now."""
    key = [None]
    srv = responder(a.http01_port, key, a.delay)
    c = Sloppy(a.dir, a.ca)
    d = c.directory()
    # user-agent-missing: 400 malformed
    want_problem(c.exchange("GET", "/directory", None, {"Host": c.netloc}),
                 400, "malformed", "user-agent-missing")
    c.nonce = c.new_nonce()
    c.key = Key()
    key[0] = c.key
    r = want(c.post_any(d["newAccount"], {"termsOfServiceAgreed": True},
                        embed_jwk=True), 201, "newAccount")
    c.kid = r.header("Location")
    # newnonce-not-reused: the newNonce itself is answered 400
    r = c.request("HEAD", d["newNonce"])
    if r.status != 400:
        raise SystemExit("newnonce-not-reused: want 400, got %d" % r.status)
    print("ok: newnonce-not-reused refused: 400")
    # resource-member: 400 malformed
    want_problem(c.post_any(c.kid, {"resource": "reg"}), 400, "malformed",
                 "resource-member")
    r = want(c.post_any(d["newOrder"], {"identifiers": [
        {"type": "dns", "value": NAMES[0]}]}), 201, "newOrder")
    order = r.json()
    az_url = order["authorizations"][0]
    az = want(c.post_any(az_url, None), 200, "authz").json()
    ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
    # challenge-payload-not-empty: 400 malformed
    want_problem(c.post_any(ch["url"], {"keyAuthorization": "x"}), 400,
                 "malformed", "challenge-payload-not-empty")
    want(c.post_any(ch["url"], {}), 200, "challenge")
    # poll-before-retry-after: 429 rateLimited, with a Retry-After
    r = c.post_any(az_url, None)
    want_problem(r, 429, "rateLimited", "poll-before-retry-after")
    if not r.header("Retry-After"):
        raise SystemExit("poll-before-retry-after: 429 without Retry-After")
    # new-account-per-run: 429 rateLimited, and no account was made
    c2 = Sloppy(a.dir, a.ca)
    k2 = Key()
    r = c2.post_any(c2.directory()["newAccount"],
                    {"termsOfServiceAgreed": True}, key=k2, embed_jwk=True)
    want_problem(r, 429, "rateLimited", "new-account-per-run")
    r = c2.post_any(c2.directory()["newAccount"],
                    {"onlyReturnExisting": True}, key=k2, embed_jwk=True)
    want_problem(r, 400, "accountDoesNotExist", "the refused account")
    srv.shutdown()
    print("strict: all refused")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--http01-port", type=int, required=True)
    p.add_argument("--delay", type=float, default=2.0)
    p.add_argument("mode", choices=("sloppy", "strict", "expected"))
    a = p.parse_args()
    if a.mode == "expected":
        print(json.dumps(EXPECTED))
    elif a.mode == "sloppy":
        sloppy(a)
    else:
        strict(a)


if __name__ == "__main__":
    main()
