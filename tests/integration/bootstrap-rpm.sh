#!/bin/bash
# CentOS-family bootstrap against a hermetic, signed rpm-md fixture (tests/lib-rpmrepo.sh):
# repacked host packages give the target a working rpm, so the registration step runs for real.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/lib-rpmrepo.sh"
. "$top_srcdir/tests/lib-aptrepo.sh"	# aptrepo_serve, aptrepo_closed_port

need_root
need_cmd chroot gpg gpgv
rpmrepo_build || { echo "Bail out! cannot build the rpm fixture"; exit 1; }

CACHE=$T/cache
OUT=$T/out
mkdir -p "$OUT"

recipe() {	# recipe FILE MIRROR FORMAT OUTPUT [lines for [Packages]...]
	local f=$1 m=$2 fmt=$3 out=$4
	shift 4
	{
		printf '[Distribution]\nDistribution=centos\nRelease=stream9\n'
		printf 'Mirror=file://%s\nRepositoryKey=%s\n' "$m" "$RPMREPO/key.asc"
		printf '[Output]\nFormat=%s\nOutput=%s\n[Packages]\n' "$fmt" "$out"
		printf '%s\n' "$@"
	} >"$f"
}

variant() {	# variant NAME: a private copy of the fixture mirror
	rm -rf "$T/$1"
	cp -r "$RPMREPO/mirror" "$T/$1"
	echo "$T/$1"
}

PKGS="Packages=marker needs-file uses-old newpkg @fixture-tools"

