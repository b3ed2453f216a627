/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A pin is a relation "NAME OP VERSION" selected with SOLVER_SOLVABLE_NAME: libsolv then takes
 * the solvables whose own name is NAME and whose own version matches (pool_match_nevr), not the
 * ones that provide "NAME = VERSION".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <solv/evr.h>
#include <solv/repo.h>
#include <solv/solver.h>
#include <solv/util.h>

#include "log.h"
#include "solve-pin.h"
#include "strutil.h"

static bool is_candidate(Pool *pool, Id p, Id name)
{
	Solvable *s = pool_id2solvable(pool, p);

	return s->name == name && pool_installable(pool, s);
}

static int cmp_evr(const void *a, const void *b, void *userdata)
{
	return pool_evrcmp(userdata, *(const Id *)a, *(const Id *)b, EVRCMP_COMPARE);
}

/* "1.0, 2.0": the versions of the packages called name, oldest first; NULL on ENOMEM. */
static char *versions_of(Pool *pool, Id name)
{
	_cleanup_free_ char *text = strdup("");
	Queue evrs;
	Id p, pp;

	queue_init(&evrs);
	FOR_PROVIDES(p, pp, name)
		if (is_candidate(pool, p, name))
			queue_pushunique(&evrs, pool_id2solvable(pool, p)->evr);
	solv_sort(evrs.elements, evrs.count, sizeof(Id), cmp_evr, pool);
	for (int i = 0; text && i < evrs.count; i++) {
		char *n = strjoin(text, i ? ", " : "", pool_id2str(pool, evrs.elements[i]), NULL);
		free(text);
		text = n;
	}
	queue_free(&evrs);
	return steal_ptr(text);
}

static bool any_match(Pool *pool, Id name, Id rel)
{
	Id p, pp;

	FOR_PROVIDES(p, pp, rel)
		if (is_candidate(pool, p, name) &&
		    pool_match_nevr(pool, pool_id2solvable(pool, p), rel))
			return true;
	return false;
}

int solve_pin_job(Pool *pool, const char *entry, const struct pkg_spec *spec, Queue *job)
{
	Id name = pool_strn2id(pool, spec->name, (unsigned)spec->name_len, 0), rel;
	_cleanup_free_ char *versions = NULL;

	versions = name ? versions_of(pool, name) : strdup("");
	if (!versions)
		return -ENOMEM;
	if (!*versions) {
		const char *hint = name && pool_whatprovides(pool, name)
					   ? " (other packages provide it, but a version pin "
					     "selects a package by its own name)"
					   : "";
		log_error("package '%.*s' not found in any repository%s", (int)spec->name_len,
			  spec->name, hint);
		return -ENOENT;
	}
	rel = pool_rel2id(pool, name, pool_str2id(pool, spec->version, 1), spec->rel, 1);
	if (!any_match(pool, name, rel)) {
		log_error("package '%.*s' has no version matching '%s%s' (available: %s)",
			  (int)spec->name_len, spec->name, spec->op, spec->version, versions);
		return -ENOENT;
	}
	log_debug("Packages=%s: installing a version matching '%s%s'", entry, spec->op,
		  spec->version);
	queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_NAME, rel);
	return 0;
}

int solve_entry_spec(const char *entry, char *const *remove, struct pkg_spec *ret)
{
	char why[160];

	if (pkg_spec_parse(entry, ret, why, sizeof(why)) < 0) {
		log_error("invalid package '%s' in Packages=: %s", entry, why);
		return -EINVAL;
	}
	if (pkg_spec_listed(remove, entry)) {
		log_error("package '%.*s' is in both Packages= and RemovePackages=",
			  (int)ret->name_len, ret->name);
		return -EINVAL;
	}
	return 0;
}
