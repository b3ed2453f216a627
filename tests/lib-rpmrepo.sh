# Hermetic rpm-md fixture for the rpm bootstrap tests (source after tests/lib.sh).
#
# The host's own installed Debian packages (libc6, bash, dash, coreutils, rpm and its libraries,
# their dependency closure minus build-only parts) are repacked as RPMs whose Requires come from
# their Depends, so the target gets a WORKING rpm and mkimg's registration step runs for real;
# plus hand-made packages for scriptlets, file provides (filelists), rich deps, obsoletes, weak
# deps, an unsatisfiable one, a comps group, a module with a default and a non-default
# stream (modules.yaml), and "pinme" in three builds (1.0-1, 2.0-1, 2.0-2) for version pins.  Two repositories in the CentOS Stream layout
# (MIRROR/BaseOS/x86_64/os, MIRROR/AppStream/x86_64/os), every package and repomd.xml signed
# with a throwaway key; a package signed with a second key is kept aside for the bad-signature
# test.  Needs rpmbuild, rpmsign, createrepo_c, gpg (test-time only).
#
#   rpmrepo_build      sets RPMREPO (the fixture dir, cached under $RPMREPO_CACHE keyed by
#                      this script and the host's package versions) with:
#                        mirror/          the two repositories
#                        key.asc          the repository key     wrongkey.asc  another key
#                        gnupg/           the keys' secret halves (for re-signing in tests)
#                        evil.rpm         "evil", signed with the wrong key

RPMREPO_CACHE=${RPMREPO_CACHE:-/var/cache/mkimg-test/rpm-fixture}
RPMREPO_ROOTS="bash dash coreutils rpm libc6"
RPMREPO_SKIP=" perl perl-base rpm2cpio debugedit librpmbuild9 librpmsign9 dpkg libdbus-1-3 libaudit1 "

_rpmrepo_deps() {
	dpkg-query -W -f '${Pre-Depends}, ${Depends}\n' "$1" 2>/dev/null | tr ',' '\n' |
		sed 's/|.*//; s/(.*//; s/:any//; s/[[:space:]]//g' | grep -v '^$' | sort -u |
		while read -r d; do
			case $RPMREPO_SKIP in *" $d "*) continue ;; esac
			dpkg-query -W -f '${Status}' "$d" 2>/dev/null | grep -q " ok installed" && echo "$d"
		done
}

_rpmrepo_closure() {
	local todo="$*" seen=" " p
	while [ -n "$todo" ]; do
		# shellcheck disable=SC2086
		set -- $todo
		p=$1; shift; todo="$*"
		case $seen in *" $p "*) continue ;; esac
		seen="$seen$p "
		todo="$todo $(_rpmrepo_deps "$p" | tr '\n' ' ')"
	done
	echo "$seen" | tr ' ' '\n' | grep -v '^$' | sort
}

_rpmrepo_list() {	# the files of an installed package
	local f
	for f in "/var/lib/dpkg/info/$1.list" "/var/lib/dpkg/info/$1:$(dpkg --print-architecture).list"; do
		[ -e "$f" ] && { cat "$f"; return 0; }
	done
	return 1
}

_rpmrepo_spec_head() {	# NAME ARCH REQUIRES...
	local n=$1 a=$2 d
	shift 2
	cat <<SPEC
%define __os_install_post %{nil}
%define debug_package %{nil}
%define _build_id_links none
%define __spec_install_post %{nil}
Name: $n
Version: 1.0
Release: 1
Summary: $n (fixture)
License: fixture
BuildArch: $a
AutoReqProv: no
SPEC
	for d in "$@"; do echo "Requires: $d"; done
}

