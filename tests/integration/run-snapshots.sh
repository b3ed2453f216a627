#!/bin/bash
# Read-write, --read-only, --ephemeral and --overlay runs of one image: which changes stay
# where, the image file's digest, and the lock that allows many runs that leave the image
# alone but only one that writes to it.
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=rsnap
. "$top_srcdir/tests/integration/run-lib.sh"
run_need_env

run_busybox_tree "$T/tree"
run_mkimg gpt_ext4 "$T/tree" "$T/rsnap.raw" || { echo "Bail out! mkimg failed"; exit 1; }
IMG=$T/rsnap.raw
run_snapshot "$T/before"
sum() { sha256sum "$IMG" | cut -d' ' -f1; }

s0=$(sum)
ok "--ephemeral: writes work inside" "$RUNIMG" -q --ephemeral "$IMG" /bin/sh -c '
	echo changed >/etc/marker && rm /bin/ls && [ "$(cat /etc/marker)" = changed ]'
ok "--ephemeral: the image's sha256 is unchanged" test "$(sum)" = "$s0"
ok "--ephemeral: the changes are gone" sh -c '
	[ "$("$1" -q --read-only "$2" /bin/cat /etc/marker)" = busybox-fixture ]' - "$RUNIMG" "$IMG"
ok "-x is --ephemeral" "$RUNIMG" -q -x "$IMG" /bin/sh -c 'grep -q "^overlay / overlay" /proc/mounts'

mkdir "$T/ov"
ok "--overlay: first run writes" "$RUNIMG" -q --overlay "$T/ov" "$IMG" /bin/sh -c '
	echo persisted >/root/state && rm /etc/marker'
ok "--overlay: second run sees the changes" "$RUNIMG" -q --overlay "$T/ov" "$IMG" /bin/sh -c '
	[ "$(cat /root/state)" = persisted ] && [ ! -e /etc/marker ]'
ok "--overlay: changes are in DIR/upper" test "$(cat "$T/ov/upper/root/state")" = persisted
ok "--overlay: the image is unchanged" test "$(sum)" = "$s0"
ok "--overlay: a run without it sees the original" sh -c '
	[ "$("$1" -q --read-only "$2" /bin/cat /etc/marker)" = busybox-fixture ] &&
	! "$1" -q --read-only "$2" /bin/cat /root/state 2>/dev/null' - "$RUNIMG" "$IMG"
fails "--overlay with a relative DIR" 2 "absolute" "$RUNIMG" --overlay ov "$IMG" /bin/true
fails "--overlay with --ephemeral" 2 "cannot be combined" \
	"$RUNIMG" --overlay "$T/ov" -x "$IMG" /bin/true

ok "--read-only: writes fail" "$RUNIMG" -q --read-only "$IMG" /bin/sh -c '
	! echo x 2>/dev/null >/etc/new && ! rm /etc/marker 2>/dev/null && [ -e /etc/marker ]'
ok "--read-only: /tmp and /run are still writable" "$RUNIMG" -q --read-only "$IMG" /bin/sh -c '
	echo x >/tmp/a && echo x >/run/b'
ok "--read-only: the image is unchanged" test "$(sum)" = "$s0"
fails "--read-only with --ephemeral" 2 "cannot be combined" \
	"$RUNIMG" --read-only -x "$IMG" /bin/true

ok "read-write run: changes persist in the image" sh -c '
	"$1" -q "$2" /bin/sh -c "echo rw >/root/rw" &&
	[ "$("$1" -q "$2" /bin/cat /root/rw)" = rw ]' - "$RUNIMG" "$IMG"
ok "read-write run: the image changed" test "$(sum)" != "$s0"

# Locks: hold one run open with a FIFO, try others meanwhile.
start_holder() { # start_holder OPTIONS...
	rm -f "$T/go"
	mkfifo "$T/go"
	"$RUNIMG" -q "$@" --bind "$T/go:/go-fifo" "$IMG" /bin/sh -c 'read x </go-fifo' &
	holder=$!
	on_exit "kill $holder"
	for _ in $(seq 50); do
		[ -n "$(ls /run/runimg 2>/dev/null | grep "^rsnap")" ] && break
		sleep 0.1
	done
	sleep 0.3
}
stop_holder() {
	echo go >"$T/go"
	wait "$holder"
}
start_holder
fails "a second read-write run is refused" 1 "in use by another runimg" \
	"$RUNIMG" -q "$IMG" /bin/true
fails "so is a read-only run while one writes" 1 "running read-write" \
	"$RUNIMG" -q --read-only "$IMG" /bin/true
stop_holder
start_holder -x
ok "ephemeral runs side by side" "$RUNIMG" -q -x "$IMG" /bin/true
ok "read-only and overlay runs side by side" sh -c '
	"$1" -q --read-only "$2" /bin/true && "$1" -q --overlay "$3/ov" "$2" /bin/true' \
	- "$RUNIMG" "$IMG" "$T"
fails "but no read-write run" 1 "in use by another runimg" "$RUNIMG" -q "$IMG" /bin/true
stop_holder
ok "after they end, read-write works again" "$RUNIMG" -q "$IMG" /bin/true
start_holder -M rsnap-fixed -x
fails "a running machine's name cannot be taken: exit 2" 2 "already running" \
	"$RUNIMG" -q -M rsnap-fixed -x "$IMG" /bin/true
stop_holder

ok "nothing left behind" run_same_state "$T/before" "$T/after"
done_testing
