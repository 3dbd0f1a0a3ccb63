#!/bin/bash
# deb.sh - container.deb: build the .deb, install it with apt into a clean
# Debian root, and run localacme there: --version, an issue, and the system
# unit's own ExecStart as its user under the unit's restrictions (emulated);
# then the unit under systemd in a podman container
# SPDX-License-Identifier: MIT
#
# Environment (set by CTest): LOCALACME (the built binary, used as the ACME
# client: `localacme bench`), LOCALACME_BUILD_DIR (CPackConfig.cmake),
# LOCALACME_TEST_SRCDIR, LOCALACME_VERSION.
#
# The root is the mmdebstrap minbase bookworm tarball of tests/container/lib.sh
# (ct_base), unpacked into a temp dir and entered with chroot, in a private
# mount namespace (unshare -m) so every mount goes away with it. apt-get
# fetches the package's run-time dependencies from the Debian mirror (the
# one network use outside loopback, as ct_base's own); the build tree is not
# visible in the chroot, so the package must stand alone.
#
# systemd is not PID 1 on the CI machine. First, in the chroot, the unit's
# ExecStart line runs by hand as User=localacme through setpriv (no new privileges,
# empty bounding and inheritable capability sets, UMask 077), in
# /var/lib/localacme made as StateDirectory= makes it, with the rest of the
# root read-only (ProtectSystem=strict), an empty /tmp (PrivateTmp) and /home
# and /root hidden (ProtectHome); under strace, every system call it makes
# must pass the unit's SystemCallFilter= (tests/packaging/syscalls.py).
# Traffic: loopback; the container's own network; apt's mirror (as ct_base).
# Then the same package beside systemd in a podman container where systemd
# is PID 1, on a network the test makes: the README's recipes (encrypted
# root + LoadCredential=, port 443), enable --now, issuances, a clean stop.
# Wall time: 90-130 s on the loaded 2-core CI machine (cpack 25-55 s, as its
# preinstall step checks every target; apt-get 20-30 s twice).
set -euo pipefail

SRC=${LOCALACME_TEST_SRCDIR:?} BUILD=${LOCALACME_BUILD_DIR:?}
VERSION=${LOCALACME_VERSION:?}
# shellcheck source=../container/lib.sh
. "$SRC/tests/container/lib.sh"
# shellcheck source=../e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
e2e_init
ct_setup
command -v unshare >/dev/null 2>&1 || ct_skip "unshare (util-linux) is not installed"
command -v cpack >/dev/null 2>&1 || ct_skip "cpack is not installed"

# The base tarball (the same one the container image is built from).
ct_base_tar
TAR=$CT_BASE_TAR

# 1. the package, from the configured build (the same files `cmake --build
#    build --target package` makes, written into our temp dir)
PKG=$E2E_TMP/pkg
mkdir -p "$PKG"
(cd "$BUILD" && cpack --config CPackConfig.cmake -B "$PKG" >"$E2E_TMP/cpack.log" 2>&1) ||
    { cat "$E2E_TMP/cpack.log" >&2; e2e_fail "cpack failed"; }
