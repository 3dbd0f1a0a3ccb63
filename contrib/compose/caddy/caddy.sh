#!/bin/sh
# caddy.sh - wait until the root is published and the ACME directory
# answers (Caddy would otherwise back off for a minute), then run Caddy.
# SPDX-License-Identifier: MIT
set -eu
until [ -s /trust/root.pem ] && curl -fsS --cacert /trust/root.pem \
    -o /dev/null https://acme.internal:8555/directory 2>/dev/null; do
	sleep 1
done
exec caddy run --config /etc/caddy/Caddyfile --adapter caddyfile
