#!/bin/sh
# Same recipe + same --seed + same SOURCE_DATE_EPOCH => byte-identical tar, tar.gz, tar.zst and
# gpt_ext4 outputs, even when built into different paths, from a freshly made copy of the
# base tree (other inode numbers, ctimes, directory order on disk), and after a source file
# whose mtime is already past the epoch is touched again.  Another seed changes the gpt_ext4
# image (its UUIDs) but not the tar.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"

need_root
need_cmd python3 setfacl setfattr setcap cmp
[ -x "$MKIMG" ] || skip_all "mkimg is not built"
need_user_xattrs

SEED=8f2b6c1e-3d4a-4b5c-9e6f-7a8b9c0d1e2f
OTHER_SEED=0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9

for fx in fixture1 fixture2; do
	make_fixture "$T/$fx"
done

build() {	# build BASETREE FORMAT OUTPUT SEED
	cat >"$T/recipe" <<EOF
[Distribution]
Distribution=none

[Output]
Format=$2
Output=$3

[Content]
BaseTrees=$1
EOF
	"$MKIMG" --force --seed "$4" "$T/recipe"
}

mkdir "$T/a" "$T/b" "$T/c" "$T/d"
for out in image.tar image.tar.gz image.tar.zst image.raw; do
	case $out in
	*.raw) format=gpt_ext4 ;;
	*) format=tar ;;
	esac
	ok "$out: first build" build "$T/fixture1" $format "$T/a/$out" $SEED
	ok "$out: second build, other output path" build "$T/fixture1" $format "$T/b/$out" $SEED
	ok "$out: byte-identical" cmp "$T/a/$out" "$T/b/$out"
	ok "$out: build from a fresh copy of the base tree" \
		build "$T/fixture2" $format "$T/c/$out" $SEED
	ok "$out: byte-identical to the first build" cmp "$T/a/$out" "$T/c/$out"
done

# A source file newer than SOURCE_DATE_EPOCH gets newer still: the clamped output is the same.
touch -d "@$((SOURCE_DATE_EPOCH + 86400))" "$T/fixture1/future/future-file" "$T/fixture1/future"
for out in image.tar image.raw; do
	case $out in
	*.raw) format=gpt_ext4 ;;
	*) format=tar ;;
	esac
	ok "$out: build after touching a file past the epoch" \
		build "$T/fixture1" $format "$T/d/$out" $SEED
	ok "$out: still byte-identical" cmp "$T/a/$out" "$T/d/$out"
done

differs() { ! cmp -s "$1" "$2"; }
ok "gpt_ext4: build with another seed" \
	build "$T/fixture1" gpt_ext4 "$T/d/other-seed.raw" $OTHER_SEED
ok "gpt_ext4: another seed gives another image" differs "$T/a/image.raw" "$T/d/other-seed.raw"
ok "tar: build with another seed" build "$T/fixture1" tar "$T/d/other-seed.tar" $OTHER_SEED
ok "tar: the seed does not change a tar" cmp "$T/a/image.tar" "$T/d/other-seed.tar"

done_testing
