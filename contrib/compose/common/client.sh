#!/bin/sh
# client.sh URL - an app container that trusts the localacme root and calls
# another service over HTTPS. The root is mounted read-only at
# /trust/root.pem; three common ways to trust it, each tried every 5 s:
#   1. update-ca-certificates at start: curl, OpenSSL, Python's ssl, ...
#      then trust it with no option at all (the system store);
#   2. REQUESTS_CA_BUNDLE=/trust/root.pem for Python requests;
#   3. SSL_CERT_FILE=/trust/root.pem for anything on OpenSSL's defaults
#      (Python's urllib here). Node.js: NODE_EXTRA_CA_CERTS=/trust/root.pem.
# SPDX-License-Identifier: MIT
set -u
url=$1
until [ -s /trust/root.pem ]; do sleep 1; done
cp /trust/root.pem /usr/local/share/ca-certificates/localacme-root.crt
if update-ca-certificates >/dev/null 2>&1; then
	echo "client: the root is in the system store"
else
	echo "client: update-ca-certificates failed"
fi
while :; do
	out=$(curl -fsS --max-time 5 "$url" 2>&1) && echo "client: system store (curl): $out" ||
	    echo "client: system store (curl) FAIL: $out"
	out=$(REQUESTS_CA_BUNDLE=/trust/root.pem python3 -c '
import sys, requests
print(requests.get(sys.argv[1], timeout=5).text)' "$url" 2>&1 | tail -1) &&
	    echo "client: REQUESTS_CA_BUNDLE (requests): $out"
	out=$(SSL_CERT_FILE=/trust/root.pem python3 -c '
import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$url" 2>&1 | tail -1) &&
	    echo "client: SSL_CERT_FILE (urllib): $out"
	sleep 5
done
