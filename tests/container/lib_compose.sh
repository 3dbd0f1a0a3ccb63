# shellcheck shell=bash
# lib_compose.sh - run a stack of contrib/compose/ for real with
# podman-compose and watch its prober (sourced after lib.sh, not run).
# SPDX-License-Identifier: MIT
#
#   cs_init STACK     ct_setup, the base image, the localacme image (ct_image),
#                     a project name of this run (CS_P), cd into the stack,
#                     and a trap that takes the stack down: containers,
#                     volumes and network of CS_P only
#   cs_up             podman-compose up -d (builds the stack's images the
#                     first time; later runs reuse them)
#   cs_logs SERVICE   that service's container log
#   cs_watch N MAXS   wait until the prober has seen N different
#                     certificates, no failed request allowed once the app
#                     first answered; fail after MAXS seconds. Prints when
#                     each certificate was first and last served.
#
# Certificates live CS_LIFETIME (default 2m: profile lifetimes with units),
# so the stack's own renewal (Caddy, certbot) runs while the test watches.

cs_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

cs_init() {
	CS_STACK=$1
	ct_setup
	command -v podman-compose >/dev/null 2>&1 ||
	    ct_skip "podman-compose is not installed"
	ct_base
	if [ -z "${LOCALACME_IMAGE:-}" ]; then
		ct_image
		LOCALACME_IMAGE=$CT_IMAGE
	fi
	export LOCALACME_IMAGE
	export CERT_LIFETIME=${CS_LIFETIME:-2m}
	# podman-compose builds with `podman build`: no runtime needed that way
	export BUILDAH_ISOLATION=chroot
	CS_P="lacs${CS_STACK//[^a-z0-9]/}$$"
	CS_LOGDIR=$(mktemp -d)
	cd "$LOCALACME_TEST_SRCDIR/contrib/compose/$CS_STACK" ||
	    cs_fail "no stack $CS_STACK"
	trap cs_down EXIT
}

cs_compose() {
	podman-compose -p "$CS_P" "$@"
}

# shellcheck disable=SC2046 # the lists are IDs and names, one word each
cs_down() {
	local rc=$? c
	set +e		# clean up all of it, whatever fails
	if [ "$rc" -ne 0 ]; then
		for c in $(podman ps -a --format '{{.Names}}' \
		    --filter "label=io.podman.compose.project=$CS_P"); do
			echo "--- log of $c (last 30 lines)"
			podman logs "$c" 2>&1 | tail -30
		done
	fi
	cs_compose down -v >/dev/null 2>&1
	podman rm -f $(podman ps -aq \
	    --filter "label=io.podman.compose.project=$CS_P") >/dev/null 2>&1
	podman volume rm $(podman volume ls -q \
	    --filter "label=io.podman.compose.project=$CS_P") >/dev/null 2>&1
	podman network rm $(podman network ls -q \
	    --filter "label=io.podman.compose.project=$CS_P") >/dev/null 2>&1
	rm -rf "$CS_LOGDIR"
	exit "$rc"
}

cs_up() {
	cs_compose up -d >"$CS_LOGDIR/up.log" 2>&1 || {
		tail -40 "$CS_LOGDIR/up.log"
		cs_fail "podman-compose up"
	}
}

cs_logs() {
	podman logs "${CS_P}_$1_1" 2>&1 || true	# not there yet: no lines
}

# The prober's lines: "<time> ok serial=<hex> notAfter=<date>",
# "<time> FAIL ...", "<time> wait ..." (before the first answer).
cs_watch() {
	local want=$1 maxs=$2 start n fails
	start=$(date +%s)
	while :; do
		cs_logs prober >"$CS_LOGDIR/prober.log"
		fails=$(grep -c ' FAIL ' "$CS_LOGDIR/prober.log" || true)
		n=$(awk '$2 == "ok" { print $3 }' "$CS_LOGDIR/prober.log" |
		    sort -u | wc -l)
		if [ "$fails" -ne 0 ] || [ "$n" -ge "$want" ] ||
		    [ $(($(date +%s) - start)) -ge "$maxs" ]; then
			break
		fi
		sleep 5
	done
	echo "prober: $(grep -c ' ok ' "$CS_LOGDIR/prober.log") requests answered," \
	    "$fails failed; certificates served (first seen .. last seen):"
	awk '$2 == "ok" { if (!($3 in first)) { first[$3] = $1; order[++k] = $3;
		end[$3] = $0; sub(/.*notAfter=/, "", end[$3]) } last[$3] = $1 }
	    END { for (i = 1; i <= k; i++) printf "  %s  %s .. %s  notAfter %s\n",
		order[i], first[order[i]], last[order[i]], end[order[i]] }' \
	    "$CS_LOGDIR/prober.log"
	if [ "$fails" -ne 0 ]; then
		grep ' FAIL ' "$CS_LOGDIR/prober.log" | head -5
		cs_fail "the prober saw $fails failed request(s)"
	fi
	[ "$n" -ge "$want" ] ||
	    cs_fail "only $n certificate(s) served in ${maxs}s, want $want"
	echo "ok: $n certificates served one after another, no failed request"
}
