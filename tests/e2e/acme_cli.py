#!/usr/bin/env python3
# acme_cli.py - the tests' Python ACME client (tests/lib/acme_client.py) as a program for the e2e scripts
# SPDX-License-Identifier: MIT
#
# Unlike lego or certbot it gives precise control: every request and its
# raw answer, a source address per client (the per-IP connection cap), a
# record of every certificate it received (HARDENING I2), EAB, profile and
# replaces. ES256 account keys.
#
#   acme_cli.py --dir URL --ca ROOT.pem CMD [OPTIONS] NAME...
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
#   alternates NAME...     one issuance (--validation skip), then the
#                          certificate and every Link rel="alternate" chain
#                          by POST-as-GET (RFC 8555 §7.4.2): writes
#                          --out/chain0.pem (the default) and chainK.pem
#                          for the alternate at /alt/K; prints "links N"
#                          for each chain fetched
#   order NAME...          the extras tests' issuance (the server runs with
#                          --validation skip): newAccount (--account-key F
#                          keeps the key as PEM, --eab KID:HMAC binds it and
#                          checks the account object echoes the binding),
#                          newOrder (--profile P, --replaces CERTID), the
#                          http-01 challenges, finalize; writes --out/cert.pem
#                          (leaf), chain.pem and order.json. --account-only
#                          stops after newAccount; --expect-account-error
#                          TYPE / --expect-error TYPE: newAccount / newOrder
#                          must fail with urn:ietf:params:acme:error:TYPE
#                          (exit 0 if so). badNonce is retried (§6.5).
#                          The test knobs' cases (issue #15): --account-key-type
#                          / --csr-key-type KIND (p256, p384, p521, rsa1024...)
#                          for a new account / the CSR key; --expect-finalize-error
#                          TYPE; --lapse: once the order is ready, wait past its
#                          "expires" and print the order's and authorizations'
#                          statuses and the finalize answer (must be refused);
#                          --revoke: after issuance revoke the certificate and
#                          print the status of its URL afterwards
#   redirect NAME          real http-01 (the server runs with --http01-port P):
#                          this program answers on 127.0.0.1:P with a 302 to
#                          http://NAME:R/... (--http01-port P --redirect-port R)
#                          and serves the key authorization on R; prints the
#                          challenge answer's Retry-After, then the
#                          authorization's final status and error (issues the
#                          certificate when it is valid)
import argparse
import calendar
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from acme_client import (P_PREFIX, AcmeError, Client, Key, ServerGone,  # noqa: E402
                         b64u, eab_jws, key_authorization, leaf_serial,
                         make_csr, split_chain)
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402


def write_cert(outdir, pem):
    s = leaf_serial(pem)
    tmp = os.path.join(outdir, ".%s.tmp" % s)
    with open(tmp, "w") as f:
        f.write(pem)
    os.replace(tmp, os.path.join(outdir, "%s.pem" % s))
    return s


