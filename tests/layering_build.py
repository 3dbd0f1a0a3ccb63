#!/usr/bin/env python3
# layering_build.py - the build itself refuses a forbidden include: each
# part's file, compiled with its own target's flags plus one header of a
# part it may not use, must fail (docs/ARCHITECTURE.md §5.2); the same file
# with a header of a part it does use must compile, so the method is known
# to work. What the compiler cannot see is tests/layering.sh's job.
# SPDX-License-Identifier: MIT
#
#   tests/layering_build.py SOURCE_DIR BUILD_DIR
import json
import os
import shlex
import subprocess
import sys

# (file, header, must compile?); a refusal must be the header out of reach
# (not found on the target's include path), not any other error.
CASES = [
    ("src/wfe/wfe.c", "store/store.h", False),     # the WFE reaches state through the RA
    ("src/admin/admin.c", "store/store.h", False),  # so do the management API,
    ("src/crl/crl.c", "store/store.h", False),      # the CRL publisher
    ("src/cli/serve.c", "store/store.h", False),    # and the CLI
    ("src/ca/ca.c", "ra.h", False),                 # the CA is below the RA
    ("src/ca/ca_leaf.c", "store/store.h", False),
    ("src/va/va_http01.c", "store/store.h", False),  # the VA writes nothing
    ("src/va/va.c", "ra.h", False),
    ("src/httpd/httpd.c", "wfe.h", False),          # httpd knows no ACME
    ("src/httpd/httpd.c", "acme/acme.h", False),
    ("src/base/config.c", "ra.h", False),           # base is below every part
    ("src/policy/policy.c", "ca.h", False),
    ("acme/jws.c", "store/store.h", False),         # acme/ is below the store
    ("src/page/page_render.c", "store/store.h", False),  # the page renders what the RA gives
    ("src/page/page.c", "wfe.h", False),            # the WFE calls it, not the reverse
    ("src/ocsp/ocsp.c", "store/store.h", False),    # the OCSP responder reads through the RA
    ("src/ocsp/ocsp.c", "wfe.h", False),            # the WFE calls it, not the reverse
    ("src/ca/ca_ocsp.c", "ocsp.h", False),          # the CA makes the signer, knows no responder
    ("src/ra/ra.c", "store/store.h", True),         # controls: allowed headers
    ("src/wfe/wfe.c", "ra.h", True),
    ("src/ca/ca.c", "policy.h", True),
    ("store/store.c", "acme/acme.h", True),
    ("src/page/page.c", "ca.h", True),
    ("src/ocsp/ocsp.c", "ra.h", True),
]


def main():
    if len(sys.argv) != 3:
        print("usage: layering_build.py SOURCE_DIR BUILD_DIR", file=sys.stderr)
        return 2
    src, build = (os.path.abspath(a) for a in sys.argv[1:])
    with open(os.path.join(build, "compile_commands.json")) as f:
        cc = json.load(f)
    fail = 0
    for rel, header, allowed in CASES:
        path = os.path.join(src, rel)
        # the file's own library target, not localacme-faults' second copy
        ents = [e for e in cc if os.path.abspath(e["file"]) == path and
                "localacme-faults" not in e.get("output", e["command"])]
        if not ents:
            print("layering_build: no compile command for %s" % rel)
            fail = 1
            continue
        args = shlex.split(ents[0]["command"])
        args[args.index("-o") + 1] = os.devnull
        args[1:1] = ["-include", header]
        r = subprocess.run(args, cwd=ents[0]["directory"],
                           capture_output=True, text=True)
        ok = r.returncode == 0
        unseen = "No such file or directory" in r.stderr and header in r.stderr
        if not ok and not allowed and not unseen:
            print("layering_build: %s with #include \"%s\" failed, but not "
                  "because the header is out of reach:\n%s" % (
                      rel, header, r.stderr[-600:]))
            fail = 1
        elif ok != allowed:
            print("layering_build: %s with #include \"%s\" %s" % (
                rel, header, "compiled, but the build must refuse it"
                if ok else "failed, but it is allowed:\n" + r.stderr[-600:]))
            fail = 1
        else:
            print("layering_build: %s + \"%s\": %s, as it must" % (
                rel, header, "compiles" if ok else "refused"))
    if not fail:
        print("layering_build: ok (%d cases)" % len(CASES))
    return fail


if __name__ == "__main__":
    sys.exit(main())
