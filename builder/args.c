/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* From argv to a validated recipe: find the file, parse it, lay command-line options on top. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "strutil.h"
#include "verbs.h"

static const char *const default_recipes[] = { "mkimg.recipe", "mkosi.conf", "mkosi.default" };

static int find_recipe(const struct mkimg_args *a, const char **ret)
{
	if (a->recipe) {
		*ret = a->recipe;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(default_recipes); i++)
		if (access(default_recipes[i], F_OK) == 0) {
			*ret = default_recipes[i];
			return 0;
		}
	log_error("no recipe given and none of mkimg.recipe, mkosi.conf, mkosi.default found in "
		  "the current directory");
	return -ENOENT;
}

static int add_override(char **ini, const char *section, const char *key, const char *value)
{
	char *n;

	if (strchr(value, '\n'))
		return log_error_errno(-EINVAL, "option value for %s= contains a newline", key);
	if (asprintf(&n, "%s[%s]\n%s=%s\n", *ini ? *ini : "", section, key, value) < 0)
		return -ENOMEM;
	free(*ini);
	*ini = n;
	return 0;
}

/* Options that name files are relative to the current directory, not the recipe's. */
static int absolute_output(const char *output, char **ret)
{
	char cwd[PATH_MAX];

	if (output[0] == '/') {
		*ret = strdup(output);
		return *ret ? 0 : -ENOMEM;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	*ret = strjoin(cwd, "/", output, NULL);
	return *ret ? 0 : -ENOMEM;
}

/* The command line as an INI text, parsed by the recipe parser like any other file. */
static int build_overrides(const struct mkimg_args *a, char **ret)
{
	_cleanup_free_ char *ini = NULL, *output = NULL;
	int r = 0;

	if (a->output) {
		r = absolute_output(a->output, &output);
		if (r >= 0)
			r = add_override(&ini, "Output", "Output", output);
	}
	if (r >= 0 && a->format)
		r = add_override(&ini, "Output", "Format", a->format);
	if (r >= 0 && a->size)
		r = add_override(&ini, "Output", "Size", a->size);
	if (r >= 0 && a->seed)
		r = add_override(&ini, "Output", "Seed", a->seed);
	if (r >= 0 && a->distribution)
		r = add_override(&ini, "Distribution", "Distribution", a->distribution);
	if (r >= 0 && a->release)
		r = add_override(&ini, "Distribution", "Release", a->release);
	if (r >= 0 && a->mirror)
		r = add_override(&ini, "Distribution", "Mirror", a->mirror);
	for (size_t i = 0; r >= 0 && a->packages && a->packages[i]; i++)
		r = add_override(&ini, "Packages", "Packages", a->packages[i]);
	if (r >= 0 && a->password)
		r = add_override(&ini, "Content", "Password", a->password);
	if (r >= 0 && a->hostname)
		r = add_override(&ini, "Content", "Hostname", a->hostname);
	if (r < 0)
		return r;
	*ret = steal_ptr(ini);
	return 0;
}

int load_recipe(const struct mkimg_args *a, struct recipe **ret)
{
	_cleanup_free_ char *overrides = NULL;
	struct recipe *rc;
	const char *path;
	char err[1024];
	int r;

	r = find_recipe(a, &path);
	if (r < 0)
		return EXIT_USAGE;
	rc = recipe_new();
	if (!rc)
		return log_error_errno(-ENOMEM, "cannot load recipe"), EXIT_STEP_FAILED;
	r = recipe_load(rc, path, err, sizeof(err));
	if (r >= 0)
		r = build_overrides(a, &overrides);
	if (r >= 0 && overrides)
		r = recipe_parse_buffer(rc, overrides, strlen(overrides), "command line", err,
					sizeof(err));
	if (r >= 0)
		r = recipe_validate(rc, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		recipe_free(rc);
		return r == -ENOMEM ? EXIT_STEP_FAILED : EXIT_USAGE;
	}
	*ret = rc;
	return 0;
}
