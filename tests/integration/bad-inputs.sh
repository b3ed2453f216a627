#!/bin/bash
# Bad input gets a clear error and the documented exit code, and never leaves a half-written
# output, a temporary file or a workspace behind.
. "$top_srcdir/tests/lib.sh"

ws=$T/ws
mkdir -p "$ws" "$T/tree/etc" "$T/out"
echo hello >"$T/tree/etc/motd"

recipe() {	# recipe NAME [extra lines for [Output]...]
	local f=$T/$1.recipe
	shift
	{
		printf '[Distribution]\nDistribution=none\n[Content]\nBaseTrees=%s\n[Output]\n' "$T/tree"
		printf '%s\n' "$@"
	} >"$f"
	echo "$f"
}

mk() { "$MKIMG" --workspace-dir "$ws" "$@"; }

no_leftovers() {	# nothing but the committed outputs in $T/out, an empty workspace dir
	[ -z "$(ls -A "$ws")" ] || { ls -la "$ws"; return 1; }
	[ -z "$(find "$T/out" -name '.*mkimg-*')" ] || { ls -la "$T/out"; return 1; }
}

# Recipe errors: every class exits 2 and names file:line.
r=$(recipe typo "Format=tar" "Output=$T/out/x.tar")
printf '[Packages]\nPakages=vim\n' >>"$r"
fails "unknown key names file:line and suggests" 2 "typo.recipe:[0-9]+: .*Pakages.*Packages" mk build "$r"
r=$(recipe badsec "Format=tar" "Output=$T/out/x.tar")
printf '[Contnet]\nHostname=x\n' >>"$r"
fails "unknown section" 2 "badsec.recipe:[0-9]+:.*Contnet" mk build "$r"
r=$(recipe badsize "Format=gpt_ext4" "Output=$T/out/x.raw" "Size=12Q")
fails "bad size value" 2 "badsize.recipe:[0-9]+:.*12Q" mk build "$r"
r=$(recipe badfmt "Format=gpt_btrfs" "Output=$T/out/x.raw")
fails "unsupported format" 2 "badfmt.recipe:[0-9]+:.*gpt_btrfs" mk build "$r"
r=$(recipe boot "Format=gpt_ext4" "Output=$T/out/x.raw" "Bootable=yes")
fails "Bootable=yes is refused" 2 "Bootable" mk build "$r"
printf '[Output]\nFormat=tar\n' >"$T/nodistro.recipe"
fails "missing Distribution=" 2 "Distribution" mk build "$T/nodistro.recipe"
fails "missing recipe file" 2 "nonexistent.recipe" mk build "$T/nonexistent.recipe"
fails "unknown option" 2 "unrecognized option" mk --frobnicate "$r"
fails "stray argument" 2 "unexpected argument" mk build "$r" extra
printf '[Distribution]\nDistribution=rocky\nRelease=9\n[Output]\nFormat=tar\nOutput=%s\n' \
	"$T/out/c.tar" >"$T/centos.recipe"
fails "Rocky Linux bootstrap not available yet" 2 "not available yet" mk build "$T/centos.recipe"
r=$(recipe epoch "Format=tar" "Output=$T/out/e.tar")
fails "bad SOURCE_DATE_EPOCH" 2 "SOURCE_DATE_EPOCH" env SOURCE_DATE_EPOCH=yesterday "$MKIMG" \
	--workspace-dir "$ws" build "$r"

# Inputs that exist only on disk.
printf '[Distribution]\nDistribution=none\n[Content]\nBaseTrees=%s\n[Output]\nFormat=tar\nOutput=%s\n' \
	"$T/no-such-tree" "$T/out/m.tar" >"$T/missing.recipe"
fails "missing BaseTrees names it" 2 "no-such-tree" mk build "$T/missing.recipe"
ok "no output after a missing BaseTrees" test ! -e "$T/out/m.tar"
r=$(recipe nodir "Format=tar" "Output=$T/no-such-dir/x.tar")
fails "output directory missing" 2 "no-such-dir.*does not exist" mk build "$r"

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/ro"
	mount -t tmpfs -o ro,size=1M tmpfs "$T/ro"
	on_exit "umount '$T/ro'"
	r=$(recipe ro "Format=tar" "Output=$T/ro/x.tar")
	fails "read-only output directory" 2 "not writable" mk build "$r"
