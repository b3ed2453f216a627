#!/bin/bash
# Resource limits (cgroup v1/hybrid or v2, whatever this host has) and the machine's own /proc:
# free, nproc, cpuinfo, stat, uptime, loadavg and sysinfo() describe the machine; limits are
# really enforced; nothing is left in any cgroup hierarchy afterwards.  A booted Debian 12
# shows them too, and systemctl works in it.
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=rlim
. "$top_srcdir/tests/integration/run-lib.sh"
run_need_env
[ -e /dev/fuse ] || skip_all "no /dev/fuse"

run_busybox_tree "$T/tree"
run_mkimg gpt_ext4 "$T/tree" "$T/rlim.raw" || { echo "Bail out! mkimg failed"; exit 1; }
IMG=$T/rlim.raw
run_snapshot "$T/before"

inside() { # inside [OPTIONS] -- SHELL-CODE: run SHELL-CODE in the machine
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	"$RUNIMG" -q -M rlim "${opts[@]}" "$IMG" /bin/sh -c "$2"
}
# Each machine leaves its cgroups behind it: none named rlim* in any hierarchy.
no_cgroups() {
	! find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d -path '*/runimg/rlim*' | grep -q .
}

ncpu=$(nproc)
host_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)

# --- memory ---------------------------------------------------------------------------------
ok "--memory 100M: free -m says 100 total" inside --memory 100M -- '
	t=$(free -m | awk "/^Mem:/ { print \$2 }"); echo "total $t"; [ "$t" -ge 99 ] && [ "$t" -le 101 ]'
ok "--memory 100M: /proc/meminfo MemTotal 102400 kB" inside --memory 100M -- '
	grep -q "^MemTotal: *102400 kB" /proc/meminfo'
ok "--memory 100M: MemAvailable <= MemTotal, MemFree <= MemTotal" inside --memory 100M -- '
	awk "/^MemTotal:/ { t = \$2 } /^MemFree:/ { f = \$2 } /^MemAvailable:/ { a = \$2 }
	     END { exit !(f <= t && a <= t && a > 0) }" /proc/meminfo'
ok "a process holding 60M shows in used" inside --memory 100M -- '
	(head -c 62914560 /dev/zero; sleep 3) | tail >/dev/null &
	sleep 1.5; u=$(free -m | awk "/^Mem:/ { print \$3 }"); echo "used $u"; wait
	[ "$u" -ge 55 ] && [ "$u" -le 75 ]'
ok "allocating past the limit gets OOM-killed" inside --memory 100M -- '
	head -c 209715200 /dev/zero | tail >/dev/null; rc=$?; echo "rc=$rc"; [ "$rc" = 137 ]'
ok "tmpfs pages count too: 150M into /dev/shm does not fit" sh -c '
	! "$1" -q -M rlim --memory 100M "$2" /bin/sh -c \
		"dd if=/dev/zero of=/dev/shm/x bs=1M count=150 2>/dev/null && echo complete" |
		grep -q complete' - "$RUNIMG" "$IMG"
ok "--memory-swap 0: no swap inside" inside --memory 100M --memory-swap 0 -- '
	grep -q "^SwapTotal: *0 kB" /proc/meminfo && [ "$(wc -l </proc/swaps)" = 1 ]'
ok "--property MemoryMax=64M" inside --property MemoryMax=64M -- '
	grep -q "^MemTotal: *65536 kB" /proc/meminfo'
ok "no limit: the host's MemTotal" inside -- "grep -q '^MemTotal: *$host_kb kB' /proc/meminfo"
ok "--proc-view no: the host's /proc/meminfo even with a limit" inside --memory 100M \
	--proc-view no -- "grep -q '^MemTotal: *$host_kb kB' /proc/meminfo"
# strict: an open file keeps the text it was opened with however long it reads.  Line 1 is
# read, 40M go into /dev/shm (charged to the machine), then the rest: its MemFree is still
# from before, 40M above a new read's.  (The default view refreshes the page cache under an
# open file, so there the rest is new text.)
split_read='exec 3</proc/meminfo; read -r first <&3
	dd if=/dev/zero of=/dev/shm/x bs=1M count=40 2>/dev/null; sleep 0.5
	held=$(dd bs=4096 <&3 2>/dev/null | awk "/^MemFree:/ { print \$2 }")
	now=$(awk "/^MemFree:/ { print \$2 }" /proc/meminfo)
	echo "first: $first, MemFree held $held, now $now"; [ $((held - now)) -ge 30000 ]'