DEB=$(ls "$PKG"/localacme_"$VERSION"_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || e2e_fail "no localacme_${VERSION}_*.deb in $PKG"
e2e_ok "built $(basename "$DEB") ($(stat -c %s "$DEB") bytes) [${SECONDS}s]"
dpkg-deb -c "$DEB" >"$E2E_TMP/contents"
for f in ./usr/bin/localacme ./usr/lib/systemd/system/localacme.service \
    ./usr/lib/systemd/user/localacme.service ./usr/lib/sysusers.d/localacme.conf \
    ./etc/localacme/localacme.conf ./usr/share/man/man1/localacme.1.gz \
    ./usr/share/doc/localacme/examples/localacme.conf.example \
    ./usr/share/doc/localacme/examples/root-passphrase.conf; do
	grep -q " $f\$" "$E2E_TMP/contents" || e2e_fail "the package lacks $f"
done
dpkg-deb -f "$DEB" Depends | grep -q 'libssl3' ||
    e2e_fail "Depends has no libssl3 (dpkg-shlibdeps not run?): $(dpkg-deb -f "$DEB" Depends)"
dpkg-deb --ctrl-tarfile "$DEB" | tar -tf - | grep -qx './conffiles' ||
    e2e_fail "no conffiles: /etc/localacme/localacme.conf would be overwritten"
e2e_ok "contents: program, units, sysusers, /etc conffile, man page, examples; Depends from dpkg-shlibdeps [${SECONDS}s]"

# 2. a clean Debian root with the package installed by apt (dependencies
#    from the mirror)
ROOT=$E2E_TMP/root
mkdir "$ROOT"
tar -xf "$TAR" -C "$ROOT"
cp "$DEB" "$ROOT/tmp/"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
# inroot CMD...: CMD in the chroot with /proc, in a mount namespace of its own.
inroot() {
	unshare -m -- sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' \
	    "$ROOT" "$@"
}
inroot sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends /tmp/$(basename "$DEB")" \
    >"$E2E_TMP/apt.log" 2>&1 || { tail -20 "$E2E_TMP/apt.log" >&2; e2e_fail "apt-get install failed"; }
e2e_ok "apt-get install ./$(basename "$DEB") in a clean bookworm root [${SECONDS}s]"

# 3. the program runs there, and knows its version
got=$(inroot localacme --version)
[ "$got" = "localacme $VERSION" ] || e2e_fail "--version printed '$got', not 'localacme $VERSION'"
inroot ldd /usr/bin/localacme >"$E2E_TMP/ldd" 2>&1
! grep -q 'not found' "$E2E_TMP/ldd" || { cat "$E2E_TMP/ldd" >&2; e2e_fail "a library is missing"; }
e2e_ok "localacme --version: $got; every library found [${SECONDS}s]"
inroot sh -c 'mkdir -p /srv/certs && cd /srv/certs &&
    localacme issue --state /srv/ca app.test 127.0.0.1' >"$E2E_TMP/issue.log" 2>&1 ||
    { cat "$E2E_TMP/issue.log" >&2; e2e_fail "localacme issue failed in the root"; }
openssl verify -CAfile "$ROOT/srv/ca/root.pem" -untrusted "$ROOT/srv/certs/app.test+1.pem" \
    -verify_hostname app.test "$ROOT/srv/certs/app.test+1.pem" >/dev/null ||
    e2e_fail "the issued certificate does not verify against the root"
e2e_ok "localacme issue app.test 127.0.0.1: the certificate verifies (openssl verify, hostname app.test) [${SECONDS}s]"

# 4. what the package set up for the unit
inroot getent passwd localacme >"$E2E_TMP/user" || e2e_fail "postinst made no user localacme"
e2e_ok "user: $(cat "$E2E_TMP/user") [${SECONDS}s]"
inroot man -w localacme >/dev/null 2>&1 || [ -s "$ROOT/usr/share/man/man1/localacme.1.gz" ] ||
    e2e_fail "no man page installed"
zcat "$ROOT/usr/share/man/man1/localacme.1.gz" | grep -q 'localacme serve' ||
    e2e_fail "the man page lacks the serve command's help"

# 5. the system unit's ExecStart, as the unit runs it
UNIT=$ROOT/usr/lib/systemd/system/localacme.service
EXEC=$(sed -n 's/^ExecStart=//p' "$UNIT")
case "$EXEC" in
*"serve"*"--state /var/lib/localacme"*) ;;
*) e2e_fail "unexpected ExecStart: $EXEC" ;;
esac
grep -qx 'StateDirectory=localacme' "$UNIT" || e2e_fail "the unit has no StateDirectory=localacme"
# StateDirectory=localacme, StateDirectoryMode=0700: systemd makes it so.
inroot install -d -m 0700 -o localacme -g localacme /var/lib/localacme
PORT=$(e2e_free_port)
cat >"$ROOT/tmp/unit.sh" <<INNER
#!/bin/sh
# Run inside the namespace, before chroot: the unit's file-system view.
set -e
R=$ROOT
mount --bind "\$R" "\$R"                           # ProtectSystem=strict:
mount -o remount,bind,ro "\$R"                    #   the root read-only,
mount --bind "\$R/var/lib/localacme" "\$R/var/lib/localacme"
mount -o remount,bind,rw "\$R/var/lib/localacme"  #   but StateDirectory=
mount -t proc proc "\$R/proc"
mount -t tmpfs -o mode=1777 tmpfs "\$R/tmp"                # PrivateTmp=yes
mount -t tmpfs -o ro,mode=0755 tmpfs "\$R/home"            # ProtectHome=yes
mount -t tmpfs -o ro,mode=0700 tmpfs "\$R/root"
exec chroot "\$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    LOCALACME_LISTEN=127.0.0.1:$PORT LOCALACME_VALIDATION=skip \
    setpriv --reuid=localacme --regid=localacme --clear-groups \
    --no-new-privs --bounding-set=-all --inh-caps=-all \
    sh -c 'umask 077; exec \$0 "\$@"' $EXEC
