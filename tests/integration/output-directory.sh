#!/bin/sh
# Format=directory: the fixture tree (every file type, owners, modes, xattrs, ACLs, odd names,
# times) built as a directory is the fixture again, both when the output is on the
# workspace's filesystem (a rename) and when it is on another one (a copy); the workspace
# keeps nothing behind.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"

need_root
need_cmd python3 setfacl setfattr setcap mkfs.ext4
[ -x "$MKIMG" ] || skip_all "mkimg is not built"
need_user_xattrs

treecmp=$top_srcdir/tests/treecmp.sh
fx=$T/fixture
make_fixture "$fx"

build() {	# build OUTPUT WORKSPACE-DIR
	cat >"$T/recipe" <<EOF
[Distribution]
Distribution=none

[Output]
Format=directory
Output=$1

[Content]
BaseTrees=$fx
EOF
	"$MKIMG" --force --workspace-dir "$2" "$T/recipe"
}

empty_dir() {
	[ -d "$1" ] && [ -z "$(ls -A "$1")" ] || { ls -la "$1"; return 1; }
}

# Same filesystem: the workspace tree is renamed into place.
mkdir "$T/out" "$T/ws"
ok "directory on the workspace's filesystem: mkimg builds it" build "$T/out/root" "$T/ws"
ok "the output is the fixture" "$treecmp" "$fx" "$T/out/root"
ok "the workspace is left empty" empty_dir "$T/ws"
ok "no temporary output is left next to the output" \
	sh -c "[ \"\$(ls -A '$T/out' | grep -v -x -e root -e 'root.manifest.json')\" = '' ]"

# Another filesystem: a small ext4 mounted from a file, so rename() fails with EXDEV.
truncate -s 256M "$T/other.img"
mkfs.ext4 -q -F -O ^has_journal "$T/other.img"
mkdir "$T/mnt"
if mount -o loop "$T/other.img" "$T/mnt" 2>"$T/mount.err"; then
	on_exit "umount '$T/mnt'"
	ok "directory on another filesystem: mkimg builds it" build "$T/mnt/root" "$T/ws"
	ok "the copied output is the fixture" "$treecmp" "$fx" "$T/mnt/root"
	ok "the workspace is left empty after a copy" empty_dir "$T/ws"
else
	skip "directory on another filesystem" "cannot loop-mount: $(cat "$T/mount.err")"
fi

done_testing
