#!/bin/bash
# runimg runs every kind of input: a GPT disk image made by mkimg, a bare ext4 image, a
# directory, tarballs (extracted once into the cache); commands' exit statuses and signals;
# --setenv, --bind, --bind-ro.
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=rin
. "$top_srcdir/tests/integration/run-lib.sh"
run_need_env
need_cmd mke2fs tar gzip

run_busybox_tree "$T/tree"
echo "$T" >"$T/tree/etc/test-dir" # makes this test's tarballs unique
run_mkimg gpt_ext4 "$T/tree" "$T/rin-disk.raw" || { echo "Bail out! mkimg failed"; exit 1; }
mke2fs -q -t ext4 -d "$T/tree" "$T/rin-bare.ext4" 64M
tar -C "$T/tree" --numeric-owner -cf "$T/rin-tar.tar" .
tar -C "$T/tree" --numeric-owner -czf "$T/rin-tgz.tar.gz" .
for t in rin-tar.tar rin-tgz.tar.gz; do
	sha=$(sha256sum "$T/$t" | cut -d' ' -f1)
	on_exit "rm -rf /var/cache/runimg/tar/$sha"
done
run_snapshot "$T/before"

marker() { # marker ARGS...: runimg prints the fixture's marker file
	[ "$("$RUNIMG" -q "$@" /bin/cat /etc/marker)" = busybox-fixture ]
}
ok "GPT disk image (root partition found by type)" marker "$T/rin-disk.raw"
ok "GPT disk image with -i" marker -i "$T/rin-disk.raw"
ok "bare ext4 image" marker "$T/rin-bare.ext4"
ok "directory" marker "$T/tree"
ok "directory with -D" marker -D "$T/tree"
ok "tarball" marker "$T/rin-tar.tar"
ok "compressed tarball" marker "$T/rin-tgz.tar.gz"
ok "tarball again (from the cache)" marker "$T/rin-tar.tar"
ok "tarball extracted once into the cache" \
	test -f "/var/cache/runimg/tar/$(sha256sum "$T/rin-tar.tar" | cut -d' ' -f1)/etc/marker"
ok "tarball runs are ephemeral: the cache stays unchanged" sh -c '
	"$1" -q "$2" /bin/sh -c "echo x >/etc/marker" &&
	[ "$("$1" -q "$2" /bin/cat /etc/marker)" = busybox-fixture ]' - "$RUNIMG" "$T/rin-tar.tar"
fails "-D with a file" 2 "is not a directory" "$RUNIMG" -D "$T/rin-disk.raw" /bin/true
fails "-i with a directory" 2 "is a directory" "$RUNIMG" -i "$T/tree" /bin/true
fails "missing input" 2 "cannot find" "$RUNIMG" "$T/nothing.raw" /bin/true

ok "exit status passed through" run_status 7 "$RUNIMG" -q "$T/rin-disk.raw" /bin/sh -c 'exit 7'
ok "killed by a signal: 128+N" run_status 137 "$RUNIMG" -q "$T/rin-disk.raw" /bin/sh -c 'kill -9 $$'
ok "SIGTERM to the command: 143" run_status 143 "$RUNIMG" -q "$T/rin-disk.raw" /bin/sh -c 'kill $$'
fails "command not found: 127" 127 "cannot execute '/bin/nope'" \
	"$RUNIMG" -q "$T/rin-disk.raw" /bin/nope
ok "no command: /bin/sh reads stdin" sh -c '
	[ "$(echo "echo from-stdin" | "$1" -q "$2")" = from-stdin ]' - "$RUNIMG" "$T/rin-disk.raw"
ok "stdin, stdout and stderr pass through" sh -c '
	out=$(echo in | "$1" -q "$2" /bin/sh -c "cat; echo err >&2" 2>"$3/err") &&
	[ "$out" = in ] && [ "$(cat "$3/err")" = err ]' - "$RUNIMG" "$T/rin-disk.raw" "$T"
if command -v script >/dev/null; then
	ok "stdin a terminal: the command runs on the console pty, status passed" sh -c '
		out=$(printf "tty; exit 3\n" | script -qec "$1 -q $2" /dev/null); rc=$?
		echo "$out" | tr -d "\r" | grep -qx /dev/console && [ $rc = 3 ]' - "$RUNIMG" "$T/rin-disk.raw"
else
	skip "stdin a terminal: the command runs on the console pty" "needs script(1)"
fi
ok "container=runimg and container_uuid set" sh -c '
	"$1" -q "$2" /bin/sh -c "[ \$container = runimg ] && [ \${#container_uuid} = 36 ]"' \
	- "$RUNIMG" "$T/rin-disk.raw"
ok "--setenv (later wins) and PATH override" sh -c '
	[ "$("$1" -q -E A=1 --setenv A=2 -E PATH=/bin "$2" /bin/sh -c "echo \$A:\$PATH")" = 2:/bin ]' \
	- "$RUNIMG" "$T/rin-disk.raw"

mkdir -p "$T/share"
echo shared >"$T/share/file"
ok "--bind SRC:DST is writable and reaches the host" sh -c '
	"$1" -q --bind "$3/share:/mnt/share" "$2" /bin/sh -c "cat /mnt/share/file && echo w >/mnt/share/new" &&
	[ "$(cat "$3/share/new")" = w ]' - "$RUNIMG" "$T/rin-disk.raw" "$T"
ok "--bind-ro refuses writes" sh -c '
	! "$1" -q --bind-ro "$3/share:/srv" "$2" /bin/sh -c "echo w >/srv/x" 2>/dev/null &&
	[ ! -e "$3/share/x" ]' - "$RUNIMG" "$T/rin-disk.raw" "$T"
fails "--bind with a missing source: exit 2" 2 "bind source '/nonexistent' does not exist" \
	"$RUNIMG" --bind /nonexistent "$T/rin-disk.raw" /bin/true
ok "--bind SRC (same path inside)" sh -c '
	"$1" -q --bind "$3/share" "$2" /bin/cat "$3/share/file"' - "$RUNIMG" "$T/rin-disk.raw" "$T"

ok "nothing left behind (loops, mounts, cgroups, state)" run_same_state "$T/before" "$T/after"
done_testing
