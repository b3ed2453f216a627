#!/bin/bash
# The debian-12 template against the real archive (the Debian mirror of the host's apt
# sources): gpt_ext4 and tar.zst, checked from inside; a rebuild from the lock with the same
# SOURCE_DATE_EPOCH and seed is byte-identical.  Packages are cached in /var/cache/mkimg so
# reruns download nothing.  Skips when the host has no Debian mirror.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

need_root
need_cmd chroot tar zstd losetup debugfs e2fsck sfdisk

CACHE=${MKIMG_TEST_CACHE:-/var/cache/mkimg}
SEED=5c0b62e2-9a5f-4d6b-8a4e-6b1f0a2c3d4e
RECIPE=$T/debian-12
cp "$top_srcdir/templates/recipes/debian-12" "$RECIPE"

"$MKIMG" --cache-dir "$CACHE" lock "$RECIPE" >"$T/lock.out" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "no Debian mirror" "$T/lock.out"; then
	skip_all "the host's apt sources name no Debian mirror"
fi
_tap_n=1
if [ $rc = 0 ]; then echo "ok 1 - mkimg lock resolves the template"; else
	echo "not ok 1 - mkimg lock resolves the template (exit $rc)"
	sed 's/^/#   /' "$T/lock.out"
	_tap_failed=1
	done_testing
	exit 1
fi

build() {	# build OUTPUT FORMAT
	"$MKIMG" --cache-dir "$CACHE" --locked --seed "$SEED" -f "$2" -o "$1" "$RECIPE"
}

inside_ok() {	# inside_ok ROOT: what the issue asks of the installed system
	local r=$1 bad
	bad=$(chroot "$r" dpkg-query -W -f '${Package} ${Status}\n' | grep -v ' install ok installed$')
	[ -z "$bad" ] || { echo "not installed: $bad"; return 1; }
	[ -z "$(chroot "$r" dpkg --audit)" ] || { chroot "$r" dpkg --audit; return 1; }
	chroot "$r" apt-get check >/dev/null || return 1
	grep -qx 'VERSION_ID="12"' "$r/etc/os-release" && grep -qx 'ID=debian' "$r/etc/os-release" ||
		{ echo "not Debian 12"; return 1; }
	for p in systemd systemd-sysv iproute2 procps iputils-ping apt; do
		chroot "$r" dpkg-query -W "$p" >/dev/null || { echo "$p missing"; return 1; }
	done
	[ "$(readlink "$r/bin")" = usr/bin ] && [ -x "$r/sbin/init" ] &&
		[ ! -s "$r/etc/machine-id" ] && [ ! -e "$r/usr/sbin/policy-rc.d" ] &&
		[ -z "$(find "$r/var/log" -type f -size +0 2>/dev/null)" ] ||
		{ echo "layout or clean-up is wrong"; return 1; }
	# WithDocs=no: no manuals, copyright files kept, and dpkg told so for later installs
	[ ! -e "$r/usr/share/man/man1/ls.1.gz" ] && [ -e "$r/usr/share/doc/coreutils/copyright" ] &&
		grep -qx 'path-exclude=/usr/share/man/\*' "$r/etc/dpkg/dpkg.cfg.d/01-mkimg-nodoc"
}

# gpt_ext4: partition 1 of the image, read-only through a loop device at its offset.
part_cat() {	# part_cat IMAGE FILE
	local start size dev
	start=$(sfdisk -J "$1" | sed -n 's/.*"start": *\([0-9]*\).*/\1/p' | head -1)
	size=$(sfdisk -J "$1" | sed -n 's/.*"size": *\([0-9]*\).*/\1/p' | head -1)
	dev=$(losetup -r -f --show -o $((start * 512)) --sizelimit $((size * 512)) "$1") || return 1
	debugfs -R "cat $2" "$dev" 2>/dev/null
	e2fsck -fn "$dev" >/dev/null 2>&1
	local rc=$?
	losetup -d "$dev"
	return $rc
}

ok "build tar.zst from the lock" build "$T/d12.tar.zst" tar
mkdir "$T/rootfs"
ok "the archive extracts" tar --zstd -xpf "$T/d12.tar.zst" --numeric-owner --xattrs \
	--xattrs-include='*' -C "$T/rootfs"
ok "inside: all installed, dpkg --audit silent, apt-get check, Debian 12" inside_ok "$T/rootfs"
# Updates= (default yes): the image's apt sources name the updates and security suites.
ok "inside: apt sources name bookworm-updates and bookworm-security" eval \
	'grep -Eq "^deb [^ ]+ bookworm-updates main$" "$T/rootfs/etc/apt/sources.list" &&
	 grep -Eq "^deb [^ ]+ bookworm-security main$" "$T/rootfs/etc/apt/sources.list"'
ok "the lock has the release, updates and security sources" eval \
	'[ "$(grep -c "^source " "$RECIPE.lock")" = 3 ] &&
	 grep -q "^source [^ ]* bookworm-security main " "$RECIPE.lock"'
ok "the manifest lists packages with sha256" grep -q \
	'"name": "systemd", "version": "[^"]*", "arch": "amd64", "sha256": "[0-9a-f]\{64\}"' \
	"$T/d12.tar.zst.manifest.json"
rm -rf "$T/rootfs"

ok "build gpt_ext4 from the lock" build "$T/a.raw" gpt_ext4
ok "sfdisk --verify is clean" sfdisk --verify "$T/a.raw"
part_cat "$T/a.raw" /usr/lib/os-release >"$T/os-release"  # /etc/os-release links there
ok "the ext4 root is clean and is Debian 12" grep -qx 'VERSION_ID="12"' "$T/os-release"
ok "rebuild from the lock with the same epoch and seed" build "$T/b.raw" gpt_ext4
ok "the two images are byte-identical" cmp "$T/a.raw" "$T/b.raw"

done_testing
