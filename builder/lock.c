/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * RECIPE.lock: the exact package set of a recipe, one record per line, fields separated by
 * single spaces (no field can contain one), "#" lines are comments:
 *
 *	mkimg-lock 1
 *	distribution debian
 *	release bookworm
 *	architecture amd64
 *	inputs SHA256           digest of the recipe keys that decide the package set
 *	source MIRROR SUITE COMPONENT[,COMPONENT...] RELEASE-SHA256
 *	package NAME VERSION ARCH SIZE SHA256 essential|- FILENAME URL
 *
 * Package lines are in install order.  A --locked build installs exactly them, fetched by
 * FILENAME from the current mirror (the URL when there is none, or when the recipe picks
 * mirrors with Metalink=/MirrorList= instead) and checked against SHA256;
 * it reads no Release or Packages file, so the lock is the trust anchor: keep it with the
 * recipe, under review.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootstrap.h"
#include "fileio.h"
#include "log.h"
#include "sha256.h"
#include "strutil.h"

static int append(char **text, const char *fmt, ...) _printf_(2, 3);
static int append(char **text, const char *fmt, ...)
{
	_cleanup_free_ char *line = NULL;
	va_list ap;
	char *n;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	n = strjoin(*text ? *text : "", line, NULL);
	if (!n)
		return -ENOMEM;
	free(*text);
	*text = n;
	return 0;
}

static int append_sorted(char **text, const char *key, char *const *list)
{
	_cleanup_strv_free_ char **l = strv_copy(list ? list : (char *const[]){ NULL });
	int r = 0;

	if (!l)
		return -ENOMEM;
	strv_sort(l);
	r = append(text, "%s=", key);
	for (size_t i = 0; r >= 0 && l[i]; i++)
		r = append(text, "%s%s", i ? "," : "", l[i]);
	return r < 0 ? r : append(text, "\n");
}

int lock_inputs_digest(const struct recipe *rc, char hex[65])
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = append(&text, "distribution=%s\nrelease=%s\narchitecture=%s\nrecommends=%d\n",
		   distribution_to_string(rc->distribution), rc->release ?: "",
		   rc->architecture ?: "", rc->with_recommends > 0);
	if (r >= 0)
		r = append_sorted(&text, "repositories", rc->repositories);
	if (r >= 0)
		r = append_sorted(&text, "packages", rc->packages);
	if (r >= 0)
		r = append_sorted(&text, "remove", rc->remove_packages);
	if (r < 0)
		return r;
	sha256_buffer(text, strlen(text), hex);
	return 0;
}

static int format_lock(const struct bootstrap *b, char **ret)
{
	const struct recipe *rc = b->p.recipe;
	_cleanup_free_ char *text = NULL;
	char inputs[65];
	int r;

	r = lock_inputs_digest(rc, inputs);
	if (r >= 0)
		r = append(&text,
			   "# The exact package set of '%s', written by \"mkimg lock\".\n"
			   "# \"mkimg --locked\" installs these and nothing else.  See mkimg(1).\n"
			   "mkimg-lock 1\ndistribution %s\nrelease %s\narchitecture %s\ninputs %s\n",
			   rc->files && rc->files[0] ? rc->files[0] : "recipe",
			   distribution_to_string(rc->distribution), rc->release,
			   rc->architecture, inputs);
	for (size_t i = 0; r >= 0 && i < b->n_sources; i++) {
		const struct bootstrap_source *s = &b->sources[i];
		r = append(&text, "source %s %s ", s->mirror, s->suite);
		for (size_t j = 0; r >= 0 && s->components[j]; j++)
			r = append(&text, "%s%s", j ? "," : "", s->components[j]);
		if (r >= 0)
			r = append(&text, " %s\n", s->release_sha256 ?: "-");
	}
	for (size_t i = 0; r >= 0 && i < b->set->n; i++) {
		const struct solve_pkg *p = &b->set->pkgs[i];
		r = append(&text, "package %s %s %s %" PRIu64 " %s %s %s %s\n", p->name, p->version,
			   p->arch, p->size, p->sha256, p->essential ? "essential" : "-",
			   p->filename, p->url);
	}
	if (r < 0)
		return r;
	*ret = steal_ptr(text);
	return 0;
}

int lock_write(const struct bootstrap *b, const char *path)
{
	_cleanup_free_ char *text = NULL;
	int r;

	r = format_lock(b, &text);
	if (r < 0)
		return log_error_errno(r, "cannot format lock file '%s'", path);
	r = write_file_atomic(path, text, strlen(text), 0644);
	if (r < 0)
		return log_error_errno(r, "cannot write lock file '%s'", path);
	return 0;
}

