#!/usr/bin/env python3
# concurrency.py - HARDENING §4.4 races against a running server (driven by concurrency.sh)
# SPDX-License-Identifier: MIT
#
#   concurrency.py DIRECTORY_URL ROOT_PEM DB [N]
# X18 N finalizes of one ready order, X19 N newAccounts with one key,
# X21/R13 two accounts rolling over to one new key (several rounds),
# X21 N revocations of one certificate, N06 N requests reusing one nonce.
# Every request of a race waits at a barrier on its own warm TLS
# connection, so they reach the server together. Exit 0 if each race had
# exactly one winner, the losers the documented problem, and the database
# one row.
import os
import sqlite3
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from acme_client import Client, Key, b64u, jws, make_csr, P_PREFIX  # noqa: E402

URL, ROOT, DB = sys.argv[1], sys.argv[2], sys.argv[3]
N = int(sys.argv[4]) if len(sys.argv) > 4 else 50
bad = []


def check(cond, msg):
    print(("ok: " if cond else "FAIL: ") + msg, flush=True)
    if not cond:
        bad.append(msg)


def race(n, prepare, fire):
    """prepare(i, client) -> arg, on a warm connection; then fire(i,
    client, arg) in n threads at once. Returns the responses, in order."""
    clients = [Client(URL, ROOT) for _ in range(n)]
    args = [None] * n
    out = [None] * n
    barrier = threading.Barrier(n)

    def run(i):
        try:
            args[i] = prepare(i, clients[i])
            barrier.wait(timeout=120)
            out[i] = fire(i, clients[i], args[i])
        except Exception as e:		# reported as a missing answer
            out[i] = e
            barrier.abort()
    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for c in clients:
        c.close()
    return out


def tally(rs):
    """{(status, short problem type or ''): count}"""
    t = {}
    for r in rs:
        if isinstance(r, Exception):
            k = ("exception", repr(r)[:80])
        else:
            k = (r.status, (r.json() or {}).get("type", "").replace(P_PREFIX, "")
                 if r.status >= 400 else "")
        t[k] = t.get(k, 0) + 1
    return t


def db_one(sql, *p):
    db = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=30)
    try:
        return db.execute(sql, p).fetchone()[0]
    finally:
        db.close()


def ready_order(c, names):
    url, order = c.new_order(names)
    c.complete_authzs(order)
    return url, c.wait_order(url, ("ready",))


def as_account(c, key, kid):
    c.key, c.kid = key, kid


def x18(main):
    url, order = ready_order(main, ["race.test", "www.race.test"])
    oid = url.rsplit("/", 1)[1]
    csrs = [b64u(make_csr(["race.test", "www.race.test"])) for _ in range(N)]

    def prep(i, c):
        as_account(c, main.key, main.kid)
        return c.new_nonce()
    rs = race(N, prep, lambda i, c, nonce: c.post_raw(
        order["finalize"], {"csr": csrs[i]}, nonce=nonce))
    t = tally(rs)
    check(t.get((200, ""), 0) == 1 and t.get((403, "orderNotReady"), 0) == N - 1,
          "X18: %d finalizes of one order: %s" % (N, t))
    check(db_one("SELECT count(*) FROM certificates WHERE order_id = ?", oid) == 1,
          "X18: exactly one certificate row for the order")
    check(db_one("SELECT count(*) FROM serials WHERE order_id = ?", oid) == 1,
          "X18: exactly one serial reserved for the order")
    check(main.wait_order(url, ("valid",))["status"] == "valid",
          "X18: the order is valid")



def x19():
    key = Key()
    rs = race(N, lambda i, c: c.new_nonce(), lambda i, c, nonce: c.post_raw(
        c.directory()["newAccount"], {"termsOfServiceAgreed": True},
        key=key, nonce=nonce, embed_jwk=True))
    t = tally(rs)
    locs = set(r.header("Location") for r in rs
               if not isinstance(r, Exception) and r.status in (200, 201))
    check(t.get((201, ""), 0) == 1 and t.get((200, ""), 0) == N - 1,
          "X19: %d newAccounts with one key: %s" % (N, t))
    check(len(locs) == 1, "X19: one Location for all (%d distinct)" % len(locs))
    check(db_one("SELECT count(*) FROM accounts WHERE thumbprint = ?",
                 key.thumbprint()) == 1, "X19: one account row for the key")


