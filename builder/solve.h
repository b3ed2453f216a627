/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Package resolution with libsolv: which packages, in which order, make the image.  The
 * result is a plain list that the bootstraps install and "mkimg lock" writes down; it does not
 * point back into libsolv.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apt-repo.h"

struct solve_pkg {
	char *name, *version, *arch;
	char *filename;		/* relative to the mirror (Packages' Filename:) */
	char *url;		/* where to fetch it */
	char *sha256;		/* from the signed index */
	uint64_t size;
	bool essential;		/* Essential: yes, or a dependency of one (the first dpkg phase) */
};

struct solve_set {
	struct solve_pkg *pkgs;	/* install order: dependencies before their users */
	size_t n;
};

struct solve_request {
	const char *arch;		/* amd64, ...; "all" packages are always candidates */
	char *const *packages;		/* the recipe's Packages=: names, pins (pkgspec.h) */
	char *const *remove;		/* RemovePackages=: never installed */
	char *const *extra;		/* the bootstrap's own wishes (usr-is-merged), if they exist */
	bool with_recommends;
};

/*
 * Resolve base set (Essential: yes, Priority: required, apt) + packages over all indexes.
 * Logs.  Returns -ENOENT when a requested package is in no index or no version of it matches
 * its pin (recipe error), -EINVAL when RemovePackages= takes away something the rest needs,
 * -ENOPKG when the dependencies cannot be satisfied (libsolv's explanation is logged), other
 * -errno on I/O errors.
 */
int solve_deb(const struct apt_index *indexes, size_t n_indexes, const struct solve_request *req,
	      struct solve_set **ret);

struct solve_set *solve_set_new(void);
/* Append a copy of p. */
int solve_set_add(struct solve_set *s, const struct solve_pkg *p);
const struct solve_pkg *solve_set_find(const struct solve_set *s, const char *name);
void solve_set_free(struct solve_set *s);
