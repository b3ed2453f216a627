#!/bin/sh
# mkimg summary: the golden recipes in tests/fixtures/recipes print their .summary (exit 0) or
# fail with their .error "FILE:LINE: message" (exit 2); default recipe lookup, drop-ins,
# command-line overrides and the templates.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

fixtures=$(cd "$top_srcdir/tests/fixtures/recipes" && pwd -P)

host_arch() {
	if command -v dpkg >/dev/null 2>&1; then
		dpkg --print-architecture
		return
	fi
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	i?86) echo i386 ;;
	armv7*) echo armhf ;;
	ppc64le) echo ppc64el ;;
	loongarch64) echo loong64 ;;
	*) uname -m ;;
	esac
}
arch=$(host_arch)

expand() {	# expand FILE: the expected text with @DIR@ and @ARCH@ filled in
	sed -e "s|@DIR@|$fixtures|g" -e "s|@ARCH@|$arch|g" "$1"
}

# check_summary WANT-FILE ARGS... : exit 0, nothing on stderr, stdout equals WANT-FILE
check_summary() {
	local want=$1 rc=0
	shift
	"$MKIMG" summary "$@" >"$T/.stdout" 2>"$T/.stderr" || rc=$?
	[ "$rc" = 0 ] || { echo "exit $rc, want 0"; cat "$T/.stderr"; return 1; }
	[ ! -s "$T/.stderr" ] || { echo "unexpected stderr:"; cat "$T/.stderr"; return 1; }
	diff -u "$want" "$T/.stdout"
}

# check_error WANT-EXIT TEXT ARGS... : exits WANT-EXIT, stderr contains TEXT, stdout empty
check_error() {
	local want=$1 text=$2 rc=0
	shift 2
	"$MKIMG" summary "$@" >"$T/.stdout" 2>"$T/.stderr" || rc=$?
	[ "$rc" = "$want" ] || { echo "exit $rc, want $want"; cat "$T/.stderr"; return 1; }
	grep -qF -- "$text" "$T/.stderr" || { echo "stderr lacks: $text"; cat "$T/.stderr"; return 1; }
	[ ! -s "$T/.stdout" ] || { echo "unexpected stdout:"; cat "$T/.stdout"; return 1; }
}

# check_contains TEXT ARGS... : summary succeeds and prints a line equal to TEXT
check_contains() {
	local text=$1
	shift
	"$MKIMG" summary "$@" >"$T/.stdout" 2>"$T/.stderr" || { cat "$T/.stderr"; return 1; }
	grep -qxF -- "$text" "$T/.stdout" || { echo "no line '$text' in:"; cat "$T/.stdout"; return 1; }
}

in_dir() {	# in_dir DIR COMMAND... : run COMMAND (may be a function) in DIR
	(cd "$1" && shift && "$@")
}

# Golden files.
n=0
for f in "$fixtures"/*.recipe; do
	name=${f##*/}
	stem=${name%.recipe}
	n=$((n + 1))
	if [ -f "$fixtures/$stem.summary" ]; then
		expand "$fixtures/$stem.summary" >"$T/$stem.want"
		ok "summary of $name" check_summary "$T/$stem.want" "$f"
	elif [ -f "$fixtures/$stem.error" ]; then
		ok "$name is rejected: $(cat "$fixtures/$stem.error")" \
			check_error 2 "$(expand "$fixtures/$stem.error")" "$f"
	else
		ok "$name has a .summary or .error file" false
	fi
done
ok "found the golden recipes ($n)" test "$n" -ge 20

ok "seed recipe lists its 4 packages" check_contains "        rpm" "$fixtures/seed.recipe"

# The summary is a recipe: printing it again gives the same text.
"$MKIMG" summary "$fixtures/seed.recipe" >"$T/seed-summary.recipe" 2>/dev/null
ok "summary round trip" check_summary "$T/seed-summary.recipe" "$T/seed-summary.recipe"