def key_change_body(c, acct_key, kid, new_key, nonce):
    url = c.directory()["keyChange"]
    inner = jws(new_key, url, {"account": kid, "oldKey": acct_key.jwk()})
    return c.post_raw(url, inner, key=acct_key, kid=kid, nonce=nonce)


def r13(rounds=10):
    accts = []
    for _ in range(2):
        c = Client(URL, ROOT)
        c.new_account()
        accts.append([c.key, c.kid])
        c.close()
    ok = 0
    for rnd in range(rounds):
        new = Key()
        rs = race(2, lambda i, c: c.new_nonce(), lambda i, c, nonce:
                  key_change_body(c, accts[i][0], accts[i][1], new, nonce))
        t = tally(rs)
        won = [i for i, r in enumerate(rs)
               if not isinstance(r, Exception) and r.status == 200]
        lost = [r for r in rs if not isinstance(r, Exception) and r.status == 409]
        good = len(won) == 1 and len(lost) == 1 and \
            lost[0].header("Location") == accts[won[0]][1]
        good = good and db_one("SELECT count(*) FROM accounts WHERE "
                               "thumbprint = ?", new.thumbprint()) == 1
        if not good:
            check(False, "R13 round %d: %s" % (rnd, t))
            return
        accts[won[0]][0] = new
        ok += 1
    # the winners' new keys work, the losers' old ones still do
    for key, kid in accts:
        c = Client(URL, ROOT)
        as_account(c, key, kid)
        c.get(kid, "account")
        c.close()
    check(ok == rounds, "R13/X21: %d keyChange races to one new key: one 200 "
          "and one 409 (Location of the winner) each" % rounds)


def revoke_race(main, n=20):
    _, pem = main.issue(["revoke-race.test"])
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(
        serialization.Encoding.DER)

    def prep(i, c):
        as_account(c, main.key, main.kid)
        return c.new_nonce()
    rs = race(n, prep, lambda i, c, nonce: c.post_raw(
        c.directory()["revokeCert"], {"certificate": b64u(der)}, nonce=nonce))
    t = tally(rs)
    check(t.get((200, ""), 0) == 1 and t.get((400, "alreadyRevoked"), 0) == n - 1,
          "X21: %d revocations of one certificate: %s" % (n, t))


def account_orders(c):
    """How many orders the account's orders list names (RFC 8555
    §7.1.2.1), every page followed: pending orders live in the server's
    memory, not in the database file."""
    url = c.get(c.kid, "account").json()["orders"]
    n = 0
    while url:
        r = c.get(url, "orders list")
        n += len(r.json()["orders"])
        url = None
        for link in r.header_all("Link"):
            if 'rel="next"' in link:
                url = link.split(";")[0].strip().strip("<>")
    return n


def n06(main):
    before = account_orders(main)
    nonce = main.new_nonce()

    def prep(i, c):
        as_account(c, main.key, main.kid)
        c.new_nonce()		# warm the connection; the shared nonce is used
        return i
    rs = race(N, prep, lambda i, c, _: c.post_raw(
        c.directory()["newOrder"],
        {"identifiers": [{"type": "dns", "value": "n06-%d.test" % i}]},
        nonce=nonce))
    t = tally(rs)
    check(t.get((201, ""), 0) == 1 and t.get((400, "badNonce"), 0) == N - 1,
          "N06: %d requests with one nonce: %s" % (N, t))
    check(account_orders(main) == before + 1,
          "N06: exactly one order created (the account's orders list)")


def main():
    m = Client(URL, ROOT)
    m.new_account()
    x18(m)
    x19()
    r13()
    revoke_race(m)
    n06(m)
    if bad:
        print("%d race(s) broken" % len(bad))
        return 1
    print("all races had exactly one winner")
    return 0


if __name__ == "__main__":
    sys.exit(main())
