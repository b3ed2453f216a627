#!/bin/bash
# Teardown on every exit path: many start/stop cycles, concurrent ephemeral runs, runimg
# killed by SIGTERM/SIGINT/SIGHUP and by SIGKILL (its stale state is swept by the next
# runimg).  Loop devices, mounts, cgroups and state files must end exactly as they began.
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=rlc
. "$top_srcdir/tests/integration/run-lib.sh"
run_need_env

run_busybox_tree "$T/tree"
run_mkimg gpt_ext4 "$T/tree" "$T/rlc.raw" || { echo "Bail out! mkimg failed"; exit 1; }
IMG=$T/rlc.raw
run_snapshot "$T/before"

cycles() {
	local i
	for i in $(seq 20); do
		case $((i % 4)) in
		0) "$RUNIMG" -q "$IMG" /bin/true ;;
		1) "$RUNIMG" -q -x "$IMG" /bin/sh -c 'echo x >/etc/y' ;;
		2) "$RUNIMG" -q --read-only --private-network "$IMG" /bin/true ;;
		3) "$RUNIMG" -q -x -D "$T/tree" /bin/true ;;
		esac || { echo "cycle $i failed"; return 1; }
	done
}
ok "20 start/stop cycles" cycles
ok "... leave loops, mounts, cgroups and state as before" run_same_state "$T/before" "$T/after"

concurrent() {
	local pids=() i rc=0
	for i in 1 2 3 4 5; do
		"$RUNIMG" -q -x "$IMG" /bin/sh -c "echo $i >/etc/run && sleep 1 && [ \$(cat /etc/run) = $i ]" &
		pids+=($!)
	done
	sleep 0.5
	[ "$(losetup -a | grep -c -F "$IMG")" = 5 ] || { echo "not 5 loop devices"; rc=1; }
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	return $rc
}
ok "5 concurrent ephemeral runs, each with its own changes" concurrent
ok "... leave everything as before" run_same_state "$T/before" "$T/after"

for sig in TERM INT HUP; do
	"$RUNIMG" -q -M rlc-sig "$IMG" /bin/sh -c "trap 'echo got-$sig; exit 9' $sig; touch /ready; while :; do sleep 0.1; done" >"$T/sig.out" 2>&1 &
	pid=$!
	on_exit "kill -9 $pid"
	sleep 1
	kill -$sig $pid
	ok "SIG$sig to runimg reaches the command, its status is runimg's" run_status 9 wait $pid
	ok "... the command saw SIG$sig" grep -q "got-$sig" "$T/sig.out"
	ok "... nothing left behind" run_same_state "$T/before" "$T/after"
done

"$RUNIMG" -q -M rlc-term "$IMG" /bin/sleep 60 &
pid=$!
on_exit "kill -9 $pid"
sleep 1
kill -TERM $pid
ok "SIGTERM to runimg running sleep: 143" run_status 143 wait $pid

mounts_same() { # the mounts are as before (cgroups and state may still wait for a sweep)
	run_snapshot "$T/now"
	diff <(sed -n "/^# loops/,/^# cgroups/p" "$T/before") <(sed -n "/^# loops/,/^# cgroups/p" "$T/now")
}

# kill -9: the machine dies with runimg (PR_SET_PDEATHSIG), the kernel drops its mounts and
# the autoclear loop device; its cgroups and state file are swept by the next runimg.
for mode in "" -b; do
	printf '#!/bin/sh\nwhile :; do sleep 1; done\n' >"$T/tree/sbin/init"
	if [ -n "$mode" ]; then
		"$RUNIMG" -q -b -M rlc-k9 -x -D "$T/tree" </dev/null >/dev/null 2>&1 &
	else
		"$RUNIMG" -q -M rlc-k9 "$IMG" /bin/sleep 60 &
	fi
	pid=$!
	sleep 1
	leader=$(sed -n 's/^LEADER=//p' /run/runimg/rlc-k9/state 2>/dev/null)
	kill -9 $pid
	wait $pid 2>/dev/null
	gone() {
		local i
		for i in $(seq 50); do
			[ -n "$leader" ] && ! kill -0 "$leader" 2>/dev/null &&
				! losetup -a | grep -q -F "$IMG" && return 0
			sleep 0.1
		done
		return 1
	}
	ok "kill -9 ${mode:-(command)}: the machine is gone, and its loop device" gone
	ok "... no mount left" mounts_same
	"$RUNIMG" -q "$IMG" /bin/true
	ok "... the next runimg swept its cgroups and state" run_same_state "$T/before" "$T/after"
done

ok "nothing left behind" run_same_state "$T/before" "$T/after"
done_testing
