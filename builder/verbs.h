/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What main.c parsed from argv, handed to the verbs.  Verbs return the process exit code. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "recipe.h"

enum {
	EXIT_STEP_FAILED = 1,	/* a build step failed */
	EXIT_USAGE = 2,		/* usage, recipe or settings error: change the input */
	EXIT_HOST = 3,		/* host prerequisite missing: not root, no loop support, ... */
};

struct mkimg_args {
	const char *recipe;		/* NULL: look for mkimg.recipe, mkosi.conf, mkosi.default */
	const char *output;
	const char *format;
	const char *distribution;
	const char *release;
	const char *mirror;
	char **packages;
	const char *password;
	const char *hostname;
	const char *size;
	const char *seed;
	const char *cache_dir;
	const char *workspace_dir;
	bool force;
	bool all;			/* clean --all */
	bool offline;			/* use only the cache */
	bool locked;			/* install exactly RECIPE.lock */
};

/* Find, load, override from argv and validate the recipe.  Logs; returns an exit code. */
int load_recipe(const struct mkimg_args *a, struct recipe **ret);

int verb_build(const struct mkimg_args *a);
int verb_summary(const struct mkimg_args *a);
int verb_clean(const struct mkimg_args *a);
int verb_lock(const struct mkimg_args *a);
