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
# A new CA's options are `localacme init` flags, not settings; for a
# container that takes no arguments (a CI service) they are variables too,
# read only when the volume holds no CA yet (serve then finds the CA made):
#   LOCALACME_INIT_KEY_TYPE=ec384                 --key-type
#   LOCALACME_INIT_PERMIT=corp.example,10.0.0.0/8 --permit, each
#   LOCALACME_INIT_NO_NAME_CONSTRAINTS=true       --no-name-constraints
set -eu

init_from_env() {
	set --
	if [ -n "${LOCALACME_INIT_KEY_TYPE:-}" ]; then
		set -- "$@" --key-type "$LOCALACME_INIT_KEY_TYPE"
	fi
	old_ifs=$IFS
	IFS=,
	for p in ${LOCALACME_INIT_PERMIT:-}; do
		[ -n "$p" ] && set -- "$@" --permit "$p"
	done
	IFS=$old_ifs
	case "${LOCALACME_INIT_NO_NAME_CONSTRAINTS:-}" in
	"" | false | 0) ;;
	true | 1) set -- "$@" --no-name-constraints ;;
	*)
		echo "localacme: LOCALACME_INIT_NO_NAME_CONSTRAINTS must be" \
		    "true or false, not \"$LOCALACME_INIT_NO_NAME_CONSTRAINTS\""
		exit 2
		;;
	esac
	[ "$#" -gt 0 ] || return 0
	[ -e "${LOCALACME_HOME:-/var/lib/localacme}/root.pem" ] && return 0
	/usr/local/bin/localacme init "$@" 2>&1
}

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
	init_from_env
fi
exec /usr/local/bin/localacme "$@" 2>&1
