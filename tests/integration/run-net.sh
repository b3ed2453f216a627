#!/bin/bash
# Bridged veth interfaces (runner/veth.c over rtnetlink), driven by tests/helpers/veth-probe.
# Everything happens in network namespaces this test creates: "$H" plays the host (its bridges
# exist only there) and each "machine" is a namespace of its own.  Addresses are TEST-NET ones.
# The host's own network is never touched.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
: "${VETH_PROBE:=$top_builddir/tests/helpers/veth-probe}"

need_root
need_cmd ip
[ -x "$VETH_PROBE" ] || skip_all "veth-probe not built ($VETH_PROBE)"
[ -x /bin/busybox ] || skip_all "needs busybox-static (/bin/busybox)"

P=rnet$$
H=${P}h
ip netns add "$H" || skip_all "cannot create network namespaces"
on_exit "ip netns del $H"

# The test's namespaces: guest N creates ${P}gN, deleted at exit.
guest() {
	ip netns add "${P}g$1" && on_exit "ip netns del ${P}g$1"
}
bridge() {	# bridge NAME [MTU]
	ip -n "$H" link add "$1" type bridge &&
		ip -n "$H" link set "$1" ${2:+mtu $2} up
}
probe() {	# probe ARGS... : veth-probe run inside the test's "host"
	ip netns exec "$H" "$VETH_PROBE" "$@"
}
host_link() {	# host_link IF PATTERN: the "host" side of IF matches PATTERN
	ip -n "$H" -o -d link show dev "$1" | grep -Eq -- "$2" ||
		{ ip -n "$H" -o -d link show dev "$1"; return 1; }
}
guest_has() {	# guest_has N COMMAND-ARGS PATTERN : `ip -n GUEST ARGS` matches PATTERN
	local ns=${P}g$1 pat=$3
	# shellcheck disable=SC2086
	ip -n "$ns" -o $2 | grep -Eq -- "$pat" || { ip -n "$ns" -o $2; return 1; }
}
veth_count() {
	ip -n "$H" -o link show type veth | wc -l
}
no_veth() {
	[ "$(veth_count)" = 0 ] || { ip -n "$H" -o link show type veth; return 1; }
}

bridge br0 && bridge br1 || skip_all "no bridge support"

# --- The seed scenario, fixed: host0 on br0, host1 on br1 (host side veth-c7-2) ---------
guest 0
cat >"$T/c7-2.nspawn" <<'EOF'
[Exec]
Boot=yes

[Network]
VirtualEthernet=no
Bridge=br0
VirtualEthernetExtra=veth-c7-2:host1
Bridge=br1
EOF
ok "seed settings + Bridge=br1: created" probe -M c7-2 --netns "/run/netns/${P}g0" --keep \
	--settings "$T/c7-2.nspawn"
ok "seed: host0's host side is on br0" host_link "$(probe -M c7-2 --print \
	--settings "$T/c7-2.nspawn" | awk '$1 == "host0" { sub("host=", "", $2); print $2 }')" \
	"master br0.*alias runimg:c7-2"
ok "seed: veth-c7-2 is on br1 (no ExecStartPost needed)" host_link veth-c7-2 "master br1"
ok "seed: host1 in the machine" guest_has 0 "link show dev host1" "host1.*UP"
ok "seed: lo up in the machine" guest_has 0 "link show dev lo" "LOOPBACK,UP"
ok "sweep removes the seed machine's interfaces" probe --sweep c7-2
ok "nothing left after the sweep" no_veth

# --- The migrated seed: [Interface] sections with addresses and a default route ---------
guest 1
cat >"$T/c7-2.conf" <<'EOF'
[Network]
Private=yes

[Interface]
Bridge=br0
Address=192.0.2.10/24
Address=2001:db8::10/64
Gateway=192.0.2.1
Gateway=2001:db8::1

[Interface]
Bridge=br1
Address=198.51.100.10/24
EOF
ok "migrated settings: created" probe -M c7-2 --netns "/run/netns/${P}g1" --keep \
	--settings "$T/c7-2.conf"
