#!/bin/bash
# runimg with bridged interfaces, end to end.  runimg runs inside a network namespace this test
# creates ("$H", where the bridges are), so the host's own network is never touched; addresses
# are TEST-NET ones.  The busybox machines check addresses, routes, MACs, MTUs, pings between
# machines, 10 machines at once, the error cases, and that no veth is left after a normal
# exit, a crash, and kill -9 of runimg.  A booted Debian 12 (systemd-networkd enabled) must
# keep the addresses runimg set.
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=rnm
. "$top_srcdir/tests/integration/run-lib.sh"
run_need_env
need_cmd ip nsenter timeout

P=rnm$$
H=${P}h
ip netns add "$H" || skip_all "cannot create network namespaces"
on_exit "ip netns del $H"

bridge() {	# bridge NAME [MTU]
	ip -n "$H" link add "$1" type bridge && ip -n "$H" link set "$1" ${2:+mtu $2} up
}
bridge br0 && bridge br1 || skip_all "no bridge support"

run_busybox_tree "$T/tree"
mkdir -p "$T/tree/out"
TREE=$T/tree
RI() {	# runimg inside the test's "host" namespace
	ip netns exec "$H" "$RUNIMG" "$@"
}
veth_count() { ip -n "$H" -o link show type veth | wc -l; }
no_veth() {	# no veth in $H, waiting up to 5 s for the kernel's namespace cleanup
	local i
	for i in $(seq 50); do
		[ "$(veth_count)" = 0 ] && return 0
		sleep 0.1
	done
	ip -n "$H" -o link show type veth
	return 1
}
has() {	# has FILE PATTERN
	grep -Eq -- "$2" "$1" || { echo "no '$2' in $1:"; cat "$1"; return 1; }
}
# bg NAME OUTDIR RUNIMG-ARGS...: a machine that writes its network to OUTDIR and waits.
bg() {
	local name=$1 out=$2 i
	shift 2
	mkdir -p "$out"
	# Not through RI: $! must be runimg itself (ip netns exec execs it).
	ip netns exec "$H" "$RUNIMG" -q --read-only -D "$TREE" -M "$name" --bind "$out:/out" "$@" \
		/bin/sh -c \
		'ip -o addr >/out/addr; ip -o link >/out/link; ip route >/out/route; touch /out/ready
		 trap "exit 0" TERM; while :; do sleep 0.1; done' </dev/null >"$out.log" 2>&1 &
	BG_PID=$!
	on_exit "kill -9 $BG_PID"
	for i in $(seq 100); do
		[ -e "$out/ready" ] && return 0
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$out.log"
	return 1
}
stop_bg() {	# stop_bg PID: SIGTERM, runimg exits 0
	kill -TERM "$1"
	run_status 0 wait "$1"
}

# --- The seed scenario, fixed: host0 on br0 and host1 on br1, default route via br0 -------
ok "seed machine starts with two bridged interfaces" bg c7-2 "$T/seed" \
	--network bridge=br0,address=192.0.2.12/24,gateway=192.0.2.1 \
	--network bridge=br1,address=198.51.100.12/24,address=2001:db8:1::12/64
seed=$BG_PID
ok "host0 has 192.0.2.12/24" has "$T/seed/addr" "host0 +inet 192.0.2.12/24"
ok "host1 has 198.51.100.12/24" has "$T/seed/addr" "host1 +inet 198.51.100.12/24"
ok "host1 has 2001:db8:1::12/64" has "$T/seed/addr" "host1 +inet6 2001:db8:1::12/64"
ok "default route via 192.0.2.1 on host0" has "$T/seed/route" "default via 192.0.2.1 dev host0"
ok "lo is up" has "$T/seed/link" "lo: <LOOPBACK,UP"
ok "a host side on br0, labelled with the machine" sh -c \
	"ip -n $H -o -d link show master br0 | grep -q 'alias runimg:c7-2'"
ok "a host side on br1" sh -c "ip -n $H -o link show master br1 | grep -q vr-"
ip -n "$H" addr add 192.0.2.1/24 dev br0
ok "the host reaches the machine over br0" ip netns exec "$H" busybox ping -c 1 -W 3 192.0.2.12
ok "SIGTERM: the seed machine exits 0" stop_bg "$seed"
ok "... no veth left" no_veth

# --- The seed's settings file, with --settings ------------------------------------------
printf '[Network]\nVirtualEthernet=no\nBridge=br0\nVirtualEthernetExtra=veth-c7-2:host1\n' \
	>"$T/c7-2.nspawn"
