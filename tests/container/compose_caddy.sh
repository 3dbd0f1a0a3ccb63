#!/bin/bash
# compose_caddy.sh - contrib/compose/caddy brought up with podman-compose as
# a reader would: Caddy gets app.internal's certificate from localacme
# (acme_ca, acme_ca_root) and proxies the example FastAPI app. Certificates
# live 2 min, so Caddy's own renewal replaces them while a prober in the
# network requests https://app.internal/ once a second trusting only the
# root. Pass: three different certificates served one after another, no
# failed request, nothing done by hand (issue #14 items 2, 3). The client
# service (root trusted by update-ca-certificates, REQUESTS_CA_BUNDLE,
# SSL_CERT_FILE) must have reached the app each way.
# Wall time: about 4 min once the images exist (227 s and 255 s measured,
# both at once under ctest -j2; the first build of their images: about
# 2 min more).
# SPDX-License-Identifier: MIT
set -euo pipefail
: "${LOCALACME_TEST_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$LOCALACME_TEST_SRCDIR/tests/container/lib.sh"
. "$LOCALACME_TEST_SRCDIR/tests/container/lib_compose.sh"

cs_init caddy
cs_up
cs_watch 3 300
for _ in $(seq 60); do		# the client calls every 5 s
	cs_logs client >"$CS_LOGDIR/client.log"
	[ "$(grep -c ': Hello, World!$' "$CS_LOGDIR/client.log")" -ge 3 ] && break
	sleep 2
done
for how in "system store (curl)" "REQUESTS_CA_BUNDLE (requests)" \
    "SSL_CERT_FILE (urllib)"; do
	grep -qF "client: $how: Hello, World!" "$CS_LOGDIR/client.log" || {
		tail -n 6 "$CS_LOGDIR/client.log"
		cs_fail "the client did not reach the app trusting the root by $how"
	}
	echo "ok: client trusting the root by $how got Hello, World!"
done
