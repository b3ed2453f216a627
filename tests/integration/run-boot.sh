#!/bin/bash
# Boot mode with a busybox "init" (a shell script as PID 1): what init gets (environment,
# console, notify socket, cgroups), and how its end maps to runimg's exit status: poweroff 0,
# reboot 133, SIGTERM/SIGINT to runimg -> SIGRTMIN+4 to init, --timeout -> SIGKILL.
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=rboot
. "$top_srcdir/tests/integration/run-lib.sh"
run_need_env

run_busybox_tree "$T/tree"
run_snapshot "$T/before"
init() { # init SCRIPT-BODY: the image's /sbin/init
	printf '#!/bin/sh\n%s\n' "$1" >"$T/tree/sbin/init"
	chmod 755 "$T/tree/sbin/init"
}
boot() { # boot [OPTIONS]: boot the tree, output in $T/out (carriage returns dropped)
	local rc=0
	"$RUNIMG" -q -b -M rboot "$@" -D "$T/tree" </dev/null >"$T/raw" 2>&1 || rc=$?
	tr -d '\r' <"$T/raw" >"$T/out"
	return $rc
}
boot_bg() { # boot_bg [OPTIONS]: boot in the background, $pid is runimg's
	"$RUNIMG" -b -M rboot "$@" -D "$T/tree" </dev/null >"$T/raw" 2>&1 &
	pid=$!
	on_exit "kill -9 $pid"
}
wait_bg() { # wait_bg: runimg's exit status, with its output in $T/out
	local rc=0
	wait $pid || rc=$?
	tr -d '\r' <"$T/raw" >"$T/out"
	return $rc
}
has() { grep -q -- "$1" "$T/out" || { cat "$T/out"; return 1; }; }

init 'echo "pid=$$ container=$container uuid=$container_uuid notify=$NOTIFY_SOCKET"
	echo "tty=$(tty) args=$*"; echo "cg=$(cat /proc/self/cgroup | tr "\n" " ")"
	ls -l /run/host/notify; poweroff -f'
ok "poweroff: exit status 0" run_status 0 boot
ok "init is PID 1 with container=runimg" has "pid=1 container=runimg uuid=[0-9a-f-]\{36\}"
ok "NOTIFY_SOCKET points at the notify socket" has "notify=/run/host/notify"
ok "... which is a socket" has "^s.* /run/host/notify"
ok "init's console is /dev/console" has "tty=/dev/console"
ok "the init gets the arguments" sh -c '
	"$1" -q -b -D "$2" </dev/null a1 "b 2" | tr -d "\r" | grep -q "args=a1 b 2"' - "$RUNIMG" "$T/tree"
ok "cgroup namespace: init sits at the root of its hierarchies" has "cg=.*:/ "
ok "/sys/fs/cgroup has what systemd looks for" "$RUNIMG" -q -D "$T/tree" /bin/sh -c '
	grep -q " /sys/fs/cgroup/unified cgroup2 " /proc/mounts ||
	grep -q " /sys/fs/cgroup cgroup2 " /proc/mounts'

init 'echo rebooting; reboot -f'
ok "reboot: exit status 133" run_status 133 boot
init 'exit 4'
ok "init exits 4: exit status 4" run_status 4 boot
init 'kill -SEGV $$; exit 139'
ok "init crash: its status, nothing left" run_status 139 boot

# SIGTERM or SIGINT to runimg: SIGRTMIN+4 (38 here) to init, which powers off.
init 'trap "echo got-rtmin4; poweroff -f" 38
	trap "" TERM INT HUP; echo up; while :; do sleep 0.1; done'
for sig in TERM INT HUP; do
	boot_bg
	sleep 1
	kill -$sig $pid
	ok "SIG$sig to runimg: orderly poweroff, exit 0" run_status 0 wait_bg
	ok "... init got SIGRTMIN+4" has got-rtmin4
done

init 'trap "" 38 TERM INT HUP; while :; do sleep 0.1; done'
boot_bg --timeout 1
sleep 1
t0=$(date +%s%N)
kill -TERM $pid
ok "init ignores the poweroff request: killed after --timeout, 137" run_status 137 wait_bg
ok "... after about a second" test $((($(date +%s%N) - t0) / 1000000)) -lt 5000
ok "... and runimg said so" has "did not stop within 1.0s"

init 'while :; do sleep 0.1; done'
boot_bg --timeout 30
sleep 1
kill -TERM $pid
sleep 0.3
kill -TERM $pid
ok "a second SIGTERM kills at once" run_status 137 wait_bg

rm "$T/tree/sbin/init"
fails "no init in the image: exit 2" 2 "no init found" "$RUNIMG" -b -D "$T/tree"

# --notify-ready with an init that is not systemd (it sends no READY=1): ready once it runs,
# as the registry says too.
need_cmd python3
cat >"$T/listen.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
open(sys.argv[2], "w").write(s.recv(4096).decode().replace("\n", " ") + "\n")
EOF
python3 "$T/listen.py" "$T/notify.sock" "$T/notify.out" &
on_exit "kill $! 2>/dev/null"
for _ in $(seq 50); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
init 'while [ ! -e /tmp/stop ]; do sleep 0.1; done; poweroff -f'
NOTIFY_SOCKET=$T/notify.sock boot_bg --notify-ready
for _ in $(seq 100); do [ -s "$T/notify.out" ] && break; sleep 0.1; done
ok "--notify-ready -b, an init that is not systemd: READY=1 once it runs" \
	grep -q "READY=1 STATUS=init started" "$T/notify.out"
ok "... runimg status says ready" sh -c '"$1" status rboot --json | grep -q "\"state\": *\"ready\""' \
	- "$RUNIMG"
ok "... it ends as usual" "$RUNIMG" shell rboot /bin/touch /tmp/stop
ok "... exit status 0" run_status 0 wait_bg

ok "nothing left behind" run_same_state "$T/before" "$T/after"
done_testing
