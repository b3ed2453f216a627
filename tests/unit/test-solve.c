/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* solve_deb() on synthetic Packages indexes, and the lock file round trip. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"
#include "fileio.h"
#include "log.h"
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
	test_lock();
	rm_rf(dir);
	return tap_done();
}
