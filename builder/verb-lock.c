/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkimg lock: resolve the recipe's package set and write it to RECIPE.lock.  Needs no root. */
#include <errno.h>
#include <stdlib.h>

#include "bootstrap.h"
#include "fileio.h"
#include "log.h"
#include "strutil.h"
#include "verbs.h"

static int resolve_and_write(const struct mkimg_args *a, const struct recipe *r,
			     const char *workdir, const char *path)
{
	struct bootstrap_params p = { .recipe = r, .workdir = workdir, .cache_dir = a->cache_dir,
				      .offline = a->offline };
	struct bootstrap *b = NULL;
	int q;

	q = bootstrap_new(&p, &b);
	if (q >= 0)
		q = bootstrap_resolve(b);
	if (q >= 0)
		q = lock_write(b, path);
	if (q >= 0)
		log_info("wrote '%s' (%zu packages)", path, b->set->n);
	bootstrap_free(b);
	return q < 0 ? bootstrap_exit_code(q) : 0;
}

int verb_lock(const struct mkimg_args *a)
{
	_cleanup_free_ char *path = NULL, *workdir = NULL;
	struct recipe *r = NULL;
	int code, q;

	if (a->locked) {
		log_error("'mkimg lock' resolves a new lock; --locked makes no sense with it");
		return EXIT_USAGE;
	}
	code = load_recipe(a, &r);
	if (code != 0)
		return code;
	if (r->distribution == DISTRO_NONE) {
		log_error("Distribution=none installs no packages, there is nothing to lock");
		recipe_free(r);
		return EXIT_USAGE;
	}
	if (!bootstrap_supported(r->distribution)) {
		recipe_free(r);
		return EXIT_USAGE;
	}
	path = bootstrap_lock_path(r);
	q = mkdir_p(a->workspace_dir, 0755);
	workdir = strjoin(a->workspace_dir, "/mkimg-lock.XXXXXX", NULL);
	if (!path || !workdir || q < 0 || !mkdtemp(workdir)) {
		log_error_errno(q < 0 ? q : -errno, "cannot create a workspace in '%s'",
				a->workspace_dir);
		recipe_free(r);
		return EXIT_STEP_FAILED;
	}
	code = resolve_and_write(a, r, workdir, path);
	q = rm_rf(workdir);
	if (q < 0)
		log_warning_errno(q, "cannot remove '%s'", workdir);
	recipe_free(r);
	return code;
}
