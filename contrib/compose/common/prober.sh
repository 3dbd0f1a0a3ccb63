#!/bin/sh
# prober.sh URL - request URL over HTTPS once a second, trusting only the
# localacme root (/trust/root.pem, nothing from the system store), and log
# one line per request:
#   <UTC time> ok serial=<hex> notAfter=<date>    (the certificate served)
#   <UTC time> FAIL <what went wrong>
# Lines before the first answer say "wait" (the stack is still starting).
# SPDX-License-Identifier: MIT
set -u
url=$1
root=${PROBE_ROOT:-/trust/root.pem}
want=${PROBE_BODY:-Hello, World!}
up=0
info=
tmp=$(mktemp -d)
mkdir "$tmp/none"	# an empty CA directory: no system CA is trusted
while :; do
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	# -w %{certs}: the chain this very connection was served, after the body
	if [ -s "$root" ] && curl -sS --max-time 5 --cacert "$root" \
	    --capath "$tmp/none" -w '\n%{certs}' -o "$tmp/body" "$url" \
	    >"$tmp/certs" 2>"$tmp/err"; then
		if [ "$(cat "$tmp/body")" != "$want" ]; then
			what="wait"
			[ $up -eq 1 ] && what=FAIL
			echo "$now $what body: $(head -c 200 "$tmp/body")"
		else
			up=1
			# read the certificate only when it is not the last one
			sed -n '/BEGIN CERT/,/END CERT/p;/END CERT/q' "$tmp/certs" \
			    >"$tmp/leaf"
			if ! cmp -s "$tmp/leaf" "$tmp/last"; then
				info=$(openssl x509 -noout -serial -enddate \
				    -in "$tmp/leaf" 2>&1 | tr '\n' ' ')
				mv "$tmp/leaf" "$tmp/last"
			fi
			echo "$now ok ${info% }"
		fi
	elif [ $up -eq 0 ]; then
		echo "$now wait $(head -n 1 "$tmp/err")"
	else
		echo "$now FAIL $(head -n 1 "$tmp/err")"
	fi
	# the next request at the start of the next second
	sleep "$(date +%N | awk '{ printf "%.3f", (1e9 - $1) / 1e9 }')"
done
