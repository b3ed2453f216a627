# Shared helpers for the shell integration tests: TAP output, root checks, cleanup traps.
# Source it: . "$top_srcdir/tests/lib.sh"
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${MKIMG:=$top_builddir/mkimg}"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1700000000}"

_tap_n=0
_tap_failed=0
_cleanups=""

ok() {	# ok DESCRIPTION COMMAND... : passes when COMMAND succeeds
	local desc=$1
	shift
	_tap_n=$((_tap_n + 1))
	if "$@" >"$T/.out" 2>&1; then
		echo "ok $_tap_n - $desc"
	else
		echo "not ok $_tap_n - $desc"
		sed 's/^/#   /' "$T/.out" | head -40
		_tap_failed=$((_tap_failed + 1))
	fi
}

fails() {	# fails DESCRIPTION EXPECTED-EXIT PATTERN COMMAND... : exits EXPECTED-EXIT, stderr matches PATTERN
	local desc=$1 want=$2 pat=$3 rc=0
	shift 3
	_tap_n=$((_tap_n + 1))
	"$@" >"$T/.out" 2>&1 || rc=$?
	if [ "$rc" = "$want" ] && grep -Eq -- "$pat" "$T/.out"; then
		echo "ok $_tap_n - $desc"
	else
		echo "not ok $_tap_n - $desc (exit $rc, want $want, pattern '$pat')"
		sed 's/^/#   /' "$T/.out" | head -40
		_tap_failed=$((_tap_failed + 1))
	fi
}

skip() {	# skip DESCRIPTION REASON
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1 # SKIP $2"
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

need_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
}

need_cmd() {
	for c; do command -v "$c" >/dev/null 2>&1 || skip_all "needs $c"; done
}

need_user_xattrs() {	# the fixture tree carries user.* xattrs: $T's filesystem must take them
	touch "$T/probe" && setfattr -n user.probe -v 1 "$T/probe" 2>/dev/null ||
		skip_all "the filesystem of $T has no user xattrs"
}

make_fixture() {	# make_fixture DIR : tests/fixtures/mktree.sh, bailing out if it fails
	"$top_srcdir/tests/fixtures/mktree.sh" "$1" >"$T/mktree.log" 2>&1 || {
		sed 's/^/# /' "$T/mktree.log"
		echo "Bail out! cannot create the fixture tree"
		exit 1
	}
}

on_exit() {	# on_exit COMMAND-STRING : run at exit, last registered first
	_cleanups="$1
$_cleanups"
}

_run_cleanups() {
	local rc=$?
	printf '%s\n' "$_cleanups" | while IFS= read -r c; do [ -n "$c" ] && eval "$c" >/dev/null 2>&1; done
	rm -rf "$T"
	exit $rc
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" = 0 ]
}

T=$(mktemp -d "${TMPDIR:-/var/tmp}/mkimg-test.XXXXXX")
trap _run_cleanups EXIT
trap 'exit 130' INT TERM
