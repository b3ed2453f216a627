/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * solve_deb() on synthetic Packages indexes, version pins of both families (solve_rpm() on a
 * synthetic primary.xml), and the lock file round trip.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"
#include "fileio.h"
#include "log.h"
#include "solve-rpm.h"
#include "solve.h"
#include "strutil.h"
#include "tap.h"

#define SUM "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char dir[] = "/tmp/test-solve.XXXXXX";

/* One paragraph; fields is extra "Key: value\n" lines. */
static char *para(const char *name, const char *version, const char *fields)
{
	char *p;

	if (asprintf(&p,
		     "Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: t <t@t>\n%s"
		     "Filename: pool/main/%s_%s_all.deb\nSize: 1234\nSHA256: " SUM "\n"
		     "Description: test\n\n",
		     name, version, fields, name, version) < 0)
		abort();
	return p;
}

static void write_index(const char *name, const char *const *paras)
{
	_cleanup_free_ char *path = strjoin(dir, "/", name, NULL), *text = strdup("");

	for (size_t i = 0; paras[i]; i++) {
		char *n = strjoin(text, paras[i], NULL);
		free(text);
		text = n;
	}
	if (write_file(path, text, 0644) < 0)
		abort();
}

static struct apt_index idx[2];

static int solve(char *const *pkgs, char *const *remove, bool rec, struct solve_set **ret)
{
	struct solve_request req = { .arch = "amd64", .packages = pkgs, .remove = remove,
				     .with_recommends = rec };
	return solve_deb(idx, 2, &req, ret);
}

static ssize_t pos(const struct solve_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (streq(s->pkgs[i].name, name))
			return (ssize_t)i;
	return -1;
}

static void setup(void)
{
	const char *main_idx[] = {
		para("ess", "1", "Essential: yes\nPriority: required\nDepends: esslib\n"),
		para("esslib", "1", ""),
		para("req", "1", "Priority: required\n"),
		para("apt", "1", "Depends: libsystemd0\n"),
		para("libsystemd0", "1", ""),
		para("libelogind0", "1", "Provides: libsystemd0\n"),
		para("hello", "1", "Pre-Depends: pre\nDepends: lib (>= 2)\nRecommends: extra\n"),
		para("pre", "1", ""),
		para("lib", "2", ""),
		para("lib", "1", ""),
		para("extra", "1", ""),
		para("broken", "1", "Depends: missing\n"),
		para("needsreq", "1", "Depends: req\n"),
		/* for the pins: versions in file order, an epoch, a Provides: of a pinned name */
		para("tv", "2.0", ""),
		para("tv", "1.0", ""),
		para("tv", "3.0~rc1", ""),
		para("tvuser", "1", "Depends: tv (>= 2)\n"),
		para("tvfake", "1", "Provides: tv (= 0.9), tvonly (= 1)\n"),
		para("ep", "1:1.0", ""),
		para("ep", "2.0", ""),
		NULL,
	};
	const char *contrib_idx[] = { para("lib", "3", ""), para("other", "1", ""), NULL };

	if (!mkdtemp(dir))
		abort();
	write_index("main", main_idx);
	write_index("contrib", contrib_idx);
	idx[0] = (struct apt_index){ .component = "main", .path = strjoin(dir, "/main", NULL),
				     .base_url = "http://m/debian" };
	idx[1] = (struct apt_index){ .component = "contrib",
				     .path = strjoin(dir, "/contrib", NULL),
				     .base_url = "http://m/debian/" };
}

static void test_base_set(void)
{
	char *pkgs[] = { "hello", NULL };
	struct solve_set *s = NULL;
	const struct solve_pkg *p;

	is_int(solve(pkgs, NULL, false, &s), 0, "hello resolves");
	ok(pos(s, "ess") >= 0 && pos(s, "req") >= 0 && pos(s, "apt") >= 0,
	   "base set: Essential, Priority: required, apt");
	ok(pos(s, "libsystemd0") >= 0 && pos(s, "libelogind0") < 0,
	   "a real package wins over one that only provides its name");
	ok(pos(s, "extra") < 0, "Recommends left out by default");
	p = solve_set_find(s, "lib");
	is_str(p ? p->version : NULL, "3", "the highest version of all components wins");
	is_str(p ? p->url : NULL, "http://m/debian/pool/main/lib_3_all.deb", "URL from the index");
	ok(pos(s, "pre") < pos(s, "hello") && pos(s, "lib") < pos(s, "hello"),
	   "dependencies come before their users");
	p = solve_set_find(s, "esslib");
	ok(p && p->essential && !solve_set_find(s, "hello")->essential,
	   "dependencies of essential packages join the essential phase");
	p = solve_set_find(s, "hello");
	ok(p && p->size == 1234 && streq(p->sha256, SUM), "size and sha256 from the index");
	solve_set_free(s);

	is_int(solve(pkgs, NULL, true, &s), 0, "with recommends");
	ok(pos(s, "extra") >= 0, "WithRecommends=yes brings Recommends");
	solve_set_free(s);
}