ok "host0 has 192.0.2.10/24" guest_has 1 "addr show dev host0" "inet 192.0.2.10/24"
ok "host0 has 2001:db8::10/64" guest_has 1 "addr show dev host0" "inet6 2001:db8::10/64"
ok "host1 has 198.51.100.10/24" guest_has 1 "addr show dev host1" "inet 198.51.100.10/24"
ok "IPv4 default route via br0's gateway" guest_has 1 "route show default" \
	"default via 192.0.2.1 dev host0"
ok "IPv6 default route" guest_has 1 "-6 route show default" "default via 2001:db8::1 dev host0"
ok "host1's host side on br1" host_link "$(probe -M c7-2 --print --settings "$T/c7-2.conf" |
	awk '$1 == "host1" { sub("host=", "", $2); print $2 }')" "master br1"
ip -n "$H" addr add 192.0.2.1/24 dev br0
ok "the machine reaches its gateway on br0" \
	ip netns exec "${P}g1" busybox ping -c 1 -W 3 192.0.2.1
ok "the namespace dying takes the pair with it" ip netns del "${P}g1"
sleep 0.2
ok "no veth left once the machine's namespace is gone" no_veth

# --- Two machines on one bridge ping each other ----------------------------------------
guest 2
guest 3
ok "machine a" probe -M a --netns "/run/netns/${P}g2" --keep \
	--network "bridge=br0,address=192.0.2.21/24,address=2001:db8::21/64"
ok "machine b" probe -M b --netns "/run/netns/${P}g3" --keep \
	--network "bridge=br0,address=192.0.2.22/24,address=2001:db8::22/64"
ok "a pings b over br0" ip netns exec "${P}g2" busybox ping -c 1 -W 3 192.0.2.22
ok "b pings a over IPv6" ip netns exec "${P}g3" busybox ping -6 -c 1 -W 3 2001:db8::21
probe --sweep a >/dev/null
probe --sweep b >/dev/null

# --- 8 interfaces on 8 bridges: addresses, MACs, MTUs -----------------------------------
guest 4
args=()
for i in 0 1 2 3 4 5 6 7; do
	bridge "nb$i" $((1400 + i * 100))
	if [ "$i" = 3 ]; then
		args+=(--network "bridge=nb$i,address=203.0.113.$((10 + i))/28,mac=02:00:5e:10:00:0$i,mtu=1280")
	else
		args+=(--network "bridge=nb$i,address=203.0.113.$((10 + i))/28,mac=02:00:5e:10:00:0$i")
	fi
done
ok "8 interfaces on 8 bridges" probe -M eight --netns "/run/netns/${P}g4" --keep "${args[@]}"
all8() {
	local i mtu
	for i in 0 1 2 3 4 5 6 7; do
		mtu=$((1400 + i * 100))
		[ "$i" = 3 ] && mtu=1280
		guest_has 4 "addr show dev host$i" "inet 203.0.113.$((10 + i))/28" || return 1
		guest_has 4 "link show dev host$i" "mtu $mtu .*link/ether 02:00:5e:10:00:0$i" ||
			return 1
	done
}
ok "all 8 with their address, MAC and MTU (default: the bridge's)" all8
ok "8 host sides on 8 bridges" [ "$(ip -n "$H" -o link show type veth | grep -c 'master nb')" = 8 ]
probe --sweep eight >/dev/null

# --- 10 machines at once: unique host names -------------------------------------------
ten() {
	local i
	for i in 0 1 2 3 4 5 6 7 8 9; do
		guest "1$i" || return 1
		probe -M "production-database-replica-frankfurt-000$i" \
			--netns "/run/netns/${P}g1$i" --keep --network-bridge br0 \
			--network-bridge br1 || return 1
	done
}
ok "10 machines with long similar names get their interfaces" ten
names() {
	ip -n "$H" -o link show type veth | awk -F': ' '{ sub("@.*", "", $2); print $2 }'
}
ok "20 host-side veths, all distinct" [ "$(names | sort -u | wc -l)" = 20 ]
ok "every host-side name has at most 15 characters" [ "$(names | awk 'length($0) > 15' | wc -l)" = 0 ]
for i in 0 1 2 3 4 5 6 7 8 9; do
	probe --sweep "production-database-replica-frankfurt-000$i" >/dev/null
