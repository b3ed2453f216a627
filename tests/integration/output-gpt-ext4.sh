#!/bin/sh
# Format=gpt_ext4: the fixture tree (every file type, owners, modes, xattrs, ACLs, odd names,
# times, a 5000-entry directory) built into a raw GPT disk image.  Checked from outside:
# sfdisk --verify clean, one partition at 1 MiB named "root" with the Discoverable Partitions
# root type, e2fsck -fn clean, blkid sees ext4 labelled "root", the ext4 features mke2fs -t ext4
# enables, the big directory indexed, holes kept, timestamps clamped to SOURCE_DATE_EPOCH.  The
# partition, attached read-only at its offset and mounted, must hold exactly the fixture (plus
# lost+found).  Also: a 5 GiB sparse file, Size= honoured, a too small Size= refused without
# leaving output, Architecture= picking the root type, a golden dump of a fixed build, the same
# seed giving the same bytes.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"

need_root
need_cmd sfdisk blkid e2fsck dumpe2fs debugfs losetup mount umount mountpoint lsattr getcap \
	python3 setfacl setfattr setcap
[ -x "$MKIMG" ] || skip_all "mkimg is not built"
need_user_xattrs
grep -qw ext4 /proc/filesystems || modprobe ext4 2>/dev/null || skip_all "no ext4 in the kernel"
losetup -f >/dev/null 2>&1 || skip_all "no free loop device"

treecmp=$top_srcdir/tests/treecmp.sh
fx=$T/fixture
make_fixture "$fx"
# A second, small tree with a > 4 GiB sparse file: data at the start and past 4.5 GiB, a hole
# at the end.  Kept out of the fixture, whose comparison hashes every byte.
mkdir "$T/out" "$T/mnt" "$T/huge"
printf 'start' >"$T/huge/sparse"
printf 'past 4.5 GiB' | dd of="$T/huge/sparse" bs=1 seek=4831838208 conv=notrunc status=none
truncate -s 5G "$T/huge/sparse"

build() {	# build OUTPUT [SIZE [ARCH [TREE]]]
	{
		printf '[Distribution]\nDistribution=none\n'
		[ -z "${3:-}" ] || printf 'Architecture=%s\n' "$3"
		printf '[Output]\nFormat=gpt_ext4\nOutput=%s\n' "$1"
		[ -z "${2:-}" ] || printf 'Size=%s\n' "$2"
		printf 'Seed=6b8e3f1e-2f0a-4c3d-9a51-0d1c2b3a4f50\n'
		printf '[Content]\nBaseTrees=%s\n' "${4:-$fx}"
	} >"$T/recipe"
	"$MKIMG" --force "$T/recipe"
}

part() {	# part IMAGE: "START SIZE TYPE NAME" of its only partition, in bytes
	sfdisk --json "$1" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
assert t["label"] == "gpt" and t["sectorsize"] == 512 and len(t["partitions"]) == 1
p = t["partitions"][0]
print(p["start"] * 512, p["size"] * 512, p["type"].lower(), p.get("name", ""))'
}

# The partition of an image on a read-only loop device at its offset (the kernel here may have
# no partition table parser), optionally mounted on $T/mnt.  Torn down on every exit path.
loop=
detach() {
	if mountpoint -q "$T/mnt"; then umount "$T/mnt"; fi
	if [ -n "$loop" ]; then losetup -d "$loop"; fi
	loop=
}
on_exit detach
attach() {	# attach IMAGE
	set -- "$1" $(part "$1")
	loop=$(losetup -f --show -r -o "$2" --sizelimit "$3" "$1")
}

# --- the fixture -----------------------------------------------------------------------------
img=$T/out/image.raw
ok "mkimg writes a gpt_ext4 image from the fixture" build "$img"
[ -f "$img" ] || { echo "Bail out! no image"; exit 1; }
set -- $(part "$img")
off=$1 psize=$2 ptype=$3 pname=$4
size=$(stat -c %s "$img")

