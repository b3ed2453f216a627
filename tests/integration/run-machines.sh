#!/bin/bash
# Named machines: two machines in the background (a busybox command on a bridge, a booted
# Debian 12), runimg list/status/shell/stop on them, name clashes, the stale entry a runimg
# killed with -9 leaves, settings files (/etc/runimg/NAME.conf, --settings, .nspawn, the
# command line winning, file:line errors), --notify-ready against a NOTIFY_SOCKET of our own,
# and the runimg@.service unit.
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=rmach
. "$top_srcdir/tests/integration/run-lib.sh"
run_need_env
need_cmd python3 script timeout ip

run_busybox_tree "$T/bb"
run_mkimg gpt_ext4 "$T/bb" "$T/rmach-bb.raw" || { echo "Bail out! mkimg failed"; exit 1; }
IMG=$T/rmach-bb.raw
DEB=$(run_debian_tree) || DEB=
BR=rmachbr0
ip link add "$BR" type bridge 2>/dev/null && ip link set "$BR" up && on_exit "ip link del $BR" ||
	BR=
run_snapshot "$T/before"

# start NAME ARGS...: runimg -M NAME ARGS... in the background; $pid is its pid.
start() {
	local name=$1
	shift
	"$RUNIMG" -v -M "$name" "$@" </dev/null >"$T/$name.log" 2>&1 &
	pid=$!
	on_exit "kill -9 $pid"
}
# wait_state NAME STATE: the registry says STATE within 120 s
wait_state() {
	local i st
	for i in $(seq 1200); do
		st=$(sed -n 's/^STATE=//p' "/run/runimg/$1/state" 2>/dev/null)
		[ "$st" = "$2" ] && return 0
		sleep 0.1
	done
	echo "state '$st', want '$2'"
	tail -20 "$T/$1.log"
	return 1
}
key() { sed -n "s/^$2=//p" "/run/runimg/$1/state"; }
# json NAME EXPR: python3 expression over d = runimg status NAME --json is true
json() {
	"$RUNIMG" status "$1" --json | python3 -c "import json, sys; d = json.load(sys.stdin)
sys.exit(0 if ($2) else 1)"
}
# list_json NAME EXPR: the same over the machine's object in runimg list --json
list_json() {
	"$RUNIMG" list --json | python3 -c "import json, sys
d = [m for m in json.load(sys.stdin) if m['name'] == '$1']
sys.exit(0 if len(d) == 1 and ($2) else 1)" || { "$RUNIMG" list; return 1; }
}
ended() { # ended PID WANT: exits with WANT within 90 s
	local i
	for i in $(seq 900); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	run_status "$2" wait "$1"
}

# --- Two machines ----------------------------------------------------------------------------
net=--private-network
[ -n "$BR" ] && net="--network=bridge=$BR,address=192.0.2.7/24"
start rmach-bb "$net" "$IMG" /bin/sh -c \
	'trap "echo got-term; exit 0" TERM; while :; do sleep 0.2; done'
bb_pid=$pid
ok "busybox machine (command) is ready" wait_state rmach-bb ready
if [ -n "$DEB" ]; then
	start rmach-deb -b -x -D "$DEB"
	deb_pid=$pid
	ok "Debian machine (booted) is ready" wait_state rmach-deb ready
else
	skip "Debian machine (booted) is ready" "no Debian 12 tree (debootstrap or a mirror missing)"
fi
# The registry: a directory /run/runimg/NAME/ with the locked state file (leader pid and its
# start time, image, interfaces, cgroups).
ok "registry: /run/runimg/rmach-bb/state names leader, start time, image, cgroups" eval \
	'[ "$(key rmach-bb LEADER)" -gt 1 ] && [ "$(key rmach-bb LEADER_START)" -gt 0 ] &&
	 [ "$(key rmach-bb IMAGE)" = "$IMG" ] && key rmach-bb CGROUP | grep -q "^/sys/fs/cgroup/" &&
	 { [ -z "$BR" ] || key rmach-bb INTERFACE | grep -q " $BR\$"; }'
ok "... and is locked by its runimg" eval '! flock -n -s /run/runimg/rmach-bb/state true'
if [ -n "$DEB" ]; then
	ok "... and the booted machine's: BOOT=yes" test "$(key rmach-deb BOOT)" = yes