ok "--proc-view strict: an open file keeps its snapshot" inside --memory 100M \
	--proc-view strict -- "$split_read"
ok "--proc-view strict: the values are the machine's" inside --memory 100M \
	--proc-view strict -- 'grep -q "^MemTotal: *102400 kB" /proc/meminfo &&
	[ "$(free -m | awk "/^Mem:/ { print \$2 }")" -ge 99 ] && [ "$(cat /proc/uptime | cut -d. -f1)" -lt 60 ]'
ok "the default view refreshes an open file (why strict exists)" inside --memory 100M -- "
	! { $split_read; }"

# --- CPUs -----------------------------------------------------------------------------------
ok "--cpus 1: nproc 1, one processor, one cpuN line, online 0" inside --cpus 1 -- '
	[ "$(nproc)" = 1 ] && [ "$(grep -c ^processor /proc/cpuinfo)" = 1 ] &&
	[ "$(grep -c "^cpu[0-9]" /proc/stat)" = 1 ] && [ "$(cat /sys/devices/system/cpu/online)" = 0 ]'
if [ "$ncpu" -ge 2 ]; then
	ok "--cpus 1.5: nproc 2, two processors" inside --cpus 1.5 -- '
		[ "$(nproc)" = 2 ] && [ "$(grep -c ^processor /proc/cpuinfo)" = 2 ] &&
		[ "$(cat /sys/devices/system/cpu/online)" = 0-1 ]'
	ok "--cpuset 1: one CPU, numbered 0 inside" inside --cpuset 1 -- '
		[ "$(nproc)" = 1 ] && grep -q "^processor.*: 0$" /proc/cpuinfo &&
		grep -q "Cpus_allowed_list:.*1$" /proc/self/status'
else
	skip "--cpus 1.5: nproc 2" "one CPU"
	skip "--cpuset 1" "one CPU"
fi
ok "--cpus 1 is enforced: a busy loop gets at most ~1 CPU" inside --cpus 0.5 -- '
	(while :; do :; done) & p=$!; sleep 2; kill $p
	set -- $(grep "^cpu0 " /proc/stat); echo "user=$2 sys=$4 idle=$5"
	[ "$2" -le 150 ]'
ok "/proc/stat: the machine's CPU time, never going back" inside --cpus 1 -- '
	(i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done)
	a=$(grep "^cpu0 " /proc/stat); b=$(grep "^cpu0 " /proc/stat)
	set -- $a; u1=$2; i1=$5; set -- $b; echo "$a / $b"
	[ "$u1" -gt 0 ] && [ "$2" -ge "$u1" ] && [ "$5" -ge "$i1" ]'
fails "--cpuset with CPUs the host lacks: exit 2" 2 "not available on this host" \
	"$RUNIMG" -q -M rlim --cpuset 1000 "$IMG" /bin/true

# --- tasks, uptime, load --------------------------------------------------------------------
ok "--pids 20 caps a fork loop" inside --pids 20 -- '
	(n=0; while [ $n -lt 40 ]; do (echo x >>/tmp/c; sleep 2) & n=$((n+1)); done) 2>/dev/null
	sleep 3; c=$(wc -l </tmp/c); echo "started $c"; [ "$c" -ge 10 ] && [ "$c" -lt 20 ]'
ok "uptime < 5 s at the start" inside -- '
	u=$(cut -d. -f1 /proc/uptime); echo "up $u"; [ "$u" -lt 5 ]'
ok "uptime grows" inside -- 'a=$(cut -d" " -f1 /proc/uptime); sleep 1.2
	b=$(cut -d" " -f1 /proc/uptime); echo "$a $b"; [ "${b%.*}${b#*.}" -gt "${a%.*}${a#*.}" ]'
