#!/bin/sh
# localacme.sh - the localacme service of a compose stack. As root: create
# the CA in the state volume once (as the image's user, uid 8555), publish
# its root - only the root; the keys stay in the state volume - to the
# trust volume the other services mount read-only, then drop to uid 8555
# and serve ACME to the compose network as https://acme.internal:8555.
# Settings: CERT_LIFETIME (default 10m) is the lifetime of every
# certificate issued here (profile "rehearsal", made the default).
# SPDX-License-Identifier: MIT
set -eu
state=${LOCALACME_HOME:-/var/lib/localacme}
export LOCALACME_HOME="$state"
as_user="setpriv --reuid=8555 --regid=8555 --clear-groups --"
chown 8555:8555 "$state"
$as_user localacme init >/dev/null
cp "$state/root.pem" /trust/root.pem.tmp
chmod 0644 /trust/root.pem.tmp
mv /trust/root.pem.tmp /trust/root.pem
exec $as_user localacme serve --listen 0.0.0.0:8555 \
    --base-url https://acme.internal:8555 --hostname acme.internal \
    --profile "rehearsal:${CERT_LIFETIME:-10m}" --default-profile rehearsal \
    "$@"