else
	skip "... and the booted machine's: BOOT=yes" "no Debian 12 tree"
fi

ok "list shows the busybox machine: name, state, leader, image, memory, CPU, uptime" \
	list_json rmach-bb "d[0]['state'] == 'ready' and d[0]['leader'] == $(key rmach-bb LEADER) \
	and d[0]['image'] == '$IMG' and d[0]['boot'] is False and d[0]['memory_current'] > 0 \
	and d[0]['cpu_usage_usec'] is not None and d[0]['uptime_usec'] > 0"
if [ -n "$BR" ]; then
	ok "... and its address (read in its network namespace)" list_json rmach-bb \
		"d[0]['network'] == 'private' and \
		{'interface': 'host0', 'address': '192.0.2.7/24'} in d[0]['addresses']"
	ok "... the table too" sh -c '"$1" list | grep -E "^rmach-bb +ready +$2 .*192\.0\.2\.7 +$3\$"' - \
		"$RUNIMG" "$(key rmach-bb LEADER)" "$IMG"
fi
if [ -n "$DEB" ]; then
	ok "list shows the Debian machine" list_json rmach-deb "d[0]['state'] == 'ready' and \
		d[0]['leader'] == $(key rmach-deb LEADER) and d[0]['image'] == '$DEB' and \
		d[0]['boot'] is True and d[0]['mode'] == 'ephemeral' and d[0]['network'] == 'host'"
	ok "status --json parses" sh -c '"$1" status rmach-deb --json | python3 -m json.tool' - "$RUNIMG"
	ok "status shows the leader and the cgroups" sh -c '"$1" status rmach-deb >"$2" &&
		grep -q "Leader: $3 (runimg $4)" "$2" && grep -q "Cgroups: /sys/fs/cgroup/" "$2"' - \
		"$RUNIMG" "$T/st" "$(key rmach-deb LEADER)" "$deb_pid"
fi
fails "status of an unknown machine: exit 2" 2 "no machine 'rmach-none'" "$RUNIMG" status rmach-none
fails "options to run a machine with a verb: exit 2" 2 "cannot be used with 'runimg list'" \
	"$RUNIMG" -x list

# --- shell -------------------------------------------------------------------------------------
sh_in() { # sh_in NAME WANT-OUTPUT SCRIPT
	local out
	out=$("$RUNIMG" shell "$1" /bin/sh -c "$3" </dev/null) || { echo "exit $?: $out"; return 1; }
	[ "$out" = "$2" ] || { echo "got '$out', want '$2'"; return 1; }
}
ok "shell: a command in the busybox machine" sh_in rmach-bb "rmach-bb runimg-init" \
	'echo $(hostname) $(cat /proc/1/comm)'
ok "... its exit status is runimg's" run_status 42 "$RUNIMG" shell rmach-bb /bin/sh -c 'exit 42'
ok "... a signal's: 128+N" run_status 137 "$RUNIMG" shell rmach-bb /bin/sh -c 'kill -9 $$'
ok "... a missing command: 127" run_status 127 "$RUNIMG" shell rmach-bb /nonexistent
ok "... the machine's capability bounding set" sh_in rmach-bb \
	"$(grep CapBnd "/proc/$(key rmach-bb LEADER)/status")" 'grep CapBnd /proc/self/status'
ok "... the machine's cgroup (in its cgroup namespace)" sh_in rmach-bb "0::/" \
	'grep "^0::" /proc/self/cgroup'
ok "... standard input passes through" sh -c \
	'echo "echo piped \$(cat /etc/marker)" | "$1" shell rmach-bb | grep -qx "piped busybox-fixture"' \
	- "$RUNIMG"
tty_shell() { # tty_shell NAME WANT-REGEX: an interactive shell on a pty (script(1) gives us one)
	(sleep 2; echo 'echo "TTY=$(tty) SHELL0=$0 EXISTS=$(test -c "$(tty)" && echo y)"; exit 5'
		sleep 3) | timeout 20 script -qec "$RUNIMG shell $1" /dev/null >"$T/tty.out" 2>&1
	local rc=$?
	# without CRs and terminal escapes (bash's bracketed paste mode)
	sed 's/\r//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g' "$T/tty.out" | grep -E "$2" ||
		{ cat -v "$T/tty.out"; return 1; }
	[ $rc = 5 ] || { echo "exit $rc, want 5"; return 1; }
}
ok "... interactive: root's login shell on a pty of the guest's devpts" tty_shell rmach-bb \
	'^TTY=/dev/pts/[0-9]+ SHELL0=-sh EXISTS=y'
