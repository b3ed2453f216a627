/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "pkgspec.h"
#include "strutil.h"

/* Names: Debian's [a-z0-9+.-], rpm's, and rpm provides ("perl(Foo::Bar)", "/bin/sh", "@group"). */
#define NAME_CHARS "-._+:@/()~^"
/* Versions of both families; ':' only after the epoch. */
#define VERSION_CHARS ".+~^_-"

static const struct {
	const char *op;
	int rel;
} ops[] = {
	{ ">=", PKG_REL_GT | PKG_REL_EQ }, { "<=", PKG_REL_LT | PKG_REL_EQ },
	{ "=", PKG_REL_EQ }, { ">", PKG_REL_GT }, { "<", PKG_REL_LT },
};

static int fail(char *why, size_t whylen, const char *fmt, ...) _printf_(3, 4);
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* The first character of s[0, len) that is neither alphanumeric nor in extra, or 0. */
static char bad_char(const char *s, size_t len, const char *extra)
{
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && !strchr(extra, s[i]))
			return s[i];
	return 0;
}

static int check_version(const struct pkg_spec *p, char *why, size_t whylen)
{
	const char *v = p->version, *colon = strchr(v, ':'), *rest = colon ? colon + 1 : v;
	char ch;

	if (!*v)
		return fail(why, whylen, "no version after '%s'", p->op);
	if (!is_alnum(*v))
		return fail(why, whylen, "version '%s' does not start with a letter or digit", v);
	if (colon && (strspn(v, "0123456789") != (size_t)(colon - v) || !is_alnum(*rest)))
		return fail(why, whylen, "bad epoch in version '%s' (expected EPOCH:VERSION, "
			    "EPOCH a number)", v);
	ch = bad_char(rest, strlen(rest), VERSION_CHARS);
	if (ch)
		return fail(why, whylen, "bad character '%c' in version '%s'", ch, v);
	return 0;
}

int pkg_spec_parse(const char *entry, struct pkg_spec *ret, char *why, size_t whylen)
{
	struct pkg_spec p = { .name = entry, .name_len = strcspn(entry, "<>=") };
	char ch;

	if (p.name_len == 0)
		return fail(why, whylen, "no package name");
	ch = bad_char(entry, p.name_len, NAME_CHARS);
	if (ch)
		return fail(why, whylen, "bad character '%c' in package name", ch);
	/* The name stops at '<', '>' or '='; the longest operator there wins. */
	for (size_t i = 0; entry[p.name_len] && !p.op && i < ELEMENTSOF(ops); i++)
		if (startswith(entry + p.name_len, ops[i].op)) {
			p.op = ops[i].op;
			p.rel = ops[i].rel;
			p.version = entry + p.name_len + strlen(p.op);
		}
	if (p.op && !is_alnum(entry[0]))
		return fail(why, whylen, "only a package name can have a version");
	if (p.op && check_version(&p, why, whylen) < 0)
		return -EINVAL;
	*ret = p;
	return 0;
}

bool pkg_spec_same_name(const char *a, const char *b)
{
	size_t n = strcspn(a, "<>=");

	return n == strcspn(b, "<>=") && strncmp(a, b, n) == 0;
}

bool pkg_spec_listed(char *const *list, const char *entry)
{
	for (size_t i = 0; list && list[i]; i++)
		if (pkg_spec_same_name(list[i], entry))
			return true;
	return false;
}