INNER
cp "$ROOT/tmp/unit.sh" "$E2E_TMP/unit.sh"
# No --fork: unit.sh execs down to serve, so one PID is the server itself.
# Under strace (when installed) to check its system calls against the
# unit's SystemCallFilter= (syscalls.py); the server is then strace's child.
TRACE=()
if command -v strace >/dev/null 2>&1; then
	TRACE=(strace -f -qq -o "$E2E_TMP/strace.log")
fi
e2e_start serve "${TRACE[@]}" unshare -m -- sh "$E2E_TMP/unit.sh"
for _ in $(seq 600); do
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	kill -0 "$E2E_PID" 2>/dev/null || {
		cat "$E2E_TMP/serve.log" >&2
		e2e_fail "the unit's ExecStart exited before listening"; }
	sleep 0.1
done
e2e_wait_port "$PORT" 1
# The state is the service user's alone.
STATE=$ROOT/var/lib/localacme
uid=$(inroot id -u localacme)
[ "$(stat -c %u "$STATE/root.pem")" = "$uid" ] || e2e_fail "root.pem is not owned by localacme"
[ "$(e2e_mode "$STATE/intermediate.key")" = 600 ] || e2e_fail "intermediate.key is not 0600"
[ -f "$STATE/localacme.db" ] || e2e_fail "no localacme.db in /var/lib/localacme"
# A real ACME client (RFC 8555 issuances) against the service.
"$LOCALACME" bench --directory "https://localhost:$PORT/directory" \
    --cacert "$STATE/root.pem" --orders 3 --concurrency 1 --quiet \
    --json "$E2E_TMP/bench.json" >"$E2E_TMP/bench.log" 2>&1 ||
    { cat "$E2E_TMP/bench.log" "$E2E_TMP/serve.log" >&2; e2e_fail "bench against the unit's server failed"; }
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["issued"] == 3 and d["failed"] == 0 else 1)' \
    "$E2E_TMP/bench.json" 2>/dev/null || {
	cat "$E2E_TMP/bench.json" >&2; e2e_fail "bench did not complete 3 issuances"; }
e2e_ok "ExecStart ($EXEC) as localacme, read-only root, no capabilities: 3 ACME issuances [${SECONDS}s]"
# The README's way to use the service's CA meanwhile: as its user.
inroot setpriv --reuid=localacme --regid=localacme --clear-groups \
    localacme list --state /var/lib/localacme >"$E2E_TMP/list" 2>&1 ||
    { cat "$E2E_TMP/list" >&2; e2e_fail "localacme list as localacme failed"; }
[ "$(grep -c 'bench.test' "$E2E_TMP/list")" -eq 3 ] ||
    { cat "$E2E_TMP/list" >&2; e2e_fail "list as localacme does not show the 3 certificates"; }