if [ -n "$DEB" ]; then
	ok "shell: a command in the Debian machine sees its systemd running" sh_in rmach-deb \
		"systemd" 'cat /proc/1/comm; systemctl is-system-running --wait >/dev/null || :'
	ok "... its exit status is runimg's" run_status 43 "$RUNIMG" shell rmach-deb /bin/sh -c 'exit 43'
	ok "... it is in the machine's init.scope" sh_in rmach-deb "0::/init.scope" \
		'grep "^0::" /proc/self/cgroup'
	ok "... interactive: bash as a login shell" tty_shell rmach-deb \
		'^TTY=/dev/pts/[0-9]+ SHELL0=-bash EXISTS=y'
fi
fails "shell in an unknown machine: exit 2" 2 "no machine 'rmach-none'" \
	"$RUNIMG" shell rmach-none true

# --- name clash --------------------------------------------------------------------------------
fails "a second machine of a running name is refused: exit 2" 2 \
	"machine 'rmach-bb' is already running" "$RUNIMG" -M rmach-bb -D "$T/bb" /bin/true

# --- stop --------------------------------------------------------------------------------------
ok "stop the busybox machine" "$RUNIMG" stop rmach-bb
ok "... its payload got SIGTERM and runimg exited 0" ended "$bb_pid" 0
ok "... in order" grep -q got-term "$T/rmach-bb.log"
ok "... its entry is gone" test ! -e /run/runimg/rmach-bb
ok "... and its veth" sh -c '! ip -d link show | grep -q "runimg:rmach-bb"'
if [ -n "$DEB" ]; then
	ok "stop the Debian machine" "$RUNIMG" stop rmach-deb
	ok "... runimg exited 0" ended "$deb_pid" 0
	ok "... systemd powered off in order" grep -q "Powering off\|System Power Off" \
		"$T/rmach-deb.log"
fi
ok "... nothing left behind" run_same_state "$T/before" "$T/after"

start rmach-stub "$IMG" /bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done'
ok "stubborn payload: ready" wait_state rmach-stub ready
t0=$(date +%s)
ok "stop --timeout 1 kills what ignores SIGTERM" "$RUNIMG" stop --timeout 1 rmach-stub
ok "... after the timeout, not the machine's own 90 s" test $(($(date +%s) - t0)) -lt 20
ok "... runimg exited 137" ended "$pid" 137
start rmach-stub "$IMG" /bin/sh -c 'trap "" TERM; while :; do sleep 0.2; done'
ok "stubborn payload again: ready" wait_state rmach-stub ready
ok "stop --kill" "$RUNIMG" stop --kill rmach-stub
ok "... runimg exited 137" ended "$pid" 137
ok "... nothing left behind" run_same_state "$T/before" "$T/after"
fails "stop of an unknown machine: exit 2" 2 "no machine 'rmach-none'" "$RUNIMG" stop rmach-none

# --- a runimg killed with -9 -------------------------------------------------------------------
start rmach-k9 "$IMG" /bin/sleep 600
ok "machine to be killed: ready" wait_state rmach-k9 ready
kill -9 "$pid"
wait "$pid" 2>/dev/null
ok "kill -9: list reports the entry as stale" list_json rmach-k9 \
	"d[0]['state'] == 'stale' and d[0]['leader'] is None"
fails "... shell refuses it" 1 "not running" "$RUNIMG" shell rmach-k9 true
ok "... the next start cleans it up (and may take the name)" \
	"$RUNIMG" -q -M rmach-k9 "$IMG" /bin/true
ok "... nothing left behind" run_same_state "$T/before" "$T/after"
start rmach-k9 "$IMG" /bin/sleep 600
ok "again: ready" wait_state rmach-k9 ready
kill -9 "$pid"
wait "$pid" 2>/dev/null
ok "... stop removes a stale entry too" "$RUNIMG" stop rmach-k9
ok "... nothing left behind" run_same_state "$T/before" "$T/after"

