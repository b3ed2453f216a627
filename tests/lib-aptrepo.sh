# Build hermetic, signed apt repositories for tests (shared by the fetch/apt-repo tests and
# the bootstrap tests).  Source it after tests/lib.sh (it uses $T, on_exit and skip_all):
#
#	. "$top_srcdir/tests/lib.sh"
#	. "$top_srcdir/tests/lib-aptrepo.sh"
#	aptrepo_need
#	aptrepo_key "$T/key"
#	aptrepo_deb "$T/repo" hello 1.0 Depends=libfoo Priority=required --file=/etc/hello=hi
#	aptrepo_publish "$T/repo" "$T/key" --suite=bookworm
#	# mirror: file://$T/repo  suite: bookworm  component: main  keyring: $T/key/keyring.gpg
#
# Host tools: dpkg-deb, dpkg-scanpackages (dpkg-dev), gpg, gpgconf (gnupg), gpgv, gzip, xz,
# sha256sum, python3 (aptrepo_serve only).  Everything is made under directories you name
# (put them in $T); gpg-agents and HTTP servers started here are stopped at exit.
#
# aptrepo_need
#	skip_all unless the host tools are there.
#
# aptrepo_key DIR [NAME]
#	A throwaway ed25519 signing key without passphrase in DIR/gnupg (a private GNUPGHOME).
#	Writes DIR/keyring.gpg (binary: gpgv --keyring, RepositoryKey=), DIR/keyring.asc
#	(ASCII-armored) and DIR/fpr (the fingerprint).
#
# aptrepo_deb REPO NAME VERSION [OPTION...]
#	Builds REPO/pool/COMPONENT/NAME_VERSION_ARCH.deb (epoch dropped from the file name) and
#	prints its path.  Options:
#	  Field=Value		any control field: Depends=, Pre-Depends=, Recommends=, Provides=,
#				Conflicts=, Essential=yes, Priority=required, Multi-Arch=,
#				Architecture= (default all), Section=, ...
#	  --component=C		pool component (default main)
#	  --file=PATH=CONTENT	a file in the package (repeatable; PATH absolute)
#	  --tree=DIR		copy DIR's contents into the package's data
#	  --preinst=SH --postinst=SH --prerm=SH --postrm=SH
#				maintainer script bodies ("#!/bin/sh" and "set -e" are added)
#	  --compress=xz|gzip|zstd|none	dpkg-deb -Z (default xz)
#	Without --file/--tree the package holds /usr/share/mkimg-test/NAME ("NAME VERSION").
#
# aptrepo_publish REPO KEYDIR [OPTION...]
#	Writes REPO/dists/SUITE/: Packages indexes for every component under REPO/pool (or
#	--components), Release with SHA256 sums, InRelease (clearsigned) and Release.gpg
#	(detached) signed with KEYDIR's key.  KEYDIR "-": unsigned.  Options:
#	  --suite=S (default stable)  --codename=C (default the suite)  --origin=O  --label=L
#	  --arch="amd64 arm64"	architectures (default amd64; "all" packages go in each)
#	  --components="main contrib"
#	  --indexes="xz gz plain"	which Packages variants exist and are listed (default all)
#	  --valid-until=RFC2822-DATE | --expired (yesterday) | --no-valid-until
#				(default: a week from now)
#	  --by-hash		Acquire-By-Hash: yes, with by-hash/SHA256/ copies
#	  --no-inrelease  --no-release-gpg	leave that file out
#
# Breaking a published repository (each also moves the file's mtime forward, so a cached
# copy is not kept by a conditional GET):
# aptrepo_break_signature REPO SUITE	edit the signed text of InRelease and Release, no re-sign
# aptrepo_tamper_packages REPO SUITE [COMPONENT [ARCH]]	change every Packages variant
# aptrepo_tamper_deb DEB			change bytes in a .deb (same size; indexes unchanged)
#
# aptrepo_serve DIR [--fail=N] [--no-range] [--etag] [--delay=MS] [--stall]
#	An HTTP server on 127.0.0.1 at a free port serving DIR (If-Modified-Since -> 304, Range
#	-> 206 unless --no-range; the first N requests get 503 with --fail=N).  --etag: send
#	ETags and answer If-None-Match, ignoring If-Modified-Since.  --delay=MS: wait before each
#	answer.  --stall: send the headers of each file, then hang.  Sets APTREPO_URL
#	(http://127.0.0.1:PORT), APTREPO_HTTP_PID, APTREPO_HTTP_LOG (one "METHOD PATH STATUS"
#	line per request) and APTREPO_HTTP_INFLIGHT (a file holding the highest number of
#	requests served at once).  Call it directly, not in $(...).  Stopped at exit.
# aptrepo_closed_port
#	Prints a 127.0.0.1 TCP port nobody listens on.

