#!/bin/bash
# Repository access and verification (builder/fetch.c, builder/apt-repo.c) through the
# tests/helpers/apt-repo-probe driver, against hermetic signed repositories built by
# tests/lib-aptrepo.sh, served as file:// and over a local HTTP server.  The last test loads
# the real Debian archive through the host's apt sources (skipped when there are none).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/lib-aptrepo.sh"
aptrepo_need
need_cmd python3

PROBE=$top_builddir/tests/helpers/apt-repo-probe
[ -x "$PROBE" ] || skip_all "apt-repo-probe not built (make check builds it)"

# probe NAME ARGS... : run the probe with its own cache and workdir unless given;
# stdout in $T/NAME.out, stderr in $T/NAME.err; both also shown on failure.
probe() {
	local name=$1
	shift
	"$PROBE" --retry-delay-ms 10 --timeout 10 --cache "$T/cache-$name" \
		--workdir "$T/work-$name" "$@" >"$T/$name.out" 2>"$T/$name.err"
	local rc=$?
	cat "$T/$name.out" "$T/$name.err"
	return $rc
}

# ---- repositories ----------------------------------------------------------------------------
aptrepo_key "$T/key" || exit 1
aptrepo_key "$T/other" "someone else" || exit 1
aptrepo_deb "$T/pool-src" hello 1.0 Depends=libfoo Priority=required >/dev/null || exit 1
aptrepo_deb "$T/pool-src" libfoo 1:2.0 Architecture=amd64 >/dev/null || exit 1
aptrepo_deb "$T/pool-src" extra 1.0 --component=contrib >/dev/null || exit 1

repo() {	# repo NAME KEYDIR PUBLISH-OPTIONS... : a repository sharing the pool
	local name=$1 key=$2
	shift 2
	mkdir -p "$T/$name" && cp -a "$T/pool-src/pool" "$T/$name/" &&
		aptrepo_publish "$T/$name" "$key" --suite=bookworm "$@"
}
repo good "$T/key" || exit 1
repo fallback "$T/key" --no-inrelease || exit 1
repo badsig "$T/key" && aptrepo_break_signature "$T/badsig" bookworm || exit 1
repo badsig-detached "$T/key" --no-inrelease &&
	aptrepo_break_signature "$T/badsig-detached" bookworm || exit 1
repo unknown "$T/other" || exit 1
repo expired "$T/key" --expired || exit 1
repo tampered "$T/key" && aptrepo_tamper_packages "$T/tampered" bookworm main || exit 1
repo unsigned - || exit 1
repo byhash "$T/key" --by-hash --indexes="gz plain" || exit 1
# A second clearsigned message appended to a good InRelease (signed by another key).
repo appended "$T/key" && printf 'Suite: evil\n' |
	_aptrepo_gpg "$T/other" --local-user "$(cat "$T/other/fpr")" --clearsign \
		>>"$T/appended/dists/bookworm/InRelease" || exit 1
K=$T/key/keyring.gpg
good=(--suite bookworm --component main --component contrib --keyring "$K")

# ---- file:// ---------------------------------------------------------------------------------
ok "good repository (InRelease) loads" probe good --mirror "file://$T/good" "${good[@]}"
ok "main index has both packages" grep -Eq '^index main .* 2$' "$T/good.out"
ok "contrib index has one package" grep -Eq '^index contrib .* 1$' "$T/good.out"
ok "decompressed index equals the published one" \
	cmp "$(awk '$1 == "index" && $2 == "main" { print $3 }' "$T/good.out")" \
	"$T/good/dists/bookworm/main/binary-amd64/Packages"
ok "release digest is the InRelease's" grep -q \
	"^release-sha256 $(sha256sum "$T/good/dists/bookworm/InRelease" | cut -d' ' -f1)$" \
	"$T/good.out"
ok "Valid-Until reported" grep -Eq '^valid-until [0-9]{9,}$' "$T/good.out"
ok "ASCII-armored keyring works" probe asc --mirror "file://$T/good" --suite bookworm \
	--keyring "$T/key/keyring.asc"
ok "plain path as mirror works" probe path --mirror "$T/good" --suite bookworm --keyring "$K"
ok "Release + Release.gpg fallback loads" probe fallback --mirror "file://$T/fallback" \
	"${good[@]}"
ok "fallback digest is the Release's" grep -q \
	"^release-sha256 $(sha256sum "$T/fallback/dists/bookworm/Release" | cut -d' ' -f1)$" \
	"$T/fallback.out"