done
ok "all swept" no_veth

# --- Errors ---------------------------------------------------------------------------
guest 5
G5=/run/netns/${P}g5
fails "missing bridge: exit 2 naming it" 2 "bridge 'br9' not found" \
	probe -M e --netns "$G5" --network-bridge br0 --network-bridge br9
ok "missing bridge: nothing was created" no_veth
ip -n "$H" link add notabridge type veth peer name notabridge1
fails "a non-bridge master: exit 2" 2 "'notabridge' is not a bridge" \
	probe -M e --netns "$G5" --network-bridge notabridge
ip -n "$H" link del notabridge
fails "bad address: exit 2 naming the spec" 2 \
	"--network 'bridge=br0,address=192.0.2.300/24': invalid address '192.0.2.300/24'" \
	probe -M e --netns "$G5" --network "bridge=br0,address=192.0.2.300/24"
fails "missing prefix: exit 2" 2 "invalid address '192.0.2.3'" \
	probe -M e --network "bridge=br0,address=192.0.2.3"
fails "unknown key: exit 2" 2 "unknown key 'adress' \\(did you mean 'address'\\?\\)" \
	probe -M e --network "bridge=br0,adress=192.0.2.3/24"
fails "bad MAC: exit 2" 2 "invalid MAC address" probe -M e --network "bridge=br0,mac=zz"
fails "bad MTU: exit 2" 2 "invalid MTU" probe -M e --network "bridge=br0,mtu=12"
fails "gateway off-subnet: exit 2" 2 "not in the subnet" \
	probe -M e --network "bridge=br0,address=192.0.2.3/24,gateway=198.51.100.1"
ip -n "${P}g5" link add host2 type veth peer name other
fails "failure halfway (name taken in the machine): exit 2" 2 \
	"cannot create interface 'host2'" \
	probe -M e --netns "$G5" --network-bridge br0 --network-bridge br1 --network-bridge br0
ok "failure halfway: the two made before are gone again" no_veth
ok "failure halfway: and gone from the machine" bash -c \
	"! ip -n ${P}g5 -o link show | grep -Eq 'host0|host1'"
fails "IPv6 address rejected by the machine: undone" 1 "cannot add address 2001:db8::5/64" \
	bash -c "ip netns exec ${P}g5 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 && \
		ip netns exec $H $VETH_PROBE -M e --netns $G5 --network-bridge br0 \
		--network bridge=br1,address=2001:db8::5/64"
ok "nothing left after that failure" no_veth

# --- Teardown and kill -9 ---------------------------------------------------------------
guest 6
ok "created and torn down again" probe -M t --netns "/run/netns/${P}g6" --network-bridge br0 \
	--network-bridge br1
ok "no veth after a normal teardown" no_veth
hold() {
	local fifo=$T/hold
	rm -f "$fifo"
	mkfifo "$fifo"
	ip netns exec "$H" "$VETH_PROBE" -M k --netns "/run/netns/${P}g6" --hold \
		--network-bridge br0 --network-bridge br1 <"$fifo" >"$T/hold.out" &
	HOLD_PID=$!
	exec 7>"$fifo"
	for _ in $(seq 50); do grep -q ready "$T/hold.out" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
ok "held" hold
ok "two veths while held" [ "$(veth_count)" = 2 ]
kill -9 "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null
exec 7>&-
ok "after kill -9 the pair lives as long as the machine's namespace" [ "$(veth_count)" = 2 ]
ok "a new run of the machine sweeps the stale pair" probe -M k --netns "/run/netns/${P}g6" \
	--network-bridge br0 --network-bridge br1
ok "and tears its own down" no_veth
ok "held again" hold
kill -9 "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null
exec 7>&-
ip netns del "${P}g6"
gone() {
	for _ in $(seq 50); do [ "$(veth_count)" = 0 ] && return 0; sleep 0.1; done
	no_veth
}
ok "killed, then the namespace dies: no veth left" gone

done_testing