/* Split line into exactly n space-separated words (in place). */
static int split(char *line, char **w, size_t n)
{
	char *save = NULL;
	size_t i = 0;

	for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (i == n)
			return -EINVAL;
		w[i++] = t;
	}
	return i == n ? 0 : -EINVAL;
}

static int parse_package(struct bootstrap *b, char *line)
{
	const char *mirror = b->n_sources ? b->sources[0].mirror : NULL;
	_cleanup_free_ char *url = NULL;
	struct solve_pkg p;
	char *w[8];

	if (split(line, w, 8) < 0 || parse_uint64(w[3], &p.size) < 0 || strlen(w[4]) != 64)
		return -EINVAL;
	p = (struct solve_pkg){ .name = w[0], .version = w[1], .arch = w[2], .size = p.size,
				.sha256 = w[4], .essential = streq(w[5], "essential"),
				.filename = w[6], .url = w[7] };
	if (mirror && !b->lock_urls) {
		url = strjoin(mirror, endswith(mirror, "/") ? "" : "/", p.filename, NULL);
		if (!url)
			return -ENOMEM;
		p.url = url;
	}
	return solve_set_add(b->set, &p);
}

/* The lock's source, when the recipe and the host name no mirror: where its URLs point. */
static int parse_source(struct bootstrap *b, char *line)
{
	struct bootstrap_source *s;
	char *w[4], *save = NULL;

	if (split(line, w, 4) < 0)
		return -EBADMSG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	b->sources = s;
	b->n_sources = 1;
	s->mirror = strdup(w[0]);
	s->suite = strdup(w[1]);
	s->release_sha256 = strdup(w[3]);
	for (char *c = strtok_r(w[2], ",", &save); c; c = strtok_r(NULL, ",", &save))
		if (strv_extend(&s->components, c) < 0)
			return -ENOMEM;
	return s->mirror && s->suite && s->release_sha256 ? 0 : -ENOMEM;
}

/* One "key value" header line; -EINVAL (logged by the caller) when it disagrees. */
static int check_header(const struct recipe *rc, const char *key, const char *value,
			const char *path, unsigned line)
{
	char inputs[65];
	const char *want = NULL;

	if (streq(key, "distribution"))
		want = distribution_to_string(rc->distribution);
	else if (streq(key, "release"))
		want = rc->release;
	else if (streq(key, "architecture"))
		want = rc->architecture;
	else if (streq(key, "inputs")) {
		if (lock_inputs_digest(rc, inputs) < 0)
			return -ENOMEM;
		want = inputs;
	} else
		return 0;
	if (want && streq(want, value))
		return 0;
	if (streq(key, "inputs"))
		log_error("%s:%u: the lock was made for other Packages=, RemovePackages=, "
			  "Repositories= or WithRecommends=: run \"mkimg lock\" again", path, line);
	else
		log_error("%s:%u: the lock is for %s '%s', the recipe says '%s': run \"mkimg lock\" "
			  "again", path, line, key, value, want ?: "");
	return -EINVAL;
}

static int parse_line(struct bootstrap *b, char *l, const char *path, unsigned n, bool *magic)
{
	char *sp = strchr(l, ' ');

	if (!*l || *l == '#')
		return 0;
	if (streq(l, "mkimg-lock 1")) {
		*magic = true;
		return 0;
	}
	if (!*magic || !sp)
		return -EBADMSG;
	*sp = 0;
	if (streq(l, "package"))
		return parse_package(b, sp + 1) < 0 ? -EBADMSG : 0;
	if (streq(l, "source"))
		return b->n_sources ? 0 : parse_source(b, sp + 1);
	return check_header(b->p.recipe, l, sp + 1, path, n);
}

int lock_read(struct bootstrap *b, const char *path)
{
	_cleanup_free_ char *data = NULL;
	bool magic = false;
	char *save = NULL;
	unsigned n = 0;
	int r;

	r = read_full_file(path, &data, NULL);
	if (r == -ENOENT)
		return log_error_errno(r, "lock file '%s' does not exist: run \"mkimg lock\" first",
				       path);
	if (r < 0)
		return log_error_errno(r, "cannot read lock file '%s'", path);
	b->set = solve_set_new();
	if (!b->set)
		return -ENOMEM;
	for (char *l = data; l; l = save) {
		save = strchr(l, '\n');
		if (save)
			*save++ = 0;
		n++;
		r = parse_line(b, l, path, n, &magic);
		if (r == -EBADMSG)
			return log_error_errno(-EINVAL, "%s:%u: not a valid mkimg lock line", path, n);
		if (r < 0)
			return r;
	}
	if (!magic || b->set->n == 0)
		return log_error_errno(-EINVAL, "'%s' is not an mkimg lock file (or lists no "
				       "packages)", path);
	log_info("installing the %zu packages of '%s'", b->set->n, path);
	return 0;
}