_rpmrepo_repack() {	# PKG SRCDIR SPECDIR
	local p=$1 src=$2/$1 spec=$3/$1.spec f arch deps
	mkdir -p "$src"
	arch=$(dpkg-query -W -f '${Architecture}' "$p")
	[ "$arch" = all ] && arch=noarch || arch=x86_64
	deps=$(_rpmrepo_deps "$p" | tr '\n' ' ')
	[ "$p" = rpm ] && deps="$deps fixture-rpm-config"
	[ "$p" = libc6 ] && deps="$deps filesystem"
	# shellcheck disable=SC2086
	_rpmrepo_spec_head "$p" "$arch" $deps >"$spec"
	# As CentOS's bash does: /bin/sh is a declared provide (the file is /usr/bin/sh).
	[ "$p" = dash ] && echo "Provides: /bin/sh" >>"$spec"
	printf '%%description\nrepacked\n%%install\ncp -a %s/. %%{buildroot}/\n%%files\n' "$src" >>"$spec"
	# The host is merged-/usr: files go where they really are, "filesystem" has the links.
	_rpmrepo_list "$p" | while IFS= read -r f; do
		[ "$f" = "/." ] && continue
		[ -d "$f" ] && [ ! -L "$f" ] && continue
		[ -e "$f" ] || [ -L "$f" ] || continue
		f="$(realpath "$(dirname "$f")")/$(basename "$f")"
		[ -e "$src$f" ] || [ -L "$src$f" ] && continue
		cp -a --parents "$f" "$src/"
		printf '%s\n' "$f" | sed 's/[][]/?/g' >>"$spec"
	done
}

_rpmrepo_handmade() {	# SPECDIR: the packages that exercise the resolver and scriptlets
	local d=$1
	_rpmrepo_spec_head fixture-rpm-config noarch >"$d/fixture-rpm-config.spec"
	cat >>"$d/fixture-rpm-config.spec" <<'SPEC'
%description
rpm's database where CentOS keeps it, no plugins
%install
mkdir -p %{buildroot}/etc/rpm
printf '%%s\n' '%%_dbpath /var/lib/rpm' '%%__transaction_systemd_inhibit %%{nil}' \
  '%%__transaction_dbus_announce %%{nil}' '%%__transaction_audit %%{nil}' \
  '%%__transaction_selinux %%{nil}' '%%__transaction_syslog %%{nil}' \
  '%%__transaction_ima %%{nil}' '%%__transaction_fsverity %%{nil}' \
  '%%__transaction_prioreset %%{nil}' > %{buildroot}/etc/rpm/macros
%files
/etc/rpm/macros
SPEC
	_rpmrepo_spec_head filesystem noarch >"$d/filesystem.spec"
	cat >>"$d/filesystem.spec" <<'SPEC'
%description
the merged-/usr links, as CentOS has them
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/sbin %{buildroot}/usr/lib %{buildroot}/usr/lib64 %{buildroot}/root %{buildroot}/tmp %{buildroot}/var/lib
for d in bin sbin lib lib64; do ln -s usr/$d %{buildroot}/$d; done
%files
%dir /usr/bin
%dir /usr/sbin
%dir /usr/lib
%dir /usr/lib64
%dir /root
%dir /tmp
/bin
/sbin
/lib
/lib64
SPEC
	_rpmrepo_spec_head marker noarch >"$d/marker.spec"
	cat >>"$d/marker.spec" <<'SPEC'
Requires(post): coreutils
%description
its scriptlet leaves a marker
%post
mkdir -p /var/lib/marker && echo "post ran for $1" > /var/lib/marker/post
%files
SPEC
	_rpmrepo_spec_head data-pkg noarch >"$d/data-pkg.spec"
	cat >>"$d/data-pkg.spec" <<'SPEC'
%description
a file only filelists.xml knows
%install
mkdir -p %{buildroot}/opt/fixture && echo data > %{buildroot}/opt/fixture/data.txt
%files
/opt/fixture/data.txt
SPEC
	_rpmrepo_spec_head needs-file noarch /opt/fixture/data.txt '(marker or nonexistent-alt)' \
		'(dash if bash)' >"$d/needs-file.spec"
	printf '%%description\nfile and rich deps\n%%files\n' >>"$d/needs-file.spec"
	_rpmrepo_spec_head oldpkg noarch >"$d/oldpkg.spec"
	printf '%%description\nobsoleted\n%%files\n' >>"$d/oldpkg.spec"
	_rpmrepo_spec_head newpkg noarch >"$d/newpkg.spec"
	printf 'Obsoletes: oldpkg < 2\nProvides: oldpkg = 2\n%%description\nnew\n%%files\n' >>"$d/newpkg.spec"
	_rpmrepo_spec_head uses-old noarch oldpkg >"$d/uses-old.spec"
	printf '%%description\nneeds oldpkg\n%%files\n' >>"$d/uses-old.spec"
	_rpmrepo_spec_head weak noarch >"$d/weak.spec"
	printf 'Recommends: recommended\n%%description\nweak dep\n%%files\n' >>"$d/weak.spec"
	_rpmrepo_spec_head recommended noarch >"$d/recommended.spec"
	printf '%%description\nonly with WithRecommends=yes\n%%files\n' >>"$d/recommended.spec"
	_rpmrepo_spec_head broken noarch does-not-exist >"$d/broken.spec"
	printf '%%description\nunsatisfiable\n%%files\n' >>"$d/broken.spec"
	_rpmrepo_spec_head evil noarch >"$d/evil.spec"
	printf '%%description\nsigned by the wrong key\n%%files\n' >>"$d/evil.spec"
}

