#!/bin/bash
# Debian bootstrap against a hermetic, signed repository: the host's own essential packages
# packed back into .debs (tests/lib-hostdebs.sh) plus small test packages with Essential:,
# Priority:, Pre-Depends:, Recommends:, maintainer scripts and two components.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib-aptrepo.sh"
. "$top_srcdir/tests/lib-hostdebs.sh"

need_root
aptrepo_need
need_cmd dpkg-query chroot

REPO=$T/repo
CACHE=$T/cache
mark='mkdir -p /var/lib/mkimg-test; echo configured >/var/lib/mkimg-test/$DPKG_MAINTSCRIPT_PACKAGE'

make_repo() {
	hostdebs_build "$REPO/pool/main" || return 1
	aptrepo_deb "$REPO" t-ess 1.0 Essential=yes Priority=required Depends=t-esslib \
		--postinst="$mark" >/dev/null &&
	aptrepo_deb "$REPO" t-esslib 1.0 --postinst="$mark" >/dev/null &&
	aptrepo_deb "$REPO" t-req 1.0 Priority=required >/dev/null &&
	aptrepo_deb "$REPO" t-pre 1.0 >/dev/null &&
	aptrepo_deb "$REPO" t-lib 1.0 Pre-Depends=t-pre --postinst="$mark" >/dev/null &&
	aptrepo_deb "$REPO" t-hello 1.0 Depends="t-lib, t-ver (>= 2)" Recommends=t-extra \
		--postinst="$mark" >/dev/null &&
	aptrepo_deb "$REPO" t-extra 1.0 >/dev/null &&
	aptrepo_deb "$REPO" t-ver 1.0 >/dev/null &&
	aptrepo_deb "$REPO" t-ver 2.0 >/dev/null &&
	aptrepo_deb "$REPO" t-broken 1.0 Depends=t-missing >/dev/null &&
	aptrepo_deb "$REPO" t-contrib 1.0 --component=contrib >/dev/null &&
	mkdir -p "$T/old/usr/share/t-old/empty" && echo old >"$T/old/usr/share/t-old/file" &&
	touch -d @1000000000 "$T/old/usr/share/t-old/"{file,empty} "$T/old/usr/share/t-old" &&
	aptrepo_deb "$REPO" t-old 1.0 Essential=yes Priority=required --tree="$T/old" >/dev/null &&
	aptrepo_key "$T/key" &&
	aptrepo_publish "$REPO" "$T/key" --suite=bookworm
}

recipe() {	# recipe FILE FORMAT OUTPUT [KEY=VALUE lines for [Packages]...]
	local f=$1 fmt=$2 out=$3
	shift 3
	{
		printf '[Distribution]\nDistribution=debian\nRelease=bookworm\n'
		printf 'Mirror=file://%s\nRepositoryKey=%s\nRepositories=main contrib\n' \
			"$REPO" "$T/key/keyring.gpg"
		printf 'Updates=no\n'	# $REPO has the release suite only
		printf '[Output]\nFormat=%s\nOutput=%s\n[Packages]\n' "$fmt" "$out"
		printf '%s\n' "$@"
	} >"$f"
}

status_of() {	# status_of ROOT PACKAGE
	chroot "$1" dpkg-query -W -f '${Status}' "$2" 2>/dev/null
}

all_installed() {	# all_installed ROOT: every package "install ok installed", audit silent
	local bad
	bad=$(chroot "$1" dpkg-query -W -f '${Package} ${Status}\n' | grep -v ' install ok installed$')
	[ -z "$bad" ] || { echo "not installed: $bad"; return 1; }
	[ -z "$(chroot "$1" dpkg --audit)" ]
}

