/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mkimg summary: the effective recipe after all files and command-line options. */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "verbs.h"

int verb_summary(const struct mkimg_args *a)
{
	struct recipe *r = NULL;
	char *text;
	int code;

	code = load_recipe(a, &r);
	if (code != 0)
		return code;
	text = recipe_format(r);
	recipe_free(r);
	if (!text)
		return log_error_errno(-ENOMEM, "cannot format recipe"), EXIT_STEP_FAILED;
	fputs(text, stdout);
	free(text);
	return 0;
}
