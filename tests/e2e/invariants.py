#!/usr/bin/env python3
# invariants.py - the one checker of HARDENING §4.1 (I1-I7), run after every crash and fault test
# SPDX-License-Identifier: MIT
#
#   invariants.py snapshot --state DIR > snap.json
#       records the CA files (sha256, mode) before a fault (for I7)
#   invariants.py check --state DIR [--snapshot snap.json] [--received DIR]...
#                 [--allow-processing]
#       reads DIR/localacme.db read-only and checks:
#   I1 PRAGMA integrity_check = ok, foreign_key_check empty (the WAL a
#      killed server left behind is replayed by this open)
#   I2 every certificate a client received (first certificate of each
#      *.pem / *.crt under --received, CA certificates skipped) is in
#      `certificates` with the same DER; every certificate row's serial
#      is recorded as issued; every serial has at most one order
#   I3 serials unique and positive; a row's serial is its certificate's
#   I4 no valid order without its certificate; every ACME certificate's
#      order is valid and names it; its SAN set equals the order's
#      identifiers
#   I5 no order in processing (run after a restart; --allow-processing
#      when a server may be mid-finalize)
#   I6 account thumbprints unique and equal to RFC 7638 of the stored JWK
#   I7 root.* and intermediate.* byte-identical to the snapshot, same
#      modes, keys 0600; no other file in the state directory holds a
#      private key
# Exit 0 when all hold, 1 otherwise (each broken invariant printed).
import argparse
import hashlib
import ipaddress
import json
import os
import sqlite3
import stat
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from acme_client import jwk_thumbprint  # noqa: E402

CA_FILES = ("root.pem", "root.key", "intermediate.pem", "intermediate.key")
failures = []


def fail(inv, msg):
    failures.append("%s: %s" % (inv, msg))
    print("FAIL: %s: %s" % (inv, msg), file=sys.stderr)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot(state):
    snap = {}
    for name in sorted(os.listdir(state)):
        if name.startswith(("root.", "intermediate")):
            p = os.path.join(state, name)
            if os.path.isfile(p):
                snap[name] = {"sha256": sha256_file(p),
                              "mode": stat.S_IMODE(os.stat(p).st_mode)}
    return snap


