#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# treecmp.sh [OPTIONS] A B   compare two trees; exit 0 iff their listings are identical,
#                            1 with a unified diff of the listings otherwise, 2 on usage errors
# treecmp.sh --list A        print A's listing
#
# Options:
#   --clamp EPOCH   on the source side (A) list min(mtime, EPOCH): a tree written with mtimes
#                   clamped to SOURCE_DATE_EPOCH compares equal to its source
#   --no-sockets    leave unix sockets out (tar cannot store them)
#   --no-mtime      leave mtimes out
#   --no-root-mtime leave the root directory's mtime out (bsdtar -x does not restore the
#                   mtime of the directory it extracts into; GNU tar does)
#
# The listing has one line per entry, in tree order (depth first, siblings sorted bytewise),
# paths relative to the root ("." is the root itself; its mode, owner, xattrs and mtime are
# compared too):
#   PATH TYPE mode=OCTAL uid=N gid=N [size=N sha256=HEX] [target=LINK] [dev=MAJ:MIN]
#        [hardlink=FIRST] mtime=SECONDS [xattr:NAME=0xHEX ...]
# TYPE is f d l c b p s.  size/sha256 are for regular files only (directory sizes depend on
# the filesystem), hardlink=FIRST names the first member (in tree order) of a hardlink group
# on every member; groups are counted inside the tree only.  Every xattr is listed, the same
# set `getfattr -d -m - -e hex -h` shows (security.capability, POSIX ACLs as
# system.posix_acl_*, user.*, ...).  Not compared: inode numbers, link counts, atime, ctime,
# sub-second mtime.  Bytes outside printable ASCII/UTF-8 in paths and link targets, spaces and
# backslashes are escaped as \xHH.
set -eu

usage() {
	sed -n "4,14s/^# \{0,1\}//p" "$0" >&2
	exit 2
}

clamp=""
mode=cmp
filter=""
while [ $# -gt 0 ]; do
	case $1 in
	--list) mode=list ;;
	--clamp) [ $# -ge 2 ] || usage; clamp=$2; shift ;;
	--no-sockets) filter="$filter nosockets" ;;
	--no-mtime) filter="$filter nomtime" ;;
	--no-root-mtime) filter="$filter norootmtime" ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "treecmp: unknown option '$1'" >&2; usage ;;
	*) break ;;
	esac
	shift
done

command -v python3 >/dev/null 2>&1 || { echo "treecmp: python3 not found" >&2; exit 2; }

list() {	# list DIR CLAMP
	python3 - "$1" "$2" "$filter" <<'EOF'
import hashlib, os, stat, sys

root, clamp, flags = sys.argv[1], sys.argv[2], sys.argv[3].split()
clamp = int(clamp) if clamp else None
rootb = os.fsencode(root)
out = sys.stdout.buffer

def esc(b):
	r = bytearray()
	for ch in b.decode('utf-8', 'surrogateescape'):
		o = ord(ch)
		if 0xdc80 <= o <= 0xdcff or o < 0x21 or o == 0x7f or ch == '\\':
			r += b'\\x%02x' % (o & 0xff)
		else:
			r += ch.encode()
	return bytes(r)

def walk(rel):
	yield rel
	path = os.path.join(rootb, rel) if rel else rootb
	if stat.S_ISDIR(os.lstat(path).st_mode):
		for name in sorted(os.listdir(path)):
			yield from walk(os.path.join(rel, name) if rel else name)

def sha256(path):
	h = hashlib.sha256()
	with open(path, 'rb', buffering=0) as f:
		while True:
			b = f.read(1 << 20)
			if not b:
				return h.hexdigest()
			h.update(b)

TYPES = [(stat.S_ISREG, 'f'), (stat.S_ISDIR, 'd'), (stat.S_ISLNK, 'l'), (stat.S_ISCHR, 'c'),
	 (stat.S_ISBLK, 'b'), (stat.S_ISFIFO, 'p'), (stat.S_ISSOCK, 's')]

entries = []
first = {}
count = {}
for rel in walk(b''):
	path = os.path.join(rootb, rel) if rel else rootb
	st = os.lstat(path)
	if 'nosockets' in flags and stat.S_ISSOCK(st.st_mode):
		continue
	entries.append((rel, path, st))
	if not stat.S_ISDIR(st.st_mode) and st.st_nlink > 1:
		key = (st.st_dev, st.st_ino)
		first.setdefault(key, rel)
		count[key] = count.get(key, 0) + 1

for rel, path, st in entries:
	t = next(c for f, c in TYPES if f(st.st_mode))
	f = [esc(rel) if rel else b'.', t.encode(), b'mode=%04o' % stat.S_IMODE(st.st_mode),
	     b'uid=%d' % st.st_uid, b'gid=%d' % st.st_gid]
	if t == 'f':
		f += [b'size=%d' % st.st_size, b'sha256=' + sha256(path).encode()]
	elif t == 'l':
		f.append(b'target=' + esc(os.readlink(path)))
	elif t in 'cb':
		f.append(b'dev=%d:%d' % (os.major(st.st_rdev), os.minor(st.st_rdev)))
	key = (st.st_dev, st.st_ino)
	if count.get(key, 0) > 1:
		f.append(b'hardlink=' + esc(first[key]))
	if 'nomtime' not in flags and not (rel == b'' and 'norootmtime' in flags):
		mtime = st.st_mtime_ns // 1000000000
		if clamp is not None and mtime > clamp:
			mtime = clamp
		f.append(b'mtime=%d' % mtime)
	for name in sorted(os.listxattr(path, follow_symlinks=False)):
		v = os.getxattr(path, name, follow_symlinks=False)
		f.append(b'xattr:' + esc(name.encode()) + b'=0x' + v.hex().encode())
	out.write(b' '.join(f) + b'\n')
EOF
}

if [ $mode = list ]; then
	[ $# = 1 ] || usage
	[ -d "$1" ] || { echo "treecmp: '$1' is not a directory" >&2; exit 2; }
	list "$1" "$clamp"
	exit 0
fi

[ $# = 2 ] || usage
for d; do
	[ -d "$d" ] || { echo "treecmp: '$d' is not a directory" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/treecmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
list "$1" "$clamp" >"$tmp/a" || { echo "treecmp: cannot list '$1'" >&2; exit 2; }
list "$2" "" >"$tmp/b" || { echo "treecmp: cannot list '$2'" >&2; exit 2; }
if cmp -s "$tmp/a" "$tmp/b"; then
	exit 0
fi
diff -u --label "$1" --label "$2" "$tmp/a" "$tmp/b" | head -n "${TREECMP_MAX_LINES:-200}"
exit 1
