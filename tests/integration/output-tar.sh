#!/bin/sh
# Format=tar: the fixture tree (every file type, owners, modes, xattrs, ACLs, odd names, times)
# built into .tar, .tar.gz, .tar.xz and .tar.zst.  Each archive extracted by bsdtar (and the
# plain one by GNU tar) must give back the fixture, with mtimes clamped to SOURCE_DATE_EPOCH
# and without the unix socket (tar cannot store sockets).  The archive itself: pax, entries
# in tree order named "./...", numeric owners only, no atime/ctime, device nodes, hardlink
# entries, security.capability; GNU tar lists it without a warning.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/lib.sh"

need_root
need_cmd bsdtar tar python3 setfacl setfattr setcap getcap gzip xz zstd
[ -x "$MKIMG" ] || skip_all "mkimg is not built"
need_user_xattrs

treecmp=$top_srcdir/tests/treecmp.sh
fx=$T/fixture
make_fixture "$fx"
mkdir "$T/out"

build() {	# build FORMAT OUTPUT
	cat >"$T/recipe" <<EOF
[Distribution]
Distribution=none

[Output]
Format=$1
Output=$2

[Content]
BaseTrees=$fx
EOF
	"$MKIMG" --force "$T/recipe"
}

# Python checks on the archive's headers; reads any compression via the decompressor named
# in $2 (cat, gzip -dc, xz -dc, zstd -dc).
check_headers() {	# check_headers ARCHIVE DECOMPRESSOR
	$2 <"$1" | python3 -c '
import sys, tarfile
epoch = int(sys.argv[1])
t = tarfile.open(fileobj=sys.stdin.buffer, mode="r|", encoding="utf-8", errors="surrogateescape")
members = list(t)
names = [m.name for m in members]
bad = []
if not names or names[0] != ".":
	bad.append("first entry is %r, not ./" % (names[:1],))
if any(not (n == "." or n.startswith("./")) for n in names):
	bad.append("names without ./ prefix")
key = lambda n: [c.encode("utf-8", "surrogateescape") for c in n.split("/")][1:]
if names != sorted(names, key=key):
	bad.append("entries are not in tree order")
for m in members:
	if m.uname or m.gname:
		bad.append("%s has uname/gname %r/%r" % (m.name, m.uname, m.gname))
	if set(m.pax_headers) & {"atime", "ctime", "LIBARCHIVE.creationtime"}:
		bad.append("%s has atime/ctime %r" % (m.name, m.pax_headers))
	if m.mtime > epoch:
		bad.append("%s mtime %d is past SOURCE_DATE_EPOCH" % (m.name, m.mtime))
by = {m.name: m for m in members}
def want(cond, what):
	if not cond:
		bad.append(what)
want(by["./future/future-file"].mtime == epoch, "future mtime not clamped to the epoch")
want(by["./old/before-1970"].mtime == -14182940, "pre-1970 mtime lost")
want(by["./dev/null"].ischr() and (by["./dev/null"].devmajor, by["./dev/null"].devminor) == (1, 3),
     "./dev/null is not char 1:3")
want(by["./dev/sda"].isblk() and (by["./dev/sda"].devmajor, by["./dev/sda"].devminor) == (8, 0),
     "./dev/sda is not block 8:0")
want(by["./dev/fifo"].isfifo(), "./dev/fifo is not a fifo")
want("./dev/socket" not in by, "a socket was archived")
for n in ("./hardlinks/b", "./hardlinks/c"):
	want(by[n].islnk() and by[n].linkname == "./hardlinks/a", n + " is not a hardlink to ./hardlinks/a")
want(by["./hardlinks/sub/pair-link"].islnk(), "cross-directory hardlink missing")
want(by["./hardlinks/a"].isreg() and by["./hardlinks/a"].size == 12, "hardlink leader has no data")
cap = by["./xattrs/cap-net-raw"].pax_headers.get("SCHILY.xattr.security.capability")
want(cap is not None, "security.capability missing from ./xattrs/cap-net-raw")
want("SCHILY.acl.access" in by["./xattrs/acl-file"].pax_headers, "access ACL missing")
want("SCHILY.acl.default" in by["./xattrs/acl-dir"].pax_headers, "default ACL missing")
want(by["./owners/u3000000-g2999999"].uid == 3000000, "large uid lost")
want(by["./modes/file-6755"].mode == 0o6755, "setuid/setgid bits lost")
want(by["./modes/sticky"].mode == 0o1777, "sticky bit lost")
for b in bad:
	print(b)
sys.exit(1 if bad else 0)
' "$SOURCE_DATE_EPOCH"
}

