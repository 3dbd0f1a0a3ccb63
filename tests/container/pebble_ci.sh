#!/usr/bin/env bash
# pebble_ci.sh - the CI service snippets of docs/pebble.md, run as written:
# the GitHub Actions and GitLab CI blocks are read from the page (a change
# there changes what runs here), the service is the image with exactly the
# block's variables (and, for GitHub, its ports), and the block's own steps
# run with the host's lego and openssl:
#   GitHub: a step calling `docker` runs on the host with docker = podman and
#     ${{ job.services.acme.id }} = the service container; the other steps
#     run in a container sharing the service's network namespace, so that
#     localhost:8555 and :15000 are the service, as on a runner. The ports
#     the block publishes are published too (on 127.0.0.1, podman's choice
#     of host port) and answer with the API's names (curl --connect-to).
#   GitLab: the service runs on a network of this test's with the block's
#     alias; the script runs in a job container on that network.
# Then the certificate lego got must chain to root.pem in the service's
# volume, and not to another root. The image's LOCALACME_INIT_* variables
# (the blocks ask for a CA without name constraints: app.example.com) are
# checked on the root, and a bad value stops the container with exit 2.
# Wall time: ~1 min with the image cached (+ container.image's build, 6-8
# min the first time on a machine).
# SPDX-License-Identifier: MIT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

ct_setup
for t in python3 lego openssl curl; do
	command -v "$t" >/dev/null || ct_skip "$t is not installed"
done
python3 -c 'import yaml' 2>/dev/null || ct_skip "python3-yaml is not installed"
LEGO=$(command -v lego)
OPENSSL=$(command -v openssl)
DOC="$CT_SRCDIR/docs/pebble.md"
ct_base
ct_image
image=$CT_IMAGE

P="lact-peb-$$"
NET="$P-net"
VOL="$P-vol"
MADE_CT=()
TMPD=$(mktemp -d)
cleanup() {
	local c
	for c in "${MADE_CT[@]}"; do
		ct_podman rm -f -v -t 0 "$c" >/dev/null 2>&1 || :
	done
	ct_podman network rm -f "$NET" >/dev/null 2>&1 || :
	ct_podman volume rm -f "$VOL" >/dev/null 2>&1 || :
	rm -rf "$TMPD"
}
trap cleanup EXIT
chmod 755 "$TMPD"

# 1. The blocks, from the page: one file per piece, so that bash reads no
# YAML. gh/env and gl/env: NAME=VALUE lines; gh/ports: HOST:CONTAINER
# lines; gh/step.N: a step's `run`; gl/script: the script, a command a line.
python3 - "$DOC" "$TMPD" <<'PY' || fail "the CI blocks of docs/pebble.md"
import os, re, sys, yaml
doc, out = sys.argv[1], sys.argv[2]
text = open(doc, encoding="utf-8").read()

def block(tag):
    m = re.search(r"<!-- ci:%s\b[^\n]*-->\n```yaml\n(.*?)\n```" % tag, text, re.S)
    assert m, "no ```yaml block after <!-- ci:%s -->" % tag
    return yaml.safe_load(m.group(1))

def put(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(l + "\n" for l in lines))

def envlines(d):
    for k, v in d.items():
        assert re.fullmatch(r"LOCALACME_[A-Z0-9_]+", k), k
        assert isinstance(v, str), "%s: quote the value, as CI wants strings" % k
    return ["%s=%s" % kv for kv in d.items()]

gh = block("github-actions")
(job,) = gh["jobs"].values()
(name, svc), = job["services"].items()
assert name == "acme", "the steps name job.services.acme"
put(out + "/gh/env", envlines(svc["env"]))
ports = [str(p) for p in svc["ports"]]
for p in ports:
    h, c = p.split(":")
    assert h == c and c.isdigit(), "port %s: same number on the host" % p
put(out + "/gh/ports", ports)
steps = [s["run"] for s in job["steps"]]
assert len(steps) >= 2, steps
# The steps run on the runner: every localhost port they use is published.
for p in re.findall(r"localhost:(\d+)", "\n".join(steps)):
    assert "%s:%s" % (p, p) in ports, "steps use localhost:%s, not in ports" % p
for i, s in enumerate(steps):
    put(out + "/gh/step.%d" % i, [s.replace("${{ job.services.acme.id }}", "$ACME_ID")])