check_good() {	# check_good ROOT MANIFEST
	local r=$1
	all_installed "$r" &&
	for p in dpkg coreutils t-ess t-esslib t-req t-pre t-lib t-hello t-contrib; do
		[ "$(status_of "$r" $p)" = "install ok installed" ] || { echo "$p missing"; return 1; }
	done &&
	[ "$(chroot "$r" dpkg-query -W -f '${Version}' t-ver)" = 2.0 ] &&
	[ "$(status_of "$r" t-extra)" != "install ok installed" ] &&
	for p in t-ess t-esslib t-lib t-hello; do
		[ -e "$r/var/lib/mkimg-test/$p" ] || { echo "postinst of $p did not run"; return 1; }
	done &&
	[ "$(readlink "$r/bin")" = usr/bin ] && [ -x "$r/usr/bin/ls" ] &&
	[ ! -e "$r/usr/sbin/policy-rc.d" ] &&
	grep -qx "deb file://$REPO bookworm main contrib" "$r/etc/apt/sources.list" &&
	[ -z "$(ls "$r/var/cache/apt/archives/"*.deb 2>/dev/null)" ] &&
	[ -z "$(find "$r/usr/share/man" -type f 2>/dev/null)" ] &&
	[ -e "$r/usr/share/doc/coreutils/copyright" ] &&
	grep -q '"name": "t-hello", "version": "1.0", "arch": "all", "sha256": "[0-9a-f]\{64\}"' "$2"
}

make_repo || { echo "Bail out! cannot build the test repository"; exit 1; }
OUT=$T/out
mkdir -p "$OUT"

recipe "$T/good.recipe" directory "$OUT/good" Packages=t-hello Packages=t-contrib Packages=t-old \
	WithDocs=no
started=$(date +%s)
ok "build from a signed repository" "$MKIMG" --cache-dir "$CACHE" "$T/good.recipe"
ok "all installed and configured, postinsts ran, Recommends left out, highest version" \
	check_good "$OUT/good" "$OUT/good.manifest.json"
# The essential set is unpacked in parallel: files keep the package's time, directories the
# time they were made (else "the time of whichever package set it last" varies by build).
ok "files keep the package's mtime, directories do not" eval \
	'[ "$(stat -c %Y "$OUT/good/usr/share/t-old/file")" = 1000000000 ] &&
	 [ "$(stat -c %Y "$OUT/good/usr/share/t-old/empty")" -ge "$started" ]'

recipe "$T/rec.recipe" directory "$OUT/rec" Packages=t-hello WithRecommends=yes
ok "WithRecommends=yes installs Recommends" "$MKIMG" --cache-dir "$CACHE" "$T/rec.recipe"
ok "the recommended package is installed" \
	test "$(status_of "$OUT/rec" t-extra)" = "install ok installed"

recipe "$T/missing.recipe" directory "$OUT/missing" Packages=t-hello Packages=t-nope
fails "a missing package is named (exit 2)" 2 "package 't-nope' not found in any repository" \
	"$MKIMG" --cache-dir "$CACHE" "$T/missing.recipe"

recipe "$T/broken.recipe" directory "$OUT/broken" Packages=t-broken
fails "an unsatisfiable dependency is explained (exit 1)" 1 \
	"dependency problem 1 of 1: nothing provides t-missing needed by t-broken" \
	"$MKIMG" --cache-dir "$CACHE" "$T/broken.recipe"

recipe "$T/remove.recipe" directory "$OUT/remove" Packages=t-hello RemovePackages=t-pre
fails "RemovePackages= of a needed package is a recipe error (exit 2)" 2 \
	"RemovePackages= takes away" "$MKIMG" --cache-dir "$CACHE" "$T/remove.recipe"
[ ! -e "$OUT/missing" ] && [ ! -e "$OUT/broken" ] && [ ! -e "$OUT/remove" ]
ok "failed builds leave no output" test $? = 0

# Version pins: t-ver has 1.0 and 2.0 here (t-hello needs t-ver (>= 2)).
recipe "$T/pin.recipe" directory "$OUT/pin" Packages=t-ver=1.0 Packages=t-lib WithDocs=no
ok "Packages=t-ver=1.0 builds" "$MKIMG" --cache-dir "$CACHE" "$T/pin.recipe"
ok "the pinned version is installed while a newer one exists" \
	test "$(chroot "$OUT/pin" dpkg-query -W -f '${Version}' t-ver)" = 1.0
ok "mkimg summary prints the entry as written" eval \
	'"$MKIMG" summary "$T/pin.recipe" | grep -q "t-ver=1.0"'