fails "bad InRelease signature is rejected" 1 \
	"InRelease of 'file://.*/badsig/dists/bookworm/InRelease' has no valid signature from keyring '.*/key/keyring.gpg' \(bad signature" \
	probe badsig --mirror "file://$T/badsig" "${good[@]}"
fails "bad detached signature is rejected" 1 \
	"Release of 'file://.*/Release' has no valid signature from keyring .*bad signature" \
	probe badsig-detached --mirror "file://$T/badsig-detached" "${good[@]}"
fails "unknown signing key is rejected" 1 \
	"has no valid signature from keyring '.*' \(signed by unknown key [0-9A-F]{16}\)" \
	probe unknown --mirror "file://$T/unknown" "${good[@]}"
fails "InRelease with an appended message is rejected" 1 \
	"InRelease of '.*' is not a single clearsigned message" \
	probe appended --mirror "file://$T/appended" "${good[@]}"
fails "... also without key checks" 1 "is not a single clearsigned message" \
	probe appended-nocheck --mirror "file://$T/appended" --suite bookworm --no-key-check
fails "unsigned repository is rejected" 1 \
	"Release of '.*' has no valid signature .*there is no Release.gpg" \
	probe unsigned --mirror "file://$T/unsigned" "${good[@]}"
fails "expired Valid-Until is rejected" 1 \
	"Release of '.*' expired on [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} UTC \(Valid-Until\)" \
	probe expired --mirror "file://$T/expired" "${good[@]}"
fails "tampered Packages is rejected" 1 \
	"Packages of main/amd64 does not match the SHA256 in Release \(got [0-9a-f]{64}, want [0-9a-f]{64}" \
	probe tampered --mirror "file://$T/tampered" "${good[@]}"

ok "RepositoryKeyCheck=no loads an unsigned repository" probe nocheck \
	--mirror "file://$T/unsigned" --suite bookworm --no-key-check
ok "... and warns" grep -q "warning: RepositoryKeyCheck=no: repository signatures are NOT checked" \
	"$T/nocheck.err"
ok "RepositoryKeyCheck=no ignores a bad signature" probe nocheck-bad \
	--mirror "file://$T/badsig" --suite bookworm --no-key-check
fails "RepositoryKeyCheck=no still checks digests" 1 \
	"Packages of main/amd64 does not match the SHA256 in Release" \
	probe nocheck-tampered --mirror "file://$T/tampered" --suite bookworm --no-key-check

fails "unknown component is a recipe error" 2 \
	"component 'universe' is not in the Release of '.*' \(it has: contrib main\)" \
	probe comp --mirror "file://$T/good" --suite bookworm --component universe --keyring "$K"
fails "unknown architecture is a recipe error" 2 \
	"architecture 'arm64' is not in the Release of '.*' \(it has: amd64\)" \
	probe arch --mirror "file://$T/good" --suite bookworm --arch arm64 --keyring "$K"
fails "unknown suite is a recipe error" 2 "suite 'trixie' not found at 'file://.*' \(no InRelease or Release\)" \
	probe suite --mirror "file://$T/good" --suite trixie --keyring "$K"
fails "missing keyring is named" 3 "keyring '$T/nokey.gpg' does not exist" \
	probe nokey --mirror "file://$T/good" --suite bookworm --keyring "$T/nokey.gpg"
if [ ! -e /usr/share/keyrings/ubuntu-archive-keyring.gpg ]; then
	fails "missing distro keyring names its package" 3 \
		"keyring '/usr/share/keyrings/ubuntu-archive-keyring.gpg' does not exist \(install the package 'ubuntu-keyring'\)" \
		probe distkey --mirror "file://$T/good" --suite bookworm --distribution ubuntu
else
	skip "missing distro keyring names its package" "the ubuntu keyring is installed"
fi

# ---- offline -----------------------------------------------------------------------------------
ok "offline with a warm cache" probe offline-warm --cache "$T/cache-good" \
	--mirror "file://$T/good" "${good[@]}" --offline
ok "offline result equals the online one" diff <(grep -v '^index' "$T/good.out") \
	<(grep -v '^index' "$T/offline-warm.out")
fails "offline with a cold cache lists what is missing" 1 \
	"offline, and 1 file is not in the cache '.*': 'file://.*/good/dists/bookworm/InRelease'" \
	probe offline-cold --mirror "file://$T/good" "${good[@]}" --offline
