#!/bin/sh
# deploy-hook.sh - certbot runs this after each new certificate
# ($RENEWED_LINEAGE): log it and write the stamp nginx.sh watches.
# SPDX-License-Identifier: MIT
set -eu
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
info=$(openssl x509 -noout -serial -enddate -in "$RENEWED_LINEAGE/cert.pem" |
    tr '\n' ' ')
echo "deploy-hook: $now new certificate ${info% }" >/proc/1/fd/1
echo "$now ${info% }" >/etc/letsencrypt/deployed.tmp
mv /etc/letsencrypt/deployed.tmp /etc/letsencrypt/deployed
