# Helpers for the runimg integration tests (sourced after tests/lib.sh; not a test itself).
#
#   run_need_env          root, runimg/mkimg built, loop devices, overlayfs
#   run_busybox_tree DIR  a busybox-static tree with applet links and a few fixture files
#   run_mkimg FORMAT TREE OUTPUT   build an image of TREE with mkimg (Distribution=none)
#   run_snapshot FILE     loop devices, mounts and runimg cgroups/state, for before/after checks
#   run_same_state A B    compare two snapshots, waiting a little for lazy teardown
#   run_debian_tree       prints the path of a cached Debian 12 tree with systemd (debootstrap)
: "${RUNIMG:=$top_builddir/runimg}"
: "${RUN_PREFIX:=t}"

run_need_env() {
	need_root
	[ -x "$RUNIMG" ] || skip_all "runimg not built ($RUNIMG)"
	[ -x "$MKIMG" ] || skip_all "mkimg not built ($MKIMG)"
	[ -e /dev/loop-control ] || skip_all "no loop device support"
	grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
		skip_all "no overlayfs"
	[ -x /bin/busybox ] || skip_all "needs busybox-static (/bin/busybox)"
}

# run_busybox_tree DIR: /bin/busybox + applet symlinks, /sbin/init (a script the tests
# replace), the usual empty API directories and a marker file.
run_busybox_tree() {
	local d=$1 a
	mkdir -p "$d"/bin "$d"/sbin "$d"/etc "$d"/proc "$d"/sys "$d"/dev "$d"/run "$d"/tmp \
		"$d"/root "$d"/var
	cp /bin/busybox "$d"/bin/busybox
	for a in $(/bin/busybox --list); do
		[ -e "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"
	done
	echo "root:x:0:0:root:/root:/bin/sh" >"$d"/etc/passwd
	echo "root:x:0:" >"$d"/etc/group
	echo busybox-fixture >"$d"/etc/marker
	printf '#!/bin/sh\necho init-started\nexec poweroff -f\n' >"$d"/sbin/init
	chmod 755 "$d"/sbin/init
}

# run_mkimg FORMAT TREE OUTPUT [KEY=VALUE...]: a Distribution=none recipe built by mkimg.
run_mkimg() {
	local fmt=$1 tree=$2 out=$3 kv recipe
	shift 3
	recipe=$(mktemp "$T/recipe.XXXXXX")
	{
		printf '[Distribution]\nDistribution=none\n\n[Output]\nFormat=%s\nOutput=%s\n' \
			"$fmt" "$out"
		for kv in "$@"; do printf '%s\n' "$kv"; done
		printf '\n[Content]\nBaseTrees=%s\n' "$tree"
	} >"$recipe"
	"$MKIMG" -q --force "$recipe"
}

# Loop devices, mounts, runimg cgroups and state files: everything a run must leave as it
# found it.  Other tests may run at the same time, so only what could be runimg's is compared:
# loop devices of this test's files; mounts of those loop devices, overlays, and mounts under
# /run/runimg or this test's directory (a mount leaking out of a machine would be one of
# those); cgroups and state of machines whose names start with $RUN_PREFIX (each test names
# its images and machines with its own prefix).  Mount options are left out (atime updates
# are not leaks).
run_snapshot() {
	local loops
	loops=$(losetup -a -n -O NAME,BACK-FILE 2>/dev/null | grep -F -e "$T" -e /var/cache/runimg |
		sort)
	{
		echo "# loops"
		[ -z "$loops" ] || echo "$loops"
		echo "# mounts"
		awk -v t="$T" -v loops=" $(echo "$loops" | cut -d' ' -f1 | tr '\n' ' ') " '
			$2 ~ "^/run/runimg" || $3 == "overlay" || index(loops, " " $1 " ") ||
			index($2, t) == 1 || index($1, t) == 1 { print $1, $2, $3 }' /proc/self/mounts |
			sort
		echo "# cgroups"
		find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d \( -name "runimg-$RUN_PREFIX*" \
			-o -path "*/runimg/$RUN_PREFIX*" \) 2>/dev/null | sort
		echo "# state"
		find /run/runimg -mindepth 1 -maxdepth 2 -path "/run/runimg/$RUN_PREFIX*" 2>/dev/null | sort
	} >"$1"
}

# run_same_state BEFORE AFTER: AFTER is re-taken for up to 5 s until it equals BEFORE.
run_same_state() {
	local i
	for i in $(seq 50); do
		run_snapshot "$2"
		cmp -s "$1" "$2" && return 0
		sleep 0.1
	done
	diff -u "$1" "$2"
	return 1
}

# The Debian mirror the host's apt sources use for bookworm (deb822 or sources.list).
run_host_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '
			BEGIN { RS = ""; FS = "\n" }
			{
				types = ""; uris = ""; suites = ""
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^#/) continue
					k = tolower(substr($i, 1, index($i, ":") - 1))
					v = substr($i, index($i, ":") + 1)
					gsub(/^[ \t]+|[ \t]+$/, "", v)
					if (k == "types") types = v
					else if (k == "uris") uris = v
					else if (k == "suites") suites = v
				}
				if (types !~ /(^| )deb( |$)/) next
				n = split(suites, s, /[ \t]+/)
				for (j = 1; j <= n; j++)
					if (s[j] == "bookworm") { split(uris, u, /[ \t]+/); print u[1]; exit }
			}' "$f")
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	[ -r /etc/apt/sources.list ] &&
		awk '/^[ \t]*deb[ \t]/ { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i + 1) == "bookworm") { print $i; found = 1; exit } }
			END { exit !found }' /etc/apt/sources.list
}

# Debian 12 with systemd, made once with the host's debootstrap and cached.  Prints its path.
RUN_DEBIAN_CACHE=${RUN_DEBIAN_CACHE:-/var/cache/runimg-test}
run_debian_tree() {
	local root=$RUN_DEBIAN_CACHE/debian-12 mirror
	if [ -e "$root.complete" ] && [ -d "$root" ]; then
		echo "$root"
		return 0
	fi
	command -v debootstrap >/dev/null || return 3
	mirror=$(run_host_mirror) || return 3
	mkdir -p "$RUN_DEBIAN_CACHE"
	rm -rf "$root.tmp"
	debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,iproute2,procps \
		bookworm "$root.tmp" "$mirror" >"$RUN_DEBIAN_CACHE/debootstrap.log" 2>&1 || {
		rm -rf "$root.tmp"
		return 1
	}
	rm -f "$root.tmp"/var/cache/apt/archives/*.deb
	echo debian-12 >"$root.tmp"/etc/hostname
	rm -rf "$root"
	mv "$root.tmp" "$root"
	touch "$root.complete"
	echo "$root"
}

# run_status WANT COMMAND...: COMMAND exits with status WANT (its output is not checked).
run_status() {
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	[ "$rc" = "$want" ] || { echo "exit status $rc, want $want"; return 1; }
}
