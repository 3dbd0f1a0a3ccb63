#!/usr/bin/env python3
# bulk_certs.py - put 10,000 certificate rows straight into a localacme
# store (SQLite), for the status page's paging test and benchmark.
# usage: bulk_certs.py DB
# Each row copies the PEM of a certificate already in the store; names
# bulkN.localhost repeat every 5,000 rows, all expired 10 days ago or more,
# so half of them have a later certificate for the same names and half not.
# SPDX-License-Identifier: MIT
import sqlite3
import sys
import time

db = sqlite3.connect(sys.argv[1], timeout=30)
now = int(time.time())
pem = db.execute("SELECT pem FROM certificates LIMIT 1").fetchone()[0]
rows = [("%032x" % (0xb0000000 + i), "bulk%d.localhost" % (i % 5000), pem,
         now - 86400 * 400 - i, now - 86400 * 10 - i * 60, now - 86400 * 400 - i)
        for i in range(10000)]
with db:
    db.executemany("INSERT INTO serials (serial, order_id, reserved_at, state) "
                   "VALUES (?, NULL, ?, 'issued')", [(r[0], r[5]) for r in rows])
    db.executemany("INSERT INTO certificates (serial, status, names, pem, source, "
                   "not_before, not_after, issued) VALUES (?, 'valid', ?, ?, 'cli', ?, ?, ?)",
                   [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows])