ok "the seed's .nspawn file, unchanged" bg c7-2 "$T/seedfile" --settings "$T/c7-2.nspawn"
ok "... host0 in the machine" has "$T/seedfile/link" "host0@"
ok "... host1 in the machine" has "$T/seedfile/link" "host1@"
ok "... host1's host side is veth-c7-2 on no bridge, as nspawn makes it" sh -c "
	ip -n $H -o link show dev veth-c7-2 | grep -v master | grep -q UP"
ok "... exits 0" stop_bg "$BG_PID"
ok "... no veth left" no_veth
echo "Bridge=br1" >>"$T/c7-2.nspawn"
ok "the seed's file + Bridge=br1" bg c7-2 "$T/seedfile2" --settings "$T/c7-2.nspawn"
ok "... veth-c7-2 is on br1: the ExecStartPost= hack is not needed" sh -c "
	ip -n $H -o link show dev veth-c7-2 | grep -q 'master br1'"
ok "... host0's host side on br0" sh -c "ip -n $H -o link show master br0 | grep -q vr-"
ok "... exits 0" stop_bg "$BG_PID"
cat >"$T/c7-2.conf" <<'EOF'
[Interface]
Bridge=br0
Address=192.0.2.12/24
Gateway=192.0.2.1

[Interface]
Bridge=br1
Address=198.51.100.12/24
EOF
ok "the migrated settings ([Interface] sections)" bg c7-2 "$T/migrated" --settings "$T/c7-2.conf"
ok "... host0 has 192.0.2.12/24" has "$T/migrated/addr" "host0 +inet 192.0.2.12/24"
ok "... host1 has 198.51.100.12/24" has "$T/migrated/addr" "host1 +inet 198.51.100.12/24"
ok "... default route via br0's gateway" has "$T/migrated/route" "default via 192.0.2.1 dev host0"
ok "... exits 0" stop_bg "$BG_PID"
ok "... no veth left" no_veth
printf '[Interface]\nBridge=br0\nAddress=192.0.2.300/24\n' >"$T/bad.conf"
fails "bad Address= in a settings file: exit 2 with file:line" 2 \
	"bad.conf:3: .*invalid address '192.0.2.300/24'" \
	RI -q --read-only -D "$TREE" --settings "$T/bad.conf" /bin/true

# --- Two machines on the same bridge ping each other -------------------------------------
ok "machine a" bg rnm-a "$T/a" --network bridge=br0,address=192.0.2.21/24,address=2001:db8::21/64
a=$BG_PID
ok "machine b pings a (IPv4)" RI -q --read-only -D "$TREE" -M rnm-b \
	--network bridge=br0,address=192.0.2.22/24 /bin/ping -c 1 -W 3 192.0.2.21
ok "machine b pings a (IPv6)" RI -q --read-only -D "$TREE" -M rnm-b \
	--network bridge=br0,address=2001:db8::22/64 /bin/ping -6 -c 1 -W 3 2001:db8::21
ok "machine a exits 0" stop_bg "$a"
ok "... no veth left" no_veth

# --- 8 interfaces on 8 bridges ------------------------------------------------------------
args=()
for i in 0 1 2 3 4 5 6 7; do
	bridge "nb$i" $((1400 + i * 100))
	spec="bridge=nb$i,address=203.0.113.$((10 + i))/28,address=2001:db8:8::$((10 + i))/64"
	[ "$i" = 3 ] && spec="$spec,mtu=1280"
	[ "$i" -lt 4 ] && spec="$spec,mac=02:00:5e:10:00:0$i"
	args+=(--network "$spec")
done
RI -q --read-only -D "$TREE" -M rnm-eight "${args[@]}" /bin/sh -c 'ip -o addr; ip -o link' \
	>"$T/eight" 2>&1
eight() {
	local i mtu
	for i in 0 1 2 3 4 5 6 7; do
		mtu=$((1400 + i * 100))
		[ "$i" = 3 ] && mtu=1280
		has "$T/eight" "host$i +inet 203.0.113.$((10 + i))/28" || return 1
		has "$T/eight" "host$i +inet6 2001:db8:8::$((10 + i))/64" || return 1
		has "$T/eight" "host$i@if[0-9]+: .* mtu $mtu " || return 1
		if [ "$i" -lt 4 ]; then
			has "$T/eight" "host$i@.*link/ether 02:00:5e:10:00:0$i " || return 1
		else	# derived: locally administered unicast
			has "$T/eight" "host$i@.*link/ether .[26ae]:" || return 1
		fi
	done
}
ok "8 interfaces with their addresses, MACs and MTUs (default: the bridge's)" eight
ok "... no veth left" no_veth
mac_of() {
	RI -q --read-only -D "$TREE" -M rnm-mac --network-bridge br0 /bin/cat /sys/class/net/host0/address
}
stable_mac() {
	local a b
	a=$(mac_of) && b=$(mac_of) && [ -n "$a" ] && [ "$a" = "$b" ] || { echo "'$a' '$b'"; return 1; }
}
ok "derived MACs are stable across runs" stable_mac

