/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Metalink= and MirrorList=: one mirror per repository and run (see rpm-mirrors.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "rpm-mirrors.h"
#include "strutil.h"

static const char *var_value(const struct rpm_mirrors *m, const char *lower_id, const char *p,
			     size_t *ret_len)
{
	const struct {
		const char *name;
		const char *value;
	} vars[] = { { "basearch", m->basearch }, { "releasever", m->releasever },
		     { "repo", lower_id } };
	bool braces = p[1] == '{';

	for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
		size_t nl = strlen(vars[i].name), skip = braces ? 2 : 1;
		const char *after = p + skip + nl;
		if (strncmp(p + skip, vars[i].name, nl) != 0)
			continue;
		if (braces ? *after != '}' : (isalnum((unsigned char)*after) || *after == '_'))
			continue;
		*ret_len = skip + nl + braces;
		return vars[i].value;
	}
	return NULL;
}

int rpm_mirrors_expand(const struct rpm_mirrors *m, const char *repo_id, char **ret)
{
	_cleanup_free_ char *lower = strdup(repo_id), *out = strdup("");

	if (!lower || !out)
		return -ENOMEM;
	for (char *c = lower; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (const char *p = m->url; *p;) {
		size_t len = 1;
		const char *v = *p == '$' ? var_value(m, lower, p, &len) : NULL;
		_cleanup_free_ char *piece = v ? strdup(v) : strndup(p, 1);
		char *n = piece ? strjoin(out, piece, NULL) : NULL;
		if (!n)
			return -ENOMEM;
		free(out);
		out = n;
		p += len;
	}
	*ret = steal_ptr(out);
	return 0;
}

int rpm_mirrors_parse_list(const char *buf, size_t len, char ***ret)
{
	_cleanup_free_ char *text = strndup(buf, len);
	_cleanup_strv_free_ char **l = NULL;
	char *save = NULL;

	if (!text)
		return -ENOMEM;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *u = strstrip(line);
		size_t n = strlen(u);
		if (!startswith(u, "http://") && !startswith(u, "https://") &&
		    !startswith(u, "file://"))
			continue; /* comments, blank lines, a service's error text */
		while (n > 7 && u[n - 1] == '/')
			u[--n] = 0;
		if (strpbrk(u, " \t") || strv_extend(&l, u) < 0)
			continue;
	}
	if (!l)
		return -ENOENT;
	*ret = steal_ptr(l);
	return 0;
}

/* ---- choosing ------------------------------------------------------------------------------ */

static int on_done(const struct fetch_result *res)
{
	char **path = res->userdata;

	*path = res->path ? strdup(res->path) : NULL;
	return !res->path || *path ? 0 : -ENOMEM;
}

/* One metadata file, now: its contents. */
static int fetch_one(struct fetch *f, const char *url, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *path = NULL;
	int r = fetch_add_meta(f, url, false, on_done, &path);

	if (r >= 0)
		r = fetch_run(f);
	if (r >= 0 && !path)
		r = -ENOENT;
	return r < 0 ? r : read_full_file(path, ret, ret_len);
}

/* Read and parse the metalink or mirror list at url into *ml (a list has no hashes). */
static int load_document(struct fetch *f, const struct rpm_mirrors *m, const char *url,
			 const char *id, struct rpmmd_metalink *ml)
{
	const char *what = m->metalink ? "metalink" : "mirror list";
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = fetch_one(f, url, &buf, &len);

	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		log_error("cannot fetch %s '%s' of repository '%s': %s", what, url, id,
			  strerror(-r));
		return r == -ENOENT ? -EHOSTUNREACH : r; /* a step failed: exit 1, not 2 */
	}
	*ml = (struct rpmmd_metalink){};
	r = m->metalink ? rpmmd_parse_metalink(buf, len, ml)
			: rpm_mirrors_parse_list(buf, len, &ml->bases);
	if (r == -ENOMEM)
		return r;
	if (r == -ENOENT)
		log_error("%s '%s' of repository '%s' lists no http, https or file mirror", what,
			  url, id);
	else if (r == -EPROTONOSUPPORT)
		log_error("metalink '%s' of repository '%s' gives no sha256 of repomd.xml", url,
			  id);
	else if (r < 0)
		log_error("'%s' of repository '%s' is not a metalink with a repomd.xml entry", url,
			  id);
	return r < 0 ? -EBADMSG : 0;
}

