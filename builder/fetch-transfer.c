/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One libcurl transfer: where its bytes go (a resumable partial file for blobs, a private
 * temporary file for metadata), the conditional GET, and what its outcome means: done,
 * missing, retry after a backoff, or a failure for the whole run.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch-internal.h"
#include "fileio.h"
#include "strutil.h"

#define MAX_BACKOFF_MS 30000
#define MAX_META_BYTES (256ull << 20) /* metadata of unknown size: a hostile server's limit */
#define MIN(a, b) ((a) < (b) ? (a) : (b))

static size_t on_data(char *buf, size_t sz, size_t nmemb, void *userdata)
{
	struct fetch_job *j = userdata;
	size_t len = sz * nmemb, done = 0;

	if (j->got == 0 && j->offset > 0) {
		long code = 0;
		curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code == 200) { /* the whole file after all: rewrite from the start */
			if (ftruncate(j->fd, 0) < 0) {
				j->write_error = negative_errno();
				return 0;
			}
			j->offset = 0;
		}
	}
	if (j->offset + j->got + len > (j->meta ? MAX_META_BYTES : j->size)) {
		j->too_big = true;
		return 0;
	}
	while (done < len) {
		off_t at = (off_t)(j->offset + j->got + done);
		ssize_t n = pwrite(j->fd, buf + done, len - done, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			j->write_error = n < 0 ? negative_errno() : -EIO;
			return 0;
		}
		done += (size_t)n;
	}
	j->got += len;
	return len;
}

static size_t on_header(char *buf, size_t sz, size_t nmemb, void *userdata)
{
	struct fetch_job *j = userdata;
	size_t len = sz * nmemb;
	_cleanup_free_ char *line = strndup(buf, len);
	const char *v;

	if (!line)
		return len;
	if (strncmp(line, "HTTP/", 5) == 0) { /* a new response (after a redirect) */
		free(j->etag);
		j->etag = NULL;
	} else if (strncasecmp(line, "ETag:", 5) == 0) {
		v = strstrip(line + 5);
		free(j->etag);
		j->etag = *v ? strdup(v) : NULL;
	}
	return len;
}

static int open_private_tmp(struct fetch_job *j, const char *base)
{
	char *t = strjoin(base, ".XXXXXX", NULL);
	int fd;

	if (!t)
		return -ENOMEM;
	fd = mkostemp(t, O_CLOEXEC);
	if (fd < 0) {
		int r = log_error_errno(negative_errno(), "cannot create a file next to '%s'",
					base);
		free(t);
		return r;
	}
	fchmod(fd, 0644);
	j->fd = fd;
	j->tmp = t;
	j->resumable = false;
	j->offset = 0;
	return 0;
}

/* CACHE/partial/<sha256>, locked; resumed where a previous attempt or run stopped. */
static int open_blob_tmp(struct fetch *f, struct fetch_job *j)
{
	_cleanup_free_ char *part = fetch_partial_path(f, j->sha256);
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (!part)
		return -ENOMEM;
	fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error_errno(negative_errno(), "cannot create '%s'", part);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) /* another process fetches the same blob */
		return open_private_tmp(j, part);
	if (fstat(fd, &st) < 0)
		return log_error_errno(negative_errno(), "cannot stat '%s'", part);
	j->offset = 0;
	if (!j->no_resume && st.st_size > 0 && (uint64_t)st.st_size < j->size)
		j->offset = (uint64_t)st.st_size;
	else if (st.st_size > 0 && ftruncate(fd, 0) < 0)
		return log_error_errno(negative_errno(), "cannot truncate '%s'", part);
	j->no_resume = false;
	j->fd = steal_fd(fd);
	j->tmp = steal_ptr(part);
	j->resumable = true;
	return 0;
}

static int open_meta_tmp(struct fetch *f, struct fetch_job *j)
{
	_cleanup_free_ char *base = fetch_meta_path(f, j->url, NULL);

	return base ? open_private_tmp(j, base) : -ENOMEM;
}

/* If-None-Match / If-Modified-Since from the cached copy's validators. */
static int add_conditions(struct fetch *f, struct fetch_job *j)
{
	_cleanup_free_ char *etag = NULL, *hdr = NULL;
	struct curl_slist *l;
	int64_t mtime = -1;
	int r;

	r = fetch_meta_validators(f, j->url, &etag, &mtime);
	if (r <= 0)
		return r;
	if (etag) {
		hdr = strjoin("If-None-Match: ", etag, NULL);
		l = hdr ? curl_slist_append(j->headers, hdr) : NULL;
		if (!l)
			return -ENOMEM;
		j->headers = l;
		curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
	}
	if (mtime >= 0) {
		curl_easy_setopt(j->easy, CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_IFMODSINCE);
		curl_easy_setopt(j->easy, CURLOPT_TIMEVALUE_LARGE, (curl_off_t)mtime);
	}
	return 0;
}