ok "offline fallback repository (InRelease known absent)" probe offline-fallback \
	--cache "$T/cache-fallback" --mirror "file://$T/fallback" "${good[@]}" --offline

# ---- HTTP ----------------------------------------------------------------------------------------
aptrepo_serve "$T/good" || exit 1
LOG1=$APTREPO_HTTP_LOG URL1=$APTREPO_URL
ok "good repository over HTTP" probe http --mirror "$URL1" "${good[@]}"
ok "second load over HTTP" probe http --mirror "$URL1" "${good[@]}"
ok "first InRelease request was a full GET" \
	test "$(grep -c '^GET /dists/bookworm/InRelease 200$' "$LOG1")" = 1
ok "second InRelease request got 304 (conditional GET)" \
	test "$(grep -c '^GET /dists/bookworm/InRelease 304$' "$LOG1")" = 1
ok "indexes downloaded once, then from the cache" \
	test "$(grep -c '^GET /dists/bookworm/main/binary-amd64/Packages.xz 200$' "$LOG1")" = 1

aptrepo_serve "$T/good" --etag || exit 1
ok "server with ETags" probe etag --mirror "$APTREPO_URL" "${good[@]}"
ok "second load with ETags" probe etag --mirror "$APTREPO_URL" "${good[@]}"
ok "If-None-Match answered 304" \
	test "$(grep -c '^GET /dists/bookworm/InRelease 304$' "$APTREPO_HTTP_LOG")" = 1

aptrepo_serve "$T/good" --stall || exit 1
start=$(date +%s)
fails "stalled transfer: low-speed timeout, retried, then a clear error" 1 \
	"cannot fetch '$APTREPO_URL/dists/bookworm/InRelease': .*(too slow|timed out).*\(after 2 attempts\)" \
	probe stall --mirror "$APTREPO_URL" "${good[@]}" --timeout 1 --retries 1
ok "... within seconds" test $(($(date +%s) - start)) -lt 15