static void test_errors(void)
{
	char *missing[] = { "hello", "nope", NULL }, *broken[] = { "broken", NULL };
	char *needsreq[] = { "needsreq", NULL }, *hello[] = { "hello", NULL };
	char *rm_req[] = { "req", NULL }, *rm_pre[] = { "pre", NULL };
	struct solve_set *s = NULL;

	is_int(solve(missing, NULL, false, &s), -ENOENT, "a missing package: -ENOENT");
	is_int(solve(broken, NULL, false, &s), -ENOPKG, "an unsatisfiable dependency: -ENOPKG");
	is_int(solve(hello, rm_pre, false, &s), -EINVAL,
	       "removing what the others need: -EINVAL");
	is_int(solve(needsreq, rm_req, false, &s), -EINVAL,
	       "removing a required package something needs: -EINVAL");
	is_int(solve(hello, rm_req, false, &s), 0, "removing an unneeded required package");
	ok(pos(s, "req") < 0, "and it is not installed");
	solve_set_free(s);
}

/* solve() with stderr into a file: *ret_err is what was logged. */
static int solve_logged(char *const *pkgs, struct solve_set **ret, char **ret_err)
{
	_cleanup_free_ char *path = strjoin(dir, "/stderr", NULL);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), saved = dup(2), r;
	size_t len;

	if (fd < 0 || saved < 0)
		abort();
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	r = solve(pkgs, NULL, false, ret);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (read_full_file(path, ret_err, &len) < 0)
		abort();
	return r;
}

/* "error N", "none" or the version of name in the solved set s (freed). */
static char *version_of(int r, struct solve_set *s, const char *name)
{
	const struct solve_pkg *p;
	char *v;

	if (r < 0) {
		if (asprintf(&v, "error %d", r) < 0)
			abort();
		return v;
	}
	p = solve_set_find(s, name);
	v = strdup(p ? p->version : "none");
	solve_set_free(s);
	return v;
}

/* The version of name that Packages= pkgs installs, or the error. */
static char *pinned(char *const *pkgs, const char *name)
{
	struct solve_set *s = NULL;
	int r = solve(pkgs, NULL, false, &s);

	return version_of(r, s, name);
}

#define is_pin(entry, name, want, what)                                                            \
	do {                                                                                       \
		char *_pkgs[] = { (char *)(entry), NULL }, *_v = pinned(_pkgs, (name));           \
		is_str(_v, (want), what);                                                          \
		free(_v);                                                                          \
	} while (0)

