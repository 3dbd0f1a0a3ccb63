#!/bin/sh
# entrypoint.sh - the container's entrypoint: `localacme serve` by default.
# SPDX-License-Identifier: MIT
#
#   (no arguments) or options only   localacme serve [options]
#   COMMAND [args]                   localacme COMMAND [args] (init, list...)
# The public name of serve: LOCALACME_BASE_URL and LOCALACME_HOSTNAMES, or
# the --base-url/--hostname flags (which win over both). Unset, it is the
# container's host name when that is a dotted name (`podman run --hostname
# acme.test --network-alias acme.test ...`: other containers on the network
# reach it by that name; the CA's policy must allow it, see `localacme init
# --help`), else localhost (for `-p 8555:8555` on the host).
# Logs (stderr) go to stdout; exec keeps localacme the process that gets
# SIGTERM, on which serve stops cleanly.
set -eu

case "${1:-}" in
"" | -*) set -- serve "$@" ;;
esac
if [ "$1" = serve ]; then
	name=$(cat /proc/sys/kernel/hostname 2>/dev/null || :)
	listen=${LOCALACME_LISTEN%%,*}
	port=${listen##*:}
	case "$name" in
	*.*)
		: "${LOCALACME_HOSTNAMES:=$name}"
		: "${LOCALACME_BASE_URL:=https://$name:${port:-8555}}"
		export LOCALACME_HOSTNAMES LOCALACME_BASE_URL
		;;
	esac
fi
exec /usr/local/bin/localacme "$@" 2>&1