_rpmrepo_modtool() {	# SPECDIR VERSION RELEASE: one build of the modular package
	sed 's/^Version: .*/Version: '"$2"'/; s/^Release: .*/Release: '"$3"'/' >"$1/modtool-$2.spec" <<SPEC
$(_rpmrepo_spec_head modtool noarch)
%description
modular, stream $2
%files
SPEC
}

_rpmrepo_pinme() {	# SPECDIR VERSION RELEASE: one build of the package the version pins choose from
	sed 's/^Version: .*/Version: '"$2"'/; s/^Release: .*/Release: '"$3"'/' >"$1/pinme-$2-$3.spec" <<SPEC
$(_rpmrepo_spec_head pinme noarch)
%description
version $2, release $3
%files
SPEC
}

# Two streams of module "modtool"; the default is 1, so 2.0 (higher) must never be chosen.
_rpmrepo_modules() {
	local s
	for s in 1 2; do
		cat <<YAML
---
document: modulemd
version: 2
data:
  name: modtool
  stream: "$s"
  version: 90000$s
  context: fixture
  arch: noarch
  summary: modtool $s
  description: >-
    fixture module
  license:
    module:
    - MIT
  artifacts:
    rpms:
    - modtool-0:$s.0-1.module_el9+$s.noarch
...
YAML
	done
	cat <<'YAML'
---
document: modulemd-defaults
version: 1
data:
  module: modtool
  stream: "1"
  profiles:
    1: [common]
...
YAML
}

_rpmrepo_comps() {
	cat <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//Red Hat, Inc.//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>fixture-tools</id>
    <name>Fixture tools</name>
    <default>true</default>
    <uservisible>true</uservisible>
    <packagelist>
      <packagereq type="mandatory">weak</packagereq>
    </packagelist>
  </group>
</comps>
XML
}

_rpmrepo_key() {	# GNUPGHOME NAME OUT.asc
	gpg --homedir "$1" --batch --passphrase '' --quick-gen-key "$2 <$2@fixture.invalid>" \
		rsa2048 sign never >/dev/null 2>&1 &&
		gpg --homedir "$1" --armor --export "$2@fixture.invalid" >"$3"
}

_rpmrepo_sign() {	# GNUPGHOME NAME FILES...
	local h=$1 n=$2
	shift 2
	rpmsign --define "__gpg $(command -v gpg)" --define "_gpg_path $h" --define "_gpg_name $n@fixture.invalid" \
		--define '_gpg_sign_cmd_extra_args --batch --pinentry-mode loopback --passphrase ""' \
		--addsign "$@" >/dev/null 2>&1
}

# gpg leaves an agent running for its home directory: stop it once the signing is done.
_rpmrepo_agent_off() {	# GNUPGHOME
	gpgconf --homedir "$1" --kill gpg-agent >/dev/null 2>&1 || true
}

