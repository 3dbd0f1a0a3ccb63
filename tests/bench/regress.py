#!/usr/bin/env python3
# regress.py - did a change make localacme slower? Compares two kept
# compare.sh work directories (KEEP=1), cell by cell, against each cell's
# run-to-run spread.
# SPDX-License-Identifier: MIT
#
#   tests/bench/regress.py BEFORE_DIR AFTER_DIR
#
# For every throughput cell (key type x concurrency) it reads localacme's
# runs (run-KEY-cC.localacme.rN.json) on both sides and prints the median,
# the lowest and the highest issuance rate and server CPU per issuance. A
# cell is "worse" when its median moved the wrong way by more than the larger
# of the two sides' spreads (highest less lowest): a move inside the noise a
# cell shows between its own repeats is not a finding. Exit status 1 when a
# cell is worse, 0 otherwise; it never judges Pebble's runs.
import glob
import json
import os
import re
import statistics
import sys


def cells(d):
    out = {}
    for p in glob.glob(os.path.join(d, "run-*.localacme.r*.json")):
        m = re.match(r"run-(\w+)-c(\d+)\.localacme\.r\d+\.json$",
                     os.path.basename(p))
        if not m:
            continue
        with open(p) as f:
            r = json.load(f)
        if r.get("stalled") or not r.get("issued"):
            continue
        key = (m.group(1), int(m.group(2)))
        out.setdefault(key, []).append(
            (r["issuances_per_s"], r["server"]["cpu_ms_per_issuance"]))
    return out


def stats(xs):
    return statistics.median(xs), min(xs), max(xs)


def main():
    if len(sys.argv) != 3:
        print("usage: regress.py BEFORE_DIR AFTER_DIR", file=sys.stderr)
        return 2
    before, after = cells(sys.argv[1]), cells(sys.argv[2])
    worse = 0
    hdr = ("cell", "rate before (lo-hi)", "rate after (lo-hi)",
           "CPU ms before (lo-hi)", "CPU ms after (lo-hi)", "verdict")
    print("%-13s %-24s %-24s %-22s %-22s %s" % hdr)
    for key in sorted(set(before) & set(after)):
        rb, ra = ([r[0] for r in side[key]] for side in (before, after))
        cb, ca = ([r[1] for r in side[key]] for side in (before, after))
        (mrb, lrb, hrb), (mra, lra, hra) = stats(rb), stats(ra)
        (mcb, lcb, hcb), (mca, lca, hca) = stats(cb), stats(ca)
        bad = []
        if mrb - mra > max(hrb - lrb, hra - lra):
            bad.append("rate")
        if mca - mcb > max(hcb - lcb, hca - lca):
            bad.append("cpu")
        worse += bool(bad)
        print("%-13s %6.1f (%5.1f-%5.1f)     %6.1f (%5.1f-%5.1f)     "
              "%5.2f (%4.2f-%4.2f)       %5.2f (%4.2f-%4.2f)       %s" % (
                  "%s c=%d" % key, mrb, lrb, hrb, mra, lra, hra,
                  mcb, lcb, hcb, mca, lca, hca,
                  "worse: " + ",".join(bad) if bad else "ok"))
    missing = sorted(set(before) ^ set(after))
    for key in missing:
        print("%-13s only on one side" % ("%s c=%d" % key))
    print("%d of %d cells worse beyond their spread" % (
        worse, len(set(before) & set(after))))
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