ok "uptime, sysinfo and process start times agree" inside -- '
	s=$(awk "{ print \$22 }" /proc/1/stat); up=$(uptime | grep -c "up 0 min")
	echo "start=$s up0=$up"; [ "$s" -lt 500 ] && [ "$up" = 1 ]'
ok "sysinfo() (busybox free) agrees with /proc/meminfo" inside --memory 200M -- '
	[ "$(free -k | awk "/^Mem:/ { print \$2 }")" = 204800 ]'
ok "loadavg counts the machine's tasks" inside -- '
	sleep 5 & sleep 5 & set -- $(cat /proc/loadavg); echo "$*"; kill %1 %2
	t=${4#*/}; [ "$t" -ge 3 ] && [ "$t" -le 8 ]'
ok "diskstats lists only what the machine used" inside -- '
	n=$(wc -l </proc/diskstats); echo "$n lines"; [ "$n" -le 3 ]'

# --- errors ---------------------------------------------------------------------------------
fails "--memory lots: exit 2" 2 "invalid value 'lots' for --memory" "$RUNIMG" --memory lots x
fails "--cpus 0: exit 2" 2 "out of range" "$RUNIMG" --cpus 0 x
fails "--cpu-weight 0: exit 2" 2 "out of range" "$RUNIMG" --cpu-weight 0 x
fails "--property Foo=1: exit 2" 2 "unknown property" "$RUNIMG" --property Foo=1 x
fails "--proc-view maybe: exit 2" 2 "invalid value 'maybe'" "$RUNIMG" --proc-view maybe x

ok "no cgroup of ours left in any hierarchy" no_cgroups
run_same_state "$T/before" "$T/after"
ok "nothing left behind" diff "$T/before" "$T/after"

# --- a booted Debian 12 ---------------------------------------------------------------------
tree=$(run_debian_tree) || tree=
if [ -z "$tree" ] || ! command -v nsenter >/dev/null; then
	skip "booted Debian: free, nproc, uptime, systemctl" "no Debian 12 tree (debootstrap)"
else
	"$RUNIMG" -v -b -x -M rlim-deb --memory 256M --cpus 1 -D "$tree" </dev/null \
		>"$T/deb.log" 2>&1 &
	pid=$!
	on_exit "kill -9 $pid"
	leader=
	for i in $(seq 900); do # its READY=1, within 90 s
		leader=$(sed -n 's/^LEADER=//p' /run/runimg/rlim-deb/state 2>/dev/null)
		grep -q "machine 'rlim-deb' is ready" "$T/deb.log" && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	ok "booted Debian: systemd is running" sh -c '
		s=$(timeout 90 nsenter -t "$1" -a systemctl is-system-running --wait); echo "$s"
		[ "$s" = running ] || [ "$s" = degraded ]' - "$leader"
	ok "booted Debian: free -m says 256 total" sh -c '
		t=$(timeout 30 nsenter -t "$1" -a free -m | awk "/^Mem:/ { print \$2 }"); echo $t
		[ "$t" -ge 255 ] && [ "$t" -le 257 ]' - "$leader"
	ok "booted Debian: a service sees nproc 1" sh -c '
		n=$(timeout 30 nsenter -t "$1" -a systemd-run -q -P --wait nproc); echo "$n"
		[ "$n" = 1 ]' - "$leader"
	ok "booted Debian: uptime is the machine's" sh -c '
		u=$(timeout 30 nsenter -t "$1" -a cut -d. -f1 /proc/uptime); echo "$u"
		[ "$u" -lt 120 ]' - "$leader"
	ok "booted Debian: systemctl status works, services get their own cgroups" sh -c '
		timeout 30 nsenter -t "$1" -a systemctl status systemd-journald --no-pager |
		grep -q "CGroup: /system.slice/systemd-journald.service"' - "$leader"
	ok "booted Debian: a service below the machine sees its memory" sh -c '
		t=$(timeout 30 nsenter -t "$1" -a systemd-run -q -P --wait \
			grep MemTotal /proc/meminfo); echo "$t"
		echo "$t" | grep -q " 262144 kB"' - "$leader"
	kill -TERM $pid
	for i in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	ok "booted Debian: stopped, no cgroup left" no_cgroups
fi
done_testing