aptrepo_need() {
	need_cmd dpkg-deb dpkg-scanpackages gpg gpgconf gpgv gzip xz sha256sum
}

_aptrepo_gpg() {	# _aptrepo_gpg KEYDIR ARGS...
	local home=$1/gnupg
	shift
	gpg --homedir "$home" --batch --quiet --no-tty --pinentry-mode loopback --passphrase '' "$@"
}

aptrepo_key() {
	local dir=$1 name=${2:-mkimg test repository}
	mkdir -p "$dir/gnupg" && chmod 700 "$dir/gnupg" || return 1
	on_exit "gpgconf --homedir '$dir/gnupg' --kill all"
	_aptrepo_gpg "$dir" --quick-gen-key "$name <test@mkimg.invalid>" ed25519 sign never \
		2>/dev/null || return 1
	_aptrepo_gpg "$dir" --with-colons --list-secret-keys |
		awk -F: '$1 == "fpr" { print $10; exit }' >"$dir/fpr"
	_aptrepo_gpg "$dir" --export "$(cat "$dir/fpr")" >"$dir/keyring.gpg" &&
		_aptrepo_gpg "$dir" --armor --export "$(cat "$dir/fpr")" >"$dir/keyring.asc"
}

_aptrepo_script() {	# _aptrepo_script FILE BODY
	printf '#!/bin/sh\nset -e\n%s\n' "$2" >"$1" && chmod 755 "$1"
}

aptrepo_deb() {
	local repo=$1 name=$2 version=$3 comp=main z=xz files=0 arch=all o p
	shift 3
	local b
	b=$(mktemp -d "$T/aptrepo-deb.XXXXXX") || return 1
	mkdir -p "$b/DEBIAN"
	: >"$b/fields"
	for o; do
		case $o in
		--component=*) comp=${o#*=} ;;
		--compress=*) z=${o#*=} ;;
		--file=*)
			o=${o#--file=}
			p=${o%%=*}
			mkdir -p "$b/$(dirname "$p")" && printf '%s\n' "${o#*=}" >"$b/$p"
			files=1 ;;
		--tree=*) cp -a "${o#*=}/." "$b/" && files=1 ;;
		--preinst=* | --postinst=* | --prerm=* | --postrm=*)
			p=${o%%=*}
			_aptrepo_script "$b/DEBIAN/${p#--}" "${o#*=}" ;;
		Architecture=*) arch=${o#*=} ;;
		*=*) printf '%s: %s\n' "${o%%=*}" "${o#*=}" >>"$b/fields" ;;
		*) echo "aptrepo_deb: unknown option '$o'" >&2; return 1 ;;
		esac
	done
	if [ "$files" = 0 ]; then
		mkdir -p "$b/usr/share/mkimg-test"
		echo "$name $version" >"$b/usr/share/mkimg-test/$name"
	fi
	{
		printf 'Package: %s\nVersion: %s\nArchitecture: %s\n' "$name" "$version" "$arch"
		printf 'Maintainer: mkimg tests <test@mkimg.invalid>\n'
		grep -q '^Section:' "$b/fields" || echo 'Section: misc'
		grep -q '^Priority:' "$b/fields" || echo 'Priority: optional'
		cat "$b/fields"
		printf 'Description: mkimg test package %s\n' "$name"
	} >"$b/DEBIAN/control"
	rm -f "$b/fields"
	mkdir -p "$repo/pool/$comp"
	p=$repo/pool/$comp/${name}_${version#*:}_$arch.deb
	dpkg-deb --root-owner-group -Z"$z" --build "$b" "$p" >/dev/null || return 1
	rm -rf "$b"
	echo "$p"
}

_aptrepo_date() {	# _aptrepo_date EPOCH
	LC_ALL=C date -u -d "@$1" '+%a, %d %b %Y %H:%M:%S UTC'
}

_aptrepo_index() {	# _aptrepo_index REPO DISTS COMPONENT ARCH INDEXES BYHASH
	local repo=$1 d=$2/$3/binary-$4 f h
	mkdir -p "$d" "$repo/pool/$3"
	(cd "$repo" && dpkg-scanpackages -m -a "$4" "pool/$3" /dev/null 2>/dev/null) >"$d/Packages"
	case " $5 " in *" gz "*) gzip -9nc "$d/Packages" >"$d/Packages.gz" ;; esac
	case " $5 " in *" xz "*) xz -c "$d/Packages" >"$d/Packages.xz" ;; esac
	case " $5 " in *" plain "*) ;; *) rm -f "$d/Packages" ;; esac
	[ "$6" = 1 ] || return 0
	mkdir -p "$d/by-hash/SHA256"
	for f in "$d"/Packages*; do
		h=$(sha256sum "$f" | cut -d' ' -f1)
		cp "$f" "$d/by-hash/SHA256/$h"
	done
}

