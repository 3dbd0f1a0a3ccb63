#!/usr/bin/env python3
# syscalls.py - the system calls a traced `localacme serve` made that the
# unit's SystemCallFilter= would refuse (systemd.exec(5))
# SPDX-License-Identifier: MIT
#
#   syscalls.py UNIT STRACE_LOG
#
# STRACE_LOG is `strace -f -o` output of the unit's ExecStart; only the calls
# after the execve of the unit's program count (the set-up before it is not
# the service). The allowed set is each SystemCallFilter= line of UNIT in
# order (an allow list, then ~deny lists), groups expanded with
# `systemd-analyze syscall-filter`. Prints the calls used and exits 1 when
# one is refused.
import re
import subprocess
import sys

groups = {}


def expand(name):
    """All syscalls of a name: a group (@x, recursively) or a call."""
    if not name.startswith("@"):
        return {name}
    if name not in groups:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                             check=True, capture_output=True, text=True).stdout
        items = set()
        for line in out.splitlines()[1:]:
            line = line.strip()
            if line and not line.startswith("#"):
                items |= expand(line)
        groups[name] = items
    return groups[name]


def main():
    unit, log = sys.argv[1], sys.argv[2]
    prog = None
    allowed = None
    for line in open(unit):
        line = line.strip()
        if line.startswith("ExecStart="):
            prog = line.split("=", 1)[1].split()[0]
        if not line.startswith("SystemCallFilter="):
            continue
        value = line.split("=", 1)[1]
        deny = value.startswith("~")
        names = set()
        for n in value.lstrip("~").split():
            names |= expand(n)
        if deny:
            allowed = (allowed if allowed is not None else set()) - names
        else:
            allowed = (allowed or set()) | names
    if allowed is None:
        print("no SystemCallFilter= in the unit: nothing to check")
        return 0
    used, started = set(), False
    call = re.compile(r"^\d+\s+([a-z0-9_]+)\(")
    for line in open(log):
        if not started:
            started = ('execve("%s"' % prog) in line
            continue
        m = call.match(line)
        if m:
            used.add(m.group(1))
    if not started:
        print("no execve of %s in %s" % (prog, log), file=sys.stderr)
        return 1
    refused = sorted(used - allowed)
    print("%d system calls used by %s: %s" % (len(used), prog,
                                              " ".join(sorted(used))))
    if refused:
        print("refused by the unit's SystemCallFilter=: " + " ".join(refused),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