recipe "$T/pinlt.recipe" directory "$OUT/pinlt" WithDocs=no
ok "-p 't-ver<2' builds" "$MKIMG" --cache-dir "$CACHE" -p 't-ver<2' "$T/pinlt.recipe"
ok "t-ver<2 installs 1.0" test "$(chroot "$OUT/pinlt" dpkg-query -W -f '${Version}' t-ver)" = 1.0
recipe "$T/pinmiss.recipe" directory "$OUT/pinmiss" Packages=t-ver=3.0
fails "a pin no version satisfies is a recipe error naming the versions (exit 2)" 2 \
	"package 't-ver' has no version matching '=3.0' \(available: 1.0, 2.0\)" \
	"$MKIMG" --cache-dir "$CACHE" "$T/pinmiss.recipe"
recipe "$T/pinconf.recipe" directory "$OUT/pinconf" Packages=t-hello Packages=t-ver=1.0
fails "a pin the dependencies rule out is explained (exit 1)" 1 "dependency problem 1 of 1" \
	"$MKIMG" --cache-dir "$CACHE" "$T/pinconf.recipe"
recipe "$T/pinbad.recipe" directory "$OUT/pinbad" Packages=t-ver==1.0
fails "a malformed pin is a recipe error with file:line (exit 2)" 2 \
	"pinbad.recipe:12: invalid package 't-ver==1.0' in Packages=" \
	"$MKIMG" --cache-dir "$CACHE" "$T/pinbad.recipe"
ok "mkimg lock of a pinned recipe" "$MKIMG" --cache-dir "$CACHE" lock "$T/pin.recipe"
ok "the lock has the pinned version" grep -q '^package t-ver 1.0 ' "$T/pin.recipe.lock"
sed -i 's/^Packages=t-ver=1.0$/Packages=t-ver=2.0/' "$T/pin.recipe"
fails "a changed pin makes the lock stale (exit 2)" 2 "run \"mkimg lock\" again" \
	"$MKIMG" --cache-dir "$CACHE" --locked -o "$OUT/pin2" "$T/pin.recipe"
[ ! -e "$OUT/pinmiss" ] && [ ! -e "$OUT/pinconf" ] && [ ! -e "$OUT/pinbad" ] &&
	[ ! -e "$OUT/pin2" ]
ok "failed pinned builds leave no output" test $? = 0

# Lock: written, built from, and refused when the recipe changed.
recipe "$T/lk.recipe" directory "$OUT/lk" Packages=t-hello
ok "mkimg lock writes RECIPE.lock" "$MKIMG" --cache-dir "$CACHE" lock "$T/lk.recipe"
ok "the lock lists packages with size, sha256 and URL" grep -Eq \
	"^package t-hello 1.0 all [0-9]+ [0-9a-f]{64} - pool/main/t-hello_1.0_all.deb file://$REPO/pool/main/t-hello_1.0_all.deb$" \
	"$T/lk.recipe.lock"
# The repository moves on; the locked build still installs what the lock says.
aptrepo_deb "$REPO" t-ver 3.0 >/dev/null && aptrepo_publish "$REPO" "$T/key" --suite=bookworm
ok "--locked builds exactly the lock" "$MKIMG" --cache-dir "$CACHE" --locked "$T/lk.recipe"
ok "the locked build has the locked versions" \
	test "$(chroot "$OUT/lk" dpkg-query -W -f '${Version}' t-ver)" = 2.0
sed -i 's/^Packages=t-hello/Packages=t-hello\nPackages=t-extra/' "$T/lk.recipe"
fails "a lock that does not match the recipe is refused (exit 2)" 2 "run \"mkimg lock\" again" \
	"$MKIMG" --cache-dir "$CACHE" --locked -o "$OUT/lk2" "$T/lk.recipe"

