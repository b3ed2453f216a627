/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recipe parsing: INI assignments are dispatched to the key table (recipe-keys.c), unknown
 * sections and keys get "did you mean" suggestions, and every key remembers its file:line.
 * Parsing does no I/O; recipe_load() reads a file and its drop-ins.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "ini.h"
#include "recipe-internal.h"
#include "strutil.h"

static const char *const sections[] = {"Distribution", "Output", "Packages", "Content",
				       "Validation"};

static bool section_known(const char *section)
{
	for (size_t i = 0; i < ELEMENTSOF(sections); i++)
		if (streq(sections[i], section))
			return true;
	return false;
}

/* Shared helpers (recipe-internal.h) */

int recipe_error(char *err, size_t errlen, const struct recipe_origin *at, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!err || errlen == 0)
		return -EINVAL;
	if (at && at->file && at->line > 0)
		snprintf(err, errlen, "%s:%u: %s", at->file, at->line, msg);
	else if (at && at->file)
		snprintf(err, errlen, "%s: %s", at->file, msg);
	else
		snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

const char *recipe_suggest(char *buf, size_t len, const char *word, const char *const *cands,
			   size_t n, const char *open, const char *close)
{
	const char *best = suggest_nearest(word, cands, n);

	if (best)
		snprintf(buf, len, " (did you mean %s%s%s?)", open, best, close);
	else if (len > 0)
		buf[0] = 0;
	return buf;
}

const struct recipe_origin *recipe_origin_of(const struct recipe *r, const char *key)
{
	for (size_t i = 0; i < r->n_origins; i++)
		if (streq(r->origins[i].key, key))
			return &r->origins[i].origin;
	return NULL;
}

struct recipe_origin recipe_blame(const struct recipe *r, const char *key)
{
	const struct recipe_origin *o = key ? recipe_origin_of(r, key) : NULL;

	if (o)
		return *o;
	return (struct recipe_origin){.file = r->files && r->files[0] ? r->files[0] : "recipe"};
}

int recipe_parse_error(struct recipe_parse_ctx *c, const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return recipe_error(c->err, c->errlen, &c->at, "%s", msg);
}

/* Lifecycle */

struct recipe *recipe_new(void)
{
	struct recipe *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->repository_key_check = -1;
	r->updates = -1;
	r->bootable = -1;
	r->compress = -1;
	r->with_docs = -1;
	r->with_recommends = -1;
	r->password_is_hashed = -1;
	return r;
}

void recipe_free(struct recipe *r)
{
	if (!r)
		return;
	strv_free(r->files);
	free(r->release);
	free(r->mirror);
	free(r->metalink);
	free(r->mirror_list);
	free(r->architecture);
	strv_free(r->repositories);
	free(r->repository_key);
	free(r->security_mirror);
	free(r->output);
	strv_free(r->packages);
	strv_free(r->remove_packages);
	free(r->password);
	free(r->hostname);
	free(r->timezone);
	free(r->locale);
	strv_free(r->base_trees);
	strv_free(r->extra_trees);
	free(r->postinst_script);
	strv_free(r->enable_units);
	free(r->origins);
	free(r);
}

static const struct recipe_key *key_lookup(const char *section, const char *key)
{
	for (size_t i = 0; i < recipe_n_keys; i++)
		if (streq(recipe_keys[i].section, section) && streq(recipe_keys[i].key, key))
			return &recipe_keys[i];
	return NULL;
}

static const struct recipe_key *key_home(const char *key)
{
	for (size_t i = 0; i < recipe_n_keys; i++)
		if (streq(recipe_keys[i].key, key))
			return &recipe_keys[i];
	return NULL;
}

static int unknown_key(struct recipe_parse_ctx *c, const char *section, const char *key)
{
	const char *cands[64], *best;
	const struct recipe_key *home;
	char sugg[160];
	size_t n = 0;

	if (!section_known(section))
		return recipe_parse_error(c, "unknown section [%s]%s", section,
					  recipe_suggest(sugg, sizeof(sugg), section, sections,
							 ELEMENTSOF(sections), "[", "]"));
	home = key_home(key);
	if (home)
		return recipe_parse_error(c, "key '%s' belongs in [%s], not in [%s]", key,
					  home->section, section);
	for (size_t i = 0; i < recipe_n_keys && n < ELEMENTSOF(cands); i++)
		if (streq(recipe_keys[i].section, section))
			cands[n++] = recipe_keys[i].key;
	recipe_suggest(sugg, sizeof(sugg), key, cands, n, "'", "'");
	if (!*sugg) {
		for (n = 0; n < recipe_n_keys && n < ELEMENTSOF(cands); n++)
			cands[n] = recipe_keys[n].key;
		best = suggest_nearest(key, cands, n);
		if (best)
			snprintf(sugg, sizeof(sugg), " (did you mean '%s' in [%s]?)", best,
				 key_home(best)->section);
	}
	return recipe_parse_error(c, "unknown key '%s' in [%s]%s", key, section, sugg);
}