# --- settings files ----------------------------------------------------------------------------
[ -d /etc/runimg ] || { mkdir /etc/runimg && on_exit "rmdir /etc/runimg"; }
on_exit "rm -f /etc/runimg/rmach-set.conf"
cat >/etc/runimg/rmach-set.conf <<'EOF'
[Exec]
Environment=FROM=file "SPACED=a b"
Hostname=fromfile
EOF
run_out() { # run_out WANT ARGS...: runimg's output
	local out
	out=$("$RUNIMG" -q "${@:2}" </dev/null) || { echo "exit $?: $out"; return 1; }
	[ "$out" = "$1" ] || { echo "got '$out', want '$1'"; return 1; }
}
say='echo $FROM $SPACED $(hostname)'
ok "/etc/runimg/NAME.conf is loaded for -M NAME" run_out "file a b fromfile" \
	-M rmach-set "$IMG" /bin/sh -c "$say"
ok "... the command line wins" run_out "cli a b cli" \
	-M rmach-set --hostname cli -E FROM=cli "$IMG" /bin/sh -c "$say"
cp /etc/runimg/rmach-set.conf /etc/runimg/rmach-bb.conf
on_exit "rm -f /etc/runimg/rmach-bb.conf"
ok "... not loaded for a name from the file name (rmach-bb.raw)" run_out "" \
	"$IMG" /bin/sh -c 'echo $FROM'
rm -f /etc/runimg/rmach-bb.conf
mkdir -p "$T/bind"
echo bound >"$T/bind/f"
cat >"$T/c7.nspawn" <<EOF
# a systemd-nspawn file
[Exec]
Boot=no
Parameters=/bin/sh -c "echo params \$(cat /mnt/b/f) \$(ls /sys/class/net)"

[Files]
BindReadOnly=$T/bind:/mnt/b:rbind

[Network]
Private=yes
EOF
ok "--settings FILE (an nspawn file): Parameters=, BindReadOnly=, Private=" \
	run_out "params bound lo" --settings "$T/c7.nspawn" "$IMG"
ok "--settings FILE replaces /etc/runimg/NAME.conf" run_out "params bound lo" \
	-M rmach-set --settings "$T/c7.nspawn" "$IMG"
printf '[Exec]\nBoot=no\nHostnme=x\n' >"$T/typo.conf"
fails "unknown key: FILE:LINE, exit 2" 2 "typo.conf:3: unknown key 'Hostnme' in \[Exec\] \(did you mean 'Hostname'\?\)" \
	"$RUNIMG" --settings "$T/typo.conf" "$IMG" /bin/true
printf '[Exec]\nPrivateUsers=pick\n' >"$T/nspawn-only.nspawn"
fails "an nspawn key runimg does not have: exit 2" 2 "nspawn-only.nspawn:2: \[Exec\] PrivateUsers=.*not supported" \
	"$RUNIMG" --settings "$T/nspawn-only.nspawn" "$IMG" /bin/true
printf '[Resources]\nMemoryMax=lots\n' >"$T/bad-value.conf"
fails "a bad [Resources] value: FILE:LINE, exit 2" 2 "bad-value.conf:2: invalid value 'lots' for MemoryMax=" \
	"$RUNIMG" --settings "$T/bad-value.conf" "$IMG" /bin/true
printf '[Network]\nBridge=rmach-nobr\n' >"$T/nobr.conf"
fails "[Network] keys reach the network setup" 2 "bridge 'rmach-nobr' not found" \
	"$RUNIMG" --settings "$T/nobr.conf" "$IMG" /bin/true
fails "a missing settings file: exit 2" 2 "cannot read settings file" \
	"$RUNIMG" --settings "$T/none.conf" "$IMG" /bin/true
[ -d /var/lib/runimg ] || { mkdir -p /var/lib/runimg && on_exit "rmdir /var/lib/runimg"; }
ln -sf "$IMG" /var/lib/runimg/rmach-set.raw
on_exit "rm -f /var/lib/runimg/rmach-set.raw"
printf '[Exec]\nParameters=/bin/cat /etc/marker\n' >/etc/runimg/rmach-set.conf
ok "-M NAME alone: the image /var/lib/runimg/NAME.raw, the command from the file" \
	run_out busybox-fixture -M rmach-set