gl = block("gitlab-ci")
(job,) = gl.values()
(svc,) = job["services"]
put(out + "/gl/env", envlines(svc["variables"]))
put(out + "/gl/alias", [svc["alias"]])
put(out + "/gl/script", [str(c) for c in job["script"]])
PY
ok "docs/pebble.md: a GitHub Actions and a GitLab CI block"

# Wait (a deadline of 3 min, not a timing check) for the image's
# HEALTHCHECK; fail at once when the server has exited.
wait_healthy() {
	local c=$1 _
	for _ in $(seq 180); do
		ct_podman healthcheck run "$c" >/dev/null 2>&1 && return 0
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

# A container of the image as a CI job: root (the work directory is the
# host's), the host's lego and openssl, bash as GitHub and GitLab run steps.
job() {	# NETWORK-OPTION WORKDIR SCRIPT
	ct_podman run --rm --no-healthcheck "$1" --user 0 \
	    -v "$2:/work" -w /work -v "$LEGO:/usr/local/bin/lego:ro" \
	    -v "$OPENSSL:/usr/local/bin/openssl:ro" --entrypoint bash "$image" \
	    --noprofile --norc -eo pipefail -c "$3"
}

# The issued certificate chains to the volume's root, and not to another.
check_chain() {	# CONTAINER WORKDIR
	local c=$1 w=$2 crt=$2/.lego/certificates/app.example.com
	ct_podman cp "$c:/var/lib/localacme/root.pem" "$TMPD/vol-root.pem"
	openssl verify -CAfile "$TMPD/vol-root.pem" -untrusted "$crt.issuer.crt" \
	    "$crt.crt" >/dev/null || fail "$c: the certificate does not chain to the volume's root"
	if openssl verify -CAfile "$TMPD/other.pem" -untrusted "$crt.issuer.crt" \
	    "$crt.crt" >/dev/null 2>&1; then
		fail "$c: the certificate verifies against another root"
	fi
	cmp -s "$TMPD/vol-root.pem" "$w/localacme-root.pem" ||
	    fail "$c: the root the job used is not the volume's root.pem"
	# The CA the block asked for: no name constraints on the root.
	if openssl x509 -in "$TMPD/vol-root.pem" -noout -ext nameConstraints \
	    2>/dev/null |
	    grep -q .; then
		fail "$c: LOCALACME_INIT_NO_NAME_CONSTRAINTS=true left name constraints"
	fi
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$TMPD/other.key" -out "$TMPD/other.pem" -days 1 \
    -subj "/CN=not the localacme root" 2>/dev/null || fail "openssl req"

# 2. GitHub Actions: the service with the block's env and ports.
args=()
while IFS= read -r kv; do args+=(-e "$kv"); done <"$TMPD/gh/env"
while IFS= read -r p; do args+=(-p "127.0.0.1::${p#*:}"); done <"$TMPD/gh/ports"
SRV="$P-gh"
MADE_CT+=("$SRV")
ct_podman run -d --name "$SRV" "${args[@]}" "$image" >/dev/null 2>"$TMPD/run.err" ||
    fail "podman run $SRV: $(cat "$TMPD/run.err")"
wait_healthy "$SRV"
ok "GitHub Actions service healthy: ${args[*]}"

mkdir -m 755 "$TMPD/gh/work" "$TMPD/bin"
printf '#!/bin/sh\nexec podman "$@"\n' >"$TMPD/bin/docker"
chmod 755 "$TMPD/bin/docker"
for s in "$TMPD"/gh/step.*; do
	if grep -q 'docker ' "$s"; then
		(cd "$TMPD/gh/work" && ACME_ID=$SRV PATH="$TMPD/bin:$PATH" \
		    bash --noprofile --norc -eo pipefail "$s") ||
		    fail "GitHub step on the runner: $(cat "$s")"
	else
		job "--network=container:$SRV" "$TMPD/gh/work" "$(cat "$s")" \
		    >"$TMPD/gh/out" 2>&1 || {
			tail -20 "$TMPD/gh/out" >&2
			fail "GitHub step: $(cat "$s")"
		}
	fi
	ok "GitHub step ran: $(head -1 "$s")"
done
check_chain "$SRV" "$TMPD/gh/work"
ok "GitHub: lego's certificate for app.example.com chains to the volume's root only"

# The published ports answer on the host, with the names the API uses.
while IFS= read -r p; do
	c=${p#*:}
	hp=$(ct_podman port "$SRV" "$c/tcp" | head -1)
	hp=${hp##*:}
	path=/directory
	[ "$c" = 8555 ] || path=/roots/0
	curl -fsS -o /dev/null --cacert "$TMPD/vol-root.pem" \
	    --connect-to "localhost:$c:127.0.0.1:$hp" "https://localhost:$c$path" ||
	    fail "published port $c (host 127.0.0.1:$hp): https://localhost:$c$path"
	ok "published port $c answers https://localhost:$c$path"
done <"$TMPD/gh/ports"

# 3. GitLab CI: the service under its alias on a network, the script in a
# job container on the same network.
ct_podman network create "$NET" >/dev/null
args=()
while IFS= read -r kv; do args+=(-e "$kv"); done <"$TMPD/gl/env"
alias=$(cat "$TMPD/gl/alias")
SRV="$P-gl"
MADE_CT+=("$SRV")
ct_podman run -d --name "$SRV" --network "$NET" --network-alias "$alias" \
    "${args[@]}" "$image" >/dev/null 2>"$TMPD/run.err" ||
    fail "podman run $SRV: $(cat "$TMPD/run.err")"
wait_healthy "$SRV"
ok "GitLab CI service healthy as $alias: ${args[*]}"
mkdir -m 755 "$TMPD/gl/work"
job "--network=$NET" "$TMPD/gl/work" "$(cat "$TMPD/gl/script")" \
    >"$TMPD/gl/out" 2>&1 || {
	tail -20 "$TMPD/gl/out" >&2
	fail "GitLab script: $(cat "$TMPD/gl/script")"
}
ok "GitLab script ran ($(wc -l <"$TMPD/gl/script") commands)"
check_chain "$SRV" "$TMPD/gl/work"
ok "GitLab: lego's certificate for app.example.com chains to the volume's root only"

# 4. A bad LOCALACME_INIT_* value stops the container: exit 2, one line.
rc=0
out=$(ct_podman run --rm --no-healthcheck \
    -e LOCALACME_INIT_NO_NAME_CONSTRAINTS=yes "$image" 2>&1) || rc=$?
[ "$rc" -eq 2 ] || fail "LOCALACME_INIT_NO_NAME_CONSTRAINTS=yes: exit $rc, not 2"
[ "$out" = 'localacme: LOCALACME_INIT_NO_NAME_CONSTRAINTS must be true or false, not "yes"' ] ||
    fail "LOCALACME_INIT_NO_NAME_CONSTRAINTS=yes said: $out"
ok "a bad LOCALACME_INIT_NO_NAME_CONSTRAINTS: exit 2, one line"

# 5. LOCALACME_INIT_KEY_TYPE and _PERMIT make the first CA of a volume;
# on a volume that has one they change nothing.
ct_podman volume create "$VOL" >/dev/null
initsrv() {	# NAME ENV...
	local c=$1
	shift
	MADE_CT+=("$c")
	ct_podman run -d --name "$c" -v "$VOL:/var/lib/localacme" "$@" "$image" \
	    >/dev/null 2>"$TMPD/run.err" || fail "podman run $c: $(cat "$TMPD/run.err")"
	wait_healthy "$c"
	ct_podman cp "$c:/var/lib/localacme/root.pem" "$TMPD/$c.pem"
	ct_podman rm -f -t 10 "$c" >/dev/null 2>&1
}
initsrv "$P-i1" -e LOCALACME_INIT_KEY_TYPE=ec384 \
    -e LOCALACME_INIT_PERMIT=corp.example,100.64.0.0/10
openssl x509 -in "$TMPD/$P-i1.pem" -noout -text >"$TMPD/i1.txt"
grep -q 'NIST CURVE: P-384' "$TMPD/i1.txt" || fail "LOCALACME_INIT_KEY_TYPE=ec384: $(cat "$TMPD/i1.txt")"
for want in DNS:corp.example IP:100.64.0.0/255.192.0.0; do
	grep -q "$want" "$TMPD/i1.txt" ||
	    fail "LOCALACME_INIT_PERMIT: no $want in $(cat "$TMPD/i1.txt")"
done
ok "LOCALACME_INIT_KEY_TYPE=ec384, LOCALACME_INIT_PERMIT=corp.example,100.64.0.0/10"
initsrv "$P-i2" -e LOCALACME_INIT_NO_NAME_CONSTRAINTS=true
cmp -s "$TMPD/$P-i1.pem" "$TMPD/$P-i2.pem" ||
    fail "LOCALACME_INIT_* on a volume with a CA made a new root"
ok "LOCALACME_INIT_* change nothing on a volume with a CA"
ok "docs/pebble.md CI snippets"
