# lib.sh - containers for tests, offline (sourced, not run): podman set up
# for this kind of machine, and a Debian base image built from packages.
# SPDX-License-Identifier: MIT
#
#   ct_setup      exit 77 (CTest "skipped", with the reason) where containers
#                 cannot run at all; otherwise exports CONTAINERS_CONF for a
#                 configuration that works here (below) and sets CT_PODMAN
#   ct_base_tar   the Debian base as a tarball (CT_BASE_TAR), for a chroot
#   ct_base       makes sure the image named by the Containerfiles' FROM
#                 (docker.io/library/debian:bookworm-slim) exists: built once
#                 with mmdebstrap from Debian's packages, imported and tagged
#                 under that name; CI cannot pull images
#   ct_image      makes sure localhost/localacme:test (CT_IMAGE) is the image
#                 of this tree's contrib/container/Containerfile: built once
#                 per machine and tree, rebuilt when the sources it copies
#                 change (the image carries their hash as a label).
#                 LOCALACME_CT_IMAGE names another tag (e.g. to try a changed
#                 tree without replacing the one other tests run)
#   ct_podman ... podman with this configuration
#   fail MSG, ok MSG  a test's verdict lines ("FAIL: MSG" exits 1)
#
# Why this configuration (found by trying on the CI machine's kind):
#   - crun fails with "cgroups in hybrid mode not supported": runc instead,
#     with the cgroupfs manager (no systemd session in CI);
#   - runc refuses podman's default RLIMIT settings there: default_ulimits = [];
#   - netavark needs iptables on the host; aardvark-dns gives name resolution
#     on networks a test creates (services reached by name);
#   - `podman build --isolation chroot` builds without a runtime.
# Networks and containers a test makes carry its own prefix and are removed
# by the test; nothing here touches another's.

CT_CACHE=${LOCALACME_CT_CACHE:-/var/cache/localacme-ci}
CT_BASE_IMAGE=docker.io/library/debian:bookworm-slim
CT_MIRROR=${LOCALACME_CT_MIRROR:-http://deb.debian.org/debian}
CT_IMAGE=${LOCALACME_CT_IMAGE:-localhost/localacme:test}
CT_SRCDIR=${LOCALACME_TEST_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# What the Containerfile copies (the root .dockerignore lets in the same).
CT_IMAGE_INPUTS="CMakeLists.txt acme store src bench contrib/container .dockerignore"

ct_skip() {
	echo "SKIP: $*"
	exit 77
}

# A container test's verdicts: one line each, "FAIL: ..." ends the test.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
ok() {
	echo "ok: $*"
}

ct_setup() {
	command -v podman >/dev/null 2>&1 ||
	    ct_skip "podman is not installed (contrib/setup.sh --test installs it)"
	command -v runc >/dev/null 2>&1 || ct_skip "runc is not installed"
	command -v mmdebstrap >/dev/null 2>&1 || ct_skip "mmdebstrap is not installed"
	[ "$(id -u)" -eq 0 ] || ct_skip "container tests run as root (CI does)"
	mkdir -p "$CT_CACHE"
	CONTAINERS_CONF="$CT_CACHE/containers.conf"
	if [ ! -s "$CONTAINERS_CONF" ]; then
		cat >"$CONTAINERS_CONF.$$.tmp" <<'EOF'
# written by tests/container/lib.sh (see there for why)
[containers]
default_ulimits = []
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"
EOF
		# Tests start together: each writes its own file, the rename is atomic.
		mv -f "$CONTAINERS_CONF.$$.tmp" "$CONTAINERS_CONF"
	fi
	export CONTAINERS_CONF
	CT_PODMAN="podman"
	if ! ct_podman info >/dev/null 2>"$CT_CACHE/info.err"; then
		ct_skip "podman cannot run here: $(tail -1 "$CT_CACHE/info.err")"
	fi
}

ct_podman() {
	podman "$@"
}

# The base as a tarball, made once per machine with mmdebstrap (about 30 s);
# concurrent tests wait on the lock instead of making it twice. Sets CT_BASE_TAR.
ct_base_tar() {
	CT_BASE_TAR="$CT_CACHE/bookworm-minbase.tar"
	(
		flock 9
		[ -s "$CT_BASE_TAR" ] && exit 0
		echo "ct_base: mmdebstrap --variant=minbase bookworm (once)"
		# mmdebstrap picks its output format by the name's ending
		# unless told: say tar, and keep ".tar".
		rm -rf "$CT_CACHE/partial.tar"
		mmdebstrap --variant=minbase --format=tar --quiet bookworm \
		    "$CT_CACHE/partial.tar" "$CT_MIRROR" &&
		    mv "$CT_CACHE/partial.tar" "$CT_BASE_TAR"
	) 9>"$CT_CACHE/base-tar.lock"
}

# The image the Containerfiles' FROM names, imported from that tarball.
ct_base() {
	ct_base_tar || return 1
	(
		flock 9
		ct_podman image exists "$CT_BASE_IMAGE" && exit 0
		ct_podman import --quiet "$CT_BASE_TAR" "$CT_BASE_IMAGE" >/dev/null
	) 9>"$CT_CACHE/base.lock"
}

# The hash of every file the image is built from, path and content.
ct_tree_hash() {
	(
		cd "$CT_SRCDIR" || exit 1
		# shellcheck disable=SC2086
		find $CT_IMAGE_INPUTS -type f -print0 | LC_ALL=C sort -z |
		    xargs -0 sha256sum | sha256sum | cut -c1-16
	)
}

# Build the image when this tree's is absent (first build a few minutes:
# apt-get in both stages, then the compile with -j2; unchanged trees reuse
# it). One lock per tag: two builds of a tag never run at once, and the tag
# names the last tree built. The layers stay cached: a change to the
# entrypoint does not compile again.
ct_image() {
	local hash
	hash=$(ct_tree_hash) || ct_skip "cannot read the sources in $CT_SRCDIR"
	(
		flock 9
		if [ "$(ct_podman image inspect --format \
		    '{{index .Labels "org.localacme.tree"}}' "$CT_IMAGE" \
		    2>/dev/null)" = "$hash" ]; then
			exit 0
		fi
		echo "ct_image: building $CT_IMAGE (tree $hash)"
		if ! ct_podman build --isolation chroot --format docker \
		    --label "org.localacme.tree=$hash" \
		    -f "$CT_SRCDIR/contrib/container/Containerfile" \
		    -t "$CT_IMAGE" "$CT_SRCDIR" >"$CT_CACHE/image-build.log" 2>&1; then
			tail -30 "$CT_CACHE/image-build.log" >&2
			echo "ct_image: podman build failed" >&2
			exit 1
		fi
	) 9>"$CT_CACHE/image-${CT_IMAGE//[^A-Za-z0-9.-]/_}.lock" || exit 1
}