fails "-M NAME without an image anywhere: exit 2" 2 "none of machine 'rmach-none'" \
	"$RUNIMG" -M rmach-none

# --- --notify-ready ----------------------------------------------------------------------------
cat >"$T/listen.py" <<'EOF'
# listen.py SOCKET OUT RUNIMG NAME: the first READY=1 on SOCKET, and what the guest says then
import json, socket, subprocess, sys
path, out, runimg, name = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(180)
with open(out, "w") as f:
    while True:
        msg = s.recv(4096).decode()
        f.write("MSG " + msg.replace("\n", " ") + "\n")
        f.flush()
        if "READY=1" in msg.split("\n"):
            break
    if name != "-":
        st = subprocess.run([runimg, "status", name, "--json"], capture_output=True, text=True)
        f.write("STATE " + json.loads(st.stdout)["state"] + "\n")
        g = subprocess.run([runimg, "shell", name, "systemctl", "is-system-running"],
                           capture_output=True, text=True)
        f.write("GUEST " + g.stdout.strip() + "\n")
    f.write("DONE\n")
EOF
listen() { # listen NAME: a NOTIFY_SOCKET listener in the background
	rm -f "$T/notify.sock" "$T/notify.out"
	python3 "$T/listen.py" "$T/notify.sock" "$T/notify.out" "$RUNIMG" "$1" &
	on_exit "kill $!"
	local i
	for i in $(seq 50); do [ -S "$T/notify.sock" ] && return 0; sleep 0.1; done
	return 1
}
heard() { # heard REGEX: the listener is done and wrote REGEX
	local i
	for i in $(seq 1800); do grep -q DONE "$T/notify.out" 2>/dev/null && break; sleep 0.1; done
	grep -qE "$1" "$T/notify.out" || { cat "$T/notify.out"; return 1; }
}
if [ -n "$DEB" ]; then
	listen rmach-nr
	NOTIFY_SOCKET=$T/notify.sock start rmach-nr -b -x --notify-ready -D "$DEB"
	ok "--notify-ready -b: READY=1 reaches our NOTIFY_SOCKET" heard "^MSG READY=1 STATUS=machine is ready"
	ok "... after the guest's own READY=1 (runimg heard it first)" grep -q "machine 'rmach-nr' is ready" \
		"$T/rmach-nr.log"
	ok "... the guest had finished starting up then" heard "^GUEST (running|degraded)$"
	ok "... and the registry says ready" heard "^STATE ready$"
	ok "... stop" "$RUNIMG" stop rmach-nr
	ok "... runimg exited 0" ended "$pid" 0
else
	skip "--notify-ready -b" "no Debian 12 tree"
fi
listen -
ok "--notify-ready with a command: runs" env NOTIFY_SOCKET="$T/notify.sock" \
	"$RUNIMG" -q --notify-ready -M rmach-nrc "$IMG" /bin/sleep 1
ok "--notify-ready with a command: READY=1 once it runs" heard "^MSG READY=1 STATUS=command started"
ok "nothing left behind" run_same_state "$T/before" "$T/after"

# --- the unit ----------------------------------------------------------------------------------
unit=$T/unit/runimg@rmach-unit.service
mkdir -p "$T/unit"
sed "s|@bindir@|$top_builddir|g" "$top_srcdir/templates/systemd/runimg@.service.in" >"$unit"
for kv in Type=notify KillMode=mixed Delegate=yes SuccessExitStatus=133 \
	RestartForceExitStatus=133 "ExecStart=$top_builddir/runimg --boot --notify-ready -M %i"; do
	ok "runimg@.service: $kv" grep -qx -- "$kv" "$unit"
done
if command -v systemd-analyze >/dev/null; then
	verify() {
		systemd-analyze verify --man=no "$unit" >"$T/verify.out" 2>&1 || { cat "$T/verify.out"; return 1; }
		! grep -v "^$" "$T/verify.out" || return 1 # no warnings either
	}
	ok "runimg@.service passes systemd-analyze verify" verify
else
	skip "runimg@.service passes systemd-analyze verify" "no systemd-analyze"
fi
done_testing
