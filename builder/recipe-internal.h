/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by recipe.c, recipe-keys.c, recipe-validate.c and recipe-format.c; nothing else. */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "cleanup.h"
#include "recipe.h"

/* Writes "FILE:LINE: message" ("FILE: message" for line 0, plain message without a file) into
 * err and returns -EINVAL. */
int recipe_error(char *err, size_t errlen, const struct recipe_origin *at, const char *fmt, ...)
    _printf_(4, 5);

/* " (did you mean 'OPEN-X-CLOSE'?)" for the candidate closest to word, or "" if none is close.
 * Returns buf. */
const char *recipe_suggest(char *buf, size_t len, const char *word, const char *const *cands,
			   size_t n, const char *open, const char *close);

struct recipe_parse_ctx {
	struct recipe *r;
	const char *base_dir;	 /* relative paths are resolved against it; "" keeps them */
	struct recipe_origin at; /* the assignment being parsed */
	char *err;
	size_t errlen;
};

struct recipe_key;
typedef int (*recipe_key_parser)(struct recipe_parse_ctx *c, const struct recipe_key *k,
				 const char *value);

struct recipe_key {
	const char *section;
	const char *key;
	recipe_key_parser parse;
	size_t offset;	      /* of the field in struct recipe */
	const char *alias_of; /* a compat spelling or location of this key, or NULL */
};

/* Canonical entries first: the first entry for a key name is its home section. */
extern const struct recipe_key recipe_keys[];
extern const size_t recipe_n_keys;

/* recipe_error() at the assignment being parsed. */
int recipe_parse_error(struct recipe_parse_ctx *c, const char *fmt, ...) _printf_(2, 3);

/* Where to blame a problem with key: its last assignment, else the first recipe file. */
struct recipe_origin recipe_blame(const struct recipe *r, const char *key);