_aptrepo_release() {	# _aptrepo_release DISTS HEADER-FILE
	local dists=$1 f
	cat "$2"
	echo "SHA256:"
	(cd "$dists" && find . -path '*/by-hash' -prune -o -type f -name 'Packages*' -print |
		sed 's|^\./||' | LC_ALL=C sort) | while read -r f; do
		printf ' %s %s %s\n' "$(sha256sum "$dists/$f" | cut -d' ' -f1)" \
			"$(stat -c %s "$dists/$f")" "$f"
	done
}

aptrepo_publish() {
	local repo=$1 key=$2 suite=stable codename="" origin=mkimg-test label=mkimg-test
	local archs=amd64 comps="" indexes="xz gz plain" byhash=0 inrel=1 relgpg=1
	local now valid o c a dists
	now=$(date +%s)
	valid=$(_aptrepo_date $((now + 7 * 86400)))
	shift 2
	for o; do
		case $o in
		--suite=*) suite=${o#*=} ;;
		--codename=*) codename=${o#*=} ;;
		--origin=*) origin=${o#*=} ;;
		--label=*) label=${o#*=} ;;
		--arch=*) archs=${o#*=} ;;
		--components=*) comps=${o#*=} ;;
		--indexes=*) indexes=${o#*=} ;;
		--valid-until=*) valid=${o#*=} ;;
		--expired) valid=$(_aptrepo_date $((now - 86400))); now=$((now - 8 * 86400)) ;;
		--no-valid-until) valid="" ;;
		--by-hash) byhash=1 ;;
		--no-inrelease) inrel=0 ;;
		--no-release-gpg) relgpg=0 ;;
		*) echo "aptrepo_publish: unknown option '$o'" >&2; return 1 ;;
		esac
	done
	[ -n "$comps" ] || comps=$(cd "$repo/pool" && ls)
	dists=$repo/dists/$suite
	rm -rf "$dists"
	mkdir -p "$dists"
	for c in $comps; do
		for a in $archs; do
			_aptrepo_index "$repo" "$dists" "$c" "$a" "$indexes" "$byhash" || return 1
		done
	done
	{
		printf 'Origin: %s\nLabel: %s\nSuite: %s\nCodename: %s\n' "$origin" "$label" \
			"$suite" "${codename:-$suite}"
		printf 'Date: %s\n' "$(_aptrepo_date "$now")"
		[ -z "$valid" ] || printf 'Valid-Until: %s\n' "$valid"
		printf 'Architectures: %s\nComponents: %s\n' "$(echo $archs)" "$(echo $comps)"
		printf 'Description: mkimg hermetic test repository\n'
		[ "$byhash" = 0 ] || printf 'Acquire-By-Hash: yes\n'
	} >"$dists/.header"
	_aptrepo_release "$dists" "$dists/.header" >"$dists/Release"
	rm -f "$dists/.header"
	[ "$key" != - ] || return 0
	local fpr
	fpr=$(cat "$key/fpr")
	if [ "$inrel" = 1 ]; then
		_aptrepo_gpg "$key" --yes --local-user "$fpr" --digest-algo SHA512 --clearsign \
			-o "$dists/InRelease" "$dists/Release" || return 1
	fi
	if [ "$relgpg" = 1 ]; then
		_aptrepo_gpg "$key" --yes --local-user "$fpr" --digest-algo SHA512 --armor \
			--detach-sign -o "$dists/Release.gpg" "$dists/Release" || return 1
	fi
}

_aptrepo_bump_mtime() {
	local f
	for f; do
		[ -e "$f" ] && touch -d "@$(($(stat -c %Y "$f") + 5))" "$f"
	done
	return 0
}

aptrepo_break_signature() {
	local d=$1/dists/$2 f
	for f in "$d/InRelease" "$d/Release"; do
		[ -e "$f" ] || continue
		sed -i 's/^Label: .*/Label: tampered-after-signing/' "$f" || return 1
		_aptrepo_bump_mtime "$f"
	done
}

aptrepo_tamper_packages() {
	local d=$1/dists/$2 comp=${3:-*} arch=${4:-*} f
	for f in $d/$comp/binary-$arch/Packages $d/$comp/binary-$arch/Packages.gz \
		$d/$comp/binary-$arch/Packages.xz; do
		[ -e "$f" ] || continue
		case $f in
		*.gz) gzip -dc "$f" | sed 's/^Version: /Version: 9/' | gzip -9nc >"$f.new" ;;
		*.xz) xz -dc "$f" | sed 's/^Version: /Version: 9/' | xz -c >"$f.new" ;;
		*) sed 's/^Version: /Version: 9/' "$f" >"$f.new" ;;
		esac
		mv "$f.new" "$f" && _aptrepo_bump_mtime "$f"
	done
}

