#!/bin/sh
# certbot.sh - get a certificate for web.internal from localacme (http-01
# through nginx's webroot), then renew it in a loop; the deploy hook
# tells nginx to reload.
# Settings: RENEW_BEFORE_EXPIRY (certbot's renew_before_expiry, e.g.
# "30 days", "40 seconds"; default: half the first certificate's lifetime,
# so a loop that checks every few seconds on a busy machine is on time even
# for certificates of a minute or two), RENEW_CHECK (seconds between
# `certbot renew` runs, default 5).
# SPDX-License-Identifier: MIT
set -eu
name=web.internal
dir=https://acme.internal:8555/directory
conf=/etc/letsencrypt/renewal/$name.conf
export REQUESTS_CA_BUNDLE=/trust/root.pem	# certbot talks to the CA
until [ -s /trust/root.pem ] && curl -fsS --cacert /trust/root.pem \
    -o /dev/null "$dir" 2>/dev/null; do
	sleep 1
done
if [ ! -e "$conf" ]; then
	certbot certonly -n --quiet --agree-tos \
	    --register-unsafely-without-email --server "$dir" \
	    --webroot -w /var/www/acme -d "$name" \
	    --deploy-hook /compose/deploy-hook.sh
	rb=${RENEW_BEFORE_EXPIRY:-}
	if [ -z "$rb" ]; then
		end=$(openssl x509 -noout -enddate \
		    -in "/etc/letsencrypt/live/$name/cert.pem" | cut -d= -f2)
		rb="$(( ($(date -d "$end" +%s) - $(date +%s)) / 2 )) seconds"
	fi
	# a top-level key of the renewal configuration (certbot parses it
	# with parsedatetime: "N seconds", "N minutes", "N days")
	sed -i "1i renew_before_expiry = $rb" "$conf"
	echo "certbot: renew_before_expiry = $rb"
fi
while :; do
	certbot renew -n --quiet --no-random-sleep-on-renew || true
	sleep "${RENEW_CHECK:-5}"
done
