/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The transfer queue: jobs are started while there are free slots (o.parallel in total,
 * o.per_host per host), a job that failed transiently waits for its backoff, and each
 * finished job's callback runs right away so the caller can work while the rest downloads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fetch-internal.h"
#include "strutil.h"

uint64_t fetch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void fetch_job_free(struct fetch_job *j)
{
	if (!j)
		return;
	free(j->url);
	free(j->host);
	free(j->sha256);
	free(j->what);
	free(j->against);
	free(j->tmp);
	free(j->etag);
	free(j);
}

static void apply_defaults(struct fetch_opts *o)
{
	if (!o->parallel)
		o->parallel = 8;
	if (!o->per_host)
		o->per_host = 4;
	if (o->per_host > o->parallel)
		o->per_host = o->parallel;
	if (!o->retries)
		o->retries = 3;
	if (!o->timeout_s)
		o->timeout_s = 60;
	if (!o->retry_delay_ms)
		o->retry_delay_ms = 1000;
}

int fetch_new(const struct fetch_opts *o, struct fetch **ret)
{
	struct fetch *f;
	int r;

	if (!o || isempty(o->cache_dir))
		return -EINVAL;
	r = fetch_cache_init(o->cache_dir);
	if (r < 0)
		return r;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->o = *o;
	apply_defaults(&f->o);
	f->cache_dir = strdup(o->cache_dir);
	f->phase = strdup("fetch");
	f->unit = strdup("files");
	f->running = calloc(f->o.parallel, sizeof(*f->running));
	f->multi = curl_multi_init();
	if (!f->cache_dir || !f->phase || !f->unit || !f->running || !f->multi) {
		fetch_free(f);
		return -ENOMEM;
	}
	f->o.cache_dir = f->cache_dir;
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)f->o.per_host);
	curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)f->o.parallel);
	*ret = f;
	return 0;
}

static void drop_jobs(struct fetch *f)
{
	for (size_t i = 0; i < f->n_running; i++)
		fetch_transfer_abort(f, f->running[i]);
	f->n_running = 0;
	for (size_t i = 0; i < f->n_jobs; i++)
		fetch_job_free(f->jobs[i]);
	free(f->jobs);
	f->jobs = NULL;
	f->n_jobs = f->n_done = f->first_pending = 0;
	f->bytes_done = f->bytes_total = 0;
}

void fetch_free(struct fetch *f)
{
	if (!f)
		return;
	drop_jobs(f);
	if (f->multi)
		curl_multi_cleanup(f->multi);
	free(f->running);
	free(f->cache_dir);
	free(f->phase);
	free(f->unit);
	free(f);
	curl_global_cleanup();
}

int fetch_set_progress(struct fetch *f, const char *phase, const char *unit)
{
	char *p = strdup(phase ? phase : "fetch"), *u = strdup(unit ? unit : "files");

	if (!p || !u) {
		free(p);
		free(u);
		return -ENOMEM;
	}
	free(f->phase);
	free(f->unit);
	f->phase = p;
	f->unit = u;
	return 0;
}

/* "scheme://user@host:port/path" -> "host:port"; file:// URLs share the host "". */
static char *url_host(const char *url)
{
	const char *s = strstr(url, "://"), *at;
	size_t n;

	if (!s)
		return NULL;
	s += 3;
	n = strcspn(s, "/?#");
	at = memchr(s, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - s);
		s = at + 1;
	}
	return strndup(s, n);
}

