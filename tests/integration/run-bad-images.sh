#!/bin/bash
# Inputs runimg must refuse with a clear message and exit status 2, touching nothing:
# truncated images, no partition table, two root partitions, no root partition, a root that
# is not a Linux file system, and tarballs whose members would land outside the tree.
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=rbad
. "$top_srcdir/tests/integration/run-lib.sh"
run_need_env
need_cmd sfdisk mkswap mke2fs python3

ROOT_TYPE=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
run_busybox_tree "$T/tree"
run_mkimg gpt_ext4 "$T/tree" "$T/rbad-good.raw" || { echo "Bail out! mkimg failed"; exit 1; }
run_snapshot "$T/before"

gpt() { # gpt FILE SIZE "PARTITION LINE"...: an image with a GPT and the given partitions
	local f=$1 size=$2
	shift 2
	truncate -s "$size" "$f"
	{ echo "label: gpt"; printf '%s\n' "$@"; } | sfdisk -q --no-tell-kernel "$f" >/dev/null
}

cp "$T/rbad-good.raw" "$T/rbad-trunc.raw"
truncate -s 40M "$T/rbad-trunc.raw"
fails "truncated disk image" 2 "truncated" "$RUNIMG" "$T/rbad-trunc.raw" /bin/true

mke2fs -q -t ext4 -d "$T/tree" "$T/rbad-bare.ext4" 64M 2>/dev/null
truncate -s 32M "$T/rbad-bare.ext4"
fails "truncated file system image" 2 "needs 67108864 bytes but only 33554432.*truncated" \
	"$RUNIMG" "$T/rbad-bare.ext4" /bin/true

head -c 4M /dev/urandom >"$T/rbad-random.raw"
fails "no partition table, no file system" 2 "is not a disk image \(GPT\), a file system image" \
	"$RUNIMG" "$T/rbad-random.raw" /bin/true
: >"$T/rbad-empty.raw"
fails "empty file" 2 "is not a disk image" "$RUNIMG" "$T/rbad-empty.raw" /bin/true

gpt "$T/rbad-two.raw" 20M "size=8M, type=$ROOT_TYPE, name=a" "size=8M, type=$ROOT_TYPE, name=b"
fails "two root partitions: ambiguous, both listed" 2 \
	"more than one partition could be the root" "$RUNIMG" "$T/rbad-two.raw" /bin/true
ok "... the message lists the partitions" sh -c '
	"$1" "$2" /bin/true 2>&1 | grep -q "partition 1: type.*name .a." &&
	"$1" "$2" /bin/true 2>&1 | grep -q "partition 2: type.*name .b."' - "$RUNIMG" "$T/rbad-two.raw"

gpt "$T/rbad-esp.raw" 20M "size=8M, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
fails "no root partition" 2 "no root partition" "$RUNIMG" "$T/rbad-esp.raw" /bin/true

gpt "$T/rbad-nofs.raw" 20M "size=8M, type=$ROOT_TYPE"
fails "root partition without a file system" 2 "partition 1: no file system found" \
	"$RUNIMG" "$T/rbad-nofs.raw" /bin/true
truncate -s 8M "$T/rbad-swap.img"
mkswap -q "$T/rbad-swap.img"
dd if="$T/rbad-swap.img" of="$T/rbad-nofs.raw" bs=1M seek=1 conv=notrunc status=none
fails "root partition that is not ext4 (swap)" 2 "file system 'swap' is not a supported root" \
	"$RUNIMG" "$T/rbad-nofs.raw" /bin/true
fails "bare image that is not a file system" 2 "'swap' is not a supported root" \
	"$RUNIMG" "$T/rbad-swap.img" /bin/true

# Hostile tarballs, made with Python's tarfile (GNU tar will not write such members).
mktar() { # mktar FILE KIND
	python3 - "$@" <<'EOF'
import io, sys, tarfile
path, kind = sys.argv[1], sys.argv[2]
def reg(t, name, data=b"x"):
	i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
def lnk(t, name, target, typ):
	i = tarfile.TarInfo(name); i.type = typ; i.linkname = target; t.addfile(i)
with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
	reg(t, "etc/ok")
	if kind == "dotdot":
		reg(t, "../rbad-escape")
	elif kind == "absolute":
		reg(t, sys.argv[3])
	elif kind == "symlink":
		lnk(t, "sneaky", sys.argv[3], tarfile.SYMTYPE)
		reg(t, "sneaky/rbad-escape")
	elif kind == "hardlink":
		lnk(t, "hl", "../../../../etc/hostname", tarfile.LNKTYPE)
EOF
}
cache_clean() { # no extraction directory of this test may stay in the cache
	! ls -a /var/cache/runimg/tar 2>/dev/null | grep -q -e "$1" -e "^\.tmp-$1"
}
for kind in dotdot absolute symlink hardlink; do
	f=$T/rbad-$kind.tar
	mktar "$f" "$kind" "$T/out"
	sha=$(sha256sum "$f" | cut -d' ' -f1)
	on_exit "rm -rf /var/cache/runimg/tar/$sha"
	fails "tarball with a '$kind' escape is refused" 2 "would land outside the root" \
		"$RUNIMG" "$f" /bin/true
	ok "... nothing written outside, nothing cached" sh -c '
		[ ! -e "$1/rbad-escape" ] && [ ! -e "$1/out" ] && [ ! -e "$1/../rbad-escape" ] &&
		[ ! -e /var/cache/runimg/rbad-escape ]' - "$T"
	ok "... no extraction left in the cache" cache_clean "$sha"
done
printf 'not a tarball at all, just text\n' >"$T/rbad-text.tar"
fails "a text file named .tar" 2 "is not a disk image" "$RUNIMG" "$T/rbad-text.tar" /bin/true

ok "the good image still runs" "$RUNIMG" -q "$T/rbad-good.raw" /bin/true
ok "nothing left behind" run_same_state "$T/before" "$T/after"
done_testing
