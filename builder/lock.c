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
 *	source MIRROR SUITE COMPONENT[,COMPONENT...] RELEASE-SHA256	one per suite
 *	package NAME VERSION ARCH SIZE SHA256 essential|- FILENAME URL
 *
 * Package lines are in install order.  A --locked build installs exactly them, fetched by
 * FILENAME from the current mirror of its suite (the URL when there is none, or when the recipe picks
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
	/* Only when on: locks made before Updates= existed (release suite only) stay valid. */
	if (r >= 0 && recipe_updates_enabled(rc))
		r = append(&text, "updates=1\n");
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

struct lock_reader {
	struct bootstrap *b;
	struct bootstrap_source *locked;	/* the lock's source lines */
	size_t n_locked;
	bool magic;
};

static void sources_free(struct bootstrap_source *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i].mirror);
		free(s[i].suite);
		strv_free(s[i].components);
		free(s[i].release_sha256);
	}
	free(s);
}

/* Length of mirror as a prefix of url ("/srv/r" stands for "file:///srv/r"), 0 if it is not. */
static size_t mirror_prefix(const char *mirror, const char *url)
{
	size_t n;

	if (mirror[0] == '/') {
		if (!startswith(url, "file://"))
			return 0;
		n = mirror_prefix(mirror, url + strlen("file://"));
		return n ? n + strlen("file://") : 0;
	}
	n = strlen(mirror);
	while (n > 0 && mirror[n - 1] == '/')
		n--;
	return n > 0 && strncmp(mirror, url, n) == 0 && url[n] == '/' ? n : 0;
}

/* The current mirror for a package the lock fetched from url: the recipe's mirror of the suite
 * whose lock source url is under; NULL to keep url. */
static const char *current_mirror(const struct lock_reader *lr, const char *url)
{
	const struct bootstrap *b = lr->b;
	const char *suite = NULL;
	size_t best = 0, n;

	if (b->n_sources == 0 || b->lock_urls)
		return NULL;
	for (size_t i = 0; i < lr->n_locked; i++)
		if ((n = mirror_prefix(lr->locked[i].mirror, url)) > best) {
			best = n;
			suite = lr->locked[i].suite;
		}
	for (size_t i = 0; suite && i < b->n_sources; i++)
		if (streq(b->sources[i].suite, suite))
			return b->sources[i].mirror;
	/* One source (older locks, rpm): its mirror, whatever the URL. */
	return lr->n_locked <= 1 ? b->sources[0].mirror : NULL;
}

static int parse_package(struct lock_reader *lr, char *line)
{
	_cleanup_free_ char *url = NULL;
	const char *mirror;
	struct solve_pkg p;
	char *w[8];

	if (split(line, w, 8) < 0 || parse_uint64(w[3], &p.size) < 0 || strlen(w[4]) != 64)
		return -EINVAL;
	p = (struct solve_pkg){ .name = w[0], .version = w[1], .arch = w[2], .size = p.size,
				.sha256 = w[4], .essential = streq(w[5], "essential"),
				.filename = w[6], .url = w[7] };
	mirror = current_mirror(lr, p.url);
	if (mirror) {
		url = strjoin(mirror, endswith(mirror, "/") ? "" : "/", p.filename, NULL);
		if (!url)
			return -ENOMEM;
		p.url = url;
	}
	return solve_set_add(lr->b->set, &p);
}

/* A source line: where the lock's URLs point, per suite. */
static int parse_source(struct lock_reader *lr, char *line)
{
	struct bootstrap_source *s;
	char *w[4], *save = NULL;

	if (split(line, w, 4) < 0)
		return -EBADMSG;
	s = reallocarray(lr->locked, lr->n_locked + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	lr->locked = s;
	s = &lr->locked[lr->n_locked++];
	*s = (struct bootstrap_source){ 0 };
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
			  "Repositories=, Updates= or WithRecommends=: run \"mkimg lock\" again",
			  path, line);
	else
		log_error("%s:%u: the lock is for %s '%s', the recipe says '%s': run \"mkimg lock\" "
			  "again", path, line, key, value, want ?: "");
	return -EINVAL;
}

static int parse_line(struct lock_reader *lr, char *l, const char *path, unsigned n)
{
	char *sp = strchr(l, ' ');

	if (!*l || *l == '#')
		return 0;
	if (streq(l, "mkimg-lock 1")) {
		lr->magic = true;
		return 0;
	}
	if (!lr->magic || !sp)
		return -EBADMSG;
	*sp = 0;
	if (streq(l, "package"))
		return parse_package(lr, sp + 1) < 0 ? -EBADMSG : 0;
	if (streq(l, "source"))
		return parse_source(lr, sp + 1);
	return check_header(lr->b->p.recipe, l, sp + 1, path, n);
}

static int parse_lock(struct lock_reader *lr, char *data, const char *path)
{
	char *save = NULL;
	unsigned n = 0;
	int r;

	for (char *l = data; l; l = save) {
		save = strchr(l, '\n');
		if (save)
			*save++ = 0;
		n++;
		r = parse_line(lr, l, path, n);
		if (r == -EBADMSG)
			return log_error_errno(-EINVAL, "%s:%u: not a valid mkimg lock line", path, n);
		if (r < 0)
			return r;
	}
	if (!lr->magic || lr->b->set->n == 0)
		return log_error_errno(-EINVAL, "'%s' is not an mkimg lock file (or lists no "
				       "packages)", path);
	return 0;
}

int lock_read(struct bootstrap *b, const char *path)
{
	_cleanup_free_ char *data = NULL;
	struct lock_reader lr = { .b = b };
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
	r = parse_lock(&lr, data, path);
	if (r >= 0 && b->n_sources == 0) {
		/* No mirror: the lock's sources are the image's. */
		b->sources = steal_ptr(lr.locked);
		b->n_sources = lr.n_locked;
	}
	sources_free(lr.locked, lr.locked ? lr.n_locked : 0);
	if (r < 0)
		return r;
	log_info("installing the %zu packages of '%s'", b->set->n, path);
	return 0;
}