# ---- a good build --------------------------------------------------------------------------
recipe "$T/good.recipe" "$RPMREPO/mirror" directory "$OUT/good" "$PKGS"
ok "build from signed rpm-md repositories" "$MKIMG" --cache-dir "$CACHE" "$T/good.recipe"
expected() {	# what libsolv must have picked, sorted
	printf '%s\n' marker needs-file data-pkg uses-old newpkg weak filesystem dash rpm \
		fixture-rpm-config
}
ok "rpm -qa inside lists the resolved set (file provides, rich deps, obsoletes, group)" bash -c "
	q=\$(chroot '$OUT/good' rpm -qa --qf '%{NAME}\n' | sort)
	m=\$(jq -r '.packages[].name' '$OUT/good.manifest.json' 2>/dev/null | sort)
	for p in \$(printf '%s\n' $(expected | tr '\n' ' ')); do
		grep -qx \"\$p\" <<<\"\$q\" || { echo \"\$p not installed\"; exit 1; }
	done
	grep -qx oldpkg <<<\"\$q\" && { echo 'oldpkg installed despite newpkg obsoleting it'; exit 1; }
	grep -qx recommended <<<\"\$q\" && { echo 'weak dependency installed'; exit 1; }
	[ -z \"\$m\" ] || [ \"\$q\" = \"\$m\" ] || { echo 'manifest and rpm -qa differ'; exit 1; }
	[ \$(wc -l <<<\"\$q\") -gt 30 ]"
ok "the rpm database is the target's (sqlite in /var/lib/rpm), no lock files left" bash -c "
	test -s '$OUT/good/var/lib/rpm/rpmdb.sqlite' && ! ls '$OUT/good/var/lib/rpm/' | grep -q lock"
ok "rpm -Va inside reports no missing files" bash -c "
	! chroot '$OUT/good' rpm -Va 2>&1 | grep -E 'missing|^error'"
ok "the %post scriptlet ran inside the tree" grep -q "post ran for 1" "$OUT/good/var/lib/marker/post"
ok "yum.repos.d names the repositories with the key installed" bash -c "
	grep -q '^\[AppStream\]' '$OUT/good/etc/yum.repos.d/mkimg.repo' &&
	grep -q '^gpgkey=file:///etc/pki/rpm-gpg/key.asc' '$OUT/good/etc/yum.repos.d/mkimg.repo' &&
	cmp '$RPMREPO/key.asc' '$OUT/good/etc/pki/rpm-gpg/key.asc'"
ok "no package files left in the tree" test ! -e "$OUT/good/var/cache/mkimg-rpms"

recipe "$T/rec.recipe" "$RPMREPO/mirror" directory "$OUT/rec" "Packages=weak" "WithRecommends=yes"
ok "WithRecommends=yes installs weak dependencies" bash -c "
	'$MKIMG' --cache-dir '$CACHE' '$T/rec.recipe' &&
	chroot '$OUT/rec' rpm -q recommended"

recipe "$T/mod.recipe" "$RPMREPO/mirror" directory "$OUT/mod" "Packages=modtool"
ok "modular filtering: the default stream's package, not the higher non-default one" bash -c "
	'$MKIMG' --cache-dir '$CACHE' '$T/mod.recipe' &&
	test \"\$(chroot '$OUT/mod' rpm -q --qf '%{VERSION}' modtool)\" = 1.0"

# ---- recipe and resolution errors ----------------------------------------------------------
recipe "$T/missing.recipe" "$RPMREPO/mirror" directory "$OUT/missing" "Packages=no-such-pkg"
fails "a missing package is named (exit 2)" 2 "package 'no-such-pkg' not found" \
	"$MKIMG" --cache-dir "$CACHE" "$T/missing.recipe"
recipe "$T/broken.recipe" "$RPMREPO/mirror" directory "$OUT/broken" "Packages=broken"
fails "an unsatisfiable dependency is explained (exit 1)" 1 "nothing provides does-not-exist" \
	"$MKIMG" --cache-dir "$CACHE" "$T/broken.recipe"
ok "failed builds leave no output" test ! -e "$OUT/missing" -a ! -e "$OUT/broken"

# ---- version pins: pinme is 1.0-1, 2.0-1 and 2.0-2 ------------------------------------------
recipe "$T/pin.recipe" "$RPMREPO/mirror" directory "$OUT/pin" "Packages=pinme=1.0"
ok "Packages=pinme=1.0 installs 1.0 while 2.0 exists" bash -c "
	'$MKIMG' --cache-dir '$CACHE' '$T/pin.recipe' &&
	test \"\$(chroot '$OUT/pin' rpm -q --qf '%{VERSION}-%{RELEASE}' pinme)\" = 1.0-1"
pin_lock() {	# pin_lock ENTRY: the version-release of pinme that mkimg lock picks
	recipe "$T/pinl.recipe" "$RPMREPO/mirror" directory "$OUT/pinl"
	"$MKIMG" --cache-dir "$CACHE" -p "$1" lock "$T/pinl.recipe" >/dev/null 2>&1 &&
		awk '$1 == "package" && $2 == "pinme" { print $3 }' "$T/pinl.recipe.lock"
}
ok "pinme<2 (-p) resolves to 1.0-1" test "$(pin_lock 'pinme<2')" = 1.0-1
ok "pinme=2.0: no release matches every release, the highest wins" \
	test "$(pin_lock pinme=2.0)" = 2.0-2
ok "pinme=2.0-1: exactly that release" test "$(pin_lock pinme=2.0-1)" = 2.0-1
recipe "$T/pinmiss.recipe" "$RPMREPO/mirror" directory "$OUT/pinmiss" "Packages=pinme=3.0"
fails "a pin no version satisfies is a recipe error naming the versions (exit 2)" 2 \
	"package 'pinme' has no version matching '=3.0' \(available: 1.0-1, 2.0-1, 2.0-2\)" \
	"$MKIMG" --cache-dir "$CACHE" "$T/pinmiss.recipe"
ok "no output after a failed pin" test ! -e "$OUT/pinmiss"

# ---- verification --------------------------------------------------------------------------
M=$(variant badsig)
RPMREPO=$RPMREPO rpmrepo_sign_repomd "$M/BaseOS/x86_64/os" wrong >/dev/null 2>&1
recipe "$T/badsig.recipe" "$M" directory "$OUT/badsig" "$PKGS"
fails "repomd.xml signed by another key is refused" 1 \
	"repomd.xml of repository 'BaseOS' .* has no valid signature" \
	"$MKIMG" --cache-dir "$T/c1" "$T/badsig.recipe"

M=$(variant tprimary)
p=$(ls "$M"/BaseOS/x86_64/os/repodata/*primary.xml*)
printf 'x' >>"$p"
recipe "$T/tprimary.recipe" "$M" directory "$OUT/tprimary" "$PKGS"
fails "a tampered primary.xml is refused" 1 "primary of repository 'BaseOS' does not match" \
	"$MKIMG" --cache-dir "$T/c2" "$T/tprimary.recipe"

M=$(variant trpm)
printf 'x' >>"$M/BaseOS/x86_64/os/Packages/marker-1.0-1.noarch.rpm"
recipe "$T/trpm.recipe" "$M" directory "$OUT/trpm" "$PKGS"
fails "a tampered package is refused" 1 "marker-1.0-1.noarch.rpm' does not match" \
	"$MKIMG" --cache-dir "$T/c3" "$T/trpm.recipe"

M=$(variant evil)
cp "$RPMREPO/evil.rpm" "$M/AppStream/x86_64/os/"
createrepo_c -q --update "$M/AppStream/x86_64/os" >/dev/null 2>&1
RPMREPO=$RPMREPO rpmrepo_sign_repomd "$M/AppStream/x86_64/os" fixture >/dev/null 2>&1
recipe "$T/evil.recipe" "$M" directory "$OUT/evil" "Packages=evil"
fails "a package signed by another key is refused" 1 \
	"package 'evil-1.0-1.noarch' has no valid signature" \
	"$MKIMG" --cache-dir "$T/c4" "$T/evil.recipe"
ok "no output after verification failures" bash -c "! ls '$OUT' | grep -Eq 'badsig|tprimary|trpm|evil'"

# ---- Metalink= and MirrorList= (local servers only) ----------------------------------------
need_cmd python3
mkdir -p "$T/web/ml" "$T/web/list"
ln -s "$RPMREPO/mirror" "$T/web/good"
aptrepo_serve "$T/web" || { echo "Bail out! cannot start the HTTP server"; exit 1; }
WEB=$APTREPO_URL
DEAD=http://127.0.0.1:$(aptrepo_closed_port)/centos
OTHER=$(variant other)	# serves another repomd.xml
for d in "$OTHER"/*/x86_64/os/repodata; do echo '<!-- another snapshot -->' >>"$d/repomd.xml"; done

mirror_recipe() {	# mirror_recipe FILE OUTPUT [Distribution lines...]
	local f=$1 out=$2
	shift 2
	{
		printf '[Distribution]\nDistribution=centos\nRelease=stream9\nRepositoryKey=%s\n' \
			"$RPMREPO/key.asc"
		printf '%s\n' "$@"
		printf '[Output]\nFormat=directory\nOutput=%s\n[Packages]\n%s\n' "$out" "$PKGS"
	} >"$f"
}

metalink() {	# metalink NAME BASE... : $T/web/ml/NAME/{baseos,appstream}.xml, good digests
	local name=$1 id dir xml
	shift
	for id in BaseOS AppStream; do
		xml=$RPMREPO/mirror/$id/x86_64/os/repodata/repomd.xml
		mkdir -p "$T/web/ml/$name"
		{
			printf '<?xml version="1.0" encoding="utf-8"?>\n<metalink version="3.0" '
			printf 'xmlns="http://www.metalinker.org/" '
			printf 'xmlns:mm0="http://fedorahosted.org/mirrormanager">\n <files>\n'
			printf '  <file name="repomd.xml">\n   <size>%s</size>\n' "$(stat -c %s "$xml")"
			printf '   <verification>\n    <hash type="sha256">%s</hash>\n' \
				"$(sha256sum "$xml" | cut -d' ' -f1)"
			printf '   </verification>\n   <resources maxconnections="1">\n'
			for b; do
				printf '    <url protocol="%s" preference="100">%s/%s/x86_64/os/repodata/repomd.xml</url>\n' \
					"${b%%:*}" "$b" "$id"
			done
			printf '   </resources>\n  </file>\n </files>\n</metalink>\n'
		} >"$T/web/ml/$name/${id,,}.xml"
	done
}

metalink three "$DEAD" "file://$OTHER" "$WEB/good"
mirror_recipe "$T/ml.recipe" "$OUT/ml" "Metalink=$WEB/ml/three/\$repo.xml"
ok "Metalink=: the first mirror whose repomd.xml matches is used" bash -c "
	'$MKIMG' --cache-dir '$T/cml' '$T/ml.recipe' >'$T/ml.log' 2>&1 &&
	chroot '$OUT/ml' rpm -q marker newpkg"
ok "the log names the dead and the mismatching mirror" bash -c "
	grep -q \"mirror '$DEAD/BaseOS/x86_64/os' of repository 'BaseOS' skipped: cannot fetch\" '$T/ml.log' &&
	grep -q \"mirror 'file://$OTHER/AppStream/x86_64/os' of repository 'AppStream' skipped: serves another repomd.xml\" '$T/ml.log' &&
	grep -q \"repository 'AppStream': mirror '$WEB/good/AppStream/x86_64/os'\" '$T/ml.log'"
ok "the image's repo file names the metalink, \$repo expanded" \
	grep -qx "metalink=$WEB/ml/three/appstream.xml" "$OUT/ml/etc/yum.repos.d/mkimg.repo"

ok "mkimg lock with Metalink= records absolute URLs of the mirror used" bash -c "
	'$MKIMG' --cache-dir '$T/cml' lock '$T/ml.recipe' &&
	grep -q '^package marker .* BaseOS/x86_64/os/Packages/marker-1.0-1.noarch.rpm $WEB/good/BaseOS/x86_64/os/Packages/marker-1.0-1.noarch.rpm$' '$T/ml.recipe.lock'"
mv "$T/web/ml/three" "$T/web/ml/gone"
ok "--locked with Metalink= needs no metalink (the lock's URLs)" bash -c "
	'$MKIMG' --cache-dir '$T/cml2' --locked -o '$OUT/ml-locked' '$T/ml.recipe' &&
	chroot '$OUT/ml-locked' rpm -q marker"
mv "$T/web/ml/gone" "$T/web/ml/three"

metalink bad "file://$OTHER"
mirror_recipe "$T/mlbad.recipe" "$OUT/mlbad" "Metalink=$WEB/ml/bad/\$repo.xml"
fails "a metalink whose only mirror serves another repomd.xml fails (exit 1)" 1 \
	"no mirror of metalink '$WEB/ml/bad/baseos.xml' serves repomd.xml of repository 'BaseOS' \(file://$OTHER/BaseOS/x86_64/os: serves another repomd.xml" \
	"$MKIMG" --cache-dir "$T/cmlbad" "$T/mlbad.recipe"
ok "and leaves no output" test ! -e "$OUT/mlbad"
mirror_recipe "$T/mldead.recipe" "$OUT/mldead" "Metalink=$DEAD/metalink?repo=\$repo"
fails "an unreachable metalink is named (exit 1)" 1 "cannot fetch metalink '$DEAD/metalink\?repo=baseos' of repository 'BaseOS'" \
	"$MKIMG" --cache-dir "$T/cmlbad" lock "$T/mldead.recipe"
mirror_recipe "$T/mlwins.recipe" "$OUT/mlwins" "Mirror=$WEB/good" "Metalink=$DEAD/metalink"
ok "Mirror= wins over Metalink=" "$MKIMG" --cache-dir "$T/cmlbad" lock "$T/mlwins.recipe"

for id in BaseOS AppStream; do
	printf '# mirrors for %s\n\n%s/%s/x86_64/os/\n%s/good/%s/x86_64/os/\n' \
		"$id" "$DEAD" "$id" "$WEB" "$id" >"$T/web/list/${id,,}"
done
mirror_recipe "$T/mlist.recipe" "$OUT/mlist" "MirrorList=$WEB/list/\$repo"
ok "MirrorList=: a dead first mirror, then the good one" bash -c "
	'$MKIMG' --cache-dir '$T/cmlist' '$T/mlist.recipe' >'$T/mlist.log' 2>&1 &&
	chroot '$OUT/mlist' rpm -q marker &&
	grep -q \"mirror '$DEAD/BaseOS/x86_64/os' of repository 'BaseOS' skipped\" '$T/mlist.log' &&
	grep -qx 'mirrorlist=$WEB/list/baseos' '$OUT/mlist/etc/yum.repos.d/mkimg.repo'"
printf '# nothing\n' >"$T/web/list/empty"
mirror_recipe "$T/mlempty.recipe" "$OUT/mlempty" "MirrorList=$WEB/list/empty"
fails "a mirror list without mirrors is named (exit 1)" 1 \
	"mirror list '$WEB/list/empty' of repository 'BaseOS' lists no http, https or file mirror" \
	"$MKIMG" --cache-dir "$T/cmlist" lock "$T/mlempty.recipe"

mirror_recipe "$T/both.recipe" "$OUT/both" "Metalink=$WEB/ml" "MirrorList=$WEB/list"
fails "Metalink= and MirrorList= together: recipe error (exit 2)" 2 \
	"both.recipe:6: Metalink= and MirrorList= are both set" "$MKIMG" summary "$T/both.recipe"
mirror_recipe "$T/scheme.recipe" "$OUT/scheme" "Metalink=ftp://m/metalink"
fails "Metalink= with another scheme: recipe error (exit 2)" 2 \
	"scheme.recipe:5: invalid URL 'ftp://m/metalink' for Metalink=" \
	"$MKIMG" summary "$T/scheme.recipe"
printf '[Distribution]\nDistribution=debian\nRelease=12\nMetalink=%s\n' "$WEB/ml" >"$T/deb.recipe"
fails "Metalink= on debian: recipe error (exit 2)" 2 \
	"deb.recipe:4: Metalink= is only for rpm-md repositories" "$MKIMG" summary "$T/deb.recipe"
ok "mkimg summary shows Metalink=" bash -c "
	'$MKIMG' summary '$T/ml.recipe' | grep -qx 'Metalink=$WEB/ml/three/\$repo.xml'"

# ---- lock, locked, byte-identical rebuild --------------------------------------------------
recipe "$T/lk.recipe" "$RPMREPO/mirror" tar "$OUT/lk1.tar" "$PKGS"
ok "mkimg lock writes RECIPE.lock" "$MKIMG" --cache-dir "$CACHE" lock "$T/lk.recipe"
ok "the lock lists the packages with sha256 and the repomd digest" bash -c "
	grep -Eq '^package marker 1.0-1 noarch [0-9]+ [0-9a-f]{64} - BaseOS/x86_64/os/Packages/marker-1.0-1.noarch.rpm ' '$T/lk.recipe.lock' &&
	grep -Eq '^source file://.* stream9 BaseOS,AppStream [0-9a-f]{64}$' '$T/lk.recipe.lock'"
export SOURCE_DATE_EPOCH=1700000000
SEED=4c7a3b9e-0d1f-4a51-9a43-3c2b9f1e7d10
ok "--locked builds the lock's set" "$MKIMG" --cache-dir "$CACHE" --locked --seed $SEED \
	"$T/lk.recipe"
ok "and again, from the lock" "$MKIMG" --cache-dir "$CACHE" --locked --seed $SEED \
	-o "$OUT/lk2.tar" "$T/lk.recipe"
ok "the two builds are byte-identical" cmp "$OUT/lk1.tar" "$OUT/lk2.tar"
sed -i 's/^Packages=.*/Packages=marker/' "$T/lk.recipe"
fails "a lock that does not match the recipe is refused (exit 2)" 2 "run \"mkimg lock\" again" \
	"$MKIMG" --cache-dir "$CACHE" --locked -o "$OUT/lk3.tar" "$T/lk.recipe"

done_testing