check_magic() {	# check_magic FILE HEX-PREFIX
	[ "$(od -A n -t x1 -N $((${#2} / 2)) "$1" | tr -d ' \n')" = "$2" ]
}

gzip_header_clean() {	# no FNAME/FCOMMENT flags, zero MTIME
	[ "$(od -A n -t x1 -j 3 -N 5 "$1" | tr -d ' \n')" = 0000000000 ]
}

extract_bsdtar() {	# extract_bsdtar ARCHIVE DIR
	rm -rf "$2" && mkdir "$2" && bsdtar --numeric-owner --xattrs --acls -xpf "$1" -C "$2"
}

gnutar_lists_quietly() {	# gnutar_lists_quietly ARCHIVE
	tar --numeric-owner --xattrs --xattrs-include='*' --acls -tvf "$1" >"$T/gnutar.list" \
		2>"$T/gnutar.err" || { cat "$T/gnutar.err"; return 1; }
	[ ! -s "$T/gnutar.err" ] || { cat "$T/gnutar.err"; return 1; }
	grep -q '^crw-rw-rw-.* 0/0 *1,3 .* \./dev/null$' "$T/gnutar.list"
}

manifest_matches() {	# manifest_matches OUTPUT
	python3 - "$1" <<'EOF'
import hashlib, json, sys
m = json.load(open(sys.argv[1] + ".manifest.json"))["output"]
data = open(sys.argv[1], "rb").read()
ok = m["sha256"] == hashlib.sha256(data).hexdigest() and m["size"] == len(data)
sys.exit(0 if ok else "manifest says %s/%s" % (m["sha256"], m["size"]))
EOF
}

for ext in tar tar.gz tar.xz tar.zst; do
	out=$T/out/image.$ext
	case $ext in
	tar) magic=; dec=cat ;;
	tar.gz) magic=1f8b08; dec="gzip -dc" ;;
	tar.xz) magic=fd377a585a00; dec="xz -dc" ;;
	tar.zst) magic=28b52ffd; dec="zstd -dc" ;;
	esac
	ok "$ext: mkimg builds it" build tar "$out"
	if [ ! -f "$out" ]; then
		skip "$ext: archive checks" "no archive was written"
		continue
	fi
	if [ -n "$magic" ]; then
		ok "$ext: compressed as $ext" check_magic "$out" "$magic"
	else
		ok "$ext: a POSIX tar" sh -c "od -A n -c -j 257 -N 5 '$out' | tr -d ' \n' | grep -qx ustar"
	fi
	[ "$ext" = tar.gz ] && ok "$ext: gzip header has no name and no timestamp" gzip_header_clean "$out"
	ok "$ext: headers (order, ./ names, numeric owners, clamped times, devices, links, xattrs)" \
		check_headers "$out" "$dec"
	ok "$ext: bsdtar extracts it" extract_bsdtar "$out" "$T/x"
	ok "$ext: the extracted tree is the fixture (mtimes clamped, no socket)" \
		"$treecmp" --no-sockets --no-root-mtime --clamp "$SOURCE_DATE_EPOCH" "$fx" "$T/x"
	ok "$ext: file capability survives" \
		sh -c "getcap '$T/x/xattrs/cap-net-raw' | grep -q 'cap_net_raw[=+]ep'"
	ok "$ext: GNU tar lists it without warnings" gnutar_lists_quietly "$out"
	# The writer hashes the archive as it writes it; the manifest must say what is on disk.
	ok "$ext: the manifest's output sha256 and size are the archive's" manifest_matches "$out"
done

# GNU tar restores the root directory's mtime too: compare everything but the socket.
if [ -f "$T/out/image.tar" ]; then
	rm -rf "$T/g" && mkdir "$T/g"
	ok "GNU tar extracts the plain archive" \
		tar --numeric-owner --xattrs --xattrs-include='*' --acls -xpf "$T/out/image.tar" -C "$T/g"
	ok "GNU tar's extraction is the fixture, root mtime included" \
		"$treecmp" --no-sockets --clamp "$SOURCE_DATE_EPOCH" "$fx" "$T/g"
fi

done_testing
