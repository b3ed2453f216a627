# Hermetic .deb fixtures for the bootstrap tests: the host's own installed packages packed
# back into .debs (what dpkg-repack does: the files from /var/lib/dpkg/info/P.list, the control
# paragraph from the status file, the maintainer scripts), so a test repository holds a real,
# working essential set (dpkg, a shell, libc...) without any download.
# Source it after tests/lib.sh.  Needs dpkg-deb and dpkg-query on the host (test-time only).
#
#   hostdebs_build DIR     fills DIR with NAME_VERSION_ARCH.deb for HOSTDEBS_ROOTS and their dependency
#                          closure among the installed packages; cached under
#                          $HOSTDEBS_CACHE, keyed by the host's versions of them

HOSTDEBS_CACHE=${HOSTDEBS_CACHE:-/var/cache/mkimg-test/hostdebs-v2}
HOSTDEBS_ROOTS=${HOSTDEBS_ROOTS:-"dpkg tar dash coreutils sed grep findutils diffutils debianutils libc-bin mawk base-files base-passwd"}

_hostdebs_installed() {
	dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q " ok installed"
}

# Dependencies (Pre-Depends and Depends, first alternative, no versions) that are installed.
_hostdebs_deps() {
	dpkg-query -W -f '${Pre-Depends}, ${Depends}\n' "$1" 2>/dev/null | tr ',' '\n' |
		sed 's/|.*//; s/(.*//; s/:any//; s/[[:space:]]//g' | grep -v '^$' | sort -u |
		while read -r d; do _hostdebs_installed "$d" && echo "$d"; done
}

hostdebs_closure() {
	local todo="$*" seen=" " p
	while [ -n "$todo" ]; do
		# shellcheck disable=SC2086
		set -- $todo
		p=$1
		shift
		todo="$*"
		case $seen in *" $p "*) continue ;; esac
		seen="$seen$p "
		todo="$todo $(_hostdebs_deps "$p" | tr '\n' ' ')"
	done
	echo "$seen" | tr ' ' '\n' | grep -v '^$' | sort
}

_hostdebs_info() {	# _hostdebs_info PKG SUFFIX: the info file, with or without :arch
	local f
	for f in "/var/lib/dpkg/info/$1.$2" "/var/lib/dpkg/info/$1:$(dpkg --print-architecture).$2"; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

_hostdebs_repack() {	# _hostdebs_repack PKG OUTDIR
	local p=$1 out=$2 d list f s
	d=$(mktemp -d "$out/.repack.XXXXXX")
	mkdir "$d/DEBIAN"
	list=$(_hostdebs_info "$p" list) || { rm -rf "$d"; return 1; }
	while IFS= read -r f; do
		[ "$f" = "/." ] && continue
		if [ -d "$f" ]; then
			mkdir -p "$d$f"
			chmod "$(stat -L -c %a "$f")" "$d$f"
		elif [ -e "$f" ] || [ -L "$f" ]; then
			cp -a --parents "$f" "$d/"
		fi
	done <"$list"
	dpkg-query -s "$p" | sed -e '/^Status:/d' -e '/^Config-Version:/d' \
		-e '/^Conffiles:/,/^[^ ]/{/^Conffiles:/d;/^ /d}' >"$d/DEBIAN/control"
	dpkg-query -W -f '${Conffiles}\n' "$p" | awk 'NF >= 2 && $NF != "obsolete" { print $1 }' \
		>"$d/DEBIAN/conffiles"
	[ -s "$d/DEBIAN/conffiles" ] || rm -f "$d/DEBIAN/conffiles"
	for s in preinst postinst prerm postrm config templates triggers shlibs symbols; do
		f=$(_hostdebs_info "$p" "$s") && cp -a "$f" "$d/DEBIAN/$s"
	done
	# NAME_VERSION_ARCH.deb: dpkg-scanpackages -a picks files by that name
	dpkg-deb -Zgzip -z1 --build "$d" "$out/$(dpkg-query -W \
		-f '${Package}_${Version}_${Architecture}' "$p" | sed 's/_[0-9]*:/_/').deb" >/dev/null
	local rc=$?
	rm -rf "$d"
	return $rc
}

hostdebs_build() {	# hostdebs_build DIR
	local dir=$1 pkgs key cache p
	pkgs=$(hostdebs_closure $HOSTDEBS_ROOTS)
	key=$(for p in $pkgs; do dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' "$p"; done |
		sha256sum | cut -c1-16)
	cache=$HOSTDEBS_CACHE/$key
	if [ ! -e "$cache/.complete" ]; then
		rm -rf "$cache"
		mkdir -p "$cache"
		for p in $pkgs; do
			_hostdebs_repack "$p" "$cache" || { echo "cannot repack '$p'" >&2; return 1; }
		done
		touch "$cache/.complete"
	fi
	mkdir -p "$dir"
	cp "$cache"/*.deb "$dir/"
}