# --- 10 machines at once ----------------------------------------------------------------
pids=()
ten() {
	local i
	for i in 0 1 2 3 4 5 6 7 8 9; do
		bg "rnm-production-database-replica-frankfurt-000$i" "$T/ten$i" \
			--network-bridge br0 --network-bridge br1 || return 1
		pids+=("$BG_PID")
	done
}
ok "10 machines with long similar names run at once" ten
names() { ip -n "$H" -o link show type veth | awk -F': ' '{ sub("@.*", "", $2); print $2 }'; }
ok "20 host-side veths" [ "$(names | wc -l)" = 20 ]
ok "... all distinct" [ "$(names | sort -u | wc -l)" = 20 ]
ok "... none longer than 15 characters" [ "$(names | awk 'length($0) > 15' | wc -l)" = 0 ]
stop_all() {
	local p rc=0
	for p in "${pids[@]}"; do kill -TERM "$p"; done
	for p in "${pids[@]}"; do run_status 0 wait "$p" || rc=1; done
	return $rc
}
ok "all 10 stop" stop_all
ok "... no veth left" no_veth

# --- Errors -----------------------------------------------------------------------------
fails "missing bridge: exit 2 naming it" 2 "bridge 'br9' not found \\(--network-bridge 'br9'\\)" \
	RI -q --read-only -D "$TREE" -M rnm-e --network-bridge br0 --network-bridge br9 /bin/true
ok "... nothing created" no_veth
fails "bad address: exit 2 naming the spec" 2 \
	"--network 'bridge=br0,address=192.0.2.300/24': invalid address '192.0.2.300/24'" \
	RI -q --read-only -D "$TREE" --network bridge=br0,address=192.0.2.300/24 /bin/true
fails "no prefix length: exit 2" 2 "invalid address '192.0.2.3'" \
	RI -q --read-only -D "$TREE" --network bridge=br0,address=192.0.2.3 /bin/true
fails "no bridge=: exit 2" 2 "missing 'bridge=BR'" \
	RI -q --read-only -D "$TREE" --network address=192.0.2.3/24 /bin/true
fails "two IPv4 default routes: exit 2" 2 "a second IPv4 gateway" \
	RI -q --read-only -D "$TREE" --network bridge=br0,address=192.0.2.3/24,gateway=192.0.2.1 \
	--network bridge=br1,address=198.51.100.3/24,gateway=198.51.100.1 /bin/true
fails "bad MTU: exit 2" 2 "invalid MTU '9'" \
	RI -q --read-only -D "$TREE" --network bridge=br0,mtu=9 /bin/true
# The second interface's host-side name is taken by something that is not runimg's.
taken=$("${VETH_PROBE:-$top_builddir/tests/helpers/veth-probe}" -M rnm-half --print \
	--network-bridge br0 --network-bridge br1 | awk 'NR == 2 { sub("host=", "", $2); print $2 }')
ip -n "$H" link add "$taken" type bridge
fails "failure halfway (host name taken): exit 2" 2 "the host interface name '$taken' is taken" \
	RI -q --read-only -D "$TREE" -M rnm-half --network-bridge br0 --network-bridge br1 /bin/true
ok "... the first interface was undone" no_veth
ip -n "$H" link del "$taken"

# --- Every exit path leaves no veth -----------------------------------------------------
ok "normal exit" RI -q --read-only -D "$TREE" -M rnm-x --network-bridge br0 /bin/true
ok "... no veth left" no_veth
ok "crash of the command (SIGSEGV): 139" run_status 139 \
	RI -q --read-only -D "$TREE" -M rnm-x --network-bridge br0 --network-bridge br1 \
	/bin/sh -c 'kill -SEGV $$'
ok "... no veth left" no_veth
ok "machine for kill -9" bg rnm-k9 "$T/k9" --network-bridge br0 --network-bridge br1
ok "... has two veths" [ "$(veth_count)" = 2 ]
kill -9 "$BG_PID"
wait "$BG_PID" 2>/dev/null
ok "kill -9 of runimg: the veths die with the machine's namespace" no_veth
ok "the same machine starts again at once" RI -q --read-only -D "$TREE" -M rnm-k9 \
	--network-bridge br0 --network-bridge br1 /bin/true
ok "... no veth left" no_veth

# --- A booted Debian 12 keeps the addresses runimg set -----------------------------------
tree=$(run_debian_tree) || tree=
if [ -z "$tree" ]; then
	skip "booted Debian guest" "cannot make a Debian 12 tree (debootstrap or a mirror missing)"
	done_testing
	exit
