#!/usr/bin/env bash
# image.sh - the container image (contrib/container/Containerfile), offline:
# built from the Debian base made by ct_base, run with a state volume on a
# network of this test's own; another container fetches the directory by the
# server's name trusting only the root in the volume (and fails without it);
# serve runs as a non-root user, logs JSON lines on stdout when the env asks,
# is healthy by the image's HEALTHCHECK, stops on SIGTERM with exit 0 and a
# closed store (no WAL left), and a new container on the same volume keeps
# the same root.
# Wall time: first build of the image ~6-8 min (apt-get in both stages and
# the compile), then ~1 min with the image cached.
# SPDX-License-Identifier: MIT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ct_setup
command -v openssl >/dev/null || ct_skip "openssl is not installed"
command -v python3 >/dev/null || ct_skip "python3 is not installed"
ct_base
ct_image
image=$CT_IMAGE

P="lact-img-$$"
NET="$P-net"
VOL="$P-vol"
SRV="$P-srv"		# container names; the public name is $SRV.test
NAME="$SRV.test"
MADE_CT=()
TMPD=$(mktemp -d)
cleanup() {
	local c
	for c in "${MADE_CT[@]}"; do
		ct_podman rm -f -t 0 "$c" >/dev/null 2>&1 || :
	done
	ct_podman volume rm -f "$VOL" >/dev/null 2>&1 || :
	ct_podman network rm -f "$NET" >/dev/null 2>&1 || :
	rm -rf "$TMPD"
}
trap cleanup EXIT

# podman healthcheck timers need systemd, which CI lacks: its complaints on
# stderr are noise, `podman healthcheck run` below runs the check itself.
run_srv() {	# NAME ARGS... : start the server container, record it
	local c=$1
	shift
	MADE_CT+=("$c")
	ct_podman run -d --name "$c" --hostname "$NAME" --network "$NET" \
	    --network-alias "$NAME" -v "$VOL:/var/lib/localacme" "$@" \
	    >/dev/null 2>"$TMPD/run.err" || {
		cat "$TMPD/run.err" >&2
		fail "podman run $c"
	}
}

# Wait (up to 3 min; a deadline, not a timing check) until the image's
# HEALTHCHECK passes; fail at once when the server has exited.
wait_healthy() {
	local c=$1 _
	for _ in $(seq 180); do
		if ct_podman healthcheck run "$c" >/dev/null 2>&1; then
			return 0
		fi
		if [ "$(ct_podman inspect --format '{{.State.Running}}' "$c")" \
		    != true ]; then
			ct_podman logs "$c" >&2 || :
			fail "$c exited before it was healthy"
		fi
		sleep 1
	done
	ct_podman logs "$c" >&2 || :
	fail "$c never became healthy"
}

# curl from another container on the network, as the image's own user.
client() {	# ARGS... (curl's)
	ct_podman run --rm --no-healthcheck --network "$NET" -v "$VOL:/st:ro" \
	    -v "$TMPD/other.pem:/other.pem:ro" --entrypoint curl "$image" "$@"
}

fingerprint() {
	ct_podman run --rm --no-healthcheck -v "$VOL:/st:ro" --entrypoint cat "$image" \
	    /st/root.pem | openssl x509 -noout -fingerprint -sha256
}

# A root that is not the server's, for the negative check.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMPD/other.key" -out "$TMPD/other.pem" -days 1 \
    -subj "/CN=not the localacme root" 2>/dev/null || fail "openssl req"
chmod 755 "$TMPD"
chmod 644 "$TMPD/other.pem"
ct_podman network create "$NET" >/dev/null
ct_podman volume create "$VOL" >/dev/null

# 1. first start: a new CA in the volume, JSON logs, the public name from
# the container's host name (the entrypoint's default).
run_srv "$SRV-1" -e LOCALACME_LOG_FORMAT=json "$image"
wait_healthy "$SRV-1"
[ "$(ct_podman inspect --format '{{.State.Health.Status}}' "$SRV-1")" = \
    healthy ] || fail "podman does not report $SRV-1 healthy"
ok "the image's HEALTHCHECK passes"