# Default recipe lookup in the current directory, mkosi.default.d/ drop-ins, default output name.
mkdir -p "$T/proj/mkosi.default.d"
printf '[Distribution]\nDistribution=debian\nRelease=12\n[Packages]\nPackages=a\n' \
	>"$T/proj/mkosi.default"
printf '[Packages]\nPackages=b\n[Output]\nFormat=tar\nCompressOutput=xz\n' \
	>"$T/proj/mkosi.default.d/50-extra.conf"
cat >"$T/proj.want" <<EOF
[Distribution]
Distribution=debian
Release=bookworm
Architecture=$arch
Updates=yes

[Output]
Format=tar
Output=image.tar.xz
Bootable=no
CompressOutput=xz

[Packages]
Packages=
        a
        b
EOF
ok "mkosi.default and mkosi.default.d/ found in the current directory" \
	in_dir "$T/proj" check_summary "$T/proj.want"
printf '[Distribution]\nDistribution=ubuntu\nRelease=24.04\n' >"$T/proj/mkimg.recipe"
ok "mkimg.recipe is preferred over mkosi.default" \
	sh -c 'cd "$1" && "$2" summary | grep -qx "Release=noble"' _ "$T/proj" "$MKIMG"
ok "summary writes no output" test ! -e "$T/proj/image.tar.xz"

# Command-line options lay on top of the recipe.
ok "-f/-o/-p override the recipe" sh -c '
	cd "$1" && "$2" summary -f tar -o out.tar.gz -p vim "$3" >"$1/over.out" &&
	grep -qx "Format=tar" "$1/over.out" &&
	grep -qx "Output=$(pwd -P)/out.tar.gz" "$1/over.out" &&
	grep -qx "CompressOutput=gz" "$1/over.out" &&
	grep -qx "        vim" "$1/over.out" &&
	grep -qx "        rpm" "$1/over.out"' _ "$T" "$MKIMG" "$fixtures/seed.recipe"
ok "command-line errors are recipe errors" \
	check_error 2 "Format=gpt_btrfs is not supported" -f gpt_btrfs "$fixtures/seed.recipe"
ok "-r normalises the release" check_contains "Release=stream9" -r 9 "$fixtures/seed.recipe"

# Updates= and SecurityMirror= (mkimg extensions): effective Updates=, apt only.
printf '[Distribution]\nDistribution=debian\nRelease=sid\n' >"$T/sid.recipe"
ok "Updates= defaults to no for sid" check_contains "Updates=no" "$T/sid.recipe"
printf '[Distribution]\nDistribution=debian\nRelease=12\nSecurityMirror=/srv/sec\n' \
	>"$T/sec.recipe"
ok "SecurityMirror= is shown" check_contains "SecurityMirror=/srv/sec" "$T/sec.recipe"
printf 'Updates=maybe\n' >>"$T/sec.recipe"
ok "a bad Updates= value is a recipe error" \
	check_error 2 "$T/sec.recipe:5: invalid boolean 'maybe' for Updates=" "$T/sec.recipe"
printf '[Distribution]\nDistribution=centos\nRelease=9\nUpdates=no\n' >"$T/el.recipe"
ok "Updates= on an rpm distribution is a recipe error" \
	check_error 2 "$T/el.recipe:4: Updates= is only for Debian and Ubuntu" "$T/el.recipe"

ok "missing recipe file" check_error 2 "cannot read recipe '$T/nope.recipe'" "$T/nope.recipe"

# The shipped templates.
ok "templates/recipes/debian-12 is valid" \
	check_contains "Release=bookworm" "$top_srcdir/templates/recipes/debian-12"
ok "debian-12 has no Mirror= (the host's apt mirror is used)" \
	sh -c '! "$1" summary "$2" | grep -q "^Mirror="' _ "$MKIMG" \
	"$top_srcdir/templates/recipes/debian-12"

done_testing
