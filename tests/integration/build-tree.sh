#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Building from trees (Distribution=none, Format=directory): BaseTrees from a directory and a
# .tar.gz, layered; ExtraTrees with and without TARGET; Hostname, Timezone, Locale, Password,
# EnableUnits; PostInstallationScript inside the tree (root only); the failure cases.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

need_cmd tar perl python3 ldd
[ "$(id -u)" = 0 ] && ROOT=1 || ROOT=

WS=$T/ws	# our own workspace dir: nothing may stay in it, nothing may stay mounted under it
mkdir -p "$WS"
umount_leftovers() {	# only if a bug left something mounted: keep the host clean anyway
	awk -v t="$T" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l
}
on_exit umount_leftovers

# A tree in which /bin/sh runs: the host's sh and the libraries it needs.
add_sh() {
	mkdir -p "$1/bin" && cp /bin/sh "$1/bin/sh" || return 1
	for lib in $(ldd /bin/sh | grep -o '/[^ ]*'); do
		mkdir -p "$1$(dirname "$lib")" && cp -L "$lib" "$1$lib" || return 1
	done
}

# --- inputs ----------------------------------------------------------------------------------
B1=$T/base1
mkdir -p "$B1/etc/default" "$B1/usr/lib/systemd/system" "$B1/usr/share/zoneinfo/Europe"
ln -s usr/lib "$B1/lib"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$B1/etc/passwd"
printf 'root:*:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n' >"$B1/etc/shadow"
chmod 0640 "$B1/etc/shadow"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tbase\n' >"$B1/etc/hosts"
printf 'TZif2 fake zone\n' >"$B1/usr/share/zoneinfo/Europe/Berlin"
printf 'from base1\n' >"$B1/etc/motd"
printf 'only in base1\n' >"$B1/etc/base1-only"
printf '[Unit]\nDescription=demo\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' \
	>"$B1/usr/lib/systemd/system/demo.service"
add_sh "$B1"

B2=$T/base2
mkdir -p "$B2/etc" "$B2/lib" "$B2/srv"
printf 'from base2\n' >"$B2/etc/motd"
printf 'layer two\n' >"$B2/lib/layer2"
printf 'owned\n' >"$B2/srv/owned"
[ -n "$ROOT" ] && chown 1234:5678 "$B2/srv/owned"
chmod 4750 "$B2/srv/owned"
tar -C "$B2" --numeric-owner -czf "$T/base2.tar.gz" .

X1=$T/extra1
mkdir -p "$X1/etc"
printf 'extra\n' >"$X1/etc/extra-file"
X2=$T/extra2
mkdir -p "$X2/conf"
printf 'app\n' >"$X2/conf/app.conf"
tar -C "$X2" -cf "$T/extra2.tar" .

cat >"$T/postinst.sh" <<'EOF'
#!/bin/sh
set -e
echo "$1" >/etc/marker
echo "BUILDROOT=$BUILDROOT HOME=$HOME" >/etc/script-env
[ -r /proc/self/status ] && echo proc >/etc/script-proc
[ -d /sys/kernel ] && echo sys >/etc/script-sys
[ -c /dev/null ] && echo dev >/etc/script-dev
read -r comm </proc/1/comm && echo "$comm" >/etc/script-comm
read -r h </etc/hostname && echo "$h" >/etc/script-hostname
EOF

recipe() {	# recipe FILE OUTPUT [CONTENT-LINES...]
	local f=$1 out=$2
	shift 2
	{
		printf '[Distribution]\nDistribution=none\n[Output]\nFormat=directory\n'
		printf 'Output=%s\n[Content]\n' "$out"
		printf '%s\n' "$@"
	} >"$f"
}

no_leftovers() {	# nothing mounted under $T, workspace dir empty
	! grep -q " $T" /proc/mounts && [ -z "$(ls -A "$WS")" ]
}

# --- the full build --------------------------------------------------------------------------
O=$T/out
POSTINST=
[ -n "$ROOT" ] && POSTINST="PostInstallationScript=$T/postinst.sh"
recipe "$T/full.recipe" "$O" \
	"BaseTrees=" "        $B1" "        $T/base2.tar.gz" \
	"ExtraTrees=" "        $X1" "        $T/extra2.tar:/opt/app" "        $X1:/srv/copy" \
	"Hostname=web1" "Timezone=Europe/Berlin" "Locale=de_DE.UTF-8" "Password=secret" \
	"EnableUnits=demo.service" "$POSTINST"
ok "build from a directory and a .tar.gz base tree" "$MKIMG" --workspace-dir "$WS" "$T/full.recipe"

ok "base trees are layered in order" grep -qx 'from base2' "$O/etc/motd"
ok "files only in the first base tree stay" test -f "$O/etc/base1-only"
ok "tarball member under lib/ follows the lower layer's lib -> usr/lib" \
	sh -c "test -L '$O/lib' && grep -qx 'layer two' '$O/usr/lib/layer2'"
if [ -n "$ROOT" ]; then
	ok "tarball owners (numeric) and modes kept" \
		test "$(stat -c '%u:%g %a' "$O/srv/owned")" = "1234:5678 4750"
else
	skip "tarball owners (numeric) and modes kept" "needs root"