static void set_protocols(CURL *e)
{
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE);
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
}

static int setup_easy(struct fetch *f, struct fetch_job *j)
{
	CURL *e = curl_easy_init();

	if (!e)
		return -ENOMEM;
	j->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, j->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FILETIME, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "mkimg/" PACKAGE_VERSION);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)MIN(f->o.timeout_s, 30u));
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)f->o.timeout_s);
	set_protocols(e);
	if (j->offset > 0)
		curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)j->offset);
	return j->meta ? add_conditions(f, j) : 0;
}

static void remove_running(struct fetch *f, struct fetch_job *j)
{
	for (size_t i = 0; i < f->n_running; i++)
		if (f->running[i] == j) {
			f->running[i] = f->running[--f->n_running];
			return;
		}
}

static void detach_easy(struct fetch *f, struct fetch_job *j)
{
	if (j->easy) {
		curl_multi_remove_handle(f->multi, j->easy);
		curl_easy_cleanup(j->easy);
		j->easy = NULL;
	}
	curl_slist_free_all(j->headers);
	j->headers = NULL;
}

/* Ends the attempt: the temporary file is removed unless it is a partial blob to resume. */
static void release(struct fetch *f, struct fetch_job *j, bool keep_partial)
{
	struct stat st;

	detach_easy(f, j);
	if (keep_partial && j->resumable && j->fd >= 0 && fstat(j->fd, &st) == 0 &&
	    st.st_size == 0)
		keep_partial = false; /* nothing to resume */
	if (j->tmp && !(keep_partial && j->resumable))
		unlink(j->tmp);
	free(j->tmp);
	j->tmp = NULL;
	closep(&j->fd); /* drops the lock after the unlink */
	j->fd = -1;
	remove_running(f, j);
}

void fetch_transfer_abort(struct fetch *f, struct fetch_job *j)
{
	release(f, j, true);
	j->state = JOB_QUEUED;
}

int fetch_transfer_start(struct fetch *f, struct fetch_job *j)
{
	int r;

	j->attempts++;
	j->got = j->offset = 0;
	j->too_big = false;
	j->write_error = 0;
	j->errbuf[0] = '\0';
	free(j->etag);
	j->etag = NULL;
	r = j->meta ? open_meta_tmp(f, j) : open_blob_tmp(f, j);
	if (r >= 0)
		r = setup_easy(f, j);
	if (r >= 0 && curl_multi_add_handle(f->multi, j->easy) != CURLM_OK)
		r = -EIO;
	if (r < 0) {
		release(f, j, true);
		return r;
	}
	j->state = JOB_RUNNING;
	f->running[f->n_running++] = j;
	return 0;
}

static void requeue(struct fetch *f, struct fetch_job *j, uint64_t delay_ms)
{
	release(f, j, true);
	j->state = JOB_QUEUED;
	j->not_before = fetch_now_ms() + delay_ms;
	f->dirty = true;
}

/* A mismatching blob that was resumed may have a stale start: try once more from zero. */
static bool retry_from_zero(struct fetch *f, struct fetch_job *j)
{
	if (j->offset == 0 || j->attempts > f->o.retries)
		return false;
	log_debug("'%s' does not verify after resuming, downloading it again", j->url);
	j->no_resume = true;
	requeue(f, j, 0);
	return true;
}

/* got_size UINT64_MAX: the download ran past the expected size (no digest then). */
static void blob_mismatch(struct fetch *f, struct fetch_job *j, const char *got,
			  uint64_t got_size)
{
	_cleanup_free_ char *quoted = strjoin("'", j->url, "'", NULL);
	const char *what = j->what ? j->what : quoted ? quoted : j->url;
	const char *in = j->against ? "in " : "", *src = j->against ? j->against : "expected";
	char sizes[96] = "";

	if (got_size == UINT64_MAX) {
		log_error("%s does not match the size %s%s (got more than %" PRIu64 " bytes)", what,
			  in, src, j->size);
	} else {
		if (got_size != j->size)
			snprintf(sizes, sizeof(sizes), "; %" PRIu64 " bytes, want %" PRIu64,
				 got_size, j->size);
		log_error("%s does not match the SHA256 %s%s (got %s, want %s%s)", what, in, src,
			  got, j->sha256, sizes);
	}
	if (j->what)
		log_info("the mismatching file came from '%s'", j->url);
	fetch_fail(f, -EBADMSG);
}

static void finish_blob(struct fetch *f, struct fetch_job *j)
{
	_cleanup_free_ char *path = NULL;
	char got[65] = "";
	uint64_t got_size = 0;
	int r;

	r = fetch_blob_insert(f, j, got, &got_size, &path);
	if (r == -EBADMSG && retry_from_zero(f, j))
		return;
	release(f, j, false);
	if (r == -EBADMSG)
		return blob_mismatch(f, j, got, got_size);
	if (r < 0)
		return fetch_fail(f, log_error_errno(r, "cannot store '%s' in the cache", j->url));
	fetch_job_complete(f, j, path, j->sha256, j->size, false);
}