def first_cert(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
        return x509.load_pem_x509_certificate(data)
    except (OSError, ValueError):
        return None


def is_ca(cert):
    try:
        return cert.extensions.get_extension_for_class(
            x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def sans(cert):
    try:
        ext = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    out = set(n.lower() for n in ext.get_values_for_type(x509.DNSName))
    out |= set(str(ip) for ip in ext.get_values_for_type(x509.IPAddress))
    return out


def norm_ident(typ, value):
    if typ == "ip":
        return str(ipaddress.ip_address(value))
    return value.lower()


def check(a):
    dbp = os.path.join(a.state, "localacme.db")
    if not os.path.exists(dbp):
        fail("I1", "no database at %s" % dbp)
        return
    # Read-only, but through SQLite so a left-over WAL is replayed (I1).
    db = sqlite3.connect("file:%s?mode=ro" % dbp, uri=True, timeout=30)
    q = lambda sql, *p: db.execute(sql, p).fetchall()

    # I1
    ic = q("PRAGMA integrity_check")
    if ic != [("ok",)]:
        fail("I1", "integrity_check: %r" % ic[:5])
    fk = q("PRAGMA foreign_key_check")
    if fk:
        fail("I1", "foreign_key_check: %r" % fk[:5])

    certs = {}
    for serial, pem, order_id, names in q(
            "SELECT serial, pem, order_id, names FROM certificates"):
        certs[serial] = (pem, order_id, names)
    serials = {s: (st, o) for s, st, o in
               q("SELECT serial, state, order_id FROM serials")}

    # I3: unique (also across case), positive, matching the DER
    lowered = {}
    for s in serials:
        lowered.setdefault(s.lower(), []).append(s)
    for k, v in lowered.items():
        if len(v) > 1:
            fail("I3", "serial recorded twice: %r" % v)
    for s, (pem, _, _) in certs.items():
        try:
            c = x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            fail("I3", "certificate %s: PEM does not parse" % s)
            continue
        if c.serial_number <= 0:
            fail("I3", "certificate %s: serial not positive" % s)
        if format(c.serial_number, "x") != s.lstrip("0").lower():
            fail("I3", "row %s holds a certificate with serial %x" %
                 (s, c.serial_number))

    # I2: rows vs serials; what clients received is stored
    for s in certs:
        if s not in serials:
            fail("I2", "certificate %s has no serial record" % s)
        elif serials[s][0] != "issued":
            fail("I2", "certificate %s: serial state %s" % (s, serials[s][0]))
    for o, n in q("SELECT order_id, count(*) FROM serials WHERE order_id "
                  "IS NOT NULL GROUP BY order_id HAVING count(*) > 1"):
        fail("I2", "order %s reserved %d serials" % (o, n))
    received = 0
    for d in a.received or []:
        for root, _, files in os.walk(d):
            for fn in files:
                if not fn.endswith((".pem", ".crt")) or fn.endswith(
                        ".issuer.crt") or "key" in fn:
                    continue
                c = first_cert(os.path.join(root, fn))
                if c is None or is_ca(c):
                    continue
                received += 1
                s = format(c.serial_number, "x")
                row = certs.get(s) or certs.get("0" + s)
                if row is None:
                    fail("I2", "%s: serial %s was received but is not "
                         "stored" % (fn, s))
                    continue
                der = c.public_bytes(serialization.Encoding.DER)
                stored = x509.load_pem_x509_certificate(
                    row[0].encode()).public_bytes(serialization.Encoding.DER)
                if der != stored:
                    fail("I2", "%s: stored DER differs for %s" % (fn, s))

    # I4
    orders = {i: (st, cs) for i, st, cs in
              q("SELECT id, status, cert_serial FROM orders")}
    idents = {}
    for oid, typ, val in q("SELECT order_id, type, value FROM "
                           "order_identifiers"):
        idents.setdefault(oid, set()).add(norm_ident(typ, val))
    for oid, (st, cs) in orders.items():
        if st == "valid" and (cs is None or cs not in certs):
            fail("I4", "order %s is valid without a certificate" % oid)
        if st != "valid" and cs is not None:
            fail("I4", "order %s is %s with certificate %s" % (oid, st, cs))
    nacme = 0
    for s, (pem, oid, _) in certs.items():
        if oid is None:
            continue
        nacme += 1
        if oid not in orders:
            fail("I4", "certificate %s names a missing order" % s)
            continue
        st, cs = orders[oid]
        if st != "valid" or cs != s:
            fail("I4", "certificate %s: its order %s is %s (cert %s)" %
                 (s, oid, st, cs))
        c = x509.load_pem_x509_certificate(pem.encode())
        if sans(c) != idents.get(oid, set()):
            fail("I4", "certificate %s SANs %s != order identifiers %s" %
                 (s, sorted(sans(c)), sorted(idents.get(oid, set()))))

    # I5
    stuck = q("SELECT id FROM orders WHERE status = 'processing'")
    if stuck and not a.allow_processing:
        fail("I5", "%d order(s) left processing: %s" %
             (len(stuck), [r[0] for r in stuck[:3]]))

    # I6
    for tp, n in q("SELECT thumbprint, count(*) FROM accounts GROUP BY "
                   "thumbprint HAVING count(*) > 1"):
        fail("I6", "thumbprint %s has %d accounts" % (tp, n))
    naccts = 0
    for aid, jwk, tp in q("SELECT id, jwk, thumbprint FROM accounts"):
        naccts += 1
        try:
            if jwk_thumbprint(json.loads(jwk)) != tp:
                fail("I6", "account %s: stored thumbprint is not its "
                     "key's" % aid)
        except (ValueError, KeyError):
            fail("I6", "account %s: JWK does not parse" % aid)
    db.close()

    # I7
    if a.snapshot:
        with open(a.snapshot) as f:
            before = json.load(f)
        now = snapshot(a.state)
        for name, v in before.items():
            if name not in now:
                fail("I7", "%s disappeared" % name)
            elif now[name] != v:
                fail("I7", "%s changed (%r -> %r)" % (name, v, now[name]))
    for name in sorted(os.listdir(a.state)):
        p = os.path.join(a.state, name)
        if not os.path.isfile(p):
            continue
        mode = stat.S_IMODE(os.stat(p).st_mode)
        if name.endswith(".key") and mode != 0o600:
            fail("I7", "%s has mode %o" % (name, mode))
        if name in CA_FILES or name.startswith("localacme.db"):
            continue
        if name.endswith(".key") and name.startswith("intermediate"):
            continue	# a rotated intermediate's key, checked above
        try:
            with open(p, "rb") as f:
                if b"PRIVATE KEY" in f.read(1 << 20):
                    fail("I7", "left-over file %s holds a private key" % name)
        except OSError as e:
            fail("I7", "%s: %s" % (name, e))

    print("invariants: %d certificates (%d ACME), %d serials, %d orders, "
          "%d accounts, %d received certificates checked" %
          (len(certs), nacme, len(serials), len(orders), naccts, received))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=("snapshot", "check"))
    ap.add_argument("--state", required=True)
    ap.add_argument("--snapshot")
    ap.add_argument("--received", action="append")
    ap.add_argument("--allow-processing", action="store_true")
    a = ap.parse_args()
    if a.cmd == "snapshot":
        json.dump(snapshot(a.state), sys.stdout)
        print()
        return 0
    try:
        check(a)
    except sqlite3.Error as e:
        fail("I1", "the database cannot be read: %s" % e)
    if failures:
        print("invariants: %d violation(s)" % len(failures), file=sys.stderr)
        return 1
    print("invariants: I1-I7 hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