static void test_pins(void)
{
	char *conflict[] = { "tv=1.0", "tvuser", NULL }, *user[] = { "tvuser", "tv<=2.0", NULL };
	char *missing[] = { "tv=4.0", NULL }, *fake[] = { "tv=0.9", NULL };
	char *only[] = { "tvonly=1", NULL }, *none[] = { "nope=1", NULL };
	char *rm[] = { "tv", NULL };
	struct solve_set *s = NULL;
	_cleanup_free_ char *err = NULL;

	is_pin("tv", "tv", "3.0~rc1", "unpinned: the highest version");
	is_pin("tv=1.0", "tv", "1.0", "=: exactly that version while newer ones exist");
	is_pin("tv>=1.0", "tv", "3.0~rc1", ">=: the highest of the matching versions");
	is_pin("tv<=2.0", "tv", "2.0", "<=");
	is_pin("tv<3.0", "tv", "3.0~rc1", "<: Debian's order (3.0~rc1 sorts before 3.0)");
	is_pin("tv<3.0~rc1", "tv", "2.0", "< a tilde version");
	is_pin("tv>1.0", "tv", "3.0~rc1", ">");
	is_pin("ep=1:1.0", "ep", "1:1.0", "= with an epoch");
	is_pin("ep>=2.0", "ep", "1:1.0", "an epoch outranks a higher upstream version");
	is_pin("ep<1:0", "ep", "2.0", "< an epoch");
	is_pin("ep=1.0", "ep", "error -2", "no epoch is epoch 0: 1:1.0 does not match 1.0");

	is_int(solve(user, NULL, false, &s), 0, "a pin that the dependencies allow");
	is_str(solve_set_find(s, "tv") ? solve_set_find(s, "tv")->version : NULL, "2.0",
	       "the pin and a dependency (>= 2) meet at 2.0");
	solve_set_free(s);
	is_int(solve(conflict, NULL, false, &s), -ENOPKG,
	       "a pin that a dependency rules out: a dependency problem");
	is_int(solve(fake, NULL, false, &s), -ENOENT,
	       "a Provides: of the pinned name and version is not matched");
	is_int(solve(rm, rm, false, &s), -EINVAL, "in Packages= and RemovePackages=");

	is_int(solve_logged(missing, &s, &err), -ENOENT, "no matching version: -ENOENT");
	ok(err && strstr(err, "package 'tv' has no version matching '=4.0' "
			      "(available: 1.0, 2.0, 3.0~rc1)"),
	   "the message names the entry and the versions: %s", err);
	free(err);
	err = NULL;
	is_int(solve_logged(none, &s, &err), -ENOENT, "a pinned name in no repository");
	ok(err && strstr(err, "package 'nope' not found in any repository"), "message: %s", err);
	free(err);
	err = NULL;
	is_int(solve_logged(only, &s, &err), -ENOENT, "a pinned name that is only provided");
	ok(err && strstr(err, "package 'tvonly' not found in any repository (other packages "
			      "provide it"), "message: %s", err);
}

/* One primary.xml <package>; provides is extra <rpm:entry .../> text. */
static char *rpm_pkg(const char *name, const char *epoch, const char *ver, const char *rel,
		     const char *provides)
{
	char *p;

	if (asprintf(&p,
		     "<package type=\"rpm\"><name>%s</name><arch>noarch</arch>"
		     "<version epoch=\"%s\" ver=\"%s\" rel=\"%s\"/>"
		     "<checksum type=\"sha256\" pkgid=\"YES\">" SUM "</checksum>"
		     "<location href=\"Packages/%s-%s-%s.noarch.rpm\"/><size package=\"10\"/>"
		     "<format><rpm:provides><rpm:entry name=\"%s\" flags=\"EQ\" epoch=\"%s\" "
		     "ver=\"%s\" rel=\"%s\"/>%s</rpm:provides></format></package>\n",
		     name, epoch, ver, rel, name, ver, rel, name, epoch, ver, rel, provides) < 0)
		abort();
	return p;
}

static struct rpmmd_repo rpm_repo;

static void setup_rpm(void)
{
	_cleanup_free_ char *text = strdup(
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<metadata xmlns=\"http://linux.duke.edu/metadata/common\" "
		"xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"6\">\n");
	char *pkgs[] = {
		rpm_pkg("rv", "0", "2.0", "1.el9", ""),
		rpm_pkg("rv", "0", "1.0", "1.el9", ""),
		rpm_pkg("rv", "0", "2.0", "3.el9", ""),
		rpm_pkg("rvfake", "0", "1", "1",
			"<rpm:entry name=\"rv\" flags=\"EQ\" epoch=\"0\" ver=\"9.0\" rel=\"1\"/>"),
		rpm_pkg("rep", "1", "1.0", "1", ""),
		rpm_pkg("rep", "0", "2.0", "1", ""),
	};

	for (size_t i = 0; i < ELEMENTSOF(pkgs); i++) {
		char *n = strjoin(text, pkgs[i], NULL);
		free(text);
		free(pkgs[i]);
		text = n;
	}
	rpm_repo = (struct rpmmd_repo){ .id = "baseos", .url = "http://m/9/BaseOS",
					.primary = strjoin(dir, "/primary.xml", NULL) };
	text = strjoin(text, "</metadata>\n", NULL);
	if (!text || write_file(rpm_repo.primary, text, 0644) < 0)
		abort();
}

