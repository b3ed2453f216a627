/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure apt metadata parsers: Release, dates, clearsign envelope, armor, gpgv status,
 * apt sources.  Host names below are placeholders (mirror.example). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apt-release.h"
#include "apt-sources.h"
#include "cleanup.h"
#include "fileio.h"
#include "recipe.h"
#include "strutil.h"
#include "tap.h"

#define D1 "0000000000000000000000000000000000000000000000000000000000000001"
#define D2 "00000000000000000000000000000000000000000000000000000000000000AB"
#define D2_LOWER "00000000000000000000000000000000000000000000000000000000000000ab"
#define D3 "0000000000000000000000000000000000000000000000000000000000000003"
#define D4 "0000000000000000000000000000000000000000000000000000000000000004"

static const char release_text[] =
	"Origin: Debian\n"
	"Label: Debian\n"
	"Suite: oldstable\n"
	"Version: 12.5\n"
	"Codename: bookworm\n"
	"Date: Sat, 10 Jun 2023 08:52:35 UTC\n"
	"Valid-Until: Thu, 01 Feb 2024 00:00:00 UTC\n"
	"Acquire-By-Hash: yes\n"
	"Architectures: all amd64 arm64\n"
	"Components: main contrib non-free-firmware\n"
	"Description: Debian 12.5 Released 10 June 2023\n"
	"MD5Sum:\n"
	" 0123456789abcdef0123456789abcdef 1234 main/binary-amd64/Packages\n"
	"SHA256:\n"
	" " D1 " 45000000 main/binary-amd64/Packages\n"
	" " D2 " 9000000 main/binary-amd64/Packages.xz\n"
	" " D3 " 11000000 main/binary-amd64/Packages.gz\n"
	" " D4 " 300 contrib/binary-amd64/Packages.gz\n"
	" " D1 " 10 contrib/binary-amd64/Packages\n";

static void test_dates(void)
{
	int64_t t = 0;

	is_int(apt_parse_date("Sat, 10 Jun 2023 08:52:35 UTC", &t), 0, "date with weekday");
	is_int(t, 1686387155, "date value");
	is_int(apt_parse_date("10 Jun 2023 08:52:35 GMT", &t), 0, "date without weekday");
	is_int(t, 1686387155, "GMT is UTC");
	is_int(apt_parse_date("Sat, 10 Jun 2023 10:52:35 +0200", &t), 0, "numeric zone");
	is_int(t, 1686387155, "offset applied");
	is_int(apt_parse_date("Thu, 1 Feb 2024 00:00:00 UTC", &t), 0, "one-digit day");
	is_int(t, 1706745600, "one-digit day value");
	ok(apt_parse_date("Sat, 10 Foo 2023 08:52:35 UTC", &t) < 0, "bad month rejected");
	ok(apt_parse_date("Sat, 10 Jun 2023 25:52:35 UTC", &t) < 0, "bad hour rejected");
	ok(apt_parse_date("Sat, 10 Jun 2023 08:52:35", &t) < 0, "missing zone rejected");
	ok(apt_parse_date("Sat, 10 Jun 2023 08:52:35 UTC junk", &t) < 0, "trailing junk rejected");
	ok(apt_parse_date("Sat, 10 Jun 2023 08:52:35 EST", &t) < 0, "named zones rejected");
}

