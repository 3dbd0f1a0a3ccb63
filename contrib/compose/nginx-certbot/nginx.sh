#!/bin/sh
# nginx.sh - run nginx, and reload it whenever certbot's deploy hook has
# written a new stamp (/etc/letsencrypt/deployed): the first time, HTTPS
# is switched on. nginx and certbot are separate containers; the stamp in
# their shared volume is how the hook reaches nginx.
# SPDX-License-Identifier: MIT
set -u
cp /compose/http.conf /etc/nginx/conf.d/http.conf
nginx || exit 1
stamp=/etc/letsencrypt/deployed
last=
while kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; do
	cur=$(cat "$stamp" 2>/dev/null)
	if [ -n "$cur" ] && [ "$cur" != "$last" ]; then
		cp /compose/https.conf /etc/nginx/conf.d/https.conf
		if nginx -t -q && nginx -s reload; then
			echo "nginx: reloaded for the certificate deployed at $cur"
		fi
		last=$cur
	fi
	sleep 1
done
echo "nginx: exited"
exit 1