def cmd_order(c, a):
    """The extras flow: every answer checked here, in the order of the
    protocol; SystemExit with the reason on the first unexpected one."""
    c.bad_nonce_tries = 50
    if a.account_key and os.path.exists(a.account_key):
        with open(a.account_key) as f:
            c.key = Key.from_pem(f.read())
    else:
        c.key = Key(a.account_key_type)
        if a.account_key:
            with open(a.account_key, "w") as f:
                f.write(c.key.pem())
    c.directory()
    payload = {"termsOfServiceAgreed": True}
    eab = tuple(a.eab.split(":", 1)) if a.eab else None
    if eab:
        payload["externalAccountBinding"] = eab_jws(
            eab[0], eab[1], c.dir["newAccount"], c.key.jwk())
    r = c.post_any(c.dir["newAccount"], payload, embed_jwk=True)
    acct = r.json() or {}
    if a.expect_account_error:
        want = P_PREFIX + a.expect_account_error
        if r.status < 400 or acct.get("type") != want:
            raise SystemExit("newAccount: want %s, got %d %s" % (
                want, r.status, acct))
        print("newAccount refused as expected: %d %s" % (r.status,
                                                        acct.get("type")))
        return 0
    if r.status not in (200, 201):
        raise SystemExit("newAccount: %d %s" % (r.status, acct))
    c.kid = r.header("Location")
    if eab:
        # RFC 8555 §7.3.4: the account object carries the binding as
        # sent, on creation and on every later read.
        sent = payload["externalAccountBinding"]
        got = acct.get("externalAccountBinding")
        if got != sent:
            raise SystemExit("newAccount: externalAccountBinding %r, "
                             "sent %r" % (got, sent))
        got = (c.post_any(c.kid, None).json() or {}).get(
            "externalAccountBinding")
        if got != sent:
            raise SystemExit("account read: externalAccountBinding %r, "
                             "sent %r" % (got, sent))
        print("account object echoes externalAccountBinding")
    if a.account_only:
        return 0

    order = {"identifiers": [{"type": "dns", "value": n} for n in a.names]}
    if a.profile:
        order["profile"] = a.profile
    if a.replaces:
        order["replaces"] = a.replaces
    r = c.post_any(c.dir["newOrder"], order)
    if a.expect_error:
        prob = (r.json() or {}) if r.body else {}
        want = P_PREFIX + a.expect_error
        if r.status < 400 or prob.get("type") != want:
            raise SystemExit("newOrder: want %s, got %d %s" % (
                want, r.status, r.body))
        print("newOrder refused as expected: %d %s" % (r.status,
                                                      prob.get("type")))
        return 0
    if r.status != 201:
        raise SystemExit("newOrder: %d %s" % (r.status, r.body))
    o = r.json()
    ourl = r.header("Location")
    for az in o["authorizations"]:
        authz = c.post_any(az, None).json()
        ch = [x for x in authz["challenges"] if x["type"] == "http-01"][0]
        r = c.post_any(ch["url"], {})
        if r.status != 200:
            raise SystemExit("challenge: %d %s" % (r.status, r.body))
    for _ in range(100):
        o = c.post_any(ourl, None).json()
        if o["status"] != "pending":
            break
        time.sleep(0.1)
    if o["status"] != "ready":
        raise SystemExit("order is %s" % o["status"])
    csr_key = Key(a.csr_key_type) if a.csr_key_type else None
    if a.lapse:
        return lapse(c, o, ourl, csr_key, a)
    r = c.post_any(o["finalize"], {"csr": b64u(make_csr(a.names, csr_key))})
    if a.expect_finalize_error:
        prob = (r.json() or {}) if r.body else {}
        want = P_PREFIX + a.expect_finalize_error
        if r.status < 400 or prob.get("type") != want:
            raise SystemExit("finalize: want %s, got %d %s" % (
                want, r.status, r.body))
        print("finalize refused as expected: %d %s" % (r.status,
                                                      prob.get("type")))
        return 0
    if r.status != 200:
        raise SystemExit("finalize: %d %s" % (r.status, r.body))
    for _ in range(100):
        o = c.post_any(ourl, None).json()
        if o["status"] in ("valid", "invalid"):
            break
        time.sleep(0.1)
    if o["status"] != "valid":
        raise SystemExit("order is %s" % o["status"])
    r = c.post_any(o["certificate"], None)
    if r.status != 200:
        raise SystemExit("certificate: %d" % r.status)
    leaf, chain = split_chain(r.body.decode())
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "cert.pem"), "w") as f:
        f.write(leaf)
    with open(os.path.join(a.out, "chain.pem"), "w") as f:
        f.write(chain)
    with open(os.path.join(a.out, "order.json"), "w") as f:
        json.dump(o, f)
    print("issued; badNonce retries: %d" % c.bad_nonces)
    if a.revoke:
        der = x509.load_pem_x509_certificate(leaf.encode()).public_bytes(
            serialization.Encoding.DER)
        r = c.post_any(c.dir["revokeCert"], {"certificate": b64u(der)})
        if r.status != 200:
            raise SystemExit("revokeCert: %d %s" % (r.status, r.body))
        r = c.post_any(o["certificate"], None)
        prob = (r.json() or {}) if r.status >= 400 else {}
        print("certificate URL after revocation: %d %s" % (
            r.status, prob.get("type", r.ctype)))
    return 0


