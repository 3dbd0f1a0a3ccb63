#!/bin/sh
# healthcheck.sh - the image's HEALTHCHECK: the ACME directory answers over
# TLS that chains to the root in the state volume (so the CA is made, the
# listener is up and the server certificate is ours).
# SPDX-License-Identifier: MIT
set -eu

home=${LOCALACME_HOME:-/var/lib/localacme}
port=${LOCALACME_LISTEN%%,*}
port=${port##*:}
exec curl -fsS -o /dev/null --max-time 4 --cacert "$home/root.pem" \
    "https://localhost:${port:-8555}/directory"