/* The version ("EPOCH:VERSION-RELEASE") of name that rpm Packages= entry installs. */
static char *rpm_pinned(const char *entry, const char *name)
{
	char *pkgs[] = { (char *)entry, NULL };
	struct solve_rpm_request req = { .arch = "x86_64", .packages = pkgs };
	struct solve_set *s = NULL;
	int r = solve_rpm(&rpm_repo, 1, &req, &s);

	return version_of(r, s, name);
}

#define is_rpm_pin(entry, name, want, what)                                                        \
	do {                                                                                       \
		char *_v = rpm_pinned((entry), (name));                                            \
		is_str(_v, (want), what);                                                          \
		free(_v);                                                                          \
	} while (0)

static void test_rpm_pins(void)
{
	setup_rpm();
	is_rpm_pin("rv", "rv", "2.0-3.el9", "rpm: unpinned, the highest version-release");
	is_rpm_pin("rv=2.0", "rv", "2.0-3.el9", "rpm: = without a release: the highest release");
	is_rpm_pin("rv=2.0-1.el9", "rv", "2.0-1.el9", "rpm: = with a release: exactly that");
	is_rpm_pin("rv=1.0", "rv", "1.0-1.el9", "rpm: = an older version");
	is_rpm_pin("rv<2.0", "rv", "1.0-1.el9", "rpm: <");
	is_rpm_pin("rv<=2.0-2", "rv", "2.0-1.el9", "rpm: <= a version-release");
	is_rpm_pin("rv>=1.0", "rv", "2.0-3.el9", "rpm: >=, the highest");
	is_rpm_pin("rv=9.0", "rv", "error -2", "rpm: a provide of the pinned name is not matched");
	is_rpm_pin("rv=3.0", "rv", "error -2", "rpm: no matching version");
	is_rpm_pin("rep=1:1.0", "rep", "1:1.0-1", "rpm: = with an epoch");
	is_rpm_pin("rep>=2.0", "rep", "1:1.0-1", "rpm: an epoch outranks a higher version");
	is_rpm_pin("rep<1:0", "rep", "2.0-1", "rpm: < an epoch");
	is_rpm_pin("rep=1.0", "rep", "error -2", "rpm: no epoch is epoch 0, as for Debian");
	free(rpm_repo.primary);
}

static void test_lock(void)
{
	char *pkgs[] = { "hello", NULL }, *repos[] = { "main", "contrib", NULL };
	struct recipe rc = { .distribution = DISTRO_DEBIAN, .release = "bookworm",
			     .architecture = "amd64", .packages = pkgs, .repositories = repos,
			     .with_recommends = -1 };
	char *comps[] = { "main", "contrib", NULL };
	struct bootstrap_source src = { .mirror = "http://m/debian", .suite = "bookworm",
					.components = comps, .release_sha256 = SUM };
	struct bootstrap b = { .p = { .recipe = &rc }, .sources = &src, .n_sources = 1 };
	struct bootstrap back = { .p = { .recipe = &rc } };
	_cleanup_free_ char *path = strjoin(dir, "/lock", NULL);
	char *other[] = { "hello", "extra", NULL };
	bool same = true;

	is_int(solve(pkgs, NULL, false, &b.set), 0, "resolve for the lock");
	is_int(lock_write(&b, path), 0, "lock_write");
	is_int(lock_read(&back, path), 0, "lock_read");
	ok(back.set && back.set->n == b.set->n, "same number of packages");
	for (size_t i = 0; back.set && i < back.set->n && i < b.set->n; i++) {
		const struct solve_pkg *x = &b.set->pkgs[i], *y = &back.set->pkgs[i];
		same = same && streq(x->name, y->name) && streq(x->version, y->version) &&
		       streq(x->sha256, y->sha256) && streq(x->url, y->url) &&
		       x->size == y->size && x->essential == y->essential;
	}
	ok(same, "every field survives, in order");
	solve_set_free(back.set);
	back.set = NULL;
	rc.packages = other;
	is_int(lock_read(&back, path), -EINVAL, "a lock for other Packages= is refused");
	solve_set_free(back.set);
	solve_set_free(b.set);
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	setup();
	test_base_set();
	test_errors();
	test_pins();
	test_rpm_pins();
	test_lock();
	rm_rf(dir);
	return tap_done();
}