static int origin_set(struct recipe *r, const char *key, const struct recipe_origin *at)
{
	struct recipe_key_origin *n;

	for (size_t i = 0; i < r->n_origins; i++)
		if (streq(r->origins[i].key, key)) {
			r->origins[i].origin = *at;
			return 0;
		}
	n = realloc(r->origins, (r->n_origins + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->origins = n;
	r->origins[r->n_origins++] = (struct recipe_key_origin){.key = key, .origin = *at};
	return 0;
}

static int on_assignment(const char *section, const char *key, const char *value,
			 const struct ini_pos *pos, void *userdata)
{
	struct recipe_parse_ctx *c = userdata;
	const struct recipe_key *k = key_lookup(section, key);
	int r;

	c->at.line = pos->line;
	if (!k)
		return unknown_key(c, section, key);
	for (const char *p = value; *p; p++)
		if (((unsigned char)*p < ' ' && *p != '\t' && *p != '\n') || *p == 0x7f)
			return recipe_parse_error(c, "%s= contains a control character", key);
	r = k->parse(c, k, value);
	if (r < 0)
		return r;
	return origin_set(c->r, k->alias_of ? k->alias_of : k->key, &c->at);
}

/* The file's name as stored in r->files (added on first use); origins point at it. */
static const char *file_register(struct recipe *r, const char *file)
{
	size_t n = strv_length(r->files);

	for (size_t i = 0; i < n; i++)
		if (streq(r->files[i], file))
			return r->files[i];
	if (strv_extend(&r->files, file) < 0)
		return NULL;
	return r->files[n];
}

static int parse_internal(struct recipe *r, const char *buf, size_t len, const char *file,
			  const char *base_dir, char *err, size_t errlen)
{
	struct recipe_parse_ctx c = {.r = r, .base_dir = base_dir, .err = err, .errlen = errlen};
	struct ini_error ie = {0};
	int q;

	if (err && errlen)
		err[0] = 0;
	c.at.file = file_register(r, file ? file : "recipe");
	if (!c.at.file)
		return -ENOMEM;
	q = ini_parse_buffer(buf, len, c.at.file, on_assignment, &c, &ie);
	if (q == -EBADMSG) {
		c.at.line = ie.line;
		return recipe_error(err, errlen, &c.at, "%s", ie.msg ? ie.msg : "syntax error");
	}
	if (q == -ENOMEM && err && errlen && !err[0])
		snprintf(err, errlen, "%s: out of memory", c.at.file);
	return q < 0 ? q : 0;
}

int recipe_parse_buffer(struct recipe *r, const char *buf, size_t len, const char *file, char *err,
			size_t errlen)
{
	const char *slash = file ? strrchr(file, '/') : NULL;
	_cleanup_free_ char *dir = NULL;

	/* Pure: paths are resolved against the directory part of the file name as given. */
	if (slash) {
		dir = slash == file ? strdup("/") : strndup(file, (size_t)(slash - file));
		if (!dir)
			return -ENOMEM;
	}
	return parse_internal(r, buf, len, file, dir ? dir : "", err, errlen);
}

static int load_file(struct recipe *r, const char *path, char *err, size_t errlen)
{
	_cleanup_free_ char *buf = NULL, *dir = NULL, *base = NULL;
	const char *slash = strrchr(path, '/');
	size_t len;
	int q;

	q = read_full_file(path, &buf, &len);
	if (q < 0) {
		snprintf(err, errlen, "cannot read recipe '%s': %s", path, strerror(-q));
		return q;
	}
	/* Relative paths in the file are relative to its directory, made absolute here. */
	dir = slash ? (slash == path ? strdup("/") : strndup(path, (size_t)(slash - path)))
		    : strdup(".");
	if (!dir)
		return -ENOMEM;
	base = realpath(dir, NULL);
	if (!base) {
		q = negative_errno();
		snprintf(err, errlen, "cannot resolve the directory of recipe '%s': %s", path,
			 strerror(-q));
		return q;
	}
	return parse_internal(r, buf, len, path, base, err, errlen);
}

/* mkosi's mkosi.default.d/ and mkosi.conf.d/: every RECIPE.d/ *.conf, in name order. */
static int load_dropins(struct recipe *r, const char *path, char *err, size_t errlen)
{
	_cleanup_free_ char *dir = strjoin(path, ".d", NULL);
	_cleanup_strv_free_ char **names = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int q;

	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		q = negative_errno();
		snprintf(err, errlen, "cannot open recipe drop-in directory '%s': %s", dir,
			 strerror(-q));
		return q;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && endswith(de->d_name, ".conf") &&
		    strv_extend(&names, de->d_name) < 0)
			return -ENOMEM;
	if (names)
		strv_sort(names);
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_free_ char *p = strjoin(dir, "/", names[i], NULL);

		if (!p)
			return -ENOMEM;
		q = load_file(r, p, err, errlen);
		if (q < 0)
			return q;
	}
	return 0;
}

int recipe_load(struct recipe *r, const char *path, char *err, size_t errlen)
{
	int q = load_file(r, path, err, errlen);

	return q < 0 ? q : load_dropins(r, path, err, errlen);
}