e2e_ok "localacme list as localacme, beside the running service: 3 certificates [${SECONDS}s]"
if [ ${#TRACE[@]} -gt 0 ]; then
	# SIGTERM to the server (strace's child, ours), as systemctl stop does.
	SERVE_PID=$(pgrep -P "$E2E_PID" | head -1)
	[ -n "$SERVE_PID" ] || e2e_fail "no server under strace"
	kill -TERM "$SERVE_PID"
fi
e2e_stop "$E2E_PID"
if [ ${#TRACE[@]} -gt 0 ]; then
	python3 "$SRC/tests/packaging/syscalls.py" "$UNIT" "$E2E_TMP/strace.log" \
	    >"$E2E_TMP/syscalls" || e2e_fail "serve needs a system call the unit refuses"
	e2e_ok "every system call serve made is allowed by the unit's SystemCallFilter= ($(cut -d' ' -f1 "$E2E_TMP/syscalls") calls) [${SECONDS}s]"
else
	echo "note: strace is not installed: SystemCallFilter= not checked"
fi
grep -qi 'read-only\|permission denied' "$E2E_TMP/serve.log" &&
    e2e_fail "serve hit a restriction: $(grep -i 'read-only\|permission denied' "$E2E_TMP/serve.log" | head -1)"
# 6. under systemd itself, in a podman container (systemd as PID 1), on a
#    network this test makes: the README's recipes as written (root instead
#    of sudo): an encrypted root whose passphrase comes as a credential
#    (LoadCredential=), port 443 (low-port.conf), enable --now, 3
#    issuances, a clean stop.
CT_NAME=la-deb-$$
CT_NET=la-deb-$$
deb_cleanup() {
	ct_podman rm -f -t 2 "$CT_NAME" >/dev/null 2>&1 || true
	ct_podman network rm -f "$CT_NET" >/dev/null 2>&1 || true
	_e2e_cleanup
}
trap deb_cleanup EXIT
ct_podman network create "$CT_NET" >/dev/null
ct_podman run -d --name "$CT_NAME" --network "$CT_NET" --systemd=always \
    -v "$PKG:/pkg:ro" "$CT_BASE_IMAGE" /bin/sh -c "apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    systemd /pkg/$(basename "$DEB") >/var/log/la-apt.log 2>&1 && exec /lib/systemd/systemd" \
    >/dev/null
for _ in $(seq 600); do
	ct_podman exec "$CT_NAME" test -d /run/systemd/system 2>/dev/null && break
	[ "$(ct_podman inspect -f '{{.State.Running}}' "$CT_NAME")" = true ] || {
		ct_podman logs "$CT_NAME" >&2; e2e_fail "the systemd container stopped (apt-get?)"; }
	sleep 0.5
done
ct_podman exec "$CT_NAME" test -d /run/systemd/system || e2e_fail "systemd did not boot in the container"
ct_podman exec "$CT_NAME" bash -c '
set -eu
asla() { setpriv --reuid=localacme --regid=localacme --clear-groups "$@"; }
# bench has no http-01 responder for its names here: validation off.
mkdir -p /etc/systemd/system/localacme.service.d
printf "[Service]\nEnvironment=LOCALACME_VALIDATION=skip\n" \
    >/etc/systemd/system/localacme.service.d/test.conf
# README: an encrypted root
sh -c "umask 077; head -c 32 /dev/urandom | base64 > /etc/localacme/root-passphrase"
install -d -m 0700 -o localacme -g localacme /var/lib/localacme
chown localacme /etc/localacme/root-passphrase
asla localacme init --state /var/lib/localacme --encrypt-root \
    --root-passphrase-file /etc/localacme/root-passphrase >/dev/null
chown root /etc/localacme/root-passphrase
for f in root-passphrase low-port; do
	install -D -m 0644 /usr/share/doc/localacme/examples/$f.conf \
	    /etc/systemd/system/localacme.service.d/$f.conf
done
printf "{ \"listen\": [\"127.0.0.1:443\", \"[::1]:443\"] }\n" >/etc/localacme/localacme.conf
systemctl daemon-reload
systemctl enable --now localacme
for i in $(seq 300); do (exec 3<>/dev/tcp/127.0.0.1/443) 2>/dev/null && break; sleep 0.1; done
localacme bench --directory https://localhost:443/directory \
    --cacert /var/lib/localacme/root.pem --orders 3 --concurrency 1 --quiet --json /tmp/b.json
grep -q "\"issued\": 3," /tmp/b.json || { cat /tmp/b.json; exit 1; }
test "$(systemctl is-active localacme)" = active
grep -q "BEGIN ENCRYPTED PRIVATE KEY" /var/lib/localacme/root.key
test -s /run/credentials/localacme.service/localacme-root-passphrase
[ "$(asla localacme list --state /var/lib/localacme | grep -c bench.test)" -eq 3 ]
systemctl stop localacme
test "$(systemctl show localacme -p Result --value)" = success
test "$(systemctl show localacme -p ExecMainStatus --value)" = 0
' >"$E2E_TMP/systemd.log" 2>&1 || {
	cat "$E2E_TMP/systemd.log" >&2
	ct_podman exec "$CT_NAME" journalctl -u localacme --no-pager >&2 || true
	e2e_fail "the unit under systemd (see above)"; }
ct_podman exec "$CT_NAME" journalctl -u localacme --no-pager -o cat >"$E2E_TMP/journal"
if grep -iE "denied|not permitted|read-only|warn  serve: (setrlimit|prctl)" "$E2E_TMP/journal"; then
	e2e_fail "serve hit a restriction of the unit under systemd"
fi
e2e_ok "under systemd (podman): enable --now on port 443, encrypted root + LoadCredential, 3 issuances, clean stop [${SECONDS}s]"
e2e_ok "container.deb"