case $(dpkg --print-architecture 2>/dev/null || uname -m) in
amd64 | x86_64) want_type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709 ;;
arm64 | aarch64) want_type=b921b045-1df0-41c3-af44-4c6f280d3fae ;;
*) want_type= ;;
esac

ok "sfdisk --verify is clean" sh -c "sfdisk --verify '$img' | grep -q 'No errors detected'"
ok "the partition starts at 1 MiB and ends 1 MiB before the end" \
	test "$off" = 1048576 -a $((off + psize)) -le $((size - 1048576)) \
	-a $((size - off - psize)) -lt $((2 * 1048576))
ok "the partition is named root" test "$pname" = root
if [ -n "$want_type" ]; then
	ok "the partition has the DPS root type of the host" test "$ptype" = "$want_type"
else
	skip "the partition has the DPS root type of the host" "no expectation for this arch"
fi
ok "the image is sparse" test $(($(stat -c %b "$img") * 512)) -lt $((size / 2))
ok "blkid: the disk has a GPT" sh -c "blkid -p -o udev '$img' | grep -qx ID_PART_TABLE_TYPE=gpt"

attach "$img" || { echo "Bail out! cannot attach the partition"; exit 1; }
ok "e2fsck -fn is clean" e2fsck -fn "$loop"
ok "blkid: ext4 labelled root" sh -c "blkid -p -o udev '$loop' | grep -qx ID_FS_TYPE=ext4 &&
	blkid -p -o udev '$loop' | grep -qx ID_FS_LABEL=root"

has_features() {
	dumpe2fs -h "$loop" 2>/dev/null >"$T/dumpe2fs"
	for f in has_journal ext_attr resize_inode dir_index filetype extent 64bit flex_bg \
		sparse_super large_file huge_file dir_nlink extra_isize metadata_csum; do
		grep -q "^Filesystem features:.* $f\( \|$\)" "$T/dumpe2fs" || { echo "no $f"; return 1; }
	done
	grep -q '^Inode size:[[:space:]]*256$' "$T/dumpe2fs" &&
		grep -q '^Block size:[[:space:]]*4096$' "$T/dumpe2fs" &&
		grep -q '^Journal inode:[[:space:]]*8$' "$T/dumpe2fs" &&
		grep -q "^Filesystem volume name:[[:space:]]*root$" "$T/dumpe2fs"
}
ok "ext4 features, inode and block size as mke2fs -t ext4" has_features

# Every time in an inode (access, change, modification, creation) is at most the epoch.
times_clamped() {
	debugfs -R 'stat /future/future-file' "$loop" 2>/dev/null >"$T/stat" &&
		python3 - "$T/stat" "$SOURCE_DATE_EPOCH" <<'EOF'
import re, sys
text, epoch = open(sys.argv[1]).read(), int(sys.argv[2])
times = re.findall(r"^ *(a|c|m|cr)time: 0x([0-9a-f]+):([0-9a-f]+)", text, re.M)
assert len(times) == 4, text
for name, sec, extra in times:
	s = int(sec, 16)
	s = (s - (1 << 32) if s >= 1 << 31 else s) + ((int(extra, 16) & 3) << 32)
	assert s <= epoch, "%stime %d is past %d" % (name, s, epoch)
EOF
}
ok "inode timestamps are clamped to SOURCE_DATE_EPOCH" times_clamped

mount -o ro "$loop" "$T/mnt" || { echo "Bail out! cannot mount the partition"; exit 1; }
same_tree() {
	"$treecmp" --list --clamp "$SOURCE_DATE_EPOCH" "$fx" >"$T/want" &&
		"$treecmp" --list "$T/mnt" | grep -v '^lost+found ' >"$T/have" &&
		diff -u "$T/want" "$T/have"
}
ok "the mounted partition holds exactly the fixture" same_tree
ok "lost+found is an empty root-only directory" \
	sh -c "test \"\$(stat -c %a:%u:%g '$T/mnt/lost+found')\" = 700:0:0 &&
	       test -z \"\$(ls -A '$T/mnt/lost+found')\""