static void finish_meta(struct fetch *f, struct fetch_job *j, bool not_modified, int64_t mtime)
{
	_cleanup_free_ char *path = NULL;
	char sha[65];
	struct stat st;
	int r;

	if (not_modified) {
		release(f, j, false);
		path = fetch_meta_path(f, j->url, NULL);
		r = path ? 0 : -ENOMEM;
	} else {
		r = fetch_meta_store(f, j, mtime, &path);
		release(f, j, false);
	}
	if (r >= 0)
		r = sha256_file(path, sha);
	if (r >= 0 && stat(path, &st) < 0)
		r = negative_errno();
	if (r < 0)
		return fetch_fail(f, log_error_errno(r, "cannot store '%s' in the cache", j->url));
	log_debug("%s '%s'", not_modified ? "not modified:" : "fetched", j->url);
	fetch_job_complete(f, j, path, sha, (uint64_t)st.st_size, not_modified);
}

static bool is_missing(CURLcode code, long http)
{
	return (code == CURLE_HTTP_RETURNED_ERROR && (http == 404 || http == 410)) ||
	       code == CURLE_FILE_COULDNT_READ_FILE || code == CURLE_REMOTE_FILE_NOT_FOUND;
}

static bool is_transient(CURLcode code, long http)
{
	switch (code) {
	case CURLE_HTTP_RETURNED_ERROR:
		return http >= 500 || http == 408 || http == 429;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static int map_error(CURLcode code, long http)
{
	if (is_missing(code, http))
		return -ENOENT;
	switch (code) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

static void fail_transfer(struct fetch *f, struct fetch_job *j, CURLcode code, long http)
{
	char detail[CURL_ERROR_SIZE + 32], attempts[48] = "";

	if (code == CURLE_HTTP_RETURNED_ERROR)
		snprintf(detail, sizeof(detail), "HTTP error %ld", http);
	else
		snprintf(detail, sizeof(detail), "%s",
			 j->errbuf[0] ? j->errbuf : curl_easy_strerror(code));
	if (j->attempts > 1)
		snprintf(attempts, sizeof(attempts), " (after %u attempts)", j->attempts);
	release(f, j, true);
	log_full(f->o.quiet ? LOG_LVL_DEBUG : LOG_LVL_ERROR, "cannot fetch '%s': %s%s", j->url,
		 detail, attempts);
	fetch_fail(f, map_error(code, http));
}

static void transfer_failed(struct fetch *f, struct fetch_job *j, CURLcode code, long http)
{
	uint64_t delay;

	if (j->too_big && j->meta) {
		release(f, j, false);
		log_error("cannot fetch '%s': larger than %llu MiB", j->url, MAX_META_BYTES >> 20);
		return fetch_fail(f, -EFBIG);
	}
	if (j->too_big) {
		if (retry_from_zero(f, j))
			return;
		release(f, j, false);
		return blob_mismatch(f, j, "", UINT64_MAX);
	}
	if (j->write_error) {
		fetch_fail(f, log_error_errno(j->write_error, "cannot write '%s'", j->tmp));
		return release(f, j, false);
	}
	if (!j->meta && (http == 416 || code == CURLE_RANGE_ERROR ||
			 code == CURLE_BAD_DOWNLOAD_RESUME) && j->offset > 0) {
		j->no_resume = true; /* no byte ranges here: this attempt does not count */
		j->attempts--;
		return requeue(f, j, 0);
	}
	if (is_missing(code, http) && j->missing_ok) {
		release(f, j, false);
		log_debug("not found: '%s'", j->url);
		fetch_meta_set_missing(f, j->url, true);
		return fetch_job_complete(f, j, NULL, NULL, 0, false);
	}
	if (is_transient(code, http) && j->attempts <= f->o.retries) {
		delay = (uint64_t)f->o.retry_delay_ms << (j->attempts - 1);
		if (delay > MAX_BACKOFF_MS)
			delay = MAX_BACKOFF_MS;
		log_debug("'%s' failed (%s), retrying in %" PRIu64 " ms", j->url,
			  j->errbuf[0] ? j->errbuf : curl_easy_strerror(code), delay);
		return requeue(f, j, delay);
	}
	fail_transfer(f, j, code, http);
}

void fetch_transfer_done(struct fetch *f, struct fetch_job *j, CURLcode code)
{
	long http = 0, unmet = 0;
	curl_off_t mtime = -1;

	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_getinfo(j->easy, CURLINFO_CONDITION_UNMET, &unmet);
	curl_easy_getinfo(j->easy, CURLINFO_FILETIME_T, &mtime);
	detach_easy(f, j);
	if (code != CURLE_OK)
		transfer_failed(f, j, code, http);
	else if (j->meta)
		finish_meta(f, j, http == 304 || unmet, (int64_t)mtime);
	else
		finish_blob(f, j);
}