fi
# systemd-networkd enabled in the guest (in an overlay: the cached tree stays as it is); its
# 80-container-host0.network would run DHCP on host0 and drop foreign addresses.
up=$T/deb-ov/upper/etc/systemd/system
mkdir -p "$up/multi-user.target.wants" "$up/sockets.target.wants"
ln -s /lib/systemd/system/systemd-networkd.service "$up/multi-user.target.wants/"
ln -s /lib/systemd/system/systemd-networkd.socket "$up/sockets.target.wants/"
# host1 gets no address from runimg: it is the guest's, configured by its own networkd.
mkdir -p "$T/deb-ov/upper/etc/systemd/network"
printf '[Match]\nName=host1\n\n[Network]\nAddress=203.0.113.50/24\n' \
	>"$T/deb-ov/upper/etc/systemd/network/50-host1.network"
name=rnm-deb
ip netns exec "$H" "$RUNIMG" -v -b -M "$name" -D "$tree" --overlay "$T/deb-ov" \
	--network bridge=br0,address=192.0.2.30/24,address=2001:db8::30/64,gateway=192.0.2.1 \
	--network bridge=br1 </dev/null >"$T/deb.log" 2>&1 &
deb=$!
on_exit "kill -9 $deb"
leader=
booted() {
	local i s
	for i in $(seq 100); do
		leader=$(sed -n 's/^LEADER=//p' "/run/runimg/$name/state" 2>/dev/null)
		[ -n "$leader" ] && [ "$leader" != 0 ] && break
		sleep 0.1
	done
	[ -n "$leader" ] || { tail -20 "$T/deb.log"; return 1; }
	for i in $(seq 900); do	# READY=1 from systemd (runimg logs it with -v)
		grep -q "machine '$name' is ready" "$T/deb.log" && break
		kill -0 "$deb" 2>/dev/null || { tail -20 "$T/deb.log"; return 1; }
		sleep 0.1
	done
	s=$(timeout 90 nsenter -t "$leader" -a systemctl is-system-running --wait 2>&1)
	echo "state: $s"
	case $s in running | degraded) return 0 ;; esac
	return 1
}
in_deb() { nsenter -t "$leader" -a "$@"; }
ok "Debian boots with two bridged interfaces" booted
ok "systemd-networkd runs in the guest" in_deb systemctl is-active -q systemd-networkd
settled() {	# networkd has seen the links (it wrote its state for host0)
	local i
	for i in $(seq 100); do
		in_deb networkctl list --no-pager --no-legend 2>/dev/null | grep -q "host0.*unmanaged" &&
			return 0
		sleep 0.1
	done
	in_deb networkctl list --no-pager
	return 1
}
ok "networkd leaves host0 alone (unmanaged, runimg's /run/systemd/network file)" settled
ok "after boot host0 still has 192.0.2.30/24" sh -c \
	"nsenter -t $leader -a ip -o addr show dev host0 | grep -q 'inet 192.0.2.30/24'"
ok "... and 2001:db8::30/64" sh -c \
	"nsenter -t $leader -a ip -o addr show dev host0 | grep -q 'inet6 2001:db8::30/64'"
ok "... and the default route" sh -c \
	"nsenter -t $leader -a ip route show default | grep -q 'via 192.0.2.1 dev host0'"
ok "runimg's files in the guest's /run: networkd for host0 only, NetworkManager" sh -c "
	nsenter -t $leader -a grep -qx Unmanaged=yes /run/systemd/network/10-runimg-host0.network &&
	! nsenter -t $leader -a test -e /run/systemd/network/10-runimg-host1.network &&
	nsenter -t $leader -a grep -qx 'unmanaged-devices+=interface-name:host0' \
		/run/NetworkManager/conf.d/10-runimg.conf"
guest_configured() {	# host1, without an address from runimg, is configured by the guest
	local i
	for i in $(seq 100); do
		in_deb ip -o addr show dev host1 2>/dev/null | grep -q "inet 203.0.113.50/24" &&
			return 0
		sleep 0.1
	done
	in_deb networkctl list --no-pager
	return 1
}
ok "host1 (no address from runimg) is left to the guest's networkd" guest_configured
ok "the host reaches the booted guest" ip netns exec "$H" busybox ping -c 1 -W 3 192.0.2.30
ok "poweroff inside" in_deb systemctl poweroff
ended() {
	local i
	for i in $(seq 600); do
		kill -0 "$deb" 2>/dev/null || break
		sleep 0.1
	done
	run_status 0 wait "$deb" || { tail -20 "$T/deb.log"; return 1; }
}
ok "... runimg exits 0" ended
ok "... no veth left" no_veth

done_testing
