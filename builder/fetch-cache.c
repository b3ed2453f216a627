/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cache layout (see fetch.h), verification on insert, the validators kept for conditional
 * GETs, and offline mode.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch-internal.h"
#include "fileio.h"
#include "strutil.h"

int fetch_cache_init(const char *cache_dir)
{
	static const char *const dirs[] = { "blobs/sha256", "meta", "partial" };
	int r;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *p = strjoin(cache_dir, "/", dirs[i], NULL);
		if (!p)
			return -ENOMEM;
		r = mkdir_p(p, 0755);
		if (r < 0)
			return log_error_errno(r, "cannot create the cache directory '%s'", p);
	}
	return 0;
}

char *fetch_blob_path(const struct fetch *f, const char *sha256)
{
	char *p = NULL;

	if (asprintf(&p, "%s/blobs/sha256/%.2s/%s", f->cache_dir, sha256, sha256) < 0)
		return NULL;
	return p;
}

char *fetch_partial_path(const struct fetch *f, const char *sha256)
{
	return strjoin(f->cache_dir, "/partial/", sha256, NULL);
}

char *fetch_meta_path(const struct fetch *f, const char *url, const char *suffix)
{
	char h[65];

	sha256_buffer(url, strlen(url), h);
	return strjoin(f->cache_dir, "/meta/", h, suffix ? suffix : "", NULL);
}

/* Verified on insert, so a cached blob is trusted by digest; the size catches truncation. */
bool fetch_blob_cached(const struct fetch *f, const char *sha256, uint64_t size)
{
	_cleanup_free_ char *p = fetch_blob_path(f, sha256);
	struct stat st;

	return p && stat(p, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
}

int fetch_blob_insert(struct fetch *f, struct fetch_job *j, char got[65], uint64_t *got_size,
		      char **ret_path)
{
	_cleanup_free_ char *path = NULL, *dir = NULL;
	struct stat st;
	int r;

	if (fstat(j->fd, &st) < 0)
		return negative_errno();
	*got_size = (uint64_t)st.st_size;
	r = sha256_file(j->tmp, got);
	if (r < 0)
		return r;
	if (*got_size != j->size || !streq(got, j->sha256))
		return -EBADMSG;
	path = fetch_blob_path(f, j->sha256);
	dir = path ? strndup(path, strrchr(path, '/') - path) : NULL;
	if (!dir)
		return -ENOMEM;
	r = mkdir_p(dir, 0755);
	if (r < 0)
		return r;
	if (rename(j->tmp, path) < 0)
		return negative_errno();
	free(j->tmp);
	j->tmp = NULL;
	*ret_path = steal_ptr(path);
	return 0;
}

/* CACHE/meta/<h>.headers: "etag VALUE" and "mtime EPOCH" lines. */
int fetch_meta_validators(const struct fetch *f, const char *url, char **ret_etag,
			  int64_t *ret_mtime)
{
	_cleanup_free_ char *data = fetch_meta_path(f, url, NULL);
	_cleanup_free_ char *hpath = fetch_meta_path(f, url, ".headers"), *text = NULL;
	_cleanup_free_ char *etag = NULL;
	int64_t mtime = -1;
	int r;

	if (!data || !hpath)
		return -ENOMEM;
	if (!path_exists(data))
		return 0;
	r = read_full_file(hpath, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
		const char *v;
		if ((v = startswith(l, "etag ")) && !etag)
			etag = strdup(v);
		else if ((v = startswith(l, "mtime ")))
			(void)parse_int64(v, &mtime);
	}
	if (!etag && mtime < 0)
		return 0;
	*ret_etag = steal_ptr(etag);
	*ret_mtime = mtime;
	return 1;
}

int fetch_meta_store(const struct fetch *f, struct fetch_job *j, int64_t mtime,
		     char **ret_path)
{
	_cleanup_free_ char *path = fetch_meta_path(f, j->url, NULL);
	_cleanup_free_ char *hpath = fetch_meta_path(f, j->url, ".headers"), *text = NULL;
	int r;

	if (!path || !hpath)
		return -ENOMEM;
	if (rename(j->tmp, path) < 0)
		return negative_errno();
	free(j->tmp);
	j->tmp = NULL;
	if (j->etag || mtime >= 0) {
		if (asprintf(&text, "%s%s%smtime %" PRId64 "\n", j->etag ? "etag " : "",
			     j->etag ? j->etag : "", j->etag ? "\n" : "", mtime) < 0)
			return -ENOMEM;
		r = write_file_atomic(hpath, text, strlen(text), 0644);
		if (r < 0)
			return r;
	} else if (unlink(hpath) < 0 && errno != ENOENT) {
		return negative_errno();
	}
	fetch_meta_set_missing(f, j->url, false);
	*ret_path = steal_ptr(path);
	return 0;
}

/* CACHE/meta/<h>.missing records a 404 of a missing_ok URL, so offline runs know it. */
int fetch_meta_set_missing(const struct fetch *f, const char *url, bool missing)
{
	static const char *const suffixes[] = { "", ".headers" };
	_cleanup_free_ char *marker = fetch_meta_path(f, url, ".missing");

	if (!marker)
		return -ENOMEM;
	if (!missing)
		return unlink(marker) < 0 && errno != ENOENT ? negative_errno() : 0;
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		_cleanup_free_ char *p = fetch_meta_path(f, url, suffixes[i]);
		if (p)
			unlink(p);
	}
	return write_file(marker, "", 0644);
}

