#!/usr/bin/env python3
# fresh.py - every mutation of tests/mutation/*.mut still applies: its file
# exists, its `from` text occurs exactly once there, and its ctest regex
# names at least one test. Code moves (a split file, a renamed helper) would
# otherwise leave a mutation STALE, found only by the next 25-minute run.sh.
# SPDX-License-Identifier: MIT
#
#   tests/mutation/fresh.py SOURCE_DIR BUILD_DIR              check
#   tests/mutation/fresh.py SOURCE_DIR BUILD_DIR --selftest   the check must
#                                                             refuse stale lines
import glob
import os
import re
import subprocess
import sys


def read_mutations(src):
    out = []
    for mf in sorted(glob.glob(os.path.join(src, "tests/mutation/*.mut"))):
        with open(mf, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                parts = line.split("\t")
                if len(parts) != 5:
                    out.append((os.path.basename(mf), n, None))
                    continue
                out.append((os.path.basename(mf), n, parts))
    return out


def test_names(build):
    r = subprocess.run(["ctest", "--test-dir", build, "-N"],
                       capture_output=True, text=True, check=True)
    return re.findall(r"Test\s+#\d+:\s+(\S+)", r.stdout)


def problems(src, muts, tests):
    errs = []
    for mf, n, parts in muts:
        where = "%s:%d" % (mf, n)
        if parts is None:
            errs.append("%s: not 5 TAB-separated fields" % where)
            continue
        name, path, regex, frm, _ = parts
        p = os.path.join(src, path)
        if not os.path.isfile(p):
            errs.append("%s %s: no such file %s" % (where, name, path))
            continue
        with open(p, "rb") as f:
            k = f.read().count(frm.encode())
        if k != 1:
            errs.append('%s %s: "from" occurs %d times in %s (want 1)' %
                        (where, name, k, path))
        if not any(re.search(regex, t) for t in tests):
            errs.append("%s %s: regex %s names no test" % (where, name, regex))
    return errs


def main():
    if len(sys.argv) < 3:
        print("usage: fresh.py SOURCE_DIR BUILD_DIR [--selftest]",
              file=sys.stderr)
        return 2
    src, build = sys.argv[1], sys.argv[2]
    muts = read_mutations(src)
    tests = test_names(build)
    if sys.argv[3:] == ["--selftest"]:
        good = [m for m in muts if m[2] is not None][0]
        name, path, regex, frm, to = good[2]
        bad = [(good[0], good[1], [name, path + ".gone", regex, frm, to]),
               (good[0], good[1], [name, path, regex, frm + "\x01", to]),
               (good[0], good[1], [name, path, "^no-such-test$", frm, to]),
               (good[0], good[1], None)]
        for b in bad:
            if not problems(src, [b], tests):
                print("fresh selftest: a stale mutation passed: %r" % (b,))
                return 1
        print("fresh selftest: %d stale mutations refused" % len(bad))
        return 0
    errs = problems(src, muts, tests)
    for e in errs:
        print("STALE " + e)
    if errs:
        return 1
    print("mutation fresh: %d mutations apply" % len(muts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