static void test_release(void)
{
	struct apt_release_info *r = NULL;
	const struct apt_release_file *e = NULL;

	is_int(apt_release_parse(release_text, strlen(release_text), &r), 0, "Release parses");
	if (!r)
		return;
	is_str(r->suite, "oldstable", "Suite");
	is_str(r->codename, "bookworm", "Codename");
	is_str(r->version, "12.5", "Version");
	is_str(r->origin, "Debian", "Origin");
	is_int(r->date, 1686387155, "Date");
	is_int(r->valid_until, 1706745600, "Valid-Until");
	ok(r->by_hash, "Acquire-By-Hash");
	is_int(r->n_files, 5, "SHA256 entries (MD5Sum ignored)");
	e = apt_release_lookup(r, "main/binary-amd64/Packages.xz");
	ok(e && e->size == 9000000, "lookup: size");
	is_str(e ? e->sha256 : NULL, D2_LOWER, "lookup: digest in lower case");
	ok(!apt_release_lookup(r, "main/binary-i386/Packages"), "lookup of an absent path");
	ok(apt_release_has_component(r, "contrib"), "has contrib");
	ok(!apt_release_has_component(r, "universe"), "no universe");
	ok(apt_release_has_arch(r, "arm64"), "has arm64");
	ok(!apt_release_has_arch(r, "riscv64"), "no riscv64");
	is_int(apt_release_pick_index(r, "main", "amd64", &e), 0, "pick main/amd64");
	is_str(e->path, "main/binary-amd64/Packages.xz", "xz preferred");
	is_int(apt_release_pick_index(r, "contrib", "amd64", &e), 0, "pick contrib/amd64");
	is_str(e->path, "contrib/binary-amd64/Packages.gz", "gz before plain");
	is_int(apt_release_pick_index(r, "main", "arm64", &e), -ENOENT, "no index for arm64");
	apt_release_info_free(r);
}

static void test_release_bad(void)
{
	struct apt_release_info *r = NULL;
	static const char no_sums[] = "Suite: x\nCodename: x\n";
	static const char bad_digest[] = "Suite: x\nSHA256:\n abc 12 main/binary-amd64/Packages\n";
	static const char bad_size[] = "Suite: x\nSHA256:\n " D1 " 12x main/Packages\n";
	static const char bad_date[] = "Suite: x\nDate: yesterday\nSHA256:\n " D1 " 1 a\n";
	static const char prefixed[] = "Components: updates/main\nSHA256:\n " D1 " 1 a\n";

	is_int(apt_release_parse(no_sums, strlen(no_sums), &r), -EBADMSG, "no SHA256 list");
	is_int(apt_release_parse(bad_digest, strlen(bad_digest), &r), -EBADMSG, "short digest");
	is_int(apt_release_parse(bad_size, strlen(bad_size), &r), -EBADMSG, "bad size");
	is_int(apt_release_parse(bad_date, strlen(bad_date), &r), -EBADMSG, "bad Date");
	is_int(apt_release_parse(prefixed, strlen(prefixed), &r), 0, "prefixed component");
	ok(r && apt_release_has_component(r, "main"), "updates/main counts as main");
	ok(r && r->valid_until == -1 && r->date == -1 && !r->by_hash, "absent fields");
	ok(r && apt_release_has_arch(r, "amd64"), "no Architectures: any arch");
	apt_release_info_free(r);
}

#define SIGNED_HEAD "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
#define SIGNATURE                                                                                  \
	"-----BEGIN PGP SIGNATURE-----\n\niHUEARYKAB0=\n=kjfT\n-----END PGP SIGNATURE-----\n"

static void test_clearsign(void)
{
	static const char good[] = SIGNED_HEAD "Suite: x\n- -not a header\nSHA256:\n " D1
					       " 1 a\n" SIGNATURE "\n";
	static const char trailing[] = SIGNED_HEAD "Suite: x\n" SIGNATURE "Suite: evil\n";
	static const char leading[] = "Suite: evil\n" SIGNED_HEAD "Suite: x\n" SIGNATURE;
	static const char twice[] =
		SIGNED_HEAD "Suite: x\n" SIGNATURE SIGNED_HEAD "Suite: y\n" SIGNATURE;
	static const char nested[] = SIGNED_HEAD "Suite: x\n" SIGNED_HEAD "Suite: y\n" SIGNATURE;
	static const char unsigned_text[] = "Suite: x\n";
	static const char no_end[] = SIGNED_HEAD "Suite: x\n-----BEGIN PGP SIGNATURE-----\nabc\n";
	_cleanup_free_ char *out = NULL;
	char *o2 = NULL;
	size_t len = 0;

	is_int(apt_clearsign_content(good, strlen(good), &out, &len), 0, "clearsigned message");
	is_str(out, "Suite: x\n-not a header\nSHA256:\n " D1 " 1 a\n", "signed text, unescaped");
	is_int(len, strlen(out ? out : ""), "length returned");
	is_int(apt_clearsign_content(trailing, strlen(trailing), &o2, NULL), -EBADMSG,
	       "text after the signature rejected");
	is_int(apt_clearsign_content(leading, strlen(leading), &o2, NULL), -EBADMSG,
	       "text before the message rejected");
	is_int(apt_clearsign_content(twice, strlen(twice), &o2, NULL), -EBADMSG,
	       "two messages rejected");
	is_int(apt_clearsign_content(nested, strlen(nested), &o2, NULL), -EBADMSG,
	       "unescaped armor line in the text rejected");
	is_int(apt_clearsign_content(unsigned_text, strlen(unsigned_text), &o2, NULL), -EBADMSG,
	       "unsigned text rejected");
	is_int(apt_clearsign_content(no_end, strlen(no_end), &o2, NULL), -EBADMSG,
	       "unterminated signature rejected");
}

