/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the recipe parser: parse, validate, format, then parse the summary back.
 * Besides memory errors (ASan), it checks a property: the summary of a valid recipe is itself a
 * valid recipe with the same summary.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No directory in the name: relative paths stay relative, so the round trip is exact. */
#define NAME "fuzz.recipe"

static char *summarize(const char *buf, size_t len, bool *ret_valid)
{
	struct recipe *r = recipe_new();
	char err[512], *s = NULL;

	*ret_valid = false;
	if (!r)
		return NULL;
	if (recipe_parse_buffer(r, buf, len, NAME, err, sizeof(err)) >= 0) {
		free(recipe_format_full(r, true)); /* also on a recipe that was never validated */
		if (recipe_validate(r, err, sizeof(err)) >= 0) {
			*ret_valid = true;
			/* Password= is never printed, so it cannot survive the round trip. */
			free(r->password);
			r->password = NULL;
			s = recipe_format(r);
		}
	}
	recipe_free(r);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s1, *s2;
	bool valid;

	s1 = summarize((const char *)data, size, &valid);
	if (!s1)
		return 0;
	s2 = summarize(s1, strlen(s1), &valid);
	if (!valid || !s2 || strcmp(s1, s2) != 0) {
		fprintf(stderr, "summary does not round-trip:\n--- first\n%s--- second\n%s", s1,
			s2 ? s2 : "(invalid)\n");
		abort();
	}
	free(s1);
	free(s2);
	return 0;
}