dir=$(client -fsS --cacert /st/root.pem "https://$NAME:8555/directory") ||
    fail "another container cannot fetch https://$NAME:8555/directory"
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
want = "https://" + sys.argv[2] + ":8555/"
for k in ("newNonce", "newAccount", "newOrder"):
    assert d[k].startswith(want), (k, d[k])
' "$dir" "$NAME" || fail "directory URLs do not name $NAME: $dir"
ok "another container reaches https://$NAME:8555/directory, URLs name $NAME"

# Only that root makes the TLS trusted: with another one curl refuses (60).
rc=0
client -sS -o /dev/null --cacert /other.pem "https://$NAME:8555/directory" \
    2>/dev/null || rc=$?
[ "$rc" -eq 60 ] || fail "trusting another root, curl exited $rc, not 60"
ok "trusting another root instead, the server is refused"

uid=$(ct_podman exec "$SRV-1" grep '^Uid:' /proc/1/status | awk '{print $2}')
comm=$(ct_podman exec "$SRV-1" cat /proc/1/comm)
[ "$uid" = 8555 ] || fail "serve runs as uid '$uid', not 8555"
[ "$comm" = localacme ] || fail "PID 1 is '$comm', not localacme"
ok "PID 1 is localacme, uid 8555 (not root)"

# JSON lines on stdout (the entrypoint sends stderr there).
ct_podman logs "$SRV-1" 2>/dev/null >"$TMPD/log1" || :
python3 - "$TMPD/log1" "$NAME" <<'PY' || fail "JSON logs on stdout: $(cat "$TMPD/log1")"
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert lines, "no line on stdout"
objs = [json.loads(l) for l in lines]	# every line is JSON
msgs = [o["msg"] for o in objs if "msg" in o]	# access lines have none
assert any("(new CA created)" in m for m in msgs), msgs
want = "serve: ACME directory at https://%s:8555/directory" % sys.argv[2]
assert want in msgs, msgs
PY
ok "JSON log lines on stdout (LOCALACME_LOG_FORMAT=json)"
fp1=$(fingerprint)

# 2. SIGTERM (podman stop): exit 0 well before the SIGKILL at 10 s, the
# stop logged, the store closed (SQLite removes the WAL on the last close).
ct_podman stop -t 10 "$SRV-1" >/dev/null 2>&1
code=$(ct_podman inspect --format '{{.State.ExitCode}}' "$SRV-1")
[ "$code" = 0 ] || fail "after podman stop the exit code is $code"
ct_podman logs "$SRV-1" 2>/dev/null | grep -q '"msg":"serve: stopping (signal 15)"' ||
    fail "no clean-stop line in the logs"
if ct_podman run --rm --no-healthcheck -v "$VOL:/st:ro" --entrypoint ls \
    "$image" /st |
    grep -q 'localacme.db-wal'; then
	fail "localacme.db-wal is left: the store was not closed"
fi
ok "podman stop: exit 0, 'serve: stopping (signal 15)', store closed"

# 3. a new container on the same volume: same root, no new CA; text logs;
# the public name from the flags this time.
run_srv "$SRV-2" "$image" --hostname "$NAME" --base-url "https://$NAME:8555"
wait_healthy "$SRV-2"
client -fsS -o /dev/null --cacert /st/root.pem "https://$NAME:8555/directory" ||
    fail "the restarted server is not reached with the volume's root"
fp2=$(fingerprint)
[ "$fp1" = "$fp2" ] || fail "root changed across restarts: $fp1 / $fp2"
ct_podman logs "$SRV-2" 2>/dev/null >"$TMPD/log2" || :
grep -q 'serve: state in /var/lib/localacme$' "$TMPD/log2" ||
    fail "second start: $(cat "$TMPD/log2")"
if grep -q '^{' "$TMPD/log2"; then
	fail "JSON logs without LOCALACME_LOG_FORMAT=json"
fi
ok "same volume, same root ($fp1), text logs by default"
ct_podman stop -t 10 "$SRV-2" >/dev/null 2>&1
[ "$(ct_podman inspect --format '{{.State.ExitCode}}' "$SRV-2")" = 0 ] ||
    fail "second stop: exit code not 0"
ok "container image"