# Updates= (default yes): RELEASE-updates from the mirror, RELEASE-security from
# SecurityMirror=; the highest version of each package wins.  UPD starts as a copy of REPO's
# pool (bookworm published before the updates are added), SEC holds only the security update.
UPD=$T/upd
SEC=$T/sec
make_updates() {
	mkdir -p "$UPD" && cp -al "$REPO/pool" "$UPD/pool" &&
	aptrepo_publish "$UPD" "$T/key" --suite=bookworm &&
	aptrepo_deb "$UPD" t-lib 1.1 Pre-Depends=t-pre --postinst="$mark" >/dev/null &&
	aptrepo_publish "$UPD" "$T/key" --suite=bookworm-updates &&
	aptrepo_deb "$SEC" t-esslib 1.1 --postinst="$mark" >/dev/null &&
	aptrepo_publish "$SEC" "$T/key" --suite=bookworm-security --components="main contrib"
}
upd_recipe() {	# upd_recipe FILE OUTPUT MIRROR SECURITY-MIRROR [KEY=VALUE lines...]
	local f=$1 out=$2 m=$3 sec=$4
	shift 4
	{
		printf '[Distribution]\nDistribution=debian\nRelease=bookworm\nMirror=file://%s\n' "$m"
		printf 'SecurityMirror=file://%s\nRepositoryKey=%s\nRepositories=main contrib\n' \
			"$sec" "$T/key/keyring.gpg"
		printf '%s\n' "$@"
		printf '[Output]\nFormat=directory\nOutput=%s\n[Packages]\nPackages=t-hello\n' "$out"
	} >"$f"
}
version_of() {	# version_of ROOT PACKAGE
	chroot "$1" dpkg-query -W -f '${Version}' "$2"
}
check_updated() {	# check_updated ROOT MIRROR SECURITY-MIRROR
	all_installed "$1" &&
	[ "$(version_of "$1" t-lib)" = 1.1 ] && [ "$(version_of "$1" t-esslib)" = 1.1 ] &&
	[ "$(version_of "$1" t-ess)" = 1.0 ] &&
	[ -e "$1/var/lib/mkimg-test/t-esslib" ] &&
	printf 'deb file://%s bookworm main contrib\ndeb file://%s bookworm-updates main contrib\ndeb file://%s bookworm-security main contrib\n' \
		"$2" "$2" "$3" | diff -u - "$1/etc/apt/sources.list"
}
make_updates || { echo "Bail out! cannot build the updates repositories"; exit 1; }
upd_recipe "$T/upd.recipe" "$OUT/upd" "$UPD" "$SEC"
ok "Updates= (default): build with -updates and -security" \
	"$MKIMG" --cache-dir "$CACHE" "$T/upd.recipe"
ok "the -updates and -security versions win, apt sources list all three suites" \
	check_updated "$OUT/upd" "$UPD" "$SEC"
upd_recipe "$T/noupd.recipe" "$OUT/noupd" "$UPD" "$SEC" Updates=no
ok "Updates=no: build from the release suite" "$MKIMG" --cache-dir "$CACHE" "$T/noupd.recipe"
ok "Updates=no: release versions only, one apt source" eval \
	'[ "$(version_of "$OUT/noupd" t-lib)" = 1.0 ] &&
	 [ "$(version_of "$OUT/noupd" t-esslib)" = 1.0 ] &&
	 [ "$(grep -c ^deb "$OUT/noupd/etc/apt/sources.list")" = 1 ]'

upd_recipe "$T/ul.recipe" "$OUT/ul" "$UPD" "$SEC"
ok "mkimg lock with Updates=" "$MKIMG" --cache-dir "$CACHE" lock "$T/ul.recipe"
ok "the lock has one source line per suite" eval \
	'[ "$(grep -c "^source " "$T/ul.recipe.lock")" = 3 ] &&
	 grep -Eq "^source file://$UPD bookworm main,contrib [0-9a-f]{64}$" "$T/ul.recipe.lock" &&
	 grep -Eq "^source file://$UPD bookworm-updates main,contrib [0-9a-f]{64}$" "$T/ul.recipe.lock" &&
	 grep -Eq "^source file://$SEC bookworm-security main,contrib [0-9a-f]{64}$" "$T/ul.recipe.lock" &&
	 grep -q " file://$SEC/pool/main/t-esslib_1.1_all.deb$" "$T/ul.recipe.lock" &&
	 grep -q " file://$UPD/pool/main/t-lib_1.1_all.deb$" "$T/ul.recipe.lock"'