# Per-host cap: each answer takes 300 ms, so transfers overlap as far as the cap lets them.
blobs=()
for f in "$T"/good/dists/bookworm/*/binary-amd64/Packages*; do
	blobs+=(--blob "$(sha256sum "$f" | cut -d' ' -f1):$(stat -c %s "$f"):URL${f#"$T/good"}")
done
aptrepo_serve "$T/good" --delay=300 || exit 1
ok "six blobs, two per host" probe cap2 --parallel 8 --per-host 2 "${blobs[@]//URL/$APTREPO_URL}"
ok "... never more than two at once" test "$(cat "$APTREPO_HTTP_INFLIGHT")" = 2
aptrepo_serve "$T/good" --delay=300 || exit 1
ok "six blobs, eight per host" probe cap8 --parallel 8 --per-host 8 "${blobs[@]//URL/$APTREPO_URL}"
ok "... in parallel" test "$(cat "$APTREPO_HTTP_INFLIGHT")" -gt 2

aptrepo_serve "$T/good" --fail=2 || exit 1
ok "503 answers are retried" probe http-retry --mirror "$APTREPO_URL" "${good[@]}" --retries 3
ok "... after two 503s" test "$(grep -c ' 503$' "$APTREPO_HTTP_LOG")" = 2
aptrepo_serve "$T/good" --fail=100 || exit 1
fails "persistent 503 fails after the retries" 1 \
	"cannot fetch '$APTREPO_URL/dists/bookworm/InRelease': HTTP error 503 \(after 3 attempts\)" \
	probe http-503 --mirror "$APTREPO_URL" "${good[@]}" --retries 2

aptrepo_serve "$T/byhash" || exit 1
ok "Acquire-By-Hash repository over HTTP" probe byhash --mirror "$APTREPO_URL" "${good[@]}"
ok "index fetched by hash (gz preferred over plain)" \
	grep -Eq '^GET /dists/bookworm/main/binary-amd64/by-hash/SHA256/[0-9a-f]{64} 200$' \
	"$APTREPO_HTTP_LOG"

port=$(aptrepo_closed_port)
start=$(date +%s)
fails "unreachable mirror: clear error after the retries" 1 \
	"cannot fetch 'http://127.0.0.1:$port/dists/bookworm/InRelease': .*(after 4 attempts)" \
	probe unreachable --mirror "http://127.0.0.1:$port" "${good[@]}" --retries 3
ok "retries back off, but not for long in tests" test $(($(date +%s) - start)) -lt 20

# ---- blobs: resume and tampered packages -----------------------------------------------------
deb=$T/good/pool/main/hello_1.0_all.deb
sha=$(sha256sum "$deb" | cut -d' ' -f1)
size=$(stat -c %s "$deb")
mkdir -p "$T/cache-resume/partial"
head -c $((size / 2)) "$deb" >"$T/cache-resume/partial/$sha"
ok "partial download resumed over HTTP" probe resume \
	--blob "$sha:$size:$URL1/pool/main/hello_1.0_all.deb"
ok "... with a Range request" grep -q '^GET /pool/main/hello_1.0_all.deb 206$' "$LOG1"
ok "resumed blob verifies" cmp "$deb" "$T/cache-resume/blobs/sha256/${sha:0:2}/$sha"
aptrepo_serve "$T/good" --no-range || exit 1
mkdir -p "$T/cache-norange/partial"
head -c $((size / 2)) "$deb" >"$T/cache-norange/partial/$sha"
ok "server without ranges: downloaded whole" probe norange \
	--blob "$sha:$size:$APTREPO_URL/pool/main/hello_1.0_all.deb"
ok "blob cache hit" probe norange --blob "$sha:$size:file:///nonexistent/hello.deb"
ok "... reported as cached" grep -q " cached$" "$T/norange.out"

cp "$deb" "$T/tampered.deb"
aptrepo_tamper_deb "$T/tampered.deb"
fails "tampered .deb is rejected" 1 \
	"'file://$T/tampered.deb' does not match the SHA256 expected \(got [0-9a-f]{64}, want $sha\)" \
	probe tampered-deb --blob "$sha:$size:file://$T/tampered.deb"

# ---- the host's Debian mirror ------------------------------------------------------------------
mkdir -p "$T/etc-apt/sources.list.d"
printf 'deb http://ubuntu.example/ubuntu noble main\n' >"$T/etc-apt/sources.list"
printf 'Types: deb\nURIs: http://mirror.example/debian/\nSuites: trixie\nComponents: main\n' \
	>"$T/etc-apt/sources.list.d/debian.sources"
ok "Debian mirror from deb822 sources" probe hostm --host-debian-mirror \
	--apt-etc "$T/etc-apt" --print-mirror
ok "... is the configured URI" grep -qx 'mirror http://mirror.example/debian' "$T/hostm.out"
rm "$T/etc-apt/sources.list.d/debian.sources"
fails "no Debian mirror: clear error" 2 "no Debian mirror in the host's apt sources" \
	probe hostm-none --host-debian-mirror --apt-etc "$T/etc-apt"

# ---- the real archive ----------------------------------------------------------------------------
real_archive() {
	local mirror rc
	mirror=$("$PROBE" --host-debian-mirror --print-mirror 2>/dev/null | sed -n 's/^mirror //p')
	if [ -z "$mirror" ]; then
		skip "real Debian archive: bookworm main amd64" "no Debian mirror in the host's apt sources"
		return
	fi
	if [ ! -e /usr/share/keyrings/debian-archive-keyring.gpg ]; then
		skip "real Debian archive: bookworm main amd64" "debian-archive-keyring not installed"
		return
	fi
	mkdir -p /var/cache/mkimg-test 2>/dev/null || {
		skip "real Debian archive: bookworm main amd64" "cannot create /var/cache/mkimg-test"
		return
	}
	# The archive's name stays out of every file: the probe's output is filtered.
	"$PROBE" --host-debian-mirror --suite bookworm --component main --arch amd64 \
		--distribution debian --timeout 60 --cache /var/cache/mkimg-test \
		--workdir "$T/work-real" 2>&1 >"$T/real.out" | sed "s#$mirror#MIRROR#g" >"$T/real.err"
	rc=${PIPESTATUS[0]}
	if grep -q "cannot fetch" "$T/real.err" && [ "$rc" != 0 ]; then
		skip "real Debian archive: bookworm main amd64" "the mirror is unreachable"
		return
	fi
	ok "real Debian archive: bookworm main amd64 verified" test "$rc" = 0
	ok "real Debian archive: index has thousands of packages" \
		awk '$1 == "index" && $2 == "main" && $4 > 10000 { found = 1 } END { exit !found }' \
		"$T/real.out"
	ok "real Debian archive: codename bookworm" grep -qx 'codename bookworm' "$T/real.out"
}
real_archive

done_testing