static bool matches(const struct rpmmd_metalink *ml, const char *hex, size_t len)
{
	for (size_t i = 0; i < ml->n_hashes; i++)
		if (streq(ml->hashes[i].sha256, hex) &&
		    (ml->hashes[i].size == 0 || ml->hashes[i].size == len))
			return true;
	return false;
}

/* Whether base serves a usable repomd.xml: *ret_sha256 its digest, else *ret_why. */
static int try_base(struct fetch *f, const struct rpmmd_metalink *ml, const char *base,
		    char **ret_sha256, char **ret_why)
{
	_cleanup_free_ char *url = strjoin(base, "/repodata/repomd.xml", NULL), *buf = NULL;
	struct rpmmd_data *d = NULL;
	size_t len = 0, n = 0;
	char hex[65];
	int r;

	if (!url)
		return -ENOMEM;
	r = fetch_one(f, url, &buf, &len);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*ret_why = strjoin("cannot fetch repomd.xml (", strerror(-r), ")", NULL);
		return *ret_why ? 0 : -ENOMEM;
	}
	sha256_buffer(buf, len, hex);
	if (ml->n_hashes && !matches(ml, hex, len)) {
		*ret_why = strdup("serves another repomd.xml than the metalink lists");
		return *ret_why ? 0 : -ENOMEM;
	}
	r = rpmmd_parse_repomd(buf, len, &d, &n);
	rpmmd_data_free(d, n);
	if (r == -EBADMSG) {
		*ret_why = strdup("serves no valid repomd.xml");
		return *ret_why ? 0 : -ENOMEM;
	}
	*ret_sha256 = strdup(hex);
	return *ret_sha256 ? 0 : -ENOMEM;
}

/* Append "BASE: why" to the summary of what the mirrors did. */
static int note(char **summary, const char *base, const char *why)
{
	char *n = strjoin(*summary ?: "", *summary ? "; " : "", base, ": ", why, NULL);

	if (!n)
		return -ENOMEM;
	free(*summary);
	*summary = n;
	return 0;
}

static int try_bases(struct fetch *f, const struct rpm_mirrors *m, const char *url,
		     const struct rpmmd_metalink *ml, struct rpmmd_repo *repo)
{
	_cleanup_free_ char *summary = NULL;
	int r = 0;

	for (size_t i = 0; ml->bases[i]; i++) {
		_cleanup_free_ char *sha = NULL, *why = NULL, *base = NULL;
		r = try_base(f, ml, ml->bases[i], &sha, &why);
		if (r >= 0 && why) {
			log_warning("mirror '%s' of repository '%s' skipped: %s", ml->bases[i],
				    repo->id, why);
			r = note(&summary, ml->bases[i], why);
		}
		if (r < 0)
			return r;
		if (why)
			continue;
		base = strdup(ml->bases[i]);
		if (!base)
			return -ENOMEM;
		free(repo->url);
		repo->url = steal_ptr(base);
		if (ml->n_hashes) {
			free(repo->repomd_pin);
			repo->repomd_pin = steal_ptr(sha);
		}
		log_info("repository '%s': mirror '%s'", repo->id, repo->url);
		return 0;
	}
	log_error("no mirror of %s '%s' serves repomd.xml of repository '%s' (%s)",
		  m->metalink ? "metalink" : "mirror list", url, repo->id,
		  summary ?: "none listed");
	return -EHOSTUNREACH;
}

int rpm_mirrors_choose(const struct rpm_mirrors *m, const struct fetch_opts *o,
		       struct rpmmd_repo *repo)
{
	struct fetch_opts fo = *o;
	struct rpmmd_metalink ml = {};
	_cleanup_free_ char *url = NULL;
	struct fetch *f = NULL;
	int r;

	/* Skipping a dead mirror is normal: one retry, quickly, and no error lines. */
	fo.quiet = true;
	fo.retries = 1;
	fo.retry_delay_ms = 250;
	r = rpm_mirrors_expand(m, repo->id, &url);
	if (r < 0)
		return r;
	r = fetch_new(&fo, &f);
	if (r < 0)
		return log_error_errno(r, "cannot set up downloads");
	log_debug("repository '%s': %s '%s'", repo->id, m->metalink ? "metalink" : "mirror list",
		  url);
	r = load_document(f, m, url, repo->id, &ml);
	if (r >= 0)
		r = try_bases(f, m, url, &ml, repo);
	rpmmd_metalink_done(&ml);
	fetch_free(f);
	return r;
}
