/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Packages= entries: "NAME", or "NAME" directly followed by one of = >= <= > < and a VERSION
 * (Debian "[EPOCH:]UPSTREAM[-REVISION]", rpm "[EPOCH:]VERSION[-RELEASE]").  Pure string
 * work: the recipe parser validates with it, the solvers split with it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The relation bits, the same values as libsolv's REL_GT, REL_EQ, REL_LT. */
#define PKG_REL_GT 1
#define PKG_REL_EQ 2
#define PKG_REL_LT 4

struct pkg_spec {
	const char *name;	/* points into the entry; name_len characters */
	size_t name_len;
	const char *op;		/* "=", ">=", "<=", ">", "<"; NULL for a plain name */
	int rel;		/* PKG_REL_* bits; 0 for a plain name */
	const char *version;	/* the rest of the entry; NULL for a plain name */
};

/*
 * Split entry.  -EINVAL if it is malformed (no name, no version, unknown operator, a character
 * that no package name or version has), with the reason in why.
 */
int pkg_spec_parse(const char *entry, struct pkg_spec *ret, char *why, size_t whylen);

/* Whether two entries name the same package, whatever their versions. */
bool pkg_spec_same_name(const char *a, const char *b);

/* Whether list has an entry that names the same package as entry. */
bool pkg_spec_listed(char *const *list, const char *entry);