fi
ok "ExtraTrees without TARGET land at /" grep -qx extra "$O/etc/extra-file"
ok "ExtraTrees tarball with TARGET" grep -qx app "$O/opt/app/conf/app.conf"
ok "ExtraTrees directory with TARGET" grep -qx extra "$O/srv/copy/etc/extra-file"
ok "Hostname: /etc/hostname" grep -qx web1 "$O/etc/hostname"
ok "Hostname: /etc/hosts 127.0.1.1 line" grep -qx '127.0.1.1	web1' "$O/etc/hosts"
ok "Timezone: /etc/localtime symlink" \
	test "$(readlink "$O/etc/localtime")" = ../usr/share/zoneinfo/Europe/Berlin
ok "Locale: /etc/locale.conf" grep -qx LANG=de_DE.UTF-8 "$O/etc/locale.conf"
ok "Locale: /etc/default/locale (Debian)" grep -qx LANG=de_DE.UTF-8 "$O/etc/default/locale"
ok "Password: root hash in /etc/shadow verifies" perl -e '
	open(my $f, "<", $ARGV[0]) or die; my ($h) = map { (split /:/)[1] } grep { /^root:/ } <$f>;
	exit(crypt("secret", $h) eq $h && $h =~ /^\$(y|6)\$/ ? 0 : 1)' "$O/etc/shadow"
ok "Password: other shadow lines and mode kept" \
	sh -c "grep -qx 'bin:\*:19000:0:99999:7:::' '$O/etc/shadow' && test \$(stat -c %a '$O/etc/shadow') = 640"
ok "EnableUnits: WantedBy= symlink" test "$(readlink "$O/etc/systemd/system/multi-user.target.wants/demo.service")" = \
	/usr/lib/systemd/system/demo.service

if [ -n "$ROOT" ]; then
	ok "PostInstallationScript ran inside the tree with \$1=final" grep -qx final "$O/etc/marker"
	ok "PostInstallationScript wrote nothing on the host" test ! -e /etc/marker
	ok "PostInstallationScript environment" grep -qx 'BUILDROOT=/ HOME=/root' "$O/etc/script-env"
	ok "PostInstallationScript sees /proc, /sys and /dev" \
		sh -c "test -s '$O/etc/script-proc' && test -s '$O/etc/script-sys' && test -s '$O/etc/script-dev'"
	ok "PostInstallationScript runs after Hostname=" grep -qx web1 "$O/etc/script-hostname"
	ok "the script's copy is removed" sh -c "! ls -A '$O' | grep -q postinst"
	ok "no mount left and no workspace left" no_leftovers
else
	for t in "ran inside" "host untouched" "environment" "API mounts" "after Hostname" \
		"copy removed" "no mount left"; do
		skip "PostInstallationScript: $t" "needs root"
	done
fi

# --- failures --------------------------------------------------------------------------------
if [ -n "$ROOT" ]; then
	printf '#!/bin/sh\necho partial >/etc/partial\nexit 7\n' >"$T/fail.sh"
	recipe "$T/fail.recipe" "$T/out-fail" "BaseTrees=$B1" "PostInstallationScript=$T/fail.sh"
	fails "failing PostInstallationScript: exit 1 naming the script and status" 1 \
		"PostInstallationScript '$T/fail.sh' failed: exit status 7" \
		"$MKIMG" --workspace-dir "$WS" "$T/fail.recipe"
	ok "failing PostInstallationScript: no output left" \
		sh -c "test ! -e '$T/out-fail' && test ! -e '$T/out-fail.manifest.json'"
	ok "failing PostInstallationScript: no mount, no workspace left" no_leftovers
else
	recipe "$T/noroot.recipe" "$T/out-noroot" "BaseTrees=$B1" "PostInstallationScript=$T/postinst.sh"
	fails "PostInstallationScript without root: exit 3" 3 "PostInstallationScript .* needs root" \
		"$MKIMG" --workspace-dir "$WS" "$T/noroot.recipe"
	skip "failing PostInstallationScript: no output left" "needs root"
	skip "failing PostInstallationScript: no mount, no workspace left" "needs root"
fi

recipe "$T/missing.recipe" "$T/out-missing" "BaseTrees=$T/no-such-tree" "Hostname=x"
fails "missing BaseTrees: exit 2 naming it with file:line" 2 \
	"missing.recipe:7: .*'$T/no-such-tree'.* not found|missing.recipe:7: .*no-such-tree" \
	"$MKIMG" --workspace-dir "$WS" "$T/missing.recipe"
ok "missing BaseTrees: no output left" test ! -e "$T/out-missing"

python3 - "$T/evil.tar" <<'EOF'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name in ("etc/ok", "etc/../../escaped"):
        i = tarfile.TarInfo(name)
        i.size = 3
        t.addfile(i, io.BytesIO(b"hi\n"))
EOF
recipe "$T/evil.recipe" "$T/out-evil" "BaseTrees=$T/evil.tar"
fails "tarball member with ../ refused" 1 "member 'etc/\.\./\.\./escaped' points outside the tree" \
	"$MKIMG" --workspace-dir "$WS" "$T/evil.recipe"
ok "tarball member with ../ wrote nothing outside" \
	sh -c "test ! -e '$T/escaped' && test ! -e '$WS/escaped' && test ! -e '$T/out-evil'"

recipe "$T/tz.recipe" "$T/out-tz" "BaseTrees=$B1" "Timezone=Mars/Olympus"
fails "Timezone missing from the tree: exit 2" 2 "timezone 'Mars/Olympus' not found in the image" \
	"$MKIMG" --workspace-dir "$WS" "$T/tz.recipe"
ok "no workspace left after the failures" no_leftovers

done_testing