# Sign DIR/repodata/repomd.xml with the named key.
rpmrepo_sign_repomd() {	# DIR KEYNAME
	local rc=0
	rm -f "$1/repodata/repomd.xml.asc"
	gpg --homedir "$RPMREPO/gnupg" --batch --armor --local-user "$2@fixture.invalid" \
		--detach-sign -o "$1/repodata/repomd.xml.asc" "$1/repodata/repomd.xml" || rc=$?
	_rpmrepo_agent_off "$RPMREPO/gnupg"
	return $rc
}

_rpmrepo_generate() {	# OUT
	local out=$1 w p specs
	w=$(mktemp -d "$out.work.XXXXXX")
	mkdir -p "$w/src" "$w/specs" "$w/rpms" "$out/gnupg" "$out/mirror/BaseOS/x86_64/os" \
		"$out/mirror/AppStream/x86_64/os"
	chmod 700 "$out/gnupg"
	_rpmrepo_key "$out/gnupg" fixture "$out/key.asc" || return 1
	_rpmrepo_key "$out/gnupg" wrong "$out/wrongkey.asc" || return 1
	for p in $(_rpmrepo_closure $RPMREPO_ROOTS); do
		_rpmrepo_repack "$p" "$w/src" "$w/specs" || return 1
	done
	_rpmrepo_handmade "$w/specs"
	_rpmrepo_modtool "$w/specs" 1.0 1.module_el9+1
	_rpmrepo_modtool "$w/specs" 2.0 1.module_el9+2
	_rpmrepo_pinme "$w/specs" 1.0 1
	_rpmrepo_pinme "$w/specs" 2.0 1
	_rpmrepo_pinme "$w/specs" 2.0 2
	for specs in "$w"/specs/*.spec; do
		rpmbuild --quiet -bb --define "_topdir $w/top" --define "_rpmdir $w/rpms" \
			--define '_binary_payload w19.zstdio' "$specs" >>"$w/build.log" 2>&1 ||
			{ echo "rpmbuild $specs failed" >&2; tail -20 "$w/build.log" >&2; return 1; }
	done
	mv "$w"/rpms/*/evil-*.rpm "$out/evil.rpm"
	_rpmrepo_sign "$out/gnupg" wrong "$out/evil.rpm" || return 1
	_rpmrepo_sign "$out/gnupg" fixture "$w"/rpms/*/*.rpm || return 1
	for p in weak recommended broken; do
		mv "$w"/rpms/noarch/$p-1.0-1.noarch.rpm "$out/mirror/AppStream/x86_64/os/"
	done
	mv "$w"/rpms/noarch/modtool-*.rpm "$out/mirror/AppStream/x86_64/os/"
	mkdir -p "$out/mirror/BaseOS/x86_64/os/Packages"
	mv "$w"/rpms/*/*.rpm "$out/mirror/BaseOS/x86_64/os/Packages/"
	_rpmrepo_comps >"$w/comps.xml"
	createrepo_c -q "$out/mirror/BaseOS/x86_64/os" || return 1
	createrepo_c -q -g "$w/comps.xml" "$out/mirror/AppStream/x86_64/os" || return 1
	_rpmrepo_modules >"$w/modules.yaml"
	modifyrepo_c --mdtype=modules "$w/modules.yaml" \
		"$out/mirror/AppStream/x86_64/os/repodata" >/dev/null || return 1
	RPMREPO=$out rpmrepo_sign_repomd "$out/mirror/BaseOS/x86_64/os" fixture || return 1
	RPMREPO=$out rpmrepo_sign_repomd "$out/mirror/AppStream/x86_64/os" fixture || return 1
	_rpmrepo_agent_off "$out/gnupg"
	rm -rf "$w"
}

rpmrepo_build() {
	local key dir
	for t in rpmbuild rpmsign createrepo_c modifyrepo_c gpg; do
		command -v "$t" >/dev/null || skip "$t is not installed (scripts/install-deps --test)"
	done
	key=$({ cat "${BASH_SOURCE[0]}"; dpkg-query -W $RPMREPO_ROOTS; } | sha256sum | cut -c1-16)
	dir=$RPMREPO_CACHE/$key
	if [ ! -e "$dir/.done" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		_rpmrepo_generate "$dir" || { rm -rf "$dir"; return 1; }
		touch "$dir/.done"
	fi
	RPMREPO=$dir
}