ok "the 5000-entry directory is htree-indexed" sh -c "lsattr -d '$T/mnt/bigdir' | grep -q '^[^ ]*I'"
ok "the 8 MiB sparse file keeps its holes" test "$(stat -c %b "$T/mnt/files/sparse")" -lt 256
ok "security.capability survives" sh -c "getcap '$T/mnt/xattrs/cap-net-raw' | grep -q cap_net_raw=ep"
detach

# --- Architecture=, a 5 GiB sparse file ------------------------------------------------------
huge=$T/out/huge.raw
ok "Architecture=arm64 with a 5 GiB sparse file" build "$huge" 64M arm64 "$T/huge"
ok "... has the arm64 root type" \
	test "$(part "$huge" | cut -d' ' -f3)" = b921b045-1df0-41c3-af44-4c6f280d3fae

huge_sparse() {	# huge_sparse FILE: size, data and holes of $T/huge/sparse
	python3 - "$1" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
st = os.fstat(fd)
assert st.st_size == 5 << 30, st.st_size
assert st.st_blocks * 512 <= 64 << 10, "%d blocks allocated" % st.st_blocks
assert os.pread(fd, 5, 0) == b"start"
assert os.pread(fd, 12, 4831838208) == b"past 4.5 GiB"
assert os.pread(fd, 4096, 4831838208 + 12) == bytes(4096)
segments, off = [], 0
while True:
	try:
		d = os.lseek(fd, off, os.SEEK_DATA)
	except OSError:
		break
	h = os.lseek(fd, d, os.SEEK_HOLE)
	segments.append((d, h))
	off = h
assert segments == [(0, 4096), (4831838208, 4831838208 + 4096)], segments
EOF
}
mount_huge() {
	attach "$huge" && e2fsck -fn "$loop" && mount -o ro "$loop" "$T/mnt"
}
ok "... is clean and mounts" mount_huge
ok "... the sparse file has its size, data and holes" huge_sparse "$T/mnt/sparse"
detach

# --- Size= -----------------------------------------------------------------------------------
sized() {
	build "$T/out/sized.raw" 300M && test "$(stat -c %s "$T/out/sized.raw")" = 314572800
}
ok "Size=300M gives a 300 MiB image" sized
rm -f "$T/out/sized.raw"*
fails "a too small Size= is refused" 2 \
	"image size 10M is too small for the tree \(needs at least [0-9.]+[KMG]\)" \
	build "$T/out/small.raw" 10M
ok "a refused build leaves no output" test -z "$(ls -A "$T/out" | grep small)"

# --- golden: partition table and superblock of a fixed build (tests/expected/gpt-ext4.dump) ---
# Catches changes in geometry, features, defaults and in how UUIDs derive from the seed.
mkdir "$T/tiny" "$T/tiny/etc"
printf 'tiny\n' >"$T/tiny/etc/hostname"
golden() {
	(SOURCE_DATE_EPOCH=1700000000 && export SOURCE_DATE_EPOCH &&
		build "$T/out/golden.raw" 100M amd64 "$T/tiny") || return 1
	attach "$T/out/golden.raw" || return 1
	{
		sfdisk -d "$T/out/golden.raw" | sed -e '/^device:/d' -e 's|^.*golden\.raw1 :|image1 :|'
		TZ=UTC dumpe2fs -h "$loop" 2>/dev/null |
			grep -vE '^(Free blocks|Free inodes|Lifetime writes|Checksum:)'
	} >"$T/golden"
	detach
	diff -u "$top_srcdir/tests/expected/gpt-ext4.dump" "$T/golden"
}
ok "partition table and superblock match tests/expected/gpt-ext4.dump" golden

# --- reproducibility: same seed and epoch, same bytes (UUIDs, hash seed, times, layout) -------
ok "a second build with the same seed" build "$T/out/again.raw"
ok "... is byte-identical" cmp "$img" "$T/out/again.raw"

done_testing
