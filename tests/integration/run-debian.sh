#!/bin/bash
# The real thing: Debian 12 with systemd (debootstrap'd once with the host's mirror and
# cached in /var/cache/runimg-test), made into a GPT image by mkimg, booted by runimg -b.
# systemd must reach "running" (or "degraded"), tell runimg it is ready, and runimg must exit
# 0 after "systemctl poweroff", 133 after "systemctl reboot", 0 after SIGTERM.
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=rdeb
. "$top_srcdir/tests/integration/run-lib.sh"
run_need_env
need_cmd nsenter timeout

tree=$(run_debian_tree) || skip_all "cannot make a Debian 12 tree (debootstrap or a mirror missing)"
run_mkimg gpt_ext4 "$tree" "$T/rdeb.raw" || { echo "Bail out! mkimg failed"; exit 1; }
IMG=$T/rdeb.raw
run_snapshot "$T/before"

boot() { # boot NAME [OPTIONS]: boot in the background; $pid is runimg, $leader the guest's PID 1
	local name=$1 i
	shift
	"$RUNIMG" -v -b -M "$name" "$@" "$IMG" </dev/null >"$T/$name.log" 2>&1 &
	pid=$!
	on_exit "kill -9 $pid"
	leader=
	for i in $(seq 100); do
		leader=$(sed -n 's/^LEADER=//p' "/run/runimg/$name/state" 2>/dev/null)
		[ -n "$leader" ] && [ "$leader" != 0 ] && return 0
		sleep 0.1
	done
	return 1
}
guest() { nsenter -t "$leader" -a "$@"; }
ready() { # runimg reports the guest's READY=1 (sd_notify on /run/host/notify) within 90 s
	local i
	for i in $(seq 900); do
		grep -q "machine '$name' is ready" "$T/$name.log" && return 0
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	tail -20 "$T/$name.log"
	return 1
}
state_ok() {
	local s
	s=$(timeout 90 nsenter -t "$leader" -a systemctl is-system-running --wait 2>&1)
	echo "state: $s"
	case $s in running | degraded) return 0 ;; esac
	guest systemctl --failed --no-pager
	return 1
}
ended() { # ended WANT: runimg exits with WANT within 60 s
	local i
	for i in $(seq 600); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $pid 2>/dev/null && { echo "still running after 60 s"; kill -9 $pid; }
	run_status "$1" wait $pid || { tail -20 "$T/$name.log"; return 1; }
}

name=rdeb-1
ok "boots (read-write image)" boot $name
ok "runimg hears READY=1 from systemd on the notify socket" ready
ok "systemd reaches running or degraded" state_ok
ok "the guest knows it is a container" sh -c '
	[ "$(nsenter -t "$1" -a systemd-detect-virt -c)" != none ]' - "$leader"
ok "the guest's cgroup hierarchy is its own and writable" sh -c '
	nsenter -t "$1" -a systemctl show -p ControlGroup init.scope | grep -qx ControlGroup=/init.scope' \
	- "$leader"
ok "systemctl poweroff inside" guest systemctl poweroff
ok "... runimg exits 0" ended 0
ok "... nothing left behind" run_same_state "$T/before" "$T/after"

name=rdeb-2
ok "boots again (ephemeral)" boot $name -x
ok "ready" ready
ok "systemd reaches running or degraded" state_ok
ok "systemctl reboot inside" guest systemctl reboot
ok "... runimg exits 133" ended 133
ok "... nothing left behind" run_same_state "$T/before" "$T/after"

name=rdeb-3
ok "boots with a private network" boot $name -x --private-network
ok "ready" ready
ok "systemd reaches running or degraded" state_ok
ok "only lo inside" sh -c '[ "$(nsenter -t "$1" -a ip -o link | wc -l)" = 1 ]' - "$leader"
kill -TERM $pid
ok "SIGTERM to runimg: the guest powers off, exit 0" ended 0
ok "... the guest shut down in order" grep -q "Powering off\|System Power Off" "$T/$name.log"

ok "nothing left behind" run_same_state "$T/before" "$T/after"
done_testing
