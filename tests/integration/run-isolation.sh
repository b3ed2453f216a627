#!/bin/bash
# What a machine sees: its own PID 1, host name, network, a fresh /proc with masked and
# read-only parts that cannot be unmounted or remounted, a read-only /sys, a minimal /dev, a
# bounded capability set; and what the host does not see: the machine's mounts.
. "$top_srcdir/tests/lib.sh"
RUN_PREFIX=riso
. "$top_srcdir/tests/integration/run-lib.sh"
run_need_env

run_busybox_tree "$T/tree"
run_mkimg gpt_ext4 "$T/tree" "$T/riso.raw" || { echo "Bail out! mkimg failed"; exit 1; }
IMG=$T/riso.raw
run_snapshot "$T/before"

inside() { # inside [OPTIONS] -- SHELL-CODE: run SHELL-CODE in the machine
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	"$RUNIMG" -q "${opts[@]}" "$IMG" /bin/sh -c "$2"
}

ok "command mode: PID 1 is runimg's reaper, the command its child" inside -- '
	[ "$(cat /proc/1/comm)" = runimg-init ] && grep -q "^PPid:[[:space:]]*1$" /proc/$$/status'
ok "only the machine's processes are visible" inside -- '
	n=$(ls /proc | grep -c "^[0-9]"); [ "$n" -le 5 ]'
printf '#!/bin/sh\necho "init-pid=$$"\npoweroff -f\n' >"$T/tree/sbin/init"
ok "boot mode: the image's init is PID 1" sh -c '
	"$1" -q -b -D "$2" | tr -d "\r" | grep -qx init-pid=1' - "$RUNIMG" "$T/tree"

ok "host name defaults to the machine name" inside -- '[ "$(hostname)" = riso ]'
ok "--hostname" inside --hostname web-01 -- '[ "$(hostname)" = web-01 ]'
ok "-M names the machine and the host" inside -M riso-named -- '[ "$(hostname)" = riso-named ]'
ok "the host's name is unchanged" test "$(hostname)" = "$(cat /proc/sys/kernel/hostname)"

host_links=$(ip -o link | wc -l)
ok "host network by default" inside -- "[ \$(ip -o link | wc -l) = $host_links ]"
ok "--private-network: only lo, and it is up" inside --private-network -- '
	[ "$(ip -o link | wc -l)" = 1 ] && ip -o link | grep -q "lo:.*UP"'
ok "--private-network: /proc/sys/net is the machine's own, writable" inside --private-network -- '
	echo 1 >/proc/sys/net/ipv4/ip_forward'

for f in /proc/keys /proc/timer_list /proc/kcore /proc/sched_debug; do
	[ -e "$f" ] || continue
	ok "$f is masked: nothing to read" inside -- "[ -z \"\$(cat $f 2>/dev/null)\" ]"
	ok "$f mask cannot be unmounted" inside -- "! umount $f 2>/dev/null && ! umount -l $f 2>/dev/null && [ -z \"\$(cat $f 2>/dev/null)\" ]"
done
[ -d /proc/acpi ] && ok "/proc/acpi is masked (empty)" inside -- '[ -z "$(ls /proc/acpi)" ]'
ok "/proc/sys is read-only" inside -- '! echo x 2>/dev/null >/proc/sys/kernel/domainname'
ok "/proc/sys cannot be remounted read-write or unmounted" inside -- '
	! mount -o remount,rw /proc/sys 2>/dev/null && ! umount /proc/sys 2>/dev/null &&
	! echo x 2>/dev/null >/proc/sys/kernel/domainname'
ok "/sys is read-only" inside -- '! touch /sys/x 2>/dev/null && grep -q " /sys sysfs ro," /proc/mounts'
ok "/sys cannot be remounted read-write" inside -- '
	! mount -o remount,rw /sys 2>/dev/null && ! umount -l /sys 2>/dev/null && ! touch /sys/x 2>/dev/null'
ok "no fresh /proc can be mounted around the masks" inside -- '
	mkdir -p /tmp/p && ! mount -t proc proc /tmp/p 2>/dev/null'

ok "minimal /dev" inside -- '
	[ "$(ls /dev | tr "\n" " ")" = "console fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " ]'
ok "/dev nodes work" inside -- '
	head -c 4 /dev/urandom | wc -c | grep -q 4 && echo x >/dev/null && [ -z "$(head -c 1 /dev/null)" ]'
ok "devpts is the machine's own instance, /dev/ptmx usable" inside -- '
	[ "$(ls /dev/pts)" = ptmx ] && [ -c /dev/pts/ptmx ] && [ -L /dev/ptmx ]'
ok "/dev/console is a pty" inside -- '[ -c /dev/console ] && grep -q " /dev/console devpts" /proc/mounts'
ok "/dev/shm, /run and /tmp are tmpfs" inside -- '
	for d in /dev/shm /run /tmp; do grep -q " $d tmpfs" /proc/mounts || exit 1; done'
ok "/run/systemd/container says runimg" inside -- '[ "$(cat /run/systemd/container)" = runimg ]'
ok "the machine's cgroup is the root of its cgroup namespace" inside -- '
	grep -qx "0::/" /proc/self/cgroup'

# CapBnd bits: 21 = CAP_SYS_ADMIN, 22 = CAP_SYS_BOOT kept; 16 = CAP_SYS_MODULE,
# 17 = CAP_SYS_RAWIO, 25 = CAP_SYS_TIME dropped.
ok "capability bounding set like nspawn's default" inside -- '
	b=$((0x$(sed -n "s/^CapBnd:[[:space:]]*//p" /proc/self/status)))
	[ $((b >> 21 & 1)) = 1 ] && [ $((b >> 22 & 1)) = 1 ] && [ $((b >> 16 & 1)) = 0 ] &&
	[ $((b >> 17 & 1)) = 0 ] && [ $((b >> 25 & 1)) = 0 ]'

# The host must not see a mount made inside, nor any of the machine's own.
"$RUNIMG" -q "$IMG" /bin/sh -c 'mkdir -p /mnt/x && mount -t tmpfs inside-tmpfs /mnt/x &&
	touch /tmp/ready && sleep 3' &
pid=$!
on_exit "kill $pid"
sleep 1.5
run_snapshot "$T/during"
ok "while it runs the host sees no new mount" bash -c '
	diff <(sed -n "/^# mounts/,/^# cgroups/p" "$1") <(sed -n "/^# mounts/,/^# cgroups/p" "$2")' \
	- "$T/before" "$T/during"
ok "not even the one made inside" sh -c '! grep -q inside-tmpfs /proc/mounts'
wait $pid

ok "nothing left behind" run_same_state "$T/before" "$T/after"
done_testing
