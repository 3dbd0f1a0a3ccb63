#!/usr/bin/env python3
# conf_example.py - contrib/localacme.conf.example lists every setting of
# src/base/config.c's table with its default (README promises it).
# SPDX-License-Identifier: MIT
#
#   tests/conf_example.py SOURCE_DIR            check the tree
#   tests/conf_example.py SOURCE_DIR --selftest  the check must fail when a
#                                               key is missing, a default
#                                               differs or a key is unknown
import copy
import json
import os
import re
import sys

# Settings whose example value is an illustration, not the default:
# state_dir's default is computed at run time ($XDG_DATA_HOME/localacme...).
ILLUSTRATED = {"state_dir"}


def table(src):
    with open(os.path.join(src, "src/base/config.c")) as f:
        text = f.read()
    rows = re.findall(r'\{\s*"([a-z0-9_]+)",\s*"LOCALACME_[A-Z0-9_]+",\s*'
                      r'(?:"[a-z0-9-]*"|NULL),\s*CT_(\w+),\s*(?:"([^"]*)"|NULL)',
                      text)
    if len(rows) < 30:
        sys.exit("conf_example: could not read the settings table of "
                 "src/base/config.c (%d rows)" % len(rows))
    return {name: (kind, default) for name, kind, default in rows}


def expected(kind, default):
    if kind == "INT":
        return int(default)
    if kind == "BOOL":
        return default == "true"
    if kind == "LIST":
        return [v for v in default.split(",") if v]
    return default


def check(settings, example):
    errs = []
    for name, (kind, default) in sorted(settings.items()):
        if name not in example:
            errs.append("missing key %s (default %r)" % (name, default))
        elif name not in ILLUSTRATED and \
                example[name] != expected(kind, default):
            errs.append("%s: example has %r, the default is %r" % (
                name, example[name], expected(kind, default)))
    for name in sorted(set(example) - set(settings)):
        errs.append("unknown key %s" % name)
    return errs


def main():
    src = sys.argv[1]
    settings = table(src)
    with open(os.path.join(src, "contrib/localacme.conf.example")) as f:
        example = json.load(f)
    if sys.argv[2:] == ["--selftest"]:
        some = sorted(k for k in settings if k not in ILLUSTRATED)[0]
        broken = [dict((k, v) for k, v in example.items() if k != some),
                  dict(example, **{some: "not the default"}),
                  dict(example, no_such_setting=1)]
        for b in broken:
            if not check(settings, b):
                print("conf_example selftest: a broken example passed")
                return 1
        print("conf_example selftest: %d broken examples refused" %
              len(broken))
        return 0
    errs = check(settings, example)
    for e in errs:
        print("contrib/localacme.conf.example: " + e)
    if errs:
        return 1
    print("conf_example: ok (%d settings)" % len(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
