#!/usr/bin/env bash
# log_json.sh - with --log-format json every line the server writes is valid JSON (strict
# UTF-8, RFC 8259 §8.1) even when a request's path holds bytes that are not UTF-8; the bad
# bytes appear as \u00XX and the valid text around them survives.
# SPDX-License-Identifier: MIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/lib_acme.sh"
e2e_init
e2e_require curl python3

acme_start --log-format json
# Raw bytes on the wire (TLS on loopback): a lone continuation byte, an overlong
# '/', 0xFF, a cut 3-byte sequence, valid UTF-8; and the same percent-encoded,
# which the server decodes before logging.
python3 - "$ACME_PORT" "$ACME_ROOT" <<'PY' || e2e_fail "could not send the requests"
import socket, ssl, sys
port, root = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=root)
for path in (b"/acme/x\x80y\xc0\xafz\xff\xe2\x82-caf\xc3\xa9", b"/acme/p%80q%C0%AFr%FF-caf%C3%A9"):
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n"
                      b"User-Agent: ua\xff\xfe\r\nConnection: close\r\n\r\n")
            while s.recv(4096):
                pass
PY
sleep 0.5
python3 - "$E2E_TMP/serve.log" <<'PY' || e2e_fail "a JSON log line is invalid: $(tail -5 "$E2E_TMP/serve.log")"
import json, sys
paths = []
for n, raw in enumerate(open(sys.argv[1], "rb").read().splitlines(), 1):
    line = raw.decode("utf-8")          # strict: invalid UTF-8 raises
    obj = json.loads(line)
    assert isinstance(obj, dict), n
    if "path" in obj:
        paths.append(obj["path"])
want = ["/acme/x\u0080y\u00c0\u00afz\u00ff\u00e2\u0082-caf\u00e9",
        "/acme/p\u0080q\u00c0\u00afr\u00ff-caf\u00e9"]
for w in want:
    assert w in paths, (w, paths)
print(f"{n} lines, all JSON; paths: {paths[-2:]!r}")
PY
grep -qF -- '\u00ff' "$E2E_TMP/serve.log" || e2e_fail "0xFF not written as \\u00ff"
e2e_ok "JSON log lines stay valid with invalid UTF-8 in the request path"