static int add_job(struct fetch *f, struct fetch_job *j)
{
	struct fetch_job **n = realloc(f->jobs, (f->n_jobs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	f->jobs = n;
	f->jobs[f->n_jobs++] = j;
	f->dirty = true;
	if (!j->meta)
		f->bytes_total += j->size;
	return 0;
}

static struct fetch_job *job_new(const char *url, fetch_done_fn done, void *userdata)
{
	struct fetch_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->url = strdup(url);
	j->host = url_host(url);
	j->done = done;
	j->userdata = userdata;
	j->fd = -1;
	if (!j->url || !j->host) {
		fetch_job_free(j);
		return NULL;
	}
	return j;
}

int fetch_add_blob(struct fetch *f, const char *url, const char *sha256, uint64_t size,
		   fetch_done_fn done, void *userdata)
{
	return fetch_add_blob_named(f, url, sha256, size, NULL, NULL, done, userdata);
}

int fetch_add_blob_named(struct fetch *f, const char *url, const char *sha256, uint64_t size,
			 const char *what, const char *against, fetch_done_fn done,
			 void *userdata)
{
	struct fetch_job *j;
	int r;

	if (!sha256 || strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64)
		return -EINVAL;
	if (!strstr(url, "://"))
		return -EINVAL;
	j = job_new(url, done, userdata);
	if (!j)
		return -ENOMEM;
	j->sha256 = strdup(sha256);
	j->size = size;
	j->what = what ? strdup(what) : NULL;
	j->against = against ? strdup(against) : NULL;
	r = j->sha256 && (!what || j->what) && (!against || j->against) ? add_job(f, j) : -ENOMEM;
	if (r < 0)
		fetch_job_free(j);
	return r;
}

int fetch_add_meta(struct fetch *f, const char *url, bool missing_ok, fetch_done_fn done,
		   void *userdata)
{
	struct fetch_job *j;
	int r;

	if (!strstr(url, "://"))
		return -EINVAL;
	j = job_new(url, done, userdata);
	if (!j)
		return -ENOMEM;
	j->meta = true;
	j->missing_ok = missing_ok;
	r = add_job(f, j);
	if (r < 0)
		fetch_job_free(j);
	return r;
}

void fetch_fail(struct fetch *f, int r)
{
	if (r < 0 && f->error == 0)
		f->error = r;
}

void fetch_job_complete(struct fetch *f, struct fetch_job *j, const char *path,
			const char *sha256, uint64_t size, bool from_cache)
{
	struct fetch_result res = {
		.url = j->url,
		.path = path,
		.sha256 = sha256,
		.size = size,
		.from_cache = from_cache,
		.userdata = j->userdata,
	};
	int r = 0;

	j->state = JOB_DONE;
	f->n_done++;
	f->dirty = true;
	if (!j->meta && from_cache)
		f->bytes_total -= j->size; /* count only what is downloaded */
	else if (!j->meta)
		f->bytes_done += j->size;
	if (j->done && f->error == 0) /* after a failure, nothing more is handed out */
		r = j->done(&res);
	fetch_fail(f, r);
}

static unsigned host_running(const struct fetch *f, const char *host)
{
	unsigned n = 0;

	for (size_t i = 0; i < f->n_running; i++)
		if (streq(f->running[i]->host, host))
			n++;
	return n;
}

/* Serves a queued blob from the cache if it is there; true if it was. */
static bool try_cache(struct fetch *f, struct fetch_job *j)
{
	_cleanup_free_ char *path = NULL;

	if (j->meta || j->cache_checked)
		return false;
	j->cache_checked = true;
	if (!fetch_blob_cached(f, j->sha256, j->size))
		return false;
	path = fetch_blob_path(f, j->sha256);
	if (!path) {
		fetch_fail(f, -ENOMEM);
		return true;
	}
	log_debug("cached: '%s'", j->url);
	fetch_job_complete(f, j, path, j->sha256, j->size, true);
	return true;
}

static void start_jobs(struct fetch *f, uint64_t now)
{
	f->dirty = false;
	f->next_wakeup = UINT64_MAX;
	for (size_t i = f->first_pending; i < f->n_jobs && f->error == 0; i++) {
		struct fetch_job *j = f->jobs[i];

		if (j->state != JOB_QUEUED || try_cache(f, j))
			continue;
		if (f->n_running >= f->o.parallel)
			continue;
		if (j->not_before > now) {
			if (j->not_before < f->next_wakeup)
				f->next_wakeup = j->not_before;
			continue;
		}
		if (host_running(f, j->host) >= f->o.per_host)
			continue;
		fetch_fail(f, fetch_transfer_start(f, j));
	}
	while (f->first_pending < f->n_jobs && f->jobs[f->first_pending]->state == JOB_DONE)
		f->first_pending++;
}

static void drain_messages(struct fetch *f)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(f->multi, &left))) {
		struct fetch_job *j = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
		if (j)
			fetch_transfer_done(f, j, m->data.result);
	}
}

static void show_progress(struct fetch *f)
{
	uint64_t bytes = f->bytes_done;

	if (!f->progress)
		return;
	for (size_t i = 0; i < f->n_running; i++)
		if (!f->running[i]->meta)
			bytes += f->running[i]->offset + f->running[i]->got;
	progress_update_bytes(f->progress, f->n_done, f->n_jobs, bytes, f->bytes_total);
}

static bool has_blobs(const struct fetch *f)
{
	for (size_t i = 0; i < f->n_jobs; i++)
		if (!f->jobs[i]->meta)
			return true;
	return false;
}

static int run_loop(struct fetch *f)
{
	int still;

	f->dirty = true;
	while (f->error == 0 && f->n_done < f->n_jobs) {
		uint64_t now = fetch_now_ms();
		long wait = 1000;

		if (f->dirty || now >= f->next_wakeup)
			start_jobs(f, now);
		if (f->error || f->n_done == f->n_jobs)
			break;
		if (curl_multi_perform(f->multi, &still) != CURLM_OK)
			return -EIO;
		drain_messages(f);
		show_progress(f);
		if (f->error || f->dirty)
			continue;
		now = fetch_now_ms();
		if (f->next_wakeup != UINT64_MAX)
			wait = f->next_wakeup > now ? (long)(f->next_wakeup - now) : 0;
		if (wait > 1000)
			wait = 1000;
		curl_multi_poll(f->multi, NULL, 0, (int)wait, NULL);
	}
	return f->error;
}

int fetch_run(struct fetch *f)
{
	int r;

	f->error = 0;
	if (f->o.offline) {
		r = fetch_run_offline(f);
	} else {
		if (has_blobs(f))
			f->progress = progress_begin(f->phase, f->unit, f->n_jobs);
		r = run_loop(f);
		show_progress(f);
		if (r < 0)
			progress_abort(f->progress);
		else
			progress_end(f->progress);
		f->progress = NULL;
	}
	drop_jobs(f);
	return r;
}