else
	skip "read-only output directory" "needs root to mount a read-only tmpfs"
fi

# Existing output: refused without --force, untouched; replaced with it.
r=$(recipe exists "Format=tar" "Output=$T/out/exists.tar")
echo precious >"$T/out/exists.tar"
fails "existing output needs --force" 2 "already exists.*--force" mk build "$r"
ok "existing output untouched" grep -q precious "$T/out/exists.tar"
ok "--force replaces it" mk --force build "$r"
ok "replaced output is a tarball" bsdtar -tf "$T/out/exists.tar"
r=$(recipe existsdir "Format=directory" "Output=$T/out/dir")
mkdir -p "$T/out/dir/old"
ok "--force replaces an existing directory output" mk --force build "$r"
ok "old directory content gone" test ! -e "$T/out/dir/old" -a -f "$T/out/dir/etc/motd"

# A too-small Size= is a recipe error with nothing left behind.
r=$(recipe small "Format=gpt_ext4" "Output=$T/out/small.raw" "Size=3M")
dd if=/dev/urandom of="$T/tree/etc/big" bs=1M count=8 status=none 2>/dev/null
fails "too-small Size= is a clear error" 2 "too small" mk build "$r"
ok "no output after too-small Size=" test ! -e "$T/out/small.raw" -a ! -e "$T/out/small.raw.manifest.json"
ok "no temporary files or workspace after a failure" no_leftovers

# Interrupted builds leave nothing.  The PostInstallationScript sleeps, so the signal arrives
# mid-build, while a process runs chrooted in the workspace with /proc and /dev mounted there.
wait_for_sleeper() {
	for _ in $(seq 100); do
		pgrep -f "sleep 424[2]" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

interrupt() {	# interrupt NAME SIGNAL-SENDER
	local name=$1 how=$2 rc=0
	printf '#!/bin/sh\nexec sleep 4242\n' >"$T/sleep.sh"
	chmod +x "$T/sleep.sh"
	r=$(recipe "$name" "Format=gpt_ext4" "Output=$T/out/$name.raw")
	printf '[Content]\nPostInstallationScript=%s\n' "$T/sleep.sh" >>"$r"
	# Not through the mk function: $! must be mkimg itself, not a subshell.
	"$MKIMG" --workspace-dir "$ws" build "$r" >"$T/$name.log" 2>&1 &
	pid=$!
	wait_for_sleeper || echo "# the script never started" >&2
	$how "$pid"
	wait "$pid" || rc=$?
	echo "$rc"
}

if [ "$(id -u)" = 0 ] && [ -x /bin/busybox ]; then
	mkdir -p "$T/tree/bin"
	cp /bin/busybox "$T/tree/bin/busybox"
	ln -s busybox "$T/tree/bin/sh"
	ln -s busybox "$T/tree/bin/sleep"
	for sig in INT TERM HUP; do
		rc=$(interrupt "int$sig" "kill -$sig")
		ok "SIG$sig: exit status 128+signal (got $rc)" test "$rc" -gt 128
		ok "SIG$sig: no output or manifest" test ! -e "$T/out/int$sig.raw" -a ! -e "$T/out/int$sig.raw.manifest.json"
		ok "SIG$sig: no temporary file or workspace" no_leftovers
		ok "SIG$sig: the script was killed too" sh -c '! pgrep -f "sleep 424[2]"'
		ok "SIG$sig: no mount left in the workspace" sh -c "! grep -q ' $ws' /proc/mounts"
	done
	# A worker that dies (SIGKILL, as the OOM killer would) is cleaned up by the supervisor.
	rc=$(interrupt kill9 "pkill -KILL -P")
	ok "killed worker: mkimg exits 1 (got $rc)" test "$rc" = 1
	ok "killed worker: no output" test ! -e "$T/out/kill9.raw"
	ok "killed worker: nothing left behind" no_leftovers
	ok "killed worker: the script was killed too" sh -c '! pgrep -f "sleep 424[2]"'
else
	skip "interrupted builds" "needs root for PostInstallationScript= and busybox-static"
fi

done_testing