static void test_armor(void)
{
	static const char one[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: test\n\n"
				  "aGVsbG8g\nd29ybGQh\n=TPLW\n-----END PGP PUBLIC KEY BLOCK-----\n";
	static const char two[] = "junk before\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
				  "aGVsbG8gd29ybGQh\n=TPLW\n-----END PGP PUBLIC KEY BLOCK-----\n"
				  "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
				  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJw==\n"
				  "=B0hJ\n"
				  "-----END PGP PUBLIC KEY BLOCK-----\n";
	static const char bad_crc[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
				      "aGVsbG8gd29ybGQh\n=AAAA\n"
				      "-----END PGP PUBLIC KEY BLOCK-----\n";
	static const char bad_b64[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
				      "aGVs*G8gd29ybGQh\n-----END PGP PUBLIC KEY BLOCK-----\n";
	static const char truncated[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\naGVsbG8g\n";
	_cleanup_free_ uint8_t *a = NULL, *b = NULL;
	uint8_t *c = NULL;
	size_t la = 0, lb = 0, lc = 0;

	ok(pgp_is_armored(one, strlen(one)), "armored detected");
	ok(!pgp_is_armored("\x99\x01\x0d", 3), "binary keyring is not armored");
	is_int(pgp_dearmor(one, strlen(one), &a, &la), 0, "dearmor with headers");
	ok(la == 12 && memcmp(a, "hello world!", 12) == 0, "dearmored bytes");
	is_int(pgp_dearmor(two, strlen(two), &b, &lb), 0, "dearmor two blocks");
	ok(lb == 52 && b && memcmp(b, "hello world!", 12) == 0 && b[12] == 0 && b[51] == 39,
	   "blocks concatenated");
	is_int(pgp_dearmor(bad_crc, strlen(bad_crc), &c, &lc), -EBADMSG, "CRC-24 checked");
	is_int(pgp_dearmor(bad_b64, strlen(bad_b64), &c, &lc), -EBADMSG, "bad base64 rejected");
	is_int(pgp_dearmor(truncated, strlen(truncated), &c, &lc), -EBADMSG, "no END line");
	is_int(pgp_dearmor("nothing", 7, &c, &lc), -EBADMSG, "no armor at all");
}

#define ST "[GNUPG:] "
#define GOOD(id, hash) ST "NEWSIG\n" ST "GOODSIG " id " Someone\n" ST "VALIDSIG F" id \
	" 2023-06-10 1686387155 0 4 0 22 " hash " 01 F" id "\n"

static void test_gpgv_status(void)
{
	char *reason = NULL;

	is_int(apt_gpgv_status_check(GOOD("AAAA", "10"), &reason), 0, "good signature");
	is_int(apt_gpgv_status_check(ST "NEWSIG\n" ST "ERRSIG BBBB 22 10 01 1 9 -\n" ST
				     "NO_PUBKEY BBBB\n" GOOD("AAAA", "8"), &reason), 0,
	       "one good signature among unknown ones");
	is_int(apt_gpgv_status_check(ST "NEWSIG\n" ST "ERRSIG BBBB 22 10 01 1 9 -\n" ST
				     "NO_PUBKEY BBBB\n", &reason), -EBADMSG, "unknown key");
	is_str(reason, "signed by unknown key BBBB", "unknown key named");
	free(reason);
	reason = NULL;
	is_int(apt_gpgv_status_check(GOOD("AAAA", "10") ST "NEWSIG\n" ST "BADSIG CCCC x\n",
				     &reason), -EBADMSG, "a bad signature fails");
	is_str(reason, "bad signature by key CCCC", "bad signature named");
	free(reason);
	reason = NULL;
	is_int(apt_gpgv_status_check(GOOD("AAAA", "2"), &reason), -EBADMSG, "SHA1 is weak");
	ok(reason && strstr(reason, "weak digest"), "weak digest named");
	free(reason);
	reason = NULL;
	is_int(apt_gpgv_status_check(ST "NEWSIG\n" ST "EXPKEYSIG DDDD x\n" ST "VALIDSIG FDDDD "
				     "2023-06-10 1 0 4 0 22 10 01 FDDDD\n", &reason), -EBADMSG,
	       "expired key fails");
	is_str(reason, "signed by expired key DDDD", "expired key named");
	free(reason);
	reason = NULL;
	is_int(apt_gpgv_status_check("", &reason), -EBADMSG, "no status at all");
	is_str(reason, "no valid signature", "generic reason");
	free(reason);
}

static void test_sources(void)
{
	static const char deb822[] =
		"# comment\n"
		"Types: deb\n"
		"URIs: http://disabled.example/debian\n"
		"Suites: bookworm\n"
		"Enabled: no\n"
		"\n"
		"Types: deb-src\n"
		"URIs: http://src.example/debian\n"
		"Suites: bookworm\n"
		"\n"
		"Types: deb\n"
		"URIs: http://security.example/debian-security\n"
		"Suites: bookworm-security\n"
		"Components: main\n"
		"\n"
		"Types: deb deb-src\n"
		"# http://snapshot.example/archive\n"
		"URIs: cdrom:/media http://mirror.example/debian/\n"
		"Suites: bookworm bookworm-updates\n"
		"Components: main\n";
	static const char oneline[] =
		"# deb http://commented.example/debian bookworm main\n"
		"deb-src http://src.example/debian bookworm main\n"
		"deb http://other.example/ubuntu jammy main\n"
		"deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] "
		"https://mirror.example/debian trixie main # trailing comment\n";
	static const char none[] = "Types: deb\nURIs: http://x.example/ubuntu\nSuites: noble\n";
	_cleanup_free_ char *a = NULL, *b = NULL;
	char *c = NULL;

	is_int(apt_sources_debian_mirror(deb822, true, false, &a), 0, "deb822 sources");
	is_str(a, "http://mirror.example/debian", "deb822: first usable Debian URI");
	is_int(apt_sources_debian_mirror(oneline, false, false, &b), 0, "one-line sources");
	is_str(b, "https://mirror.example/debian", "one-line: options skipped");
	is_int(apt_sources_debian_mirror(none, true, false, &c), -ENOENT, "no Debian suite");
	is_int(apt_sources_debian_mirror("", false, false, &c), -ENOENT, "empty sources.list");
	ok(apt_is_debian_suite("sid") && !apt_is_debian_suite("bookworm-security") &&
		   !apt_is_debian_suite("jammy"),
	   "Debian suite names");
}

static void test_security_sources(void)
{
	static const char deb822[] =
		"Types: deb\n"
		"URIs: http://mirror.example/debian\n"
		"Suites: bookworm bookworm-updates\n"
		"\n"
		"Types: deb\n"
		"Enabled: no\n"
		"URIs: http://disabled.example/debian-security\n"
		"Suites: bookworm-security\n"
		"\n"
		"Types: deb\n"
		"URIs: http://other.example/ubuntu\n"
		"Suites: noble-security\n"
		"\n"
		"Types: deb\n"
		"URIs: https://security.example/debian-security/\n"
		"Suites: bookworm-security\n";
	static const char oneline[] =
		"deb http://mirror.example/debian bookworm main\n"
		"deb-src http://src.example/debian-security bookworm-security main\n"
		"deb [trusted=no] file:///srv/sec trixie-security main\n";
	static const char none[] = "deb http://mirror.example/debian bookworm-updates main\n"
				   "deb http://x.example/debian security main\n";
	_cleanup_free_ char *a = NULL, *b = NULL;
	char *c = NULL;

	is_int(apt_sources_debian_mirror(deb822, true, true, &a), 0, "deb822 security source");
	is_str(a, "https://security.example/debian-security",
	       "deb822: enabled Debian -security suite, trimmed");
	is_int(apt_sources_debian_mirror(oneline, false, true, &b), 0, "one-line security source");
	is_str(b, "file:///srv/sec", "one-line: deb-src skipped");
	is_int(apt_sources_debian_mirror(none, false, true, &c), -ENOENT, "no -security suite");
}

/* apt_security_mirror_at: SecurityMirror=, Ubuntu's own mirror, the host's Debian -security
 * source (only without Mirror=), the Debian security archive. */
static void test_security_mirror(void)
{
	char tmpl[] = "/tmp/test-apt-sec.XXXXXX";
	const char *dir = mkdtemp(tmpl);
	_cleanup_free_ char *etc = dir ? strjoin(dir, "/etc-apt", NULL) : NULL;
	_cleanup_free_ char *d_dir = dir ? strjoin(dir, "/etc-apt/sources.list.d", NULL) : NULL;
	_cleanup_free_ char *f = d_dir ? strjoin(d_dir, "/d.sources", NULL) : NULL;
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL;
	struct recipe *rc = recipe_new();

	if (!dir || !etc || !f || !rc || mkdir_p(d_dir, 0755) < 0) {
		ok(false, "cannot set up a scratch apt directory");
		recipe_free(rc);
		return;
	}
	write_file(f, "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm\n\n"
		      "Types: deb\nURIs: http://s.example/debian-security/\n"
		      "Suites: bookworm-security\n", 0644);
	rc->distribution = DISTRO_DEBIAN;
	is_int(apt_security_mirror_at(rc, "http://m.example/debian", etc, &a), 0, "debian, host");
	is_str(a, "http://s.example/debian-security", "the host's -security source");
	rc->mirror = strdup("http://other.example/debian");
	is_int(apt_security_mirror_at(rc, rc->mirror, etc, &b), 0, "debian with Mirror=");
	is_str(b, "https://security.debian.org/debian-security", "Mirror=: the security archive");
	free(rc->mirror);
	rc->mirror = NULL;
	rc->security_mirror = strdup("file:///srv/sec");
	is_int(apt_security_mirror_at(rc, "http://m.example/debian", etc, &c), 0, "SecurityMirror=");
	is_str(c, "file:///srv/sec", "SecurityMirror= wins");
	free(rc->security_mirror);
	rc->security_mirror = NULL;
	rc->distribution = DISTRO_UBUNTU;
	is_int(apt_security_mirror_at(rc, "http://u.example/ubuntu", etc, &d), 0, "ubuntu");
	is_str(d, "http://u.example/ubuntu", "ubuntu: the release's mirror");
	rc->distribution = DISTRO_DEBIAN;
	unlink(f);
	is_int(apt_security_mirror_at(rc, "http://m.example/debian", etc, &e), 0, "no host source");
	is_str(e, "https://security.debian.org/debian-security", "no host source: the archive");
	recipe_free(rc);
	rm_rf(dir);
}

int main(void)
{
	test_dates();
	test_release();
	test_release_bad();
	test_clearsign();
	test_armor();
	test_gpgv_status();
	test_sources();
	test_security_sources();
	test_security_mirror();
	return tap_done();
}