# The mirrors move (and the updates suite moves on): the locked build fetches each package
# from the new mirror of its suite and installs the locked versions.
aptrepo_deb "$UPD" t-lib 1.2 Pre-Depends=t-pre >/dev/null &&
	aptrepo_publish "$UPD" "$T/key" --suite=bookworm-updates &&
	mv "$UPD" "$T/upd2" && mv "$SEC" "$T/sec2" &&
	upd_recipe "$T/ul.recipe" "$OUT/ul" "$T/upd2" "$T/sec2"
ok "--locked with Updates= from moved mirrors" \
	"$MKIMG" --cache-dir "$T/cache-ul" --locked "$T/ul.recipe"
ok "the locked build has the locked versions and the current mirrors" \
	check_updated "$OUT/ul" "$T/upd2" "$T/sec2"
sed -i 's/^Updates=no$//' "$T/lk.recipe"
sed -i 's/^Packages=t-extra$//' "$T/lk.recipe"
fails "a lock made with Updates=no is refused for Updates=yes (exit 2)" 2 \
	"run \"mkimg lock\" again" "$MKIMG" --cache-dir "$CACHE" --locked -o "$OUT/lk3" \
	"$T/lk.recipe"
upd_recipe "$T/noup.recipe" "$OUT/noup" "$REPO" "$T/sec2"
fails "a missing -updates suite is named, with the way out (exit 2)" 2 \
	"suite 'bookworm-updates' is not usable at 'file://$REPO': set Updates=no" \
	"$MKIMG" --cache-dir "$CACHE" "$T/noup.recipe"
ok "and leaves no output" test ! -e "$OUT/noup"

# Offline: a warm cache is enough, a cold one is reported.
recipe "$T/off.recipe" directory "$OUT/off" Packages=t-hello
ok "--offline with a warm cache" "$MKIMG" --cache-dir "$CACHE" --offline "$T/off.recipe"
fails "--offline with a cold cache says what is missing" 1 "offline|not in the cache" \
	"$MKIMG" --cache-dir "$T/cold" --offline -o "$OUT/off2" "$T/off.recipe"

# A .deb that does not match the signed index is rejected (fresh cache: no cached copy).
aptrepo_tamper_deb "$REPO/pool/main/t-lib_1.0_all.deb"
recipe "$T/tamper.recipe" directory "$OUT/tamper" Packages=t-hello
fails "a tampered .deb is rejected" 1 "t-lib_1.0_all.deb' does not match the SHA256" \
	"$MKIMG" --cache-dir "$T/cache2" "$T/tamper.recipe"
ok "and leaves no output" test ! -e "$OUT/tamper"

# Unpacking follows the tree's own symlinks but never leaves the tree: the base tree has a
# symlink to a host path, an essential package (unpacked by mkimg) writes through it.
EVIL=$T/evilrepo
mkdir -p "$T/evil-tree" "$T/hostside"
ln -s "$T/hostside" "$T/evil-tree/evil"
{ hostdebs_build "$EVIL/pool/main" &&
	aptrepo_deb "$EVIL" t-through 1.0 Essential=yes --file=/evil/pwned=gotcha &&
	aptrepo_publish "$EVIL" "$T/key" --suite=bookworm; } >/dev/null
sed "s|file://$REPO|file://$EVIL|; s|^Output=.*|Output=$OUT/evil|; s|^Repositories=.*|Repositories=main|" \
	"$T/good.recipe" | grep -v '^Packages=' >"$T/evil.recipe"
printf '[Content]\nBaseTrees=%s\n' "$T/evil-tree" >>"$T/evil.recipe"
ok "a symlink to a host path is followed inside the tree" "$MKIMG" --cache-dir "$CACHE" \
	"$T/evil.recipe"
ok "nothing was written outside the tree" test ! -e "$T/hostside/pwned" -a \
	-e "$OUT/evil$T/hostside/pwned"

chmod a+x "$T" && chmod a+r "$T/good.recipe"
fails "not root: exit 3 before anything happens" 3 "needs root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MKIMG" --cache-dir "$T/nobody" \
	-o /tmp/never "$T/good.recipe"

done_testing
