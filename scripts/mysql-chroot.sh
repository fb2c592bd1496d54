#!/usr/bin/env bash
# Builds (once) a Debian sid chroot holding a real MySQL 9 server for the opt-in MySQL tests:
#   DORIS_SYNC_TEST_MYSQL=1 DORIS_SYNC_MYSQL_CHROOT=<dir> go test ./...
# Bookworm has no MySQL package; sid does, but it needs a newer libc, hence the chroot.
# Usage: scripts/mysql-chroot.sh [DIR]   (default /var/cache/doris-sync/mysql-sid; needs root)
# Idempotent: a DIR whose mysqld already runs is left untouched.
set -euo pipefail
trap 'echo "mysql-chroot: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

dir="${1:-/var/cache/doris-sync/mysql-sid}"
dir="${dir%/}"

die() {
	echo "mysql-chroot: $*" >&2
	exit 1
}

mysqld_version() {
	chroot "$1" /usr/sbin/mysqld --no-defaults --version 2>/dev/null
}

if [[ -x "$dir/usr/sbin/mysqld" ]] && version="$(mysqld_version "$dir")"; then
	echo "mysql-chroot: $dir already ready: $version"
	exit 0
fi

[[ "$(id -u)" == 0 ]] || die "must run as root (debootstrap and chroot need it)"

# The Debian mirror this machine's apt already uses; never a host name written here.
debian_mirror() {
	local uri
	local -a uris=()
	if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
		while read -r uri; do uris+=("$uri"); done < <(
			sed -n 's/^[[:space:]]*URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources | tr ' \t' '\n\n' | sed '/^$/d')
	fi
	if [[ -f /etc/apt/sources.list ]]; then
		# "deb [options] URI suite components": drop the bracketed options, keep the URI.
		while read -r uri; do uris+=("$uri"); done < <(
			sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]\+\).*/\2/p' /etc/apt/sources.list)
	fi
	# Prefer the main archive (…/debian), then any other non-security one.
	for uri in "${uris[@]}"; do
		if [[ "$uri" =~ ^https?://[^[:space:]]+/debian/?$ ]]; then
			echo "${uri%/}"
			return 0
		fi
	done
	for uri in "${uris[@]}"; do
		if [[ "$uri" =~ ^https?:// && "$uri" != *security* ]]; then
			echo "${uri%/}"
			return 0
		fi
	done
	return 1
}

if ! command -v debootstrap >/dev/null 2>&1; then
	echo "mysql-chroot: installing debootstrap" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; } ||
		die "cannot install debootstrap"
fi

mirror="$(debian_mirror)" ||
	die "no Debian mirror found in /etc/apt/sources.list.d/*.sources (URIs:) or /etc/apt/sources.list"

parent="$(dirname "$dir")"
name="$(basename "$dir")"
mkdir -p "$parent"

# One build at a time per DIR; a run that waited here may find the chroot ready.
exec 9>"$parent/.$name.lock"
flock 9
if [[ -x "$dir/usr/sbin/mysqld" ]] && version="$(mysqld_version "$dir")"; then
	echo "mysql-chroot: $dir already ready: $version"
	exit 0
fi

# Build beside the target (same file system) and rename at the end, so a half-built chroot
# is never used.
build="$(mktemp -d "$parent/.$name.build.XXXXXX")"
chmod 0755 "$build"
log="$build.log"
child=""

unmount_under() {
	local mnt
	# debootstrap mounts /proc and /sys inside the target; unmount before deleting anything.
	while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done < <(
		awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r)
}

cleanup() {
	if [[ -n "$child" ]]; then
		kill -TERM -- "-$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	unmount_under "$build"
	rm -rf --one-file-system "$build"
	rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Builds left by runs that were killed hard (we hold the lock, so none is in progress).
for stale in "$parent/.$name.build."*; do
	[[ -e "$stale" && "$stale" != "$build" && "$stale" != "$log" ]] || continue
	if [[ -d "$stale" ]]; then
		unmount_under "$stale"
		rm -rf --one-file-system "$stale"
	else
		rm -f "$stale"
	fi
done

# run_logged runs a long step in the background, in its own process group, and waits, so
# INT/TERM interrupt the wait and cleanup stops the whole step before deleting its files.
run_logged() {
	setsid "$@" >"$log" 2>&1 &
	child=$!
	local rc=0
	wait "$child" || rc=$?
	child=""
	return "$rc"
}

echo "mysql-chroot: debootstrap sid into $build from $mirror (about a minute)" >&2
if ! run_logged debootstrap --variant=minbase sid "$build" "$mirror"; then
	tail -n 30 "$log" >&2
	die "debootstrap of sid failed (sid changes daily; retry later)"
fi

# Never let package scripts start services inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$build/usr/sbin/policy-rc.d"
chmod 0755 "$build/usr/sbin/policy-rc.d"

echo "mysql-chroot: installing mysql-server-core and mysql-client-core" >&2
if ! run_logged chroot "$build" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends mysql-server-core mysql-client-core; then
	tail -n 30 "$log" >&2
	die "apt-get install of mysql-server-core inside the sid chroot failed"
fi
chroot "$build" apt-get clean

version="$(mysqld_version "$build")" || die "mysqld in the new chroot does not run"

# A leftover DIR without a working mysqld is replaced.
if [[ -e "$dir" ]]; then
	unmount_under "$dir"
	rm -rf --one-file-system "$dir"
fi
mv "$build" "$dir"
rm -f "$log"
trap - EXIT
echo "mysql-chroot: ready at $dir: $version"