aptrepo_tamper_deb() {
	local f=$1 size
	size=$(stat -c %s "$f")
	printf 'MKIMG' | dd of="$f" bs=1 seek=$((size - 5)) conv=notrunc status=none &&
		_aptrepo_bump_mtime "$f"
}

_aptrepo_httpd='
import http.server, os, sys, threading
import hashlib, time
root, portfile, fail = sys.argv[1], sys.argv[2], int(sys.argv[3])
flags = sys.argv[4].split(",")
norange, etags, stall = "norange" in flags, "etag" in flags, "stall" in flags
delay = int(sys.argv[5]) / 1000.0
state = {"fail": fail, "inflight": 0, "max": 0}
lock = threading.Lock()

def inflight(n):
    with lock:
        state["inflight"] += n
        if state["inflight"] > state["max"]:
            state["max"] = state["inflight"]
            with open(portfile + ".inflight", "w") as f:
                f.write("%d\n" % state["max"])

class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)

    def log_message(self, *args):
        pass

    def log_request(self, code="-", size="-"):
        try:
            code = int(code)
        except (TypeError, ValueError):
            pass
        sys.stderr.write("%s %s %s\n" % (self.command, self.path, code))
        sys.stderr.flush()

    def do_GET(self):
        inflight(1)
        try:
            if delay:
                time.sleep(delay)
            if stall:
                return self.stall()
            super().do_GET()
        finally:
            inflight(-1)

    def stall(self):
        path = self.translate_path(self.path)
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.flush()
        time.sleep(60)

    def etag(self, path):
        st = os.stat(path)
        digest = hashlib.sha256(b"%d-%d" % (st.st_mtime_ns, st.st_size)).hexdigest()
        return "\"%s\"" % digest[:16]

    def send_etag(self, path):
        tag = self.etag(path)
        if self.headers.get("If-None-Match") == tag:
            self.send_response(304)
            self.send_header("ETag", tag)
            self.end_headers()
            return None
        f = open(path, "rb")
        self.send_response(200)
        self.send_header("Content-Length", str(os.fstat(f.fileno()).st_size))
        self.send_header("ETag", tag)
        self.end_headers()
        return f

    def send_head(self):
        with lock:
            failing = state["fail"] > 0
            if failing:
                state["fail"] -= 1
        if failing:
            self.send_error(503)
            return None
        rng = self.headers.get("Range")
        path = self.translate_path(self.path)
        if rng and not norange and rng.startswith("bytes=") and os.path.isfile(path):
            return self.send_range(path, rng)
        if etags and os.path.isfile(path):
            return self.send_etag(path)
        return super().send_head()

    def send_range(self, path, rng):
        size = os.path.getsize(path)
        start = int(rng[6:].split("-")[0] or 0)
        if start >= size:
            self.send_error(416)
            return None
        f = open(path, "rb")
        f.seek(start)
        self.send_response(206)
        self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        self.send_header("Content-Length", str(size - start))
        self.send_header("Last-Modified", self.date_time_string(os.stat(path).st_mtime))
        self.end_headers()
        return f

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
'

aptrepo_serve() {
	local dir=$1 fail=0 flags=- delay=0 o portfile i
	shift
	for o; do
		case $o in
		--fail=*) fail=${o#*=} ;;
		--no-range) flags=$flags,norange ;;
		--etag) flags=$flags,etag ;;
		--stall) flags=$flags,stall ;;
		--delay=*) delay=${o#*=} ;;
		*) echo "aptrepo_serve: unknown option '$o'" >&2; return 1 ;;
		esac
	done
	portfile=$(mktemp -u "$T/httpd.XXXXXX")
	APTREPO_HTTP_LOG=$portfile.log
	APTREPO_HTTP_INFLIGHT=$portfile.inflight
	python3 -c "$_aptrepo_httpd" "$dir" "$portfile" "$fail" "$flags" "$delay" \
		2>"$APTREPO_HTTP_LOG" &
	APTREPO_HTTP_PID=$!
	on_exit "kill $APTREPO_HTTP_PID"
	for i in $(seq 100); do
		[ -s "$portfile" ] && break
		sleep 0.05
	done
	[ -s "$portfile" ] || { echo "aptrepo_serve: the server did not start" >&2; return 1; }
	APTREPO_URL=http://127.0.0.1:$(cat "$portfile")
}

aptrepo_closed_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
