/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cleanup.h"

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strcaseeq(a, b) (strcasecmp((a), (b)) == 0)
#define isempty(s) (!(s) || !*(s))

const char *startswith(const char *s, const char *prefix);
const char *endswith(const char *s, const char *suffix);
char *strjoin(const char *first, ...) __attribute__((sentinel));
char *strstrip(char *s); /* in place: leading and trailing whitespace */

/* NULL-terminated string vectors.  All return -ENOMEM on allocation failure. */
size_t strv_length(char *const *l);
int strv_push(char ***l, char *value);		/* takes ownership of value */
int strv_extend(char ***l, const char *value);	/* copies value */
bool strv_contains(char *const *l, const char *s);
char **strv_copy(char *const *l);
void strv_sort(char **l);

/*
 * "512M", "1.5G", "4096", "2T" -> bytes.  Suffixes K M G T P E are powers of 1024, an optional
 * trailing "B"/"iB" is accepted, "K" may be lower case.  Rejects negatives, junk, overflow.
 */
int parse_size(const char *s, uint64_t *ret);
/* Human-readable with binary units: "1.5G", "512M", "100B".  buf >= 16 bytes. */
char *format_size(char *buf, size_t len, uint64_t bytes);

int parse_bool(const char *s); /* 1, 0 or -EINVAL: yes/no true/false on/off 1/0 */
int parse_uint64(const char *s, uint64_t *ret);
int parse_int64(const char *s, int64_t *ret);

/* Edit distance, for "did you mean" suggestions. */
size_t levenshtein(const char *a, const char *b);
/* The candidate closest to word if it is close enough to be a plausible typo, else NULL. */
const char *suggest_nearest(const char *word, const char *const *candidates, size_t n);

/* 16 raw bytes <-> "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
int uuid_parse_str(const char *s, uint8_t ret[16]);
void uuid_format(const uint8_t u[16], char buf[37]);

/* JSON string escaping into a malloc'd buffer, with surrounding quotes. */
char *json_quote(const char *s);
