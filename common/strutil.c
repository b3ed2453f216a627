/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strutil.h"

const char *startswith(const char *s, const char *prefix)
{
	size_t l = strlen(prefix);

	return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

const char *endswith(const char *s, const char *suffix)
{
	size_t sl = strlen(s), xl = strlen(suffix);

	if (xl > sl)
		return NULL;
	return streq(s + sl - xl, suffix) ? s + sl - xl : NULL;
}

char *strjoin(const char *first, ...)
{
	va_list ap;
	size_t len = 0;
	char *r, *p;

	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		len += strlen(s);
	va_end(ap);

	r = p = malloc(len + 1);
	if (!r)
		return NULL;
	va_start(ap, first);
	for (const char *s = first; s; s = va_arg(ap, const char *))
		p = stpcpy(p, s);
	va_end(ap);
	return r;
}

char *strstrip(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*e = 0;
	return s;
}

size_t strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

void strv_free(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

int strv_push(char ***l, char *value)
{
	size_t n = strv_length(*l);
	char **nl;

	if (!value)
		return -ENOMEM;
	nl = realloc(*l, (n + 2) * sizeof(char *));
	if (!nl) {
		free(value);
		return -ENOMEM;
	}
	nl[n] = value;
	nl[n + 1] = NULL;
	*l = nl;
	return 0;
}

int strv_extend(char ***l, const char *value)
{
	return strv_push(l, strdup(value));
}

bool strv_contains(char *const *l, const char *s)
{
	for (size_t i = 0; l && l[i]; i++)
		if (streq(l[i], s))
			return true;
	return false;
}

char **strv_copy(char *const *l)
{
	char **r = calloc(1, sizeof(char *));

	for (size_t i = 0; r && l && l[i]; i++)
		if (strv_extend(&r, l[i]) < 0) {
			strv_free(r);
			return NULL;
		}
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **l)
{
	qsort(l, strv_length(l), sizeof(char *), cmp_str);
}

static int size_suffix_shift(const char *suffix, unsigned *ret)
{
	static const char units[] = "KMGTPE";
	const char *u;

	if (*suffix == 0 || strcaseeq(suffix, "B")) {
		*ret = 0;
		return 0;
	}
	u = strchr(units, toupper((unsigned char)suffix[0]));
	if (!u)
		return -EINVAL;
	suffix++;
	if (*suffix && !strcaseeq(suffix, "B") && !strcaseeq(suffix, "iB"))
		return -EINVAL;
	*ret = 10 * (unsigned)(u - units + 1);
	return 0;
}

int parse_size(const char *s, uint64_t *ret)
{
	uint64_t whole = 0, frac = 0, frac_div = 1, r;
	unsigned shift;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++)
			if (frac_div < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
	}
	while (*p == ' ')
		p++;
	if (size_suffix_shift(p, &shift) < 0)
		return -EINVAL;
	if (shift && whole > (UINT64_MAX >> shift))
		return -ERANGE;
	r = whole << shift;
	if (frac) {
		if (shift == 0)
			return -EINVAL; /* fractional bytes */
		uint64_t f = (frac << shift) / frac_div;
		if (r > UINT64_MAX - f)
			return -ERANGE;
		r += f;
	}
	*ret = r;
	return 0;
}

char *format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "KMGTPE";
	unsigned i;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 "B", bytes);
		return buf;
	}
	for (i = 0; i < sizeof(units) - 1; i++) {
		uint64_t div = 1ULL << (10 * (i + 1));
		if (bytes / div < 1024 || i == sizeof(units) - 2) {
			if (bytes % div == 0)
				snprintf(buf, len, "%" PRIu64 "%c", bytes / div, units[i]);
			else
				snprintf(buf, len, "%.1f%c", (double)bytes / (double)div, units[i]);
			break;
		}
	}
	return buf;
}

int parse_bool(const char *s)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcaseeq(s, yes[i]))
			return 1;
		if (strcaseeq(s, no[i]))
			return 0;
	}
	return -EINVAL;
}

int parse_uint64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int parse_int64(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	if (isempty(s) || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return -errno;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), *row, r;

	row = malloc((lb + 1) * sizeof(size_t));
	if (!row)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) ==
					      tolower((unsigned char)b[j - 1])
					      ? 0
					      : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	r = row[lb];
	free(row);
	return r;
}

const char *suggest_nearest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, limit = strlen(word) / 3 + 1;

	if (limit > 3)
		limit = 3;
	for (size_t i = 0; i < n; i++) {
		size_t d = levenshtein(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int uuid_parse_str(const char *s, uint8_t ret[16])
{
	uint8_t u[16];
	size_t n = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36; i++) {
		bool dash_pos = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash_pos != (s[i] == '-'))
			return -EINVAL;
		if (dash_pos)
			continue;
		int hi = unhex(s[i]), lo = unhex(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		u[n++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	memcpy(ret, u, 16);
	return 0;
}

void uuid_format(const uint8_t u[16], char buf[37])
{
	snprintf(buf, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
		 u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
}

char *json_quote(const char *s)
{
	size_t len = 3;
	char *r, *p;

	for (const char *c = s; *c; c++)
		len += (unsigned char)*c < 0x20 || *c == '"' || *c == '\\' ? 6 : 1;
	r = p = malloc(len);
	if (!r)
		return NULL;
	*p++ = '"';
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\') {
			*p++ = '\\';
			*p++ = (char)*c;
		} else if (*c == '\n') {
			p = stpcpy(p, "\\n");
		} else if (*c == '\t') {
			p = stpcpy(p, "\\t");
		} else if (*c < 0x20) {
			p += sprintf(p, "\\u%04x", *c);
		} else {
			*p++ = (char)*c;
		}
	}
	*p++ = '"';
	*p = 0;
	return r;
}