/* ---- offline ----------------------------------------------------------------------------- */

static bool offline_present(const struct fetch *f, const struct fetch_job *j)
{
	_cleanup_free_ char *p = NULL;

	if (!j->meta)
		return fetch_blob_cached(f, j->sha256, j->size);
	p = fetch_meta_path(f, j->url, NULL);
	if (p && path_exists(p))
		return true;
	free(p);
	p = fetch_meta_path(f, j->url, ".missing");
	return j->missing_ok && p && path_exists(p);
}

static int offline_complete(struct fetch *f, struct fetch_job *j)
{
	_cleanup_free_ char *p = j->meta ? fetch_meta_path(f, j->url, NULL)
					 : fetch_blob_path(f, j->sha256);
	char sha[65];
	struct stat st;
	int r;

	if (!p)
		return -ENOMEM;
	if (j->meta && !path_exists(p)) { /* missing_ok, and known to be missing */
		fetch_job_complete(f, j, NULL, NULL, 0, true);
		return f->error;
	}
	if (!j->meta) {
		fetch_job_complete(f, j, p, j->sha256, j->size, true);
		return f->error;
	}
	r = sha256_file(p, sha);
	if (r >= 0 && stat(p, &st) < 0)
		r = negative_errno();
	if (r < 0)
		return log_error_errno(r, "cannot read the cached copy of '%s'", j->url);
	fetch_job_complete(f, j, p, sha, (uint64_t)st.st_size, true);
	return f->error;
}

/* Everything from first on: list what is not cached (one error), else hand it all out. */
static int offline_batch(struct fetch *f, size_t first, size_t last)
{
	_cleanup_free_ char *list = NULL;
	size_t len = 0, n = 0;
	FILE *m = open_memstream(&list, &len);
	int r;

	if (!m)
		return -ENOMEM;
	for (size_t i = first; i < last; i++)
		if (!offline_present(f, f->jobs[i]))
			fprintf(m, "%s'%s'", n++ ? ", " : "", f->jobs[i]->url);
	if (fclose(m) != 0)
		return -ENOMEM;
	if (n > 0) {
		log_error("offline, and %zu file%s not in the cache '%s': %s", n,
			  n == 1 ? " is" : "s are", f->cache_dir, list);
		return -ENODATA;
	}
	for (size_t i = first; i < last; i++) {
		r = offline_complete(f, f->jobs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

int fetch_run_offline(struct fetch *f)
{
	size_t first = 0;
	int r;

	/* Callbacks may queue more: those are checked as the next batch. */
	while (first < f->n_jobs) {
		size_t last = f->n_jobs;
		r = offline_batch(f, first, last);
		if (r < 0)
			return r;
		first = last;
	}
	return 0;
}