def rfc3339(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def lapse(c, o, ourl, csr_key, a):
    """--lapse: wait past the ready order's "expires" (RFC 8555 §7.1.3),
    then print what the order and its authorizations read and what
    finalize answers; SystemExit if finalize is not refused."""
    exp = rfc3339(o["expires"])
    azs = [(u, rfc3339(c.post_any(u, None).json()["expires"]))
           for u in o["authorizations"]]
    # a second order left pending: its challenge is answered after the lapse
    r = c.post_any(c.dir["newOrder"], {"identifiers": [
        {"type": "dns", "value": "pending-" + a.names[0]}]})
    if r.status != 201:
        raise SystemExit("newOrder: %d %s" % (r.status, r.body))
    p_url, p_o = r.header("Location"), r.json()
    p_az = p_o["authorizations"][0]
    p_az_exp = rfc3339(c.post_any(p_az, None).json()["expires"])
    lapse_at = max(min([exp] + [e for _, e in azs]),
                   min(rfc3339(p_o["expires"]), p_az_exp))
    print("order expires in %d s, first authorization in %d s" % (
        exp - time.time(), min(e for _, e in azs) - time.time()))
    time.sleep(max(0, lapse_at - time.time()) + 1.5)
    o = c.post_any(ourl, None).json()
    print("order after expiry: %s" % o["status"])
    for u, _ in azs:
        print("authorization after expiry: %s" % c.post_any(
            u, None).json()["status"])
    print("pending order after expiry: %s" % c.post_any(
        p_url, None).json()["status"])
    if p_az_exp < time.time():
        az = c.post_any(p_az, None).json()
        print("pending authorization after expiry: %s" % az["status"])
        r = c.post_any(az["challenges"][0]["url"], {})
        prob = (r.json() or {}) if r.status >= 400 else {}
        print("its challenge answered: %d %s" % (r.status, prob.get("type")))
    r = c.post_any(o["finalize"], {"csr": b64u(make_csr(a.names, csr_key))})
    prob = (r.json() or {}) if r.body else {}
    if r.status < 400:
        raise SystemExit("finalize of an expired order: %d %s" % (
            r.status, r.body))
    print("finalize refused: %d %s" % (r.status, prob.get("type")))
    return 0


class _Handler(http.server.BaseHTTPRequestHandler):
    """http-01 for the redirect case: on the http-01 port a 302 to the
    other port; there the key authorization (RFC 8555 §8.3)."""
    answers = {}
    target = None       # "http://NAME:PORT" on the http-01 port
    delay_s = 0.0       # the key authorization's answer waits this long

    def do_GET(self):
        if self.target:
            self.send_response(302)
            self.send_header("Location", self.target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.answers.get(self.path.rsplit("/", 1)[-1])
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        time.sleep(self.delay_s)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_on(port, target):
    h = type("H", (_Handler,), {"target": target})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), h)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def cmd_redirect(c, a):
    name = a.names[0]
    _Handler.delay_s = a.answer_delay_ms / 1000.0
    srvs = [serve_on(a.http01_port, "http://%s:%d" % (name, a.redirect_port)),
            serve_on(a.redirect_port, None)]
    try:
        c.key = Key()
        c.new_account()
        url, o = c.new_order([name])
        az_url = o["authorizations"][0]
        az = c.get(az_url, "authz").json()
        ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
        _Handler.answers[ch["token"]] = key_authorization(
            ch["token"], c.key).encode()
        t0 = time.monotonic()
        r = c.post(ch["url"], {}, "challenge")
        ms = (time.monotonic() - t0) * 1000
        print("challenge %s, Retry-After: %s" % (
            r.json()["status"], r.header("Retry-After")))
        print("challenge answered in %d ms" % ms)
        if "error" in r.json():
            print("challenge error: %s" % r.json()["error"].get("detail"))
        for _ in range(300):
            az = c.get(az_url, "authz").json()
            if az["status"] != "pending":
                break
            time.sleep(0.1)
        ch = [x for x in az["challenges"] if x["type"] == "http-01"][0]
        print("authorization %s" % az["status"])
        if az["status"] != "valid":
            print("error: %s" % ch.get("error", {}).get("detail"))
            return 0
        o = c.wait_order(url, ("ready",))
        c.finalize(o, [name])
        o = c.wait_order(url, ("valid",))
        print("issued %s" % o["status"])
        return 0
    finally:
        for s in srvs:
            s.shutdown()


def alt_links(r):
    """The URLs of a response's Link rel="alternate" headers (RFC 8288)."""
    out = []
    for v in r.header_all("Link"):
        for part in v.split(","):
            if 'rel="alternate"' in part and "<" in part:
                out.append(part[part.index("<") + 1:part.index(">")])
    return out


def cmd_alternates(c, a):
    order, _ = c.issue(a.names)
    o = c.get(order, "order").json()
    url = o["certificate"]
    os.makedirs(a.out, exist_ok=True)
    todo, seen = [url], set()
    while todo:
        u = todo.pop(0)
        if u in seen:
            continue
        seen.add(u)
        r = c.get(u, "certificate")
        if r.ctype != "application/pem-certificate-chain":
            raise SystemExit("%s: Content-Type %s" % (u, r.ctype))
        links = alt_links(r)
        if u in links:
            raise SystemExit("%s links to itself" % u)
        k = u.rsplit("/alt/", 1)[1] if "/alt/" in u else "0"
        with open(os.path.join(a.out, "chain%s.pem" % k), "w") as f:
            f.write(r.body.decode())
        print("chain %s links %d" % (k, len(links)))
        todo.extend(links)
    return 0


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
    ap.add_argument("--account-key", help="order: account key (PEM) to "
                    "use, or to create")
    ap.add_argument("--eab", help="order: KID:HMAC (base64url)")
    ap.add_argument("--account-only", action="store_true",
                    help="order: stop after newAccount")
    ap.add_argument("--expect-account-error")
    ap.add_argument("--profile")
    ap.add_argument("--replaces")
    ap.add_argument("--expect-error")
    ap.add_argument("--account-key-type", default="p256")
    ap.add_argument("--csr-key-type")
    ap.add_argument("--expect-finalize-error")
    ap.add_argument("--lapse", action="store_true")
    ap.add_argument("--revoke", action="store_true")
    ap.add_argument("--http01-port", type=int)
    ap.add_argument("--redirect-port", type=int)
    ap.add_argument("--answer-delay-ms", type=int, default=0,
                    help="redirect: the target answers after this long")
    ap.add_argument("cmd")
    ap.add_argument("names", nargs="*")
    a = ap.parse_intermixed_args()
    c = Client(a.dir, a.ca, a.source)
    if a.cmd == "alternates":
        return cmd_alternates(c, a)
    if a.cmd == "order":
        if not a.names:
            ap.error("order needs at least one NAME")
        return cmd_order(c, a)
    if a.cmd == "redirect":
        if len(a.names) != 1 or not a.http01_port or not a.redirect_port:
            ap.error("redirect needs NAME, --http01-port and "
                     "--redirect-port")
        return cmd_redirect(c, a)
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
